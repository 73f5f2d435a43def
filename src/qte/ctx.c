/*
 * ctx.c - what a strategy can do (the qte_api table), and the order and
 * fill paths shared by strategy and manual orders.
 *
 * Placement (eng_place) checks, in this order, and rejects with the first
 * failing reason: symbol known (symbol), quantity a positive multiple of
 * the board lot (lot_size), a limit price on the HKEX table or a market
 * order on a symbol that has traded (tick_size / price), room in the book
 * (full), and then money: a buy needs cash minus what open buys may
 * spend (their open quantity x limit, or x last price for market orders)
 * to cover value + fees at the limit (or last) price; a sell needs the
 * position minus open sells to cover the quantity (no short selling).
 * Every order, rejected or not, gets the next id and an ORDER event that
 * reports terminal states to on_order.
 *
 * Fills (eng_on_fill, called from exec_book_match): fees from the fee
 * table; a buy whose cost exceeds the cash at that moment is cancelled
 * instead (insufficient_cash). A fill updates the portfolio, the order,
 * the store (trade, position, order rows) and queues a FILL event; the
 * strategy hears of it when that event is handled, never from inside the
 * matching loop, so a callback cannot change the book being walked.
 *
 * Replay thread only; state_mu is held while orders, fills and positions
 * change so HTTP readers copy a consistent state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "qte/engine_int.h"

bool eng_writing(const qte_engine *e)
{
    return e->store != NULL &&
           (int64_t)atomic_load_explicit(&e->processed, memory_order_relaxed) >=
               e->resume_at;
}

void eng_put_order(qte_engine *e, const exec_order *o)
{
    if (!eng_writing(e))
        return;
    qte_order_rec r = {
        .run_id = e->run_id,
        .id = o->id,
        .symbol = e->symbols[o->sym],
        .side = o->side,
        .type = o->type,
        .tif = o->tif,
        .qty = o->qty,
        .filled = o->filled,
        .limit_milli = o->limit_milli,
        .status = o->status,
        .reason = qte_reason_name(o->reason),
        .created_ts_ms = o->created_ts_ms,
        .updated_ts_ms = o->updated_ts_ms,
        .manual = o->manual,
    };
    if (e->store->ops->put_order(e->store, &r) != 0 && !e->err[0])
        eng_fail(e, "store: %s", e->store->err);
}

static void push_update(qte_engine *e, int64_t id, qte_order_status st,
                        qte_reason why)
{
    qte_event ev = {.kind = QTE_EV_ORDER,
                    .id = id,
                    .inbox = -1,
                    .status = (int)st,
                    .reason = (int)why,
                    .ts_ms = e->now_ms,
                    .enq_ns = clock_mono_ns()};
    if (queue_push(&e->q, &ev) != 0 && e->strat->on_order) {
        /* Queue full: report at once rather than lose the update. */
        qte_order_update u = {id, st, why};
        e->strat->on_order(&e->ctx, &u);
    }
}

void eng_close(qte_engine *e, exec_order *o, qte_order_status st,
               qte_reason why)
{
    pthread_mutex_lock(&e->state_mu);
    o->status = st;
    o->reason = why;
    o->updated_ts_ms = e->now_ms;
    pthread_mutex_unlock(&e->state_mu);
    eng_put_order(e, o);
    int64_t id = o->id;
    pthread_mutex_lock(&e->state_mu);
    e->closed_recent[id % QTE_RECENT] = *o;
    if (o->slot >= 0 && st != QTE_ORD_REJECTED)
        exec_book_remove(&e->book, o);
    pthread_mutex_unlock(&e->state_mu);
    push_update(e, id, st, why);
}

