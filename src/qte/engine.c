/*
 * engine.c - the replay loop: source -> queue -> execution, portfolio,
 * strategy -> store, on the caller's thread (qte_engine_run).
 *
 * Event flow (docs/engine.md has the picture): when the queue is empty,
 * feed() pushes the next event in time, a due strategy timer (due before
 * the next trade) or the next trade from the source, after pacing it in
 * the real-time modes. Handling a trade matches it against the symbol's
 * open orders (fills queue FILL events), marks the portfolio, then calls
 * on_tick; orders placed there queue ORDER events. ORDER and FILL events
 * are handled before the next trade is read, so the queue holds only what
 * one event caused and memory does not depend on the data's size.
 *
 * Live (QTE_SOURCE=jetstream, feed->live): the market paces the run, so
 * QTE_MODE does not (config.c admits backtest and realtime only). Every
 * trade waiting in the feed's ring is moved into the event queue's
 * market-data lane (md, up to three quarters of QTE_QUEUE_CAPACITY),
 * also while paused, so the queue size is the real backlog and queue
 * clear can drop it. feed_live then moves one event at a time from md
 * into q as feed does (a due timer first, by the tick clock), so orders
 * and fills are still handled before the next trade and a live run over
 * the same trades decides exactly as a replay would. A live run never
 * ends by itself; each start is a new run id (no resume of market data).
 *
 * Persistence: the store gets every order, fill and position change as
 * it happens inside one transaction, committed with a snapshot every
 * QTE_COMMIT_EVENTS events, at a stop and at the end. Resume (the store
 * has this run id, a digest of the inputs): replay from the start with
 * writes off until the snapshot's event count, check the state there
 * equals the snapshot (fills, orders, cash, equity), then write on. A run
 * already done is replayed without writing (its report is rewritten).
 *
 * States of a run: new -> running (qte_engine_run) -> done | stopped |
 * failed; a stopped engine may run again and continues where it was.
 */
#include "qte/engine.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"
#include "dayfile/dayfile.h"
#include "qte/engine_int.h"

const char *qte_event_kind_name(qte_event_kind k)
{
    static const char *const n[] = {"tick", "timer", "order", "fill"};
    return (unsigned)k < QTE_EV_KINDS ? n[k] : "unknown";
}

const char *qte_reason_name(qte_reason r)
{
    static const char *const n[] = {"",
                                    "lot_size",
                                    "tick_size",
                                    "insufficient_cash",
                                    "insufficient_position",
                                    "unknown_symbol",
                                    "bad_price",
                                    "full",
                                    "cancelled",
                                    "ioc",
                                    "end"};
    return (unsigned)r <= QTE_R_END ? n[r] : "unknown";
}

const char *qte_status_name(qte_order_status s)
{
    static const char *const n[] = {"pending", "working",   "partial",
                                    "filled",  "cancelled", "rejected"};
    return (unsigned)s <= QTE_ORD_REJECTED ? n[s] : "unknown";
}

void eng_fail(qte_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof(e->err), fmt, ap);
    va_end(ap);
}

const char *qte_engine_error(const qte_engine *e)
{
    return e->err;
}

const char *qte_engine_run_id(const qte_engine *e)
{
    return e->run_id;
}

int qte_engine_resume_info(const qte_engine *e, int64_t *events)
{
    if (events)
        *events = e->resume_kind ? e->resume_snap.events : 0;
    return e->resume_kind;
}

/* --- the null strategy ------------------------------------------------ */

static void null_tick(qte_ctx *ctx, const qte_tick *t)
{
    (void)ctx;
    (void)t;
}

static const qte_strategy null_strategy = {
    .abi = QTE_STRATEGY_ABI, .name = "null", .on_tick = null_tick};

