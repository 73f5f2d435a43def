/*
 * writer.c - the writer thread (see writer.h for the contract).
 *
 * Loop: wait for rows (queue first, then the live spool, which only holds
 * rows newer than anything queued), split the batch by trading day, and for
 * each day run one transaction: INSERT OR IGNORE every row, upsert the
 * per-symbol running totals, COMMIT. A failed attempt rolls back; busy and
 * locked errors keep the connection, any other error reopens it; the same
 * rows are retried after min(base * 2^(n-1), max) seconds.
 * A damaged or foreign day file (store_damage_reason) is not retried: it
 * is closed and set aside (set_aside: store_set_aside, day_file_set_aside,
 * set_aside_* atomics read by /health) and the same rows go at once to a
 * fresh file of that day, up to WRITER_SET_ASIDE_MAX times per run.
 *
 * Threads: the writer thread owns stores[], batch and the per-batch
 * accumulators. Other threads only read writer_stats and the persisted_*
 * arrays (atomics), set stopping, and request a recovery (writer_recover:
 * recover_gen, sqlite3_interrupt on live_db under db_mu, which the writer
 * keeps in step with stores[] through open_store / close_store).
 */
#include "collector/writer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/hktime.h"
#include "common/log.h"

/* Per-symbol accumulator of the transaction in progress. */
struct acc {
    int64_t rows;
    int64_t min_ts;
    int64_t max_ts;
    int64_t max_seq;
    int has_seq;
    int touched;
};

struct writer_scratch {
    struct acc *acc;
    uint32_t *touched;
    uint32_t n_touched;
};

/* The scratch lives beside the writer; allocated in writer_init. */
static struct writer_scratch *scratch_of(writer *w)
{
    return (struct writer_scratch *)(w->batch + w->batch_cap);
}

int writer_init(writer *w, const config *cfg, const symtab *syms, queue *q,
                spool *sp)
{
    size_t cap = (size_t)cfg->max_batch_rows;
    size_t scratch = sizeof(struct writer_scratch) + sizeof(max_align_t);

    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->db_mu, NULL);
    w->cfg = cfg;
    w->syms = syms;
    w->q = q;
    w->sp = sp;
    w->batch_cap = cap;
    w->batch = malloc(cap * sizeof(row) + scratch);
    w->persisted_seq = malloc(syms->cap * sizeof(*w->persisted_seq));
    w->persisted_ts = calloc(syms->cap, sizeof(*w->persisted_ts));
    if (!w->batch || !w->persisted_seq || !w->persisted_ts)
        goto fail;
    struct writer_scratch *s = scratch_of(w);
    s->acc = calloc(syms->cap, sizeof(struct acc));
    s->touched = calloc(syms->cap, sizeof(uint32_t));
    s->n_touched = 0;
    if (!s->acc || !s->touched)
        goto fail;
    /* Replay hands over chunks of up to 256 rows whatever the cap. */
    w->order = malloc((cap > 256 ? cap : 256) * sizeof(uint32_t));
    w->reasons = malloc(cap);
    quarantine_init(&w->qr, cfg->data_root, cfg->quarantine_max_rows_per_day);
    if (!w->order || !w->reasons || gapdet_init(&w->gd, cfg, syms->cap) != 0)
        goto fail;
    for (uint32_t i = 0; i < syms->cap; i++)
        atomic_init(&w->persisted_seq[i], WRITER_SEQ_NONE);
    return 0;
fail:
    writer_free(w);
    return -ENOMEM;
}

void writer_free(writer *w)
{
    if (w->batch) {
        struct writer_scratch *s = scratch_of(w);
        free(s->acc);
        free(s->touched);
    }
    for (int i = 0; i < WRITER_MAX_DAYS; i++)
        store_close(&w->stores[i], false);
    pthread_mutex_destroy(&w->db_mu);
    gapdet_free(&w->gd);
    quarantine_free(&w->qr);
    free(w->reasons);
    free(w->order);
    free(w->batch);
    free((void *)w->persisted_seq);
    free((void *)w->persisted_ts);
    memset(w, 0, sizeof(*w));
}

