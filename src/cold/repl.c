/*
 * repl.c - the replication cycle (contract and algorithm in repl.h).
 *
 * Every SQL statement goes through sql(), which logs a failure once with
 * the step's name and keeps clickhouse_ok current. Numbers come back as
 * TSV and are read with sscanf; a reply that does not parse is an error
 * like a failed request. Days are YYYYMMDD ints; in SQL they appear as
 * the partition ID 'YYYYMMDD' and as toDate('YYYY-MM-DD').
 */
#include "cold/repl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clickhouse/ch.h"
#include "cold/copy.h"
#include "cold/state.h"
#include "common/hktime.h"
#include "common/log.h"

#define SQL_MAX 2048
#define MAX_PARTS 4096

typedef struct part {
    int day;
    int64_t max_block;
} part;

typedef struct repl {
    const cold_config *cfg;
    cold_stats *st;
    bool (*stop)(void);
    ch_client hot, cold;
    bool partition_mode; /* one server: copies by partition */
    bool schema_ok;
    cold_state state;
    char hot_tbl[80], cold_tbl[80], stage_tbl[96];
    /* this cycle's figures */
    int64_t lag_rows, oldest_ms;
} repl;

void cold_stats_init(cold_stats *st, int64_t now_mono_ms)
{
    atomic_store(&st->start_mono_ms, now_mono_ms);
    atomic_store(&st->lag_rows, -1);
    atomic_store(&st->state_ok, true);
}

/* Run one statement on c; res->body holds the answer on success (caller
 * frees with ch_result_free). Returns 0 or -1 (logged with step). */
static int sql(repl *r, ch_client *c, const char *step, const char *q,
               ch_result *res)
{
    int rc = ch_query(c, q, res);
    atomic_store(&r->st->clickhouse_ok, rc != -1);
    if (rc != 0) {
        LOG(LOG_WARNING, LC_COLD,
            "cold_sql_failed step=%s status=%ld exception=%d err=\"%s\"", step,
            res->status, res->exception, res->err);
        ch_result_free(res);
        return -1;
    }
    return 0;
}

/* A statement whose answer is not needed. */
static int exec(repl *r, ch_client *c, const char *step, const char *q)
{
    ch_result res;
    int rc = sql(r, c, step, q, &res);
    if (rc == 0)
        ch_result_free(&res);
    return rc;
}

/* A statement answering one TSV row of up to 4 integers into v[]. Returns
 * 0, or -1 (logged) when it fails or the answer has fewer than want. */
static int ints(repl *r, ch_client *c, const char *step, const char *q,
                int want, long long v[4])
{
    ch_result res;
    if (sql(r, c, step, q, &res) != 0)
        return -1;
    int got =
        sscanf(res.body, "%lld\t%lld\t%lld\t%lld", &v[0], &v[1], &v[2], &v[3]);
    ch_result_free(&res);
    if (got < want) {
        LOG(LOG_WARNING, LC_COLD, "cold_sql_failed step=%s err=\"bad answer\"",
            step);
        return -1;
    }
    return 0;
}

static void date_sql(int day, char out[16])
{
    snprintf(out, 16, "%04d-%02d-%02d", day / 10000, day / 100 % 100,
             day % 100);
}

static int ensure_schema(repl *r)
{
    char q[SQL_MAX];
    ch_result res;
    if (r->schema_ok)
        return 0;
    if (ch_ensure_schema(&r->hot, r->cfg->hot_database, &res) != 0 ||
        ch_ensure_schema(&r->cold, r->cfg->cold_database, &res) != 0) {
        atomic_store(&r->st->clickhouse_ok, res.status != 0);
        LOG(LOG_WARNING, LC_COLD, "cold_sql_failed step=schema err=\"%s\"",
            res.err);
        ch_result_free(&res);
        return -1;
    }
    if (ch_ticks_ddl_named(r->cfg->cold_database, "ticks_staging", q,
                           sizeof(q)) != 0 ||
        exec(r, &r->cold, "schema", q) != 0)
        return -1;
    r->schema_ok = true;
    return 0;
}

