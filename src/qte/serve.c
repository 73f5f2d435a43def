/*
 * serve.c - `qte-engine serve`: wiring of the daemon (contract in
 * serve.h). No logic of its own beyond start-up order and the stop.
 *
 * Start-up: early signals (a TERM during start-up becomes a clean stop),
 * lock file, store (PostgreSQL when QTE_DATABASE_URL is set, else the
 * SQLite file QTE_SQLITE_PATH, else none), engine, keyring, audit log,
 * TLS pair, the two HTTP servers, the Redis publisher thread; then
 * qte_engine_run on this thread. When the replay ends the daemon keeps
 * serving its final state until SIGTERM/SIGINT. SIGHUP reopens qte.log
 * and the audit log (logrotate); it is noticed between events and every
 * 100 ms while idle.
 *
 * Stop: `stopping` is set from the signal latch; the replay returns within
 * one event (or 50 ms while paused), the Redis thread publishes a last
 * time and exits, the HTTP servers stop, the engine and the store close.
 */
#include "qte/serve.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "qte/ops.h"
#include "qte/store_pg.h"
#include "svc/life.h"
#include "svc/notify.h"

#define REDIS_PERIOD_MS 1000

static volatile sig_atomic_t g_hup;
static qte_daemon *g_daemon; /* for stop_asked(), set once in run */

static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}

static void handle_hup(qte_daemon *d)
{
    if (!g_hup)
        return;
    g_hup = 0;
    log_reopen();
    qte_audit_reopen(&d->audit);
    LOG(LOG_INFO, LC_QTE, "logs_reopened");
}

static bool stop_asked(void)
{
    if (g_daemon)
        handle_hup(g_daemon);
    if (svc_life_early_stop() != 0 && g_daemon)
        atomic_store(&g_daemon->stopping, true);
    return g_daemon && atomic_load(&g_daemon->stopping);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void publish_once(qte_daemon *d)
{
    qte_stats st;
    svc_buf pf = {0};
    svc_buf pos = {0};
    qte_engine_stats(d->eng, &st);
    qte_engine_json_portfolio(d->eng, &pf);
    qte_engine_json_positions(d->eng, &pos);
    qte_redis_publish(&d->redis, &st, pf.oom ? NULL : pf.p,
                      pos.oom ? NULL : pos.p);
    svc_buf_free(&pf);
    svc_buf_free(&pos);
}

static void *redis_main(void *arg)
{
    qte_daemon *d = arg;
    while (!atomic_load(&d->stopping)) {
        publish_once(d);
        for (int i = 0; i < REDIS_PERIOD_MS / 50 && !atomic_load(&d->stopping);
             i++)
            sleep_ms(50);
    }
    publish_once(d); /* the state at the stop */
    return NULL;
}

static int open_store(qte_daemon *d, char *err, size_t errlen)
{
    int rc = qte_store_open_config(&d->store, d->cfg, err, errlen);
    d->store_open = rc == 1;
    return rc < 0 ? -1 : 0;
}

static int start_http(qte_daemon *d)
{
    const qte_config *c = d->cfg;
    svc_http_opts o = {
        .host = c->http_bind,
        .port = c->http_port,
        .log_component = LC_QTE,
        .routes = qte_api_routes,
        .n_routes = qte_api_nroutes,
        .ud = d,
        .tls_cert_pem = d->tls_cert,
        .tls_key_pem = d->tls_key,
    };
    if (svc_http_start(&d->api, &o) != 0)
        return -1;
    o.port = c->admin_port;
    o.routes = qte_admin_routes;
    o.n_routes = qte_admin_nroutes;
    return svc_http_start(&d->admin, &o);
}

static int start(qte_daemon *d)
{
    const qte_config *c = d->cfg;
    char err[512];
    if (c->tls_cert[0] || c->tls_key[0]) {
        if (qte_ops_read_file(c->tls_cert, &d->tls_cert, err, sizeof(err)) ||
            qte_ops_read_file(c->tls_key, &d->tls_key, err, sizeof(err))) {
            LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=tls error=\"%s\"",
                err);
            return -1;
        }
    }
    if (open_store(d, err, sizeof(err)) != 0) {
        LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=store error=\"%s\"",
            err);
        return -1;
    }
    d->eng =
        qte_engine_new(c, d->store_open ? &d->store : NULL, err, sizeof(err));
    if (!d->eng) {
        LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=engine error=\"%s\"",
            err);
        return -1;
    }
    qte_engine_set_observer(d->eng, qte_metrics_observe, &d->m);
    if (start_http(d) != 0) {
        LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=http");
        return -1;
    }
    if (c->redis_url[0]) {
        if (qte_redis_init(&d->redis, c->redis_url, err, sizeof(err)) != 0) {
            LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=redis error=\"%s\"",
                err);
            return -1;
        }
        d->redis_on = true;
        d->redis_started =
            pthread_create(&d->redis_thread, NULL, redis_main, d) == 0;
    }
    return 0;
}

