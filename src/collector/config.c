/*
 * config.c - the variable table and its loader.
 *
 * One static table describes every variable (name, kind, default, floor,
 * hard bounds, destination offset in struct config). config_load walks it
 * once: look the name up in the sources in precedence order, parse, check,
 * clamp, and store. Errors are collected, not fatal at the first, so an
 * operator sees every bad variable in one start attempt.
 */
#include "collector/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/envfile.h"
#include "common/log.h"

enum kind {
    K_INT,
    K_DBL,
    K_BOOL,
    K_STR,
    K_JOURNAL,
    K_SYNC,
    K_LOGLEVEL,
    K_SYMBOLS,
    K_DATES,
    K_SESSIONS,
    K_SECRET,
    K_LOGFORMAT,
};

struct var {
    const char *name;
    enum kind kind;
    const char *def;
    double floor; /* clamp up to this (logged) */
    double min;   /* hard bounds: outside = error */
    double max;
    size_t off;
    size_t size; /* K_STR capacity; K_DATES count offset */
    const char *help;
};

#define OFF(f) offsetof(config, f)
#define NOLIM -1e18, -1e18, 1e18
#define STRV(n, f, d, h)                                                       \
    {                                                                          \
        n, K_STR, d, NOLIM, OFF(f), sizeof(((config *)0)->f), h                \
    }

