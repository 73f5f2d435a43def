/*
 * life.c - lock file, early and libuv signals, stop, admin hook (see
 * life.h).
 *
 * The early handler only stores the signal number; svc_life_start reads
 * it once after the libuv handlers are in place, so a signal arriving in
 * between is seen by one of the two (libuv's handler replaces ours with
 * sigaction, and a pending early value is honoured right after).
 * Stop order: stopping is set first, so a signal or an admin post racing
 * the stop is ignored; the signal handles are closed so the loop can end.
 * svc_admin_post may run on any thread: it ORs bits into an atomic and
 * calls uv_async_send, the one libuv call that is thread-safe. Posting
 * after close is prevented by `open`, which only the event thread clears
 * and which the HTTP server outlives (the daemon stops HTTP first).
 */
#include "svc/life.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int svc_lock_acquire(const char *path, int *fd)
{
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (*fd < 0)
        return -errno;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return -e;
    }
    return 0;
}

void svc_lock_release(int fd)
{
    if (fd >= 0)
        close(fd);
}

static volatile sig_atomic_t g_early_stop;

static void early_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        g_early_stop = sig;
}

void svc_life_early_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = early_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

int svc_life_early_stop(void)
{
    return g_early_stop;
}

static const char *sig_name(int signum)
{
    return signum == SIGTERM ? "SIGTERM" : "SIGINT";
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

static void close_signals(svc_life *l)
{
    for (int i = 0; i < 4 && l->started; i++)
        uv_close((uv_handle_t *)&l->sig[i], on_closed);
    l->started = false;
}

static void begin_stop(svc_life *l, const char *signame, bool early)
{
    if (l->stopping)
        return;
    l->stopping = true;
    close_signals(l);
    if (l->cb.on_stop)
        l->cb.on_stop(l, signame, early);
}

static void on_signal(uv_signal_t *s, int signum)
{
    svc_life *l = s->data;
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        begin_stop(l, sig_name(signum), false);
        break;
    case SIGHUP:
        if (l->cb.on_reload && !l->stopping)
            l->cb.on_reload(l);
        break;
    case SIGUSR1:
        if (l->cb.on_dump)
            l->cb.on_dump(l);
        break;
    }
}

bool svc_life_start(svc_life *l, uv_loop_t *loop, const svc_life_cbs *cb,
                    void *ud)
{
    static const int nums[4] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    l->cb = *cb;
    l->ud = ud;
    for (int i = 0; i < 4; i++) {
        uv_signal_init(loop, &l->sig[i]);
        l->sig[i].data = l;
        uv_signal_start(&l->sig[i], on_signal, nums[i]);
    }
    l->started = true;
    if (g_early_stop) {
        begin_stop(l, sig_name(g_early_stop), true);
        return true;
    }
    return false;
}

void svc_life_stop(svc_life *l, int code, const char *reason)
{
    if (code && !l->exit_code)
        l->exit_code = code;
    if (reason && !l->exit_reason)
        l->exit_reason = reason;
    begin_stop(l, NULL, false);
}

int64_t svc_life_drain_ms(const svc_life *l, double normal_sec,
                          int64_t fatal_ms)
{
    return l->exit_code ? fatal_ms : (int64_t)(normal_sec * 1000.0);
}

static void on_async(uv_async_t *h)
{
    svc_admin *a = h->data;
    int act = atomic_exchange(&a->pending, 0);
    if (act && a->fn)
        a->fn(a, act);
}

int svc_admin_init(svc_admin *a, uv_loop_t *loop, svc_admin_fn fn, void *ud)
{
    int rc;
    atomic_init(&a->pending, 0);
    atomic_init(&a->open, false);
    a->fn = fn;
    a->ud = ud;
    rc = uv_async_init(loop, &a->async, on_async);
    if (rc != 0)
        return rc;
    a->async.data = a;
    atomic_store(&a->open, true);
    return 0;
}

void svc_admin_post(svc_admin *a, int actions)
{
    atomic_fetch_or(&a->pending, actions);
    if (atomic_load(&a->open))
        uv_async_send(&a->async);
}

void svc_admin_close(svc_admin *a)
{
    if (!atomic_exchange(&a->open, false))
        return;
    uv_close((uv_handle_t *)&a->async, on_closed);
}
