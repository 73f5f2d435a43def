/*
 * main.c - hk-tick-collector: wires config, queue, spool, writer, feed and
 * health together on one libuv loop, and runs start-up and shutdown.
 *
 * Start-up: load and validate config (exit 78 on any invalid variable,
 * before touching a file) -> create DATA_ROOT, take its advisory lock ->
 * replay spools left by earlier runs -> seed per-symbol max seq from recent
 * day files -> start the writer thread -> connect to OpenD.
 * Shutdown (SIGTERM/SIGINT, or watchdog give-up): stop reading, close the
 * session and timers, let the writer drain queue and spool until
 * STOP_FLUSH_TIMEOUT_SEC (5 s for a fatal exit), checkpoint; rows that
 * could not be committed go to a crash spool replayed at the next start.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/health.h"
#include "collector/http.h"
#include "collector/phase.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/telegram.h"
#include "collector/writer.h"
#include "common/hktime.h"
#include "common/log.h"

#define SYMTAB_CAP 65536

/*
 * A stop requested before the event loop's signal handlers exist (during
 * config, spool replay, seeding) is remembered here and honoured as soon
 * as the loop starts, instead of killing the process mid-start. Written
 * only by early_signal (async-signal-safe), read once by run().
 */
static volatile sig_atomic_t g_early_stop;

static void early_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
        g_early_stop = sig;
}

static void install_early_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = early_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

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
    feed f;
    health h;
    http_ctx http;
    telegram tg;
    uv_async_t admin_async;
    atomic_int admin_pending; /* HTTP_ADMIN_* bits, set by the HTTP thread */
    opend_crypto_ctx *cipher;
    uv_signal_t sig_term, sig_int, sig_hup, sig_usr1;
    int exit_code;
    const char *exit_reason;
    bool shutting_down;
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

/* ---- spool replay and seq seeding ---------------------------------------- */

