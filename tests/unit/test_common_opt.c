/*
 * test_common_opt.c - unit tests for common/opt.c: both value forms, flags,
 * exact names (no prefixes), missing values, unknown and positional
 * arguments, every kind's store and bounds, the generic and table texts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/opt.h"

struct dst {
    const char *s;
    const char *s0;
    long l;
    int64_t i;
    double d;
    bool b;
    bool f;
    int fn;
};

static int apply_fn(void *field, const char *v, char *err, size_t n)
{
    if (strcmp(v, "seven") != 0) {
        snprintf(err, n, "not seven");
        return -EINVAL;
    }
    *(int *)field = 7;
    return 0;
}

#define OFF(f) offsetof(struct dst, f)
static const opt_def defs[] = {
    {"--str", "S", OPT_STR, OFF(s), 0, 0, NULL, "h", NULL, false},
    {"--str0", "S", OPT_STR0, OFF(s0), 0, 0, NULL, "h", NULL, false},
    {"--long", "N", OPT_LONG, OFF(l), 0, 10, NULL, "h", "bad long: %s!", true},
    {"--i64", "N", OPT_I64, OFF(i), -5, 5, NULL, "h", NULL, false},
    {"--dbl", "X", OPT_DBL, OFF(d), 0, 1.5, NULL, "h", NULL, false},
    {"--bool", "0|1", OPT_BOOL, OFF(b), 0, 0, NULL, "h", NULL, false},
    {"--flag", NULL, OPT_FLAG, OFF(f), 0, 0, NULL, "h", NULL, false},
    {"--fn", "W", OPT_FN, OFF(fn), 0, 0, apply_fn, "h", NULL, false},
};
#define N (sizeof(defs) / sizeof(defs[0]))

static void test_scan_and_apply(void **state)
{
    char *argv[] = {"prog",   "--str", "a",     "--str0=", "--long=7",
                    "--i64",  "-5",    "--dbl", "1.25",    "--bool=yes",
                    "--flag", "--fn",  "seven", "--flagx", "pos"};
    int argc = (int)(sizeof(argv) / sizeof(argv[0]));
    struct dst d = {0};
    opt_scan s;
    const opt_def *def;
    const char *v;
    char err[128];
    int n = 0;
    (void)state;

    opt_scan_init(&s, defs, N, argc, argv, 1);
    while (opt_next(&s, &def, &v) == OPT_MATCH) {
        assert_int_equal(opt_apply(def, &d, v, err, sizeof(err)), 0);
        n++;
    }
    assert_int_equal(n, 8);
    assert_string_equal(d.s, "a");
    assert_string_equal(d.s0, "");
    assert_int_equal(d.l, 7);
    assert_int_equal(d.i, -5);
    assert_true(d.d == 1.25);
    assert_true(d.b);
    assert_true(d.f);
    assert_int_equal(d.fn, 7);
    /* "--flagx" is not "--flag": unknown, left at s.i. */
    assert_string_equal(argv[s.i], "--flagx");
    assert_int_equal(opt_next(&s, &def, &v), OPT_E_UNKNOWN);
    s.i++;
    assert_int_equal(opt_next(&s, &def, &v), OPT_E_UNKNOWN);
    assert_string_equal(argv[s.i], "pos");
}

static void test_errors(void **state)
{
    char *argv[] = {"prog", "--long"};
    struct dst d = {0};
    opt_scan s;
    const opt_def *def;
    const char *v;
    char err[128];
    (void)state;

    opt_scan_init(&s, defs, N, 2, argv, 1);
    assert_int_equal(opt_next(&s, &def, &v), OPT_E_NOVALUE);
    assert_string_equal(def->name, "--long");
    assert_string_equal(opt_bad_text(def, "", err, sizeof(err)), "bad long: !");
    assert_int_equal(opt_apply(&defs[2], &d, "11", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "bad long: 11!");
    assert_int_equal(opt_apply(&defs[3], &d, "6", err, sizeof(err)), -EINVAL);
    assert_string_equal(
        err, "invalid value '6' for --i64: expected an integer in -5..5");
    assert_int_equal(opt_apply(&defs[4], &d, "nan", err, sizeof(err)), -EINVAL);
    assert_string_equal(
        err, "invalid value 'nan' for --dbl: expected a number in 0..1.5");
    assert_int_equal(opt_apply(&defs[0], &d, "", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "empty value for --str");
    assert_int_equal(opt_apply(&defs[5], &d, "2", err, sizeof(err)), -EINVAL);
    assert_int_equal(opt_apply(&defs[7], &d, "six", err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "not seven");
    assert_int_equal(d.l, 0);
    assert_int_equal(d.i, 0);
    assert_null(d.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_and_apply),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
