/*
 * main.c - hk-tick-collector: wires config, queue, spool, writer, feed,
 * health and HTTP together on one libuv loop. Wiring only: the work is in
 * the modules, the daemon plumbing in the service library (svc/).
 *
 * Start-up: load and validate config (exit 78 on any invalid variable,
 * before touching a file) -> create DATA_ROOT, take its advisory lock
 * (svc_lock_acquire) -> adopt spools left by earlier runs (spool_scan,
 * spool_adopt) -> seed per-symbol max seq and the gap detector
 * (seed_recent_days) -> start the writer thread, health, HTTP, signals
 * (svc_life_start) -> connect to OpenD.
 * Shutdown (SIGTERM/SIGINT, or watchdog give-up through svc_life_stop):
 * stop HTTP and the admin hook, close the session and timers; when the
 * loop ends, the writer drains queue and spool until STOP_FLUSH_TIMEOUT_SEC
 * (5 s after a fatal error: svc_life_drain_ms), checkpoints; rows that
 * could not be committed go to a crash spool replayed at the next start.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/health.h"
#include "collector/http.h"
#include "collector/page.h"
#include "collector/phase.h"
#include "collector/publish.h"
#include "collector/queue.h"
#include "collector/seed.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/telegram.h"
#include "collector/writer.h"
#include "common/hktime.h"
#include "common/log.h"
#include "svc/life.h"
#include "svc/notify.h"

#define SYMTAB_CAP 65536
#define FATAL_DRAIN_MS 5000

typedef struct daemon {
    config cfg;
    char env_file[1024];
    char config_file[1024];
    char app_dir[1024];
    uv_loop_t loop;
    symtab syms;
    queue q;
    spool sp;
    writer w;
    publish pub; /* NATS publisher (NATS_URL) */
    feed f;
    health h;
    http_ctx http;
    telegram tg;
    page_ring ring;  /* status page's minute ring (page.h) */
    svc_admin admin; /* HTTP_ADMIN_* bits from the HTTP thread */
    svc_life life;   /* signals, stop, exit code and reason */
    opend_crypto_ctx *cipher;
    int lock_fd;
} daemon_t;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: hk-tick-collector [--config PATH] [--env-file PATH]\n"
            "                         [--check-config]\n"
            "\n"
            "Collects every HK tick-by-tick trade from Futu OpenD into one\n"
            "SQLite file per HK trading day: DATA_ROOT/YYYYMMDD.db.\n"
            "\n"
            "Options:\n"
            "  --env-file PATH   read KEY=VALUE settings from PATH (fills\n"
            "                    names the environment leaves unset; also\n"
            "                    $ENV_FILE). SIGHUP re-reads it.\n"
            "  --config PATH     a KEY=VALUE config file below the\n"
            "                    environment (also $CONFIG_FILE); unknown\n"
            "                    keys are errors\n"
            "  --check-config    print the effective configuration with the\n"
            "                    source of each value, then exit (0 valid,\n"
            "                    78 invalid)\n"
            "  --help-config     print every variable, default and bound\n"
            "                    (Markdown)\n"
            "  --version         print the version\n"
            "  -h, --help        this text\n"
            "\n"
            "Configuration is by environment variables (see\n"
            "deploy/env/hk-tick-collector.env.example and docs/config.md);\n"
            "FUTU_SYMBOLS is required.\n"
            "\n"
            "Signals: TERM/INT drain and exit 0; HUP reload symbols;\n"
            "USR1 log a diagnostic dump.\n"
            "Exit codes: 0 clean stop, 1 runtime failure (rows spooled),\n"
            "78 invalid configuration.\n");
}

static void find_app_dir(daemon_t *d)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *dir = dirname(exe); /* .../bin */
    if (strcmp(basename(dir), "bin") != 0)
        return;
    snprintf(d->app_dir, sizeof(d->app_dir), "%s", dirname(dir));
}

/* ---- start-up ------------------------------------------------------------ */

/*
 * Rows left by earlier runs (*.spool under DATA_ROOT/_spool) are copied
 * into this run's live spool, oldest file first, synced, and the old file
 * deleted. The writer commits them ahead of anything new once it starts;
 * nothing here touches SQLite, so start-up never waits on a locked file.
 */
