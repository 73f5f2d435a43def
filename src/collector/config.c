/*
 * config.c - the collector's variable table.
 *
 * One static table describes every variable (name, kind, default, floor,
 * hard bounds, destination offset in struct config, help); the machinery
 * that layers the sources, parses by kind, clamps, reports and prints is
 * common/cfg.c, shared with every other daemon. What is the collector's
 * own lives here: the table, the list kinds (FUTU_SYMBOLS, date lists,
 * TRADING_SESSIONS) as CFG_CUSTOM callbacks, the limits that depend on two
 * variables (applied after the table), and the DATA_ROOT check.
 *
 * Symbols are validated here, at load time: "<MARKET>.<CODE>" where MARKET
 * is one of the prefixes OpenD knows (opend_msg_market_from_prefix; upper
 * case, as compat.md §1.4 writes them) and CODE is non-empty letters,
 * digits, '.', '_' or '-', beginning and ending with a letter or digit. A
 * symbol OpenD would refuse at run time is a config_error naming it, not an
 * endless resubscribe loop.
 */
#include "collector/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "opend/msg.h"
#include "pipeline/stream.h"

#define OFF(f) offsetof(config, f)
#define NOLIM CFG_NO_FLOOR, -1e18, 1e18
#define STRV(n, f, d, h)                                                       \
    {                                                                          \
        n, CFG_STR, d, NOLIM, OFF(f), sizeof(((config *)0)->f), h              \
    }
#define ENUMV(n, f, d, list, h)                                                \
    {                                                                          \
        n, CFG_ENUM, d, NOLIM, OFF(f), sizeof(((config *)0)->f), h, 0, list    \
    }

static const char *const journal_modes[] = {
    "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF", NULL};
static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA",
                                         NULL};
static const char *const log_formats[] = {"text", "json", NULL};

/* ---- FUTU_SYMBOLS ------------------------------------------------------ */

struct sym_ctx {
    config *cfg;
    char *err;
    size_t errlen;
};

/* Why s (n bytes) is not a symbol we can subscribe, or NULL. */
static const char *symbol_problem(const char *s, size_t n, char *why,
                                  size_t cap)
{
    const char *dot = memchr(s, '.', n);

    if (!dot || dot == s || dot == s + n - 1 || n >= CONFIG_SYMBOL_LEN) {
        snprintf(why, cap, "malformed symbol '%.*s' (want e.g. HK.00700)",
                 (int)n, s);
        return why;
    }
    for (const char *p = dot + 1; p < s + n; p++)
        if ((!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
             *p != '-') ||
            ((p == dot + 1 || p == s + n - 1) && !isalnum((unsigned char)*p))) {
            snprintf(why, cap, "malformed symbol '%.*s'", (int)n, s);
            return why;
        }
    if (opend_msg_market_from_prefix(s, (size_t)(dot - s)) < 0) {
        snprintf(why, cap,
                 "unknown market '%.*s' in symbol '%.*s' (known prefixes "
                 "are upper case: HK, HK_FUTURE, US, SH, SZ, SG, JP, AU, "
                 "MY, CA, FX)",
                 (int)(dot - s), s, (int)n, s);
        return why;
    }
    return NULL;
}

static int add_symbol(const char *s, size_t n, void *ud)
{
    struct sym_ctx *c = ud;
    config *cfg = c->cfg;

    if (symbol_problem(s, n, c->err, c->errlen))
        return -1;
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
    if (cfg_each_item(list, add_symbol, &c) != 0)
        return -1;
    if (cfg->n_symbols == 0) {
        snprintf(err, errlen, "FUTU_SYMBOLS is empty");
        return -1;
    }
    return 0;
}

static int parse_symbols(void *obj, const cfg_var *v, const char *raw,
                         char *err, size_t errlen)
{
    return config_parse_symbols(obj, raw, err, errlen);
}

