/*
 * health.c - health line, watchdog and sd_notify (see health.h).
 *
 * Watchdog terms (per tick, window = since the previous tick):
 *   backlog          queue >= WATCHDOG_QUEUE_THRESHOLD_ROWS or rows queued
 *   upstream_active  a row seen within WATCHDOG_UPSTREAM_WINDOW_SEC and
 *                    (rows queued or rows taken by the writer)
 *   persist_stalled  nothing committed in the window and the last commit
 *                    (else the start) is >= WATCHDOG_STALL_SEC old
 *   worker_dead      the writer thread has ended
 * trigger = backlog and (upstream_active or queue >= threshold) and
 * (persist_stalled or worker_dead). A trigger interrupts the writer inside
 * SQLite and waits up to WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC for it to
 * acknowledge (roll back, reopen its connections, retry the same rows); no
 * acknowledgement counts a failure at once, an acknowledged recovery
 * counts one unless a commit follows by the next tick; at
 * WATCHDOG_RECOVERY_MAX_FAILURES the daemon logs persistent_stall and
 * exits 1 through on_fatal, which preserves queued rows in a spool.
 */
#include "collector/health.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector/page.h"
#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"
#include "svc/notify.h"

static void age_str(int64_t now, int64_t then, char *buf, size_t cap)
{
    if (then <= 0)
        snprintf(buf, cap, "none");
    else
        snprintf(buf, cap, "%.1f", (double)(now - then) / 1000.0);
}

void health_dump(health *h, const char *reason, int level)
{
    int64_t now = hktime_mono_ms();
    char ca[32], da[32];
    age_str(now, atomic_load(&h->w->st.last_commit_mono_ms), ca, sizeof(ca));
    age_str(now, atomic_load(&h->w->st.last_drain_mono_ms), da, sizeof(da));
    LOG(level, LC_FUTU,
        "%sdiagnostic_dump reason=%s now=%.1f queue=%zu/%zu spool_rows=%zu "
        "commit_age_sec=%s dequeue_age_sec=%s worker_alive=%s connected=%s "
        "sid=%s rows_inserted=%lld rows_ignored=%lld commits=%lld "
        "busy_count=%lld backoff_count=%lld spilled=%lld "
        "dropped_queue_full=%lld reconnects=%lld symbols=%d",
        strncmp(reason, "sigusr1", 7) == 0 ? "" : "WATCHDOG ", reason,
        (double)now / 1000.0, queue_len(h->q), h->q->cap, spool_pending(h->sp),
        ca, da, atomic_load(&h->w->st.alive) ? "True" : "False",
        feed_connected(h->f) ? "True" : "False", h->f->sid,
        (long long)atomic_load(&h->w->st.rows_inserted),
        (long long)atomic_load(&h->w->st.rows_ignored),
        (long long)atomic_load(&h->w->st.commits),
        (long long)atomic_load(&h->w->st.busy_count),
        (long long)atomic_load(&h->w->st.backoff_count),
        (long long)h->f->c.spilled, (long long)h->f->c.dropped_queue_full,
        (long long)h->f->c.reconnects, h->cfg->n_symbols);
}

static void persistent_stall(health *h, const char *reason, size_t ql,
                             const char *ca, const char *da,
                             const feed_counters *d, long long inserted,
                             long long out, bool upstream, bool dead)
{
    const config *cfg = h->cfg;

    LOG(LOG_ERROR, LC_FUTU,
        "WATCHDOG persistent_stall reason=%s upstream_active=%s "
        "poll_active=%s queue=%zu/%zu queue_threshold=%d "
        "push_rows_per_min=%lld queue_in=%lld queue_out=%lld "
        "persisted_rows_per_min=%lld commit_age_sec=%s "
        "dequeue_age_sec=%s worker_alive=%s recovery_failures=%d sid=%s",
        reason, upstream ? "True" : "False",
        feed_polling(h->f) ? "True" : "False", ql, h->q->cap,
        cfg->watchdog_queue_threshold_rows, (long long)d->push_rows,
        (long long)d->queue_in, out, inserted, ca, da, dead ? "False" : "True",
        h->failures, h->f->sid);
    LOG(LOG_ERROR, LC_COLLECTOR,
        "alert_event code=PERSIST_STALL eid=e%s sid=%s reason=%s",
        h->f->sid + 4, h->f->sid, reason);
    if (h->on_fatal)
        h->on_fatal(h, "persistent_stall");
}

