/*
 * archive.c - `hk-tickctl archive`: end-of-day archive of one day file
 * (compat.md §9.1), plus the archive primitives restore.c reuses.
 *
 * ctl_cmd_archive = ar_parse (options and settings) → ar_prepare (steps
 * 1-3) → ar_run (steps 4-10, filling struct ar_result) → ar_render (text or
 * JSON). Steps, in the order the code runs them (each failure prints one
 * `FAIL <reason> …` line):
 *   1. <data_root>/<day>.db must exist.                             → 2
 *   2. Refuse the current HK day while the collector may still be writing
 *      it: the day's -wal (or .db) was modified in the last 10 minutes, or
 *      the collector holds its advisory lock DATA_ROOT/.hk-tick-collector.lock
 *      (our LOCK_SH|LOCK_NB fails against its LOCK_EX) and the HK clock is
 *      before the close (16:10, end of the closing auction). After the
 *      close with 10 quiet minutes the file is final, so the 16:30 HKT EOD
 *      timer can archive "today" while the daemon keeps running.  → 2
 *   3. The file must have a ticks table.                            → 2
 *      Then <archive_dir>/manifest and a private temporary directory
 *      <archive_dir>/.tmp-<day>-XXXXXX are created.                 → 1
 *   4. One-step online backup (read-only source) into
 *      <tmpdir>/<day>.backup.db, then journal_mode=DELETE. COUNT(*)/MAX(ts_ms)
 *      of that snapshot are the "source" numbers the verification compares
 *      against.
 *   5. Stream-compress into <day>.db.zst (temp name + rename), one standard
 *      zstd frame with content checksum; level ARCHIVE_ZSTD_LEVEL (19),
 *      worker threads ARCHIVE_ZSTD_THREADS (1 = no worker thread). The
 *      SHA-256 is computed from the bytes as they are written.
 *   6. <day>.db.zst.sha256 = "<hex>  <day>.db.zst\n".
 *   7. Regenerate the quality report (ctl_quality_report).
 *   8. Verify (--verify 1): re-hash the file on disk, stream-decompress it to
 *      a temp file (the frame must be complete), PRAGMA integrity_check and
 *      COUNT(*)/MAX(ts_ms) with mode=ro&immutable=1, equal to the snapshot.
 *   9. manifest/<day>.json (keys in the §9.1 order, dayfile_manifest_write).
 *      It is written even when verification failed (verify_ok false) so a
 *      stale "verify_ok: true" from an earlier run can never vouch for a
 *      new, bad archive. Δ With --verify 0, verify_ok is false: only a
 *      verified archive may ever allow deleting the original.
 *                                                    verify failed → 1
 *  10. Retention (--delete-original 1): see retention() below.
 *
 * All files are written under a temporary name, fsync'ed and renamed, so a
 * crash never leaves a truncated archive under the final name. Nothing in
 * DATA_ROOT is written except by retention's unlink().
 */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zstd.h>

#include "common/hktime.h"
#include "common/util.h"
#include "ctl/ctl.h"
#include "dayfile/dayfile.h"
#include "dayfile/manifest.h"

#define RECENT_WRITE_SEC 600
#define HK_CLOSE_MS_OF_DAY ((16 * 3600 + 10 * 60) * 1000)

/* ---------------------------------------------------------------------- */
/* small file helpers                                                      */

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Seconds since path was modified (by the real clock, even when tests
 * move c->now_ms), or -1 when it does not exist. */
