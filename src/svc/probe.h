/*
 * probe.h - the two routes every pipeline daemon serves, GET /health and
 * GET /metrics, on the service library's HTTP server (svc/http.h).
 *
 * The daemon gives two renderers; each runs on the HTTP thread and must
 * only read state that is safe there (atomics). A renderer returning NULL
 * (out of memory) makes the server close the connection unanswered.
 */
#ifndef HK_SVC_PROBE_H
#define HK_SVC_PROBE_H

#include "svc/http.h"

typedef struct svc_probe {
    /* /health: JSON body (malloc'd) and its code (200 or 503) in *code. */
    char *(*health)(void *ud, int *code);
    /* /metrics: Prometheus text (malloc'd). */
    char *(*metrics)(void *ud);
    void *ud;
    svc_http srv; /* srv.port is the bound port once started */
} svc_probe;

/*
 * Serve /health and /metrics on host:port (0 = no server, -1 = a port the
 * kernel picks) with log component `component`. p must stay valid until
 * svc_probe_stop. Returns 0, or -1 after svc_http logged why; stopping is
 * safe either way.
 */
int svc_probe_start(svc_probe *p, const char *host, int port,
                    const char *component);
/* Stop serving and join the server's threads; safe when never started. */
void svc_probe_stop(svc_probe *p);

#endif
