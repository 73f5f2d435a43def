/*
 * test_svc_page.c - the status-page HTML writer (svc/page.h): exact
 * escaping of text and JSON strings, the exact SVG of a known series,
 * and the page skeleton's refresh wiring. Links the service library only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svc/page.h"

static void test_text_escape(void **state)
{
    svc_buf b = {0};
    (void)state;
    svc_page_text(&b, "a<b>&\"c\"'d' plain");
    svc_page_text(&b, NULL);
    svc_page_text(&b, "");
    assert_string_equal(b.p, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39; plain");
    svc_buf_free(&b);
    svc_page_text(&b, "<<&&>>");
    assert_string_equal(b.p, "&lt;&lt;&amp;&amp;&gt;&gt;");
    assert_int_equal(b.n, strlen(b.p));
    svc_buf_free(&b);
}

static void test_json_escape(void **state)
{
    svc_buf b = {0};
    (void)state;
    svc_page_json_str(&b, "<td class=\"x\">a\\b</td>\n\t\x01/");
    assert_string_equal(b.p,
                        "\"<td class=\\\"x\\\">a\\\\b<\\/td>\\n\\t\\u0001/\"");
    svc_buf_free(&b);
    svc_page_json_str(&b, NULL);
    svc_page_json_str(&b, "");
    svc_page_json_str(&b, "</");
    assert_string_equal(b.p, "null\"\"\"<\\/\"");
    svc_buf_free(&b);
}

static void test_chart_known_series(void **state)
{
    svc_buf b = {0};
    const double v[] = {0, 5, 10};
    (void)state;
    svc_page_chart(&b, v, 3, 30, 11, "rows <min>");
    assert_string_equal(
        b.p, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
             "width=\"30\" height=\"11\" viewBox=\"0 0 30 11\" role=\"img\" "
             "aria-label=\"rows &lt;min&gt;\"><title>rows &lt;min&gt;</title>"
             "<rect x=\"0.0\" y=\"11.0\" width=\"9.0\" height=\"0.0\"/>"
             "<rect x=\"10.0\" y=\"6.0\" width=\"9.0\" height=\"5.0\"/>"
             "<rect x=\"20.0\" y=\"1.0\" width=\"9.0\" height=\"10.0\"/>"
             "</svg>");
    svc_buf_free(&b);
}

static void test_chart_flat_and_negative(void **state)
{
    svc_buf b = {0};
    const double z[] = {0, 0};
    const double neg[] = {-3, 4};
    (void)state;
    svc_page_chart(&b, z, 2, 2, 5, "z");
    assert_non_null(strstr(b.p, "<rect x=\"0.0\" y=\"5.0\" width=\"1.0\" "
                                "height=\"0.0\"/><rect x=\"1.0\" y=\"5.0\" "
                                "width=\"1.0\" height=\"0.0\"/></svg>"));
    svc_buf_free(&b);
    svc_page_chart(&b, neg, 2, 20, 9, "n");
    assert_non_null(strstr(b.p, "<rect x=\"0.0\" y=\"9.0\" width=\"9.0\" "
                                "height=\"0.0\"/><rect x=\"10.0\" y=\"1.0\" "
                                "width=\"9.0\" height=\"8.0\"/></svg>"));
    svc_buf_free(&b);
    svc_page_chart(&b, NULL, 0, 20, 9, "empty");
    assert_non_null(strstr(b.p, "<title>empty</title></svg>"));
    svc_buf_free(&b);
}

static void test_skeleton(void **state)
{
    svc_buf b = {0};
    (void)state;
    svc_page_begin(&b, "x<y", "/status/page.json", 5);
    svc_page_section_open(&b, "facts");
    svc_page_section_close(&b);
    svc_page_end(&b);
    assert_false(b.oom);
    assert_int_equal(strncmp(b.p, "<!DOCTYPE html>\n<html lang=\"en\">", 32),
                     0);
    assert_non_null(strstr(b.p, "<title>x&lt;y</title><style>"));
    assert_non_null(strstr(b.p, "<body data-json=\"/status/page.json\" "
                                "data-refresh=\"5\"><h1>x&lt;y</h1>\n"));
    assert_non_null(strstr(b.p, "<div id=\"facts\" class=\"sec\"></div>\n"));
    assert_non_null(strstr(b.p, "<script>(function(){"));
    const char *tail = "</script>\n</body></html>\n";
    assert_string_equal(b.p + b.n - strlen(tail), tail);
    /* self-contained: nothing loaded from elsewhere */
    assert_null(strstr(b.p, " src="));
    assert_null(strstr(b.p, " href="));
    svc_buf_free(&b);
    /* no JSON URL: no refresh wiring */
    svc_page_begin(&b, "t", NULL, 5);
    assert_non_null(strstr(b.p, "<body><h1>t</h1>"));
    svc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escape),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_chart_known_series),
        cmocka_unit_test(test_chart_flat_and_negative),
        cmocka_unit_test(test_skeleton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
