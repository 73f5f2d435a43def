/*
 * market.c - symbol table, tick rings and the synthetic trade generator.
 *
 * Data: one struct msym per symbol with its ring of MARKET_RING_CAP ticks
 * (allocated once at init; the hot path never allocates). Tick number i
 * of a symbol lives in slot i % MARKET_RING_CAP while total - i <= CAP.
 *
 * Generator (rate > 0). Events form one global schedule in clock time:
 *   - the gap to the next event is exponential with mean
 *     1000 / (rate * factor) ms, factor = burst_factor inside a burst,
 *     1/4 during the closing auction, 1 otherwise;
 *   - bursts last 1-3 s and start after exponential quiet periods (mean
 *     20 s), all drawn from the same PRNG;
 *   - with sessions on, an event falling outside 09:30-12:00 / 13:00-16:10
 *     HK time is moved to the next opening (nothing is traded outside).
 * Each event picks a symbol by cumulative weight (log-normal weights, so
 * some symbols are much busier) and produces one trade:
 *   price  stays (60%) or moves one spread step up/down (20% each) on the
 *          HKEX table; frozen during the closing auction;
 *   volume board lots (1 + exp(mean 3) lots); 4% odd lots (1..lot-1 shares,
 *          type ODD_LOT);
 *   dir    Bid 45%, Ask 45%, Neutral 10%;
 *   type   Automatch mostly; Auction for the first trade of a day at the
 *          morning open and throughout the closing auction (sessions on);
 *          a few NonAutomatch / InterAutomatch / Late;
 *   seq    previous + 1..5.
 * Events are processed in time order, so times are non-decreasing per
 * symbol and globally. All randomness comes from one rng seeded with the
 * configured seed, so the same seed, symbols and rate yield the same ticks;
 * with a simulated clock the times are identical as well.
 *
 * Single-threaded: only the event-loop thread touches a market.
 */
#include "sim/market.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hktime.h"
#include "opend/msg.h"
#include "sim/rng.h"
#include "sim/session.h"

#define ODD_LOT_PROB 0.04
#define BURST_GAP_MEAN_MS 20000.0

struct msym {
    char full[MARKET_CODE_MAX + 8];
    char code[MARKET_CODE_MAX];
    char name[MARKET_NAME_MAX];
    int qot_market;
    int lot;
    int64_t price_milli;
    int64_t seq;
    int open_day; /* HK day of the last morning-open auction tick */
    uint64_t total;
    market_tick *ring;
};

struct market {
    struct msym *syms;
    size_t nsyms;
    double *cum; /* cumulative symbol weights, cum[n-1] == 1 */
    rng rng;
    double rate;
    double burst_factor;
    bool sessions;
    int64_t offset_ms;
    uint64_t max_ticks;
    uint64_t stored;
    double next_ev; /* clock ms of the next scheduled event */
    double burst_start;
    double burst_end;
    int64_t last_ms; /* clock ms of the latest generated tick */
    market_tick_fn on_tick;
    void *ctx;
};

static const struct known {
    const char *code;
    const char *name;
    int lot;
    int64_t price_milli;
} known[] = {
    {"00700", "TENCENT", 100, 380200},
    {"00005", "HSBC HOLDINGS", 500, 62500},
    {"00001", "CKH HOLDINGS", 500, 40000},
    {"00388", "HKEX", 100, 300000},
    {"00941", "CHINA MOBILE", 500, 70000},
    {"09988", "BABA-W", 100, 80000},
    {"03690", "MEITUAN-W", 100, 120000},
    {"01299", "AIA", 200, 60000},
    {"02318", "PING AN", 500, 40000},
    {"00981", "SMIC", 500, 20000},
    {"01810", "XIAOMI-W", 200, 15000},
};

static const int lots[] = {100, 200, 500, 1000, 2000};

/* Upper bound (inclusive) of each band and its spread, in milli-dollars. */
static const struct band {
    int64_t upper;
    int64_t spread;
} bands[] = {
    {250, 1},        {500, 5},        {10000, 10},       {20000, 20},
    {100000, 50},    {200000, 100},   {500000, 200},     {1000000, 500},
    {2000000, 1000}, {5000000, 2000}, {INT64_MAX, 5000},
};

