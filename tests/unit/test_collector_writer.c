/*
 * test_collector_writer.c - unit tests for collector/writer.c.
 *
 * Each test loads a config (FUTU_SYMBOLS, DATA_ROOT=<own mkdtemp dir>,
 * removed in teardown), then adjusts fields directly. A symtab of ten
 * symbols, a queue and a spool are set up around one writer. Results are
 * read back with a separate SQLite connection per day file.
 *
 * Coverage: synchronous commits across HK midnight (two files, exact
 * counts), re-commit fully ignored, persisted seq/ts and stats; more days
 * than open stores (LRU) and more than 16 days in one call; the thread
 * draining 10,000 queued rows plus spooled rows by a stop deadline, with
 * hk_symbol_totals matching; SQLITE_BUSY from another connection's
 * exclusive lock retried with backoff until it commits; a stop deadline in
 * the past making a locked commit return -1 with nothing written; a
 * non-busy error (missing DATA_ROOT) retried until it heals; the latency
 * histogram and seeding; the watchdog recovery handshake: a writer stuck
 * inside SQLite (a test seam runs an endless query in its transaction) is
 * interrupted, acknowledges, reopens and commits the same rows; one stuck
 * outside SQLite's reach times out, then acts on the request late.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "collector/config.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "common/hktime.h"
#include "common/log.h"

#include "writer_fixture.h"

static int setup(void **state)
{
    return fx_setup(state, "writer");
}

static long long count_day(const struct fx *f, int day)
{
    return q_day(f, day, "SELECT COUNT(*) FROM ticks");
}

/* ------------------------------------------------------ synchronous mode */

static void test_commit_across_midnight(void **state)
{
    struct fx *f = *state;
    row rows[8];
    long long ins = 0, ign = 0;
    const int64_t mid = MAR1_UTC + 16 * HOUR; /* 2024-03-02 00:00 HKT */

    init_writer(f);
    /* 5 rows before HK midnight, 3 after, interleaved. */
    rows[0] = mk(f->id[0], mid - 5000, 10);
    rows[1] = mk(f->id[1], mid - 4000, 20);
    rows[2] = mk(f->id[0], mid + 1, 11);
    rows[3] = mk(f->id[0], mid - 1, 12);
    rows[4] = mk(f->id[1], mid + 10, 21);
    rows[5] = mk(f->id[2], mid - 3000, 30);
    rows[6] = mk(f->id[2], mid + 3000, 31);
    rows[7] = mk(f->id[1], mid - 2000, 22);
    assert_int_equal(writer_commit_rows(&f->w, rows, 8, &ins, &ign), 0);
    assert_int_equal(ins, 8);
    assert_int_equal(ign, 0);
    assert_int_equal(count_day(f, 20240301), 5);
    assert_int_equal(count_day(f, 20240302), 3);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT COUNT(*) FROM ticks WHERE "
                           "trading_day = '20240301'"),
                     5);
    assert_int_equal(q_day(f, 20240302,
                           "SELECT COUNT(*) FROM ticks WHERE "
                           "trading_day = '20240302'"),
                     3);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), 8);
    assert_int_equal(atomic_load(&f->w.st.commits), 1);
    assert_int_equal(atomic_load(&f->w.st.last_commit_rows), 8);
    assert_int_equal(atomic_load(&f->w.st.max_ts_ms), mid + 3000);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[0]]), 12);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[1]]), 22);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[2]]), 31);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[3]]),
                     WRITER_SEQ_NONE);
    assert_int_equal(atomic_load(&f->w.persisted_ts[f->id[0]]), mid + 1);
    assert_int_equal(atomic_load(&f->w.persisted_ts[f->id[3]]), 0);
    /* Totals per day file. */
    assert_int_equal(q_day(f, 20240301,
                           "SELECT SUM(rows) FROM "
                           "hk_symbol_totals"),
                     5);
    assert_int_equal(q_day(f, 20240302,
                           "SELECT SUM(rows) FROM "
                           "hk_symbol_totals"),
                     3);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT max_seq FROM "
                           "hk_symbol_totals WHERE symbol = "
                           "'HK.00700'"),
                     12);
    assert_int_equal(q_day(f, 20240302,
                           "SELECT min_ts_ms FROM "
                           "hk_symbol_totals WHERE symbol = "
                           "'HK.00700' AND trading_day = "
                           "'20240302'"),
                     mid + 1);

    /* The same rows again: all ignored, nothing changes. */
    ins = ign = 0;
    assert_int_equal(writer_commit_rows(&f->w, rows, 8, &ins, &ign), 0);
    assert_int_equal(ins, 0);
    assert_int_equal(ign, 8);
    assert_int_equal(count_day(f, 20240301), 5);
    assert_int_equal(count_day(f, 20240302), 3);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT SUM(rows) FROM "
                           "hk_symbol_totals"),
                     5);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), 8);
    assert_int_equal(atomic_load(&f->w.st.rows_ignored), 8);
    assert_int_equal(atomic_load(&f->w.st.commits), 2);
    assert_int_equal(atomic_load(&f->w.st.busy_count), 0);
    assert_int_equal(atomic_load(&f->w.st.backoff_count), 0);
    /* inserted_at_ms is the commit wall clock, not recv_ts_ms. */
    int64_t now = hktime_now_ms();
    long long at = q_day(f, 20240301,
                         "SELECT MIN(inserted_at_ms) FROM "
                         "ticks");
    assert_true(at > now - 60000 && at <= now);

    /* Zero rows is a no-op. */
    assert_int_equal(writer_commit_rows(&f->w, rows, 0, NULL, NULL), 0);
    assert_int_equal(atomic_load(&f->w.st.commits), 2);
}

