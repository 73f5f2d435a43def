/*
 * server.c - libuv TCP server, connection I/O, pushes and connection
 * faults of the simulated OpenD.
 *
 * Reading: one 64 KiB read buffer for the whole server (libuv calls the
 * alloc and read callbacks back to back on the loop thread). Bytes go
 * through the connection's opend_frame_parser; each complete frame is handed to
 * handler_dispatch. A parser error closes that connection only. With
 * --rsa-key the parser starts RSA-decrypting InitConnect; if that fails
 * but the raw body's SHA1 matches, the client spoke plaintext and is
 * served without encryption.
 *
 * Writing: packets are packed straight into the connection's queue `q`.
 * At most one uv_write is in flight: its bytes live in `inflight`, which
 * is swapped with `q` when the previous write completes, so queued data
 * never moves under libuv. Backlog = unsent bytes of both; above 64 MiB
 * the client is closed. Buffers only grow to their high-water mark.
 * Dribble: while a connection dribbles, a 2 ms server timer writes one
 * byte of `q` per tick instead.
 *
 * Pushes: every connection keeps, per symbol, the index of the next tick
 * to push (csym.cursor). server_flush_pushes walks the registered TICKER
 * pushes and sends [cursor, total) in frames of up to ticks_per_push
 * ticks. Silent, withheld and wedged connections skip ahead (those ticks
 * are only available through Qot_GetTicker); during a ConnStatus flap the
 * cursors stay put and at the end at most 50 of the missed ticks per
 * symbol go out as ByDisConn.
 *
 * Everything runs on the event-loop thread.
 */
#include "sim/server_int.h"

#include <errno.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "common/log.h"

static size_t backlog(const conn *c)
{
    return (c->q.len - c->q.off) + (c->inflight.len - c->inflight.off);
}

/* Room for n more bytes at q->data + q->len, or NULL. */
static uint8_t *obuf_reserve(obuf *b, size_t n)
{
    size_t need;
    size_t cap;
    uint8_t *nd;

    if (b->off > 0 && b->cap - b->len < n) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    need = b->len + n;
    if (need <= b->cap)
        return b->data + b->len;
    if (need > SERVER_BACKLOG_MAX + (8u << 20))
        return NULL;
    cap = b->cap ? b->cap : 16384;
    while (cap < need)
        cap *= 2;
    nd = realloc(b->data, cap);
    if (!nd)
        return NULL;
    b->data = nd;
    b->cap = cap;
    return b->data + b->len;
}

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    server *s = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    opend_frame_parser_free(&c->parser);
    opend_msg_arena_free(&c->arena);
    opend_crypto_free(c->crypto);
    free(c->q.data);
    free(c->inflight.data);
    free(c->syms);
    free(c);
}

void conn_close(conn *c, const char *reason)
{
    if (c->closing)
        return;
    c->closing = true;
    LOG(LOG_INFO, LC_SIM,
        "client_disconnected conn_id=%llu peer=%s reason=%s backlog=%zu",
        (unsigned long long)c->id, c->peer, reason, backlog(c));
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void kick(conn *c);

static void on_write(uv_write_t *req, int status)
{
    conn *c = req->data;

    c->writing = false;
    c->inflight.off = 0;
    c->inflight.len = 0;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c, "write_error");
        return;
    }
    kick(c);
}

static bool dribbling(const conn *c)
{
    return c->dribble_until != 0;
}

/* Start writing queued bytes unless a write is in flight. */
static void kick(conn *c)
{
    obuf t;
    uv_buf_t b;

    if (c->writing || c->closing || dribbling(c) || c->q.len == c->q.off)
        return;
    t = c->inflight;
    c->inflight = c->q;
    c->q = t;
    c->q.off = 0;
    c->q.len = 0;
    b = uv_buf_init((char *)c->inflight.data + c->inflight.off,
                    (unsigned)(c->inflight.len - c->inflight.off));
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        conn_close(c, "write_error");
        return;
    }
    c->writing = true;
}

static bool check_backlog(conn *c)
{
    if (backlog(c) <= SERVER_BACKLOG_MAX)
        return true;
    c->srv->st.backlog_closes++;
    conn_close(c, "write_backlog_over_64MiB");
    return false;
}

