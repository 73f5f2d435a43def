/*
 * tgalert.c - the alert state machine of tgalert.h.
 *
 * Pure and single-threaded: the notifier's observer (event thread) owns
 * one tgalert per alert code and calls tgalert_step once a second.
 */
#include "collector/tgalert.h"

#include <string.h>

void tgalert_init(tgalert *a)
{
    memset(a, 0, sizeof(*a));
}

const char *tgalert_action_name(tgalert_action act)
{
    switch (act) {
    case TGALERT_RAISE:
        return "raise";
    case TGALERT_REMIND:
        return "remind";
    case TGALERT_RECOVER:
        return "recover";
    case TGALERT_SUPPRESS:
        return "suppress";
    default:
        return "none";
    }
}

static tgalert_action raise_now(const tgalert_cfg *cfg, tgalert *a, int64_t now)
{
    a->state = TGALERT_FIRING;
    a->last_raise = now;
    a->last_sent = now;
    a->reminders = 0;
    /* Steps at or before the raise are covered by the raise itself. */
    a->next_step = 0;
    while (a->next_step < cfg->n_steps &&
           cfg->steps_ms[a->next_step] <= now - a->bad_since)
        a->next_step++;
    if (a->next_step == 0 && cfg->n_steps > 0 && cfg->steps_ms[0] <= 0)
        a->next_step = 1;
    return TGALERT_RAISE;
}

static tgalert_action pending(const tgalert_cfg *cfg, tgalert *a, bool bad,
                              int64_t now)
{
    if (!bad) {
        a->state = TGALERT_IDLE;
        return TGALERT_NONE;
    }
    if (now - a->bad_since < cfg->grace_ms)
        return TGALERT_NONE;
    if (a->last_raise > 0 && now - a->last_raise < cfg->cooldown_ms) {
        if (a->suppressed)
            return TGALERT_NONE;
        a->suppressed = true;
        return TGALERT_SUPPRESS;
    }
    return raise_now(cfg, a, now);
}

tgalert_action tgalert_step(const tgalert_cfg *cfg, tgalert *a, bool bad,
                            int64_t now_ms)
{
    switch (a->state) {
    case TGALERT_IDLE:
        if (!bad)
            return TGALERT_NONE;
        a->state = TGALERT_PENDING;
        a->bad_since = now_ms;
        a->suppressed = false;
        return pending(cfg, a, bad, now_ms);
    case TGALERT_PENDING:
        return pending(cfg, a, bad, now_ms);
    case TGALERT_FIRING:
        if (!bad) {
            a->state = TGALERT_IDLE;
            return TGALERT_RECOVER;
        }
        if (a->next_step < cfg->n_steps &&
            now_ms - a->bad_since >= cfg->steps_ms[a->next_step] &&
            now_ms - a->last_sent >= cfg->cooldown_ms) {
            a->next_step++;
            a->last_sent = now_ms;
            a->reminders++;
            return TGALERT_REMIND;
        }
        return TGALERT_NONE;
    }
    return TGALERT_NONE;
}