static void test_many_days(void **state)
{
    struct fx *f = *state;
    enum { DAYS = 20 };
    row rows[DAYS * 2];
    long long ins = 0, ign = 0;
    int64_t start;

    init_writer(f);
    assert_int_equal(hktime_day_start_ms(20240301, &start), 0);
    /* Two rows per HK day, days in a scrambled order. */
    for (int k = 0; k < DAYS * 2; k++) {
        int d = (k * 7) % DAYS;
        rows[k] = mk(f->id[k % NSYM], start + d * 24 * HOUR + 10 * HOUR + k,
                     1000 + k);
    }
    assert_int_equal(writer_commit_rows(&f->w, rows, DAYS * 2, &ins, &ign), 0);
    assert_int_equal(ins, DAYS * 2);
    assert_int_equal(ign, 0);
    for (int d = 0; d < DAYS; d++) {
        int day = hktime_trading_day(start + d * 24 * HOUR);
        long long n = count_day(f, day);
        if (n != 2)
            print_error("day %d: %lld rows\n", day, n);
        assert_int_equal(n, 2);
        assert_int_equal(q_day(f, day,
                               "SELECT SUM(rows) FROM "
                               "hk_symbol_totals"),
                         2);
    }
    assert_int_equal(count_day(f, 20240320), 2);
    assert_int_equal(count_day(f, 20240321), -1);
    /* Again: every row ignored. */
    ins = ign = 0;
    assert_int_equal(writer_commit_rows(&f->w, rows, DAYS * 2, &ins, &ign), 0);
    assert_int_equal(ins, 0);
    assert_int_equal(ign, DAYS * 2);
}

/* ------------------------------------------------------------ thread mode */

static void test_thread_drains_queue(void **state)
{
    struct fx *f = *state;
    enum { N = 10000 };
    row *rows = malloc(N * sizeof(row));
    const int64_t base = MAR1_UTC + 2 * HOUR; /* 10:00 HKT */

    assert_non_null(rows);
    init_writer(f);
    for (int i = 0; i < N; i++)
        rows[i] = mk(f->id[i % NSYM], base + i * 10, 5000 + i);
    assert_int_equal(writer_start(&f->w), 0);
    for (size_t done = 0; done < N;) {
        size_t k = N - done < 777 ? N - done : 777;
        size_t got = queue_push(&f->q, rows + done, k);
        done += got;
        if (got == 0)
            usleep(1000);
    }
    writer_stop(&f->w, hktime_mono_ms() + 10000);
    writer_join(&f->w);
    assert_false(atomic_load(&f->w.timed_out));
    assert_int_equal(atomic_load(&f->w.st.alive), 0);
    assert_int_equal(queue_len(&f->q), 0);
    assert_int_equal(f->w.batch_len, 0);
    assert_int_equal(count_day(f, 20240301), N);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT SUM(rows) FROM "
                           "hk_symbol_totals"),
                     N);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT COUNT(*) FROM "
                           "hk_symbol_totals WHERE rows = 1000"),
                     NSYM);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT COUNT(DISTINCT seq) FROM "
                           "ticks"),
                     N);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT max_seq FROM "
                           "hk_symbol_totals WHERE symbol = "
                           "'HK.00709'"),
                     5000 + N - 1);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT min_ts_ms FROM "
                           "hk_symbol_totals WHERE symbol = "
                           "'HK.00700'"),
                     base);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), N);
    assert_int_equal(atomic_load(&f->w.st.rows_ignored), 0);
    for (int i = 0; i < NSYM; i++)
        assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[i]]),
                         5000 + N - NSYM + i);
    free(rows);
}