void writer_seed_gaps(writer *w, uint32_t sym, const int64_t *ts, int n)
{
    gapdet_gap g;
    gapdet_begin(&w->gd);
    for (int i = 0; i < n; i++)
        (void)gapdet_tick(&w->gd, sym, ts[i], &g);
    gapdet_commit(&w->gd);
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
    const row *rows = arg;
    const row *x = &rows[*(const uint32_t *)a];
    const row *y = &rows[*(const uint32_t *)b];
    int64_t xs = (x->flags & ROW_HAS_SEQ) ? x->seq : -1;
    int64_t ys = (y->flags & ROW_HAS_SEQ) ? y->seq : -1;
    if (x->sym != y->sym)
        return x->sym < y->sym ? -1 : 1;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    return (xs > ys) - (xs < ys);
}

/* Run the gap detector over the rows of `day`; insert gap rows. */
static int detect_gaps(writer *w, store *s, const row *rows, size_t n, int day,
                       int64_t now_ms, long long *gaps)
{
    uint32_t k = 0;
    char meta[512];

    for (size_t i = 0; i < n; i++)
        if (hktime_trading_day(rows[i].ts_ms) == day)
            w->order[k++] = (uint32_t)i;
    qsort_r(w->order, k, sizeof(uint32_t), cmp_rows, (void *)rows);
    for (uint32_t i = 0; i < k; i++) {
        const row *r = &rows[w->order[i]];
        gapdet_gap g;
        int ins = 0;
        if (!gapdet_tick(&w->gd, r->sym, r->ts_ms, &g))
            continue;
        gapdet_meta_json(&w->gd, &g, meta, sizeof(meta));
        int rc = store_insert_gap(s, symtab_name(w->syms, r->sym), g.prev_ts,
                                  g.curr_ts, now_ms, meta, &ins);
        if (rc != SQLITE_OK)
            return rc;
        *gaps += ins;
    }
    return SQLITE_OK;
}

void writer_seed_seq(writer *w, uint32_t sym, int64_t seq, int64_t ts)
{
    if (seq > atomic_load(&w->persisted_seq[sym]))
        atomic_store(&w->persisted_seq[sym], seq);
    if (ts > atomic_load(&w->persisted_ts[sym]))
        atomic_store(&w->persisted_ts[sym], ts);
}

static void sleep_ms(double ms)
{
    struct timespec ts;
    if (ms <= 0)
        return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Open a day file into s and publish its connection for writer_recover. */
static int open_store(writer *w, store *s, int day, char *err, size_t el)
{
    int rc = store_open(s, w->cfg, day, err, el);

    if (rc == SQLITE_OK) {
        pthread_mutex_lock(&w->db_mu);
        w->live_db[s - w->stores] = s->db;
        pthread_mutex_unlock(&w->db_mu);
    }
    return rc;
}

/* Withdraw s's connection from writer_recover, then close it. */
static void close_store(writer *w, store *s, bool checkpoint)
{
    pthread_mutex_lock(&w->db_mu);
    w->live_db[s - w->stores] = NULL;
    pthread_mutex_unlock(&w->db_mu);
    store_close(s, checkpoint);
}

static store *get_store(writer *w, int day, int *rc, char *err, size_t el)
{
    store *free_slot = NULL, *lru = NULL;

    for (int i = 0; i < WRITER_MAX_DAYS; i++) {
        store *s = &w->stores[i];
        if (s->day == day && s->db) {
            s->last_used_mono_ms = hktime_mono_ms();
            *rc = SQLITE_OK;
            return s;
        }
        if (!s->db && !free_slot)
            free_slot = s;
        if (s->db && (!lru || s->last_used_mono_ms < lru->last_used_mono_ms))
            lru = s;
    }
    if (!free_slot) {
        close_store(w, lru, true);
        free_slot = lru;
    }
    *rc = open_store(w, free_slot, day, err, el);
    return *rc == SQLITE_OK ? free_slot : NULL;
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case SQLITE_BUSY:
        return "SQLITE_BUSY";
    case SQLITE_LOCKED:
        return "SQLITE_LOCKED";
    case SQLITE_FULL:
        return "SQLITE_FULL";
    case SQLITE_READONLY:
        return "SQLITE_READONLY";
    case SQLITE_IOERR:
        return "SQLITE_IOERR";
    case SQLITE_CANTOPEN:
        return "SQLITE_CANTOPEN";
    case SQLITE_CORRUPT:
        return "SQLITE_CORRUPT";
    case SQLITE_INTERRUPT:
        return "SQLITE_INTERRUPT";
    case SQLITE_NOTADB:
        return "SQLITE_NOTADB";
    case STORE_FOREIGN_SCHEMA:
        return "FOREIGN_SCHEMA";
    default:
        return "SQLITE_ERROR";
    }
}

