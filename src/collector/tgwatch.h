/*
 * tgwatch.h - which alert conditions hold right now (pure).
 *
 * The notifier's observer gathers one tgwatch_in a second from the health
 * snapshot, the writer's counters and the disk, and asks tgwatch_eval
 * which of the TGMSG_* conditions hold; tgalert then applies grace,
 * cooldown and escalation. Conditions:
 *
 *   DISCONNECT     OpenD session not up
 *   PERSIST_STALL  the watchdog is acting (stall with backlog) or the
 *                  writer thread is gone
 *   SQLITE_BUSY    busy backoffs in the last minute >= threshold
 *                  (TG_SQLITE_BUSY_ALERT_THRESHOLD)
 *   DISK_LOW       free space on DATA_ROOT below HEALTH_DISK_MIN_FREE_PCT
 *   SPOOL_GROWING  rows in the spool, more than a minute ago
 *   DATA_LAG       trading phase, connected, and the newest trade (or the
 *                  start, if none yet) older than HEALTH_MAX_LAG_SEC
 */
#ifndef HK_COLLECTOR_TGWATCH_H
#define HK_COLLECTOR_TGWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/tgmsg.h"

typedef struct tgwatch_in {
    int64_t now_ms;    /* UTC ms */
    int64_t uptime_ms; /* since the collector started */
    bool connected;
    bool trading; /* phase_is_trading */
    bool watchdog_acting;
    bool writer_dead;
    long long busy_last_min;
    int busy_threshold;
    int disk_free_pct; /* < 0 unknown */
    int disk_min_free_pct;
    size_t spool_rows;
    size_t spool_rows_min_ago;
    int64_t max_ts_ms; /* newest trade seen, 0 = none */
    int max_lag_sec;
} tgwatch_in;

/* Fill bad[code] for every TGMSG_* code. Never fails. */
void tgwatch_eval(const tgwatch_in *in, bool bad[TGMSG_N_CODES]);

#endif
