/*
 * test_svc_prom.c - the Prometheus text writer (svc/prom.h): exact bytes
 * of metrics, labelled samples, label escaping and histograms, and the
 * growable buffer across its first reallocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/prom.h"

static void test_metric_bytes(void **state)
{
    svc_buf b = {0};
    (void)state;
    svc_prom_metric(&b, "hk_up", "gauge", "1 while the collector runs.", 1);
    svc_prom_metric(&b, "hk_x_total", "counter", "A counter.", 0.1);
    assert_string_equal(b.p, "# HELP hk_up 1 while the collector runs.\n"
                             "# TYPE hk_up gauge\n"
                             "hk_up 1\n"
                             "# HELP hk_x_total A counter.\n"
                             "# TYPE hk_x_total counter\n"
                             "hk_x_total 0.10000000000000001\n");
    assert_int_equal(b.n, strlen(b.p));
    assert_false(b.oom);
    svc_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
}

static void test_labels(void **state)
{
    svc_buf b = {0};
    char esc[64];
    (void)state;
    svc_prom_header(&b, "hk_q_total", "counter", "Rows by reason.");
    svc_prom_sample(&b, "hk_q_total", "reason=\"nan\"", 3);
    svc_prom_sample(&b, "hk_q_total", "", 4);
    svc_prom_sample(&b, "hk_q_total", NULL, 5);
    assert_string_equal(b.p, "# HELP hk_q_total Rows by reason.\n"
                             "# TYPE hk_q_total counter\n"
                             "hk_q_total{reason=\"nan\"} 3\n"
                             "hk_q_total 4\n"
                             "hk_q_total 5\n");
    svc_buf_free(&b);
    assert_string_equal(svc_prom_label_escape("a\"b\\c\nd", esc, sizeof(esc)),
                        "a\\\"b\\\\c\\nd");
    assert_string_equal(svc_prom_label_escape("abcdef", esc, 4), "abc");
    assert_string_equal(svc_prom_label_escape(NULL, esc, sizeof(esc)), "");
}

static void test_hist_bytes(void **state)
{
    svc_hist h = {0};
    svc_buf b = {0};
    (void)state;
    svc_hist_add(&h, 0);   /* bucket 0: [0, 0.189) ms */
    svc_hist_add(&h, 100); /* bucket 26 */
    svc_prom_hist(&b, "hk_lat_seconds", "Latency.", &h);
    /* Header, then every second bucket bound (i odd) and the last. */
    assert_non_null(strstr(b.p, "# HELP hk_lat_seconds Latency.\n"
                                "# TYPE hk_lat_seconds histogram\n"
                                "hk_lat_seconds_bucket{le=\"0.000414214\"} 1\n"
                                "hk_lat_seconds_bucket{le=\"0.001\"} 1\n"));
    assert_non_null(strstr(b.p, "hk_lat_seconds_bucket{le=\"0.0895097\"} 1\n"
                                "hk_lat_seconds_bucket{le=\"0.127\"} 2\n"));
    assert_non_null(strstr(b.p, "hk_lat_seconds_bucket{le=\"65.535\"} 2\n"
                                "hk_lat_seconds_bucket{le=\"+Inf\"} 2\n"
                                "hk_lat_seconds_sum 0.098167\n"
                                "hk_lat_seconds_count 2\n"));
    assert_true(strncmp(b.p, "# HELP", 6) == 0);
    assert_true(strcmp(b.p + b.n - 23, "hk_lat_seconds_count 2\n") == 0);
    /* 2 header lines + 32 bounds + +Inf + sum + count */
    int lines = 0;
    for (const char *p = b.p; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2 + 32 + 3);
    svc_buf_free(&b);
}

static void test_buf_grows(void **state)
{
    svc_buf b = {0};
    char chunk[1001];
    (void)state;
    memset(chunk, 'x', 1000);
    chunk[1000] = '\0';
    for (int i = 0; i < 20; i++)
        svc_buf_printf(&b, "%s", chunk);
    assert_int_equal(b.n, 20000);
    assert_int_equal(strlen(b.p), 20000);
    assert_true(b.cap >= 20001);
    svc_buf_free(&b);
}

/* svc_buf_take: the text when whole, NULL (and freed) after an OOM. */
static void test_buf_take(void **state)
{
    (void)state;
    svc_buf b = {0};
    svc_buf_printf(&b, "up %d\n", 1);
    char *t = svc_buf_take(&b);
    assert_string_equal(t, "up 1\n");
    assert_null(b.p);
    free(t);
    svc_buf_printf(&b, "partial");
    b.oom = true;
    assert_null(svc_buf_take(&b));
    assert_null(b.p);
    assert_false(b.oom);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_bytes), cmocka_unit_test(test_labels),
        cmocka_unit_test(test_hist_bytes),   cmocka_unit_test(test_buf_grows),
        cmocka_unit_test(test_buf_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
