/*
 * http.c - the shared HTTP server (see http.h for the contract).
 *
 * libmicrohttpd runs one internal epoll thread with suspend/resume
 * enabled. Per request, MHD calls handler() several times: once when the
 * headers are complete (we allocate the request state, an svc_http_wait,
 * and return), once per body chunk (ignored), then with no more body: we
 * dispatch and call the route. A route answering SVC_HTTP_WAIT gets its
 * connection suspended and its state pushed on `waiting`; the resumer
 * thread sleeps while `waiting` is empty, else every wait_poll_ms detaches
 * the whole list under `mu` and resumes each connection (reading `next`
 * before the resume: after it, MHD's thread may re-queue or free the
 * node). MHD then calls handler() again. The state is freed by the
 * request-completed callback, never while the connection is suspended.
 *
 * Stop: `stopping` is set under `mu`; the resumer's last sweep resumes
 * whatever is left; a handler that sees `stopping` answers 503 instead of
 * waiting again, so no connection is suspended when MHD_stop_daemon runs.
 * Lock order: `mu` is a leaf (MHD's own locks may be taken inside it by
 * MHD_suspend_connection, never the reverse).
 *
 * TLS (optional): MHD_USE_TLS with the PEM pair handed over in memory;
 * MHD (GnuTLS) does the handshake on the same polling thread, so handlers
 * see no difference. The caller keeps the PEM strings alive while the
 * server runs (they are only read at start, but the copy in s->o points
 * at them).
 */
#include "svc/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"
#include "svc/auth.h"

#define DEFAULT_TIMEOUT_SEC 3
#define DEFAULT_MAX_CONNS 4096
#define MIN_MAX_CONNS 64
#define FD_RESERVE 256 /* descriptors left for everything but HTTP */
#define DEFAULT_PER_IP 256
#define DEFAULT_POLL_MS 20

struct svc_http_wait {
    svc_http_wait *next; /* in svc_http.waiting while suspended */
    const svc_route *route;
    bool routed;
    svc_http_request rq;
};

/* ---- per-address limit (remote IPv4 clients; loopback shares the total) --
 * Open-addressing table of address -> open connections, touched only by
 * MHD's single polling thread (accept policy and connection notify). A
 * slot whose count drops to 0 is free again; lookups probe at most the
 * whole table, which is at least twice max_conns, so one always ends. */

static bool is_loopback(uint32_t ip_host_order)
{
    return (ip_host_order >> 24) == 127;
}

static svc_http_peer *peer_slot(svc_http *s, uint32_t ip, bool add)
{
    size_t mask = s->n_peers - 1;
    size_t i = ((size_t)ip * 2654435761u) & mask;
    svc_http_peer *free_slot = NULL;
    for (size_t k = 0; k < s->n_peers; k++, i = (i + 1) & mask) {
        svc_http_peer *p = &s->peers[i];
        if (p->n > 0 && p->ip == ip)
            return p;
        if (p->n == 0 && !free_slot)
            free_slot = p;
    }
    if (add && free_slot)
        free_slot->ip = ip;
    return add ? free_slot : NULL;
}

static bool peer_ip(const struct sockaddr *sa, uint32_t *ip)
{
    if (!sa || sa->sa_family != AF_INET)
        return false;
    *ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    return !is_loopback(*ip);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr,
                                 socklen_t addrlen)
{
    svc_http *s = cls;
    uint32_t ip;
    (void)addrlen;
    if (!peer_ip(addr, &ip))
        return MHD_YES;
    svc_http_peer *p = peer_slot(s, ip, false);
    return p && p->n >= s->o.per_ip_limit ? MHD_NO : MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    svc_http *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    uint32_t ip;
    (void)socket_context;
    if (!ci || !peer_ip(ci->client_addr, &ip))
        return;
    svc_http_peer *p = peer_slot(s, ip, toe == MHD_CONNECTION_NOTIFY_STARTED);
    if (!p)
        return;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        p->n++;
    else if (p->n > 0)
        p->n--;
}

