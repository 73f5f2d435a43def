/*
 * repl.h - cold-store's replication: ClickHouse hot -> cold, verified.
 *
 * Every COLD_INTERVAL_SEC one cycle walks the hot table's partitions
 * (system.parts: one per trading day, with the newest block number):
 *
 *   closed day (before today, HK date), not verified at its current
 *   newest block:
 *     copy   one server: ALTER TABLE cold REPLACE PARTITION ID 'd' FROM hot
 *            (hard links, atomic). Two servers (or COLD_COPY_MODE=stream):
 *            hot FINAL rows streamed as RowBinary into cold.ticks_staging
 *            in COLD_CHUNK_MIB pieces, staged count checked, then REPLACE
 *            PARTITION FROM the staging table on the cold server.
 *            REPLACE is used only when it cannot lose cold rows: for a
 *            day already dropped from hot, or when cold holds more rows
 *            than hot for it, ATTACH PARTITION ... FROM appends instead.
 *     verify count() FINAL of the day in cold equals hot's, counted after
 *            the copy (append: every copied key is found in cold).
 *   open day (today or later): rows with ts_ms in [upto, now - settle)
 *     are inserted (INSERT ... SELECT on one server, streamed otherwise);
 *     verified when count() FINAL of ts_ms < now - settle matches in both;
 *     then upto advances. A mismatch restarts the day's prefix at 0.
 *   retention: a closed, verified, unchanged day older than
 *     HOT_RETENTION_DAYS calendar days is dropped from hot.
 *
 * Only verified facts are written to the watermark (state.h), after each
 * day, so a crash (kill -9 included) repeats at most one day's step;
 * repeated copies are harmless (REPLACE is idempotent; duplicate rows of
 * an INSERT are one row under FINAL, ReplacingMergeTree's key).
 *
 * Known limit: a row inserted into hot for a day between the check of its
 * newest block and the DROP PARTITION (milliseconds, only for days older
 * than the retention) is dropped with it. 18.16 has no atomic
 * "drop if unchanged".
 *
 * Threads: cold_run owns every handle on the calling thread; cold_stats
 * (atomics) is what the HTTP thread reads.
 */
#ifndef HK_COLD_REPL_H
#define HK_COLD_REPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cold/config.h"
#include "svc/hist.h"

typedef struct cold_stats {
    atomic_llong start_mono_ms;
    atomic_llong cycles;             /* completed cycles */
    atomic_llong errors;             /* failed cycles */
    atomic_llong windows_verified;   /* days / windows verified */
    atomic_llong mismatches;         /* failed verifications */
    atomic_llong partitions_copied;  /* closed-day copies (replace/attach) */
    atomic_llong partitions_dropped; /* hot partitions dropped */
    atomic_llong rows_copied;        /* rows copied (hot FINAL counts) */
    atomic_llong lag_rows;           /* hot rows not verified in cold */
    atomic_llong caught_up_ms;       /* hot rows below this ts are in cold */
    atomic_llong last_success_ms;    /* wall clock of the last cycle, 0 */
    atomic_llong last_success_mono_ms;
    atomic_int mismatch_run; /* worst consecutive mismatches of one day */
    atomic_bool clickhouse_ok;
    atomic_bool state_ok; /* the watermark was last saved fine */
    svc_hist cycle_ms;
} cold_stats;

/* Set the start time (and the state as fine until a save fails). */
void cold_stats_init(cold_stats *st, int64_t now_mono_ms);

/*
 * Run cycles until stop() returns true (checked between steps and while
 * streaming). A failed cycle is logged and retried with back-off
 * (COLD_RETRY_MIN_MS doubling to COLD_RETRY_MAX_MS). Returns 0 after a
 * stop, 1 when the state directory cannot be used (logged).
 */
int cold_run(const cold_config *cfg, cold_stats *st, bool (*stop)(void));

#endif
