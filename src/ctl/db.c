/*
 * db.c - `hk-tickctl db stats|symbols|symbol|top-symbols` (compat.md §7.2).
 *
 * stats and symbols describe the whole file: rows are summed over every
 * trading_day row of hk_symbol_totals (constant cost), falling back to a
 * COUNT(*) / GROUP BY scan for files without that table. symbol reads the
 * newest rows of one symbol backwards along the (symbol, trading_day,
 * ts_ms) index. top-symbols finds MAX(ts_ms) (totals or scan), then sums
 * only the window per (trading_day, symbol) through the same index.
 * Every failure prints one FAIL line; the exit codes are ctl.h's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "ctl/ctl.h"

/* Open c->db_path read-only and check the ticks table; prints the FAIL. */
static int open_day(ctl_ctx *c, sqlite3 **db)
{
    *db = NULL;
    if (ctl_file_size(c->db_path) < 0)
        return ctl_fail(c, CTL_USAGE, "db_not_found", c->db_path);
    if (ctl_open_ro(c->db_path, db) != SQLITE_OK) {
        int rc = ctl_fail(c, CTL_RUNTIME, "db_open_failed",
                          *db ? sqlite3_errmsg(*db) : c->db_path);
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    if (!ctl_has_table(*db, "ticks")) {
        sqlite3_close(*db);
        *db = NULL;
        return ctl_fail(c, CTL_USAGE, "ticks_table_missing", NULL);
    }
    return CTL_OK;
}

static int64_t q_int(sqlite3 *db, const char *sql, bool *ok)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    *ok = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        *ok = true;
    }
    sqlite3_finalize(st);
    return v;
}

static int db_stats(ctl_ctx *c)
{
    sqlite3 *db;
    bool ok1, ok2, ok3, ok4, ok5;
    int64_t rows, max_ts, idx, pc, ps, fdb, fwal, fshm;
    char p[1300];
    int rc = open_day(c, &db);

    if (rc != CTL_OK)
        return rc;
    if (ctl_has_table(db, "hk_symbol_totals")) {
        rows = q_int(db,
                     "SELECT COALESCE(SUM(rows), 0) FROM "
                     "hk_symbol_totals",
                     &ok1);
        max_ts = q_int(db,
                       "SELECT COALESCE(MAX(max_ts_ms), 0) FROM "
                       "hk_symbol_totals",
                       &ok2);
    } else {
        rows = q_int(db, "SELECT COUNT(*) FROM ticks", &ok1);
        max_ts = q_int(db, "SELECT COALESCE(MAX(ts_ms), 0) FROM ticks", &ok2);
    }
    idx = q_int(db, "SELECT COUNT(*) FROM pragma_index_list('ticks')", &ok3);
    pc = q_int(db, "PRAGMA page_count", &ok4);
    ps = q_int(db, "PRAGMA page_size", &ok5);
    sqlite3_close(db);
    if (!(ok1 && ok2 && ok3 && ok4 && ok5))
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    fdb = ctl_file_size(c->db_path);
    snprintf(p, sizeof(p), "%s-wal", c->db_path);
    fwal = ctl_file_size(p);
    snprintf(p, sizeof(p), "%s-shm", c->db_path);
    fshm = ctl_file_size(p);
    if (fwal < 0)
        fwal = 0;
    if (fshm < 0)
        fshm = 0;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "db", json_string(c->db_path));
        json_object_set_new(o, "rows", json_integer(rows));
        json_object_set_new(o, "max_ts_ms", json_integer(max_ts));
        json_object_set_new(o, "indices", json_integer(idx));
        json_object_set_new(o, "approx_bytes_sqlite", json_integer(pc * ps));
        json_object_set_new(o, "file_bytes_db", json_integer(fdb));
        json_object_set_new(o, "file_bytes_wal", json_integer(fwal));
        json_object_set_new(o, "file_bytes_shm", json_integer(fshm));
        return ctl_json_out(o);
    }
    printf("=== DB 統計 ===\n");
    printf("db=%s\n", c->db_path);
    printf("rows=%lld\n", (long long)rows);
    printf("max_ts_ms=%lld\n", (long long)max_ts);
    printf("indices=%lld\n", (long long)idx);
    printf("approx_bytes_sqlite=%lld\n", (long long)(pc * ps));
    printf("file_bytes_db=%lld\n", (long long)fdb);
    printf("file_bytes_wal=%lld\n", (long long)fwal);
    printf("file_bytes_shm=%lld\n", (long long)fshm);
    return CTL_OK;
}