static bool method_is(const char *route_method, const char *method)
{
    if (strcmp(route_method, method) == 0)
        return true;
    return strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

const svc_route *svc_http_match(const svc_route *routes, size_t n,
                                const char *method, const char *path,
                                int *status)
{
    bool method_known = false;
    for (size_t i = 0; i < n; i++) {
        if (!method_is(routes[i].method, method))
            continue;
        method_known = true;
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    }
    *status = method_known ? 404 : 405;
    return NULL;
}

char *svc_http_body(const char *text)
{
    return strdup(text);
}

const char *svc_http_header(const svc_http_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn,
                                  svc_http_reply *rep)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    if (!rep->body)
        return MHD_NO; /* out of memory: MHD closes the connection */
    r = MHD_create_response_from_buffer(strlen(rep->body), rep->body,
                                        MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(rep->body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            rep->ctype ? rep->ctype : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(conn, (unsigned)rep->code, r);
    MHD_destroy_response(r);
    return ret;
}

static void error_reply(svc_http_reply *rep, int code)
{
    rep->code = code;
    rep->ctype = NULL;
    rep->body = svc_http_body(code == 401   ? "{\"error\":\"unauthorized\"}\n"
                              : code == 405 ? "{\"error\":\"method not "
                                              "allowed\"}\n"
                              : code == 503 ? "{\"error\":\"shutting "
                                              "down\"}\n"
                                            : "{\"error\":\"not found\"}\n");
}

static bool auth_applies(const svc_http *s, const char *method,
                         const char *path)
{
    const char *pre = s->o.auth_prefix;
    if (!pre || strncmp(path, pre, strlen(pre)) != 0)
        return false;
    for (size_t i = 0; i < s->o.n_routes; i++)
        if (s->o.routes[i].auth && method_is(s->o.routes[i].method, method))
            return true;
    return false;
}

/* Find the route of a request, or fill rep with the refusal. */
static const svc_route *dispatch(svc_http *s, struct MHD_Connection *conn,
                                 const char *method, const char *path,
                                 svc_http_reply *rep)
{
    const char *comp = s->o.log_component ? s->o.log_component : "svc";
    bool keyed = s->o.api_key && s->o.api_key[0];
    const svc_route *r;
    int status = 404;
    char q[600];

    r = svc_http_match(s->o.routes, s->o.n_routes, method, path, &status);
    if (status == 405 && !r) {
        error_reply(rep, 405);
        return NULL;
    }
    if (auth_applies(s, method, path) || (r && r->auth)) {
        const char *h =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if (!keyed) {
            error_reply(rep, 404);
            return NULL;
        }
        if (!svc_auth_bearer_ok(h, s->o.api_key)) {
            LOG(LOG_WARNING, comp, "http_admin_denied path=%s",
                log_quote(path, q, sizeof(q)));
            error_reply(rep, 401);
            return NULL;
        }
        if (r)
            LOG(LOG_INFO, comp, "http_admin path=%s",
                log_quote(path, q, sizeof(q)));
    }
    if (!r)
        error_reply(rep, status);
    return r;
}

/* Suspend conn until the resumer's next sweep; false when stopping. */
static bool park(svc_http *s, svc_http_wait *st, struct MHD_Connection *conn)
{
    bool parked = false;
    pthread_mutex_lock(&s->mu);
    if (!s->stopping) {
        MHD_suspend_connection(conn);
        st->next = s->waiting;
        s->waiting = st;
        pthread_cond_signal(&s->cond);
        parked = true;
    }
    pthread_mutex_unlock(&s->mu);
    return parked;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    svc_http *s = cls;
    svc_http_wait *st = *con_cls;
    svc_http_reply rep = {0};
    (void)version;
    (void)upload;

    if (!st) {
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* bodies are read and ignored */
        return MHD_YES;
    }
    if (!st->routed) {
        st->routed = true;
        st->route = dispatch(s, conn, method, url, &rep);
        if (!st->route)
            return send_reply(conn, &rep);
        st->rq.method = method;
        st->rq.path = url;
        st->rq.start_mono_ms = hktime_mono_ms();
    }
    st->rq.conn = conn;
    if (st->route->fn(s->o.ud, &st->rq, &rep) == SVC_HTTP_WAIT) {
        st->rq.calls++;
        if (park(s, st, conn))
            return MHD_YES;
        error_reply(&rep, 503);
    }
    return send_reply(conn, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static void resume_list(svc_http_wait *w)
{
    while (w) {
        svc_http_wait *nx = w->next;
        struct MHD_Connection *c = w->rq.conn;
        w->next = NULL;
        MHD_resume_connection(c);
        w = nx;
    }
}

static void *resumer_main(void *arg)
{
    svc_http *s = arg;
    struct timespec ts = {.tv_sec = s->o.wait_poll_ms / 1000,
                          .tv_nsec =
                              (long)(s->o.wait_poll_ms % 1000) * 1000000L};
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->waiting && !s->stopping)
            pthread_cond_wait(&s->cond, &s->mu);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->mu);
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&s->mu);
        svc_http_wait *w = s->waiting;
        s->waiting = NULL;
        pthread_mutex_unlock(&s->mu);
        resume_list(w);
        pthread_mutex_lock(&s->mu);
    }
    svc_http_wait *w = s->waiting;
    s->waiting = NULL;
    pthread_mutex_unlock(&s->mu);
    resume_list(w);
    return NULL;
}

