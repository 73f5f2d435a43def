/*
 * config.h - qte-engine's settings: one table of QTE_* variables
 * (config.c) on the shared machinery of common/cfg.h (layers,
 * --check-config, --help-config, exit 78 on errors). The engine side
 * (replay, execution, fees, storage) and the service side (HTTP, admin,
 * TLS, keys, audit, PostgreSQL, Redis) read the same struct.
 */
#ifndef HK_QTE_CONFIG_H
#define HK_QTE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/cfg.h"

/* Log component of the engine (common/log.h). */
#define LC_QTE "qte_engine"

/* Replay modes (QTE_MODE). */
typedef enum qte_mode {
    QTE_MODE_BACKTEST = 0, /* as fast as possible */
    QTE_MODE_REALTIME,     /* event times paced by the wall clock */
    QTE_MODE_ACCEL,        /* paced at QTE_SPEED times the wall clock */
    QTE_MODE_STEPPED,      /* paused; qte_engine_step(n) releases events */
} qte_mode;

/* Where market data comes from (QTE_SOURCE); qte/feed.h. */
typedef enum qte_source_kind {
    QTE_SOURCE_DAYFILE = 0, /* DATA_ROOT/YYYYMMDD.db, read-only */
    QTE_SOURCE_CLICKHOUSE,  /* the pipeline's hot/cold ticks table */
    QTE_SOURCE_JETSTREAM,   /* live: the stream HK_TICKS as it grows */
} qte_source_kind;

/* HK costs; rates are fractions of the trade value (0.001 = 0.1 %),
 * minimums and maximums HKD. Converted to integer units at load. */
typedef struct qte_fee_table {
    double commission_rate; /* broker commission */
    double commission_min;  /* per order fill, HKD */
    double stamp_rate;      /* stamp duty, rounded up to HKD 1 */
    double sfc_rate;        /* SFC transaction levy */
    double afrc_rate;       /* AFRC transaction levy */
    double trading_rate;    /* HKEX trading fee */
    double settle_rate;     /* HKSCC settlement fee */
    double settle_min;      /* HKD */
    double settle_max;      /* HKD; 0 = no maximum */
} qte_fee_table;

typedef struct qte_config {
    /* --- replay --- */
    char source_name[16]; /* dayfile|clickhouse|jetstream */
    qte_source_kind source;
    /* QTE_SOURCE=clickhouse (feed_clickhouse.c) */
    char clickhouse_url[512];      /* http://[user:password@]host:port */
    char clickhouse_database[128]; /* marketprism_hot or marketprism_cold */
    int clickhouse_page_rows;      /* rows per page query */
    int clickhouse_timeout_ms;     /* per request */
    /* --- live source (QTE_SOURCE=jetstream; feed_jetstream.c) --- */
    char nats_url[512];   /* QTE_NATS_URL, nats://host:port[,...] */
    char nats_stream[64]; /* QTE_NATS_STREAM, HK_TICKS */
    char live_start[8];   /* QTE_LIVE_START: new|day|all */
    char data_root[512];  /* DATA_ROOT of the day files */
    char days[512];       /* "20240102,20240103" */
    char symbols[32768];  /* "HK.00700,HK.00005" */
    char mode_name[16];   /* backtest|realtime|accelerated|stepped */
    /* the day-file source's columnar cache (daycache.h) */
    char cache_dir[512]; /* QTE_CACHE_DIR; empty = off */
    qte_mode mode;
    double speed;            /* accelerated factor */
    char strategy[512];      /* .so path; empty = the null strategy */
    char params[1024];       /* "k=v,k=v" */
    double initial_cash;     /* HKD */
    int latency_ms;          /* order placed at t is active at t+latency */
    int queue_capacity;      /* event queue slots */
    int max_orders;          /* order table slots */
    int default_lot;         /* board lot when QTE_LOT_SIZES lacks one */
    char lot_sizes[32768];   /* "HK.00700=100,HK.00005=400" */
    int64_t commit_events;   /* events per store checkpoint */
    int64_t equity_every_ms; /* equity-curve sampling period (replay time) */
    qte_fee_table fees;
    /* --- storage and results --- */
    char sqlite_path[512];  /* SQLite store; empty = none */
    char database_url[512]; /* QTE_DATABASE_URL: PostgreSQL when set */
    char redis_url[512];    /* REDIS_URL: publish qte:* when set */
    char report_dir[512];   /* report.json + report.html; empty = none */
    /* --- service (qte-engine serve) --- */
    char http_bind[64];
    int http_port;  /* 8080 */
    int admin_port; /* 8081 */
    char tls_cert[512];
    char tls_key[512];
    char keys_file[512];  /* hashed API keys */
    char audit_log[512];  /* authentication failures, admin actions */
    char backup_dir[512]; /* backup .tar.gz files */
    char lock_file[512];
    double slow_ms; /* an event slower than this logs SLOW */
    char log_file[512];
    char log_format[8];
    int log_level;
    /* cfg machinery's bookkeeping */
    unsigned char sources[CFG_MAX_VARS];
    char env_file[512];
    char config_file[512];
} qte_config;

/* The table (for tests and --help-config). Valid for the process. */
const cfg_table *qte_config_table(void);

/*
 * Fill cfg from the layers (cfg_load) and check what the table cannot
 * (mode name, fee bounds). Returns 0, or the number of errors after
 * logging config_error for each (unless opts->quiet); cfg then holds
 * valid values (defaults where a value was bad).
 */
int qte_config_load(qte_config *cfg, const cfg_opts *opts);

/* Defaults only, no environment: for tests and embedded use. Returns 0. */
int qte_config_defaults(qte_config *cfg);

/* Map a mode name to *mode. Returns 0, or -1 for an unknown name. */
int qte_mode_parse(const char *name, qte_mode *mode);
/* "backtest", "realtime", "accelerated", "stepped". Static storage. */
const char *qte_mode_name(qte_mode mode);

/* Map a source name to *kind. Returns 0, or -1 for an unknown name. */
int qte_source_parse(const char *name, qte_source_kind *kind);
/* "dayfile", "clickhouse", "jetstream". Static storage. */
const char *qte_source_name(qte_source_kind kind);

/* NAME=VALUE lines (--check-config) to fd. */
void qte_config_print(const qte_config *cfg, int fd);
/* The Markdown reference (--help-config) to fd. */
void qte_config_print_reference(int fd);

#endif
