/*
 * quarantine.c - `hk-tickctl quarantine`: what the collector set aside.
 *
 * Reads DATA_ROOT/_quarantine/<day>.db (format: collector/quarantine.h;
 * day = --day, default HK today) read-only and prints the rows per reason
 * and the first --limit rows (default 20, oldest first), as text or, with
 * --json, as one document. A missing file means nothing was quarantined
 * that day: rows=0, exit 0. Symbol names are printed escaped (they are
 * whatever the upstream sent).
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

struct qopts {
    long limit;
};

static const opt_def defs[] = {
    {"--limit", "N", OPT_LONG, offsetof(struct qopts, limit), 0, 100000, NULL,
     "first rows to show (default 20)", "invalid --limit: %s (0-100000)",
     false},
};

/* s with '"', '\\' and bytes outside 0x20..0x7e as \xHH, into buf. */
static const char *escaped(const char *s, char *buf, size_t cap)
{
    size_t k = 0;

    for (; *s && k + 5 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
            k += (size_t)snprintf(buf + k, cap - k, "\\x%02x", ch);
        else
            buf[k++] = (char)ch;
    }
    buf[k] = '\0';
    return buf;
}

static int by_reason(sqlite3 *db, json_t *o, bool text, long long *total)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT reason, count(*) FROM quarantine "
                                "GROUP BY reason ORDER BY count(*) DESC, "
                                "reason",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        long long n = sqlite3_column_int64(st, 1);
        *total += n;
        if (text)
            printf("reason=%s rows=%lld\n", r ? r : "", n);
        json_object_set_new(o, r ? r : "", json_integer(n));
    }
    sqlite3_finalize(st);
    return 0;
}

static int first_rows(sqlite3 *db, long limit, json_t *arr, bool text)
{
    sqlite3_stmt *st;
    char sym[256];
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT reason, symbol, ts_ms, price_text, volume, turnover_text, "
        "seq, direction, tick_type, push_type, recv_ts_ms, quarantined_at_ms "
        "FROM quarantine ORDER BY rowid LIMIT ?",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, limit);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *cols[12];
        for (int i = 0; i < 12; i++) {
            cols[i] = (const char *)sqlite3_column_text(st, i);
            if (!cols[i])
                cols[i] = "null";
        }
        escaped(cols[1], sym, sizeof(sym));
        if (text)
            printf("row reason=%s symbol=\"%s\" ts_ms=%s price=%s volume=%s "
                   "turnover=%s seq=%s push_type=%s recv_ts_ms=%s\n",
                   cols[0], sym, cols[2], cols[3], cols[4], cols[5], cols[6],
                   cols[9], cols[10]);
        json_t *r = json_object();
        json_object_set_new(r, "reason", json_string(cols[0]));
        json_object_set_new(r, "symbol", json_string(sym));
        json_object_set_new(r, "ts_ms",
                            json_integer(sqlite3_column_int64(st, 2)));
        json_object_set_new(r, "price_text", json_string(cols[3]));
        json_object_set_new(r, "volume",
                            json_integer(sqlite3_column_int64(st, 4)));
        json_object_set_new(r, "turnover_text", json_string(cols[5]));
        json_object_set_new(r, "seq",
                            sqlite3_column_type(st, 6) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 6)));
        json_object_set_new(r, "push_type", json_string(cols[9]));
        json_object_set_new(r, "recv_ts_ms",
                            json_integer(sqlite3_column_int64(st, 10)));
        json_array_append_new(arr, r);
    }
    sqlite3_finalize(st);
    return 0;
}

int ctl_cmd_quarantine(ctl_ctx *c, int argc, char **argv)
{
    struct qopts o = {.limit = 20};
    char path[1200];
    sqlite3 *db = NULL;
    json_t *doc = json_object(), *reasons = json_object(), *rows = json_array();
    long long total = 0;
    int rc = ctl_opts(c, defs, sizeof(defs) / sizeof(defs[0]), &o, argc, argv,
                      "unknown argument: %s");

    if (rc != CTL_OK) {
        json_decref(doc);
        json_decref(reasons);
        json_decref(rows);
        return rc;
    }
    snprintf(path, sizeof(path), "%s/_quarantine/%08d.db", c->data_root,
             c->day);
    if (!c->json)
        printf("quarantine day=%08d path=%s\n", c->day, path);
    if (ctl_file_size(path) >= 0) {
        if (ctl_open_ro(path, &db) != 0 || !ctl_has_table(db, "quarantine") ||
            by_reason(db, reasons, !c->json, &total) != 0 ||
            first_rows(db, o.limit, rows, !c->json) != 0) {
            sqlite3_close(db);
            json_decref(doc);
            json_decref(reasons);
            json_decref(rows);
            return ctl_fail(c, CTL_USAGE, "quarantine_unreadable", path);
        }
        sqlite3_close(db);
    }
    if (!c->json) {
        printf("rows=%lld\n", total);
        json_decref(doc);
        json_decref(reasons);
        json_decref(rows);
        return CTL_OK;
    }
    char day[16];
    snprintf(day, sizeof(day), "%08d", c->day);
    json_object_set_new(doc, "day", json_string(day));
    json_object_set_new(doc, "path", json_string(path));
    json_object_set_new(doc, "rows", json_integer(total));
    json_object_set_new(doc, "by_reason", reasons);
    json_object_set_new(doc, "first_rows", rows);
    return ctl_json_out(doc);
}
