/*
 * test_collector_phase.c - unit tests for collector/phase.c.
 *
 * Instants are built as hktime_day_start_ms(day) + HK wall-clock offset, so
 * the cases read as HK local times and never depend on the host zone. The
 * holiday-file tests write into their own mkdtemp directory (removed in
 * teardown). The reference week: Mon 2026-11-16 .. Sun 2026-11-22.
 *
 * Coverage: every phase boundary of compat.md §4.4 on a weekday, weekends,
 * holidays (a holiday on a weekend stays after-hours), half days,
 * phase_name / phase_is_trading, and phase_load_holiday_file (comments,
 * trailing text, formats, appending to FUTU_HOLIDAYS, a missing file, no
 * file configured).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "collector/config.h"
#include "collector/phase.h"
#include "common/hktime.h"
#include "common/log.h"

#define WED 20261118
#define SAT 20261121
#define SUN 20261122

/* UTC ms of HK wall clock hh:mm:ss on day. */
static int64_t at(int day, int hh, int mm, int ss)
{
    int64_t ms = 0;
    assert_int_equal(hktime_day_start_ms(day, &ms), 0);
    return ms + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000;
}

struct fx {
    config *cfg;
    char dir[64];
};

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->cfg = calloc(1, sizeof(config));
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-phase-XXXXXX");
    if (!f->cfg || !mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f->cfg);
    free(f);
    return 0;
}

static void expect(const config *c, int64_t t, phase want)
{
    phase got = phase_of(c, t);
    if (got != want) {
        char buf[24];
        hktime_format_hk_ms(t, buf);
        print_error("%s HKT: %s, want %s\n", buf, phase_name(got),
                    phase_name(want));
    }
    assert_int_equal(got, want);
}

static void test_weekday(void **state)
{
    const config *c = ((struct fx *)*state)->cfg;

    assert_int_equal(hktime_hk_weekday(at(WED, 12, 0, 0)), 3);
    expect(c, at(WED, 0, 0, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 8, 59, 59), PHASE_AFTER_HOURS);
    expect(c, at(WED, 9, 0, 0), PHASE_PRE_OPEN);
    expect(c, at(WED, 9, 15, 0), PHASE_PRE_OPEN);
    expect(c, at(WED, 9, 29, 59), PHASE_PRE_OPEN);
    expect(c, at(WED, 9, 30, 0), PHASE_OPEN);
    expect(c, at(WED, 10, 0, 0), PHASE_OPEN);
    expect(c, at(WED, 11, 59, 59), PHASE_OPEN);
    expect(c, at(WED, 12, 0, 0), PHASE_LUNCH);
    expect(c, at(WED, 12, 30, 0), PHASE_LUNCH);
    expect(c, at(WED, 12, 59, 59), PHASE_LUNCH);
    expect(c, at(WED, 13, 0, 0), PHASE_OPEN);
    expect(c, at(WED, 15, 59, 59), PHASE_OPEN);
    expect(c, at(WED, 16, 0, 0), PHASE_CLOSING_AUCTION);
    expect(c, at(WED, 16, 5, 0), PHASE_CLOSING_AUCTION);
    expect(c, at(WED, 16, 9, 59), PHASE_CLOSING_AUCTION);
    expect(c, at(WED, 16, 10, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 17, 0, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 23, 59, 59), PHASE_AFTER_HOURS);
    /* Monday and Friday of the same week trade too. */
    expect(c, at(20261116, 10, 0, 0), PHASE_OPEN);
    expect(c, at(20261120, 10, 0, 0), PHASE_OPEN);
}

static void test_weekend(void **state)
{
    const config *c = ((struct fx *)*state)->cfg;

    assert_int_equal(hktime_hk_weekday(at(SAT, 10, 0, 0)), 6);
    assert_int_equal(hktime_hk_weekday(at(SUN, 10, 0, 0)), 0);
    expect(c, at(SAT, 9, 15, 0), PHASE_AFTER_HOURS);
    expect(c, at(SAT, 10, 0, 0), PHASE_AFTER_HOURS);
    expect(c, at(SAT, 16, 5, 0), PHASE_AFTER_HOURS);
    expect(c, at(SUN, 10, 0, 0), PHASE_AFTER_HOURS);
    expect(c, at(SUN, 14, 0, 0), PHASE_AFTER_HOURS);
    /* Friday 23:59 HKT is Friday; Saturday 00:00 HKT (Fri 16:00Z) is not. */
    expect(c, at(20261120, 16, 5, 0), PHASE_CLOSING_AUCTION);
    expect(c, at(SAT, 0, 0, 0), PHASE_AFTER_HOURS);
}