static void format_symbols(const void *obj, const cfg_var *v, char *val,
                           size_t cap)
{
    const config *cfg = obj;
    size_t o = 0;
    for (int k = 0; k < cfg->n_symbols && o + 40 < cap; k++)
        o += (size_t)snprintf(val + o, cap - o, "%s%s", k ? "," : "",
                              cfg->symbols[k]);
}

/* ---- date lists -------------------------------------------------------- */

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

/* cfg_var.off is the array, cfg_var.size the offset of its count. */
static int parse_dates(void *obj, const cfg_var *v, const char *raw, char *err,
                       size_t errlen)
{
    struct date_ctx c = {(int *)((char *)obj + v->off),
                         (int *)((char *)obj + v->size)};
    *c.n = 0;
    if (cfg_each_item(raw, add_date, &c) == 0)
        return 0;
    snprintf(err, errlen, "dates must be YYYYMMDD or YYYY-MM-DD");
    return -1;
}

static void format_dates(const void *obj, const cfg_var *v, char *val,
                         size_t cap)
{
    const int *arr = (const int *)((const char *)obj + v->off);
    int n = *(const int *)((const char *)obj + v->size);
    size_t o = 0;
    for (int k = 0; k < n && o + 16 < cap; k++)
        o += (size_t)snprintf(val + o, cap - o, "%s%d", k ? "," : "", arr[k]);
}

/* ---- TRADING_SESSIONS -------------------------------------------------- */

static int add_session(const char *s, size_t n, void *ud)
{
    config *cfg = ud;
    const char *dash = memchr(s, '-', n);
    int a, b;
    if (!dash || cfg_parse_hhmm(s, (size_t)(dash - s), &a) != 0 ||
        cfg_parse_hhmm(dash + 1, n - (size_t)(dash - s) - 1, &b) != 0 ||
        a >= b || cfg->n_sessions >= CONFIG_MAX_SESSIONS)
        return -1;
    cfg->sessions[cfg->n_sessions].start_min = a;
    cfg->sessions[cfg->n_sessions].end_min = b;
    cfg->n_sessions++;
    return 0;
}

static int parse_sessions(void *obj, const cfg_var *v, const char *raw,
                          char *err, size_t errlen)
{
    config *cfg = obj;
    cfg->n_sessions = 0;
    if (cfg_each_item(raw, add_session, cfg) == 0 && cfg->n_sessions > 0)
        return 0;
    snprintf(err, errlen, "items must be HH:MM-HH:MM with start < end");
    return -1;
}

static void format_sessions(const void *obj, const cfg_var *v, char *val,
                            size_t cap)
{
    const config *cfg = obj;
    size_t o = 0;
    for (int k = 0; k < cfg->n_sessions && o < cap; k++)
        o += (size_t)snprintf(
            val + o, cap - o, "%s%02d:%02d-%02d:%02d", k ? "," : "",
            cfg->sessions[k].start_min / 60, cfg->sessions[k].start_min % 60,
            cfg->sessions[k].end_min / 60, cfg->sessions[k].end_min % 60);
}

/* ---- the table --------------------------------------------------------- */

