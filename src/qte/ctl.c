/*
 * ctl.c - the engine's control surface for other threads: pause, resume,
 * speed, seek, step, queue clear, manual orders (the inbox), counters.
 *
 * Callers on HTTP threads change fields under ctl_mu, bump ctl_gen and
 * signal ctl_cv. The replay thread compares ctl_gen with what it saw
 * after every event (one relaxed load) and calls eng_control only when it
 * moved, so control costs nothing per event otherwise.
 *
 * Live queue clear: a ticket (clear_req) under ctl_mu; the replay thread
 * drops the market data of the queue and the feed's ring in eng_control
 * and answers (clear_done, clear_result) on ctl_cv.
 *
 * Inbox slots: FREE -> WAITING (submit) -> TAKEN (eng_control queued an
 * ORDER event) -> DONE (eng_inbox_handle placed the order and wrote the
 * ack) -> FREE (the submitter copied the ack). A submitter that times out
 * frees a WAITING slot itself and marks a TAKEN one ABANDONED, which the
 * replay thread frees after handling it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "qte/engine_int.h"

int eng_ctl_init(qte_engine *e)
{
    if (pthread_mutex_init(&e->ctl_mu, NULL) != 0)
        return -1;
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&e->ctl_cv, &a);
    pthread_condattr_destroy(&a);
    if (rc != 0 || pthread_mutex_init(&e->state_mu, NULL) != 0)
        return -1;
    return 0;
}

void eng_ctl_free(qte_engine *e)
{
    pthread_mutex_destroy(&e->ctl_mu);
    pthread_cond_destroy(&e->ctl_cv);
    pthread_mutex_destroy(&e->state_mu);
}

static void bump(qte_engine *e)
{
    atomic_fetch_add_explicit(&e->ctl_gen, 1, memory_order_release);
    pthread_cond_broadcast(&e->ctl_cv);
}

void qte_engine_pause(qte_engine *e)
{
    pthread_mutex_lock(&e->ctl_mu);
    e->paused = true;
    e->step_left = 0;
    bump(e);
    pthread_mutex_unlock(&e->ctl_mu);
}

void qte_engine_resume(qte_engine *e)
{
    pthread_mutex_lock(&e->ctl_mu);
    e->paused = false;
    e->step_left = 0;
    bump(e);
    pthread_mutex_unlock(&e->ctl_mu);
}

int qte_engine_set_speed(qte_engine *e, double speed)
{
    if (!(speed > 0 && speed <= 1e6))
        return -EINVAL;
    pthread_mutex_lock(&e->ctl_mu);
    e->speed = speed;
    bump(e);
    pthread_mutex_unlock(&e->ctl_mu);
    return 0;
}

int qte_engine_seek(qte_engine *e, int64_t ts_ms)
{
    if (ts_ms < 0)
        return -EINVAL;
    if (e->feed && e->feed->live)
        return -ENOTSUP; /* qte_feed_seek: "live source cannot seek" */
    pthread_mutex_lock(&e->ctl_mu);
    e->seek_req = true;
    e->seek_ts = ts_ms;
    bump(e);
    pthread_mutex_unlock(&e->ctl_mu);
    return 0;
}

int qte_engine_step(qte_engine *e, uint64_t n)
{
    pthread_mutex_lock(&e->ctl_mu);
    e->step_left = n;
    e->paused = n == 0;
    bump(e);
    pthread_mutex_unlock(&e->ctl_mu);
    return 0;
}

/* Replay thread, ctl_mu held: answer the queue clears asked so far. */
static void live_clear(qte_engine *e)
{
    int n = queue_drop_kind(&e->q, QTE_EV_TICK) +
            queue_drop_kind(&e->md, QTE_EV_TICK) +
            (int)qte_feed_live_clear(e->feed);
    atomic_fetch_add(&e->dropped, (uint64_t)n);
    e->clear_result = n;
    e->clear_done = e->clear_req;
    pthread_cond_broadcast(&e->ctl_cv);
}

void eng_control(qte_engine *e)
{
    pthread_mutex_lock(&e->ctl_mu);
    e->ctl_seen = atomic_load_explicit(&e->ctl_gen, memory_order_acquire);
    if (e->speed != e->clock.speed)
        clock_reanchor(&e->clock, e->speed);
    if (e->seek_req) {
        e->seek_req = false;
        if (qte_feed_seek(e->feed, e->seek_ts) != 0)
            eng_fail(e, "seek: %s", e->feed->err);
        e->have_pending = false;
        e->src_done = false;
        clock_reanchor(&e->clock, 0);
    }
    if (e->clear_done != e->clear_req)
        live_clear(e);
    for (int i = 0; i < QTE_INBOX; i++) {
        inbox_slot *s = &e->inbox[i];
        if (s->state != INBOX_WAITING)
            continue;
        qte_event ev = {.kind = QTE_EV_ORDER,
                        .inbox = i,
                        .id = 0,
                        .ts_ms = e->now_ms,
                        .enq_ns = clock_mono_ns()};
        if (queue_push(&e->q, &ev) == 0)
            s->state = INBOX_TAKEN;
    }
    pthread_mutex_unlock(&e->ctl_mu);
}

void eng_inbox_handle(qte_engine *e, int slot)
{
    pthread_mutex_lock(&e->ctl_mu);
    inbox_slot *s = &e->inbox[slot];
    qte_order_req req = s->req;
    req.symbol = s->symbol;
    pthread_mutex_unlock(&e->ctl_mu);
    qte_order_status st;
    int64_t r = eng_place(e, &req, true, &st);
    pthread_mutex_lock(&e->ctl_mu);
    if (s->state == INBOX_ABANDONED) {
        s->state = INBOX_FREE;
    } else {
        s->ack.order_id = r > 0 ? r : e->next_order_id;
        s->ack.status = st;
        s->ack.reason = r > 0 ? QTE_R_NONE : (qte_reason)(-r);
        s->state = INBOX_DONE;
        pthread_cond_broadcast(&e->ctl_cv);
    }
    pthread_mutex_unlock(&e->ctl_mu);
}