int64_t market_spread_milli(int64_t price_milli, bool up)
{
    size_t n = sizeof(bands) / sizeof(bands[0]);

    for (size_t i = 0; i < n; i++) {
        if (up ? price_milli < bands[i].upper : price_milli <= bands[i].upper)
            return bands[i].spread;
    }
    return bands[n - 1].spread;
}

bool market_price_on_ladder(double price)
{
    double scaled = price * 1000.0;
    int64_t milli;

    if (!(scaled >= 10.0) || scaled > 9995000.0)
        return false;
    milli = llround(scaled);
    if ((double)milli / 1000.0 != price)
        return false;
    return milli % market_spread_milli(milli, false) == 0;
}

static int64_t snap_price(int64_t milli)
{
    int64_t s;

    if (milli < 10)
        milli = 10;
    if (milli > 9995000)
        milli = 9995000;
    s = market_spread_milli(milli, false);
    return milli - milli % s;
}

static int parse_symbol(const char *s, struct msym *out)
{
    const char *dot = strchr(s, '.');
    size_t clen;
    int mkt;

    if (!dot || dot == s)
        return -1;
    mkt = opend_msg_market_from_prefix(s, (size_t)(dot - s));
    clen = strlen(dot + 1);
    if (mkt < 0 || clen == 0 || clen >= MARKET_CODE_MAX)
        return -1;
    for (size_t i = 0; i < clen; i++) {
        char ch = dot[1 + i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
              ch == '.' || ch == '-'))
            return -1;
    }
    out->qot_market = mkt;
    memcpy(out->code, dot + 1, clen + 1);
    snprintf(out->full, sizeof(out->full), "%s.%s",
             opend_msg_market_prefix(mkt), out->code);
    return 0;
}

static void init_symbol(market *m, struct msym *y, size_t idx)
{
    size_t nk = sizeof(known) / sizeof(known[0]);
    const struct known *k = NULL;

    for (size_t i = 0; i < nk; i++)
        if (y->qot_market == MSG_MARKET_HK &&
            strcmp(known[i].code, y->code) == 0)
            k = &known[i];
    if (k) {
        snprintf(y->name, sizeof(y->name), "%s", k->name);
        y->lot = k->lot;
        y->price_milli = k->price_milli;
        rng_next(&m->rng); /* keep the draw count independent of names */
        rng_next(&m->rng);
    } else {
        snprintf(y->name, sizeof(y->name), "SIM %s", y->code);
        y->lot = lots[rng_below(&m->rng, sizeof(lots) / sizeof(lots[0]))];
        /* Log-uniform between 0.20 and 600 dollars. */
        y->price_milli = snap_price(
            (int64_t)(200.0 * exp(rng_double(&m->rng) * log(3000.0))));
    }
    y->seq = MARKET_SEQ_BASE + (int64_t)idx * (1LL << 32);
    y->open_day = -1;
}

