/*
 * config.c - qte-engine's variable table (QTE_* names, plus DATA_ROOT,
 * REDIS_URL and the logging names every program shares).
 *
 * The table is the single place naming each variable, its default, its
 * bounds and its help; common/cfg.c layers the sources, parses, clamps and
 * reports. The fee defaults are HK's statutory rates in force since
 * 2023-11 (stamp duty 0.1 % each side, SFC levy 0.0027 %, AFRC levy
 * 0.00015 %, HKEX trading fee 0.00565 %, HKSCC settlement 0.002 % with a
 * HKD 2 minimum and HKD 100 maximum) and a typical online broker's
 * commission (0.03 %, minimum HKD 3); docs/engine.md explains each.
 */
#include "qte/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clickhouse/ch.h"
#include "common/log.h"

#define OFF(f) offsetof(qte_config, f)
#define NOLIM CFG_NO_FLOOR, -1e18, 1e18
#define STRV(n, f, d, h)                                                       \
    {                                                                          \
        n, CFG_STR, d, NOLIM, OFF(f), sizeof(((qte_config *)0)->f), h          \
    }
#define INTV(n, f, d, lo, hi, h)                                               \
    {                                                                          \
        n, CFG_INT, d, CFG_NO_FLOOR, lo, hi, OFF(f), 0, h                      \
    }
#define DBLV(n, f, d, lo, hi, h)                                               \
    {                                                                          \
        n, CFG_DBL, d, CFG_NO_FLOOR, lo, hi, OFF(f), 0, h                      \
    }

static const char *const modes[] = {"backtest", "realtime", "accelerated",
                                    "stepped", NULL};
static const char *const sources[] = {"dayfile", "clickhouse", "jetstream",
                                      NULL};
static const char *const live_starts[] = {"new", "day", "all", NULL};

static int parse_i64(void *obj, const cfg_var *v, const char *raw, char *err,
                     size_t errlen)
{
    char *end = NULL;
    while (*raw == ' ' || *raw == '\t')
        raw++;
    long long x = strtoll(raw, &end, 10);
    while (end && (*end == ' ' || *end == '\t' || *end == '\n'))
        end++;
    if (!raw[0] || !end || *end || x < 0) {
        snprintf(err, errlen, "not a non-negative integer");
        return -1;
    }
    *(int64_t *)((char *)obj + v->off) = x;
    return 0;
}

static void format_i64(const void *obj, const cfg_var *v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld",
             (long long)*(const int64_t *)((const char *)obj + v->off));
}

