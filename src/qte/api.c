/*
 * api.c - the HTTP API of qte-engine serve (QTE_HTTP_PORT): health,
 * metrics, read-only state documents and manual paper orders.
 *
 *   GET  /health     {"status":"healthy"|"unhealthy","checks":{...}}
 *                    200 / 503 (engine failed, store lost, live
 *                    source: NATS disconnected - checks.nats)
 *   GET  /metrics    Prometheus text (metrics.h)
 *   GET  /portfolio  engine portfolio document
 *   GET  /positions  engine positions document
 *   GET  /trades     last ?limit= fills (default 100, at most 10000)
 *   GET  /orders     open orders, then the last ?limit= closed ones
 *   POST /orders     ?symbol=HK.00700&side=buy|sell&qty=100
 *                    [&type=market|limit&price=350.2&tif=gtc|ioc]
 *                    201 {"order_id":..,"status":..,"reason":..}
 *                    (422 when rejected, 400 malformed, 503 no replay)
 *
 * Every handler runs on this port's libmicrohttpd thread, times itself
 * into the request histogram and reads the engine through its any-thread
 * functions. POST /orders blocks this port's thread while the replay
 * thread decides (at most QTE_ORDER_TIMEOUT_MS); the admin port has its
 * own thread and is not held up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qte/serve.h"
#include "svc/prom.h"

const char *qte_api_peer(const svc_http_request *rq, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, cap, "unknown");
    if (!ci || !ci->client_addr)
        return buf;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ci->client_addr;
        inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)cap);
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)ci->client_addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)cap);
    }
    return buf;
}

const char *qte_api_arg(const svc_http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int finish(qte_daemon *d, uint64_t t0, svc_http_reply *out, int code,
                  svc_buf *b, const char *ctype)
{
    out->code = code;
    out->ctype = ctype;
    if (b->oom) {
        svc_buf_free(b);
        out->body = NULL;
    } else {
        out->body = b->p ? b->p : svc_http_body("");
    }
    qte_metrics_request(&d->m, t0);
    return SVC_HTTP_DONE;
}

char *qte_api_render_health(qte_daemon *d, int *code)
{
    qte_stats st;
    svc_buf b = {0};
    int rr = atomic_load(&d->run_result);
    bool engine_ok = rr >= 0;
    bool redis_ok = !d->redis_on || atomic_load(&d->redis.connected);
    qte_engine_stats(d->eng, &st);
    /* live source: NATS down fails the check (no market data arrives) */
    bool nats_ok = !st.live || st.lv.connected;
    *code = engine_ok && nats_ok ? 200 : 503;
    svc_buf_printf(&b,
                   "{\"status\":\"%s\",\"checks\":{\"engine\":{\"ok\":%s,"
                   "\"running\":%s,\"done\":%s,\"paused\":%s,\"mode\":\"%s\""
                   "},\"store\":{\"ok\":%s,\"kind\":\"%s\"},"
                   "\"redis\":{\"ok\":%s,\"configured\":%s}",
                   engine_ok && nats_ok ? "healthy" : "unhealthy",
                   engine_ok ? "true" : "false", st.running ? "true" : "false",
                   st.done ? "true" : "false", st.paused ? "true" : "false",
                   qte_mode_name(st.mode), engine_ok ? "true" : "false",
                   d->store_open ? d->store.kind : "none",
                   redis_ok ? "true" : "false", d->redis_on ? "true" : "false");
    if (st.live)
        svc_buf_printf(&b,
                       ",\"nats\":{\"ok\":%s,\"received\":%llu,"
                       "\"dropped\":%llu,\"reconnects\":%llu}",
                       nats_ok ? "true" : "false",
                       (unsigned long long)st.lv.received,
                       (unsigned long long)st.lv.dropped,
                       (unsigned long long)st.lv.reconnects);
    svc_buf_printf(&b, "},\"queue_size\":%llu,\"progress\":%.6f}\n",
                   (unsigned long long)st.queue_size, st.progress);
    return svc_buf_take(&b);
}

static int h_health(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    (void)rq;
    out->body = qte_api_render_health(d, &out->code);
    qte_metrics_request(&d->m, t0);
    return SVC_HTTP_DONE;
}

static int h_metrics(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    qte_stats st;
    qte_metrics_redis r = {0};
    (void)rq;
    qte_engine_stats(d->eng, &st);
    if (d->redis_on) {
        r.connected = &d->redis.connected;
        r.published = &d->redis.published;
        r.errors = &d->redis.errors;
    }
    /* Count this request before rendering, so a scrape sees itself. */
    qte_metrics_request(&d->m, t0);
    out->code = 200;
    out->ctype = "text/plain; version=0.0.4";
    out->body = qte_metrics_render(&d->m, &st, &r);
    return SVC_HTTP_DONE;
}

