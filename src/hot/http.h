/*
 * http.h - hot-store's /health and /metrics on the service library's
 * HTTP server (svc/http.h).
 */
#ifndef HK_HOT_HTTP_H
#define HK_HOT_HTTP_H

#include "hot/config.h"
#include "hot/store.h"
#include "svc/probe.h"

typedef struct hot_http {
    const hot_config *cfg;
    hot_stats *st;
    svc_probe probe; /* probe.srv.port: the bound port */
} hot_http;

/* Start serving on cfg->http_host:http_port (0 = no server). Returns 0,
 * or -1 after svc_http logged why; hot_http_stop is safe either way. */
int hot_http_start(hot_http *h);
/* Stop serving and join the server's threads; safe when never started. */
void hot_http_stop(hot_http *h);

/*
 * The /health JSON ({"status":"healthy"|"unhealthy","checks":{...},
 * "failing":[...]}) and its HTTP code (200 or 503) in *code. Checks:
 * nats (connected), clickhouse (last request succeeded), setup (stream,
 * consumer, schema ready), inserts (with a backlog, the last insert is at
 * most HOT_STALE_SEC old). Returns malloc'd text, or NULL out of memory.
 */
char *hot_http_render_health(const hot_http *h, int *code);

/* The Prometheus page (malloc'd), or NULL out of memory. */
char *hot_http_render_metrics(const hot_http *h);

#endif
