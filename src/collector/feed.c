/*
 * feed.c - the OpenD session of the collector (see feed.h for the states):
 * set-up and tear-down, connect and reconnect with backoff, the session
 * reaching UP, the GetGlobalState monitor, and feed_enqueue, the one way
 * rows leave the feed. feed_push.c, feed_sub.c, feed_backfill.c and
 * feed_poll.c hold the rest (feed_int.h).
 *
 * Requests are pipelined: at most FEED_MAX_INFLIGHT Qot_GetTicker requests
 * per pipeline (backfill, poll) are outstanding, so a thousand symbols are
 * fetched in a few round trips and pushes, health and signals are never
 * delayed. All state here belongs to the event thread; the writer is
 * consulted only through its atomics (persisted_seq, the durable poll
 * baseline). The uv timers of every part are initialised and closed here.
 */
#include "collector/feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "collector/feed_int.h"
#include "common/hktime.h"
#include "common/log.h"

static void on_ready(client *c, const InitConnect__S2C *s2c, void *ud);
static void on_closed(client *c, int reason, const char *detail, void *ud);
static void on_check_timer(uv_timer_t *t);

static void new_sid(feed *f)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = (uint32_t)hktime_now_ms() ^ (uint32_t)getpid();
    snprintf(f->sid, sizeof(f->sid), "sid-%08x", r);
}

int feed_init(feed *f, config *cfg, uv_loop_t *loop, symtab *syms, queue *q,
              spool *sp, writer *w, opend_crypto_ctx *cipher)
{
    opend_client_opts co = {
        .connect_timeout_ms = cfg->connect_timeout_sec * 1000,
        .request_timeout_ms = cfg->request_timeout_sec * 1000,
        .liveness_ms = cfg->liveness_timeout_sec * 1000,
        .client_id = "hk-tick-collector",
        .cipher = cipher,
    };
    opend_client_callbacks cb = {on_ready, on_closed, feed__on_push};

    memset(f, 0, sizeof(*f));
    f->cfg = cfg;
    f->loop = loop;
    f->syms = syms;
    f->q = q;
    f->sp = sp;
    f->w = w;
    f->cipher = cipher;
    f->sess.backoff_sec = cfg->reconnect_min_delay;
    f->in.last_seen_mono = calloc(syms->cap, sizeof(int64_t));
    f->in.last_push_mono = calloc(syms->cap, sizeof(int64_t));
    f->in.rate_ticks = calloc(syms->cap, sizeof(double));
    f->in.rate_ms = calloc(syms->cap, sizeof(double));
    f->sub.cfg_idx = malloc(syms->cap * sizeof(int32_t));
    f->in.rows = malloc(FEED_MAP_CHUNK * sizeof(row));
    if (!f->in.last_seen_mono || !f->in.last_push_mono || !f->sub.cfg_idx ||
        !f->in.rows || !f->in.rate_ticks || !f->in.rate_ms)
        return -ENOMEM;
    for (uint32_t i = 0; i < syms->cap; i++)
        f->sub.cfg_idx[i] = -1;
    if (opend_client_init(&f->cl, loop, &co, &cb, f) != 0)
        return -ENOMEM;
    for (int i = 0; i < cfg->n_symbols; i++) {
        if (symtab_add(syms, cfg->symbols[i], strlen(cfg->symbols[i]),
                       syms->cap, &f->sub.ids[i]) != 0)
            return -ENOSPC;
        symtab_mark_configured(syms, f->sub.ids[i]);
        f->sub.cfg_idx[f->sub.ids[i]] = i;
    }
    uv_timer_init(loop, &f->sess.reconnect_timer);
    uv_timer_init(loop, &f->sess.check_timer);
    uv_timer_init(loop, &f->poll.timer);
    f->sess.reconnect_timer.data = f;
    f->sess.check_timer.data = f;
    f->poll.timer.data = f;
    new_sid(f);
    return 0;
}

void feed_free(feed *f)
{
    opend_client_free(&f->cl);
    free(f->in.last_seen_mono);
    free(f->in.last_push_mono);
    free(f->in.rate_ticks);
    free(f->in.rate_ms);
    free(f->sub.cfg_idx);
    free(f->in.rows);
}

