/*
 * test_collector_tgsched.c - the digest schedule against a simulated clock.
 *
 * Each case walks one HK day second by second from a start time, feeding
 * tgsched_decide the real phase (phase_of) of every instant, and compares
 * the list of digest times ("HH:MM:SS why", HK time) with the exact
 * expected list. The reference days: Wed 2026-11-18 (trading), Sat
 * 2026-11-21, and Thu 2026-11-19 made a holiday.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector/config.h"
#include "collector/phase.h"
#include "collector/tgsched.h"
#include "common/hktime.h"

#define WED 20261118
#define THU 20261119
#define SAT 20261121

static config g_cfg; /* large: static */

static int64_t at(int day, int hh, int mm, int ss)
{
    int64_t ms = 0;
    assert_int_equal(hktime_day_start_ms(day, &ms), 0);
    return ms + ((int64_t)hh * 3600 + mm * 60 + ss) * 1000;
}

static tgsched_cfg defaults(void)
{
    return (tgsched_cfg){.trading_sec = 900,
                         .offhours_sec = 900,
                         .fixed_sec = 0,
                         .lunch_once = true,
                         .after_close_once = true,
                         .holiday_daily = true};
}

/* Walk [from, to) of day in 1 s steps; return the sends, one per line. */
static char *walk(const tgsched_cfg *c, tgsched_state *st, int day, int from_h,
                  int to_h)
{
    static char out[8192];
    size_t o = 0;
    int64_t t0 = at(day, from_h, 0, 0), t1 = at(day, to_h, 0, 0);
    out[0] = '\0';
    for (int64_t t = t0; t < t1; t += 1000) {
        const char *why = NULL;
        phase ph = phase_of(&g_cfg, t);
        int wd = hktime_hk_weekday(t);
        bool td = ph != PHASE_HOLIDAY && wd >= 1 && wd <= 5;
        if (tgsched_decide(c, st, ph, td, t, &why) == TGSCHED_SEND) {
            char hk[20];
            hktime_format_hk(t, hk);
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s %s\n", hk + 11,
                                  why);
        }
    }
    return out;
}

static void test_weekday_defaults(void **state)
{
    (void)state;
    tgsched_cfg c = defaults();
    tgsched_state st = {.last_sent_ms = at(WED, 8, 0, 0)};
    const char *want = "09:00:00 trading\n09:15:00 trading\n"
                       "09:30:00 trading\n09:45:00 trading\n"
                       "10:00:00 trading\n10:15:00 trading\n"
                       "10:30:00 trading\n10:45:00 trading\n"
                       "11:00:00 trading\n11:15:00 trading\n"
                       "11:30:00 trading\n11:45:00 trading\n"
                       "12:00:00 lunch_once\n"
                       "13:00:00 trading\n13:15:00 trading\n"
                       "13:30:00 trading\n13:45:00 trading\n"
                       "14:00:00 trading\n14:15:00 trading\n"
                       "14:30:00 trading\n14:45:00 trading\n"
                       "15:00:00 trading\n15:15:00 trading\n"
                       "15:30:00 trading\n15:45:00 trading\n"
                       "16:00:00 trading\n"
                       "16:10:00 after_close_once\n";
    assert_string_equal(walk(&c, &st, WED, 8, 24), want);
    assert_int_equal(st.lunch_day, WED);
    assert_int_equal(st.close_day, WED);
}

static void test_weekday_no_once(void **state)
{
    (void)state;
    tgsched_cfg c = defaults();
    c.trading_sec = 1800;
    c.offhours_sec = 3600;
    c.lunch_once = false;
    c.after_close_once = false;
    tgsched_state st = {.last_sent_ms = at(WED, 6, 0, 0)};
    const char *want = "07:00:00 offhours\n08:00:00 offhours\n"
                       "09:00:00 trading\n09:30:00 trading\n"
                       "10:00:00 trading\n10:30:00 trading\n"
                       "11:00:00 trading\n11:30:00 trading\n"
                       "12:30:00 offhours\n"
                       "13:00:00 trading\n13:30:00 trading\n"
                       "14:00:00 trading\n14:30:00 trading\n"
                       "15:00:00 trading\n15:30:00 trading\n"
                       "16:00:00 trading\n"
                       "17:00:00 offhours\n18:00:00 offhours\n";
    assert_string_equal(walk(&c, &st, WED, 6, 19), want);
}