/* The hot table's partitions (days) with their newest block, ascending. */
static int list_parts(repl *r, part *out, int cap, int *n)
{
    char q[SQL_MAX];
    ch_result res;
    snprintf(q, sizeof(q),
             "SELECT partition_id, max(max_block_number) FROM system.parts "
             "WHERE database = '%s' AND table = 'ticks' AND active "
             "GROUP BY partition_id ORDER BY partition_id FORMAT TSV",
             r->cfg->hot_database);
    if (sql(r, &r->hot, "list_partitions", q, &res) != 0)
        return -1;
    *n = 0;
    for (char *line = strtok(res.body, "\n"); line && *n < cap;
         line = strtok(NULL, "\n")) {
        part p;
        long long mb;
        if (sscanf(line, "%d\t%lld", &p.day, &mb) == 2 && p.day >= 19700101) {
            p.max_block = mb;
            out[(*n)++] = p;
        }
    }
    ch_result_free(&res);
    return 0;
}

/* count() FINAL of day d in db_tbl on c (with an extra condition). */
static int count_final(repl *r, ch_client *c, const char *tbl, int d,
                       const char *extra, long long *n)
{
    char q[SQL_MAX], ds[16];
    long long v[4];
    date_sql(d, ds);
    snprintf(q, sizeof(q),
             "SELECT count() FROM %s FINAL WHERE trading_day = toDate('%s')%s "
             "FORMAT TSV",
             tbl, ds, extra);
    if (ints(r, c, "count", q, 1, v) != 0)
        return -1;
    *n = v[0];
    return 0;
}

static void note_lag(repl *r, int64_t rows, int64_t oldest_ms)
{
    if (rows <= 0)
        return;
    r->lag_rows += rows;
    if (oldest_ms > 0 && (r->oldest_ms == 0 || oldest_ms < r->oldest_ms))
        r->oldest_ms = oldest_ms;
}

static void mismatch(repl *r, cold_day *e, const char *what, long long hot,
                     long long cold)
{
    e->mismatches++;
    atomic_fetch_add(&r->st->mismatches, 1);
    LOG(LOG_WARNING, LC_COLD,
        "cold_verify_mismatch day=%d window=%s hot_rows=%lld cold_rows=%lld "
        "attempt=%d",
        e->day, what, hot, cold, e->mismatches);
}

static int save(repl *r)
{
    int rc = cold_state_save(&r->state, r->cfg->state_dir);
    atomic_store(&r->st->state_ok, rc == 0);
    if (rc != 0)
        LOG(LOG_ERROR, LC_COLD, "cold_state_save_failed dir=%s err=\"%s\"",
            r->cfg->state_dir, strerror(-rc));
    return rc;
}

/* Stream the rows of day d matching cond from hot into dest on cold. */
static int stream_rows(repl *r, int d, const char *final, const char *cond,
                       const char *dest, long long *rows)
{
    char q[SQL_MAX], ds[16], err[256];
    date_sql(d, ds);
    snprintf(q, sizeof(q),
             "SELECT " CH_TICKS_COLUMNS " FROM %s%s WHERE trading_day = "
             "toDate('%s')%s FORMAT RowBinary",
             r->hot_tbl, final, ds, cond);
    int rc = cold_copy_stream(&r->hot, q, &r->cold, dest,
                              (size_t)r->cfg->chunk_mib << 20, r->stop, rows,
                              err, sizeof(err));
    if (rc != 0)
        LOG(LOG_WARNING, LC_COLD,
            "cold_sql_failed step=stream day=%d rows=%lld err=\"%s\"", d, *rows,
            err);
    return rc;
}

/* Stream mode: the staging partition of d holds hot's FINAL rows of d.
 * Returns 0 with *n the staged count, 1 on a count mismatch, -1. */
static int stage_day(repl *r, int d, long long hot_n, long long *n)
{
    char q[SQL_MAX];
    long long rows;
    snprintf(q, sizeof(q), "ALTER TABLE %s DROP PARTITION ID '%d'",
             r->stage_tbl, d);
    if (exec(r, &r->cold, "stage_clear", q) != 0 ||
        stream_rows(r, d, " FINAL", "", r->stage_tbl, &rows) != 0 ||
        count_final(r, &r->cold, r->stage_tbl, d, "", n) != 0)
        return -1;
    return *n == hot_n ? 0 : 1;
}

/* Copy and verify closed day p (see repl.h). 0 done (verified or a
 * mismatch counted), -1 failed. */
