/*
 * quality.c - the daily quality report (compat.md §8.2) and `validate`
 * (§8.3).
 *
 * ctl_quality_report reads the day file read-only: per-symbol totals
 * (hk_symbol_totals, or a GROUP BY scan), the gaps table, and one ordered
 * scan `SELECT symbol, ts_ms ... ORDER BY symbol, ts_ms` (served by the
 * (symbol, trading_day, ts_ms) index, no sort) that recomputes soft
 * stalls: per symbol, the distinct timestamps of the last
 * GAP_ACTIVE_WINDOW_SEC before the previous tick form the activity window;
 * a step prev -> ts with ts > prev is a stall when (window count + 1) >=
 * GAP_ACTIVE_MIN_TICKS, both instants lie on the same weekday (not a
 * FUTU_HOLIDAYS date) inside one TRADING_SESSIONS item, and ts - prev >
 * GAP_STALL_WARN_SEC. The window is
 * a ring of at most GAP_ACTIVE_MIN_TICKS timestamps, so the scan is O(rows)
 * time and O(1) memory per symbol. Lists in the report are capped at 20.
 * The variables are read through the collector's table (config_load_lookup:
 * same defaults, floors and parsers) and the window, active and session
 * rules are the gap detector's own (gapdet_window_*, gapdet_is_active,
 * gapdet_session_of); only the window's end differs: the report's window
 * ends at the previous tick, the detector's at the current one.
 *
 * validate combines the FAIL/WARN rules of §8.3, (re)generates the report
 * when needed and writes its verdict into the report's "validate" key.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/gapdet.h"
#include "common/hktime.h"
#include "ctl/ctl.h"

#define LIST_CAP 20

static double r3(double v)
{
    double r = round(v * 1000.0) / 1000.0;
    return r == 0 ? 0 : r;
}

static const char *lookup(const char *name, void *ud)
{
    return ctl_getenv(ud, name);
}

/*
 * The collector's settings as hk-tickctl sees them (environment, $ENV_FILE,
 * repository .env), through the collector's own table: the same defaults,
 * floors and parsers. A bad value falls back to its default, as before.
 * Returns a heap config (caller frees) or NULL when out of memory.
 */
static config *load_cfg(const ctl_ctx *c)
{
    config *cfg = malloc(sizeof(*cfg));
    if (cfg)
        (void)config_load_lookup(cfg, lookup, (void *)c);
    return cfg;
}

struct stall {
    char symbol[48];
    double sec;
    int64_t start, end;
};

struct stalls {
    struct stall top[LIST_CAP]; /* largest first */
    int n_top;
    int64_t total;
    double total_sec;
    double largest;
};

static void stall_add(struct stalls *s, const char *sym, int64_t a, int64_t b)
{
    double sec = (double)(b - a) / 1000.0;
    int pos;

    s->total++;
    s->total_sec += sec;
    if (sec > s->largest)
        s->largest = sec;
    pos = s->n_top;
    while (pos > 0 && s->top[pos - 1].sec < sec)
        pos--;
    if (pos >= LIST_CAP)
        return;
    if (s->n_top < LIST_CAP)
        s->n_top++;
    memmove(&s->top[pos + 1], &s->top[pos],
            (size_t)(s->n_top - 1 - pos) * sizeof(s->top[0]));
    snprintf(s->top[pos].symbol, sizeof(s->top[pos].symbol), "%s", sym);
    s->top[pos].sec = sec;
    s->top[pos].start = a;
    s->top[pos].end = b;
}

/* The ordered scan. Returns 0 or -1 on an SQLite error. */
static int scan_stalls(sqlite3 *db, int day, const config *q,
                       struct stalls *out)
{
    sqlite3_stmt *st;
    char d[16], cur[48] = "";
    int len = gapdet_ring_len(q->gap_active_min_ticks);
    int64_t *ring = calloc((size_t)len, sizeof(int64_t));
    int head = 0, cnt = 0, rc;
    int64_t prev = 0;
    bool have_prev = false;

