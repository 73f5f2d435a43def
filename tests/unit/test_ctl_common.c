/*
 * test_ctl_common.c - hk-tickctl helpers (src/ctl/common.c): the compat.md
 * §7.1 number/time formats, option matching, settings lookup precedence,
 * read-only opening that never creates -wal/-shm, per-symbol totals with
 * and without hk_symbol_totals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/ctl.h"

static void test_fmt_real(void **state)
{
    char b[48];
    (void)state;
    assert_string_equal(ctl_fmt_real(320.2, b, sizeof(b)), "320.2");
    assert_string_equal(ctl_fmt_real(3200000.0, b, sizeof(b)), "3200000.0");
    assert_string_equal(ctl_fmt_real(37920.0, b, sizeof(b)), "37920.0");
    assert_string_equal(ctl_fmt_real(0.1, b, sizeof(b)), "0.1");
    assert_string_equal(ctl_fmt_real(0.0, b, sizeof(b)), "0.0");
    assert_string_equal(ctl_fmt_real(-1.5, b, sizeof(b)), "-1.5");
    assert_string_equal(ctl_fmt_real(1e20, b, sizeof(b)), "1e+20");
}

static void test_fmt_age(void **state)
{
    char b[48];
    (void)state;
    assert_string_equal(ctl_fmt_age(0.0, b, sizeof(b)), "0.0");
    assert_string_equal(ctl_fmt_age(12.3449, b, sizeof(b)), "12.345");
    assert_string_equal(ctl_fmt_age(12.0, b, sizeof(b)), "12.0");
    assert_string_equal(ctl_fmt_age(-0.0001, b, sizeof(b)), "0.0");
}

static void test_fmt_hkt(void **state)
{
    char b[48];
    (void)state;
    assert_string_equal(ctl_fmt_hkt(0, b, sizeof(b)), "n/a");
    /* 2026-03-02 02:00:00 UTC = 10:00:00 HKT */
    assert_string_equal(ctl_fmt_hkt(1772416800000LL, b, sizeof(b)),
                        "2026-03-02 10:00:00");
}

static void test_opt(void **state)
{
    char *argv[] = {"x",   "--since", "1 hour ago", "--out=/tmp/a",
                    "--o", "--last"};
    const char *v = NULL;
    int i = 1;
    (void)state;
    assert_int_equal(ctl_opt(6, argv, &i, "--since", &v), 1);
    assert_string_equal(v, "1 hour ago");
    assert_int_equal(i, 2);
    i = 3;
    assert_int_equal(ctl_opt(6, argv, &i, "--out", &v), 1);
    assert_string_equal(v, "/tmp/a");
    i = 4;
    assert_int_equal(ctl_opt(6, argv, &i, "--out", &v), 0);
    i = 5;
    assert_int_equal(ctl_opt(6, argv, &i, "--last", &v), -1);
    long l;
    assert_int_equal(ctl_parse_long("50", 1, 50, &l), 0);
    assert_int_equal(l, 50);
    assert_int_equal(ctl_parse_long("51", 1, 50, &l), -1);
    assert_int_equal(ctl_parse_long("5x", 1, 50, &l), -1);
    bool b;
    assert_int_equal(ctl_parse_bool("Yes", &b), 0);
    assert_true(b);
    assert_int_equal(ctl_parse_bool("0", &b), 0);
    assert_false(b);
    assert_int_equal(ctl_parse_bool("2", &b), -1);
}

static void test_getenv_precedence(void **state)
{
    char dir[] = "/tmp/ctl-unit.XXXXXX";
    char path[128];
    ctl_ctx c;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/env", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# c\nexport CTL_UNIT_A=\"from-file\"\nCTL_UNIT_B=b\n");
    fclose(f);
    memset(&c, 0, sizeof(c));
    snprintf(c.env_file, sizeof(c.env_file), "%s", path);
    unsetenv("CTL_UNIT_A");
    assert_string_equal(ctl_getenv(&c, "CTL_UNIT_A"), "from-file");
    setenv("CTL_UNIT_A", "from-env", 1);
    assert_string_equal(ctl_getenv(&c, "CTL_UNIT_A"), "from-env");
    setenv("CTL_UNIT_A", "", 1); /* empty = unset */
    assert_string_equal(ctl_getenv(&c, "CTL_UNIT_A"), "from-file");
    assert_null(ctl_getenv(&c, "CTL_UNIT_NOPE"));
    unlink(path);
    rmdir(dir);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_open_ro_and_totals(void **state)
{
    char dir[] = "/tmp/ctl-unit.XXXXXX";
    char path[128], side[140];
    sqlite3 *db;
    ctl_symrow *rows;
    int n;
    bool tot;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/20260302.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode=WAL;"
                "CREATE TABLE ticks(symbol TEXT, trading_day TEXT, "
                "ts_ms INTEGER);"
                "INSERT INTO ticks VALUES('HK.1','20260302',5),"
                "('HK.1','20260302',9),('HK.2','20260302',7),"
                "('HK.2','20260301',1);");
    sqlite3_close(db); /* last connection: -wal/-shm removed */
    snprintf(side, sizeof(side), "%s-shm", path);
    assert_int_not_equal(access(side, F_OK), 0);

    assert_int_equal(ctl_open_ro(path, &db), SQLITE_OK);
    assert_true(ctl_has_table(db, "ticks"));
    assert_false(ctl_has_table(db, "gaps"));
    assert_int_equal(ctl_symbol_totals(db, 20260302, &rows, &n, &tot), 0);
    assert_false(tot);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].symbol, "HK.1");
    assert_int_equal(rows[0].rows, 2);
    assert_int_equal(rows[0].min_ts_ms, 5);
    assert_int_equal(rows[0].max_ts_ms, 9);
    free(rows);
    assert_int_equal(ctl_symbol_totals(db, 0, &rows, &n, &tot), 0);
    assert_int_equal(rows[1].rows, 2); /* HK.2 over both days */
    free(rows);
    sqlite3_close(db);
    /* Read-only access of an idle WAL file creates no side files. */
    assert_int_not_equal(access(side, F_OK), 0);
    snprintf(side, sizeof(side), "%s-wal", path);
    assert_int_not_equal(access(side, F_OK), 0);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_real),
        cmocka_unit_test(test_fmt_age),
        cmocka_unit_test(test_fmt_hkt),
        cmocka_unit_test(test_opt),
        cmocka_unit_test(test_getenv_precedence),
        cmocka_unit_test(test_open_ro_and_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
