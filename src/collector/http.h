/*
 * http.h - the collector's routes: /health, /metrics, /status and the
 * /admin endpoints, served by the service library (svc/http.h).
 *
 * The server (svc_http) runs its own thread, bound to HTTP_HOST
 * (127.0.0.1 by default). Handlers only read: the health snapshot (copied
 * under its leaf mutex), writer atomics, queue/spool lengths, and /proc and
 * statvfs for process and disk figures. Nothing in the tick path waits on
 * this thread. Admin requests are handed to the event thread through
 * svc_admin_post (an atomic bit set plus uv_async_send).
 *
 * Admin endpoints exist only when API_KEY is set; they require
 * "Authorization: Bearer <key>" (scheme in any case) compared in constant
 * time; 401 otherwise. The key is never logged.
 *
 * POST /admin/flush wakes the writer, then waits (suspended, off the
 * server thread) until nothing is queued or spooled and the writer is idle
 * (no batch being committed or retried), at most HTTP_FLUSH_WAIT_MS, and
 * answers what is true then:
 *   200 {"ok":true,"action":"flush","queue":0,"spool_rows":0,
 *        "committed_rows":N,"waited_ms":T}
 *   503 {"ok":false,...} with the rows still queued or spooled.
 * committed_rows counts rows the writer committed (inserted or ignored)
 * while the request waited.
 *
 * GET / (and /index.html) is the status page, GET /status/page.json its
 * refresh (page.h); read-only and unauthenticated like /health.
 */
#ifndef HK_COLLECTOR_HTTP_H
#define HK_COLLECTOR_HTTP_H

#include "collector/config.h"
#include "collector/health.h"
#include "collector/publish.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/writer.h"
#include "svc/http.h"
#include "svc/life.h"

#define HTTP_FLUSH_WAIT_MS 5000

enum http_admin_action {
    HTTP_ADMIN_FLUSH = 1,
    HTTP_ADMIN_RESUBSCRIBE = 2,
    HTTP_ADMIN_RELOAD = 4,
};

typedef struct http_ctx {
    const config *cfg;
    health *h;
    writer *w;
    queue *q;
    spool *sp;
    svc_admin *admin; /* HTTP_ADMIN_* bits go to the event thread */
    svc_http srv;     /* owned */
    int port;         /* bound port once started */
    /* NATS publisher; NULL or disabled = no hk_nats_* metrics */
    const publish *pub;

    struct page_ring *ring; /* status page figures (page.h); borrowed */
} http_ctx;

/*
 * Start serving when cfg->http_port != 0. Returns 0 (also when disabled)
 * or -1 after logging http_start_failed; logs http_listening host= port=.
 * x must stay at its address until http_stop.
 */
int http_start(http_ctx *x);
/* Stop serving (answers waiting requests first); idempotent. */
void http_stop(http_ctx *x);

/*
 * Render the Prometheus exposition / the health verdict / the status JSON
 * into a malloc'd string (caller frees; NULL when out of memory). For
 * tests and the handlers; any thread.
 */
char *http_render_metrics(http_ctx *x);
char *http_render_health(http_ctx *x, int *status_code);
char *http_render_status(http_ctx *x);

#endif