/* --- set-up ----------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_symbol(const char *item, size_t len, void *ud)
{
    qte_engine *e = ud;
    if (e->nsym == QTE_MAX_SYMBOLS || len >= 32)
        return -1;
    for (int s = 0; s < e->nsym; s++) {
        if (strlen(e->symbols[s]) == len &&
            memcmp(e->symbols[s], item, len) == 0)
            return 0;
    }
    e->symbols[e->nsym] = strndup(item, len);
    return e->symbols[e->nsym++] ? 0 : -1;
}

static int add_day(const char *item, size_t len, void *ud)
{
    qte_engine *e = ud;
    char buf[16];
    int day;
    if (len != 8 || e->ndays == QTE_MAX_DAYS)
        return -1;
    memcpy(buf, item, 8);
    memcpy(buf + 8, ".db", 4);
    if (dayfile_parse_name(buf, &day) != 0)
        return -1;
    for (int i = 0; i < e->ndays; i++) {
        if (e->days[i] == day)
            return 0;
    }
    e->days[e->ndays++] = day;
    return 0;
}

static int add_lot(const char *item, size_t len, void *ud)
{
    qte_engine *e = ud;
    const char *eq = memchr(item, '=', len);
    if (!eq)
        return -1;
    size_t nl = (size_t)(eq - item);
    char num[32];
    size_t vl = len - nl - 1;
    if (vl == 0 || vl >= sizeof(num))
        return -1;
    memcpy(num, eq + 1, vl);
    num[vl] = '\0';
    char *end = NULL;
    long long lot = strtoll(num, &end, 10);
    if (*end || lot <= 0)
        return -1;
    for (int s = 0; s < e->nsym; s++) {
        if (strlen(e->symbols[s]) == nl && memcmp(e->symbols[s], item, nl) == 0)
            e->lots[s] = lot;
    }
    return 0;
}

static int add_param(const char *item, size_t len, void *ud)
{
    qte_engine *e = ud;
    (void)len;
    if (e->nparams == QTE_MAX_PARAMS)
        return -1;
    char *kv = (char *)item; /* points into params_buf, writable */
    kv[len] = '\0';
    char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    *eq = '\0';
    for (int i = 0; i < e->nparams; i++) {
        if (strcmp(e->pkeys[i], kv) == 0) {
            e->pvals[i] = eq + 1; /* a later value wins */
            return 0;
        }
    }
    e->pkeys[e->nparams] = kv;
    e->pvals[e->nparams++] = eq + 1;
    return 0;
}

/* Split params_buf in place on commas (cfg_each_item trims copies, so
 * walk it here). */
static int parse_params(qte_engine *e)
{
    char *p = e->params_buf;
    while (*p) {
        char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        char *next = c ? c + 1 : p + len;
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0 && add_param(p, len, e) != 0)
            return -1;
        p = next;
    }
    return 0;
}

