/*
 * status.c - `hk-tickctl status` (compat.md §7.3).
 *
 * Prints the day file's sizes, the systemd state of both units, the last
 * health and alert journal lines within --since, then the day's totals.
 * Totals come from hk_symbol_totals (one row per symbol: constant cost on
 * a 10-million-row day); files without that table (reference-written) fall
 * back to one GROUP BY over the (symbol, trading_day, ts_ms) index.
 * --symbols filters the per-symbol rows before the top-20 cut. Gaps come
 * from the gaps table (n/a when it is missing).
 */
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

#define TOP_N 20

static int by_rows_desc(const void *a, const void *b)
{
    const ctl_symrow *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows > y->rows ? -1 : 1;
    return strcmp(x->symbol, y->symbol);
}

/* Whether sym is in the comma-separated list (items trimmed). */
static bool in_csv(const char *csv, const char *sym)
{
    size_t n = strlen(sym);
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == n && strncmp(s, sym, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

/* Last line of text matching re, copied into buf; false if none. */
static bool last_match(const char *text, const char *re, char *buf, size_t cap)
{
    regex_t rx;
    bool found = false;
    const char *p = text;

    if (!text || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof(line), "%.*s", (int)len, p);
        if (regexec(&rx, line, 0, NULL, 0) == 0) {
            snprintf(buf, cap, "%s", line);
            found = true;
        }
        if (!e)
            break;
        p = e + 1;
    }
    regfree(&rx);
    return found;
}

static json_t *jstr_or_null(bool ok, const char *s)
{
    return ok ? json_string(s) : json_null();
}

/* Everything `status` reports, gathered before anything is rendered. */
struct st_result {
    const char *symbols; /* --symbols filter, NULL = all */
    const char *since;   /* --since, journal window */
    char svc1[64], svc2[64];
    char health[4096], alert[4096];
    bool have_health, have_alert, journal_available;
    int64_t db_size, wal_size; /* -1 when missing */
    const char *reason;        /* NULL, or why the day cannot be read */
    int64_t total, start, end;
    ctl_symrow *rows; /* top rows after filter and cut (malloc'd) */
    int kept;
    bool from_totals;
    bool have_gaps;
    int64_t gaps_total;
    double largest;
};

#define ST_OFF(f) offsetof(struct st_result, f)

static const opt_def st_table[] = {
    {"--symbols", "CSV", OPT_STR0, ST_OFF(symbols), 0, 0, NULL,
     "only these symbols (before the top-20 cut)", NULL, false},
    {"--since", "TIME", OPT_STR0, ST_OFF(since), 0, 0, NULL,
     "journal window (default 20 minutes ago)", NULL, false},
};

static int st_parse(ctl_ctx *c, int argc, char **argv, struct st_result *r)
{
    return ctl_opts(c, st_table, sizeof(st_table) / sizeof(st_table[0]), r,
                    argc, argv, "status: unknown argument '%s'");
}

/* File sizes, unit states, last health and alert journal lines. */
static void st_head(const ctl_ctx *c, struct st_result *r)
{
    char wal[1300];
    char *journal;

    snprintf(wal, sizeof(wal), "%s-wal", c->db_path);
    r->db_size = ctl_file_size(c->db_path);
    r->wal_size = ctl_file_size(wal);
    ctl_service_state(c->service_name, r->svc1, sizeof(r->svc1));
    ctl_service_state(c->futu_service_name, r->svc2, sizeof(r->svc2));
    journal = ctl_journal(c->service_name, r->since);
    r->journal_available = journal != NULL;
    r->have_health = last_match(journal, "health (connected|sid)=", r->health,
                                sizeof(r->health));
    r->have_alert = last_match(journal,
                               "severity=(WARN|ALERT)|WATCHDOG|alert_event "
                               "code=",
                               r->alert, sizeof(r->alert));
    free(journal);
}

/* The day's gap count and largest gap (have_gaps false without a table). */
static void st_gaps(const ctl_ctx *c, sqlite3 *db, struct st_result *r)
{
    sqlite3_stmt *st;
    char d[16];

    r->have_gaps = ctl_has_table(db, "gaps");
    if (!r->have_gaps)
        return;
    snprintf(d, sizeof(d), "%08d", c->day);
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*), COALESCE(MAX(gap_sec), 0) "
                           "FROM gaps WHERE trading_day = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        r->gaps_total = sqlite3_column_int64(st, 0);
        r->largest = sqlite3_column_double(st, 1);
    }
    sqlite3_finalize(st);
}