static int requeue_chunk(const row *rows, size_t n, void *ud)
{
    daemon_t *d = ud;
    return spool_append(&d->sp, rows, n, &d->syms);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Rows left by earlier runs (*.spool under DATA_ROOT/_spool) are copied
 * into this run's live spool, oldest file first, synced, and the old file
 * deleted. The writer commits them ahead of anything new once it starts;
 * nothing here touches SQLite, so start-up never waits on a locked file.
 */
static int replay_spools(daemon_t *d)
{
    char dir[1100];
    char *names[4096];
    int n = 0;
    DIR *dh;
    struct dirent *e;

    snprintf(dir, sizeof(dir), "%s/_spool", d->cfg.data_root);
    dh = opendir(dir);
    if (!dh)
        return 0;
    while ((e = readdir(dh)) != NULL && n < 4096) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".spool") != 0)
            continue;
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(dh);
    qsort(names, (size_t)n, sizeof(char *), cmp_str);
    for (int i = 0; i < n; i++) {
        char path[1800];
        long skipped = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (strcmp(path, d->sp.path) == 0) {
            /* An old run had our pid: move it out of our live name. */
            char old[sizeof(path) + 16];
            int w = snprintf(old, sizeof(old), "%s.old.spool", path);
            if (w < 0 || (size_t)w >= sizeof(path) || rename(path, old) != 0)
                continue;
            memcpy(path, old, (size_t)w + 1);
        }
        long rows =
            spool_replay_file(path, &d->syms, requeue_chunk, d, &skipped);
        if (rows < 0 || spool_sync(&d->sp) != 0) {
            LOG(LOG_ERROR, LC_COLLECTOR,
                "spool_replay_failed path=%s err=\"%s\" action=kept", path,
                rows < 0 ? strerror((int)-rows) : "sync failed");
            continue;
        }
        if (skipped > 0)
            LOG(LOG_ERROR, LC_COLLECTOR,
                "rows_lost rows=%ld reason=symbol_table_full path=%s", skipped,
                path);
        LOG(LOG_INFO, LC_COLLECTOR,
            "spool_replayed rows=%ld path=%s requeued=%ld", rows, path, rows);
        unlink(path);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

static void seed_from(daemon_t *d, int day, char *vals, size_t cap, size_t *o)
{
    char path[1100], uri[1200];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    store_day_path(d->cfg.data_root, day, path, sizeof(path));
    snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db,
                           "SELECT symbol, MAX(max_seq), MAX(max_ts_ms) FROM "
                           "hk_symbol_totals GROUP BY symbol",
                           -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT symbol, MAX(seq), MAX(ts_ms) FROM ticks "
                           "GROUP BY symbol",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        if (!s || sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        uint32_t id = symtab_find(&d->syms, s, strlen(s));
        if (id == SYMTAB_NONE)
            continue; /* only configured symbols are polled */
        int64_t seq = sqlite3_column_int64(st, 1);
        int64_t ts = sqlite3_column_int64(st, 2);
        int64_t before = atomic_load(&d->w.persisted_seq[id]);
        writer_seed_seq(&d->w, id, seq, ts);
        if (before == WRITER_SEQ_NONE && *o < cap - 64)
            *o += (size_t)snprintf(vals + *o, cap - *o, "%s%s:%lld",
                                   *o ? "," : "", s, (long long)seq);
    }
out:
    sqlite3_finalize(st);
    if (db)
        sqlite3_close(db);
}

/* Rebuild the gap detector from today's file (compat.md §8.1 Δ). */
static void seed_gaps(daemon_t *d, int day)
{
    char path[1100], uri[1200], dstr[9];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n_max = d->w.gd.ring_len + 1;
    int64_t *ts = malloc((size_t)n_max * sizeof(int64_t));
    int seeded = 0;

    store_day_path(d->cfg.data_root, day, path, sizeof(path));
    snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
    snprintf(dstr, sizeof(dstr), "%08d", day);
    if (!ts || access(path, R_OK) != 0 ||
        sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT ts_ms FROM ticks WHERE symbol = ? AND "
                           "trading_day = ? ORDER BY ts_ms DESC LIMIT ?",
                           -1, &st, NULL) != SQLITE_OK)
        goto out;
    for (int i = 0; i < d->cfg.n_symbols; i++) {
        int n = 0;
        uint32_t id =
            symtab_find(&d->syms, d->cfg.symbols[i], strlen(d->cfg.symbols[i]));
        if (id == SYMTAB_NONE)
            continue;
        sqlite3_bind_text(st, 1, d->cfg.symbols[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, dstr, 8, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, n_max);
        while (sqlite3_step(st) == SQLITE_ROW && n < n_max)
            ts[n++] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        for (int a = 0, b = n - 1; a < b; a++, b--) {
            int64_t t = ts[a];
            ts[a] = ts[b];
            ts[b] = t;
        }
        if (n > 0) {
            writer_seed_gaps(&d->w, id, ts, n);
            seeded++;
        }
    }
    LOG(LOG_INFO, LC_COLLECTOR,
        "gap_state_rebuilt trading_day=%08d "
        "symbols=%d",
        day, seeded);
out:
    sqlite3_finalize(st);
    if (db)
        sqlite3_close(db);
    free(ts);
}

static void seed_last_seq(daemon_t *d)
{
    int days[4096];
    int n = 0;
    int today = hktime_trading_day(hktime_now_ms());
    DIR *dh = opendir(d->cfg.data_root);
    struct dirent *e;
    char used[512] = "", vals[8192] = "";
    size_t uo = 0, vo = 0;

    if (dh) {
        while ((e = readdir(dh)) != NULL && n < 4096) {
            int day;
            if (strlen(e->d_name) != 11 || strcmp(e->d_name + 8, ".db") != 0)
                continue;
            if (hktime_parse_day(e->d_name, 8, &day) == 0 && day <= today)
                days[n++] = day;
        }
        closedir(dh);
    }
    qsort(days, (size_t)n, sizeof(int), cmp_desc);
    for (int i = 0; i < n && i < d->cfg.seed_recent_db_days + 1; i++) {
        if (i >= d->cfg.seed_recent_db_days && days[i] != today)
            break;
        seed_from(d, days[i], vals, sizeof(vals), &vo);
        if (uo < sizeof(used) - 16)
            uo += (size_t)snprintf(used + uo, sizeof(used) - uo, "%s%08d",
                                   uo ? "," : "", days[i]);
    }
    LOG(LOG_INFO, LC_FUTU, "seed_last_seq seed_days=%s values=%s",
        uo ? used : "none", vo ? vals : "none");
    /* The newest day file is the one ticks continue into. */
    if (d->cfg.gap_enabled && n > 0)
        seed_gaps(d, days[0]);
}

/* ---- signals and shutdown ---------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

static void begin_shutdown(daemon_t *d)
{
    if (d->shutting_down)
        return;
    d->shutting_down = true;
    health_notify_stopping();
    http_stop(&d->http);
    uv_close((uv_handle_t *)&d->admin_async, on_handle_closed);
    feed_stop(&d->f);
    health_stop(&d->h);
    telegram_close(&d->tg, d->exit_code ? d->exit_reason : NULL);
    uv_close((uv_handle_t *)&d->sig_term, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_int, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_hup, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_usr1, on_handle_closed);
}

static void on_fatal(health *h, const char *reason)
{
    daemon_t *d = h->ud;
    d->exit_code = 1;
    d->exit_reason = reason;
    begin_shutdown(d);
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

static void on_signal(uv_signal_t *s, int signum)
{
    daemon_t *d = s->data;
    switch (signum) {
    case SIGTERM:
    case SIGINT:
        LOG(LOG_INFO, LC_MAIN, "shutdown signal received signal=%s",
            signum == SIGTERM ? "SIGTERM" : "SIGINT");
        d->exit_reason = "signal";
        begin_shutdown(d);
        break;
    case SIGHUP:
        /* logrotate moved the file: reopen first, so this line lands in
         * the new one. */
        if (log_reopen() != 0)
            LOG(LOG_ERROR, LC_MAIN, "log_reopen_failed path=%s",
                d->cfg.log_file);
        LOG(LOG_INFO, LC_MAIN, "reload signal received signal=SIGHUP");
        reload(d);
        break;
    case SIGUSR1:
        health_dump(&d->h, "sigusr1", LOG_WARNING);
        break;
    }
}

