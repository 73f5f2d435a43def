/*
 * daycache_feed.c - the day-file feed with the columnar day cache
 * (QTE_CACHE_DIR, daycache.h): each day of the replay is read from its
 * cache file when one matches the day file's identity, else from the day
 * file (source.c, one day at a time) while the cache is written from the
 * very rows handed out. The engine sees the same rows in the same order
 * either way, so the report, orders and fills do not depend on the cache.
 *
 * Per day (open_day, close_day):
 *   1. identity of the day file (daycache_id_read: stat + MAX(rowid) +
 *      COUNT(*));
 *   2. cache file valid (header, identity, symbol list, checksum) ->
 *      read it (seek by binary search when a lower bound is set);
 *   3. otherwise (missing: silently; stale: INFO daycache_stale; damaged:
 *      WARNING daycache_ignored) -> read the day file; when the whole day
 *      is read (no seek bound) also write a new cache: every row handed
 *      out is appended; at the day's end the identity is read again and
 *      the file is committed (fsync + rename, INFO daycache_written) only
 *      when it did not change meanwhile. A seek, a stop, an error or a
 *      close before the day's end drop the temporary file. A write error
 *      (WARNING daycache_unwritable) stops the writing, not the replay.
 *
 * The flags of source.c are kept exactly: *new_day is set on the first
 * row after a later day was opened (also when earlier days gave no
 * rows), a seek leaves it as it is, *day is the open day.
 *
 * States: day open (cache or source [+ writer]) -> day drained ->
 * close_day -> next day open ... -> done (day_i == ndays). Replay thread
 * only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/log.h"
#include "dayfile/dayfile.h"
#include "qte/daycache.h"
#include "qte/feed.h"
#include "qte/source.h"

typedef struct cache_feed {
    qte_feed base;
    char root[512];
    char dir[512];
    const int *days; /* ascending; borrowed (qte_feed_args) */
    int ndays;
    int day_i; /* the open day; ndays when done */
    const char *const *symbols;
    int nsym;
    int64_t from_ts; /* rows with ts_ms >= from_ts (seek) */
    bool day_new;
    int64_t rows_total;
    int64_t rows_read;
    bool use_cache; /* the open day reads rd, else src */
    bool src_open;
    int64_t build_ns; /* the writer's start, for the log line */
    daycache_id id;   /* the open day file's identity at open */
    daycache_reader rd;
    qte_source src;
    daycache_writer wr; /* wr.f != NULL while a cache is being written */
} cache_feed;

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void warn_unwritable(const char *path, const char *why)
{
    char qp[700], qw[300];
    LOG(LOG_WARNING, LC_QTE, "daycache_unwritable path=%s error=%s",
        log_quote(path, qp, sizeof(qp)), log_quote(why, qw, sizeof(qw)));
}

/* Start writing the open day's cache at cpath (failures only logged). */
static void start_writer(cache_feed *f, const char *cpath, int day)
{
    char err[256];
    if (mkdir(f->dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, sizeof(err), "%s", strerror(errno));
        warn_unwritable(f->dir, err);
        return;
    }
    if (daycache_writer_open(&f->wr, cpath, day, f->symbols, f->nsym, &f->id,
                             err, sizeof(err)) != 0) {
        warn_unwritable(cpath, err);
        return;
    }
    f->build_ns = mono_ns();
}

/* The open day's cache is complete: commit it if the day file is still
 * the one it was read from. */
static void commit_writer(cache_feed *f)
{
    char dpath[600], err[256], qp[700], qw[300];
    daycache_id now;
    dayfile_path(f->root, f->days[f->day_i], dpath, sizeof(dpath));
    if (daycache_id_read(dpath, &now, err, sizeof(err)) != 0 ||
        !daycache_id_equal(&now, &f->id)) {
        LOG(LOG_INFO, LC_QTE,
            "daycache_stale path=%s reason=\"the day file changed during "
            "the replay; not kept\"",
            log_quote(f->wr.path, qp, sizeof(qp)));
        daycache_writer_abort(&f->wr);
        return;
    }
    char path[600];
    snprintf(path, sizeof(path), "%s", f->wr.path);
    int64_t rows = f->wr.rows;
    struct stat st;
    if (daycache_writer_commit(&f->wr, err, sizeof(err)) != 0) {
        warn_unwritable(path, err);
        return;
    }
    int64_t bytes = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
    LOG(LOG_INFO, LC_QTE,
        "daycache_written path=%s rows=%lld bytes=%lld ms=%lld",
        log_quote(path, qw, sizeof(qw)), (long long)rows, (long long)bytes,
        (long long)((mono_ns() - f->build_ns) / 1000000));
}

/* Close the open day; complete = its rows were all handed out. */
static void close_day(cache_feed *f, bool complete)
{
    if (f->use_cache)
        daycache_reader_close(&f->rd);
    f->use_cache = false;
    if (f->wr.f) {
        if (complete)
            commit_writer(f);
        else
            daycache_writer_abort(&f->wr);
    }
    if (f->src_open)
        source_free(&f->src);
    f->src_open = false;
}