static int db_symbols(ctl_ctx *c)
{
    sqlite3 *db;
    ctl_symrow *rows;
    int n, rc = open_day(c, &db);
    char b1[48], b2[48];
    json_t *arr = NULL;

    if (rc != CTL_OK)
        return rc;
    rc = ctl_symbol_totals(db, 0, &rows, &n, NULL);
    sqlite3_close(db);
    if (rc != 0)
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    if (c->json)
        arr = json_array();
    else
        printf("symbol,rows,latest_ts_hkt,last_tick_age_sec\n");
    for (int i = 0; i < n; i++) {
        double age = (double)(c->now_ms - rows[i].max_ts_ms) / 1000.0;
        ctl_fmt_hkt(rows[i].max_ts_ms, b1, sizeof(b1));
        ctl_fmt_age(age, b2, sizeof(b2));
        if (arr) {
            json_t *o = json_object();
            json_object_set_new(o, "symbol", json_string(rows[i].symbol));
            json_object_set_new(o, "rows", json_integer(rows[i].rows));
            json_object_set_new(o, "latest_ts_hkt", json_string(b1));
            json_object_set_new(o, "last_tick_age_sec", json_real(atof(b2)));
            json_array_append_new(arr, o);
        } else {
            printf("%s,%lld,%s,%s\n", rows[i].symbol, (long long)rows[i].rows,
                   b1, b2);
        }
    }
    free(rows);
    if (arr) {
        json_t *o = json_object();
        json_object_set_new(o, "db", json_string(c->db_path));
        json_object_set_new(o, "symbols", arr);
        return ctl_json_out(o);
    }
    return CTL_OK;
}

static void col_text(sqlite3_stmt *st, int i, bool real, char *buf, size_t cap)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        snprintf(buf, cap, "None");
    else if (real)
        ctl_fmt_real(sqlite3_column_double(st, i), buf, cap);
    else
        snprintf(buf, cap, "%lld", (long long)sqlite3_column_int64(st, i));
}

static json_t *col_json(sqlite3_stmt *st, int i, bool real)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return json_null();
    if (real)
        return json_real(sqlite3_column_double(st, i));
    return json_integer(sqlite3_column_int64(st, i));
}