static void test_thread_drains_spool(void **state)
{
    struct fx *f = *state;
    row q_rows[100], s_rows[50];
    const int64_t base = MAR1_UTC + 2 * HOUR;

    init_writer(f);
    for (int i = 0; i < 100; i++)
        q_rows[i] = mk(f->id[i % NSYM], base + i, i);
    for (int i = 0; i < 50; i++)
        s_rows[i] = mk(f->id[i % NSYM], base + 100 + i, 100 + i);
    assert_int_equal(queue_push(&f->q, q_rows, 100), 100);
    assert_int_equal(spool_append(&f->sp, s_rows, 50, &f->t), 0);
    assert_int_equal(spool_pending(&f->sp), 50);
    assert_int_equal(writer_start(&f->w), 0);
    writer_stop(&f->w, hktime_mono_ms() + 10000);
    writer_join(&f->w);
    assert_false(atomic_load(&f->w.timed_out));
    assert_int_equal(spool_pending(&f->sp), 0);
    /* The row with seq 0 is quarantined (seq_not_positive), not stored. */
    assert_int_equal(count_day(f, 20240301), 149);
    assert_int_equal(q_day(f, 20240301, "SELECT MAX(seq) FROM ticks"), 149);
    assert_int_equal(q_day(f, 20240301, "SELECT MIN(seq) FROM ticks"), 1);
    assert_int_equal(quarantine_rows(&f->w.qr, VALIDATE_SEQ_NOT_POSITIVE), 1);
    struct stat st;
    assert_int_equal(stat(f->sp.path, &st), 0);
    assert_int_equal(st.st_size, SPOOL_HEADER);
}

/* ---------------------------------------------------------- busy / errors */

struct committer {
    writer *w;
    const row *rows;
    size_t n;
    int rc;
    long long ins, ign;
    int64_t ms;
};

static void *committer_main(void *arg)
{
    struct committer *c = arg;
    int64_t t0 = hktime_mono_ms();
    c->rc = writer_commit_rows(c->w, c->rows, c->n, &c->ins, &c->ign);
    c->ms = hktime_mono_ms() - t0;
    return NULL;
}

static sqlite3 *lock_day(const struct fx *f, int day)
{
    char path[256];
    sqlite3 *db;
    snprintf(path, sizeof(path), "%s/%08d.db", f->dir, day);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
                     SQLITE_OK);
    return db;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void test_busy_retry(void **state)
{
    struct fx *f = *state;
    row first[2], more[40];
    const int64_t base = MAR1_UTC + 3 * HOUR;
    pthread_t th;

    log_level_set(LOG_CRITICAL); /* sqlite_busy_backoff lines expected */
    f->cfg->sqlite_busy_timeout_ms = 200;
    f->cfg->persist_retry_backoff_sec = 0.05;
    f->cfg->persist_retry_backoff_max_sec = 0.1;
    init_writer(f);
    first[0] = mk(f->id[0], base, 1);
    first[1] = mk(f->id[1], base, 2);
    assert_int_equal(writer_commit_rows(&f->w, first, 2, NULL, NULL), 0);
    for (int i = 0; i < 40; i++)
        more[i] = mk(f->id[i % NSYM], base + 1000 + i, 100 + i);

    sqlite3 *lk = lock_day(f, 20240301);
    struct committer c = {.w = &f->w, .rows = more, .n = 40, .rc = 99};
    assert_int_equal(pthread_create(&th, NULL, committer_main, &c), 0);
    sleep_ms(1500);
    assert_true(atomic_load(&f->w.st.busy_count) > 0);
    assert_int_equal(count_day(f, 20240301), 2);
    assert_int_equal(sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lk);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.ins, 40);
    assert_int_equal(c.ign, 0);
    assert_true(c.ms >= 1300);
    long long busy = atomic_load(&f->w.st.busy_count);
    assert_true(busy > 0);
    assert_int_equal(atomic_load(&f->w.st.backoff_count), busy);
    assert_int_equal(atomic_load(&f->w.st.flush_failed), 0);
    assert_int_equal(atomic_load(&f->w.st.last_error), SQLITE_BUSY);
    assert_int_equal(atomic_load(&f->w.st.last_error_count), busy);
    assert_int_equal(count_day(f, 20240301), 42);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT SUM(rows) FROM "
                           "hk_symbol_totals"),
                     42);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[9]]), 139);
}

