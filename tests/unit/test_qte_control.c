/*
 * test_qte_control.c - the engine's control surface from another thread,
 * as the daemon's HTTP handlers use it: stepped mode and step(n), pause,
 * manual orders (accepted while paused, rejected with a reason, malformed,
 * after the end), seek, speed bounds, queue clear, stats, observer, JSON.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "dayfile/dayfile.h"
#include "qte/engine.h"

#define T0 1704159000000LL

static void make_day(const char *root)
{
    static const struct {
        int64_t ts;
        double price;
        int64_t vol;
    } rows[] = {{T0, 380.0, 500},        {T0 + 500, 380.2, 300},
                {T0 + 1000, 380.4, 200}, {T0 + 2000, 380.0, 1000},
                {T0 + 3000, 381.0, 400}, {T0 + 4000, 382.0, 250}};
    char path[512];
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/20240102.db", root);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    for (int i = 0; i < 6; i++) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ticks (market, symbol, ts_ms, price, volume, "
                 "turnover, seq, trading_day, recv_ts_ms, inserted_at_ms) "
                 "VALUES ('HK', 'HK.00700', %lld, %.1f, %lld, 0, %d, "
                 "'20240102', 0, 0)",
                 (long long)rows[i].ts, rows[i].price, (long long)rows[i].vol,
                 i + 1);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    sqlite3_close(db);
}

typedef struct runner {
    qte_engine *e;
    int rc;
} runner;

static void *run_thread(void *ud)
{
    runner *r = ud;
    r->rc = qte_engine_run(r->e, NULL);
    return NULL;
}

/* Poll stats until pred holds (2 s at most). */
static bool wait_for(qte_engine *e, bool (*pred)(const qte_stats *, uint64_t),
                     uint64_t arg)
{
    for (int i = 0; i < 400; i++) {
        qte_stats st;
        qte_engine_stats(e, &st);
        if (pred(&st, arg))
            return true;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool paused_at(const qte_stats *s, uint64_t n)
{
    return s->running && s->paused && s->ticks == n;
}

static bool finished(const qte_stats *s, uint64_t n)
{
    (void)n;
    return s->done && !s->running;
}

static _Atomic uint64_t observed;

static void observe(void *ud, qte_event_kind k, uint64_t ns)
{
    (void)ud;
    (void)k;
    (void)ns;
    observed++;
}

static void test_control(void **state)
{
    (void)state;
    char root[] = "/tmp/test_qte_ctl.XXXXXX";
    assert_non_null(mkdtemp(root));
    make_day(root);
    qte_config c;
    qte_config_defaults(&c);
    snprintf(c.data_root, sizeof(c.data_root), "%s", root);
    snprintf(c.days, sizeof(c.days), "20240102");
    snprintf(c.symbols, sizeof(c.symbols), "HK.00700");
    c.mode = QTE_MODE_STEPPED;
    char err[256];
    qte_engine *e = qte_engine_new(&c, NULL, err, sizeof(err));
    assert_non_null(e);
    qte_engine_set_observer(e, observe, NULL);
    runner r = {e, -99};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_thread, &r), 0);
    assert_true(wait_for(e, paused_at, 0));

    /* step 3: three ticks, then paused again */
    assert_int_equal(qte_engine_step(e, 3), 0);
    assert_true(wait_for(e, paused_at, 3));
    qte_stats st;
    qte_engine_stats(e, &st);
    assert_int_equal(st.processed, 3);
    assert_int_equal(st.replay_ts_ms, T0 + 1000);
    assert_int_equal(st.mode, QTE_MODE_STEPPED);
    assert_int_equal(st.queue_capacity, 65536);

    /* manual orders are decided while paused */
    qte_order_req req = {.symbol = "HK.00700",
                         .side = QTE_BUY,
                         .type = QTE_MARKET,
                         .tif = QTE_GTC,
                         .qty = 100};
    qte_order_ack ack;
    assert_int_equal(qte_engine_submit_order(e, &req, &ack, 2000), 0);
    assert_int_equal(ack.order_id, 1);
    assert_int_equal(ack.status, QTE_ORD_WORKING);
    assert_int_equal(ack.reason, QTE_R_NONE);
    req.qty = 150;
    assert_int_equal(qte_engine_submit_order(e, &req, &ack, 2000), 0);
    assert_int_equal(ack.order_id, 2);
    assert_int_equal(ack.status, QTE_ORD_REJECTED);
    assert_int_equal(ack.reason, QTE_R_LOT);
    req.symbol = "HK.99999";
    req.qty = 100;
    assert_int_equal(qte_engine_submit_order(e, &req, &ack, 2000), 0);
    assert_int_equal(ack.reason, QTE_R_SYMBOL);
    req.symbol = NULL;
    assert_int_equal(qte_engine_submit_order(e, &req, &ack, 2000), -EINVAL);

    svc_buf b = {0};
    assert_int_equal(qte_engine_json_orders(e, &b, 10), 0);
    assert_non_null(strstr(b.p, "{\"id\":1,\"symbol\":\"HK.00700\",\"side\":"
                                "\"buy\",\"type\":\"market\",\"tif\":\"gtc\","
                                "\"qty\":100,\"filled\":0,\"limit\":0.000,"
                                "\"status\":\"working\",\"reason\":\"\","
                                "\"created_ts_ms\":1704159001000,"
                                "\"manual\":true}"));
    assert_non_null(strstr(b.p, "\"status\":\"rejected\",\"reason\":"
                                "\"lot_size\""));
    svc_buf_free(&b);

    assert_int_equal(qte_engine_set_speed(e, 0), -EINVAL);
    assert_int_equal(qte_engine_set_speed(e, 4), 0);
    int dropped = -1;
    assert_int_equal(qte_engine_queue_clear(e, &dropped), 0);
    assert_int_equal(dropped, 0);

    /* seek past tick 4, run to the end: the order fills on tick 5 */
    assert_int_equal(qte_engine_seek(e, T0 + 3000), 0);
    qte_engine_resume(e);
    assert_true(wait_for(e, finished, 0));
    pthread_join(th, NULL);
    assert_int_equal(r.rc, 0);
    qte_engine_stats(e, &st);
    assert_int_equal(st.ticks, 5); /* 3 stepped + ticks 5 and 6 */
    assert_int_equal(st.trades, 1);
    assert_int_equal(st.positions, 1);
    assert_true(st.progress == 1.0);
    assert_true(observed == st.processed);
    assert_int_equal(qte_engine_json_trades(e, &b, 10), 0);
    assert_non_null(strstr(b.p, "\"order_id\":1,\"symbol\":\"HK.00700\","
                                "\"side\":\"buy\",\"qty\":100,"
                                "\"price\":381.000"));
    svc_buf_free(&b);
    assert_int_equal(qte_engine_json_portfolio(e, &b), 0);
    assert_non_null(strstr(b.p, "\"positions\":1,\"trades\":1,"));
    svc_buf_free(&b);
    req.symbol = "HK.00700";
    assert_int_equal(qte_engine_submit_order(e, &req, &ack, 100), -ESHUTDOWN);
    qte_engine_free(e);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
