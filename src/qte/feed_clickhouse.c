/*
 * feed_clickhouse.c - QTE_SOURCE=clickhouse: the pipeline's ticks table
 * (QTE_CLICKHOUSE_DATABASE.ticks on QTE_CLICKHOUSE_URL) replayed as a
 * qte_feed, row for row what the day-file source (source.c) hands out
 * for the same rows.
 *
 * How: one trading day at a time (days ascending), in pages of
 * QTE_CLICKHOUSE_PAGE_ROWS rows. A page is one query (feed_clickhouse.h
 * shows it): FINAL (ReplacingMergeTree keeps copies of a redelivered
 * batch until a merge), the day's partition, the run's symbols, rows with
 * a price (the day-file source skips the others), ordered by (ts_ms,
 * symbol, ifNull(seq, 0)) -- String order is byte order, as the engine's
 * symbol ids -- and started after the previous page's last row (keyset).
 * The answer streams (ch_query_stream) through a sink that decodes whole
 * rows into the page array; a row split between two pieces waits in a
 * carry buffer. Memory: the page array plus one piece, whatever the
 * day's size. The values are converted as source.c converts them:
 * price_milli = llround(price * 1000.0) from the same double, NULL volume
 * and seq as 0.
 *
 * States (next): page holds rows -> page drained -> (day_more) the next
 * page of the day, or (day exhausted) the next day with has_last cleared
 * and day_new set -> ... -> done (day_i == ndays). seek clears the page
 * and starts over from the first day with the lower bound; the next call
 * to next asks again. Replay thread only.
 *
 * At open: one count() FINAL over all the days and symbols, which both
 * checks that the server answers and the table exists (so qte_engine_new
 * fails early, naming the variable to fix) and gives progress() its
 * denominator.
 */
#include "qte/feed_clickhouse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "qte/feed.h"

/* --- pure helpers (feed_clickhouse.h) ----------------------------------- */

static int64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

long qte_chfeed_row_decode(const uint8_t *p, size_t n, qte_chfeed_row *r)
{
    uint64_t len = 0;
    size_t i = 0;
    for (;;) {
        if (i >= n)
            return 0;
        if (i >= 10)
            return -EBADMSG;
        len |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i++] & 0x80))
            break;
    }
    if (len > QTE_CHFEED_MAX_SYMBOL)
        return -EBADMSG;
    size_t total = i + (size_t)len + 32;
    if (n < total)
        return 0;
    const uint8_t *q = p + i + len;
    r->symbol = (const char *)(p + i);
    r->symbol_len = (size_t)len;
    r->ts_ms = rd64(q);
    uint64_t bits = (uint64_t)rd64(q + 8);
    memcpy(&r->price, &bits, sizeof(r->price));
    r->volume = rd64(q + 16);
    r->seq = rd64(q + 24);
    return (long)total;
}

long qte_chfeed_quote(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    if (cap < 3)
        goto nospace;
    out[n++] = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'' || *c == '\\') {
            if (n + 1 >= cap)
                goto nospace;
            out[n++] = '\\';
        }
        if (n + 1 >= cap)
            goto nospace;
        out[n++] = *c;
    }
    if (n + 2 > cap)
        goto nospace;
    out[n++] = '\'';
    out[n] = '\0';
    return (long)n;
nospace:
    if (cap)
        out[0] = '\0';
    return -ENOSPC;
}