/*
 * The recovery itself: interrupt the writer inside SQLite and wait up to
 * WATCHDOG_RECOVERY_JOIN_TIMEOUT_SEC for it to acknowledge (writer.h,
 * recovery handshake). Acknowledged: recovery_triggered (ack_ms=); the
 * next tick checks for a commit. Not acknowledged: recovery_failed
 * (acknowledged=False), one failure, and at the maximum the exit path.
 * Blocks the event thread for at most the timeout, only during a stall.
 */
static void recover(health *h, const char *reason, size_t ql, const char *ca,
                    const char *da, const feed_counters *d, long long inserted,
                    long long out, bool upstream)
{
    const config *cfg = h->cfg;
    int64_t ack_ms = 0;
    int timeout_ms = (int)(cfg->watchdog_recovery_join_timeout_sec * 1000.0);
    int rc;

    h->recovery_commits = atomic_load(&h->w->st.commits);
    rc = writer_recover(h->w, timeout_ms, &ack_ms);
    if (rc == 0) {
        h->recovery_pending = true;
        LOG(LOG_WARNING, LC_FUTU,
            "WATCHDOG recovery_triggered reason=%s attempts=%d queue=%zu/%zu "
            "queue_threshold=%d commit_age_sec=%s dequeue_age_sec=%s "
            "worker_alive=True ack_ms=%lld",
            reason, h->failures + 1, ql, h->q->cap,
            cfg->watchdog_queue_threshold_rows, ca, da, (long long)ack_ms);
        return;
    }
    h->failures++;
    LOG(LOG_ERROR, LC_FUTU,
        "WATCHDOG recovery_failed reason=%s failures=%d "
        "max_failures=%d queue=%zu/%zu queue_threshold=%d "
        "dequeue_age_sec=%s commit_age_sec=%s "
        "last_exception_type=%d last_exception_count=%lld "
        "acknowledged=False join_timeout_sec=%.1f",
        reason, h->failures, cfg->watchdog_recovery_max_failures, ql, h->q->cap,
        cfg->watchdog_queue_threshold_rows, da, ca,
        atomic_load(&h->w->st.last_error),
        (long long)atomic_load(&h->w->st.last_error_count),
        cfg->watchdog_recovery_join_timeout_sec);
    if (h->failures >= cfg->watchdog_recovery_max_failures)
        persistent_stall(h, reason, ql, ca, da, d, inserted, out, upstream,
                         false);
}

static void watchdog(health *h, const feed_counters *d, long long inserted,
                     long long ignored, long long out, int64_t now)
{
    const config *cfg = h->cfg;
    size_t ql = queue_len(h->q) + spool_pending(h->sp);
    bool over = ql >= (size_t)cfg->watchdog_queue_threshold_rows;
    bool backlog = over || d->queue_in > 0;
    bool recent = h->f->last_row_mono_ms > 0 &&
                  now - h->f->last_row_mono_ms <
                      (int64_t)cfg->watchdog_upstream_window_sec * 1000;
    bool upstream = recent && (d->queue_in > 0 || out > 0);
    int64_t lc = atomic_load(&h->w->st.last_commit_mono_ms);
    int64_t since = lc > 0 ? lc : h->start_mono;
    bool stalled = inserted + ignored == 0 &&
                   now - since >= (int64_t)cfg->watchdog_stall_sec * 1000;
    bool dead = !atomic_load(&h->w->st.alive);
    bool trigger = backlog && (upstream || over) && (stalled || dead);
    const char *reason = dead ? "worker_dead" : "commit_stalled_with_backlog";
    char ca[32], da[32];

    if (!trigger) {
        h->failures = 0;
        h->dumped = false;
        return;
    }
    age_str(now, lc, ca, sizeof(ca));
    age_str(now, atomic_load(&h->w->st.last_drain_mono_ms), da, sizeof(da));
    if (h->recovery_pending) {
        /* The recovery asked for last tick brought no commit: failed. */
        h->recovery_pending = false;
        if (atomic_load(&h->w->st.commits) == h->recovery_commits) {
            h->failures++;
            LOG(LOG_ERROR, LC_FUTU,
                "WATCHDOG recovery_failed reason=%s failures=%d "
                "max_failures=%d queue=%zu/%zu queue_threshold=%d "
                "dequeue_age_sec=%s commit_age_sec=%s "
                "last_exception_type=%d last_exception_count=%lld",
                reason, h->failures, cfg->watchdog_recovery_max_failures, ql,
                h->q->cap, cfg->watchdog_queue_threshold_rows, da, ca,
                atomic_load(&h->w->st.last_error),
                (long long)atomic_load(&h->w->st.last_error_count));
        }
    }
    if (!h->dumped) {
        char r[64];
        snprintf(r, sizeof(r), "%s_pre_recovery", reason);
        health_dump(h, r, LOG_ERROR);
        h->dumped = true;
    }
    if (h->failures >= cfg->watchdog_recovery_max_failures || dead) {
        persistent_stall(h, reason, ql, ca, da, d, inserted, out, upstream,
                         dead);
        return;
    }
    recover(h, reason, ql, ca, da, d, inserted, out, upstream);
}

