/*
 * test_svc_http.c - the shared HTTP server (svc/http.h): route matching
 * (exact paths, GET answering HEAD, 404 vs 405), and a live server on an
 * ephemeral loopback port: auth before routing under the prefix, the
 * Bearer scheme in any case, the denied path logged quoted (no forged
 * fields), a waiting route answered off the server thread while other
 * requests are served, and stop with a request still waiting.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hktime.h"
#include "common/log.h"
#include "svc/http.h"

static int route_ok(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    (void)ud;
    (void)rq;
    out->code = 200;
    out->ctype = "text/plain";
    out->body = svc_http_body("ok\n");
    return SVC_HTTP_DONE;
}

static atomic_int release_wait;
static atomic_int wait_calls;

/* Waits until release_wait is set (or 3 s), then says how many calls. */
static int route_wait(void *ud, svc_http_request *rq, svc_http_reply *out)
{
    char b[64];
    (void)ud;
    atomic_fetch_add(&wait_calls, 1);
    if (!atomic_load(&release_wait) &&
        hktime_mono_ms() - rq->start_mono_ms < 3000)
        return SVC_HTTP_WAIT;
    snprintf(b, sizeof(b), "{\"calls\":%d}\n", rq->calls);
    out->code = 200;
    out->body = svc_http_body(b);
    return SVC_HTTP_DONE;
}

