/*
 * metrics.h - what qte-engine serve measures itself: request latency of
 * both HTTP ports, event handling time (fed by the engine's observer),
 * SLOW events, refused admin requests; and the /metrics page that adds
 * the engine's counters (qte_stats) to them.
 *
 * Writers are the HTTP thread (requests, auth failures) and the replay
 * thread (events); every counter is an atomic or an svc_hist, so the
 * /metrics handler reads them without a lock. The SLOW limiter's fields
 * (slow_window_ms, slow_in_window, slow_suppressed) belong to the replay
 * thread alone.
 */
#ifndef HK_QTE_METRICS_H
#define HK_QTE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "qte/engine.h"
#include "svc/hist.h"
#include "svc/prom.h"

/* SLOW lines per second of wall clock before they are only counted. */
#define QTE_SLOW_LINES_PER_SEC 20

typedef struct qte_metrics {
    double slow_ms;         /* threshold (QTE_SLOW_MS); <= 0 = off */
    svc_hist request_ms;    /* qte_request_duration_seconds */
    svc_hist event_ms;      /* qte_event_duration_seconds */
    atomic_llong requests;  /* qte_http_requests_total */
    atomic_llong auth_fail; /* qte_auth_failures_total */
    atomic_llong slow;      /* qte_slow_events_total */
    atomic_llong ev[QTE_EV_KINDS];
    int64_t slow_window_ms; /* replay thread only */
    int slow_in_window;
    long long slow_suppressed;
} qte_metrics;

/* Zero m and set the SLOW threshold. */
void qte_metrics_init(qte_metrics *m, double slow_ms);

/*
 * The engine observer (qte_observer_fn, ud = the qte_metrics): counts the
 * event in the histogram and, above the threshold, logs
 *   SLOW event=<kind> duration_ms=<ms> threshold_ms=<ms>
 * at WARNING (component qte_engine) - at most QTE_SLOW_LINES_PER_SEC lines
 * a second, the rest counted and summed up in the next line's
 * suppressed=<n>. Replay thread.
 */
void qte_metrics_observe(void *ud, qte_event_kind kind, uint64_t ns);

/* Count one HTTP request that started at start_ns (qte_metrics_now_ns). */
void qte_metrics_request(qte_metrics *m, uint64_t start_ns);
uint64_t qte_metrics_now_ns(void);

/* Redis figures for the page (NULL fields when Redis is not configured). */
typedef struct qte_metrics_redis {
    const atomic_bool *connected;
    const atomic_llong *published;
    const atomic_llong *errors;
} qte_metrics_redis;

/*
 * The whole /metrics page (Prometheus text 0.0.4) from m, the engine's
 * stats st and Redis r (may be NULL). Returns malloc'd text (caller
 * frees), or NULL when out of memory.
 */
char *qte_metrics_render(qte_metrics *m, const qte_stats *st,
                         const qte_metrics_redis *r);

#endif
