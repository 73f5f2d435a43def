/*
 * test_qte_ops_keys.c - the service side's small modules: API keys
 * (generate, store hashed, check, rotate, revoke), the audit log's exact
 * lines and its "suspicious activity" threshold, and the backup archive
 * format (ustar over gzip) round trip and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <errno.h>

#include "qte/audit.h"
#include "qte/keys.h"
#include "qte/ops_tar.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/qte-ops-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return buf;
}

static void test_keys_generate_check(void **state)
{
    char path[128];
    char key[QTE_KEY_TEXT_LEN + 1];
    char hdr[128];
    char who[32];
    char err[256];
    struct stat st;
    qte_keyring kr;
    (void)state;
    snprintf(path, sizeof(path), "%s/sub/keys", dir);
    assert_int_equal(
        qte_keys_generate(path, "admin", key, sizeof(key), err, sizeof(err)),
        0);
    assert_int_equal(strlen(key), QTE_KEY_TEXT_LEN);
    assert_memory_equal(key, "qte_", 4);
    /* Stored hashed: the key text is nowhere in the file; mode 0600. */
    assert_null(strstr(slurp(path), key + 4));
    assert_non_null(strstr(slurp(path), "\nadmin "));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    qte_keyring_init(&kr, path);
    assert_int_equal(qte_keyring_count(&kr), 1);
    snprintf(hdr, sizeof(hdr), "Bearer %s", key);
    assert_true(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    assert_string_equal(who, "admin");
    snprintf(hdr, sizeof(hdr), "bearer  %s", key);
    assert_true(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    assert_false(qte_keyring_check(&kr, NULL, who, sizeof(who)));
    assert_string_equal(who, "missing_key");
    assert_false(qte_keyring_check(&kr, "Basic abc", who, sizeof(who)));
    assert_string_equal(who, "bad_scheme");
    hdr[strlen(hdr) - 1] ^= 1;
    assert_false(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    assert_string_equal(who, "unknown_key");
    qte_keyring_free(&kr);
}

static void test_keys_rotate_revoke(void **state)
{
    char path[128];
    char k1[QTE_KEY_TEXT_LEN + 1];
    char k2[QTE_KEY_TEXT_LEN + 1];
    char k3[QTE_KEY_TEXT_LEN + 1];
    char hdr[128];
    char who[32];
    char err[256];
    qte_keyring kr;
    qte_key_entry e[QTE_KEYS_MAX];
    (void)state;
    snprintf(path, sizeof(path), "%s/keys", dir);
    assert_int_equal(
        qte_keys_generate(path, "admin", k1, sizeof(k1), err, sizeof(err)), 0);
    assert_int_equal(
        qte_keys_generate(path, "ops", k3, sizeof(k3), err, sizeof(err)), 0);
    qte_keyring_init(&kr, path);
    snprintf(hdr, sizeof(hdr), "Bearer %s", k1);
    assert_true(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    /* Rotation: same name, new key; the old one stops working without a
     * restart (the keyring rereads the changed file). */
    sleep(1); /* a new mtime even on coarse file systems */
    assert_int_equal(
        qte_keys_generate(path, "admin", k2, sizeof(k2), err, sizeof(err)), 0);
    assert_string_not_equal(k1, k2);
    assert_false(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    snprintf(hdr, sizeof(hdr), "Bearer %s", k2);
    assert_true(qte_keyring_check(&kr, hdr, who, sizeof(who)));
    assert_int_equal(qte_keys_read(path, e, QTE_KEYS_MAX, err, sizeof(err)), 2);
    assert_string_equal(e[0].name, "admin");
    assert_string_equal(e[1].name, "ops");
    assert_int_equal(qte_keys_revoke(path, "admin", err, sizeof(err)), 0);
    assert_int_equal(qte_keys_revoke(path, "admin", err, sizeof(err)), -ENOENT);
    assert_int_equal(qte_keys_read(path, e, QTE_KEYS_MAX, err, sizeof(err)), 1);
    assert_int_equal(
        qte_keys_generate(path, "bad name", k1, sizeof(k1), err, sizeof(err)),
        -EINVAL);
    qte_keyring_free(&kr);
}

static void test_audit_lines(void **state)
{
    char path[128];
    qte_audit a;
    (void)state;
    snprintf(path, sizeof(path), "%s/log/audit.log", dir);
    assert_int_equal(qte_audit_open(&a, path), 0);
    for (int i = 0; i < 6; i++)
        qte_audit_auth_failure(&a, "10.1.2.3", "GET", "/admin/queue/status",
                               "missing_key");
    qte_audit_auth_failure(&a, "127.0.0.1", "POST", "/admin/queue/clear",
                           "unknown_key");
    qte_audit_action(&a, "admin", "127.0.0.1", "POST", "/admin/queue/clear",
                     "dropped=3");
    qte_audit_close(&a);
    const char *s = slurp(path);
    int fails = 0;
    int susp = 0;
    for (const char *p = s; (p = strstr(p, "authentication failure ")); p++)
        fails++;
    for (const char *p = s; (p = strstr(p, "suspicious activity ")); p++)
        susp++;
    assert_int_equal(fails, 7);
    assert_int_equal(susp, 1); /* at the 5th failure of 10.1.2.3 only */
    assert_non_null(strstr(s, "+00:00 authentication failure src=10.1.2.3 "
                              "method=GET path=/admin/queue/status "
                              "reason=missing_key\n"));
    assert_non_null(strstr(s, "+00:00 suspicious activity src=10.1.2.3 "
                              "failures=5 window_sec=60\n"));
    assert_non_null(strstr(s, "+00:00 admin action key=admin src=127.0.0.1 "
                              "method=POST path=/admin/queue/clear "
                              "result=\"dropped=3\"\n"));
}

static void test_tar_round_trip(void **state)
{
    char arc[128];
    char src[128];
    char out[128];
    char p[160];
    char err[256];
    (void)state;
    snprintf(arc, sizeof(arc), "%s/a.tar.gz", dir);
    snprintf(src, sizeof(src), "%s/big.bin", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    FILE *f = fopen(src, "w");
    for (int i = 0; i < 200000; i++)
        fputc(i * 7 % 251, f);
    fclose(f);
    qte_tar *t = qte_tar_create(arc);
    assert_non_null(t);
    assert_int_equal(qte_tar_add(t, "a.txt", "hello", 5, 1700000000), 0);
    assert_int_equal(qte_tar_add(t, "empty", "", 0, 1700000000), 0);
    assert_int_equal(qte_tar_add_file(t, "d/e/big.bin", src), 0);
    assert_int_equal(qte_tar_close(t), 0);
    mkdir(out, 0750);
    assert_int_equal(qte_tar_extract(arc, out, err, sizeof(err)), 3);
    snprintf(p, sizeof(p), "%s/a.txt", out);
    assert_string_equal(slurp(p), "hello");
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s/d/e/big.bin", src, out);
    assert_int_equal(system(cmd), 0);
    /* GNU tar reads it too. */
    snprintf(cmd, sizeof(cmd),
             "test \"$(tar tzf %s | tr '\\n' ' ')\" = 'a.txt empty "
             "d/e/big.bin '",
             arc);
    assert_int_equal(system(cmd), 0);
}

static void test_tar_refuses_unsafe(void **state)
{
    char arc[128];
    char out[128];
    char err[256];
    (void)state;
    snprintf(arc, sizeof(arc), "%s/bad.tar.gz", dir);
    snprintf(out, sizeof(out), "%s/out2", dir);
    qte_tar *t = qte_tar_create(arc);
    assert_int_equal(qte_tar_add(t, "../escape", "x", 1, 0), 0);
    assert_int_equal(qte_tar_close(t), 0);
    mkdir(out, 0750);
    assert_int_equal(qte_tar_extract(arc, out, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "bad member header"));
    /* A truncated archive is an error, not a short success. */
    assert_int_equal(truncate(arc, 20), 0);
    assert_true(qte_tar_extract(arc, out, err, sizeof(err)) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_generate_check, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keys_rotate_revoke, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tar_refuses_unsafe, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