static void replay_spools(daemon_t *d)
{
    char **paths;
    size_t n;

    if (spool_scan(d->cfg.data_root, &paths, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char used[1500];
        long skipped = 0;
        long rows = spool_adopt(&d->sp, paths[i], &d->syms, &skipped, used,
                                sizeof(used));
        if (rows < 0) {
            LOG(LOG_ERROR, LC_COLLECTOR,
                "spool_replay_failed path=%s err=\"%s\" action=kept", used,
                strerror((int)-rows));
            continue;
        }
        if (skipped > 0) /* their bytes are in _spool/quarantine/ */
            LOG(LOG_ERROR, LC_COLLECTOR,
                "spool_rows_set_aside rows=%ld reason=symbol_budget path=%s",
                skipped, used);
        LOG(LOG_INFO, LC_COLLECTOR,
            "spool_replayed rows=%ld path=%s requeued=%ld", rows, used, rows);
    }
    spool_scan_free(paths, n);
}

/* Create DATA_ROOT and take its lock. Returns 0 or the exit code. */
static int open_data_root(daemon_t *d)
{
    char q[1100], lock[1200];

    if (mkdir(d->cfg.data_root, 0750) != 0 && errno != EEXIST) {
        /* config_check_data_root said the parent is writable */
        LOG(LOG_ERROR, LC_MAIN,
            "config_error var=DATA_ROOT value=%s "
            "reason=\"mkdir: %s\"",
            log_quote(d->cfg.data_root, q, sizeof(q)), strerror(errno));
        return CONFIG_EXIT_INVALID;
    }
    snprintf(lock, sizeof(lock), "%s/.hk-tick-collector.lock",
             d->cfg.data_root);
    if (svc_lock_acquire(lock, &d->lock_fd) != 0) {
        LOG(LOG_ERROR, LC_MAIN,
            "collector_exit code=1 reason=data_root_locked rows_pending=0 "
            "lock=%s",
            lock);
        return 1;
    }
    return 0;
}

/* Holiday file, RSA key, symbol table, queue, spool, writer. Returns 0 or
 * the exit code (logged). */
static int init_modules(daemon_t *d)
{
    config *cfg = &d->cfg;

    phase_load_holiday_file(cfg);
    if (cfg->rsa_key_file[0]) {
        char err[256];
        if (opend_crypto_open(cfg->rsa_key_file, &d->cipher, err,
                              sizeof(err)) != 0) {
            LOG(LOG_ERROR, LC_MAIN,
                "config_error var=FUTU_RSA_KEY_FILE "
                "value=%s reason=\"%s\"",
                cfg->rsa_key_file, err);
            return CONFIG_EXIT_INVALID;
        }
    }
    if (symtab_init(&d->syms, SYMTAB_CAP) != 0 ||
        queue_init(&d->q, (size_t)cfg->max_queue_size) != 0 ||
        spool_init(&d->sp, cfg->data_root) != 0 ||
        writer_init(&d->w, cfg, &d->syms, &d->q, &d->sp) != 0 ||
        publish_init(&d->pub, cfg) != 0) {
        LOG(LOG_CRITICAL, LC_MAIN,
            "collector_exit code=1 reason=oom "
            "rows_pending=0");
        return 1;
    }
    for (int i = 0; i < cfg->n_symbols; i++) {
        uint32_t id =
            symtab_intern(&d->syms, cfg->symbols[i], strlen(cfg->symbols[i]));
        if (id != SYMTAB_NONE)
            symtab_mark_configured(&d->syms, id);
    }
    return 0;
}

/* ---- signals, admin and shutdown ---------------------------------------- */

static void begin_shutdown(daemon_t *d)
{
    svc_notify_stopping();
    http_stop(&d->http);
    svc_admin_close(&d->admin);
    feed_stop(&d->f);
    health_stop(&d->h);
    telegram_close(&d->tg, d->life.exit_code ? d->life.exit_reason : NULL);
}

static void on_stop(svc_life *l, const char *signame, bool early)
{
    daemon_t *d = l->ud;
    if (signame) {
        LOG(LOG_INFO, LC_MAIN, "shutdown signal received signal=%s%s", signame,
            early ? " during=startup" : "");
        l->exit_reason = "signal";
    }
    begin_shutdown(d);
}

static void on_fatal(health *h, const char *reason)
{
    daemon_t *d = h->ud;
    svc_life_stop(&d->life, 1, reason);
}

static void reload(daemon_t *d)
{
    static config next; /* large; only used here, on the event thread */
    config_load_opts o = {
        .env_file = d->env_file[0] ? d->env_file : NULL,
        .config_file = d->config_file[0] ? d->config_file : NULL,
        .app_dir = d->app_dir[0] ? d->app_dir : NULL,
        .file_overrides = true,
    };
    int errors = config_load(&next, &o);
    if (errors > 0) {
        LOG(LOG_ERROR, LC_MAIN,
            "config_reload_failed errors=%d "
            "action=keep_running_with_previous_config",
            errors);
        return;
    }
    log_level_set(next.log_level);
    d->cfg.log_level = next.log_level;
    feed_apply_symbols(&d->f, &next);
}

static void on_reload(svc_life *l)
{
    daemon_t *d = l->ud;
    /* logrotate moved the file: reopen first, so this line lands in the
     * new one. */
    if (log_reopen() != 0)
        LOG(LOG_ERROR, LC_MAIN, "log_reopen_failed path=%s", d->cfg.log_file);
    LOG(LOG_INFO, LC_MAIN, "reload signal received signal=SIGHUP");
    reload(d);
}

static void on_dump(svc_life *l)
{
    daemon_t *d = l->ud;
    health_dump(&d->h, "sigusr1", LOG_WARNING);
}

/* Event thread: carry out admin requests posted by the HTTP thread. */
static void on_admin(svc_admin *a, int act)
{
    daemon_t *d = a->ud;
    if (d->life.stopping)
        return;
    if (act & HTTP_ADMIN_FLUSH)
        queue_kick(&d->q);
    if (act & HTTP_ADMIN_RELOAD)
        reload(d);
    if (act & HTTP_ADMIN_RESUBSCRIBE) {
        LOG(LOG_INFO, LC_FUTU, "admin_resubscribe action=reconnect");
        feed_resubscribe(&d->f);
    }
}

static void on_first_up(feed *f)
{
    (void)f;
}

/* Write every row not yet committed to a crash spool. */
static size_t preserve_rows(daemon_t *d)
{
    size_t qn = queue_len(&d->q);
    size_t bn = d->w.batch_len;
    size_t total = qn + bn;
    size_t live = spool_pending(&d->sp);
    row *all;

    if (total > 0) {
        all = malloc(total * sizeof(row));
        if (all) {
            memcpy(all, d->w.batch, bn * sizeof(row));
            size_t got = queue_take(&d->q, all + bn, qn, 0);
            char path[1400] = "";
            int rc = spool_write_crash(d->cfg.data_root, all, bn + got,
                                       &d->syms, path, sizeof(path));
            if (rc == 0)
                LOG(LOG_ERROR, LC_COLLECTOR,
                    "rows_spooled rows=%zu path=%s reason=%s", bn + got, path,
                    d->life.exit_reason ? d->life.exit_reason : "stop_timeout");
            else if (path[0] && access(path, F_OK) == 0)
                /* Written but not synced: the file stays and the next
                 * start replays it, so the rows are not lost (yet). */
                LOG(LOG_ERROR, LC_COLLECTOR,
                    "rows_spooled rows=%zu path=%s reason=%s "
                    "sync_err=\"%s\"",
                    bn + got, path,
                    d->life.exit_reason ? d->life.exit_reason : "stop_timeout",
                    strerror(-rc));
            else
                LOG(LOG_ERROR, LC_COLLECTOR,
                    "rows_lost rows=%zu reason=\"spool write failed: %s\"",
                    bn + got, strerror(-rc));
            free(all);
        } else {
            LOG(LOG_ERROR, LC_COLLECTOR, "rows_lost rows=%zu reason=oom",
                total);
        }
    }
    if (live > 0) {
        /* The live spool stays on disk and is replayed at the next start. */
        char keep[1400];
        snprintf(keep, sizeof(keep), "%s.pending.spool", d->sp.path);
        if (rename(d->sp.path, keep) == 0) {
            LOG(LOG_ERROR, LC_COLLECTOR,
                "rows_spooled rows=%zu path=%s reason=%s", live, keep,
                d->life.exit_reason ? d->life.exit_reason : "stop_timeout");
            atomic_store(&d->sp.pending, 0);
        } else {
            /* Leave live-<pid>.spool in place (spool_free keeps a
             * non-empty file): the next start replays every *.spool. */
            LOG(LOG_ERROR, LC_COLLECTOR,
                "rows_spooled rows=%zu path=%s reason=%s", live, d->sp.path,
                d->life.exit_reason ? d->life.exit_reason : "stop_timeout");
        }
    }
    return total + live;
}

/* Start feed, health, writer, admin hook, HTTP and signals on the loop.
 * Returns 0 or the exit code (logged). */
static int start_services(daemon_t *d)
{
    static const svc_life_cbs cbs = {
        .on_stop = on_stop, .on_reload = on_reload, .on_dump = on_dump};
    config *cfg = &d->cfg;

    uv_loop_init(&d->loop);
    if (feed_init(&d->f, cfg, &d->loop, &d->syms, &d->q, &d->sp, &d->w,
                  d->cipher) != 0)
        return 1;
    d->f.on_first_up = on_first_up;
    health_init(&d->h, cfg, &d->f, &d->w, &d->q, &d->sp, &d->loop);
    d->h.on_fatal = on_fatal;
    page_ring_init(&d->ring, cfg, &d->f, &d->w, &d->syms);
    d->h.ring = &d->ring;
    d->h.ud = d;
    if (writer_start(&d->w) != 0) {
        LOG(LOG_CRITICAL, LC_MAIN,
            "collector_exit code=1 "
            "reason=writer_start_failed rows_pending=0");
        return 1;
    }
    if (d->pub.enabled) {
        d->w.on_commit = publish_wake;
        d->w.on_commit_ud = &d->pub;
        if (publish_start(&d->pub) != 0)
            LOG(LOG_ERROR, LC_MAIN,
                "nats_publish_failed reason=thread_start action=off");
    }
    svc_admin_init(&d->admin, &d->loop, on_admin, d);
    health_start(&d->h);
    (void)telegram_start(&d->tg, cfg, &d->loop, &d->h);
    d->http = (http_ctx){.cfg = cfg,
                         .h = &d->h,
                         .w = &d->w,
                         .q = &d->q,
                         .sp = &d->sp,
                         .pub = &d->pub,
                         .admin = &d->admin,
                         .ring = &d->ring};
    /* Collecting matters more than the endpoint: keep going without it
     * (the failure is logged, and /metrics being absent alerts). */
    (void)http_start(&d->http);
    svc_notify_ready();
    /* A TERM/INT caught during start-up stops us here instead. */
    if (!svc_life_start(&d->life, &d->loop, &cbs, d))
        feed_start(&d->f);
    return 0;
}

/* After the loop: let the writer drain, spool what it cannot, log the
 * exit. Returns the exit code. */
static int drain(daemon_t *d)
{
    config *cfg = &d->cfg;
    int64_t limit = svc_life_drain_ms(&d->life, cfg->stop_flush_timeout_sec,
                                      FATAL_DRAIN_MS);
    size_t pending;

    LOG(LOG_INFO, LC_COLLECTOR,
        "collector_draining queue=%zu/%zu "
        "spool_rows=%zu timeout_sec=%.1f",
        queue_len(&d->q), d->q.cap, spool_pending(&d->sp),
        (double)limit / 1000.0);
    /* The publisher flushes in parallel, within the same bound. */
    publish_stop(&d->pub, hktime_mono_ms() + limit);
    writer_stop(&d->w, hktime_mono_ms() + limit);
    if (writer_join_timed(&d->w, (int)limit + 5000) != 0) {
        /* The writer is stuck inside SQLite (hung I/O): keep what is
         * still queued plus the batch it is blocked on (stable while it
         * waits; a duplicate is harmless), then leave without touching
         * its connections. */
        size_t kept = preserve_rows(d);
        LOG(LOG_ERROR, LC_MAIN,
            "collector_exit code=1 reason=writer_hung rows_pending=%zu", kept);
        _exit(1);
    }
    pending = queue_len(&d->q) + spool_pending(&d->sp) + d->w.batch_len;
    if (atomic_load(&d->w.timed_out) || pending > 0) {
        if (!d->life.exit_code)
            LOG(LOG_ERROR, LC_COLLECTOR,
                "collector_stop_timeout timeout_sec=%d queue=%zu/%zu "
                "cancel_on_timeout=True",
                cfg->stop_flush_timeout_sec, queue_len(&d->q), d->q.cap);
        pending = preserve_rows(d);
        d->life.exit_code = 1;
        if (!d->life.exit_reason || strcmp(d->life.exit_reason, "signal") == 0)
            d->life.exit_reason = "stop_timeout";
    }
    publish_join(&d->pub);
    writer_close_all(&d->w);
    LOG(d->life.exit_code ? LOG_ERROR : LOG_INFO, LC_MAIN,
        "collector_exit code=%d reason=%s rows_pending=%zu", d->life.exit_code,
        d->life.exit_reason ? d->life.exit_reason : "signal", pending);
    return d->life.exit_code;
}

static int run(daemon_t *d)
{
    config *cfg = &d->cfg;
    char q[1100];
    int rc;

    rc = open_data_root(d);
    if (rc == 0)
        rc = init_modules(d);
    if (rc != 0)
        return rc;
    LOG(LOG_INFO, LC_MAIN,
        "collector_started version=%s pid=%ld data_root=%s symbols=%d "
        "queue_capacity=%d instance=%s",
        HK_VERSION, (long)getpid(), log_quote(cfg->data_root, q, sizeof(q)),
        cfg->n_symbols, cfg->max_queue_size,
        cfg->instance_id[0] ? cfg->instance_id : "none");
    replay_spools(d);
    seed_recent_days(cfg, &d->syms, &d->w);
    rc = start_services(d);
    if (rc != 0)
        return rc;
    uv_run(&d->loop, UV_RUN_DEFAULT);
    rc = drain(d);
    uv_run(&d->loop, UV_RUN_NOWAIT);
    telegram_free(&d->tg);
    uv_loop_close(&d->loop);
    http_stop(&d->http); /* idempotent; the page reads the ring */
    page_ring_free(&d->ring);
    feed_free(&d->f);
    writer_free(&d->w);
    publish_free(&d->pub);
    spool_free(&d->sp);
    queue_free(&d->q);
    symtab_free(&d->syms);
    if (d->cipher)
        opend_crypto_free(d->cipher);
    svc_lock_release(d->lock_fd);
    return rc;
}

int main(int argc, char **argv)
{
    static daemon_t d = {.lock_fd = -1};
    static const struct option opts[] = {
        {"env-file", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'C'},
        {"check-config", no_argument, NULL, 'c'},
        {"version", no_argument, NULL, 'V'},
        {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool check = false;
    int ch;

    svc_life_early_signals();
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            snprintf(d.env_file, sizeof(d.env_file), "%s", optarg);
            break;
        case 'C':
            snprintf(d.config_file, sizeof(d.config_file), "%s", optarg);
            break;
        case 'c':
            check = true;
            break;
        case 'H':
            config_print_reference(1);
            return 0;
        case 'V':
            printf("hk-tick-collector %s\n", HK_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return CONFIG_EXIT_INVALID;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hk-tick-collector: unexpected argument '%s'\n",
                argv[optind]);
        usage(stderr);
        return CONFIG_EXIT_INVALID;
    }
    find_app_dir(&d);
    config_load_opts lo = {
        .env_file = d.env_file[0] ? d.env_file : NULL,
        .config_file = d.config_file[0] ? d.config_file : NULL,
        .app_dir = d.app_dir[0] ? d.app_dir : NULL,
    };
    int errors = config_load(&d.cfg, &lo);
    errors += tgconf_check(&d.cfg.tg, false);
    if (d.cfg.env_file[0])
        snprintf(d.env_file, sizeof(d.env_file), "%s", d.cfg.env_file);
    if (d.cfg.config_file[0])
        snprintf(d.config_file, sizeof(d.config_file), "%s", d.cfg.config_file);
    if (errors == 0 && !check && d.cfg.log_file[0]) {
        int rc = log_open_file(d.cfg.log_file);
        if (rc != 0) {
            LOG(LOG_ERROR, LC_MAIN,
                "config_error var=LOG_FILE value=%s "
                "reason=\"%s\"",
                d.cfg.log_file, strerror(-rc));
            errors++;
        }
    }
    log_set_json(strcmp(d.cfg.log_format, "json") == 0);
    if (errors == 0 && config_check_data_root(&d.cfg) != 0)
        errors++;
    log_level_set(d.cfg.log_level);
    if (check)
        config_print(&d.cfg, 1);
    if (errors > 0) {
        LOG(LOG_ERROR, LC_MAIN,
            "collector_exit code=78 reason=config_error errors=%d "
            "rows_pending=0",
            errors);
        return CONFIG_EXIT_INVALID;
    }
    if (check)
        return 0;
    return run(&d);
}
