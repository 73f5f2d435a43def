/*
 * exec.c - simulated execution: tick sizes, fees, the book of open orders.
 *
 * The model (docs/engine.md "Fill and fee model"):
 *   - Trades only. The day files hold trade prints (price, volume), no
 *     order book, so an order fills against later trade prints: a market
 *     order at the print's price, a limit order when the print is at or
 *     through its limit, also at the print's price (no price improvement
 *     beyond the print, no queue position modelled).
 *   - No look-ahead: an order placed at replay time t (the time of the
 *     event being handled) with latency L can use only trades with
 *     ts_ms > t + L. Trades of the same millisecond as the order, which
 *     the strategy may already have seen, never fill it.
 *   - Volume: a print's volume is shared by the symbol's open orders in
 *     placement order, whole board lots only (odd-lot remainders of a
 *     print are not used), so a large order fills partially over several
 *     prints.
 *   - IOC: the order's one chance is the first print after it is active;
 *     what that print does not fill is cancelled (reason "ioc").
 *
 * HKEX spread table (Part A), upper bound inclusive, in milli-HKD:
 *   0.01-0.25: 0.001  | 0.25-0.50: 0.005 | 0.50-10: 0.01 | 10-20: 0.02
 *   20-100: 0.05      | 100-200: 0.1     | 200-500: 0.2  | 500-1000: 0.5
 *   1000-2000: 1      | 2000-5000: 2     | 5000-9995: 5
 *
 * Fees are integers: rates in parts per 1e9, amounts in milli-HKD, and
 * every product goes through 128-bit arithmetic, so they are exact and the
 * same on every machine.
 *
 * The book is a fixed array of slots with a free stack; open orders of a
 * symbol form a doubly linked list in placement order. Replay thread only.
 */
#include "qte/exec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int64_t upper;
    int64_t tick;
} bands[] = {
    {250, 1},        {500, 5},        {10000, 10},     {20000, 20},
    {100000, 50},    {200000, 100},   {500000, 200},   {1000000, 500},
    {2000000, 1000}, {5000000, 2000}, {9995000, 5000},
};
#define NBANDS (sizeof(bands) / sizeof(bands[0]))

int64_t exec_tick_size(int64_t price_milli, bool up)
{
    if (price_milli < EXEC_PRICE_MIN_MILLI ||
        price_milli > EXEC_PRICE_MAX_MILLI)
        return 0;
    for (size_t i = 0; i < NBANDS; i++) {
        if (up ? price_milli < bands[i].upper : price_milli <= bands[i].upper)
            return bands[i].tick;
    }
    return up ? 0 : bands[NBANDS - 1].tick;
}

bool exec_price_valid(int64_t price_milli)
{
    int64_t t = exec_tick_size(price_milli, false);
    return t > 0 && price_milli % t == 0;
}

static int to_ppb(double rate, int64_t *out)
{
    if (!isfinite(rate) || rate < 0 || rate > 1)
        return -1;
    *out = llround(rate * 1e9);
    return 0;
}

static int to_milli(double hkd, int64_t *out)
{
    if (!isfinite(hkd) || hkd < 0 || hkd > 1e12)
        return -1;
    *out = llround(hkd * 1000.0);
    return 0;
}

int exec_fees_init(exec_fees *f, const qte_fee_table *t)
{
    int bad = 0;
    memset(f, 0, sizeof(*f));
    bad |= to_ppb(t->commission_rate, &f->commission_ppb);
    bad |= to_milli(t->commission_min, &f->commission_min);
    bad |= to_ppb(t->stamp_rate, &f->stamp_ppb);
    bad |= to_ppb(t->sfc_rate, &f->sfc_ppb);
    bad |= to_ppb(t->afrc_rate, &f->afrc_ppb);
    bad |= to_ppb(t->trading_rate, &f->trading_ppb);
    bad |= to_ppb(t->settle_rate, &f->settle_ppb);
    bad |= to_milli(t->settle_min, &f->settle_min);
    bad |= to_milli(t->settle_max, &f->settle_max);
    if (bad) {
        memset(f, 0, sizeof(*f));
        return -1;
    }
    return 0;
}

/* value x ppb / 1e9 milli, rounded half up to the cent (10 milli). */
static int64_t cents(int64_t value, int64_t ppb)
{
    __int128 x = (__int128)value * ppb; /* milli x 1e9 */
    __int128 unit = (__int128)10 * 1000000000;
    return (int64_t)((x + unit / 2) / unit) * 10;
}

/* value x ppb / 1e9 milli, rounded up to the dollar (1000 milli). */
static int64_t dollars_up(int64_t value, int64_t ppb)
{
    __int128 x = (__int128)value * ppb;
    __int128 unit = (__int128)1000 * 1000000000;
    return (int64_t)((x + unit - 1) / unit) * 1000;
}