static void test_quiet_reasons(void **state)
{
    (void)state;
    tgsched_cfg c = defaults();
    tgsched_state st = {.last_sent_ms = at(WED, 8, 0, 0)};
    const char *why = NULL;
    assert_int_equal(tgsched_decide(&c, &st, PHASE_AFTER_HOURS, true,
                                    at(WED, 8, 30, 0), &why),
                     TGSCHED_QUIET);
    assert_string_equal(why, "night");
    assert_int_equal(
        tgsched_decide(&c, &st, PHASE_OPEN, true, at(WED, 8, 10, 0), &why),
        TGSCHED_WAIT);
    assert_string_equal(why, "trading");
    /* A restart mid-lunch after the lunch digest: quiet. */
    st.lunch_day = WED;
    assert_int_equal(
        tgsched_decide(&c, &st, PHASE_LUNCH, true, at(WED, 12, 30, 0), &why),
        TGSCHED_QUIET);
    assert_string_equal(why, "lunch_done");
    st.close_day = WED;
    assert_int_equal(tgsched_decide(&c, &st, PHASE_AFTER_HOURS, true,
                                    at(WED, 20, 0, 0), &why),
                     TGSCHED_QUIET);
    assert_string_equal(why, "after_close_done");
    /* The state is unchanged by QUIET and WAIT. */
    assert_true(st.last_sent_ms == at(WED, 8, 0, 0));
}

static void test_weekend_and_holiday(void **state)
{
    (void)state;
    tgsched_cfg c = defaults();
    tgsched_state st = {.last_sent_ms = at(SAT, 0, 0, 0)};
    assert_string_equal(walk(&c, &st, SAT, 0, 24), "09:00:00 holiday_daily\n");
    g_cfg.holidays[0] = THU;
    g_cfg.n_holidays = 1;
    memset(&st, 0, sizeof(st));
    st.last_sent_ms = at(THU, 0, 0, 0);
    assert_string_equal(walk(&c, &st, THU, 0, 24), "09:00:00 holiday_daily\n");
    c.holiday_daily = false;
    memset(&st, 0, sizeof(st));
    assert_string_equal(walk(&c, &st, THU, 0, 24), "");
    const char *why = NULL;
    assert_int_equal(
        tgsched_decide(&c, &st, PHASE_HOLIDAY, false, at(THU, 10, 0, 0), &why),
        TGSCHED_QUIET);
    assert_string_equal(why, "holiday_disabled");
    g_cfg.n_holidays = 0;
}

static void test_fixed(void **state)
{
    (void)state;
    tgsched_cfg c = defaults();
    c.fixed_sec = 7200;
    tgsched_state st = {.last_sent_ms = at(WED, 7, 0, 0)};
    assert_string_equal(walk(&c, &st, WED, 7, 24),
                        "09:00:00 fixed\n11:00:00 fixed\n13:00:00 fixed\n"
                        "15:00:00 fixed\n17:00:00 fixed\n19:00:00 fixed\n"
                        "21:00:00 fixed\n23:00:00 fixed\n");
    memset(&st, 0, sizeof(st));
    st.last_sent_ms = at(SAT, 0, 0, 0);
    assert_string_equal(walk(&c, &st, SAT, 0, 9),
                        "02:00:00 fixed\n04:00:00 fixed\n06:00:00 fixed\n"
                        "08:00:00 fixed\n");
    c.holiday_daily = false;
    assert_string_equal(walk(&c, &st, SAT, 9, 24), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekday_defaults),
        cmocka_unit_test(test_weekday_no_once),
        cmocka_unit_test(test_quiet_reasons),
        cmocka_unit_test(test_weekend_and_holiday),
        cmocka_unit_test(test_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
