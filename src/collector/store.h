/*
 * store.h - one SQLite day file (DATA_ROOT/YYYYMMDD.db) of the writer.
 *
 * store_open creates the file on first use, creates missing schema objects
 * through dayfile_schema_ensure (compat.md §1.2 DDL, one transaction),
 * applies and logs the writer PRAGMAs, sets user_version to
 * DAYFILE_USER_VERSION when lower, and prepares the statements. Besides the
 * compat schema it keeps hk_symbol_totals, per-day per-symbol running totals
 * updated in the same transaction as the ticks, so status and health never scan
 * a whole day. Only the writer thread (or main before the writer starts) uses a
 * store.
 */
#ifndef HK_COLLECTOR_STORE_H
#define HK_COLLECTOR_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "collector/config.h"
#include "collector/row.h"
#include "collector/symtab.h"

typedef struct store {
    int day;         /* YYYYMMDD, 0 = closed */
    char day_str[9]; /* the same as text: every row of a file has it */
    char path[1100];
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_stmt *tot;
    sqlite3_stmt *gap;
    int64_t last_used_mono_ms;
} store;

/*
 * Open (creating if needed) the day file of `day` under cfg->data_root.
 * Returns SQLITE_OK, or an SQLite result code after logging
 * sqlite_open_failed; err receives the library's message. On failure the
 * store is closed.
 */
int store_open(store *s, const config *cfg, int day, char *err, size_t errlen);
/* Close; with checkpoint, run wal_checkpoint(TRUNCATE) first. */
void store_close(store *s, bool checkpoint);

int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);
/*
 * Insert one row (INSERT OR IGNORE); the row must belong to s->day (its
 * trading_day column is the file's). *inserted is 1 when a row was added,
 * 0 when it was a duplicate. Returns SQLITE_DONE-mapped SQLITE_OK or an
 * error code.
 */
int store_insert(store *s, const row *r, const symtab *t,
                 int64_t inserted_at_ms, int *inserted);
/* Add a batch's totals for one symbol. Returns SQLITE_OK or an error. */
int store_add_totals(store *s, const char *symbol, int64_t rows, int64_t min_ts,
                     int64_t max_ts, int64_t max_seq, bool has_seq,
                     int64_t inserted_at_ms);

/* INSERT OR IGNORE one hard gap (compat.md §8.1). */
int store_insert_gap(store *s, const char *symbol, int64_t prev_ts,
                     int64_t curr_ts, int64_t detected_at_ms,
                     const char *meta_json, int *inserted);

/* Day-file path for day into buf. */
void store_day_path(const char *data_root, int day, char *buf, size_t cap);

#endif
