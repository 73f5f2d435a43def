/*
 * restore.c - `hk-tickctl restore`: bring an archived day back as a day
 * file (the inverse of archive.c, compat.md §9; new in ours).
 *
 *   hk-tickctl restore --day D [--archive-dir DIR] [--out PATH] [--force 0|1]
 *
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

int ctl_cmd_restore(ctl_ctx *c, int argc, char **argv)
{
    const char *adir_opt = NULL, *out_opt = NULL;
    bool force = false;
    int day = c->day;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        if ((r = ctl_opt(argc, argv, &i, "--archive-dir", &v)) != 0) {
            if (r < 0 || !*v)
                return ctl_usage(c, "restore --archive-dir needs a value");
            adir_opt = v;
        } else if ((r = ctl_opt(argc, argv, &i, "--out", &v)) != 0) {
            if (r < 0 || !*v)
                return ctl_usage(c, "restore --out needs a value");
            out_opt = v;
        } else if ((r = ctl_opt(argc, argv, &i, "--force", &v)) != 0) {
            if (r < 0 || ctl_parse_bool(v, &force) != 0)
                return ctl_usage(c, "invalid --force: %s (0|1)", v ? v : "");
        } else if ((r = ctl_opt(argc, argv, &i, "--day", &v)) != 0) {
            if (r < 0 || ctl_ar_parse_day(v, &day) != 0)
                return ctl_usage(c, "invalid --day: %s (expected YYYYMMDD)",
                                 v ? v : "");
        } else {
            return ctl_usage(c,
                             "unknown argument %s; usage: hk-tickctl "
                             "restore --day YYYYMMDD [--archive-dir DIR] "
                             "[--out PATH] [--force 0|1]",
                             argv[i]);
        }
    }
    c->day = day;

    char days[16], adir[PATH_MAX], zst[PATH_MAX], sha[PATH_MAX];
    char out[PATH_MAX], tmp[PATH_MAX], err[1024] = "";
    util_fmt(days, sizeof(days), "%08d", day);
    if (adir_opt ? util_fmt(adir, sizeof(adir), "%s", adir_opt)
                 : util_fmt(adir, sizeof(adir), "%s/_archive", c->data_root))
        return ctl_usage(c, "archive directory path too long");
    if (util_fmt(zst, sizeof(zst), "%s/%s.db.zst", adir, days) ||
        util_fmt(sha, sizeof(sha), "%s.sha256", zst))
        return ctl_usage(c, "archive path too long");
    int pr;
    if (!out_opt)
        pr = util_fmt(out, sizeof(out), "%s/%s.db", c->data_root, days);
    else if (is_dir(out_opt))
        pr = util_fmt(out, sizeof(out), "%s/%s.db", out_opt, days);
    else
        pr = util_fmt(out, sizeof(out), "%s", out_opt);
    if (pr || util_fmt(tmp, sizeof(tmp), "%s.restore-XXXXXX", out))
        return ctl_usage(c, "output path too long");

    /* 1. */
    if (!exists(zst))
        return ctl_fail(c, CTL_USAGE, "archive_not_found", zst);
    if (!exists(sha))
        return ctl_fail(c, CTL_USAGE, "checksum_not_found", sha);

    /* 2. */
    char want[65], got[65], name[PATH_MAX];
    if (ctl_ar_sha256_read(sha, want, name, sizeof(name), err, sizeof(err)) !=
        0)
        return ctl_fail(c, CTL_RUNTIME, "checksum_unreadable", err);
    if (ctl_sha256_file(zst, got) != 0)
        return ctl_fail(c, CTL_RUNTIME, "archive_unreadable", zst);
    if (strcmp(want, got) != 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "checksum_mismatch",
                            "%s expected=%s actual=%s", zst, want, got);

    /* 3. */
    bool replacing = exists(out);
    if (replacing && !force)
        return ctl_ar_failf(c, CTL_USAGE, "dest_exists",
                            "%s (use --force 1 to replace it)", out);
    char out_dir[PATH_MAX];
    util_fmt(out_dir, sizeof(out_dir), "%s", out);
    char *slash = strrchr(out_dir, '/');
    if (slash)
        *slash = '\0';
    else
        util_fmt(out_dir, sizeof(out_dir), ".");
    if (replacing && day == ctl_ar_hk_today(c->now_ms) &&
        ctl_ar_lock_held(out_dir))
        return ctl_ar_failf(c, CTL_USAGE, "collector_running",
                            "%s is the live day of a running collector; "
                            "stop it before replacing the file",
                            out);
    if (!is_dir(out_dir) && ctl_mkdirs(out_dir, 0750) != 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "dest_unwritable", "%s: %s",
                            out_dir, strerror(errno));

    /* 4. */
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "dest_unwritable", "%s: %s", tmp,
                            strerror(errno));
    close(fd);
    int64_t rows = 0, max_ts = 0, want_rows = 0, want_max = 0;
    bool has_max = false;
    if (ctl_ar_zstd_decompress(zst, tmp, err, sizeof(err)) != 0) {
        unlink(tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "decompress_failed", "%s: %s", zst,
                            err);
    }
    if (ctl_ar_db_check(tmp, true, true, &rows, &max_ts, err, sizeof(err)) !=
        0) {
        unlink(tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "integrity_check_failed", "%s: %s",
                            zst, err);
    }
    bool have_manifest =
        manifest_expect(adir, day, &want_rows, &want_max, &has_max);
    if (have_manifest &&
        (rows != want_rows || (has_max && max_ts != want_max))) {
        unlink(tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "count_mismatch",
                            "rows=%lld manifest_rows=%lld max_ts_ms=%lld "
                            "manifest_max_ts_ms=%lld",
                            (long long)rows, (long long)want_rows,
                            (long long)max_ts, (long long)want_max);
    }

    /* 5. */
    chmod(tmp, 0640);
    char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
    util_fmt(wal, sizeof(wal), "%s-wal", out);
    util_fmt(shm, sizeof(shm), "%s-shm", out);
    if (replacing || exists(wal) || exists(shm)) {
        unlink(wal);
        unlink(shm);
    }
    if (rename(tmp, out) != 0) {
        int e = errno;
        unlink(tmp);
        return ctl_ar_failf(c, CTL_RUNTIME, "rename_failed", "%s: %s", out,
                            strerror(e));
    }
    fsync_parent(out);

    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "day", json_string(days));
        json_object_set_new(o, "archive", json_string(zst));
        json_object_set_new(o, "out", json_string(out));
        json_object_set_new(o, "rows", json_integer(rows));
        json_object_set_new(o, "max_ts_ms",
                            rows ? json_integer(max_ts) : json_null());
        json_object_set_new(o, "checksum_sha256", json_string(got));
        json_object_set_new(o, "checksum_ok", json_true());
        json_object_set_new(o, "manifest_check",
                            json_string(have_manifest ? "ok" : "skipped"));
        json_object_set_new(o, "replaced", json_boolean(replacing));
        return ctl_json_out(o);
    }
    printf("RESTORE OK\n");
    printf("day=%s\n", days);
    printf("archive=%s\n", zst);
    printf("out=%s\n", out);
    printf("rows=%lld\n", (long long)rows);
    printf("max_ts_ms=%lld\n", (long long)max_ts);
    printf("checksum=ok\n");
    printf("manifest_check=%s\n", have_manifest ? "ok" : "skipped");
    fflush(stdout);
    return CTL_OK;
}
