/*
 * control.c - line-oriented control socket (server and client).
 *
 * Server: a uv_pipe listener; each client owns a fixed line buffer of
 * CONTROL_LINE_MAX bytes. Bytes are appended until '\n'; each complete
 * line goes to the callback and its reply is written with uv_try_write
 * (replies are short, so they normally leave at once; otherwise a heap copy
 * is queued with uv_write). An over-long line is answered with ERR and
 * discarded up to its newline.
 *
 * Lifetime: control_close closes every handle; the struct itself is freed
 * by the last close callback (open_handles counts the listener and the
 * clients). Event-loop thread only.
 *
 * Client: blocking socket, one line out, one line back (10 s timeout).
 */
#include "sim/control.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

struct cclient {
    uv_pipe_t pipe;
    control *ctl;
    struct cclient *next;
    size_t len;
    bool overflow;
    char line[CONTROL_LINE_MAX];
};

struct control {
    uv_pipe_t server;
    uv_loop_t *loop;
    char *path;
    control_fn fn;
    void *ctx;
    struct cclient *clients;
    int open_handles;
    bool closing;
};

struct wreq {
    uv_write_t req;
    char data[];
};

static void release(control *c)
{
    if (--c->open_handles > 0)
        return;
    free(c->path);
    free(c);
}

static void on_client_closed(uv_handle_t *h)
{
    struct cclient *cl = h->data;
    control *c = cl->ctl;
    struct cclient **pp = &c->clients;

    while (*pp && *pp != cl)
        pp = &(*pp)->next;
    if (*pp)
        *pp = cl->next;
    free(cl);
    release(c);
}

static void opend_client_close(struct cclient *cl)
{
    if (!uv_is_closing((uv_handle_t *)&cl->pipe))
        uv_close((uv_handle_t *)&cl->pipe, on_client_closed);
}

static void on_written(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void send_reply(struct cclient *cl, const char *reply)
{
    char buf[CONTROL_REPLY_MAX + 2];
    size_t n = strlen(reply);
    uv_buf_t b;
    int w;
    struct wreq *wr;

    if (n > CONTROL_REPLY_MAX)
        n = CONTROL_REPLY_MAX;
    memcpy(buf, reply, n);
    buf[n++] = '\n';
    b = uv_buf_init(buf, (unsigned)n);
    w = uv_try_write((uv_stream_t *)&cl->pipe, &b, 1);
    if (w == (int)n)
        return;
    if (w < 0 && w != UV_EAGAIN) {
        opend_client_close(cl);
        return;
    }
    if (w < 0)
        w = 0;
    wr = malloc(sizeof(*wr) + n - (size_t)w);
    if (!wr) {
        opend_client_close(cl);
        return;
    }
    memcpy(wr->data, buf + w, n - (size_t)w);
    b = uv_buf_init(wr->data, (unsigned)(n - (size_t)w));
    if (uv_write(&wr->req, (uv_stream_t *)&cl->pipe, &b, 1, on_written) != 0) {
        free(wr);
        opend_client_close(cl);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char rbuf[4096];

    (void)h;
    (void)suggested;
    *buf = uv_buf_init(rbuf, sizeof(rbuf));
}

static void handle_line(struct cclient *cl)
{
    char reply[CONTROL_REPLY_MAX];

    if (cl->len > 0 && cl->line[cl->len - 1] == '\r')
        cl->len--;
    cl->line[cl->len] = '\0';
    reply[0] = '\0';
    cl->ctl->fn(cl->ctl->ctx, cl->line, reply, sizeof(reply));
    send_reply(cl, reply);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct cclient *cl = s->data;

    if (nread < 0) {
        opend_client_close(cl);
        return;
    }
    for (ssize_t i = 0; i < nread; i++) {
        char ch = buf->base[i];

        if (ch == '\n') {
            if (cl->overflow)
                send_reply(cl, "ERR line too long");
            else
                handle_line(cl);
            cl->len = 0;
            cl->overflow = false;
            if (uv_is_closing((uv_handle_t *)s) || cl->ctl->closing)
                return;
            continue;
        }
        if (cl->len + 1 >= CONTROL_LINE_MAX)
            cl->overflow = true;
        else
            cl->line[cl->len++] = ch;
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    control *c = server->data;
    struct cclient *cl;

    if (status < 0)
        return;
    cl = calloc(1, sizeof(*cl));
    if (!cl)
        return;
    uv_pipe_init(c->loop, &cl->pipe, 0);
    cl->pipe.data = cl;
    cl->ctl = c;
    cl->next = c->clients;
    c->clients = cl;
    c->open_handles++;
    if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0 ||
        uv_read_start((uv_stream_t *)&cl->pipe, on_alloc, on_read) != 0)
        opend_client_close(cl);
}

static void on_server_closed(uv_handle_t *h)
{
    release(h->data);
}

int control_open(control **out, uv_loop_t *loop, const char *path,
                 control_fn fn, void *ctx, char *err, size_t errlen)
{
    control *c = calloc(1, sizeof(*c));
    int rc;

    if (!c || !(c->path = strdup(path))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->loop = loop;
    c->fn = fn;
    c->ctx = ctx;
    uv_pipe_init(loop, &c->server, 0);
    c->server.data = c;
    c->open_handles = 1;
    unlink(path);
    rc = uv_pipe_bind(&c->server, path);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&c->server, 8, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, uv_strerror(rc));
        c->closing = true;
        uv_close((uv_handle_t *)&c->server, on_server_closed);
        return rc;
    }
    *out = c;
    return 0;
}

void control_close(control *c)
{
    if (!c || c->closing)
        return;
    c->closing = true;
    unlink(c->path);
    for (struct cclient *cl = c->clients; cl; cl = cl->next)
        opend_client_close(cl);
    uv_close((uv_handle_t *)&c->server, on_server_closed);
}

int control_client(const char *path, int argc, char **argv, FILE *out,
                   FILE *errf)
{
    struct sockaddr_un sa;
    char line[CONTROL_LINE_MAX + 1];
    char reply[CONTROL_REPLY_MAX + 2];
    size_t len = 0;
    size_t got = 0;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        fprintf(errf, "opend-sim ctl: socket path too long: %s\n", path);
        return 2;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    for (int i = 0; i < argc; i++) {
        int n = snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "",
                         argv[i]);
        if (n < 0 || (size_t)n >= sizeof(line) - len - 1) {
            fprintf(errf, "opend-sim ctl: command too long\n");
            return 1;
        }
        len += (size_t)n;
    }
    line[len++] = '\n';
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        fprintf(errf, "opend-sim ctl: cannot connect to %s: %s\n", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return 2;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(errf, "opend-sim ctl: write failed: %s\n", strerror(errno));
            close(fd);
            return 2;
        }
        off += (size_t)w;
    }
    while (got < sizeof(reply) - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t r;

        if (poll(&p, 1, 10000) <= 0)
            break;
        r = read(fd, reply + got, sizeof(reply) - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (memchr(reply, '\n', got))
            break;
    }
    close(fd);
    reply[got] = '\0';
    if (!memchr(reply, '\n', got)) {
        fprintf(errf, "opend-sim ctl: no reply from %s\n", path);
        return 2;
    }
    *strchr(reply, '\n') = '\0';
    fprintf(out, "%s\n", reply);
    return strncmp(reply, "OK", 2) == 0 ? 0 : 1;
}
