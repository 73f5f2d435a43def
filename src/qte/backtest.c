/*
 * backtest.c - `qte-engine backtest`: configuration from the layers
 * (config.h), then the command line on top (opt.h table), a store, the
 * engine on this thread, the report.
 *
 * Resume: the store (PostgreSQL when QTE_DATABASE_URL is set, else
 * SQLite: --db, default REPORT_DIR/qte.db) keys runs by a
 * digest of their inputs. Running the same command again after a crash
 * or a stop (TERM/INT commit a checkpoint first) resumes the run: one
 * "resume" line says from which event, the replay up to there is checked
 * against the stored checkpoint, and the rest is written. A finished run
 * run again says "already complete" and rewrites the same report.
 *
 * Output (stdout, one line each): run, result, report. Exit codes: 0 done,
 * 1 runtime failure, 2 usage, 78 configuration, 130 stopped by a signal.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/opt.h"
#include "qte/cmd.h"
#include "qte/engine.h"
#include "svc/life.h"

typedef struct bt_opts {
    qte_config *cfg;
    const char *data_root;
    const char *cache_dir;
    const char *days;
    const char *symbols;
    const char *strategy;
    const char *report_dir;
    const char *db;
    const char *lots;
    const char *mode;
    const char *env_file;
    const char *config;
    double cash;
    long latency;
    bool help;
    bool check;
} bt_opts;

/* --param NAME=VALUE, repeatable: appended to cfg->params. */
static int add_param(void *dst, const char *val, char *err, size_t errlen)
{
    bt_opts *o = dst;
    char *p = o->cfg->params;
    size_t n = strlen(p);
    if (!strchr(val, '=') || val[0] == '=' || strchr(val, ',')) {
        snprintf(err, errlen,
                 "invalid value '%s' for --param: expected NAME=VALUE", val);
        return -EINVAL;
    }
    int w =
        snprintf(p + n, sizeof(o->cfg->params) - n, "%s%s", n ? "," : "", val);
    if (w < 0 || (size_t)w >= sizeof(o->cfg->params) - n) {
        p[n] = '\0';
        snprintf(err, errlen, "--param: too many parameters");
        return -EINVAL;
    }
    return 0;
}

