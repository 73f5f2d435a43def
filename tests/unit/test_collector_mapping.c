/*
 * test_collector_mapping.c - unit tests for collector/mapping.c.
 *
 * Tickers are built in code (QOT__COMMON__TICKER__INIT plus fields); the
 * output row is pre-filled with 0xA5 so "out untouched" and "every byte
 * written" are both checkable. Instants come from hktime_day_start_ms and
 * the HK wall-clock strings from hktime_format_hk_ms, so the expected
 * values do not depend on the host zone. No files are used.
 *
 * Coverage: time string parsing in HK and US zones, the timestamp fallback,
 * drop and count with neither, the future guard (exactly 8 h ahead, at the
 * +-30 min edges, 3 h ahead, 1 h ahead), and the copied fields and flags.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector/mapping.h"
#include "collector/row.h"
#include "common/hktime.h"
#include "common/log.h"

#define HOUR 3600000LL
#define MIN 60000LL

static int64_t day_start(int day)
{
    int64_t ms = 0;
    assert_int_equal(hktime_day_start_ms(day, &ms), 0);
    return ms;
}

static QotCommon__Ticker ticker(char *time)
{
    QotCommon__Ticker t = QOT__COMMON__TICKER__INIT;
    t.time = time;
    t.sequence = 7251234567890LL;
    t.dir = 2;
    t.price = 380.4;
    t.volume = 1200;
    t.turnover = 456480.0;
    return t;
}

static void poison(row *r)
{
    memset(r, 0xA5, sizeof(*r));
}

static bool untouched(const row *r)
{
    const unsigned char *p = (const unsigned char *)r;
    for (size_t i = 0; i < sizeof(*r); i++)
        if (p[i] != 0xA5)
            return false;
    return true;
}

static int map(const QotCommon__Ticker *t, int market, int64_t now,
               mapping_stats *st, row *out)
{
    return mapping_ticker(t, 3, "HK.00700", market, ROW_PUSH, now + 40, now, st,
                          out);
}

static void test_time_string(void **state)
{
    char time[] = "2024-03-01 10:00:00.123";
    QotCommon__Ticker t = ticker(time);
    mapping_stats st = {0};
    row r;
    const int64_t now = day_start(20240301) + 10 * HOUR + 5000;
    (void)state;

    poison(&r);
    assert_int_equal(
        mapping_ticker(&t, 3, "HK.00700", 1, ROW_POLL, 1111, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709258400123LL);
    assert_int_equal(r.seq, 7251234567890LL);
    assert_int_equal(r.dir, 2);
    assert_float_equal(r.price, 380.4, 0);
    assert_int_equal(r.volume, 1200);
    assert_float_equal(r.turnover, 456480.0, 0);
    assert_int_equal(r.recv_ts_ms, 1111);
    assert_int_equal(r.sym, 3);
    assert_int_equal(r.push_type, ROW_POLL);
    assert_int_equal(r.flags, ROW_HAS_SEQ); /* type absent */
    assert_int_equal(r.flags & ROW_HAS_TYPE, 0);
    assert_int_equal(r.tick_type, 0);
    for (size_t i = 0; i < sizeof(r.pad); i++)
        assert_int_equal(r.pad[i], 0);
    assert_int_equal(st.unparseable, 0);
    assert_int_equal(st.future_corrected, 0);

    /* With a type (and seq 0 kept as a real seq). */
    t.has_type = 1;
    t.type = 1;
    t.sequence = 0;
    t.dir = 1;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.flags, ROW_HAS_SEQ | ROW_HAS_TYPE);
    assert_int_equal(r.tick_type, 1);
    assert_int_equal(r.seq, 0);
    assert_int_equal(r.dir, 1);
    assert_int_equal(r.recv_ts_ms, now + 40);
    /* A type of 0 is still a present type. */
    t.type = 0;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.flags, ROW_HAS_SEQ | ROW_HAS_TYPE);
    assert_int_equal(r.tick_type, 0);
    /* An out-of-range direction maps to unknown. */
    t.dir = 9;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.dir, 0);
    t.dir = -1;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.dir, 0);
}

static void test_time_wins_over_timestamp(void **state)
{
    char time[] = "2024-03-01 10:00:00.123";
    QotCommon__Ticker t = ticker(time);
    mapping_stats st = {0};
    row r;
    const int64_t now = day_start(20240301) + 10 * HOUR;
    (void)state;

    t.has_timestamp = 1;
    t.timestamp = 1709258999.0;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709258400123LL);
}

static void test_timestamp_fallback(void **state)
{
    char bad[] = "not a time";
    QotCommon__Ticker t = ticker(bad);
    mapping_stats st = {0};
    row r;
    const int64_t now = day_start(20240301) + 10 * HOUR;
    (void)state;

    t.has_timestamp = 1;
    t.timestamp = 1709258400.123;
    poison(&r);
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709258400123LL);
    assert_int_equal(st.unparseable, 0);
    /* Empty and absent time strings fall back too. */
    char empty[] = "";
    t.time = empty;
    t.timestamp = 1709258400.0006; /* rounds to ...400001 */
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709258400001LL);
    t.time = NULL;
    t.timestamp = 1709258400.4994;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709258400499LL);
}

