/*
 * main.c - cold-store: wires config, logging, lifecycle, the HTTP server
 * and the replication loop (repl.c). No logic of its own.
 *
 * Start-up: early signals (a TERM during start-up becomes a clean stop),
 * options, config (exit 78 on errors), log file, lock file, HTTP, then
 * cold_run on this thread until SIGTERM/SIGINT. The stop flag is the
 * service library's early-signal latch, polled by the loop every fetch
 * (every 100 ms while idle, per piece while streaming), so no libuv loop
 * is needed here.
 */
#include <stdio.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "common/hktime.h"
#include "common/log.h"
#include "cold/config.h"
#include "cold/http.h"
#include "cold/repl.h"
#include "svc/front.h"
#include "svc/life.h"
#include "svc/notify.h"

static const char usage[] =
    "Usage: cold-store [--config PATH] [--env-file PATH]\n"
    "                  [--check-config] [--help-config]\n"
    "\n"
    "Copies ClickHouse marketprism_hot.ticks to marketprism_cold.ticks\n"
    "in verified windows: closed trading days by partition (REPLACE\n"
    "PARTITION on one server, streamed RowBinary between two), today's\n"
    "rows in a rolling window; each window's count() FINAL is checked\n"
    "in both before the watermark (COLD_STATE_DIR/watermark.json)\n"
    "advances. Hot partitions older than HOT_RETENTION_DAYS are\n"
    "dropped only after they are verified in cold.\n"
    "\n" SVC_FRONT_OPTIONS_HELP "\n"
    "HTTP: GET /health (200/503), GET /metrics on COLD_HTTP_PORT\n"
    "(8086). Signals: TERM/INT finish the step in hand (a stream is\n"
    "cut; the unverified window is redone by the next run), then\n"
    "exit 0. Exit codes: 0 clean stop, 1 runtime failure, 78 invalid\n"
    "configuration.\n";

static const svc_front_spec front_spec = {
    .prog = "cold-store",
    .version = HK_VERSION,
    .usage = usage,
    .print_reference = cold_config_print_reference,
};

static bool stop_asked(void)
{
    return svc_life_early_stop() != 0;
}

static int run(const cold_config *cfg)
{
    static cold_stats st;
    cold_http h = {.cfg = cfg, .st = &st};
    int lock_fd = -1;
    cold_stats_init(&st, hktime_mono_ms());
    if (cfg->lock_file[0]) {
        int rc = svc_lock_acquire(cfg->lock_file, &lock_fd);
        if (rc != 0) {
            LOG(LOG_ERROR, LC_COLD, "cold_exit code=1 reason=lock_held path=%s",
                cfg->lock_file);
            return 1;
        }
    }
    if (ch_global_init() != 0 || cold_http_start(&h) != 0) {
        LOG(LOG_ERROR, LC_COLD, "cold_exit code=1 reason=start_failed");
        cold_http_stop(&h);
        svc_lock_release(lock_fd);
        return 1;
    }
    LOG(LOG_INFO, LC_COLD,
        "cold_started version=%s hot=%s.ticks cold=%s.ticks mode=%s "
        "retention_days=%d interval_sec=%d http_port=%d",
        HK_VERSION, cfg->hot_database, cfg->cold_database,
        cfg->same_server && strcmp(cfg->copy_mode, "stream") != 0 ? "partition"
                                                                  : "stream",
        cfg->retention_days, cfg->interval_sec, h.probe.srv.port);
    svc_notify_ready();
    int code = cold_run(cfg, &st, stop_asked);
    svc_notify_stopping();
    cold_http_stop(&h);
    LOG(LOG_INFO, LC_COLD,
        "cold_exit code=%d reason=%s cycles=%lld windows_verified=%lld", code,
        code ? "failure" : "signal", (long long)atomic_load(&st.cycles),
        (long long)atomic_load(&st.windows_verified));
    svc_lock_release(lock_fd);
    return code;
}

int main(int argc, char **argv)
{
    static cold_config cfg;
    svc_front fr;

    svc_life_early_signals();
    if (svc_front_parse(&front_spec, argc, argv, &fr) == SVC_FRONT_EXIT)
        return fr.exit_code;
    int errors = cold_config_load(&cfg, &fr.cfg);
    svc_front_log lg = {.component = LC_COLD,
                        .exit_event = "cold_exit",
                        .log_file = cfg.log_file,
                        .log_format = cfg.log_format,
                        .log_level = cfg.log_level,
                        .table = cold_config_table(),
                        .cfg = &cfg};
    int code = svc_front_configure(&fr, errors, &lg);
    if (code >= 0)
        return code;
    return run(&cfg);
}
