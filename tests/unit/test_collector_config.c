/*
 * test_collector_config.c - unit tests for collector/config.c.
 *
 * Every test starts from an environment with none of the collector's
 * variables set (clear_env), sets what it needs with setenv, loads into a
 * heap config (the struct is ~140 KiB) and clears again in teardown, so no
 * test sees another's variables. Tests that need files get their own
 * mkdtemp directory under /tmp, removed in teardown.
 *
 * Coverage: defaults of compat.md §2.2/§2.3; FUTU_SYMBOLS (empty, blanks,
 * duplicates, malformed, long lists); numbers (malformed, out of bounds,
 * clamped to the floor, BACKFILL_N capped at 1000); bools; the enums
 * SQLITE_JOURNAL_MODE, SQLITE_SYNCHRONOUS, LOG_LEVEL; date lists; sessions;
 * error counting across variables; the env file (syntax, precedence,
 * file_overrides, $ENV_FILE, missing file) and the app .env; and
 * config_check_data_root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "collector/config.h"
#include "common/log.h"

/* Every name config.c reads, plus ENV_FILE. */
static const char *const all_vars[] = {
    "FUTU_HOST",
    "FUTU_PORT",
    "FUTU_SYMBOLS",
    "DATA_ROOT",
    "BATCH_SIZE",
    "MAX_WAIT_MS",
    "MAX_QUEUE_SIZE",
    "BACKFILL_N",
    "RECONNECT_MIN_DELAY",
    "RECONNECT_MAX_DELAY",
    "CHECK_INTERVAL_SEC",
    "FUTU_POLL_ENABLED",
    "FUTU_POLL_INTERVAL_SEC",
    "FUTU_POLL_NUM",
    "FUTU_POLL_STALE_SEC",
    "FUTU_POLL_TRADING_ONLY",
    "FUTU_POLL_PREOPEN_ENABLED",
    "FUTU_POLL_OFFHOURS_PROBE_INTERVAL_SEC",
    "FUTU_POLL_OFFHOURS_PROBE_NUM",
    "FUTU_HOLIDAYS",
    "FUTU_HOLIDAY_FILE",
    "FUTU_HALF_DAYS",
    "WATCHDOG_STALL_SEC",
    "WATCHDOG_UPSTREAM_WINDOW_SEC",
    "WATCHDOG_QUEUE_THRESHOLD_ROWS",
    "WATCHDOG_RECOVERY_MAX_FAILURES",
    "WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC",
    "DRIFT_WARN_SEC",
    "STOP_FLUSH_TIMEOUT_SEC",
    "SEED_RECENT_DB_DAYS",
    "PERSIST_RETRY_MAX_ATTEMPTS",
    "PERSIST_RETRY_BACKOFF_SEC",
    "PERSIST_RETRY_BACKOFF_MAX_SEC",
    "PERSIST_HEARTBEAT_INTERVAL_SEC",
    "SQLITE_JOURNAL_MODE",
    "SQLITE_SYNCHRONOUS",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_WAL_AUTOCHECKPOINT",
    "LOG_LEVEL",
    "INSTANCE_ID",
    "GAP_ENABLED",
    "GAP_THRESHOLD_SEC",
    "GAP_ACTIVE_WINDOW_SEC",
    "GAP_ACTIVE_MIN_TICKS",
    "GAP_STALL_WARN_SEC",
    "TRADING_SESSIONS",
    "HEALTH_TICK_SEC",
    "FUTU_LIVENESS_TIMEOUT_SEC",
    "FUTU_CONNECT_TIMEOUT_SEC",
    "FUTU_REQUEST_TIMEOUT_SEC",
    "MAX_BATCH_ROWS",
    "COMMIT_MIN_INTERVAL_MS",
    "DAY_IDLE_CLOSE_SEC",
    "FUTU_RSA_KEY_FILE",
    "ENV_FILE",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(all_vars) / sizeof(all_vars[0]); i++)
        assert_int_equal(unsetenv(all_vars[i]), 0);
}

static void set(const char *name, const char *value)
{
    assert_int_equal(setenv(name, value, 1), 0);
}

struct fx {
    config *cfg;
    char dir[64];
};

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    chmod(p, 0700);
    return remove(p);
}