static void log_verdict(int v, const char *cpath, const char *why)
{
    char qp[700], qw[300];
    if (v == DAYCACHE_STALE)
        LOG(LOG_INFO, LC_QTE, "daycache_stale path=%s reason=%s",
            log_quote(cpath, qp, sizeof(qp)), log_quote(why, qw, sizeof(qw)));
    else if (v == DAYCACHE_CORRUPT)
        LOG(LOG_WARNING, LC_QTE, "daycache_ignored path=%s reason=%s",
            log_quote(cpath, qp, sizeof(qp)), log_quote(why, qw, sizeof(qw)));
}

/* Open day f->day_i from its cache or its day file. 0 or -1 (base.err). */
static int open_day(cache_feed *f)
{
    int day = f->days[f->day_i];
    char dpath[600], cpath[600], why[256];
    if (dayfile_path(f->root, day, dpath, sizeof(dpath)) != 0 ||
        daycache_path(f->dir, day, f->symbols, f->nsym, cpath, sizeof(cpath)) !=
            0) {
        snprintf(f->base.err, sizeof(f->base.err), "day %d: path too long",
                 day);
        return -1;
    }
    if (daycache_id_read(dpath, &f->id, f->base.err, sizeof(f->base.err)) != 0)
        return -1;
    int v = daycache_reader_open(&f->rd, cpath, day, f->symbols, f->nsym,
                                 &f->id, why, sizeof(why));
    if (v == DAYCACHE_OK) {
        f->use_cache = true;
        if (f->from_ts != INT64_MIN &&
            daycache_reader_seek(&f->rd, f->from_ts) != 0) {
            snprintf(f->base.err, sizeof(f->base.err), "%s", f->rd.err);
            return -1;
        }
        return 0;
    }
    log_verdict(v, cpath, why);
    if (source_init(&f->src, f->root, &day, 1, f->symbols, f->nsym, f->base.err,
                    sizeof(f->base.err)) != 0) {
        source_free(&f->src);
        return -1;
    }
    f->src_open = true;
    if (f->from_ts != INT64_MIN) {
        if (source_seek(&f->src, f->from_ts) != 0) {
            snprintf(f->base.err, sizeof(f->base.err), "%s", f->src.err);
            return -1;
        }
        return 0;
    }
    start_writer(f, cpath, day);
    return 0;
}

static int cf_next(qte_feed *b, qte_tick *t, int *day, bool *new_day)
{
    cache_feed *f = (cache_feed *)b;
    while (f->day_i < f->ndays) {
        int r = f->use_cache ? daycache_reader_next(&f->rd, t)
                             : source_next(&f->src, t, NULL);
        if (r < 0) {
            snprintf(b->err, sizeof(b->err), "%s",
                     f->use_cache ? f->rd.err : f->src.err);
            return QTE_FEED_ERR;
        }
        if (r == 1) {
            if (f->use_cache) {
                t->symbol = f->symbols[t->sym];
            } else if (f->wr.f && daycache_writer_add(&f->wr, t) != 0) {
                warn_unwritable(f->wr.path, f->wr.err);
                daycache_writer_abort(&f->wr);
            }
            f->rows_read++;
            *new_day = f->day_new;
            f->day_new = false;
            *day = f->days[f->day_i];
            return QTE_FEED_ROW;
        }
        close_day(f, true);
        if (++f->day_i >= f->ndays)
            break;
        if (open_day(f) != 0)
            return QTE_FEED_ERR;
        f->day_new = true;
    }
    return QTE_FEED_END;
}

static int cf_seek(qte_feed *b, int64_t ts_ms)
{
    cache_feed *f = (cache_feed *)b;
    close_day(f, false);
    f->from_ts = ts_ms;
    f->day_i = 0;
    f->rows_read = 0;
    if (f->ndays == 0)
        return 0;
    return open_day(f);
}

static double cf_progress(const qte_feed *b)
{
    const cache_feed *f = (const cache_feed *)b;
    return qte_feed_ratio(f->day_i, f->ndays, f->rows_read, f->rows_total);
}

static void cf_close(qte_feed *b)
{
    cache_feed *f = (cache_feed *)b;
    close_day(f, false);
    free(f);
}

static const qte_feed_ops cache_ops = {cf_next, cf_seek, cf_progress, cf_close};

qte_feed *qte_feed_daycache_open(const qte_feed_args *a, char *err,
                                 size_t errlen)
{
    cache_feed *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->base.ops = &cache_ops;
    f->days = a->days;
    f->ndays = a->ndays;
    f->symbols = a->symbols;
    f->nsym = a->nsym;
    f->from_ts = INT64_MIN;
    snprintf(f->root, sizeof(f->root), "%s", a->cfg->data_root);
    snprintf(f->dir, sizeof(f->dir), "%s", a->cfg->cache_dir);
    if (source_check_days(f->root, f->days, f->ndays, f->symbols, f->nsym,
                          &f->rows_total, err, errlen) != 0 ||
        (f->ndays > 0 && open_day(f) != 0)) {
        if (f->base.err[0])
            snprintf(err, errlen, "%s", f->base.err);
        cf_close(&f->base);
        return NULL;
    }
    return &f->base;
}
