/*
 * insert.c - the insert thread and its bounded hand-off (contract in
 * insert.h).
 *
 * Data: HOT_INSERT_QUEUE + 1 batches, allocated at start. Each is in one
 * place at a time: filled by the consumer thread, in the queue q[] (a ring
 * of HOT_INSERT_QUEUE slots; q[head] is the one being inserted), or on the
 * free stack. mu guards q, head, count, free stack and closing; cv (one
 * condition variable, broadcast) wakes the insert thread when a batch or
 * the close arrives and the consumer when a slot frees. No other lock is
 * taken while mu is held. Messages of a queued batch are touched only by
 * the insert thread (in-progress, ack, nak), without mu: the consumer never
 * touches a batch after handing it off.
 *
 * Insert thread, per batch, in hand-off order (insert_batch()):
 *   INSERT  one RowBinary insert of the whole batch.
 *   ACK     200: ack every message, update the stats, back to the queue.
 *   RETRY   failure: count and log it, mark this batch and the one
 *           waiting behind it in progress (so AckWait does not expire
 *           while we retry), back off (HOT_RETRY_MIN_MS doubling to
 *           HOT_RETRY_MAX_MS), INSERT the same bytes again.
 *   GIVE UP after a stop, once HOT_DRAIN_SEC passed since it: nak this
 *           batch and every later one (JetStream redelivers them at once
 *           to the next run); hot_drain_timeout logs the total at exit.
 * A stop alone changes nothing: queued batches are still inserted.
 * Idle (no batch for HOT_LAG_INTERVAL_SEC): a SELECT 1 when no insert
 * proved ClickHouse reachable recently, for /health.
 */
#include "hot/insert.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"
#include "hot/pull.h"

struct hot_insert {
    const hot_config *cfg;
    hot_stats *st;
    natsConnection *nc; /* acks go out on it (hot_pull_reply) */
    ch_client *ch;
    const char *table;
    hot_stopper *stop;
    pthread_t thread;
    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;
    hot_batch *q[HOT_INSERT_QUEUE];
    int head;
    int count;
    hot_batch *free_b[HOT_INSERT_QUEUE + 1];
    int n_free;
    bool closing;
    /* insert thread only */
    bool gave_up;
    long long unacked; /* rows nak'ed after giving up */
    hot_batch pool[HOT_INSERT_QUEUE + 1];
};

bool hot_stopper_poll(hot_stopper *s)
{
    if (atomic_load(&s->since_mono) == 0 && s->asked())
        atomic_store(&s->since_mono, hktime_mono_ms());
    return atomic_load(&s->since_mono) != 0;
}

int64_t hot_next_delay(const hot_config *cfg, int64_t d)
{
    d = d ? d * 2 : cfg->retry_min_ms;
    return d > cfg->retry_max_ms ? cfg->retry_max_ms : d;
}

void hot_nap_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void hot_batch_in_progress(natsConnection *nc, hot_batch *b)
{
    for (int i = 0; i < b->n; i++)
        hot_pull_reply(nc, b->msgs[i], HOT_PULL_WPI);
}

static void batch_clear(hot_batch *b)
{
    b->n = 0;
    b->first_mono = 0;
    b->max_ts = 0;
    ch_buf_reset(&b->buf);
}

/* Ack (inserted) or nak (given up) every message of b and empty it. */
static void release(hot_insert *w, hot_batch *b, bool ack)
{
    for (int i = 0; i < b->n; i++) {
        if (ack && hot_pull_reply(w->nc, b->msgs[i], HOT_PULL_ACK) == 0)
            atomic_fetch_add(&w->st->acked, 1);
        if (!ack)
            hot_pull_reply(w->nc, b->msgs[i], HOT_PULL_NAK);
        natsMsg_Destroy(b->msgs[i]);
        b->msgs[i] = NULL;
    }
    atomic_fetch_sub(&w->st->held_rows, b->n);
    batch_clear(b);
}

