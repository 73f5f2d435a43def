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

int ctl_cmd_status(ctl_ctx *c, int argc, char **argv)
{
    const char *symbols = NULL, *since = "20 minutes ago";
    char svc1[64], svc2[64], health[4096], alert[4096], b1[48], b2[48];
    bool have_health, have_alert, from_totals = false;
    int64_t db_size, wal_size;
    char wal[1300];
    char *journal;
    sqlite3 *db = NULL;
    ctl_symrow *rows = NULL;
    int n = 0, rc = CTL_OK;
    json_t *doc = NULL;

    for (int i = 1; i < argc; i++) {
        int m;
        if ((m = ctl_opt(argc, argv, &i, "--symbols", &symbols)) != 0 ||
            (m = ctl_opt(argc, argv, &i, "--since", &since)) != 0) {
            if (m < 0)
                return CTL_USAGE;
            continue;
        }
        return ctl_usage(c, "status: unknown argument '%s'", argv[i]);
    }

    snprintf(wal, sizeof(wal), "%s-wal", c->db_path);
    db_size = ctl_file_size(c->db_path);
    wal_size = ctl_file_size(wal);
    ctl_service_state(c->service_name, svc1, sizeof(svc1));
    ctl_service_state(c->futu_service_name, svc2, sizeof(svc2));
    journal = ctl_journal(c->service_name, since);
    have_health =
        last_match(journal, "health (connected|sid)=", health, sizeof(health));
    have_alert = last_match(journal,
                            "severity=(WARN|ALERT)|WATCHDOG|alert_event "
                            "code=",
                            alert, sizeof(alert));

    if (c->json) {
        json_t *svc = json_object();
        doc = json_object();
        json_object_set_new(doc, "day", json_sprintf("%08d", c->day));
        json_object_set_new(doc, "db_path", json_string(c->db_path));
        json_object_set_new(doc, "db_size",
                            json_integer(db_size < 0 ? 0 : db_size));
        json_object_set_new(doc, "wal_size",
                            json_integer(wal_size < 0 ? 0 : wal_size));
        json_object_set_new(svc, c->service_name, json_string(svc1));
        json_object_set_new(svc, c->futu_service_name, json_string(svc2));
        json_object_set_new(doc, "services", svc);
        json_object_set_new(doc, "journal_available",
                            json_boolean(journal != NULL));
        json_object_set_new(doc, "since", json_string(since));
        json_object_set_new(doc, "health_line",
                            jstr_or_null(have_health, health));
        json_object_set_new(doc, "alert_line", jstr_or_null(have_alert, alert));
    } else {
        printf("=== HK Tick 狀態 ===\n");
        printf("day=%08d\n", c->day);
        printf("db_path=%s\n", c->db_path);
        printf("db_size=%lld\n", (long long)(db_size < 0 ? 0 : db_size));
        printf("wal_size=%lld\n", (long long)(wal_size < 0 ? 0 : wal_size));
        printf("service.%s=%s\n", c->service_name, svc1);
        printf("service.%s=%s\n", c->futu_service_name, svc2);
        printf("[健康] %s\n",
               have_health ? health : "選定時間內沒有 health 訊息");
        printf("[告警] %s\n",
               have_alert ? alert : "選定時間內無 WARN/ALERT/WATCHDOG");
    }
    free(journal);

    const char *reason = NULL;
    if (db_size < 0)
        reason = "db_not_found";
    else if (ctl_open_ro(c->db_path, &db) != SQLITE_OK)
        reason = "db_open_failed";
    else if (!ctl_has_table(db, "ticks"))
        reason = "ticks_table_missing";
    else if (ctl_symbol_totals(db, c->day, &rows, &n, &from_totals) != 0)
        reason = "db_query_failed";
    if (reason) {
        rc = strcmp(reason, "db_query_failed") == 0 ||
                     strcmp(reason, "db_open_failed") == 0
                 ? CTL_RUNTIME
                 : CTL_USAGE;
        if (doc) {
            json_object_set_new(doc, "result", json_string("FAIL"));
            json_object_set_new(doc, "reason", json_string(reason));
            ctl_json_out(doc);
        } else {
            printf("result=FAIL reason=%s\n", reason);
        }
        sqlite3_close(db);
        return rc;
    }

    int64_t total = 0, start = 0, end = 0;
    for (int i = 0; i < n; i++) {
        total += rows[i].rows;
        if (!start || rows[i].min_ts_ms < start)
            start = rows[i].min_ts_ms;
        if (rows[i].max_ts_ms > end)
            end = rows[i].max_ts_ms;
    }
    /* Filter, then rank: --symbols applies before the top-20 cut. */
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (!symbols || in_csv(symbols, rows[i].symbol))
            rows[kept++] = rows[i];
    if (kept > 0)
        qsort(rows, (size_t)kept, sizeof(*rows), by_rows_desc);
    if (kept > TOP_N)
        kept = TOP_N;

    /* Gaps of the day. */
    bool have_gaps = ctl_has_table(db, "gaps");
    int64_t gaps_total = 0;
    double largest = 0;
    if (have_gaps) {
        sqlite3_stmt *st;
        char d[16];
        snprintf(d, sizeof(d), "%08d", c->day);
        if (sqlite3_prepare_v2(db,
                               "SELECT COUNT(*), COALESCE(MAX(gap_sec), 0) "
                               "FROM gaps WHERE trading_day = ?",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) {
                gaps_total = sqlite3_column_int64(st, 0);
                largest = sqlite3_column_double(st, 1);
            }
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);

    double age = (double)(c->now_ms - end) / 1000.0;
    if (doc) {
        json_t *top = json_array();
        json_object_set_new(doc, "ticks_total", json_integer(total));
        json_object_set_new(doc, "start_ts_ms",
                            start ? json_integer(start) : json_null());
        json_object_set_new(doc, "end_ts_ms",
                            end ? json_integer(end) : json_null());
        json_object_set_new(doc, "start_hkt",
                            json_string(ctl_fmt_hkt(start, b1, sizeof(b1))));
        json_object_set_new(doc, "end_hkt",
                            json_string(ctl_fmt_hkt(end, b1, sizeof(b1))));
        json_object_set_new(
            doc, "last_tick_age_sec",
            end ? json_real(atof(ctl_fmt_age(age, b1, sizeof(b1))))
                : json_null());
        for (int i = 0; i < kept; i++) {
            json_t *o = json_object();
            double a = (double)(c->now_ms - rows[i].max_ts_ms) / 1000.0;
            json_object_set_new(o, "symbol", json_string(rows[i].symbol));
            json_object_set_new(o, "rows", json_integer(rows[i].rows));
            json_object_set_new(o, "latest_ts_ms",
                                json_integer(rows[i].max_ts_ms));
            json_object_set_new(
                o, "latest_hkt",
                json_string(ctl_fmt_hkt(rows[i].max_ts_ms, b1, sizeof(b1))));
            json_object_set_new(
                o, "last_tick_age_sec",
                json_real(atof(ctl_fmt_age(a, b1, sizeof(b1)))));
            json_array_append_new(top, o);
        }
        json_object_set_new(doc, "rows_by_symbol_top", top);
        json_object_set_new(doc, "gaps_total",
                            have_gaps ? json_integer(gaps_total) : json_null());
        json_object_set_new(doc, "largest_gap_sec",
                            have_gaps ? json_real(largest) : json_null());
        json_object_set_new(
            doc, "totals_source",
            json_string(from_totals ? "hk_symbol_totals" : "scan"));
        json_object_set_new(doc, "result", json_string("OK"));
        free(rows);
        return ctl_json_out(doc);
    }

    printf("ticks_total=%lld\n", (long long)total);
    printf("start_hkt=%s\n", ctl_fmt_hkt(start, b1, sizeof(b1)));
    printf("end_hkt=%s\n", ctl_fmt_hkt(end, b1, sizeof(b1)));
    printf("last_tick_age_sec=%s\n",
           end ? ctl_fmt_age(age, b1, sizeof(b1)) : "n/a");
    printf("rows_by_symbol_top:\n");
    for (int i = 0; i < kept; i++) {
        double a = (double)(c->now_ms - rows[i].max_ts_ms) / 1000.0;
        printf("  %s rows=%lld latest_hkt=%s last_tick_age_sec=%s\n",
               rows[i].symbol, (long long)rows[i].rows,
               ctl_fmt_hkt(rows[i].max_ts_ms, b1, sizeof(b1)),
               ctl_fmt_age(a, b2, sizeof(b2)));
    }
    if (have_gaps) {
        printf("gaps_total=%lld\n", (long long)gaps_total);
        printf("largest_gap_sec=%s\n", ctl_fmt_real(largest, b1, sizeof(b1)));
    } else {
        printf("gaps_total=n/a\nlargest_gap_sec=n/a\n");
    }
    free(rows);
    return CTL_OK;
}
