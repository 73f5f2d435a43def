/*
 * test_sim_replay.c - unit tests for src/sim/replay.c: a day file written
 * with the compat.md §1.2 `ticks` schema is replayed into a market in
 * (ts_ms, seq) order, with direction / tick_type strings mapped back to
 * enums, symbols taken from the file, pacing by speed, and every row
 * reported through the market's tick callback (the ground truth).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sim/market.h"
#include "sim/replay.h"

typedef struct seen {
    market_tick t[16];
    char sym[16][24];
    size_t n;
} seen;

static void on_tick(void *ctx, const char *symbol, const market_tick *t)
{
    seen *s = ctx;

    assert_true(s->n < 16);
    s->t[s->n] = *t;
    snprintf(s->sym[s->n], sizeof(s->sym[0]), "%s", symbol);
    s->n++;
}

static char dir[64];
static char db[128];

static int setup(void **state)
{
    static const char *sql =
        "CREATE TABLE ticks (market TEXT NOT NULL, symbol TEXT NOT NULL,"
        " ts_ms INTEGER NOT NULL, price REAL, volume INTEGER, turnover REAL,"
        " direction TEXT, seq INTEGER, tick_type TEXT, push_type TEXT,"
        " provider TEXT, trading_day TEXT NOT NULL, recv_ts_ms INTEGER NOT"
        " NULL, inserted_at_ms INTEGER NOT NULL);"
        "INSERT INTO ticks VALUES"
        " ('HK','HK.00700',1709258401000,380.2,100,38020.0,'BUY',12,"
        "  'AUTO_MATCH','push','futu','20240301',0,0),"
        " ('HK','HK.00005',1709258400000,62.5,400,25000.0,'SELL',7,"
        "  'ODD_LOT','push','futu','20240301',0,0),"
        " ('HK','HK.00700',1709258400000,380.0,200,76000.0,'NEUTRAL',10,"
        "  'AUCTION','push','futu','20240301',0,0),"
        " ('HK','HK.00700',1709258400000,380.4,300,114120.0,'N/A',11,"
        "  'N/A','poll','futu','20240301',0,0),"
        " ('HK','HK.00005',1709258402000,62.55,800,50040.0,'BUY',9,"
        "  'LATE','push','futu','20240301',0,0);";
    sqlite3 *h;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/test_sim_replay.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/20240301.db", dir);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(db);
    rmdir(dir);
    return 0;
}

static market *market_for(replay *r, seen *s)
{
    market_config cfg = {.on_tick = on_tick, .ctx = s};
    char err[128];
    market *m = NULL;

    replay_symbols(r, &cfg.symbols, &cfg.nsymbols);
    assert_int_equal(market_init(&m, &cfg, err, sizeof(err)), 0);
    return m;
}

static void test_replay_all(void **state)
{
    char err[256];
    replay *r = NULL;
    seen s = {0};
    market *m;
    const char *const *syms;
    size_t n;

    (void)state;
    assert_int_equal(replay_open(&r, db, 0, err, sizeof(err)), 0);
    replay_symbols(r, &syms, &n);
    assert_int_equal(n, 2);
    assert_string_equal(syms[0], "HK.00005");
    assert_string_equal(syms[1], "HK.00700");
    m = market_for(r, &s);
    assert_string_equal(market_name(m, 1), "TENCENT");
    assert_int_equal(replay_step(r, m, 0, 100), 5);
    assert_true(replay_done(r));
    assert_int_equal(s.n, 5);
    /* Ordered by ts_ms, then seq. */
    assert_string_equal(s.sym[0], "HK.00005");
    assert_int_equal(s.t[0].seq, 7);
    assert_int_equal(s.t[0].type, 6);
    assert_int_equal(s.t[0].dir, 2);
    assert_int_equal(s.t[1].seq, 10);
    assert_int_equal(s.t[1].dir, 3);
    assert_int_equal(s.t[1].type, 7);
    assert_int_equal(s.t[2].seq, 11);
    assert_int_equal(s.t[2].dir, 0);
    assert_int_equal(s.t[2].type, 0);
    assert_int_equal(s.t[3].seq, 12);
    assert_true(s.t[3].price == 380.2);
    assert_int_equal(s.t[3].volume, 100);
    assert_true(s.t[3].turnover == 38020.0);
    assert_int_equal(s.t[3].ts_ms, 1709258401000);
    assert_int_equal(s.t[3].dir, 1);
    assert_int_equal(s.t[3].type, 1);
    assert_int_equal(s.t[4].type, 2);
    assert_int_equal(market_total(m, 1), 3);
    assert_int_equal(market_tick_at(m, 1, 2)->seq, 12);
    market_free(m);
    replay_close(r);
}

static void test_replay_speed(void **state)
{
    char err[256];
    replay *r = NULL;
    seen s = {0};
    market *m;

    (void)state;
    /* 10x: the row 1 s later is due 100 ms after the anchor. */
    assert_int_equal(replay_open(&r, db, 10, err, sizeof(err)), 0);
    m = market_for(r, &s);
    assert_int_equal(replay_step(r, m, 5000, 100), 3);
    assert_int_equal(replay_step(r, m, 5099, 100), 0);
    assert_int_equal(replay_step(r, m, 5100, 100), 1);
    assert_false(replay_done(r));
    assert_int_equal(replay_step(r, m, 5200, 100), 1);
    assert_int_equal(replay_step(r, m, 5300, 100), 0);
    assert_true(replay_done(r));
    market_free(m);
    replay_close(r);
}

static void test_replay_errors(void **state)
{
    char err[256];
    replay *r = NULL;

    (void)state;
    assert_int_equal(replay_open(&r, "/nonexistent/x.db", 1, err, sizeof(err)),
                     REPLAY_E_DB);
    assert_true(strlen(err) > 0);
    assert_int_equal(replay_direction("SELL"), 2);
    assert_int_equal(replay_direction("bogus"), 0);
    assert_int_equal(replay_ticker_type("CLOSING_PRICED"), 29);
    assert_int_equal(replay_ticker_type("UNKNOWN"), 0);
    assert_int_equal(replay_ticker_type(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_all),
        cmocka_unit_test(test_replay_speed),
        cmocka_unit_test(test_replay_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