static void confirmed(hot_insert *w, hot_batch *b, int64_t t0,
                      int64_t failed_since)
{
    int64_t now = hktime_mono_ms();
    hot_stats *st = w->st;
    svc_hist_add(&st->insert_ms, (double)(now - t0));
    atomic_fetch_add(&st->rows_inserted, b->n);
    atomic_fetch_add(&st->batches, 1);
    atomic_store(&st->last_insert_mono_ms, now);
    atomic_store(&st->clickhouse_ok, true);
    if (b->max_ts > atomic_load(&st->newest_ts_ms))
        atomic_store(&st->newest_ts_ms, b->max_ts);
    if (failed_since)
        LOG(LOG_INFO, LC_HOT, "hot_insert_recovered rows=%d after_ms=%" PRId64,
            b->n, now - failed_since);
    LOG(LOG_DEBUG, LC_HOT, "hot_batch_inserted rows=%d bytes=%zu ms=%" PRId64,
        b->n, b->buf.n, now - t0);
    release(w, b, true);
}

/* After a failed insert: keep every handed-off batch's AckWait fresh. */
static void keep_queued(hot_insert *w)
{
    hot_batch *qb[HOT_INSERT_QUEUE];
    int n;
    pthread_mutex_lock(&w->mu);
    n = w->count;
    for (int i = 0; i < n; i++)
        qb[i] = w->q[(w->head + i) % HOT_INSERT_QUEUE];
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < n; i++)
        hot_batch_in_progress(w->nc, qb[i]);
}

/* Sleep delay ms, bounded by the drain time once a stop was seen. Returns
 * true when the drain time is over (give up). */
static bool wait_retry(hot_insert *w, int64_t delay)
{
    int64_t end = hktime_mono_ms() + delay;
    for (;;) {
        int64_t now = hktime_mono_ms();
        int64_t since = atomic_load(&w->stop->since_mono);
        if (since) {
            int64_t left = (int64_t)w->cfg->drain_sec * 1000 - (now - since);
            if (left <= 0)
                return true;
            if (end - now > left)
                end = now + left;
        }
        if (now >= end)
            return false;
        hot_nap_ms(end - now < 50 ? end - now : 50);
    }
}

/* Insert b until ClickHouse confirms it (then ack) or the drain time
 * after a stop runs out (then nak). */
static void insert_batch(hot_insert *w, hot_batch *b)
{
    int64_t delay = 0;
    int64_t failed_since = 0;
    while (!w->gave_up) {
        ch_result res;
        int64_t t0 = hktime_mono_ms();
        int rc = ch_insert_rowbinary(w->ch, w->table, b->buf.p, b->buf.n, &res);
        if (rc == 0) {
            ch_result_free(&res);
            confirmed(w, b, t0, failed_since);
            return;
        }
        atomic_fetch_add(&w->st->insert_errors, 1);
        atomic_store(&w->st->clickhouse_ok, false);
        if (!failed_since)
            failed_since = t0;
        delay = hot_next_delay(w->cfg, delay);
        char q[600];
        LOG(LOG_WARNING, LC_HOT,
            "hot_insert_failed rows=%d status=%ld code=%d retry_ms=%" PRId64
            " error=%s",
            b->n, res.status, res.exception, delay,
            log_quote(res.err, q, sizeof(q)));
        ch_result_free(&res);
        keep_queued(w);
        if (wait_retry(w, delay))
            w->gave_up = true;
    }
    w->unacked += b->n;
    release(w, b, false);
}

static void idle_check(hot_insert *w)
{
    int64_t now = hktime_mono_ms();
    int64_t last = atomic_load(&w->st->last_insert_mono_ms);
    if (now - last <= (int64_t)w->cfg->lag_interval_sec * 1000)
        return;
    ch_result res;
    atomic_store(&w->st->clickhouse_ok, ch_query(w->ch, "SELECT 1", &res) == 0);
    ch_result_free(&res);
}

