/*
 * test_qte_engine.c - the engine against a hand-made day file and a
 * scripted strategy compiled into the test: every fill, fee and the final
 * P&L below were computed by hand (comments show the arithmetic with the
 * default fee table); no fill at or before the order's time; latency;
 * partial fills; IOC; rejections (lot, tick, cash, position); two runs
 * write byte-identical reports and store rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "qte_fixture.h"
#include "dayfile/dayfile.h"
#include "qte/engine.h"
#include "qte/exec.h"

#define T0 1704159000000LL /* 2024-01-02 09:30:00 HKT */

typedef struct trow {
    const char *sym;
    int64_t ts;
    double price;
    int64_t vol;
    int64_t seq;
} trow;

static const trow golden_rows[] = {
    {"HK.00700", T0 + 0, 380.0, 500, 1},
    {"HK.00700", T0 + 0, 380.2, 300, 2},
    {"HK.00700", T0 + 1000, 380.4, 200, 3},
    {"HK.00700", T0 + 2000, 380.0, 1000, 4},
    {"HK.00700", T0 + 3000, 381.0, 400, 5},
    {"HK.00700", T0 + 4000, 382.0, 250, 6},
};

static void make_day(const char *root, int day, const trow *rows, int n)
{
    char path[512], td[16];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof(path), "%s/%d.db", root, day);
    snprintf(td, sizeof(td), "%d", day);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "INSERT INTO ticks (market, symbol, ts_ms, price, "
                           "volume, turnover, direction, seq, trading_day, "
                           "recv_ts_ms, inserted_at_ms) VALUES ('HK', ?1, "
                           "?2, ?3, ?4, ?3 * ?4, 'BUY', ?5, ?6, ?2, ?2)",
                           -1, &st, NULL),
        SQLITE_OK);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, rows[i].sym, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rows[i].ts);
        sqlite3_bind_double(st, 3, rows[i].price);
        sqlite3_bind_int64(st, 4, rows[i].vol);
        sqlite3_bind_int64(st, 5, rows[i].seq);
        sqlite3_bind_text(st, 6, td, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* --- the scripted strategy ------------------------------------------- */

typedef struct action {
    int at_tick; /* 0-based tick index */
    qte_order_req req;
    int64_t expect; /* expected return of order() */
} action;

typedef struct script {
    const action *acts;
    int nacts;
    int ticks;
    qte_fill_info fills[16];
    int nfills;
    qte_order_update ups[16];
    int nups;
    int64_t got[16];
} script;

static script *S; /* the running script (one engine per test) */

static void sc_tick(qte_ctx *ctx, const qte_tick *t)
{
    (void)t;
    for (int i = 0; i < S->nacts; i++) {
        if (S->acts[i].at_tick == S->ticks)
            S->got[i] = ctx->api->order(ctx, &S->acts[i].req);
    }
    S->ticks++;
}

static void sc_fill(qte_ctx *ctx, const qte_fill_info *f)
{
    (void)ctx;
    S->fills[S->nfills++] = *f;
}

static void sc_order(qte_ctx *ctx, const qte_order_update *u)
{
    (void)ctx;
    S->ups[S->nups++] = *u;
}

static const qte_strategy scripted = {.abi = QTE_STRATEGY_ABI,
                                      .name = "scripted",
                                      .on_tick = sc_tick,
                                      .on_fill = sc_fill,
                                      .on_order = sc_order};

#define MKT(s, q)                                                              \
    {                                                                          \
        NULL, 0, s, QTE_MARKET, QTE_GTC, q, 0                                  \
    }
#define LIM(s, q, p, tif)                                                      \
    {                                                                          \
        NULL, 0, s, QTE_LIMIT, tif, q, p                                       \
    }

static const action golden_acts[] = {
    {0, MKT(QTE_BUY, 300), 1},                            /* order 1 */
    {2, LIM(QTE_SELL, 200, 381000, QTE_GTC), 2},          /* order 2 */
    {3, MKT(QTE_BUY, 150), -QTE_R_LOT},                   /* 3: not 100s */
    {3, LIM(QTE_BUY, 100, 380100, QTE_GTC), -QTE_R_TICK}, /* 4: 0.2 step */
    {3, MKT(QTE_BUY, 100000), -QTE_R_CASH},               /* 5: HKD 38M */
    {3, MKT(QTE_SELL, 1000), -QTE_R_POSITION},            /* 6: 100 free */
    {4, LIM(QTE_BUY, 300, 382000, QTE_IOC), 7},           /* order 7 */
};

static qte_config base_cfg(const char *root)
{
    qte_config c;
    qte_config_defaults(&c);
    snprintf(c.data_root, sizeof(c.data_root), "%s", root);
    snprintf(c.days, sizeof(c.days), "20240102");
    snprintf(c.symbols, sizeof(c.symbols), "HK.00700");
    c.commit_events = 3;
    return c;
}

static qte_engine *run_script(const qte_config *c, script *s, qte_store *st)
{
    char err[256] = "";
    S = s;
    qte_engine *e = qte_engine_new_with(c, st, &scripted, err, sizeof(err));
    if (!e)
        fail_msg("qte_engine_new_with: %s", err);
    assert_int_equal(qte_engine_run(e, NULL), 0);
    return e;
}

static void check_fill(const qte_fill_info *f, int64_t order, qte_side side,
                       int64_t qty, int64_t price, int64_t fees,
                       int64_t remaining, int64_t ts)
{
    assert_int_equal(f->order_id, order);
    assert_int_equal(f->side, side);
    assert_int_equal(f->qty, qty);
    assert_int_equal(f->price_milli, price);
    assert_int_equal(f->fees_milli, fees);
    assert_int_equal(f->remaining, remaining);
    assert_int_equal(f->ts_ms, ts);
}

static void test_golden(void **state)
{
    (void)state;
    char *root = tmpdir();
    make_day(root, 20240102, golden_rows, 6);
    qte_config c = base_cfg(root);
    script s = {.acts = golden_acts, .nacts = 7};
    qte_engine *e = run_script(&c, &s, NULL);
    for (int i = 0; i < 7; i++)
        assert_int_equal(s.got[i], golden_acts[i].expect);
    assert_int_equal(s.nfills, 4);
    /* 1: order 1 buys 200 of 300 @380.4 at tick 3 (ticks 1-2 share the
     * order's millisecond: never used). value 76080: commission
     * 76080 x 0.03% = 22.824 -> 22.82; stamp 76.08 -> 77 (rounded up);
     * SFC 2.05416 -> 2.05; AFRC 0.11412 -> 0.11; trading 4.29852 -> 4.30;
     * settlement 1.5216 -> min 2.00. Sum 108.28. */
    check_fill(&s.fills[0], 1, QTE_BUY, 200, 380400, 108280, 100, T0 + 1000);
    /* 2: the other 100 @380.0 at tick 4. value 38000; the order's
     * commission is 114080 x 0.03% = 34.224 -> 34.22, minus 22.82 paid
     * = 11.40; stamp 38; SFC 1.026 -> 1.03; AFRC 0.057 -> 0.06; trading
     * 2.147 -> 2.15; settlement 0.76 -> 2. Sum 54.64. */
    check_fill(&s.fills[1], 1, QTE_BUY, 100, 380000, 54640, 0, T0 + 2000);
    /* 3: order 2 sells 200 @381.0 at tick 5. value 76200: 22.86 + 77 +
     * 2.06 (2.0574) + 0.11 + 4.31 (4.3053) + 2 = 108.34. */
    check_fill(&s.fills[2], 2, QTE_SELL, 200, 381000, 108340, 0, T0 + 3000);
    /* 4: order 7 (IOC 300 @382.0) gets 200 of the 250 printed at tick 6
     * (whole lots only); value 76400: 22.92 + 77 + 2.06 (2.0628) + 0.11 +
     * 4.32 (4.3166) + 2 = 108.41. The other 100 are cancelled (ioc). */
    check_fill(&s.fills[3], 7, QTE_BUY, 200, 382000, 108410, 100, T0 + 4000);
    assert_int_equal(s.nups, 7);
    qte_result r;
    qte_engine_result(e, &r);
    /* cash 1,000,000 - 76080 - 108.28 - 38000 - 54.64 + 76200 - 108.34
     * - 76400 - 108.41 = 885,340.33 */
    assert_int_equal(r.cash_milli, 885340330);
    /* sale of 200 of 300: cost 114,242.92 x 2/3 = 76,161.946(67) ->
     * 76,161.946; realized 76200 - 108.34 - 76161.946 = -70.286 */
    assert_int_equal(r.realized_milli, -70286);
    /* held 300, cost 38,080.974 + 76,508.41 = 114,589.384, marked at
     * 382.0: 114,600 - 114,589.384 = 10.616 */
    assert_int_equal(r.unrealized_milli, 10616);
    assert_int_equal(r.final_milli, 999940330);
    assert_int_equal(r.fees_milli, 379670);
    assert_int_equal(r.turnover_milli, 266680000);
    assert_int_equal(r.trades, 4);
    assert_int_equal(r.orders, 7);
    assert_int_equal(r.rejected, 4);
    assert_int_equal(r.round_trips, 1);
    assert_true(r.win_rate == 0.0);
    assert_int_equal(r.ticks, 6);
    qte_engine_free(e);
    rmrf(root);
    free(root);
}

static void test_update_order(void **state)
{
    (void)state;
    char *root = tmpdir();
    make_day(root, 20240102, golden_rows, 6);
    qte_config c = base_cfg(root);
    script s = {.acts = golden_acts, .nacts = 7};
    qte_engine_free(run_script(&c, &s, NULL));
    /* Rejections are reported when their ORDER events are handled (after
     * tick 4's own events), then fills close orders 1, 2 and 7. */
    const int64_t ids[] = {1, 3, 4, 5, 6, 2, 7};
    const int sts[] = {QTE_ORD_FILLED,   QTE_ORD_REJECTED, QTE_ORD_REJECTED,
                       QTE_ORD_REJECTED, QTE_ORD_REJECTED, QTE_ORD_FILLED,
                       QTE_ORD_CANCELLED};
    const int why[] = {QTE_R_NONE,     QTE_R_LOT,  QTE_R_TICK, QTE_R_CASH,
                       QTE_R_POSITION, QTE_R_NONE, QTE_R_IOC};
    assert_int_equal(s.nups, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(s.ups[i].order_id, ids[i]);
        assert_int_equal(s.ups[i].status, sts[i]);
        assert_int_equal(s.ups[i].reason, why[i]);
    }
    rmrf(root);
    free(root);
}

/* With 1000 ms latency the order placed at T0 may use trades after
 * T0 + 1000 only: tick 3 (at T0 + 1000 exactly) is skipped and all 300
 * fill on tick 4 @380.0. */
static void test_latency(void **state)
{
    (void)state;
    char *root = tmpdir();
    make_day(root, 20240102, golden_rows, 6);
    qte_config c = base_cfg(root);
    c.latency_ms = 1000;
    static const action acts[] = {{0, MKT(QTE_BUY, 300), 1}};
    script s = {.acts = acts, .nacts = 1};
    qte_engine_free(run_script(&c, &s, NULL));
    assert_int_equal(s.nfills, 1);
    /* value 114000: commission 34.20; stamp 114; SFC 3.078 -> 3.08; AFRC
     * 0.171 -> 0.17; trading 6.441 -> 6.44; settlement 2.28. 160.17 */
    check_fill(&s.fills[0], 1, QTE_BUY, 300, 380000, 160170, 0, T0 + 2000);
    rmrf(root);
    free(root);
}

/* No fill ever uses a trade at or before the order's time: an order
 * placed on every tick of a burst of same-millisecond prints never
 * fills on them. */
static void test_no_lookahead(void **state)
{
    (void)state;
    char *root = tmpdir();
    static const trow rows[] = {
        {"HK.00700", T0, 380.0, 10000, 1},
        {"HK.00700", T0, 380.0, 10000, 2},
        {"HK.00700", T0, 380.0, 10000, 3},
        {"HK.00700", T0 + 1, 385.0, 100, 4},
    };
    make_day(root, 20240102, rows, 4);
    qte_config c = base_cfg(root);
    static const action acts[] = {
        {0, MKT(QTE_BUY, 100), 1},
        {1, MKT(QTE_BUY, 100), 2},
        {2, MKT(QTE_BUY, 100), 3},
    };
    script s = {.acts = acts, .nacts = 3};
    qte_engine_free(run_script(&c, &s, NULL));
    /* Only the print at T0 + 1 (100 shares) fills, for order 1. */
    assert_int_equal(s.nfills, 1);
    assert_int_equal(s.fills[0].order_id, 1);
    assert_int_equal(s.fills[0].ts_ms, T0 + 1);
    assert_int_equal(s.fills[0].price_milli, 385000);
    rmrf(root);
    free(root);
}

/* Two runs, two stores, two reports: the same bytes. */
static void test_determinism(void **state)
{
    (void)state;
    char *root = tmpdir();
    make_day(root, 20240102, golden_rows, 6);
    char *out[2], *json[2], *html[2], *db[2];
    for (int k = 0; k < 2; k++) {
        char path[600], err[256];
        qte_store st;
        qte_config c = base_cfg(root);
        snprintf(path, sizeof(path), "%s/run%d", root, k);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/run%d/qte.db", root, k);
        assert_int_equal(qte_store_sqlite_open(&st, path, err, sizeof(err)), 0);
        script s = {.acts = golden_acts, .nacts = 7};
        qte_engine *e = run_script(&c, &s, &st);
        snprintf(path, sizeof(path), "%s/run%d", root, k);
        assert_int_equal(qte_engine_write_report(e, path, err, sizeof(err)), 0);
        svc_buf b = {0};
        qte_engine_json_orders(e, &b, 100);
        qte_engine_json_trades(e, &b, 100);
        qte_engine_json_positions(e, &b);
        qte_engine_json_portfolio(e, &b);
        out[k] = b.p;
        qte_engine_free(e);
        st.ops->close(&st);
        snprintf(path, sizeof(path), "%s/run%d/report.json", root, k);
        json[k] = slurp(path);
        snprintf(path, sizeof(path), "%s/run%d/report.html", root, k);
        html[k] = slurp(path);
        snprintf(path, sizeof(path), "%s/run%d/qte.db", root, k);
        db[k] = dump_db(path);
    }
    assert_string_equal(json[0], json[1]);
    assert_string_equal(html[0], html[1]);
    assert_string_equal(db[0], db[1]);
    assert_string_equal(out[0], out[1]);
    /* The report's figures are the hand-computed ones. */
    assert_non_null(strstr(json[0], "\"final_equity\": 999940.330,"));
    assert_non_null(strstr(json[0], "\"fees\": 379.670,"));
    assert_non_null(strstr(json[0], "\"trades\": 4,"));
    assert_non_null(strstr(html[0], "id=\"final_equity\">999940.330<"));
    assert_non_null(strstr(html[0], "<polyline"));
    /* Store rows: 4 trades, 7 orders, the sell's realized P&L. */
    assert_non_null(strstr(db[0], "|3|2|HK.00700|sell|200|381000|76200000|"
                                  "22860|77000|2060|110|4310|2000|108340|"
                                  "961848740|-70286|"));
    assert_non_null(strstr(db[0], "|HK.00700|300|114589384|-70286|382000|"));
    for (int k = 0; k < 2; k++) {
        free(out[k]);
        free(json[k]);
        free(html[k]);
        free(db[k]);
    }
    rmrf(root);
    free(root);
}

/* Two symbols over two days merge in (ts, symbol, seq) order. */
static int64_t seen_ts[16];
static int seen_sym[16];
static int seen_n;

static void rec_tick(qte_ctx *ctx, const qte_tick *t)
{
    (void)ctx;
    seen_ts[seen_n] = t->ts_ms * 10 + t->seq;
    seen_sym[seen_n++] = t->sym;
}

static void test_merge(void **state)
{
    (void)state;
    char *root = tmpdir();
    static const trow d1[] = {
        {"HK.00700", T0 + 5, 380.0, 200, 2}, {"HK.00005", T0 + 5, 60.0, 400, 1},
        {"HK.00700", T0 + 5, 380.0, 100, 1}, {"HK.00005", T0 + 1, 60.0, 400, 3},
        {"HK.09988", T0 + 2, 80.0, 100, 1}, /* not in the run */
    };
    static const trow d2[] = {
        {"HK.00700", T0 + 86400000, 381.0, 100, 7},
    };
    make_day(root, 20240102, d1, 5);
    make_day(root, 20240103, d2, 1);
    qte_config c = base_cfg(root);
    snprintf(c.days, sizeof(c.days), "20240103,20240102");
    snprintf(c.symbols, sizeof(c.symbols), "HK.00700,HK.00005");
    static const qte_strategy rec = {.abi = QTE_STRATEGY_ABI,
                                     .on_tick = rec_tick};
    char err[256];
    qte_engine *e = qte_engine_new_with(&c, NULL, &rec, err, sizeof(err));
    assert_non_null(e);
    assert_int_equal(qte_engine_run(e, NULL), 0);
    qte_engine_free(e);
    /* symbols sort: HK.00005 = 0, HK.00700 = 1 */
    assert_int_equal(seen_n, 5);
    const int64_t ts[] = {(T0 + 1) * 10 + 3, (T0 + 5) * 10 + 1,
                          (T0 + 5) * 10 + 1, (T0 + 5) * 10 + 2,
                          (T0 + 86400000) * 10 + 7};
    const int sym[] = {0, 0, 1, 1, 1};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(seen_ts[i], ts[i]);
        assert_int_equal(seen_sym[i], sym[i]);
    }
    rmrf(root);
    free(root);
}