    memset(out, 0, sizeof(*out));
    if (!ring)
        return -1;
    snprintf(d, sizeof(d), "%08d", day);
    if (sqlite3_prepare_v2(db,
                           "SELECT symbol, ts_ms FROM ticks WHERE "
                           "trading_day = ? ORDER BY symbol, ts_ms",
                           -1, &st, NULL) != SQLITE_OK) {
        free(ring);
        return -1;
    }
    sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sym = (const char *)sqlite3_column_text(st, 0);
        int64_t ts = sqlite3_column_int64(st, 1);
        if (!sym)
            sym = "";
        if (strcmp(sym, cur) != 0) {
            snprintf(cur, sizeof(cur), "%s", sym);
            have_prev = false;
            head = cnt = 0;
        }
        if (have_prev && ts <= prev)
            continue; /* state advances only on strictly increasing ts */
        if (have_prev) {
            /* The window is the W seconds ending at the previous tick. */
            int64_t lo = prev - (int64_t)q->gap_active_window_sec * 1000;
            int in_window = gapdet_window_count(ring, len, cnt, head, lo);
            if (gapdet_is_active(in_window, q->gap_active_min_ticks) &&
                (double)(ts - prev) / 1000.0 > q->gap_stall_warn_sec &&
                gapdet_session_of(q, prev, ts) >= 0)
                stall_add(out, sym, prev, ts);
        }
        gapdet_window_push(ring, len, &cnt, &head, ts);
        prev = ts;
        have_prev = true;
    }
    sqlite3_finalize(st);
    free(ring);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int by_rows(const void *a, const void *b)
{
    const ctl_symrow *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows > y->rows ? -1 : 1;
    return strcmp(x->symbol, y->symbol);
}

static json_t *hkt_json(int64_t ms)
{
    char b[32];
    return json_string(ctl_fmt_hkt(ms, b, sizeof(b)));
}

/* Gaps section; sets *largest, *total_sec. */
static json_t *gaps_json(sqlite3 *db, int day, double *largest,
                         double *total_sec)
{
    json_t *g = json_object(), *by = json_array();
    sqlite3_stmt *st;
    char d[16];
    int64_t total = 0;

    *largest = 0;
    *total_sec = 0;
    snprintf(d, sizeof(d), "%08d", day);
    if (db && sqlite3_prepare_v2(db,
                                 "SELECT symbol, COUNT(*), SUM(gap_sec), "
                                 "MAX(gap_sec) FROM gaps WHERE trading_day "
                                 "= ? GROUP BY symbol ORDER BY SUM(gap_sec) "
                                 "DESC, symbol",
                                 -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t n = sqlite3_column_int64(st, 1);
            double sum = sqlite3_column_double(st, 2);
            double mx = sqlite3_column_double(st, 3);
            total += n;
            *total_sec += sum;
            if (mx > *largest)
                *largest = mx;
            if (json_array_size(by) < LIST_CAP) {
                json_t *o = json_object();
                json_object_set_new(
                    o, "symbol",
                    json_string((const char *)sqlite3_column_text(st, 0)));
                json_object_set_new(o, "gaps", json_integer(n));
                json_object_set_new(o, "total_gap_sec", json_real(r3(sum)));
                json_object_set_new(o, "largest_gap_sec", json_real(r3(mx)));
                json_array_append_new(by, o);
            }
        }
        sqlite3_finalize(st);
    }
    *total_sec = r3(*total_sec);
    *largest = r3(*largest);
    json_object_set_new(g, "hard_gaps_total", json_integer(total));
    json_object_set_new(g, "hard_gaps_total_sec", json_real(*total_sec));
    json_object_set_new(g, "largest_gap_sec", json_real(*largest));
    json_object_set_new(g, "gaps_by_symbol", by);
    return g;
}

static const char *grade_of(int64_t rows, double largest, double total,
                            double stall_sec, const char **sugg)
{
    if (rows == 0) {
        *sugg = "ticks 為 0，請先確認採集服務與交易時段";
        return "D";
    }
    if (largest > 120 || total > 900) {
        *sugg = "存在嚴重缺口，建議盤後回補並重新驗證";
        return "D";
    }
    if (largest > 60 || total > 300) {
        *sugg = "存在 >60 秒缺口，建議執行回補或重拉指定 symbol";
        return "C";
    }
    if (total > 0 || stall_sec > 120) {
        *sugg = "有短暫停滯/缺口，回測前請先抽查主要 symbol";
        return "B";
    }
    *sugg = "資料連續性良好，可進入下游分析流程";
    return "A";
}