static void schedule_reconnect(feed *f);

static void connect_now(feed *f)
{
    int rc;
    LOG(LOG_INFO, LC_FUTU, "futu_connecting host=%s port=%d", f->cfg->futu_host,
        f->cfg->futu_port);
    f->sess.state = FEED_CONNECTING;
    rc = opend_client_connect(&f->cl, f->cfg->futu_host, f->cfg->futu_port);
    if (rc != 0) {
        LOG(LOG_WARNING, LC_FUTU, "futu connection error: %s", uv_strerror(rc));
        f->sess.state = FEED_DOWN;
        /* on_closed will not run: schedule the retry here. */
        schedule_reconnect(f);
    }
}

static void on_reconnect_timer(uv_timer_t *t)
{
    feed *f = t->data;
    if (!f->sess.stopping && f->sess.state == FEED_DOWN)
        connect_now(f);
}

static void schedule_reconnect(feed *f)
{
    uint32_t r = 0;
    int delay = f->sess.backoff_sec;
    uint64_t jitter_ms;

    if (f->sess.stopping)
        return;
    (void)getrandom(&r, sizeof(r), GRND_NONBLOCK);
    /* Up to 20% jitter so many collectors do not reconnect in lockstep. */
    jitter_ms = (uint64_t)r % ((uint64_t)delay * 200 + 1);
    LOG(LOG_INFO, LC_FUTU, "reconnecting in %ds", delay);
    uv_timer_start(&f->sess.reconnect_timer, on_reconnect_timer,
                   (uint64_t)delay * 1000 + jitter_ms, 0);
    f->sess.backoff_sec = delay * 2 > f->cfg->reconnect_max_delay
                              ? f->cfg->reconnect_max_delay
                              : delay * 2;
}