static void test_tick_table(void **state)
{
    (void)state;
    assert_int_equal(exec_tick_size(250, false), 1);
    assert_int_equal(exec_tick_size(250, true), 5);
    assert_int_equal(exec_tick_size(10000, false), 10);
    assert_int_equal(exec_tick_size(10000, true), 20);
    assert_int_equal(exec_tick_size(380000, false), 200);
    assert_int_equal(exec_tick_size(9995000, false), 5000);
    assert_int_equal(exec_tick_size(9995001, false), 0);
    assert_int_equal(exec_tick_size(9, false), 0);
    assert_true(exec_price_valid(380200));
    assert_false(exec_price_valid(380100));
    assert_true(exec_price_valid(255)); /* 0.255: 0.005 band */
    assert_false(exec_price_valid(251));
    assert_true(exec_price_valid(20050)); /* 20.05 */
    assert_false(exec_price_valid(20020));
}

static void test_fees(void **state)
{
    (void)state;
    qte_config c;
    qte_config_defaults(&c);
    exec_fees f;
    exec_cost k;
    assert_int_equal(exec_fees_init(&f, &c.fees), 0);
    /* A small fill: value HKD 1000: commission 0.30 -> minimum 3; stamp
     * 1.00 -> 1; SFC 0.027 -> 0.03; AFRC 0.0015 -> 0.00; trading 0.0565
     * -> 0.06; settlement 0.02 -> 2. */
    exec_fees_compute(&f, 1000000, 1000000, 0, &k);
    assert_int_equal(k.commission, 3000);
    assert_int_equal(k.stamp, 1000);
    assert_int_equal(k.sfc, 30);
    assert_int_equal(k.afrc, 0);
    assert_int_equal(k.trading, 60);
    assert_int_equal(k.settlement, 2000);
    assert_int_equal(k.total, 6090);
    /* A large one: value HKD 10,000,000: settlement capped at 100. */
    exec_fees_compute(&f, 10000000000LL, 10000000000LL, 0, &k);
    assert_int_equal(k.commission, 3000000);
    assert_int_equal(k.stamp, 10000000);
    assert_int_equal(k.settlement, 100000);
    qte_fee_table bad = c.fees;
    bad.stamp_rate = -1;
    assert_int_equal(exec_fees_init(&f, &bad), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),      cmocka_unit_test(test_update_order),
        cmocka_unit_test(test_latency),     cmocka_unit_test(test_no_lookahead),
        cmocka_unit_test(test_determinism), cmocka_unit_test(test_merge),
        cmocka_unit_test(test_tick_table),  cmocka_unit_test(test_fees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