static void rm_rf(const char *dir)
{
    /* Restore permissions first so a 0500 directory can be emptied. */
    chmod(dir, 0700);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->cfg = calloc(1, sizeof(config));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-config-XXXXXX");
    if (!f->cfg || !mkdtemp(f->dir))
        return -1;
    clear_env();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    clear_env();
    rm_rf(f->dir);
    free(f->cfg);
    free(f);
    return 0;
}

static const config_load_opts quiet = {.quiet = true};

static int load(config *cfg)
{
    return config_load(cfg, &quiet);
}

/* Write text to dir/name; returns the path in buf. */
static const char *write_file(const char *dir, const char *name,
                              const char *text, char *buf, size_t cap)
{
    FILE *fp;
    snprintf(buf, cap, "%s/%s", dir, name);
    fp = fopen(buf, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return buf;
}

/* ------------------------------------------------------------- defaults */

static void test_defaults(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    assert_int_equal(load(c), 0);
    assert_string_equal(c->futu_host, "127.0.0.1");
    assert_int_equal(c->futu_port, 11111);
    assert_int_equal(c->n_symbols, 1);
    assert_string_equal(c->symbols[0], "HK.00700");
    assert_string_equal(c->data_root, "/data/sqlite/HK");
    assert_int_equal(c->batch_size, 500);
    assert_int_equal(c->max_wait_ms, 1000);
    assert_int_equal(c->max_queue_size, 200000);
    assert_int_equal(c->backfill_n, 1000);
    assert_int_equal(c->reconnect_min_delay, 1);
    assert_int_equal(c->reconnect_max_delay, 60);
    assert_int_equal(c->check_interval_sec, 5);
    assert_true(c->poll_enabled);
    assert_int_equal(c->poll_interval_sec, 3);
    assert_int_equal(c->poll_num, 100);
    assert_int_equal(c->poll_stale_sec, 10);
    assert_true(c->poll_trading_only);
    assert_false(c->poll_preopen_enabled);
    assert_int_equal(c->poll_offhours_probe_interval_sec, 0);
    assert_int_equal(c->poll_offhours_probe_num, 1);
    assert_int_equal(c->n_holidays, 0);
    assert_int_equal(c->n_half_days, 0);
    assert_string_equal(c->holiday_file, "");
    assert_int_equal(c->watchdog_stall_sec, 180);
    assert_int_equal(c->watchdog_upstream_window_sec, 60);
    assert_int_equal(c->watchdog_queue_threshold_rows, 100);
    assert_int_equal(c->watchdog_recovery_max_failures, 3);
    assert_float_equal(c->watchdog_recovery_join_timeout_sec, 3.0, 1e-12);
    assert_int_equal(c->drift_warn_sec, 120);
    assert_int_equal(c->stop_flush_timeout_sec, 60);
    assert_int_equal(c->seed_recent_db_days, 3);
    assert_int_equal(c->persist_retry_max_attempts, 0);
    assert_float_equal(c->persist_retry_backoff_sec, 1.0, 1e-12);
    assert_float_equal(c->persist_retry_backoff_max_sec, 2.0, 1e-12);
    assert_int_equal(c->persist_heartbeat_interval_sec, 30);
    assert_string_equal(c->sqlite_journal_mode, "WAL");
    assert_string_equal(c->sqlite_journal_mode, "WAL");
    assert_string_equal(c->sqlite_synchronous, "NORMAL");
    assert_int_equal(c->sqlite_busy_timeout_ms, 5000);
    assert_int_equal(c->sqlite_wal_autocheckpoint, 1000);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_string_equal(c->instance_id, "");
    assert_true(c->gap_enabled);
    assert_float_equal(c->gap_threshold_sec, 10.0, 1e-12);
    assert_int_equal(c->gap_active_window_sec, 300);
    assert_int_equal(c->gap_active_min_ticks, 50);
    assert_float_equal(c->gap_stall_warn_sec, 30.0, 1e-12);
    assert_int_equal(c->n_sessions, 2);
    assert_int_equal(c->sessions[0].start_min, 9 * 60 + 30);
    assert_int_equal(c->sessions[0].end_min, 12 * 60);
    assert_int_equal(c->sessions[1].start_min, 13 * 60);
    assert_int_equal(c->sessions[1].end_min, 16 * 60);
    assert_int_equal(c->health_interval_sec, 60);
    assert_int_equal(c->max_batch_rows, 20000);
    assert_int_equal(c->commit_min_interval_ms, 20);
    assert_int_equal(c->day_idle_close_sec, 300);
    assert_string_equal(c->rsa_key_file, "");
    assert_string_equal(c->env_file, "");
}

/* Values are trimmed; an empty value means the default. */
static void test_trim_and_empty_is_default(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "  HK.00700  ");
    set("FUTU_PORT", "  12345 ");
    set("BATCH_SIZE", "");
    set("FUTU_HOST", " opend.local ");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->futu_port, 12345);
    assert_int_equal(c->batch_size, 500);
    assert_string_equal(c->futu_host, "opend.local");
    assert_string_equal(c->symbols[0], "HK.00700");
}

