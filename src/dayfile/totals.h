/*
 * totals.h - hk_symbol_totals, the per-day per-symbol running totals a
 * writer keeps in the same transaction as its ticks (additive to compat.md
 * §1.1), so readers never scan a whole day to count it.
 */
#ifndef HK_DAYFILE_TOTALS_H
#define HK_DAYFILE_TOTALS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* CREATE TABLE IF NOT EXISTS hk_symbol_totals (...). */
extern const char DAYFILE_TOTALS_DDL[];
/*
 * Upsert adding one batch: parameters (trading_day, symbol, rows,
 * min_ts_ms, max_ts_ms, max_seq or NULL, last_inserted_at_ms).
 */
extern const char DAYFILE_TOTALS_UPSERT_SQL[];
/* Rebuild all totals from ticks (for a file written by another program). */
extern const char DAYFILE_TOTALS_SEED_SQL[];

/* Totals of one symbol. */
typedef struct dayfile_total {
    char symbol[48];
    int64_t rows;
    int64_t min_ts_ms;
    int64_t max_ts_ms;
    int64_t max_seq;
    bool has_seq;
} dayfile_total;

/*
 * Per-symbol totals for trading_day = day, or for the whole file when day
 * is 0 (summed over trading days), ordered by symbol; symbols with no rows
 * are left out. Read from hk_symbol_totals when the table exists (no scan
 * of ticks), else computed with a GROUP BY over ticks (max_seq unknown);
 * *from_totals says which (may be NULL). Returns 0 with *rows (malloc'd,
 * caller frees; NULL when *n is 0), or -1 on an SQLite error or out of
 * memory (*rows NULL, *n 0).
 */
int dayfile_totals_read(sqlite3 *db, int day, dayfile_total **rows, int *n,
                        bool *from_totals);

#endif