static void on_tick(uv_timer_t *t)
{
    health *h = t->data;
    const config *cfg = h->cfg;
    feed_counters d;
    int64_t now = hktime_mono_ms();
    int64_t wall = hktime_now_ms();
    double span = (double)(now - h->last_tick_mono) / 1000.0;
    double k = span > 0 ? 60.0 / span : 1.0;
    long long ins = atomic_exchange(&h->w->st.win_inserted, 0);
    long long ign = atomic_exchange(&h->w->st.win_ignored, 0);
    long long commits = atomic_exchange(&h->w->st.win_commits, 0);
    long long out = ins + ign;
    int64_t lc = atomic_load(&h->w->st.last_commit_mono_ms);
    int64_t mts = h->f->max_ts_seen;
    phase ph = phase_of(cfg, wall);
    char lca[32], drift[32], mtu[40];

    d.push_rows = h->f->c.push_rows - h->prev.push_rows;
    d.poll_fetched = h->f->c.poll_fetched - h->prev.poll_fetched;
    d.poll_accepted = h->f->c.poll_accepted - h->prev.poll_accepted;
    d.poll_enqueued = h->f->c.poll_enqueued - h->prev.poll_enqueued;
    d.queue_in = h->f->c.queue_in - h->prev.queue_in;
    d.dropped_queue_full =
        h->f->c.dropped_queue_full - h->prev.dropped_queue_full;
    d.dropped_duplicate = h->f->c.dropped_duplicate - h->prev.dropped_duplicate;
    d.dropped_filter = h->f->c.dropped_filter - h->prev.dropped_filter;
    h->prev = h->f->c;
    h->last_tick_mono = now;
    age_str(now, lc, lca, sizeof(lca));
    if (mts > 0) {
        snprintf(drift, sizeof(drift), "%.1f", (double)(wall - mts) / 1000.0);
        hktime_format_utc_iso(mts, mtu);
        /* ISO form of compat.md: seconds + "+00:00" */
        char *dot = strchr(mtu, '.');
        if (dot)
            snprintf(dot, sizeof(mtu) - (size_t)(dot - mtu), "+00:00");
        if (phase_is_trading(ph) &&
            (wall - mts > (int64_t)cfg->drift_warn_sec * 1000 ||
             mts - wall > (int64_t)cfg->drift_warn_sec * 1000))
            LOG(LOG_WARNING, LC_FUTU,
                "ts_drift_warn drift_sec=%.1f now_utc_ms=%lld max_ts_ms=%lld "
                "max_ts_utc=%s",
                (double)(wall - mts) / 1000.0, (long long)wall, (long long)mts,
                mtu);
    } else {
        snprintf(drift, sizeof(drift), "none");
        snprintf(mtu, sizeof(mtu), "none");
    }
    LOG(LOG_INFO, LC_FUTU,
        "health connected=%s sid=%s queue=%zu/%zu persisted_rows_per_min=%.0f "
        "ignored_rows_per_min=%.0f push_rows_per_min=%.0f poll_fetched=%lld "
        "poll_accepted=%lld poll_enqueued=%lld queue_in=%lld queue_out=%lld "
        "db_commits_per_min=%.0f last_commit_age_sec=%s ts_drift_sec=%s "
        "max_ts_utc=%s dropped_queue_full=%lld dropped_duplicate=%lld "
        "phase=%s dropped_filter=%lld symbols=%d spool_rows=%zu",
        feed_connected(h->f) ? "True" : "False", h->f->sid, queue_len(h->q),
        h->q->cap, (double)ins * k, (double)ign * k, (double)d.push_rows * k,
        (long long)d.poll_fetched, (long long)d.poll_accepted,
        (long long)d.poll_enqueued, (long long)d.queue_in, out,
        (double)commits * k, lca, drift, mtu, (long long)d.dropped_queue_full,
        (long long)d.dropped_duplicate, phase_name(ph),
        (long long)d.dropped_filter, cfg->n_symbols, spool_pending(h->sp));
    long long busy = atomic_load(&h->w->st.backoff_count);
    if (busy - h->prev_busy >= cfg->tg.busy_alert_threshold)
        LOG(LOG_WARNING, LC_COLLECTOR,
            "alert_event code=SQLITE_BUSY eid=e%s sid=%s "
            "busy_backoff_delta=%lld",
            h->f->sid + 4, h->f->sid, busy - h->prev_busy);
    h->prev_busy = busy;
    watchdog(h, &d, ins, ign, out, now);
}

