/*
 * strategy.h - the public C plugin API of qte-engine: what a strategy
 * shared object exports and what the engine offers it.
 *
 * A strategy is a shared object loaded by path with dlopen. It exports one
 * function, qte_strategy_entry (QTE_STRATEGY_SYMBOL), returning a static
 * qte_strategy: the ABI version and callbacks. The engine calls every
 * callback on its one replay thread, in event order; a callback never runs
 * concurrently with another. The clock is passed explicitly (tick ts_ms,
 * ctx->api->now_ms): a strategy that reads no wall clock and no global
 * state gives byte-identical orders for the same inputs and parameters.
 *
 * The engine's services are a table of function pointers (ctx->api), so the
 * object needs no symbol from the engine's executable. Prices are integer
 * milli-HKD (HKD 1 = 1000): 380.2 is 380200. Quantities are shares.
 *
 * Build: cc -shared -fPIC -I src -o my.so my.c (see strategies/).
 * docs/engine.md has a complete example.
 */
#ifndef HK_QTE_STRATEGY_H
#define HK_QTE_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

/* Bump when a struct below changes incompatibly; the engine refuses an
 * object whose abi differs. Fields are only ever appended. */
#define QTE_STRATEGY_ABI 1
/* The one symbol a strategy object exports. */
#define QTE_STRATEGY_SYMBOL "qte_strategy_entry"

typedef enum qte_side {
    QTE_BUY = 0,
    QTE_SELL = 1,
} qte_side;

typedef enum qte_order_type {
    QTE_MARKET = 0,
    QTE_LIMIT = 1,
} qte_order_type;

typedef enum qte_tif {
    QTE_GTC = 0, /* works until filled or cancelled */
    QTE_IOC = 1, /* only against the first trade after it is active */
} qte_tif;

/* Order life (state machine in exec.c): PENDING (placed, latency not yet
 * elapsed) -> WORKING -> PARTIAL -> FILLED; PENDING/WORKING/PARTIAL ->
 * CANCELLED (cancel, IOC remainder, cash at fill); REJECTED at placement. */
typedef enum qte_order_status {
    QTE_ORD_PENDING = 0,
    QTE_ORD_WORKING,
    QTE_ORD_PARTIAL,
    QTE_ORD_FILLED,
    QTE_ORD_CANCELLED,
    QTE_ORD_REJECTED,
} qte_order_status;

/* Why an order was rejected or cancelled (0: it was not). */
typedef enum qte_reason {
    QTE_R_NONE = 0,
    QTE_R_LOT,       /* quantity not a positive multiple of the board lot */
    QTE_R_TICK,      /* limit price not on the HKEX tick-size table */
    QTE_R_CASH,      /* buy: cash (less open buys) below value + fees */
    QTE_R_POSITION,  /* sell: position (less open sells) below quantity */
    QTE_R_SYMBOL,    /* symbol not in the run */
    QTE_R_PRICE,     /* limit price <= 0, or market order without a price */
    QTE_R_FULL,      /* order table or event queue full */
    QTE_R_CANCELLED, /* cancelled by the strategy or a manual request */
    QTE_R_IOC,       /* IOC remainder after its one trade */
    QTE_R_END,       /* the replay ended (report only) */
} qte_reason;

/* One trade print of the replayed stream. */
typedef struct qte_tick {
    int64_t ts_ms;       /* exchange time, UTC epoch ms */
    int sym;             /* symbol index, 0..symbol_count-1 */
    const char *symbol;  /* "HK.00700"; valid for the run */
    int64_t price_milli; /* trade price, milli-HKD */
    int64_t volume;      /* shares traded */
    int64_t seq;         /* the feed's sequence number (0 if none) */
} qte_tick;

/* An order request. Strategies set sym and leave symbol NULL; manual
 * orders (engine.h) name the symbol instead. */
typedef struct qte_order_req {
    const char *symbol;  /* used when non-NULL, else sym */
    int sym;             /* symbol index */
    qte_side side;       /* QTE_BUY or QTE_SELL */
    qte_order_type type; /* QTE_MARKET or QTE_LIMIT */
    qte_tif tif;         /* QTE_GTC or QTE_IOC */
    int64_t qty;         /* shares, a multiple of the board lot */
    int64_t limit_milli; /* QTE_LIMIT only: on the tick-size table */
} qte_order_req;

