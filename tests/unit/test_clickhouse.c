/*
 * test_clickhouse.c - the ClickHouse library alone (clickhouse/rowbin.h,
 * clickhouse/ch.h): exact RowBinary bytes of a known row with and without
 * NULLs, varint lengths, dates, the DDL text, and the client's error
 * reporting when nothing listens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "clickhouse/ch.h"
#include "clickhouse/rowbin.h"

#define I64(v)                                                                 \
    (uint8_t)((uint64_t)(v)), (uint8_t)((uint64_t)(v) >> 8),                   \
        (uint8_t)((uint64_t)(v) >> 16), (uint8_t)((uint64_t)(v) >> 24),        \
        (uint8_t)((uint64_t)(v) >> 32), (uint8_t)((uint64_t)(v) >> 40),        \
        (uint8_t)((uint64_t)(v) >> 48), (uint8_t)((uint64_t)(v) >> 56)

static void dump_diff(const uint8_t *got, size_t n, const uint8_t *want,
                      size_t m)
{
    for (size_t i = 0; i < n || i < m; i++) {
        int g = i < n ? got[i] : -1;
        int w = i < m ? want[i] : -1;
        if (g != w)
            printf("byte %zu: got %d want %d\n", i, g, w);
    }
}

static void test_rowbin_full_row(void **state)
{
    (void)state;
    uint16_t day = 0;
    assert_int_equal(ch_date_from_yyyymmdd("20240102", &day), 0);
    assert_int_equal(day, 19724);
    ch_tick_row r = {
        .market = "HK",
        .symbol = "HK.00700",
        .ts_ms = 1704159000123,
        .has_price = true,
        .price = 1.5,
        .has_volume = true,
        .volume = 200,
        .has_turnover = true,
        .turnover = -2.0,
        .direction = "BUY",
        .has_seq = true,
        .seq = 7257436441708356760,
        .tick_type = "AUTO_MATCH",
        .push_type = "push",
        .provider = "futu",
        .trading_day = day,
        .recv_ts_ms = 1704159000200,
        .inserted_at_ms = 1704159000300,
    };
    static const uint8_t want[] = {2,
                                   'H',
                                   'K',
                                   8,
                                   'H',
                                   'K',
                                   '.',
                                   '0',
                                   '0',
                                   '7',
                                   '0',
                                   '0',
                                   I64(1704159000123),
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0xf8,
                                   0x3f, /* 1.5 */
                                   0,
                                   I64(200),
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0,
                                   0xc0, /* -2.0 */
                                   0,
                                   3,
                                   'B',
                                   'U',
                                   'Y',
                                   0,
                                   I64(7257436441708356760),
                                   0,
                                   10,
                                   'A',
                                   'U',
                                   'T',
                                   'O',
                                   '_',
                                   'M',
                                   'A',
                                   'T',
                                   'C',
                                   'H',
                                   0,
                                   4,
                                   'p',
                                   'u',
                                   's',
                                   'h',
                                   0,
                                   4,
                                   'f',
                                   'u',
                                   't',
                                   'u',
                                   0x0c,
                                   0x4d, /* 19724 */
                                   I64(1704159000200),
                                   I64(1704159000300)};
    ch_buf b;
    assert_int_equal(ch_buf_init(&b, 1), 0);
    assert_int_equal(ch_rowbin_tick(&b, &r), 0);
    dump_diff(b.p, b.n, want, sizeof(want));
    assert_int_equal(b.n, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));
    /* A second row appends; the buffer grows past its first capacity. */
    assert_int_equal(ch_rowbin_tick(&b, &r), 0);
    assert_int_equal(b.n, 2 * sizeof(want));
    assert_memory_equal(b.p + sizeof(want), want, sizeof(want));
    ch_buf_reset(&b);
    assert_int_equal(b.n, 0);
    ch_buf_free(&b);
}

static void test_rowbin_nulls(void **state)
{
    (void)state;
    ch_tick_row r = {
        .market = "HK",
        .symbol = "HK.1",
        .ts_ms = -1,
        .trading_day = 0,
        .recv_ts_ms = 1,
        .inserted_at_ms = 2,
    };
    static const uint8_t want[] = {
        2, 'H', 'K',    4,     'H', 'K', '.', '1', I64(-1),
        1, 1,   1,      1,     1,   1,   1,   1, /* eight NULL flags */
        0, 0,   I64(1), I64(2)};
    ch_buf b;
    assert_int_equal(ch_buf_init(&b, 0), 0);
    assert_int_equal(ch_rowbin_tick(&b, &r), 0);
    dump_diff(b.p, b.n, want, sizeof(want));
    assert_int_equal(b.n, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));
    ch_buf_free(&b);
}

static void test_rowbin_varint_length(void **state)
{
    (void)state;
    char sym[301];
    memset(sym, 'x', 300);
    sym[300] = '\0';
    ch_tick_row r = {.market = "", .symbol = sym};
    ch_buf b;
    assert_int_equal(ch_buf_init(&b, 64), 0);
    assert_int_equal(ch_rowbin_tick(&b, &r), 0);
    /* "" is one 0 byte; 300 = 0xac 0x02 as LEB128. */
    assert_int_equal(b.p[0], 0);
    assert_int_equal(b.p[1], 0xac);
    assert_int_equal(b.p[2], 0x02);
    assert_int_equal(b.p[3], 'x');
    assert_int_equal(b.n, 1 + 2 + 300 + 8 + 8 + 2 + 8 + 8);
    ch_buf_free(&b);
}