#define I64V(n, f, d, h)                                                       \
    {                                                                          \
        n, CFG_CUSTOM, d, NOLIM, OFF(f), 0, h, 0, NULL, parse_i64, format_i64  \
    }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const cfg_var vars[] = {
    STRV("DATA_ROOT", data_root, "/data/sqlite/HK",
         "day-file directory (read-only)"),
    {"QTE_SOURCE", CFG_ENUM, "dayfile", NOLIM, OFF(source_name),
     sizeof(((qte_config *)0)->source_name),
     "market data: dayfile (DATA_ROOT), clickhouse or jetstream (live)", 0,
     sources},
    /* QTE_SOURCE=clickhouse (feed_clickhouse.c) */
    STRV("QTE_CLICKHOUSE_URL", clickhouse_url, "http://127.0.0.1:8123",
         "ClickHouse HTTP interface (as CLICKHOUSE_URL of hot-store)"),
    STRV("QTE_CLICKHOUSE_DATABASE", clickhouse_database, "marketprism_hot",
         "database of the ticks table: marketprism_hot or marketprism_cold"),
    INTV("QTE_CLICKHOUSE_PAGE_ROWS", clickhouse_page_rows, "65536", 1, 4194304,
         "rows per ClickHouse query (memory: 40 bytes a row)"),
    INTV("QTE_CLICKHOUSE_TIMEOUT_MS", clickhouse_timeout_ms, "300000", 100,
         3600000, "ClickHouse request timeout, connect included (ms)"),
    /* live source (QTE_SOURCE=jetstream) */
    STRV("QTE_NATS_URL", nats_url, "nats://127.0.0.1:4222",
         "jetstream: NATS server URL(s), nats://host:port[,...]"),
    STRV("QTE_NATS_STREAM", nats_stream, "HK_TICKS",
         "jetstream: the stream the collector publishes to"),
    {"QTE_LIVE_START", CFG_ENUM, "new", NOLIM, OFF(live_start),
     sizeof(((qte_config *)0)->live_start),
     "jetstream: new (ticks from now), day (from HK midnight of QTE_DAYS' "
     "first day) or all (the whole stream)",
     0, live_starts},
    /* the day-file source's columnar cache (daycache.h) */
    STRV("QTE_CACHE_DIR", cache_dir, "",
         "columnar cache of replayed days (dayfile source; empty = off)"),
    STRV("QTE_DAYS", days, "", "trading days to replay: YYYYMMDD[,...]"),
    STRV("QTE_SYMBOLS", symbols, "", "symbols to replay: HK.00700[,...]"),
    {"QTE_MODE", CFG_ENUM, "backtest", NOLIM, OFF(mode_name),
     sizeof(((qte_config *)0)->mode_name),
     "backtest, realtime, accelerated or stepped", 0, modes},
    DBLV("QTE_SPEED", speed, "1", 0.001, 1e6,
         "accelerated mode: replay time per wall-clock time"),
    STRV("QTE_STRATEGY", strategy, "",
         "strategy shared object (.so); empty = null strategy"),
    STRV("QTE_STRATEGY_PARAMS", params, "",
         "strategy parameters: NAME=VALUE[,...]"),
    DBLV("QTE_INITIAL_CASH", initial_cash, "1000000", 0, 1e12,
         "starting cash (HKD)"),
    INTV("QTE_LATENCY_MS", latency_ms, "0", 0, 600000,
         "order latency: an order placed at t trades after t + this (ms)"),
    INTV("QTE_QUEUE_CAPACITY", queue_capacity, "65536", 16, 16777216,
         "event queue slots"),
    INTV("QTE_MAX_ORDERS", max_orders, "4096", 1, 1048576,
         "open orders at most (more are rejected: full)"),
    INTV("QTE_DEFAULT_LOT", default_lot, "100", 1, 1000000,
         "board lot of a symbol QTE_LOT_SIZES does not name (shares)"),
    STRV("QTE_LOT_SIZES", lot_sizes, "",
         "board lots: SYMBOL=SHARES[,...] (HK.00700=100,HK.00005=400)"),
    I64V("QTE_COMMIT_EVENTS", commit_events, "100000",
         "events between store checkpoints (0 = only at stop and end)"),
    I64V("QTE_EQUITY_EVERY_MS", equity_every_ms, "60000",
         "equity-curve sampling period in replay time (ms)"),
    DBLV("QTE_FEE_COMMISSION_RATE", fees.commission_rate, "0.0003", 0, 1,
         "broker commission, fraction of the order's value"),
    DBLV("QTE_FEE_COMMISSION_MIN", fees.commission_min, "3", 0, 1e6,
         "minimum commission per order (HKD)"),
    DBLV("QTE_FEE_STAMP_RATE", fees.stamp_rate, "0.001", 0, 1,
         "stamp duty per fill, rounded up to HKD 1"),
    DBLV("QTE_FEE_SFC_RATE", fees.sfc_rate, "0.000027", 0, 1,
         "SFC transaction levy"),
    DBLV("QTE_FEE_AFRC_RATE", fees.afrc_rate, "0.0000015", 0, 1,
         "AFRC transaction levy"),
    DBLV("QTE_FEE_TRADING_RATE", fees.trading_rate, "0.0000565", 0, 1,
         "HKEX trading fee"),
    DBLV("QTE_FEE_SETTLE_RATE", fees.settle_rate, "0.00002", 0, 1,
         "HKSCC settlement fee"),
    DBLV("QTE_FEE_SETTLE_MIN", fees.settle_min, "2", 0, 1e6,
         "settlement fee minimum per fill (HKD)"),
    DBLV("QTE_FEE_SETTLE_MAX", fees.settle_max, "100", 0, 1e6,
         "settlement fee maximum per fill (HKD; 0 = none)"),
    STRV("QTE_SQLITE_PATH", sqlite_path, "",
         "SQLite store of orders, trades, positions (empty = none)"),
    STRV("QTE_DATABASE_URL", database_url, "",
         "PostgreSQL store (libpq URL); replaces SQLite when set"),
    STRV("REDIS_URL", redis_url, "", "publish live state to qte:* keys"),
    STRV("QTE_REPORT_DIR", report_dir, "",
         "directory of report.json and report.html (empty = none)"),
    STRV("QTE_HTTP_BIND", http_bind, "127.0.0.1",
         "address of the HTTP and admin APIs"),
    INTV("QTE_HTTP_PORT", http_port, "8080", -1, 65535,
         "HTTP API port (0 = off, -1 = kernel-chosen)"),
    INTV("QTE_ADMIN_PORT", admin_port, "8081", -1, 65535,
         "admin API port (0 = off, -1 = kernel-chosen)"),
    STRV("QTE_TLS_CERT", tls_cert, "", "PEM certificate: HTTPS when set"),
    STRV("QTE_TLS_KEY", tls_key, "", "PEM private key of QTE_TLS_CERT"),
    STRV("QTE_KEYS_FILE", keys_file, "/opt/qte/keys",
         "hashed API keys (qte-engine keys generate)"),
    STRV("QTE_AUDIT_LOG", audit_log, "/var/log/qte/audit.log",
         "audit log (authentication failures, admin actions)"),
    STRV("QTE_BACKUP_DIR", backup_dir, "/opt/qte/backups",
         "where qte-engine backup writes .tar.gz files"),
    STRV("QTE_LOCK_FILE", lock_file, "", "lock file held while serving"),
    DBLV("QTE_SLOW_MS", slow_ms, "5", 0, 1e6,
         "an event handled slower than this logs SLOW (ms)"),
    CFG_LOG_VARS(qte_config),
};
#pragma GCC diagnostic pop

