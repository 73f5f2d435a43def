/*
 * feed_poll.c - the poll fallback: every FUTU_POLL_INTERVAL_SEC, while the
 * phase allows (feed.h, poll modes), each subscribed symbol without a tick
 * for FUTU_POLL_STALE_SEC gets a Qot_GetTicker of FUTU_POLL_NUM ticks (an
 * off-hours probe: FUTU_POLL_OFFHOURS_PROBE_NUM), at most
 * FEED_MAX_INFLIGHT at a time. Replies are filtered against the writer's
 * durable per-symbol max seq (persisted_seq, an atomic) and queued as poll
 * rows; a full window that starts above that baseline asks for a deep
 * recovery (poll_window_short). Event thread.
 */
#include <stdio.h>
#include <string.h>

#include "collector/feed_int.h"
#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"

static void pump_poll(feed *f);

/* Filter the rows of a usable reply for symbol idx and queue them. */
static void poll_rows(feed *f, int idx, const char *sym,
                      const QotGetTicker__Response *r, int64_t recv)
{
    uint32_t want = f->sub.ids[idx];
    uint32_t got = SYMTAB_NONE;
    size_t k = feed__map_tickers(f, r->s2c->security, r->s2c->tickerlist,
                                 r->s2c->n_tickerlist, ROW_POLL, recv, &got);
    int64_t base = atomic_load(&f->w->persisted_seq[want]);
    int64_t hi = base;
    size_t acc = 0;
    int64_t dup = 0, filt = 0;
    int64_t oldest = k > 0 ? f->in.rows[0].seq : 0;
    f->c.poll_fetched += (int64_t)r->s2c->n_tickerlist;
    for (size_t i = 0; i < k; i++) {
        if (got != want) {
            filt++;
            continue;
        }
        if (f->in.rows[i].seq <= hi) {
            dup++;
            continue;
        }
        hi = f->in.rows[i].seq;
        f->in.rows[acc++] = f->in.rows[i];
    }
    f->c.dropped_duplicate += dup;
    f->c.dropped_filter += filt;
    /* A full window that starts above the durable baseline may have
     * missed older ticks (a long push gap): fetch as deep as OpenD
     * allows, stored as backfill; the database dedups the overlap. */
    if (got == want && k > 0 && base != WRITER_SEQ_NONE &&
        r->s2c->n_tickerlist >= (size_t)f->cfg->poll_num && oldest > base &&
        f->cfg->poll_num < 1000) {
        feed__request_recovery(f, idx, "poll_window_short", 0,
                               FEED_GAP_FETCH_MAX);
    }
    f->c.poll_accepted += (int64_t)acc;
    size_t lost = feed_enqueue(f, f->in.rows, acc, ROW_POLL);
    f->c.poll_enqueued += (int64_t)(acc - lost);
    if (lost > 0) /* compat §3.2: at once when enqueued < accepted */
        LOG(LOG_INFO, LC_FUTU,
            "poll_stats symbol=%s fetched=%zu accepted=%zu enqueued=%zu "
            "dropped_queue_full=%zu queue_size=%zu queue_maxsize=%zu",
            sym, r->s2c->n_tickerlist, acc, acc - lost, lost, queue_len(f->q),
            f->q->cap);
    LOG(LOG_DEBUG, LC_FUTU,
        "poll_stats symbol=%s fetched=%zu accepted=%zu enqueued=%zu "
        "dropped_queue_full=%zu dropped_duplicate=%lld "
        "dropped_filter=%lld queue_size=%zu queue_maxsize=%zu",
        sym, r->s2c->n_tickerlist, acc, acc - lost, lost, (long long)dup,
        (long long)filt, queue_len(f->q), f->q->cap);
}