/* 4096, or what the descriptor limit leaves after FD_RESERVE (>= 64). */
static unsigned default_max_conns(void)
{
    struct rlimit rl;
    rlim_t n = DEFAULT_MAX_CONNS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < DEFAULT_MAX_CONNS + FD_RESERVE)
        n = rl.rlim_cur > MIN_MAX_CONNS + FD_RESERVE ? rl.rlim_cur - FD_RESERVE
                                                     : MIN_MAX_CONNS;
    return (unsigned)n;
}

static void apply_defaults(svc_http_opts *o)
{
    if (!o->conn_timeout_sec)
        o->conn_timeout_sec = DEFAULT_TIMEOUT_SEC;
    if (!o->max_conns)
        o->max_conns = default_max_conns();
    if (!o->per_ip_limit)
        o->per_ip_limit = DEFAULT_PER_IP;
    if (!o->wait_poll_ms)
        o->wait_poll_ms = DEFAULT_POLL_MS;
    if (!o->log_component)
        o->log_component = "svc";
}

static bool use_tls(const svc_http_opts *o)
{
    return o->tls_cert_pem && o->tls_cert_pem[0] && o->tls_key_pem &&
           o->tls_key_pem[0];
}

static int start_mhd(svc_http *s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    const union MHD_DaemonInfo *info;
    const svc_http_opts *o = &s->o;

    if (inet_pton(AF_INET, o->host, &sa.sin_addr) != 1) {
        LOG(LOG_ERROR, o->log_component,
            "http_start_failed host=%s "
            "reason=\"HTTP_HOST must be an IPv4 address\"",
            o->host);
        return -1;
    }
    sa.sin_port = htons((uint16_t)(o->port > 0 ? o->port : 0));
    /* Power of two, at least twice the connections: probes stay short. */
    s->n_peers = 64;
    while (s->n_peers < 2 * (size_t)o->max_conns)
        s->n_peers *= 2;
    s->peers = calloc(s->n_peers, sizeof(svc_http_peer));
    if (!s->peers) {
        LOG(LOG_ERROR, o->log_component,
            "http_start_failed host=%s port=%d reason=\"out of memory\"",
            o->host, o->port);
        return -1;
    }
    bool tls = use_tls(o);
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        LOG(LOG_ERROR, o->log_component,
            "http_start_failed host=%s port=%d "
            "reason=\"libmicrohttpd built without TLS\"",
            o->host, o->port);
        return -1;
    }
    /* Without TLS an MHD_OPTION_END stands where the certificate option
     * would be, and MHD reads no further. */
    s->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
            MHD_ALLOW_SUSPEND_RESUME | (tls ? MHD_USE_TLS : 0),
        0, on_accept, s, handler, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
        o->conn_timeout_sec, MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->tls_cert_pem,
        MHD_OPTION_HTTPS_MEM_KEY, o->tls_key_pem, MHD_OPTION_END);
    if (!s->mhd && tls) {
        LOG(LOG_ERROR, o->log_component,
            "http_start_failed host=%s port=%d "
            "reason=\"TLS certificate or key rejected\"",
            o->host, o->port);
        return -1;
    }
    if (!s->mhd) {
        LOG(LOG_ERROR, o->log_component,
            "http_start_failed host=%s port=%d "
            "reason=\"cannot bind (in use?)\" action=continue_without_http",
            o->host, o->port);
        return -1;
    }
    info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    return 0;
}

int svc_http_start(svc_http *s, const svc_http_opts *o)
{
    memset(s, 0, sizeof(*s));
    s->o = *o;
    apply_defaults(&s->o);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (o->port == 0)
        return 0;
    int rc = pthread_create(&s->resumer, NULL, resumer_main, s);
    if (rc != 0) {
        LOG(LOG_ERROR, s->o.log_component,
            "http_start_failed host=%s port=%d reason=\"thread: %s\"", o->host,
            o->port, strerror(rc));
        return -1;
    }
    s->resumer_started = true;
    if (start_mhd(s) != 0) {
        svc_http_stop(s);
        return -1;
    }
    LOG(LOG_INFO, s->o.log_component,
        "http_listening host=%s port=%d admin=%s%s", s->o.host, s->port,
        s->o.api_key && s->o.api_key[0] ? "on" : "off",
        use_tls(&s->o) ? " tls=on" : "");
    return 0;
}

void svc_http_stop(svc_http *s)
{
    if (s->resumer_started) {
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->resumer, NULL);
        s->resumer_started = false;
    }
    if (s->mhd) {
        MHD_stop_daemon(s->mhd);
        s->mhd = NULL;
    }
    free(s->peers);
    s->peers = NULL;
}
