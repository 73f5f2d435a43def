/*
 * test_svc_hist.c - the quarter-octave latency histogram (svc/hist.h):
 * bucket choice, clamping, quantiles as bucket upper bounds. (Moved here
 * from test_collector_writer.c with the histogram itself.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "svc/hist.h"

static void test_hist_buckets_and_quantiles(void **state)
{
    svc_hist h = {0};
    (void)state;

    assert_float_equal(svc_hist_quantile(&h, 0.5), 0.0, 0);
    svc_hist_add(&h, 0);     /* bucket 0 */
    svc_hist_add(&h, 100);   /* floor(4 * log2(101)) = 26 */
    svc_hist_add(&h, -5);    /* clamped to 0 */
    svc_hist_add(&h, 1e300); /* clamped to the last bucket */
    assert_int_equal(atomic_load(&h.b[0]), 2);
    assert_int_equal(atomic_load(&h.b[26]), 1);
    assert_int_equal(atomic_load(&h.b[SVC_HIST_BUCKETS - 1]), 1);
    /* Upper bound of the bucket holding the q-th sample. */
    assert_float_equal(svc_hist_quantile(&h, 0.5), 0.189207115, 1e-6);
    assert_float_equal(svc_hist_quantile(&h, 0.75), 106.635, 1e-3);
    assert_float_equal(svc_hist_quantile(&h, 1.0), 65535.0, 1e-6);
}

static void test_hist_bounds(void **state)
{
    (void)state;
    assert_float_equal(svc_hist_lower_ms(0), 0.0, 0);
    assert_float_equal(svc_hist_upper_ms(3), 1.0, 1e-12); /* 2^1 - 1 */
    assert_float_equal(svc_hist_lower_ms(4), 1.0, 1e-12);
    assert_float_equal(svc_hist_upper_ms(39), 1023.0, 1e-9); /* 2^10 - 1 */
}

static void test_hist_p99(void **state)
{
    svc_hist h = {0};
    (void)state;
    /* 99 fast values and one slow one: p50 and p99 in the fast bucket,
     * p100 in the slow one. */
    for (int i = 0; i < 99; i++)
        svc_hist_add(&h, 2.0); /* floor(4 * log2(3)) = 6 */
    svc_hist_add(&h, 5000.0);  /* floor(4 * log2(5001)) = 49 */
    assert_float_equal(svc_hist_quantile(&h, 0.50), svc_hist_upper_ms(6), 1e-9);
    assert_float_equal(svc_hist_quantile(&h, 0.99), svc_hist_upper_ms(6), 1e-9);
    assert_float_equal(svc_hist_quantile(&h, 1.0), svc_hist_upper_ms(49), 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets_and_quantiles),
        cmocka_unit_test(test_hist_bounds),
        cmocka_unit_test(test_hist_p99),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