static void test_deadline_while_locked(void **state)
{
    struct fx *f = *state;
    row first = mk(0, MAR1_UTC + 3 * HOUR, 1);
    row more[5];
    long long ins = 0, ign = 0;

    log_level_set(LOG_CRITICAL);
    f->cfg->sqlite_busy_timeout_ms = 200;
    f->cfg->persist_retry_backoff_sec = 0.05;
    f->cfg->persist_retry_backoff_max_sec = 0.1;
    init_writer(f);
    first.sym = f->id[0];
    assert_int_equal(writer_commit_rows(&f->w, &first, 1, NULL, NULL), 0);
    for (int i = 0; i < 5; i++)
        more[i] = mk(f->id[1], MAR1_UTC + 3 * HOUR + 100 + i, 50 + i);

    sqlite3 *lk = lock_day(f, 20240301);
    writer_stop(&f->w, hktime_mono_ms() - 1); /* deadline already passed */
    int64_t t0 = hktime_mono_ms();
    assert_int_equal(writer_commit_rows(&f->w, more, 5, &ins, &ign), -1);
    assert_true(hktime_mono_ms() - t0 < 3000);
    assert_int_equal(ins, 0);
    assert_int_equal(ign, 0);
    assert_true(atomic_load(&f->w.st.busy_count) >= 1);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), 1);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[1]]),
                     WRITER_SEQ_NONE);
    assert_int_equal(sqlite3_exec(lk, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lk);
    assert_int_equal(count_day(f, 20240301), 1);
    /* The rows are still the caller's: a later commit lands them all. */
    atomic_store(&f->w.stopping, false);
    assert_int_equal(writer_commit_rows(&f->w, more, 5, &ins, &ign), 0);
    assert_int_equal(ins, 5);
    assert_int_equal(count_day(f, 20240301), 6);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[1]]), 54);
}

struct maker {
    char path[256];
    int delay_ms;
};

static void *mkdir_later(void *arg)
{
    struct maker *m = arg;
    sleep_ms(m->delay_ms);
    mkdir(m->path, 0750);
    return NULL;
}

static void test_error_retry_until_healed(void **state)
{
    struct fx *f = *state;
    row rows[3];
    long long ins = 0, ign = 0;
    pthread_t th;
    struct maker m = {.delay_ms = 400};

    log_level_set(LOG_CRITICAL); /* open failures expected */
    snprintf(m.path, sizeof(m.path), "%s/late", f->dir);
    snprintf(f->cfg->data_root, sizeof(f->cfg->data_root), "%s", m.path);
    f->cfg->persist_retry_backoff_sec = 0.05;
    f->cfg->persist_retry_backoff_max_sec = 0.1;
    init_writer(f);
    for (int i = 0; i < 3; i++)
        rows[i] = mk(f->id[i], MAR1_UTC + 3 * HOUR + i, i);
    assert_int_equal(pthread_create(&th, NULL, mkdir_later, &m), 0);
    assert_int_equal(writer_commit_rows(&f->w, rows, 3, &ins, &ign), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(ins, 3);
    assert_true(atomic_load(&f->w.st.flush_failed) > 0);
    assert_int_equal(atomic_load(&f->w.st.busy_count), 0);
    assert_int_equal(atomic_load(&f->w.st.last_error), SQLITE_CANTOPEN);

    char path[300];
    snprintf(path, sizeof(path), "%s/20240301.db", m.path);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM ticks", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 3);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ------------------------------------------------------------- helpers */

static void test_seed_seq(void **state)
{
    struct fx *f = *state;

    init_writer(f);
    writer_seed_seq(&f->w, f->id[4], 100, 5000);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[4]]), 100);
    assert_int_equal(atomic_load(&f->w.persisted_ts[f->id[4]]), 5000);
    writer_seed_seq(&f->w, f->id[4], 50, 4000); /* never lowered */
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[4]]), 100);
    assert_int_equal(atomic_load(&f->w.persisted_ts[f->id[4]]), 5000);
    writer_seed_seq(&f->w, f->id[4], 101, 5001);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[4]]), 101);
    assert_int_equal(atomic_load(&f->w.persisted_ts[f->id[4]]), 5001);
    /* A commit of lower seqs does not lower the seeded value. */
    row r = mk(f->id[4], MAR1_UTC + 3 * HOUR, 7);
    assert_int_equal(writer_commit_rows(&f->w, &r, 1, NULL, NULL), 0);
    assert_int_equal(atomic_load(&f->w.persisted_seq[f->id[4]]), 101);
}

/* ---- watchdog recovery handshake ---------------------------------------- */

