/*
 * test_collector_tgconf.c - notifier settings through the collector's
 * real loader (config_load + tgconf_check): defaults of compat.md
 * Appendix A, the derived cadences (trading clamped to 900-1800,
 * off-hours floor 30, fixed floor 30), escalation steps sorted, thread
 * ids, holiday mode, and one error per bad variable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector/config.h"
#include "collector/tgconf.h"

static config g_cfg;

static const char *vars[] = {
    "HEALTH_INTERVAL_SEC",          "HEALTH_TRADING_INTERVAL_SEC",
    "HEALTH_FIXED_INTERVAL_SEC",    "ALERT_ESCALATION_STEPS",
    "TG_MESSAGE_THREAD_ID",         "TG_THREAD_OPS_ID",
    "TG_HEALTH_HOLIDAY_MODE",       "TG_API_BASE",
    "HEALTH_OFFHOURS_INTERVAL_SEC",
};

static int load(void)
{
    config_load_opts o = {.quiet = true};
    setenv("FUTU_SYMBOLS", "HK.00700", 1);
    int e = config_load(&g_cfg, &o);
    return e + tgconf_check(&g_cfg.tg, true);
}

static int clean(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults(void **state)
{
    (void)state;
    const tgconf *tc = &g_cfg.tg;
    assert_int_equal(load(), 0);
    assert_false(tc->enabled);
    assert_int_equal(tc->health_interval_sec, 900);
    assert_int_equal(tc->eff_trading_sec, 900);
    assert_int_equal(tc->eff_offhours_sec, 900);
    assert_int_equal(tc->eff_fixed_sec, 0);
    assert_true(tc->health_lunch_once);
    assert_true(tc->health_after_close);
    assert_true(tc->holiday_daily);
    assert_int_equal(tc->alert_cooldown_sec, 600);
    assert_int_equal(tc->n_steps, 3);
    assert_int_equal(tc->steps[2], 1800);
    assert_int_equal(tc->rate_limit_per_min, 18);
    assert_int_equal(tc->busy_alert_threshold, 3);
    assert_string_equal(tc->api_base, "https://api.telegram.org");
    assert_string_equal(tc->action_allowlist,
                        "help,db_stats,top_symbols,symbol");
    assert_true(tc->thread_main == 0);
}

static void test_derived(void **state)
{
    (void)state;
    const tgconf *tc = &g_cfg.tg;
    setenv("HEALTH_INTERVAL_SEC", "3600", 1);
    setenv("HEALTH_FIXED_INTERVAL_SEC", "5", 1);
    setenv("ALERT_ESCALATION_STEPS", " 1800, 0 ,600", 1);
    setenv("TG_MESSAGE_THREAD_ID", "12", 1);
    setenv("TG_THREAD_OPS_ID", "34", 1);
    setenv("TG_HEALTH_HOLIDAY_MODE", "Disabled", 1);
    setenv("TG_API_BASE", "http://127.0.0.1:9/", 1);
    assert_int_equal(load(), 0);
    assert_int_equal(tc->eff_trading_sec, 1800); /* clamped 900-1800 */
    assert_int_equal(tc->eff_offhours_sec, 3600);
    assert_int_equal(tc->eff_fixed_sec, 30); /* floor */
    assert_int_equal(tc->n_steps, 3);
    assert_int_equal(tc->steps[0], 0);
    assert_int_equal(tc->steps[1], 600);
    assert_int_equal(tc->steps[2], 1800);
    assert_true(tc->thread_main == 12);
    assert_true(tc->thread_ops == 34);
    assert_true(tc->thread_health == 0);
    assert_false(tc->holiday_daily);
    assert_string_equal(tc->api_base, "http://127.0.0.1:9");
    setenv("HEALTH_INTERVAL_SEC", "60", 1);
    setenv("HEALTH_OFFHOURS_INTERVAL_SEC", "45", 1);
    assert_int_equal(load(), 0);
    assert_int_equal(tc->eff_trading_sec, 900);
    assert_int_equal(tc->eff_offhours_sec, 45);
}

static void test_errors(void **state)
{
    (void)state;
    setenv("ALERT_ESCALATION_STEPS", "0,ten", 1);
    setenv("TG_MESSAGE_THREAD_ID", "-5", 1);
    setenv("TG_THREAD_OPS_ID", "x1", 1);
    setenv("TG_HEALTH_HOLIDAY_MODE", "weekly", 1);
    setenv("TG_API_BASE", "ftp://x", 1);
    assert_int_equal(load(), 5);
    /* Safe defaults stay in place. */
    assert_int_equal(g_cfg.tg.n_steps, 3);
    assert_true(g_cfg.tg.holiday_daily);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clean, clean),
        cmocka_unit_test_setup_teardown(test_derived, clean, clean),
        cmocka_unit_test_setup_teardown(test_errors, clean, clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
