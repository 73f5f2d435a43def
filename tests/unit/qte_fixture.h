/*
 * qte_fixture.h - helpers the engine's unit tests share: a temp directory,
 * its removal, a whole file as a string, and a run's store rows (orders,
 * trades, positions, snapshots) as text for byte comparison. Included by
 * one test file each: everything is static.
 */
#ifndef HK_TESTS_QTE_FIXTURE_H
#define HK_TESTS_QTE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *tmpdir(void)
{
    char *d = strdup("/tmp/test_qte.XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmrf(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static char *dump_db(const char *path)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "sqlite3 '%s' 'SELECT * FROM orders ORDER BY id; SELECT * FROM "
             "trades ORDER BY id; SELECT * FROM positions; SELECT run_id, "
             "seq, ts_ms, events, fills, orders, cash_milli, equity_milli "
             "FROM snapshots ORDER BY seq' > '%s.dump'",
             path, path);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s.dump", path);
    return slurp(cmd);
}

#endif
