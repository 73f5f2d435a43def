/*
 * test_collector_tgcmd.c - interactive command parsing (collector/tgcmd.c):
 * exact argv for every command, defaults and bounds of N, "@bot"
 * suffixes, the allowlist, hostile arguments (shell syntax, options,
 * paths), non-commands, admin ids and the /help text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "collector/tgcmd.h"

#define ALL "help,db_stats,top_symbols,symbol"

static tgcmd g_c;

/* Parse and join argv with spaces ("" for built-ins). */
static const char *argv_of(const char *text, const char *allow, int *rc)
{
    static char out[2048];
    char err[96];
    size_t o = 0;
    *rc = tgcmd_parse(text, allow, "/opt/bin/hk-tickctl", "/data/HK", &g_c, err,
                      sizeof(err));
    out[0] = '\0';
    for (int i = 0; i < TGCMD_MAX_ARGV && g_c.argv[i]; i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "",
                              g_c.argv[i]);
    return out;
}

static void test_commands(void **state)
{
    (void)state;
    int rc;
    assert_string_equal(argv_of("/db_stats", ALL, &rc),
                        "/opt/bin/hk-tickctl --data-root /data/HK db stats");
    assert_int_equal(rc, TGCMD_OK);
    assert_string_equal(argv_of("/top_symbols", ALL, &rc),
                        "/opt/bin/hk-tickctl --data-root /data/HK db "
                        "top-symbols --limit 10");
    assert_string_equal(argv_of("  /top_symbols@hk_bot 50 ", ALL, &rc),
                        "/opt/bin/hk-tickctl --data-root /data/HK db "
                        "top-symbols --limit 50");
    assert_int_equal(rc, TGCMD_OK);
    assert_string_equal(argv_of("/symbol HK.00700", ALL, &rc),
                        "/opt/bin/hk-tickctl --data-root /data/HK db symbol "
                        "HK.00700 --last 20");
    assert_string_equal(argv_of("/symbol US.AAPL 100", ALL, &rc),
                        "/opt/bin/hk-tickctl --data-root /data/HK db symbol "
                        "US.AAPL --last 100");
    assert_string_equal(argv_of("/help", ALL, &rc), "");
    assert_int_equal(rc, TGCMD_OK);
    assert_string_equal(g_c.name, "help");
}

static void test_refused(void **state)
{
    (void)state;
    int rc;
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"hello", TGCMD_NOT_COMMAND},
        {"", TGCMD_NOT_COMMAND},
        {"/", TGCMD_NOT_COMMAND},
        {"/status", TGCMD_NOT_ALLOWED},
        {"/db_stats extra", TGCMD_BAD_ARGS},
        {"/top_symbols 0", TGCMD_BAD_ARGS},
        {"/top_symbols 51", TGCMD_BAD_ARGS},
        {"/top_symbols -5", TGCMD_BAD_ARGS},
        {"/top_symbols 5 6", TGCMD_BAD_ARGS},
        {"/symbol", TGCMD_BAD_ARGS},
        {"/symbol HK.00700;ls", TGCMD_BAD_ARGS},
        {"/symbol $(id)", TGCMD_BAD_ARGS},
        {"/symbol --db=/etc/passwd", TGCMD_BAD_ARGS},
        {"/symbol hk.00700", TGCMD_BAD_ARGS},
        {"/symbol HK.", TGCMD_BAD_ARGS},
        {"/symbol ../x.y", TGCMD_BAD_ARGS},
        {"/symbol HK.00700 101", TGCMD_BAD_ARGS},
        {"/symbol HK.00700 1e2", TGCMD_BAD_ARGS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        argv_of(cases[i].text, ALL, &rc);
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d, want %d", cases[i].text, rc, cases[i].rc);
        assert_null(g_c.argv[0]);
    }
    /* Known but not in the allowlist. */
    argv_of("/symbol HK.00700", "help, db_stats", &rc);
    assert_int_equal(rc, TGCMD_NOT_ALLOWED);
    assert_string_equal(g_c.name, "symbol");
    argv_of("/db_stats", " help , db_stats ", &rc);
    assert_int_equal(rc, TGCMD_OK);
}

static void test_admin_and_help(void **state)
{
    (void)state;
    char buf[512];
    assert_true(tgcmd_is_admin("111, 222", 222));
    assert_true(tgcmd_is_admin("111", 111));
    assert_false(tgcmd_is_admin("111,222", 11));
    assert_false(tgcmd_is_admin("1111", 111));
    assert_false(tgcmd_is_admin("", 111));
    assert_false(tgcmd_is_admin("0", 0));
    assert_string_equal(tgcmd_help("help,symbol", buf, sizeof(buf)),
                        "/help  this list\n"
                        "/symbol SYM [N]  last N trades of SYM (e.g. "
                        "HK.00700)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_admin_and_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
