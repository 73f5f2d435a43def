/*
 * probe.c - GET /health and GET /metrics from two renderers (contract in
 * probe.h). The routes table is shared; the svc_probe is the handlers'
 * user data.
 */
#include "svc/probe.h"

static int route_health(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    svc_probe *p = ud;
    (void)rq;
    out->body = p->health(p->ud, &out->code);
    out->ctype = "application/json";
    return SVC_HTTP_DONE;
}

static int route_metrics(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    svc_probe *p = ud;
    (void)rq;
    out->code = 200;
    out->ctype = "text/plain; version=0.0.4";
    out->body = p->metrics(p->ud);
    return SVC_HTTP_DONE;
}

static const svc_route routes[] = {
    {"GET", "/health", route_health, false},
    {"GET", "/metrics", route_metrics, false},
};

int svc_probe_start(svc_probe *p, const char *host, int port,
                    const char *component)
{
    svc_http_opts o = {
        .host = host,
        .port = port,
        .log_component = component,
        .routes = routes,
        .n_routes = sizeof(routes) / sizeof(routes[0]),
        .ud = p,
    };
    return svc_http_start(&p->srv, &o);
}

void svc_probe_stop(svc_probe *p)
{
    svc_http_stop(&p->srv);
}