int market_init(market **out, const market_config *cfg, char *err,
                size_t errlen)
{
    market *m;
    double sum = 0;

    if (cfg->nsymbols == 0) {
        snprintf(err, errlen, "no symbols");
        return MARKET_E_SYMBOL;
    }
    m = calloc(1, sizeof(*m));
    if (!m)
        goto nomem;
    m->syms = calloc(cfg->nsymbols, sizeof(*m->syms));
    m->cum = calloc(cfg->nsymbols, sizeof(*m->cum));
    if (!m->syms || !m->cum)
        goto nomem;
    m->nsyms = cfg->nsymbols;
    rng_seed(&m->rng, cfg->seed);
    for (size_t i = 0; i < m->nsyms; i++) {
        struct msym *y = &m->syms[i];

        if (parse_symbol(cfg->symbols[i], y) != 0 ||
            market_find_symbol(m, y->full) != (int)i) {
            snprintf(err, errlen, "bad or duplicate symbol '%s'",
                     cfg->symbols[i]);
            market_free(m);
            return MARKET_E_SYMBOL;
        }
        y->ring = malloc(MARKET_RING_CAP * sizeof(*y->ring));
        if (!y->ring)
            goto nomem;
        init_symbol(m, y, i);
        m->cum[i] = exp(rng_gauss(&m->rng));
        sum += m->cum[i];
    }
    for (size_t i = 0; i < m->nsyms; i++)
        m->cum[i] = (i ? m->cum[i - 1] : 0) + m->cum[i] / sum;
    m->cum[m->nsyms - 1] = 1.0;
    m->rate = cfg->rate;
    m->burst_factor = cfg->burst_factor >= 1 ? cfg->burst_factor : 1;
    m->sessions = cfg->sessions;
    m->offset_ms = cfg->time_offset_ms;
    m->max_ticks = cfg->max_ticks;
    m->on_tick = cfg->on_tick;
    m->ctx = cfg->ctx;
    m->next_ev = (double)cfg->start_ms;
    m->last_ms = cfg->start_ms;
    m->burst_start =
        (double)cfg->start_ms + rng_exp(&m->rng, BURST_GAP_MEAN_MS);
    m->burst_end = m->burst_start + 1000.0 + rng_double(&m->rng) * 2000.0;
    *out = m;
    return 0;
nomem:
    market_free(m);
    snprintf(err, errlen, "out of memory");
    return MARKET_E_NOMEM;
}

void market_free(market *m)
{
    if (!m)
        return;
    if (m->syms)
        for (size_t i = 0; i < m->nsyms; i++)
            free(m->syms[i].ring);
    free(m->syms);
    free(m->cum);
    free(m);
}

size_t market_symbol_count(const market *m)
{
    return m->nsyms;
}

int market_find(const market *m, int qot_market, const char *code, size_t len)
{
    for (size_t i = 0; i < m->nsyms; i++) {
        const struct msym *y = &m->syms[i];
        if (y->qot_market == qot_market && strlen(y->code) == len &&
            memcmp(y->code, code, len) == 0)
            return (int)i;
    }
    return -1;
}

int market_find_symbol(const market *m, const char *symbol)
{
    for (size_t i = 0; i < m->nsyms; i++)
        if (strcmp(m->syms[i].full, symbol) == 0)
            return (int)i;
    return -1;
}

const char *market_symbol(const market *m, uint32_t sym)
{
    return m->syms[sym].full;
}

const char *market_code(const market *m, uint32_t sym)
{
    return m->syms[sym].code;
}

const char *market_name(const market *m, uint32_t sym)
{
    return m->syms[sym].name;
}

int market_qot_market(const market *m, uint32_t sym)
{
    return m->syms[sym].qot_market;
}

int market_lot(const market *m, uint32_t sym)
{
    return m->syms[sym].lot;
}

uint64_t market_total(const market *m, uint32_t sym)
{
    return m->syms[sym].total;
}

uint64_t market_oldest(const market *m, uint32_t sym)
{
    uint64_t t = m->syms[sym].total;

    return t > MARKET_RING_CAP ? t - MARKET_RING_CAP : 0;
}

const market_tick *market_tick_at(const market *m, uint32_t sym, uint64_t idx)
{
    const struct msym *y = &m->syms[sym];

    if (idx >= y->total || idx < market_oldest(m, sym))
        return NULL;
    return &y->ring[idx % MARKET_RING_CAP];
}

uint64_t market_stored(const market *m)
{
    return m->stored;
}

bool market_exhausted(const market *m)
{
    return m->max_ticks != 0 && m->stored >= m->max_ticks;
}

double market_rate(const market *m)
{
    return m->rate;
}

void market_set_rate(market *m, double rate, int64_t now_ms)
{
    m->rate = rate;
    if (rate > 0)
        m->next_ev = (double)now_ms + rng_exp(&m->rng, 1000.0 / rate);
}

int market_append(market *m, const market_tick *t)
{
    struct msym *y;

    if (t->sym >= m->nsyms)
        return MARKET_E_SYMBOL;
    if (market_exhausted(m))
        return MARKET_E_FULL;
    y = &m->syms[t->sym];
    y->ring[y->total % MARKET_RING_CAP] = *t;
    y->total++;
    m->stored++;
    if (m->on_tick)
        m->on_tick(m->ctx, y->full, t);
    return 0;
}