/* Money that open buys may still spend (open qty x limit or last). */
static int64_t reserved_cash(const qte_engine *e)
{
    int64_t r = 0;
    for (int s = 0; s < e->nsym; s++) {
        int64_t last =
            atomic_load_explicit(&e->pf.pos[s].last, memory_order_relaxed);
        for (int i = e->book.head[s]; i >= 0; i = e->book.slots[i].next) {
            const exec_order *o = &e->book.slots[i];
            if (o->side == QTE_BUY)
                r += (o->qty - o->filled) *
                     (o->type == QTE_LIMIT ? o->limit_milli : last);
        }
    }
    return r;
}

static qte_reason check_order(qte_engine *e, const qte_order_req *req, int sym)
{
    if (sym < 0)
        return QTE_R_SYMBOL;
    if (req->qty <= 0 || req->qty % e->lots[sym] != 0)
        return QTE_R_LOT;
    int64_t last =
        atomic_load_explicit(&e->pf.pos[sym].last, memory_order_relaxed);
    int64_t ref = last;
    if (req->type == QTE_LIMIT) {
        if (req->limit_milli <= 0)
            return QTE_R_PRICE;
        if (!exec_price_valid(req->limit_milli))
            return QTE_R_TICK;
        ref = req->limit_milli;
    } else if (last <= 0) {
        return QTE_R_PRICE;
    }
    if (e->book.nfree == 0)
        return QTE_R_FULL;
    if (req->side == QTE_BUY) {
        exec_cost c;
        int64_t v = ref * req->qty;
        exec_fees_compute(&e->fees, v, v, 0, &c);
        if (v + c.total > e->pf.cash - reserved_cash(e))
            return QTE_R_CASH;
    } else {
        int64_t held = e->pf.pos[sym].qty;
        if (req->qty > held - exec_book_open_qty(&e->book, sym, QTE_SELL))
            return QTE_R_POSITION;
    }
    return QTE_R_NONE;
}

static int find_symbol(const qte_engine *e, const char *name)
{
    for (int s = 0; s < e->nsym; s++) {
        if (strcmp(e->symbols[s], name) == 0)
            return s;
    }
    return -1;
}

int64_t eng_place(qte_engine *e, const qte_order_req *req, bool manual,
                  qte_order_status *status)
{
    int sym = req->symbol ? find_symbol(e, req->symbol)
              : (req->sym >= 0 && req->sym < e->nsym) ? req->sym
                                                      : -1;
    qte_reason why = check_order(e, req, sym);
    exec_order tmp;
    exec_order *o = &tmp;
    pthread_mutex_lock(&e->state_mu);
    int64_t id = ++e->next_order_id;
    e->norders++;
    atomic_store_explicit(&e->orders_pub, e->norders, memory_order_relaxed);
    if (why == QTE_R_NONE) {
        o = exec_book_add(&e->book, sym);
    } else {
        memset(o, 0, sizeof(*o));
        o->slot = -1;
        o->sym = sym < 0 ? 0 : sym;
    }
    o->id = id;
    o->side = req->side;
    o->type = req->type;
    o->tif = req->tif;
    o->manual = manual;
    o->qty = req->qty;
    o->limit_milli = req->type == QTE_LIMIT ? req->limit_milli : 0;
    o->created_ts_ms = e->now_ms;
    o->active_ts_ms = e->now_ms + e->latency_ms;
    o->updated_ts_ms = e->now_ms;
    if (why == QTE_R_NONE)
        o->status = e->latency_ms > 0 ? QTE_ORD_PENDING : QTE_ORD_WORKING;
    pthread_mutex_unlock(&e->state_mu);
    if (why != QTE_R_NONE) {
        e->nrejected++;
        atomic_store_explicit(&e->rejected_pub, e->nrejected,
                              memory_order_relaxed);
        eng_close(e, o, QTE_ORD_REJECTED, why);
        *status = QTE_ORD_REJECTED;
        return -(int64_t)why;
    }
    eng_put_order(e, o);
    push_update(e, id, o->status, QTE_R_NONE);
    *status = o->status;
    return id;
}

