/*
 * spool.c - append/take of row records in a spool file.
 *
 * Records are written with pwrite at s->wr and read with pread at s->rd;
 * both offsets move under s->mu. When rd reaches wr the file is truncated
 * to its header so a long-running process never grows it without bound.
 * Durability: spool data is fdatasync'ed before a crash spool is closed;
 * the live spool relies on the page cache (it exists to survive bursts,
 * not power loss; rows in it are still in OpenD's history for backfill).
 * Integrity: each record carries a CRC-32 and every record read back is
 * checked (spool_record_check) before it can reach the writer; a bad one
 * goes to the quarantine file of its spool (quarantine(), format in
 * spool.h), so nothing read from disk is trusted or silently dropped.
 * All file I/O goes through common/sys.h so tests can fail any call.
 */
#include "collector/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "common/hktime.h"
#include "common/log.h"
#include "common/sys.h"
#include "common/util.h"

static void header(uint8_t h[SPOOL_HEADER])
{
    uint32_t rs = (uint32_t)SPOOL_RECORD;
    memset(h, 0, SPOOL_HEADER);
    memcpy(h, SPOOL_MAGIC, 8);
    memcpy(h + 8, &rs, 4);
}

int spool_init(spool *s, const char *data_root)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->dir, sizeof(s->dir), "%s/_spool", data_root);
    snprintf(s->path, sizeof(s->path), "%s/live-%ld.spool", s->dir,
             (long)getpid());
    s->fd = -1;
    return 0;
}

void spool_free(spool *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        if (atomic_load(&s->pending) == 0)
            unlink(s->path);
    }
    pthread_mutex_destroy(&s->mu);
}