int ctl_quality_report(ctl_ctx *c, json_t **out)
{
    char path[1300], b[64], host[256] = "";
    json_t *doc = json_object(), *dbj = json_object(), *cov = json_object();
    json_t *vol = json_object(), *rps = json_array(), *obs = json_object();
    json_t *warn = json_array(), *stl = json_array(), *con = json_object();
    json_t *gaps;
    sqlite3 *db = NULL;
    ctl_symrow *rows = NULL;
    int n = 0, rc = CTL_OK;
    int64_t total = 0, start = 0, end = 0, sz;
    double largest = 0, gap_total = 0;
    config *q = load_cfg(c);
    struct stalls s;
    bool exists = ctl_file_size(c->db_path) >= 0, ticks = false;
    const char *sugg;

    *out = NULL;
    memset(&s, 0, sizeof(s));
    snprintf(b, sizeof(b), "%08d", c->day);
    json_object_set_new(doc, "trading_day",
                        json_sprintf("%.4s-%.2s-%.2s", b, b + 4, b + 6));
    json_object_set_new(doc, "trading_day_compact", json_string(b));
    {
        char iso[30], hk[20];
        int64_t now = hktime_now_ms();
        hktime_format_utc_iso(now, iso);
        hktime_format_hk(now, hk);
        json_object_set_new(doc, "generated_at_utc", json_string(iso));
        json_object_set_new(doc, "generated_at_hkt", json_string(hk));
    }
    gethostname(host, sizeof(host) - 1);
    json_object_set_new(doc, "host", json_string(host));
    json_object_set_new(doc, "collector_version", json_string(HK_VERSION));

    json_object_set_new(dbj, "path", json_string(c->db_path));
    json_object_set_new(dbj, "exists", json_boolean(exists));
    sz = ctl_file_size(c->db_path);
    json_object_set_new(dbj, "size_bytes", json_integer(sz < 0 ? 0 : sz));
    snprintf(path, sizeof(path), "%s-wal", c->db_path);
    sz = ctl_file_size(path);
    json_object_set_new(dbj, "wal_size_bytes", json_integer(sz < 0 ? 0 : sz));
    snprintf(path, sizeof(path), "%s-shm", c->db_path);
    sz = ctl_file_size(path);
    json_object_set_new(dbj, "shm_size_bytes", json_integer(sz < 0 ? 0 : sz));
    json_object_set_new(doc, "db", dbj);

    if (!exists) {
        json_array_append_new(warn, json_string("db_not_found"));
        rc = CTL_USAGE;
    } else if (ctl_open_ro(c->db_path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
        json_array_append_new(warn, json_string("db_not_found"));
        rc = CTL_RUNTIME;
    } else if (!(ticks = ctl_has_table(db, "ticks"))) {
        json_array_append_new(warn, json_string("ticks_table_missing"));
    }
    if (db && ticks) {
        if (ctl_symbol_totals(db, c->day, &rows, &n, NULL) != 0 || !q ||
            scan_stalls(db, c->day, q, &s) != 0)
            rc = CTL_RUNTIME;
    }
    if (db && !ctl_has_table(db, "gaps"))
        json_array_append_new(warn, json_string("gaps_table_missing"));
    gaps = gaps_json(db && ctl_has_table(db, "gaps") ? db : NULL, c->day,
                     &largest, &gap_total);
    sqlite3_close(db);

    for (int i = 0; i < n; i++) {
        total += rows[i].rows;
        if (!start || rows[i].min_ts_ms < start)
            start = rows[i].min_ts_ms;
        if (rows[i].max_ts_ms > end)
            end = rows[i].max_ts_ms;
    }
    json_object_set_new(cov, "start_ts_ms",
                        start ? json_integer(start) : json_null());
    json_object_set_new(cov, "end_ts_ms",
                        end ? json_integer(end) : json_null());
    json_object_set_new(cov, "start_hkt", hkt_json(start));
    json_object_set_new(cov, "end_hkt", hkt_json(end));
    json_object_set_new(cov, "duration_sec",
                        end ? json_real(r3((double)(end - start) / 1000.0))
                            : json_null());
    json_object_set_new(cov, "last_tick_age_sec",
                        end ? json_real(r3((double)(c->now_ms - end) / 1000.0))
                            : json_null());
    json_object_set_new(doc, "coverage", cov);

    if (n > 0)
        qsort(rows, (size_t)n, sizeof(*rows), by_rows);
    for (int i = 0; i < n && i < LIST_CAP; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "symbol", json_string(rows[i].symbol));
        json_object_set_new(o, "rows", json_integer(rows[i].rows));
        json_object_set_new(o, "latest_ts_ms", json_integer(rows[i].max_ts_ms));
        json_object_set_new(o, "latest_hkt", hkt_json(rows[i].max_ts_ms));
        json_array_append_new(rps, o);
    }
    free(rows);
    json_object_set_new(vol, "total_rows", json_integer(total));
    json_object_set_new(vol, "rows_per_symbol", rps);
    json_object_set_new(doc, "volume", vol);
    json_object_set_new(doc, "gaps", gaps);

    json_object_set_new(obs, "soft_stalls_total", json_integer(s.total));
    json_object_set_new(obs, "soft_stalls_total_sec",
                        json_real(r3(s.total_sec)));
    json_object_set_new(obs, "largest_stall_sec", json_real(r3(s.largest)));
    for (int i = 0; i < s.n_top; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "symbol", json_string(s.top[i].symbol));
        json_object_set_new(o, "stall_sec", json_real(r3(s.top[i].sec)));
        json_object_set_new(o, "stall_start_ts_ms",
                            json_integer(s.top[i].start));
        json_object_set_new(o, "stall_end_ts_ms", json_integer(s.top[i].end));
        json_object_set_new(o, "stall_start_hkt", hkt_json(s.top[i].start));
        json_object_set_new(o, "stall_end_hkt", hkt_json(s.top[i].end));
        json_array_append_new(stl, o);
    }
    json_object_set_new(obs, "soft_stalls", stl);
    json_object_set_new(obs, "warnings", warn);
    json_object_set_new(doc, "observations", obs);

    json_object_set_new(con, "quality_grade",
                        json_string(grade_of(total, largest, gap_total,
                                             r3(s.total_sec), &sugg)));
    json_object_set_new(con, "suggestions", json_pack("[s]", sugg));
    json_object_set_new(doc, "conclusion", con);

    ctl_report_path(c, path, sizeof(path));
    if (ctl_json_write_file(doc, path) != 0 && rc == CTL_OK)
        rc = CTL_RUNTIME;
    free(q);
    *out = doc;
    return rc;
}