void feed_start(feed *f)
{
    connect_now(f);
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

void feed_stop(feed *f)
{
    f->sess.stopping = true;
    uv_timer_stop(&f->sess.reconnect_timer);
    uv_timer_stop(&f->sess.check_timer);
    uv_timer_stop(&f->poll.timer);
    uv_close((uv_handle_t *)&f->sess.reconnect_timer, on_handle_closed);
    uv_close((uv_handle_t *)&f->sess.check_timer, on_handle_closed);
    uv_close((uv_handle_t *)&f->poll.timer, on_handle_closed);
    opend_client_close(&f->cl, CLIENT_E_CLOSED, "shutdown");
}

/* ---- enqueue ----------------------------------------------------------- */

static const char *source_name(int source)
{
    return row_push_type_str(source);
}

size_t feed_enqueue(feed *f, const row *rows, size_t n, int source)
{
    size_t done = 0;
    int rc;

    if (n == 0)
        return 0;
    f->c.queue_in += (int64_t)n;
    if (spool_pending(f->sp) == 0)
        done = queue_push(f->q, rows, n);
    if (done == n)
        return 0;
    rc = spool_append(f->sp, rows + done, n - done, f->syms);
    if (rc == 0) {
        f->c.spilled += (int64_t)(n - done);
        queue_kick(f->q);
        return 0;
    }
    size_t lost = n - done;
    f->c.dropped_queue_full += (int64_t)lost;
    LOG(LOG_WARNING, LC_COLLECTOR,
        "enqueue_failed source=%s rows=%zu queue_size=%zu queue_maxsize=%zu "
        "err=\"%s\"",
        source_name(source), lost, queue_len(f->q), f->q->cap, strerror(-rc));
    feed_recovery_fetch(f, "enqueue_failed");
    return lost;
}

/* ---- GetGlobalState monitor ------------------------------------------------
 */

static void on_check_reply(client *c, int status, const ProtobufCMessage *m,
                           void *ud)
{
    feed *f = c->ud;
    const GetGlobalState__Response *r = (const GetGlobalState__Response *)m;
    (void)ud;

    if (status == CLIENT_E_CLOSED)
        return;
    if (status != 0 || r->rettype != 0 || !r->s2c) {
        const char *msg = status != 0 ? opend_client_strerror(status)
                          : r->retmsg ? r->retmsg
                                      : "no s2c";
        char q[256];
        LOG(LOG_WARNING, LC_FUTU,
            "futu_disconnected reason=get_global_state_failed msg=%s",
            log_quote(msg, q, sizeof(q)));
        opend_client_close(&f->cl, CLIENT_E_TIMEOUT, "get_global_state_failed");
        return;
    }
    if (!r->s2c->qotlogined) {
        LOG(LOG_WARNING, LC_FUTU,
            "futu_disconnected reason=qot_logined_false msg=none");
        opend_client_close(&f->cl, CLIENT_E_CLOSED, "qot_logined=false");
    }
}

static void on_check_timer(uv_timer_t *t)
{
    feed *f = t->data;
    GetGlobalState__Request req = GET_GLOBAL_STATE__REQUEST__INIT;
    GetGlobalState__C2S c2s = GET_GLOBAL_STATE__C2_S__INIT;

    if (f->sess.state != FEED_UP)
        return;
    c2s.userid = 0;
    req.c2s = &c2s;
    (void)opend_client_request(&f->cl, PROTO_GET_GLOBAL_STATE, &req.base,
                               on_check_reply, UD(FEED_REQ_CHECK, 0));
}

/* ---- session up / resubscribe ----------------------------------------- */

void feed__session_up(feed *f)
{
    f->sess.state = FEED_UP;
    f->sess.connected_since_mono = hktime_mono_ms();
    f->sess.backoff_sec = f->cfg->reconnect_min_delay;
    LOG(LOG_INFO, LC_FUTU, "futu_connected host=%s port=%d", f->cfg->futu_host,
        f->cfg->futu_port);
    uv_timer_start(&f->sess.check_timer, on_check_timer,
                   (uint64_t)f->cfg->check_interval_sec * 1000,
                   (uint64_t)f->cfg->check_interval_sec * 1000);
    feed__poll_start(f);
    if (!f->sess.ever_connected) {
        f->sess.ever_connected = true;
        if (f->on_first_up)
            f->on_first_up(f);
    }
    if (f->cfg->backfill_n > 0)
        feed__backfill_start(f, f->cfg->backfill_n);
}

void feed_resubscribe(feed *f)
{
    f->sess.backoff_sec = f->cfg->reconnect_min_delay;
    opend_client_close(&f->cl, CLIENT_E_CLOSED, "admin resubscribe");
}

/* ---- client callbacks -------------------------------------------------- */

static void on_ready(client *c, const InitConnect__S2C *s2c, void *ud)
{
    feed *f = ud;
    (void)c;
    new_sid(f);
    LOG(LOG_INFO, LC_FUTU,
        "futu_init_connect conn_id=%llu server_ver=%d keepalive_sec=%d "
        "sid=%s",
        (unsigned long long)s2c->connid, s2c->serverver, s2c->keepaliveinterval,
        f->sid);
    f->sess.state = FEED_SUBSCRIBING;
    f->sess.qot = FEED_QOT_UP;
    feed__subscribe_all(f);
}

static void on_closed(client *c, int reason, const char *detail, void *ud)
{
    feed *f = ud;
    char q[300];
    bool was_up = f->sess.state == FEED_UP;
    (void)c;

    uv_timer_stop(&f->sess.check_timer);
    feed__poll_stop(f);
    f->bf.inflight = 0;
    f->sess.state = FEED_DOWN;
    if (f->sess.stopping)
        return;
    f->c.disconnects++;
    if (was_up) {
        LOG(LOG_WARNING, LC_FUTU, "futu_disconnected reason=%s msg=%s",
            reason == CLIENT_E_LIVENESS          ? "liveness_timeout"
            : reason == CLIENT_E_EOF             ? "context_closed"
            : reason <= -1001 && reason >= -1099 ? "bad_frame"
                                                 : "connection_error",
            log_quote(detail, q, sizeof(q)));
        LOG(LOG_WARNING, LC_COLLECTOR,
            "alert_event code=DISCONNECT eid=e%s sid=%s error_type=%s",
            f->sid + 4, f->sid, opend_client_strerror(reason));
    }
    LOG(LOG_WARNING, LC_FUTU, "futu connection error: %s",
        log_quote(detail, q, sizeof(q)));
    f->c.reconnects++;
    schedule_reconnect(f);
}
