/*
 * feed.c - OpenD session logic of the collector (see feed.h).
 *
 * Requests are pipelined: at most FEED_MAX_INFLIGHT Qot_GetTicker requests
 * per pipeline (backfill, poll) are outstanding, so a thousand symbols are
 * fetched in a few round trips and pushes, health and signals are never
 * delayed. Request user data packs the pipeline kind and the symbol index.
 * All state here belongs to the event thread; the writer is consulted only
 * through its atomics (persisted_seq, the durable poll baseline).
 */
#include "collector/feed.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"

#define KIND_BACKFILL 1u
#define KIND_POLL 2u
#define KIND_SUB 3u
#define KIND_UNSUB 4u
#define KIND_CHECK 5u
#define UD(kind, idx) ((void *)(uintptr_t)(((kind) << 24) | (uint32_t)(idx)))
#define UD_KIND(ud) ((uint32_t)(uintptr_t)(ud) >> 24)
#define UD_IDX(ud) ((int)((uint32_t)(uintptr_t)(ud)&0xffffff))

static void on_ready(client *c, const InitConnect__S2C *s2c, void *ud);
static void on_closed(client *c, int reason, const char *detail, void *ud);
static void on_push(client *c, uint32_t proto_id, const ProtobufCMessage *m,
                    int64_t recv_ms, void *ud);
static void pump_backfill(feed *f);
static void pump_poll(feed *f);

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
    opend_client_callbacks cb = {on_ready, on_closed, on_push};

    memset(f, 0, sizeof(*f));
    f->cfg = cfg;
    f->loop = loop;
    f->syms = syms;
    f->q = q;
    f->sp = sp;
    f->w = w;
    f->cipher = cipher;
    f->backoff_sec = cfg->reconnect_min_delay;
    f->last_seen_mono = calloc(syms->cap, sizeof(int64_t));
    f->last_push_mono = calloc(syms->cap, sizeof(int64_t));
    f->rate_ticks = calloc(syms->cap, sizeof(double));
    f->rate_ms = calloc(syms->cap, sizeof(double));
    f->cfg_idx = malloc(syms->cap * sizeof(int32_t));
    f->rows = malloc(FEED_MAP_CHUNK * sizeof(row));
    if (!f->last_seen_mono || !f->last_push_mono || !f->cfg_idx || !f->rows ||
        !f->rate_ticks || !f->rate_ms)
        return -ENOMEM;
    for (uint32_t i = 0; i < syms->cap; i++)
        f->cfg_idx[i] = -1;
    if (opend_client_init(&f->cl, loop, &co, &cb, f) != 0)
        return -ENOMEM;
    f->unsolicited_limit =
        syms->cap -
        (FEED_SYM_RESERVE < syms->cap / 2 ? FEED_SYM_RESERVE : syms->cap / 2);
    for (int i = 0; i < cfg->n_symbols; i++) {
        if (symtab_add(syms, cfg->symbols[i], strlen(cfg->symbols[i]),
                       syms->cap, &f->sub_ids[i]) != 0)
            return -ENOSPC;
        f->cfg_idx[f->sub_ids[i]] = i;
    }
    uv_timer_init(loop, &f->reconnect_timer);
    uv_timer_init(loop, &f->check_timer);
    uv_timer_init(loop, &f->poll_timer);
    f->reconnect_timer.data = f;
    f->check_timer.data = f;
    f->poll_timer.data = f;
    new_sid(f);
    return 0;
}

void feed_free(feed *f)
{
    opend_client_free(&f->cl);
    free(f->last_seen_mono);
    free(f->last_push_mono);
    free(f->rate_ticks);
    free(f->rate_ms);
    free(f->cfg_idx);
    free(f->rows);
}

static void schedule_reconnect(feed *f);

static void connect_now(feed *f)
{
    int rc;
    LOG(LOG_INFO, LC_FUTU, "futu_connecting host=%s port=%d", f->cfg->futu_host,
        f->cfg->futu_port);
    f->state = FEED_CONNECTING;
    rc = opend_client_connect(&f->cl, f->cfg->futu_host, f->cfg->futu_port);
    if (rc != 0) {
        LOG(LOG_WARNING, LC_FUTU, "futu connection error: %s", uv_strerror(rc));
        f->state = FEED_DOWN;
        /* on_closed will not run: schedule the retry here. */
        schedule_reconnect(f);
    }
}

static void on_reconnect_timer(uv_timer_t *t)
{
    feed *f = t->data;
    if (!f->stopping && f->state == FEED_DOWN)
        connect_now(f);
}

