/*
 * metrics.c - qte-engine serve's own measurements and its /metrics page
 * (contract in metrics.h). docs/engine-ops.md lists every metric.
 *
 * The event histogram takes milliseconds (svc_hist); handling times are
 * in ns, so an event is counted as ns / 1e6 ms. The SLOW limiter uses the
 * monotonic clock in ms: a new second resets the line budget, and the
 * first line of the new second carries how many were only counted.
 */
#include "qte/metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"
#include "svc/proc.h"

void qte_metrics_init(qte_metrics *m, double slow_ms)
{
    memset(m, 0, sizeof(*m));
    m->slow_ms = slow_ms;
}

uint64_t qte_metrics_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void qte_metrics_observe(void *ud, qte_event_kind kind, uint64_t ns)
{
    qte_metrics *m = ud;
    double ms = (double)ns / 1e6;
    svc_hist_add(&m->event_ms, ms);
    if ((unsigned)kind < QTE_EV_KINDS)
        atomic_fetch_add_explicit(&m->ev[kind], 1, memory_order_relaxed);
    if (m->slow_ms <= 0 || ms <= m->slow_ms)
        return;
    atomic_fetch_add(&m->slow, 1);
    int64_t now = hktime_mono_ms();
    if (now - m->slow_window_ms >= 1000) {
        m->slow_window_ms = now;
        m->slow_in_window = 0;
    }
    if (m->slow_in_window >= QTE_SLOW_LINES_PER_SEC) {
        m->slow_suppressed++;
        return;
    }
    m->slow_in_window++;
    if (m->slow_suppressed)
        LOG(LOG_WARNING, LC_QTE,
            "SLOW event=%s duration_ms=%.3f threshold_ms=%.3f suppressed=%lld",
            qte_event_kind_name(kind), ms, m->slow_ms, m->slow_suppressed);
    else
        LOG(LOG_WARNING, LC_QTE,
            "SLOW event=%s duration_ms=%.3f threshold_ms=%.3f",
            qte_event_kind_name(kind), ms, m->slow_ms);
    m->slow_suppressed = 0;
}

void qte_metrics_request(qte_metrics *m, uint64_t start_ns)
{
    uint64_t end = qte_metrics_now_ns();
    svc_hist_add(&m->request_ms, (double)(end - start_ns) / 1e6);
    atomic_fetch_add_explicit(&m->requests, 1, memory_order_relaxed);
}

static void gauge(svc_buf *b, const char *name, const char *help, double v)
{
    svc_prom_metric(b, name, "gauge", help, v);
}

static void counter(svc_buf *b, const char *name, const char *help, double v)
{
    svc_prom_metric(b, name, "counter", help, v);
}

static void render_queue(svc_buf *b, qte_metrics *m, const qte_stats *st)
{
    gauge(b, "qte_event_queue_size", "Events waiting in the event queue.",
          (double)st->queue_size);
    gauge(b, "qte_event_queue_capacity", "Slots of the event queue.",
          (double)st->queue_capacity);
    counter(b, "qte_events_processed_total", "Events handled since start.",
            (double)st->processed);
    counter(b, "qte_events_dropped_total",
            "Events removed by /admin/queue/clear.", (double)st->dropped);
    gauge(b, "qte_event_oldest_age_seconds",
          "Wall-clock age of the oldest waiting event.", st->oldest_age_sec);
    svc_prom_header(b, "qte_events_by_kind_total", "counter",
                    "Events handled since start, by kind.");
    for (int k = 0; k < QTE_EV_KINDS; k++) {
        char l[32];
        snprintf(l, sizeof(l), "kind=\"%s\"",
                 qte_event_kind_name((qte_event_kind)k));
        svc_prom_sample(b, "qte_events_by_kind_total", l,
                        (double)atomic_load(&m->ev[k]));
    }
    svc_prom_hist(b, "qte_event_duration_seconds",
                  "Time to handle one event (strategy, execution, store).",
                  &m->event_ms);
    counter(b, "qte_slow_events_total",
            "Events slower than QTE_SLOW_MS (logged as SLOW).",
            (double)atomic_load(&m->slow));
}

