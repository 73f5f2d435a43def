/*
 * feed.c - QTE_SOURCE dispatch, and the day-file feed: a thin adapter
 * over source.c (the merge of day files), which keeps its own interface
 * because the ceiling benchmark and its unit tests use it directly.
 */
#include "qte/feed.h"

#include <stdio.h>
#include <stdlib.h>

#include "qte/source.h"

typedef struct day_feed {
    qte_feed base;
    qte_source src;
} day_feed;

static int day_next(qte_feed *f, qte_tick *t, int *day, bool *new_day)
{
    day_feed *d = (day_feed *)f;
    int r = source_next(&d->src, t, new_day);
    if (r < 0) {
        snprintf(f->err, sizeof(f->err), "%s", d->src.err);
        return QTE_FEED_ERR;
    }
    if (r == 0)
        return QTE_FEED_END;
    *day = d->src.days[d->src.day_i];
    return QTE_FEED_ROW;
}

static int day_seek(qte_feed *f, int64_t ts_ms)
{
    day_feed *d = (day_feed *)f;
    if (source_seek(&d->src, ts_ms) != 0) {
        snprintf(f->err, sizeof(f->err), "%s", d->src.err);
        return -1;
    }
    return 0;
}

static double day_progress(const qte_feed *f)
{
    return source_progress(&((const day_feed *)f)->src);
}

static void day_close(qte_feed *f)
{
    day_feed *d = (day_feed *)f;
    source_free(&d->src);
    free(d);
}

static const qte_feed_ops day_ops = {day_next, day_seek, day_progress,
                                     day_close};

qte_feed *qte_feed_dayfile_open(const qte_feed_args *a, char *err,
                                size_t errlen)
{
    if (a->cfg->cache_dir[0])
        return qte_feed_daycache_open(a, err, errlen);
    day_feed *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.ops = &day_ops;
    if (source_init(&d->src, a->cfg->data_root, a->days, a->ndays, a->symbols,
                    a->nsym, err, errlen) != 0) {
        day_close(&d->base);
        return NULL;
    }
    return &d->base;
}

qte_feed *qte_feed_open(const qte_feed_args *a, char *err, size_t errlen)
{
    switch (a->cfg->source) {
    case QTE_SOURCE_DAYFILE:
        return qte_feed_dayfile_open(a, err, errlen);
    case QTE_SOURCE_CLICKHOUSE:
        return qte_feed_clickhouse_open(a, err, errlen);
    case QTE_SOURCE_JETSTREAM:
        return qte_feed_jetstream_open(a, err, errlen);
    default:
        snprintf(err, errlen, "QTE_SOURCE=%s: not built in",
                 qte_source_name(a->cfg->source));
        return NULL;
    }
}

double qte_feed_ratio(int day_i, int ndays, int64_t read, int64_t total)
{
    if (day_i >= ndays)
        return 1.0;
    if (total <= 0)
        return 0.0;
    double p = (double)read / (double)total;
    return p > 1.0 ? 1.0 : p;
}

void qte_feed_close(qte_feed *f)
{
    if (f)
        f->ops->close(f);
}
