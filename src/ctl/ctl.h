/*
 * ctl.h - shared context and helpers of hk-tickctl subcommands.
 *
 * main.c parses the global options (--data-root, --day, --json, --db,
 * accepted before or after the subcommand), resolves DATA_ROOT with the
 * precedence --data-root > $DATA_ROOT > $ENV_FILE (default
 * /etc/hk-tick-collector.env) > repo .env > /data/sqlite/HK, and calls one
 * command function with the remaining arguments. Every command returns the
 * process exit code: 0 OK/WARN/nothing to do, 1 runtime failure, 2 usage
 * error / missing DB or table / FAIL verdict (compat.md §7.1).
 * All database access by commands is read-only (ctl_open_ro).
 */
#ifndef HK_CTL_CTL_H
#define HK_CTL_CTL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define CTL_OK 0
#define CTL_RUNTIME 1
#define CTL_USAGE 2

typedef struct ctl_ctx {
    char data_root[1024];
    char data_root_source[32]; /* "--data-root", "DATA_ROOT", "ENV_FILE" … */
    int day;                   /* YYYYMMDD; HK today unless --day */
    bool day_given;
    char db_path[1200];        /* --db, else <data_root>/<day>.db */
    bool db_given;
    bool json;                 /* --json: one JSON document on stdout */
    char env_file[1024];
    char service_name[128];    /* SERVICE_NAME, hk-tick-collector */
    char futu_service_name[128]; /* FUTU_SERVICE_NAME, futu-opend */
    char trading_tz[64];       /* TRADING_TZ, Asia/Hong_Kong */
    int64_t now_ms;            /* wall clock at start (tests may set) */
} ctl_ctx;

/* Look up a setting: environment, then the env file, then repo .env.
 * Returns a pointer valid until the next call, or NULL. */
const char *ctl_getenv(const ctl_ctx *c, const char *name);

/* Open a day file read-only ("file:<path>?mode=ro", URI). Returns SQLITE_OK
 * or an error; never creates files. */
int ctl_open_ro(const char *path, sqlite3 **db);
/* Whether a table exists in db. */
bool ctl_has_table(sqlite3 *db, const char *name);

/* REAL in compat.md §7.1 form: shortest round-trip, at least one decimal
 * ("320.2", "3200000.0"). buf >= 32. */
const char *ctl_fmt_real(double v, char *buf, size_t cap);
/* Age in seconds, 3 decimals, shortest form ("0.0", "12.345"). */
const char *ctl_fmt_age(double sec, char *buf, size_t cap);
/* "YYYY-MM-DD HH:MM:SS" in TRADING_TZ (HK) of utc_ms, or "n/a" when 0. */
const char *ctl_fmt_hkt(int64_t utc_ms, char *buf, size_t cap);

/* Emit a JSON document to stdout (compact=false: 2-space indent) and free
 * it. Returns 0 or CTL_RUNTIME. */
int ctl_json_out(json_t *doc);

/* Commands (argv[0] is the subcommand name). */
int ctl_cmd_status(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_validate(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_logs(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_doctor(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_export(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_db(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_archive(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_restore(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_verify(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_probe(ctl_ctx *c, int argc, char **argv);

/*
 * Quality report (compat.md §8.2): compute the report JSON for c->day from
 * the day file with one ordered scan, write it to
 * <data_root>/_reports/quality/<day>.json and return it in *out (caller
 * owns). Returns 0, or CTL_USAGE when the DB is missing (report still
 * written with warnings).
 */
int ctl_quality_report(ctl_ctx *c, json_t **out);

#endif