/* Entries name only the fields they use; flags, choices and callbacks of
 * the plain kinds are zero. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const cfg_var vars[] = {
    STRV("FUTU_HOST", futu_host, "127.0.0.1", "OpenD host"),
    {"FUTU_PORT", CFG_INT, "11111", -1e18, 1, 65535, OFF(futu_port), 0,
     "OpenD TCP port"},
    {"FUTU_SYMBOLS", CFG_CUSTOM, "", NOLIM, OFF(symbols), 0,
     "comma-separated codes, e.g. HK.00700,HK.00981 (required)", CFG_F_REQUIRED,
     NULL, parse_symbols, format_symbols},
    STRV("DATA_ROOT", data_root, "/data/sqlite/HK", "day-file directory"),
    {"BATCH_SIZE", CFG_INT, "500", 1, 0, 1e9, OFF(batch_size), 0,
     "rows per poll-side batch (the writer never waits for it)"},
    {"MAX_WAIT_MS", CFG_INT, "1000", 1, 0, 1e9, OFF(max_wait_ms), 0,
     "longest a queued row may wait for its commit (ms)"},
    {"MAX_QUEUE_SIZE", CFG_INT, "200000", 1, 0, 1e8, OFF(max_queue_size), 0,
     "in-memory queue capacity in rows; overflow goes to the spool"},
    {"BACKFILL_N", CFG_INT, "1000", 0, 0, 1e9, OFF(backfill_n), 0,
     "ticks per symbol fetched after each (re)subscribe (<=1000, 0=off)"},
    {"RECONNECT_MIN_DELAY", CFG_INT, "1", 1, 0, 86400, OFF(reconnect_min_delay),
     0, "reconnect backoff start (s)"},
    {"RECONNECT_MAX_DELAY", CFG_INT, "60", 1, 0, 86400,
     OFF(reconnect_max_delay), 0, "reconnect backoff cap (s)"},
    {"CHECK_INTERVAL_SEC", CFG_INT, "5", 1, 0, 86400, OFF(check_interval_sec),
     0, "GetGlobalState probe period (s)"},
    {"FUTU_POLL_ENABLED", CFG_BOOL, "1", NOLIM, OFF(poll_enabled), 0,
     "poll fallback on/off"},
    {"FUTU_POLL_INTERVAL_SEC", CFG_INT, "3", 1, 0, 86400,
     OFF(poll_interval_sec), 0, "poll cycle period (s)"},
    {"FUTU_POLL_NUM", CFG_INT, "100", 1, 0, 1e9, OFF(poll_num), 0,
     "ticks per poll request (<=1000)"},
    {"FUTU_POLL_STALE_SEC", CFG_INT, "10", 2, 0, 86400, OFF(poll_stale_sec), 0,
     "poll a symbol only after this long without a tick (s, >=2)"},
    {"FUTU_POLL_TRADING_ONLY", CFG_BOOL, "1", NOLIM, OFF(poll_trading_only), 0,
     "poll only in trading phases"},
    {"FUTU_POLL_PREOPEN_ENABLED", CFG_BOOL, "0", NOLIM,
     OFF(poll_preopen_enabled), 0, "also poll in pre-open"},
    {"FUTU_POLL_OFFHOURS_PROBE_INTERVAL_SEC", CFG_INT, "0", 0, 0, 1e9,
     OFF(poll_offhours_probe_interval_sec), 0,
     "off-hours probe period (s, 0 = none)"},
    {"FUTU_POLL_OFFHOURS_PROBE_NUM", CFG_INT, "1", 1, 0, 1000,
     OFF(poll_offhours_probe_num), 0, "off-hours probe size"},
    {"FUTU_HOLIDAYS", CFG_CUSTOM, "", NOLIM, OFF(holidays), OFF(n_holidays),
     "holiday dates, e.g. 2026-01-01,20260217", 0, NULL, parse_dates,
     format_dates},
    STRV("FUTU_HOLIDAY_FILE", holiday_file, "",
         "file of holiday dates, one per line"),
    {"FUTU_HALF_DAYS", CFG_CUSTOM, "", NOLIM, OFF(half_days), OFF(n_half_days),
     "half trading days (morning session only)", 0, NULL, parse_dates,
     format_dates},
    {"WATCHDOG_STALL_SEC", CFG_INT, "180", 1, 0, 1e9, OFF(watchdog_stall_sec),
     0, "commit age counted as a stall (s)"},
    {"WATCHDOG_UPSTREAM_WINDOW_SEC", CFG_INT, "60", 1, 0, 1e9,
     OFF(watchdog_upstream_window_sec), 0, "recent-upstream window (s)"},
    {"WATCHDOG_QUEUE_THRESHOLD_ROWS", CFG_INT, "100", 1, 0, 1e9,
     OFF(watchdog_queue_threshold_rows), 0, "backlog threshold (rows)"},
    {"WATCHDOG_RECOVERY_MAX_FAILURES", CFG_INT, "3", 1, 0, 1e6,
     OFF(watchdog_recovery_max_failures), 0, "failed recoveries before exit 1"},
    {"WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC", CFG_DBL, "3.0", 0.1, 0, 1e6,
     OFF(watchdog_recovery_join_timeout_sec), 0,
     "time for the writer to acknowledge a recovery (s)"},
    {"DRIFT_WARN_SEC", CFG_INT, "120", 1, 0, 1e9, OFF(drift_warn_sec), 0,
     "ts_drift_warn threshold (s)"},
    {"STOP_FLUSH_TIMEOUT_SEC", CFG_INT, "60", 1, 0, 1e6,
     OFF(stop_flush_timeout_sec), 0, "shutdown drain limit (s)"},
    {"SEED_RECENT_DB_DAYS", CFG_INT, "3", 0, 0, 3650, OFF(seed_recent_db_days),
     0, "newest day files scanned at start for max seq"},
    {"PERSIST_RETRY_MAX_ATTEMPTS", CFG_INT, "0", 0, 0, 1e9,
     OFF(persist_retry_max_attempts), 0,
     "log persist_retry_budget_exhausted after this many (0 = never)"},
    {"PERSIST_RETRY_BACKOFF_SEC", CFG_DBL, "1.0", 0.01, 0, 1e6,
     OFF(persist_retry_backoff_sec), 0, "first retry delay (s)"},
    {"PERSIST_RETRY_BACKOFF_MAX_SEC", CFG_DBL, "2.0", 0.01, 0, 1e6,
     OFF(persist_retry_backoff_max_sec), 0, "retry delay cap (s)"},
    {"PERSIST_HEARTBEAT_INTERVAL_SEC", CFG_INT, "30", 1, 0, 1e6,
     OFF(persist_heartbeat_interval_sec), 0, "heartbeat period (s)"},
    ENUMV("SQLITE_JOURNAL_MODE", sqlite_journal_mode, "WAL", journal_modes,
          "DELETE TRUNCATE PERSIST MEMORY WAL OFF"),
    ENUMV("SQLITE_SYNCHRONOUS", sqlite_synchronous, "NORMAL", sync_modes,
          "OFF NORMAL FULL EXTRA"),
    {"SQLITE_BUSY_TIMEOUT_MS", CFG_INT, "5000", 1, 0, 1e9,
     OFF(sqlite_busy_timeout_ms), 0, "SQLite busy timeout (ms)"},
    {"SQLITE_WAL_AUTOCHECKPOINT", CFG_INT, "1000", 1, 0, 1e9,
     OFF(sqlite_wal_autocheckpoint), 0, "WAL auto-checkpoint (pages)"},
    {"SQLITE_CACHE_MIB", CFG_INT, "8", 1, 0, 4096, OFF(sqlite_cache_mib), 0,
     "page cache per open day file (MiB); more helps many symbols"},
    {"LOG_LEVEL", CFG_LOGLEVEL, "INFO", NOLIM, OFF(log_level), 0,
     "DEBUG INFO WARNING ERROR CRITICAL"},
    STRV("INSTANCE_ID", instance_id, "", "shown in collector_started"),
    {"GAP_ENABLED", CFG_BOOL, "1", NOLIM, OFF(gap_enabled), 0,
     "record hard gaps"},
    {"GAP_THRESHOLD_SEC", CFG_DBL, "10", 0.1, 0, 1e9, OFF(gap_threshold_sec), 0,
     "hard-gap threshold (s)"},
    {"GAP_ACTIVE_WINDOW_SEC", CFG_INT, "300", 1, 0, 1e9,
     OFF(gap_active_window_sec), 0, "activity window (s)"},
    {"GAP_ACTIVE_MIN_TICKS", CFG_INT, "50", 1, 0, 1e9,
     OFF(gap_active_min_ticks), 0, "ticks in the window to be active"},
    {"GAP_STALL_WARN_SEC", CFG_DBL, "30", 0.1, 0, 1e9, OFF(gap_stall_warn_sec),
     0, "soft-stall threshold (s)"},
    {"TRADING_SESSIONS", CFG_CUSTOM, "09:30-12:00,13:00-16:00", NOLIM,
     OFF(sessions), OFF(n_sessions), "HH:MM-HH:MM items", 0, NULL,
     parse_sessions, format_sessions},
    {"HEALTH_TICK_SEC", CFG_INT, "60", 1, 0, 3600, OFF(health_interval_sec), 0,
     "health line / watchdog period (s)"},
    {"FUTU_LIVENESS_TIMEOUT_SEC", CFG_INT, "0", 0, 0, 86400,
     OFF(liveness_timeout_sec), 0,
     "silence before the session is replaced (0 = max(3*keepalive,30))"},
    {"FUTU_CONNECT_TIMEOUT_SEC", CFG_INT, "10", 1, 0, 3600,
     OFF(connect_timeout_sec), 0, "TCP connect + InitConnect timeout (s)"},
    {"FUTU_REQUEST_TIMEOUT_SEC", CFG_INT, "12", 1, 0, 3600,
     OFF(request_timeout_sec), 0, "per-request timeout (s)"},
    {"MAX_BATCH_ROWS", CFG_INT, "20000", 1, 0, 1e7, OFF(max_batch_rows), 0,
     "most rows in one transaction"},
    {"COMMIT_MIN_INTERVAL_MS", CFG_INT, "20", 0, 0, 60000,
     OFF(commit_min_interval_ms), 0,
     "least time between two commits to one day file (ms)"},
    {"DAY_IDLE_CLOSE_SEC", CFG_INT, "300", 1, 0, 1e9, OFF(day_idle_close_sec),
     0, "checkpoint and close a past day's file after this idle time (s)"},
    {"ACCEPT_DAYS_BACK", CFG_INT, "14", 0, 0, 36500, OFF(accept_days_back), 0,
     "rows of trading days older than today minus this are quarantined"},
    {"ACCEPT_DAYS_AHEAD", CFG_INT, "1", 0, 0, 366, OFF(accept_days_ahead), 0,
     "rows of trading days after today plus this are quarantined"},
    {"ACCEPT_PRICE_MAX", CFG_DBL, "1e9", 0.001, 0, 1e300, OFF(accept_price_max),
     0, "rows priced above this are quarantined (no real trade is)"},
    {"ACCEPT_VOLUME_MAX", CFG_DBL, "1e12", 1, 0, 9e18, OFF(accept_volume_max),
     0, "rows with a volume above this are quarantined (no real trade is)"},
    {"QUARANTINE_MAX_ROWS_PER_DAY", CFG_INT, "1000000", 0, 0, 1e9,
     OFF(quarantine_max_rows_per_day), 0,
     "quarantined rows stored per day; beyond it counted, logged, not stored"},
    STRV("FUTU_RSA_KEY_FILE", rsa_key_file, "",
         "RSA key (PKCS#1 PEM) enabling encryption; empty = plaintext"),
    STRV("HTTP_HOST", http_host, "127.0.0.1",
         "address of the /health /metrics /status endpoint"),
    {"HTTP_PORT", CFG_INT, "9200", -1e18, -1, 65535, OFF(http_port), 0,
     "HTTP port; 0 = off, -1 = any free port (logged in http_listening)"},
    {"API_KEY", CFG_SECRET, "", NOLIM, OFF(api_key),
     sizeof(((config *)0)->api_key),
     "enables POST /admin/*; secret: prefer API_KEY_FILE"},
    {"HEALTH_MAX_LAG_SEC", CFG_INT, "120", 1, 0, 1e9, OFF(health_max_lag_sec),
     0, "/health fails when trades lag more in trading phases (s)"},
    {"HEALTH_STARTUP_GRACE_SEC", CFG_INT, "30", 0, 0, 1e6,
     OFF(health_startup_grace_sec), 0,
     "/health ignores a missing OpenD session this long after start (s)"},
    {"HEALTH_DISK_MIN_FREE_PCT", CFG_INT, "10", 0, 0, 100,
     OFF(health_disk_min_free_pct), 0,
     "/health fails below this free space on DATA_ROOT (%)"},
    STRV("LOG_FILE", log_file, "",
         "append logs here (reopened on SIGHUP); empty = stderr"),
    ENUMV("LOG_FORMAT", log_format, "text", log_formats,
          "text | json (one JSON object per line)"),
    /* Telegram notifier (compat.md Appendix A; tgconf.c checks the rest) */
    {"TG_ENABLED", CFG_BOOL, "0", NOLIM, OFF(tg.enabled), 0, "notifier on/off"},
    {"TG_TOKEN", CFG_SECRET, "", NOLIM, OFF(tg.token),
     sizeof(((config *)0)->tg.token),
     "bot token; secret: prefer TG_TOKEN_FILE"},
    STRV("TG_CHAT_ID", tg.chat_id, "", "chat id"),
    STRV("TG_MESSAGE_THREAD_ID", tg.thread_id, "", "topic id (integer)"),
    STRV("TG_THREAD_HEALTH_ID", tg.thread_health_id, "", "topic of digests"),
    STRV("TG_THREAD_OPS_ID", tg.thread_ops_id, "", "topic of alerts"),
    STRV("TG_MODE_DEFAULT", tg.mode_default, "product", "inert"),
    STRV("TG_PARSE_MODE", tg.parse_mode, "HTML", "inert (plain text is sent)"),
    {"HEALTH_INTERVAL_SEC", CFG_INT, "900", 30, 0, 1e7,
     OFF(tg.health_interval_sec), 0, "digest cadence base (s)"},
    {"HEALTH_TRADING_INTERVAL_SEC", CFG_INT, "0", 0, 0, 1e7,
     OFF(tg.health_trading_sec), 0,
     "digest cadence in trading hours (s; 0 = HEALTH_INTERVAL_SEC; 900-1800)"},
    {"HEALTH_OFFHOURS_INTERVAL_SEC", CFG_INT, "0", 0, 0, 1e7,
     OFF(tg.health_offhours_sec), 0,
     "digest cadence off hours (s; 0 = HEALTH_INTERVAL_SEC; >= 30)"},
    {"HEALTH_FIXED_INTERVAL_SEC", CFG_INT, "0", 0, 0, 1e7,
     OFF(tg.health_fixed_sec), 0, "fixed digest cadence (s; 0 = off; >= 30)"},
    {"TG_HEALTH_LUNCH_ONCE", CFG_BOOL, "1", NOLIM, OFF(tg.health_lunch_once), 0,
     "one digest at lunch"},
    {"TG_HEALTH_AFTER_CLOSE_ONCE", CFG_BOOL, "1", NOLIM,
     OFF(tg.health_after_close), 0, "one digest after the close"},
    STRV("TG_HEALTH_HOLIDAY_MODE", tg.health_holiday, "daily",
         "daily | disabled"),
    {"ALERT_COOLDOWN_SEC", CFG_INT, "600", 0, 0, 1e7,
     OFF(tg.alert_cooldown_sec), 0,
     "least time between two raises of one alert (s)"},
    STRV("ALERT_ESCALATION_STEPS", tg.alert_steps, "0,600,1800",
         "reminders while an alert lasts (s since it began)"),
    {"TG_RATE_LIMIT_PER_MIN", CFG_INT, "18", 1, 0, 1e6,
     OFF(tg.rate_limit_per_min), 0, "most messages per minute"},
    {"TG_INCLUDE_SYSTEM_METRICS", CFG_BOOL, "1", NOLIM, OFF(tg.include_system),
     0, "load, rss and disk in digests"},
    {"TG_SQLITE_BUSY_ALERT_THRESHOLD", CFG_INT, "3", 1, 0, 1e9,
     OFF(tg.busy_alert_threshold), 0, "busy backoffs per minute that alert"},
    {"TG_DIGEST_QUEUE_CHANGE_PCT", CFG_INT, "20", NOLIM,
     OFF(tg.digest_queue_pct), 0, "inert"},
    {"TG_DIGEST_LAST_TICK_AGE_THRESHOLD_SEC", CFG_INT, "60", NOLIM,
     OFF(tg.digest_tick_age_sec), 0, "inert"},
    {"TG_DIGEST_DRIFT_THRESHOLD_SEC", CFG_INT, "60", NOLIM,
     OFF(tg.digest_drift_sec), 0, "inert"},
    {"TG_DIGEST_SEND_ALIVE_WHEN_IDLE", CFG_BOOL, "0", NOLIM,
     OFF(tg.digest_alive_idle), 0, "inert"},
    {"TG_INTERACTIVE_ENABLED", CFG_BOOL, "0", NOLIM, OFF(tg.interactive), 0,
     "read-only chat commands (needs TG_ADMIN_USER_IDS)"},
    STRV("TG_ADMIN_USER_IDS", tg.admin_user_ids, "",
         "Telegram user ids allowed to run commands"),
    {"TG_ACTION_CONTEXT_TTL_SEC", CFG_INT, "43200", NOLIM,
     OFF(tg.action_ttl_sec), 0, "inert"},
    {"TG_ACTION_LOG_MAX_LINES", CFG_INT, "20", 1, 0, 1000,
     OFF(tg.action_log_lines), 0, "lines of command output in a reply"},
    {"TG_ACTION_REFRESH_MIN_INTERVAL_SEC", CFG_INT, "15", NOLIM,
     OFF(tg.action_refresh_sec), 0, "inert"},
    {"TG_ACTION_COMMAND_RATE_LIMIT_PER_MIN", CFG_INT, "8", 1, 0, 1000,
     OFF(tg.action_rate_per_min), 0, "most commands run per minute"},
    {"TG_ACTION_TIMEOUT_SEC", CFG_DBL, "3.0", NOLIM, OFF(tg.action_timeout_sec),
     0, "inert"},
    {"TG_ACTION_COMMAND_TIMEOUT_SEC", CFG_DBL, "10.0", 1, 0, 600,
     OFF(tg.action_cmd_timeout), 0, "a command is killed after this (s)"},
    STRV("TG_ACTION_COMMAND_ALLOWLIST", tg.action_allowlist,
         "help,db_stats,top_symbols,symbol", "commands allowed"),
    {"TG_ACTION_COMMAND_MAX_LOOKBACK_DAYS", CFG_INT, "30", NOLIM,
     OFF(tg.action_lookback_days), 0, "inert"},
    STRV("TG_API_BASE", tg.api_base, "https://api.telegram.org",
         "Bot API base URL (tests point it at a local server)"),
    {"TG_ALERT_GRACE_SEC", CFG_INT, "60", 0, 0, 1e6, OFF(tg.alert_grace_sec), 0,
     "how long a condition lasts before it alerts (s)"},
    {"TG_QUEUE_MAX", CFG_INT, "64", 1, 0, 10000, OFF(tg.queue_max), 0,
     "notifier queue capacity (messages)"},
    {"TG_SEND_TIMEOUT_SEC", CFG_INT, "10", 1, 0, 600, OFF(tg.send_timeout_sec),
     0, "per-request timeout of the Bot API (s)"},
    STRV("NATS_URL", nats_url, "",
         "publish committed rows to NATS JetStream (nats://host:4222, "
         "comma-separated for a cluster); empty = off"),
    STRV("NATS_STREAM", nats_stream, "HK_TICKS",
         "JetStream stream name (created or updated at connect)"),
    {"NATS_MAX_PENDING", CFG_INT, "4096", -1e18, 1, 1e6, OFF(nats_max_pending),
     0, "most publishes awaiting their PubAck"},
    {"NATS_STREAM_MAX_AGE_SEC", CFG_INT, "604800", -1e18, 0, 1e9,
     OFF(nats_stream_max_age_sec), 0,
     "stream retention by age (s, 0 = unlimited)"},
    {"NATS_STREAM_MAX_BYTES", CFG_I64, "8589934592", -1e18, 0, 1e15,
     OFF(nats_stream_max_bytes), 0, "stream size limit (bytes, 0 = none)"},
    {"NATS_DUPLICATE_WINDOW_SEC", CFG_INT, "600", -1e18, 1, 86400 * 7,
     OFF(nats_duplicate_window_sec), 0,
     "stream duplicate window; must exceed a collector restart (s)"},
    {"NATS_CURSOR_SAVE_MS", CFG_INT, "1000", -1e18, 10, 3600000,
     OFF(nats_cursor_save_ms), 0,
     "least time between two saves of the publish cursor (ms)"},
};
#pragma GCC diagnostic pop