static int copy_closed(repl *r, const part *p)
{
    cold_day *e = cold_state_day(&r->state, p->day, true);
    if (!e)
        return -1;
    if (e->closed && e->max_block == p->max_block)
        return 0;
    char q[SQL_MAX], ds[16], in[SQL_MAX];
    long long v[4], src_n, cold_n, after, hot_after;
    const char *src = r->partition_mode ? r->hot_tbl : r->stage_tbl;
    int64_t t0 = hktime_mono_ms();
    date_sql(p->day, ds);
    snprintf(q, sizeof(q),
             "SELECT count(), min(ts_ms) FROM %s FINAL WHERE trading_day = "
             "toDate('%s') FORMAT TSV",
             r->hot_tbl, ds);
    if (ints(r, &r->hot, "count_hot", q, 2, v) != 0)
        return -1;
    src_n = v[0];
    if (!r->partition_mode) {
        int rc = stage_day(r, p->day, v[0], &src_n);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            mismatch(r, e, "stage", v[0], src_n);
            note_lag(r, v[0], v[1]);
            return 0;
        }
    }
    if (count_final(r, &r->cold, r->cold_tbl, p->day, "", &cold_n) != 0)
        return -1;
    bool append = e->dropped || cold_n > src_n;
    snprintf(q, sizeof(q), "ALTER TABLE %s %s PARTITION ID '%d' FROM %s",
             r->cold_tbl, append ? "ATTACH" : "REPLACE", p->day, src);
    if (exec(r, &r->cold, append ? "attach" : "replace", q) != 0)
        return -1;
    if (append) {
        /* Every copied key must be in cold (cold keeps its own extras). */
        snprintf(in, sizeof(in),
                 " AND (symbol, ifNull(seq, 0), ts_ms) IN (SELECT symbol, "
                 "ifNull(seq, 0), ts_ms FROM %s WHERE trading_day = "
                 "toDate('%s'))",
                 src, ds);
        if (count_final(r, &r->cold, r->cold_tbl, p->day, in, &after) != 0)
            return -1;
        hot_after = src_n;
    } else if (count_final(r, &r->cold, r->cold_tbl, p->day, "", &after) != 0 ||
               (r->partition_mode ? count_final(r, &r->hot, r->hot_tbl, p->day,
                                                "", &hot_after)
                                  : (hot_after = src_n, 0)) != 0) {
        return -1;
    }
    if (!r->partition_mode) {
        snprintf(q, sizeof(q), "ALTER TABLE %s DROP PARTITION ID '%d'",
                 r->stage_tbl, p->day);
        (void)exec(r, &r->cold, "stage_clear", q);
    }
    if (after != hot_after) {
        mismatch(r, e, append ? "append" : "day", hot_after, after);
        e->closed = false;
        note_lag(r, hot_after - after, v[1]);
        return save(r) == 0 ? 0 : -1;
    }
    if (append && count_final(r, &r->cold, r->cold_tbl, p->day, "", &after))
        return -1;
    *e = (cold_day){.day = p->day,
                    .closed = true,
                    .dropped = e->dropped,
                    .rows = after,
                    .max_block = p->max_block};
    atomic_fetch_add(&r->st->windows_verified, 1);
    atomic_fetch_add(&r->st->partitions_copied, 1);
    atomic_fetch_add(&r->st->rows_copied, src_n);
    LOG(LOG_INFO, LC_COLD,
        "cold_day_verified day=%d how=%s%s rows=%lld cold_rows=%lld "
        "max_block=%lld ms=%lld",
        p->day, r->partition_mode ? "" : "stream+",
        append ? "attach" : "replace", src_n, after, (long long)p->max_block,
        (long long)(hktime_mono_ms() - t0));
    return save(r) == 0 ? 0 : -1;
}

/* Per-minute counts (FINAL) of day d below hi on c: "minute\tcount"
 * lines ascending, parsed into m[] / n[] (at most 1440 + a few). */
#define MINUTES_MAX 1500
static int minutes(repl *r, ch_client *c, const char *tbl, int d, int64_t hi,
                   long long *m, long long *n, int *k)
{
    char q[SQL_MAX], ds[16];
    ch_result res;
    date_sql(d, ds);
    snprintf(q, sizeof(q),
             "SELECT intDiv(ts_ms, 60000) AS m, count() FROM %s FINAL WHERE "
             "trading_day = toDate('%s') AND ts_ms < %" PRId64
             " GROUP BY m ORDER BY m FORMAT TSV",
             tbl, ds, hi);
    if (sql(r, c, "minutes", q, &res) != 0)
        return -1;
    *k = 0;
    for (char *line = strtok(res.body, "\n"); line && *k < MINUTES_MAX;
         line = strtok(NULL, "\n"))
        if (sscanf(line, "%lld\t%lld", &m[*k], &n[*k]) == 2)
            (*k)++;
    ch_result_free(&res);
    return 0;
}

