/*
 * tgwatch.c - alert conditions from one observation (see tgwatch.h).
 *
 * Pure: the observer in telegram.c collects the inputs; this file only
 * compares them with the thresholds, so every rule is unit-tested with
 * plain numbers.
 */
#include "collector/tgwatch.h"

void tgwatch_eval(const tgwatch_in *in, bool bad[TGMSG_N_CODES])
{
    int64_t lag_ms;

    bad[TGMSG_DISCONNECT] = !in->connected;
    bad[TGMSG_PERSIST_STALL] = in->watchdog_acting || in->writer_dead;
    bad[TGMSG_SQLITE_BUSY] =
        in->busy_threshold > 0 && in->busy_last_min >= in->busy_threshold;
    bad[TGMSG_DISK_LOW] =
        in->disk_free_pct >= 0 && in->disk_free_pct < in->disk_min_free_pct;
    bad[TGMSG_SPOOL_GROWING] =
        in->spool_rows > 0 && in->spool_rows > in->spool_rows_min_ago;
    lag_ms = in->max_ts_ms > 0 ? in->now_ms - in->max_ts_ms : in->uptime_ms;
    bad[TGMSG_DATA_LAG] = in->trading && in->connected &&
                          lag_ms > (int64_t)in->max_lag_sec * 1000;
}