/* -------------------------------------------------------------- symbols */

static void test_symbols_empty(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    assert_int_equal(load(c), 1); /* unset */
    assert_int_equal(c->n_symbols, 0);
    set("FUTU_SYMBOLS", "");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->n_symbols, 0);
    set("FUTU_SYMBOLS", " , ,, ");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->n_symbols, 0);
}

static void test_symbols_list_and_dups(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700, HK.00981,,HK.00700");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->n_symbols, 2);
    assert_string_equal(c->symbols[0], "HK.00700");
    assert_string_equal(c->symbols[1], "HK.00981");
}

static void test_symbols_malformed(void **state)
{
    config *c = ((struct fx *)*state)->cfg;
    static const char *const bad[] = {
        "00700",
        "HK.",
        ".00700",
        "HK.00700,00981",
        "HK.00 700",
        "HK.0123456789012345678901234567890", /* 34 chars: too long */
        "hk.00700",          /* prefixes are upper case, not normalised */
        "XX.00005",          /* unknown market */
        "HK.00700,XX.00005", /* one bad entry spoils the list */
        "HK.007@0",          /* code characters */
        "HK..",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        set("FUTU_SYMBOLS", bad[i]);
        int errors = load(c);
        if (errors != 1)
            print_error("FUTU_SYMBOLS=\"%s\"\n", bad[i]);
        assert_int_equal(errors, 1);
    }
}

static void test_parse_symbols_direct(void **state)
{
    config *c = ((struct fx *)*state)->cfg;
    char err[256] = "";

    assert_int_equal(
        config_parse_symbols(c, "US.AAPL,HK.00700", err, sizeof(err)), 0);
    assert_int_equal(c->n_symbols, 2);
    assert_string_equal(c->symbols[0], "US.AAPL");
    assert_string_equal(c->symbols[1], "HK.00700");
    /* A second call replaces the list. */
    assert_int_equal(config_parse_symbols(c, "HK.00005", err, sizeof(err)), 0);
    assert_int_equal(c->n_symbols, 1);
    assert_string_equal(c->symbols[0], "HK.00005");
    assert_int_equal(config_parse_symbols(c, " ,", err, sizeof(err)), -1);
    assert_string_equal(err, "FUTU_SYMBOLS is empty");
    assert_int_equal(config_parse_symbols(c, "00700", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "00700"));
    /* The reason names the bad entry and why. */
    assert_int_equal(
        config_parse_symbols(c, "hk.00700,XX.00005", err, sizeof(err)), -1);
    assert_string_equal(err, "unknown market 'hk' in symbol 'hk.00700' "
                             "(known prefixes are upper case: HK, "
                             "HK_FUTURE, US, SH, SZ, SG, JP, AU, MY, CA, "
                             "FX)");
    assert_int_equal(
        config_parse_symbols(c, "HK.00700, XX.00005", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown market 'XX' in symbol 'XX.00005'"));
    /* Every market OpenD knows, and codes with '.', '_', '-'. */
    assert_int_equal(config_parse_symbols(c,
                                          "HK_FUTURE.HSImain,SH.600000,"
                                          "SZ.000001,US.BRK.B,SG.D05,"
                                          "JP.7203,AU.BHP,MY.1155,CA.RY,"
                                          "FX.EUR_USD,US.X-Y",
                                          err, sizeof(err)),
                     0);
    assert_int_equal(c->n_symbols, 11);
}

/* A production-sized list (1000 codes, ~9 KB) must not be cut short. */
static void test_symbols_long_list(void **state)
{
    config *c = ((struct fx *)*state)->cfg;
    size_t cap = 1000 * 10 + 64;
    char *list = malloc(cap);
    size_t o = 0;

    assert_non_null(list);
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(list + o, cap - o, "%sHK.%05d", i ? ", " : "", i);
    assert_true(o > 8192);
    set("FUTU_SYMBOLS", list);
    assert_int_equal(load(c), 0);
    assert_int_equal(c->n_symbols, 1000);
    assert_string_equal(c->symbols[0], "HK.00000");
    assert_string_equal(c->symbols[999], "HK.00999");
    free(list);
}

/* -------------------------------------------------------------- numbers */

static void test_port(void **state)
{
    config *c = ((struct fx *)*state)->cfg;
    static const char *const bad[] = {
        "abc", "70000", "0", "-1", "11111x", "1.5", "99999999999999999999"};

    set("FUTU_SYMBOLS", "HK.00700");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        set("FUTU_PORT", bad[i]);
        int errors = load(c);
        if (errors != 1)
            print_error("FUTU_PORT=\"%s\"\n", bad[i]);
        assert_int_equal(errors, 1);
        assert_int_equal(c->futu_port, 11111); /* default kept */
    }
    set("FUTU_PORT", "65535");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->futu_port, 65535);
    set("FUTU_PORT", "1");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->futu_port, 1);
}