static uint32_t pick_symbol(market *m)
{
    double u = rng_double(&m->rng);
    size_t lo = 0;
    size_t hi = m->nsyms - 1;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint32_t)lo;
}

/* Make one trade of a random symbol at clock time t and store it. */
static void make_tick(market *m, int64_t t)
{
    uint32_t s = pick_symbol(m);
    struct msym *y = &m->syms[s];
    bool cas = m->sessions && session_is_cas(t);
    double u = rng_double(&m->rng);
    double v = rng_double(&m->rng);
    double w = rng_double(&m->rng);
    market_tick k;
    int type = MARKET_TYPE_AUTOMATCH;

    if (!cas && u >= 0.6)
        y->price_milli = snap_price(
            u < 0.8 ? y->price_milli + market_spread_milli(y->price_milli, 1)
                    : y->price_milli - market_spread_milli(y->price_milli, 0));
    if (v < ODD_LOT_PROB) {
        k.volume = 1 + (int64_t)rng_below(&m->rng, (uint64_t)y->lot - 1);
        type = MARKET_TYPE_ODD_LOT;
    } else {
        int64_t nl = 1 + (int64_t)rng_exp(&m->rng, 3.0);
        k.volume = (nl > 500 ? 500 : nl) * y->lot;
    }
    k.dir = w < 0.45 ? MARKET_DIR_BID
                     : (w < 0.90 ? MARKET_DIR_ASK : MARKET_DIR_NEUTRAL);
    if (type != MARKET_TYPE_ODD_LOT) {
        double x = rng_double(&m->rng);
        int day = hktime_trading_day(t);

        if (cas) {
            type = MARKET_TYPE_AUCTION;
        } else if (m->sessions && y->open_day != day &&
                   session_state(t) == SESSION_MORNING) {
            type = MARKET_TYPE_AUCTION;
            y->open_day = day;
        } else if (x < 0.01) {
            type = MARKET_TYPE_NON_AUTOMATCH;
        } else if (x < 0.02) {
            type = MARKET_TYPE_INTER_AUTOMATCH;
        } else if (x < 0.025) {
            type = MARKET_TYPE_LATE;
        }
    }
    y->seq += 1 + (int64_t)rng_below(&m->rng, 5);
    k.seq = y->seq;
    k.ts_ms = t + m->offset_ms;
    k.price = (double)y->price_milli / 1000.0;
    k.turnover = k.price * (double)k.volume;
    k.sym = s;
    k.type = (uint8_t)type;
    m->last_ms = t;
    market_append(m, &k);
}

static double event_gap(market *m, double t)
{
    double factor = 1.0;

    /* Advance the burst schedule until the current burst ends after t. */
    while (t >= m->burst_end) {
        m->burst_start = m->burst_end + rng_exp(&m->rng, BURST_GAP_MEAN_MS);
        m->burst_end = m->burst_start + 1000.0 + rng_double(&m->rng) * 2000.0;
    }
    if (t >= m->burst_start)
        factor = m->burst_factor;
    if (m->sessions && session_is_cas((int64_t)t))
        factor *= 0.25;
    return rng_exp(&m->rng, 1000.0 / (m->rate * factor));
}

size_t market_generate(market *m, int64_t now_ms, size_t max_batch)
{
    size_t n = 0;

    if (m->rate <= 0)
        return 0;
    while (n < max_batch && m->next_ev <= (double)now_ms &&
           !market_exhausted(m)) {
        int64_t t = (int64_t)m->next_ev;

        if (m->sessions && !session_is_trading(t)) {
            m->next_ev = (double)session_next_trading(t);
            continue;
        }
        make_tick(m, t);
        m->next_ev += event_gap(m, m->next_ev);
        n++;
    }
    return n;
}

size_t market_generate_now(market *m, int64_t now_ms, size_t n)
{
    int64_t t = now_ms > m->last_ms ? now_ms : m->last_ms;
    size_t i;

    if (m->sessions && !session_is_trading(t))
        return 0;
    for (i = 0; i < n && !market_exhausted(m); i++)
        make_tick(m, t);
    return i;
}
