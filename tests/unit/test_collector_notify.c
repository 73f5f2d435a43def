/*
 * test_collector_notify.c - the real daemon with OpenD down: systemd
 * notifications (READY=1, WATCHDOG=1, STATUS=, STOPPING=1) arrive on
 * NOTIFY_SOCKET, health lines keep coming with connected=False, and
 * SIGTERM still stops it promptly with exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hktime.h"

static char tmpdir[256];

/* Receive datagrams for up to ms; return 1 when one contains want. */
static int wait_msg(int fd, const char *want, int ms, char *seen, size_t cap)
{
    int64_t end = hktime_mono_ms() + ms;
    while (hktime_mono_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        if (seen)
            snprintf(seen, cap, "%s", buf);
        if (strstr(buf, want))
            return 1;
    }
    return 0;
}

static void test_notify_with_opend_down(void **state)
{
    (void)state;
    char sock[300], data[300], log[300], bin[512], seen[512] = "";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *hb = getenv("HK_BIN");
    int fd;
    pid_t pid;
    int status;

    snprintf(sock, sizeof(sock), "%s/notify.sock", tmpdir);
    snprintf(data, sizeof(data), "%s/data", tmpdir);
    snprintf(log, sizeof(log), "%s/collector.log", tmpdir);
    snprintf(bin, sizeof(bin), "%s/hk-tick-collector", hb ? hb : "build/bin");
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int lf = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(lf, 1);
        dup2(lf, 2);
        setenv("NOTIFY_SOCKET", sock, 1);
        setenv("FUTU_SYMBOLS", "HK.00700", 1);
        setenv("FUTU_PORT", "1", 1); /* nothing listens: OpenD down */
        setenv("DATA_ROOT", data, 1);
        setenv("HEALTH_TICK_SEC", "1", 1);
        setenv("HTTP_PORT", "0", 1);
        setenv("RECONNECT_MAX_DELAY", "1", 1);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    assert_true(wait_msg(fd, "READY=1", 5000, seen, sizeof(seen)));
    assert_true(wait_msg(fd, "WATCHDOG=1", 3000, seen, sizeof(seen)));
    assert_true(wait_msg(fd, "STATUS=connected=no", 3000, seen, sizeof(seen)));
    sleep(2);
    int64_t t0 = hktime_mono_ms();
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_true(wait_msg(fd, "STOPPING=1", 3000, seen, sizeof(seen)));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    int64_t took = hktime_mono_ms() - t0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(took < 3000);

    /* Health lines keep coming while OpenD is down. */
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "grep -c 'health connected=False sid=' %s", log);
    FILE *p = popen(cmd, "r");
    int n = 0;
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    assert_true(n >= 1);
    close(fd);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hk-notify.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_with_opend_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