int conn_send(conn *c, uint32_t proto_id, uint32_t serial,
              const ProtobufCMessage *m, bool rsa, bool bad_sha1)
{
    bool enc = c->crypto && (rsa || c->enc_active);
    size_t need;
    size_t outlen;
    uint8_t *p;
    int rc;

    if (c->closing || c->wedged)
        return -1;
    need = opend_msg_packet_size(m, enc);
    p = obuf_reserve(&c->q, need);
    if (!p) {
        conn_close(c, "out_of_memory");
        return -1;
    }
    rc = opend_msg_pack_packet(proto_id, serial, m, enc ? c->crypto : NULL, rsa,
                               p, need, &outlen);
    if (rc != 0) {
        LOG(LOG_ERROR, LC_SIM, "pack_failed conn_id=%llu proto=%u err=%s",
            (unsigned long long)c->id, proto_id, opend_frame_strerror(rc));
        conn_close(c, "pack_failed");
        return -1;
    }
    if (bad_sha1)
        p[16] ^= 0x5a;
    c->q.len += outlen;
    if (!check_backlog(c))
        return -1;
    kick(c);
    return 0;
}

void *conn_alloc(conn *c, size_t n)
{
    return c->arena.alloc.alloc(c->arena.alloc.allocator_data, n);
}

void server_fill_ticker(server *s, size_t i, const market_tick *k,
                        int push_type)
{
    QotCommon__Ticker *t = &s->tk[i];

    qot__common__ticker__init(t);
    hktime_format_hk_ms(k->ts_ms, s->times[i]);
    t->time = s->times[i];
    t->sequence = k->seq;
    t->dir = k->dir;
    t->price = k->price;
    t->volume = k->volume;
    t->turnover = k->turnover;
    t->has_type = 1;
    t->type = k->type;
    if (push_type) {
        t->has_pushdatatype = 1;
        t->pushdatatype = push_type;
    }
    t->has_timestamp = 1;
    t->timestamp = (double)k->ts_ms / 1000.0;
    s->tkp[i] = t;
}

int64_t server_used_units(const server *s)
{
    int64_t units = 0;

    for (size_t y = 0; y < s->nsym; y++) {
        uint32_t all = 0;
        for (const conn *c = s->conns; c; c = c->next)
            if (!c->closing)
                all |= c->syms[y].sub;
        units += __builtin_popcount(all);
    }
    return units;
}

void server_notify_connstatus(conn *c, bool qot_logined)
{
    Notify__Response r = NOTIFY__RESPONSE__INIT;
    Notify__S2C s2c = NOTIFY__S2_C__INIT;
    Notify__ConnectStatus cs = NOTIFY__CONNECT_STATUS__INIT;

    if (!c->ready || !c->recv_notify || c->srv->f->silent)
        return;
    cs.qotlogined = qot_logined;
    cs.trdlogined = false;
    s2c.type = 3; /* NotifyType_ConnStatus */
    s2c.connectstatus = &cs;
    r.rettype = 0;
    r.s2c = &s2c;
    conn_send(c, PROTO_NOTIFY, 0, &r.base, false, false);
}

/* Push ticks [from, to) of sym to c in frames of ticks_per_push. */
static void push_range(server *s, conn *c, uint32_t sym, uint64_t from,
                       uint64_t to, int push_type)
{
    QotUpdateTicker__Response r = QOT__UPDATE_TICKER__RESPONSE__INIT;
    QotUpdateTicker__S2C s2c = QOT__UPDATE_TICKER__S2_C__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    size_t per = (size_t)s->cfg.ticks_per_push;

    sec.market = market_qot_market(s->m, sym);
    sec.code = (char *)market_code(s->m, sym);
    s2c.security = &sec;
    s2c.name = (char *)market_name(s->m, sym);
    s2c.tickerlist = s->tkp;
    r.rettype = 0;
    r.s2c = &s2c;
    while (from < to && !c->closing && !c->wedged) {
        size_t n = 0;

        while (n < per && from < to) {
            const market_tick *k = market_tick_at(s->m, sym, from++);
            if (k)
                server_fill_ticker(s, n++, k, push_type);
        }
        if (n == 0)
            continue;
        s2c.n_tickerlist = n;
        if (conn_send(c, PROTO_QOT_UPDATE_TICKER, 0, &r.base, false,
                      c->badsha1) != 0)
            return;
        if (c->badsha1) {
            c->badsha1 = false;
            LOG(LOG_INFO, LC_SIM, "fault_badsha1_sent conn_id=%llu",
                (unsigned long long)c->id);
        }
        s->st.push_frames++;
        s->st.pushed_ticks += n;
        if (s->f->dup && conn_send(c, PROTO_QOT_UPDATE_TICKER, 0, &r.base,
                                   false, false) == 0) {
            s->st.push_frames++;
            s->st.pushed_ticks += n;
        }
    }
}