/* HTTP thread: record the request and wake the event loop. */
static void admin_request(void *ud, int action)
{
    daemon_t *d = ud;
    atomic_fetch_or(&d->admin_pending, action);
    uv_async_send(&d->admin_async);
}

/* Event thread: carry out admin requests. */
static void on_admin(uv_async_t *a)
{
    daemon_t *d = a->data;
    int act = atomic_exchange(&d->admin_pending, 0);
    if (d->shutting_down)
        return;
    if (act & HTTP_ADMIN_FLUSH)
        queue_kick(&d->q);
    if (act & HTTP_ADMIN_RELOAD)
        reload(d);
    if (act & HTTP_ADMIN_RESUBSCRIBE) {
        LOG(LOG_INFO, LC_FUTU, "admin_resubscribe action=reconnect");
        d->f.backoff_sec = d->cfg.reconnect_min_delay;
        opend_client_close(&d->f.cl, CLIENT_E_CLOSED, "admin resubscribe");
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
            char path[1400];
            int rc = spool_write_crash(d->cfg.data_root, all, bn + got,
                                       &d->syms, path, sizeof(path));
            if (rc == 0)
                LOG(LOG_ERROR, LC_COLLECTOR,
                    "rows_spooled rows=%zu path=%s reason=%s", bn + got, path,
                    d->exit_reason ? d->exit_reason : "stop_timeout");
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
                d->exit_reason ? d->exit_reason : "stop_timeout");
            atomic_store(&d->sp.pending, 0);
        } else {
            /* Leave live-<pid>.spool in place (spool_free keeps a
             * non-empty file): the next start replays every *.spool. */
            LOG(LOG_ERROR, LC_COLLECTOR,
                "rows_spooled rows=%zu path=%s reason=%s", live, d->sp.path,
                d->exit_reason ? d->exit_reason : "stop_timeout");
        }
    }
    return total + live;
}

