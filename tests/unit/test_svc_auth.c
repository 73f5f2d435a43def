/*
 * test_svc_auth.c - Bearer header parsing and the constant-time key
 * comparison (svc/auth.h): scheme in any case, wrong length, empty
 * values, case of the key itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svc/auth.h"

static void test_equal(void **state)
{
    (void)state;
    assert_true(svc_auth_equal("s3cret", 6, "s3cret"));
    assert_false(svc_auth_equal("s3cre", 5, "s3cret"));   /* shorter */
    assert_false(svc_auth_equal("s3crett", 7, "s3cret")); /* longer */
    assert_false(svc_auth_equal("S3CRET", 6, "s3cret"));  /* key case */
    assert_false(svc_auth_equal("s3creT", 6, "s3cret"));  /* last byte */
    assert_false(svc_auth_equal("", 0, "s3cret"));        /* empty */
    assert_false(svc_auth_equal("", 0, ""));              /* no key */
    assert_false(svc_auth_equal("anything", 8, ""));      /* no key */
    /* got_len bounds the read: bytes past it never count as equal. */
    assert_false(svc_auth_equal("s3cretXX", 3, "s3cret"));
}

static void test_bearer_scheme_any_case(void **state)
{
    (void)state;
    assert_true(svc_auth_bearer_ok("Bearer k3y", "k3y"));
    assert_true(svc_auth_bearer_ok("bearer k3y", "k3y"));
    assert_true(svc_auth_bearer_ok("BEARER k3y", "k3y"));
    assert_true(svc_auth_bearer_ok("bEaReR k3y", "k3y"));
    assert_true(svc_auth_bearer_ok("Bearer   k3y", "k3y")); /* 1*SP */
}

static void test_bearer_refusals(void **state)
{
    (void)state;
    assert_false(svc_auth_bearer_ok(NULL, "k3y"));
    assert_false(svc_auth_bearer_ok("", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer ", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearerk3y", "k3y"));
    assert_false(svc_auth_bearer_ok("Basic k3y", "k3y"));
    assert_false(svc_auth_bearer_ok("Token k3y", "k3y"));
    assert_false(svc_auth_bearer_ok("k3y", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer K3Y", "k3y")); /* key case */
    assert_false(svc_auth_bearer_ok("Bearer k3", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer k3yy", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer k3y ", "k3y"));
    assert_false(svc_auth_bearer_ok("Bearer k3y", ""));
    assert_false(svc_auth_bearer_ok("Bearer ", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_bearer_scheme_any_case),
        cmocka_unit_test(test_bearer_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
