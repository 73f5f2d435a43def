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

#include "common/opt.h"
#include "common/progress.h"
#include "dayfile/totals.h"

#define CTL_OK 0
#define CTL_RUNTIME 1
#define CTL_USAGE 2

typedef struct ctl_ctx {
    char data_root[1024];
    char data_root_source[32]; /* "--data-root", "DATA_ROOT", "ENV_FILE" … */
    int day;                   /* YYYYMMDD; HK today unless --day */
    bool day_given;
    char db_path[1200]; /* --db, else <data_root>/<day>.db */
    bool db_given;
    bool json; /* --json: one JSON document on stdout */
    char env_file[1024];
    char service_name[128];      /* SERVICE_NAME, hk-tick-collector */
    char futu_service_name[128]; /* FUTU_SERVICE_NAME, futu-opend */
    char trading_tz[64];         /* TRADING_TZ, Asia/Hong_Kong */
    int64_t now_ms;              /* wall clock at start (tests may set) */
} ctl_ctx;

/* Look up a setting: environment, then the env file, then repo .env.
 * Returns a pointer valid until the next call, or NULL. */
const char *ctl_getenv(const ctl_ctx *c, const char *name);

/* dayfile_open_ro(path, 0, db): read-only, immutable when the WAL file is
 * idle, never creates files. Returns SQLITE_OK or an error (*db may still
 * need sqlite3_close). */
int ctl_open_ro(const char *path, sqlite3 **db);
/* Whether a table exists in db. */
bool ctl_has_table(sqlite3 *db, const char *name);

/*
 * What is wrong with an opened day file, for the commands that read a day:
 * "day_file_corrupt" (SQLITE_CORRUPT or SQLITE_NOTADB reading its schema,
 * or rc of a failed query when rc is one of those) or
 * "day_file_foreign_schema" (a ticks table that is not the compat one);
 * NULL when the file is usable (a missing ticks table is the caller's to
 * report). detail gets "<path> (<sqlite error>)". Pass rc SQLITE_OK to
 * check the schema, or the code of a failed query to classify it. Reads
 * the header and schema pages only.
 */
const char *ctl_day_damage(sqlite3 *db, const char *path, int rc, char *detail,
                           size_t cap);
/*
 * ctl_day_damage on a fresh read-only open of path; prints "FAIL <reason>
 * <detail>" (ctl_fail) and returns CTL_USAGE when damaged, else CTL_OK
 * (also when the file cannot be opened at all: the command's own open
 * reports that).
 */
int ctl_day_check(const ctl_ctx *c, const char *path);

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
int ctl_cmd_salvage(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_tg(ctl_ctx *c, int argc, char **argv);
int ctl_cmd_quarantine(ctl_ctx *c, int argc, char **argv);

/*
 * Quality report (compat.md §8.2): compute the report JSON for c->day from
 * the day file with one ordered scan, write it to
 * <data_root>/_reports/quality/<day>.json and return it in *out (caller
 * owns). Returns 0, or CTL_USAGE when the DB is missing (report still
 * written with warnings).
 */
int ctl_quality_report(ctl_ctx *c, json_t **out);

/* ---- helpers added for the core commands (common.c) ------------------ */

/*
 * Match option `name` ("--since") at argv[*i]: accepts "--since VALUE" and
 * "--since=VALUE". Returns 1 and *val (pointer into argv; *i advanced past
 * the value), 0 when argv[*i] is another argument, or -1 after printing a
 * usage error when the value is missing.
 */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **val);
/*
 * Parse argv[1..] against an option table (common/opt.h) into dst with
 * hk-tickctl's wording: a missing value prints "FAIL usage: option
 * --name needs a value" on stderr (then the row's `bad` text when
 * bad_if_missing); an invalid value prints the row's `bad` text through
 * ctl_usage; an unknown argument prints `unknown` (one "%s" = the
 * argument) through ctl_usage. Returns CTL_OK or CTL_USAGE.
 */
int ctl_opts(ctl_ctx *c, const opt_def *defs, size_t n, void *dst, int argc,
             char **argv, const char *unknown);
/* ctl_opts that also accepts one positional argument (not starting with
 * '-') into *pos (pos NULL: none accepted). */
int ctl_opts_pos(ctl_ctx *c, const opt_def *defs, size_t n, void *dst, int argc,
                 char **argv, const char *unknown, const char **pos);
/* OPT_FN apply storing a YYYYMMDD (or YYYY-MM-DD) day into an int. */
int ctl_opt_day(void *field, const char *val, char *err, size_t errlen);
/* Parse a decimal integer in [min, max]. Returns 0 and *out, or -1. */
int ctl_parse_long(const char *s, long min, long max, long *out);
/* Parse "0"/"1" (also true/false/yes/no/on/off). Returns 0 or -1. */
int ctl_parse_bool(const char *s, bool *out);

/*
 * Print "FAIL usage: <message>" to stderr (or a JSON document on stdout
 * with --json) and return CTL_USAGE.
 */
