/*
 * ch.c - the ClickHouse HTTP client (contract in ch.h).
 *
 * Each request resets the easy handle's options but keeps the handle, so
 * curl reuses the TCP connection. The response body is collected in a
 * ch_buf; the exception code comes from the header callback. An insert
 * sends the caller's buffer as the POST body (no copy), with the query in
 * the URL, which is how ClickHouse takes data plus statement in one
 * request. Nothing here retries: the caller decides (hot-store backs off
 * and keeps its batch).
 */
#include "clickhouse/ch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ch_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int ch_client_init(ch_client *c, const char *url, long timeout_ms)
{
    memset(c, 0, sizeof(*c));
    size_t n = url ? strlen(url) : 0;
    while (n > 0 && url[n - 1] == '/')
        n--;
    if (n == 0 || n >= sizeof(c->url))
        return -EINVAL;
    memcpy(c->url, url, n);
    c->url[n] = '\0';
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    c->curl = curl_easy_init();
    return c->curl ? 0 : -ENOMEM;
}

void ch_client_free(ch_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

bool ch_ident_ok(const char *s)
{
    if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (const char *p = s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok)
            return false;
    }
    return true;
}

void ch_result_free(ch_result *res)
{
    free(res->body);
    memset(res, 0, sizeof(*res));
}

/* Where a response body goes: into buf, or (a 200 answer with a sink)
 * to the caller's sink as it arrives. */
typedef struct body_dst {
    CURL *h;
    ch_buf buf;
    ch_sink_fn sink;
    void *ud;
} body_dst;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    body_dst *d = ud;
    if (d->sink) {
        long status = 0;
        curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200)
            return d->sink(d->ud, p, sz * n) == 0 ? sz * n : 0;
    }
    return ch_buf_append(&d->buf, p, sz * n) == 0 ? sz * n : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    static const char key[] = "X-ClickHouse-Exception-Code:";
    size_t len = sz * n;
    if (len > sizeof(key) && strncasecmp(p, key, sizeof(key) - 1) == 0)
        *(int *)ud = atoi(p + sizeof(key) - 1);
    return len;
}

/* One line of the error body: first 200 bytes, control chars as ' '. */
static void body_line(ch_result *res, const ch_buf *b)
{
    size_t n = b->n < sizeof(res->err) - 1 ? b->n : sizeof(res->err) - 1;
    while (n > 0 && isspace(b->p[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++)
        res->err[i] = iscntrl(b->p[i]) ? ' ' : (char)b->p[i];
    res->err[n] = '\0';
}

static int perform(ch_client *c, const char *url, const void *data, size_t n,
                   ch_result *res, ch_sink_fn sink, void *ud)
{
    CURL *h = c->curl;
    body_dst d = {.h = h, .sink = sink, .ud = ud};
    char cerr[CURL_ERROR_SIZE] = "";
    memset(res, 0, sizeof(*res));
    if (ch_buf_init(&d.buf, 1024) != 0) {
        snprintf(res->err, sizeof(res->err), "out of memory");
        return -1;
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &res->exception);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    struct curl_slist *hd = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hd);
    if (cc != CURLE_OK) {
        snprintf(res->err, sizeof(res->err), "%s",
                 cc == CURLE_WRITE_ERROR && sink ? "stopped by the receiver"
                 : cerr[0]                       ? cerr
                                                 : curl_easy_strerror(cc));
        ch_buf_free(&d.buf);
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
    if (res->status != 200) {
        body_line(res, &d.buf);
        ch_buf_free(&d.buf);
        return -2;
    }
    uint8_t nul = 0;
    if (ch_buf_append(&d.buf, &nul, 1) != 0) {
        ch_buf_free(&d.buf);
        snprintf(res->err, sizeof(res->err), "out of memory");
        return -1;
    }
    res->body = (char *)d.buf.p;
    res->body_len = d.buf.n - 1;
    return 0;
}

/* The URL a query is POSTed to: CLICKHOUSE_URL as given when it carries
 * parameters (?user=&password=), else with the root path. */
static const char *query_url(const ch_client *c, char *buf, size_t cap)
{
    if (strchr(c->url, '?'))
        return c->url;
    snprintf(buf, cap, "%s/", c->url);
    return buf;
}

int ch_query(ch_client *c, const char *sql, ch_result *res)
{
    char url[600];
    return perform(c, query_url(c, url, sizeof(url)), sql, strlen(sql), res,
                   NULL, NULL);
}

int ch_query_stream(ch_client *c, const char *sql, ch_sink_fn sink, void *ud,
                    ch_result *res)
{
    char url[600];
    return perform(c, query_url(c, url, sizeof(url)), sql, strlen(sql), res,
                   sink, ud);
}

int ch_insert_rowbinary(ch_client *c, const char *table, const void *data,
                        size_t n, ch_result *res)
{
    char sql[256];
    char url[1600];
    int k = snprintf(sql, sizeof(sql),
                     "INSERT INTO %s (" CH_TICKS_COLUMNS ") FORMAT RowBinary",
                     table);
    if (k < 0 || (size_t)k >= sizeof(sql)) {
        memset(res, 0, sizeof(*res));
        snprintf(res->err, sizeof(res->err), "table name too long");
        return -2;
    }
    char *esc = curl_easy_escape(c->curl, sql, 0);
    if (!esc) {
        memset(res, 0, sizeof(*res));
        snprintf(res->err, sizeof(res->err), "out of memory");
        return -1;
    }
    const char *sep = strchr(c->url, '?') ? "&" : "/?";
    snprintf(url, sizeof(url), "%s%squery=%s", c->url, sep, esc);
    curl_free(esc);
    return perform(c, url, data, n, res, NULL, NULL);
}

int ch_ticks_ddl(const char *db, char *out, size_t cap)
{
    return ch_ticks_ddl_named(db, "ticks", out, cap);
}

int ch_ticks_ddl_named(const char *db, const char *table, char *out, size_t cap)
{
    int k =
        snprintf(out, cap,
                 "CREATE TABLE IF NOT EXISTS %s.%s (\n"
                 "  market String, symbol String, ts_ms Int64,\n"
                 "  price Nullable(Float64), volume Nullable(Int64),\n"
                 "  turnover Nullable(Float64), direction Nullable(String),\n"
                 "  seq Nullable(Int64), tick_type Nullable(String),\n"
                 "  push_type Nullable(String), provider Nullable(String),\n"
                 "  trading_day Date, recv_ts_ms Int64, inserted_at_ms Int64\n"
                 ") ENGINE = ReplacingMergeTree PARTITION BY trading_day\n"
                 "  ORDER BY (symbol, ifNull(seq, 0), ts_ms)\n"
                 "  SETTINGS old_parts_lifetime = 5",
                 db, table);
    if (k < 0 || (size_t)k >= cap) {
        if (cap)
            out[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

int ch_ensure_schema(ch_client *c, const char *db, ch_result *res)
{
    char sql[1024];
    snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS %s", db);
    int rc = ch_query(c, sql, res);
    if (rc != 0)
        return rc;
    ch_result_free(res);
    if (ch_ticks_ddl(db, sql, sizeof(sql)) != 0) {
        snprintf(res->err, sizeof(res->err), "database name too long");
        return -2;
    }
    rc = ch_query(c, sql, res);
    if (rc == 0)
        ch_result_free(res);
    return rc;
}
