/*
 * tgconf.h - the Telegram notifier's settings (compat.md Appendix A).
 *
 * The fields live inside struct config (config.tg) and are filled by the
 * collector's one variable table (config.c); tgconf_check then validates
 * what the table cannot express (lists, enums, integer-or-empty thread
 * ids) and derives the effective digest cadences. Variables marked inert
 * are accepted and printed by --check-config but change nothing.
 */
#ifndef HK_COLLECTOR_TGCONF_H
#define HK_COLLECTOR_TGCONF_H

#include <stdbool.h>

#define TGCONF_MAX_STEPS 8

typedef struct tgconf {
    bool enabled;               /* TG_ENABLED, 0 */
    char token[256];            /* TG_TOKEN (secret; TG_TOKEN_FILE) */
    char chat_id[64];           /* TG_CHAT_ID */
    char thread_id[32];         /* TG_MESSAGE_THREAD_ID, integer or empty */
    char thread_health_id[32];  /* TG_THREAD_HEALTH_ID */
    char thread_ops_id[32];     /* TG_THREAD_OPS_ID */
    char mode_default[32];      /* TG_MODE_DEFAULT, product (inert) */
    char parse_mode[32];        /* TG_PARSE_MODE, HTML (inert: plain text) */
    int health_interval_sec;    /* HEALTH_INTERVAL_SEC, 900 */
    int health_trading_sec;     /* HEALTH_TRADING_INTERVAL_SEC, 0 = derived */
    int health_offhours_sec;    /* HEALTH_OFFHOURS_INTERVAL_SEC, 0 = derived */
    int health_fixed_sec;       /* HEALTH_FIXED_INTERVAL_SEC, 0 = off */
    bool health_lunch_once;     /* TG_HEALTH_LUNCH_ONCE, 1 */
    bool health_after_close;    /* TG_HEALTH_AFTER_CLOSE_ONCE, 1 */
    char health_holiday[16];    /* TG_HEALTH_HOLIDAY_MODE, daily|disabled */
    int alert_cooldown_sec;     /* ALERT_COOLDOWN_SEC, 600 */
    char alert_steps[128];      /* ALERT_ESCALATION_STEPS, 0,600,1800 */
    int rate_limit_per_min;     /* TG_RATE_LIMIT_PER_MIN, 18 */
    bool include_system;        /* TG_INCLUDE_SYSTEM_METRICS, 1 */
    int busy_alert_threshold;   /* TG_SQLITE_BUSY_ALERT_THRESHOLD, 3 */
    int digest_queue_pct;       /* TG_DIGEST_QUEUE_CHANGE_PCT (inert) */
    int digest_tick_age_sec;    /* TG_DIGEST_LAST_TICK_AGE_… (inert) */
    int digest_drift_sec;       /* TG_DIGEST_DRIFT_THRESHOLD_SEC (inert) */
    bool digest_alive_idle;     /* TG_DIGEST_SEND_ALIVE_WHEN_IDLE (inert) */
    bool interactive;           /* TG_INTERACTIVE_ENABLED (inert) */
    char admin_user_ids[512];   /* TG_ADMIN_USER_IDS (inert) */
    int action_ttl_sec;         /* TG_ACTION_CONTEXT_TTL_SEC (inert) */
    int action_log_lines;       /* TG_ACTION_LOG_MAX_LINES (inert) */
    int action_refresh_sec;     /* TG_ACTION_REFRESH_MIN_… (inert) */
    int action_rate_per_min;    /* TG_ACTION_COMMAND_RATE_… (inert) */
    double action_timeout_sec;  /* TG_ACTION_TIMEOUT_SEC (inert) */
    double action_cmd_timeout;  /* TG_ACTION_COMMAND_TIMEOUT_SEC (inert) */
    char action_allowlist[256]; /* TG_ACTION_COMMAND_ALLOWLIST (inert) */
    int action_lookback_days;   /* TG_ACTION_COMMAND_MAX_LOOKBACK… (inert) */
    /* Δ ours */
    char api_base[256];   /* TG_API_BASE, https://api.telegram.org */
    int alert_grace_sec;  /* TG_ALERT_GRACE_SEC, 60 */
    int queue_max;        /* TG_QUEUE_MAX, 64 */
    int send_timeout_sec; /* TG_SEND_TIMEOUT_SEC, 10 */
    /* Derived by tgconf_check (not variables). */
    int steps[TGCONF_MAX_STEPS]; /* escalation steps, seconds, ascending */
    int n_steps;
    long long thread_main; /* parsed thread ids, 0 = none */
    long long thread_health;
    long long thread_ops;
    bool holiday_daily;   /* TG_HEALTH_HOLIDAY_MODE=daily */
    int eff_trading_sec;  /* effective trading cadence (900..1800) */
    int eff_offhours_sec; /* effective off-hours cadence (>= 30) */
    int eff_fixed_sec;    /* effective fixed cadence (0 or >= 30) */
} tgconf;

/*
 * Validate and derive: escalation steps (comma list of non-negative
 * integers, at most TGCONF_MAX_STEPS, sorted on use), thread ids (empty or
 * an integer), holiday mode (daily|disabled) and the effective cadences.
 * Logs one `config_error var= value= reason=` per bad variable unless
 * quiet, and returns the number of bad variables (0 = valid). Derived
 * fields are set to safe defaults for every bad variable.
 */
int tgconf_check(tgconf *tc, bool quiet);

#endif