void server_flush_pushes(server *s)
{
    int64_t now = (int64_t)uv_now(s->cfg.loop);

    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || !c->ready)
            continue;
        for (uint32_t y = 0; y < s->nsym && !c->closing; y++) {
            csym *cs = &c->syms[y];
            uint64_t total = market_total(s->m, y);
            uint64_t oldest;

            if (!(cs->reg & TICKER_BIT) || cs->cursor >= total)
                continue;
            if (s->f->silent || c->wedged || faults_withheld(s->f, y, now)) {
                s->st.skipped_ticks += total - cs->cursor;
                cs->cursor = total;
                continue;
            }
            if (s->f->flap_active)
                continue;
            oldest = market_oldest(s->m, y);
            if (cs->cursor < oldest) {
                s->st.skipped_ticks += oldest - cs->cursor;
                cs->cursor = oldest;
            }
            push_range(s, c, y, cs->cursor, total, 1);
            cs->cursor = total;
        }
    }
}

static void flap_end(server *s)
{
    s->f->flap_active = false;
    LOG(LOG_INFO, LC_SIM, "fault_connstatus_flap_end");
    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || !c->ready)
            continue;
        server_notify_connstatus(c, true);
        for (uint32_t y = 0; y < s->nsym && !c->closing; y++) {
            csym *cs = &c->syms[y];
            uint64_t total = market_total(s->m, y);
            uint64_t held = total - market_oldest(s->m, y);
            uint64_t missed = total - cs->cursor;
            uint64_t k = missed;

            if (!(cs->reg & TICKER_BIT) || missed == 0)
                continue;
            if (k > SERVER_BYDISCONN_MAX)
                k = SERVER_BYDISCONN_MAX;
            if (k > held)
                k = held;
            s->st.skipped_ticks += missed - k;
            if (!s->f->silent && !c->wedged)
                push_range(s, c, y, total - k, total, 2);
            cs->cursor = total;
        }
    }
}

void server_flap_start(server *s, double sec)
{
    int64_t now = (int64_t)uv_now(s->cfg.loop);
    bool was = s->f->flap_active;

    s->f->flap_active = true;
    s->f->flap_until_ms = now + (int64_t)(sec * 1000.0);
    LOG(LOG_INFO, LC_SIM, "fault_connstatus_flap sec=%.3f", sec);
    if (was)
        return;
    /* Everything stored so far has been pushed; later ticks are missed. */
    server_flush_pushes(s);
    for (conn *c = s->conns; c; c = c->next)
        if (!c->closing)
            server_notify_connstatus(c, false);
}

static void dribble_step(conn *c)
{
    uv_buf_t b;
    uint8_t *p;

    if (c->writing || c->q.len == c->q.off)
        return;
    p = obuf_reserve(&c->inflight, 1);
    if (!p) {
        conn_close(c, "out_of_memory");
        return;
    }
    *p = c->q.data[c->q.off++];
    c->inflight.len++;
    b = uv_buf_init((char *)c->inflight.data + c->inflight.off, 1);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        conn_close(c, "write_error");
        return;
    }
    c->writing = true;
}

static void on_dribble_timer(uv_timer_t *t)
{
    server *s = t->data;
    int64_t now = (int64_t)uv_now(s->cfg.loop);
    bool any = false;

    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || !dribbling(c))
            continue;
        if (now >= c->dribble_until) {
            c->dribble_until = 0;
            LOG(LOG_INFO, LC_SIM, "fault_dribble_end conn_id=%llu",
                (unsigned long long)c->id);
            kick(c);
            continue;
        }
        any = true;
        dribble_step(c);
    }
    if (!any) {
        uv_timer_stop(t);
        s->dribble_running = false;
    }
}