static int load_strategy(qte_engine *e)
{
    if (e->strat)
        return 0;
    if (!e->cfg.strategy[0]) {
        e->strat = &null_strategy;
        return 0;
    }
    e->dl = dlopen(e->cfg.strategy, RTLD_NOW | RTLD_LOCAL);
    if (!e->dl) {
        eng_fail(e, "strategy %s: %s", e->cfg.strategy, dlerror());
        return -1;
    }
    qte_strategy_entry_fn fn;
    *(void **)&fn = dlsym(e->dl, QTE_STRATEGY_SYMBOL);
    const qte_strategy *s = fn ? fn() : NULL;
    if (!s || s->abi != QTE_STRATEGY_ABI || !s->on_tick) {
        eng_fail(e, "strategy %s: no %s with abi %d and on_tick",
                 e->cfg.strategy, QTE_STRATEGY_SYMBOL, QTE_STRATEGY_ABI);
        return -1;
    }
    e->strat = s;
    return 0;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char x[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = x[d[i] >> 4];
        out[2 * i + 1] = x[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* SHA-256 of a file's bytes as hex into out[65]; "" when unreadable. */
static void file_digest(const char *path, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    char buf[65536];
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (f && c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            EVP_DigestUpdate(c, buf, n);
        if (EVP_DigestFinal_ex(c, md, &mdlen) == 1)
            hex(md, mdlen, out);
    }
    EVP_MD_CTX_free(c);
    if (f)
        fclose(f);
}

static int cmp_idx_key(const void *a, const void *b, void *ud)
{
    const qte_engine *e = ud;
    return strcmp(e->pkeys[*(const int *)a], e->pkeys[*(const int *)b]);
}

/* The inputs as canonical JSON into run_json, its digest into run_id. */
static void make_run_id(qte_engine *e)
{
    char *p = e->run_json;
    size_t cap = sizeof(e->run_json);
    size_t n = 0;
#define PUT(...)                                                               \
    n += (size_t)snprintf(p + n, n < cap ? cap - n : 0, __VA_ARGS__)
    PUT("{\"days\":[");
    for (int i = 0; i < e->ndays; i++)
        PUT("%s%d", i ? "," : "", e->days[i]);
    PUT("],\"symbols\":[");
    for (int s = 0; s < e->nsym; s++)
        PUT("%s\"%s\"", s ? "," : "", e->symbols[s]);
    PUT("],\"lots\":[");
    for (int s = 0; s < e->nsym; s++)
        PUT("%s%lld", s ? "," : "", (long long)e->lots[s]);
    char dig[65] = "";
    const char *base = strrchr(e->cfg.strategy, '/');
    if (e->strat) /* linked in: its name stands for the object */
        snprintf(dig, sizeof(dig), "builtin:%.50s",
                 e->strat->name ? e->strat->name : "");
    else if (e->cfg.strategy[0])
        file_digest(e->cfg.strategy, dig);
    PUT("],\"strategy\":\"%s\",\"strategy_sha256\":\"%s\",\"params\":{",
        base ? base + 1 : e->cfg.strategy, dig);
    int idx[QTE_MAX_PARAMS];
    for (int i = 0; i < e->nparams; i++)
        idx[i] = i;
    qsort_r(idx, (size_t)e->nparams, sizeof(int), cmp_idx_key, e);
    for (int i = 0; i < e->nparams; i++)
        PUT("%s\"%s\":\"%s\"", i ? "," : "", e->pkeys[idx[i]],
            e->pvals[idx[i]]);
    const exec_fees *f = &e->fees;
    PUT("},\"cash_milli\":%lld,\"latency_ms\":%lld,\"max_orders\":%d,"
        "\"fees_ppb\":[%lld,%lld,%lld,%lld,%lld,%lld],"
        "\"fees_milli\":[%lld,%lld,%lld]}",
        (long long)e->pf.initial, (long long)e->latency_ms, e->cfg.max_orders,
        (long long)f->commission_ppb, (long long)f->stamp_ppb,
        (long long)f->sfc_ppb, (long long)f->afrc_ppb,
        (long long)f->trading_ppb, (long long)f->settle_ppb,
        (long long)f->commission_min, (long long)f->settle_min,
        (long long)f->settle_max);
    /* A live run's market data is whatever arrives: each start is a new
     * run (no resume of market data), so its id must differ. */
    if (e->feed && e->feed->live && n > 0 && n < cap)
        snprintf(p + n - 1, cap - n + 1, ",\"live_started_ms\":%lld}",
                 (long long)e->started_wall_ms);
#undef PUT
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_Digest(e->run_json, strlen(e->run_json), md, &mdlen, EVP_sha256(),
               NULL);
    hex(md, 16, e->run_id);
}

static int parse_inputs(qte_engine *e)
{
    const qte_config *c = &e->cfg;
    if (cfg_each_item(c->symbols, add_symbol, e) != 0 || e->nsym == 0) {
        eng_fail(e, "symbols: expected a list like HK.00700,HK.00005");
        return -1;
    }
    qsort(e->symbols, (size_t)e->nsym, sizeof(char *), cmp_str);
    for (int s = 0; s < e->nsym; s++)
        e->lots[s] = c->default_lot > 0 ? c->default_lot : 100;
    if (cfg_each_item(c->lot_sizes, add_lot, e) != 0) {
        eng_fail(e, "lot sizes: expected SYMBOL=SHARES[,...]");
        return -1;
    }
    if (c->source == QTE_SOURCE_JETSTREAM && !c->days[0]) {
        /* live: today's HK trading day */
        e->days[e->ndays++] = hktime_trading_day(hktime_now_ms());
    } else if (cfg_each_item(c->days, add_day, e) != 0 || e->ndays == 0) {
        eng_fail(e, "days: expected a list like 20240102,20240103");
        return -1;
    }
    snprintf(e->params_buf, sizeof(e->params_buf), "%s", c->params);
    if (parse_params(e) != 0) {
        eng_fail(e, "params: expected NAME=VALUE[,...]");
        return -1;
    }
    if (exec_fees_init(&e->fees, &c->fees) != 0) {
        eng_fail(e, "fees: a rate outside 0..1 or a negative amount");
        return -1;
    }
    return 0;
}

/* --- store ------------------------------------------------------------ */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int store_fail(qte_engine *e, const char *what)
{
    eng_fail(e, "store %s: %s", what, e->store->err);
    return -1;
}

static int put_run(qte_engine *e, const char *status)
{
    qte_run_rec r = {
        .run_id = e->run_id,
        .config = e->run_json,
        .status = status,
        .events = (int64_t)atomic_load(&e->processed),
        .started_ms = e->started_wall_ms,
        .finished_ms = strcmp(status, QTE_RUN_DONE) == 0 ? wall_ms() : 0,
    };
    return e->store->ops->put_run(e->store, &r);
}

static void snapshot(qte_engine *e, qte_snapshot_rec *sn)
{
    memset(sn, 0, sizeof(*sn));
    sn->run_id = e->run_id;
    sn->ts_ms = e->now_ms;
    sn->events = (int64_t)atomic_load(&e->processed);
    sn->fills = e->nfills;
    sn->orders = e->norders;
    sn->cash_milli = e->pf.cash;
    sn->equity_milli = atomic_load(&e->pf.equity);
    sn->realized_milli = e->pf.realized;
    sn->unrealized_milli = pf_unrealized(&e->pf);
    sn->fees_milli = e->pf.fees;
}

/* Snapshot + run row + commit; begin again unless final. */
static int checkpoint(qte_engine *e, bool final)
{
    if (!e->store || !eng_writing(e) || e->resume_kind == 2)
        return 0;
    qte_snapshot_rec sn;
    snapshot(e, &sn);
    sn.seq = ++e->snap_seq;
    if (e->store->ops->put_snapshot(e->store, &sn) != 0)
        return store_fail(e, "snapshot");
    if (put_run(e, final ? QTE_RUN_DONE : QTE_RUN_RUNNING) != 0)
        return store_fail(e, "run");
    if (e->store->ops->commit(e->store) != 0)
        return store_fail(e, "commit");
    e->in_tx = false;
    if (!final) {
        if (e->store->ops->begin(e->store) != 0)
            return store_fail(e, "begin");
        e->in_tx = true;
    }
    return 0;
}

/* At the resume point: the replayed state must be the stored one. */
static int verify_resume(qte_engine *e)
{
    qte_snapshot_rec now;
    snapshot(e, &now);
    const qte_snapshot_rec *s = &e->resume_snap;
    e->snap_seq = s->seq;
    if (now.fills != s->fills || now.orders != s->orders ||
        now.cash_milli != s->cash_milli ||
        now.equity_milli != s->equity_milli) {
        eng_fail(e,
                 "resume mismatch at event %lld: stored fills=%lld "
                 "orders=%lld cash=%lld, replayed fills=%lld orders=%lld "
                 "cash=%lld (inputs changed?)",
                 (long long)s->events, (long long)s->fills,
                 (long long)s->orders, (long long)s->cash_milli,
                 (long long)now.fills, (long long)now.orders,
                 (long long)now.cash_milli);
        return -1;
    }
    LOG(LOG_INFO, LC_QTE, "resume_verified run=%s events=%lld fills=%lld",
        e->run_id, (long long)s->events, (long long)s->fills);
    return 0;
}

/* Find this run in the store; open the first transaction. */
static int store_start(qte_engine *e)
{
    qte_resume r;
    e->resume_at = -1;
    if (!e->store)
        return 0;
    if (e->store->ops->load_resume(e->store, e->run_id, &r) != 0)
        return store_fail(e, "load");
    if (r.found && r.has_snapshot) {
        e->resume_kind = r.done ? 2 : 1;
        e->resume_snap = r.snap;
        e->resume_at = r.snap.events;
        e->snap_seq = r.snap.seq;
    }
    e->started_wall_ms = wall_ms();
    if (e->store->ops->begin(e->store) != 0)
        return store_fail(e, "begin");
    e->in_tx = true;
    if (e->resume_kind == 0 && put_run(e, QTE_RUN_RUNNING) != 0)
        return store_fail(e, "run");
    return 0;
}

/* --- construction ----------------------------------------------------- */

static int cmp_day(const void *a, const void *b)
{
    int x = *(const int *)a;
    int y = *(const int *)b;
    return (x > y) - (x < y);
}

static int build(qte_engine *e, qte_store *store)
{
    const qte_config *c = &e->cfg;
    char err[256];
    if (parse_inputs(e) != 0)
        return -1;
    qsort(e->days, (size_t)e->ndays, sizeof(int), cmp_day);
    qte_feed_args fa = {c, e->days, e->ndays, (const char *const *)e->symbols,
                        e->nsym};
    e->feed = qte_feed_open(&fa, err, sizeof(err));
    if (!e->feed) {
        eng_fail(e, "%s", err);
        return -1;
    }
    int64_t cash = llround(c->initial_cash * 1000.0);
    if (pf_init(&e->pf, e->nsym, cash, c->equity_every_ms) != 0 ||
        queue_init(&e->q, (uint32_t)c->queue_capacity) != 0 ||
        exec_book_init(&e->book, c->max_orders, e->nsym) != 0) {
        eng_fail(e, "out of memory");
        return -1;
    }
    /* live: the market-data lane leaves a quarter of the capacity to the
     * events one tick causes (orders, fills, timers) */
    if (e->feed->live &&
        queue_init(&e->md, (uint32_t)(c->queue_capacity -
                                      c->queue_capacity / 4)) != 0) {
        eng_fail(e, "out of memory");
        return -1;
    }
    e->latency_ms = c->latency_ms;
    clock_init(&e->clock, c->mode, c->speed);
    e->speed = e->clock.speed;
    e->paused = c->mode == QTE_MODE_STEPPED;
    e->started_wall_ms = wall_ms();
    make_run_id(e);
    if (load_strategy(e) != 0)
        return -1;
    e->store = store;
    if (store_start(e) != 0)
        return -1;
    e->ctx.api = &qte_engine_api;
    e->ctx.engine = e;
    if (e->strat->init && e->strat->init(&e->ctx) != 0) {
        eng_fail(e, "strategy %s: init refused the parameters",
                 e->strat->name ? e->strat->name : "?");
        return -1;
    }
    e->strat_ready = true;
    if (e->resume_kind == 0 && checkpoint(e, false) != 0)
        return -1;
    return 0;
}

qte_engine *qte_engine_new(const qte_config *cfg, qte_store *store, char *err,
                           size_t errlen)
{
    return qte_engine_new_with(cfg, store, NULL, err, errlen);
}

qte_engine *qte_engine_new_with(const qte_config *cfg, qte_store *store,
                                const qte_strategy *s, char *err, size_t errlen)
{
    qte_engine *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->strat = s;
    if (s && (s->abi != QTE_STRATEGY_ABI || !s->on_tick)) {
        snprintf(err, errlen, "strategy: abi %u or no on_tick", s->abi);
        free(e);
        return NULL;
    }
    if (eng_ctl_init(e) != 0) {
        snprintf(err, errlen, "pthread init failed");
        free(e);
        return NULL;
    }
    if (build(e, store) != 0) {
        snprintf(err, errlen, "%s", e->err);
        qte_engine_free(e);
        return NULL;
    }
    return e;
}

void qte_engine_free(qte_engine *e)
{
    if (!e)
        return;
    if (e->strat_ready && e->strat->fini)
        e->strat->fini(&e->ctx);
    if (e->store && e->in_tx)
        e->store->ops->rollback(e->store);
    if (e->dl)
        dlclose(e->dl);
    qte_feed_close(e->feed);
    queue_free(&e->q);
    queue_free(&e->md);
    exec_book_free(&e->book);
    pf_free(&e->pf);
    for (int s = 0; s < e->nsym; s++)
        free(e->symbols[s]);
    eng_ctl_free(e);
    free(e);
}

/* --- the loop ---------------------------------------------------------- */

static bool timer_first(const qte_engine *e)
{
    if (e->ntimers == 0)
        return false;
    return e->src_done || !e->have_pending ||
           e->timers[0].due_ms < e->pending.ts_ms;
}

static qte_timer timer_pop(qte_engine *e)
{
    qte_timer top = e->timers[0];
    qte_timer last = e->timers[--e->ntimers];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1;
        int m = -1;
        const qte_timer *best = &last;
        for (int k = l; k <= l + 1 && k < e->ntimers; k++) {
            const qte_timer *t = &e->timers[k];
            if (t->due_ms < best->due_ms ||
                (t->due_ms == best->due_ms && t->seq < best->seq)) {
                best = t;
                m = k;
            }
        }
        if (m < 0)
            break;
        e->timers[i] = e->timers[m];
        i = m;
    }
    if (e->ntimers > 0)
        e->timers[i] = last;
    return top;
}

/* Wait on the control condition up to ns (capped at 50 ms). */
static void ctl_wait(qte_engine *e, int64_t ns)
{
    if (ns > 50000000)
        ns = 50000000;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (long)ns;
    while (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->ctl_mu);
    if (atomic_load(&e->ctl_gen) == e->ctl_seen)
        pthread_cond_timedwait(&e->ctl_cv, &e->ctl_mu, &ts);
    pthread_mutex_unlock(&e->ctl_mu);
}

/* Live: move the trades waiting in the feed's ring into the market-data
 * lane, as many as it has room for (the rest waits in the ring, where a
 * full ring drops and counts). 0, or -1 on a feed error. */
static int live_pull(qte_engine *e)
{
    while (e->md.n < e->md.cap) {
        qte_tick t;
        int day = 0;
        bool nd = false;
        int r = qte_feed_next(e->feed, &t, &day, &nd);
        if (r == QTE_FEED_ERR) {
            eng_fail(e, "%s", e->feed->err);
            return -1;
        }
        if (r != QTE_FEED_ROW)
            return 0;
        qte_event ev = {.kind = QTE_EV_TICK,
                        .inbox = -1,
                        .sym = t.sym,
                        .ts_ms = t.ts_ms,
                        .price_milli = t.price_milli,
                        .volume = t.volume,
                        .seq = t.seq,
                        .day = day,
                        .enq_ns = clock_mono_ns()};
        queue_push(&e->md, &ev);
    }
    return 0;
}

/* Live counterpart of feed: no pacing (the market paces), and a timer
 * fires only once a trade later than it has arrived (never ahead of the
 * data). New day = the trade's trading day differs from the last one
 * moved out of the lane (cleared trades do not count). Same returns. */
static int feed_live(qte_engine *e)
{
    if (live_pull(e) != 0)
        return -1;
    if (e->md.n == 0) {
        ctl_wait(e, 5000000);
        return 2;
    }
    const qte_event *head = &e->md.ring[e->md.head];
    qte_event ev;
    if (e->ntimers > 0 && e->timers[0].due_ms < head->ts_ms) {
        qte_timer t = timer_pop(e);
        ev = (qte_event){
            .kind = QTE_EV_TIMER, .inbox = -1, .ts_ms = t.due_ms, .id = t.id};
    } else {
        queue_pop(&e->md, &ev);
        ev.new_day = e->live_day != 0 && ev.day != e->live_day;
        e->live_day = ev.day;
    }
    queue_push(&e->q, &ev); /* the queue is empty when feed runs */
    return 1;
}

/* Push the next event in time. 1 pushed, 0 end of data, 2 waited (pacing;
 * call again), -1 error. */
static int feed(qte_engine *e)
{
    if (e->feed->live)
        return feed_live(e);
    if (!e->have_pending && !e->src_done) {
        int r = qte_feed_next(e->feed, &e->pending, &e->pending_day,
                              &e->pending_new_day);
        if (r == QTE_FEED_ERR) {
            eng_fail(e, "%s", e->feed->err);
            return -1;
        }
        e->have_pending = r == QTE_FEED_ROW;
        e->src_done = r == QTE_FEED_END;
    }
    bool timer = timer_first(e) && !e->src_done;
    if (!timer && !e->have_pending)
        return 0;
    int64_t ts = timer ? e->timers[0].due_ms : e->pending.ts_ms;
    int64_t w =
        e->cfg.mode == QTE_MODE_REALTIME || e->cfg.mode == QTE_MODE_ACCEL
            ? clock_wait_ns(&e->clock, ts, clock_mono_ns())
            : 0;
    if (w > 0) {
        ctl_wait(e, w);
        return 2;
    }
    qte_event ev = {.inbox = -1, .enq_ns = 0};
    if (timer) {
        qte_timer t = timer_pop(e);
        ev.kind = QTE_EV_TIMER;
        ev.ts_ms = t.due_ms;
        ev.id = t.id;
    } else {
        ev.kind = QTE_EV_TICK;
        ev.sym = e->pending.sym;
        ev.ts_ms = e->pending.ts_ms;
        ev.price_milli = e->pending.price_milli;
        ev.volume = e->pending.volume;
        ev.seq = e->pending.seq;
        ev.new_day = e->pending_new_day;
        ev.day = e->pending_day;
        e->have_pending = false;
    }
    queue_push(&e->q, &ev); /* the queue is empty when feed runs */
    return 1;
}

/* PENDING orders of t's symbol whose latency passed become WORKING. */
static void activate(qte_engine *e, const qte_tick *t)
{
    pthread_mutex_lock(&e->state_mu);
    for (int i = e->book.head[t->sym]; i >= 0; i = e->book.slots[i].next) {
        exec_order *o = &e->book.slots[i];
        if (o->status == QTE_ORD_PENDING && t->ts_ms > o->active_ts_ms)
            o->status = QTE_ORD_WORKING;
    }
    pthread_mutex_unlock(&e->state_mu);
}

static void on_tick_event(qte_engine *e, const qte_event *ev)
{
    qte_tick t = {ev->ts_ms,       ev->sym,    e->symbols[ev->sym],
                  ev->price_milli, ev->volume, ev->seq};
    e->now_ms = t.ts_ms;
    if (e->first_ts == 0)
        e->first_ts = t.ts_ms;
    if (ev->new_day)
        pf_day_end(&e->pf, e->cur_day);
    e->cur_day = ev->day;
    if (e->book.head[t.sym] >= 0) {
        if (e->latency_ms > 0)
            activate(e, &t);
        exec_book_match(&e->book, &t, e->lots[t.sym], eng_on_fill, e);
    }
    pf_mark(&e->pf, t.sym, t.price_milli, t.ts_ms);
    e->strat->on_tick(&e->ctx, &t);
    atomic_store_explicit(
        &e->ticks, atomic_load_explicit(&e->ticks, memory_order_relaxed) + 1,
        memory_order_relaxed);
    atomic_store_explicit(&e->replay_ts, t.ts_ms, memory_order_relaxed);
}

static void dispatch(qte_engine *e, const qte_event *ev)
{
    switch (ev->kind) {
    case QTE_EV_TICK:
        on_tick_event(e, ev);
        break;
    case QTE_EV_TIMER:
        e->now_ms = ev->ts_ms;
        if (e->strat->on_timer)
            e->strat->on_timer(&e->ctx, ev->id);
        break;
    case QTE_EV_ORDER:
        if (ev->inbox >= 0) {
            eng_inbox_handle(e, ev->inbox);
        } else if (e->strat->on_order && ev->status >= QTE_ORD_FILLED) {
            qte_order_update u = {ev->id, (qte_order_status)ev->status,
                                  (qte_reason)ev->reason};
            e->strat->on_order(&e->ctx, &u);
        }
        break;
    case QTE_EV_FILL:
        if (e->strat->on_fill) {
            qte_fill_info f = {
                ev->id,          ev->sym,        (qte_side)ev->side, ev->qty,
                ev->price_milli, ev->fees_milli, ev->remaining,      ev->ts_ms};
            e->strat->on_fill(&e->ctx, &f);
        }
        break;
    default:
        break;
    }
}

/* Per-event bookkeeping after dispatch; -1 on a failure. */
static int after_event(qte_engine *e, uint64_t n)
{
    if (e->err[0])
        return -1;
    if (e->resume_kind && (int64_t)n == e->resume_at && verify_resume(e))
        return -1;
    if (e->cfg.commit_events > 0 && n % (uint64_t)e->cfg.commit_events == 0 &&
        (int64_t)n > e->resume_at && checkpoint(e, false) != 0)
        return -1;
    if ((n & 4095) == 0) {
        int64_t now = clock_mono_ns();
        if (now - e->rate_ns >= 1000000000) {
            if (e->rate_ns)
                atomic_store(&e->rate, (double)(n - e->rate_events) * 1e9 /
                                           (double)(now - e->rate_ns));
            e->rate_ns = now;
            e->rate_events = n;
        }
        atomic_store(&e->progress, qte_feed_progress(e->feed));
    }
    return 0;
}

/* Stepping: count one released event; pause when the budget is spent. */
static void step_done(qte_engine *e)
{
    pthread_mutex_lock(&e->ctl_mu);
    if (e->step_left > 0 && --e->step_left == 0)
        e->paused = true;
    pthread_mutex_unlock(&e->ctl_mu);
}

static int finish(qte_engine *e)
{
    pf_day_end(&e->pf, e->cur_day);
    pf_finish(&e->pf, e->now_ms);
    atomic_store(&e->progress, 1.0);
    atomic_store(&e->done, true);
    if (e->resume_kind && (int64_t)atomic_load(&e->processed) < e->resume_at) {
        eng_fail(e,
                 "resume mismatch: the data ended at event %llu, before "
                 "the stored checkpoint %lld (inputs changed?)",
                 (unsigned long long)atomic_load(&e->processed),
                 (long long)e->resume_at);
        return -1;
    }
    return checkpoint(e, true);
}

/* Dispatch one event, count it, tell the observer, checkpoint. */
static int handle(qte_engine *e, const qte_event *ev, uint64_t *n)
{
    qte_observer_fn obs =
        atomic_load_explicit(&e->obs_fn, memory_order_relaxed);
    int64_t t0 = obs ? clock_mono_ns() : 0;
    dispatch(e, ev);
    atomic_store_explicit(&e->processed, ++*n, memory_order_relaxed);
    if (obs)
        obs(atomic_load(&e->obs_ud), ev->kind,
            (uint64_t)(clock_mono_ns() - t0));
    return after_event(e, *n);
}

/* Whether the replay waits; *stepping: a step budget is being spent. */
static bool is_paused(qte_engine *e, bool *stepping)
{
    pthread_mutex_lock(&e->ctl_mu);
    bool p = e->paused;
    *stepping = e->step_left > 0;
    pthread_mutex_unlock(&e->ctl_mu);
    return p && !*stepping;
}

static int loop(qte_engine *e, bool (*stop)(void))
{
    uint64_t n = atomic_load(&e->processed);
    bool stepping;
    bool paused = is_paused(e, &stepping);
    for (;;) {
        if ((n & 255) == 0 && stop && stop())
            return 1;
        if (atomic_load_explicit(&e->ctl_gen, memory_order_acquire) !=
            e->ctl_seen) {
            eng_control(e);
            paused = is_paused(e, &stepping);
            if (e->err[0])
                return -1;
        }
        if (paused) {
            /* Orders (manual ones arrive while paused) and their updates
             * are still handled; market data waits (live: it piles up in
             * the queue, where it shows and can be cleared). */
            if (e->feed->live && live_pull(e) != 0)
                return -1;
            qte_event pev;
            if (queue_pop(&e->q, &pev)) {
                if (handle(e, &pev, &n) != 0)
                    return -1;
                continue;
            }
            ctl_wait(e, 50000000);
            if (stop && stop())
                return 1;
            continue;
        }
        qte_event ev;
        if (!queue_pop(&e->q, &ev)) {
            int f = feed(e);
            if (f == 0)
                return 0;
            if (f < 0)
                return -1;
            if (f == 2 && stop && stop())
                return 1;
            continue;
        }
        if (handle(e, &ev, &n) != 0)
            return -1;
        if (stepping) {
            step_done(e);
            paused = is_paused(e, &stepping);
        }
    }
}

int qte_engine_run(qte_engine *e, bool (*stop)(void))
{
    e->err[0] = '\0';
    atomic_store(&e->running, true);
    int rc = loop(e, stop);
    if (rc == 0 && finish(e) != 0)
        rc = -1;
    if (rc == 1 && checkpoint(e, false) != 0)
        rc = -1;
    if (rc < 0 && e->store && e->in_tx) {
        e->store->ops->rollback(e->store);
        e->in_tx = false;
    }
    atomic_store(&e->running, false);
    return rc;
}
