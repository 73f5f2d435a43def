/*
 * admin.c - the admin API of qte-engine serve (QTE_ADMIN_PORT): event
 * queue and replay control, behind an API key.
 *
 *   GET  /health                 same document as the API port's
 *   GET  /admin/queue/status     queue and replay figures (below)
 *   POST /admin/queue/clear      drop waiting events -> {"dropped":n}
 *   GET  /admin/replay/status    same document as /admin/queue/status
 *   POST /admin/replay/pause     -> status document
 *   POST /admin/replay/resume    -> status document
 *   POST /admin/replay/speed?x=F -> status document (400 unless 0<F<=1e6)
 *   POST /admin/replay/seek?ts_ms=MS -> status document
 *   POST /admin/replay/step?n=N  -> status document (N >= 1, default 1)
 *
 * Status document:
 *   {"queue_size":0,"capacity":65536,"processed":1234,"dropped":0,
 *    "rate":50123.4,"oldest_event_age_sec":0.000,
 *    "replay":{"mode":"backtest","speed":1,"paused":false,
 *              "progress":0.5,"ts_ms":1704159000000,"running":true,
 *              "done":false},
 *    "trades":3,"positions":1,"portfolio_total_value":1000123.450}
 *
 * Every /admin/ route first checks "Authorization: Bearer <key>" against
 * the keyring (keys.h). A refusal answers 401 {"error":"unauthorized"},
 * writes "authentication failure" with the source address to the audit
 * log and counts qte_auth_failures_total. An accepted POST is written to
 * the audit log as "admin action" with the key's name and the result.
 * Handlers run on the admin port's libmicrohttpd thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "qte/serve.h"
#include "svc/prom.h"

typedef int (*admin_fn)(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                        char *result, size_t cap);

static void status_doc(qte_daemon *d, svc_buf *b)
{
    qte_stats st;
    qte_engine_stats(d->eng, &st);
    svc_buf_printf(
        b,
        "{\"queue_size\":%llu,\"capacity\":%llu,\"processed\":%llu,"
        "\"dropped\":%llu,\"rate\":%.1f,\"oldest_event_age_sec\":%.3f,"
        "\"replay\":{\"mode\":\"%s\",\"speed\":%g,\"paused\":%s,"
        "\"progress\":%.6f,\"ts_ms\":%lld,\"running\":%s,\"done\":%s},"
        "\"trades\":%llu,\"positions\":%u,\"portfolio_total_value\":%.3f}\n",
        (unsigned long long)st.queue_size,
        (unsigned long long)st.queue_capacity, (unsigned long long)st.processed,
        (unsigned long long)st.dropped, st.rate, st.oldest_age_sec,
        qte_mode_name(st.mode), st.speed, st.paused ? "true" : "false",
        st.progress, (long long)st.replay_ts_ms, st.running ? "true" : "false",
        st.done ? "true" : "false", (unsigned long long)st.trades, st.positions,
        st.total_value);
}

/* Check the key; on refusal fill out (401) and return false. */
static bool guard(qte_daemon *d, svc_http_request *rq, svc_http_reply *out,
                  char *who, size_t cap, char *peer, size_t pcap)
{
    const char *h = svc_http_header(rq, "Authorization");
    qte_api_peer(rq, peer, pcap);
    if (qte_keyring_check(&d->keys, h, who, cap))
        return true;
    atomic_fetch_add(&d->m.auth_fail, 1);
    qte_audit_auth_failure(&d->audit, peer, rq->method, rq->path, who);
    out->code = 401;
    out->body = svc_http_body("{\"error\":\"unauthorized\"}\n");
    return false;
}

static int run_admin(void *ud, svc_http_request *rq, svc_http_reply *out,
                     admin_fn fn)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    char who[QTE_KEY_NAME_MAX];
    char peer[64];
    char result[256] = "ok";
    svc_buf b = {0};
    char q[300];
    if (!guard(d, rq, out, who, sizeof(who), peer, sizeof(peer))) {
        qte_metrics_request(&d->m, t0);
        return SVC_HTTP_DONE;
    }
    out->code = fn(d, rq, &b, result, sizeof(result));
    if (out->code == 200)
        LOG(LOG_INFO, LC_QTE, "http_admin path=%s key=%s src=%s",
            log_quote(rq->path, q, sizeof(q)), who, peer);
    if (strcmp(rq->method, "POST") == 0)
        qte_audit_action(&d->audit, who, peer, rq->method, rq->path, result);
    out->body = svc_buf_take(&b);
    qte_metrics_request(&d->m, t0);
    return SVC_HTTP_DONE;
}

