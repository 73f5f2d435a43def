/*
 * vwap_revert.c - example strategy: mean reversion around the day's VWAP.
 *
 * Per symbol, the volume-weighted average price of the current HK day's
 * trades (reset when the HK date changes). After `warmup` trades, when a
 * trade prints more than `band_bps` below VWAP and the symbol is flat,
 * place a limit buy of `lots` board lots at VWAP less half the band,
 * rounded down to the HKEX tick (IOC: it takes only the next print, if
 * that print is at or below the limit); when held and a trade prints at
 * or above VWAP, sell the position with a limit at VWAP rounded down to
 * the tick (IOC). One open order per symbol at a time.
 *
 * Parameters: band_bps (20), lots (1), warmup (50).
 *
 * Build: cc -shared -fPIC -I src -o vwap_revert.so strategies/vwap_revert.c
 */
#include <stdlib.h>

#include "qte/strategy.h"

#define HK_OFFSET_MS (8 * 3600 * 1000LL)

typedef struct vw_sym {
    int64_t day;
    double pv; /* sum price x volume, milli-HKD x shares */
    int64_t vol;
    int64_t trades;
    int64_t open_id;
} vw_sym;

typedef struct vw {
    double band;
    int64_t lots;
    int64_t warmup;
    int nsym;
    vw_sym *s;
} vw;

static int vw_init(qte_ctx *ctx)
{
    vw *v = calloc(1, sizeof(*v));
    if (!v)
        return -1;
    v->band = ctx->api->param_num(ctx, "band_bps", 20) / 1e4;
    v->lots = (int64_t)ctx->api->param_num(ctx, "lots", 1);
    v->warmup = (int64_t)ctx->api->param_num(ctx, "warmup", 50);
    v->nsym = ctx->api->symbol_count(ctx);
    v->s = calloc((size_t)v->nsym, sizeof(*v->s));
    if (!v->s || v->band <= 0 || v->lots < 1) {
        free(v->s);
        free(v);
        return -1;
    }
    ctx->user = v;
    return 0;
}

/* price rounded to the tick grid, down or up. */
static int64_t on_grid(qte_ctx *ctx, int64_t p, bool up)
{
    int64_t t = ctx->api->tick_size(ctx, p, up);
    if (t <= 0)
        return 0;
    return up ? (p + t - 1) / t * t : p / t * t;
}

static void vw_tick(qte_ctx *ctx, const qte_tick *t)
{
    vw *v = ctx->user;
    vw_sym *s = &v->s[t->sym];
    int64_t day = (t->ts_ms + HK_OFFSET_MS) / 86400000;
    if (day != s->day) {
        s->day = day;
        s->pv = 0;
        s->vol = 0;
        s->trades = 0;
    }
    s->pv += (double)t->price_milli * (double)t->volume;
    s->vol += t->volume;
    s->trades++;
    if (s->trades < v->warmup || s->vol <= 0 || s->open_id)
        return;
    double vwap = s->pv / (double)s->vol;
    int64_t held = ctx->api->position(ctx, t->sym);
    qte_order_req r = {.sym = t->sym, .type = QTE_LIMIT, .tif = QTE_IOC};
    if (held == 0 && (double)t->price_milli < vwap * (1.0 - v->band)) {
        r.side = QTE_BUY;
        r.qty = v->lots * ctx->api->lot_size(ctx, t->sym);
        r.limit_milli =
            on_grid(ctx, (int64_t)(vwap * (1.0 - v->band / 2)), false);
    } else if (held > 0 && (double)t->price_milli >= vwap) {
        r.side = QTE_SELL;
        r.qty = held;
        r.limit_milli = on_grid(ctx, (int64_t)vwap, false);
    } else {
        return;
    }
    int64_t id = ctx->api->order(ctx, &r);
    if (id > 0)
        s->open_id = id;
}

static void vw_order(qte_ctx *ctx, const qte_order_update *u)
{
    vw *v = ctx->user;
    for (int i = 0; i < v->nsym; i++) {
        if (v->s[i].open_id == u->order_id)
            v->s[i].open_id = 0;
    }
}

static void vw_fini(qte_ctx *ctx)
{
    vw *v = ctx->user;
    free(v->s);
    free(v);
}

static const qte_strategy strategy = {
    .abi = QTE_STRATEGY_ABI,
    .name = "vwap_revert",
    .init = vw_init,
    .on_tick = vw_tick,
    .on_order = vw_order,
    .fini = vw_fini,
};

const qte_strategy *qte_strategy_entry(void);

const qte_strategy *qte_strategy_entry(void)
{
    return &strategy;
}