static void schedule_reconnect(feed *f)
{
    uint32_t r = 0;
    int delay = f->backoff_sec;
    uint64_t jitter_ms;

    if (f->stopping)
        return;
    (void)getrandom(&r, sizeof(r), GRND_NONBLOCK);
    /* Up to 20% jitter so many collectors do not reconnect in lockstep. */
    jitter_ms = (uint64_t)r % ((uint64_t)delay * 200 + 1);
    LOG(LOG_INFO, LC_FUTU, "reconnecting in %ds", delay);
    uv_timer_start(&f->reconnect_timer, on_reconnect_timer,
                   (uint64_t)delay * 1000 + jitter_ms, 0);
    f->backoff_sec = delay * 2 > f->cfg->reconnect_max_delay
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
    f->stopping = true;
    uv_timer_stop(&f->reconnect_timer);
    uv_timer_stop(&f->check_timer);
    uv_timer_stop(&f->poll_timer);
    uv_close((uv_handle_t *)&f->reconnect_timer, on_handle_closed);
    uv_close((uv_handle_t *)&f->check_timer, on_handle_closed);
    uv_close((uv_handle_t *)&f->poll_timer, on_handle_closed);
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

/* ---- mapping of ticker lists -------------------------------------------- */

/*
 * Id of a symbol named by the upstream. Configured symbols are interned at
 * init and reload; any other (unsolicited) one may take a slot only below
 * unsolicited_limit, so the reserve stays free for configured symbols. A
 * refused symbol's rows are counted and logged at most once a minute.
 * Returns 0 with *sym set, or -ENOSPC / -EINVAL with *sym = SYMTAB_NONE.
 */
static int symbol_id(feed *f, const char *name, size_t nrows, uint32_t *sym)
{
    uint32_t before = f->syms->count;
    int64_t now;
    int rc = symtab_add(f->syms, name, strlen(name), f->unsolicited_limit, sym);

    if (rc == 0) {
        if (f->syms->count != before)
            f->c.unsolicited_symbols++;
        return 0;
    }
    if (rc != -ENOSPC)
        return rc;
    f->c.dropped_symtab_full += (int64_t)nrows;
    f->symfull_since_log += (int64_t)nrows;
    now = hktime_mono_ms();
    if (f->last_symfull_log_ms == 0 || now - f->last_symfull_log_ms >= 60000) {
        char q[96];
        LOG(LOG_WARNING, LC_FUTU,
            "symbol_table_full symbol=%s unsolicited_symbols=%lld "
            "limit=%u rows_refused=%lld",
            log_quote(name, q, sizeof(q)), (long long)f->c.unsolicited_symbols,
            f->unsolicited_limit, (long long)f->symfull_since_log);
        f->last_symfull_log_ms = now;
        f->symfull_since_log = 0;
    }
    return rc;
}

static size_t map_tickers(feed *f, const QotCommon__Security *sec,
                          QotCommon__Ticker **list, size_t n, int source,
                          int64_t recv_ms, uint32_t *sym_out)
{
    char name[SYMTAB_NAME_LEN];
    const char *prefix;
    uint32_t sym;
    size_t k = 0;
    int64_t now = hktime_now_ms();
    int64_t mono = hktime_mono_ms();

    if (!sec || !sec->code)
        return 0;
    prefix = opend_msg_market_prefix(sec->market);
    if (snprintf(name, sizeof(name), "%s.%s", prefix, sec->code) >=
        (int)sizeof(name))
        return 0;
    if (symbol_id(f, name, n, &sym) != 0)
        return 0;
    if (sym_out)
        *sym_out = sym;
    /* Callers pass at most FEED_MAP_CHUNK tickers (the scratch size). */
    if (n > FEED_MAP_CHUNK)
        n = FEED_MAP_CHUNK;
    for (size_t i = 0; i < n; i++)
        if (mapping_ticker(list[i], sym, name, sec->market, source, recv_ms,
                           now, &f->ms, &f->rows[k]) == 0) {
            if (f->rows[k].ts_ms > f->max_ts_seen)
                f->max_ts_seen = f->rows[k].ts_ms;
            k++;
        }
    if (n > 0) {
        f->last_seen_mono[sym] = mono;
        f->last_row_mono_ms = mono;
    }
    return k;
}

/* ---- pushes -------------------------------------------------------------- */

static void send_get_ticker(feed *f, int idx, int num, uint32_t kind);

/*
 * Ask for a re-fetch of num ticks (<= 1000) of one symbol. It goes through
 * the backfill pipeline (at most FEED_MAX_INFLIGHT requests in flight, so a
 * burst of gaps after the lunch break cannot flood OpenD or the request
 * table); a symbol already waiting is not queued twice (it keeps the larger
 * count).
 */
static void request_recovery(feed *f, int idx, const char *reason,
                             double gap_sec, int num)
{
    if (f->recover_num[idx]) {
        if (num > f->recover_num[idx])
            f->recover_num[idx] = (int16_t)num;
        return; /* already waiting for a slot */
    }
    f->recover_num[idx] = (int16_t)num;
    LOG(LOG_INFO, LC_FUTU,
        "recovery_fetch symbol=%s reason=%s gap_sec=%.1f num=%d",
        symtab_name(f->syms, f->sub_ids[idx]), reason, gap_sec, num);
    pump_backfill(f);
}

int feed_gap_fetch_num(double rate_per_sec, double gap_sec)
{
    double want;

    if (!(rate_per_sec >= 0) || !(gap_sec >= 0))
        return FEED_GAP_FETCH_MAX; /* no estimate: the deepest window */
    want = rate_per_sec * gap_sec * FEED_GAP_SAFETY;
    if (want >= FEED_GAP_FETCH_MAX)
        return FEED_GAP_FETCH_MAX;
    if (want <= FEED_GAP_FETCH_FLOOR)
        return FEED_GAP_FETCH_FLOOR;
    return (int)ceil(want);
}

/*
 * A symbol's observed push rate: ticks and elapsed time, both decayed with
 * a time constant of FEED_RATE_TAU_SEC, so the estimate follows the last
 * few minutes and includes the symbol's own quiet spells. Returns the rate
 * before this push (NAN with no history), then folds the push in.
 */
static double rate_update(feed *f, uint32_t sym, int64_t dt_ms, size_t ticks)
{
    double *tk = &f->rate_ticks[sym], *ms = &f->rate_ms[sym];
    double before = *ms > 0 ? *tk * 1000.0 / *ms : NAN;
    double decay = exp(-(double)dt_ms / (FEED_RATE_TAU_SEC * 1000.0));

    *tk = *tk * decay + (double)ticks;
    *ms = *ms * decay + (double)dt_ms;
    return before;
}

/*
 * Pushes of a symbol resumed after a silence of at least the poll stale
 * time: ticks may be missing between the last poll and this push (their
 * seq is below what is now persisted, so no seq filter can see them).
 * Fetch what the symbol can have missed at its observed rate (see
 * feed_gap_fetch_num); the database dedups the overlap.
 */
static void check_push_gap(feed *f, uint32_t sym, size_t ticks)
{
    int64_t now = hktime_mono_ms();
    int64_t last = f->last_push_mono[sym];
    int idx = f->cfg_idx[sym];
    double rate, gap_sec;

    f->last_push_mono[sym] = now;
    if (last == 0)
        return;
    rate = rate_update(f, sym, now - last, ticks);
    if (idx < 0 || f->state != FEED_UP ||
        now - last < (int64_t)f->cfg->poll_stale_sec * 1000)
        return;
    gap_sec = (double)(now - last) / 1000.0;
    request_recovery(f, idx, "push_gap", gap_sec,
                     feed_gap_fetch_num(rate, gap_sec));
}

static void on_push(client *c, uint32_t proto_id, const ProtobufCMessage *m,
                    int64_t recv_ms, void *ud)
{
    feed *f = ud;
    (void)c;

    if (!m) {
        LOG(LOG_ERROR, LC_FUTU, "ticker push error: undecodable %s push",
            opend_msg_proto_name(proto_id));
        return;
    }
    if (proto_id == PROTO_QOT_UPDATE_TICKER) {
        const QotUpdateTicker__Response *r =
            (const QotUpdateTicker__Response *)m;
        if (r->rettype != 0 || !r->s2c) {
            LOG(LOG_ERROR, LC_FUTU, "ticker push error: ret=%d msg=%s",
                r->rettype, r->retmsg ? r->retmsg : "none");
            return;
        }
        uint32_t sym = SYMTAB_NONE;
        size_t pushed = 0;
        /* A push may carry any number of ticks: map them in chunks. */
        for (size_t off = 0; off < r->s2c->n_tickerlist;
             off += FEED_MAP_CHUNK) {
            size_t n = r->s2c->n_tickerlist - off;
            size_t k =
                map_tickers(f, r->s2c->security, r->s2c->tickerlist + off,
                            n < FEED_MAP_CHUNK ? n : FEED_MAP_CHUNK, ROW_PUSH,
                            recv_ms, &sym);
            f->c.push_rows += (int64_t)k;
            pushed += k;
            feed_enqueue(f, f->rows, k, ROW_PUSH);
        }
        if (sym != SYMTAB_NONE)
            check_push_gap(f, sym, pushed);
        return;
    }
    if (proto_id == PROTO_NOTIFY) {
        const Notify__Response *r = (const Notify__Response *)m;
        if (!r->s2c)
            return;
        if (r->s2c->type == NOTIFY__NOTIFY_TYPE__NotifyType_ConnStatus &&
            r->s2c->connectstatus) {
            bool up = r->s2c->connectstatus->qotlogined;
            LOG(up ? LOG_INFO : LOG_WARNING, LC_FUTU,
                "opend_conn_status qot_logined=%s", up ? "True" : "False");
            if (!up)
                f->qot_down = true;
            else if (f->qot_down) {
                f->qot_down = false;
                feed_recovery_fetch(f, "qot_relogin");
            }
        } else if (r->s2c->type == NOTIFY__NOTIFY_TYPE__NotifyType_GtwEvent &&
                   r->s2c->event) {
            char q[256];
            LOG(LOG_WARNING, LC_FUTU,
                "opend_gateway_event event_type=%d "
                "desc=%s",
                r->s2c->event->eventtype,
                log_quote(r->s2c->event->desc, q, sizeof(q)));
        }
    }
}

/* ---- backfill / recovery --------------------------------------------------
 */

static void on_ticker_reply(client *c, int status, const ProtobufCMessage *m,
                            void *ud)
{
    feed *f = c->ud;
    uint32_t kind = UD_KIND(ud);
    int idx = UD_IDX(ud);
    const char *sym =
        idx < f->cfg->n_symbols ? symtab_name(f->syms, f->sub_ids[idx]) : "?";
    const QotGetTicker__Response *r = (const QotGetTicker__Response *)m;
    int64_t recv = hktime_now_ms();

    if (kind == KIND_BACKFILL)
        f->bf_inflight--;
    else
        f->poll_inflight--;
    if (status != 0 || r->rettype != 0 || !r->s2c) {
        const char *msg = status != 0 ? opend_client_strerror(status)
                          : r->retmsg ? r->retmsg
                                      : "no s2c";
        if (kind == KIND_BACKFILL)
            LOG(LOG_WARNING, LC_FUTU, "backfill failed for %s: %s", sym, msg);
        else
            LOG(LOG_WARNING, LC_FUTU, "poll_failed symbol=%s msg=\"%s\"", sym,
                msg);
    } else if (kind == KIND_BACKFILL) {
        size_t k = map_tickers(f, r->s2c->security, r->s2c->tickerlist,
                               r->s2c->n_tickerlist, ROW_BACKFILL, recv, NULL);
        size_t lost = feed_enqueue(f, f->rows, k, ROW_BACKFILL);
        f->c.backfill_rows += (int64_t)k;
        LOG(LOG_INFO, LC_FUTU,
            "backfill_stats symbol=%s fetched=%zu enqueued=%zu "
            "queue_size=%zu queue_maxsize=%zu",
            sym, r->s2c->n_tickerlist, k - lost, queue_len(f->q), f->q->cap);
    } else {
        uint32_t want = f->sub_ids[idx];
        uint32_t got = SYMTAB_NONE;
        size_t k = map_tickers(f, r->s2c->security, r->s2c->tickerlist,
                               r->s2c->n_tickerlist, ROW_POLL, recv, &got);
        int64_t base = atomic_load(&f->w->persisted_seq[want]);
        int64_t hi = base;
        size_t acc = 0;
        int64_t dup = 0, filt = 0;
        int64_t oldest = k > 0 ? f->rows[0].seq : 0;
        f->c.poll_fetched += (int64_t)r->s2c->n_tickerlist;
        for (size_t i = 0; i < k; i++) {
            if (got != want) {
                filt++;
                continue;
            }
            if (f->rows[i].seq <= hi) {
                dup++;
                continue;
            }
            hi = f->rows[i].seq;
            f->rows[acc++] = f->rows[i];
        }
        f->c.dropped_duplicate += dup;
        f->c.dropped_filter += filt;
        /* A full window that starts above the durable baseline may have
         * missed older ticks (a long push gap): fetch as deep as OpenD
         * allows, stored as backfill; the database dedups the overlap. */
        if (got == want && k > 0 && base != WRITER_SEQ_NONE &&
            r->s2c->n_tickerlist >= (size_t)f->cfg->poll_num && oldest > base &&
            f->cfg->poll_num < 1000) {
            request_recovery(f, idx, "poll_window_short", 0,
                             FEED_GAP_FETCH_MAX);
        }
        f->c.poll_accepted += (int64_t)acc;
        size_t lost = feed_enqueue(f, f->rows, acc, ROW_POLL);
        f->c.poll_enqueued += (int64_t)(acc - lost);
        if (lost > 0) /* compat §3.2: at once when enqueued < accepted */
            LOG(LOG_INFO, LC_FUTU,
                "poll_stats symbol=%s fetched=%zu accepted=%zu enqueued=%zu "
                "dropped_queue_full=%zu queue_size=%zu queue_maxsize=%zu",
                sym, r->s2c->n_tickerlist, acc, acc - lost, lost,
                queue_len(f->q), f->q->cap);
        LOG(LOG_DEBUG, LC_FUTU,
            "poll_stats symbol=%s fetched=%zu accepted=%zu enqueued=%zu "
            "dropped_queue_full=%zu dropped_duplicate=%lld "
            "dropped_filter=%lld queue_size=%zu queue_maxsize=%zu",
            sym, r->s2c->n_tickerlist, acc, acc - lost, lost, (long long)dup,
            (long long)filt, queue_len(f->q), f->q->cap);
    }
    if (f->state != FEED_UP) {
        /* (Re)subscribing: finish this cycle without new requests, so the
         * next poll timer starts a fresh one. */
        if (kind != KIND_BACKFILL && f->poll_inflight == 0)
            f->poll_running = 0;
        return;
    }
    if (kind == KIND_BACKFILL)
        pump_backfill(f);
    else if (f->poll_running)
        pump_poll(f);
}

static void send_get_ticker(feed *f, int idx, int num, uint32_t kind)
{
    QotGetTicker__Request req = QOT__GET_TICKER__REQUEST__INIT;
    QotGetTicker__C2S c2s = QOT__GET_TICKER__C2_S__INIT;
    QotCommon__Security sec = QOT__COMMON__SECURITY__INIT;
    const char *name = symtab_name(f->syms, f->sub_ids[idx]);
    const char *dot = strchr(name, '.');
    int rc;

    sec.market = opend_msg_market_from_prefix(name, (size_t)(dot - name));
    sec.code = (char *)(dot + 1);
    c2s.security = &sec;
    c2s.maxretnum = num;
    req.c2s = &c2s;
    rc = opend_client_request(&f->cl, PROTO_QOT_GET_TICKER, &req.base,
                              on_ticker_reply, UD(kind, idx));
    if (rc != 0) {
        LOG(LOG_WARNING, LC_FUTU, "%s_request_failed symbol=%s err=\"%s\"",
            kind == KIND_BACKFILL ? "backfill" : "poll", name,
            opend_client_strerror(rc));
        return;
    }
    if (kind == KIND_BACKFILL)
        f->bf_inflight++;
    else
        f->poll_inflight++;
}

static void pump_backfill(feed *f)
{
    while (f->bf_inflight < FEED_MAX_INFLIGHT &&
           f->bf_next < f->cfg->n_symbols && f->state == FEED_UP) {
        int i = f->bf_next++;
        if (!f->sub_ok[i])
            continue;
        send_get_ticker(f, i, f->bf_num, KIND_BACKFILL);
    }
    /* Then single-symbol recoveries waiting for a slot. */
    for (int i = 0; i < f->cfg->n_symbols && f->state == FEED_UP &&
                    f->bf_inflight < FEED_MAX_INFLIGHT;
         i++) {
        int num = f->recover_num[i];
        if (num == 0)
            continue;
        f->recover_num[i] = 0;
        if (f->sub_ok[i])
            send_get_ticker(f, i, num, KIND_BACKFILL);
    }
}

void feed_recovery_fetch(feed *f, const char *reason)
{
    if (f->state != FEED_UP)
        return;
    /* Recovery runs even with BACKFILL_N=0 (compat §5.2): a known gap is
     * repaired with the deepest window OpenD keeps. */
    f->bf_num = f->cfg->backfill_n > 0 ? f->cfg->backfill_n : 1000;
    LOG(LOG_INFO, LC_FUTU, "recovery_fetch symbol=all reason=%s symbols=%d",
        reason, f->sub_accepted);
    f->bf_next = 0;
    pump_backfill(f);
}

/* ---- poll fallback ---------------------------------------------------------
 */

static void pump_poll(feed *f)
{
    int64_t mono = hktime_mono_ms();
    int64_t stale = (int64_t)f->cfg->poll_stale_sec * 1000;
    int num = f->poll_running == 2 ? f->cfg->poll_offhours_probe_num
                                   : f->cfg->poll_num;

    while (f->poll_inflight < FEED_MAX_INFLIGHT &&
           f->poll_next < f->cfg->n_symbols && f->state == FEED_UP) {
        int i = f->poll_next++;
        if (!f->sub_ok[i])
            continue;
        if (mono - f->last_seen_mono[f->sub_ids[i]] < stale &&
            f->last_seen_mono[f->sub_ids[i]] != 0)
            continue;
        send_get_ticker(f, i, num, KIND_POLL);
    }
    if (f->poll_next >= f->cfg->n_symbols && f->poll_inflight == 0)
        f->poll_running = 0;
}

static void on_poll_timer(uv_timer_t *t)
{
    feed *f = t->data;
    int64_t now = hktime_now_ms();
    phase ph = phase_of(f->cfg, now);
    bool go = false, probe = false;

    if (f->state != FEED_UP || f->poll_running)
        return;
    if (!f->cfg->poll_trading_only || phase_is_trading(ph) ||
        (ph == PHASE_PRE_OPEN && f->cfg->poll_preopen_enabled))
        go = true;
    else if (f->cfg->poll_offhours_probe_interval_sec > 0 &&
             now - f->last_probe_ms >=
                 (int64_t)f->cfg->poll_offhours_probe_interval_sec * 1000) {
        go = probe = true;
        f->last_probe_ms = now;
    }
    if (!go)
        return;
    f->poll_running = probe ? 2 : 1;
    f->poll_next = 0;
    pump_poll(f);
    if (now - f->last_poll_stats_ms >= 60000) {
        LOG(LOG_INFO, LC_FUTU,
            "poll_stats fetched=%lld accepted=%lld enqueued=%lld "
            "dropped_queue_full=%lld dropped_duplicate=%lld "
            "dropped_filter=%lld queue_size=%zu queue_maxsize=%zu phase=%s",
            (long long)f->c.poll_fetched, (long long)f->c.poll_accepted,
            (long long)f->c.poll_enqueued, (long long)f->c.dropped_queue_full,
            (long long)f->c.dropped_duplicate, (long long)f->c.dropped_filter,
            queue_len(f->q), f->q->cap, phase_name(ph));
        f->last_poll_stats_ms = now;
    }
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

    if (f->state != FEED_UP)
        return;
    c2s.userid = 0;
    req.c2s = &c2s;
    (void)opend_client_request(&f->cl, PROTO_GET_GLOBAL_STATE, &req.base,
                               on_check_reply, UD(KIND_CHECK, 0));
}

/* ---- subscribe -------------------------------------------------------------
 */

static void sub_done(feed *f);

static int fill_securities(feed *f, const int *idx, int n,
                           QotCommon__Security *secs,
                           QotCommon__Security **ptrs)
{
    for (int k = 0; k < n; k++) {
        const char *name, *dot;
        assert(symtab_valid(f->syms, f->sub_ids[idx[k]]));
        name = symtab_name(f->syms, f->sub_ids[idx[k]]);
        dot = strchr(name, '.');
        QotCommon__Security s = QOT__COMMON__SECURITY__INIT;
        s.market = opend_msg_market_from_prefix(name, (size_t)(dot - name));
        s.code = (char *)(dot + 1);
        secs[k] = s;
        ptrs[k] = &secs[k];
    }
    return n;
}

static void on_sub_reply(client *c, int status, const ProtobufCMessage *m,
                         void *ud);

/* Subscribe the symbols whose indexes are in idx (<= 100 of them). */
static void send_sub(feed *f, const int *idx, int n, bool subscribe)
{
    QotSub__Request req = QOT__SUB__REQUEST__INIT;
    QotSub__C2S c2s = QOT__SUB__C2_S__INIT;
    QotCommon__Security secs[100];
    QotCommon__Security *ptrs[100];
    int32_t types[1] = {4};
    int rc;

    fill_securities(f, idx, n, secs, ptrs);
    c2s.n_securitylist = (size_t)n;
    c2s.securitylist = ptrs;
    c2s.n_subtypelist = 1;
    c2s.subtypelist = types;
    c2s.issuborunsub = subscribe;
    c2s.has_isregorunregpush = 1;
    c2s.isregorunregpush = subscribe;
    c2s.has_isfirstpush = 1;
    c2s.isfirstpush = subscribe;
    c2s.has_issuborderbookdetail = 1;
    c2s.has_extendedtime = 1;
    c2s.has_session = 1;
    c2s.session = subscribe ? 3 : 0;
    req.c2s = &c2s;
    /* ud: kind, count, and the first index (subscribe) or the symtab id
     * (unsubscribe: the symbol list changes before the reply arrives). */
    uint32_t first = subscribe ? (uint32_t)idx[0] : f->sub_ids[idx[0]];
    void *u = (void *)(uintptr_t)(((uint64_t)(subscribe ? KIND_SUB : KIND_UNSUB)
                                   << 56) |
                                  ((uint64_t)n << 32) | first);
    rc =
        opend_client_request(&f->cl, PROTO_QOT_SUB, &req.base, on_sub_reply, u);
    if (rc == 0 && subscribe)
        f->sub_pending++;
}

static void on_sub_reply(client *c, int status, const ProtobufCMessage *m,
                         void *ud)
{
    feed *f = c->ud;
    uint64_t u = (uint64_t)(uintptr_t)ud;
    uint32_t kind = (uint32_t)(u >> 56);
    int n = (int)((u >> 32) & 0xffffff);
    int first = (int)(u & 0xffffffff);
    const QotSub__Response *r = (const QotSub__Response *)m;
    int ret = status != 0 ? -1 : r->rettype;
    const char *msg = status != 0 ? opend_client_strerror(status)
                      : r->retmsg ? r->retmsg
                                  : "";
    char q[512];

    if (kind == KIND_UNSUB) {
        LOG(ret == 0 ? LOG_INFO : LOG_WARNING, LC_FUTU,
            "unsubscribe ret=%d msg=%s symbol=%s", ret,
            log_quote(msg, q, sizeof(q)),
            symtab_name(f->syms, (uint32_t)first));
        return;
    }
    f->sub_pending--;
    if (status == CLIENT_E_CLOSED)
        return;
    /* Indexes of this request are consecutive subscribed-list positions. */
    if (ret == 0) {
        for (int k = 0; k < n; k++)
            f->sub_ok[first + k] = true;
        f->sub_accepted += n;
    } else if (n > 1) {
        /* Refused, timed out or undecodable: find out per symbol. */
        /* Find the refused symbol(s): retry one by one. */
        for (int k = 0; k < n; k++) {
            int one = first + k;
            send_sub(f, &one, 1, true);
        }
    } else {
        LOG(LOG_WARNING, LC_FUTU, "subscribe_refused symbol=%s ret=%d msg=%s",
            symtab_name(f->syms, f->sub_ids[first]), ret,
            log_quote(msg, q, sizeof(q)));
    }
    if (f->sub_pending == 0 && f->state == FEED_SUBSCRIBING)
        sub_done(f);
}

static void send_subscribe_all(feed *f)
{
    int idx[100];
    f->sub_pending = 0;
    f->sub_accepted = 0;
    memset(f->sub_ok, 0, sizeof(f->sub_ok));
    for (int i = 0; i < f->cfg->n_symbols; i += 100) {
        int n = f->cfg->n_symbols - i < 100 ? f->cfg->n_symbols - i : 100;
        for (int k = 0; k < n; k++)
            idx[k] = i + k;
        send_sub(f, idx, n, true);
    }
    if (f->sub_pending == 0)
        sub_done(f);
}

static void sub_done(feed *f)
{
    char list[8192];
    size_t o = 0;
    char q[8300];

    list[0] = '\0';
    for (int i = 0; i < f->cfg->n_symbols && o < sizeof(list) - 40; i++)
        if (f->sub_ok[i])
            o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
                                  o ? "," : "", f->cfg->symbols[i]);
    if (f->sub_accepted == 0) {
        LOG(LOG_INFO, LC_FUTU,
            "subscribe ret=-1 msg=\"no symbol accepted\" "
            "symbols=none");
        opend_client_close(&f->cl, CLIENT_E_REFUSED, "subscribe failed");
        return;
    }
    LOG(LOG_INFO, LC_FUTU, "subscribe ret=0 msg=none symbols=%s",
        log_quote(list, q, sizeof(q)));
    f->state = FEED_UP;
    f->connected_since_mono = hktime_mono_ms();
    f->backoff_sec = f->cfg->reconnect_min_delay;
    LOG(LOG_INFO, LC_FUTU, "futu_connected host=%s port=%d", f->cfg->futu_host,
        f->cfg->futu_port);
    uv_timer_start(&f->check_timer, on_check_timer,
                   (uint64_t)f->cfg->check_interval_sec * 1000,
                   (uint64_t)f->cfg->check_interval_sec * 1000);
    if (f->cfg->poll_enabled)
        uv_timer_start(&f->poll_timer, on_poll_timer,
                       (uint64_t)f->cfg->poll_interval_sec * 1000,
                       (uint64_t)f->cfg->poll_interval_sec * 1000);
    if (!f->ever_connected) {
        f->ever_connected = true;
        if (f->on_first_up)
            f->on_first_up(f);
    }
    if (f->cfg->backfill_n > 0) {
        f->bf_next = 0;
        f->bf_inflight = 0;
        f->bf_num = f->cfg->backfill_n;
        pump_backfill(f);
    }
}

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
    f->state = FEED_SUBSCRIBING;
    f->qot_down = false;
    send_subscribe_all(f);
}

