/*
 * http.h - cold-store's /health and /metrics on the service library's
 * HTTP server (svc/http.h).
 */
#ifndef HK_COLD_HTTP_H
#define HK_COLD_HTTP_H

#include "cold/config.h"
#include "cold/repl.h"
#include "svc/probe.h"

typedef struct cold_http {
    const cold_config *cfg;
    cold_stats *st;
    svc_probe probe; /* probe.srv.port: the bound port */
} cold_http;

/* Start serving on cfg->http_host:http_port (0 = no server). Returns 0,
 * or -1 after svc_http logged why; cold_http_stop is safe either way. */
int cold_http_start(cold_http *h);
/* Stop serving and join the server's threads; safe when never started. */
void cold_http_stop(cold_http *h);

/*
 * The /health JSON ({"status":"healthy"|"unhealthy","checks":{...},
 * "failing":[...]}) and its HTTP code (200 or 503) in *code. Checks:
 * clickhouse (last request answered), state (watermark saved), cycles
 * (a cycle completed within COLD_STALE_SEC, counted from the start
 * before the first), verify (no day failed COLD_MISMATCH_LIMIT checks in
 * a row). Returns malloc'd text, or NULL out of memory.
 */
char *cold_http_render_health(const cold_http *h, int *code);

/* The Prometheus page (malloc'd), or NULL out of memory. Names start with
 * cold_ (docs/pipeline.md lists them). */
char *cold_http_render_metrics(const cold_http *h);

#endif