#define NVARS (sizeof(vars) / sizeof(vars[0]))
_Static_assert(NVARS <= CFG_MAX_VARS, "table too large");

static const cfg_table table = CFG_TABLE_OF(qte_config, vars);

const cfg_table *qte_config_table(void)
{
    return &table;
}

int qte_mode_parse(const char *name, qte_mode *mode)
{
    for (int i = 0; modes[i]; i++) {
        if (strcasecmp(name, modes[i]) == 0) {
            *mode = (qte_mode)i;
            return 0;
        }
    }
    return -1;
}

int qte_source_parse(const char *name, qte_source_kind *kind)
{
    for (int i = 0; sources[i]; i++) {
        if (strcasecmp(name, sources[i]) == 0) {
            *kind = (qte_source_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *qte_source_name(qte_source_kind kind)
{
    return (unsigned)kind <= QTE_SOURCE_JETSTREAM ? sources[kind] : "unknown";
}

const char *qte_mode_name(qte_mode mode)
{
    return (unsigned)mode <= QTE_MODE_STEPPED ? modes[mode] : "unknown";
}

/* Whether every comma-separated URL is nats:// or tls:// with a host. */
static bool nats_url_ok(const char *u)
{
    while (*u) {
        const char *c = strchr(u, ',');
        size_t len = c ? (size_t)(c - u) : strlen(u);
        size_t pre = strncmp(u, "nats://", 7) == 0  ? 7
                     : strncmp(u, "tls://", 6) == 0 ? 6
                                                    : 0;
        if (pre == 0 || len <= pre || u[pre] == ':' || u[pre] == '/' ||
            memchr(u, ' ', len))
            return false;
        if (!c)
            return true;
        u = c + 1;
    }
    return false;
}

/* The live block's checks (QTE_SOURCE=jetstream); returns the errors. */
static int check_live(qte_config *cfg, const cfg_opts *opts)
{
    int errors = 0;
    if (!nats_url_ok(cfg->nats_url)) {
        cfg_report(opts, "QTE_NATS_URL", cfg->nats_url,
                   "expected nats://host:port[,...]");
        errors++;
    }
    if (!cfg->nats_stream[0] || strpbrk(cfg->nats_stream, " .*>/\\\t")) {
        cfg_report(opts, "QTE_NATS_STREAM", cfg->nats_stream,
                   "not a stream name");
        errors++;
    }
    if (cfg->source == QTE_SOURCE_JETSTREAM &&
        (cfg->mode == QTE_MODE_ACCEL || cfg->mode == QTE_MODE_STEPPED)) {
        cfg_report(opts, "QTE_MODE", cfg->mode_name,
                   "QTE_SOURCE=jetstream is paced by the market: backtest "
                   "or realtime (both: ticks as they arrive)");
        errors++;
    }
    return errors;
}

int qte_config_load(qte_config *cfg, const cfg_opts *opts)
{
    int errors = cfg_load(&table, cfg, opts);
    if (qte_mode_parse(cfg->mode_name, &cfg->mode) != 0) {
        cfg_report(opts, "QTE_MODE", cfg->mode_name, "unknown mode");
        errors++;
    }
    qte_source_parse(cfg->source_name, &cfg->source);
    if (!ch_ident_ok(cfg->clickhouse_database)) {
        cfg_report(opts, "QTE_CLICKHOUSE_DATABASE", cfg->clickhouse_database,
                   "not an identifier ([A-Za-z_][A-Za-z0-9_]*)");
        errors++;
    }
    if (cfg->source == QTE_SOURCE_CLICKHOUSE && !cfg->clickhouse_url[0]) {
        cfg_report(opts, "QTE_CLICKHOUSE_URL", "",
                   "QTE_CLICKHOUSE_URL is empty");
        errors++;
    }
    return errors + check_live(cfg, opts);
}

static const char *no_env(const char *name, void *ud)
{
    (void)name;
    (void)ud;
    return NULL;
}

int qte_config_defaults(qte_config *cfg)
{
    cfg_load_lookup(&table, cfg, no_env, NULL);
    qte_mode_parse(cfg->mode_name, &cfg->mode);
    qte_source_parse(cfg->source_name, &cfg->source);
    return 0;
}

void qte_config_print(const qte_config *cfg, int fd)
{
    cfg_print(&table, cfg, fd);
}

void qte_config_print_reference(int fd)
{
    cfg_print_reference(&table, fd);
}