static double mtime_age(const char *path, int64_t unused)
{
    int64_t now_ms = hktime_now_ms();
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    int64_t m =
        (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    double age = (double)(now_ms - m) / 1000.0;
    return age < 0 ? 0 : age;
}

static void hex_of(const unsigned char *d, unsigned n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int ctl_ar_sha256_read(const char *sha_path, char hex[65], char *name,
                       size_t ncap, char *err, size_t ecap)
{
    char line[1024];
    FILE *f = fopen(sha_path, "r");
    if (!f) {
        util_fmt(err, ecap, "open %s: %s", sha_path, strerror(errno));
        return -1;
    }
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (!got) {
        util_fmt(err, ecap, "empty checksum file %s", sha_path);
        return -1;
    }
    size_t i = 0;
    for (; i < 64; i++) {
        char ch = line[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
              (ch >= 'A' && ch <= 'F')))
            break;
        hex[i] = (char)(ch >= 'A' && ch <= 'F' ? ch - 'A' + 'a' : ch);
    }
    hex[i] = '\0';
    if (i != 64 || line[64] != ' ') {
        util_fmt(err, ecap, "malformed checksum file %s", sha_path);
        return -1;
    }
    const char *n = line + 65;
    if (*n == ' ' || *n == '*')
        n++;
    util_fmt(name, ncap, "%s", n);
    name[strcspn(name, "\r\n")] = '\0';
    return 0;
}

/* ---------------------------------------------------------------------- */
/* zstd streaming                                                          */

/* Compress src into the open fd dst_fd, hashing the output. */
static int compress_file(const char *src, int dst_fd, int level, int threads,
                         char hex[65], progress *pg, char *err, size_t ecap)
{
    int rc = -1;
    FILE *in = fopen(src, "rb");
    if (!in) {
        util_fmt(err, ecap, "open %s: %s", src, strerror(errno));
        return -1;
    }
    size_t icap = ZSTD_CStreamInSize(), ocap = ZSTD_CStreamOutSize();
    void *ibuf = malloc(icap), *obuf = malloc(ocap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!ibuf || !obuf || !cc || !md ||
        EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        util_fmt(err, ecap, "out of memory");
        goto out;
    }
    size_t r = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    if (ZSTD_isError(r)) {
        util_fmt(err, ecap, "zstd: %s", ZSTD_getErrorName(r));
        goto out;
    }
    if (threads > 1) {
        /* A libzstd built without threads refuses: stay single-threaded. */
        (void)ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers, threads);
    }
    int64_t total = 0;
    (void)util_file_size(src, &total);
    ZSTD_CCtx_setPledgedSrcSize(cc, (unsigned long long)total);
    int64_t done = 0;
    for (;;) {
        size_t n = fread(ibuf, 1, icap, in);
        done += (int64_t)n;
        progress_set(pg, done);
        if (ferror(in)) {
            util_fmt(err, ecap, "read %s: %s", src, strerror(errno));
            goto out;
        }
        bool last = n < icap;
        ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer ib = {ibuf, n, 0};
        bool done = false;
        while (!done) {
            ZSTD_outBuffer ob = {obuf, ocap, 0};
            size_t left = ZSTD_compressStream2(cc, &ob, &ib, mode);
            if (ZSTD_isError(left)) {
                util_fmt(err, ecap, "zstd: %s", ZSTD_getErrorName(left));
                goto out;
            }
            if (ob.pos > 0) {
                int w = util_write_all(dst_fd, obuf, ob.pos);
                if (w != 0) {
                    util_fmt(err, ecap, "write: %s", strerror(-w));
                    goto out;
                }
                EVP_DigestUpdate(md, obuf, ob.pos);
            }
            done = last ? left == 0 : ib.pos == ib.size;
        }
        if (last)
            break;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    EVP_DigestFinal_ex(md, d, &dl);
    hex_of(d, dl, hex);
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    ZSTD_freeCCtx(cc);
    free(ibuf);
    free(obuf);
    fclose(in);
    return rc;
}

int ctl_ar_zstd_decompress(const char *src, const char *dst, char *err,
                           size_t ecap, progress *pg)
{
    int rc = -1, fd = -1;
    FILE *in = fopen(src, "rb");
    if (!in) {
        util_fmt(err, ecap, "open %s: %s", src, strerror(errno));
        return -1;
    }
    size_t icap = ZSTD_DStreamInSize(), ocap = ZSTD_DStreamOutSize();
    void *ibuf = malloc(icap), *obuf = malloc(ocap);
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    if (!ibuf || !obuf || !dc) {
        util_fmt(err, ecap, "out of memory");
        goto out;
    }
    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        util_fmt(err, ecap, "create %s: %s", dst, strerror(errno));
        goto out;
    }
    size_t last = 1; /* 0 once a frame ended exactly at the last byte */
    bool any = false;
    int64_t done = 0;
    for (;;) {
        size_t n = fread(ibuf, 1, icap, in);
        done += (int64_t)n;
        if (pg)
            progress_set(pg, done);
        if (ferror(in)) {
            util_fmt(err, ecap, "read %s: %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        any = true;
        ZSTD_inBuffer ib = {ibuf, n, 0};
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = {obuf, ocap, 0};
            last = ZSTD_decompressStream(dc, &ob, &ib);
            if (ZSTD_isError(last)) {
                util_fmt(err, ecap, "zstd frame error: %s",
                         ZSTD_getErrorName(last));
                goto out;
            }
            int w = util_write_all(fd, obuf, ob.pos);
            if (w != 0) {
                util_fmt(err, ecap, "write %s: %s", dst, strerror(-w));
                goto out;
            }
        }
    }
    /* Flush whatever the decoder still holds for the final frame. */
    for (;;) {
        ZSTD_inBuffer ib = {ibuf, 0, 0};
        ZSTD_outBuffer ob = {obuf, ocap, 0};
        if (last == 0)
            break;
        last = ZSTD_decompressStream(dc, &ob, &ib);
        if (ZSTD_isError(last)) {
            util_fmt(err, ecap, "zstd frame error: %s",
                     ZSTD_getErrorName(last));
            goto out;
        }
        if (ob.pos == 0)
            break;
        if (util_write_all(fd, obuf, ob.pos) != 0) {
            util_fmt(err, ecap, "write %s: %s", dst, strerror(errno));
            goto out;
        }
    }
    if (!any) {
        util_fmt(err, ecap, "zstd frame error: empty file");
        goto out;
    }
    if (last != 0) {
        util_fmt(err, ecap, "zstd frame error: truncated frame");
        goto out;
    }
    if (fsync(fd) != 0) {
        util_fmt(err, ecap, "fsync %s: %s", dst, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    ZSTD_freeDCtx(dc);
    free(ibuf);
    free(obuf);
    fclose(in);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* SQLite checks                                                           */

int ctl_ar_db_check(const char *path, bool immutable, bool integrity,
                    int64_t *count, int64_t *max_ts, char *err, size_t ecap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (dayfile_open_ro(path, immutable ? DAYFILE_RO_PRIVATE : 0, &db) !=
        SQLITE_OK) {
        util_fmt(err, ecap, "open: %s", db ? sqlite3_errmsg(db) : "oom");
        goto out;
    }
    if (integrity) {
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
            SQLITE_OK) {
            util_fmt(err, ecap, "integrity_check: %s", sqlite3_errmsg(db));
            goto out;
        }
        int s = sqlite3_step(st);
        const char *t =
            s == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (!t || strcmp(t, "ok") != 0) {
            util_fmt(err, ecap, "integrity_check: %s",
                     t ? t : sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(ts_ms) FROM ticks", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        util_fmt(err, ecap, "count: %s", sqlite3_errmsg(db));
        goto out;
    }
    *count = sqlite3_column_int64(st, 0);
    *max_ts = sqlite3_column_type(st, 1) == SQLITE_NULL
                  ? 0
                  : sqlite3_column_int64(st, 1);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* live-day detection                                                      */

int ctl_ar_lock_held(const char *data_root)
{
    char lock[PATH_MAX];
    util_fmt(lock, sizeof(lock), "%s/.hk-tick-collector.lock", data_root);
    int fd = open(lock, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int held = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0)
        held = errno == EWOULDBLOCK ? 1 : 0;
    else
        flock(fd, LOCK_UN);
    close(fd);
    return held;
}

int ctl_ar_hk_today(int64_t now_ms)
{
    return hktime_trading_day(now_ms);
}

/* Returns NULL when the day may be archived, else a reason. */
static const char *live_reason(const ctl_ctx *c, const char *db, int day,
                               double *age)
{
    *age = -1;
    if (day != ctl_ar_hk_today(c->now_ms))
        return NULL;
    char wal[PATH_MAX];
    util_fmt(wal, sizeof(wal), "%s-wal", db);
    double a = mtime_age(wal, c->now_ms);
    double b = mtime_age(db, c->now_ms);
    *age = a < 0 ? b : (b < 0 ? a : (a < b ? a : b));
    if (*age >= 0 && *age < RECENT_WRITE_SEC)
        return "recent_writes";
    if (ctl_ar_lock_held(c->data_root) &&
        hktime_hk_ms_of_day(c->now_ms) < HK_CLOSE_MS_OF_DAY)
        return "collector_running";
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* options                                                                 */

int ctl_ar_parse_day(const char *v, int *day)
{
    return hktime_parse_day(v, strlen(v), day) == 0 ? 0 : -1;
}

int ctl_ar_failf(const ctl_ctx *c, int code, const char *reason,
                 const char *fmt, ...)
{
    char detail[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return ctl_fail(c, code, reason, detail);
}

/* ---------------------------------------------------------------------- */
/* retention                                                               */

static bool manifest_verified(const char *archive_dir, int day, int64_t *ticks)
{
    char p[PATH_MAX];
    dayfile_manifest m;
    if (dayfile_manifest_path(archive_dir, day, p, sizeof(p)) != 0 ||
        dayfile_manifest_read(p, &m) != 0)
        return false;
    json_t *n = m.verify_details
                    ? json_object_get(m.verify_details, "ticks_count")
                    : NULL;
    *ticks = json_is_integer(n) ? json_integer_value(n) : -1;
    bool ok = m.verify_ok;
    dayfile_manifest_free(&m);
    return ok;
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * Keep the newest keep_days day files (by name; 0 keeps none). For each
 * older day: delete .db, .db-wal, .db-shm when the manifest says
 * verify_ok, .zst and .sha256 exist, the day is not the current HK day,
 * neither .db nor -wal changed in the last 10 minutes, and (Δ) the file
 * still holds exactly the archived row count. Deleted days are appended to
 * `deleted`; skipped ones are reported on stderr. Never touches anything
 * but DATA_ROOT/<8 digits>.db[-wal|-shm].
 */
static void retention(const ctl_ctx *c, const char *archive_dir, long keep_days,
                      json_t *deleted, json_t *skipped)
{
    DIR *d = opendir(c->data_root);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int nday;
        if (dayfile_parse_name(e->d_name, &nday) != 0)
            continue;
        char p[PATH_MAX];
        util_fmt(p, sizeof(p), "%s/%s", c->data_root, e->d_name);
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_desc);
    int today = ctl_ar_hk_today(c->now_ms);
    for (size_t i = (size_t)keep_days < n ? (size_t)keep_days : n; i < n; i++) {
        char day[9];
        util_fmt(day, sizeof(day), "%.8s", names[i]);
        char db[PATH_MAX], wal[PATH_MAX + 8], shm[PATH_MAX + 8];
        util_fmt(db, sizeof(db), "%s/%s.db", c->data_root, day);
        util_fmt(wal, sizeof(wal), "%s-wal", db);
        util_fmt(shm, sizeof(shm), "%s-shm", db);
        const char *why = NULL;
        int64_t archived = -1, cnt = -1, mx = 0;
        char zst[PATH_MAX], sha[PATH_MAX + 8], err[256];
        util_fmt(zst, sizeof(zst), "%s/%s.db.zst", archive_dir, day);
        util_fmt(sha, sizeof(sha), "%s.sha256", zst);
        double a1 = mtime_age(db, c->now_ms), a2 = mtime_age(wal, c->now_ms);
        if (atoi(day) == today)
            why = "current_day";
        else if ((a1 >= 0 && a1 < RECENT_WRITE_SEC) ||
                 (a2 >= 0 && a2 < RECENT_WRITE_SEC))
            why = "recently_modified";
        else if (!manifest_verified(archive_dir, atoi(day), &archived))
            why = "not_verified";
        else if (!file_exists(zst) || !file_exists(sha))
            why = "archive_missing";
        else if (archived >= 0 && (ctl_ar_db_check(db, false, false, &cnt, &mx,
                                                   err, sizeof(err)) != 0 ||
                                   cnt != archived))
            why = "changed_since_archive";
        if (why) {
            fprintf(stderr, "retention_skip day=%s reason=%s\n", day, why);
            json_t *o = json_object();
            json_object_set_new(o, "day", json_string(day));
            json_object_set_new(o, "reason", json_string(why));
            json_array_append_new(skipped, o);
            continue;
        }
        unlink(wal);
        unlink(shm);
        if (unlink(db) == 0)
            json_array_append_new(deleted, json_string(day));
        else
            fprintf(stderr, "retention_delete_failed day=%s err=\"%s\"\n", day,
                    strerror(errno));
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---------------------------------------------------------------------- */
/* helpers for the manifest                                                */

static json_t *jget_path(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(o, a);
    return x ? json_object_get(x, b) : NULL;
}

static json_t *jcopy_or(json_t *v, json_t *dflt)
{
    if (v) {
        json_decref(dflt);
        return json_deep_copy(v);
    }
    return dflt;
}

static void rm_tree_shallow(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[PATH_MAX + 300];
            util_fmt(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---------------------------------------------------------------------- */

/* Write a small text file via a temporary name, fsync and rename. */
static int write_small(const char *path, const char *text)
{
    char tmp[PATH_MAX + 32];
    util_fmt(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    int w = util_write_all(fd, text, strlen(text));
    if (w == 0 && fsync(fd) != 0)
        w = -1;
    close(fd);
    if (w != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    util_fsync_parent(path);
    return 0;
}

static json_t *quality_summary(json_t *report, int64_t rows)
{
    json_t *q = json_object();
    json_object_set_new(q, "total_rows",
                        jcopy_or(jget_path(report, "volume", "total_rows"),
                                 json_integer(rows)));
    json_object_set_new(
        q, "start_ts_ms",
        jcopy_or(jget_path(report, "coverage", "start_ts_ms"), json_null()));
    json_object_set_new(
        q, "end_ts_ms",
        jcopy_or(jget_path(report, "coverage", "end_ts_ms"), json_null()));
    json_object_set_new(q, "hard_gaps_total",
                        jcopy_or(jget_path(report, "gaps", "hard_gaps_total"),
                                 json_integer(0)));
    json_object_set_new(
        q, "hard_gaps_total_sec",
        jcopy_or(jget_path(report, "gaps", "hard_gaps_total_sec"),
                 json_real(0.0)));
    json_object_set_new(
        q, "quality_grade",
        jcopy_or(jget_path(report, "conclusion", "quality_grade"),
                 json_string("n/a")));
    return q;
}

/*
 * Step 8: the archive on disk hashes to `hex`, decompresses as complete
 * zstd frames, passes integrity_check and holds exactly src_count rows with
 * MAX(ts_ms) = src_max. Fills details ({ticks_count, max_ts_ms} or
 * {stage, error}); returns true when everything held.
 */
static bool verify_archive(const char *zst, const char *hex, const char *vtmp,
                           int64_t src_count, int64_t src_max, json_t *details,
                           progress *pg)
{
    char disk_hex[65], err[1024] = "";
    int64_t cnt = 0, mx = 0;
    const char *stage = NULL;
    if (ctl_sha256_file(zst, disk_hex) != 0) {
        stage = "sha256";
        util_fmt(err, sizeof(err), "cannot read %s", zst);
    } else if (strcmp(disk_hex, hex) != 0) {
        stage = "sha256";
        util_fmt(err, sizeof(err), "checksum mismatch expected=%s actual=%s",
                 hex, disk_hex);
    } else if (ctl_ar_zstd_decompress(zst, vtmp, err, sizeof(err), pg) != 0) {
        stage = "decompress";
    } else if (ctl_ar_db_check(vtmp, true, true, &cnt, &mx, err, sizeof(err)) !=
               0) {
        stage = "sqlite";
    } else if (cnt != src_count || mx != src_max) {
        stage = "compare";
        util_fmt(err, sizeof(err),
                 "ticks_count=%lld source_ticks_count=%lld max_ts_ms=%lld "
                 "source_max_ts_ms=%lld",
                 (long long)cnt, (long long)src_count, (long long)mx,
                 (long long)src_max);
    }
    unlink(vtmp);
    if (stage) {
        json_object_set_new(details, "stage", json_string(stage));
        json_object_set_new(details, "error", json_string(err));
        return false;
    }
    json_object_set_new(details, "ticks_count", json_integer(cnt));
    json_object_set_new(details, "max_ts_ms",
                        cnt ? json_integer(mx) : json_null());
    return true;
}

/* Parsed arguments and settings of one `archive` run. */
struct ar_opts {
    const char *archive_dir; /* --archive-dir, NULL = <data_root>/_archive */
    long keep_days;
    long level;
    long threads;
    bool delete_original;
    bool verify;
    int day;
};

/* What a successful run produced, for rendering. */
struct ar_result {
    char days[16];
    char db[PATH_MAX];
    char archive_dir[PATH_MAX];
    char zst[PATH_MAX + 32];
    char sha[PATH_MAX + 48];
    char manifest[PATH_MAX + 64];
    char report_path[PATH_MAX];
    char tmpdir[PATH_MAX + 64];
    char hex[65];
    bool verify_ok;
    json_t *details;
    json_t *report;
    json_t *deleted;
    json_t *skipped;
    bool gone;
    bool show_progress; /* progress_wanted(c->json) */
};

#define AR_OFF(f) offsetof(struct ar_opts, f)

static const opt_def ar_table[] = {
    {"--archive-dir", "DIR", OPT_STR, AR_OFF(archive_dir), 0, 0, NULL,
     "archive directory (default <data_root>/_archive)",
     "archive --archive-dir needs a value", true},
    {"--keep-days", "N", OPT_LONG, AR_OFF(keep_days), 0, 1000000, NULL,
     "day files kept by retention (default 14)", "invalid --keep-days: %s",
     true},
    {"--delete-original", "0|1", OPT_BOOL, AR_OFF(delete_original), 0, 0, NULL,
     "run retention (default 0)", "invalid --delete-original: %s (0|1)", true},
    {"--verify", "0|1", OPT_BOOL, AR_OFF(verify), 0, 0, NULL,
     "verify the archive (default 1)", "invalid --verify: %s (0|1)", true},
    {"--day", "YYYYMMDD", OPT_FN, AR_OFF(day), 0, 0, ctl_opt_day,
     "day to archive", "invalid --day: %s (expected YYYYMMDD)", true},
};
#define AR_NOPTS (sizeof(ar_table) / sizeof(ar_table[0]))

/* Returns CTL_OK with *o filled, or the exit code after printing FAIL. */
static int ar_parse(ctl_ctx *c, int argc, char **argv, struct ar_opts *o)
{
    *o = (struct ar_opts){.keep_days = 14,
                          .level = 19,
                          .threads = 1,
                          .verify = true,
                          .day = c->day};
    int rc = ctl_opts(c, ar_table, AR_NOPTS, o, argc, argv,
                      "unknown argument %s; usage: hk-tickctl archive "
                      "[--day YYYYMMDD] [--archive-dir DIR] [--keep-days N] "
                      "[--delete-original 0|1] [--verify 0|1]");
    if (rc != CTL_OK)
        return rc;
    const char *lv = ctl_getenv(c, "ARCHIVE_ZSTD_LEVEL");
    if (lv && *lv && ctl_parse_long(lv, 1, ZSTD_maxCLevel(), &o->level) != 0)
        return ctl_ar_failf(c, CTL_USAGE, "config_error",
                            "var=ARCHIVE_ZSTD_LEVEL value=%s reason=\"1-%d\"",
                            lv, ZSTD_maxCLevel());
    const char *tv = ctl_getenv(c, "ARCHIVE_ZSTD_THREADS");
    if (tv && *tv && ctl_parse_long(tv, 1, 256, &o->threads) != 0)
        return ctl_ar_failf(c, CTL_USAGE, "config_error",
                            "var=ARCHIVE_ZSTD_THREADS value=%s "
                            "reason=\"1-256\"",
                            tv);
    return CTL_OK;
}

/*
 * Steps 1-3 and the private directory: the day file exists, is not being
 * written, has a ticks table; the archive and manifest directories exist;
 * r->tmpdir is created (the caller removes it). Returns CTL_OK or the exit
 * code after printing FAIL (r->tmpdir then empty).
 */
static int ar_prepare(ctl_ctx *c, const struct ar_opts *o, struct ar_result *r)
{
    util_fmt(r->days, sizeof(r->days), "%08d", o->day);
    util_fmt(r->db, sizeof(r->db), "%s/%s.db", c->data_root, r->days);
    util_fmt(c->db_path, sizeof(c->db_path), "%s", r->db);
    if (o->archive_dir)
        util_fmt(r->archive_dir, sizeof(r->archive_dir), "%s", o->archive_dir);
    else
        util_fmt(r->archive_dir, sizeof(r->archive_dir), "%s/_archive",
                 c->data_root);
    /* 1. */
    if (!file_exists(r->db))
        return ctl_fail(c, CTL_USAGE, "db_not_found", r->db);
    /* 2. */
    double age;
    const char *live = live_reason(c, r->db, o->day, &age);
    if (live)
        return ctl_ar_failf(
            c, CTL_USAGE, "day_in_progress",
            "day=%s reason=%s last_write_age_sec=%.0f db=%s (the collector "
            "may still be writing the current HK day; archive it after the "
            "close once it has been idle for 10 minutes)",
            r->days, live, age < 0 ? 0.0 : age, r->db);
    /* 3. */
    if (ctl_day_check(c, r->db) != CTL_OK)
        return CTL_USAGE;
    sqlite3 *probe = NULL;
    bool has_ticks = dayfile_open_ro(r->db, 0, &probe) == SQLITE_OK &&
                     dayfile_has_table(probe, "ticks");
    sqlite3_close(probe);
    if (!has_ticks)
        return ctl_fail(c, CTL_USAGE, "ticks_table_missing", r->db);

    char mdir[PATH_MAX + 16];
    util_fmt(mdir, sizeof(mdir), "%s/manifest", r->archive_dir);
    if (ctl_mkdirs(mdir, 0750) != 0)
        return ctl_ar_failf(c, CTL_RUNTIME, "archive_dir_unwritable", "%s: %s",
                            mdir, strerror(errno));
    util_fmt(r->tmpdir, sizeof(r->tmpdir), "%s/.tmp-%s-XXXXXX", r->archive_dir,
             r->days);
    if (!mkdtemp(r->tmpdir)) {
        r->tmpdir[0] = '\0';
        return ctl_ar_failf(c, CTL_RUNTIME, "archive_dir_unwritable", "%s: %s",
                            r->archive_dir, strerror(errno));
    }
    util_fmt(r->zst, sizeof(r->zst), "%s/%s.db.zst", r->archive_dir, r->days);
    util_fmt(r->sha, sizeof(r->sha), "%s.sha256", r->zst);
    util_fmt(r->manifest, sizeof(r->manifest), "%s/%s.json", mdir, r->days);
    ctl_report_path(c, r->report_path, sizeof(r->report_path));
    return CTL_OK;
}

/* Step 5: compress backup into r->zst (temp name in tmpdir, then rename).
 * Returns 0, or -1 with text in err. */
static int ar_compress(const struct ar_opts *o, struct ar_result *r,
                       const char *backup, char *err, size_t ecap)
{
    char ztmp[PATH_MAX + 160];
    util_fmt(ztmp, sizeof(ztmp), "%s/%s.db.zst.part", r->tmpdir, r->days);
    int zfd = open(ztmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int cr = -1;
    if (zfd < 0) {
        util_fmt(err, ecap, "%s", strerror(errno));
    } else {
        progress pg;
        int64_t total = 0;
        (void)util_file_size(backup, &total);
        progress_init(&pg, "archive: compress", PROGRESS_BYTES, total,
                      r->show_progress);
        cr = compress_file(backup, zfd, (int)o->level, (int)o->threads, r->hex,
                           &pg, err, ecap);
        progress_finish(&pg);
        if (cr == 0 && fsync(zfd) != 0) {
            util_fmt(err, ecap, "fsync: %s", strerror(errno));
            cr = -1;
        }
        close(zfd);
    }
    if (cr == 0 && rename(ztmp, r->zst) != 0) {
        util_fmt(err, ecap, "rename: %s", strerror(errno));
        cr = -1;
    }
    if (cr == 0)
        util_fsync_parent(r->zst);
    return cr;
}

/* Step 9: the manifest, also after a failed verify (verify_ok false). */
static int ar_write_manifest(const struct ar_opts *o, const struct ar_result *r,
                             int64_t src_count)
{
    dayfile_manifest m = {.created_at_ms = hktime_now_ms(),
                          .verify_enabled = o->verify,
                          .verify_ok = r->verify_ok,
                          .verify_details = json_incref(r->details),
                          .quality_summary =
                              quality_summary(r->report, src_count)};
    (void)util_file_size(r->zst, &m.archive_size_bytes);
    util_fmt(m.trading_day, sizeof(m.trading_day), "%s", r->days);
    gethostname(m.host, sizeof(m.host) - 1);
    util_fmt(m.collector_version, sizeof(m.collector_version), "%s",
             HK_VERSION);
    util_fmt(m.source_db, sizeof(m.source_db), "%s", r->db);
    util_fmt(m.archive_file, sizeof(m.archive_file), "%s", r->zst);
    util_fmt(m.checksum_sha256, sizeof(m.checksum_sha256), "%s", r->hex);
    util_fmt(m.compression, sizeof(m.compression), "zstd");
    int mw = dayfile_manifest_write(r->manifest, &m);
    dayfile_manifest_free(&m);
    return mw;
}

/*
 * Steps 4-10 after ar_prepare. Returns CTL_OK with r filled, or the exit
 * code after printing FAIL.
 */
static int ar_run(ctl_ctx *c, const struct ar_opts *o, struct ar_result *r)
{
    char backup[PATH_MAX + 128], vtmp[PATH_MAX + 128], err[1024] = "";
    int rc = CTL_RUNTIME;
    util_fmt(backup, sizeof(backup), "%s/%s.backup.db", r->tmpdir, r->days);
    util_fmt(vtmp, sizeof(vtmp), "%s/verify.db", r->tmpdir);

    /* 4. snapshot */
    int64_t src_count = 0, src_max = 0;
    if (ctl_backup_db_progress(c, "archive: backup", r->db, backup, err,
                               sizeof(err)) != 0 ||
        ctl_ar_db_check(backup, false, false, &src_count, &src_max, err,
                        sizeof(err)) != 0)
        return ctl_ar_failf(c, rc, "archive_backup_failed", "%s: %s", r->db,
                            err);
    /* 5. compress */
    if (ar_compress(o, r, backup, err, sizeof(err)) != 0)
        return ctl_ar_failf(c, rc, "archive_compress_failed", "%s: %s", r->zst,
                            err);
    /* 6. checksum file */
    char line[256];
    util_fmt(line, sizeof(line), "%s  %s.db.zst\n", r->hex, r->days);
    if (write_small(r->sha, line) != 0)
        return ctl_ar_failf(c, rc, "archive_checksum_failed", "%s: %s", r->sha,
                            strerror(errno));
    /* 7. quality report */
    int qr = ctl_quality_report(c, &r->report);
    if (qr != 0 || !r->report)
        fprintf(stderr, "WARN quality_report_failed day=%s rc=%d\n", r->days,
                qr);
    /* 8. verify */
    if (o->verify) {
        progress pg;
        int64_t total = 0;
        (void)util_file_size(r->zst, &total);
        progress_init(&pg, "archive: verify", PROGRESS_BYTES, total,
                      r->show_progress);
        r->verify_ok = verify_archive(r->zst, r->hex, vtmp, src_count, src_max,
                                      r->details, &pg);
        progress_finish(&pg);
    }
    /* 9. manifest */
    if (ar_write_manifest(o, r, src_count) != 0)
        return ctl_ar_failf(c, rc, "archive_manifest_failed", "%s: %s",
                            r->manifest, strerror(errno));
    if (o->verify && !r->verify_ok) {
        char *vd = json_dumps(r->details, JSON_COMPACT | JSON_PRESERVE_ORDER);
        ctl_ar_failf(c, rc, "archive_verify_failed", "%s %s", r->zst,
                     vd ? vd : "");
        free(vd);
        return rc;
    }
    /* 10. retention */
    if (o->delete_original)
        retention(c, r->archive_dir, o->keep_days, r->deleted, r->skipped);
    r->gone = !file_exists(r->db);
    return CTL_OK;
}

static int ar_render(const ctl_ctx *c, struct ar_result *r)
{
    if (c->json) {
        json_t *o = json_object();
        json_object_set_new(o, "result", json_string("OK"));
        json_object_set_new(o, "day", json_string(r->days));
        json_object_set_new(o, "archive", json_string(r->zst));
        json_object_set_new(o, "checksum", json_string(r->sha));
        json_object_set_new(o, "checksum_sha256", json_string(r->hex));
        json_object_set_new(o, "manifest", json_string(r->manifest));
        json_object_set_new(o, "report", json_string(r->report_path));
        json_object_set_new(o, "verified", json_boolean(r->verify_ok));
        json_object_set_new(o, "verify_details", json_incref(r->details));
        json_object_set_new(o, "deleted_original", json_boolean(r->gone));
        json_object_set_new(o, "retention_deleted", json_incref(r->deleted));
        json_object_set_new(o, "retention_skipped", json_incref(r->skipped));
        return ctl_json_out(o);
    }
    printf("ARCHIVE OK\n");
    printf("archive=%s\n", r->zst);
    printf("checksum=%s\n", r->sha);
    printf("manifest=%s\n", r->manifest);
    printf("report=%s\n", r->report_path);
    printf("verified=%d\n", r->verify_ok ? 1 : 0);
    printf("deleted_original=%d\n", r->gone ? 1 : 0);
    fflush(stdout);
    return CTL_OK;
}

int ctl_cmd_archive(ctl_ctx *c, int argc, char **argv)
{
    struct ar_opts o;
    int rc = ar_parse(c, argc, argv, &o);
    if (rc != CTL_OK)
        return rc;
    c->day = o.day;

    struct ar_result *r = calloc(1, sizeof(*r));
    if (!r)
        return ctl_fail(c, CTL_RUNTIME, "out_of_memory", NULL);
    r->details = json_object();
    r->deleted = json_array();
    r->skipped = json_array();
    r->show_progress = progress_wanted(c->json);
    rc = ar_prepare(c, &o, r);
    if (rc == CTL_OK)
        rc = ar_run(c, &o, r);
    if (rc == CTL_OK)
        rc = ar_render(c, r);
    json_decref(r->report);
    json_decref(r->details);
    json_decref(r->deleted);
    json_decref(r->skipped);
    if (r->tmpdir[0])
        rm_tree_shallow(r->tmpdir);
    free(r);
    return rc;
}
