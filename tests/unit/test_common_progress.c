/*
 * test_common_progress.c - unit tests for common/progress.c: the exact
 * text of a progress line (bytes with total, rows without, the 100% cap,
 * time left), silence when disabled, and the drawn line on a pipe standing
 * in for the terminal ('\r' redraw, final '\n').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/progress.h"

static void test_format(void **state)
{
    char b[192];
    (void)state;
    assert_string_equal(progress_format(b, sizeof(b), "export db",
                                        PROGRESS_BYTES, 12 << 20, 48 << 20,
                                        3000),
                        "export db: 12.0 MiB / 48.0 MiB (25%) 4.0 MiB/s, "
                        "0:09 left");
    assert_string_equal(
        progress_format(b, sizeof(b), "restore", PROGRESS_ROWS, 1200, 0, 3000),
        "restore: 1200 rows, 400 rows/s");
    assert_string_equal(
        progress_format(b, sizeof(b), "x", PROGRESS_BYTES, 512, 100, 0),
        "x: 512 B / 100 B (100%) 0 B/s");
    assert_string_equal(
        progress_format(b, sizeof(b), "t", PROGRESS_BYTES, 3LL << 30, 0, 1000),
        "t: 3.0 GiB, 3.0 GiB/s");
}

static void test_draw(void **state)
{
    int fds[2];
    char out[1024] = "";
    progress p;
    ssize_t n;
    (void)state;

    assert_int_equal(pipe(fds), 0);
    progress_init(&p, "off", PROGRESS_ROWS, 10, false);
    p.fd = fds[1];
    progress_set(&p, 5);
    progress_finish(&p);
    progress_init(&p, "on", PROGRESS_ROWS, 10, true);
    p.fd = fds[1];
    p.last_ms -= 1000; /* due now */
    progress_set(&p, 5);
    progress_set(&p, 6); /* within the interval: no redraw */
    progress_finish(&p);
    progress_finish(&p); /* second finish is a no-op */
    close(fds[1]);
    n = read(fds[0], out, sizeof(out) - 1);
    close(fds[0]);
    assert_true(n > 0);
    out[n] = '\0';
    /* Two draws (the due one, the final one), each a full padded line. */
    assert_int_equal(n, 2 * 80 + 1);
    assert_memory_equal(out, "\ron: 5 rows / 10 rows (50%)", 27);
    assert_memory_equal(out + 80, "\ron: 6 rows / 10 rows (60%)", 27);
    assert_int_equal(out[160], '\n');
    assert_null(strstr(out, "off"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_draw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
