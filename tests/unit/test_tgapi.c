/*
 * test_tgapi.c - the parts of common/tgapi.c that need no network: token
 * redaction (every occurrence, at the edges, with truncation) and a
 * transport failure whose result carries no token. The HTTP paths are
 * covered end to end against a fake Bot API (tests/e2e/test_ctl_tg.sh,
 * test_collector_telegram.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/tgapi.h"

#define TOK "123:ABCsecret"

static void test_redact(void **state)
{
    (void)state;
    char s[128];
    snprintf(s, sizeof(s), "GET /bot" TOK "/sendMessage and " TOK);
    assert_string_equal(tgapi_redact(s, sizeof(s), TOK),
                        "GET /bot<redacted>/sendMessage and <redacted>");
    snprintf(s, sizeof(s), TOK);
    assert_string_equal(tgapi_redact(s, sizeof(s), TOK), "<redacted>");
    snprintf(s, sizeof(s), "nothing here");
    assert_string_equal(tgapi_redact(s, sizeof(s), TOK), "nothing here");
    assert_string_equal(tgapi_redact(s, sizeof(s), ""), "nothing here");
    assert_string_equal(tgapi_redact(s, sizeof(s), NULL), "nothing here");
    /* The mask is longer than a short token: text that no longer fits is
     * cut, and a token that cannot be masked is cut with it. */
    char t[16];
    snprintf(t, sizeof(t), "ab x ab x ab");
    tgapi_redact(t, sizeof(t), "ab");
    assert_string_equal(t, "<redacted> x ");
    assert_null(strstr(t, "ab"));
    char u[8];
    snprintf(u, sizeof(u), "xxxxxab");
    tgapi_redact(u, sizeof(u), "ab");
    assert_string_equal(u, "xxxxx");
}

static void test_transport_error_has_no_token(void **state)
{
    (void)state;
    tgapi_result r;
    tgapi_req req = {.api_base = "http://127.0.0.1:1/" TOK,
                     .token = TOK,
                     .chat_id = "1",
                     .text = "x",
                     .connect_timeout_ms = 2000,
                     .timeout_ms = 2000};
    assert_int_equal(tgapi_send_message(&req, &r), -1);
    assert_true(r.transport_error);
    assert_int_equal(r.http_status, 0);
    assert_false(r.ok);
    assert_null(strstr(r.err, TOK));
    assert_null(strstr(r.body, TOK));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_transport_error_has_no_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
