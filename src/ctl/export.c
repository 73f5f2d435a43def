/*
 * export.c - `hk-tickctl export [legacy]|db|gaps|report` (compat.md §7.2).
 *
 * Every export reads the day file through ctl_backup_db or a read-only
 * connection, so it is safe while the collector writes:
 *   legacy  one consistent backup copy <tmpdir>/<day>.db, packed with
 *           `tar -czf <out> -C <tmpdir> <day>.db` (posix_spawnp, no shell),
 *           then <out>.sha256 = "<hex>  <basename>\n";
 *   db      online backup in one step, journal_mode=DELETE on the copy;
 *   gaps    CSV of the day's gaps rows (RFC 4180 quoting, "\n" lines);
 *   report  the quality report, generated when missing, copied.
 * On a terminal (and without --json) the backup copy and the tar run show
 * a progress line on stderr (common/progress.h).
 * An existing output file (the tarball, the copy, the CSV, the report copy)
 * is never replaced unless --force is given: `FAIL out_exists <path> (use
 * --force to replace it)`, exit 2, like `restore` (issue 8 item 8).
 *
 * ctl_cmd_export = export_parse → one export_<kind> (work, then its OK
 * line or JSON document).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/ctl.h"

extern char **environ;

static int need_db(ctl_ctx *c)
{
    if (ctl_file_size(c->db_path) < 0)
        return ctl_fail(c, CTL_USAGE, "db_not_found", c->db_path);
    return CTL_OK;
}

/* CTL_USAGE after FAIL out_exists when path exists and --force is off. */
static int refuse_existing(const ctl_ctx *c, const char *path, bool force)
{
    struct stat st;
    if (force || lstat(path, &st) != 0)
        return CTL_OK;
    return ctl_ar_failf(c, CTL_USAGE, "out_exists",
                        "%s (use --force to replace it)", path);
}

static int ok_line(ctl_ctx *c, const char *key, const char *out)
{
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, key, json_string(out));
        return ctl_json_out(o);
    }
    printf("OK %s=%s\n", key, out);
    return CTL_OK;
}

static int run_wait(char *const argv[])
{
    pid_t pid;
    int st = 0;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int export_legacy(ctl_ctx *c, const char *out, bool force)
{
    char def[64], tmpdir[] = "/tmp/hk-tickctl.XXXXXX", copy[PATH_MAX];
    char name[32], sum[PATH_MAX + 8], hex[65], err[256];
    int rc;

    if ((rc = need_db(c)) != CTL_OK)
        return rc;
    if (!out) {
        snprintf(def, sizeof(def), "/tmp/hk-%08d.tar.gz", c->day);
        out = def;
    }
    if ((rc = refuse_existing(c, out, force)) != CTL_OK)
        return rc;
    if (!mkdtemp(tmpdir))
        return ctl_fail(c, CTL_RUNTIME, "export_failed", strerror(errno));
    snprintf(name, sizeof(name), "%08d.db", c->day);
    snprintf(copy, sizeof(copy), "%s/%s", tmpdir, name);
    if (ctl_backup_db_progress(c, "export: backup", c->db_path, copy, err,
                               sizeof(err)) != 0) {
        rmdir(tmpdir);
        return ctl_fail(c, CTL_RUNTIME, "backup_failed", err);
    }
    {
        char *argv[] = {"tar", "-czf", (char *)out, "-C", tmpdir, name, NULL};
        progress pg;
        progress_init(&pg, "export: tar", PROGRESS_BYTES, 0,
                      progress_wanted(c->json));
        (void)progress_watch_start(&pg, out);
        rc = run_wait(argv);
        progress_finish(&pg);
    }
    unlink(copy);
    rmdir(tmpdir);
    if (rc != 0)
        return ctl_fail(c, CTL_RUNTIME, "tar_failed", out);
    snprintf(sum, sizeof(sum), "%s.sha256", out);
    if (ctl_write_checksum(out, sum, hex) != 0)
        return ctl_fail(c, CTL_RUNTIME, "checksum_failed", sum);
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "legacy_export", json_string(out));
        json_object_set_new(o, "sha256", json_string(hex));
        json_object_set_new(o, "checksum_file", json_string(sum));
        return ctl_json_out(o);
    }
    printf("OK legacy_export=%s\n", out);
    printf("sha256=%s\n", hex);
    printf("checksum_file=%s\n", sum);
    return CTL_OK;
}