static void test_floor_clamp(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("BATCH_SIZE", "0");
    set("MAX_WAIT_MS", "0");
    set("FUTU_POLL_STALE_SEC", "1");
    set("PERSIST_RETRY_BACKOFF_SEC", "0.001");
    set("GAP_THRESHOLD_SEC", "0");
    set("WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC", "0.05");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->batch_size, 1);
    assert_int_equal(c->max_wait_ms, 1);
    assert_int_equal(c->poll_stale_sec, 2);
    assert_float_equal(c->persist_retry_backoff_sec, 0.01, 1e-12);
    assert_float_equal(c->gap_threshold_sec, 0.1, 1e-12);
    assert_float_equal(c->watchdog_recovery_join_timeout_sec, 0.1, 1e-12);
    /* A valid number below the floor, even negative, is raised (compat.md
     * §2.1); one that is not a number, or above the maximum, is an error. */
    set("BATCH_SIZE", "-5");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->batch_size, 1);
    set("GAP_THRESHOLD_SEC", "-2.5");
    assert_int_equal(load(c), 0);
    assert_float_equal(c->gap_threshold_sec, 0.1, 1e-12);
    set("BATCH_SIZE", "-5x");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->batch_size, 500);
    set("BATCH_SIZE", "2000000000");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->batch_size, 500);
    set("BATCH_SIZE", "7");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->batch_size, 7);
}

static void test_doubles(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("PERSIST_RETRY_BACKOFF_SEC", "0.25");
    set("PERSIST_RETRY_BACKOFF_MAX_SEC", "4");
    assert_int_equal(load(c), 0);
    assert_float_equal(c->persist_retry_backoff_sec, 0.25, 1e-12);
    assert_float_equal(c->persist_retry_backoff_max_sec, 4.0, 1e-12);
    set("PERSIST_RETRY_BACKOFF_SEC", "fast");
    assert_int_equal(load(c), 1);
    assert_float_equal(c->persist_retry_backoff_sec, 1.0, 1e-12);
    set("PERSIST_RETRY_BACKOFF_SEC", "nan");
    assert_int_equal(load(c), 1);
    set("PERSIST_RETRY_BACKOFF_SEC", "inf");
    assert_int_equal(load(c), 1);
}

static void test_backfill_cap(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("BACKFILL_N", "5000");
    set("FUTU_POLL_NUM", "2000");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->backfill_n, 1000);
    assert_int_equal(c->poll_num, 1000);
    set("BACKFILL_N", "0");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->backfill_n, 0);
    set("BACKFILL_N", "250");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->backfill_n, 250);
}