static int run(daemon_t *d)
{
    config *cfg = &d->cfg;
    char q[1100];
    int rc;

    if (mkdir(cfg->data_root, 0750) != 0 && errno != EEXIST) {
        /* config_check_data_root said the parent is writable */
        LOG(LOG_ERROR, LC_MAIN,
            "config_error var=DATA_ROOT value=%s "
            "reason=\"mkdir: %s\"",
            log_quote(cfg->data_root, q, sizeof(q)), strerror(errno));
        return CONFIG_EXIT_INVALID;
    }
    char lock[1200];
    snprintf(lock, sizeof(lock), "%s/.hk-tick-collector.lock", cfg->data_root);
    d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        LOG(LOG_ERROR, LC_MAIN,
            "collector_exit code=1 reason=data_root_locked rows_pending=0 "
            "lock=%s",
            lock);
        return 1;
    }
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
        writer_init(&d->w, cfg, &d->syms, &d->q, &d->sp) != 0) {
        LOG(LOG_CRITICAL, LC_MAIN,
            "collector_exit code=1 reason=oom "
            "rows_pending=0");
        return 1;
    }
    for (int i = 0; i < cfg->n_symbols; i++)
        symtab_intern(&d->syms, cfg->symbols[i], strlen(cfg->symbols[i]));
    LOG(LOG_INFO, LC_MAIN,
        "collector_started version=%s pid=%ld data_root=%s symbols=%d "
        "queue_capacity=%d instance=%s",
        HK_VERSION, (long)getpid(), log_quote(cfg->data_root, q, sizeof(q)),
        cfg->n_symbols, cfg->max_queue_size,
        cfg->instance_id[0] ? cfg->instance_id : "none");
    replay_spools(d);
    seed_last_seq(d);
    uv_loop_init(&d->loop);
    if (feed_init(&d->f, cfg, &d->loop, &d->syms, &d->q, &d->sp, &d->w,
                  d->cipher) != 0)
        return 1;
    d->f.on_first_up = on_first_up;
    health_init(&d->h, cfg, &d->f, &d->w, &d->q, &d->sp, &d->loop);
    d->h.on_fatal = on_fatal;
    d->h.ud = d;
    rc = writer_start(&d->w);
    if (rc != 0) {
        LOG(LOG_CRITICAL, LC_MAIN,
            "collector_exit code=1 "
            "reason=writer_start_failed rows_pending=0");
        return 1;
    }
    uv_signal_t *sigs[] = {&d->sig_term, &d->sig_int, &d->sig_hup,
                           &d->sig_usr1};
    int nums[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
    for (int i = 0; i < 4; i++) {
        uv_signal_init(&d->loop, sigs[i]);
        sigs[i]->data = d;
        uv_signal_start(sigs[i], on_signal, nums[i]);
    }
    uv_async_init(&d->loop, &d->admin_async, on_admin);
    d->admin_async.data = d;
    health_start(&d->h);
    (void)telegram_start(&d->tg, cfg, &d->loop, &d->h);
    d->http = (http_ctx){.cfg = cfg,
                         .h = &d->h,
                         .w = &d->w,
                         .q = &d->q,
                         .sp = &d->sp,
                         .admin = admin_request,
                         .ud = d};
    /* Collecting matters more than the endpoint: keep going without it
     * (the failure is logged, and /metrics being absent alerts). */
    (void)http_start(&d->http);
    health_notify_ready();
    if (g_early_stop) {
        LOG(LOG_INFO, LC_MAIN,
            "shutdown signal received signal=%s "
            "during=startup",
            g_early_stop == SIGTERM ? "SIGTERM" : "SIGINT");
        d->exit_reason = "signal";
        begin_shutdown(d);
    } else {
        feed_start(&d->f);
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);

    /* Drain. */
    int64_t limit =
        d->exit_code ? 5000 : (int64_t)cfg->stop_flush_timeout_sec * 1000;
    size_t pending = queue_len(&d->q) + spool_pending(&d->sp);
    LOG(LOG_INFO, LC_COLLECTOR,
        "collector_draining queue=%zu/%zu "
        "spool_rows=%zu timeout_sec=%.1f",
        queue_len(&d->q), d->q.cap, spool_pending(&d->sp),
        (double)limit / 1000.0);
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
        if (!d->exit_code)
            LOG(LOG_ERROR, LC_COLLECTOR,
                "collector_stop_timeout timeout_sec=%d queue=%zu/%zu "
                "cancel_on_timeout=True",
                cfg->stop_flush_timeout_sec, queue_len(&d->q), d->q.cap);
        pending = preserve_rows(d);
        d->exit_code = 1;
        if (!d->exit_reason || strcmp(d->exit_reason, "signal") == 0)
            d->exit_reason = "stop_timeout";
    }
    writer_close_all(&d->w);
    LOG(d->exit_code ? LOG_ERROR : LOG_INFO, LC_MAIN,
        "collector_exit code=%d reason=%s rows_pending=%zu", d->exit_code,
        d->exit_reason ? d->exit_reason : "signal", pending);
    uv_run(&d->loop, UV_RUN_NOWAIT);
    telegram_free(&d->tg);
    uv_loop_close(&d->loop);
    feed_free(&d->f);
    writer_free(&d->w);
    spool_free(&d->sp);
    queue_free(&d->q);
    symtab_free(&d->syms);
    if (d->cipher)
        opend_crypto_free(d->cipher);
    return d->exit_code;
}

int main(int argc, char **argv)
{
    static daemon_t d = {.exit_code = 0, .lock_fd = -1};
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

    signal(SIGPIPE, SIG_IGN);
    install_early_signals();
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
