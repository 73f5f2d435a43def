/*
 * config.c - cold-store's variable table.
 *
 * The table is the single place naming each variable, its default, its
 * bounds and its help; common/cfg.c layers the sources, parses, clamps and
 * reports. Checks across variables (identifiers, one server or two, the
 * copy mode) run after the table in cold_config_load. Defaults are the
 * runbook's (port 8086, marketprism_hot -> marketprism_cold, 3 days of
 * hot retention); docs/pipeline.md explains each.
 */
#include "cold/config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "common/log.h"

#define OFF(f) offsetof(cold_config, f)
#define NOLIM CFG_NO_FLOOR, -1e18, 1e18
#define STRV(n, f, d, h)                                                       \
    {                                                                          \
        n, CFG_STR, d, NOLIM, OFF(f), sizeof(((cold_config *)0)->f), h         \
    }
#define INTV(n, f, d, lo, hi, h)                                               \
    {                                                                          \
        n, CFG_INT, d, lo, 0, hi, OFF(f), 0, h                                 \
    }

static const char *const copy_modes[] = {"auto", "partition", "stream", NULL};

/* Positional entries leave the trailing fields zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const cfg_var vars[] = {
    STRV("CLICKHOUSE_URL", clickhouse_url, "http://127.0.0.1:8123",
         "ClickHouse HTTP interface holding the hot table"),
    STRV("COLD_CLICKHOUSE_URL", cold_clickhouse_url, "",
         "ClickHouse holding the cold table (empty = CLICKHOUSE_URL)"),
    STRV("HOT_DATABASE", hot_database, "marketprism_hot",
         "database of the hot ticks table"),
    STRV("COLD_DATABASE", cold_database, "marketprism_cold",
         "database of the cold ticks table (and ticks_staging)"),
    {"COLD_COPY_MODE", CFG_ENUM, "auto", NOLIM, OFF(copy_mode),
     sizeof(((cold_config *)0)->copy_mode),
     "auto (partition on one server, else stream), partition, stream", 0,
     copy_modes},
    INTV("HOT_RETENTION_DAYS", retention_days, "3", 0, 36500,
         "hot keeps closed days this many days, then drops them once "
         "verified in cold (0 = never drop)"),
    STRV("COLD_STATE_DIR", state_dir, "data/marketprism/cold",
         "directory of watermark.json (the verified windows)"),
    INTV("COLD_INTERVAL_SEC", interval_sec, "10", 1, 86400,
         "seconds between replication cycles"),
    INTV("COLD_SETTLE_SEC", settle_sec, "5", 0, 3600,
         "today's rows younger than this wait for the next cycle (s)"),
    INTV("COLD_CHUNK_MIB", chunk_mib, "8", 1, 1024,
         "stream mode: RowBinary sent to cold per insert (MiB)"),
    INTV("COLD_TIMEOUT_MS", timeout_ms, "300000", 1000, 3600000,
         "ClickHouse request timeout (ms)"),
    INTV("COLD_RETRY_MIN_MS", retry_min_ms, "1000", 10, 600000,
         "first back-off after a failed cycle (ms)"),
    INTV("COLD_RETRY_MAX_MS", retry_max_ms, "30000", 10, 3600000,
         "back-off cap (ms)"),
    INTV("COLD_STALE_SEC", stale_sec, "600", 10, 864000,
         "/health fails when no cycle completed for this long (s)"),
    INTV("COLD_MISMATCH_LIMIT", mismatch_limit, "3", 1, 1000,
         "/health fails after this many mismatched checks of one day in "
         "a row"),
    STRV("HTTP_BIND", http_host, "127.0.0.1", "address of /health, /metrics"),
    INTV("COLD_HTTP_PORT", http_port, "8086", -1, 65535,
         "port of /health and /metrics (0 = off, -1 = kernel-chosen)"),
    STRV("COLD_LOCK_FILE", lock_file, "",
         "lock file held while running (empty = none)"),
    CFG_LOG_VARS(cold_config),
};
#pragma GCC diagnostic pop

#define NVARS (sizeof(vars) / sizeof(vars[0]))
_Static_assert(NVARS <= CFG_MAX_VARS, "table too large");

static const cfg_table table = CFG_TABLE_OF(cold_config, vars);

const cfg_table *cold_config_table(void)
{
    return &table;
}

/* The same server when the URLs match after dropping trailing '/'. */
static bool same_url(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && a[na - 1] == '/')
        na--;
    while (nb > 0 && b[nb - 1] == '/')
        nb--;
    return na == nb && strncmp(a, b, na) == 0;
}

static int check_names(cold_config *cfg, const cfg_opts *opts)
{
    int errors = 0;
    if (!ch_ident_ok(cfg->hot_database)) {
        cfg_report(opts, "HOT_DATABASE", cfg->hot_database,
                   "not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        errors++;
    }
    if (!ch_ident_ok(cfg->cold_database)) {
        cfg_report(opts, "COLD_DATABASE", cfg->cold_database,
                   "not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        errors++;
    }
    if (cfg->same_server &&
        strcmp(cfg->hot_database, cfg->cold_database) == 0) {
        cfg_report(opts, "COLD_DATABASE", cfg->cold_database,
                   "equals HOT_DATABASE on the same server");
        errors++;
    }
    return errors;
}

int cold_config_load(cold_config *cfg, const cfg_opts *opts)
{
    int errors = cfg_load(&table, cfg, opts);
    if (!cfg->clickhouse_url[0]) {
        cfg_report(opts, "CLICKHOUSE_URL", "", "CLICKHOUSE_URL is empty");
        errors++;
    }
    cfg->same_server = !cfg->cold_clickhouse_url[0] ||
                       same_url(cfg->cold_clickhouse_url, cfg->clickhouse_url);
    errors += check_names(cfg, opts);
    if (strcmp(cfg->copy_mode, "partition") == 0 && !cfg->same_server) {
        cfg_report(opts, "COLD_COPY_MODE", cfg->copy_mode,
                   "partition copies need one server; COLD_CLICKHOUSE_URL "
                   "names another (use stream or auto)");
        errors++;
    }
    if (!cfg->state_dir[0]) {
        cfg_report(opts, "COLD_STATE_DIR", "", "COLD_STATE_DIR is empty");
        errors++;
    }
    if (cfg->retry_max_ms < cfg->retry_min_ms)
        cfg->retry_max_ms = cfg->retry_min_ms;
    return errors;
}

void cold_config_print(const cold_config *cfg, int fd)
{
    cfg_print(&table, cfg, fd);
}

void cold_config_print_reference(int fd)
{
    cfg_print_reference(&table, fd);
}
