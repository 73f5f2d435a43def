/*
 * ops_perf.c - `qte-engine perf-test [--test-only]`: the performance
 * self-test of runbook 003 (performance_monitor.py --test-only).
 *
 * It writes a fixed synthetic day (day file 20240102.db in a temporary
 * DATA_ROOT: --rows trade prints, default 300000, over three symbols,
 * from a fixed-seed generator, so every run replays the same bytes),
 * replays it three times in backtest mode with the null strategy and no
 * store, and takes the best run's ticks/s. The baseline file
 * (--baseline, default $QTE_PERF_BASELINE or /opt/qte/perf_baseline.json)
 * holds {"ticks_per_sec":..,"rows":..,"recorded":".."}. The result is a
 * regression when it is more than --threshold (0.20) below the baseline:
 * exit 1. Without a baseline (or with --update-baseline) the result is
 * recorded and the exit is 0. --test-only is the runbook's flag: this
 * command only ever runs the self-test, so it changes nothing.
 */
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hktime.h"
#include "dayfile/dayfile.h"
#include "qte/engine.h"
#include "qte/ops.h"

#define PERF_DAY 20240102
#define PERF_T0_MS 1704159000000LL /* 2024-01-02 09:30 HKT */
#define PERF_RUNS 3

static const char *const perf_symbols[] = {"HK.00700", "HK.00005", "HK.09988"};

typedef struct perf_opts {
    const char *baseline;
    long rows;
    double threshold;
    bool update;
} perf_opts;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static int write_day(const char *root, long rows, char *err, size_t errlen)
{
    char path[600];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    uint64_t seed = 20240102;
    double price[3] = {350.0, 60.0, 75.0};
    int64_t ts = PERF_T0_MS;
    dayfile_path(root, PERF_DAY, path, sizeof(path));
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = dayfile_schema_ensure(db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA journal_mode=DELETE; BEGIN", NULL, NULL,
                          NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(
            db,
            "INSERT INTO ticks (market, symbol, ts_ms, price, volume, "
            "turnover, direction, seq, tick_type, push_type, provider, "
            "trading_day, recv_ts_ms, inserted_at_ms) VALUES ('HK', ?, ?, ?, "
            "?, ?, 'BUY', ?, 'AUTO_MATCH', 'push', 'futu', '20240102', ?, ?)",
            -1, &st, NULL);
    for (long i = 0; rc == SQLITE_OK && i < rows; i++) {
        int s = (int)(lcg(&seed) % 3);
        double step = price[s] >= 100 ? 0.2 : 0.05;
        price[s] += step * ((double)(lcg(&seed) % 3) - 1.0);
        int64_t vol = 100 * (int64_t)(1 + lcg(&seed) % 20);
        ts += (int64_t)(lcg(&seed) % 50);
        sqlite3_bind_text(st, 1, perf_symbols[s], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ts);
        sqlite3_bind_double(st, 3, price[s]);
        sqlite3_bind_int64(st, 4, vol);
        sqlite3_bind_double(st, 5, price[s] * (double)vol);
        sqlite3_bind_int64(st, 6, i + 1);
        sqlite3_bind_int64(st, 7, ts + 5);
        sqlite3_bind_int64(st, 8, ts + 6);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK &&
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db)) < 0)
        err[0] = 0;
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* One replay; ticks/s into *rate. */
static int replay_once(const qte_config *base, const char *root, double *rate,
                       uint64_t *ticks, char *err, size_t errlen)
{
    static qte_config c;
    struct timespec a;
    struct timespec b;
    c = *base;
    snprintf(c.data_root, sizeof(c.data_root), "%s", root);
    snprintf(c.days, sizeof(c.days), "%d", PERF_DAY);
    snprintf(c.symbols, sizeof(c.symbols), "%s,%s,%s", perf_symbols[0],
             perf_symbols[1], perf_symbols[2]);
    snprintf(c.mode_name, sizeof(c.mode_name), "backtest");
    c.mode = QTE_MODE_BACKTEST;
    c.strategy[0] = c.sqlite_path[0] = c.database_url[0] = 0;
    c.redis_url[0] = c.report_dir[0] = c.params[0] = 0;
    c.cache_dir[0] = 0; /* the day-file read, comparable with the baseline */
    qte_engine *e = qte_engine_new(&c, NULL, err, errlen);
    if (!e)
        return -EINVAL;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = qte_engine_run(e, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    qte_stats st;
    qte_engine_stats(e, &st);
    if (rc < 0)
        snprintf(err, errlen, "%s", qte_engine_error(e));
    qte_engine_free(e);
    double sec =
        (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    *ticks = st.ticks;
    *rate = sec > 0 ? (double)st.ticks / sec : 0;
    return rc < 0 ? -EIO : 0;
}

static int parse_opts(int argc, char **argv, perf_opts *o)
{
    const char *env = getenv("QTE_PERF_BASELINE");
    o->baseline = env && *env ? env : "/opt/qte/perf_baseline.json";
    o->rows = 300000;
    o->threshold = 0.20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--test-only") == 0) {
            continue;
        } else if (strcmp(a, "--update-baseline") == 0) {
            o->update = true;
        } else if (strcmp(a, "--baseline") == 0 && v) {
            o->baseline = v;
            i++;
        } else if (strcmp(a, "--rows") == 0 && v && atol(v) >= 1000) {
            o->rows = atol(v);
            i++;
        } else if (strcmp(a, "--threshold") == 0 && v && atof(v) > 0 &&
                   atof(v) < 1) {
            o->threshold = atof(v);
            i++;
        } else {
            fprintf(stderr,
                    "usage: qte-engine perf-test [--test-only] [--baseline "
                    "PATH] [--update-baseline] [--rows N>=1000] "
                    "[--threshold 0..1]\n");
            return -1;
        }
    }
    return 0;
}