#define NVARS (sizeof(vars) / sizeof(vars[0]))
_Static_assert(NVARS <= sizeof(((config *)0)->sources), "sources too small");
_Static_assert(NVARS <= CFG_MAX_VARS, "table too large");

static const cfg_table table = CFG_TABLE_OF(config, vars);

const cfg_table *config_table(void)
{
    return &table;
}

/* Limits that involve two variables, applied after the table. */
static void derived_limits(config *cfg, bool quiet)
{
    if (cfg->reconnect_max_delay < cfg->reconnect_min_delay)
        cfg->reconnect_max_delay = cfg->reconnect_min_delay;
    if (cfg->backfill_n > 1000) {
        if (!quiet)
            LOG(LOG_WARNING, LC_MAIN,
                "config_clamped var=BACKFILL_N value=%d used=1000",
                cfg->backfill_n);
        cfg->backfill_n = 1000;
    }
    if (cfg->poll_num > 1000) {
        if (!quiet)
            LOG(LOG_WARNING, LC_MAIN,
                "config_clamped var=FUTU_POLL_NUM value=%d used=1000",
                cfg->poll_num);
        cfg->poll_num = 1000;
    }
    if (cfg->poll_offhours_probe_num > cfg->poll_num)
        cfg->poll_offhours_probe_num = cfg->poll_num;
}