static void deadline(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int qte_engine_queue_clear(qte_engine *e, int *dropped)
{
    /* Replay sources are re-readable, so market data is never dropped;
     * orders and fills are never dropped either (they are state). A live
     * source drops the market data waiting in the queue and its ring: the
     * queue is the replay thread's, so it does the dropping (live_clear)
     * while this thread waits for the count, as submit_order waits. */
    int n = 0;
    int ret = 0;
    if (e->feed && e->feed->live) {
        pthread_mutex_lock(&e->ctl_mu);
        if (!atomic_load(&e->running)) {
            n = (int)qte_feed_live_clear(e->feed);
        } else {
            uint64_t ticket = ++e->clear_req;
            bump(e);
            struct timespec dl;
            deadline(&dl, 2000);
            int rc = 0;
            while (e->clear_done < ticket && rc != ETIMEDOUT)
                rc = pthread_cond_timedwait(&e->ctl_cv, &e->ctl_mu, &dl);
            if (e->clear_done >= ticket) {
                n = e->clear_result;
            } else {
                n = (int)qte_feed_live_clear(e->feed);
                ret = -ETIMEDOUT;
            }
        }
        pthread_mutex_unlock(&e->ctl_mu);
        if (ret != 0 || !atomic_load(&e->running))
            atomic_fetch_add(&e->dropped, (uint64_t)n);
    }
    if (dropped)
        *dropped = n;
    return ret;
}

int qte_engine_submit_order(qte_engine *e, const qte_order_req *req,
                            qte_order_ack *ack, int timeout_ms)
{
    if (!req->symbol || !req->symbol[0] || req->qty <= 0 ||
        strlen(req->symbol) >= sizeof(e->inbox[0].symbol))
        return -EINVAL;
    if (!atomic_load(&e->running))
        return -ESHUTDOWN;
    pthread_mutex_lock(&e->ctl_mu);
    int slot = -1;
    for (int i = 0; i < QTE_INBOX && slot < 0; i++) {
        if (e->inbox[i].state == INBOX_FREE)
            slot = i;
    }
    if (slot < 0) {
        pthread_mutex_unlock(&e->ctl_mu);
        return -EAGAIN;
    }
    inbox_slot *s = &e->inbox[slot];
    s->state = INBOX_WAITING;
    s->req = *req;
    snprintf(s->symbol, sizeof(s->symbol), "%s", req->symbol);
    s->req.symbol = NULL;
    bump(e);
    struct timespec dl;
    deadline(&dl, timeout_ms);
    int rc = 0;
    while (s->state != INBOX_DONE && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&e->ctl_cv, &e->ctl_mu, &dl);
    int ret = 0;
    if (s->state == INBOX_DONE) {
        *ack = s->ack;
        s->state = INBOX_FREE;
    } else {
        s->state = s->state == INBOX_WAITING ? INBOX_FREE : INBOX_ABANDONED;
        ret = -ETIMEDOUT;
    }
    pthread_mutex_unlock(&e->ctl_mu);
    return ret;
}

void qte_engine_stats(qte_engine *e, qte_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->queue_size =
        atomic_load_explicit(&e->q.size_pub, memory_order_relaxed) +
        atomic_load_explicit(&e->md.size_pub, memory_order_relaxed);
    out->queue_capacity = e->q.cap;
    out->processed = atomic_load(&e->processed);
    out->dropped = atomic_load(&e->dropped);
    out->rate = atomic_load(&e->rate);
    int64_t h = atomic_load(&e->q.head_enq_ns);
    int64_t hm = atomic_load(&e->md.head_enq_ns);
    if (hm > 0 && (h <= 0 || hm < h))
        h = hm;
    if (h > 0 && out->queue_size > 0) {
        int64_t age = clock_mono_ns() - h;
        out->oldest_age_sec = age > 0 ? (double)age / 1e9 : 0.0;
    }
    out->progress = atomic_load(&e->progress);
    out->replay_ts_ms = atomic_load(&e->replay_ts);
    out->ticks = atomic_load(&e->ticks);
    out->total_value =
        (double)atomic_load_explicit(&e->pf.equity, memory_order_relaxed) /
        1000.0;
    pthread_mutex_lock(&e->state_mu);
    out->cash = (double)e->pf.cash / 1000.0;
    out->positions = (uint32_t)pf_open_positions(&e->pf);
    pthread_mutex_unlock(&e->state_mu);
    out->trades = (uint64_t)atomic_load(&e->trades_pub);
    out->orders = (uint64_t)atomic_load(&e->orders_pub);
    out->rejected = (uint64_t)atomic_load(&e->rejected_pub);
    out->mode = e->cfg.mode;
    pthread_mutex_lock(&e->ctl_mu);
    out->speed = e->speed;
    out->paused = e->paused;
    pthread_mutex_unlock(&e->ctl_mu);
    out->running = atomic_load(&e->running);
    out->done = atomic_load(&e->done);
    out->live = qte_feed_live_stats(e->feed, &out->lv) == 0;
}

void qte_engine_set_observer(qte_engine *e, qte_observer_fn fn, void *ud)
{
    atomic_store(&e->obs_ud, ud);
    atomic_store(&e->obs_fn, fn);
}