/* ---- validate ---------------------------------------------------------- */

int ctl_cmd_validate(ctl_ctx *c, int argc, char **argv)
{
    bool regen = false, strict = false, exists;
    json_t *reasons = json_array(), *warnings = json_array(), *rep = NULL;
    const char *val, *status;
    char rpath[1300], d[16];
    double largest = 0, gap_total = 0;
    sqlite3 *db = NULL;

    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = ctl_opt(argc, argv, &i, "--regen-report", &val)) != 0) {
            if (m < 0 || ctl_parse_bool(val, &regen) != 0)
                goto usage;
        } else if ((m = ctl_opt(argc, argv, &i, "--strict", &val)) != 0) {
            if (m < 0 || ctl_parse_bool(val, &strict) != 0)
                goto usage;
        } else {
            json_decref(reasons);
            json_decref(warnings);
            return ctl_usage(c, "validate: unknown argument '%s'", argv[i]);
        }
    }
    snprintf(d, sizeof(d), "%08d", c->day);
    ctl_report_path(c, rpath, sizeof(rpath));
    exists = ctl_file_size(c->db_path) >= 0;
    if (!exists) {
        json_array_append_new(reasons,
                              json_sprintf("db_not_found:%s", c->db_path));
    } else if (ctl_open_ro(c->db_path, &db) != SQLITE_OK ||
               !ctl_has_table(db, "ticks")) {
        json_array_append_new(reasons, json_string("ticks_table_missing"));
    } else {
        sqlite3_stmt *st;
        bool tot = ctl_has_table(db, "hk_symbol_totals");
        int64_t count = 0;
        bool have_max = false;
        int64_t max_ts = 0;
        const char *sql =
            tot ? "SELECT COALESCE(SUM(rows), 0), MAX(max_ts_ms) FROM "
                  "hk_symbol_totals WHERE trading_day = ?"
                : "SELECT COUNT(*), MAX(ts_ms) FROM ticks WHERE "
                  "trading_day = ?";
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                count = sqlite3_column_int64(st, 0);
                have_max = sqlite3_column_type(st, 1) != SQLITE_NULL;
                max_ts = sqlite3_column_int64(st, 1);
            }
            sqlite3_finalize(st);
        }
        if (count == 0)
            json_array_append_new(reasons, json_string("ticks_count_is_zero"));
        if (!have_max)
            json_array_append_new(reasons, json_string("ticks_max_ts_missing"));
        else if (max_ts > c->now_ms + 300000)
            json_array_append_new(
                reasons, json_string("ticks_max_ts_too_far_in_future"));
        else if (max_ts > c->now_ms + 60000)
            json_array_append_new(
                warnings, json_string("ticks_max_ts_slightly_in_future"));
        if (!ctl_has_table(db, "gaps"))
            json_array_append_new(warnings, json_string("gaps_table_missing"));
    }
    sqlite3_close(db);

    if (exists) {
        if (!regen && ctl_file_size(rpath) >= 0)
            rep = json_load_file(rpath, 0, NULL);
        if (!json_is_object(rep)) {
            json_decref(rep);
            rep = NULL;
            (void)ctl_quality_report(c, &rep);
            if (rep && ctl_file_size(rpath) < 0) {
                json_decref(rep);
                rep = NULL;
            }
        }
        if (!rep) {
            json_array_append_new(warnings,
                                  json_string("quality_report_not_generated"));
        } else {
            json_t *g = json_object_get(rep, "gaps");
            largest = json_number_value(json_object_get(g, "largest_gap_sec"));
            gap_total =
                json_number_value(json_object_get(g, "hard_gaps_total_sec"));
        }
        if (strict && (largest > 60 || gap_total > 300))
            json_array_append_new(
                reasons, json_string("strict_mode_gap_threshold_exceeded"));
        else if (strict && gap_total > 0)
            json_array_append_new(warnings,
                                  json_string("strict_mode_gap_observed"));
    }
    status = json_array_size(reasons)    ? "FAIL"
             : json_array_size(warnings) ? "WARN"
                                         : "PASS";
    if (rep) {
        json_t *v = json_object(), *det = json_object();
        char iso[30];
        hktime_format_utc_iso(hktime_now_ms(), iso);
        json_object_set_new(v, "status", json_string(status));
        json_object_set_new(v, "strict", json_boolean(strict));
        json_object_set_new(v, "checked_at_utc", json_string(iso));
        json_object_set(v, "reasons", reasons);
        json_object_set(v, "warnings", warnings);
        json_object_set_new(det, "largest_gap_sec", json_real(largest));
        json_object_set_new(det, "hard_gaps_total_sec", json_real(gap_total));
        json_object_set_new(v, "details", det);
        json_object_set_new(rep, "validate", v);
        (void)ctl_json_write_file(rep, rpath);
        json_decref(rep);
    }

    char next[256];
    if (strcmp(status, "FAIL") == 0)
        snprintf(next, sizeof(next), "scripts/hk-tickctl status --day %s", d);
    else
        snprintf(next, sizeof(next),
                 "scripts/hk-tickctl export report --day %s --out "
                 "quality_%s.json",
                 d, d);
    int rc = strcmp(status, "FAIL") == 0 ? CTL_USAGE : CTL_OK;
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "day", json_string(d));
        json_object_set_new(o, "db", json_string(c->db_path));
        json_object_set_new(o, "report", json_string(rpath));
        json_object_set_new(o, "strict", json_boolean(strict));
        json_object_set_new(o, "reasons", reasons);
        json_object_set_new(o, "warnings", warnings);
        json_object_set_new(o, "next", json_string(next));
        ctl_json_out(o);
        return rc;
    }
    printf("VALIDATE %s day=%s\n", status, d);
    printf("db=%s\n", c->db_path);
    printf("report=%s\n", rpath);
    for (size_t i = 0; i < json_array_size(reasons); i++)
        printf("reason=%s\n", json_string_value(json_array_get(reasons, i)));
    for (size_t i = 0; i < json_array_size(warnings); i++)
        printf("warning=%s\n", json_string_value(json_array_get(warnings, i)));
    printf("next=%s\n", next);
    json_decref(reasons);
    json_decref(warnings);
    return rc;
usage:
    json_decref(reasons);
    json_decref(warnings);
    return ctl_usage(c, "validate: --regen-report and --strict take 0 or 1");
}
