/*
 * tgconf.c - validation and derived values of the notifier settings.
 *
 * The variable table (config.c) parses plain numbers, booleans and
 * strings; this file checks the rest after config_load and fills the
 * derived fields the notifier reads. Pure apart from logging; runs once on
 * the main thread before any other thread exists.
 */
#include "collector/tgconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

static void bad(bool quiet, const char *var, const char *val, const char *why)
{
    char q1[512], q2[256];
    if (!quiet)
        LOG(LOG_ERROR, LC_MAIN, "config_error var=%s value=%s reason=%s", var,
            log_quote(val, q1, sizeof(q1)), log_quote(why, q2, sizeof(q2)));
}

/* Empty -> 0; else a decimal integer (Telegram thread ids are > 0). */
static int parse_thread(const char *s, long long *out)
{
    char *end;
    long long v;
    *out = 0;
    if (!s[0])
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int parse_steps(tgconf *tc)
{
    const char *p = tc->alert_steps;
    tc->n_steps = 0;
    while (*p) {
        char *end;
        long v;
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p))
            return -1;
        errno = 0;
        v = strtol(p, &end, 10);
        if (errno || v < 0 || v > 86400 * 7 || tc->n_steps >= TGCONF_MAX_STEPS)
            return -1;
        tc->steps[tc->n_steps++] = (int)v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p && *p != ',')
            return -1;
    }
    qsort(tc->steps, (size_t)tc->n_steps, sizeof(int), cmp_int);
    return 0;
}

static void derive_cadence(tgconf *tc)
{
    int base = tc->health_interval_sec;
    int t = tc->health_trading_sec > 0 ? tc->health_trading_sec : base;
    int o = tc->health_offhours_sec > 0 ? tc->health_offhours_sec : base;
    tc->eff_trading_sec = t < 900 ? 900 : t > 1800 ? 1800 : t;
    tc->eff_offhours_sec = o < 30 ? 30 : o;
    tc->eff_fixed_sec = tc->health_fixed_sec <= 0   ? 0
                        : tc->health_fixed_sec < 30 ? 30
                                                    : tc->health_fixed_sec;
}

int tgconf_check(tgconf *tc, bool quiet)
{
    int errors = 0;
    struct {
        const char *var;
        const char *val;
        long long *out;
    } th[] = {
        {"TG_MESSAGE_THREAD_ID", tc->thread_id, &tc->thread_main},
        {"TG_THREAD_HEALTH_ID", tc->thread_health_id, &tc->thread_health},
        {"TG_THREAD_OPS_ID", tc->thread_ops_id, &tc->thread_ops},
    };

    for (size_t i = 0; i < sizeof(th) / sizeof(th[0]); i++)
        if (parse_thread(th[i].val, th[i].out) != 0) {
            bad(quiet, th[i].var, th[i].val, "not a positive integer");
            errors++;
        }
    if (parse_steps(tc) != 0) {
        bad(quiet, "ALERT_ESCALATION_STEPS", tc->alert_steps,
            "want up to 8 comma-separated seconds, e.g. 0,600,1800");
        tc->n_steps = 3;
        tc->steps[0] = 0;
        tc->steps[1] = 600;
        tc->steps[2] = 1800;
        errors++;
    }
    if (strcasecmp(tc->health_holiday, "daily") == 0 ||
        !tc->health_holiday[0]) {
        tc->holiday_daily = true;
    } else if (strcasecmp(tc->health_holiday, "disabled") == 0) {
        tc->holiday_daily = false;
    } else {
        bad(quiet, "TG_HEALTH_HOLIDAY_MODE", tc->health_holiday,
            "not one of daily disabled");
        tc->holiday_daily = true;
        errors++;
    }
    if (strncmp(tc->api_base, "http://", 7) != 0 &&
        strncmp(tc->api_base, "https://", 8) != 0) {
        bad(quiet, "TG_API_BASE", tc->api_base, "want an http(s):// URL");
        errors++;
    }
    {
        size_t n = strlen(tc->api_base);
        while (n > 0 && tc->api_base[n - 1] == '/')
            tc->api_base[--n] = '\0';
    }
    derive_cadence(tc);
    return errors;
}
