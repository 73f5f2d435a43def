/*
 * portfolio.h - cash, positions, average cost, realized and unrealized
 * P&L marked to the last trade, drawdown and the equity curve.
 *
 * Integer milli-HKD throughout. The replay thread writes; other threads
 * read under the engine's state mutex, except the marks (last prices) and
 * equity, which are atomics so a tick needs no lock.
 */
#ifndef HK_QTE_PORTFOLIO_H
#define HK_QTE_PORTFOLIO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "qte/strategy.h"

typedef struct pf_position {
    int64_t qty;
    int64_t cost;         /* total cost of the shares held, buy fees included */
    int64_t realized;     /* net of fees */
    _Atomic int64_t last; /* mark: last trade price, 0 before any */
    int64_t updated_ts_ms;
} pf_position;

/* One equity-curve point. */
typedef struct pf_point {
    int64_t ts_ms;
    int64_t equity;
} pf_point;

#define PF_CURVE_MAX 2048
#define PF_DAYS_MAX 512

typedef struct portfolio {
    int nsym;
    pf_position *pos;
    int64_t initial;
    int64_t cash;
    _Atomic int64_t equity; /* cash + sum qty x last */
    int64_t fees;
    int64_t turnover;
    int64_t realized;
    int64_t wins;
    int64_t round_trips;
    int64_t peak;
    double max_dd;
    /* equity curve: one point per period of replay time, the period
     * doubling (and every other point dropped) when the array is full */
    pf_point curve[PF_CURVE_MAX];
    int ncurve;
    int64_t period_ms;
    int64_t next_sample_ms;
    /* closing equity of each trading day, for the Sharpe ratio */
    int64_t day_close[PF_DAYS_MAX];
    int day_id[PF_DAYS_MAX]; /* YYYYMMDD */
    int ndays;
} portfolio;

/* Set up for nsym symbols with initial cash; period_ms > 0 is the first
 * curve sampling period. Returns 0 or -ENOMEM (pf needs no free then). */
int pf_init(portfolio *pf, int nsym, int64_t initial, int64_t period_ms);
void pf_free(portfolio *pf);

/* A trade print of sym at price: new mark, equity, drawdown, curve. */
void pf_mark(portfolio *pf, int sym, int64_t price, int64_t ts_ms);

/*
 * Apply a fill. Buy: cash -= value + fees, cost += value + fees. Sell:
 * the shares' share of cost (cost x qty / held, the whole cost when all
 * are sold) leaves, realized += value - fees - that cost. *realized_out
 * (may be NULL) gets this fill's realized P&L (0 for a buy). The caller
 * checked cash and position.
 */
void pf_fill(portfolio *pf, int sym, qte_side side, int64_t qty, int64_t price,
             int64_t fees, int64_t ts_ms, int64_t *realized_out);

/* Close trading day `day` (YYYYMMDD): records its closing equity. */
void pf_day_end(portfolio *pf, int day);
/* Append the final curve point at ts_ms. */
void pf_finish(portfolio *pf, int64_t ts_ms);

/* Unrealized P&L: sum of qty x last - cost. */
int64_t pf_unrealized(const portfolio *pf);
/* Symbols with a non-zero position. */
int pf_open_positions(const portfolio *pf);

#endif
