/*
 * client.c - OpenD client connection state machine (see client.h).
 *
 * I/O: one uv_tcp_t per connection and one 250 ms uv_timer_t that drives
 * connect/InitConnect deadlines, keep-alives, the liveness timeout and
 * request expiry. Output uses two buffers: `out` is owned by the write in
 * flight, `next` collects later packets; they swap when a write completes,
 * so steady-state sending reuses memory. Input is parsed in place from one
 * read buffer by the incremental frame parser; each decoded message lives
 * in the arena until its callback returns.
 *
 * Closing: opend_client_close stops reading, fails pending requests, and closes
 * both handles; on_closed runs from the last close callback, so the owner
 * may immediately reconnect from it.
 */
#include "opend/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"

#define RBUF_SIZE (256 * 1024)
#define TICK_MS 250

const char *opend_client_strerror(int code)
{
    switch (code) {
    case CLIENT_E_TIMEOUT:
        return "request timed out";
    case CLIENT_E_CLOSED:
        return "connection closed";
    case CLIENT_E_REFUSED:
        return "InitConnect refused";
    case CLIENT_E_LIVENESS:
        return "liveness timeout";
    case CLIENT_E_CONNECT:
        return "connect failed";
    case CLIENT_E_FULL:
        return "too many requests in flight";
    case CLIENT_E_DECODE:
        return "undecodable response";
    case CLIENT_E_EOF:
        return "connection closed by peer";
    default:
        if (code <= -1001 && code >= -1099)
            return opend_frame_strerror(code);
        return uv_strerror(code);
    }
}

int opend_client_init(client *c, uv_loop_t *loop, const opend_client_opts *opts,
                      const opend_client_callbacks *cbs, void *ud)
{
    memset(c, 0, sizeof(*c));
    c->loop = loop;
    c->opts = *opts;
    c->cbs = *cbs;
    c->ud = ud;
    c->serial = (uint32_t)(hktime_now_ms() / 1000 % 10000) + 1;
    if (opend_frame_parser_init(&c->parser, 0, RBUF_SIZE) != 0)
        return -ENOMEM;
    if (opend_msg_arena_init(&c->arena, 0) != 0)
        goto fail;
    c->rbuf = malloc(RBUF_SIZE);
    c->rbuf_cap = RBUF_SIZE;
    c->out_cap = c->next_cap = 64 * 1024;
    c->out = malloc(c->out_cap);
    c->next = malloc(c->next_cap);
    if (!c->rbuf || !c->out || !c->next)
        goto fail;
    c->state = CLIENT_IDLE;
    return 0;
fail:
    opend_client_free(c);
    return -ENOMEM;
}

void opend_client_free(client *c)
{
    opend_frame_parser_free(&c->parser);
    if (c->arena.head)
        opend_msg_arena_free(&c->arena);
    free(c->rbuf);
    free(c->out);
    free(c->next);
    c->rbuf = c->out = c->next = NULL;
}

static void on_handle_closed(uv_handle_t *h)
{
    client *c = h->data;
    if (h == (uv_handle_t *)&c->tcp || h == (uv_handle_t *)&c->timer) {
        if (--c->handles_open > 0)
            return;
    }
    c->state = CLIENT_CLOSED;
    if (c->cbs.on_closed)
        c->cbs.on_closed(c, c->close_reason, c->close_detail, c->ud);
}

void opend_client_close(client *c, int reason, const char *detail)
{
    if (c->state == CLIENT_IDLE || c->state == CLIENT_CLOSING ||
        c->state == CLIENT_CLOSED)
        return;
    c->state = CLIENT_CLOSING;
    c->close_reason = reason;
    snprintf(c->close_detail, sizeof(c->close_detail), "%s",
             detail ? detail : opend_client_strerror(reason));
    /* Fail pending requests; callbacks may not issue new ones (closing). */
    while (c->n_pend > 0) {
        struct pending p = c->pend[--c->n_pend];
        p.cb(c, CLIENT_E_CLOSED, NULL, p.ud);
    }
    if (c->resolving)
        uv_cancel((uv_req_t *)&c->gai_req); /* on_resolved still runs */
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->timer);
    c->handles_open = 2;
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    size_t n = *cap;
    uint8_t *nb;
    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    nb = realloc(*buf, n);
    if (!nb)
        return -ENOMEM;
    *buf = nb;
    *cap = n;
    return 0;
}

static void flush(client *c);

static void on_write(uv_write_t *req, int status)
{
    client *c = req->data;
    c->writing = false;
    c->out_len = 0;
    if (status < 0) {
        if (status != UV_ECANCELED)
            opend_client_close(c, status, uv_strerror(status));
        return;
    }
    flush(c);
}