static int save_baseline(const perf_opts *o, double rate)
{
    char ts[30];
    hktime_format_utc_iso(hktime_now_ms(), ts);
    json_t *j = json_pack("{s:f,s:I,s:s}", "ticks_per_sec", rate, "rows",
                          (json_int_t)o->rows, "recorded", ts);
    int rc = j ? json_dump_file(j, o->baseline, JSON_INDENT(2)) : -1;
    json_decref(j);
    if (rc != 0) {
        fprintf(stderr, "perf-test: cannot write baseline %s\n", o->baseline);
        return 1;
    }
    printf("baseline: recorded %.0f ticks/s in %s\n", rate, o->baseline);
    return 0;
}

static int compare(const perf_opts *o, double rate)
{
    json_t *j = json_load_file(o->baseline, 0, NULL);
    if (!j || o->update) {
        json_decref(j);
        return save_baseline(o, rate);
    }
    double base = json_number_value(json_object_get(j, "ticks_per_sec"));
    json_int_t rows = json_integer_value(json_object_get(j, "rows"));
    const char *when = json_string_value(json_object_get(j, "recorded"));
    if (!(base > 0)) {
        json_decref(j);
        fprintf(stderr, "perf-test: %s has no ticks_per_sec\n", o->baseline);
        return 1;
    }
    double change = rate / base - 1.0;
    bool regress = change < -o->threshold;
    printf("baseline: %.0f ticks/s (%s, %lld rows, recorded %s)\n", base,
           o->baseline, (long long)rows, when ? when : "?");
    if (rows != o->rows)
        printf("note: baseline was taken with %lld rows, this run %ld\n",
               (long long)rows, o->rows);
    printf("change: %+.1f %% (threshold -%.0f %%): %s\n", change * 100,
           o->threshold * 100, regress ? "REGRESSION" : "OK");
    json_decref(j);
    return regress ? 1 : 0;
}

int qte_ops_perf_test(const qte_config *cfg, int argc, char **argv)
{
    perf_opts o = {0};
    char root[] = "/tmp/qte-perf-XXXXXX";
    char err[600] = "";
    char path[600];
    double best = 0;
    uint64_t ticks = 0;
    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    if (!mkdtemp(root)) {
        fprintf(stderr, "perf-test: mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    int rc = write_day(root, o.rows, err, sizeof(err));
    printf("perf-test: synthetic day %d, %ld ticks, 3 symbols, null "
           "strategy, best of %d\n",
           PERF_DAY, o.rows, PERF_RUNS);
    for (int i = 0; rc == 0 && i < PERF_RUNS; i++) {
        double rate = 0;
        rc = replay_once(cfg, root, &rate, &ticks, err, sizeof(err));
        if (rc == 0)
            printf("run %d: %llu ticks, %.0f ticks/s\n", i + 1,
                   (unsigned long long)ticks, rate);
        best = rate > best ? rate : best;
    }
    dayfile_path(root, PERF_DAY, path, sizeof(path));
    unlink(path);
    rmdir(root);
    if (rc != 0) {
        fprintf(stderr, "perf-test: failed: %s\n", err);
        return 1;
    }
    printf("result: %.0f ticks/s\n", best);
    return compare(&o, best);
}