int ctl_usage(const ctl_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Print "FAIL <reason>[ <detail>]" on stdout (or {"result":"FAIL",
 * "reason":..., "detail":...} with --json) and return code.
 */
int ctl_fail(const ctl_ctx *c, int code, const char *reason,
             const char *detail);

/* Size of a file in bytes, or -1 when it does not exist. */
int64_t ctl_file_size(const char *path);
/* Whether `name` is found as an executable in $PATH. */
bool ctl_have_program(const char *name);

/*
 * Run argv (argv[0] looked up in $PATH, stdin /dev/null, stderr discarded)
 * and capture its stdout into *out (malloc'd, NUL-terminated, caller
 * frees). Returns 0 and the wait status in *status, or -1 when the program
 * could not be started (out NULL).
 */
int ctl_run_capture(char *const argv[], char **out, size_t *len, int *status);

/*
 * `journalctl -u <unit> --since <since> --no-pager -o cat -q` output, or
 * NULL when journalctl is missing or fails (caller frees).
 */
char *ctl_journal(const char *unit, const char *since);
/* `systemctl is-active <unit>` first line into buf, "n/a" when unknown. */
const char *ctl_service_state(const char *unit, char *buf, size_t cap);

/*
 * Lowercase hex SHA-256 of a file into hex (65 bytes). Returns 0 or -1.
 * ctl_write_checksum also writes "<hex>  <basename(file)>\n" to sumfile.
 */
int ctl_sha256_file(const char *path, char hex[65]);
int ctl_write_checksum(const char *file, const char *sumfile, char hex[65]);

/*
 * Consistent copy of a day file: SQLite online backup in one step from a
 * read-only source connection into dst (replaced), then
 * journal_mode=DELETE on the copy. Safe while the collector writes.
 * Returns 0, or -1 with a message in err (dst removed).
 */
int ctl_backup_db(const char *src, const char *dst, char *err, size_t errlen);
/*
 * ctl_backup_db with a progress line "<label>: bytes / source size" on
 * stderr while it runs (only when progress_wanted(c->json)). Same result.
 */
int ctl_backup_db_progress(const ctl_ctx *c, const char *label, const char *src,
                           const char *dst, char *err, size_t errlen);

/* Path of the day's quality report: <data_root>/_reports/quality/<day>.json */
void ctl_report_path(const ctl_ctx *c, char *buf, size_t cap);
/* Write doc to path (2-space indent, UTF-8, trailing newline) via a
 * temporary file and rename; creates parent directories. Returns 0 or -1. */
int ctl_json_write_file(json_t *doc, const char *path);
/* mkdir -p. Returns 0 or -1. */
int ctl_mkdirs(const char *dir, int mode);

/* Per-symbol totals of a day file (one row per symbol). */
typedef dayfile_total ctl_symrow;

/* dayfile_totals_read (dayfile/totals.h): same contract. */
int ctl_symbol_totals(sqlite3 *db, int day, ctl_symrow **rows, int *n,
                      bool *from_totals);

/* ---- archive primitives (archive.c; used by restore.c, verify.c) ------ */

/*
 * Stream-decompress the zstd file src into dst (created 0640, replaced,
 * fsync'ed). Fails unless every frame is complete and its content
 * checksum (when present) matches. Returns 0, or -1 with text in err; dst
 * may then hold partial output and is the caller's to remove. pg (may be
 * NULL) gets the compressed bytes read; the caller inits and finishes it.
 */
int ctl_ar_zstd_decompress(const char *src, const char *dst, char *err,
                           size_t ecap, progress *pg);
/*
 * Open path read-only (immutable=1 adds "&immutable=1": only for private
 * copies), optionally run PRAGMA integrity_check (must say "ok"), then
 * SELECT COUNT(*), MAX(ts_ms) FROM ticks (*max_ts 0 when empty). Returns 0,
 * or -1 with text in err.
 */
int ctl_ar_db_check(const char *path, bool immutable, bool integrity,
                    int64_t *count, int64_t *max_ts, char *err, size_t ecap);
/*
 * Parse a "<64 hex>  <name>" checksum file (sha256sum format; "*name"
 * accepted). hex gets 64 lowercase digits, name the file name. Returns 0,
 * or -1 with text in err.
 */
int ctl_ar_sha256_read(const char *sha_path, char hex[65], char *name,
                       size_t ncap, char *err, size_t ecap);
/* 1 when another process holds DATA_ROOT/.hk-tick-collector.lock (the
 * running collector), else 0. Never creates the lock file. */
int ctl_ar_lock_held(const char *data_root);
/* HK trading day (YYYYMMDD) of now_ms. */
int ctl_ar_hk_today(int64_t now_ms);
/* Parse YYYYMMDD (also YYYY-MM-DD). Returns 0 and *day, or -1. */
int ctl_ar_parse_day(const char *v, int *day);
/* ctl_fail with a printf-formatted detail. Returns code. */
int ctl_ar_failf(const ctl_ctx *c, int code, const char *reason,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
