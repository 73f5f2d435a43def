/*
 * test_cold_state.c - cold-store's watermark file (src/cold/state.c):
 * exact bytes written, round trip, sorted entries, a missing file, and
 * every kind of corrupt file refused as a whole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cold/state.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/cold-state.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void write_file(const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/watermark.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void read_file(char *buf, size_t cap)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/watermark.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void test_missing(void **state)
{
    (void)state;
    cold_state s = {0};
    char err[128] = "";
    assert_int_equal(cold_state_load(&s, dir, err, sizeof(err)), 1);
    assert_int_equal(s.n, 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    cold_state s = {0};
    /* Created out of order: kept sorted. */
    cold_day *d = cold_state_day(&s, 20261206, true);
    d->upto_ts_ms = 1765000000000;
    d->rows = 12;
    d = cold_state_day(&s, 20261126, true);
    *d = (cold_day){.day = 20261126,
                    .closed = true,
                    .dropped = true,
                    .rows = 3000,
                    .max_block = 5,
                    .mismatches = 2};
    assert_ptr_equal(cold_state_day(&s, 20261126, false), &s.days[0]);
    assert_null(cold_state_day(&s, 20261127, false));
    assert_int_equal(cold_state_save(&s, dir), 0);
    char text[1024];
    read_file(text, sizeof(text));
    assert_string_equal(
        text, "{\"version\":1,\"days\":[\n"
              " {\"day\":20261126,\"closed\":true,\"dropped\":true,"
              "\"rows\":3000,\"max_block\":5,\"upto_ts_ms\":0},\n"
              " {\"day\":20261206,\"closed\":false,\"dropped\":false,"
              "\"rows\":12,\"max_block\":0,\"upto_ts_ms\":1765000000000}]}\n");
    cold_state t = {0};
    char err[128] = "";
    assert_int_equal(cold_state_load(&t, dir, err, sizeof(err)), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.days[0].day, 20261126);
    assert_true(t.days[0].closed && t.days[0].dropped);
    assert_int_equal(t.days[0].rows, 3000);
    assert_int_equal(t.days[0].max_block, 5);
    assert_int_equal(t.days[0].mismatches, 0); /* not saved */
    assert_int_equal(t.days[1].upto_ts_ms, 1765000000000);
    cold_state_free(&s);
    cold_state_free(&t);
}

static void test_corrupt(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{\"version\":1,\"days\":[{\"day\":",
        "{\"version\":2,\"days\":[]}",
        "{\"days\":[]}",
        "{\"version\":1,\"days\":{}}",
        "{\"version\":1,\"days\":[{\"day\":20261126,\"closed\":1,"
        "\"dropped\":false,\"rows\":1,\"max_block\":1,\"upto_ts_ms\":0}]}",
        "{\"version\":1,\"days\":[{\"day\":20261126,\"closed\":true,"
        "\"dropped\":false,\"rows\":1,\"upto_ts_ms\":0}]}",
        "{\"version\":1,\"days\":[{\"day\":1,\"closed\":true,"
        "\"dropped\":false,\"rows\":1,\"max_block\":1,\"upto_ts_ms\":0}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cold_state s = {0};
        char err[128] = "";
        write_file(bad[i]);
        assert_int_equal(cold_state_load(&s, dir, err, sizeof(err)), -EBADMSG);
        assert_int_equal(s.n, 0);
        assert_true(err[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