static int export_db(ctl_ctx *c, const char *out, bool force)
{
    char path[PATH_MAX], err[256];
    struct stat st;
    int rc;

    if ((rc = need_db(c)) != CTL_OK)
        return rc;
    if (!out) {
        snprintf(path, sizeof(path), "./%08d.backup.db", c->day);
    } else {
        const char *base = strrchr(out, '/');
        base = base ? base + 1 : out;
        bool is_dir = stat(out, &st) == 0 && S_ISDIR(st.st_mode);
        size_t n = strlen(out);
        if (is_dir || !strchr(base, '.') || (n && out[n - 1] == '/')) {
            if (!is_dir && ctl_mkdirs(out, 0755) != 0)
                return ctl_fail(c, CTL_RUNTIME, "export_failed", out);
            snprintf(path, sizeof(path), "%s%s%08d.backup.db", out,
                     n && out[n - 1] == '/' ? "" : "/", c->day);
        } else {
            snprintf(path, sizeof(path), "%s", out);
        }
    }
    {
        char a[PATH_MAX], b[PATH_MAX];
        if (realpath(c->db_path, a) && realpath(path, b) && strcmp(a, b) == 0)
            return ctl_fail(c, CTL_USAGE, "out_is_source", path);
    }
    if ((rc = refuse_existing(c, path, force)) != CTL_OK)
        return rc;
    if (ctl_backup_db_progress(c, "export db", c->db_path, path, err,
                               sizeof(err)) != 0)
        return ctl_fail(c, CTL_RUNTIME, "backup_failed", err);
    if (c->json) {
        json_t *o = json_object();
        char v[PATH_MAX + 64];
        snprintf(v, sizeof(v), "sqlite3 %s \"SELECT COUNT(*) FROM ticks;\"",
                 path);
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "export_db", json_string(path));
        json_object_set_new(o, "verify", json_string(v));
        return ctl_json_out(o);
    }
    printf("OK export_db=%s\n", path);
    printf("verify=sqlite3 %s \"SELECT COUNT(*) FROM ticks;\"\n", path);
    return CTL_OK;
}

