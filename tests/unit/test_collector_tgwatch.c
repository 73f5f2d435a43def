/*
 * test_collector_tgwatch.c - alert conditions from one observation
 * (collector/tgwatch.c): a healthy baseline raises nothing, then each
 * rule at and around its threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "collector/tgwatch.h"

static tgwatch_in healthy(void)
{
    tgwatch_in in;
    memset(&in, 0, sizeof(in));
    in.now_ms = 1000000000;
    in.uptime_ms = 600000;
    in.connected = true;
    in.trading = true;
    in.busy_threshold = 3;
    in.disk_free_pct = 50;
    in.disk_min_free_pct = 10;
    in.max_ts_ms = in.now_ms - 5000;
    in.max_lag_sec = 120;
    return in;
}

static int count(const bool *bad)
{
    int n = 0;
    for (int c = 0; c < TGMSG_N_CODES; c++)
        n += bad[c];
    return n;
}

static void test_rules(void **state)
{
    (void)state;
    bool bad[TGMSG_N_CODES];
    tgwatch_in in = healthy();

    tgwatch_eval(&in, bad);
    assert_int_equal(count(bad), 0);

    in.connected = false; /* no DATA_LAG while disconnected */
    in.max_ts_ms = in.now_ms - 500000;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_DISCONNECT]);
    assert_int_equal(count(bad), 1);

    in = healthy();
    in.max_ts_ms = in.now_ms - 120000; /* exactly the limit: fine */
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_DATA_LAG]);
    in.max_ts_ms = in.now_ms - 120001;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_DATA_LAG]);
    in.trading = false; /* lunch, night: no lag alert */
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_DATA_LAG]);
    in = healthy();
    in.max_ts_ms = 0; /* nothing seen yet: counts from the start */
    in.uptime_ms = 121000;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_DATA_LAG]);

    in = healthy();
    in.busy_last_min = 2;
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_SQLITE_BUSY]);
    in.busy_last_min = 3;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_SQLITE_BUSY]);

    in = healthy();
    in.disk_free_pct = 10;
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_DISK_LOW]);
    in.disk_free_pct = 9;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_DISK_LOW]);
    in.disk_free_pct = -1; /* unknown */
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_DISK_LOW]);

    in = healthy();
    in.spool_rows = 500;
    in.spool_rows_min_ago = 500; /* draining or steady: fine */
    tgwatch_eval(&in, bad);
    assert_false(bad[TGMSG_SPOOL_GROWING]);
    in.spool_rows_min_ago = 499;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_SPOOL_GROWING]);

    in = healthy();
    in.watchdog_acting = true;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_PERSIST_STALL]);
    in.watchdog_acting = false;
    in.writer_dead = true;
    tgwatch_eval(&in, bad);
    assert_true(bad[TGMSG_PERSIST_STALL]);
    assert_int_equal(count(bad), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