static void test_holiday(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    c->holidays[0] = 20261117;
    c->holidays[1] = WED;
    c->holidays[2] = SAT;
    c->n_holidays = 3;
    expect(c, at(WED, 9, 15, 0), PHASE_HOLIDAY);
    expect(c, at(WED, 10, 0, 0), PHASE_HOLIDAY);
    expect(c, at(WED, 12, 30, 0), PHASE_HOLIDAY);
    expect(c, at(WED, 16, 5, 0), PHASE_HOLIDAY);
    expect(c, at(WED, 0, 0, 0), PHASE_HOLIDAY);
    expect(c, at(WED, 23, 59, 59), PHASE_HOLIDAY);
    expect(c, at(20261117, 10, 0, 0), PHASE_HOLIDAY);
    expect(c, at(20261119, 10, 0, 0), PHASE_OPEN);   /* the day after */
    expect(c, at(SAT, 10, 0, 0), PHASE_AFTER_HOURS); /* weekend first */
}

static void test_half_day(void **state)
{
    config *c = ((struct fx *)*state)->cfg;

    c->half_days[0] = WED;
    c->n_half_days = 1;
    expect(c, at(WED, 9, 15, 0), PHASE_PRE_OPEN);
    expect(c, at(WED, 9, 30, 0), PHASE_OPEN);
    expect(c, at(WED, 11, 59, 59), PHASE_OPEN);
    expect(c, at(WED, 12, 0, 0), PHASE_CLOSING_AUCTION);
    expect(c, at(WED, 12, 5, 0), PHASE_CLOSING_AUCTION);
    expect(c, at(WED, 12, 10, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 12, 30, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 13, 30, 0), PHASE_AFTER_HOURS);
    expect(c, at(WED, 16, 5, 0), PHASE_AFTER_HOURS);
    /* Other days are full days. */
    expect(c, at(20261119, 13, 30, 0), PHASE_OPEN);
    /* A holiday that is also listed as half day is a holiday. */
    c->holidays[0] = WED;
    c->n_holidays = 1;
    expect(c, at(WED, 10, 0, 0), PHASE_HOLIDAY);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(phase_name(PHASE_AFTER_HOURS), "after-hours");
    assert_string_equal(phase_name(PHASE_HOLIDAY), "holiday-closed");
    assert_string_equal(phase_name(PHASE_PRE_OPEN), "pre-open");
    assert_string_equal(phase_name(PHASE_OPEN), "open");
    assert_string_equal(phase_name(PHASE_LUNCH), "lunch-break");
    assert_string_equal(phase_name(PHASE_CLOSING_AUCTION), "closing-auction");
    assert_true(phase_is_trading(PHASE_OPEN));
    assert_true(phase_is_trading(PHASE_CLOSING_AUCTION));
    assert_false(phase_is_trading(PHASE_PRE_OPEN));
    assert_false(phase_is_trading(PHASE_LUNCH));
    assert_false(phase_is_trading(PHASE_AFTER_HOURS));
    assert_false(phase_is_trading(PHASE_HOLIDAY));
}

static void test_holiday_file(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;
    FILE *fp;

    snprintf(c->holiday_file, sizeof(c->holiday_file), "%s/holidays.txt",
             f->dir);
    fp = fopen(c->holiday_file, "w");
    assert_non_null(fp);
    fputs("# HKEX holidays 2026\n"
          "\n"
          "2026-01-01\n"
          "2026-02-17,Lunar New Year\n"
          "   20260218  # second day\n"
          "\t2026/02/19 , third day\r\n"
          "  # indented comment\n"
          "not-a-date\n"
          "2026-02-30\n"
          "2026-11-18,Test day\n",
          fp);
    fclose(fp);
    c->holidays[0] = 20261225; /* from FUTU_HOLIDAYS: kept */
    c->n_holidays = 1;
    phase_load_holiday_file(c);
    assert_int_equal(c->n_holidays, 6);
    assert_int_equal(c->holidays[0], 20261225);
    assert_int_equal(c->holidays[1], 20260101);
    assert_int_equal(c->holidays[2], 20260217);
    assert_int_equal(c->holidays[3], 20260218);
    assert_int_equal(c->holidays[4], 20260219);
    assert_int_equal(c->holidays[5], 20261118);
    expect(c, at(WED, 10, 0, 0), PHASE_HOLIDAY);
    expect(c, at(20260217, 10, 0, 0), PHASE_HOLIDAY);
    expect(c, at(20260216, 10, 0, 0), PHASE_OPEN); /* a Monday */
}

static void test_holiday_file_missing(void **state)
{
    struct fx *f = *state;
    config *c = f->cfg;

    log_level_set(LOG_CRITICAL); /* the not-found warning is expected */
    snprintf(c->holiday_file, sizeof(c->holiday_file), "%s/none.txt", f->dir);
    c->holidays[0] = 20261225;
    c->n_holidays = 1;
    phase_load_holiday_file(c);
    assert_int_equal(c->n_holidays, 1);
    assert_int_equal(c->holidays[0], 20261225);
    /* No file configured: nothing happens. */
    c->holiday_file[0] = '\0';
    phase_load_holiday_file(c);
    assert_int_equal(c->n_holidays, 1);
    expect(c, at(WED, 10, 0, 0), PHASE_OPEN);
    log_level_set(LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_weekday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weekend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holiday, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_day, setup, teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_holiday_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holiday_file_missing, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("collector_phase", tests, NULL, NULL);
}