/* Rows below hi that reached hot after their window was copied (late
 * rows: a backlog in NATS or hot-store): find the minutes whose counts
 * differ and copy those minutes again. Returns 0 (*copied minutes), -1. */
static int repair_late(repl *r, const part *p, int64_t hi, int *copied)
{
    static long long hm[MINUTES_MAX], hn[MINUTES_MAX], cm[MINUTES_MAX],
        cn[MINUTES_MAX];
    int hk, ck, j = 0;
    char cond[SQL_MAX], ds[16];
    size_t len = 0;
    *copied = 0;
    if (minutes(r, &r->hot, r->hot_tbl, p->day, hi, hm, hn, &hk) != 0 ||
        minutes(r, &r->cold, r->cold_tbl, p->day, hi, cm, cn, &ck) != 0)
        return -1;
    len +=
        (size_t)snprintf(cond, sizeof(cond), " AND intDiv(ts_ms, 60000) IN (");
    for (int i = 0; i < hk && len + 32 < sizeof(cond); i++) {
        while (j < ck && cm[j] < hm[i])
            j++;
        if (j < ck && cm[j] == hm[i] && cn[j] == hn[i])
            continue;
        len += (size_t)snprintf(cond + len, sizeof(cond) - len, "%s%lld",
                                *copied ? "," : "", hm[i]);
        (*copied)++;
    }
    if (*copied == 0)
        return 0;
    snprintf(cond + len, sizeof(cond) - len, ")");
    date_sql(p->day, ds);
    if (r->partition_mode) {
        char q[SQL_MAX * 2];
        snprintf(q, sizeof(q),
                 "INSERT INTO %s (" CH_TICKS_COLUMNS
                 ") SELECT " CH_TICKS_COLUMNS " FROM %s WHERE trading_day = "
                 "toDate('%s')%s",
                 r->cold_tbl, r->hot_tbl, ds, cond);
        return exec(r, &r->cold, "late_rows", q);
    }
    long long rows;
    return stream_rows(r, p->day, "", cond, r->cold_tbl, &rows);
}

/* Open day p: copy [upto, hi) and verify the prefix below hi. 0 done
 * (verified or a mismatch counted), -1 failed. */
static int copy_open(repl *r, const part *p, int64_t hi)
{
    cold_day *e = cold_state_day(&r->state, p->day, true);
    if (!e)
        return -1;
    if (e->closed) /* the clock went back over midnight: start again */
        *e = (cold_day){.day = p->day, .dropped = e->dropped};
    char q[SQL_MAX], ds[16], cond[128];
    long long v[4], cold_n, rows = 0;
    int64_t lo = e->upto_ts_ms;
    date_sql(p->day, ds);
    if (hi > lo) {
        snprintf(cond, sizeof(cond),
                 " AND ts_ms >= %" PRId64 " AND ts_ms < %" PRId64, lo, hi);
        if (r->partition_mode) {
            snprintf(q, sizeof(q),
                     "INSERT INTO %s (" CH_TICKS_COLUMNS
                     ") SELECT " CH_TICKS_COLUMNS
                     " FROM %s WHERE trading_day = "
                     "toDate('%s')%s",
                     r->cold_tbl, r->hot_tbl, ds, cond);
            if (exec(r, &r->cold, "window", q) != 0)
                return -1;
        } else if (stream_rows(r, p->day, "", cond, r->cold_tbl, &rows)) {
            return -1;
        }
    }
    snprintf(q, sizeof(q),
             "SELECT countIf(ts_ms < %" PRId64 "), count(), "
             "minIf(ts_ms, ts_ms >= %" PRId64 "), min(ts_ms) FROM %s FINAL "
             "WHERE trading_day = toDate('%s') FORMAT TSV",
             hi, hi, r->hot_tbl, ds);
    snprintf(cond, sizeof(cond), " AND ts_ms < %" PRId64, hi);
    long long hot_before = -1; /* hot's count before the repair */
    for (int pass = 0; pass < 2; pass++) {
        int late = 0;
        if (ints(r, &r->hot, "count_hot", q, 4, v) != 0 ||
            count_final(r, &r->cold, r->cold_tbl, p->day, cond, &cold_n) != 0)
            return -1;
        if (cold_n == v[0] || pass == 1)
            break;
        hot_before = v[0];
        if (repair_late(r, p, hi, &late) != 0)
            return -1;
        LOG(LOG_INFO, LC_COLD,
            "cold_late_rows_copied day=%d minutes=%d hot_rows=%lld "
            "cold_rows=%lld",
            p->day, late, v[0], cold_n);
    }
    if (cold_n != v[0] && hot_before >= 0 && v[0] != hot_before) {
        /* Hot is still receiving rows below hi (a backlog draining into
         * it): nothing can be verified yet, and nothing is wrong. */
        LOG(LOG_INFO, LC_COLD,
            "cold_window_deferred day=%d reason=hot_growing hot_rows=%lld "
            "cold_rows=%lld",
            p->day, v[0], cold_n);
        note_lag(r, v[1] - cold_n, v[3]);
        return save(r) == 0 ? 0 : -1;
    }
    if (cold_n != v[0]) {
        mismatch(r, e, "today", v[0], cold_n);
        note_lag(r, v[1] - cold_n, v[3]);
        return save(r) == 0 ? 0 : -1;
    }
    note_lag(r, v[1] - v[0], v[2]);
    if (hi > lo) {
        atomic_fetch_add(&r->st->windows_verified, 1);
        atomic_fetch_add(&r->st->rows_copied, v[0] - e->rows);
        LOG(LOG_DEBUG, LC_COLD,
            "cold_window_verified day=%d from_ms=%" PRId64 " to_ms=%" PRId64
            " rows=%lld",
            p->day, lo, hi, v[0]);
    }
    e->upto_ts_ms = hi > lo ? hi : lo;
    e->rows = v[0];
    e->mismatches = 0;
    return save(r) == 0 ? 0 : -1;
}