static void test_derived_limits(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("RECONNECT_MIN_DELAY", "30");
    set("RECONNECT_MAX_DELAY", "5");
    set("FUTU_POLL_NUM", "10");
    set("FUTU_POLL_OFFHOURS_PROBE_NUM", "50");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->reconnect_min_delay, 30);
    assert_int_equal(c->reconnect_max_delay, 30);
    assert_int_equal(c->poll_offhours_probe_num, 10);
}

/* ---------------------------------------------------------------- bools */

static void test_bools(void **state)
{
    config *c = ((struct fx *)*state)->cfg;
    static const struct {
        const char *raw;
        bool val;
    } ok[] = {
        {"yes", true}, {"No", false},  {"ON", true},     {"0", false},
        {"1", true},   {"TRUE", true}, {"false", false}, {"y", true},
        {"N", false},  {"off", false},
    };

    set("FUTU_SYMBOLS", "HK.00700");
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        set("FUTU_POLL_ENABLED", ok[i].raw);
        set("FUTU_POLL_PREOPEN_ENABLED", ok[i].raw);
        assert_int_equal(load(c), 0);
        if (c->poll_enabled != ok[i].val)
            print_error("bool \"%s\"\n", ok[i].raw);
        assert_int_equal(c->poll_enabled, ok[i].val);
        assert_int_equal(c->poll_preopen_enabled, ok[i].val);
    }
    set("FUTU_POLL_ENABLED", "garbage");
    set("FUTU_POLL_PREOPEN_ENABLED", "2");
    assert_int_equal(load(c), 2);
    assert_true(c->poll_enabled);          /* default 1 */
    assert_false(c->poll_preopen_enabled); /* default 0 */
}

/* ---------------------------------------------------------------- enums */

static void test_journal_and_sync(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("SQLITE_JOURNAL_MODE", "wal");
    set("SQLITE_SYNCHRONOUS", "full");
    assert_int_equal(load(c), 0);
    assert_string_equal(c->sqlite_journal_mode, "WAL");
    assert_string_equal(c->sqlite_synchronous, "FULL");
    set("SQLITE_JOURNAL_MODE", "Truncate");
    assert_int_equal(load(c), 0);
    assert_string_equal(c->sqlite_journal_mode, "TRUNCATE");
    set("SQLITE_JOURNAL_MODE", "bogus");
    set("SQLITE_SYNCHRONOUS", "2");
    assert_int_equal(load(c), 2);
    assert_string_equal(c->sqlite_journal_mode, "WAL");
    assert_string_equal(c->sqlite_synchronous, "NORMAL");
}

static void test_log_level(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("LOG_LEVEL", "warn");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->log_level, LOG_WARNING);
    set("LOG_LEVEL", "WARNING");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->log_level, LOG_WARNING);
    set("LOG_LEVEL", "debug");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->log_level, LOG_DEBUG);
    set("LOG_LEVEL", "verbose");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->log_level, LOG_INFO);
}

/* ---------------------------------------------------- dates and sessions */

static void test_holidays(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("FUTU_HOLIDAYS", "2026-01-01,20260217");
    set("FUTU_HALF_DAYS", " 2026/12/24 , ");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->n_holidays, 2);
    assert_int_equal(c->holidays[0], 20260101);
    assert_int_equal(c->holidays[1], 20260217);
    assert_int_equal(c->n_half_days, 1);
    assert_int_equal(c->half_days[0], 20261224);
    set("FUTU_HOLIDAYS", "2026-13-01");
    assert_int_equal(load(c), 1);
    assert_int_equal(c->n_holidays, 0);
    set("FUTU_HOLIDAYS", "202601");
    assert_int_equal(load(c), 1);
    set("FUTU_HOLIDAYS", "2026-01-01x");
    assert_int_equal(load(c), 1);
}

static void test_sessions(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    set("FUTU_SYMBOLS", "HK.00700");
    set("TRADING_SESSIONS", "09:00-10:30, 14:00-24:00");
    assert_int_equal(load(c), 0);
    assert_int_equal(c->n_sessions, 2);
    assert_int_equal(c->sessions[0].start_min, 540);
    assert_int_equal(c->sessions[0].end_min, 630);
    assert_int_equal(c->sessions[1].start_min, 840);
    assert_int_equal(c->sessions[1].end_min, 1440);

    static const char *const bad[] = {
        "13:00-12:00", "12:00-12:00", "9:30-12:00", "09:30-12:60",
        "09:30",       "25:00-26:00", ",",          "09:30-12:00,x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        set("TRADING_SESSIONS", bad[i]);
        int errors = load(c);
        if (errors != 1)
            print_error("TRADING_SESSIONS=\"%s\"\n", bad[i]);
        assert_int_equal(errors, 1);
        /* the default is restored */
        assert_int_equal(c->n_sessions, 2);
        assert_int_equal(c->sessions[0].start_min, 570);
        assert_int_equal(c->sessions[1].end_min, 960);
    }
}