static void flush(client *c)
{
    uv_buf_t b;
    int rc;

    if (c->writing || c->next_len == 0 || c->state == CLIENT_CLOSING ||
        c->state == CLIENT_CLOSED)
        return;
    uint8_t *t = c->out;
    size_t tc = c->out_cap;
    c->out = c->next;
    c->out_cap = c->next_cap;
    c->out_len = c->next_len;
    c->next = t;
    c->next_cap = tc;
    c->next_len = 0;
    b = uv_buf_init((char *)c->out, (unsigned)c->out_len);
    c->wreq.data = c;
    rc = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
    if (rc != 0) {
        opend_client_close(c, rc, uv_strerror(rc));
        return;
    }
    c->writing = true;
}

/* Queue one packet. Returns 0 or a negative code. */
static int send_msg(client *c, uint32_t proto_id, uint32_t serial,
                    const ProtobufCMessage *m)
{
    bool rsa = c->opts.cipher && proto_id == PROTO_INIT_CONNECT;
    bool enc = rsa || (c->opts.cipher &&
                       opend_crypto_mode_get(c->opts.cipher) != CRYPTO_NONE);
    size_t need = opend_msg_packet_size(m, enc);
    size_t len = 0;
    int rc;

    if (grow(&c->next, &c->next_cap, c->next_len + need) != 0)
        return -ENOMEM;
    rc = opend_msg_pack_packet(proto_id, serial, m, c->opts.cipher, rsa,
                               c->next + c->next_len, c->next_cap - c->next_len,
                               &len);
    if (rc != 0)
        return rc;
    c->next_len += len;
    flush(c);
    return 0;
}

static int add_pending(client *c, uint32_t proto_id, uint32_t serial,
                       opend_client_reply_cb cb, void *ud)
{
    if (c->n_pend >= CLIENT_MAX_PENDING)
        return CLIENT_E_FULL;
    c->pend[c->n_pend++] = (struct pending){
        .serial = serial,
        .proto_id = proto_id,
        .deadline_ms = hktime_mono_ms() + c->opts.request_timeout_ms,
        .cb = cb,
        .ud = ud,
    };
    return 0;
}

int opend_client_request(client *c, uint32_t proto_id,
                         const ProtobufCMessage *req, opend_client_reply_cb cb,
                         void *ud)
{
    uint32_t serial;
    int rc;

    if (c->state != CLIENT_READY)
        return CLIENT_E_CLOSED;
    if (c->n_pend >= CLIENT_MAX_PENDING)
        return CLIENT_E_FULL;
    serial = ++c->serial;
    if (serial == 0)
        serial = ++c->serial;
    rc = send_msg(c, proto_id, serial, req);
    if (rc != 0)
        return rc;
    return add_pending(c, proto_id, serial, cb, ud);
}

static void on_keepalive(client *c, int status, const ProtobufCMessage *rsp,
                         void *ud)
{
    (void)c;
    (void)status;
    (void)rsp;
    (void)ud;
}

static void send_keepalive(client *c)
{
    KeepAlive__Request req = KEEP_ALIVE__REQUEST__INIT;
    KeepAlive__C2S c2s = KEEP_ALIVE__C2_S__INIT;
    c2s.time = hktime_now_ms() / 1000;
    req.c2s = &c2s;
    c->last_ka_ms = hktime_mono_ms();
    (void)opend_client_request(c, PROTO_KEEP_ALIVE, &req.base, on_keepalive,
                               NULL);
}

static void on_tick(uv_timer_t *t)
{
    client *c = t->data;
    int64_t now = hktime_mono_ms();

    if (c->state == CLIENT_CONNECTING || c->state == CLIENT_INIT) {
        if (now > c->state_deadline_ms)
            opend_client_close(c, CLIENT_E_CONNECT,
                               c->state == CLIENT_CONNECTING
                                   ? "connect timeout"
                                   : "InitConnect timeout");
        return;
    }
    if (c->state != CLIENT_READY)
        return;
    int64_t live = c->opts.liveness_ms;
    if (live <= 0) {
        live = 3LL * c->keepalive_sec * 1000;
        if (live < 30000)
            live = 30000;
    }
    if (now - c->last_rx_ms > live) {
        char d[96];
        snprintf(d, sizeof(d), "nothing received for %lld ms",
                 (long long)(now - c->last_rx_ms));
        opend_client_close(c, CLIENT_E_LIVENESS, d);
        return;
    }
    if (c->keepalive_sec > 0 &&
        now - c->last_ka_ms >= (int64_t)c->keepalive_sec * 800)
        send_keepalive(c);
    /* Expire requests (swap-remove keeps this O(n) and allocation-free). */
    for (int i = 0; i < c->n_pend && c->state == CLIENT_READY;) {
        if (c->pend[i].deadline_ms < now) {
            struct pending p = c->pend[i];
            c->pend[i] = c->pend[--c->n_pend];
            p.cb(c, CLIENT_E_TIMEOUT, NULL, p.ud);
        } else {
            i++;
        }
    }
}