static void test_unparseable(void **state)
{
    char bad[] = "2024-02-30 10:00:00";
    QotCommon__Ticker t = ticker(bad);
    mapping_stats st = {0};
    row r;
    const int64_t now = day_start(20240301) + 10 * HOUR;
    (void)state;

    log_level_set(LOG_CRITICAL); /* tick_time_unparseable is expected */
    poison(&r);
    assert_int_equal(map(&t, 1, now, &st, &r), -1);
    assert_true(untouched(&r));
    assert_int_equal(st.unparseable, 1);
    assert_int_equal(st.last_unparseable_log_ms, now);
    assert_int_equal(st.unparseable_since_log, 0);
    /* A second one within the minute is counted, not logged. */
    t.time = NULL;
    assert_int_equal(map(&t, 1, now + 1000, &st, &r), -1);
    assert_true(untouched(&r));
    assert_int_equal(st.unparseable, 2);
    assert_int_equal(st.unparseable_since_log, 1);
    assert_int_equal(st.last_unparseable_log_ms, now);
    /* Unusable timestamps: absent flag, NaN, zero, negative, too large. */
    static const double bad_ts[] = {0.0, -5.0, 1e12, NAN, INFINITY};
    for (size_t i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
        t.has_timestamp = 1;
        t.timestamp = bad_ts[i];
        assert_int_equal(map(&t, 1, now + 2000, &st, &r), -1);
    }
    t.has_timestamp = 0;
    t.timestamp = 1709258400.0;
    assert_int_equal(map(&t, 1, now + 2000, &st, &r), -1);
    assert_true(untouched(&r));
    assert_int_equal(st.unparseable, 8);
    assert_int_equal(st.future_corrected, 0);
    log_level_set(LOG_INFO);
}

/* The HK wall clock of an instant as a Ticker.time string. */
static void hk_wall(int64_t utc_ms, char buf[24])
{
    hktime_format_hk_ms(utc_ms, buf);
}

static void test_future_guard(void **state)
{
    char time[24];
    QotCommon__Ticker t = ticker(time);
    mapping_stats st = {0};
    row r;
    /* T = 2024-03-01 10:15:30.456 HKT */
    const int64_t T = day_start(20240301) + 10 * HOUR + 15 * MIN + 30456;
    (void)state;

    log_level_set(LOG_CRITICAL);
    /* A naive-UTC upstream: the string says T+8h in HK time. */
    hk_wall(T + 8 * HOUR, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T);
    assert_int_equal(st.future_corrected, 1);
    assert_int_equal(st.last_future_log_ms, T);

    /* Edges of the +-30 min window around +8 h. */
    hk_wall(T + 8 * HOUR + 30 * MIN, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T + 30 * MIN);
    hk_wall(T + 8 * HOUR - 30 * MIN, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T - 30 * MIN);
    assert_int_equal(st.future_corrected, 3);
    assert_int_equal(st.future_since_log, 2); /* logged once a minute */

    /* Just outside the window: stored unchanged. */
    hk_wall(T + 8 * HOUR + 30 * MIN + 1, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T + 8 * HOUR + 30 * MIN + 1);
    hk_wall(T + 8 * HOUR - 30 * MIN - 1, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T + 8 * HOUR - 30 * MIN - 1);
    /* +3 h is in the future but not near +8 h: unchanged. */
    hk_wall(T + 3 * HOUR, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T + 3 * HOUR);
    /* +1 h, now, and the past: unchanged. */
    hk_wall(T + HOUR, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T + HOUR);
    hk_wall(T - 8 * HOUR, time);
    assert_int_equal(map(&t, 1, T, &st, &r), 0);
    assert_int_equal(r.ts_ms, T - 8 * HOUR);
    assert_int_equal(st.future_corrected, 3);

    /* The guard applies to the timestamp fallback too. */
    t.time = NULL;
    t.has_timestamp = 1;
    t.timestamp = (double)(T + 8 * HOUR) / 1000.0;
    assert_int_equal(map(&t, 1, T + 61000, &st, &r), 0);
    assert_int_equal(r.ts_ms, T);
    assert_int_equal(st.future_corrected, 4);
    assert_int_equal(st.last_future_log_ms, T + 61000);
    assert_int_equal(st.future_since_log, 0);
    log_level_set(LOG_INFO);
}

static void test_us_market(void **state)
{
    char time[] = "2024-03-11 09:30:00.000";
    QotCommon__Ticker t = ticker(time);
    mapping_stats st = {0};
    row r;
    /* now: 2024-03-11 22:00 HKT = 10:00 EDT, same day */
    const int64_t now = day_start(20240311) + 22 * HOUR;
    (void)state;

    assert_int_equal(map(&t, 11, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1710163800000LL); /* 13:30Z, EDT */
    /* Winter time: 2024-03-08 09:30 EST = 14:30Z. */
    char winter[] = "2024-03-08 09:30:00.000";
    t.time = winter;
    assert_int_equal(map(&t, 11, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1709908200000LL);
    /* The same string in the HK market is UTC+8. */
    t.time = time;
    assert_int_equal(map(&t, 1, now, &st, &r), 0);
    assert_int_equal(r.ts_ms, 1710163800000LL - 12 * HOUR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_string),
        cmocka_unit_test(test_time_wins_over_timestamp),
        cmocka_unit_test(test_timestamp_fallback),
        cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_future_guard),
        cmocka_unit_test(test_us_market),
    };

    return cmocka_run_group_tests_name("collector_mapping", tests, NULL, NULL);
}
