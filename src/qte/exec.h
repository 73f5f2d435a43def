/*
 * exec.h - simulated HK execution: the HKEX tick-size table, the fee
 * table in integer units, and the book of open orders matched against the
 * replayed trades (exec.c has the model and its assumptions).
 *
 * Owned by the replay thread; nothing here locks.
 */
#ifndef HK_QTE_EXEC_H
#define HK_QTE_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "qte/config.h"
#include "qte/strategy.h"

/* Lowest and highest prices of the HKEX spread table, milli-HKD. */
#define EXEC_PRICE_MIN_MILLI 10
#define EXEC_PRICE_MAX_MILLI 9995000

/*
 * Tick size (milli-HKD) of the band holding price_milli: the band whose
 * upper bound is >= the price, or with up, > the price (moving up from a
 * boundary uses the next band's step). Returns 0 outside the table.
 */
int64_t exec_tick_size(int64_t price_milli, bool up);
/* Whether price_milli is a valid limit price: in the table and a multiple
 * of its band's tick size. */
bool exec_price_valid(int64_t price_milli);

/* Fee table in integer units: rates in parts per 1e9 of the value,
 * amounts in milli-HKD. */
typedef struct exec_fees {
    int64_t commission_ppb;
    int64_t commission_min;
    int64_t stamp_ppb;
    int64_t sfc_ppb;
    int64_t afrc_ppb;
    int64_t trading_ppb;
    int64_t settle_ppb;
    int64_t settle_min;
    int64_t settle_max; /* 0: none */
} exec_fees;

/* The costs of one fill, milli-HKD. */
typedef struct exec_cost {
    int64_t commission;
    int64_t stamp;
    int64_t sfc;
    int64_t afrc;
    int64_t trading;
    int64_t settlement;
    int64_t total;
} exec_cost;

/* Convert t (fractions, HKD) to integer units (rates rounded to 1e-9).
 * Returns 0, or -1 when a value is negative or not finite (*f zeroed). */
int exec_fees_init(exec_fees *f, const qte_fee_table *t);

/*
 * Costs of a fill of value_milli. Commission is per order: the order's
 * commission so far is max(rate x cum_value, minimum) and this fill pays
 * the difference from charged (commission already paid by the order's
 * earlier fills); cum_value includes this fill. Every other item is per
 * fill: levies and fees rounded half up to the cent, the settlement fee
 * clamped to [min, max], stamp duty rounded up to the whole dollar.
 */
void exec_fees_compute(const exec_fees *f, int64_t value_milli,
                       int64_t cum_value_milli, int64_t charged,
                       exec_cost *out);

/* One order in the book. */
typedef struct exec_order {
    int64_t id;
    int sym;
    qte_side side;
    qte_order_type type;
    qte_tif tif;
    bool manual;
    int64_t qty;
    int64_t filled;
    int64_t limit_milli;   /* 0 for market */
    int64_t created_ts_ms; /* replay time it was placed */
    int64_t active_ts_ms;  /* created + latency: trades after it can fill */
    int64_t updated_ts_ms;
    qte_order_status status;
    qte_reason reason;
    int64_t commission_paid;
    int64_t cum_value;
    int next; /* next open order of the same symbol, -1 at the end */
    int prev;
    int slot;
} exec_order;

/* Open orders: cap slots, linked per symbol in placement order. */
typedef struct exec_book {
    exec_order *slots;
    int *free_slots;
    int nfree;
    int cap;
    int *head; /* per symbol */
    int *tail;
    int nsym;
    int open; /* orders in the book */
} exec_book;

/* Allocate cap slots for nsym symbols. Returns 0 or -ENOMEM (b then
 * needs no free). */
int exec_book_init(exec_book *b, int cap, int nsym);
void exec_book_free(exec_book *b);
/* A free slot linked at the tail of sym's list, zeroed but for
 * slot/next/prev/sym; NULL when every slot is taken. */
exec_order *exec_book_add(exec_book *b, int sym);
/* Unlink o and free its slot (o is invalid afterwards). */
void exec_book_remove(exec_book *b, exec_order *o);
/* The open order with this id, or NULL. */
exec_order *exec_book_find(exec_book *b, int64_t id);
/* Open quantity (qty - filled) of sym's orders on side. */
int64_t exec_book_open_qty(const exec_book *b, int sym, qte_side side);

/*
 * Called by exec_book_match for each fill (qty > 0) of o on trade t, or
 * with qty 0 when an IOC order's one chance passed (its remainder must be
 * cancelled). The callback may remove o from the book. Returns 0, or
 * non-zero to stop matching o on this trade (the callback then closed
 * it).
 */
typedef int (*exec_fill_fn)(void *ud, exec_order *o, const qte_tick *t,
                            int64_t qty);

/*
 * Match trade t against sym's open orders in placement order. An order is
 * eligible when t->ts_ms > its active time (never a trade at or before
 * the time it was placed). A market order takes the trade's price; a buy
 * limit needs price <= limit, a sell limit price >= limit; the fill is at
 * the trade's price. The trade's volume is shared in order and only whole
 * board lots (lot) of it are used. Returns the number of fills.
 */
int exec_book_match(exec_book *b, const qte_tick *t, int64_t lot,
                    exec_fill_fn fn, void *ud);

#endif