static void render_replay(svc_buf *b, const qte_stats *st)
{
    gauge(b, "qte_replay_progress", "Replay progress, 0 to 1 (rows read).",
          st->progress);
    gauge(b, "qte_replay_rate", "Events handled per second, last second.",
          st->rate);
    gauge(b, "qte_replay_time_seconds",
          "The replay clock (UTC epoch seconds, ms precision).",
          (double)st->replay_ts_ms / 1000.0);
    gauge(b, "qte_replay_speed", "Speed factor of accelerated replay.",
          st->speed);
    gauge(b, "qte_replay_paused", "1 while the replay is paused.", st->paused);
    gauge(b, "qte_replay_running", "1 while the replay runs.", st->running);
    gauge(b, "qte_replay_done", "1 once the replay reached its end.", st->done);
    counter(b, "qte_ticks_total", "Market data events handled.",
            (double)st->ticks);
}

/* QTE_SOURCE=jetstream only: the live feed (docs/engine-ops.md). */
static void render_live(svc_buf *b, const qte_stats *st)
{
    const qte_live_stats *l = &st->lv;
    gauge(b, "qte_live_connected", "1 while the NATS connection is up.",
          l->connected);
    counter(b, "qte_live_received_total", "Stream messages delivered.",
            (double)l->received);
    counter(b, "qte_live_filtered_total",
            "Messages not for the engine's symbols (or without a price).",
            (double)l->filtered);
    counter(b, "qte_live_bad_total", "Messages that are not an HkTick.",
            (double)l->bad);
    counter(b, "qte_live_duplicates_total",
            "Messages skipped: stream sequence already delivered.",
            (double)l->duplicates);
    counter(b, "qte_live_dropped_total",
            "Trades lost because the feed's ring was full.",
            (double)l->dropped);
    counter(b, "qte_live_cleared_total",
            "Trades removed from the feed's ring by /admin/queue/clear.",
            (double)l->cleared);
    counter(b, "qte_live_reconnects_total", "NATS reconnections.",
            (double)l->reconnects);
    counter(b, "qte_live_consumer_resets_total",
            "Ordered consumer re-created (gap, server restart).",
            (double)l->resets);
    gauge(b, "qte_live_ring_size", "Trades delivered, not yet queued.",
          (double)l->ring_size);
    gauge(b, "qte_live_ring_capacity", "Slots of the feed's ring.",
          (double)l->ring_capacity);
    gauge(b, "qte_live_last_stream_seq", "Stream sequence of the last message.",
          (double)l->last_stream_seq);
    gauge(b, "qte_live_last_message_time_seconds",
          "Wall clock of the last message (UTC epoch seconds; 0 = none).",
          (double)l->last_msg_ms / 1000.0);
}

static void render_business(svc_buf *b, const qte_stats *st)
{
    counter(b, "qte_trades_total", "Fills (simulated trades).",
            (double)st->trades);
    counter(b, "qte_orders_total", "Orders placed, rejected ones included.",
            (double)st->orders);
    counter(b, "qte_orders_rejected_total", "Orders rejected.",
            (double)st->rejected);
    gauge(b, "qte_portfolio_total_value",
          "Portfolio equity in HKD (cash + positions at the last trade).",
          st->total_value);
    gauge(b, "qte_portfolio_cash", "Cash in HKD.", st->cash);
    gauge(b, "qte_positions", "Symbols with a non-zero position.",
          (double)st->positions);
}

char *qte_metrics_render(qte_metrics *m, const qte_stats *st,
                         const qte_metrics_redis *r)
{
    svc_buf b = {0};
    svc_proc_stats ps;
    gauge(&b, "qte_up", "1 while qte-engine serve runs.", 1);
    render_queue(&b, m, st);
    render_replay(&b, st);
    render_business(&b, st);
    if (st->live)
        render_live(&b, st);
    svc_prom_hist(&b, "qte_request_duration_seconds",
                  "HTTP request latency (API and admin ports).",
                  &m->request_ms);
    counter(&b, "qte_http_requests_total", "HTTP requests answered.",
            (double)atomic_load(&m->requests));
    counter(&b, "qte_auth_failures_total",
            "Admin requests refused (audited as authentication failure).",
            (double)atomic_load(&m->auth_fail));
    if (r && r->connected) {
        gauge(&b, "qte_redis_connected", "1 while connected to Redis.",
              atomic_load(r->connected));
        counter(&b, "qte_redis_published_total", "State publications.",
                (double)atomic_load(r->published));
        counter(&b, "qte_redis_errors_total",
                "Failed Redis connects and publications.",
                (double)atomic_load(r->errors));
    }
    if (svc_proc_read(&ps) == 0) {
        counter(&b, "process_cpu_seconds_total", "CPU time (user + system).",
                ps.cpu_sec);
        gauge(&b, "process_resident_memory_bytes", "Resident set size.",
              (double)ps.rss_bytes);
    }
    return svc_buf_take(&b);
}
