/*
 * tgsched.c - the digest schedule (see tgsched.h for the rules).
 *
 * Pure: no clock, no I/O; the caller passes the instant and the phase
 * (phase_of) and keeps the state. "Once" rules remember the HK date they
 * fired on, so a restart mid-lunch sends at most one more lunch digest.
 * Non-trading days and the after-close digest wait for 09:00 HKT, so a
 * phone is not woken at midnight.
 */
#include "collector/tgsched.h"

#include "common/hktime.h"

#define MORNING_MS (9 * 3600 * 1000)

static tgsched_verdict cadence(tgsched_state *st, int64_t now, int sec,
                               const char *name, const char **why)
{
    *why = name;
    if (now - st->last_sent_ms < (int64_t)sec * 1000)
        return TGSCHED_WAIT;
    st->last_sent_ms = now;
    return TGSCHED_SEND;
}

static tgsched_verdict once(tgsched_state *st, int *day_slot, int today,
                            int64_t now, const char *name, const char *done,
                            const char **why)
{
    if (*day_slot == today) {
        *why = done;
        return TGSCHED_QUIET;
    }
    *why = name;
    *day_slot = today;
    st->last_sent_ms = now;
    return TGSCHED_SEND;
}

tgsched_verdict tgsched_decide(const tgsched_cfg *cfg, tgsched_state *st,
                               phase ph, bool trading_day, int64_t now_ms,
                               const char **why)
{
    const char *dummy;
    int today = hktime_trading_day(now_ms);
    int ms_of_day = hktime_hk_ms_of_day(now_ms);

    if (!why)
        why = &dummy;
    if (!trading_day || ph == PHASE_HOLIDAY) {
        if (!cfg->holiday_daily) {
            *why = "holiday_disabled";
            return TGSCHED_QUIET;
        }
        if (cfg->fixed_sec > 0)
            return cadence(st, now_ms, cfg->fixed_sec, "fixed", why);
        if (ms_of_day < MORNING_MS) {
            *why = "night";
            return TGSCHED_QUIET;
        }
        return once(st, &st->quiet_day, today, now_ms, "holiday_daily",
                    "holiday_done", why);
    }
    if (cfg->fixed_sec > 0)
        return cadence(st, now_ms, cfg->fixed_sec, "fixed", why);
    switch (ph) {
    case PHASE_PRE_OPEN:
    case PHASE_OPEN:
    case PHASE_CLOSING_AUCTION:
        return cadence(st, now_ms, cfg->trading_sec, "trading", why);
    case PHASE_LUNCH:
        if (!cfg->lunch_once)
            return cadence(st, now_ms, cfg->offhours_sec, "offhours", why);
        return once(st, &st->lunch_day, today, now_ms, "lunch_once",
                    "lunch_done", why);
    default:
        break;
    }
    /* after-hours on a trading day */
    if (!cfg->after_close_once)
        return cadence(st, now_ms, cfg->offhours_sec, "offhours", why);
    if (ms_of_day < MORNING_MS) {
        *why = "night";
        return TGSCHED_QUIET;
    }
    return once(st, &st->close_day, today, now_ms, "after_close_once",
                "after_close_done", why);
}