/* One transaction for the rows of `day`. */
static int try_day(writer *w, const row *rows, size_t n, int day,
                   long long *ins, long long *ign, long long *gaps, char *err,
                   size_t el, store **out)
{
    struct writer_scratch *sc = scratch_of(w);
    int rc;
    store *s = get_store(w, day, &rc, err, el);
    int64_t now_ms;

    *out = s;
    *ins = *ign = *gaps = 0;
    if (!s)
        return rc;
    rc = store_begin(s);
    if (rc != SQLITE_OK)
        goto fail;
    gapdet_begin(&w->gd);
    if (w->test_in_txn) {
        rc = w->test_in_txn(s->db, w->test_ud);
        if (rc != SQLITE_OK)
            goto fail;
    }
    now_ms = hktime_now_ms();
    for (size_t i = 0; i < n; i++) {
        const row *r = &rows[i];
        int inserted = 0;
        if (hktime_trading_day(r->ts_ms) != day)
            continue;
        rc = store_insert(s, r, w->syms, now_ms, &inserted);
        if (rc != SQLITE_OK)
            goto fail;
        if (!inserted) {
            (*ign)++;
            continue;
        }
        (*ins)++;
        struct acc *a = &sc->acc[r->sym];
        if (!a->touched) {
            memset(a, 0, sizeof(*a));
            a->touched = 1;
            a->min_ts = r->ts_ms;
            a->max_ts = r->ts_ms;
            sc->touched[sc->n_touched++] = r->sym;
        }
        a->rows++;
        if (r->ts_ms < a->min_ts)
            a->min_ts = r->ts_ms;
        if (r->ts_ms > a->max_ts)
            a->max_ts = r->ts_ms;
        if (r->flags & ROW_HAS_SEQ) {
            if (!a->has_seq || r->seq > a->max_seq)
                a->max_seq = r->seq;
            a->has_seq = 1;
        }
    }
    if (w->cfg->gap_enabled) {
        rc = detect_gaps(w, s, rows, n, day, now_ms, gaps);
        if (rc != SQLITE_OK)
            goto fail;
    }
    for (uint32_t k = 0; k < sc->n_touched; k++) {
        uint32_t id = sc->touched[k];
        struct acc *a = &sc->acc[id];
        rc = store_add_totals(s, symtab_name(w->syms, id), a->rows, a->min_ts,
                              a->max_ts, a->max_seq, a->has_seq != 0, now_ms);
        if (rc != SQLITE_OK)
            goto fail;
    }
    rc = store_commit(s);
    if (rc != SQLITE_OK)
        goto fail;
    gapdet_commit(&w->gd);
    /* Durable now: publish per-symbol progress. */
    for (uint32_t k = 0; k < sc->n_touched; k++) {
        uint32_t id = sc->touched[k];
        struct acc *a = &sc->acc[id];
        if (a->has_seq && a->max_seq > atomic_load(&w->persisted_seq[id]))
            atomic_store(&w->persisted_seq[id], a->max_seq);
        if (a->max_ts > atomic_load(&w->persisted_ts[id]))
            atomic_store(&w->persisted_ts[id], a->max_ts);
        if (a->max_ts > atomic_load(&w->st.max_ts_ms))
            atomic_store(&w->st.max_ts_ms, a->max_ts);
        a->touched = 0;
    }
    sc->n_touched = 0;
    return SQLITE_OK;
fail:
    /* The connection's own text, unless it has none for this code. */
    snprintf(err, el, "%s",
             sqlite3_errcode(s->db) != SQLITE_OK ? sqlite3_errmsg(s->db)
                                                 : sqlite3_errstr(rc));
    store_rollback(s);
    gapdet_rollback(&w->gd);
    for (uint32_t k = 0; k < sc->n_touched; k++)
        sc->acc[sc->touched[k]].touched = 0;
    sc->n_touched = 0;
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        close_store(w, s, false);
    return rc;
}

static long long last_seq_of(const row *rows, size_t n, int day, bool *has)
{
    *has = false;
    for (size_t i = n; i-- > 0;)
        if (hktime_trading_day(rows[i].ts_ms) == day &&
            (rows[i].flags & ROW_HAS_SEQ)) {
            *has = true;
            return rows[i].seq;
        }
    return 0;
}