/* ------------------------------------------------------- error counting */

static void test_errors_counted(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    /* FUTU_SYMBOLS unset is one of them. */
    set("FUTU_PORT", "abc");
    set("BATCH_SIZE", "many");
    set("GAP_ENABLED", "maybe");
    set("LOG_LEVEL", "loud");
    set("SQLITE_JOURNAL_MODE", "wal2");
    set("TRADING_SESSIONS", "13:00-12:00");
    set("FUTU_HOLIDAYS", "tomorrow");
    assert_int_equal(load(c), 8);
    /* cfg stays fully initialised */
    assert_int_equal(c->futu_port, 11111);
    assert_int_equal(c->batch_size, 500);
    assert_true(c->gap_enabled);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_string_equal(c->sqlite_journal_mode, "WAL");
    assert_int_equal(c->n_sessions, 2);
    /* Not quiet: the same count (errors are logged, not fatal). */
    set("FUTU_SYMBOLS", "HK.00700");
    int old = log_level_get();
    log_level_set(LOG_CRITICAL);
    config_load_opts loud = {.quiet = false};
    assert_int_equal(config_load(c, &loud), 7);
    log_level_set(old);
}

/* ------------------------------------------------------------- env file */

static const char ENV_TEXT[] = "# collector settings\n"
                               "\n"
                               "   # indented comment\n"
                               "export FUTU_SYMBOLS=\"HK.00700,HK.00981\"\n"
                               "FUTU_PORT = 22222  \n"
                               "  FUTU_HOST='opend.example'\n"
                               "INSTANCE_ID=\"a b\"\n"
                               "BATCH_SIZE=42\n"
                               "not a pair\n"
                               "LOG_LEVEL=ERROR\n";

static void test_env_file(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    char path[256];
    config_load_opts o = {.quiet = true};

    o.env_file =
        write_file(f->dir, "collector.env", ENV_TEXT, path, sizeof(path));
    /* The file fills unset names. */
    assert_int_equal(config_load(c, &o), 0);
    assert_int_equal(c->n_symbols, 2);
    assert_string_equal(c->symbols[1], "HK.00981");
    assert_int_equal(c->futu_port, 22222);
    assert_string_equal(c->futu_host, "opend.example");
    assert_string_equal(c->instance_id, "a b");
    assert_int_equal(c->batch_size, 42);
    assert_int_equal(c->log_level, LOG_ERROR);
    assert_string_equal(c->env_file, path);

    /* The environment wins over the file. */
    set("FUTU_PORT", "33333");
    set("FUTU_SYMBOLS", "HK.00005");
    assert_int_equal(config_load(c, &o), 0);
    assert_int_equal(c->futu_port, 33333);
    assert_int_equal(c->n_symbols, 1);
    assert_string_equal(c->symbols[0], "HK.00005");
    assert_int_equal(c->batch_size, 42); /* still from the file */

    /* file_overrides (SIGHUP reload): the file wins where it has a value. */
    o.file_overrides = true;
    set("MAX_WAIT_MS", "777"); /* not in the file: env still applies */
    assert_int_equal(config_load(c, &o), 0);
    assert_int_equal(c->futu_port, 22222);
    assert_int_equal(c->n_symbols, 2);
    assert_string_equal(c->symbols[0], "HK.00700");
    assert_int_equal(c->max_wait_ms, 777);
}