/* The day's totals and gaps; sets r->reason when the file can't be read. */
static void st_read_db(const ctl_ctx *c, struct st_result *r)
{
    sqlite3 *db = NULL;
    int n = 0;

    if (r->db_size < 0)
        r->reason = "db_not_found";
    else if (ctl_open_ro(c->db_path, &db) != SQLITE_OK)
        r->reason = "db_open_failed";
    else if (!ctl_has_table(db, "ticks"))
        r->reason = "ticks_table_missing";
    else if (ctl_symbol_totals(db, c->day, &r->rows, &n, &r->from_totals) != 0)
        r->reason = "db_query_failed";
    if (r->reason) {
        sqlite3_close(db);
        return;
    }
    for (int i = 0; i < n; i++) {
        r->total += r->rows[i].rows;
        if (!r->start || r->rows[i].min_ts_ms < r->start)
            r->start = r->rows[i].min_ts_ms;
        if (r->rows[i].max_ts_ms > r->end)
            r->end = r->rows[i].max_ts_ms;
    }
    /* Filter, then rank: --symbols applies before the top-20 cut. */
    for (int i = 0; i < n; i++)
        if (!r->symbols || in_csv(r->symbols, r->rows[i].symbol))
            r->rows[r->kept++] = r->rows[i];
    if (r->kept > 0)
        qsort(r->rows, (size_t)r->kept, sizeof(*r->rows), by_rows_desc);
    if (r->kept > TOP_N)
        r->kept = TOP_N;
    st_gaps(c, db, r);
    sqlite3_close(db);
}

static json_t *st_json_head(const ctl_ctx *c, const struct st_result *r)
{
    json_t *svc = json_object();
    json_t *doc = json_object();
    json_object_set_new(doc, "day", json_sprintf("%08d", c->day));
    json_object_set_new(doc, "db_path", json_string(c->db_path));
    json_object_set_new(doc, "db_size",
                        json_integer(r->db_size < 0 ? 0 : r->db_size));
    json_object_set_new(doc, "wal_size",
                        json_integer(r->wal_size < 0 ? 0 : r->wal_size));
    json_object_set_new(svc, c->service_name, json_string(r->svc1));
    json_object_set_new(svc, c->futu_service_name, json_string(r->svc2));
    json_object_set_new(doc, "services", svc);
    json_object_set_new(doc, "journal_available",
                        json_boolean(r->journal_available));
    json_object_set_new(doc, "since", json_string(r->since));
    json_object_set_new(doc, "health_line",
                        jstr_or_null(r->have_health, r->health));
    json_object_set_new(doc, "alert_line",
                        jstr_or_null(r->have_alert, r->alert));
    return doc;
}

static json_t *st_json_top(const ctl_ctx *c, const struct st_result *r)
{
    json_t *top = json_array();
    char b1[48];
    for (int i = 0; i < r->kept; i++) {
        json_t *o = json_object();
        double a = (double)(c->now_ms - r->rows[i].max_ts_ms) / 1000.0;
        json_object_set_new(o, "symbol", json_string(r->rows[i].symbol));
        json_object_set_new(o, "rows", json_integer(r->rows[i].rows));
        json_object_set_new(o, "latest_ts_ms",
                            json_integer(r->rows[i].max_ts_ms));
        json_object_set_new(
            o, "latest_hkt",
            json_string(ctl_fmt_hkt(r->rows[i].max_ts_ms, b1, sizeof(b1))));
        json_object_set_new(o, "last_tick_age_sec",
                            json_real(atof(ctl_fmt_age(a, b1, sizeof(b1)))));
        json_array_append_new(top, o);
    }
    return top;
}

