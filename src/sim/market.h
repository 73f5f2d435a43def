/*
 * market.h - simulated HK securities: symbol table, per-symbol tick rings
 * and the synthetic trade generator.
 *
 * Every tick that enters the market (generated here or replayed from a day
 * file through market_append) gets an absolute per-symbol index 0, 1, 2...
 * The newest MARKET_RING_CAP ticks of each symbol stay in a ring of compact
 * structs (no strings; time strings are formatted on send), serving
 * Qot_GetTicker and first-push replays. Connections remember the next index
 * they still have to push, so one generated tick is stored once however
 * many clients receive it.
 *
 * Generator model (deterministic for a seed, see market.c for details):
 * events arrive at an aggregate Poisson rate, with bursts of burst_factor
 * times the rate; each event picks a symbol with a fixed skewed weight;
 * prices walk on the HKEX spread table, volumes are board lots (or odd lots
 * typed ODD_LOT), sequences grow by 1..5 from
 * 7257436441708356760 + symbol_index * 2^32.
 */
#ifndef HK_SIM_MARKET_H
#define HK_SIM_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MARKET_RING_CAP 1000
#define MARKET_SEQ_BASE 7257436441708356760LL
#define MARKET_CODE_MAX 16
#define MARKET_NAME_MAX 40
#define MARKET_E_SYMBOL (-4001) /* malformed or duplicate symbol */
#define MARKET_E_NOMEM (-4002)
#define MARKET_E_FULL (-4003) /* max_ticks reached */

/* Ticker directions and types used by the generator (protocol §7.4). */
#define MARKET_DIR_BID 1
#define MARKET_DIR_ASK 2
#define MARKET_DIR_NEUTRAL 3
#define MARKET_TYPE_AUTOMATCH 1
#define MARKET_TYPE_LATE 2
#define MARKET_TYPE_NON_AUTOMATCH 3
#define MARKET_TYPE_INTER_AUTOMATCH 4
#define MARKET_TYPE_INTER_NON_AUTOMATCH 5
#define MARKET_TYPE_ODD_LOT 6
#define MARKET_TYPE_AUCTION 7

/* One trade, 48 bytes. ts_ms is the instant shown to clients (UTC ms,
 * --time-offset-sec already added). */
typedef struct market_tick {
    int64_t seq;
    int64_t ts_ms;
    double price;
    double turnover;
    int64_t volume;
    uint32_t sym;
    uint8_t dir;
    uint8_t type;
} market_tick;

typedef struct market market;

/* Called for every tick that enters the market, after it is stored. */
typedef void (*market_tick_fn)(void *ctx, const char *symbol,
                               const market_tick *t);

typedef struct market_config {
    const char *const *symbols; /* "HK.00700", ... (copied) */
    size_t nsymbols;
    uint64_t seed;
    double rate;            /* aggregate ticks per second; 0 = on demand */
    double burst_factor;    /* rate multiplier during bursts, >= 1 */
    bool sessions;          /* trade only inside HK sessions */
    int64_t time_offset_ms; /* added to shown times only */
    int64_t start_ms;       /* clock value when generation starts */
    uint64_t max_ticks;     /* stop generating after this many; 0 = no cap */
    market_tick_fn on_tick; /* may be NULL */
    void *ctx;
} market_config;

/*
 * Build the symbol table and generator. Returns 0 and *out (free with
 * market_free), MARKET_E_SYMBOL with the offending symbol named in err, or
 * MARKET_E_NOMEM. Nothing is allocated on failure.
 */
int market_init(market **out, const market_config *cfg, char *err,
                size_t errlen);
void market_free(market *m);

size_t market_symbol_count(const market *m);
/* Index of (QotMarket, code), or -1. code need not be NUL-terminated. */
int market_find(const market *m, int qot_market, const char *code, size_t len);
/* Index of a full symbol "HK.00700", or -1. */
int market_find_symbol(const market *m, const char *symbol);
/* Accessors; sym must be < market_symbol_count(). Strings live as long as
 * the market. */
const char *market_symbol(const market *m, uint32_t sym); /* "HK.00700" */
const char *market_code(const market *m, uint32_t sym);   /* "00700" */
const char *market_name(const market *m, uint32_t sym);   /* "TENCENT" */
int market_qot_market(const market *m, uint32_t sym);     /* 1 = HK */
int market_lot(const market *m, uint32_t sym);

/* Ticks ever stored for sym; the next tick gets this index. */
uint64_t market_total(const market *m, uint32_t sym);
/* Index of the oldest tick still held (total - held). */
uint64_t market_oldest(const market *m, uint32_t sym);
/* Tick number idx of sym, or NULL if not held. Valid until the next tick
 * of that symbol is stored. */
const market_tick *market_tick_at(const market *m, uint32_t sym, uint64_t idx);
/* Ticks stored over all symbols. */
uint64_t market_stored(const market *m);
/* True once max_ticks ticks have been stored. */
bool market_exhausted(const market *m);

/*
 * Rate mode: generate every tick scheduled at or before now_ms (clock
 * time), at most max_batch of them (the rest follow on the next call).
 * With rate 0 nothing is scheduled; use market_generate_now. Returns the
 * number of ticks generated.
 */
size_t market_generate(market *m, int64_t now_ms, size_t max_batch);
/* On-demand mode: generate up to n ticks stamped now_ms (or the last tick
 * time if later); none outside sessions when sessions are on. */
size_t market_generate_now(market *m, int64_t now_ms, size_t n);
/* Change the aggregate rate; the schedule restarts at now_ms. Also used
 * after a pause so that paused time is not caught up. */
void market_set_rate(market *m, double rate, int64_t now_ms);
double market_rate(const market *m);

/* Store an externally made tick (replay). t->sym selects the symbol.
 * Returns 0, MARKET_E_SYMBOL or MARKET_E_FULL. */
int market_append(market *m, const market_tick *t);

/* HKEX spread table in thousandths of a dollar: the step for moving up
 * (up true) or down from price_milli. */
int64_t market_spread_milli(int64_t price_milli, bool up);
/* True when price is exactly a valid HKEX price (>= 0.01, on the table). */
bool market_price_on_ladder(double price);

#endif