static int db_symbol(ctl_ctx *c, const char *sym, long last)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int rc = open_day(c, &db);
    json_t *arr = NULL;

    if (rc != CTL_OK)
        return rc;
    /* trading_day follows ts_ms, so (trading_day DESC, ts_ms DESC) is
     * newest first and walks the index backwards without a sort. */
    if (sqlite3_prepare_v2(db,
                           "SELECT symbol, ts_ms, price, volume, turnover, "
                           "seq FROM ticks WHERE symbol = ? ORDER BY "
                           "trading_day DESC, ts_ms DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    }
    sqlite3_bind_text(st, 1, sym, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, last);
    if (c->json)
        arr = json_array();
    else
        printf("symbol,ts_hkt,price,volume,turnover,seq\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char ts[48], pr[48], vol[48], to[48], seq[48];
        const unsigned char *s = sqlite3_column_text(st, 0);
        ctl_fmt_hkt(sqlite3_column_int64(st, 1), ts, sizeof(ts));
        if (arr) {
            json_t *o = json_object();
            json_object_set_new(o, "symbol", json_string((const char *)s));
            json_object_set_new(o, "ts_hkt", json_string(ts));
            json_object_set_new(o, "ts_ms",
                                json_integer(sqlite3_column_int64(st, 1)));
            json_object_set_new(o, "price", col_json(st, 2, true));
            json_object_set_new(o, "volume", col_json(st, 3, false));
            json_object_set_new(o, "turnover", col_json(st, 4, true));
            json_object_set_new(o, "seq", col_json(st, 5, false));
            json_array_append_new(arr, o);
            continue;
        }
        col_text(st, 2, true, pr, sizeof(pr));
        col_text(st, 3, false, vol, sizeof(vol));
        col_text(st, 4, true, to, sizeof(to));
        col_text(st, 5, false, seq, sizeof(seq));
        printf("%s,%s,%s,%s,%s,%s\n", s ? (const char *)s : "", ts, pr, vol, to,
               seq);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    }
    if (arr) {
        json_t *o = json_object();
        json_object_set_new(o, "db", json_string(c->db_path));
        json_object_set_new(o, "symbol", json_string(sym));
        json_object_set_new(o, "rows", arr);
        return ctl_json_out(o);
    }
    return CTL_OK;
}

struct top {
    char symbol[48];
    int64_t rows;
    double turnover;
    int64_t volume;
    int64_t latest;
};

static int top_metric;

static int top_cmp(const void *a, const void *b)
{
    const struct top *x = a, *y = b;
    double dx = top_metric == 1   ? x->turnover
                : top_metric == 2 ? (double)x->volume
                                  : (double)x->rows;
    double dy = top_metric == 1   ? y->turnover
                : top_metric == 2 ? (double)y->volume
                                  : (double)y->rows;
    if (dx != dy)
        return dx > dy ? -1 : 1;
    return strcmp(x->symbol, y->symbol);
}

/* Add one window aggregate row into v (merging by symbol). */
static int top_add(struct top **v, int *n, int *cap, const char *sym,
                   int64_t rows, double to, int64_t vol, int64_t latest)
{
    for (int i = 0; i < *n; i++) {
        if (strcmp((*v)[i].symbol, sym) == 0) {
            (*v)[i].rows += rows;
            (*v)[i].turnover += to;
            (*v)[i].volume += vol;
            if (latest > (*v)[i].latest)
                (*v)[i].latest = latest;
            return 0;
        }
    }
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        struct top *nv = realloc(*v, (size_t)nc * sizeof(**v));
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    snprintf((*v)[*n].symbol, sizeof((*v)[*n].symbol), "%s", sym);
    (*v)[*n].rows = rows;
    (*v)[*n].turnover = to;
    (*v)[*n].volume = vol;
    (*v)[*n].latest = latest;
    (*n)++;
    return 0;
}

/* Window sums from hk_symbol_totals: only (day, symbol) pairs reaching
 * into the window, each summed over its index range [cutoff, ∞). Returns
 * SQLITE_DONE or an SQLite code. */
static int top_from_totals(sqlite3 *db, int64_t cutoff, struct top **v, int *n,
                           int *cap)
{
    sqlite3_stmt *st = NULL, *w = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT trading_day, symbol FROM "
                                "hk_symbol_totals WHERE max_ts_ms >= ?",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db,
            "SELECT COUNT(*), COALESCE(SUM(turnover), 0), "
            "COALESCE(SUM(volume), 0), MAX(ts_ms) FROM ticks "
            "WHERE symbol = ?1 AND trading_day = ?2 AND ts_ms >= ?3",
            -1, &w, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, cutoff);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            sqlite3_bind_value(w, 2, sqlite3_column_value(st, 0));
            sqlite3_bind_value(w, 1, sqlite3_column_value(st, 1));
            sqlite3_bind_int64(w, 3, cutoff);
            if (sqlite3_step(w) == SQLITE_ROW &&
                sqlite3_column_int64(w, 0) > 0 &&
                top_add(v, n, cap, (const char *)sqlite3_column_text(st, 1),
                        sqlite3_column_int64(w, 0), sqlite3_column_double(w, 1),
                        sqlite3_column_int64(w, 2),
                        sqlite3_column_int64(w, 3)) != 0) {
                rc = SQLITE_NOMEM;
                break;
            }
            sqlite3_reset(w);
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(w);
    return rc;
}