void exec_fees_compute(const exec_fees *f, int64_t value_milli,
                       int64_t cum_value_milli, int64_t charged, exec_cost *out)
{
    int64_t due = cents(cum_value_milli, f->commission_ppb);
    if (due < f->commission_min)
        due = f->commission_min;
    out->commission = due > charged ? due - charged : 0;
    out->stamp = dollars_up(value_milli, f->stamp_ppb);
    out->sfc = cents(value_milli, f->sfc_ppb);
    out->afrc = cents(value_milli, f->afrc_ppb);
    out->trading = cents(value_milli, f->trading_ppb);
    int64_t s = cents(value_milli, f->settle_ppb);
    if (s < f->settle_min)
        s = f->settle_min;
    if (f->settle_max > 0 && s > f->settle_max)
        s = f->settle_max;
    out->settlement = s;
    out->total = out->commission + out->stamp + out->sfc + out->afrc +
                 out->trading + out->settlement;
}

int exec_book_init(exec_book *b, int cap, int nsym)
{
    memset(b, 0, sizeof(*b));
    b->slots = calloc((size_t)cap, sizeof(*b->slots));
    b->free_slots = calloc((size_t)cap, sizeof(int));
    b->head = calloc((size_t)nsym, sizeof(int));
    b->tail = calloc((size_t)nsym, sizeof(int));
    if (!b->slots || !b->free_slots || !b->head || !b->tail) {
        exec_book_free(b);
        return -ENOMEM;
    }
    b->cap = cap;
    b->nsym = nsym;
    for (int i = 0; i < cap; i++)
        b->free_slots[i] = cap - 1 - i;
    b->nfree = cap;
    for (int s = 0; s < nsym; s++) {
        b->head[s] = -1;
        b->tail[s] = -1;
    }
    return 0;
}

void exec_book_free(exec_book *b)
{
    free(b->slots);
    free(b->free_slots);
    free(b->head);
    free(b->tail);
    memset(b, 0, sizeof(*b));
}

exec_order *exec_book_add(exec_book *b, int sym)
{
    if (b->nfree == 0 || sym < 0 || sym >= b->nsym)
        return NULL;
    int i = b->free_slots[--b->nfree];
    exec_order *o = &b->slots[i];
    memset(o, 0, sizeof(*o));
    o->slot = i;
    o->sym = sym;
    o->next = -1;
    o->prev = b->tail[sym];
    if (b->tail[sym] >= 0)
        b->slots[b->tail[sym]].next = i;
    else
        b->head[sym] = i;
    b->tail[sym] = i;
    b->open++;
    return o;
}

void exec_book_remove(exec_book *b, exec_order *o)
{
    int s = o->sym;
    if (o->prev >= 0)
        b->slots[o->prev].next = o->next;
    else
        b->head[s] = o->next;
    if (o->next >= 0)
        b->slots[o->next].prev = o->prev;
    else
        b->tail[s] = o->prev;
    b->free_slots[b->nfree++] = o->slot;
    b->open--;
    o->id = 0;
}

exec_order *exec_book_find(exec_book *b, int64_t id)
{
    for (int s = 0; s < b->nsym; s++) {
        for (int i = b->head[s]; i >= 0; i = b->slots[i].next) {
            if (b->slots[i].id == id)
                return &b->slots[i];
        }
    }
    return NULL;
}

int64_t exec_book_open_qty(const exec_book *b, int sym, qte_side side)
{
    int64_t n = 0;
    for (int i = b->head[sym]; i >= 0; i = b->slots[i].next) {
        const exec_order *o = &b->slots[i];
        if (o->side == side)
            n += o->qty - o->filled;
    }
    return n;
}

static bool crosses(const exec_order *o, int64_t price)
{
    if (o->type == QTE_MARKET)
        return true;
    return o->side == QTE_BUY ? price <= o->limit_milli
                              : price >= o->limit_milli;
}

int exec_book_match(exec_book *b, const qte_tick *t, int64_t lot,
                    exec_fill_fn fn, void *ud)
{
    int fills = 0;
    int64_t avail = lot > 0 ? t->volume / lot * lot : t->volume;
    int i = b->head[t->sym];
    while (i >= 0) {
        exec_order *o = &b->slots[i];
        int next = o->next;
        if (t->ts_ms <= o->active_ts_ms) {
            i = next;
            continue;
        }
        int64_t q = 0;
        if (avail > 0 && crosses(o, t->price_milli)) {
            q = o->qty - o->filled;
            if (q > avail)
                q = avail;
        }
        if (q > 0) {
            avail -= q;
            fills++;
            if (fn(ud, o, t, q) != 0) {
                i = next;
                continue;
            }
        }
        /* o may have been removed when the fill completed it. */
        if (o->id != 0 && o->tif == QTE_IOC)
            fn(ud, o, t, 0);
        i = next;
    }
    return fills;
}
