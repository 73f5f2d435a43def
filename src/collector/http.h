/*
 * http.h - /health, /metrics, /status and the /admin endpoints (libmicrohttpd).
 *
 * The server runs in libmicrohttpd's own polling thread, bound to HTTP_HOST
 * (127.0.0.1 by default). Handlers only read: the health snapshot (copied
 * under its leaf mutex), writer atomics, queue/spool lengths, and /proc and
 * statvfs for process and disk figures. Nothing in the tick path waits on
 * this thread. Admin requests are handed to the event thread through
 * http_ctx.admin (which must be async-signal-ish safe: it sets an atomic
 * flag and wakes the loop with uv_async_send).
 *
 * Admin endpoints exist only when API_KEY is set; they require
 * "Authorization: Bearer <key>" compared in constant time; 401 otherwise.
 * The key is never logged.
 */
#ifndef HK_COLLECTOR_HTTP_H
#define HK_COLLECTOR_HTTP_H

#include "collector/config.h"
#include "collector/health.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/writer.h"

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
    void (*admin)(void *ud, int action);
    void *ud;
    struct MHD_Daemon *mhd; /* owned */
    int port;               /* bound port once started */
} http_ctx;

/*
 * Start serving when cfg->http_port != 0. Returns 0 (also when disabled)
 * or -1 after logging http_start_failed; logs http_listening host= port=.
 */
int http_start(http_ctx *x);
void http_stop(http_ctx *x);

/*
 * Render the Prometheus exposition / the health verdict into a malloc'd
 * string (caller frees). For tests and the handlers.
 */
char *http_render_metrics(http_ctx *x);
char *http_render_health(http_ctx *x, int *status_code);
char *http_render_status(http_ctx *x);

#endif
