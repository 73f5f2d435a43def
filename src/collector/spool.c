/*
 * spool.c - append/take of row records in a spool file.
 *
 * Records are written with pwrite at s->wr and read with pread at s->rd;
 * both offsets move under s->mu. When rd reaches wr the file is truncated
 * to its header so a long-running process never grows it without bound.
 * Durability: spool data is fdatasync'ed before a crash spool is closed;
 * the live spool relies on the page cache (it exists to survive bursts,
 * not power loss; rows in it are still in OpenD's history for backfill).
 */
#include "collector/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int write_all(int fd, const void *buf, size_t n, off_t off)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

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

    if (mkdir(s->dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    s->fd = open(s->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (s->fd < 0)
        return -errno;
    header(h);
    rc = write_all(s->fd, h, sizeof(h), 0);
    if (rc != 0) {
        close(s->fd);
        s->fd = -1;
        unlink(s->path);
        return rc;
    }
    s->rd = s->wr = SPOOL_HEADER;
    return 0;
}

static void encode(const row *r, const symtab *t, uint8_t *out)
{
    memcpy(out, r, sizeof(row));
    memset(out + sizeof(row), 0, SYMTAB_NAME_LEN);
    snprintf((char *)out + sizeof(row), SYMTAB_NAME_LEN, "%s",
             symtab_name(t, r->sym));
}

int spool_append(spool *s, const row *rows, size_t n, const symtab *t)
{
    uint8_t buf[64 * SPOOL_RECORD];
    int rc = 0;

    pthread_mutex_lock(&s->mu);
    if (s->fd < 0 && (rc = open_live(s)) != 0)
        goto out;
    for (size_t i = 0; i < n;) {
        size_t k = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < k; j++)
            encode(&rows[i + j], t, buf + j * SPOOL_RECORD);
        rc = write_all(s->fd, buf, k * SPOOL_RECORD, s->wr);
        if (rc != 0)
            goto out; /* rows [i, n) are not spooled */
        s->wr += (off_t)(k * SPOOL_RECORD);
        atomic_fetch_add(&s->pending, k);
        atomic_fetch_add(&s->spilled, (long long)k);
        i += k;
    }
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

size_t spool_take(spool *s, row *out, size_t max)
{
    uint8_t buf[64 * SPOOL_RECORD];
    size_t done = 0;

    pthread_mutex_lock(&s->mu);
    while (s->fd >= 0 && done < max && s->rd < s->wr) {
        size_t avail = (size_t)(s->wr - s->rd) / SPOOL_RECORD;
        size_t k = max - done;
        if (k > avail)
            k = avail;
        if (k > 64)
            k = 64;
        ssize_t r = pread(s->fd, buf, k * SPOOL_RECORD, s->rd);
        if (r < (ssize_t)SPOOL_RECORD)
            break; /* I/O error: leave the data for the next attempt */
        k = (size_t)r / SPOOL_RECORD;
        for (size_t j = 0; j < k; j++)
            memcpy(&out[done + j], buf + j * SPOOL_RECORD, sizeof(row));
        s->rd += (off_t)(k * SPOOL_RECORD);
        done += k;
    }
    if (done > 0)
        atomic_fetch_sub(&s->pending, done);
    if (s->fd >= 0 && s->rd >= s->wr && s->wr > SPOOL_HEADER) {
        if (ftruncate(s->fd, SPOOL_HEADER) == 0)
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
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        return -errno;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out_path, cap, "%s/%04d%02d%02dT%02d%02d%02d.%03ldZ-%ld.spool",
             dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (long)getpid());
    fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    header(h);
    rc = write_all(fd, h, sizeof(h), 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        encode(&rows[i], t, rec);
        rc = write_all(fd, rec, sizeof(rec), off);
        off += (off_t)sizeof(rec);
    }
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc != 0)
        unlink(out_path);
    return rc;
}

int spool_sync(spool *s)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->fd >= 0 && fdatasync(s->fd) != 0)
        rc = -errno;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

long spool_replay_file(const char *path, symtab *t, spool_chunk_fn fn, void *ud,
                       long *skipped)
{
    uint8_t h[SPOOL_HEADER], want[SPOOL_HEADER];
    uint8_t rec[SPOOL_RECORD];
    row chunk[256];
    size_t n = 0;
    long total = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    header(want);
    if (read(fd, h, sizeof(h)) != (ssize_t)sizeof(h) ||
        memcmp(h, want, 12) != 0) {
        close(fd);
        return -EINVAL;
    }
    for (;;) {
        ssize_t r = read(fd, rec, sizeof(rec));
        if (r != (ssize_t)sizeof(rec))
            break; /* EOF or a torn last record from a crash */
        memcpy(&chunk[n], rec, sizeof(row));
        rec[SPOOL_RECORD - 1] = '\0';
        const char *name = (const char *)rec + sizeof(row);
        uint32_t id = symtab_intern(t, name, strlen(name));
        if (id == SYMTAB_NONE) {
            if (skipped)
                (*skipped)++;
            continue;
        }
        chunk[n].sym = id;
        n++;
        total++;
        if (n == sizeof(chunk) / sizeof(chunk[0])) {
            int rc = fn(chunk, n, ud);
            n = 0;
            if (rc != 0) {
                close(fd);
                return rc;
            }
        }
    }
    if (n > 0) {
        int rc = fn(chunk, n, ud);
        if (rc != 0) {
            close(fd);
            return rc;
        }
    }
    close(fd);
    return total;
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