static const svc_route routes[] = {
    {"GET", "/ok", route_ok, false},
    {"GET", "/wait", route_wait, false},
    {"POST", "/admin/do", route_ok, true},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static void test_match(void **state)
{
    int st = 0;
    (void)state;
    assert_ptr_equal(svc_http_match(routes, N_ROUTES, "GET", "/ok", &st),
                     &routes[0]);
    assert_ptr_equal(svc_http_match(routes, N_ROUTES, "HEAD", "/ok", &st),
                     &routes[0]);
    assert_ptr_equal(svc_http_match(routes, N_ROUTES, "POST", "/admin/do", &st),
                     &routes[2]);
    assert_null(svc_http_match(routes, N_ROUTES, "GET", "/ok/", &st));
    assert_int_equal(st, 404);
    assert_null(svc_http_match(routes, N_ROUTES, "GET", "/OK", &st));
    assert_int_equal(st, 404);
    assert_null(svc_http_match(routes, N_ROUTES, "POST", "/ok", &st));
    assert_int_equal(st, 404);
    assert_null(svc_http_match(routes, N_ROUTES, "GET", "/admin/do", &st));
    assert_int_equal(st, 404);
    assert_null(svc_http_match(routes, N_ROUTES, "PUT", "/ok", &st));
    assert_int_equal(st, 405);
    assert_null(svc_http_match(routes, N_ROUTES, "DELETE", "/x", &st));
    assert_int_equal(st, 405);
    assert_null(svc_http_match(routes, 0, "GET", "/ok", &st));
    assert_int_equal(st, 405);
}

/* Send a raw request, return the status code; body into body. */
static int request(int port, const char *raw, char *body, size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    char buf[8192];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    if (write(fd, raw, strlen(raw)) != (ssize_t)strlen(raw)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    sscanf(buf, "HTTP/1.%*d %d", &code);
    const char *b = strstr(buf, "\r\n\r\n");
    if (body)
        snprintf(body, cap, "%s", b ? b + 4 : "");
    return code;
}

static char logpath[256];

static void start(svc_http *s, const char *key)
{
    svc_http_opts o = {.host = "127.0.0.1",
                       .port = -1,
                       .api_key = key,
                       .auth_prefix = "/admin/",
                       .log_component = "test",
                       .routes = routes,
                       .n_routes = N_ROUTES};
    assert_int_equal(svc_http_start(s, &o), 0);
    assert_true(s->port > 0);
}

static void test_live_auth(void **state)
{
    svc_http s;
    char body[512], logbuf[4096] = "";
    (void)state;
    snprintf(logpath, sizeof(logpath), "/tmp/test_svc_http.%ld.log",
             (long)getpid());
    int lf = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(lf >= 0);
    log_set_fd(lf);
    start(&s, "k3y");
    assert_int_equal(request(s.port, "GET /ok HTTP/1.0\r\n\r\n", body, 512),
                     200);
    assert_string_equal(body, "ok\n");
    assert_int_equal(request(s.port, "HEAD /ok HTTP/1.0\r\n\r\n", NULL, 0),
                     200);
    assert_int_equal(request(s.port, "PUT /ok HTTP/1.0\r\n\r\n", body, 512),
                     405);
    assert_string_equal(body, "{\"error\":\"method not allowed\"}\n");
    assert_int_equal(request(s.port, "GET /nope HTTP/1.0\r\n\r\n", body, 512),
                     404);
    assert_string_equal(body, "{\"error\":\"not found\"}\n");
    /* Under the prefix, auth comes first (also for unknown paths). */
    assert_int_equal(
        request(s.port, "POST /admin/do HTTP/1.0\r\n\r\n", body, 512), 401);
    assert_string_equal(body, "{\"error\":\"unauthorized\"}\n");
    assert_int_equal(request(s.port,
                             "POST /admin/x%20user=root%0Aevil=1 HTTP/1.0\r\n"
                             "Authorization: Bearer nope\r\n\r\n",
                             body, 512),
                     401);
    const char *ok_auth[] = {"Bearer", "bearer", "BEARER"};
    for (int i = 0; i < 3; i++) {
        char raw[256];
        snprintf(raw, sizeof(raw),
                 "POST /admin/do HTTP/1.0\r\nAuthorization: %s k3y\r\n"
                 "Content-Length: 3\r\n\r\nabc",
                 ok_auth[i]);
        assert_int_equal(request(s.port, raw, body, 512), 200);
    }
    assert_int_equal(request(s.port,
                             "POST /admin/nope HTTP/1.0\r\n"
                             "Authorization: bearer k3y\r\n\r\n",
                             body, 512),
                     404);
    assert_int_equal(request(s.port,
                             "POST /admin/do HTTP/1.0\r\n"
                             "Authorization: Bearer K3Y\r\n\r\n",
                             body, 512),
                     401);
    svc_http_stop(&s);
    svc_http_stop(&s); /* idempotent */
    ssize_t n = pread(lf, logbuf, sizeof(logbuf) - 1, 0);
    logbuf[n > 0 ? n : 0] = '\0';
    log_set_fd(2);
    close(lf);
    unlink(logpath);
    assert_non_null(strstr(logbuf, "test http_listening host=127.0.0.1 port="));
    assert_non_null(strstr(logbuf, "admin=on\n"));
    assert_non_null(strstr(logbuf, "test http_admin_denied path=/admin/do\n"));
    /* The decoded path holds a space, '=' and a newline: one quoted value,
     * nothing that reads as a field or a new record. */
    assert_non_null(strstr(logbuf, "test http_admin_denied "
                                   "path=\"/admin/x user=root\\nevil=1\"\n"));
    assert_null(strstr(logbuf, "\nevil=1"));
    assert_non_null(strstr(logbuf, "test http_admin path=/admin/do\n"));
    assert_null(strstr(logbuf, "k3y"));
}

static void test_no_key_no_admin(void **state)
{
    svc_http s;
    char body[256];
    (void)state;
    start(&s, "");
    assert_int_equal(request(s.port,
                             "POST /admin/do HTTP/1.0\r\n"
                             "Authorization: Bearer x\r\n\r\n",
                             body, sizeof(body)),
                     404);
    svc_http_stop(&s);
}

struct bg {
    int port;
    int code;
    char body[256];
};

static void *bg_wait(void *arg)
{
    struct bg *b = arg;
    b->code = request(b->port, "GET /wait HTTP/1.0\r\n\r\n", b->body,
                      sizeof(b->body));
    return NULL;
}

/* Until route_wait has been called n times since reset (at most 5 s). */
static void wait_for_calls(int n)
{
    int64_t end = hktime_mono_ms() + 5000;
    while (atomic_load(&wait_calls) < n && hktime_mono_ms() < end)
        usleep(10000);
    assert_true(atomic_load(&wait_calls) >= n);
}

static void test_wait_off_thread(void **state)
{
    svc_http s;
    struct bg b = {0};
    pthread_t t;
    char body[64];
    (void)state;
    atomic_store(&release_wait, 0);
    atomic_store(&wait_calls, 0);
    start(&s, "");
    b.port = s.port;
    assert_int_equal(pthread_create(&t, NULL, bg_wait, &b), 0);
    wait_for_calls(2); /* parked, resumed, parked again */
    /* The waiting request does not hold the server thread. */
    int64_t t0 = hktime_mono_ms();
    for (int i = 0; i < 5; i++)
        assert_int_equal(
            request(s.port, "GET /ok HTTP/1.0\r\n\r\n", body, sizeof(body)),
            200);
    assert_true(hktime_mono_ms() - t0 < 500);
    atomic_store(&release_wait, 1);
    pthread_join(t, NULL);
    assert_int_equal(b.code, 200);
    int calls = -1;
    assert_int_equal(sscanf(b.body, "{\"calls\":%d}", &calls), 1);
    assert_true(calls >= 2); /* called again after each resume */
    svc_http_stop(&s);
}

/* Stop while a request waits: it is answered 503 or closed, never hung. */
static void test_stop_while_waiting(void **state)
{
    svc_http s;
    struct bg b = {0};
    pthread_t t;
    (void)state;
    atomic_store(&release_wait, 0);
    atomic_store(&wait_calls, 0);
    start(&s, "");
    b.port = s.port;
    assert_int_equal(pthread_create(&t, NULL, bg_wait, &b), 0);
    wait_for_calls(1);
    int64_t t0 = hktime_mono_ms();
    svc_http_stop(&s);
    pthread_join(t, NULL);
    assert_true(hktime_mono_ms() - t0 < 1000);
    assert_true(b.code == 503 || b.code == -1);
}

static void test_port_zero_is_off(void **state)
{
    svc_http s;
    svc_http_opts o = {.host = "127.0.0.1", .port = 0};
    (void)state;
    assert_int_equal(svc_http_start(&s, &o), 0);
    assert_null(s.mhd);
    svc_http_stop(&s);
    o.port = -1;
    o.host = "localhost"; /* not an IPv4 literal */
    assert_int_equal(svc_http_start(&s, &o), -1);
    svc_http_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_live_auth),
        cmocka_unit_test(test_no_key_no_admin),
        cmocka_unit_test(test_wait_off_thread),
        cmocka_unit_test(test_stop_while_waiting),
        cmocka_unit_test(test_port_zero_is_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
