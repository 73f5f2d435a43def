/*
 * test_collector_validate.c - unit tests for collector/validate.c and
 * collector/quarantine.c.
 *
 * Coverage: every reason of validate_row and its boundary (price 0 /
 * smallest positive / NaN / +-Inf / the maximum and just above; volume -1,
 * 0, the maximum and 2^63-1; seq -7, -1, 0, 1 and no seq; the trading-day
 * window edges, 1970 and 2100; malformed names "HK.", "N/A.00700", SQL in
 * the code, lower case; a configured entry of odd spelling passes), the
 * reason labels, and the quarantine file: exact stored rows (NaN / Inf as
 * text, NULL seq), the per-day cap (counted, not stored) and reopening an
 * existing file.
 */
#include <ftw.h>
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
#include <sqlite3.h>

#include "collector/quarantine.h"
#include "collector/validate.h"
#include "common/hktime.h"
#include "common/log.h"

#define DAY 86400000LL

static const validate_limits LIM = {14, 1, 1e9, 1e12};

struct fx {
    symtab t;
    uint32_t ok, unsol, malformed[4];
    int64_t now, today;
};

static int setup(void **state)
{
    static const char *bad[4] = {"HK.", "N/A.00700", "HK.0'); DROP--",
                                 "HK.abc"};
    struct fx *f = calloc(1, sizeof(*f));

    if (!f || symtab_init(&f->t, 64) != 0)
        return -1;
    f->ok = symtab_intern(&f->t, "HK.00700", 8);
    symtab_mark_configured(&f->t, f->ok);
    f->unsol = symtab_intern(&f->t, "HK.00001", 8);
    for (int i = 0; i < 4; i++)
        f->malformed[i] = symtab_intern(&f->t, bad[i], strlen(bad[i]));
    f->now = hktime_now_ms();
    f->today = validate_hk_day(f->now);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    symtab_free(&f->t);
    free(f);
    return 0;
}

static row good(const struct fx *f)
{
    row r;
    memset(&r, 0, sizeof(r));
    r.sym = f->ok;
    r.ts_ms = f->now;
    r.recv_ts_ms = f->now;
    r.price = 380.2;
    r.volume = 100;
    r.turnover = 38020;
    r.seq = 7;
    r.flags = ROW_HAS_SEQ;
    return r;
}

static int why(const struct fx *f, row r)
{
    return validate_row(&r, &f->t, &LIM, f->today);
}

static void test_price(void **state)
{
    struct fx *f = *state;
    row r = good(f);

    assert_int_equal(why(f, r), VALIDATE_OK);
    r.price = NAN;
    assert_int_equal(why(f, r), VALIDATE_PRICE_NOT_FINITE);
    r.price = INFINITY;
    assert_int_equal(why(f, r), VALIDATE_PRICE_NOT_FINITE);
    r.price = -INFINITY;
    assert_int_equal(why(f, r), VALIDATE_PRICE_NOT_FINITE);
    r.price = 0;
    assert_int_equal(why(f, r), VALIDATE_PRICE_NOT_POSITIVE);
    r.price = -1;
    assert_int_equal(why(f, r), VALIDATE_PRICE_NOT_POSITIVE);
    r.price = 5e-324;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.price = 1e9;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.price = nextafter(1e9, 2e9);
    assert_int_equal(why(f, r), VALIDATE_PRICE_ABOVE_MAX);
    r.price = 1e308;
    assert_int_equal(why(f, r), VALIDATE_PRICE_ABOVE_MAX);
}

static void test_volume_seq(void **state)
{
    struct fx *f = *state;
    row r = good(f);

    r.volume = -1;
    assert_int_equal(why(f, r), VALIDATE_VOLUME_NEGATIVE);
    r.volume = 0;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.volume = 1000000000000LL;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.volume = 1000000000001LL;
    assert_int_equal(why(f, r), VALIDATE_VOLUME_ABOVE_MAX);
    r.volume = INT64_MAX;
    assert_int_equal(why(f, r), VALIDATE_VOLUME_ABOVE_MAX);
    r = good(f);
    r.turnover = NAN;
    assert_int_equal(why(f, r), VALIDATE_TURNOVER_INVALID);
    r.turnover = INFINITY;
    assert_int_equal(why(f, r), VALIDATE_TURNOVER_INVALID);
    r.turnover = -INFINITY;
    assert_int_equal(why(f, r), VALIDATE_TURNOVER_INVALID);
    r.turnover = -0.5;
    assert_int_equal(why(f, r), VALIDATE_TURNOVER_INVALID);
    r.turnover = 0;
    assert_int_equal(why(f, r), VALIDATE_OK);
    assert_string_equal(validate_reason_str(VALIDATE_TURNOVER_INVALID),
                        "turnover_invalid");
    r = good(f);
    r.seq = 0;
    assert_int_equal(why(f, r), VALIDATE_SEQ_NOT_POSITIVE);
    r.seq = -1;
    assert_int_equal(why(f, r), VALIDATE_SEQ_NOT_POSITIVE);
    r.seq = -7;
    assert_int_equal(why(f, r), VALIDATE_SEQ_NOT_POSITIVE);
    r.flags = 0; /* no seq at all: nothing to check */
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.flags = ROW_HAS_SEQ;
    r.seq = 1;
    assert_int_equal(why(f, r), VALIDATE_OK);
}

