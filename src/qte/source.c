/*
 * source.c - merge of symbols x days into one ordered trade stream.
 *
 * Order: days ascending; within a day, (ts_ms, symbol index, seq), where
 * symbol indices follow the names' byte order (the engine sorts them), so
 * the order is (ts_ms, symbol, seq) as the issue asks. Each symbol's
 * statement is
 *   SELECT ts_ms, price, volume, seq FROM ticks
 *   WHERE symbol = ?1 AND trading_day = ?2 AND ts_ms >= ?3
 *     AND price IS NOT NULL ORDER BY ts_ms, seq
 * which SQLite answers from the index idx_ticks_symbol_day_ts, sorting
 * only rows of one millisecond by seq: memory stays at one row per symbol
 * plus the page cache. Rows of another trading_day inside a file are not
 * that day's trades and are not read. Rows without a price (not trades)
 * are skipped.
 *
 * States: day open (db, statements, heap filled) -> next day when the
 * heap empties -> done (day_i == ndays). source_seek closes the day and
 * reopens from the first day with the new lower bound.
 */
#include "qte/source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile/dayfile.h"
#include "dayfile/totals.h"

static const char *SQL =
    "SELECT ts_ms, price, volume, seq FROM ticks WHERE symbol = ?1 AND "
    "trading_day = ?2 AND ts_ms >= ?3 AND price IS NOT NULL "
    "ORDER BY ts_ms, seq";

static bool less(const qte_source *s, int a, int b)
{
    const src_cursor *x = &s->cur[a];
    const src_cursor *y = &s->cur[b];
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms;
    if (a != b)
        return a < b;
    return x->seq < y->seq;
}

static void sift_down(qte_source *s, int i)
{
    for (;;) {
        int l = 2 * i + 1;
        int m = i;
        if (l < s->nheap && less(s, s->heap[l], s->heap[m]))
            m = l;
        if (l + 1 < s->nheap && less(s, s->heap[l + 1], s->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        int tmp = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = tmp;
        i = m;
    }
}

static void sift_up(qte_source *s, int i)
{
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!less(s, s->heap[i], s->heap[p]))
            return;
        int tmp = s->heap[i];
        s->heap[i] = s->heap[p];
        s->heap[p] = tmp;
        i = p;
    }
}

/* Step symbol k's statement. 1 row, 0 end, -1 error. */
static int step(qte_source *s, int k)
{
    src_cursor *c = &s->cur[k];
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW) {
        c->ts_ms = sqlite3_column_int64(c->st, 0);
        c->price_milli = llround(sqlite3_column_double(c->st, 1) * 1000.0);
        c->volume = sqlite3_column_int64(c->st, 2);
        c->seq = sqlite3_column_int64(c->st, 3);
        c->live = true;
        return 1;
    }
    c->live = false;
    if (rc == SQLITE_DONE)
        return 0;
    snprintf(s->err, sizeof(s->err), "day %d %s: %s", s->days[s->day_i],
             s->symbols[k], sqlite3_errmsg(s->db));
    return -1;
}

static void close_day(qte_source *s)
{
    for (int k = 0; k < s->nsym && s->cur; k++) {
        sqlite3_finalize(s->cur[k].st);
        s->cur[k].st = NULL;
        s->cur[k].live = false;
    }
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
    s->nheap = 0;
}

static int open_db(const qte_source *s, int day, sqlite3 **db, char *err,
                   size_t errlen)
{
    char path[600];
    if (dayfile_path(s->root, day, path, sizeof(path)) != 0) {
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
    if (open_db(s, s->days[s->day_i], &s->db, s->err, sizeof(s->err)) != 0)
        return -1;
    snprintf(td, sizeof(td), "%08d", s->days[s->day_i]);
    for (int k = 0; k < s->nsym; k++) {
        src_cursor *c = &s->cur[k];
        if (sqlite3_prepare_v2(s->db, SQL, -1, &c->st, NULL) != SQLITE_OK) {
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
            s->heap[s->nheap++] = k;
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
    s->heap = calloc((size_t)(nsym > 0 ? nsym : 1), sizeof(int));
    if (!s->days || !s->cur || !s->heap) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(s->days, days, sizeof(int) * (size_t)ndays);
    qsort(s->days, (size_t)ndays, sizeof(int), cmp_int);
    s->ndays = ndays;
    for (int i = 0; i < ndays; i++) {
        sqlite3 *db = NULL;
        if (open_db(s, s->days[i], &db, err, errlen) != 0)
            return -1;
        s->rows_total += count_rows(db, s->days[i], symbols, nsym);
        sqlite3_close(db);
    }
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
    s->days = NULL;
    s->cur = NULL;
    s->heap = NULL;
}

int source_next(qte_source *s, qte_tick *t, bool *new_day)
{
    bool moved = false;
    while (s->nheap == 0) {
        if (s->day_i >= s->ndays)
            return 0;
        close_day(s);
        if (++s->day_i >= s->ndays)
            return 0;
        if (open_day(s) != 0)
            return -1;
        moved = true;
    }
    int k = s->heap[0];
    const src_cursor *c = &s->cur[k];
    t->ts_ms = c->ts_ms;
    t->sym = k;
    t->symbol = s->symbols[k];
    t->price_milli = c->price_milli;
    t->volume = c->volume;
    t->seq = c->seq;
    s->rows_read++;
    int r = step(s, k);
    if (r < 0)
        return -1;
    if (r == 0)
        s->heap[0] = s->heap[--s->nheap];
    if (s->nheap > 0)
        sift_down(s, 0);
    if (new_day)
        *new_day = moved;
    return 1;
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
    if (s->day_i >= s->ndays)
        return 1.0;
    if (s->rows_total <= 0)
        return 0.0;
    double p = (double)s->rows_read / (double)s->rows_total;
    return p > 1.0 ? 1.0 : p;
}
