/*
 * test_pipeline.c - the pipeline library alone: exact HkTick bytes of a
 * known row, decode round trips (NULLs stay absent), subject and Msg-Id
 * rules (a code with a dot, a row without seq), stream-name checks.
 */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/stream.h"
#include "pipeline/tick.h"

static pipeline_row known_row(void)
{
    pipeline_row r = {.market = "HK",
                      .symbol = "HK.00700",
                      .ts_ms = 1000,
                      .has_price = true,
                      .price = 1.5,
                      .has_volume = true,
                      .volume = 2,
                      .has_turnover = true,
                      .turnover = 3.0,
                      .direction = "BUY",
                      .has_seq = true,
                      .seq = 7,
                      .tick_type = "AUTO_MATCH",
                      .push_type = "push",
                      .provider = "futu",
                      .trading_day = "20260105",
                      .recv_ts_ms = 1001,
                      .inserted_at_ms = 1002};
    return r;
}

static void test_encode_exact_bytes(void **state)
{
    static const uint8_t want[] = {
        0x08, 0x01,            /* version */
        0x12, 0x02, 'H',  'K', /* market */
        0x1a, 0x08, 'H',  'K',  '.',  '0',  '0',  '7',  '0',  '0',
        0x20, 0xe8, 0x07,                                     /* ts_ms */
        0x29, 0,    0,    0,    0,    0,    0,    0xf8, 0x3f, /* 1.5 */
        0x30, 0x02,                                           /* volume */
        0x39, 0,    0,    0,    0,    0,    0,    0x08, 0x40, /* 3.0 */
        0x42, 0x03, 'B',  'U',  'Y',  0x48, 0x07,             /* seq */
        0x52, 0x0a, 'A',  'U',  'T',  'O',  '_',  'M',  'A',  'T',
        'C',  'H',  0x5a, 0x04, 'p',  'u',  's',  'h',  0x62, 0x04,
        'f',  'u',  't',  'u',  0x6a, 0x08, '2',  '0',  '2',  '6',
        '0',  '1',  '0',  '5',  0x70, 0xe9, 0x07, /* recv */
        0x78, 0xea, 0x07};                        /* inserted */
    pipeline_row r = known_row();
    uint8_t buf[PIPELINE_TICK_MAX];
    size_t len = 0;

    assert_int_equal(pipeline_tick_encode(&r, buf, sizeof(buf), &len), 0);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(pipeline_tick_encode(&r, buf, sizeof(want) - 1, &len),
                     -ENOSPC);
    r.trading_day = NULL;
    assert_int_equal(pipeline_tick_encode(&r, buf, sizeof(buf), &len), -EINVAL);
}

static void test_round_trip_nulls(void **state)
{
    pipeline_row r = known_row();
    uint8_t buf[PIPELINE_TICK_MAX];
    size_t len = 0;
    pipeline_tick t;

    r.has_price = false;
    r.has_seq = false;
    r.direction = NULL;
    r.provider = NULL;
    assert_int_equal(pipeline_tick_encode(&r, buf, sizeof(buf), &len), 0);
    assert_int_equal(pipeline_tick_decode(buf, len, &t), 0);
    assert_int_equal(t.version, 1);
    assert_string_equal(t.row.symbol, "HK.00700");
    assert_false(t.row.has_price);
    assert_false(t.row.has_seq);
    assert_null(t.row.direction);
    assert_null(t.row.provider);
    assert_true(t.row.has_volume);
    assert_int_equal(t.row.volume, 2);
    assert_true(t.row.turnover == 3.0);
    assert_string_equal(t.row.trading_day, "20260105");
    assert_int_equal(t.row.inserted_at_ms, 1002);
    pipeline_tick_free(&t);
    pipeline_tick_free(&t); /* harmless twice */
    assert_int_equal(pipeline_tick_decode((const uint8_t *)"\xff\xff", 2, &t),
                     -EBADMSG);
    assert_null(t.msg);
}

static void test_subject(void **state)
{
    char b[PIPELINE_SUBJECT_MAX];

    assert_int_equal(pipeline_subject("HK.00700", b, sizeof(b)), 0);
    assert_string_equal(b, "hk.tick.00700");
    assert_int_equal(pipeline_subject("US.BRK.B", b, sizeof(b)), 0);
    assert_string_equal(b, "us.tick.BRK_B");
    assert_int_equal(pipeline_subject("HK_FUTURE.HSImain", b, sizeof(b)), 0);
    assert_string_equal(b, "hk_future.tick.HSImain");
    assert_int_equal(pipeline_subject("00700", b, sizeof(b)), -EINVAL);
    assert_int_equal(pipeline_subject(".00700", b, sizeof(b)), -EINVAL);
    assert_int_equal(pipeline_subject("HK.", b, sizeof(b)), -EINVAL);
    assert_int_equal(pipeline_subject("HK.00700", b, 13), -ENOSPC);
    assert_int_equal(pipeline_subject("HK.00700", b, 14), 0);
}

static void test_msg_id(void **state)
{
    pipeline_row r = known_row();
    char b[PIPELINE_MSG_ID_MAX];

    r.seq = 7257436441708356760LL;
    assert_int_equal(pipeline_msg_id(&r, b, sizeof(b)), 0);
    assert_string_equal(b, "HK.00700:7257436441708356760");
    r.has_seq = false;
    r.ts_ms = 1767580200123LL;
    r.price = 388.2;
    r.volume = 200;
    r.turnover = 77640;
    assert_int_equal(pipeline_msg_id(&r, b, sizeof(b)), 0);
    assert_string_equal(b, "HK.00700:t1767580200123:388.19999999999999:200:"
                           "77640");
    r.has_price = false;
    r.has_turnover = false;
    assert_int_equal(pipeline_msg_id(&r, b, sizeof(b)), 0);
    assert_string_equal(b, "HK.00700:t1767580200123::200:");
    assert_int_equal(pipeline_msg_id(&r, b, 10), -ENOSPC);
}

static void test_stream_names(void **state)
{
    pipeline_stream_cfg c;

    pipeline_stream_cfg_default(&c);
    assert_string_equal(c.name, "HK_TICKS");
    assert_string_equal(c.subjects, "hk.tick.>");
    assert_int_equal(c.dup_window_sec, 600);
    assert_true(pipeline_stream_name_ok("HK_TICKS"));
    assert_false(pipeline_stream_name_ok(""));
    assert_false(pipeline_stream_name_ok("HK.TICKS"));
    assert_false(pipeline_stream_name_ok("HK TICKS"));
    assert_false(pipeline_stream_name_ok("HK>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact_bytes),
        cmocka_unit_test(test_round_trip_nulls),
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_msg_id),
        cmocka_unit_test(test_stream_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
