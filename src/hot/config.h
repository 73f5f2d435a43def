/*
 * config.h - hot-store's settings: one table of variables (config.c) on
 * the shared machinery of common/cfg.h (layers, --check-config,
 * --help-config, exit 78 on errors).
 */
#ifndef HK_HOT_CONFIG_H
#define HK_HOT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

typedef struct hot_config {
    char nats_url[512];
    char nats_stream[64];
    char subjects[128];
    char consumer[64];
    int64_t stream_max_age_sec;
    int64_t stream_max_bytes;
    int64_t dup_window_sec;
    char clickhouse_url[512];
    char database[64];
    int batch_rows;
    int batch_ms;
    int insert_timeout_ms;
    int ack_wait_sec;
    int retry_min_ms;
    int retry_max_ms;
    int lag_interval_sec;
    int stale_sec;
    int drain_sec;
    char http_host[64];
    int http_port;
    char lock_file[512];
    char log_file[512];
    char log_format[8];
    int log_level;
    /* cfg machinery's bookkeeping */
    unsigned char sources[CFG_MAX_VARS];
    char env_file[512];
    char config_file[512];
} hot_config;

/* The table (for tests and --help-config). Valid for the process. */
const cfg_table *hot_config_table(void);

/*
 * Fill cfg from the layers (cfg_load) and check what the table cannot:
 * the database and stream names, batch limits, retry bounds; HOT_BATCH_MS
 * is clamped to half of HOT_ACK_WAIT_SEC (logged config_clamped). Returns 0,
 * or the number of errors after logging config_error for each; cfg then
 * holds valid values (defaults where a value was bad).
 */
int hot_config_load(hot_config *cfg, const cfg_opts *opts);

/* NAME=VALUE lines (--check-config) to fd. */
void hot_config_print(const hot_config *cfg, int fd);
/* The Markdown reference (--help-config) to fd. */
void hot_config_print_reference(int fd);

#endif
