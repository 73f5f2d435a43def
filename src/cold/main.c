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
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "clickhouse/ch.h"
#include "common/hktime.h"
#include "common/log.h"
#include "cold/config.h"
#include "cold/http.h"
#include "cold/repl.h"
#include "svc/life.h"
#include "svc/notify.h"

static void usage(FILE *out)
{
    fprintf(
        out,
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
        "\n"
        "Options:\n"
        "  --env-file PATH   read KEY=VALUE settings from PATH (fills\n"
        "                    names the environment leaves unset; also\n"
        "                    $ENV_FILE)\n"
        "  --config PATH     a KEY=VALUE config file below the\n"
        "                    environment (also $CONFIG_FILE)\n"
        "  --check-config    print the effective configuration with the\n"
        "                    source of each value, then exit (0 valid,\n"
        "                    78 invalid)\n"
        "  --help-config     print every variable, default and bound\n"
        "                    (Markdown)\n"
        "  --version         print the version\n"
        "  -h, --help        this text\n"
        "\n"
        "HTTP: GET /health (200/503), GET /metrics on COLD_HTTP_PORT\n"
        "(8086). Signals: TERM/INT finish the step in hand (a stream is\n"
        "cut; the unverified window is redone by the next run), then\n"
        "exit 0. Exit codes: 0 clean stop, 1 runtime failure, 78 invalid\n"
        "configuration.\n");
}

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
        cfg->retention_days, cfg->interval_sec, h.srv.port);
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
    static const struct option opts[] = {
        {"env-file", required_argument, NULL, 'e'},
        {"config", required_argument, NULL, 'C'},
        {"check-config", no_argument, NULL, 'c'},
        {"version", no_argument, NULL, 'V'},
        {"help-config", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cfg_opts lo = {0};
    bool check = false;
    int ch;

    svc_life_early_signals();
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'e':
            lo.env_file = optarg;
            break;
        case 'C':
            lo.config_file = optarg;
            break;
        case 'c':
            check = true;
            break;
        case 'H':
            cold_config_print_reference(1);
            return 0;
        case 'V':
            printf("cold-store %s\n", HK_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return CFG_EXIT_INVALID;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cold-store: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return CFG_EXIT_INVALID;
    }
    int errors = cold_config_load(&cfg, &lo);
    if (errors == 0 && !check && cfg.log_file[0]) {
        int rc = log_open_file(cfg.log_file);
        if (rc != 0) {
            cfg_report(&lo, "LOG_FILE", cfg.log_file, strerror(-rc));
            errors++;
        }
    }
    log_set_json(strcmp(cfg.log_format, "json") == 0);
    log_level_set(cfg.log_level);
    if (check)
        cold_config_print(&cfg, 1);
    if (errors > 0) {
        LOG(LOG_ERROR, LC_COLD,
            "cold_exit code=78 reason=config_error errors=%d", errors);
        return CFG_EXIT_INVALID;
    }
    if (check)
        return 0;
    return run(&cfg);
}