/* Window sums with one GROUP BY over ticks (files without totals). */
static int top_from_ticks(sqlite3 *db, int64_t cutoff, struct top **v, int *n,
                          int *cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT symbol, COUNT(*), COALESCE(SUM(turnover), 0), "
        "COALESCE(SUM(volume), 0), MAX(ts_ms) FROM ticks "
        "WHERE ts_ms >= ? GROUP BY symbol",
        -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, cutoff);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (top_add(v, n, cap, (const char *)sqlite3_column_text(st, 0),
                        sqlite3_column_int64(st, 1),
                        sqlite3_column_double(st, 2),
                        sqlite3_column_int64(st, 3),
                        sqlite3_column_int64(st, 4)) != 0) {
                rc = SQLITE_NOMEM;
                break;
            }
    }
    sqlite3_finalize(st);
    return rc;
}

static int top_render(const ctl_ctx *c, const struct top *v, int n, long limit,
                      long minutes, const char *metric)
{
    if (c->json) {
        json_t *o = json_object();
        json_t *arr = json_array();
        json_object_set_new(o, "db", json_string(c->db_path));
        json_object_set_new(o, "metric", json_string(metric));
        json_object_set_new(o, "window_minutes", json_integer(minutes));
        json_object_set_new(o, "limit", json_integer(limit));
        for (int i = 0; i < n; i++) {
            json_t *r = json_object();
            char b[48];
            json_object_set_new(r, "symbol", json_string(v[i].symbol));
            json_object_set_new(r, "rows", json_integer(v[i].rows));
            json_object_set_new(r, "turnover", json_real(v[i].turnover));
            json_object_set_new(r, "volume", json_integer(v[i].volume));
            json_object_set_new(
                r, "latest_ts_hkt",
                json_string(ctl_fmt_hkt(v[i].latest, b, sizeof(b))));
            json_object_set_new(r, "last_tick_age_sec",
                                json_real(atof(ctl_fmt_age(
                                    (double)(c->now_ms - v[i].latest) / 1000.0,
                                    b, sizeof(b)))));
            json_array_append_new(arr, r);
        }
        json_object_set_new(o, "symbols", arr);
        return ctl_json_out(o);
    }
    printf("=== Top Symbols ===\n");
    printf("db=%s\n", c->db_path);
    printf("metric=%s\n", metric);
    printf("window_minutes=%ld\n", minutes);
    printf("limit=%ld\n", limit);
    printf("symbol,rows,turnover,volume,latest_ts_hkt,last_tick_age_sec\n");
    for (int i = 0; i < n; i++) {
        char b1[48], b2[48];
        printf("%s,%lld,%.3f,%lld,%s,%s\n", v[i].symbol, (long long)v[i].rows,
               v[i].turnover, (long long)v[i].volume,
               ctl_fmt_hkt(v[i].latest, b1, sizeof(b1)),
               ctl_fmt_age((double)(c->now_ms - v[i].latest) / 1000.0, b2,
                           sizeof(b2)));
    }
    return CTL_OK;
}

