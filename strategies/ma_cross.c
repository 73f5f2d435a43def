/*
 * ma_cross.c - example strategy: moving-average crossover on trade prices.
 *
 * Per symbol, two simple moving averages over the last `fast` and `slow`
 * trades (ring buffer of the last `slow` prices, integer sums). When the
 * fast average crosses above the slow one and the symbol is flat, buy
 * `lots` board lots at market; when it crosses below and the symbol is
 * held, sell the whole position at market. At most one order per symbol
 * is open at a time (cleared by on_order when it leaves the book).
 *
 * Parameters: fast (20), slow (60), lots (1), cooldown_ms (0: after an
 * order, ignore the symbol's crossings for this long in replay time).
 * Deterministic: it reads only its callbacks' arguments.
 *
 * Build: cc -shared -fPIC -I src -o ma_cross.so strategies/ma_cross.c
 */
#include <stdlib.h>

#include "qte/strategy.h"

typedef struct sym_state {
    int64_t *ring;
    int n;   /* prices seen, capped at slow */
    int pos; /* next ring slot */
    int64_t sum_fast, sum_slow;
    int last_sign; /* sign(fast - slow) at the previous trade */
    int64_t open_id;
    int64_t quiet_until; /* replay ms */
} sym_state;

typedef struct ma {
    int fast, slow;
    int64_t lots;
    int64_t cooldown_ms;
    int nsym;
    sym_state *s;
} ma;

static void ma_free(ma *m)
{
    for (int i = 0; m->s && i < m->nsym; i++)
        free(m->s[i].ring);
    free(m->s);
    free(m);
}

static int ma_init(qte_ctx *ctx)
{
    ma *m = calloc(1, sizeof(*m));
    if (!m)
        return -1;
    m->fast = (int)ctx->api->param_num(ctx, "fast", 20);
    m->slow = (int)ctx->api->param_num(ctx, "slow", 60);
    m->lots = (int64_t)ctx->api->param_num(ctx, "lots", 1);
    m->cooldown_ms = (int64_t)ctx->api->param_num(ctx, "cooldown_ms", 0);
    m->nsym = ctx->api->symbol_count(ctx);
    bool ok = m->fast >= 1 && m->slow > m->fast && m->lots >= 1;
    if (ok)
        m->s = calloc((size_t)m->nsym, sizeof(*m->s));
    ok = ok && m->s;
    for (int i = 0; ok && i < m->nsym; i++) {
        m->s[i].ring = calloc((size_t)m->slow, sizeof(int64_t));
        ok = m->s[i].ring != NULL;
    }
    if (!ok) {
        ma_free(m);
        return -1;
    }
    ctx->user = m;
    return 0;
}

static void ma_tick(qte_ctx *ctx, const qte_tick *t)
{
    ma *m = ctx->user;
    sym_state *s = &m->s[t->sym];
    /* The price leaving the fast window is `fast` slots back. */
    if (s->n >= m->fast) {
        int k = (s->pos - m->fast + m->slow) % m->slow;
        s->sum_fast -= s->ring[k];
    }
    if (s->n == m->slow)
        s->sum_slow -= s->ring[s->pos];
    else
        s->n++;
    s->ring[s->pos] = t->price_milli;
    s->pos = (s->pos + 1) % m->slow;
    s->sum_fast += t->price_milli;
    s->sum_slow += t->price_milli;
    if (s->n < m->slow)
        return;
    /* fast/f vs slow/s compared without division. */
    int64_t a = s->sum_fast * m->slow, b = s->sum_slow * m->fast;
    int sign = (a > b) - (a < b);
    int prev = s->last_sign;
    s->last_sign = sign;
    if (prev == 0 || sign == prev || sign == 0 || s->open_id ||
        t->ts_ms < s->quiet_until)
        return;
    int64_t held = ctx->api->position(ctx, t->sym);
    qte_order_req r = {.sym = t->sym, .type = QTE_MARKET, .tif = QTE_GTC};
    if (sign > 0 && held == 0) {
        r.side = QTE_BUY;
        r.qty = m->lots * ctx->api->lot_size(ctx, t->sym);
    } else if (sign < 0 && held > 0) {
        r.side = QTE_SELL;
        r.qty = held;
    } else {
        return;
    }
    int64_t id = ctx->api->order(ctx, &r);
    if (id > 0)
        s->open_id = id;
    s->quiet_until = t->ts_ms + m->cooldown_ms;
}

static void ma_order(qte_ctx *ctx, const qte_order_update *u)
{
    ma *m = ctx->user;
    for (int i = 0; i < m->nsym; i++) {
        if (m->s[i].open_id == u->order_id)
            m->s[i].open_id = 0;
    }
}

static void ma_fini(qte_ctx *ctx)
{
    ma_free(ctx->user);
}

static const qte_strategy strategy = {
    .abi = QTE_STRATEGY_ABI,
    .name = "ma_cross",
    .init = ma_init,
    .on_tick = ma_tick,
    .on_order = ma_order,
    .fini = ma_fini,
};

const qte_strategy *qte_strategy_entry(void);

const qte_strategy *qte_strategy_entry(void)
{
    return &strategy;
}
