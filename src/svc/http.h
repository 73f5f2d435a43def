/*
 * http.h - a small HTTP/1.1 server for /health, /metrics and admin
 * endpoints (libmicrohttpd), shared by every daemon.
 *
 * A route is (method, exact path, handler, auth required). "GET" routes
 * also answer HEAD. Dispatch, in order:
 *   1. a method no route uses                          -> 405
 *   2. a path under auth_prefix, for a method some auth route uses:
 *      no api_key configured -> 404 (the endpoints do not exist);
 *      Authorization not "Bearer <api_key>" (scheme in any case)
 *      -> 401, logged `http_admin_denied path=<quoted>`
 *   3. no route for (method, path)                     -> 404
 *   4. the handler; an auth route is logged `http_admin path=<quoted>`
 * Bodies of 4xx answers are {"error":"..."} JSON.
 *
 * Threads: one internal epoll thread serves every connection, so
 * handlers must be quick and must only read shared state (atomics or
 * their own snapshots). A handler that needs to wait (e.g. for the writer
 * to drain) returns SVC_HTTP_WAIT: the connection is suspended, a resumer
 * thread wakes every waiting connection each poll interval, and the
 * handler is called again (rq->calls counts the calls) until it returns
 * SVC_HTTP_DONE; it must bound the wait itself with rq->start_mono_ms.
 * Meanwhile the server keeps answering others.
 *
 * Slow or many clients: a connection silent for conn_timeout_sec is
 * closed; at most max_conns connections are served at once (more wait in
 * the kernel's accept backlog), and at most per_ip_limit from one remote
 * IPv4 address (more are refused). Loopback clients (127/8) are exempt
 * from the per-address limit and share only the total: with the default
 * loopback-only binding every client is local, and a per-address limit
 * would let one local process starve the health checker.
 * Defaults: 3 s; 4096 or RLIMIT_NOFILE - 256 (at least 64); 256.
 * Measured (tests/e2e/test_collector_http_slow.sh): 200 connections
 * trickling a byte every 3 s, /health answers 200 in under 5 ms.
 *
 * TLS: when tls_cert_pem and tls_key_pem are both set (PEM text, not
 * paths), the server speaks HTTPS only (libmicrohttpd over GnuTLS);
 * otherwise plain HTTP, as before. A pair MHD refuses (bad PEM, key not
 * matching) is an http_start_failed with reason="TLS certificate or key
 * rejected". http_listening then ends with tls=on.
 */
#ifndef HK_SVC_HTTP_H
#define HK_SVC_HTTP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Daemon;
struct MHD_Connection;

enum { SVC_HTTP_DONE = 0, SVC_HTTP_WAIT = 1 };

typedef struct svc_http_request {
    const char *method;    /* as sent ("GET", "HEAD", "POST") */
    const char *path;      /* decoded path, without the query */
    int64_t start_mono_ms; /* when the handler was first called */
    int calls;             /* earlier calls for this request */
    long long scratch[4];  /* the handler's own, zeroed at start */
    struct MHD_Connection *conn;
} svc_http_request;

typedef struct svc_http_reply {
    int code;          /* HTTP status */
    const char *ctype; /* static Content-Type; NULL = application/json */
    char *body;        /* malloc'd; the server frees it; NULL = 500 */
} svc_http_reply;

/* Fill out and return SVC_HTTP_DONE, or return SVC_HTTP_WAIT (out
 * untouched) to be called again later. Runs on the server thread. */
typedef int (*svc_http_fn)(void *ud, svc_http_request *rq, svc_http_reply *out);

typedef struct svc_route {
    const char *method; /* "GET" (and HEAD) or "POST" */
    const char *path;   /* exact match */
    svc_http_fn fn;
    bool auth; /* needs "Authorization: Bearer <api_key>" */
} svc_route;

typedef struct svc_http_opts {
    const char *host;        /* IPv4 address to bind */
    int port;                /* 0 = no server, -1 = kernel-chosen */
    const char *api_key;     /* "" or NULL: auth routes absent */
    const char *auth_prefix; /* e.g. "/admin/"; NULL = none */
    const char *log_component;
    const svc_route *routes;
    size_t n_routes;
    void *ud;                  /* passed to handlers */
    unsigned conn_timeout_sec; /* 0 = 3 */
    unsigned max_conns;        /* 0 = 4096 (fewer if RLIMIT_NOFILE is low) */
    unsigned per_ip_limit;     /* 0 = 256 */
    unsigned wait_poll_ms;     /* 0 = 20 */
    const char *tls_cert_pem;  /* NULL or "": plain HTTP */
    const char *tls_key_pem;   /* with tls_cert_pem: HTTPS */
} svc_http_opts;

typedef struct svc_http_wait svc_http_wait;

typedef struct svc_http_peer {
    uint32_t ip; /* host order */
    unsigned n;  /* open connections; 0 = free slot */
} svc_http_peer;

typedef struct svc_http {
    svc_http_opts o; /* copied; routes and strings must outlive the server */
    struct MHD_Daemon *mhd;
    int port; /* bound port once started */
    pthread_t resumer;
    bool resumer_started;
    pthread_mutex_t mu; /* leaf lock: guards waiting, stopping */
    pthread_cond_t cond;
    svc_http_wait *waiting; /* suspended connections */
    bool stopping;
    svc_http_peer *peers; /* remote address -> connections (MHD thread) */
    size_t n_peers;
} svc_http;

/*
 * Start serving (o->port != 0). Logs `http_listening host= port= admin=`
 * (admin=on when an api_key is set) and returns 0; returns 0 without a
 * server when o->port is 0; returns -1 after logging `http_start_failed`
 * (bad host, port in use, no memory), leaving s stopped (svc_http_stop is
 * still safe).
 */
int svc_http_start(svc_http *s, const svc_http_opts *o);

/* Stop: wake and answer waiting requests, close every connection, join
 * the threads. Safe on a never-started or failed server; idempotent. */
void svc_http_stop(svc_http *s);

/*
 * The route for (method, path): returns it, or NULL with *status 405
 * (no route uses this method) or 404. Pure; for the server and tests.
 */
const svc_route *svc_http_match(const svc_route *routes, size_t n,
                                const char *method, const char *path,
                                int *status);

/* A malloc'd copy of a static body (NULL when out of memory). */
char *svc_http_body(const char *text);

/* The value of request header name (any case), or NULL. Valid while the
 * handler runs. */
const char *svc_http_header(const svc_http_request *rq, const char *name);

#endif
