/*
 * test_sim_market.c - unit tests for src/sim/market.c, session.c, rng.c
 * and truth.c: the synthetic tick generator must be deterministic for a
 * seed, produce HKEX-valid prices, board-lot volumes, exact turnovers,
 * strictly increasing non-contiguous sequences, time strings that parse
 * back to the recorded instants, respect HK sessions, and cross midnight.
 *
 * Every test drives the generator with explicit clock values (no real
 * time), collecting the stored ticks through the on_tick callback.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hktime.h"
#include "opend/msg.h"
#include "sim/market.h"
#include "sim/session.h"
#include "sim/truth.h"

#define MAXT 200000

typedef struct capture {
    market_tick *t;
    char (*sym)[24];
    size_t n;
} capture;

static void on_tick(void *ctx, const char *symbol, const market_tick *t)
{
    capture *c = ctx;

    if (c->n < MAXT) {
        c->t[c->n] = *t;
        snprintf(c->sym[c->n], sizeof(c->sym[0]), "%s", symbol);
        c->n++;
    }
}

static capture *cap_new(void)
{
    capture *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->t = calloc(MAXT, sizeof(*c->t));
    c->sym = calloc(MAXT, sizeof(*c->sym));
    assert_non_null(c->t);
    assert_non_null(c->sym);
    return c;
}

static void cap_free(capture *c)
{
    free(c->t);
    free(c->sym);
    free(c);
}

static int64_t hk(const char *s)
{
    int64_t ms = 0;

    assert_int_equal(hktime_parse(s, strlen(s), HKTIME_ZONE_HK, 0, &ms), 0);
    return ms;
}

static const char *const syms5[] = {"HK.00700", "HK.00005", "HK.00388",
                                    "HK.00001", "HK.02800"};

static market *make(capture *c, uint64_t seed, double rate, bool sessions,
                    int64_t start, int64_t offset_ms)
{
    market_config cfg = {
        .symbols = syms5,
        .nsymbols = 5,
        .seed = seed,
        .rate = rate,
        .burst_factor = 3,
        .sessions = sessions,
        .time_offset_ms = offset_ms,
        .start_ms = start,
        .on_tick = on_tick,
        .ctx = c,
    };
    char err[128];
    market *m = NULL;

    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), 0);
    return m;
}

static void test_determinism(void **state)
{
    int64_t t0 = hk("2024-03-01 10:00:00");
    capture *a = cap_new();
    capture *b = cap_new();
    capture *c = cap_new();
    market *ma = make(a, 42, 200, false, t0, 0);
    market *mb = make(b, 42, 200, false, t0, 0);
    market *mc = make(c, 43, 200, false, t0, 0);
    size_t same = 0;

    (void)state;
    /* Same schedule whether generated in one call or many small ones. */
    market_generate(ma, t0 + 30000, SIZE_MAX);
    for (int64_t t = t0; t <= t0 + 30000; t += 7)
        market_generate(mb, t, SIZE_MAX);
    market_generate(mc, t0 + 30000, SIZE_MAX);
    assert_true(a->n > 3000);
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->t, b->t, a->n * sizeof(market_tick));
    for (size_t i = 0; i < a->n && i < c->n; i++)
        same += a->t[i].seq == c->t[i].seq && a->t[i].price == c->t[i].price &&
                a->t[i].volume == c->t[i].volume &&
                a->t[i].ts_ms == c->t[i].ts_ms;
    assert_true(same < a->n / 10);
    market_free(ma);
    market_free(mb);
    market_free(mc);
    cap_free(a);
    cap_free(b);
    cap_free(c);
}

