/*
 * feed.h - where the engine's market data comes from (QTE_SOURCE): one
 * interface over the day files (source.h, the embedded default), the
 * pipeline's ClickHouse tables, and the live JetStream stream.
 *
 * A feed hands out trades one at a time in (trading day, ts_ms, symbol,
 * seq) order. A replay feed (day files, ClickHouse) ends; a live feed
 * (JetStream) does not: next returns QTE_FEED_WAIT when nothing has
 * arrived yet and the engine asks again later. Replay thread only, except
 * where an implementation says otherwise.
 *
 * Implementations embed qte_feed as their first member and fill ops; the
 * engine calls them only through the functions below.
 */
#ifndef HK_QTE_FEED_H
#define HK_QTE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qte/config.h"
#include "qte/engine.h"
#include "qte/strategy.h"

/* next's results. */
enum {
    QTE_FEED_ERR = -1, /* message in f->err */
    QTE_FEED_END = 0,  /* no more data (replay feeds only) */
    QTE_FEED_ROW = 1,  /* *t filled */
    QTE_FEED_WAIT = 2, /* live: nothing yet; call again */
};

typedef struct qte_feed qte_feed;

typedef struct qte_feed_ops {
    /* The next trade into *t (t->symbol borrowed from the engine's symbol
     * table), its trading day (YYYYMMDD) into *day, and *new_day = true
     * when it is the first trade of a later day than the previous one's.
     * Returns QTE_FEED_*. */
    int (*next)(qte_feed *f, qte_tick *t, int *day, bool *new_day);
    /* Restart at the first trade with ts_ms >= ts_ms. 0, or -1 with a
     * message in f->err (a live feed refuses). */
    int (*seek)(qte_feed *f, int64_t ts_ms);
    /* Rows handed out / rows expected, 0..1 (a live feed: 0). */
    double (*progress)(const qte_feed *f);
    /* Close and free f. */
    void (*close)(qte_feed *f);
} qte_feed_ops;

struct qte_feed {
    const qte_feed_ops *ops;
    bool live;     /* ticks arrive as they happen; the queue may hold many */
    char err[256]; /* the last error */
};

/* What a feed is opened on: the engine's parsed inputs (borrowed; they
 * outlive the feed). days ascending; symbols in byte order, index =
 * symbol id (qte_tick.sym). */
typedef struct qte_feed_args {
    const qte_config *cfg;
    const int *days;
    int ndays;
    const char *const *symbols;
    int nsym;
} qte_feed_args;

/*
 * Open the feed cfg->source names. Returns the feed (the caller closes it
 * with qte_feed_close), or NULL with a message in err: a missing day
 * file, a server that cannot be reached, a source not built in.
 */
qte_feed *qte_feed_open(const qte_feed_args *a, char *err, size_t errlen);

/* The implementations (feed.c dispatches; tests call them directly). */
qte_feed *qte_feed_dayfile_open(const qte_feed_args *a, char *err,
                                size_t errlen);
/* QTE_SOURCE=clickhouse (feed_clickhouse.c): QTE_CLICKHOUSE_DATABASE.ticks
 * FINAL on QTE_CLICKHOUSE_URL, paged; NULL with a message naming the
 * variable to fix when the server or the table cannot be reached. */
qte_feed *qte_feed_clickhouse_open(const qte_feed_args *a, char *err,
                                   size_t errlen);
/* QTE_SOURCE=jetstream (feed_jetstream.c): live, base.live = true. */
qte_feed *qte_feed_jetstream_open(const qte_feed_args *a, char *err,
                                  size_t errlen);
/* A live feed's counters into *out (the jetstream feed is the only live
 * one; these two functions are its). Returns 0, or -1 when f is NULL or
 * not live (*out zeroed). Any thread. */
int qte_feed_live_stats(const qte_feed *f, qte_live_stats *out);
/* Drop every delivered trade not yet handed out by next. Returns how
 * many (0 for a feed that is not live). Any thread. */
uint64_t qte_feed_live_clear(qte_feed *f);
/* The day files through the columnar day cache (cfg->cache_dir;
 * daycache_feed.c); qte_feed_dayfile_open calls it when the cache is on. */
qte_feed *qte_feed_daycache_open(const qte_feed_args *a, char *err,
                                 size_t errlen);

static inline int qte_feed_next(qte_feed *f, qte_tick *t, int *day,
                                bool *new_day)
{
    return f->ops->next(f, t, day, new_day);
}
static inline int qte_feed_seek(qte_feed *f, int64_t ts_ms)
{
    return f->ops->seek(f, ts_ms);
}
static inline double qte_feed_progress(const qte_feed *f)
{
    return f->ops->progress(f);
}
/* NULL is fine. */
void qte_feed_close(qte_feed *f);

/* A replay feed's progress (the replay feeds share it): 1 once past its
 * last day, else rows read / rows expected capped at 1, 0 when the total
 * is unknown (<= 0). */
double qte_feed_ratio(int day_i, int ndays, int64_t read, int64_t total);

#endif