/*
 * Act on a pending recovery request: close every connection (the next
 * attempt reopens), count it, acknowledge. Writer thread only; no
 * transaction is open at the call sites. Returns whether one was pending.
 */
static bool take_recovery(writer *w)
{
    unsigned gen = atomic_load(&w->recover_gen);

    if (gen == atomic_load(&w->recover_ack))
        return false;
    for (int i = 0; i < WRITER_MAX_DAYS; i++)
        close_store(w, &w->stores[i], false);
    atomic_fetch_add(&w->st.recovery_count, 1);
    LOG(LOG_WARNING, LC_DB,
        "persist_recovery_acknowledged generation=%u batch=%zu "
        "queue=%zu/%zu action=reopen_and_retry",
        gen, w->batch_len, queue_len(w->q), w->q->cap);
    atomic_store(&w->recover_ack, gen);
    return true;
}

int writer_recover(writer *w, int timeout_ms, int64_t *ack_ms)
{
    unsigned gen = atomic_fetch_add(&w->recover_gen, 1) + 1;
    int64_t t0 = hktime_mono_ms();

    pthread_mutex_lock(&w->db_mu);
    for (int i = 0; i < WRITER_MAX_DAYS; i++)
        if (w->live_db[i])
            sqlite3_interrupt(w->live_db[i]);
    pthread_mutex_unlock(&w->db_mu);
    for (;;) {
        /* The writer acknowledges this request or a later one. */
        if ((int)(atomic_load(&w->recover_ack) - gen) >= 0)
            break;
        if (hktime_mono_ms() - t0 >= timeout_ms)
            return -ETIMEDOUT;
        sleep_ms(5);
    }
    if (ack_ms)
        *ack_ms = hktime_mono_ms() - t0;
    return 0;
}

static bool past_deadline(writer *w)
{
    return atomic_load(&w->stopping) &&
           hktime_mono_ms() > atomic_load(&w->stop_deadline_mono_ms);
}

const char *writer_aside_name(int reason)
{
    switch (reason) {
    case WRITER_ASIDE_CORRUPT:
        return "corrupt";
    case WRITER_ASIDE_NOTADB:
        return "notadb";
    case WRITER_ASIDE_FOREIGN:
        return "foreign_schema";
    default:
        return "none";
    }
}

/*
 * The day file of `day` failed with rc, a code store_damage_reason names:
 * close it, set it aside, log day_file_set_aside and publish it for
 * /health. Returns 0 when the file was moved (the caller retries the same
 * rows at once into a fresh file), -1 when it stays (cap reached or the
 * rename failed: the caller backs off as for any error).
 */
static int set_aside(writer *w, int day, int rc, const char *err, size_t n)
{
    const char *why = store_damage_reason(rc);
    char path[1100], dst[1300], q1[600], q2[1400], q3[1400];
    int e;

    if (atomic_load(&w->st.set_aside_count) >= WRITER_SET_ASIDE_MAX)
        return -1;
    for (int i = 0; i < WRITER_MAX_DAYS; i++)
        if (w->stores[i].db && w->stores[i].day == day)
            close_store(w, &w->stores[i], false);
    store_day_path(w->cfg->data_root, day, path, sizeof(path));
    e = store_set_aside(path, why, hktime_now_ms(), dst, sizeof(dst));
    if (e != 0) {
        LOG(LOG_ERROR, LC_DB,
            "day_file_set_aside_failed day=%08d path=%s reason=%s err=%s", day,
            log_quote(path, q2, sizeof(q2)), why,
            log_quote(strerror(-e), q1, sizeof(q1)));
        return -1;
    }
    LOG(LOG_ERROR, LC_DB,
        "day_file_set_aside day=%08d path=%s set_aside=%s reason=%s "
        "detail=%s batch=%zu",
        day, log_quote(path, q2, sizeof(q2)), log_quote(dst, q3, sizeof(q3)),
        why, log_quote(err, q1, sizeof(q1)), n);
    atomic_store(&w->st.set_aside_day, day);
    atomic_store(&w->st.set_aside_reason,
                 rc == STORE_FOREIGN_SCHEMA     ? WRITER_ASIDE_FOREIGN
                 : (rc & 0xff) == SQLITE_NOTADB ? WRITER_ASIDE_NOTADB
                                                : WRITER_ASIDE_CORRUPT);
    atomic_fetch_add(&w->st.set_aside_count, 1);
    return 0;
}