static int do_status(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                     char *result, size_t cap)
{
    (void)rq;
    (void)result;
    (void)cap;
    status_doc(d, b);
    return 200;
}

static int do_clear(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                    char *result, size_t cap)
{
    int dropped = 0;
    (void)rq;
    qte_engine_queue_clear(d->eng, &dropped);
    snprintf(result, cap, "dropped=%d", dropped);
    LOG(LOG_WARNING, LC_QTE, "queue_cleared dropped=%d", dropped);
    svc_buf_printf(b, "{\"dropped\":%d}\n", dropped);
    return 200;
}

static int do_pause(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                    char *result, size_t cap)
{
    (void)rq;
    qte_engine_pause(d->eng);
    snprintf(result, cap, "paused");
    status_doc(d, b);
    return 200;
}

static int do_resume(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                     char *result, size_t cap)
{
    (void)rq;
    qte_engine_resume(d->eng);
    snprintf(result, cap, "resumed");
    status_doc(d, b);
    return 200;
}

static int bad(svc_buf *b, char *result, size_t cap, const char *why)
{
    snprintf(result, cap, "rejected: %s", why);
    svc_buf_printf(b, "{\"error\":\"%s\"}\n", why);
    return 400;
}

static int do_speed(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                    char *result, size_t cap)
{
    const char *v = qte_api_arg(rq, "x");
    char *end = NULL;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || *end || !isfinite(x) || qte_engine_set_speed(d->eng, x) != 0)
        return bad(b, result, cap, "x must be a number in (0, 1e6]");
    snprintf(result, cap, "speed=%g", x);
    status_doc(d, b);
    return 200;
}

static int do_seek(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                   char *result, size_t cap)
{
    const char *v = qte_api_arg(rq, "ts_ms");
    char *end = NULL;
    long long ts = v ? strtoll(v, &end, 10) : -1;
    int rc = !v || *end || ts < 0 ? -EINVAL : qte_engine_seek(d->eng, ts);
    if (rc == -ENOTSUP)
        return bad(b, result, cap, "live source cannot seek");
    if (rc != 0)
        return bad(b, result, cap, "ts_ms must be epoch milliseconds");
    snprintf(result, cap, "seek=%lld", ts);
    status_doc(d, b);
    return 200;
}

static int do_step(qte_daemon *d, const svc_http_request *rq, svc_buf *b,
                   char *result, size_t cap)
{
    const char *v = qte_api_arg(rq, "n");
    char *end = NULL;
    long long n = v ? strtoll(v, &end, 10) : 1;
    if ((v && *end) || n < 1)
        return bad(b, result, cap, "n must be a positive integer");
    qte_engine_step(d->eng, (uint64_t)n);
    snprintf(result, cap, "step=%lld", n);
    status_doc(d, b);
    return 200;
}

#define ADMIN_ROUTE(name, fn)                                                  \
    static int name(void *ud, svc_http_request *rq, svc_http_reply *out)       \
    {                                                                          \
        return run_admin(ud, rq, out, fn);                                     \
    }
ADMIN_ROUTE(h_status, do_status)
ADMIN_ROUTE(h_clear, do_clear)
ADMIN_ROUTE(h_pause, do_pause)
ADMIN_ROUTE(h_resume, do_resume)
ADMIN_ROUTE(h_speed, do_speed)
ADMIN_ROUTE(h_seek, do_seek)
ADMIN_ROUTE(h_step, do_step)

static int h_health(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    (void)rq;
    out->body = qte_api_render_health(d, &out->code);
    qte_metrics_request(&d->m, t0);
    return SVC_HTTP_DONE;
}

const svc_route qte_admin_routes[] = {
    {"GET", "/health", h_health, false},
    {"GET", "/admin/queue/status", h_status, false},
    {"POST", "/admin/queue/clear", h_clear, false},
    {"GET", "/admin/replay/status", h_status, false},
    {"POST", "/admin/replay/pause", h_pause, false},
    {"POST", "/admin/replay/resume", h_resume, false},
    {"POST", "/admin/replay/speed", h_speed, false},
    {"POST", "/admin/replay/seek", h_seek, false},
    {"POST", "/admin/replay/step", h_step, false},
};
const size_t qte_admin_nroutes =
    sizeof(qte_admin_routes) / sizeof(qte_admin_routes[0]);