static int open_live(spool *s)
{
    uint8_t h[SPOOL_HEADER];
    int rc;

    if (sys_mkdir(s->dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    s->fd = sys_open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (s->fd < 0)
        return -errno;
    header(h);
    rc = util_pwrite_all(s->fd, h, sizeof(h), 0);
    if (rc != 0) {
        close(s->fd);
        s->fd = -1;
        unlink(s->path);
        return rc;
    }
    s->rd = s->wr = SPOOL_HEADER;
    return 0;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

static void encode(const row *r, const symtab *t, uint8_t *out)
{
    uint32_t crc;

    memcpy(out, r, sizeof(row));
    memset(out + sizeof(row), 0, SYMTAB_NAME_LEN);
    snprintf((char *)out + sizeof(row), SYMTAB_NAME_LEN, "%s",
             symtab_name(t, r->sym));
    crc = crc_of(out, SPOOL_RECORD_V1);
    memcpy(out + SPOOL_RECORD_V1, &crc, 4);
}

/* MARKET.CODE: 1-8 upper-case letters, '.', then [A-Za-z0-9._-]+, NUL
 * within the field and nothing but NULs after it. */
static bool name_ok(const uint8_t *name)
{
    size_t len = strnlen((const char *)name, SYMTAB_NAME_LEN);
    size_t m = 0;

    if (len == SYMTAB_NAME_LEN)
        return false;
    for (size_t i = len; i < SYMTAB_NAME_LEN; i++)
        if (name[i] != 0)
            return false;
    while (m < len && name[m] >= 'A' && name[m] <= 'Z')
        m++;
    if (m < 1 || m > 8 || m + 1 >= len || name[m] != '.')
        return false;
    for (size_t i = m + 1; i < len; i++) {
        uint8_t c = name[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                     (c >= 'a' && c <= 'z');
        if (!alnum && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

const char *spool_record_check(const uint8_t *rec, size_t size, int64_t now_ms)
{
    row r;
    int64_t hi = now_ms + SPOOL_TS_AHEAD_MS;

    if (size == SPOOL_RECORD) {
        uint32_t crc;
        memcpy(&crc, rec + SPOOL_RECORD_V1, 4);
        if (crc != crc_of(rec, SPOOL_RECORD_V1))
            return "checksum";
    } else if (size != SPOOL_RECORD_V1) {
        return "truncated";
    }
    memcpy(&r, rec, sizeof(r));
    if (!name_ok(rec + sizeof(row)))
        return "symbol";
    if (r.ts_ms < SPOOL_TS_MIN_MS || r.ts_ms > hi)
        return "ts_ms";
    if (r.recv_ts_ms < SPOOL_TS_MIN_MS || r.recv_ts_ms > hi)
        return "recv_ts_ms";
    if (r.flags & ~(ROW_HAS_SEQ | ROW_HAS_TYPE))
        return "flags";
    if ((r.flags & ROW_HAS_SEQ) && r.seq <= 0)
        return "seq";
    if (!isfinite(r.price))
        return "price";
    if (!isfinite(r.turnover))
        return "turnover";
    if (r.push_type > ROW_BACKFILL)
        return "push_type";
    return NULL;
}

/* Where the bad records of one spool file go. */
struct qfile {
    const char *src; /* spool file path */
    long count;      /* records quarantined */
    int logged;      /* spool_record_quarantined lines written */
    int fd;          /* quarantine file, -1 until the first bad record */
};

/*
 * Append one bad record to <dir of src>/quarantine/<name of src>.bad.
 * Returns 0 or -errno (the record could not be kept: the caller decides).
 */
static int quarantine(struct qfile *q, const uint8_t *rec, size_t n, off_t off,
                      const char *why, bool log_it)
{
    char dir[1300], path[1600], head[1800];
    const char *base = strrchr(q->src, '/');
    size_t dl = base ? (size_t)(base - q->src) : 0;
    int rc = 0;

    base = base ? base + 1 : q->src;
    if (q->fd < 0) {
        snprintf(dir, sizeof(dir), "%.*s%squarantine", (int)dl, q->src,
                 dl ? "/" : "");
        snprintf(path, sizeof(path), "%s/%s.bad", dir, base);
        if (sys_mkdir(dir, 0750) != 0 && errno != EEXIST)
            return -errno;
        q->fd = sys_open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        if (q->fd < 0)
            return -errno;
    }
    off_t end = lseek(q->fd, 0, SEEK_END);
    if (end < 0)
        return -errno;
    int hl = snprintf(head, sizeof(head),
                      "HKSPOOL-BAD source=%s offset=%lld bytes=%zu "
                      "reason=%s\n",
                      base, (long long)off, n, why);
    if (hl < 0 || (size_t)hl >= sizeof(head))
        return -ENAMETOOLONG;
    rc = util_pwrite_all(q->fd, head, (size_t)hl, end);
    if (rc == 0)
        rc = util_pwrite_all(q->fd, rec, n, end + hl);
    if (rc == 0)
        rc = util_pwrite_all(q->fd, "\n", 1, end + hl + (off_t)n);
    if (rc != 0) {
        (void)sys_ftruncate(q->fd, end); /* no half entry */
        return rc;
    }
    q->count++;
    if (log_it) {
        char qp[1700], a[1700], b[1700];
        snprintf(qp, sizeof(qp), "%.*s%squarantine/%s.bad", (int)dl, q->src,
                 dl ? "/" : "", base);
        LOG(LOG_WARNING, LC_COLLECTOR,
            "spool_record_quarantined path=%s offset=%lld reason=%s "
            "quarantine=%s",
            log_quote(q->src, a, sizeof(a)), (long long)off, why,
            log_quote(qp, b, sizeof(b)));
    }
    return 0;
}

int spool_append(spool *s, const row *rows, size_t n, const symtab *t)
{
    uint8_t buf[64 * SPOOL_RECORD];
    int rc = 0;

    pthread_mutex_lock(&s->mu);
    if (s->fd < 0 && (rc = open_live(s)) != 0)
        goto out;
    off_t wr = s->wr;
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < k; j++)
            encode(&rows[i + j], t, buf + j * SPOOL_RECORD);
        rc = util_pwrite_all(s->fd, buf, k * SPOOL_RECORD, wr);
        if (rc != 0)
            goto out; /* none of the n rows is spooled: s->wr unchanged */
        wr += (off_t)(k * SPOOL_RECORD);
        i += k;
    }
    /* All or nothing: the caller counts and re-fetches exactly the rows of
     * a failed call, and bytes past s->wr are overwritten by the next one. */
    s->wr = wr;
    atomic_fetch_add(&s->pending, n);
    atomic_fetch_add(&s->spilled, (long long)n);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Quarantine one bad live record, logging at most SPOOL_BAD_LOG_MAX lines
 * a minute. Caller holds s->mu. */
static void take_bad(spool *s, const uint8_t *rec, off_t off, const char *why)
{
    struct qfile q = {.src = s->path, .fd = -1};
    int64_t now = hktime_mono_ms();
    char qp[1300];
    int rc;

    if (now - s->bad_log_mono_ms >= 60000) {
        if (s->bad_logged > SPOOL_BAD_LOG_MAX)
            LOG(LOG_WARNING, LC_COLLECTOR,
                "spool_record_quarantined path=%s suppressed=%d",
                log_quote(s->path, qp, sizeof(qp)),
                s->bad_logged - SPOOL_BAD_LOG_MAX);
        s->bad_log_mono_ms = now;
        s->bad_logged = 0;
    }
    s->bad_logged++;
    rc = quarantine(&q, rec, SPOOL_RECORD, off, why,
                    s->bad_logged <= SPOOL_BAD_LOG_MAX);
    if (q.fd >= 0)
        close(q.fd);
    atomic_fetch_add(&s->quarantined, 1);
    if (rc != 0)
        LOG(LOG_ERROR, LC_COLLECTOR,
            "spool_quarantine_failed path=%s offset=%lld reason=%s err=\"%s\"",
            log_quote(s->path, qp, sizeof(qp)), (long long)off, why,
            strerror(-rc));
}

size_t spool_take(spool *s, row *out, size_t max)
{
    uint8_t buf[64 * SPOOL_RECORD];
    size_t done = 0, used = 0;
    int64_t now = hktime_now_ms();

    pthread_mutex_lock(&s->mu);
    while (s->fd >= 0 && done < max && s->rd < s->wr) {
        size_t avail = (size_t)(s->wr - s->rd) / SPOOL_RECORD;
        size_t k = max - done;
        if (k > avail)
            k = avail;
        if (k > 64)
            k = 64;
        ssize_t r = sys_pread(s->fd, buf, k * SPOOL_RECORD, s->rd);
        if (r < (ssize_t)SPOOL_RECORD)
            break; /* I/O error: leave the data for the next attempt */
        k = (size_t)r / SPOOL_RECORD;
        for (size_t j = 0; j < k; j++) {
            const uint8_t *rec = buf + j * SPOOL_RECORD;
            const char *why = spool_record_check(rec, SPOOL_RECORD, now);
            if (why)
                take_bad(s, rec, s->rd + (off_t)(j * SPOOL_RECORD), why);
            else
                memcpy(&out[done++], rec, sizeof(row));
        }
        s->rd += (off_t)(k * SPOOL_RECORD);
        used += k;
    }
    if (used > 0)
        atomic_fetch_sub(&s->pending, used);
    if (s->fd >= 0 && s->rd >= s->wr && s->wr > SPOOL_HEADER) {
        if (sys_ftruncate(s->fd, SPOOL_HEADER) == 0)
            s->rd = s->wr = SPOOL_HEADER;
    }
    pthread_mutex_unlock(&s->mu);
    return done;
}

int spool_write_crash(const char *data_root, const row *rows, size_t n,
                      const symtab *t, char *out_path, size_t cap)
{
    char dir[1100];
    uint8_t h[SPOOL_HEADER];
    uint8_t rec[SPOOL_RECORD];
    struct timespec ts;
    struct tm tm;
    int fd, rc;
    off_t off = SPOOL_HEADER;

    snprintf(dir, sizeof(dir), "%s/_spool", data_root);
    if (sys_mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out_path, cap, "%s/%04d%02d%02dT%02d%02d%02d.%03ldZ-%ld.spool",
             dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (long)getpid());
    fd = sys_open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    header(h);
    rc = util_pwrite_all(fd, h, sizeof(h), 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        encode(&rows[i], t, rec);
        rc = util_pwrite_all(fd, rec, sizeof(rec), off);
        off += (off_t)sizeof(rec);
    }
    if (rc != 0) {
        close(fd);
        unlink(out_path);
        return rc;
    }
    /* A failed fdatasync is reported, but the file is kept: its rows may
     * still reach the disk, and replay checks every record. */
    if (sys_fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

int spool_sync(spool *s)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->fd >= 0 && sys_fdatasync(s->fd) != 0)
        rc = -errno;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Replay state of one file. */
struct replay {
    symtab *t;
    spool_chunk_fn fn;
    void *ud;
    row chunk[256];
    size_t n;
    long total;
    long *skipped;
    long new_names; /* names this replay added to t */
    struct qfile q;
};

static int replay_flush(struct replay *rp)
{
    int rc = rp->n > 0 ? rp->fn(rp->chunk, rp->n, rp->ud) : 0;
    rp->n = 0;
    return rc;
}

/* One record of `size` bytes read at `off`: check, intern, hand over. */
static int replay_record(struct replay *rp, const uint8_t *rec, size_t size,
                         off_t off, int64_t now)
{
    const char *why = spool_record_check(rec, size, now);

    if (why)
        return quarantine(&rp->q, rec, size, off, why,
                          rp->q.logged++ < SPOOL_BAD_LOG_MAX);
    row *r = &rp->chunk[rp->n];
    const char *name = (const char *)rec + sizeof(row);
    memcpy(r, rec, sizeof(row));
    uint32_t id = symtab_find(rp->t, name, strlen(name));
    if (id == SYMTAB_NONE && rp->new_names < SPOOL_NEW_NAMES_MAX) {
        id = symtab_intern(rp->t, name, strlen(name));
        rp->new_names += id != SYMTAB_NONE;
    }
    if (id == SYMTAB_NONE) {
        /* Over the name budget or the table full: kept, not inserted. */
        if (rp->skipped)
            (*rp->skipped)++;
        return quarantine(&rp->q, rec, size, off, "symbol_budget",
                          rp->q.logged++ < SPOOL_BAD_LOG_MAX);
    }
    r->sym = id;
    rp->total++;
    if (++rp->n == sizeof(rp->chunk) / sizeof(rp->chunk[0]))
        return replay_flush(rp);
    return 0;
}

static int replay_fd(struct replay *rp, int fd, size_t size)
{
    uint8_t rec[SPOOL_RECORD];
    off_t off = SPOOL_HEADER;
    int64_t now = hktime_now_ms();
    int rc = 0;

    for (;;) {
        ssize_t r = sys_read(fd, rec, size);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno; /* not EOF: the caller must keep the file */
        if (r == 0)
            break;
        if ((size_t)r < size) {
            /* Short read: only at EOF (a torn last record from a crash);
             * keep reading until the file really ends. */
            size_t got = (size_t)r;
            while (got < size) {
                r = sys_read(fd, rec + got, size - got);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0)
                    return -errno;
                if (r == 0)
                    break;
                got += (size_t)r;
            }
            if (got < size) {
                rc = quarantine(&rp->q, rec, got, off, "truncated",
                                rp->q.logged++ < SPOOL_BAD_LOG_MAX);
                break;
            }
        }
        rc = replay_record(rp, rec, size, off, now);
        if (rc != 0)
            return rc;
        off += (off_t)size;
    }
    if (rc == 0)
        rc = replay_flush(rp);
    return rc;
}

long spool_replay_file_q(const char *path, symtab *t, spool_chunk_fn fn,
                         void *ud, long *skipped, long *quarantined)
{
    uint8_t h[SPOOL_HEADER];
    uint32_t rs;
    size_t size;
    struct replay *rp;
    int rc, fd = sys_open(path, O_RDONLY | O_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    if (sys_read(fd, h, sizeof(h)) != (ssize_t)sizeof(h)) {
        close(fd);
        return -EINVAL;
    }
    memcpy(&rs, h + 8, 4);
    if (memcmp(h, SPOOL_MAGIC, 8) == 0 && rs == SPOOL_RECORD)
        size = SPOOL_RECORD;
    else if (memcmp(h, SPOOL_MAGIC_V1, 8) == 0 && rs == SPOOL_RECORD_V1)
        size = SPOOL_RECORD_V1;
    else {
        close(fd);
        return -EINVAL;
    }
    rp = calloc(1, sizeof(*rp));
    if (!rp) {
        close(fd);
        return -ENOMEM;
    }
    *rp = (struct replay){.t = t, .fn = fn, .ud = ud, .skipped = skipped};
    rp->q = (struct qfile){.src = path, .fd = -1};
    rc = replay_fd(rp, fd, size);
    close(fd);
    if (rp->q.fd >= 0)
        close(rp->q.fd);
    if (rp->q.count > 0) {
        char qp[1300];
        LOG(LOG_ERROR, LC_COLLECTOR,
            "spool_records_quarantined path=%s records=%ld rows_ok=%ld",
            log_quote(path, qp, sizeof(qp)), rp->q.count, rp->total);
    }
    if (quarantined)
        *quarantined += rp->q.count;
    long total = rp->total;
    free(rp);
    return rc != 0 ? rc : total;
}

long spool_replay_file(const char *path, symtab *t, spool_chunk_fn fn, void *ud,
                       long *skipped)
{
    return spool_replay_file_q(path, t, fn, ud, skipped, NULL);
}

/* ---- left-over spools of earlier runs ----------------------------------- */

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int spool_scan(const char *data_root, char ***paths, size_t *n)
{
    char dir[1100];
    size_t cap = 4096, k = 0;
    char **v;
    DIR *dh;
    struct dirent *e;

    *paths = NULL;
    *n = 0;
    snprintf(dir, sizeof(dir), "%s/_spool", data_root);
    dh = opendir(dir);
    if (!dh)
        return 0;
    v = calloc(cap, sizeof(char *));
    if (!v) {
        closedir(dh);
        return -ENOMEM;
    }
    while ((e = readdir(dh)) != NULL && k < cap) {
        size_t len = strlen(e->d_name);
        char full[1400];
        if (len < 7 || strcmp(e->d_name + len - 6, ".spool") != 0)
            continue;
        snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
        v[k] = strdup(full);
        if (v[k])
            k++;
    }
    closedir(dh);
    qsort(v, k, sizeof(char *), cmp_path);
    *paths = v;
    *n = k;
    return 0;
}

void spool_scan_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

struct adopt_ctx {
    spool *live;
    const symtab *t;
};

static int adopt_chunk(const row *rows, size_t n, void *ud)
{
    struct adopt_ctx *c = ud;
    return spool_append(c->live, rows, n, c->t);
}

long spool_adopt(spool *live, const char *path, symtab *t, long *skipped,
                 char *used, size_t cap)
{
    struct adopt_ctx c = {.live = live, .t = t};
    long rows;
    int w;

    *skipped = 0;
    w = snprintf(used, cap, "%s", path);
    if (w < 0 || (size_t)w >= cap)
        return -ENAMETOOLONG;
    if (strcmp(path, live->path) == 0) {
        /* An old run had our pid: move it out of our live name. */
        w = snprintf(used, cap, "%s.old.spool", path);
        if (w < 0 || (size_t)w >= cap)
            return -ENAMETOOLONG;
        if (rename(path, used) != 0)
            return -errno;
    }
    rows = spool_replay_file(used, t, adopt_chunk, &c, skipped);
    if (rows < 0)
        return rows;
    if (spool_sync(live) != 0)
        return -EIO;
    unlink(used);
    return rows;
}
