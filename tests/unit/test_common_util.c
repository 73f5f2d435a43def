/*
 * test_common_util.c - unit tests for common/util.c: util_fmt's
 * truncation report, util_write_all / util_pwrite_all (bytes and offsets,
 * a failing fd), util_file_size (size, missing file).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"

static void test_fmt(void **state)
{
    char b[8];
    (void)state;
    assert_int_equal(util_fmt(b, sizeof(b), "%s-%d", "ab", 12), 0);
    assert_string_equal(b, "ab-12");
    assert_int_equal(util_fmt(b, sizeof(b), "%s", "1234567"), 0);
    assert_int_equal(util_fmt(b, sizeof(b), "%s", "12345678"), -1);
    assert_string_equal(b, "1234567");
}

static void test_write_and_size(void **state)
{
    char path[] = "/tmp/test_common_util.XXXXXX";
    int fd = mkstemp(path);
    int64_t n = -1;
    char back[16] = "";
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(util_write_all(fd, "hello world", 11), 0);
    assert_int_equal(util_pwrite_all(fd, "WORLD", 5, 6), 0);
    assert_int_equal(util_file_size(path, &n), 0);
    assert_int_equal(n, 11);
    assert_int_equal(pread(fd, back, 11, 0), 11);
    assert_string_equal(back, "hello WORLD");
    /* pwrite leaves the file offset where write left it. */
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 11);
    close(fd);
    unlink(path);
    assert_int_equal(util_file_size(path, &n), -ENOENT);
    assert_int_equal(n, 0);
    assert_int_equal(util_write_all(-1, "x", 1), -EBADF);
    assert_int_equal(util_pwrite_all(-1, "x", 1, 0), -EBADF);
}

/* util_write_file_atomic: replaces the content, leaves no .tmp, and a
 * failure (directory missing) reports -errno and leaves the old file. */
static void test_write_file_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/util-atomic.XXXXXX", path[64], tmp[70], buf[16];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f.json", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(util_write_file_atomic(path, "old", 3), 0);
    assert_int_equal(util_write_file_atomic(path, "newer", 5), 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf)), 5);
    close(fd);
    assert_memory_equal(buf, "newer", 5);
    assert_int_equal(access(tmp, F_OK), -1);
    char missing[80];
    snprintf(missing, sizeof(missing), "%s/nodir/f.json", dir);
    assert_int_equal(util_write_file_atomic(missing, "x", 1), -ENOENT);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_write_and_size),
        cmocka_unit_test(test_write_file_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
