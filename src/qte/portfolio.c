/*
 * portfolio.c - the account: cash, positions, P&L, drawdown, curve.
 *
 * Invariants: equity == cash + sum(qty x last) after every call; cost is
 * 0 when qty is 0; every number is an integer in milli-HKD, so two runs
 * give the same bits. Average cost is cost / qty (fees included), and a
 * sale takes cost x sold / held out (floor), the remainder staying with
 * the shares still held.
 *
 * The equity curve is sampled on replay time, at most one point per
 * period; when PF_CURVE_MAX points are kept, every other one is dropped
 * and the period doubles, so memory is fixed whatever the run's length
 * and the result depends only on the events. Drawdown is tracked on
 * every mark (every trade of a held symbol moves equity).
 *
 * The replay thread writes; marks and equity are atomics (relaxed: each
 * is one value, no ordering with others is promised to readers).
 */
#include "qte/portfolio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pf_init(portfolio *pf, int nsym, int64_t initial, int64_t period_ms)
{
    memset(pf, 0, sizeof(*pf));
    pf->pos = calloc((size_t)(nsym > 0 ? nsym : 1), sizeof(*pf->pos));
    if (!pf->pos)
        return -ENOMEM;
    pf->nsym = nsym;
    pf->initial = initial;
    pf->cash = initial;
    atomic_store_explicit(&pf->equity, initial, memory_order_relaxed);
    pf->peak = initial;
    pf->period_ms = period_ms > 0 ? period_ms : 60000;
    return 0;
}

void pf_free(portfolio *pf)
{
    free(pf->pos);
    pf->pos = NULL;
}

static void curve_add(portfolio *pf, int64_t ts, int64_t eq)
{
    if (pf->ncurve == PF_CURVE_MAX) {
        int k = 0;
        for (int i = 0; i < pf->ncurve; i += 2)
            pf->curve[k++] = pf->curve[i];
        pf->ncurve = k;
        pf->period_ms *= 2;
    }
    pf->curve[pf->ncurve].ts_ms = ts;
    pf->curve[pf->ncurve].equity = eq;
    pf->ncurve++;
    pf->next_sample_ms = ts - ts % pf->period_ms + pf->period_ms;
}

static void track(portfolio *pf, int64_t eq, int64_t ts)
{
    if (eq > pf->peak)
        pf->peak = eq;
    if (pf->peak > 0) {
        double dd = (double)(pf->peak - eq) / (double)pf->peak;
        if (dd > pf->max_dd)
            pf->max_dd = dd;
    }
    if (ts >= pf->next_sample_ms)
        curve_add(pf, ts, eq);
}

void pf_mark(portfolio *pf, int sym, int64_t price, int64_t ts_ms)
{
    pf_position *p = &pf->pos[sym];
    int64_t old = atomic_load_explicit(&p->last, memory_order_relaxed);
    atomic_store_explicit(&p->last, price, memory_order_relaxed);
    int64_t eq = atomic_load_explicit(&pf->equity, memory_order_relaxed);
    bool moved = p->qty != 0 && old != price;
    if (moved) {
        eq += p->qty * (price - old);
        atomic_store_explicit(&pf->equity, eq, memory_order_relaxed);
    }
    if (moved || ts_ms >= pf->next_sample_ms)
        track(pf, eq, ts_ms);
}

void pf_fill(portfolio *pf, int sym, qte_side side, int64_t qty, int64_t price,
             int64_t fees, int64_t ts_ms, int64_t *realized_out)
{
    pf_position *p = &pf->pos[sym];
    int64_t value = price * qty;
    int64_t r = 0;
    if (side == QTE_BUY) {
        pf->cash -= value + fees;
        p->cost += value + fees;
        p->qty += qty;
    } else {
        int64_t part = qty >= p->qty ? p->cost : p->cost * qty / p->qty;
        r = value - fees - part;
        pf->cash += value - fees;
        p->cost -= part;
        p->qty -= qty;
        p->realized += r;
        pf->realized += r;
        pf->round_trips++;
        if (r > 0)
            pf->wins++;
    }
    pf->fees += fees;
    pf->turnover += value;
    p->updated_ts_ms = ts_ms;
    /* The fill is at the trade's price, which is also the new mark. */
    atomic_store_explicit(&p->last, price, memory_order_relaxed);
    int64_t eq = pf->cash;
    for (int s = 0; s < pf->nsym; s++)
        eq += pf->pos[s].qty *
              atomic_load_explicit(&pf->pos[s].last, memory_order_relaxed);
    atomic_store_explicit(&pf->equity, eq, memory_order_relaxed);
    track(pf, eq, ts_ms);
    if (realized_out)
        *realized_out = r;
}

void pf_day_end(portfolio *pf, int day)
{
    if (pf->ndays < PF_DAYS_MAX && day > 0) {
        pf->day_id[pf->ndays] = day;
        pf->day_close[pf->ndays++] =
            atomic_load_explicit(&pf->equity, memory_order_relaxed);
    }
}

void pf_finish(portfolio *pf, int64_t ts_ms)
{
    int64_t eq = atomic_load_explicit(&pf->equity, memory_order_relaxed);
    if (pf->ncurve > 0 && pf->curve[pf->ncurve - 1].ts_ms == ts_ms) {
        pf->curve[pf->ncurve - 1].equity = eq;
        return;
    }
    if (pf->ncurve == PF_CURVE_MAX)
        pf->ncurve--;
    pf->curve[pf->ncurve].ts_ms = ts_ms;
    pf->curve[pf->ncurve].equity = eq;
    pf->ncurve++;
}

int64_t pf_unrealized(const portfolio *pf)
{
    int64_t u = 0;
    for (int s = 0; s < pf->nsym; s++) {
        const pf_position *p = &pf->pos[s];
        if (p->qty != 0)
            u += p->qty * atomic_load_explicit(&p->last, memory_order_relaxed) -
                 p->cost;
    }
    return u;
}

int pf_open_positions(const portfolio *pf)
{
    int n = 0;
    for (int s = 0; s < pf->nsym; s++)
        n += pf->pos[s].qty != 0;
    return n;
}