/* One fill of one of the strategy's orders. */
typedef struct qte_fill_info {
    int64_t order_id;
    int sym;
    qte_side side;
    int64_t qty;         /* shares in this fill */
    int64_t price_milli; /* the trade's price */
    int64_t fees_milli;  /* all costs of this fill */
    int64_t remaining;   /* order quantity still open after it */
    int64_t ts_ms;       /* the trade's time */
} qte_fill_info;

/* An order left the book or was refused. */
typedef struct qte_order_update {
    int64_t order_id;
    qte_order_status status; /* FILLED, CANCELLED or REJECTED */
    qte_reason reason;
} qte_order_update;

typedef struct qte_ctx qte_ctx;

/* What the engine offers a strategy. Every function is called on the
 * replay thread from inside a callback (or init/fini). */
typedef struct qte_api {
    /* The replay clock: the time of the event being handled (UTC ms). */
    int64_t (*now_ms)(qte_ctx *ctx);
    /* Place an order. Returns its id (> 0), or -qte_reason when it is
     * rejected at once (the rejection is also recorded and reported to
     * on_order). It can fill only on trades after now + latency. */
    int64_t (*order)(qte_ctx *ctx, const qte_order_req *req);
    /* Cancel an open order. Returns 0, or -1 when it is not open. */
    int (*cancel)(qte_ctx *ctx, int64_t order_id);
    /* Shares held of sym (>= 0: no short selling). */
    int64_t (*position)(qte_ctx *ctx, int sym);
    /* Cash in milli-HKD, before open orders. */
    int64_t (*cash_milli)(qte_ctx *ctx);
    /* Parameter name (from --param / QTE_STRATEGY_PARAMS) as text, or def
     * when unset. Valid for the run. */
    const char *(*param)(qte_ctx *ctx, const char *name, const char *def);
    /* Parameter as a number, def when unset or not a number. */
    double (*param_num)(qte_ctx *ctx, const char *name, double def);
    /* One-shot timer: on_timer(id) runs before the first tick after
     * ts_ms (or at the end of the replay, never). Returns 0, -1 if full. */
    int (*set_timer)(qte_ctx *ctx, int64_t ts_ms, int64_t id);
    int (*symbol_count)(qte_ctx *ctx);
    /* "HK.00700" for an index; NULL when out of range. */
    const char *(*symbol_name)(qte_ctx *ctx, int sym);
    /* Board lot of sym (shares). */
    int64_t (*lot_size)(qte_ctx *ctx, int sym);
    /* HKEX tick size (milli-HKD) at price_milli; with up, the band above
     * a boundary price (the spread table is asymmetric there). */
    int64_t (*tick_size)(qte_ctx *ctx, int64_t price_milli, bool up);
    /* Log one line to the engine's log (component qte.strategy). */
    void (*log)(qte_ctx *ctx, const char *msg);
} qte_api;

struct qte_ctx {
    const qte_api *api;
    void *user;   /* the strategy's own state: set it in init */
    void *engine; /* engine-private; do not touch */
};

/* What a strategy object returns from qte_strategy_entry. Every callback
 * but on_tick may be NULL. */
typedef struct qte_strategy {
    uint32_t abi; /* QTE_STRATEGY_ABI */
    const char *name;
    /* Read parameters, allocate state into ctx->user. Returns 0, or a
     * negative value to refuse the run (the engine then calls no other
     * callback, not even fini). */
    int (*init)(qte_ctx *ctx);
    void (*on_tick)(qte_ctx *ctx, const qte_tick *t);
    void (*on_timer)(qte_ctx *ctx, int64_t timer_id);
    void (*on_fill)(qte_ctx *ctx, const qte_fill_info *f);
    void (*on_order)(qte_ctx *ctx, const qte_order_update *u);
    /* Free ctx->user. Called once after the replay when init succeeded. */
    void (*fini)(qte_ctx *ctx);
} qte_strategy;

typedef const qte_strategy *(*qte_strategy_entry_fn)(void);

#endif