static void put_fill(qte_engine *e, const exec_order *o, const qte_tick *t,
                     int64_t qty, const exec_cost *c, int64_t realized)
{
    if (!eng_writing(e))
        return;
    const pf_position *p = &e->pf.pos[o->sym];
    qte_fill_rec f = {
        .run_id = e->run_id,
        .id = e->nfills,
        .order_id = o->id,
        .symbol = e->symbols[o->sym],
        .side = o->side,
        .qty = qty,
        .price_milli = t->price_milli,
        .value_milli = t->price_milli * qty,
        .commission_milli = c->commission,
        .stamp_milli = c->stamp,
        .sfc_milli = c->sfc,
        .afrc_milli = c->afrc,
        .trading_fee_milli = c->trading,
        .settlement_milli = c->settlement,
        .fees_milli = c->total,
        .cash_after_milli = e->pf.cash,
        .realized_milli = realized,
        .ts_ms = t->ts_ms,
    };
    qte_position_rec pr = {
        .run_id = e->run_id,
        .symbol = e->symbols[o->sym],
        .qty = p->qty,
        .cost_milli = p->cost,
        .realized_milli = p->realized,
        .last_milli = t->price_milli,
        .updated_ts_ms = t->ts_ms,
    };
    if ((e->store->ops->put_fill(e->store, &f) != 0 ||
         e->store->ops->put_position(e->store, &pr) != 0) &&
        !e->err[0])
        eng_fail(e, "store: %s", e->store->err);
}

int eng_on_fill(void *ud, exec_order *o, const qte_tick *t, int64_t qty)
{
    qte_engine *e = ud;
    if (qty == 0) {
        eng_close(e, o, QTE_ORD_CANCELLED, QTE_R_IOC);
        return 1;
    }
    int64_t value = t->price_milli * qty;
    exec_cost c;
    exec_fees_compute(&e->fees, value, o->cum_value + value, o->commission_paid,
                      &c);
    if (o->side == QTE_BUY && value + c.total > e->pf.cash) {
        eng_close(e, o, QTE_ORD_CANCELLED, QTE_R_CASH);
        return 1;
    }
    if (o->side == QTE_SELL && qty > e->pf.pos[o->sym].qty) {
        eng_close(e, o, QTE_ORD_CANCELLED, QTE_R_POSITION);
        return 1;
    }
    int64_t realized = 0;
    pthread_mutex_lock(&e->state_mu);
    pf_fill(&e->pf, o->sym, o->side, qty, t->price_milli, c.total, t->ts_ms,
            &realized);
    o->filled += qty;
    o->cum_value += value;
    o->commission_paid += c.commission;
    o->updated_ts_ms = t->ts_ms;
    e->nfills++;
    qte_fill_copy *fc = &e->fills_recent[e->nfills % QTE_RECENT];
    *fc = (qte_fill_copy){e->nfills,      o->id,   o->sym,   o->side, qty,
                          t->price_milli, c.total, realized, t->ts_ms};
    pthread_mutex_unlock(&e->state_mu);
    atomic_store_explicit(&e->trades_pub, e->nfills, memory_order_relaxed);
    put_fill(e, o, t, qty, &c, realized);
    qte_event ev = {.kind = QTE_EV_FILL,
                    .sym = o->sym,
                    .ts_ms = t->ts_ms,
                    .price_milli = t->price_milli,
                    .id = o->id,
                    .qty = qty,
                    .fees_milli = c.total,
                    .remaining = o->qty - o->filled,
                    .side = o->side,
                    .inbox = -1,
                    .enq_ns = clock_mono_ns()};
    if (queue_push(&e->q, &ev) != 0 && e->strat->on_fill) {
        qte_fill_info fi = {o->id,          o->sym,  o->side,      qty,
                            t->price_milli, c.total, ev.remaining, t->ts_ms};
        e->strat->on_fill(&e->ctx, &fi);
    }
    if (o->filled == o->qty) {
        eng_close(e, o, QTE_ORD_FILLED, QTE_R_NONE);
        return 0;
    }
    pthread_mutex_lock(&e->state_mu);
    o->status = QTE_ORD_PARTIAL;
    pthread_mutex_unlock(&e->state_mu);
    eng_put_order(e, o);
    return 0;
}

