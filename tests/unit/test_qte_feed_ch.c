/*
 * test_qte_feed_ch.c - the pure parts of QTE_SOURCE=clickhouse
 * (qte/feed_clickhouse.h): the exact text of a page query (first page,
 * keyset after a row, windows), of the statistics query, string quoting,
 * and the decoding of answer rows (the header's worked example, a row cut
 * anywhere, malformed bytes). The feed against a server:
 * tests/e2e/test_qte_source_clickhouse.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qte/feed_clickhouse.h"

static const char SEL[] =
    "SELECT symbol, ts_ms, assumeNotNull(price), ifNull(volume, 0), "
    "ifNull(seq, 0) FROM marketprism_hot.ticks FINAL";
static const char WHERE[] = " WHERE trading_day = '2024-01-02' AND symbol IN "
                            "('HK.00005','HK.00700') AND isNotNull(price)";
static const char TAIL[] =
    " ORDER BY ts_ms, symbol, ifNull(seq, 0) LIMIT 65536 FORMAT RowBinary";

static void test_page_sql(void **state)
{
    (void)state;
    char out[2048];
    char want[2048];
    const char *in = "'HK.00005','HK.00700'";
    qte_chfeed_key k = {0};
    long n = qte_chfeed_page_sql(out, sizeof(out), "marketprism_hot", 20240102,
                                 in, &k, 65536);
    snprintf(want, sizeof(want), "%s%s%s", SEL, WHERE, TAIL);
    assert_string_equal(out, want);
    assert_int_equal(n, (long)strlen(want));

    k.has_last = 1;
    k.ts_ms = 1704159000123;
    k.symbol = "HK.00005";
    k.seq = 17;
    k.has_from = 1;
    k.from_ts = 1704159000000;
    qte_chfeed_page_sql(out, sizeof(out), "marketprism_hot", 20240102, in, &k,
                        65536);
    snprintf(want, sizeof(want),
             "%s PREWHERE ts_ms >= 1704159000000%s AND (ts_ms > "
             "1704159000123 OR (ts_ms = 1704159000123 AND (symbol > "
             "'HK.00005' OR (symbol = 'HK.00005' AND ifNull(seq, 0) > "
             "17))))%s",
             SEL, WHERE, TAIL);
    assert_string_equal(out, want);

    /* a window with both ends; one end only */
    k.has_last = 0;
    k.has_to = 1;
    k.to_ts = 1704159004000;
    qte_chfeed_page_sql(out, sizeof(out), "marketprism_hot", 20240102, in, &k,
                        65536);
    snprintf(want, sizeof(want),
             "%s PREWHERE ts_ms >= 1704159000000 AND ts_ms < "
             "1704159004000%s%s",
             SEL, WHERE, TAIL);
    assert_string_equal(out, want);
    k.has_from = 0;
    qte_chfeed_page_sql(out, sizeof(out), "marketprism_hot", 20240102, in, &k,
                        65536);
    snprintf(want, sizeof(want), "%s PREWHERE ts_ms < 1704159004000%s%s", SEL,
             WHERE, TAIL);
    assert_string_equal(out, want);
    k.has_to = 0;
    k.has_last = 1;

    /* a negative seq (NULL is 0, so -1 sorts first) */
    k.has_from = 0;
    k.seq = -1;
    k.symbol = "it's";
    qte_chfeed_page_sql(out, sizeof(out), "marketprism_hot", 20240102, in, &k,
                        65536);
    assert_non_null(strstr(out, "(symbol > 'it\\'s' OR (symbol = 'it\\'s' "
                                "AND ifNull(seq, 0) > -1))"));

    assert_int_equal(qte_chfeed_page_sql(out, 100, "marketprism_hot", 20240102,
                                         in, &k, 65536),
                     -ENOSPC);
    assert_string_equal(out, "");
    assert_int_equal(
        qte_chfeed_page_sql(out, sizeof(out), "db", 20240230, in, &k, 10),
        -EINVAL);
}

static void test_stats_sql(void **state)
{
    (void)state;
    char out[1024];
    const int days[] = {20240102, 20240103};
    long n = qte_chfeed_stats_sql(out, sizeof(out), "marketprism_cold", days, 2,
                                  "'HK.00700'");
    assert_string_equal(out, "SELECT toYYYYMMDD(trading_day), count(), "
                             "min(ts_ms), max(ts_ms) FROM "
                             "marketprism_cold.ticks FINAL WHERE trading_day "
                             "IN ('2024-01-02', '2024-01-03') AND symbol IN "
                             "('HK.00700') AND isNotNull(price) GROUP BY "
                             "trading_day FORMAT TabSeparated");
    assert_int_equal(n, (long)strlen(out));
    const int bad[] = {2024};
    assert_int_equal(
        qte_chfeed_stats_sql(out, sizeof(out), "db", bad, 1, "'HK.00700'"),
        -EINVAL);
}

static void test_quote(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(qte_chfeed_quote("HK.00700", out, sizeof(out)), 10);
    assert_string_equal(out, "'HK.00700'");
    assert_int_equal(qte_chfeed_quote("a'b\\c", out, sizeof(out)), 9);
    assert_string_equal(out, "'a\\'b\\\\c'");
    assert_int_equal(qte_chfeed_quote("", out, sizeof(out)), 2);
    assert_string_equal(out, "''");
    assert_int_equal(qte_chfeed_quote("HK.00700", out, 10), -ENOSPC);
    assert_string_equal(out, "");
    assert_int_equal(qte_chfeed_quote("HK.00700", out, 11), 10);
}

/* The header's worked example: HK.00700, ts 1, 1.5, volume 100, seq 7. */
static const uint8_t ROW[] = {
    0x08, 'H',  'K',  '.',  '0',  '0',  '7',  '0',  '0',  0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf8, 0x3f, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_decode(void **state)
{
    (void)state;
    qte_chfeed_row r;
    assert_int_equal(sizeof(ROW), 41);
    assert_int_equal(qte_chfeed_row_decode(ROW, sizeof(ROW), &r), 41);
    assert_int_equal(r.symbol_len, 8);
    assert_memory_equal(r.symbol, "HK.00700", 8);
    assert_int_equal(r.ts_ms, 1);
    assert_true(r.price == 1.5);
    assert_int_equal(r.volume, 100);
    assert_int_equal(r.seq, 7);
    for (size_t n = 0; n < sizeof(ROW); n++)
        assert_int_equal(qte_chfeed_row_decode(ROW, n, &r), 0);

    uint8_t two[82];
    memcpy(two, ROW, 41);
    memcpy(two + 41, ROW, 41);
    memset(two + 41 + 34, 0xff, 7); /* seq 0xffffffffffffff07 = -249 */
    assert_int_equal(qte_chfeed_row_decode(two + 41, 41, &r), 41);
    assert_int_equal(r.seq, -249);

    /* an 11-byte varint, a symbol over the limit */
    uint8_t bad[16];
    memset(bad, 0x80, sizeof(bad));
    assert_int_equal(qte_chfeed_row_decode(bad, sizeof(bad), &r), -EBADMSG);
    const uint8_t big[] = {0x81, 0x02}; /* 257 */
    assert_int_equal(qte_chfeed_row_decode(big, sizeof(big), &r), -EBADMSG);
    const uint8_t max[] = {0x80, 0x02}; /* 256: wait for the bytes */
    assert_int_equal(qte_chfeed_row_decode(max, sizeof(max), &r), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_sql),
        cmocka_unit_test(test_stats_sql),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