static void test_sequences(void **state)
{
    int64_t t0 = hk("2024-03-01 10:00:00");
    capture *c = cap_new();
    market *m = make(c, 7, 500, false, t0, 0);
    int64_t last[5] = {0};
    int gaps = 0;

    (void)state;
    market_generate(m, t0 + 20000, SIZE_MAX);
    assert_true(c->n > 5000);
    for (size_t i = 0; i < c->n; i++) {
        const market_tick *k = &c->t[i];
        int64_t base = MARKET_SEQ_BASE + (int64_t)k->sym * (1LL << 32);

        assert_true(k->sym < 5);
        assert_true(k->seq > base);
        if (last[k->sym]) {
            assert_true(k->seq > last[k->sym]);
            assert_true(k->seq - last[k->sym] <= 5);
            gaps += k->seq - last[k->sym] > 1;
        }
        last[k->sym] = k->seq;
    }
    assert_true(gaps > (int)c->n / 2);
    /* Skew: the busiest symbol is at least twice the quietest. */
    {
        size_t cnt[5] = {0};
        size_t lo = SIZE_MAX;
        size_t hi = 0;

        for (size_t i = 0; i < c->n; i++)
            cnt[c->t[i].sym]++;
        for (int i = 0; i < 5; i++) {
            lo = cnt[i] < lo ? cnt[i] : lo;
            hi = cnt[i] > hi ? cnt[i] : hi;
        }
        assert_true(hi >= 2 * lo);
    }
    market_free(m);
    cap_free(c);
}

static void test_ladder_table(void **state)
{
    (void)state;
    assert_int_equal(market_spread_milli(250, true), 5);
    assert_int_equal(market_spread_milli(250, false), 1);
    assert_int_equal(market_spread_milli(9990, true), 10);
    assert_int_equal(market_spread_milli(10000, true), 20);
    assert_int_equal(market_spread_milli(10000, false), 10);
    assert_int_equal(market_spread_milli(380200, true), 200);
    assert_int_equal(market_spread_milli(1000000, true), 1000);
    assert_int_equal(market_spread_milli(6000000, false), 5000);
    assert_true(market_price_on_ladder(380.2));
    assert_true(market_price_on_ladder(0.251) == false);
    assert_true(market_price_on_ladder(0.255));
    assert_true(market_price_on_ladder(0.249));
    assert_false(market_price_on_ladder(380.1));
    assert_false(market_price_on_ladder(10.01));
    assert_true(market_price_on_ladder(10.02));
    assert_false(market_price_on_ladder(0.005));
}

static void test_trade_fields(void **state)
{
    int64_t t0 = hk("2024-03-01 10:00:00");
    capture *c = cap_new();
    market *m = make(c, 99, 1000, false, t0, 0);
    size_t odd = 0;
    size_t dir[4] = {0};

    (void)state;
    market_generate(m, t0 + 60000, SIZE_MAX);
    assert_true(c->n > 30000);
    for (size_t i = 0; i < c->n; i++) {
        const market_tick *k = &c->t[i];
        int lot = market_lot(m, k->sym);

        if (!market_price_on_ladder(k->price))
            fail_msg("tick %zu price %.17g off the HKEX ladder", i, k->price);
        assert_true(k->volume > 0);
        if (k->type == MARKET_TYPE_ODD_LOT) {
            assert_true(k->volume < lot);
            odd++;
        } else {
            assert_int_equal(k->volume % lot, 0);
        }
        assert_true(k->turnover == k->price * (double)k->volume);
        assert_true(k->dir >= 1 && k->dir <= 3);
        dir[k->dir]++;
        if (i > 0)
            assert_true(k->ts_ms >= c->t[i - 1].ts_ms);
    }
    assert_true(odd > 0 && odd < c->n / 10);
    assert_true(dir[1] > c->n * 40 / 100 && dir[1] < c->n * 50 / 100);
    assert_true(dir[2] > c->n * 40 / 100 && dir[2] < c->n * 50 / 100);
    assert_true(dir[3] > c->n * 7 / 100 && dir[3] < c->n * 13 / 100);
    assert_string_equal(market_name(m, 0), "TENCENT");
    assert_string_equal(market_name(m, 4), "SIM 02800");
    assert_int_equal(market_find(m, 1, "00388", 5), 2);
    assert_int_equal(market_find_symbol(m, "HK.00001"), 3);
    assert_int_equal(market_find(m, 11, "00388", 5), -1);
    market_free(m);
    cap_free(c);
}

static void test_ring(void **state)
{
    int64_t t0 = hk("2024-03-01 10:00:00");
    capture *c = cap_new();
    market *m = make(c, 5, 1000, false, t0, 0);
    uint64_t total;
    size_t last = 0;

    (void)state;
    market_generate(m, t0 + 30000, SIZE_MAX);
    total = market_total(m, 0);
    assert_true(total > MARKET_RING_CAP);
    assert_int_equal(market_oldest(m, 0), total - MARKET_RING_CAP);
    assert_null(market_tick_at(m, 0, total));
    assert_null(market_tick_at(m, 0, total - MARKET_RING_CAP - 1));
    for (size_t i = 0; i < c->n; i++)
        if (c->t[i].sym == 0)
            last = i;
    assert_memory_equal(market_tick_at(m, 0, total - 1), &c->t[last],
                        sizeof(market_tick));
    assert_int_equal(market_stored(m), c->n);
    market_free(m);
    cap_free(c);
}