static int64_t day_number(int day)
{
    return hktime_days_from_civil(day / 10000, day / 100 % 100, day % 100);
}

/* Drop closed day p from hot when it is verified, unchanged and older
 * than the retention. 0 (dropped or kept), -1 failed. */
static int retain(repl *r, const part *p, int today)
{
    int keep = r->cfg->retention_days;
    if (keep <= 0 || day_number(today) - day_number(p->day) <= keep)
        return 0;
    cold_day *e = cold_state_day(&r->state, p->day, false);
    if (!e || !e->closed || e->max_block != p->max_block)
        return 0;
    char q[SQL_MAX];
    snprintf(q, sizeof(q), "ALTER TABLE %s DROP PARTITION ID '%d'", r->hot_tbl,
             p->day);
    if (exec(r, &r->hot, "drop_hot", q) != 0)
        return -1;
    e->dropped = true;
    atomic_fetch_add(&r->st->partitions_dropped, 1);
    LOG(LOG_INFO, LC_COLD,
        "cold_hot_partition_dropped day=%d rows=%lld retention_days=%d", p->day,
        (long long)e->rows, keep);
    return save(r) == 0 ? 0 : -1;
}

/* One cycle. Returns 0 done, 1 stopped, -1 failed (logged). */
static int cycle(repl *r, part *parts)
{
    int n = 0;
    if (ensure_schema(r) != 0 || list_parts(r, parts, MAX_PARTS, &n) != 0)
        return -1;
    int64_t now = hktime_now_ms();
    int today = hktime_trading_day(now);
    int64_t hi = now - (int64_t)r->cfg->settle_sec * 1000;
    r->lag_rows = 0;
    r->oldest_ms = 0;
    for (int i = 0; i < n; i++) {
        if (r->stop())
            return 1;
        const part *p = &parts[i];
        int rc = p->day < today ? copy_closed(r, p) : copy_open(r, p, hi);
        if (rc == 0 && p->day < today)
            rc = retain(r, p, today);
        if (rc != 0)
            return r->stop() ? 1 : -1;
    }
    int worst = 0;
    for (size_t i = 0; i < r->state.n; i++)
        if (r->state.days[i].mismatches > worst)
            worst = r->state.days[i].mismatches;
    atomic_store(&r->st->mismatch_run, worst);
    atomic_store(&r->st->lag_rows, r->lag_rows);
    atomic_store(&r->st->caught_up_ms, r->oldest_ms ? r->oldest_ms : hi);
    return 0;
}

