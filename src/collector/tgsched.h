/*
 * tgsched.h - when the health digest is due (pure; compat.md Appendix A).
 *
 * A function of (now, market phase, trading-day flag, settings, state):
 *
 *   HEALTH_FIXED_INTERVAL_SEC > 0   every that many seconds, any phase
 *                                   (non-trading days follow holiday mode)
 *   pre-open, open, closing-auction every HEALTH_TRADING_INTERVAL_SEC
 *   lunch-break                     TG_HEALTH_LUNCH_ONCE=1: one digest as
 *                                   lunch begins, then quiet; =0: the
 *                                   off-hours cadence
 *   after-hours on a trading day    TG_HEALTH_AFTER_CLOSE_ONCE=1: one digest
 *                                   after the close (16:00 HKT or later),
 *                                   quiet until the next pre-open; =0: the
 *                                   off-hours cadence
 *   weekend, holiday                TG_HEALTH_HOLIDAY_MODE=daily: one digest
 *                                   per HK date; disabled: none
 *
 * Cadences count from the last digest sent (state.last_sent_ms; the start
 * of the notifier counts as a send, since it announces itself).
 */
#ifndef HK_COLLECTOR_TGSCHED_H
#define HK_COLLECTOR_TGSCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "collector/phase.h"

typedef struct tgsched_cfg {
    int trading_sec;  /* effective trading cadence */
    int offhours_sec; /* effective off-hours cadence */
    int fixed_sec;    /* 0 = off */
    bool lunch_once;
    bool after_close_once;
    bool holiday_daily;
} tgsched_cfg;

typedef struct tgsched_state {
    int64_t last_sent_ms; /* wall clock of the last digest (or start) */
    int lunch_day;        /* HK date (YYYYMMDD) of the lunch digest */
    int close_day;        /* HK date of the after-close digest */
    int quiet_day;        /* HK date of the non-trading-day digest */
} tgsched_state;

typedef enum tgsched_verdict {
    TGSCHED_WAIT = 0, /* not due yet */
    TGSCHED_SEND,     /* send a digest now (state already updated) */
    TGSCHED_QUIET,    /* phase policy: nothing in this phase (suppressed) */
} tgsched_verdict;

/*
 * Decide for instant now_ms (UTC ms) in phase ph. trading_day is false on
 * weekends and holidays. On TGSCHED_SEND the state records the send;
 * otherwise it is unchanged. *why (may be NULL) names the rule:
 * "trading", "lunch_once", "after_close_once", "offhours", "fixed",
 * "holiday_daily", "holiday_disabled", "holiday_done", "lunch_done",
 * "after_close_done", "night". The returned string is static.
 */
tgsched_verdict tgsched_decide(const tgsched_cfg *cfg, tgsched_state *st,
                               phase ph, bool trading_day, int64_t now_ms,
                               const char **why);

#endif
