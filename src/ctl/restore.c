/*
 * restore.c - `hk-tickctl restore`: bring an archived day back as a day
 * file (the inverse of archive.c, compat.md §9; new in ours).
 *
 *   hk-tickctl restore --day D [--archive-dir DIR] [--out PATH] [--force 0|1]
 *
 * ctl_cmd_restore = rs_parse → rs_paths → rs_check (steps 1-3) →
 * rs_decompress (4) → rs_install (5) → rs_render (text or JSON).
 * Steps (each failure prints one `FAIL <reason> …` line):
 *   1. <archive_dir>/<day>.db.zst and its .sha256 must exist        → 2
 *   2. SHA-256 of the .zst equals the .sha256 file  (checksum_mismatch) → 1
 *   3. Destination: --out PATH (a directory gets /<day>.db), default
 *      <data_root>/<day>.db. An existing file is refused unless --force 1
 *      (dest_exists, 2). --force is refused while the collector holds the
 *      lock of the destination's data root for the current HK day
 *      (collector_running, 2): replacing a file under a live writer would
 *      corrupt it.
 *   4. Stream-decompress to a temporary file next to the destination
 *      (same file system), PRAGMA integrity_check, COUNT(*)/MAX(ts_ms) with
 *      mode=ro&immutable=1, compared with manifest/<day>.json
 *      (verify_details, else quality_summary.total_rows) when it exists
 *      (decompress_failed / integrity_check_failed / count_mismatch → 1).
 *   5. fsync, chmod 0640, remove a stale <dest>-wal/-shm (they belong to
 *      the old file and would be replayed into the new one), rename into
 *      place, fsync the directory.
 * Output: `RESTORE OK`, day=, archive=, out=, rows=, max_ts_ms=,
 * checksum=ok, manifest_check=ok|skipped. Nothing is left behind on
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "ctl/ctl.h"
#include "dayfile/manifest.h"

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* Expected (rows, max_ts) from the manifest; false when unknown. */
static bool manifest_expect(const char *archive_dir, int day, int64_t *rows,
                            int64_t *max_ts, bool *has_max)
{
    char p[PATH_MAX];
    dayfile_manifest m;
    *has_max = false;
    if (dayfile_manifest_path(archive_dir, day, p, sizeof(p)) != 0 ||
        dayfile_manifest_read(p, &m) != 0)
        return false;
    bool ok = dayfile_manifest_rows(&m, rows, max_ts, has_max) == 0;
    dayfile_manifest_free(&m);
    return ok;
}