static void test_env_file_from_env_var(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    char path[256];
    char missing[256];

    write_file(f->dir, "via-var.env", "FUTU_SYMBOLS=HK.09988\n", path,
               sizeof(path));
    set("ENV_FILE", path);
    assert_int_equal(load(c), 0);
    assert_int_equal(c->n_symbols, 1);
    assert_string_equal(c->symbols[0], "HK.09988");
    assert_string_equal(c->env_file, path);

    /* An unreadable $ENV_FILE is skipped silently (CLI convenience). */
    snprintf(missing, sizeof(missing), "%s/nope.env", f->dir);
    set("ENV_FILE", missing);
    assert_int_equal(load(c), 1); /* only FUTU_SYMBOLS is empty */
    assert_string_equal(c->env_file, "");

    /* An explicit --env-file that does not exist is an error. */
    unsetenv("ENV_FILE");
    set("FUTU_SYMBOLS", "HK.00700");
    config_load_opts o = {.quiet = true, .env_file = missing};
    assert_int_equal(config_load(c, &o), 1);
}

static void test_app_env(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    char p1[256], p2[256];

    write_file(f->dir, ".env",
               "FUTU_SYMBOLS=HK.00001\nFUTU_PORT=1234\n"
               "BATCH_SIZE=9\n",
               p1, sizeof(p1));
    write_file(f->dir, "explicit.env", "FUTU_PORT=4321\n", p2, sizeof(p2));
    config_load_opts o = {.quiet = true, .app_dir = f->dir};
    assert_int_equal(config_load(c, &o), 0);
    assert_string_equal(c->symbols[0], "HK.00001");
    assert_int_equal(c->futu_port, 1234);
    /* env file before app .env; env before both */
    o.env_file = p2;
    set("BATCH_SIZE", "11");
    assert_int_equal(config_load(c, &o), 0);
    assert_int_equal(c->futu_port, 4321);
    assert_int_equal(c->batch_size, 11);
    assert_string_equal(c->symbols[0], "HK.00001");
}

/* ------------------------------------------------------------ data root */

static void test_data_root_nested_missing(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    char root[256], first[256];
    struct stat st;

    set("FUTU_SYMBOLS", "HK.00700");
    snprintf(root, sizeof(root), "%s/a/b/c", f->dir);
    snprintf(first, sizeof(first), "%s/a", f->dir);
    set("DATA_ROOT", root);
    assert_int_equal(load(c), 0);
    assert_string_equal(c->data_root, root);
    assert_int_equal(config_check_data_root(c), 0);
    assert_int_equal(stat(first, &st), -1); /* nothing created */
    assert_int_equal(errno, ENOENT);
    /* An existing writable directory. */
    snprintf(c->data_root, sizeof(c->data_root), "%s", f->dir);
    assert_int_equal(config_check_data_root(c), 0);
}

static void test_data_root_bad(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    char file[256];
    int old = log_level_get();

    log_level_set(LOG_CRITICAL); /* config_error lines are expected */
    set("FUTU_SYMBOLS", "HK.00700");
    assert_int_equal(load(c), 0);
    write_file(f->dir, "plain", "x\n", file, sizeof(file));
    /* Parent is a regular file. */
    snprintf(c->data_root, sizeof(c->data_root), "%s/plain/day", f->dir);
    assert_int_equal(config_check_data_root(c), -1);
    /* DATA_ROOT itself is a regular file. */
    snprintf(c->data_root, sizeof(c->data_root), "%s", file);
    assert_int_equal(config_check_data_root(c), -1);
    c->data_root[0] = '\0';
    assert_int_equal(config_check_data_root(c), -1);
    if (geteuid() != 0) {
        /* Read-only parent (root bypasses permissions, so only as user). */
        char ro[256];
        snprintf(ro, sizeof(ro), "%s/ro", f->dir);
        assert_int_equal(mkdir(ro, 0700), 0);
        assert_int_equal(chmod(ro, 0500), 0);
        snprintf(c->data_root, sizeof(c->data_root), "%s/x/y", ro);
        assert_int_equal(config_check_data_root(c), -1);
        chmod(ro, 0700);
    }
    log_level_set(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trim_and_empty_is_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_symbols_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symbols_list_and_dups, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_symbols_malformed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parse_symbols_direct, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_symbols_long_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor_clamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_doubles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backfill_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derived_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_and_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holidays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_file_from_env_var, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_app_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_root_nested_missing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_data_root_bad, setup, teardown),
    };

    return cmocka_run_group_tests_name("collector_config", tests, NULL, NULL);
}