static void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* The batch at the head of the queue (left there while it is inserted),
 * or NULL once closing with nothing queued. */
static hot_batch *next_work(hot_insert *w)
{
    hot_batch *b = NULL;
    pthread_mutex_lock(&w->mu);
    while (w->count == 0 && !w->closing) {
        struct timespec ts;
        deadline_in(&ts, (int64_t)w->cfg->lag_interval_sec * 1000);
        if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT &&
            w->count == 0 && !w->closing) {
            pthread_mutex_unlock(&w->mu);
            idle_check(w);
            pthread_mutex_lock(&w->mu);
        }
    }
    if (w->count > 0)
        b = w->q[w->head];
    pthread_mutex_unlock(&w->mu);
    return b;
}

static void *thread_main(void *arg)
{
    hot_insert *w = arg;
    hot_batch *b;
    while ((b = next_work(w)) != NULL) {
        insert_batch(w, b);
        pthread_mutex_lock(&w->mu);
        w->head = (w->head + 1) % HOT_INSERT_QUEUE;
        w->count--;
        w->free_b[w->n_free++] = b;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

static void free_all(hot_insert *w)
{
    for (int i = 0; i < HOT_INSERT_QUEUE + 1; i++) {
        hot_batch *b = &w->pool[i];
        for (int k = 0; k < b->n; k++)
            natsMsg_Destroy(b->msgs[k]);
        free(b->msgs);
        ch_buf_free(&b->buf);
    }
    free(w);
}

static int init_pool(hot_insert *w, int rows)
{
    for (int i = 0; i < HOT_INSERT_QUEUE + 1; i++) {
        hot_batch *b = &w->pool[i];
        b->cap = rows;
        b->msgs = calloc((size_t)rows, sizeof(*b->msgs));
        if (!b->msgs || ch_buf_init(&b->buf, (size_t)rows * 128) != 0)
            return -ENOMEM;
        w->free_b[w->n_free++] = b;
    }
    return 0;
}

int hot_insert_start(hot_insert **out, hot_batch **first, const hot_config *cfg,
                     hot_stats *st, natsConnection *nc, ch_client *ch,
                     const char *table, hot_stopper *stop)
{
    *out = NULL;
    hot_insert *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    *w = (hot_insert){
        .cfg = cfg, .st = st, .nc = nc, .ch = ch, .table = table, .stop = stop};
    int rc = init_pool(w, cfg->batch_rows);
    pthread_condattr_t ca;
    if (rc == 0 && pthread_condattr_init(&ca) != 0)
        rc = -ENOMEM;
    if (rc != 0) {
        free_all(w);
        return rc;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->mu, NULL);
    rc = pthread_create(&w->thread, NULL, thread_main, w);
    if (rc != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free_all(w);
        return -rc;
    }
    *first = w->free_b[--w->n_free];
    *out = w;
    return 0;
}

int hot_insert_push(hot_insert *w, hot_batch *b, int64_t wait_ms,
                    hot_batch **next)
{
    struct timespec ts;
    int rc = 0;
    deadline_in(&ts, wait_ms);
    pthread_mutex_lock(&w->mu);
    while (w->count == HOT_INSERT_QUEUE && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    if (w->count == HOT_INSERT_QUEUE) {
        pthread_mutex_unlock(&w->mu);
        return -EAGAIN;
    }
    w->q[(w->head + w->count) % HOT_INSERT_QUEUE] = b;
    w->count++;
    /* count + n_free + the one the caller held = the pool. */
    *next = w->free_b[--w->n_free];
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void hot_insert_finish(hot_insert *w, hot_batch *last)
{
    if (!w)
        return;
    hot_batch *next = NULL;
    if (last && last->n > 0)
        while (hot_insert_push(w, last, 1000, &next) != 0)
            ;
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    if (w->unacked > 0)
        LOG(LOG_WARNING, LC_HOT, "hot_drain_timeout unacked=%lld", w->unacked);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free_all(w);
}
