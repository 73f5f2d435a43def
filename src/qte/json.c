/*
 * json.c - the engine's state as JSON documents for the HTTP API
 * (portfolio, positions, trades, orders). Readers on HTTP threads copy
 * under state_mu and format outside it only what they copied; marks and
 * equity are atomics. Money prints as HKD with three decimals, exactly
 * (the integers are milli-HKD), so two runs print the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qte/engine_int.h"

const char *eng_milli(int64_t v, char *buf, size_t cap)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, cap, "%s%llu.%03llu", v < 0 ? "-" : "",
             (unsigned long long)(a / 1000), (unsigned long long)(a % 1000));
    return buf;
}

const char *qte_milli_text(int64_t v, char *buf, size_t cap)
{
    return eng_milli(v, buf, cap);
}

static int done(svc_buf *out)
{
    return out->oom ? -ENOMEM : 0;
}

int qte_engine_json_portfolio(qte_engine *e, svc_buf *out)
{
    char a[32], b[32], c[32], d[32], f[32], g[32];
    pthread_mutex_lock(&e->state_mu);
    int64_t cash = e->pf.cash;
    int64_t realized = e->pf.realized;
    int64_t unreal = pf_unrealized(&e->pf);
    int64_t fees = e->pf.fees;
    int npos = pf_open_positions(&e->pf);
    int64_t trades = e->nfills;
    pthread_mutex_unlock(&e->state_mu);
    int64_t eq = atomic_load_explicit(&e->pf.equity, memory_order_relaxed);
    svc_buf_printf(
        out,
        "{\"run_id\":\"%s\",\"cash\":%s,\"equity\":%s,"
        "\"realized\":%s,\"unrealized\":%s,\"fees\":%s,"
        "\"initial\":%s,\"positions\":%d,\"trades\":%lld,"
        "\"ts_ms\":%lld}",
        e->run_id, eng_milli(cash, a, sizeof(a)), eng_milli(eq, b, sizeof(b)),
        eng_milli(realized, c, sizeof(c)), eng_milli(unreal, d, sizeof(d)),
        eng_milli(fees, f, sizeof(f)), eng_milli(e->pf.initial, g, sizeof(g)),
        npos, (long long)trades, (long long)atomic_load(&e->replay_ts));
    return done(out);
}

int qte_engine_json_positions(qte_engine *e, svc_buf *out)
{
    char a[32], b[32], c[32], d[32], f[32];
    svc_buf_printf(out, "[");
    int k = 0;
    pthread_mutex_lock(&e->state_mu);
    for (int s = 0; s < e->nsym; s++) {
        const pf_position *p = &e->pf.pos[s];
        int64_t last = atomic_load_explicit(&p->last, memory_order_relaxed);
        if (p->qty == 0 && p->realized == 0)
            continue;
        int64_t mv = p->qty * last;
        int64_t avg = p->qty ? p->cost / p->qty : 0;
        svc_buf_printf(
            out,
            "%s{\"symbol\":\"%s\",\"qty\":%lld,\"avg_cost\":%s,"
            "\"last\":%s,\"market_value\":%s,\"unrealized\":%s,"
            "\"realized\":%s}",
            k++ ? "," : "", e->symbols[s], (long long)p->qty,
            eng_milli(avg, a, sizeof(a)), eng_milli(last, b, sizeof(b)),
            eng_milli(mv, c, sizeof(c)), eng_milli(mv - p->cost, d, sizeof(d)),
            eng_milli(p->realized, f, sizeof(f)));
    }
    pthread_mutex_unlock(&e->state_mu);
    svc_buf_printf(out, "]");
    return done(out);
}

int qte_engine_json_trades(qte_engine *e, svc_buf *out, int limit)
{
    char a[32], b[32], c[32];
    if (limit <= 0 || limit > QTE_RECENT)
        limit = QTE_RECENT;
    svc_buf_printf(out, "[");
    pthread_mutex_lock(&e->state_mu);
    int k = 0;
    for (int64_t id = e->nfills; id > 0 && k < limit; id--) {
        const qte_fill_copy *f = &e->fills_recent[id % QTE_RECENT];
        if (f->id != id)
            break;
        svc_buf_printf(out,
                       "%s{\"id\":%lld,\"order_id\":%lld,\"symbol\":\"%s\","
                       "\"side\":\"%s\",\"qty\":%lld,\"price\":%s,"
                       "\"fees\":%s,\"realized\":%s,\"ts_ms\":%lld}",
                       k++ ? "," : "", (long long)f->id, (long long)f->order_id,
                       e->symbols[f->sym], f->side == QTE_BUY ? "buy" : "sell",
                       (long long)f->qty, eng_milli(f->price, a, sizeof(a)),
                       eng_milli(f->fees, b, sizeof(b)),
                       eng_milli(f->realized, c, sizeof(c)),
                       (long long)f->ts_ms);
    }
    pthread_mutex_unlock(&e->state_mu);
    svc_buf_printf(out, "]");
    return done(out);
}

static void order_json(const qte_engine *e, svc_buf *out, const exec_order *o,
                       bool comma)
{
    char a[32];
    svc_buf_printf(
        out,
        "%s{\"id\":%lld,\"symbol\":\"%s\",\"side\":\"%s\",\"type\":\"%s\","
        "\"tif\":\"%s\",\"qty\":%lld,\"filled\":%lld,\"limit\":%s,"
        "\"status\":\"%s\",\"reason\":\"%s\",\"created_ts_ms\":%lld,"
        "\"manual\":%s}",
        comma ? "," : "", (long long)o->id, e->symbols[o->sym],
        o->side == QTE_BUY ? "buy" : "sell",
        o->type == QTE_LIMIT ? "limit" : "market",
        o->tif == QTE_IOC ? "ioc" : "gtc", (long long)o->qty,
        (long long)o->filled, eng_milli(o->limit_milli, a, sizeof(a)),
        qte_status_name(o->status), qte_reason_name(o->reason),
        (long long)o->created_ts_ms, o->manual ? "true" : "false");
}

int qte_engine_json_orders(qte_engine *e, svc_buf *out, int limit)
{
    if (limit <= 0 || limit > QTE_RECENT)
        limit = QTE_RECENT;
    svc_buf_printf(out, "[");
    int k = 0;
    pthread_mutex_lock(&e->state_mu);
    for (int s = 0; s < e->nsym; s++) {
        for (int i = e->book.head[s]; i >= 0; i = e->book.slots[i].next)
            order_json(e, out, &e->book.slots[i], k++ > 0);
    }
    int c = 0;
    for (int64_t id = e->next_order_id; id > 0 && c < limit; id--) {
        const exec_order *o = &e->closed_recent[id % QTE_RECENT];
        if (o->id != id)
            continue;
        order_json(e, out, o, k++ > 0);
        c++;
        if (e->next_order_id - id >= QTE_RECENT)
            break;
    }
    pthread_mutex_unlock(&e->state_mu);
    svc_buf_printf(out, "]");
    return done(out);
}