/* The scanner finds exactly the rows the encoder wrote, needs every byte
 * of a row, and refuses bytes that cannot be a row. */
static void test_rowbin_scan(void **state)
{
    (void)state;
    ch_tick_row full = {.market = "HK",
                        .symbol = "HK.00700",
                        .ts_ms = 5,
                        .has_price = true,
                        .price = 1.5,
                        .has_volume = true,
                        .volume = 7,
                        .has_turnover = true,
                        .turnover = 10.5,
                        .direction = "BUY",
                        .has_seq = true,
                        .seq = 9,
                        .tick_type = "AUTO_MATCH",
                        .push_type = "push",
                        .provider = "futu"};
    ch_tick_row nulls = {.market = "HK", .symbol = "HK.1"};
    ch_buf b;
    assert_int_equal(ch_buf_init(&b, 0), 0);
    assert_int_equal(ch_rowbin_tick(&b, &full), 0);
    size_t n1 = b.n;
    assert_int_equal(ch_rowbin_tick(&b, &nulls), 0);
    size_t n2 = b.n - n1;
    assert_int_equal(n2, 3 + 5 + 8 + 8 + 2 + 8 + 8);
    assert_int_equal(ch_rowbin_tick_len(b.p, b.n), (long)n1);
    assert_int_equal(ch_rowbin_tick_len(b.p + n1, n2), (long)n2);
    for (size_t k = 0; k < n1; k++)
        assert_int_equal(ch_rowbin_tick_len(b.p, k), 0);
    assert_int_equal(ch_rowbin_tick_len(b.p, 0), 0);
    /* A Nullable flag of 2 (price's flag follows market, symbol, ts_ms). */
    size_t flag = 3 + 9 + 8;
    assert_int_equal(b.p[flag], 0);
    b.p[flag] = 2;
    assert_int_equal(ch_rowbin_tick_len(b.p, b.n), -EBADMSG);
    /* A varint of 11 bytes, and a string longer than the cap. */
    uint8_t longv[12];
    memset(longv, 0x80, sizeof(longv));
    assert_int_equal(ch_rowbin_tick_len(longv, sizeof(longv)), -EBADMSG);
    uint8_t huge[] = {0x81, 0x80, 0x80, 0x01}; /* 2^21 + 1 bytes */
    assert_int_equal(ch_rowbin_tick_len(huge, sizeof(huge)), -EBADMSG);
    ch_buf_free(&b);
}

static void test_ident(void **state)
{
    (void)state;
    assert_true(ch_ident_ok("marketprism_hot"));
    assert_true(ch_ident_ok("_x9"));
    assert_false(ch_ident_ok(""));
    assert_false(ch_ident_ok("9x"));
    assert_false(ch_ident_ok("a.b"));
    assert_false(ch_ident_ok("a b"));
    assert_false(ch_ident_ok("x;DROP"));
}

static void test_dates(void **state)
{
    (void)state;
    uint16_t d = 7;
    assert_int_equal(ch_date_from_yyyymmdd("19700101", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(ch_date_from_yyyymmdd("20000229", &d), 0);
    assert_int_equal(d, 11016);
    assert_int_equal(ch_date_from_yyyymmdd("21490606", &d), 0);
    assert_int_equal(d, 65535);
    d = 7;
    assert_int_equal(ch_date_from_yyyymmdd("21490607", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd("19691231", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd("20230229", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd("20241301", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd("2024-1-1", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd("2024010", &d), -EINVAL);
    assert_int_equal(ch_date_from_yyyymmdd(NULL, &d), -EINVAL);
    assert_int_equal(d, 7);
}

static void test_ddl(void **state)
{
    (void)state;
    char out[1024];
    assert_int_equal(ch_ticks_ddl("marketprism_hot", out, sizeof(out)), 0);
    assert_non_null(
        strstr(out, "CREATE TABLE IF NOT EXISTS marketprism_hot.ticks ("));
    assert_non_null(strstr(out, "ENGINE = ReplacingMergeTree PARTITION BY "
                                "trading_day\n  ORDER BY (symbol, "
                                "ifNull(seq, 0), ts_ms)\n  SETTINGS "
                                "old_parts_lifetime = 5"));
    char small[16];
    assert_int_equal(ch_ticks_ddl("db", small, sizeof(small)), -ENOSPC);
    assert_string_equal(small, "");
}

static void test_client_no_server(void **state)
{
    (void)state;
    ch_client c;
    ch_result res;
    assert_int_equal(ch_global_init(), 0);
    assert_int_equal(ch_client_init(&c, "", 1000), -EINVAL);
    /* Port 1 on loopback: nothing listens, connect is refused. */
    assert_int_equal(ch_client_init(&c, "http://127.0.0.1:1/", 2000), 0);
    assert_string_equal(c.url, "http://127.0.0.1:1");
    assert_int_equal(ch_query(&c, "SELECT 1", &res), -1);
    assert_int_equal(res.status, 0);
    assert_null(res.body);
    assert_true(strlen(res.err) > 0);
    ch_result_free(&res);
    assert_int_equal(ch_insert_rowbinary(&c, "db.ticks", "", 0, &res), -1);
    ch_result_free(&res);
    ch_client_free(&c);
    ch_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowbin_full_row),
        cmocka_unit_test(test_rowbin_nulls),
        cmocka_unit_test(test_rowbin_varint_length),
        cmocka_unit_test(test_rowbin_scan),
        cmocka_unit_test(test_ident),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_ddl),
        cmocka_unit_test(test_client_no_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
