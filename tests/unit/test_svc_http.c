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
#include <ifaddrs.h>
#include <poll.h>
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

/* Send a raw request to host:port, return the status code (-1 when the
 * connection fails or closes without an answer); body into body. */
static int request_to(const char *host, int port, const char *raw, char *body,
                      size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    char buf[8192];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), code = -1;
    inet_pton(AF_INET, host, &sa.sin_addr);
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

static int request(int port, const char *raw, char *body, size_t cap)
{
    return request_to("127.0.0.1", port, raw, body, cap);
}

/* An open connection that has sent half a request (a slow client). */
static int half_open(const char *host, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(fd, "GET /ok HTTP/1.1\r\n", 18) != 18) {
        close(fd);
        return -1;
    }
    return fd;
}

/* True when the server closed fd within ms (read returns 0 or an error). */
static bool closed_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    if (poll(&p, 1, ms) <= 0)
        return false;
    return read(fd, &c, 1) <= 0;
}

/* This host's first non-loopback IPv4 address, or false. */
static bool own_ipv4(char *out, size_t cap)
{
    struct ifaddrs *ifs, *i;
    bool found = false;
    if (getifaddrs(&ifs) != 0)
        return false;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) == 127)
            continue;
        found = inet_ntop(AF_INET, &a, out, (socklen_t)cap) != NULL;
    }
    freeifaddrs(ifs);
    return found;
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

/* Slow clients: a silent connection is closed after conn_timeout_sec; a
 * remote address is held to per_ip_limit while loopback is not. */
static void test_slow_client_limits(void **state)
{
    svc_http s;
    char ip[64], body[64];
    int fds[4];
    (void)state;
    svc_http_opts o = {.host = "0.0.0.0",
                       .port = -1,
                       .routes = routes,
                       .n_routes = N_ROUTES,
                       .conn_timeout_sec = 1,
                       .per_ip_limit = 2};
    assert_int_equal(svc_http_start(&s, &o), 0);
    /* Loopback: more half-open clients than per_ip_limit, still served. */
    for (int i = 0; i < 4; i++)
        assert_true((fds[i] = half_open("127.0.0.1", s.port)) >= 0);
    assert_int_equal(
        request(s.port, "GET /ok HTTP/1.0\r\n\r\n", body, sizeof(body)), 200);
    /* ... and each is dropped after about conn_timeout_sec of silence. */
    int64_t t0 = hktime_mono_ms();
    for (int i = 0; i < 4; i++) {
        assert_true(closed_within(fds[i], 3000));
        close(fds[i]);
    }
    assert_true(hktime_mono_ms() - t0 >= 500);
    if (own_ipv4(ip, sizeof(ip))) {
        int a = half_open(ip, s.port), b = half_open(ip, s.port);
        assert_true(a >= 0 && b >= 0);
        usleep(100000);
        /* The third from the same remote address is refused at once. */
        assert_int_equal(request_to(ip, s.port, "GET /ok HTTP/1.0\r\n\r\n",
                                    body, sizeof(body)),
                         -1);
        assert_int_equal(
            request(s.port, "GET /ok HTTP/1.0\r\n\r\n", body, sizeof(body)),
            200);
        close(a);
        close(b);
        usleep(200000);
        assert_int_equal(request_to(ip, s.port, "GET /ok HTTP/1.0\r\n\r\n",
                                    body, sizeof(body)),
                         200);
    } else {
        print_message("no non-loopback IPv4 address: per-address limit "
                      "not exercised\n");
    }
    svc_http_stop(&s);
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
        cmocka_unit_test(test_slow_client_limits),
        cmocka_unit_test(test_port_zero_is_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
