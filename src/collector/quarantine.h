/*
 * quarantine.h - rows that failed validation, kept for an operator.
 *
 * File: DATA_ROOT/_quarantine/YYYYMMDD.db (the HK date of receipt), WAL,
 * one table (docs/architecture.md, "Quarantine"):
 *
 *   quarantine(reason TEXT, symbol TEXT, ts_ms INTEGER, price_text TEXT,
 *              volume INTEGER, turnover_text TEXT, seq INTEGER,
 *              direction INTEGER, tick_type INTEGER, push_type TEXT,
 *              recv_ts_ms INTEGER, quarantined_at_ms INTEGER)
 *
 * price_text and turnover_text are "%.17g" of the value received, with
 * "nan", "inf" and "-inf" spelled so; seq and tick_type are NULL when the
 * row had none. Example: a NaN push of HK.00700 stores
 * ('price_not_finite', 'HK.00700', 1765000000000, 'nan', 100, '0', 7, 1,
 *  NULL, 'push', 1765000000123, 1765000000125).
 *
 * At most max_rows_per_day rows are stored per file; beyond that rows are
 * counted (not_stored) and logged, not stored: the only deliberate drop.
 * Writer thread only, except the atomic counters, which any thread reads.
 */
#ifndef HK_COLLECTOR_QUARANTINE_H
#define HK_COLLECTOR_QUARANTINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "collector/row.h"
#include "collector/symtab.h"
#include "collector/validate.h"

typedef struct quarantine {
    char dir[1024]; /* DATA_ROOT/_quarantine */
    char path[1100];
    int day; /* YYYYMMDD of the open file, 0 = none */
    sqlite3 *db;
    sqlite3_stmt *ins;
    int64_t day_rows; /* rows the open file holds (committed) */
    int64_t max_rows_per_day;
    /* Rows quarantined / of those not stored (cap), per reason. */
    atomic_llong rows[VALIDATE_NREASONS];
    atomic_llong not_stored[VALIDATE_NREASONS];
    /* Rate-limited row_quarantined lines, per reason. */
    int64_t last_log_ms[VALIDATE_NREASONS];
    int64_t since_log[VALIDATE_NREASONS];
    int64_t last_cap_log_ms;
} quarantine;

/* Set up (no file is opened until the first bad row). */
void quarantine_init(quarantine *q, const char *data_root,
                     int64_t max_rows_per_day);
/* Close the file; q may be re-initialised. */
void quarantine_free(quarantine *q);
/*
 * Store rows[i] with reason reasons[i] for every i < n whose reason is not
 * VALIDATE_OK, in one transaction of the file of now_ms's HK date. Returns
 * SQLITE_OK (counters updated, rows logged rate-limited) or an SQLite error
 * with a message in err: then nothing was stored or counted, the file is
 * closed, and the caller retries the same rows.
 */
int quarantine_write(quarantine *q, const row *rows, const uint8_t *reasons,
                     size_t n, const symtab *t, int64_t now_ms, char *err,
                     size_t errlen);
/*
 * Count (and log, rate-limited) n rows of a reason decided before they had
 * a symbol id (VALIDATE_SYMBOL_OVERFLOW, VALIDATE_SYMBOL_TOO_LONG): they are
 * not stored. Any thread.
 */
void quarantine_count(quarantine *q, int reason, int64_t n);
/* Rows quarantined for reason so far (stored or not). Any thread. */
long long quarantine_rows(const quarantine *q, int reason);
/* Of those, rows not stored because the day's cap was reached. */
long long quarantine_not_stored(const quarantine *q, int reason);

#endif