/* --- the qte_api table ---------------------------------------------- */

static qte_engine *eng(qte_ctx *ctx)
{
    return ctx->engine;
}

static int64_t api_now(qte_ctx *ctx)
{
    return eng(ctx)->now_ms;
}

static int64_t api_order(qte_ctx *ctx, const qte_order_req *req)
{
    qte_order_status st;
    return eng_place(eng(ctx), req, false, &st);
}

static int api_cancel(qte_ctx *ctx, int64_t id)
{
    qte_engine *e = eng(ctx);
    exec_order *o = exec_book_find(&e->book, id);
    if (!o)
        return -1;
    eng_close(e, o, QTE_ORD_CANCELLED, QTE_R_CANCELLED);
    return 0;
}

static int64_t api_position(qte_ctx *ctx, int sym)
{
    qte_engine *e = eng(ctx);
    return sym >= 0 && sym < e->nsym ? e->pf.pos[sym].qty : 0;
}

static int64_t api_cash(qte_ctx *ctx)
{
    return eng(ctx)->pf.cash;
}

static const char *api_param(qte_ctx *ctx, const char *name, const char *def)
{
    qte_engine *e = eng(ctx);
    for (int i = 0; i < e->nparams; i++) {
        if (strcmp(e->pkeys[i], name) == 0)
            return e->pvals[i];
    }
    return def;
}

static double api_param_num(qte_ctx *ctx, const char *name, double def)
{
    const char *v = api_param(ctx, name, NULL);
    if (!v || !v[0])
        return def;
    char *end = NULL;
    double x = strtod(v, &end);
    return end && *end == '\0' ? x : def;
}

static int api_set_timer(qte_ctx *ctx, int64_t ts_ms, int64_t id)
{
    qte_engine *e = eng(ctx);
    if (e->ntimers == QTE_TIMERS_MAX)
        return -1;
    qte_timer t = {ts_ms, ++e->timer_seq, id};
    int i = e->ntimers++;
    while (i > 0) {
        int p = (i - 1) / 2;
        const qte_timer *q = &e->timers[p];
        if (q->due_ms < t.due_ms || (q->due_ms == t.due_ms && q->seq < t.seq))
            break;
        e->timers[i] = e->timers[p];
        i = p;
    }
    e->timers[i] = t;
    return 0;
}

static int api_symbol_count(qte_ctx *ctx)
{
    return eng(ctx)->nsym;
}

static const char *api_symbol_name(qte_ctx *ctx, int sym)
{
    qte_engine *e = eng(ctx);
    return sym >= 0 && sym < e->nsym ? e->symbols[sym] : NULL;
}

static int64_t api_lot(qte_ctx *ctx, int sym)
{
    qte_engine *e = eng(ctx);
    return sym >= 0 && sym < e->nsym ? e->lots[sym] : 0;
}

static int64_t api_tick(qte_ctx *ctx, int64_t price, bool up)
{
    (void)ctx;
    return exec_tick_size(price, up);
}

static void api_log(qte_ctx *ctx, const char *msg)
{
    char q[512];
    LOG(LOG_INFO, "qte.strategy", "strategy_log ts_ms=%lld msg=%s",
        (long long)eng(ctx)->now_ms, log_quote(msg, q, sizeof(q)));
}

const qte_api qte_engine_api = {
    .now_ms = api_now,
    .order = api_order,
    .cancel = api_cancel,
    .position = api_position,
    .cash_milli = api_cash,
    .param = api_param,
    .param_num = api_param_num,
    .set_timer = api_set_timer,
    .symbol_count = api_symbol_count,
    .symbol_name = api_symbol_name,
    .lot_size = api_lot,
    .tick_size = api_tick,
    .log = api_log,
};