/* Commit all rows of one day, retrying until success or deadline. */
static int commit_day(writer *w, const row *rows, size_t n, int day,
                      long long *tot_ins, long long *tot_ign)
{
    char err[512];
    char q[600];
    int attempt = 0;
    int64_t t0 = hktime_mono_ms();

    for (;;) {
        long long ins = 0, ign = 0, gaps = 0;
        store *s = NULL;
        int64_t start = hktime_mono_ms();
        int rc =
            try_day(w, rows, n, day, &ins, &ign, &gaps, err, sizeof(err), &s);
        if (rc == SQLITE_OK) {
            int64_t end = hktime_mono_ms();
            double lat = (double)(end - start);
            *tot_ins += ins;
            *tot_ign += ign;
            svc_hist_add(&w->st.commit_hist, lat);
            if (w->sum_lat_n < 256)
                w->sum_lat[w->sum_lat_n++] = lat;
            LOG(LOG_INFO, LC_DB,
                "persist_ticks db_path=%s batch=%lld inserted=%lld "
                "ignored=%lld gaps=%lld commit_latency_ms=%lld "
                "checkpoint=none",
                s->path, ins + ign, ins, ign, gaps, (long long)(end - t0));
            return 0;
        }
        /* A damaged or foreign file: set aside, same rows, fresh file. */
        if (store_damage_reason(rc) && set_aside(w, day, rc, err, n) == 0)
            continue;
        attempt++;
        atomic_fetch_add(&w->st.backoff_count, 1);
        if (atomic_load(&w->st.last_error) == rc)
            atomic_fetch_add(&w->st.last_error_count, 1);
        else
            atomic_store(&w->st.last_error_count, 1);
        atomic_store(&w->st.last_error, rc);
        double backoff = w->cfg->persist_retry_backoff_sec *
                         pow(2.0, attempt - 1 > 30 ? 30 : attempt - 1);
        if (backoff > w->cfg->persist_retry_backoff_max_sec)
            backoff = w->cfg->persist_retry_backoff_max_sec;
        atomic_store(&w->st.last_backoff_us, (long long)(backoff * 1e6));
        bool has;
        long long ls = last_seq_of(rows, n, day, &has);
        char lsbuf[32];
        if (has)
            snprintf(lsbuf, sizeof(lsbuf), "%lld", ls);
        else
            snprintf(lsbuf, sizeof(lsbuf), "none");
        char path[1100];
        store_day_path(w->cfg->data_root, day, path, sizeof(path));
        size_t ql = queue_len(w->q);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            atomic_fetch_add(&w->st.busy_count, 1);
            LOG(LOG_ERROR, LC_DB,
                "sqlite_busy_backoff trading_day=%08d db_path=%s batch=%zu "
                "attempt=%d sleep_sec=%.3f queue=%zu/%zu last_seq=%s err=%s",
                day, path, n, attempt, backoff, ql, w->q->cap, lsbuf,
                log_quote(err, q, sizeof(q)));
        } else {
            atomic_fetch_add(&w->st.flush_failed, 1);
            LOG(LOG_ERROR, LC_DB,
                "persist_flush_failed trading_day=%08d db_path=%s batch=%zu "
                "attempt=%d queue=%zu/%zu last_seq=%s err=%s code=%s",
                day, path, n, attempt, ql, w->q->cap, lsbuf,
                log_quote(err, q, sizeof(q)), rc_name(rc));
        }
        if (w->cfg->persist_retry_max_attempts > 0 &&
            attempt == w->cfg->persist_retry_max_attempts)
            LOG(LOG_ERROR, LC_DB,
                "persist_retry_budget_exhausted trading_day=%08d batch=%zu "
                "attempts=%d queue=%zu/%zu continuing_with_backoff",
                day, n, attempt, ql, w->q->cap);
        /* A watchdog recovery: fresh connections, retry at once. */
        if (take_recovery(w))
            continue;
        /* Sleep in slices so a stop deadline or a recovery request is
         * honoured promptly. */
        double left = backoff * 1000;
        while (left > 0) {
            if (past_deadline(w))
                return -1;
            if (take_recovery(w))
                break;
            double step = left > 50 ? 50 : left;
            sleep_ms(step);
            left -= step;
        }
        if (past_deadline(w))
            return -1;
    }
}

