/*
 * main.c - hot-store: wires config, logging, lifecycle, the HTTP server
 * and the consumer loop (store.c). No logic of its own.
 *
 * Start-up: early signals (a TERM during start-up becomes a clean stop),
 * options (svc/front.c, shared with the other daemons), config (exit 78 on
 * errors), log file, lock file, HTTP, then
 * hot_store_run on this thread until SIGTERM/SIGINT. The stop flag is the
 * service library's early-signal latch, polled by the loop every fetch
 * (at most 500 ms), so no libuv loop is needed here.
 */
#include <stdio.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "common/hktime.h"
#include "common/log.h"
#include "hot/config.h"
#include "hot/http.h"
#include "hot/store.h"
#include "svc/front.h"
#include "svc/life.h"
#include "svc/notify.h"

static const char usage[] =
    "Usage: hot-store [--config PATH] [--env-file PATH]\n"
    "                 [--check-config] [--help-config]\n"
    "\n"
    "Consumes HkTick messages from the JetStream stream HK_TICKS\n"
    "(durable pull consumer HOT_CONSUMER) and inserts them in\n"
    "batches into ClickHouse marketprism_hot.ticks (RowBinary over\n"
    "HTTP). A message is acknowledged only after ClickHouse\n"
    "confirmed its insert; undecodable messages are terminated.\n"
    "\n" SVC_FRONT_OPTIONS_HELP "\n"
    "HTTP: GET /health (200/503), GET /metrics on HOT_HTTP_PORT\n"
    "(8085). Signals: TERM/INT insert and ack the batch in hand,\n"
    "then exit 0. Exit codes: 0 clean stop, 1 runtime failure,\n"
    "78 invalid configuration.\n";

static const svc_front_spec front_spec = {
    .prog = "hot-store",
    .version = HK_VERSION,
    .usage = usage,
    .print_reference = hot_config_print_reference,
};

static bool stop_asked(void)
{
    return svc_life_early_stop() != 0;
}

static int run(const hot_config *cfg)
{
    static hot_stats st;
    hot_http h = {.cfg = cfg, .st = &st};
    int lock_fd = -1;
    hot_stats_init(&st, hktime_mono_ms());
    if (cfg->lock_file[0]) {
        int rc = svc_lock_acquire(cfg->lock_file, &lock_fd);
        if (rc != 0) {
            LOG(LOG_ERROR, LC_HOT, "hot_exit code=1 reason=lock_held path=%s",
                cfg->lock_file);
            return 1;
        }
    }
    if (ch_global_init() != 0 || hot_http_start(&h) != 0) {
        LOG(LOG_ERROR, LC_HOT, "hot_exit code=1 reason=start_failed");
        hot_http_stop(&h);
        svc_lock_release(lock_fd);
        return 1;
    }
    LOG(LOG_INFO, LC_HOT,
        "hot_started version=%s stream=%s consumer=%s table=%s.ticks "
        "batch_rows=%d batch_ms=%d http_port=%d",
        HK_VERSION, cfg->nats_stream, cfg->consumer, cfg->database,
        cfg->batch_rows, cfg->batch_ms, h.probe.srv.port);
    svc_notify_ready();
    int code = hot_store_run(cfg, &st, stop_asked);
    svc_notify_stopping();
    hot_http_stop(&h);
    LOG(LOG_INFO, LC_HOT,
        "hot_exit code=%d reason=%s rows_inserted=%lld poison=%lld", code,
        code ? "failure" : "signal", (long long)atomic_load(&st.rows_inserted),
        (long long)atomic_load(&st.poison));
    svc_lock_release(lock_fd);
    return code;
}

int main(int argc, char **argv)
{
    static hot_config cfg;
    svc_front fr;

    svc_life_early_signals();
    if (svc_front_parse(&front_spec, argc, argv, &fr) == SVC_FRONT_EXIT)
        return fr.exit_code;
    int errors = hot_config_load(&cfg, &fr.cfg);
    svc_front_log lg = {.component = LC_HOT,
                        .exit_event = "hot_exit",
                        .log_file = cfg.log_file,
                        .log_format = cfg.log_format,
                        .log_level = cfg.log_level,
                        .table = hot_config_table(),
                        .cfg = &cfg};
    int code = svc_front_configure(&fr, errors, &lg);
    if (code >= 0)
        return code;
    return run(&cfg);
}