static void stop_all(qte_daemon *d)
{
    atomic_store(&d->stopping, true);
    if (d->redis_started)
        pthread_join(d->redis_thread, NULL);
    d->redis_started = false;
    qte_redis_free(&d->redis);
    svc_http_stop(&d->api);
    svc_http_stop(&d->admin);
    qte_engine_free(d->eng);
    d->eng = NULL;
    if (d->store_open)
        d->store.ops->close(&d->store);
    d->store_open = false;
    free(d->tls_cert);
    free(d->tls_key);
    d->tls_cert = d->tls_key = NULL;
}

static void replay(qte_daemon *d)
{
    qte_stats st;
    int rc = qte_engine_run(d->eng, stop_asked);
    atomic_store(&d->run_result, rc);
    qte_engine_stats(d->eng, &st);
    if (rc < 0) {
        snprintf(d->run_error, sizeof(d->run_error), "%s",
                 qte_engine_error(d->eng));
        LOG(LOG_ERROR, LC_QTE,
            "qte_replay_error error=\"%s\" events=%llu action=serve_state",
            d->run_error, (unsigned long long)st.processed);
        return;
    }
    LOG(LOG_INFO, LC_QTE,
        "qte_replay_%s events=%llu ticks=%llu trades=%llu orders=%llu "
        "total_value=%.3f",
        rc == 0 ? "done" : "stopped", (unsigned long long)st.processed,
        (unsigned long long)st.ticks, (unsigned long long)st.trades,
        (unsigned long long)st.orders, st.total_value);
}

int qte_serve_run(const qte_config *cfg)
{
    static qte_daemon d;
    struct sigaction sa;
    int lock_fd = -1;
    int code = 0;
    memset(&d, 0, sizeof(d));
    d.cfg = cfg;
    atomic_store(&d.run_result, 99);
    svc_life_early_signals();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    g_daemon = &d;
    if (cfg->lock_file[0] && svc_lock_acquire(cfg->lock_file, &lock_fd) != 0) {
        LOG(LOG_ERROR, LC_QTE, "qte_exit code=1 reason=lock_held path=%s",
            cfg->lock_file);
        return 1;
    }
    qte_metrics_init(&d.m, cfg->slow_ms);
    qte_keyring_init(&d.keys, cfg->keys_file);
    qte_audit_open(&d.audit, cfg->audit_log);
    if (start(&d) != 0) {
        code = 1;
        goto out;
    }
    int64_t ck_events = 0;
    int how = qte_engine_resume_info(d.eng, &ck_events);
    LOG(LOG_INFO, LC_QTE,
        "qte_serve_started version=%s run_id=%s start=%s "
        "checkpoint_events=%lld mode=%s http_port=%d admin_port=%d tls=%s "
        "store=%s redis=%s keys=%zu",
        HK_VERSION, qte_engine_run_id(d.eng),
        how == 1 ? "resumed" : (how == 2 ? "already_complete" : "fresh"),
        (long long)ck_events, qte_mode_name(cfg->mode), d.api.port,
        d.admin.port, d.tls_cert ? "on" : "off",
        d.store_open ? d.store.kind : "none", d.redis_on ? "on" : "off",
        qte_keyring_count(&d.keys));
    svc_notify_ready();
    replay(&d);
    while (!stop_asked())
        sleep_ms(100);
    svc_notify_stopping();
out:
    stop_all(&d);
    LOG(LOG_INFO, LC_QTE, "qte_exit code=%d reason=%s", code,
        code ? "start_failed" : "signal");
    qte_audit_close(&d.audit);
    qte_keyring_free(&d.keys);
    svc_lock_release(lock_fd);
    g_daemon = NULL;
    return code;
}