static int limit_arg(const svc_http_request *rq)
{
    const char *v = qte_api_arg(rq, "limit");
    long n = v ? strtol(v, NULL, 10) : 100;
    return n < 1 ? 1 : (n > 10000 ? 10000 : (int)n);
}

static int h_portfolio(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    svc_buf b = {0};
    (void)rq;
    qte_engine_json_portfolio(d->eng, &b);
    svc_buf_printf(&b, "\n");
    return finish(d, t0, out, 200, &b, NULL);
}

static int h_positions(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    svc_buf b = {0};
    (void)rq;
    qte_engine_json_positions(d->eng, &b);
    svc_buf_printf(&b, "\n");
    return finish(d, t0, out, 200, &b, NULL);
}

static int h_trades(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    svc_buf b = {0};
    qte_engine_json_trades(d->eng, &b, limit_arg(rq));
    svc_buf_printf(&b, "\n");
    return finish(d, t0, out, 200, &b, NULL);
}

static int h_orders(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    svc_buf b = {0};
    qte_engine_json_orders(d->eng, &b, limit_arg(rq));
    svc_buf_printf(&b, "\n");
    return finish(d, t0, out, 200, &b, NULL);
}

/* Fill req from the query string; returns NULL or the reason it is bad. */
static const char *parse_order(const svc_http_request *rq, qte_order_req *req)
{
    const char *sym = qte_api_arg(rq, "symbol");
    const char *side = qte_api_arg(rq, "side");
    const char *qty = qte_api_arg(rq, "qty");
    const char *type = qte_api_arg(rq, "type");
    const char *price = qte_api_arg(rq, "price");
    const char *tif = qte_api_arg(rq, "tif");
    char *end = NULL;
    memset(req, 0, sizeof(*req));
    if (!sym || !*sym)
        return "symbol is required";
    req->symbol = sym;
    if (!side || (strcasecmp(side, "buy") && strcasecmp(side, "sell")))
        return "side must be buy or sell";
    req->side = strcasecmp(side, "buy") == 0 ? QTE_BUY : QTE_SELL;
    req->qty = qty ? strtoll(qty, &end, 10) : 0;
    if (!qty || *end || req->qty <= 0)
        return "qty must be a positive integer";
    req->type = price && (!type || strcasecmp(type, "limit") == 0) ? QTE_LIMIT
                                                                   : QTE_MARKET;
    if (type && strcasecmp(type, "market") && strcasecmp(type, "limit"))
        return "type must be market or limit";
    if (req->type == QTE_LIMIT) {
        double p = price ? strtod(price, &end) : 0;
        if (!price || *end || !(p > 0) || !isfinite(p))
            return "a limit order needs price > 0";
        req->limit_milli = llround(p * 1000.0);
    }
    if (tif && strcasecmp(tif, "gtc") && strcasecmp(tif, "ioc"))
        return "tif must be gtc or ioc";
    req->tif = tif && strcasecmp(tif, "ioc") == 0 ? QTE_IOC : QTE_GTC;
    return NULL;
}

static int h_order_post(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    qte_daemon *d = ud;
    uint64_t t0 = qte_metrics_now_ns();
    svc_buf b = {0};
    qte_order_req req;
    qte_order_ack ack = {0};
    const char *bad = parse_order(rq, &req);
    int code;
    if (bad) {
        svc_buf_printf(&b, "{\"error\":\"%s\"}\n", bad);
        return finish(d, t0, out, 400, &b, NULL);
    }
    int rc = qte_engine_submit_order(d->eng, &req, &ack, QTE_ORDER_TIMEOUT_MS);
    if (rc != 0) {
        code = rc == -EINVAL ? 400 : 503;
        svc_buf_printf(&b, "{\"error\":\"%s\"}\n",
                       rc == -EINVAL      ? "malformed order"
                       : rc == -EAGAIN    ? "order inbox full"
                       : rc == -ETIMEDOUT ? "replay did not take the order"
                                          : "no replay running");
        return finish(d, t0, out, code, &b, NULL);
    }
    code = ack.status == QTE_ORD_REJECTED ? 422 : 201;
    svc_buf_printf(&b,
                   "{\"order_id\":%lld,\"status\":\"%s\",\"reason\":\"%s\"}\n",
                   (long long)ack.order_id, qte_status_name(ack.status),
                   qte_reason_name(ack.reason));
    return finish(d, t0, out, code, &b, NULL);
}

const svc_route qte_api_routes[] = {
    {"GET", "/health", h_health, false},
    {"GET", "/metrics", h_metrics, false},
    {"GET", "/portfolio", h_portfolio, false},
    {"GET", "/positions", h_positions, false},
    {"GET", "/trades", h_trades, false},
    {"GET", "/orders", h_orders, false},
    {"POST", "/orders", h_order_post, false},
};
const size_t qte_api_nroutes =
    sizeof(qte_api_routes) / sizeof(qte_api_routes[0]);