static void dribble_begin(server *s, conn *c, double sec)
{
    c->dribble_until = (int64_t)uv_now(s->cfg.loop) + (int64_t)(sec * 1000.0);
    if (c->dribble_until == 0)
        c->dribble_until = 1;
    if (!s->dribble_running && !s->closing) {
        uv_timer_start(&s->dribble_timer, on_dribble_timer, SERVER_DRIBBLE_MS,
                       SERVER_DRIBBLE_MS);
        s->dribble_running = true;
    }
}

void server_tick(server *s, int64_t now_ms)
{
    int64_t idle_ms = s->cfg.idle_close * s->cfg.keepalive_sec * 1000LL;

    if (s->f->flap_active && now_ms >= s->f->flap_until_ms)
        flap_end(s);
    if (idle_ms <= 0)
        return;
    for (conn *c = s->conns; c; c = c->next)
        if (!c->closing && now_ms - c->last_rx_ms >= idle_ms)
            conn_close(c, "idle_timeout");
}

/* Feed bytes; returns false once the connection is closing. */
static bool feed(conn *c, const uint8_t *data, size_t n)
{
    size_t off = 0;

    while (off < n && !c->closing) {
        const opend_frame_header *h;
        const uint8_t *body;
        size_t blen;
        size_t used;
        int rc =
            opend_frame_parser_feed(&c->parser, data + off, n - off, &used);

        off += used;
        c->rsa_in = c->crypto && !c->ready && c->parser.rsa_init &&
                    c->parser.hdr.proto_id == PROTO_INIT_CONNECT;
        if (rc == FRAME_E_CRYPT && c->rsa_in) {
            /* Plaintext InitConnect to a keyed server: check raw SHA1. */
            uint8_t d[FRAME_SHA1_LEN];
            opend_frame_header hdr = c->parser.hdr;

            SHA1(c->parser.body, c->parser.body_have, d);
            if (memcmp(d, hdr.sha1, FRAME_SHA1_LEN) == 0) {
                opend_frame_parser_reset(&c->parser);
                c->rsa_in = false;
                c->last_rx_ms = (int64_t)uv_now(c->srv->cfg.loop);
                handler_dispatch(c, &hdr, c->parser.body, hdr.body_len);
                continue;
            }
        }
        if (rc < 0) {
            LOG(LOG_WARNING, LC_SIM,
                "client_frame_error conn_id=%llu err=\"%s\"",
                (unsigned long long)c->id, opend_frame_strerror(rc));
            conn_close(c, "frame_error");
            return false;
        }
        if (rc == 1) {
            opend_frame_parser_frame(&c->parser, &h, &body, &blen);
            c->last_rx_ms = (int64_t)uv_now(c->srv->cfg.loop);
            handler_dispatch(c, h, body, blen);
        }
    }
    return !c->closing;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn *c = h->data;

    (void)suggested;
    *buf = uv_buf_init((char *)c->srv->rbuf, sizeof(c->srv->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = st->data;

    if (nread < 0) {
        conn_close(c, nread == UV_EOF ? "eof" : uv_err_name((int)nread));
        return;
    }
    if (nread > 0)
        feed(c, (const uint8_t *)buf->base, (size_t)nread);
}

static void peer_name(conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char host[48] = "?";
    int port = 0;

    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, host, sizeof(host));
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(c->peer, sizeof(c->peer), "%s:%d", host, port);
}

static int conn_setup(server *s, conn *c)
{
    char err[128];

    c->srv = s;
    c->tcp.data = c;
    c->syms = calloc(s->nsym, sizeof(*c->syms));
    if (!c->syms)
        return -ENOMEM;
    if (opend_frame_parser_init(&c->parser, 0, 4096) != 0 ||
        opend_msg_arena_init(&c->arena, 0) != 0)
        return -ENOMEM;
    if (s->rsa_pem) {
        if (opend_crypto_open_pem(s->rsa_pem, strlen(s->rsa_pem), &c->crypto,
                                  err, sizeof(err)) != 0) {
            LOG(LOG_ERROR, LC_SIM, "crypto_open_failed reason=\"%s\"", err);
            return -EINVAL;
        }
        opend_frame_parser_set_cipher(&c->parser, c->crypto, true);
    }
    return 0;
}

static void on_connection(uv_stream_t *ls, int status)
{
    server *s = ls->data;
    conn *c;

    if (status < 0 || s->closing)
        return;
    c = calloc(1, sizeof(*c));
    if (!c)
        return;
    uv_tcp_init(s->cfg.loop, &c->tcp);
    c->tcp.data = c;
    c->srv = s;
    c->id = ++s->next_id;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) != 0) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    s->st.accepted++;
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(c);
    c->last_rx_ms = (int64_t)uv_now(s->cfg.loop);
    LOG(LOG_INFO, LC_SIM, "client_connected conn_id=%llu peer=%s",
        (unsigned long long)c->id, c->peer);
    if (conn_setup(s, c) != 0) {
        conn_close(c, "setup_failed");
        return;
    }
    if (s->cfg.dribble_sec > 0)
        dribble_begin(s, c, s->cfg.dribble_sec);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        conn_close(c, "read_start_failed");
}

