/*
 * ch.h - a ClickHouse HTTP client (libcurl): queries, RowBinary inserts
 * and the `ticks` schema.
 *
 * One ch_client is one keep-alive connection to CLICKHOUSE_URL
 * (http://host:port, optionally with a path and ?user=&password=); it
 * belongs to one thread. Every call is synchronous and bounded by the
 * client's timeout. Errors are reported through ch_result: the HTTP
 * status (0 when no answer came), ClickHouse's exception code from the
 * X-ClickHouse-Exception-Code header (0 when absent) and a one-line text
 * (curl's error, or the start of ClickHouse's error body).
 *
 * 18.16 facts that shape the schema: no DateTime64 (ts_ms is Int64), no
 * TTL (cold-store drops partitions), no insert block dedup (a redelivered
 * batch inserts twice; ReplacingMergeTree and FINAL remove the copies),
 * and merged-away parts reappear after a restart within the default
 * old_parts_lifetime of 480 s (the table sets 5 s).
 */
#ifndef HK_CLICKHOUSE_CH_H
#define HK_CLICKHOUSE_CH_H

#include <stdbool.h>
#include <stddef.h>

#include "clickhouse/rowbin.h"

typedef struct ch_client {
    char url[512];   /* base URL without a trailing '/' */
    long timeout_ms; /* per request, connect included */
    void *curl;      /* CURL easy handle, reused for keep-alive */
} ch_client;

typedef struct ch_result {
    long status;   /* HTTP status; 0 = no answer (connect/timeout) */
    int exception; /* X-ClickHouse-Exception-Code, 0 = none */
    char err[256]; /* "" on success; else one line of text */
    char *body;    /* query answer (malloc'd, caller frees) or NULL */
    size_t body_len;
} ch_result;

/* Column list of the ticks table in RowBinary order. */
#define CH_TICKS_COLUMNS                                                       \
    "market, symbol, ts_ms, price, volume, turnover, direction, seq, "         \
    "tick_type, push_type, provider, trading_day, recv_ts_ms, "                \
    "inserted_at_ms"

/*
 * Set up a client for url (trailing '/' dropped). Returns 0, -EINVAL for
 * an empty or over-long URL, or -ENOMEM; on failure c needs no free.
 * curl_global_init must have run (ch_global_init) before threads start.
 */
int ch_client_init(ch_client *c, const char *url, long timeout_ms);
/* Close the connection and free c's handle; safe twice. */
void ch_client_free(ch_client *c);
/* curl_global_init once per process, before any thread. Returns 0 or -1. */
int ch_global_init(void);

/*
 * POST sql. Returns 0 when ClickHouse answered 200 (res->body holds the
 * answer, malloc'd, NUL-terminated, caller frees with ch_result_free);
 * -1 when no answer came (res->status 0, res->err curl's text); -2 for
 * an HTTP error (status, exception and err set, body NULL).
 */
int ch_query(ch_client *c, const char *sql, ch_result *res);

/*
 * A body receiver for ch_query_stream: called with each piece of a 200
 * answer as it arrives (pieces split anywhere, even inside a row). Returns
 * 0 to go on, or -1 to abort the transfer.
 */
typedef int (*ch_sink_fn)(void *ud, const void *p, size_t n);

/*
 * POST sql and hand a 200 answer's body to sink piece by piece instead of
 * collecting it (res->body stays NULL), so an answer of any size needs no
 * memory here. Returns 0 when the whole answer was delivered; -1 when no
 * or no complete answer came, or the sink aborted (res->err says which);
 * -2 for an HTTP error (as ch_query; the error body is not given to sink).
 */
int ch_query_stream(ch_client *c, const char *sql, ch_sink_fn sink, void *ud,
                    ch_result *res);

/*
 * INSERT INTO table (CH_TICKS_COLUMNS) FORMAT RowBinary with the n bytes
 * at data (whole rows) as the body. Returns 0 once ClickHouse answered
 * 200, which means the rows are written; -1 / -2 as ch_query (then
 * nothing may be assumed about the rows: retry the whole batch).
 */
int ch_insert_rowbinary(ch_client *c, const char *table, const void *data,
                        size_t n, ch_result *res);

/* Whether s is [A-Za-z_][A-Za-z0-9_]*, safe to paste into SQL unquoted as
 * a database or table name. */
bool ch_ident_ok(const char *s);

/* Free res->body (safe when NULL) and clear the result. */
void ch_result_free(ch_result *res);

/*
 * The CREATE TABLE statement of db.ticks into out (cap bytes). Returns 0,
 * or -ENOSPC when it does not fit (out then holds "").
 */
int ch_ticks_ddl(const char *db, char *out, size_t cap);
/* The same for db.table (same columns, engine and settings). */
int ch_ticks_ddl_named(const char *db, const char *table, char *out,
                       size_t cap);

/*
 * CREATE DATABASE IF NOT EXISTS db and CREATE TABLE IF NOT EXISTS
 * db.ticks. Idempotent. Returns 0, or the failing ch_query's code with
 * res describing the failure (res->body freed).
 */
int ch_ensure_schema(ch_client *c, const char *db, ch_result *res);

#endif
