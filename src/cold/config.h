/*
 * config.h - cold-store's settings: one table of variables (config.c) on
 * the shared machinery of common/cfg.h (layers, --check-config,
 * --help-config, exit 78 on errors).
 */
#ifndef HK_COLD_CONFIG_H
#define HK_COLD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

#define LC_COLD "cold_store"

typedef struct cold_config {
    char clickhouse_url[512];      /* the hot server */
    char cold_clickhouse_url[512]; /* "" = the hot server */
    char hot_database[64];
    char cold_database[64];
    char copy_mode[16]; /* auto | partition | stream */
    bool same_server;   /* derived: partition copies on one server */
    int retention_days;
    char state_dir[512];
    int interval_sec;
    int settle_sec;
    int chunk_mib;
    int timeout_ms;
    int retry_min_ms;
    int retry_max_ms;
    int stale_sec;
    int mismatch_limit;
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
} cold_config;

/* The table (for tests and --help-config). Valid for the process. */
const cfg_table *cold_config_table(void);

/*
 * Fill cfg from the layers (cfg_load) and check what the table cannot:
 * database names are identifiers and differ when both live on one server,
 * COLD_COPY_MODE=partition needs one server, COLD_STATE_DIR is set. Sets
 * same_server. Returns 0, or the number of errors after logging
 * config_error for each.
 */
int cold_config_load(cold_config *cfg, const cfg_opts *opts);

/* NAME=VALUE lines (--check-config) to fd. */
void cold_config_print(const cold_config *cfg, int fd);
/* The Markdown reference (--help-config) to fd. */
void cold_config_print_reference(int fd);

#endif