static const struct var vars[] = {
    STRV("FUTU_HOST", futu_host, "127.0.0.1", "OpenD host"),
    {"FUTU_PORT", K_INT, "11111", -1e18, 1, 65535, OFF(futu_port), 0,
     "OpenD TCP port"},
    {"FUTU_SYMBOLS", K_SYMBOLS, "", NOLIM, OFF(symbols), 0,
     "comma-separated codes, e.g. HK.00700,HK.00981 (required)"},
    STRV("DATA_ROOT", data_root, "/data/sqlite/HK", "day-file directory"),
    {"BATCH_SIZE", K_INT, "500", 1, 0, 1e9, OFF(batch_size), 0,
     "rows per poll-side batch (the writer never waits for it)"},
    {"MAX_WAIT_MS", K_INT, "1000", 1, 0, 1e9, OFF(max_wait_ms), 0,
     "longest a queued row may wait for its commit (ms)"},
    {"MAX_QUEUE_SIZE", K_INT, "200000", 1, 0, 1e8, OFF(max_queue_size), 0,
     "in-memory queue capacity in rows; overflow goes to the spool"},
    {"BACKFILL_N", K_INT, "1000", 0, 0, 1e9, OFF(backfill_n), 0,
     "ticks per symbol fetched after each (re)subscribe (<=1000, 0=off)"},
    {"RECONNECT_MIN_DELAY", K_INT, "1", 1, 0, 86400, OFF(reconnect_min_delay),
     0, "reconnect backoff start (s)"},
    {"RECONNECT_MAX_DELAY", K_INT, "60", 1, 0, 86400, OFF(reconnect_max_delay),
     0, "reconnect backoff cap (s)"},
    {"CHECK_INTERVAL_SEC", K_INT, "5", 1, 0, 86400, OFF(check_interval_sec), 0,
     "GetGlobalState probe period (s)"},
    {"FUTU_POLL_ENABLED", K_BOOL, "1", NOLIM, OFF(poll_enabled), 0,
     "poll fallback on/off"},
    {"FUTU_POLL_INTERVAL_SEC", K_INT, "3", 1, 0, 86400, OFF(poll_interval_sec),
     0, "poll cycle period (s)"},
    {"FUTU_POLL_NUM", K_INT, "100", 1, 0, 1e9, OFF(poll_num), 0,
     "ticks per poll request (<=1000)"},
    {"FUTU_POLL_STALE_SEC", K_INT, "10", 2, 0, 86400, OFF(poll_stale_sec), 0,
     "poll a symbol only after this long without a tick (s, >=2)"},
    {"FUTU_POLL_TRADING_ONLY", K_BOOL, "1", NOLIM, OFF(poll_trading_only), 0,
     "poll only in trading phases"},
    {"FUTU_POLL_PREOPEN_ENABLED", K_BOOL, "0", NOLIM, OFF(poll_preopen_enabled),
     0, "also poll in pre-open"},
    {"FUTU_POLL_OFFHOURS_PROBE_INTERVAL_SEC", K_INT, "0", 0, 0, 1e9,
     OFF(poll_offhours_probe_interval_sec), 0,
     "off-hours probe period (s, 0 = none)"},
    {"FUTU_POLL_OFFHOURS_PROBE_NUM", K_INT, "1", 1, 0, 1000,
     OFF(poll_offhours_probe_num), 0, "off-hours probe size"},
    {"FUTU_HOLIDAYS", K_DATES, "", NOLIM, OFF(holidays), OFF(n_holidays),
     "holiday dates, e.g. 2026-01-01,20260217"},
    STRV("FUTU_HOLIDAY_FILE", holiday_file, "",
         "file of holiday dates, one per line"),
    {"FUTU_HALF_DAYS", K_DATES, "", NOLIM, OFF(half_days), OFF(n_half_days),
     "half trading days (morning session only)"},
    {"WATCHDOG_STALL_SEC", K_INT, "180", 1, 0, 1e9, OFF(watchdog_stall_sec), 0,
     "commit age counted as a stall (s)"},
    {"WATCHDOG_UPSTREAM_WINDOW_SEC", K_INT, "60", 1, 0, 1e9,
     OFF(watchdog_upstream_window_sec), 0, "recent-upstream window (s)"},
    {"WATCHDOG_QUEUE_THRESHOLD_ROWS", K_INT, "100", 1, 0, 1e9,
     OFF(watchdog_queue_threshold_rows), 0, "backlog threshold (rows)"},
    {"WATCHDOG_RECOVERY_MAX_FAILURES", K_INT, "3", 1, 0, 1e6,
     OFF(watchdog_recovery_max_failures), 0, "failed recoveries before exit 1"},
    {"WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC", K_DBL, "3.0", 0.1, 0, 1e6,
     OFF(watchdog_recovery_join_timeout_sec), 0,
     "time for the writer to acknowledge a recovery (s)"},
    {"DRIFT_WARN_SEC", K_INT, "120", 1, 0, 1e9, OFF(drift_warn_sec), 0,
     "ts_drift_warn threshold (s)"},
    {"STOP_FLUSH_TIMEOUT_SEC", K_INT, "60", 1, 0, 1e6,
     OFF(stop_flush_timeout_sec), 0, "shutdown drain limit (s)"},
    {"SEED_RECENT_DB_DAYS", K_INT, "3", 0, 0, 3650, OFF(seed_recent_db_days), 0,
     "newest day files scanned at start for max seq"},
    {"PERSIST_RETRY_MAX_ATTEMPTS", K_INT, "0", 0, 0, 1e9,
     OFF(persist_retry_max_attempts), 0,
     "log persist_retry_budget_exhausted after this many (0 = never)"},
    {"PERSIST_RETRY_BACKOFF_SEC", K_DBL, "1.0", 0.01, 0, 1e6,
     OFF(persist_retry_backoff_sec), 0, "first retry delay (s)"},
    {"PERSIST_RETRY_BACKOFF_MAX_SEC", K_DBL, "2.0", 0.01, 0, 1e6,
     OFF(persist_retry_backoff_max_sec), 0, "retry delay cap (s)"},
    {"PERSIST_HEARTBEAT_INTERVAL_SEC", K_INT, "30", 1, 0, 1e6,
     OFF(persist_heartbeat_interval_sec), 0, "heartbeat period (s)"},
    {"SQLITE_JOURNAL_MODE", K_JOURNAL, "WAL", NOLIM, OFF(sqlite_journal_mode),
     0, "DELETE TRUNCATE PERSIST MEMORY WAL OFF"},
    {"SQLITE_SYNCHRONOUS", K_SYNC, "NORMAL", NOLIM, OFF(sqlite_synchronous), 0,
     "OFF NORMAL FULL EXTRA"},
    {"SQLITE_BUSY_TIMEOUT_MS", K_INT, "5000", 1, 0, 1e9,
     OFF(sqlite_busy_timeout_ms), 0, "SQLite busy timeout (ms)"},
    {"SQLITE_WAL_AUTOCHECKPOINT", K_INT, "1000", 1, 0, 1e9,
     OFF(sqlite_wal_autocheckpoint), 0, "WAL auto-checkpoint (pages)"},
    {"SQLITE_CACHE_MIB", K_INT, "8", 1, 0, 4096, OFF(sqlite_cache_mib), 0,
     "page cache per open day file (MiB); more helps many symbols"},
    {"LOG_LEVEL", K_LOGLEVEL, "INFO", NOLIM, OFF(log_level), 0,
     "DEBUG INFO WARNING ERROR CRITICAL"},
    STRV("INSTANCE_ID", instance_id, "", "shown in collector_started"),
    {"GAP_ENABLED", K_BOOL, "1", NOLIM, OFF(gap_enabled), 0,
     "record hard gaps"},
    {"GAP_THRESHOLD_SEC", K_DBL, "10", 0.1, 0, 1e9, OFF(gap_threshold_sec), 0,
     "hard-gap threshold (s)"},
    {"GAP_ACTIVE_WINDOW_SEC", K_INT, "300", 1, 0, 1e9,
     OFF(gap_active_window_sec), 0, "activity window (s)"},
    {"GAP_ACTIVE_MIN_TICKS", K_INT, "50", 1, 0, 1e9, OFF(gap_active_min_ticks),
     0, "ticks in the window to be active"},
    {"GAP_STALL_WARN_SEC", K_DBL, "30", 0.1, 0, 1e9, OFF(gap_stall_warn_sec), 0,
     "soft-stall threshold (s)"},
    {"TRADING_SESSIONS", K_SESSIONS, "09:30-12:00,13:00-16:00", NOLIM,
     OFF(sessions), OFF(n_sessions), "HH:MM-HH:MM items"},
    {"HEALTH_TICK_SEC", K_INT, "60", 1, 0, 3600, OFF(health_interval_sec), 0,
     "health line / watchdog period (s)"},
    {"FUTU_LIVENESS_TIMEOUT_SEC", K_INT, "0", 0, 0, 86400,
     OFF(liveness_timeout_sec), 0,
     "silence before the session is replaced (0 = max(3*keepalive,30))"},
    {"FUTU_CONNECT_TIMEOUT_SEC", K_INT, "10", 1, 0, 3600,
     OFF(connect_timeout_sec), 0, "TCP connect + InitConnect timeout (s)"},
    {"FUTU_REQUEST_TIMEOUT_SEC", K_INT, "12", 1, 0, 3600,
     OFF(request_timeout_sec), 0, "per-request timeout (s)"},
    {"MAX_BATCH_ROWS", K_INT, "20000", 1, 0, 1e7, OFF(max_batch_rows), 0,
     "most rows in one transaction"},
    {"COMMIT_MIN_INTERVAL_MS", K_INT, "20", 0, 0, 60000,
     OFF(commit_min_interval_ms), 0,
     "least time between two commits to one day file (ms)"},
    {"DAY_IDLE_CLOSE_SEC", K_INT, "300", 1, 0, 1e9, OFF(day_idle_close_sec), 0,
     "checkpoint and close a past day's file after this idle time (s)"},
    STRV("FUTU_RSA_KEY_FILE", rsa_key_file, "",
         "RSA key (PKCS#1 PEM) enabling encryption; empty = plaintext"),
    STRV("HTTP_HOST", http_host, "127.0.0.1",
         "address of the /health /metrics /status endpoint"),
    {"HTTP_PORT", K_INT, "9200", -1e18, -1, 65535, OFF(http_port), 0,
     "HTTP port; 0 = off, -1 = any free port (logged in http_listening)"},
    {"API_KEY", K_SECRET, "", NOLIM, OFF(api_key),
     sizeof(((config *)0)->api_key),
     "enables POST /admin/*; secret: prefer API_KEY_FILE"},
    {"HEALTH_MAX_LAG_SEC", K_INT, "120", 1, 0, 1e9, OFF(health_max_lag_sec), 0,
     "/health fails when trades lag more in trading phases (s)"},
    {"HEALTH_STARTUP_GRACE_SEC", K_INT, "30", 0, 0, 1e6,
     OFF(health_startup_grace_sec), 0,
     "/health ignores a missing OpenD session this long after start (s)"},
    {"HEALTH_DISK_MIN_FREE_PCT", K_INT, "10", 0, 0, 100,
     OFF(health_disk_min_free_pct), 0,
     "/health fails below this free space on DATA_ROOT (%)"},
    STRV("LOG_FILE", log_file, "",
         "append logs here (reopened on SIGHUP); empty = stderr"),
    {"LOG_FORMAT", K_LOGFORMAT, "text", NOLIM, OFF(log_format), 0,
     "text | json (one JSON object per line)"},
    /* Telegram notifier (compat.md Appendix A; tgconf.c checks the rest) */
    {"TG_ENABLED", K_BOOL, "0", NOLIM, OFF(tg.enabled), 0, "notifier on/off"},
    {"TG_TOKEN", K_SECRET, "", NOLIM, OFF(tg.token),
     sizeof(((config *)0)->tg.token),
     "bot token; secret: prefer TG_TOKEN_FILE"},
    STRV("TG_CHAT_ID", tg.chat_id, "", "chat id"),
    STRV("TG_MESSAGE_THREAD_ID", tg.thread_id, "", "topic id (integer)"),
    STRV("TG_THREAD_HEALTH_ID", tg.thread_health_id, "", "topic of digests"),
    STRV("TG_THREAD_OPS_ID", tg.thread_ops_id, "", "topic of alerts"),
    STRV("TG_MODE_DEFAULT", tg.mode_default, "product", "inert"),
    STRV("TG_PARSE_MODE", tg.parse_mode, "HTML", "inert (plain text is sent)"),
    {"HEALTH_INTERVAL_SEC", K_INT, "900", 30, 0, 1e7,
     OFF(tg.health_interval_sec), 0, "digest cadence base (s)"},
    {"HEALTH_TRADING_INTERVAL_SEC", K_INT, "0", 0, 0, 1e7,
     OFF(tg.health_trading_sec), 0,
     "digest cadence in trading hours (s; 0 = HEALTH_INTERVAL_SEC; 900-1800)"},
    {"HEALTH_OFFHOURS_INTERVAL_SEC", K_INT, "0", 0, 0, 1e7,
     OFF(tg.health_offhours_sec), 0,
     "digest cadence off hours (s; 0 = HEALTH_INTERVAL_SEC; >= 30)"},
    {"HEALTH_FIXED_INTERVAL_SEC", K_INT, "0", 0, 0, 1e7,
     OFF(tg.health_fixed_sec), 0, "fixed digest cadence (s; 0 = off; >= 30)"},
    {"TG_HEALTH_LUNCH_ONCE", K_BOOL, "1", NOLIM, OFF(tg.health_lunch_once), 0,
     "one digest at lunch"},
    {"TG_HEALTH_AFTER_CLOSE_ONCE", K_BOOL, "1", NOLIM,
     OFF(tg.health_after_close), 0, "one digest after the close"},
    STRV("TG_HEALTH_HOLIDAY_MODE", tg.health_holiday, "daily",
         "daily | disabled"),
    {"ALERT_COOLDOWN_SEC", K_INT, "600", 0, 0, 1e7, OFF(tg.alert_cooldown_sec),
     0, "least time between two raises of one alert (s)"},
    STRV("ALERT_ESCALATION_STEPS", tg.alert_steps, "0,600,1800",
         "reminders while an alert lasts (s since it began)"),
    {"TG_RATE_LIMIT_PER_MIN", K_INT, "18", 1, 0, 1e6,
     OFF(tg.rate_limit_per_min), 0, "most messages per minute"},
    {"TG_INCLUDE_SYSTEM_METRICS", K_BOOL, "1", NOLIM, OFF(tg.include_system), 0,
     "load, rss and disk in digests"},
    {"TG_SQLITE_BUSY_ALERT_THRESHOLD", K_INT, "3", 1, 0, 1e9,
     OFF(tg.busy_alert_threshold), 0, "busy backoffs per minute that alert"},
    {"TG_DIGEST_QUEUE_CHANGE_PCT", K_INT, "20", NOLIM, OFF(tg.digest_queue_pct),
     0, "inert"},
    {"TG_DIGEST_LAST_TICK_AGE_THRESHOLD_SEC", K_INT, "60", NOLIM,
     OFF(tg.digest_tick_age_sec), 0, "inert"},
    {"TG_DIGEST_DRIFT_THRESHOLD_SEC", K_INT, "60", NOLIM,
     OFF(tg.digest_drift_sec), 0, "inert"},
    {"TG_DIGEST_SEND_ALIVE_WHEN_IDLE", K_BOOL, "0", NOLIM,
     OFF(tg.digest_alive_idle), 0, "inert"},
    {"TG_INTERACTIVE_ENABLED", K_BOOL, "0", NOLIM, OFF(tg.interactive), 0,
     "read-only chat commands (needs TG_ADMIN_USER_IDS)"},
    STRV("TG_ADMIN_USER_IDS", tg.admin_user_ids, "",
         "Telegram user ids allowed to run commands"),
    {"TG_ACTION_CONTEXT_TTL_SEC", K_INT, "43200", NOLIM, OFF(tg.action_ttl_sec),
     0, "inert"},
    {"TG_ACTION_LOG_MAX_LINES", K_INT, "20", 1, 0, 1000,
     OFF(tg.action_log_lines), 0, "lines of command output in a reply"},
    {"TG_ACTION_REFRESH_MIN_INTERVAL_SEC", K_INT, "15", NOLIM,
     OFF(tg.action_refresh_sec), 0, "inert"},
    {"TG_ACTION_COMMAND_RATE_LIMIT_PER_MIN", K_INT, "8", 1, 0, 1000,
     OFF(tg.action_rate_per_min), 0, "most commands run per minute"},
    {"TG_ACTION_TIMEOUT_SEC", K_DBL, "3.0", NOLIM, OFF(tg.action_timeout_sec),
     0, "inert"},
    {"TG_ACTION_COMMAND_TIMEOUT_SEC", K_DBL, "10.0", 1, 0, 600,
     OFF(tg.action_cmd_timeout), 0, "a command is killed after this (s)"},
    STRV("TG_ACTION_COMMAND_ALLOWLIST", tg.action_allowlist,
         "help,db_stats,top_symbols,symbol", "commands allowed"),
    {"TG_ACTION_COMMAND_MAX_LOOKBACK_DAYS", K_INT, "30", NOLIM,
     OFF(tg.action_lookback_days), 0, "inert"},
    STRV("TG_API_BASE", tg.api_base, "https://api.telegram.org",
         "Bot API base URL (tests point it at a local server)"),
    {"TG_ALERT_GRACE_SEC", K_INT, "60", 0, 0, 1e6, OFF(tg.alert_grace_sec), 0,
     "how long a condition lasts before it alerts (s)"},
    {"TG_QUEUE_MAX", K_INT, "64", 1, 0, 10000, OFF(tg.queue_max), 0,
     "notifier queue capacity (messages)"},
    {"TG_SEND_TIMEOUT_SEC", K_INT, "10", 1, 0, 600, OFF(tg.send_timeout_sec), 0,
     "per-request timeout of the Bot API (s)"},
};