struct stuck {
    atomic_int calls;
    atomic_int inside; /* 1 while the first attempt is stuck */
    int mode;          /* 0: inside SQLite (interruptible), 1: outside */
    int rc;            /* what the stuck statement returned */
};

/* First attempt: stuck until interrupted (an endless recursive query) or,
 * in mode 1, asleep for 1.5 s where SQLite cannot see the interrupt. */
static int stuck_in_txn(sqlite3 *db, void *ud)
{
    struct stuck *k = ud;

    if (atomic_fetch_add(&k->calls, 1) != 0)
        return SQLITE_OK;
    atomic_store(&k->inside, 1);
    if (k->mode == 1) {
        sleep_ms(1500);
        atomic_store(&k->inside, 0);
        return SQLITE_OK;
    }
    k->rc = sqlite3_exec(db,
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                         "SELECT x + 1 FROM c) SELECT COUNT(*) FROM c",
                         NULL, NULL, NULL);
    atomic_store(&k->inside, 0);
    return k->rc;
}

static void run_stuck(struct fx *f, struct stuck *k, int n)
{
    const int64_t base = MAR1_UTC + 2 * HOUR;

    init_writer(f);
    f->w.test_in_txn = stuck_in_txn;
    f->w.test_ud = k;
    for (int i = 0; i < n; i++) {
        row r = mk(f->id[i % NSYM], base + i * 10, 100 + i);
        assert_int_equal(queue_push(&f->q, &r, 1), 1);
    }
    assert_int_equal(writer_start(&f->w), 0);
    for (int i = 0; i < 500 && !atomic_load(&k->inside); i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&k->inside), 1);
    sleep_ms(300); /* really stuck: nothing committed */
    assert_int_equal(atomic_load(&f->w.st.commits), 0);
}

/* A writer stuck inside SQLite is interrupted, acknowledges within the
 * timeout, reopens and commits the same rows: nothing lost. */
static void test_recover_interrupts_stuck_writer(void **state)
{
    struct fx *f = *state;
    struct stuck k = {.mode = 0};
    int64_t ack_ms = -1;

    run_stuck(f, &k, 50);
    assert_int_equal(writer_recover(&f->w, 3000, &ack_ms), 0);
    assert_in_range(ack_ms, 0, 3000);
    assert_int_equal(k.rc, SQLITE_INTERRUPT);
    assert_int_equal(atomic_load(&f->w.st.recovery_count), 1);
    assert_int_equal(atomic_load(&f->w.recover_ack), 1);
    writer_stop(&f->w, hktime_mono_ms() + 10000);
    writer_join(&f->w);
    assert_false(atomic_load(&f->w.timed_out));
    assert_int_equal(atomic_load(&k.calls), 2); /* retried once */
    assert_int_equal(count_day(f, 20240301), 50);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), 50);
    assert_int_equal(atomic_load(&f->w.st.last_error), SQLITE_INTERRUPT);
}

/* A writer stuck where SQLite cannot interrupt it does not acknowledge in
 * time (-ETIMEDOUT); it acts on the request when it gets back, and its
 * rows still land. An idle writer acknowledges at once. */
static void test_recover_timeout(void **state)
{
    struct fx *f = *state;
    struct stuck k = {.mode = 1};
    int64_t ack_ms = -1;

    run_stuck(f, &k, 20);
    assert_int_equal(writer_recover(&f->w, 200, &ack_ms), -ETIMEDOUT);
    assert_int_equal(ack_ms, -1);
    for (int i = 0; i < 500 && atomic_load(&f->w.st.commits) == 0; i++)
        sleep_ms(10);
    assert_int_equal(count_day(f, 20240301), 20);
    for (int i = 0; i < 100 && atomic_load(&f->w.recover_ack) != 1; i++)
        sleep_ms(10);
    assert_int_equal(atomic_load(&f->w.recover_ack), 1);
    /* Idle now: the next request is acknowledged by the idle loop. */
    assert_int_equal(writer_recover(&f->w, 3000, &ack_ms), 0);
    assert_in_range(ack_ms, 0, 1000);
    assert_int_equal(atomic_load(&f->w.st.recovery_count), 2);
    writer_stop(&f->w, hktime_mono_ms() + 10000);
    writer_join(&f->w);
    assert_int_equal(count_day(f, 20240301), 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_across_midnight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_days, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_drains_queue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_thread_drains_spool, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_busy_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_while_locked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_retry_until_healed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_seed_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_interrupts_stuck_writer,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_timeout, setup, teardown),
    };

    return cmocka_run_group_tests_name("collector_writer", tests, NULL, NULL);
}
