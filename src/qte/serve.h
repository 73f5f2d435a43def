/*
 * serve.h - `qte-engine serve`, the daemon: the engine replaying on the
 * main thread, the HTTP API (QTE_HTTP_PORT, 8080: /health, /metrics,
 * /portfolio, /positions, /trades, /orders) and the admin API
 * (QTE_ADMIN_PORT, 8081: /admin/queue/..., /admin/replay/...), both HTTPS
 * when QTE_TLS_CERT and QTE_TLS_KEY are set; admin requests need an API
 * key from the keys file and are audited; live state goes to Redis when
 * REDIS_URL is set.
 *
 * The daemon struct below is shared by serve.c (wiring), api.c (API
 * routes) and admin.c (admin routes). Threads: main (replay, then idle
 * until a stop), one libmicrohttpd thread per port (handlers), the Redis
 * publisher. Handlers touch the engine only through its any-thread
 * functions (engine.h), the keyring and audit log through their own
 * mutexes, metrics through atomics.
 */
#ifndef HK_QTE_SERVE_H
#define HK_QTE_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "qte/audit.h"
#include "qte/config.h"
#include "qte/engine.h"
#include "qte/keys.h"
#include "qte/metrics.h"
#include "qte/redis.h"
#include "svc/http.h"

typedef struct qte_daemon {
    const qte_config *cfg;
    qte_engine *eng;
    qte_store store;
    bool store_open;
    qte_keyring keys;
    qte_audit audit;
    qte_metrics m;
    svc_http api;
    svc_http admin;
    char *tls_cert; /* PEM text, malloc'd; NULL = plain HTTP */
    char *tls_key;
    qte_redis redis;
    bool redis_on;
    pthread_t redis_thread;
    bool redis_started;
    atomic_bool stopping;  /* set on SIGTERM/SIGINT; threads finish */
    atomic_int run_result; /* qte_engine_run's return; 99 = running */
    char run_error[256];   /* its message when negative */
} qte_daemon;

/* Manual order wait on the API thread (ms). */
#define QTE_ORDER_TIMEOUT_MS 1000

/*
 * Run the daemon with cfg until SIGTERM/SIGINT. Returns the exit code: 0
 * after a clean stop, 1 when something could not start (logged:
 * qte_exit code=1 reason=...). cfg must outlive the call.
 */
int qte_serve_run(const qte_config *cfg);

/* The API and admin route tables (api.c, admin.c). */
extern const svc_route qte_api_routes[];
extern const size_t qte_api_nroutes;
extern const svc_route qte_admin_routes[];
extern const size_t qte_admin_nroutes;

/* Render /health into a malloc'd body and *code (200 or 503). NULL when
 * out of memory. Any thread. */
char *qte_api_render_health(qte_daemon *d, int *code);

/* The client's address of a request as text ("127.0.0.1"), into buf. */
const char *qte_api_peer(const svc_http_request *rq, char *buf, size_t cap);

/* A query-string argument of the request, or NULL. */
const char *qte_api_arg(const svc_http_request *rq, const char *name);

#endif