#define NVARS (sizeof(vars) / sizeof(vars[0]))
_Static_assert(NVARS <= sizeof(((config *)0)->sources), "sources too small");

/* Values of one source, read from a file into a small dictionary. */
struct kv {
    char *key;
    char *val;
};
struct dict {
    struct kv *items;
    size_t n;
    size_t cap;
};

static int dict_add(const char *k, const char *v, void *ud)
{
    struct dict *d = ud;
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, k) == 0) {
            char *nv = strdup(v);
            if (!nv)
                return -ENOMEM;
            free(d->items[i].val);
            d->items[i].val = nv;
            return 0;
        }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 32;
        struct kv *ni = realloc(d->items, nc * sizeof(*ni));
        if (!ni)
            return -ENOMEM;
        d->items = ni;
        d->cap = nc;
    }
    d->items[d->n].key = strdup(k);
    d->items[d->n].val = strdup(v);
    if (!d->items[d->n].key || !d->items[d->n].val)
        return -ENOMEM;
    d->n++;
    return 0;
}

static const char *dict_get(const struct dict *d, const char *k)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, k) == 0)
            return d->items[i].val;
    return NULL;
}

static void dict_free(struct dict *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].key);
        free(d->items[i].val);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

static const char *trimmed(const char *s, char *buf, size_t cap)
{
    size_t n;
    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *t[] = {"1", "true", "yes", "y", "on"};
    static const char *f[] = {"0", "false", "no", "n", "off"};
    for (size_t i = 0; i < 5; i++) {
        if (strcasecmp(s, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int parse_date8(const char *s, size_t n, int *out)
{
    char d[16];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-' || s[i] == '/')
            continue;
        if (!isdigit((unsigned char)s[i]) || k >= 8)
            return -1;
        d[k++] = s[i];
    }
    if (k != 8)
        return -1;
    d[8] = '\0';
    int v = atoi(d);
    int m = (v / 100) % 100;
    int day = v % 100;
    if (m < 1 || m > 12 || day < 1 || day > 31)
        return -1;
    *out = v;
    return 0;
}

/* Split a comma list; calls fn(item, len) for each non-empty trimmed item.*/
static int each_item(const char *list, int (*fn)(const char *, size_t, void *),
                     void *ud)
{
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (n > 0 && isspace((unsigned char)*s)) {
            s++;
            n--;
        }
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        if (n > 0) {
            int rc = fn(s, n, ud);
            if (rc != 0)
                return rc;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

struct sym_ctx {
    config *cfg;
    char *err;
    size_t errlen;
};

static int add_symbol(const char *s, size_t n, void *ud)
{
    struct sym_ctx *c = ud;
    config *cfg = c->cfg;
    const char *dot = memchr(s, '.', n);

    if (!dot || dot == s || dot == s + n - 1 || n >= CONFIG_SYMBOL_LEN) {
        snprintf(c->err, c->errlen,
                 "malformed symbol '%.*s' (want e.g. "
                 "HK.00700)",
                 (int)n, s);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '"' || s[i] == '=') {
            snprintf(c->err, c->errlen, "malformed symbol '%.*s'", (int)n, s);
            return -1;
        }
    for (int i = 0; i < cfg->n_symbols; i++)
        if (strlen(cfg->symbols[i]) == n && memcmp(cfg->symbols[i], s, n) == 0)
            return 0; /* duplicate dropped */
    if (cfg->n_symbols >= CONFIG_MAX_SYMBOLS) {
        snprintf(c->err, c->errlen, "more than %d symbols", CONFIG_MAX_SYMBOLS);
        return -1;
    }
    memcpy(cfg->symbols[cfg->n_symbols], s, n);
    cfg->symbols[cfg->n_symbols][n] = '\0';
    cfg->n_symbols++;
    return 0;
}

int config_parse_symbols(config *cfg, const char *list, char *err,
                         size_t errlen)
{
    struct sym_ctx c = {cfg, err, errlen};
    cfg->n_symbols = 0;
    if (each_item(list, add_symbol, &c) != 0)
        return -1;
    if (cfg->n_symbols == 0) {
        snprintf(err, errlen, "FUTU_SYMBOLS is empty");
        return -1;
    }
    return 0;
}

struct date_ctx {
    int *arr;
    int *n;
};

static int add_date(const char *s, size_t n, void *ud)
{
    struct date_ctx *c = ud;
    int v;
    if (parse_date8(s, n, &v) != 0)
        return -1;
    if (*c->n < CONFIG_MAX_DATES)
        c->arr[(*c->n)++] = v;
    return 0;
}

static int parse_hhmm(const char *s, size_t n, int *out)
{
    if (n != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int add_session(const char *s, size_t n, void *ud)
{
    config *cfg = ud;
    const char *dash = memchr(s, '-', n);
    int a, b;
    if (!dash || parse_hhmm(s, (size_t)(dash - s), &a) != 0 ||
        parse_hhmm(dash + 1, n - (size_t)(dash - s) - 1, &b) != 0 || a >= b ||
        cfg->n_sessions >= CONFIG_MAX_SESSIONS)
        return -1;
    cfg->sessions[cfg->n_sessions].start_min = a;
    cfg->sessions[cfg->n_sessions].end_min = b;
    cfg->n_sessions++;
    return 0;
}

static void report(const config_load_opts *o, const char *name, const char *raw,
                   const char *reason)
{
    char q1[512], q2[512];
    if (o && o->quiet)
        return;
    LOG(LOG_ERROR, LC_MAIN, "config_error var=%s value=%s reason=%s", name,
        log_quote(raw, q1, sizeof(q1)), log_quote(reason, q2, sizeof(q2)));
}

static int apply(config *cfg, const struct var *v, const char *raw,
                 const config_load_opts *o)
{
    char *p = (char *)cfg + v->off;
    char buf[8192];
    char err[256];
    /* List kinds trim each item themselves: a list of hundreds of symbols
     * must not be cut at the size of buf. */
    const char *s =
        v->kind == K_SYMBOLS || v->kind == K_DATES || v->kind == K_SESSIONS
            ? raw
            : trimmed(raw, buf, sizeof(buf));
    char *end;

    switch (v->kind) {
    case K_INT: {
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno || end == s || *end) {
            report(o, v->name, raw, "not an integer");
            return -1;
        }
        if ((double)x < v->min || (double)x > v->max) {
            snprintf(err, sizeof(err), "out of range %.0f..%.0f", v->min,
                     v->max);
            report(o, v->name, raw, err);
            return -1;
        }
        if ((double)x < v->floor) {
            if (!o || !o->quiet)
                LOG(LOG_WARNING, LC_MAIN,
                    "config_clamped var=%s value=%lld used=%.0f", v->name, x,
                    v->floor);
            x = (long long)v->floor;
        }
        *(int *)p = (int)x;
        return 0;
    }
    case K_DBL: {
        errno = 0;
        double x = strtod(s, &end);
        if (errno || end == s || *end || !isfinite(x)) {
            report(o, v->name, raw, "not a number");
            return -1;
        }
        if (x < v->min || x > v->max) {
            report(o, v->name, raw, "out of range");
            return -1;
        }
        if (x < v->floor) {
            if (!o || !o->quiet)
                LOG(LOG_WARNING, LC_MAIN,
                    "config_clamped var=%s value=%g used=%g", v->name, x,
                    v->floor);
            x = v->floor;
        }
        *(double *)p = x;
        return 0;
    }
    case K_BOOL:
        if (parse_bool(s, (bool *)p) != 0) {
            report(o, v->name, raw,
                   "not a boolean (1/0, true/false, yes/no,"
                   " on/off)");
            return -1;
        }
        return 0;
    case K_SECRET:
    case K_STR:
        if (strlen(s) >= v->size) {
            report(o, v->name, raw, "too long");
            return -1;
        }
        snprintf(p, v->size, "%s", s);
        return 0;
    case K_LOGFORMAT:
        if (strcasecmp(s, "text") == 0 || strcasecmp(s, "json") == 0) {
            snprintf(p, 8, "%s", strcasecmp(s, "json") == 0 ? "json" : "text");
            return 0;
        }
        report(o, v->name, raw, "not one of text json");
        return -1;
    case K_JOURNAL: {
        static const char *ok[] = {"DELETE", "TRUNCATE", "PERSIST",
                                   "MEMORY", "WAL",      "OFF"};
        for (size_t i = 0; i < 6; i++)
            if (strcasecmp(s, ok[i]) == 0) {
                snprintf(p, 16, "%s", ok[i]);
                return 0;
            }
        report(o, v->name, raw,
               "not one of DELETE TRUNCATE PERSIST MEMORY "
               "WAL OFF");
        return -1;
    }
    case K_SYNC: {
        static const char *ok[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
        for (size_t i = 0; i < 4; i++)
            if (strcasecmp(s, ok[i]) == 0) {
                snprintf(p, 16, "%s", ok[i]);
                return 0;
            }
        report(o, v->name, raw, "not one of OFF NORMAL FULL EXTRA");
        return -1;
    }
    case K_LOGLEVEL: {
        int lv = log_level_parse(s);
        if (lv < 0) {
            report(o, v->name, raw,
                   "not one of DEBUG INFO WARNING ERROR CRITICAL");
            return -1;
        }
        *(int *)p = lv;
        return 0;
    }
    case K_SYMBOLS:
        if (config_parse_symbols(cfg, s, err, sizeof(err)) != 0) {
            report(o, v->name, raw, err);
            return -1;
        }
        return 0;
    case K_DATES: {
        int *n = (int *)((char *)cfg + v->size);
        struct date_ctx c = {(int *)p, n};
        *n = 0;
        if (each_item(s, add_date, &c) != 0) {
            report(o, v->name, raw, "dates must be YYYYMMDD or YYYY-MM-DD");
            return -1;
        }
        return 0;
    }
    case K_SESSIONS:
        cfg->n_sessions = 0;
        if (each_item(s, add_session, cfg) != 0 || cfg->n_sessions == 0) {
            report(o, v->name, raw,
                   "items must be HH:MM-HH:MM with start < end");
            return -1;
        }
        return 0;
    }
    return -1;
}

static const struct var *find_var(const char *name)
{
    for (size_t i = 0; i < NVARS; i++)
        if (strcmp(vars[i].name, name) == 0)
            return &vars[i];
    return NULL;
}

/* Read a secret file: the whole file, trailing newlines trimmed. */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f)
        return -errno;
    n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    return 0;
}

int config_load(config *cfg, const config_load_opts *opts)
{
    struct dict file = {0}, app = {0}, conf = {0};
    const char *env_file = opts && opts->env_file ? opts->env_file : NULL;
    const char *conf_file =
        opts && opts->config_file ? opts->config_file : NULL;
    int errors = 0;

    memset(cfg, 0, sizeof(*cfg));
    if (!env_file) {
        const char *e = getenv("ENV_FILE");
        if (e && *e && access(e, R_OK) == 0)
            env_file = e;
    }
    if (!conf_file) {
        const char *e = getenv("CONFIG_FILE");
        if (e && *e)
            conf_file = e;
    }
    if (env_file) {
        int rc = envfile_read(env_file, dict_add, &file, NULL);
        if (rc != 0) {
            report(opts, "ENV_FILE", env_file, strerror(-rc));
            errors++;
        }
        snprintf(cfg->env_file, sizeof(cfg->env_file), "%s", env_file);
    }
    if (conf_file) {
        int rc = envfile_read(conf_file, dict_add, &conf, NULL);
        if (rc != 0) {
            report(opts, "CONFIG_FILE", conf_file, strerror(-rc));
            errors++;
        }
        snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", conf_file);
        /* A config file is ours alone: an unknown key is a mistake. */
        for (size_t k = 0; k < conf.n; k++) {
            const char *key = conf.items[k].key;
            size_t kl = strlen(key);
            char base[128];
            const struct var *v = find_var(key);
            if (!v && kl > 5 && strcmp(key + kl - 5, "_FILE") == 0 &&
                kl - 5 < sizeof(base)) {
                memcpy(base, key, kl - 5);
                base[kl - 5] = '\0';
                v = find_var(base);
                if (v && v->kind != K_SECRET)
                    v = NULL;
            }
            if (!v) {
                char why[1200];
                snprintf(why, sizeof(why), "unknown key in %s", conf_file);
                report(opts, key, conf.items[k].val, why);
                errors++;
            }
        }
    }
    if (opts && opts->app_dir) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/.env", opts->app_dir);
        if (access(path, R_OK) == 0)
            (void)envfile_read(path, dict_add, &app, NULL);
    }
    for (size_t i = 0; i < NVARS; i++) {
        const struct var *v = &vars[i];
        const char *raw = NULL;
        config_source src = CONFIG_SRC_DEFAULT;
        const char *env = getenv(v->name);
        const char *fv = dict_get(&file, v->name);
        const char *av = dict_get(&app, v->name);
        const char *cv = dict_get(&conf, v->name);
        char secret[512];

        if (opts && opts->file_overrides && fv && *fv) {
            raw = fv;
            src = CONFIG_SRC_ENV_FILE;
        } else if (env && *env) {
            raw = env;
            src = CONFIG_SRC_ENV;
        } else if (fv && *fv) {
            raw = fv;
            src = CONFIG_SRC_ENV_FILE;
        } else if (av && *av) {
            raw = av;
            src = CONFIG_SRC_APP_ENV;
        } else if (cv && *cv) {
            raw = cv;
            src = CONFIG_SRC_CONFIG_FILE;
        }
        if (v->kind == K_SECRET) {
            char fname[160];
            snprintf(fname, sizeof(fname), "%s_FILE", v->name);
            const char *sf = getenv(fname);
            if (!sf || !*sf)
                sf = dict_get(&file, fname);
            if (!sf || !*sf)
                sf = dict_get(&conf, fname);
            if (sf && *sf) {
                int rc = read_secret(sf, secret, sizeof(secret));
                if (rc != 0) {
                    report(opts, fname, sf, strerror(-rc));
                    errors++;
                } else {
                    raw = secret;
                    src = CONFIG_SRC_SECRET_FILE;
                }
            }
        }
        cfg->sources[i] = (unsigned char)src;
        if (!raw) {
            if (v->kind == K_SYMBOLS) {
                report(opts, v->name, "", "FUTU_SYMBOLS is empty");
                errors++;
                continue;
            }
            raw = v->def;
            if (v->kind == K_DATES ||
                ((v->kind == K_STR || v->kind == K_SECRET) && !*raw)) {
                if (v->kind != K_DATES)
                    ((char *)cfg + v->off)[0] = '\0';
                continue;
            }
        }
        if (apply(cfg, v, raw, opts) != 0) {
            errors++;
            (void)apply(cfg, v, v->def, &(config_load_opts){.quiet = true});
        }
    }
    dict_free(&conf);
    if (cfg->reconnect_max_delay < cfg->reconnect_min_delay)
        cfg->reconnect_max_delay = cfg->reconnect_min_delay;
    if (cfg->backfill_n > 1000) {
        if (!opts || !opts->quiet)
            LOG(LOG_WARNING, LC_MAIN,
                "config_clamped var=BACKFILL_N value=%d used=1000",
                cfg->backfill_n);
        cfg->backfill_n = 1000;
    }
    if (cfg->poll_num > 1000) {
        if (!opts || !opts->quiet)
            LOG(LOG_WARNING, LC_MAIN,
                "config_clamped var=FUTU_POLL_NUM value=%d used=1000",
                cfg->poll_num);
        cfg->poll_num = 1000;
    }
    if (cfg->poll_offhours_probe_num > cfg->poll_num)
        cfg->poll_offhours_probe_num = cfg->poll_num;
    dict_free(&file);
    dict_free(&app);
    return errors;
}

int config_check_data_root(const config *cfg)
{
    char path[1024];
    struct stat st;

    if (!cfg->data_root[0]) {
        LOG(LOG_ERROR, LC_MAIN,
            "config_error var=DATA_ROOT value=none reason=empty");
        return -1;
    }
    snprintf(path, sizeof(path), "%s", cfg->data_root);
    for (;;) {
        if (stat(path, &st) == 0) {
            char q[1100];
            if (!S_ISDIR(st.st_mode)) {
                LOG(LOG_ERROR, LC_MAIN,
                    "config_error var=DATA_ROOT value=%s reason=\"%s is not "
                    "a directory\"",
                    log_quote(cfg->data_root, q, sizeof(q)), path);
                return -1;
            }
            if (access(path, W_OK | X_OK) != 0) {
                LOG(LOG_ERROR, LC_MAIN,
                    "config_error var=DATA_ROOT value=%s reason=\"%s is not "
                    "writable: %s\"",
                    log_quote(cfg->data_root, q, sizeof(q)), path,
                    strerror(errno));
                return -1;
            }
            return 0;
        }
        char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(path, sizeof(path), ".");
        else if (slash == path)
            path[1] = '\0';
        else
            *slash = '\0';
    }
}

void config_print(const config *cfg, int fd)
{
    static const char *srcname[] = {"default", "env",         "env_file",
                                    "app_env", "config_file", "secret_file"};
    for (size_t i = 0; i < NVARS; i++) {
        const struct var *v = &vars[i];
        const char *p = (const char *)cfg + v->off;
        char val[8192];
        size_t o = 0;
        switch (v->kind) {
        case K_INT:
            snprintf(val, sizeof(val), "%d", *(const int *)p);
            break;
        case K_DBL:
            snprintf(val, sizeof(val), "%g", *(const double *)p);
            break;
        case K_BOOL:
            snprintf(val, sizeof(val), "%d", *(const bool *)p ? 1 : 0);
            break;
        case K_STR:
        case K_JOURNAL:
        case K_SYNC:
        case K_LOGFORMAT:
            snprintf(val, sizeof(val), "%s", p);
            break;
        case K_SECRET:
            /* Never print a secret, only whether it is set. */
            snprintf(val, sizeof(val), "%s", *p ? "<set>" : "");
            break;
        case K_LOGLEVEL:
            snprintf(val, sizeof(val), "%s", log_level_name(*(const int *)p));
            break;
        case K_SYMBOLS:
            val[0] = '\0';
            for (int k = 0; k < cfg->n_symbols && o < sizeof(val) - 40; k++)
                o += (size_t)snprintf(val + o, sizeof(val) - o, "%s%s",
                                      k ? "," : "", cfg->symbols[k]);
            break;
        case K_DATES: {
            const int *arr = (const int *)p;
            int n = *(const int *)((const char *)cfg + v->size);
            val[0] = '\0';
            for (int k = 0; k < n && o < sizeof(val) - 16; k++)
                o += (size_t)snprintf(val + o, sizeof(val) - o, "%s%d",
                                      k ? "," : "", arr[k]);
            break;
        }
        case K_SESSIONS:
            val[0] = '\0';
            for (int k = 0; k < cfg->n_sessions; k++)
                o += (size_t)snprintf(val + o, sizeof(val) - o,
                                      "%s%02d:%02d-%02d:%02d", k ? "," : "",
                                      cfg->sessions[k].start_min / 60,
                                      cfg->sessions[k].start_min % 60,
                                      cfg->sessions[k].end_min / 60,
                                      cfg->sessions[k].end_min % 60);
            break;
        }
        const char *where =
            cfg->sources[i] == CONFIG_SRC_ENV_FILE      ? cfg->env_file
            : cfg->sources[i] == CONFIG_SRC_CONFIG_FILE ? cfg->config_file
                                                        : "";
        dprintf(fd, "%s=%s  # %s%s%s\n", v->name, val, srcname[cfg->sources[i]],
                *where ? " " : "", where);
    }
}

void config_print_reference(int fd)
{
    dprintf(fd, "| Variable | Default | Bounds | Meaning |\n"
                "|---|---|---|---|\n");
    for (size_t i = 0; i < NVARS; i++) {
        const struct var *v = &vars[i];
        char b[96] = "";
        if (v->kind == K_INT || v->kind == K_DBL) {
            if (v->floor > -1e17)
                snprintf(b, sizeof(b), "floor %g (raised, logged)", v->floor);
            else
                snprintf(b, sizeof(b), "%g..%g", v->min, v->max);
        }
        dprintf(fd, "| `%s` | %s%s%s | %s | %s |\n", v->name,
                v->def[0] ? "`" : "", v->def[0] ? v->def : "(empty)",
                v->def[0] ? "`" : "", b, v->help);
    }
}
