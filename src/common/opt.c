/*
 * opt.c - the table-driven option scanner and value store (opt.h).
 *
 * Matching is exact on the long name: "--name=VALUE" or "--name VALUE" for
 * options with a value, "--name" alone for flags (a "--flag=x" form is
 * unknown), and for switches "--name" optionally followed by a bool word. No
 * abbreviations and no argument permutation: the first argument that is not in
 * the table stops the scan as OPT_E_UNKNOWN, so every program reports the same
 * argument it always did. Stateless apart from the caller's opt_scan.
 */
#include "common/opt.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void opt_scan_init(opt_scan *s, const opt_def *defs, size_t n, int argc,
                   char **argv, int first)
{
    s->defs = defs;
    s->n = n;
    s->argc = argc;
    s->argv = argv;
    s->i = first;
}

int opt_next(opt_scan *s, const opt_def **def, const char **val)
{
    const char *a;

    *def = NULL;
    *val = NULL;
    if (s->i >= s->argc)
        return OPT_DONE;
    a = s->argv[s->i];
    for (size_t k = 0; k < s->n; k++) {
        const opt_def *d = &s->defs[k];
        size_t len = strlen(d->name);
        if (strncmp(a, d->name, len) != 0)
            continue;
        if (d->kind == OPT_SWITCH && a[len] == '\0') {
            bool b;
            *def = d;
            s->i++;
            if (s->i < s->argc && opt_parse_bool(s->argv[s->i], &b) == 0)
                *val = s->argv[s->i++];
            return OPT_MATCH;
        }
        if (d->kind == OPT_FLAG) {
            if (a[len] != '\0')
                continue;
            *def = d;
            s->i++;
            return OPT_MATCH;
        }
        if (a[len] == '=') {
            *def = d;
            *val = a + len + 1;
            s->i++;
            return OPT_MATCH;
        }
        if (a[len] != '\0')
            continue;
        *def = d;
        if (s->i + 1 >= s->argc)
            return OPT_E_NOVALUE;
        *val = s->argv[s->i + 1];
        s->i += 2;
        return OPT_MATCH;
    }
    return OPT_E_UNKNOWN;
}

int opt_parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"1", "true", "yes", "y", "on"};
    static const char *no[] = {"0", "false", "no", "n", "off"};
    if (!s)
        return -1;
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

const char *opt_bad_text(const opt_def *d, const char *val, char *buf,
                         size_t cap)
{
    const char *fmt = d->bad ? d->bad : "";
    const char *pct = strstr(fmt, "%s");

    if (!val)
        val = "";
    if (pct)
        snprintf(buf, cap, "%.*s%s%s", (int)(pct - fmt), fmt, val, pct + 2);
    else
        snprintf(buf, cap, "%s", fmt);
    return buf;
}

static int generic(const opt_def *d, const char *v, char *err, size_t n)
{
    const char *name = d->name + (strncmp(d->name, "--", 2) == 0 ? 2 : 0);
    if (d->kind == OPT_I64 || d->kind == OPT_LONG)
        snprintf(err, n,
                 "invalid value '%s' for --%s: expected an integer "
                 "in %.0f..%.0f",
                 v, name, d->min, d->max);
    else if (d->kind == OPT_DBL)
        snprintf(err, n,
                 "invalid value '%s' for --%s: expected a number in "
                 "%g..%g",
                 v, name, d->min, d->max);
    else if (d->kind == OPT_BOOL)
        snprintf(err, n, "invalid value '%s' for --%s: expected 0 or 1", v,
                 name);
    else
        snprintf(err, n, "empty value for --%s", name);
    return -EINVAL;
}

static int store_number(const opt_def *d, void *dst, const char *v)
{
    char *end;
    errno = 0;
    if (d->kind == OPT_DBL) {
        double x = strtod(v, &end);
        if (errno || *end || end == v || !isfinite(x) || x < d->min ||
            x > d->max)
            return -EINVAL;
        *(double *)((char *)dst + d->off) = x;
        return 0;
    }
    long long i = strtoll(v, &end, 10);
    double x = (double)i;
    if (errno || *end || end == v || x < d->min || x > d->max)
        return -EINVAL;
    if (d->kind == OPT_LONG)
        *(long *)((char *)dst + d->off) = (long)i;
    else
        *(int64_t *)((char *)dst + d->off) = i;
    return 0;
}

int opt_apply(const opt_def *d, void *dst, const char *val, char *err,
              size_t errlen)
{
    int rc = 0;
    bool b;

    switch (d->kind) {
    case OPT_FLAG:
        *(bool *)((char *)dst + d->off) = true;
        return 0;
    case OPT_FN:
        rc = d->apply((char *)dst + d->off, val, err, errlen);
        if (rc != 0 && d->bad)
            opt_bad_text(d, val, err, errlen);
        return rc;
    case OPT_STR0:
        *(const char **)((char *)dst + d->off) = val;
        return 0;
    case OPT_STR:
        if (!val[0]) {
            rc = -EINVAL;
            break;
        }
        *(const char **)((char *)dst + d->off) = val;
        return 0;
    case OPT_SWITCH:
        if (!val) {
            *(bool *)((char *)dst + d->off) = true;
            return 0;
        }
        /* fall through */
    case OPT_BOOL:
        if (opt_parse_bool(val, &b) != 0) {
            rc = -EINVAL;
            break;
        }
        *(bool *)((char *)dst + d->off) = b;
        return 0;
    default:
        rc = store_number(d, dst, val);
        break;
    }
    if (rc == 0)
        return 0;
    if (d->bad) {
        opt_bad_text(d, val, err, errlen);
        return -EINVAL;
    }
    return generic(d, val, err, errlen);
}