static int copy_config(server *s, const server_config *cfg)
{
    s->cfg = *cfg;
    s->m = cfg->market;
    s->f = cfg->faults;
    s->nsym = market_symbol_count(cfg->market);
    s->not_sub_msg =
        strdup(cfg->not_sub_msg ? cfg->not_sub_msg : "Not subscribed");
    s->req_mask = calloc(s->nsym, sizeof(*s->req_mask));
    if (!s->not_sub_msg || !s->req_mask)
        return -ENOMEM;
    if (cfg->rsa_pem) {
        s->rsa_pem = strndup(cfg->rsa_pem, cfg->rsa_pem_len);
        if (!s->rsa_pem)
            return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->ndeny; i++)
        if (server_deny(s, cfg->deny[i]) != 0)
            return -ENOMEM;
    s->cfg.deny = NULL;
    s->cfg.rsa_pem = NULL;
    s->cfg.not_sub_msg = NULL;
    rng_seed(&s->keys, cfg->seed ^ 0x5eed5eed5eedULL);
    return 0;
}

static void free_fields(server *s)
{
    for (size_t i = 0; i < s->ndeny; i++)
        free(s->deny[i]);
    free(s->deny);
    free(s->not_sub_msg);
    free(s->rsa_pem);
    free(s->req_mask);
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
}

int server_open(server **out, const server_config *cfg, char *err,
                size_t errlen)
{
    server *s = calloc(1, sizeof(*s));
    struct sockaddr_storage addr;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    int rc;

    if (!s || copy_config(s, cfg) != 0) {
        if (s)
            free_fields(s);
        free(s);
        snprintf(err, errlen, "out of memory");
        return UV_ENOMEM;
    }
    rc = uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr);
    if (rc != 0)
        rc = uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr);
    if (rc != 0) {
        snprintf(err, errlen, "bad listen address %s", cfg->host);
        free_fields(s);
        free(s);
        return rc;
    }
    uv_tcp_init(cfg->loop, &s->listener);
    uv_timer_init(cfg->loop, &s->dribble_timer);
    s->listener.data = s;
    s->dribble_timer.data = s;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
    if (rc == 0)
        rc = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &len);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->host,
                 cfg->port, uv_strerror(rc));
        server_close(s);
        uv_run(cfg->loop, UV_RUN_NOWAIT);
        server_free(s);
        return rc;
    }
    s->port = ntohs(bound.ss_family == AF_INET
                        ? ((struct sockaddr_in *)&bound)->sin_port
                        : ((struct sockaddr_in6 *)&bound)->sin6_port);
    *out = s;
    return 0;
}

int server_port(const server *s)
{
    return s->port;
}

void server_close(server *s)
{
    if (!s || s->closing)
        return;
    s->closing = true;
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    uv_close((uv_handle_t *)&s->dribble_timer, on_listener_closed);
    for (conn *c = s->conns; c; c = c->next)
        conn_close(c, "shutdown");
}

void server_free(server *s)
{
    if (!s)
        return;
    free_fields(s);
    free(s);
}

int server_close_conn(server *s, uint64_t id)
{
    int n = 0;

    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || (id != 0 && c->id != id))
            continue;
        LOG(LOG_INFO, LC_SIM, "fault_close conn_id=%llu",
            (unsigned long long)c->id);
        conn_close(c, "fault_close");
        n++;
    }
    return n;
}

int server_badsha1(server *s, uint64_t id)
{
    int n = 0;

    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || (id != 0 && c->id != id))
            continue;
        c->badsha1 = true;
        n++;
    }
    return n;
}