static void handle_init_reply(client *c, const uint8_t *body, size_t len)
{
    InitConnect__Response *r = (InitConnect__Response *)opend_msg_unpack(
        &c->arena, &init_connect__response__descriptor, body, len);
    char d[256];

    if (!r) {
        opend_client_close(c, CLIENT_E_DECODE, "undecodable InitConnect reply");
        return;
    }
    if (r->rettype != 0 || !r->s2c) {
        snprintf(d, sizeof(d), "InitConnect refused ret=%d msg=%s", r->rettype,
                 r->retmsg ? r->retmsg : "");
        opend_client_close(c, CLIENT_E_REFUSED, d);
        return;
    }
    c->keepalive_sec =
        r->s2c->keepaliveinterval > 0 ? r->s2c->keepaliveinterval : 10;
    c->conn_id = r->s2c->connid;
    if (c->opts.cipher) {
        const char *key = r->s2c->connaeskey;
        const char *iv = r->s2c->aescbciv;
        if (!key || strlen(key) != 16 || (iv && strlen(iv) != 16) ||
            opend_crypto_set_aes(
                c->opts.cipher, iv ? CRYPTO_AES_CBC : CRYPTO_FTAES_ECB,
                (const uint8_t *)key, (const uint8_t *)iv) != 0) {
            opend_client_close(c, CLIENT_E_REFUSED,
                               "bad AES key/IV from OpenD");
            return;
        }
    }
    c->state = CLIENT_READY;
    c->last_ka_ms = hktime_mono_ms();
    if (c->cbs.on_ready)
        c->cbs.on_ready(c, r->s2c, c->ud);
}