/* 20240102 -> "2024-01-02" (a real date), or -EINVAL. */
static int day_text(int day, char out[16])
{
    char s[16];
    uint16_t days;
    snprintf(s, sizeof(s), "%08d", day);
    if (day < 0 || ch_date_from_yyyymmdd(s, &days) != 0)
        return -EINVAL;
    snprintf(out, 16, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    return 0;
}

/* Appends with snprintf semantics; *n may run past cap (then -ENOSPC). */
#define PUT(...)                                                               \
    (n += (size_t)snprintf(out + (n < cap ? n : cap), n < cap ? cap - n : 0,   \
                           __VA_ARGS__))

static long finish(char *out, size_t cap, size_t n)
{
    if (n >= cap) {
        if (cap)
            out[0] = '\0';
        return -ENOSPC;
    }
    return (long)n;
}

long qte_chfeed_page_sql(char *out, size_t cap, const char *db, int day,
                         const char *in_list, const qte_chfeed_key *k,
                         long limit)
{
    char td[16];
    size_t n = 0;
    if (day_text(day, td) != 0) {
        if (cap)
            out[0] = '\0';
        return -EINVAL;
    }
    PUT("SELECT symbol, ts_ms, assumeNotNull(price), ifNull(volume, 0), "
        "ifNull(seq, 0) FROM %s.ticks FINAL",
        db);
    if (k->has_from || k->has_to)
        PUT(" PREWHERE ");
    if (k->has_from)
        PUT("ts_ms >= %" PRId64 "%s", k->from_ts, k->has_to ? " AND " : "");
    if (k->has_to)
        PUT("ts_ms < %" PRId64, k->to_ts);
    PUT(" WHERE trading_day = '%s' AND symbol IN (%s) AND isNotNull(price)", td,
        in_list);
    if (k->has_last) {
        char sym[2 * QTE_CHFEED_MAX_SYMBOL + 8];
        if (qte_chfeed_quote(k->symbol, sym, sizeof(sym)) < 0)
            return finish(out, cap, cap);
        PUT(" AND (ts_ms > %" PRId64 " OR (ts_ms = %" PRId64
            " AND (symbol > %s OR (symbol = %s AND ifNull(seq, 0) > %" PRId64
            "))))",
            k->ts_ms, k->ts_ms, sym, sym, k->seq);
    }
    PUT(" ORDER BY ts_ms, symbol, ifNull(seq, 0) LIMIT %ld FORMAT RowBinary",
        limit);
    return finish(out, cap, n);
}

long qte_chfeed_stats_sql(char *out, size_t cap, const char *db,
                          const int *days, int ndays, const char *in_list)
{
    size_t n = 0;
    PUT("SELECT toYYYYMMDD(trading_day), count(), min(ts_ms), max(ts_ms) "
        "FROM %s.ticks FINAL WHERE trading_day IN (",
        db);
    for (int i = 0; i < ndays; i++) {
        char td[16];
        if (day_text(days[i], td) != 0) {
            if (cap)
                out[0] = '\0';
            return -EINVAL;
        }
        PUT("%s'%s'", i ? ", " : "", td);
    }
    PUT(") AND symbol IN (%s) AND isNotNull(price) GROUP BY trading_day "
        "FORMAT TabSeparated",
        in_list);
    return finish(out, cap, n);
}

#undef PUT

/* --- the feed ----------------------------------------------------------- */

/* One row of a page, converted as source.c converts a day file's row. */
typedef struct pg_row {
    int64_t ts_ms;
    int64_t price_milli;
    int64_t volume;
    int64_t seq;
    int sym;
} pg_row;

/* A day's rows with a price at open (rows 0: none, or unknown). */
typedef struct day_stat {
    int64_t rows;
    int64_t min_ts;
    int64_t max_ts;
} day_stat;

typedef struct ch_feed {
    qte_feed base;
    ch_client cli;
    char shown[256]; /* the URL without credentials (shown_url) */
    char db[128];
    const char *const *symbols; /* borrowed, byte order, index = id */
    int nsym;
    const int *days; /* ascending YYYYMMDD; borrowed (qte_feed_args) */
    int ndays;
    int day_i;     /* the day being read; ndays when done */
    bool day_more; /* the day may hold rows after the page */
    bool day_new;  /* the next row handed out opens a later day */
    char *in_list; /* the symbols as quoted SQL literals */
    char *sql;
    size_t sql_cap;
    pg_row *page;
    long page_rows; /* capacity = LIMIT */
    long page_n;
    long page_i;
    qte_chfeed_key key; /* the next page: keyset and window */
    int64_t win;        /* the window's width (ms) */
    bool seek_set;      /* rows from seek_ts on (chf_seek) */
    int64_t seek_ts;
    day_stat *stat; /* per day, from the open's statistics query */
    int64_t rows_total;
    int64_t rows_read;
    ch_buf carry;   /* bytes of a row split between pieces */
    char perr[200]; /* why the sink stopped */
} ch_feed;

/* The id of symbol s (len bytes) in the byte-ordered table, or -1. */
static int find_sym(const ch_feed *f, const char *s, size_t len)
{
    int lo = 0;
    int hi = f->nsym - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const char *m = f->symbols[mid];
        size_t ml = strlen(m);
        int c = memcmp(m, s, ml < len ? ml : len);
        if (c == 0)
            c = (ml > len) - (ml < len);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* ch_sink_fn: decode the whole rows of the answer into the page. */
static int sink(void *ud, const void *p, size_t n)
{
    ch_feed *f = ud;
    if (ch_buf_append(&f->carry, p, n) != 0) {
        snprintf(f->perr, sizeof(f->perr), "out of memory");
        return -1;
    }
    size_t off = 0;
    for (;;) {
        qte_chfeed_row r;
        long len =
            qte_chfeed_row_decode(f->carry.p + off, f->carry.n - off, &r);
        if (len == 0)
            break;
        int sym = len > 0 ? find_sym(f, r.symbol, r.symbol_len) : -1;
        if (sym < 0 || f->page_n >= f->page_rows) {
            snprintf(f->perr, sizeof(f->perr), "%s",
                     len < 0   ? "an answer that is not the rows asked for"
                     : sym < 0 ? "a row of a symbol not asked for"
                               : "more rows than the page's LIMIT");
            return -1;
        }
        pg_row *w = &f->page[f->page_n++];
        w->ts_ms = r.ts_ms;
        w->price_milli = llround(r.price * 1000.0);
        w->volume = r.volume;
        w->seq = r.seq;
        w->sym = sym;
        off += (size_t)len;
    }
    if (off > 0) {
        memmove(f->carry.p, f->carry.p + off, f->carry.n - off);
        f->carry.n -= off;
    }
    return 0;
}

/* Whether ClickHouse answered UNKNOWN_TABLE (60) or UNKNOWN_DATABASE
 * (81): from the header, or (18.16 sends none) the body's "Code: N,". */
static bool no_table(const ch_result *res)
{
    if (res->exception == 60 || res->exception == 81)
        return true;
    return res->exception == 0 && (strncmp(res->err, "Code: 60,", 9) == 0 ||
                                   strncmp(res->err, "Code: 81,", 9) == 0);
}

/* A failed request's message into err: names the URL or the table, and
 * the variable to fix. */
static void request_fail(const ch_feed *f, int rc, const ch_result *res,
                         char *err, size_t errlen)
{
    if (f->perr[0])
        snprintf(err, errlen, "ClickHouse at %s: %s.ticks: %s", f->shown, f->db,
                 f->perr);
    else if (rc == -1)
        snprintf(err, errlen,
                 "ClickHouse at %s is not reachable (QTE_CLICKHOUSE_URL): %s",
                 f->shown, res->err);
    else if (no_table(res))
        snprintf(err, errlen,
                 "ClickHouse at %s has no table %s.ticks "
                 "(QTE_CLICKHOUSE_DATABASE)",
                 f->shown, f->db);
    else
        snprintf(err, errlen, "ClickHouse at %s: %s.ticks: HTTP %ld: %s",
                 f->shown, f->db, res->status, res->err);
}

/* The window's end after its start lo: lo + win, or open-ended once that
 * passes the day's last trade (or the day's extent is unknown), so rows
 * that arrived after the open are read too. */
static void set_to(ch_feed *f, int64_t lo)
{
    const day_stat *d = &f->stat[f->day_i];
    f->key.has_to = d->rows > 0 && f->key.has_from && f->win <= d->max_ts - lo;
    f->key.to_ts = f->key.has_to ? lo + f->win : 0;
}

/* Day day_i's first window: from its first trade (or the seek's time),
 * sized to hold about one page at the day's mean density. */
static void start_day(ch_feed *f)
{
    const day_stat *d = &f->stat[f->day_i];
    f->page_n = 0;
    f->page_i = 0;
    f->day_more = true;
    f->key.has_last = 0;
    f->key.has_from = d->rows > 0 || f->seek_set;
    f->key.from_ts = d->rows > 0 ? d->min_ts : f->seek_ts;
    if (f->seek_set && f->seek_ts > f->key.from_ts)
        f->key.from_ts = f->seek_ts;
    f->win = 1;
    if (d->rows > 0) {
        double w = (double)(d->max_ts - d->min_ts + 1) * (double)f->page_rows /
                   (double)d->rows;
        f->win = w < 1 ? 1 : w > 1e15 ? (int64_t)1e15 : (int64_t)w;
    }
    set_to(f, f->key.from_ts);
}

/* After a page: a full page goes on after its last row with the window
 * narrowed to the span that held it; a short page ends the window (the
 * next starts where it ended, wider by the density seen) or, open-ended,
 * the day. */
static void next_window(ch_feed *f)
{
    if (f->page_n >= f->page_rows) {
        const pg_row *l = &f->page[f->page_n - 1];
        f->key.has_last = 1;
        f->key.ts_ms = l->ts_ms;
        f->key.symbol = f->symbols[l->sym];
        f->key.seq = l->seq;
        if (f->key.has_from) {
            int64_t used = l->ts_ms - f->key.from_ts + 1;
            f->win = used > 1 ? used : 1;
            f->key.from_ts = l->ts_ms;
            set_to(f, l->ts_ms);
        }
        f->day_more = true;
        return;
    }
    if (!f->key.has_to) {
        f->day_more = false;
        return;
    }
    int64_t grow = f->page_n > 0 ? f->page_rows / f->page_n : 8;
    grow = grow < 2 ? 2 : grow > 8 ? 8 : grow;
    f->win = f->win < INT64_MAX / 16 ? f->win * grow : INT64_MAX / 2;
    f->key.has_last = 0;
    f->key.from_ts = f->key.to_ts;
    set_to(f, f->key.from_ts);
    f->day_more = true;
}

/* Ask for the next page of day day_i. 0 (page_n rows, maybe none), -1
 * with a message in f->base.err. */
static int fetch_page(ch_feed *f)
{
    ch_result res;
    long k = qte_chfeed_page_sql(f->sql, f->sql_cap, f->db, f->days[f->day_i],
                                 f->in_list, &f->key, f->page_rows);
    if (k < 0) {
        snprintf(f->base.err, sizeof(f->base.err), "day %d: query too long",
                 f->days[f->day_i]);
        return -1;
    }
    f->page_n = 0;
    f->page_i = 0;
    f->perr[0] = '\0';
    ch_buf_reset(&f->carry);
    int rc = ch_query_stream(&f->cli, f->sql, sink, f, &res);
    if (rc == 0 && f->carry.n != 0)
        snprintf(f->perr, sizeof(f->perr), "the answer ends inside a row");
    if (rc != 0 || f->perr[0]) {
        request_fail(f, rc, &res, f->base.err, sizeof(f->base.err));
        ch_result_free(&res);
        f->page_n = 0;
        return -1;
    }
    ch_result_free(&res);
    next_window(f);
    return 0;
}

static int chf_next(qte_feed *base, qte_tick *t, int *day, bool *new_day)
{
    ch_feed *f = (ch_feed *)base;
    for (;;) {
        if (f->page_i < f->page_n) {
            const pg_row *r = &f->page[f->page_i++];
            t->ts_ms = r->ts_ms;
            t->sym = r->sym;
            t->symbol = f->symbols[r->sym];
            t->price_milli = r->price_milli;
            t->volume = r->volume;
            t->seq = r->seq;
            *day = f->days[f->day_i];
            *new_day = f->day_new;
            f->day_new = false;
            f->rows_read++;
            return QTE_FEED_ROW;
        }
        if (f->day_i >= f->ndays)
            return QTE_FEED_END;
        if (f->day_more) {
            if (fetch_page(f) != 0)
                return QTE_FEED_ERR;
            continue;
        }
        if (++f->day_i >= f->ndays)
            return QTE_FEED_END;
        f->day_new = true;
        start_day(f);
    }
}

static int chf_seek(qte_feed *base, int64_t ts_ms)
{
    ch_feed *f = (ch_feed *)base;
    f->seek_set = true;
    f->seek_ts = ts_ms;
    f->day_i = 0;
    f->rows_read = 0;
    if (f->ndays > 0)
        start_day(f);
    return 0;
}

static double chf_progress(const qte_feed *base)
{
    const ch_feed *f = (const ch_feed *)base;
    return qte_feed_ratio(f->day_i, f->ndays, f->rows_read, f->rows_total);
}

static void chf_close(qte_feed *base)
{
    ch_feed *f = (ch_feed *)base;
    ch_client_free(&f->cli);
    ch_buf_free(&f->carry);
    free(f->stat);
    free(f->in_list);
    free(f->sql);
    free(f->page);
    free(f);
}

static const qte_feed_ops ch_ops = {chf_next, chf_seek, chf_progress,
                                    chf_close};

/* The symbols as 'a','b',... into f->in_list. 0 or -1 (no memory). */
static int build_in_list(ch_feed *f)
{
    size_t cap = 1;
    for (int i = 0; i < f->nsym; i++)
        cap += 2 * strlen(f->symbols[i]) + 4;
    f->in_list = malloc(cap);
    if (!f->in_list)
        return -1;
    size_t n = 0;
    f->in_list[0] = '\0';
    for (int i = 0; i < f->nsym; i++) {
        if (i)
            f->in_list[n++] = ',';
        long k = qte_chfeed_quote(f->symbols[i], f->in_list + n, cap - n);
        if (k < 0)
            return -1;
        n += (size_t)k;
    }
    /* a page query: the list, a keyset with a symbol twice, the rest */
    f->sql_cap =
        2 * n + 4 * QTE_CHFEED_MAX_SYMBOL + 1024 + 16 * (size_t)(f->ndays + 1);
    f->sql = malloc(f->sql_cap);
    return f->sql ? 0 : -1;
}

/* One line of the statistics answer into f->stat. 0, or -1 when it is
 * not four numbers. */
static int stat_line(ch_feed *f, const char *p, const char **end)
{
    long long v[4];
    char *e = (char *)p;
    for (int i = 0; i < 4; i++) {
        const char *b = e;
        v[i] = strtoll(b, &e, 10);
        if (e == b || *e != (i < 3 ? '\t' : '\n'))
            return -1;
        e++;
    }
    *end = e;
    for (int i = 0; i < f->ndays; i++) {
        if (f->days[i] == v[0]) {
            f->stat[i].rows = v[1];
            f->stat[i].min_ts = v[2];
            f->stat[i].max_ts = v[3];
            f->rows_total += v[1];
        }
    }
    return 0;
}

/* The statistics query (count, first and last trade per day) over the
 * run: checks server and table; sizes windows and progress(). */
static int read_stats(ch_feed *f, char *err, size_t errlen)
{
    ch_result res;
    if (qte_chfeed_stats_sql(f->sql, f->sql_cap, f->db, f->days, f->ndays,
                             f->in_list) < 0) {
        snprintf(err, errlen, "days: not dates, or too many");
        return -1;
    }
    int rc = ch_query(&f->cli, f->sql, &res);
    if (rc != 0) {
        request_fail(f, rc, &res, err, errlen);
        ch_result_free(&res);
        return -1;
    }
    const char *p = res.body;
    while (*p && stat_line(f, p, &p) == 0)
        ;
    bool ok = *p == '\0';
    ch_result_free(&res);
    if (!ok) {
        snprintf(err, errlen,
                 "ClickHouse at %s: %s.ticks: statistics not understood",
                 f->shown, f->db);
        return -1;
    }
    return 0;
}

/* url for messages: without user:password@ and without the query (either
 * may hold a password). */
static void shown_url(const char *url, char *out, size_t cap)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    size_t auth = strcspn(host, "@/?");
    const char *rest = host[auth] == '@' ? host + auth + 1 : host;
    snprintf(out, cap, "%.*s%.*s", (int)(host - url), url,
             (int)strcspn(rest, "?"), rest);
}

static int setup(ch_feed *f, const qte_feed_args *a, char *err, size_t errlen)
{
    const qte_config *c = a->cfg;
    shown_url(c->clickhouse_url, f->shown, sizeof(f->shown));
    snprintf(f->db, sizeof(f->db), "%s", c->clickhouse_database);
    if (!ch_ident_ok(f->db)) {
        snprintf(err, errlen, "QTE_CLICKHOUSE_DATABASE=%s: not an identifier",
                 f->db);
        return -1;
    }
    f->symbols = a->symbols;
    f->nsym = a->nsym;
    f->days = a->days;
    f->ndays = a->ndays;
    f->page_rows = c->clickhouse_page_rows > 0 ? c->clickhouse_page_rows : 1;
    f->stat = calloc((size_t)(a->ndays > 0 ? a->ndays : 1), sizeof(day_stat));
    f->page = malloc(sizeof(pg_row) * (size_t)f->page_rows);
    if (!f->stat || !f->page || build_in_list(f) != 0 ||
        ch_buf_init(&f->carry, 65536) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (ch_global_init() != 0 ||
        ch_client_init(&f->cli, c->clickhouse_url, c->clickhouse_timeout_ms) !=
            0) {
        snprintf(err, errlen, "QTE_CLICKHOUSE_URL=%s: cannot set up a client",
                 f->shown);
        return -1;
    }
    return 0;
}

qte_feed *qte_feed_clickhouse_open(const qte_feed_args *a, char *err,
                                   size_t errlen)
{
    ch_feed *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->base.ops = &ch_ops;
    if (setup(f, a, err, errlen) != 0 || read_stats(f, err, errlen) != 0) {
        chf_close(&f->base);
        return NULL;
    }
    if (f->ndays > 0)
        start_day(f);
    return &f->base;
}