static void fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    if (util_fmt(dir, sizeof(dir), "%s", path))
        return;
    char *s = strrchr(dir, '/');
    if (s == dir)
        s[1] = '\0';
    else if (s)
        *s = '\0';
    else
        util_fmt(dir, sizeof(dir), ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Parsed arguments of one `restore` run. */
struct rs_opts {
    const char *archive_dir; /* NULL = <data_root>/_archive */
    const char *out;         /* NULL = <data_root>/<day>.db */
    bool force;
    int day;
};

/* Paths and outcome of one run, for the work steps and rendering. */
struct rs_result {
    char days[16];
    char adir[PATH_MAX], zst[PATH_MAX], sha[PATH_MAX];
    char out[PATH_MAX], tmp[PATH_MAX];
    char got[65];
    int64_t rows, max_ts;
    bool have_manifest;
    bool replacing;
};

#define RS_OFF(f) offsetof(struct rs_opts, f)

static const opt_def rs_table[] = {
    {"--archive-dir", "DIR", OPT_STR, RS_OFF(archive_dir), 0, 0, NULL,
     "archive directory (default <data_root>/_archive)",
     "restore --archive-dir needs a value", true},
    {"--out", "PATH", OPT_STR, RS_OFF(out), 0, 0, NULL,
     "destination file or directory (default <data_root>/<day>.db)",
     "restore --out needs a value", true},
    {"--force", "0|1", OPT_BOOL, RS_OFF(force), 0, 0, NULL,
     "replace an existing destination (default 0)", "invalid --force: %s (0|1)",
     true},
    {"--day", "YYYYMMDD", OPT_FN, RS_OFF(day), 0, 0, ctl_opt_day,
     "day to restore", "invalid --day: %s (expected YYYYMMDD)", true},
};
#define RS_NOPTS (sizeof(rs_table) / sizeof(rs_table[0]))

static int rs_parse(ctl_ctx *c, int argc, char **argv, struct rs_opts *o)
{
    *o = (struct rs_opts){.day = c->day};
    return ctl_opts(c, rs_table, RS_NOPTS, o, argc, argv,
                    "unknown argument %s; usage: hk-tickctl "
                    "restore --day YYYYMMDD [--archive-dir DIR] "
                    "[--out PATH] [--force 0|1]");
}

/* Resolve every path. Returns CTL_OK or CTL_USAGE after printing FAIL. */
static int rs_paths(ctl_ctx *c, const struct rs_opts *o, struct rs_result *r)
{
    util_fmt(r->days, sizeof(r->days), "%08d", o->day);
    if (o->archive_dir
            ? util_fmt(r->adir, sizeof(r->adir), "%s", o->archive_dir)
            : util_fmt(r->adir, sizeof(r->adir), "%s/_archive", c->data_root))
        return ctl_usage(c, "archive directory path too long");
    if (util_fmt(r->zst, sizeof(r->zst), "%s/%s.db.zst", r->adir, r->days) ||
        util_fmt(r->sha, sizeof(r->sha), "%s.sha256", r->zst))
        return ctl_usage(c, "archive path too long");
    int pr;
    if (!o->out)
        pr =
            util_fmt(r->out, sizeof(r->out), "%s/%s.db", c->data_root, r->days);
    else if (is_dir(o->out))
        pr = util_fmt(r->out, sizeof(r->out), "%s/%s.db", o->out, r->days);
    else
        pr = util_fmt(r->out, sizeof(r->out), "%s", o->out);
    if (pr || util_fmt(r->tmp, sizeof(r->tmp), "%s.restore-XXXXXX", r->out))
        return ctl_usage(c, "output path too long");
    return CTL_OK;
}

/* Steps 1-3: archive and checksum present and matching; destination
 * allowed and its directory present. Returns CTL_OK or the exit code. */
static int rs_check(ctl_ctx *c, const struct rs_opts *o, struct rs_result *r)
{
    char want[65], name[PATH_MAX], err[1024] = "";
    /* 1. */
    if (!exists(r->zst))
        return ctl_fail(c, CTL_USAGE, "archive_not_found", r->zst);
    if (!exists(r->sha))
        return ctl_fail(c, CTL_USAGE, "checksum_not_found", r->sha);
    /* 2. */
    if (ctl_ar_sha256_read(r->sha, want, name, sizeof(name), err,
                           sizeof(err)) != 0)
        return ctl_fail(c, CTL_RUNTIME, "checksum_unreadable", err);
    if (ctl_sha256_file(r->zst, r->got) != 0)
        return ctl_fail(c, CTL_RUNTIME, "archive_unreadable", r->zst);
    if (strcmp(want, r->got) != 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "checksum_mismatch",
                            "%s expected=%s actual=%s", r->zst, want, r->got);
    /* 3. */
    r->replacing = exists(r->out);
    if (r->replacing && !o->force)
        return ctl_ar_failf(c, CTL_USAGE, "dest_exists",
                            "%s (use --force 1 to replace it)", r->out);
    char out_dir[PATH_MAX];
    util_fmt(out_dir, sizeof(out_dir), "%s", r->out);
    char *slash = strrchr(out_dir, '/');
    if (slash)
        *slash = '\0';
    else
        util_fmt(out_dir, sizeof(out_dir), ".");
    if (r->replacing && o->day == ctl_ar_hk_today(c->now_ms) &&
        ctl_ar_lock_held(out_dir))
        return ctl_ar_failf(c, CTL_USAGE, "collector_running",
                            "%s is the live day of a running collector; "
                            "stop it before replacing the file",
                            r->out);
    if (!is_dir(out_dir) && ctl_mkdirs(out_dir, 0750) != 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "dest_unwritable", "%s: %s",
                            out_dir, strerror(errno));
    return CTL_OK;
}

/* Step 4: decompress into r->tmp and check it. On failure r->tmp is
 * removed and the exit code returned after printing FAIL. */
static int rs_decompress(ctl_ctx *c, const struct rs_opts *o,
                         struct rs_result *r)
{
    char err[1024] = "";
    int64_t want_rows = 0, want_max = 0;
    bool has_max = false;
    int fd = mkstemp(r->tmp);
    if (fd < 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "dest_unwritable", "%s: %s", r->tmp,
                            strerror(errno));
    close(fd);
    progress pg;
    int64_t total = 0;
    (void)util_file_size(r->zst, &total);
    progress_init(&pg, "restore: decompress", PROGRESS_BYTES, total,
                  progress_wanted(c->json));
    int dr = ctl_ar_zstd_decompress(r->zst, r->tmp, err, sizeof(err), &pg);
    progress_finish(&pg);
    if (dr != 0) {
        unlink(r->tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "decompress_failed", "%s: %s",
                            r->zst, err);
    }
    if (ctl_ar_db_check(r->tmp, true, true, &r->rows, &r->max_ts, err,
                        sizeof(err)) != 0) {
        unlink(r->tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "integrity_check_failed", "%s: %s",
                            r->zst, err);
    }
    r->have_manifest =
        manifest_expect(r->adir, o->day, &want_rows, &want_max, &has_max);
    if (r->have_manifest &&
        (r->rows != want_rows || (has_max && r->max_ts != want_max))) {
        unlink(r->tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "count_mismatch",
                            "rows=%lld manifest_rows=%lld max_ts_ms=%lld "
                            "manifest_max_ts_ms=%lld",
                            (long long)r->rows, (long long)want_rows,
                            (long long)r->max_ts, (long long)want_max);
    }
    return CTL_OK;
}

/* Step 5: move r->tmp into place. Returns CTL_OK or the exit code. */
static int rs_install(ctl_ctx *c, struct rs_result *r)
{
    char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
    chmod(r->tmp, 0640);
    util_fmt(wal, sizeof(wal), "%s-wal", r->out);
    util_fmt(shm, sizeof(shm), "%s-shm", r->out);
    if (r->replacing || exists(wal) || exists(shm)) {
        unlink(wal);
        unlink(shm);
    }
    if (rename(r->tmp, r->out) != 0) {
        int e = errno;
        unlink(r->tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "rename_failed", "%s: %s", r->out,
                            strerror(e));
    }
    fsync_parent(r->out);
    return CTL_OK;
}

static int rs_render(const ctl_ctx *c, const struct rs_result *r)
{
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "day", json_string(r->days));
        json_object_set_new(o, "archive", json_string(r->zst));
        json_object_set_new(o, "out", json_string(r->out));
        json_object_set_new(o, "rows", json_integer(r->rows));
        json_object_set_new(o, "max_ts_ms",
                            r->rows ? json_integer(r->max_ts) : json_null());
        json_object_set_new(o, "checksum_sha256", json_string(r->got));
        json_object_set_new(o, "checksum_ok", json_true());
        json_object_set_new(o, "manifest_check",
                            json_string(r->have_manifest ? "ok" : "skipped"));
        json_object_set_new(o, "replaced", json_boolean(r->replacing));
        return ctl_json_out(o);
    }
    printf("RESTORE OK\n");
    printf("day=%s\n", r->days);
    printf("archive=%s\n", r->zst);
    printf("out=%s\n", r->out);
    printf("rows=%lld\n", (long long)r->rows);
    printf("max_ts_ms=%lld\n", (long long)r->max_ts);
    printf("checksum=ok\n");
    printf("manifest_check=%s\n", r->have_manifest ? "ok" : "skipped");
    fflush(stdout);
    return CTL_OK;
}

int ctl_cmd_restore(ctl_ctx *c, int argc, char **argv)
{
    struct rs_opts o;
    struct rs_result *r;
    int rc = rs_parse(c, argc, argv, &o);

    if (rc != CTL_OK)
        return rc;
    c->day = o.day;
    r = calloc(1, sizeof(*r));
    if (!r)
        return ctl_fail(c, CTL_RUNTIME, "out_of_memory", NULL);
    rc = rs_paths(c, &o, r);
    if (rc == CTL_OK)
        rc = rs_check(c, &o, r);
    if (rc == CTL_OK)
        rc = rs_decompress(c, &o, r);
    if (rc == CTL_OK)
        rc = rs_install(c, r);
    if (rc == CTL_OK)
        rc = rs_render(c, r);
    free(r);
    return rc;
}