static void test_rate_and_max(void **state)
{
    int64_t t0 = hk("2024-03-01 10:00:00");
    capture *c = cap_new();
    market_config cfg = {.symbols = syms5,
                         .nsymbols = 5,
                         .seed = 3,
                         .rate = 100,
                         .burst_factor = 1,
                         .start_ms = t0,
                         .on_tick = on_tick,
                         .ctx = c};
    char err[64];
    market *m = NULL;

    (void)state;
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), 0);
    market_generate(m, t0 + 600000, SIZE_MAX);
    /* Poisson(60000): far inside +-3%. */
    assert_true(c->n > 58200 && c->n < 61800);
    market_free(m);
    c->n = 0;
    cfg.max_ticks = 123;
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), 0);
    market_generate(m, t0 + 600000, SIZE_MAX);
    assert_int_equal(c->n, 123);
    assert_true(market_exhausted(m));
    assert_int_equal(market_generate_now(m, t0 + 600001, 10), 0);
    market_free(m);
    cap_free(c);
}

static void test_truth_roundtrip(void **state)
{
    int64_t t0 = hk("2024-03-01 23:59:58");
    capture *c = cap_new();
    market *m = make(c, 11, 300, false, t0, 0);
    char dir[] = "/tmp/test_sim_market.XXXXXX";
    char path[128];
    char line[512];
    char err[128];
    truth *tr = NULL;
    FILE *f;
    size_t row = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/truth.csv", dir);
    market_generate(m, t0 + 4000, SIZE_MAX);
    assert_int_equal(truth_open(&tr, path, err, sizeof(err)), 0);
    for (size_t i = 0; i < c->n; i++)
        assert_int_equal(truth_add(tr, c->sym[i], &c->t[i]), 0);
    assert_int_equal(truth_close(tr), 0);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "symbol,seq,time,ts_ms,price,volume,turnover,"
                              "direction,tick_type\n");
    while (fgets(line, sizeof(line), f)) {
        char sym[32], tm[32], d[16], ty[32];
        long long seq, ts, vol;
        double price, turnover;
        int64_t parsed;

        assert_int_equal(sscanf(line,
                                "%31[^,],%lld,%31[^,],%lld,%lf,%lld,%lf,"
                                "%15[^,],%31[^\n]",
                                sym, &seq, tm, &ts, &price, &vol, &turnover, d,
                                ty),
                         9);
        assert_true(row < c->n);
        assert_string_equal(sym, c->sym[row]);
        assert_int_equal(seq, c->t[row].seq);
        assert_int_equal(ts, c->t[row].ts_ms);
        assert_true(price == c->t[row].price);
        assert_true(turnover == c->t[row].turnover);
        assert_int_equal(vol, c->t[row].volume);
        assert_string_equal(d, opend_msg_direction_str(c->t[row].dir));
        assert_string_equal(ty,
                            opend_msg_ticker_type_str(c->t[row].type, true));
        assert_int_equal(strlen(tm), 23);
        assert_int_equal(
            hktime_parse(tm, strlen(tm), HKTIME_ZONE_HK, 0, &parsed), 0);
        assert_int_equal(parsed, ts);
        row++;
    }
    fclose(f);
    assert_int_equal(row, c->n);
    unlink(path);
    rmdir(dir);
    market_free(m);
    cap_free(c);
}

