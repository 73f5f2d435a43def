/*
 * config.h - the collector's configuration: one table of variables.
 *
 * Every variable of compat.md §2.2/§2.3 (plus a few Δ ones) is an entry of
 * name, kind, default, floor/bounds and destination field in struct
 * config. The machinery (layers, kinds, clamping, config_error reporting,
 * --check-config and --help-config printing, *_FILE secrets) is
 * common/cfg.h; its header lists the layers and their order:
 * defaults < config file < app .env < env file < environment < NAME_FILE
 * secrets (on SIGHUP reload the env file is placed above the environment).
 * A value below its floor is raised to it and logged (config_clamped); a
 * malformed value, one above its maximum, a symbol OpenD does not know, or
 * an unreadable/irregular/oversized file is an error (config_error, all of
 * them reported) and the daemon exits 78 before touching any file.
 */
#ifndef HK_COLLECTOR_CONFIG_H
#define HK_COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/tgconf.h"
#include "common/cfg.h"

#define CONFIG_MAX_SYMBOLS 4096
#define CONFIG_SYMBOL_LEN 32
#define CONFIG_MAX_SESSIONS 8
#define CONFIG_MAX_DATES 512
#define CONFIG_EXIT_INVALID CFG_EXIT_INVALID

typedef struct config_session {
    int start_min; /* minutes after HK midnight */
    int end_min;
} config_session;

typedef struct config {
    char futu_host[256];
    int futu_port;
    char symbols[CONFIG_MAX_SYMBOLS][CONFIG_SYMBOL_LEN];
    int n_symbols;
    char data_root[1024];
    int batch_size;
    int max_wait_ms;
    int max_queue_size;
    int backfill_n;
    int reconnect_min_delay;
    int reconnect_max_delay;
    int check_interval_sec;
    bool poll_enabled;
    int poll_interval_sec;
    int poll_num;
    int poll_stale_sec;
    bool poll_trading_only;
    bool poll_preopen_enabled;
    int poll_offhours_probe_interval_sec;
    int poll_offhours_probe_num;
    int holidays[CONFIG_MAX_DATES]; /* YYYYMMDD */
    int n_holidays;
    int half_days[CONFIG_MAX_DATES];
    int n_half_days;
    char holiday_file[1024];
    int watchdog_stall_sec;
    int watchdog_upstream_window_sec;
    int watchdog_queue_threshold_rows;
    int watchdog_recovery_max_failures;
    double watchdog_recovery_join_timeout_sec;
    int drift_warn_sec;
    int stop_flush_timeout_sec;
    int seed_recent_db_days;
    int persist_retry_max_attempts;
    double persist_retry_backoff_sec;
    double persist_retry_backoff_max_sec;
    int persist_heartbeat_interval_sec;
    char sqlite_journal_mode[16];
    char sqlite_synchronous[16];
    int sqlite_busy_timeout_ms;
    int sqlite_wal_autocheckpoint;
    int sqlite_cache_mib; /* SQLITE_CACHE_MIB, 8 */
    int log_level;
    char instance_id[128];
    bool gap_enabled;
    double gap_threshold_sec;
    int gap_active_window_sec;
    int gap_active_min_ticks;
    double gap_stall_warn_sec;
    config_session sessions[CONFIG_MAX_SESSIONS];
    int n_sessions;
    /* Δ variables of ours */
    int health_interval_sec;      /* HEALTH_TICK_SEC, 60 */
    int liveness_timeout_sec;     /* FUTU_LIVENESS_TIMEOUT_SEC, 0 = auto */
    int connect_timeout_sec;      /* FUTU_CONNECT_TIMEOUT_SEC, 10 */
    int request_timeout_sec;      /* FUTU_REQUEST_TIMEOUT_SEC, 12 */
    int max_batch_rows;           /* MAX_BATCH_ROWS, 20000 */
    int commit_min_interval_ms;   /* COMMIT_MIN_INTERVAL_MS, 20 */
    int day_idle_close_sec;       /* DAY_IDLE_CLOSE_SEC, 300 */
    char rsa_key_file[1024];      /* FUTU_RSA_KEY_FILE, empty = plaintext */
    char http_host[256];          /* HTTP_HOST, 127.0.0.1 */
    int http_port;                /* HTTP_PORT, 9200; 0 off, -1 ephemeral */
    char api_key[256];            /* API_KEY (secret; API_KEY_FILE) */
    int health_max_lag_sec;       /* HEALTH_MAX_LAG_SEC, 120 */
    int health_startup_grace_sec; /* HEALTH_STARTUP_GRACE_SEC, 30 */
    int health_disk_min_free_pct; /* HEALTH_DISK_MIN_FREE_PCT, 10 */
    char log_file[1024];          /* LOG_FILE, empty = stderr */
    char log_format[8];           /* LOG_FORMAT, text | json */
    char config_file[1024];       /* the config file read, if any */
    char env_file[1024];          /* the env file read, if any */
    tgconf tg;                    /* TG_*, HEALTH_INTERVAL_*, ALERT_* */
    unsigned char sources[160];   /* cfg_source per table entry */
    /* Row validation (validate.h): ACCEPT_DAYS_BACK 14, ACCEPT_DAYS_AHEAD
     * 1, ACCEPT_PRICE_MAX 1e9, ACCEPT_VOLUME_MAX 1e12 (a double: CFG_INT
     * is an int), QUARANTINE_MAX_ROWS_PER_DAY 1000000. */
    int accept_days_back;
    int accept_days_ahead;
    double accept_price_max;
    double accept_volume_max;
    int quarantine_max_rows_per_day;

    /* NATS publisher (publish.h); NATS_URL empty = off */
    char nats_url[512];
    char nats_stream[64];
    int nats_max_pending;
    int nats_stream_max_age_sec;
    int64_t nats_stream_max_bytes;
    int nats_duplicate_window_sec;
    int nats_cursor_save_ms;
} config;

/* Load options (layers, reload, quiet): see common/cfg.h. */
typedef cfg_opts config_load_opts;

/*
 * Fill cfg from the sources. Returns 0, or the number of invalid variables
 * (> 0) after logging one config_error line for each. cfg is fully
 * initialised either way. No file is created or modified.
 */
int config_load(config *cfg, const config_load_opts *opts);

/*
 * Fill cfg from lookup(name, ud) (raw text or NULL per variable) instead of
 * the layers, silently: a bad value gets its default, a low one its floor.
 * For hk-tickctl, which reads the collector's variables its own way.
 * Returns the number of bad values.
 */
int config_load_lookup(config *cfg,
                       const char *(*lookup)(const char *name, void *ud),
                       void *ud);

/* The collector's variable table; static, valid for the process. */
const cfg_table *config_table(void);

/*
 * Check that DATA_ROOT exists and is writable, or could be created (its
 * nearest existing parent is a writable directory). Creates nothing.
 * Returns 0 or -1 after logging config_error var=DATA_ROOT.
 */
int config_check_data_root(const config *cfg);

/* Print every variable as NAME=VALUE  # source, to fd. */
void config_print(const config *cfg, int fd);

/* Print the variable table as Markdown (docs/config.md is made of it). */
void config_print_reference(int fd);

/* Parse a symbol list ("HK.00700, HK.00981") into cfg->symbols; returns 0
 * or -1 with reason in err. Duplicates dropped. */
int config_parse_symbols(config *cfg, const char *list, char *err,
                         size_t errlen);

#endif