void health_publish(health *h)
{
    health_snapshot s;
    int64_t now = hktime_mono_ms();

    memset(&s, 0, sizeof(s));
    s.connected = feed_connected(h->f);
    s.phase = (int)phase_of(h->cfg, hktime_now_ms());
    s.max_ts_seen = h->f->max_ts_seen;
    s.start_mono = h->start_mono;
    s.updated_mono = now;
    s.c = h->f->c;
    s.n_symbols = h->cfg->n_symbols;
    snprintf(s.sid, sizeof(s.sid), "%s", h->f->sid);
    s.spool_rows = spool_pending(h->sp);
    s.mapping_unparseable = h->f->ms.unparseable;
    pthread_mutex_lock(&h->snap_mu);
    s.spool_growing = s.spool_rows > 0 && s.spool_rows > h->snap.spool_rows;
    h->snap = s;
    pthread_mutex_unlock(&h->snap_mu);
}

void health_snapshot_get(health *h, health_snapshot *out)
{
    pthread_mutex_lock(&h->snap_mu);
    *out = h->snap;
    pthread_mutex_unlock(&h->snap_mu);
}

static void on_second(uv_timer_t *t)
{
    health_publish(t->data);
    health *h = t->data;
    if (h->ring)
        page_ring_tick(h->ring);
    int64_t now = hktime_mono_ms();
    int64_t lc = atomic_load(&h->w->st.last_commit_mono_ms);
    size_t ql = queue_len(h->q) + spool_pending(h->sp);
    bool alive = atomic_load(&h->w->st.alive);
    /* Stop pinging only once our own watchdog should already have acted
     * (stall + one tick per recovery attempt + two): systemd's kill is the
     * last resort for a hung process, never the first reaction to a
     * stalled writer, because our exit path spools the queue first. */
    int64_t horizon = ((int64_t)h->cfg->watchdog_stall_sec +
                       (int64_t)(h->cfg->watchdog_recovery_max_failures + 2) *
                           h->cfg->health_interval_sec) *
                      1000;
    int64_t since = lc > 0 ? lc : h->start_mono;
    bool progress = ql == 0 || now - since < horizon;
    if (alive && progress)
        svc_notify_watchdog();
    svc_notify_status("connected=%s queue=%zu rows=%lld last_commit=%.1fs",
                      feed_connected(h->f) ? "yes" : "no", ql,
                      (long long)atomic_load(&h->w->st.rows_inserted),
                      lc > 0 ? (double)(now - lc) / 1000.0 : -1.0);
}

void health_init(health *h, config *cfg, feed *f, writer *w, queue *q,
                 spool *sp, uv_loop_t *loop)
{
    memset(h, 0, sizeof(*h));
    h->cfg = cfg;
    h->f = f;
    h->w = w;
    h->q = q;
    h->sp = sp;
    pthread_mutex_init(&h->snap_mu, NULL);
    uv_timer_init(loop, &h->tick);
    uv_timer_init(loop, &h->second);
    h->tick.data = h;
    h->second.data = h;
}

void health_start(health *h)
{
    uint64_t ms = (uint64_t)h->cfg->health_interval_sec * 1000;
    h->start_mono = h->last_tick_mono = hktime_mono_ms();
    health_publish(h);
    if (h->ring)
        page_ring_tick(h->ring);
    uv_timer_start(&h->tick, on_tick, ms, ms);
    uv_timer_start(&h->second, on_second, 1000, 1000);
}

static void on_closed(uv_handle_t *hd)
{
    (void)hd;
}

void health_stop(health *h)
{
    uv_timer_stop(&h->tick);
    uv_timer_stop(&h->second);
    uv_close((uv_handle_t *)&h->tick, on_closed);
    uv_close((uv_handle_t *)&h->second, on_closed);
}