static void test_sessions(void **state)
{
    int64_t t0 = hk("2024-03-01 11:59:00");
    capture *c = cap_new();
    market *m = make(c, 21, 10, true, t0, 0);
    size_t cas = 0;
    size_t open_auction = 0;
    size_t morning = 0;

    (void)state;
    /* 11:59 -> next day 09:35 in 10-second steps. */
    for (int64_t t = t0; t <= hk("2024-03-02 09:35:00"); t += 10000)
        market_generate(m, t, SIZE_MAX);
    assert_true(c->n > 10000 && c->n < MAXT);
    for (size_t i = 0; i < c->n; i++) {
        const market_tick *k = &c->t[i];
        int64_t tod = hktime_hk_ms_of_day(k->ts_ms) / 1000;

        if (!session_is_trading(k->ts_ms))
            fail_msg("tick at %lld s of day outside sessions", (long long)tod);
        assert_false(tod >= 12 * 3600 && tod < 13 * 3600);       /* 12:30 */
        assert_false(tod >= 16 * 3600 + 600 && tod < 24 * 3600); /* 17:00 */
        assert_false(tod < 9 * 3600 + 1800);
        if (tod >= 16 * 3600) {
            if (k->type != MARKET_TYPE_ODD_LOT)
                assert_int_equal(k->type, MARKET_TYPE_AUCTION);
            cas++;
        }
        if (hktime_trading_day(k->ts_ms) == 20240302) {
            morning++;
            open_auction += k->type == MARKET_TYPE_AUCTION;
        }
    }
    assert_true(cas > 0);
    assert_true(morning > 0);
    assert_true(open_auction >= 1 && open_auction <= 5);
    assert_int_equal(session_state(hk("2024-03-01 09:10:00")), 1);
    assert_int_equal(session_state(hk("2024-03-01 09:30:00")), 3);
    assert_int_equal(session_state(hk("2024-03-01 12:30:00")), 4);
    assert_int_equal(session_state(hk("2024-03-01 13:00:00")), 5);
    assert_int_equal(session_state(hk("2024-03-01 16:05:00")), 19);
    assert_int_equal(session_state(hk("2024-03-01 17:00:00")), 6);
    assert_int_equal(session_next_trading(hk("2024-03-01 17:00:00")),
                     hk("2024-03-02 09:30:00"));
    /* On-demand generation respects sessions too. */
    assert_int_equal(market_generate_now(m, hk("2024-03-02 12:30:00"), 5), 0);
    market_free(m);
    cap_free(c);
}

static void test_midnight_and_offset(void **state)
{
    int64_t t0 = hk("2024-03-01 23:59:50");
    capture *a = cap_new();
    capture *b = cap_new();
    market *ma = make(a, 8, 100, false, t0, 0);
    market *mb = make(b, 8, 100, false, t0, 8 * 3600 * 1000LL);
    size_t before = 0;
    size_t after = 0;

    (void)state;
    market_generate(ma, t0 + 20000, SIZE_MAX);
    market_generate(mb, t0 + 20000, SIZE_MAX);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        char tm[24];
        int64_t back;

        before += hktime_trading_day(a->t[i].ts_ms) == 20240301;
        after += hktime_trading_day(a->t[i].ts_ms) == 20240302;
        if (i > 0)
            assert_true(a->t[i].ts_ms >= a->t[i - 1].ts_ms);
        assert_int_equal(b->t[i].ts_ms, a->t[i].ts_ms + 8 * 3600 * 1000LL);
        assert_int_equal(b->t[i].seq, a->t[i].seq);
        hktime_format_hk_ms(a->t[i].ts_ms, tm);
        assert_int_equal(hktime_parse(tm, 23, HKTIME_ZONE_HK, 0, &back), 0);
        assert_int_equal(back, a->t[i].ts_ms);
    }
    assert_true(before > 100);
    assert_true(after > 100);
    assert_int_equal(before + after, a->n);
    market_free(ma);
    market_free(mb);
    cap_free(a);
    cap_free(b);
}

static void test_bad_symbols(void **state)
{
    const char *const bad[] = {"HK.00700", "00005"};
    const char *const dup[] = {"HK.00700", "HK.00700"};
    market_config cfg = {.symbols = bad, .nsymbols = 2, .rate = 1};
    char err[128];
    market *m = NULL;

    (void)state;
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), MARKET_E_SYMBOL);
    assert_non_null(strstr(err, "00005"));
    cfg.symbols = dup;
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), MARKET_E_SYMBOL);
    cfg.nsymbols = 0;
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), MARKET_E_SYMBOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_ladder_table),
        cmocka_unit_test(test_trade_fields),
        cmocka_unit_test(test_ring),
        cmocka_unit_test(test_rate_and_max),
        cmocka_unit_test(test_truth_roundtrip),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_midnight_and_offset),
        cmocka_unit_test(test_bad_symbols),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