/* mkdir -p dir (0755). Returns 0 or -errno. */
static int mkdirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(p))
        return -ENAMETOOLONG;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -errno;
        p[i] = c;
    }
    return 0;
}

/* Load the watermark; a corrupt one is moved aside (logged) and the run
 * starts empty. Returns 0, or -1 when the directory is unusable. */
static int load_state(repl *r)
{
    const char *dir = r->cfg->state_dir;
    char err[256] = "", path[4200], aside[4300];
    int rc = mkdirs(dir);
    if (rc == 0)
        rc = cold_state_load(&r->state, dir, err, sizeof(err));
    if (rc == -EBADMSG) {
        snprintf(path, sizeof(path), "%s/watermark.json", dir);
        snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path,
                 (long long)(hktime_now_ms() / 1000));
        rc = rename(path, aside) == 0 ? 1 : -errno;
        LOG(LOG_ERROR, LC_COLD,
            "cold_state_corrupt path=%s reason=\"%s\" moved_to=%s "
            "action=reverify_all",
            path, err, aside);
    }
    if (rc < 0) {
        LOG(LOG_ERROR, LC_COLD, "cold_state_unusable dir=%s err=\"%s\"", dir,
            strerror(-rc));
        return -1;
    }
    LOG(LOG_INFO, LC_COLD, "cold_state_loaded dir=%s days=%zu", dir,
        r->state.n);
    return 0;
}

/* Sleep ms in short steps; returns early when stop() turns true. */
static void nap(bool (*stop)(void), int64_t ms)
{
    int64_t end = hktime_mono_ms() + ms;
    while (!stop() && hktime_mono_ms() < end) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void cycle_done(repl *r, int64_t t0)
{
    cold_stats *st = r->st;
    int64_t ms = hktime_mono_ms() - t0;
    atomic_fetch_add(&st->cycles, 1);
    atomic_store(&st->last_success_ms, hktime_now_ms());
    atomic_store(&st->last_success_mono_ms, hktime_mono_ms());
    svc_hist_add(&st->cycle_ms, (double)ms);
    LOG(LOG_DEBUG, LC_COLD, "cold_cycle_done ms=%lld lag_rows=%lld",
        (long long)ms, (long long)atomic_load(&st->lag_rows));
}

int cold_run(const cold_config *cfg, cold_stats *st, bool (*stop)(void))
{
    repl r = {.cfg = cfg, .st = st, .stop = stop};
    const char *cold_url = cfg->cold_clickhouse_url[0]
                               ? cfg->cold_clickhouse_url
                               : cfg->clickhouse_url;
    part *parts = malloc(MAX_PARTS * sizeof(*parts));
    r.partition_mode =
        cfg->same_server && strcmp(cfg->copy_mode, "stream") != 0;
    snprintf(r.hot_tbl, sizeof(r.hot_tbl), "%s.ticks", cfg->hot_database);
    snprintf(r.cold_tbl, sizeof(r.cold_tbl), "%s.ticks", cfg->cold_database);
    snprintf(r.stage_tbl, sizeof(r.stage_tbl), "%s.ticks_staging",
             cfg->cold_database);
    if (!parts || load_state(&r) != 0 ||
        ch_client_init(&r.hot, cfg->clickhouse_url, cfg->timeout_ms) != 0 ||
        ch_client_init(&r.cold, cold_url, cfg->timeout_ms) != 0) {
        ch_client_free(&r.hot);
        cold_state_free(&r.state);
        free(parts);
        return 1;
    }
    int64_t backoff = cfg->retry_min_ms;
    while (!stop()) {
        int64_t t0 = hktime_mono_ms();
        int rc = cycle(&r, parts);
        if (rc == 1)
            break;
        if (rc == 0) {
            cycle_done(&r, t0);
            backoff = cfg->retry_min_ms;
            nap(stop, (int64_t)cfg->interval_sec * 1000);
            continue;
        }
        atomic_fetch_add(&st->errors, 1);
        r.schema_ok = false;
        LOG(LOG_WARNING, LC_COLD, "cold_cycle_failed retry_in_ms=%lld",
            (long long)backoff);
        nap(stop, backoff);
        backoff =
            backoff * 2 > cfg->retry_max_ms ? cfg->retry_max_ms : backoff * 2;
    }
    ch_client_free(&r.hot);
    ch_client_free(&r.cold);
    cold_state_free(&r.state);
    free(parts);
    return 0;
}