int writer_commit_rows(writer *w, const row *rows, size_t n,
                       long long *inserted, long long *ignored)
{
    int days[16];
    int nd = 0;
    long long ins = 0, ign = 0;
    int64_t now;

    if (n == 0)
        return 0;
    /* Distinct trading days in first-seen order (almost always one). */
    for (size_t i = 0; i < n; i++) {
        int d = hktime_trading_day(rows[i].ts_ms);
        int k;
        for (k = 0; k < nd; k++)
            if (days[k] == d)
                break;
        if (k == nd) {
            if (nd == 16) {
                /* Pathological spread: commit what we have, then rest. */
                if (writer_commit_rows(w, rows, i, inserted, ignored) != 0)
                    return -1;
                return writer_commit_rows(w, rows + i, n - i, inserted,
                                          ignored);
            }
            days[nd++] = d;
        }
    }
    for (int k = 0; k < nd; k++)
        if (commit_day(w, rows, n, days[k], &ins, &ign) != 0)
            return -1;
    now = hktime_now_ms();
    /* In double: a recv_ts_ms far from now must not overflow int64. */
    for (size_t i = 0; i < n; i++)
        svc_hist_add(&w->st.lat_hist, (double)now - (double)rows[i].recv_ts_ms);
    atomic_fetch_add(&w->st.rows_inserted, ins);
    atomic_fetch_add(&w->st.rows_ignored, ign);
    atomic_fetch_add(&w->st.commits, 1);
    atomic_fetch_add(&w->st.win_inserted, ins);
    atomic_fetch_add(&w->st.win_ignored, ign);
    atomic_fetch_add(&w->st.win_commits, 1);
    atomic_store(&w->st.last_commit_rows, ins);
    atomic_store(&w->st.last_commit_mono_ms, hktime_mono_ms());
    if (w->on_commit && ins > 0)
        w->on_commit(w->on_commit_ud);
    w->sum_inserted += ins;
    w->sum_ignored += ign;
    w->sum_batches++;
    if (inserted)
        *inserted += ins;
    if (ignored)
        *ignored += ign;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void log_summary(writer *w, int64_t now)
{
    double win = (double)(now - w->last_summary_mono_ms) / 1000.0;
    double p50 = 0, p95 = 0;
    if (w->sum_lat_n > 0) {
        qsort(w->sum_lat, (size_t)w->sum_lat_n, sizeof(double), cmp_double);
        p50 = w->sum_lat[(w->sum_lat_n - 1) / 2];
        p95 = w->sum_lat[(int)((w->sum_lat_n - 1) * 0.95)];
    }
    double per_min = win > 0 ? 60.0 / win : 0;
    LOG(LOG_INFO, LC_COLLECTOR,
        "persist_summary window_sec=%.1f inserted_per_min=%.0f "
        "ignored_per_min=%.0f commit_latency_ms_p50=%.1f "
        "commit_latency_ms_p95=%.1f queue=%zu/%zu batches=%lld "
        "push_to_commit_ms_p50=%.1f push_to_commit_ms_p99=%.1f",
        win, (double)w->sum_inserted * per_min,
        (double)w->sum_ignored * per_min, p50, p95, queue_len(w->q), w->q->cap,
        (long long)w->sum_batches, svc_hist_quantile(&w->st.lat_hist, 0.50),
        svc_hist_quantile(&w->st.lat_hist, 0.99));
    w->sum_inserted = w->sum_ignored = w->sum_batches = 0;
    w->sum_lat_n = 0;
    w->last_summary_mono_ms = now;
}

/* Sum of the -wal sizes of the open day files (closed days are
 * checkpointed with TRUNCATE, so their WAL is empty). stat only: the
 * writer opens no descriptors for this. */
static long long wal_bytes(const writer *w)
{
    long long total = 0;
    char path[1200];
    struct stat st;

    for (int i = 0; i < WRITER_MAX_DAYS; i++) {
        if (!w->stores[i].db)
            continue;
        snprintf(path, sizeof(path), "%s-wal", w->stores[i].path);
        if (stat(path, &st) == 0)
            total += st.st_size;
    }
    return total;
}

static void log_heartbeat(writer *w, int64_t now)
{
    static const char *none = "none";
    int64_t lc = atomic_load(&w->st.last_commit_mono_ms);
    int64_t ld = atomic_load(&w->st.last_drain_mono_ms);
    double span = (double)(now - w->last_heartbeat_mono_ms) / 1000.0;
    int le = atomic_load(&w->st.last_error);
    char lcage[32], ldage[32];

    if (lc)
        snprintf(lcage, sizeof(lcage), "%.1f", (double)(now - lc) / 1000.0);
    else
        snprintf(lcage, sizeof(lcage), "none");
    if (ld)
        snprintf(ldage, sizeof(ldage), "%.1f", (double)(now - ld) / 1000.0);
    else
        snprintf(ldage, sizeof(ldage), "none");
    long long out = atomic_exchange(&w->st.win_out, 0);
    LOG(LOG_INFO, LC_COLLECTOR,
        "persist_loop_heartbeat worker_alive=True queue=%zu/%zu "
        "drain_rate_rows_per_sec=%.2f commit_rate_rows_per_sec=%.2f "
        "last_drain_ts_age_sec=%s last_commit_ts_age_sec=%s "
        "last_exception_type=%s last_exception_count=%lld "
        "busy_locked_count=%lld busy_backoff_count=%lld last_backoff_sec=%.3f "
        "last_commit_rows=%lld wal_bytes=%lld recovery_count=%lld",
        queue_len(w->q), w->q->cap, span > 0 ? (double)out / span : 0.0,
        span > 0 ? (double)atomic_load(&w->st.commits) / span : 0.0, ldage,
        lcage, le ? rc_name(le) : none,
        (long long)atomic_load(&w->st.last_error_count),
        (long long)atomic_load(&w->st.busy_count),
        (long long)atomic_load(&w->st.backoff_count),
        (double)atomic_load(&w->st.last_backoff_us) / 1e6,
        (long long)atomic_load(&w->st.last_commit_rows), wal_bytes(w),
        (long long)atomic_load(&w->st.recovery_count));
    w->last_heartbeat_mono_ms = now;
}

/* Checkpoint and close past days idle for DAY_IDLE_CLOSE_SEC. */
static void close_idle_days(writer *w, int64_t now)
{
    int today = hktime_trading_day(hktime_now_ms());
    for (int i = 0; i < WRITER_MAX_DAYS; i++) {
        store *s = &w->stores[i];
        if (!s->db || s->day == today)
            continue;
        if (now - s->last_used_mono_ms <
            (int64_t)w->cfg->day_idle_close_sec * 1000)
            continue;
        LOG(LOG_INFO, LC_DB,
            "day_file_closed db_path=%s reason=idle "
            "checkpoint=truncate",
            s->path);
        close_store(w, s, true);
    }
}

static void housekeeping(writer *w)
{
    int64_t now = hktime_mono_ms();
    (void)take_recovery(w); /* an idle writer acknowledges here */
    if (now - w->last_heartbeat_mono_ms >=
        (int64_t)w->cfg->persist_heartbeat_interval_sec * 1000)
        log_heartbeat(w, now);
    close_idle_days(w, now);
}

/* ---- validation ----------------------------------------------------------
 * Kept apart from the day-file path above: rows are screened as they are
 * taken, before commit_day ever sees them, so a bad row can neither reach
 * `ticks` nor make a day file exist. */

/* Store the bad rows, retrying like commit_day. 0, or -1 past deadline. */
static int quarantine_rows_retry(writer *w, const row *rows, size_t n)
{
    char err[512], q[600];
    int attempt = 0;

    for (;;) {
        int rc = quarantine_write(&w->qr, rows, w->reasons, n, w->syms,
                                  hktime_now_ms(), err, sizeof(err));
        if (rc == SQLITE_OK)
            return 0;
        attempt++;
        double backoff = w->cfg->persist_retry_backoff_sec *
                         pow(2.0, attempt - 1 > 30 ? 30 : attempt - 1);
        if (backoff > w->cfg->persist_retry_backoff_max_sec)
            backoff = w->cfg->persist_retry_backoff_max_sec;
        LOG(LOG_ERROR, LC_DB,
            "quarantine_write_failed dir=%s batch=%zu attempt=%d "
            "sleep_sec=%.3f err=%s code=%s",
            w->qr.dir, n, attempt, backoff, log_quote(err, q, sizeof(q)),
            rc_name(rc));
        for (double left = backoff * 1000; left > 0; left -= 50) {
            if (past_deadline(w))
                return -1;
            sleep_ms(left > 50 ? 50 : left);
        }
        if (past_deadline(w))
            return -1;
    }
}

long writer_screen_rows(writer *w, row *rows, size_t n)
{
    const config *c = w->cfg;
    validate_limits lim = {c->accept_days_back, c->accept_days_ahead,
                           c->accept_price_max, c->accept_volume_max};
    int64_t today = validate_hk_day(hktime_now_ms());
    size_t bad = 0, k = 0;

    for (size_t i = 0; i < n; i++) {
        w->reasons[i] = (uint8_t)validate_row(&rows[i], w->syms, &lim, today);
        bad += w->reasons[i] != VALIDATE_OK;
    }
    if (bad == 0)
        return (long)n;
    if (quarantine_rows_retry(w, rows, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (w->reasons[i] == VALIDATE_OK)
            rows[k++] = rows[i];
    return (long)k;
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    int64_t now;

    atomic_store(&w->st.alive, 1);
    now = hktime_mono_ms();
    w->last_summary_mono_ms = now;
    w->last_heartbeat_mono_ms = now;
    LOG(LOG_INFO, LC_COLLECTOR,
        "persist_worker_started reason=startup generation=1 queue=%zu/%zu",
        queue_len(w->q), w->q->cap);
    for (;;) {
        int min_gap = w->cfg->commit_min_interval_ms;
        /* A stop deadline holds even while commits keep succeeding: what
         * is left goes to the crash spool instead of outliving
         * STOP_FLUSH_TIMEOUT_SEC (and systemd's TimeoutStopSec). */
        if (past_deadline(w) &&
            (queue_len(w->q) > 0 || spool_pending(w->sp) > 0)) {
            atomic_store(&w->timed_out, true);
            break;
        }
        if (min_gap > 0 && w->last_commit_start_ms > 0 &&
            !atomic_load(&w->stopping)) {
            int64_t since = hktime_mono_ms() - w->last_commit_start_ms;
            if (since < min_gap)
                sleep_ms((double)(min_gap - since));
        }
        int timeout = spool_pending(w->sp) > 0 ? 0 : 200;
        size_t n = queue_take(w->q, w->batch, w->batch_cap, timeout);
        if (n == 0)
            n = spool_take(w->sp, w->batch, w->batch_cap);
        if (n > 0) {
            w->batch_len = n;
            long good = writer_screen_rows(w, w->batch, n);
            if (good < 0) {
                atomic_store(&w->timed_out, true);
                break; /* batch_len rows stay for the crash spool */
            }
            n = (size_t)good;
            w->batch_len = n;
            w->last_commit_start_ms = hktime_mono_ms();
            atomic_store(&w->st.last_drain_mono_ms, w->last_commit_start_ms);
            atomic_fetch_add(&w->st.win_out, (long long)n);
            if (writer_commit_rows(w, w->batch, n, NULL, NULL) != 0) {
                atomic_store(&w->timed_out, true);
                break; /* batch_len rows stay for the crash spool */
            }
            w->batch_len = 0;
            now = hktime_mono_ms();
            if (now - w->last_summary_mono_ms >= 5000)
                log_summary(w, now);
        } else if (atomic_load(&w->stopping) && queue_len(w->q) == 0 &&
                   spool_pending(w->sp) == 0) {
            break;
        } else if (past_deadline(w)) {
            atomic_store(&w->timed_out, true);
            break;
        }
        housekeeping(w);
    }
    log_summary(w, hktime_mono_ms());
    atomic_store(&w->st.alive, 0);
    return NULL;
}

int writer_start(writer *w)
{
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc != 0)
        return -rc;
    w->started = true;
    return 0;
}

void writer_stop(writer *w, int64_t deadline_mono_ms)
{
    atomic_store(&w->stop_deadline_mono_ms, deadline_mono_ms);
    atomic_store(&w->stopping, true);
    queue_close(w->q);
}

void writer_join(writer *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
}

int writer_join_timed(writer *w, int timeout_ms)
{
    struct timespec ts;
    int rc;

    if (!w->started)
        return 0;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    rc = pthread_timedjoin_np(w->thread, NULL, &ts);
    if (rc == ETIMEDOUT)
        return -ETIMEDOUT;
    w->started = false;
    return 0;
}

void writer_close_all(writer *w)
{
    for (int i = 0; i < WRITER_MAX_DAYS; i++)
        close_store(w, &w->stores[i], true);
}