static int st_render_json(const ctl_ctx *c, const struct st_result *r)
{
    json_t *doc = st_json_head(c, r);
    char b1[48];
    double age = (double)(c->now_ms - r->end) / 1000.0;

    if (r->reason) {
        json_object_set_new(doc, "result", json_string("FAIL"));
        json_object_set_new(doc, "reason", json_string(r->reason));
        ctl_json_out(doc);
        return CTL_OK;
    }
    json_object_set_new(doc, "ticks_total", json_integer(r->total));
    json_object_set_new(doc, "start_ts_ms",
                        r->start ? json_integer(r->start) : json_null());
    json_object_set_new(doc, "end_ts_ms",
                        r->end ? json_integer(r->end) : json_null());
    json_object_set_new(doc, "start_hkt",
                        json_string(ctl_fmt_hkt(r->start, b1, sizeof(b1))));
    json_object_set_new(doc, "end_hkt",
                        json_string(ctl_fmt_hkt(r->end, b1, sizeof(b1))));
    json_object_set_new(doc, "last_tick_age_sec",
                        r->end
                            ? json_real(atof(ctl_fmt_age(age, b1, sizeof(b1))))
                            : json_null());
    json_object_set_new(doc, "rows_by_symbol_top", st_json_top(c, r));
    json_object_set_new(doc, "gaps_total",
                        r->have_gaps ? json_integer(r->gaps_total)
                                     : json_null());
    json_object_set_new(doc, "largest_gap_sec",
                        r->have_gaps ? json_real(r->largest) : json_null());
    json_object_set_new(
        doc, "totals_source",
        json_string(r->from_totals ? "hk_symbol_totals" : "scan"));
    json_object_set_new(doc, "result", json_string("OK"));
    return ctl_json_out(doc);
}

static void st_render_text_head(const ctl_ctx *c, const struct st_result *r)
{
    printf("=== HK Tick 狀態 ===\n");
    printf("day=%08d\n", c->day);
    printf("db_path=%s\n", c->db_path);
    printf("db_size=%lld\n", (long long)(r->db_size < 0 ? 0 : r->db_size));
    printf("wal_size=%lld\n", (long long)(r->wal_size < 0 ? 0 : r->wal_size));
    printf("service.%s=%s\n", c->service_name, r->svc1);
    printf("service.%s=%s\n", c->futu_service_name, r->svc2);
    printf("[健康] %s\n",
           r->have_health ? r->health : "選定時間內沒有 health 訊息");
    printf("[告警] %s\n",
           r->have_alert ? r->alert : "選定時間內無 WARN/ALERT/WATCHDOG");
}

static void st_render_text(const ctl_ctx *c, const struct st_result *r)
{
    char b1[48], b2[48];
    double age = (double)(c->now_ms - r->end) / 1000.0;

    st_render_text_head(c, r);
    if (r->reason) {
        printf("result=FAIL reason=%s\n", r->reason);
        return;
    }
    printf("ticks_total=%lld\n", (long long)r->total);
    printf("start_hkt=%s\n", ctl_fmt_hkt(r->start, b1, sizeof(b1)));
    printf("end_hkt=%s\n", ctl_fmt_hkt(r->end, b1, sizeof(b1)));
    printf("last_tick_age_sec=%s\n",
           r->end ? ctl_fmt_age(age, b1, sizeof(b1)) : "n/a");
    printf("rows_by_symbol_top:\n");
    for (int i = 0; i < r->kept; i++) {
        double a = (double)(c->now_ms - r->rows[i].max_ts_ms) / 1000.0;
        printf("  %s rows=%lld latest_hkt=%s last_tick_age_sec=%s\n",
               r->rows[i].symbol, (long long)r->rows[i].rows,
               ctl_fmt_hkt(r->rows[i].max_ts_ms, b1, sizeof(b1)),
               ctl_fmt_age(a, b2, sizeof(b2)));
    }
    if (r->have_gaps) {
        printf("gaps_total=%lld\n", (long long)r->gaps_total);
        printf("largest_gap_sec=%s\n",
               ctl_fmt_real(r->largest, b1, sizeof(b1)));
    } else {
        printf("gaps_total=n/a\nlargest_gap_sec=n/a\n");
    }
}

int ctl_cmd_status(ctl_ctx *c, int argc, char **argv)
{
    struct st_result *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return ctl_fail(c, CTL_RUNTIME, "out_of_memory", NULL);
    r->since = "20 minutes ago";
    rc = st_parse(c, argc, argv, r);
    if (rc == CTL_OK) {
        st_head(c, r);
        st_read_db(c, r);
        if (c->json)
            rc = st_render_json(c, r);
        else
            st_render_text(c, r);
        if (r->reason)
            rc = strcmp(r->reason, "db_query_failed") == 0 ||
                         strcmp(r->reason, "db_open_failed") == 0
                     ? CTL_RUNTIME
                     : CTL_USAGE;
    }
    free(r->rows);
    free(r);
    return rc;
}
