/*
 * config.c - hot-store's variable table.
 *
 * The table is the single place naming each variable, its default, its
 * bounds and its help; common/cfg.c layers the sources, parses, clamps and
 * reports. Checks that involve the value's shape beyond the kind (SQL
 * identifiers, a NATS stream name, min <= max) run after the table in
 * hot_config_load, each reported as a config_error. The defaults are the
 * runbook's ports and names (docs/pipeline.md).
 */
#include "hot/config.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "common/log.h"
#include "hot/store.h"
#include "pipeline/stream.h"

#define OFF(f) offsetof(hot_config, f)
#define NOLIM CFG_NO_FLOOR, -1e18, 1e18
#define STRV(n, f, d, h)                                                       \
    {                                                                          \
        n, CFG_STR, d, NOLIM, OFF(f), sizeof(((hot_config *)0)->f), h          \
    }
#define INTV(n, f, d, lo, hi, h)                                               \
    {                                                                          \
        n, CFG_INT, d, lo, 0, hi, OFF(f), 0, h                                 \
    }

/* int64 settings; bounds equal the collector's for the same variable. */
#define I64V(n, f, d, lo, hi, h)                                               \
    {                                                                          \
        n, CFG_I64, d, CFG_NO_FLOOR, lo, hi, OFF(f), 0, h                      \
    }

/* Positional entries leave the trailing fields zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const cfg_var vars[] = {
    STRV("NATS_URL", nats_url, "nats://127.0.0.1:4222", "NATS server URL"),
    STRV("NATS_STREAM", nats_stream, "HK_TICKS", "JetStream stream name"),
    STRV("NATS_SUBJECTS", subjects, "hk.tick.>",
         "subject filter of the stream and the consumer"),
    STRV("HOT_CONSUMER", consumer, "hot-store", "durable consumer name"),
    I64V("NATS_STREAM_MAX_AGE_SEC", stream_max_age_sec, "604800", 0, 1e9,
         "stream retention (s), same as the publisher's; 0 = unlimited"),
    I64V("NATS_STREAM_MAX_BYTES", stream_max_bytes, "8589934592", 0, 1e15,
         "stream size limit (bytes), same as the publisher's; 0 = unlimited"),
    I64V("NATS_DUPLICATE_WINDOW_SEC", dup_window_sec, "600", 1, 86400 * 7,
         "stream Msg-Id duplicate window (s), same as the publisher's"),
    STRV("CLICKHOUSE_URL", clickhouse_url, "http://127.0.0.1:8123",
         "ClickHouse HTTP interface"),
    STRV("HOT_DATABASE", database, "marketprism_hot",
         "database of the hot ticks table"),
    INTV("HOT_BATCH_ROWS", batch_rows, "5000", 1, 100000,
         "rows per ClickHouse insert (at most)"),
    INTV("HOT_BATCH_MS", batch_ms, "200", 1, 600000,
         "longest a fetched row waits for its insert (ms)"),
    INTV("HOT_INSERT_TIMEOUT_MS", insert_timeout_ms, "30000", 100, 600000,
         "ClickHouse request timeout (ms)"),
    INTV("HOT_ACK_WAIT_SEC", ack_wait_sec, "60", 5, 3600,
         "consumer AckWait: unacked messages are redelivered after it (s)"),
    INTV("HOT_RETRY_MIN_MS", retry_min_ms, "250", 10, 600000,
         "first back-off after a failed insert (ms)"),
    INTV("HOT_RETRY_MAX_MS", retry_max_ms, "5000", 10, 600000,
         "back-off cap (ms)"),
    INTV("HOT_LAG_INTERVAL_SEC", lag_interval_sec, "5", 1, 3600,
         "how often consumer info (pending, lag) is read (s)"),
    INTV("HOT_STALE_SEC", stale_sec, "60", 1, 86400,
         "/health fails when a backlog waits longer than this for an insert"),
    INTV("HOT_DRAIN_SEC", drain_sec, "15", 0, 3600,
         "on SIGTERM, how long the in-flight batch may still be retried (s)"),
    STRV("HTTP_BIND", http_host, "127.0.0.1", "address of /health, /metrics"),
    INTV("HOT_HTTP_PORT", http_port, "8085", -1, 65535,
         "port of /health and /metrics (0 = off, -1 = kernel-chosen)"),
    STRV("HOT_LOCK_FILE", lock_file, "",
         "lock file held while running (empty = none)"),
    CFG_LOG_VARS(hot_config),
};
#pragma GCC diagnostic pop

#define NVARS (sizeof(vars) / sizeof(vars[0]))
_Static_assert(NVARS <= CFG_MAX_VARS, "table too large");

static const cfg_table table = CFG_TABLE_OF(hot_config, vars);

const cfg_table *hot_config_table(void)
{
    return &table;
}

int hot_config_load(hot_config *cfg, const cfg_opts *opts)
{
    int errors = cfg_load(&table, cfg, opts);
    if (!ch_ident_ok(cfg->database)) {
        cfg_report(opts, "HOT_DATABASE", cfg->database,
                   "not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        errors++;
    }
    if (!pipeline_stream_name_ok(cfg->nats_stream)) {
        cfg_report(opts, "NATS_STREAM", cfg->nats_stream, "not a stream name");
        errors++;
    }
    if (!pipeline_stream_name_ok(cfg->consumer)) {
        cfg_report(opts, "HOT_CONSUMER", cfg->consumer, "not a consumer name");
        errors++;
    }
    if (!cfg->nats_url[0]) {
        cfg_report(opts, "NATS_URL", "", "NATS_URL is empty");
        errors++;
    }
    if (!cfg->clickhouse_url[0]) {
        cfg_report(opts, "CLICKHOUSE_URL", "", "CLICKHOUSE_URL is empty");
        errors++;
    }
    if (cfg->retry_max_ms < cfg->retry_min_ms)
        cfg->retry_max_ms = cfg->retry_min_ms;
    /* A row must not wait in a batch until JetStream redelivers it. */
    if (cfg->batch_ms > cfg->ack_wait_sec * 500) {
        if (!opts || !opts->quiet)
            LOG(LOG_WARNING, LC_HOT,
                "config_clamped var=HOT_BATCH_MS value=%d used=%d",
                cfg->batch_ms, cfg->ack_wait_sec * 500);
        cfg->batch_ms = cfg->ack_wait_sec * 500;
    }
    return errors;
}

void hot_config_print(const hot_config *cfg, int fd)
{
    cfg_print(&table, cfg, fd);
}

void hot_config_print_reference(int fd)
{
    cfg_print_reference(&table, fd);
}