/* One CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int export_gaps(ctl_ctx *c, const char *out, bool force)
{
    char path[PATH_MAX], d[16], tmp[PATH_MAX + 16];
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    FILE *f;
    int rc;
    int64_t n = 0;

    if ((rc = need_db(c)) != CTL_OK)
        return rc;
    if (out)
        snprintf(path, sizeof(path), "%s", out);
    else
        snprintf(path, sizeof(path), "./gaps_%08d.csv", c->day);
    if (ctl_open_ro(c->db_path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_RUNTIME, "db_open_failed", c->db_path);
    }
    if (!ctl_has_table(db, "gaps")) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_USAGE, "gaps_table_missing", NULL);
    }
    if ((rc = refuse_existing(c, path, force)) != CTL_OK) {
        sqlite3_close(db);
        return rc;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT trading_day, symbol, gap_start_ts_ms, "
                           "gap_end_ts_ms, gap_sec, detected_at_ms, reason, "
                           "meta_json FROM gaps WHERE trading_day = ? "
                           "ORDER BY symbol, gap_start_ts_ms",
                           -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return ctl_fail(c, CTL_RUNTIME, "db_query_failed", c->db_path);
    }
    snprintf(d, sizeof(d), "%08d", c->day);
    sqlite3_bind_text(st, 1, d, -1, SQLITE_TRANSIENT);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f) {
        sqlite3_finalize(st);
        sqlite3_close(db);
        return ctl_fail(c, CTL_RUNTIME, "write_failed", path);
    }
    fputs("trading_day,symbol,gap_start_ts_ms,gap_end_ts_ms,gap_sec,"
          "detected_at_ms,reason,meta_json\n",
          f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char r[48];
        csv_field(f, (const char *)sqlite3_column_text(st, 0));
        fputc(',', f);
        csv_field(f, (const char *)sqlite3_column_text(st, 1));
        fprintf(f, ",%lld,%lld,%s,%lld,",
                (long long)sqlite3_column_int64(st, 2),
                (long long)sqlite3_column_int64(st, 3),
                ctl_fmt_real(sqlite3_column_double(st, 4), r, sizeof(r)),
                (long long)sqlite3_column_int64(st, 5));
        csv_field(f, (const char *)sqlite3_column_text(st, 6));
        fputc(',', f);
        csv_field(f, (const char *)sqlite3_column_text(st, 7));
        fputc('\n', f);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (fclose(f) != 0 || rc != SQLITE_DONE || rename(tmp, path) != 0) {
        unlink(tmp);
        return ctl_fail(c, CTL_RUNTIME, "write_failed", path);
    }
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "export_gaps", json_string(path));
        json_object_set_new(o, "rows", json_integer(n));
        return ctl_json_out(o);
    }
    printf("OK export_gaps=%s\n", path);
    return CTL_OK;
}

static int export_report(ctl_ctx *c, const char *out, bool force)
{
    char path[PATH_MAX], rpath[1300];
    json_t *rep = NULL;
    int rc;

    if ((rc = need_db(c)) != CTL_OK)
        return rc;
    if (out)
        snprintf(path, sizeof(path), "%s", out);
    else
        snprintf(path, sizeof(path), "./quality_%08d.json", c->day);
    if ((rc = refuse_existing(c, path, force)) != CTL_OK)
        return rc;
    ctl_report_path(c, rpath, sizeof(rpath));
    if (ctl_file_size(rpath) >= 0)
        rep = json_load_file(rpath, 0, NULL);
    if (!json_is_object(rep)) {
        json_decref(rep);
        rep = NULL;
        rc = ctl_quality_report(c, &rep);
        if (rc != CTL_OK || !rep) {
            json_decref(rep);
            return ctl_fail(c, CTL_RUNTIME, "report_failed", rpath);
        }
    }
    rc = ctl_json_write_file(rep, path);
    json_decref(rep);
    if (rc != 0)
        return ctl_fail(c, CTL_RUNTIME, "write_failed", path);
    return ok_line(c, "export_report", path);
}

/* Options of `export`. */
struct ex_opts {
    const char *out;
    bool force;
};

static const opt_def ex_table[] = {
    {"--out", "PATH", OPT_STR0, offsetof(struct ex_opts, out), 0, 0, NULL,
     "output file", NULL, false},
    {"--force", NULL, OPT_SWITCH, offsetof(struct ex_opts, force), 0, 0, NULL,
     "replace an existing output (also --force 1)", "invalid --force: %s (0|1)",
     false},
};

int ctl_cmd_export(ctl_ctx *c, int argc, char **argv)
{
    const char *sub = "legacy", *out = NULL;
    bool force = false;
    int i = 1;

    if (argc > 1 && argv[1][0] != '-') {
        sub = argv[1];
        i = 2;
    }
    if (strcmp(sub, "legacy") && strcmp(sub, "db") && strcmp(sub, "gaps") &&
        strcmp(sub, "report"))
        return ctl_usage(c,
                         "export: unknown kind '%s' (db, gaps, report "
                         "or none for the legacy tarball)",
                         sub);
    struct ex_opts o = {0};
    /* The table scan starts at index 1: skip the kind when one was given. */
    int rc = ctl_opts(c, ex_table, sizeof(ex_table) / sizeof(ex_table[0]), &o,
                      argc - (i - 1), argv + (i - 1),
                      "export: unknown argument '%s'");
    if (rc != CTL_OK)
        return rc;
    out = o.out;
    force = o.force;
    if (out && !out[0])
        return ctl_usage(c, "export: --out is empty");
    if (strcmp(sub, "db") == 0)
        return export_db(c, out, force);
    if (strcmp(sub, "gaps") == 0)
        return export_gaps(c, out, force);
    if (strcmp(sub, "report") == 0)
        return export_report(c, out, force);
    return export_legacy(c, out, force);
}