static void dispatch(client *c, const opend_frame_header *h,
                     const uint8_t *body, size_t len, int64_t recv_ms)
{
    if (c->state == CLIENT_INIT) {
        if (h->proto_id == PROTO_INIT_CONNECT && h->serial == c->serial)
            handle_init_reply(c, body, len);
        return;
    }
    if (c->state != CLIENT_READY)
        return;
    if (h->proto_id == PROTO_QOT_UPDATE_TICKER || h->proto_id == PROTO_NOTIFY) {
        ProtobufCMessage *m = opend_msg_unpack(
            &c->arena, opend_msg_response_desc(h->proto_id), body, len);
        if (m && c->cbs.on_push)
            c->cbs.on_push(c, h->proto_id, m, recv_ms, c->ud);
        else if (!m && c->cbs.on_push)
            c->cbs.on_push(c, h->proto_id, NULL, recv_ms, c->ud);
        return;
    }
    for (int i = 0; i < c->n_pend; i++) {
        if (c->pend[i].serial != h->serial ||
            c->pend[i].proto_id != h->proto_id)
            continue;
        struct pending p = c->pend[i];
        c->pend[i] = c->pend[--c->n_pend];
        const ProtobufCMessageDescriptor *d =
            opend_msg_response_desc(h->proto_id);
        ProtobufCMessage *m =
            d ? opend_msg_unpack(&c->arena, d, body, len) : NULL;
        p.cb(c, m ? 0 : CLIENT_E_DECODE, m, p.ud);
        return;
    }
    /* Unmatched response: ignored, as the SDK does. */
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    client *c = h->data;
    (void)hint;
    *buf = uv_buf_init((char *)c->rbuf, (unsigned)c->rbuf_cap);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client *c = s->data;
    const uint8_t *p = (const uint8_t *)buf->base;
    size_t left;
    int64_t now;

    if (nread < 0) {
        opend_client_close(c, nread == UV_EOF ? CLIENT_E_EOF : (int)nread,
                           nread == UV_EOF ? "connection closed by OpenD"
                                           : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    now = hktime_now_ms();
    c->last_rx_ms = hktime_mono_ms();
    c->bytes_rx += nread;
    left = (size_t)nread;
    while (left > 0 && (c->state == CLIENT_INIT || c->state == CLIENT_READY)) {
        size_t used = 0;
        int rc = opend_frame_parser_feed(&c->parser, p, left, &used);
        p += used;
        left -= used;
        if (rc < 0) {
            opend_client_close(c, rc, opend_frame_strerror(rc));
            return;
        }
        if (rc == 0)
            break;
        const opend_frame_header *h;
        const uint8_t *body;
        size_t blen;
        opend_frame_parser_frame(&c->parser, &h, &body, &blen);
        c->frames_rx++;
        dispatch(c, h, body, blen, now);
        opend_msg_arena_reset(&c->arena);
    }
}

static void send_init(client *c)
{
    InitConnect__Request req = INIT_CONNECT__REQUEST__INIT;
    InitConnect__C2S c2s = INIT_CONNECT__C2_S__INIT;
    int rc;

    c2s.clientver = 300;
    c2s.clientid =
        (char *)(c->opts.client_id ? c->opts.client_id : "hk-tick-collector");
    c2s.has_recvnotify = 1;
    c2s.recvnotify = 1;
    c2s.has_packetencalgo = 1;
    c2s.packetencalgo = c->opts.cipher ? 2 : -1;
    c2s.has_pushprotofmt = 1;
    c2s.pushprotofmt = 0;
    c2s.programminglanguage = "C";
    req.c2s = &c2s;
    c->serial++;
    rc = send_msg(c, PROTO_INIT_CONNECT, c->serial, &req.base);
    if (rc != 0)
        opend_client_close(c, rc, "cannot send InitConnect");
}

static void on_connect(uv_connect_t *req, int status)
{
    client *c = req->data;
    int rc;

    if (c->state != CLIENT_CONNECTING)
        return;
    if (status < 0) {
        opend_client_close(c, CLIENT_E_CONNECT, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = CLIENT_INIT;
    c->last_rx_ms = hktime_mono_ms();
    rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc != 0) {
        opend_client_close(c, rc, uv_strerror(rc));
        return;
    }
    send_init(c);
}

static void start_connect(client *c, const struct sockaddr *sa)
{
    int rc = uv_tcp_connect(&c->conn_req, &c->tcp, sa, on_connect);
    if (rc != 0) /* reported through on_closed like any other failure */
        opend_client_close(c, CLIENT_E_CONNECT, uv_strerror(rc));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    client *c = req->data;

    c->resolving = false;
    if (c->state != CLIENT_CONNECTING) {
        /* closed (or cancelled) while resolving */
        uv_freeaddrinfo(res);
        return;
    }
    if (status < 0 || !res) {
        char d[160];
        snprintf(d, sizeof(d), "cannot resolve host: %s",
                 uv_strerror(status < 0 ? status : UV_EAI_NONAME));
        uv_freeaddrinfo(res);
        opend_client_close(c, CLIENT_E_CONNECT, d);
        return;
    }
    /* OpenD listens on IPv4 by default: prefer an IPv4 address. */
    const struct addrinfo *pick = res;
    for (const struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    start_connect(c, pick->ai_addr);
    uv_freeaddrinfo(res);
}

int opend_client_connect(client *c, const char *host, int port)
{
    struct addrinfo hints = {0};
    struct sockaddr_storage ss;
    char ps[16];
    int rc;

    if (c->state != CLIENT_IDLE && c->state != CLIENT_CLOSED)
        return UV_EBUSY;
    if (c->resolving)
        return UV_EBUSY; /* a cancelled lookup has not called back yet */
    opend_frame_parser_reset(&c->parser);
    opend_frame_parser_set_cipher(&c->parser, c->opts.cipher,
                                  c->opts.cipher != NULL);
    if (c->opts.cipher)
        opend_crypto_set_aes(c->opts.cipher, CRYPTO_NONE, NULL, NULL);
    opend_msg_arena_reset(&c->arena);
    c->next_len = c->out_len = 0;
    c->writing = false;
    c->n_pend = 0;
    c->keepalive_sec = 0;
    c->close_reason = 0;
    c->close_detail[0] = '\0';
    uv_tcp_init(c->loop, &c->tcp);
    uv_timer_init(c->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->conn_req.data = c;
    c->gai_req.data = c;
    c->state = CLIENT_CONNECTING;
    c->state_deadline_ms = hktime_mono_ms() + c->opts.connect_timeout_ms;
    uv_timer_start(&c->timer, on_tick, TICK_MS, TICK_MS);
    /* Numeric addresses connect at once; names are resolved on libuv's
     * thread pool so the event loop never blocks on DNS. */
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) == 0) {
        start_connect(c, (const struct sockaddr *)&ss);
        return 0;
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(ps, sizeof(ps), "%d", port);
    rc = uv_getaddrinfo(c->loop, &c->gai_req, on_resolved, host, ps, &hints);
    if (rc != 0) {
        opend_client_close(c, CLIENT_E_CONNECT, uv_strerror(rc));
        return 0;
    }
    c->resolving = true;
    return 0;
}