/* NATS_URL must name nats:// or tls:// servers; NATS_STREAM must be a
 * valid stream name. Returns the number of config_error lines logged. */
static int nats_checks(const config *cfg, bool quiet)
{
    int errors = 0;
    char q[1100];
    const char *u = cfg->nats_url;

    if (u[0] && strncmp(u, "nats://", 7) != 0 && strncmp(u, "tls://", 6) != 0) {
        if (!quiet)
            LOG(LOG_ERROR, LC_MAIN,
                "config_error var=NATS_URL value=%s reason=\"want "
                "nats://host:port or tls://host:port\"",
                log_quote(u, q, sizeof(q)));
        errors++;
    }
    if (!pipeline_stream_name_ok(cfg->nats_stream)) {
        if (!quiet)
            LOG(LOG_ERROR, LC_MAIN,
                "config_error var=NATS_STREAM value=%s reason=\"not a "
                "stream name (no spaces, . * > / or backslash)\"",
                log_quote(cfg->nats_stream, q, sizeof(q)));
        errors++;
    }
    return errors;
}

int config_load(config *cfg, const config_load_opts *opts)
{
    int errors = cfg_load(&table, cfg, opts);
    derived_limits(cfg, opts && opts->quiet);
    return errors + nats_checks(cfg, opts && opts->quiet);
}

int config_load_lookup(config *cfg,
                       const char *(*lookup)(const char *name, void *ud),
                       void *ud)
{
    int errors = cfg_load_lookup(&table, cfg, lookup, ud);
    derived_limits(cfg, true);
    return errors + nats_checks(cfg, true);
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
    cfg_print(&table, cfg, fd);
}

void config_print_reference(int fd)
{
    cfg_print_reference(&table, fd);
}