#define O(f) offsetof(bt_opts, f)
static const opt_def defs[] = {
    {"--data-root", "DIR", OPT_STR, O(data_root), 0, 0, NULL,
     "day files directory (DATA_ROOT)", NULL, false},
    {"--cache-dir", "DIR", OPT_STR, O(cache_dir), 0, 0, NULL,
     "columnar cache of replayed days (QTE_CACHE_DIR)", NULL, false},
    {"--days", "YYYYMMDD[,..]", OPT_STR, O(days), 0, 0, NULL,
     "trading days (QTE_DAYS)", NULL, false},
    {"--symbols", "SYM[,..]", OPT_STR, O(symbols), 0, 0, NULL,
     "symbols, e.g. HK.00700 (QTE_SYMBOLS)", NULL, false},
    {"--strategy", "PATH.so", OPT_STR, O(strategy), 0, 0, NULL,
     "strategy object (QTE_STRATEGY); none = null strategy", NULL, false},
    {"--param", "NAME=VALUE", OPT_FN, 0, 0, 0, add_param,
     "strategy parameter, repeatable (QTE_STRATEGY_PARAMS)", NULL, false},
    {"--report-dir", "DIR", OPT_STR, O(report_dir), 0, 0, NULL,
     "write report.json and report.html here (QTE_REPORT_DIR)", NULL, false},
    {"--db", "PATH", OPT_STR, O(db), 0, 0, NULL,
     "SQLite store (QTE_SQLITE_PATH; default REPORT_DIR/qte.db)", NULL, false},
    {"--cash", "HKD", OPT_DBL, O(cash), 0, 1e12, NULL,
     "initial cash (QTE_INITIAL_CASH)", NULL, false},
    {"--latency-ms", "MS", OPT_LONG, O(latency), 0, 600000, NULL,
     "order latency (QTE_LATENCY_MS)", NULL, false},
    {"--lot-sizes", "SYM=N[,..]", OPT_STR, O(lots), 0, 0, NULL,
     "board lots (QTE_LOT_SIZES)", NULL, false},
    {"--mode", "MODE", OPT_STR, O(mode), 0, 0, NULL,
     "backtest (default), realtime, accelerated, stepped", NULL, false},
    {"--env-file", "PATH", OPT_STR, O(env_file), 0, 0, NULL,
     "KEY=VALUE settings file", NULL, false},
    {"--config", "PATH", OPT_STR, O(config), 0, 0, NULL,
     "KEY=VALUE config file below the environment", NULL, false},
    {"--check-config", NULL, OPT_FLAG, O(check), 0, 0, NULL,
     "print the effective configuration and exit", NULL, false},
    {"--help", NULL, OPT_FLAG, O(help), 0, 0, NULL, "this text", NULL, false},
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static void usage(FILE *out)
{
    fprintf(out, "Usage: qte-engine backtest [OPTIONS]\n\n"
                 "Replay the day files of the given days and symbols through "
                 "a strategy\nwith simulated HK execution; write the "
                 "report and keep orders, trades\nand positions in SQLite "
                 "(PostgreSQL when QTE_DATABASE_URL is set).\nThe same "
                 "command resumes an interrupted run.\n\n"
                 "Options:\n");
    for (size_t i = 0; i < NDEFS; i++) {
        char left[48];
        snprintf(left, sizeof(left), "%s%s%s", defs[i].name,
                 defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
        fprintf(out, "  %-28s %s\n", left, defs[i].help);
    }
    fprintf(out, "\nExit codes: 0 done, 1 failure, 2 usage, 78 invalid "
                 "configuration,\n130 stopped by TERM/INT (checkpoint "
                 "committed; run again to resume).\n");
}

/* Copy v (when set) into dst. Returns true when it does not fit. */
static bool setstr(char *dst, size_t cap, const char *v)
{
    if (v && strlen(v) >= cap)
        return true;
    if (v)
        snprintf(dst, cap, "%s", v);
    return false;
}

/* Options over the configuration. Returns 0, or 2 (usage). */
static int apply(bt_opts *o, qte_config *c)
{
    bool too_long = setstr(c->data_root, sizeof(c->data_root), o->data_root);
    too_long |= setstr(c->cache_dir, sizeof(c->cache_dir), o->cache_dir);
    too_long |= setstr(c->days, sizeof(c->days), o->days);
    too_long |= setstr(c->symbols, sizeof(c->symbols), o->symbols);
    too_long |= setstr(c->strategy, sizeof(c->strategy), o->strategy);
    too_long |= setstr(c->report_dir, sizeof(c->report_dir), o->report_dir);
    too_long |= setstr(c->lot_sizes, sizeof(c->lot_sizes), o->lots);
    too_long |= setstr(c->sqlite_path, sizeof(c->sqlite_path), o->db);
    if (o->cash >= 0)
        c->initial_cash = o->cash;
    if (o->latency >= 0)
        c->latency_ms = (int)o->latency;
    if (too_long) {
        fprintf(stderr, "qte-engine backtest: an option value is too long\n");
        return 2;
    }
    if (o->mode && qte_mode_parse(o->mode, &c->mode) != 0) {
        fprintf(stderr, "qte-engine backtest: unknown mode '%s'\n", o->mode);
        return 2;
    }
    if (!c->sqlite_path[0] && c->report_dir[0])
        snprintf(c->sqlite_path, sizeof(c->sqlite_path), "%.500s/qte.db",
                 c->report_dir);
    return 0;
}

/* Scan argv into o (params straight into cfg). 0, or 2 on usage errors. */
static int parse(int argc, char **argv, bt_opts *o)
{
    opt_scan sc;
    const opt_def *d;
    const char *val;
    char err[256];
    int r;
    opt_scan_init(&sc, defs, NDEFS, argc, argv, 1);
    while ((r = opt_next(&sc, &d, &val)) != OPT_DONE) {
        if (r == OPT_E_UNKNOWN) {
            fprintf(stderr, "qte-engine backtest: unknown option '%s'\n",
                    argv[sc.i]);
            return 2;
        }
        if (r == OPT_E_NOVALUE) {
            fprintf(stderr, "qte-engine backtest: %s needs a value\n", d->name);
            return 2;
        }
        if (opt_apply(d, o, val, err, sizeof(err)) != 0) {
            fprintf(stderr, "qte-engine backtest: %s\n", err);
            return 2;
        }
    }
    return 0;
}

static bool stop_asked(void)
{
    return svc_life_early_stop() != 0;
}

static void print_result(qte_engine *e)
{
    qte_result r;
    char a[32], b[32], f[32];
    qte_engine_result(e, &r);
    printf("result trades=%lld orders=%lld rejected=%lld ticks=%lld "
           "events=%lld final_equity=%s total_return=%.6f max_drawdown=%.6f "
           "fees=%s turnover=%s\n",
           (long long)r.trades, (long long)r.orders, (long long)r.rejected,
           (long long)r.ticks, (long long)r.events,
           qte_milli_text(r.final_milli, a, sizeof(a)), r.total_return,
           r.max_drawdown, qte_milli_text(r.fees_milli, b, sizeof(b)),
           qte_milli_text(r.turnover_milli, f, sizeof(f)));
}

/* Store, engine, run, report. Returns the exit code. */
static int execute(const qte_config *cfg)
{
    char err[512];
    qte_store store;
    qte_store *sp = NULL;
    if (cfg->report_dir[0] && mkdir(cfg->report_dir, 0755) != 0 &&
        errno != EEXIST) {
        fprintf(stderr, "qte-engine backtest: %s: %s\n", cfg->report_dir,
                strerror(errno));
        return 1;
    }
    int so = qte_store_open_config(&store, cfg, err, sizeof(err));
    if (so < 0) {
        fprintf(stderr, "qte-engine backtest: store: %s\n", err);
        return 1;
    }
    if (so == 1)
        sp = &store;
    qte_engine *e = qte_engine_new(cfg, sp, err, sizeof(err));
    if (!e) {
        fprintf(stderr, "qte-engine backtest: %s\n", err);
        if (sp)
            sp->ops->close(sp);
        return 1;
    }
    int64_t at = 0;
    int how = qte_engine_resume_info(e, &at);
    printf("run %s %s", qte_engine_run_id(e),
           how == 0   ? "fresh"
           : how == 1 ? "resume"
                      : "already_complete");
    if (how)
        printf(" checkpoint_events=%lld", (long long)at);
    printf("\n");
    fflush(stdout);
    int rc = qte_engine_run(e, stop_asked);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "qte-engine backtest: %s\n", qte_engine_error(e));
        code = 1;
    } else if (rc == 1) {
        qte_stats st;
        qte_engine_stats(e, &st);
        printf("stopped events=%llu (%s)\n", (unsigned long long)st.processed,
               cfg->source == QTE_SOURCE_JETSTREAM
                   ? "live source: the next start is a new run"
                   : "run the same command to resume");
        code = 130;
    } else {
        print_result(e);
        if (cfg->report_dir[0]) {
            if (qte_engine_write_report(e, cfg->report_dir, err, sizeof(err)) !=
                0) {
                fprintf(stderr, "qte-engine backtest: report: %s\n", err);
                code = 1;
            } else {
                printf("report %s/report.json %s/report.html\n",
                       cfg->report_dir, cfg->report_dir);
            }
        }
    }
    qte_engine_free(e);
    if (sp)
        sp->ops->close(sp);
    return code;
}

int qte_cmd_backtest(int argc, char **argv)
{
    static qte_config cfg;
    bt_opts o = {.cfg = &cfg, .cash = -1, .latency = -1};
    /* Each connection (day file, store) is used by one thread at a time:
     * no per-call mutex (SQLite's default serialized mode locks on every
     * sqlite3_column_* call, a measurable share of a replay). */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    svc_life_early_signals();
    if (parse(argc, argv, &o) != 0)
        return 2;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    /* --param values were appended before the layers; keep them. */
    char params[sizeof(cfg.params)];
    snprintf(params, sizeof(params), "%s", cfg.params);
    cfg_opts co = {.env_file = o.env_file, .config_file = o.config};
    if (qte_config_load(&cfg, &co) != 0)
        return CFG_EXIT_INVALID;
    if (params[0])
        snprintf(cfg.params, sizeof(cfg.params), "%s", params);
    if (apply(&o, &cfg) != 0)
        return 2;
    if (o.check) {
        qte_config_print(&cfg, 1);
        return 0;
    }
    log_level_set(cfg.log_level);
    return execute(&cfg);
}
