/*
 * source.h - the replay's market data: several symbols over several day
 * files merged into one stream ordered by (ts_ms, symbol, seq), with
 * memory bounded whatever the size of a day.
 *
 * One day file is open at a time (days ascending). The order comes from
 * the index idx_ticks_symbol_day_ts alone (one covering walk per symbol,
 * merged by a heap), the rows' values from the table in blocks: a block's
 * rowids are sorted and read with one sequential rowid-range scan when
 * they are dense, or one lookup each when they are sparse (source.c).
 * Memory: one block (SOURCE_BLOCK rows), SOURCE_AHEAD index entries per
 * symbol, SQLite's page cache. Replay thread only.
 */
#ifndef HK_QTE_SOURCE_H
#define HK_QTE_SOURCE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qte/strategy.h"

/* Rows per block (a block grows past it only to finish a run of rows of
 * one symbol in one millisecond). */
#define SOURCE_BLOCK 4096

/* The order walk of one symbol: ?1 symbol, ?2 trading_day "YYYYMMDD",
 * ?3 lowest ts_ms. Columns: ts_ms, rowid. Answered from the index alone.
 * SOURCE_SQL is the same rows' values in one statement (index walk plus
 * a table lookup per row, seq sorted by SQLite): the simple reader the
 * ceiling benchmark compares with. */
extern const char SOURCE_ORDER_SQL[];
extern const char SOURCE_SQL[];

/* Index entries read ahead per symbol: a walk's page stays hot while it
 * reads them, instead of 500 walks taking turns row by row. */
#define SOURCE_AHEAD 64

typedef struct src_cursor {
    sqlite3_stmt *st;
    bool live; /* holds a row */
    bool done; /* the statement returned its last row */
    int64_t ts_ms;
    int64_t rowid;
    int bn; /* entries in bts/brow */
    int bi; /* the current one */
    int64_t bts[SOURCE_AHEAD];
    int64_t brow[SOURCE_AHEAD];
} src_cursor;

/* A heap entry: a cursor's current (ts_ms, symbol id), kept inline so
 * comparisons touch only the heap array. */
typedef struct src_key {
    int64_t ts_ms;
    int sym;
} src_key;

/* One row of a block. */
typedef struct src_row {
    int64_t ts_ms;
    int64_t rowid;
    int64_t price_milli;
    int64_t volume;
    int64_t seq;
    int sym;
    bool valid; /* has a price */
} src_row;

/* A rowid and its block slot, for the rowid-ordered fetch. */
typedef struct src_ref {
    int64_t rowid;
    int slot;
} src_ref;

typedef struct qte_source {
    char root[512];
    int *days; /* ascending YYYYMMDD */
    int ndays;
    int day_i;                  /* index of the open day; ndays when done */
    const char *const *symbols; /* borrowed, index = symbol id */
    int nsym;
    sqlite3 *db;
    sqlite3_stmt *range; /* values of rowids in [?1, ?2] */
    sqlite3_stmt *one;   /* values of rowid ?1 */
    src_cursor *cur;
    src_key *heap; /* cursors' current keys, min (ts, sym) on top */
    int nheap;
    src_row *blk;
    src_ref *refs;
    int blk_cap;
    int blk_n;
    int blk_i;       /* next row to hand out */
    bool day_new;    /* the next row handed out opens a later day */
    int64_t from_ts; /* rows with ts_ms >= from_ts (seek) */
    int64_t rows_total;
    int64_t rows_read;
    int64_t range_blocks; /* blocks fetched by range scan (stats) */
    int64_t point_blocks; /* blocks fetched row by row */
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
 * source_init's checks alone, for another reader of the same days (the
 * day cache): every day file under root exists and has the compat ticks
 * table (days in the order given; the first failure's message in err,
 * as source_init words it), and *rows = the symbols' rows over the days
 * (hk_symbol_totals, for progress). Returns 0 or -1.
 */
int source_check_days(const char *root, const int *days, int ndays,
                      const char *const *symbols, int nsym, int64_t *rows,
                      char *err, size_t errlen);

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