static void test_day_window(void **state)
{
    struct fx *f = *state;
    row r = good(f);
    /* Start of today's HK date in UTC ms. */
    int64_t day0 = f->today * DAY - HKTIME_OFFSET_MS;

    r.ts_ms = day0 - 14 * DAY;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.ts_ms = day0 - 14 * DAY - 1;
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_OLD);
    r.ts_ms = day0 + 2 * DAY - 1;
    assert_int_equal(why(f, r), VALIDATE_OK);
    r.ts_ms = day0 + 2 * DAY;
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_NEW);
    r.ts_ms = 0; /* 1970 */
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_OLD);
    r.ts_ms = 4102444800000LL; /* 2100-01-01 */
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_NEW);
    r.ts_ms = INT64_MIN;
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_OLD);
    r.ts_ms = INT64_MAX;
    assert_int_equal(why(f, r), VALIDATE_DAY_TOO_NEW);
}

static void test_symbols(void **state)
{
    struct fx *f = *state;
    row r = good(f);

    r.sym = f->unsol;
    assert_int_equal(why(f, r), VALIDATE_SYMBOL_NOT_SUBSCRIBED);
    r.price = NAN; /* the symbol is the first thing reported */
    assert_int_equal(why(f, r), VALIDATE_SYMBOL_NOT_SUBSCRIBED);
    r = good(f);
    for (int i = 0; i < 4; i++) {
        r.sym = f->malformed[i];
        assert_int_equal(why(f, r), VALIDATE_SYMBOL_MALFORMED);
    }
    r.sym = 60; /* no such entry */
    assert_int_equal(why(f, r), VALIDATE_SYMBOL_NOT_SUBSCRIBED);
    /* A configured entry passes whatever its spelling. */
    symtab_mark_configured(&f->t, f->malformed[3]);
    r.sym = f->malformed[3];
    assert_int_equal(why(f, r), VALIDATE_OK);
    assert_true(validate_symbol_name("HK_FUTURE.HSI2412"));
    assert_true(validate_symbol_name("US.BRK-B"));
    assert_false(validate_symbol_name("HK00700"));
    assert_false(validate_symbol_name(".00700"));
    assert_false(validate_symbol_name("XX.00005"));
    assert_false(validate_symbol_name("hk.00700"));
    assert_string_equal(validate_reason_str(VALIDATE_SYMBOL_OVERFLOW),
                        "symbol_not_subscribed_overflow");
    assert_string_equal(validate_reason_str(VALIDATE_DAY_TOO_OLD),
                        "trading_day_too_old");
    assert_string_equal(validate_reason_str(99), "unknown");
}

static int rm_cb(const char *p, const struct stat *s, int fl, struct FTW *w)
{
    (void)s;
    (void)fl;
    (void)w;
    return remove(p);
}

static void test_quarantine_file(void **state)
{
    struct fx *f = *state;
    char dir[] = "/tmp/hkut-quar-XXXXXX", err[256], path[1200], day[9];
    quarantine q;
    row rows[4] = {good(f), good(f), good(f), good(f)};
    uint8_t why4[4] = {VALIDATE_PRICE_NOT_FINITE, VALIDATE_OK,
                       VALIDATE_SEQ_NOT_POSITIVE, VALIDATE_PRICE_NOT_FINITE};
    sqlite3 *db;
    sqlite3_stmt *st;

    assert_non_null(mkdtemp(dir));
    log_level_set(LOG_CRITICAL);
    rows[0].price = NAN;
    rows[2].seq = 0;
    rows[3].price = -INFINITY;
    rows[3].flags = 0;
    quarantine_init(&q, dir, 2);
    assert_int_equal(
        quarantine_write(&q, rows, why4, 4, &f->t, f->now, err, sizeof(err)),
        SQLITE_OK);
    /* Cap 2: the third bad row is counted, not stored. */
    assert_int_equal(quarantine_rows(&q, VALIDATE_PRICE_NOT_FINITE), 2);
    assert_int_equal(quarantine_not_stored(&q, VALIDATE_PRICE_NOT_FINITE), 1);
    assert_int_equal(quarantine_rows(&q, VALIDATE_SEQ_NOT_POSITIVE), 1);
    quarantine_free(&q);
    /* Reopened: the file already holds 2 rows, so nothing more fits. */
    quarantine_init(&q, dir, 2);
    assert_int_equal(
        quarantine_write(&q, rows, why4, 1, &f->t, f->now, err, sizeof(err)),
        SQLITE_OK);
    assert_int_equal(quarantine_not_stored(&q, VALIDATE_PRICE_NOT_FINITE), 1);
    quarantine_count(&q, VALIDATE_SYMBOL_OVERFLOW, 5);
    assert_int_equal(quarantine_rows(&q, VALIDATE_SYMBOL_OVERFLOW), 5);
    quarantine_free(&q);
    hktime_trading_day_str(f->now, day);
    snprintf(path, sizeof(path), "%s/_quarantine/%s.db", dir, day);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT reason || '|' || symbol || '|' || "
                           "price_text || '|' || ifnull(seq, 'NULL') || '|' "
                           "|| push_type FROM quarantine ORDER BY rowid",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "price_not_finite|HK.00700|nan|7|push");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0),
                        "seq_not_positive|HK.00700|380.19999999999999|0|push");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    nftw(dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_price, setup, teardown),
        cmocka_unit_test_setup_teardown(test_volume_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_day_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symbols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quarantine_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
