/*
 * test_svc_life.c - the daemon lifecycle (svc/life.h): lock file
 * exclusivity (also across processes), an early SIGTERM turning into a
 * stop once the loop starts, SIGHUP/SIGUSR1 callbacks, svc_life_stop
 * keeping the first code, the drain limit, and the admin hook carrying
 * bits from another thread to the loop.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "svc/life.h"

static char lockpath[256];

static int setup(void **state)
{
    (void)state;
    snprintf(lockpath, sizeof(lockpath), "/tmp/test_svc_life.%ld.lock",
             (long)getpid());
    unlink(lockpath);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(lockpath);
    return 0;
}

static void test_lock_exclusive(void **state)
{
    int a = -1, b = -1;
    (void)state;
    assert_int_equal(svc_lock_acquire(lockpath, &a), 0);
    assert_true(a >= 0);
    /* A second open file description is refused, even in this process. */
    assert_int_equal(svc_lock_acquire(lockpath, &b), -EWOULDBLOCK);
    assert_int_equal(b, -1);
    /* Another process too. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int c = -1;
        _exit(svc_lock_acquire(lockpath, &c) == -EWOULDBLOCK ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    svc_lock_release(a);
    assert_int_equal(svc_lock_acquire(lockpath, &b), 0);
    svc_lock_release(b);
    svc_lock_release(-1); /* ignored */
}

static void test_lock_bad_path(void **state)
{
    int fd = 7;
    (void)state;
    assert_int_equal(svc_lock_acquire("/nonexistent-dir/x.lock", &fd), -ENOENT);
    assert_int_equal(fd, -1);
}

struct seen {
    int stops, reloads, dumps;
    bool early;
    const char *sig;
};

static void cb_stop(svc_life *l, const char *signame, bool early)
{
    struct seen *s = l->ud;
    s->stops++;
    s->early = early;
    s->sig = signame;
}

static void cb_reload(svc_life *l)
{
    struct seen *s = l->ud;
    s->reloads++;
    if (s->reloads == 1)
        raise(SIGUSR1);
}

static void cb_dump(svc_life *l)
{
    struct seen *s = l->ud;
    s->dumps++;
    svc_life_stop(l, 1, "test");
}

static const svc_life_cbs cbs = {cb_stop, cb_reload, cb_dump};

/* In a child: early TERM is held, then delivered by svc_life_start. */
static void test_early_stop(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uv_loop_t loop;
        svc_life l = {0};
        struct seen s = {0};
        svc_life_early_signals();
        raise(SIGTERM); /* would kill us without the early handler */
        raise(SIGPIPE); /* ignored */
        if (svc_life_early_stop() != SIGTERM)
            _exit(2);
        uv_loop_init(&loop);
        if (!svc_life_start(&l, &loop, &cbs, &s))
            _exit(3);
        uv_run(&loop, UV_RUN_DEFAULT); /* handles closed: returns */
        if (s.stops != 1 || !s.early || strcmp(s.sig, "SIGTERM") != 0 ||
            !l.stopping)
            _exit(4);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* HUP -> on_reload (which raises USR1) -> on_dump -> svc_life_stop. */
static void test_signals_and_stop(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        uv_loop_t loop;
        svc_life l = {0};
        struct seen s = {0};
        svc_life_early_signals();
        uv_loop_init(&loop);
        if (svc_life_start(&l, &loop, &cbs, &s))
            _exit(2);
        raise(SIGHUP);
        uv_run(&loop, UV_RUN_DEFAULT);
        if (s.reloads != 1 || s.dumps != 1 || s.stops != 1 || s.sig ||
            l.exit_code != 1 || strcmp(l.exit_reason, "test") != 0)
            _exit(3);
        svc_life_stop(&l, 2, "later"); /* keeps the first code */
        if (l.exit_code != 1 || strcmp(l.exit_reason, "test") != 0 ||
            s.stops != 1)
            _exit(4);
        if (svc_life_drain_ms(&l, 60, 5000) != 5000)
            _exit(5);
        l.exit_code = 0;
        if (svc_life_drain_ms(&l, 2.5, 5000) != 2500)
            _exit(6);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static int admin_seen;

static void on_admin(svc_admin *a, int bits)
{
    admin_seen |= bits;
    if (admin_seen == 7)
        svc_admin_close(a);
}

static void *poster(void *arg)
{
    svc_admin *a = arg;
    svc_admin_post(a, 1);
    svc_admin_post(a, 2);
    svc_admin_post(a, 4);
    return NULL;
}

static void test_admin_hook(void **state)
{
    uv_loop_t loop;
    svc_admin a;
    pthread_t t;
    (void)state;
    uv_loop_init(&loop);
    assert_int_equal(svc_admin_init(&a, &loop, on_admin, NULL), 0);
    assert_int_equal(pthread_create(&t, NULL, poster, &a), 0);
    uv_run(&loop, UV_RUN_DEFAULT); /* ends once the hook is closed */
    pthread_join(t, NULL);
    assert_int_equal(admin_seen, 7);
    svc_admin_post(&a, 8); /* after close: ignored, no crash */
    svc_admin_close(&a);   /* idempotent */
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lock_exclusive, setup, teardown),
        cmocka_unit_test(test_lock_bad_path),
        cmocka_unit_test(test_early_stop),
        cmocka_unit_test(test_signals_and_stop),
        cmocka_unit_test(test_admin_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
