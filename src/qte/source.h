/*
 * source.h - the replay's market data: several symbols over several day
 * files merged into one stream ordered by (ts_ms, symbol, seq), with
 * memory bounded whatever the size of a day.
 *
 * One day file is open at a time (days in ascending order); in it, one
 * prepared statement per symbol walks the index (symbol, trading_day,
 * ts_ms) and a binary heap of the symbols' current rows picks the next.
 * Memory: one row per symbol plus SQLite's page cache. Replay thread only.
 */
#ifndef HK_QTE_SOURCE_H
#define HK_QTE_SOURCE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qte/strategy.h"

typedef struct src_cursor {
    sqlite3_stmt *st;
    bool live; /* holds a row */
    int64_t ts_ms;
    int64_t price_milli;
    int64_t volume;
    int64_t seq;
} src_cursor;

typedef struct qte_source {
    char root[512];
    int *days; /* ascending YYYYMMDD */
    int ndays;
    int day_i;                  /* index of the open day; ndays when done */
    const char *const *symbols; /* borrowed, index = symbol id */
    int nsym;
    sqlite3 *db;
    src_cursor *cur;
    int *heap; /* symbol ids, min (ts, sym, seq) on top */
    int nheap;
    int64_t from_ts; /* rows with ts_ms >= from_ts (seek) */
    int64_t rows_total;
    int64_t rows_read;
    char err[256];
} qte_source;

/*
 * Check that every day file exists under root and has the compat ticks
 * table, count the rows of the symbols (hk_symbol_totals when present),
 * and open the first day. days need not be sorted (a copy is sorted);
 * symbols is borrowed and must outlive the source. Returns 0, or -1 with
 * a message in err (s then needs no free, but freeing is harmless).
 */
int source_init(qte_source *s, const char *root, const int *days, int ndays,
                const char *const *symbols, int nsym, char *err, size_t errlen);
void source_free(qte_source *s);

/*
 * The next trade into *t (symbol name from the borrowed table). Returns 1,
 * 0 at the end, or -1 with a message in s->err. *new_day (may be NULL) is
 * set when t is the first row read from a later day file than the
 * previous row's.
 */
int source_next(qte_source *s, qte_tick *t, bool *new_day);

/* Restart at the first row with ts_ms >= ts_ms, from the first day.
 * Returns 0, or -1 with a message in s->err. */
int source_seek(qte_source *s, int64_t ts_ms);

/* Rows read / rows counted at init, in 0..1. */
double source_progress(const qte_source *s);

#endif
