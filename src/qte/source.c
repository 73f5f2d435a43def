/*
 * source.c - merge of symbols x days into one ordered trade stream.
 *
 * Order: days ascending; within a day, (ts_ms, symbol index, seq), where
 * symbol indices follow the names' byte order (the engine sorts them), so
 * the order is (ts_ms, symbol, seq) as the issue asks.
 *
 * Reading a day in two steps, so the row order never needs SQLite's
 * sorter and the table is read sequentially:
 *   1. Order: per symbol, SOURCE_ORDER_SQL walks idx_ticks_symbol_day_ts
 *      (symbol, trading_day, ts_ms, rowid) without touching the table;
 *      a binary heap merges the symbols by (ts_ms, symbol). SOURCE_BLOCK
 *      (ts, symbol, rowid) entries form a block, extended to the end of a
 *      run of equal (ts, symbol) so such a run is never split.
 *   2. Values: the block's rowids are sorted; when they span at most
 *      4 x the block's size, one range scan (rowid BETWEEN min AND max)
 *      reads the table pages in order and a merge-join picks the block's
 *      rows out of it; otherwise (the run's symbols are a small part of
 *      a file, or rows were inserted far out of order) each row is read
 *      by rowid. Runs of equal (ts, symbol) are then sorted by seq.
 * Rows of another trading_day inside a file are not that day's trades
 * and are not read; rows without a price (not trades) are skipped.
 *
 * States: day open (db, statements, heap filled, block empty) -> block
 * filled -> block drained -> (heap empty) next day -> ... -> done
 * (day_i == ndays). source_seek closes the day and reopens from the
 * first day with the new lower bound.
 */
#include "qte/source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile/dayfile.h"
#include "dayfile/totals.h"
#include "qte/feed.h"

const char SOURCE_ORDER_SQL[] =
    "SELECT ts_ms, rowid FROM ticks WHERE symbol = ?1 AND trading_day = ?2 "
    "AND ts_ms >= ?3 ORDER BY ts_ms";
const char SOURCE_SQL[] =
    "SELECT ts_ms, price, volume, seq FROM ticks WHERE symbol = ?1 AND "
    "trading_day = ?2 AND ts_ms >= ?3 AND price IS NOT NULL "
    "ORDER BY ts_ms, seq";
static const char RANGE_SQL[] = "SELECT rowid, price, volume, seq FROM "
                                "ticks WHERE rowid BETWEEN ?1 AND ?2";
static const char ONE_SQL[] =
    "SELECT rowid, price, volume, seq FROM ticks WHERE rowid = ?1";

static bool less(const src_key *x, const src_key *y)
{
    return x->ts_ms != y->ts_ms ? x->ts_ms < y->ts_ms : x->sym < y->sym;
}