int server_oversize(server *s, uint64_t id)
{
    int n = 0;

    for (conn *c = s->conns; c; c = c->next) {
        opend_frame_header h;
        uint8_t *p;

        if (c->closing || c->wedged || (id != 0 && c->id != id))
            continue;
        memset(&h, 0, sizeof(h));
        h.proto_id = PROTO_QOT_UPDATE_TICKER;
        h.body_len = SERVER_OVERSIZE_LEN;
        p = obuf_reserve(&c->q, FRAME_HEADER_LEN);
        if (!p) {
            conn_close(c, "out_of_memory");
            continue;
        }
        opend_frame_header_write(&h, p);
        c->q.len += FRAME_HEADER_LEN;
        c->wedged = true;
        LOG(LOG_INFO, LC_SIM, "fault_oversize conn_id=%llu body_len=%u",
            (unsigned long long)c->id, SERVER_OVERSIZE_LEN);
        kick(c);
        n++;
    }
    return n;
}

int server_dribble(server *s, uint64_t id, double sec)
{
    int n = 0;

    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || (id != 0 && c->id != id))
            continue;
        dribble_begin(s, c, sec);
        LOG(LOG_INFO, LC_SIM, "fault_dribble conn_id=%llu sec=%.3f",
            (unsigned long long)c->id, sec);
        n++;
    }
    return n;
}

void server_set_quota(server *s, int64_t quota)
{
    s->cfg.quota = quota;
}

int server_deny(server *s, const char *symbol)
{
    char **nd;

    for (size_t i = 0; i < s->ndeny; i++)
        if (strcmp(s->deny[i], symbol) == 0)
            return 0;
    nd = realloc(s->deny, (s->ndeny + 1) * sizeof(*nd));
    if (!nd)
        return -ENOMEM;
    s->deny = nd;
    s->deny[s->ndeny] = strdup(symbol);
    if (!s->deny[s->ndeny])
        return -ENOMEM;
    s->ndeny++;
    return 0;
}

int server_inject(server *s, int qot_market, const char *code,
                  const QotCommon__Ticker *t)
{
    QotUpdateTicker__Response r = QOT__UPDATE_TICKER__RESPONSE__INIT;
    QotUpdateTicker__S2C s2c = QOT__UPDATE_TICKER__S2_C__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    QotCommon__Ticker *list[1] = {(QotCommon__Ticker *)t};
    int y = market_find(s->m, qot_market, code, strlen(code));
    bool any_sub = false;
    int sent = 0;

    sec.market = qot_market;
    sec.code = (char *)code;
    s2c.security = &sec;
    s2c.tickerlist = list;
    s2c.n_tickerlist = 1;
    r.rettype = 0;
    r.s2c = &s2c;
    for (conn *c = s->conns; c && y >= 0; c = c->next)
        if (!c->closing && c->ready && (c->syms[y].reg & TICKER_BIT))
            any_sub = true;
    for (conn *c = s->conns; c; c = c->next) {
        if (c->closing || !c->ready || c->wedged)
            continue;
        if (any_sub && !(c->syms[y].reg & TICKER_BIT))
            continue;
        if (conn_send(c, PROTO_QOT_UPDATE_TICKER, 0, &r.base, false, false) ==
            0)
            sent++;
    }
    return sent;
}

void server_stats_get(const server *s, server_stats *st)
{
    *st = s->st;
    st->clients = 0;
    st->ready = 0;
    st->backlog_max = 0;
    for (const conn *c = s->conns; c; c = c->next) {
        if (c->closing)
            continue;
        st->clients++;
        st->ready += c->ready;
        if (backlog(c) > st->backlog_max)
            st->backlog_max = backlog(c);
    }
    st->subscribed = (uint64_t)server_used_units(s);
}

bool server_has_push_clients(const server *s)
{
    for (const conn *c = s->conns; c; c = c->next) {
        if (c->closing || !c->ready)
            continue;
        for (size_t y = 0; y < s->nsym; y++)
            if (c->syms[y].reg & TICKER_BIT)
                return true;
    }
    return false;
}

size_t server_backlog_max(const server *s)
{
    size_t mx = 0;

    for (const conn *c = s->conns; c; c = c->next)
        if (!c->closing && backlog(c) > mx)
            mx = backlog(c);
    return mx;
}