static void on_poll_reply(client *c, int status, const ProtobufCMessage *m,
                          void *ud)
{
    feed *f = c->ud;
    int idx = UD_IDX(ud);
    const char *sym =
        idx < f->cfg->n_symbols ? symtab_name(f->syms, f->sub.ids[idx]) : "?";
    const QotGetTicker__Response *r = (const QotGetTicker__Response *)m;
    const char *msg = feed__ticker_error(status, r);
    int64_t recv = hktime_now_ms();

    f->poll.inflight--;
    if (msg)
        LOG(LOG_WARNING, LC_FUTU, "poll_failed symbol=%s msg=\"%s\"", sym, msg);
    else
        poll_rows(f, idx, sym, r, recv);
    if (f->sess.state != FEED_UP) {
        /* (Re)subscribing: finish this cycle without new requests, so the
         * next poll timer starts a fresh one. */
        if (f->poll.inflight == 0)
            f->poll.mode = FEED_POLL_IDLE;
        return;
    }
    if (f->poll.mode != FEED_POLL_IDLE)
        pump_poll(f);
}

static void send_poll(feed *f, int idx, int num)
{
    if (feed__get_ticker(f, idx, num, FEED_REQ_POLL, on_poll_reply) == 0)
        f->poll.inflight++;
}

static void pump_poll(feed *f)
{
    int64_t mono = hktime_mono_ms();
    int num = f->poll.mode == FEED_POLL_PROBE ? f->cfg->poll_offhours_probe_num
                                              : f->cfg->poll_num;

    while (f->poll.inflight < FEED_MAX_INFLIGHT &&
           f->poll.next < f->cfg->n_symbols && f->sess.state == FEED_UP) {
        int i = f->poll.next++;
        if (!f->sub.ok[i])
            continue;
        if (!feed_is_stale(f->cfg->poll_stale_sec,
                           f->in.last_seen_mono[f->sub.ids[i]], mono))
            continue;
        send_poll(f, i, num);
    }
    if (f->poll.next >= f->cfg->n_symbols && f->poll.inflight == 0)
        f->poll.mode = FEED_POLL_IDLE;
}

static void on_poll_timer(uv_timer_t *t)
{
    feed *f = t->data;
    int64_t now = hktime_now_ms();
    phase ph = phase_of(f->cfg, now);
    bool go = false, probe = false;

    if (f->sess.state != FEED_UP || f->poll.mode != FEED_POLL_IDLE)
        return;
    if (feed_stale_watched(f->cfg, ph))
        go = true;
    else if (f->cfg->poll_offhours_probe_interval_sec > 0 &&
             now - f->poll.last_probe_ms >=
                 (int64_t)f->cfg->poll_offhours_probe_interval_sec * 1000) {
        go = probe = true;
        f->poll.last_probe_ms = now;
    }
    if (!go)
        return;
    f->poll.mode = probe ? FEED_POLL_PROBE : FEED_POLL_CYCLE;
    f->poll.next = 0;
    pump_poll(f);
    if (now - f->poll.last_stats_ms >= 60000) {
        LOG(LOG_INFO, LC_FUTU,
            "poll_stats fetched=%lld accepted=%lld enqueued=%lld "
            "dropped_queue_full=%lld dropped_duplicate=%lld "
            "dropped_filter=%lld queue_size=%zu queue_maxsize=%zu phase=%s",
            (long long)f->c.poll_fetched, (long long)f->c.poll_accepted,
            (long long)f->c.poll_enqueued, (long long)f->c.dropped_queue_full,
            (long long)f->c.dropped_duplicate, (long long)f->c.dropped_filter,
            queue_len(f->q), f->q->cap, phase_name(ph));
        f->poll.last_stats_ms = now;
    }
}

void feed__poll_start(feed *f)
{
    if (f->cfg->poll_enabled)
        uv_timer_start(&f->poll.timer, on_poll_timer,
                       (uint64_t)f->cfg->poll_interval_sec * 1000,
                       (uint64_t)f->cfg->poll_interval_sec * 1000);
}

void feed__poll_stop(feed *f)
{
    uv_timer_stop(&f->poll.timer);
    f->poll.mode = FEED_POLL_IDLE;
    f->poll.inflight = 0;
}
