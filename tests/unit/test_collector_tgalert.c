/*
 * test_collector_tgalert.c - the alert state machine (collector/tgalert.c).
 *
 * A scripted condition (bad/good per second) is fed through tgalert_step
 * on a simulated clock; the trace of non-NONE actions ("<sec> <action>")
 * is compared exactly. Covers: a blip inside the grace (silent), raise at
 * the end of the grace, escalation reminders at the configured steps with
 * the cooldown, recovery, cooldown suppression of a flapping alert (one
 * SUPPRESS per episode, raise when the cooldown ends), grace 0, and
 * recovery of a suppressed (never raised) episode staying silent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collector/tgalert.h"

static tgalert_cfg mkcfg(int grace, int cooldown, const int *steps, int n)
{
    tgalert_cfg c;
    memset(&c, 0, sizeof(c));
    c.grace_ms = (int64_t)grace * 1000;
    c.cooldown_ms = (int64_t)cooldown * 1000;
    c.n_steps = n;
    for (int i = 0; i < n; i++)
        c.steps_ms[i] = (int64_t)steps[i] * 1000;
    return c;
}

/* bad(t) for t in [0, n): from a list of [start, end) bad intervals. */
static bool is_bad(const int *iv, int niv, int t)
{
    for (int i = 0; i < niv; i++)
        if (t >= iv[2 * i] && t < iv[2 * i + 1])
            return true;
    return false;
}

static const char *run(const tgalert_cfg *c, tgalert *a, const int *iv, int niv,
                       int secs)
{
    static char out[4096];
    size_t o = 0;
    out[0] = '\0';
    for (int t = 0; t < secs; t++) {
        tgalert_action act =
            tgalert_step(c, a, is_bad(iv, niv, t), (int64_t)t * 1000);
        if (act != TGALERT_NONE)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%d %s\n", t,
                                  tgalert_action_name(act));
    }
    return out;
}

static void test_blip_is_silent(void **state)
{
    (void)state;
    int steps[] = {0, 600, 1800};
    tgalert_cfg c = mkcfg(60, 600, steps, 3);
    tgalert a;
    int iv[] = {10, 69};
    tgalert_init(&a);
    assert_string_equal(run(&c, &a, iv, 1, 200), "");
    assert_int_equal(a.state, TGALERT_IDLE);
}

static void test_raise_escalate_recover(void **state)
{
    (void)state;
    int steps[] = {0, 600, 1800};
    tgalert_cfg c = mkcfg(60, 600, steps, 3);
    tgalert a;
    int iv[] = {100, 2500};
    tgalert_init(&a);
    /* raise at 100+60; reminder when the episode is 600 s old AND the
     * last message is 600 s old (760); next at episode age 1800 (1900). */
    assert_string_equal(run(&c, &a, iv, 1, 2600),
                        "160 raise\n760 remind\n1900 remind\n2500 recover\n");
    assert_true(a.bad_since == 100000);
    assert_int_equal(a.reminders, 2);
}

static void test_cooldown_suppresses_flapping(void **state)
{
    (void)state;
    int steps[] = {0};
    tgalert_cfg c = mkcfg(5, 300, steps, 1);
    tgalert a;
    /* Episodes: 0-50 (raised at 5), 60-70 (suppressed, never raised, its
     * recovery silent), 80-400 (suppressed once, raised when the cooldown
     * since 5 s ends, at 305). */
    int iv[] = {0, 50, 60, 70, 80, 400};
    tgalert_init(&a);
    assert_string_equal(run(&c, &a, iv, 3, 500),
                        "5 raise\n50 recover\n65 suppress\n85 suppress\n"
                        "305 raise\n400 recover\n");
}

static void test_grace_zero_and_steps_inside_grace(void **state)
{
    (void)state;
    int steps[] = {0, 30, 90};
    tgalert_cfg c0 = mkcfg(0, 0, steps, 3);
    tgalert a;
    int iv[] = {3, 100};
    tgalert_init(&a);
    assert_string_equal(run(&c0, &a, iv, 1, 120),
                        "3 raise\n33 remind\n93 remind\n100 recover\n");
    /* A grace longer than the first steps: they are covered by the raise.*/
    tgalert_cfg c1 = mkcfg(45, 0, steps, 3);
    tgalert_init(&a);
    assert_string_equal(run(&c1, &a, iv, 1, 120),
                        "48 raise\n93 remind\n100 recover\n");
    /* No steps at all: one raise, one recovery. */
    tgalert_cfg c2 = mkcfg(0, 0, steps, 0);
    tgalert_init(&a);
    assert_string_equal(run(&c2, &a, iv, 1, 120), "3 raise\n100 recover\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blip_is_silent),
        cmocka_unit_test(test_raise_escalate_recover),
        cmocka_unit_test(test_cooldown_suppresses_flapping),
        cmocka_unit_test(test_grace_zero_and_steps_inside_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