static void on_closed(client *c, int reason, const char *detail, void *ud)
{
    feed *f = ud;
    char q[300];
    bool was_up = f->state == FEED_UP;
    (void)c;

    uv_timer_stop(&f->check_timer);
    uv_timer_stop(&f->poll_timer);
    f->poll_running = 0;
    f->bf_inflight = f->poll_inflight = 0;
    f->state = FEED_DOWN;
    if (f->stopping)
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

/* ---- SIGHUP symbol changes
 * ----------------------------------------------------- */

/*
 * The part of next that can be adopted: every symbol already interned, and
 * each new one only if the symbol table has room (the FEED_SYM_RESERVE slots
 * make this the rule; a lifetime of reloads can still exhaust it). Refused
 * symbols are logged and left out, so no entry is ever used without an id.
 * Fills src (indexes into next), ids and n_out; returns how many were
 * refused.
 */
static int adoptable_symbols(feed *f, const config *next, int *src,
                             uint32_t *ids, int *n_out)
{
    int n = 0, refused = 0;

    for (int k = 0; k < next->n_symbols; k++) {
        const char *s = next->symbols[k];
        if (symtab_add(f->syms, s, strlen(s), f->syms->cap, &ids[n]) != 0) {
            char q[96];
            LOG(LOG_WARNING, LC_MAIN,
                "symbol_refused symbol=%s reason=symbol_table_full",
                log_quote(s, q, sizeof(q)));
            refused++;
            continue;
        }
        src[n++] = k;
    }
    *n_out = n;
    return refused;
}

void feed_apply_symbols(feed *f, const config *next)
{
    config *cfg = f->cfg;
    int added = 0, removed = 0, refused, n_new;
    int src[CONFIG_MAX_SYMBOLS];
    uint32_t new_ids[CONFIG_MAX_SYMBOLS];

    refused = adoptable_symbols(f, next, src, new_ids, &n_new);
    for (int i = 0; i < cfg->n_symbols; i++) {
        bool keep = false;
        for (int k = 0; k < n_new; k++)
            if (new_ids[k] == f->sub_ids[i])
                keep = true;
        if (!keep) {
            removed++;
            if (f->state == FEED_UP && f->sub_ok[i])
                send_sub(f, &i, 1, false);
        }
    }
    for (int k = 0; k < n_new; k++) {
        bool had = false;
        for (int i = 0; i < cfg->n_symbols; i++)
            if (f->sub_ids[i] == new_ids[k])
                had = true;
        if (!had)
            added++;
    }
    /* Adopt the new list; new symbols get subscribed below. */
    bool old_ok[CONFIG_MAX_SYMBOLS];
    uint32_t old_ids[CONFIG_MAX_SYMBOLS];
    int old_n = cfg->n_symbols;
    memcpy(old_ok, f->sub_ok, sizeof(old_ok));
    memcpy(old_ids, f->sub_ids, sizeof(old_ids));
    for (int k = 0; k < n_new; k++)
        memcpy(cfg->symbols[k], next->symbols[src[k]], CONFIG_SYMBOL_LEN);
    cfg->n_symbols = n_new;
    f->sub_accepted = 0;
    memset(f->recover_num, 0, sizeof(f->recover_num));
    for (int i = 0; i < old_n; i++)
        f->cfg_idx[old_ids[i]] = -1;
    for (int k = 0; k < cfg->n_symbols; k++) {
        f->sub_ids[k] = new_ids[k];
        f->cfg_idx[f->sub_ids[k]] = k;
        f->sub_ok[k] = false;
        for (int i = 0; i < old_n; i++)
            if (old_ids[i] == f->sub_ids[k] && old_ok[i]) {
                f->sub_ok[k] = true;
                f->sub_accepted++;
            }
    }
    LOG(LOG_INFO, LC_MAIN,
        "symbols_reloaded symbols=%d added=%d removed=%d refused=%d",
        cfg->n_symbols, added, removed, refused);
    if (f->state == FEED_UP) {
        for (int k = 0; k < cfg->n_symbols; k++)
            if (!f->sub_ok[k]) {
                send_sub(f, &k, 1, true);
            }
        if (f->sub_pending == 0)
            return;
        /* Replies mark sub_ok; backfill the new ones once answered. */
        f->state = FEED_SUBSCRIBING;
    }
}