static int db_top(ctl_ctx *c, long limit, long minutes, const char *metric)
{
    sqlite3 *db;
    struct top *v = NULL;
    int n = 0, cap = 0, rc;
    bool ok, tot;
    int64_t max_ts;

    if (strcmp(metric, "rows") == 0)
        top_metric = 0;
    else if (strcmp(metric, "turnover") == 0)
        top_metric = 1;
    else if (strcmp(metric, "volume") == 0)
        top_metric = 2;
    else
        return ctl_fail(c, CTL_USAGE,
                        "invalid_metric_use_rows_turnover_or_volume", NULL);
    if ((rc = open_day(c, &db)) != CTL_OK)
        return rc;
    tot = ctl_has_table(db, "hk_symbol_totals");
    max_ts = tot ? q_int(db, "SELECT MAX(max_ts_ms) FROM hk_symbol_totals", &ok)
                 : q_int(db, "SELECT MAX(ts_ms) FROM ticks", &ok);
    if (!ok) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    }
    if (max_ts == 0) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_USAGE, "ticks_empty", NULL);
    }
    int64_t cutoff = max_ts - (int64_t)minutes * 60000;
    rc = tot ? top_from_totals(db, cutoff, &v, &n, &cap)
             : top_from_ticks(db, cutoff, &v, &n, &cap);
    sqlite3_close(db);
    if (rc != SQLITE_DONE) {
        free(v);
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    }
    if (n > 0)
        qsort(v, (size_t)n, sizeof(*v), top_cmp);
    if (n > limit)
        n = (int)limit;
    rc = top_render(c, v, n, limit, minutes, metric);
    free(v);
    return rc;
}

/* Options of `db`. */
struct db_opts {
    const char *metric;
    long last, limit, minutes;
};

#define DB_OFF(f) offsetof(struct db_opts, f)

static const opt_def db_table[] = {
    {"--last", "N", OPT_LONG, DB_OFF(last), 1, 100000, NULL,
     "rows of `db symbol` (default 20)", "--last must be 1-100000", true},
    {"--limit", "N", OPT_LONG, DB_OFF(limit), 1, 50, NULL,
     "symbols of `db top-symbols` (default 10)", "--limit must be 1-50", true},
    {"--minutes", "N", OPT_LONG, DB_OFF(minutes), 1, 240, NULL,
     "window of `db top-symbols`", "--minutes must be 1-240", true},
    {"--metric", "M", OPT_STR0, DB_OFF(metric), 0, 0, NULL,
     "rows, turnover or volume", NULL, false},
};

int ctl_cmd_db(ctl_ctx *c, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    const char *sym = NULL;
    const char *metric = "rows";
    long last = 20, limit = 10, minutes = -1;

    if (!sub)
        return ctl_usage(c, "db: missing subcommand (stats, symbols, "
                            "symbol, top-symbols)");
    if (strcmp(sub, "stats") && strcmp(sub, "symbols") &&
        strcmp(sub, "symbol") && strcmp(sub, "top-symbols"))
        return ctl_usage(c, "db: unknown subcommand '%s'", sub);
    struct db_opts o = {
        .metric = "rows", .last = 20, .limit = 10, .minutes = -1};
    char unknown[64];
    util_fmt(unknown, sizeof(unknown), "db %s: unknown argument '%%s'", sub);
    /* argv + 1: the table scan starts after the subcommand. */
    int rc = ctl_opts_pos(c, db_table, sizeof(db_table) / sizeof(db_table[0]),
                          &o, argc - 1, argv + 1, unknown,
                          strcmp(sub, "symbol") == 0 ? &sym : NULL);
    if (rc != CTL_OK)
        return rc;
    metric = o.metric;
    last = o.last;
    limit = o.limit;
    minutes = o.minutes;
    if (strcmp(sub, "stats") == 0)
        return db_stats(c);
    if (strcmp(sub, "symbols") == 0)
        return db_symbols(c); /* --minutes accepted, unused (§7.2) */
    if (strcmp(sub, "symbol") == 0) {
        if (!sym)
            return ctl_usage(c, "db symbol: missing SYMBOL");
        return db_symbol(c, sym, last);
    }
    return db_top(c, limit, minutes < 0 ? 15 : minutes, metric);
}