static void sift_down(qte_source *s, int i)
{
    src_key *h = s->heap;
    src_key x = h[i];
    for (;;) {
        int l = 2 * i + 1;
        if (l >= s->nheap)
            break;
        int m = l + 1 < s->nheap && less(&h[l + 1], &h[l]) ? l + 1 : l;
        if (!less(&h[m], &x))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

static void sift_up(qte_source *s, int i)
{
    src_key *h = s->heap;
    src_key x = h[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!less(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Advance symbol k's walk: from its read-ahead, refilled SOURCE_AHEAD
 * entries at a time. 1 row, 0 end, -1 error. */
static int step(qte_source *s, int k)
{
    src_cursor *c = &s->cur[k];
    if (c->bi + 1 < c->bn) {
        c->bi++;
        c->ts_ms = c->bts[c->bi];
        c->rowid = c->brow[c->bi];
        return 1;
    }
    int n = 0;
    int rc = SQLITE_DONE;
    while (!c->done && n < SOURCE_AHEAD &&
           (rc = sqlite3_step(c->st)) == SQLITE_ROW) {
        c->bts[n] = sqlite3_column_int64(c->st, 0);
        c->brow[n] = sqlite3_column_int64(c->st, 1);
        n++;
    }
    if (!c->done && n < SOURCE_AHEAD) {
        c->done = true;
        if (rc != SQLITE_DONE) {
            c->live = false;
            snprintf(s->err, sizeof(s->err), "day %d %s: %s", s->days[s->day_i],
                     s->symbols[k], sqlite3_errmsg(s->db));
            return -1;
        }
    }
    c->bn = n;
    c->bi = 0;
    c->live = n > 0;
    if (n == 0)
        return 0;
    c->ts_ms = c->bts[0];
    c->rowid = c->brow[0];
    return 1;
}

static void close_day(qte_source *s)
{
    for (int k = 0; k < s->nsym && s->cur; k++) {
        sqlite3_finalize(s->cur[k].st);
        s->cur[k].st = NULL;
        s->cur[k].live = false;
        s->cur[k].done = false;
        s->cur[k].bn = 0;
        s->cur[k].bi = 0;
    }
    sqlite3_finalize(s->range);
    sqlite3_finalize(s->one);
    s->range = NULL;
    s->one = NULL;
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
    s->nheap = 0;
    s->blk_n = 0;
    s->blk_i = 0;
}

static int open_db(const char *root, int day, sqlite3 **db, char *err,
                   size_t errlen)
{
    char path[600];
    if (dayfile_path(root, day, path, sizeof(path)) != 0) {
        snprintf(err, errlen, "day %d: path too long", day);
        return -1;
    }
    int rc = dayfile_open_ro(path, 0, db);
    if (rc == SQLITE_OK &&
        dayfile_schema_check(*db, &rc, NULL, 0) != DAYFILE_OK)
        rc = rc == SQLITE_OK ? SQLITE_NOTFOUND : rc;
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == SQLITE_NOTFOUND ? "no compat ticks table"
                                       : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* Open day s->day_i with its statements and fill the heap. */
static int open_day(qte_source *s)
{
    char td[16];
    if (open_db(s->root, s->days[s->day_i], &s->db, s->err, sizeof(s->err)) !=
        0)
        return -1;
    snprintf(td, sizeof(td), "%08d", s->days[s->day_i]);
    if (sqlite3_prepare_v2(s->db, RANGE_SQL, -1, &s->range, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(s->db, ONE_SQL, -1, &s->one, NULL) != SQLITE_OK) {
        snprintf(s->err, sizeof(s->err), "day %d: %s", s->days[s->day_i],
                 sqlite3_errmsg(s->db));
        return -1;
    }
    for (int k = 0; k < s->nsym; k++) {
        src_cursor *c = &s->cur[k];
        if (sqlite3_prepare_v2(s->db, SOURCE_ORDER_SQL, -1, &c->st, NULL) !=
            SQLITE_OK) {
            snprintf(s->err, sizeof(s->err), "day %d: %s", s->days[s->day_i],
                     sqlite3_errmsg(s->db));
            return -1;
        }
        sqlite3_bind_text(c->st, 1, s->symbols[k], -1, SQLITE_STATIC);
        sqlite3_bind_text(c->st, 2, td, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(c->st, 3, s->from_ts);
        int r = step(s, k);
        if (r < 0)
            return -1;
        if (r == 1) {
            s->heap[s->nheap].ts_ms = c->ts_ms;
            s->heap[s->nheap++].sym = k;
            sift_up(s, s->nheap - 1);
        }
    }
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a;
    int y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Rows of the run's symbols in one day file (progress only). */
static int64_t count_rows(sqlite3 *db, int day, const char *const *symbols,
                          int nsym)
{
    dayfile_total *rows = NULL;
    int n = 0;
    int64_t total = 0;
    if (dayfile_totals_read(db, day, &rows, &n, NULL) != 0)
        return 0;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < nsym; k++) {
            if (strcmp(rows[i].symbol, symbols[k]) == 0)
                total += rows[i].rows;
        }
    }
    free(rows);
    return total;
}

int source_check_days(const char *root, const int *days, int ndays,
                      const char *const *symbols, int nsym, int64_t *rows,
                      char *err, size_t errlen)
{
    *rows = 0;
    for (int i = 0; i < ndays; i++) {
        sqlite3 *db = NULL;
        if (open_db(root, days[i], &db, err, errlen) != 0)
            return -1;
        *rows += count_rows(db, days[i], symbols, nsym);
        sqlite3_close(db);
    }
    return 0;
}

int source_init(qte_source *s, const char *root, const int *days, int ndays,
                const char *const *symbols, int nsym, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->root, sizeof(s->root), "%s", root);
    s->symbols = symbols;
    s->nsym = nsym;
    s->from_ts = INT64_MIN;
    s->days = malloc(sizeof(int) * (size_t)(ndays > 0 ? ndays : 1));
    s->cur = calloc((size_t)(nsym > 0 ? nsym : 1), sizeof(*s->cur));
    s->heap = calloc((size_t)(nsym > 0 ? nsym : 1), sizeof(*s->heap));
    s->blk_cap = SOURCE_BLOCK;
    s->blk = calloc((size_t)s->blk_cap, sizeof(*s->blk));
    s->refs = calloc((size_t)s->blk_cap, sizeof(*s->refs));
    if (!s->days || !s->cur || !s->heap || !s->blk || !s->refs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(s->days, days, sizeof(int) * (size_t)ndays);
    qsort(s->days, (size_t)ndays, sizeof(int), cmp_int);
    s->ndays = ndays;
    if (source_check_days(root, s->days, ndays, symbols, nsym, &s->rows_total,
                          err, errlen) != 0)
        return -1;
    if (ndays > 0 && open_day(s) != 0) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    return 0;
}

void source_free(qte_source *s)
{
    close_day(s);
    free(s->days);
    free(s->cur);
    free(s->heap);
    free(s->blk);
    free(s->refs);
    s->blk = NULL;
    s->refs = NULL;
    s->days = NULL;
    s->cur = NULL;
    s->heap = NULL;
}

/* Take the heap's top into block slot i and advance its cursor. */
static int take(qte_source *s, int i)
{
    int k = s->heap[0].sym;
    const src_cursor *c = &s->cur[k];
    s->blk[i].ts_ms = c->ts_ms;
    s->blk[i].rowid = c->rowid;
    s->blk[i].sym = k;
    s->blk[i].valid = false;
    int r = step(s, k);
    if (r < 0)
        return -1;
    if (r == 1)
        s->heap[0].ts_ms = c->ts_ms;
    else
        s->heap[0] = s->heap[--s->nheap];
    if (s->nheap > 0)
        sift_down(s, 0);
    return 0;
}

static int grow(qte_source *s)
{
    int cap = s->blk_cap * 2;
    src_row *b = realloc(s->blk, sizeof(*b) * (size_t)cap);
    if (b)
        s->blk = b;
    src_ref *r = b ? realloc(s->refs, sizeof(*r) * (size_t)cap) : NULL;
    if (r)
        s->refs = r;
    if (!b || !r) {
        snprintf(s->err, sizeof(s->err), "out of memory");
        return -1;
    }
    s->blk_cap = cap;
    return 0;
}

/* Step 1: the next block's order from the index walks. */
static int fill_order(qte_source *s)
{
    int n = 0;
    while (s->nheap > 0) {
        if (n >= SOURCE_BLOCK) {
            const src_key *top = &s->heap[0];
            const src_row *last = &s->blk[n - 1];
            if (top->ts_ms != last->ts_ms || top->sym != last->sym)
                break;
        }
        if (n == s->blk_cap && grow(s) != 0)
            return -1;
        if (take(s, n) != 0)
            return -1;
        n++;
    }
    s->blk_n = n;
    s->blk_i = 0;
    return 0;
}

static int cmp_ref(const void *a, const void *b)
{
    int64_t x = ((const src_ref *)a)->rowid;
    int64_t y = ((const src_ref *)b)->rowid;
    return (x > y) - (x < y);
}

static void set_values(src_row *r, sqlite3_stmt *st)
{
    r->valid = sqlite3_column_type(st, 1) != SQLITE_NULL;
    r->price_milli = llround(sqlite3_column_double(st, 1) * 1000.0);
    r->volume = sqlite3_column_int64(st, 2);
    r->seq = sqlite3_column_int64(st, 3);
}

static int db_fail(qte_source *s)
{
    snprintf(s->err, sizeof(s->err), "day %d: %s", s->days[s->day_i],
             sqlite3_errmsg(s->db));
    return -1;
}

/* Step 2a: one range scan, merge-joined with the sorted rowids. */
static int fetch_range(qte_source *s, int64_t lo, int64_t hi)
{
    sqlite3_stmt *st = s->range;
    int j = 0;
    int rc;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    while (j < s->blk_n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        while (j < s->blk_n && s->refs[j].rowid < id)
            j++; /* gone meanwhile: cannot happen read-only */
        if (j < s->blk_n && s->refs[j].rowid == id)
            set_values(&s->blk[s->refs[j++].slot], st);
    }
    rc = j < s->blk_n ? sqlite3_errcode(s->db) : SQLITE_OK;
    sqlite3_reset(st);
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(s);
    s->range_blocks++;
    return 0;
}

/* Step 2b: one lookup per row. */
static int fetch_points(qte_source *s)
{
    sqlite3_stmt *st = s->one;
    for (int j = 0; j < s->blk_n; j++) {
        sqlite3_bind_int64(st, 1, s->refs[j].rowid);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            set_values(&s->blk[s->refs[j].slot], st);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(s);
    }
    s->point_blocks++;
    return 0;
}

/* Sort each run of equal (ts, symbol) by seq (insertion: runs are short). */
static void sort_runs(qte_source *s)
{
    src_row *b = s->blk;
    for (int i = 1; i < s->blk_n; i++) {
        if (b[i].ts_ms != b[i - 1].ts_ms || b[i].sym != b[i - 1].sym)
            continue;
        src_row x = b[i];
        int j = i - 1;
        while (j >= 0 && b[j].ts_ms == x.ts_ms && b[j].sym == x.sym &&
               b[j].seq > x.seq) {
            b[j + 1] = b[j];
            j--;
        }
        b[j + 1] = x;
    }
}

/* Fill the next block of the open day: 1 rows, 0 day exhausted, -1. */
static int fill_block(qte_source *s)
{
    if (fill_order(s) != 0)
        return -1;
    if (s->blk_n == 0)
        return 0;
    bool sorted = true;
    for (int i = 0; i < s->blk_n; i++) {
        s->refs[i].rowid = s->blk[i].rowid;
        s->refs[i].slot = i;
        if (i > 0 && s->refs[i].rowid < s->refs[i - 1].rowid)
            sorted = false;
    }
    if (!sorted)
        qsort(s->refs, (size_t)s->blk_n, sizeof(*s->refs), cmp_ref);
    int64_t lo = s->refs[0].rowid;
    int64_t hi = s->refs[s->blk_n - 1].rowid;
    int rc = hi - lo < 4 * (int64_t)s->blk_n ? fetch_range(s, lo, hi)
                                             : fetch_points(s);
    if (rc != 0)
        return -1;
    sort_runs(s);
    return 1;
}

int source_next(qte_source *s, qte_tick *t, bool *new_day)
{
    for (;;) {
        while (s->blk_i < s->blk_n) {
            const src_row *r = &s->blk[s->blk_i++];
            if (!r->valid)
                continue;
            t->ts_ms = r->ts_ms;
            t->sym = r->sym;
            t->symbol = s->symbols[r->sym];
            t->price_milli = r->price_milli;
            t->volume = r->volume;
            t->seq = r->seq;
            s->rows_read++;
            if (new_day)
                *new_day = s->day_new;
            s->day_new = false;
            return 1;
        }
        if (s->day_i >= s->ndays)
            return 0;
        int r = fill_block(s);
        if (r < 0)
            return -1;
        if (r > 0)
            continue;
        close_day(s);
        if (++s->day_i >= s->ndays)
            return 0;
        if (open_day(s) != 0)
            return -1;
        s->day_new = true;
    }
}

int source_seek(qte_source *s, int64_t ts_ms)
{
    close_day(s);
    s->from_ts = ts_ms;
    s->day_i = 0;
    s->rows_read = 0;
    if (s->ndays == 0)
        return 0;
    return open_day(s);
}

double source_progress(const qte_source *s)
{
    return qte_feed_ratio(s->day_i, s->ndays, s->rows_read, s->rows_total);
}
