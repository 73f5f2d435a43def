/*
 * test_collector_faults.c - failure paths of the row path, through the
 * fault seams: the syscall table (common/sys.h) under the spool and the
 * SQLite VFS shim (faultvfs.h) under the writer's day files.
 *
 * Each test loads a config (FUTU_SYMBOLS, DATA_ROOT=<own mkdtemp dir>)
 * and builds the real symtab, queue, spool and writer (and, for the
 * enqueue test, the real feed on an idle libuv loop). Log records go to a
 * file in the test directory and are checked line by line. faultvfs is
 * the process's default VFS, so every connection the writer opens goes
 * through it; result checks open the day file with the "unix" VFS.
 *
 * Coverage: feed_enqueue when the queue is full and the spool write fails
 * with ENOSPC, then EIO (enqueue_failed with the errno text, counted in
 * dropped_queue_full, recovery_fetch reason=enqueue_failed; rows already
 * queued untouched, nothing half-spooled) and then heals (spilled, later
 * rows follow the spool to keep order), everything landing exactly once;
 * a commit failing at every write position with SQLITE_FULL and
 * SQLITE_IOERR, in WAL and DELETE journal modes, and with SQLITE_READONLY
 * (persist_flush_failed with the code, rollback, backoff, retry: every row
 * exactly once, totals right); xSync failing with synchronous=FULL; xOpen
 * failing; the writer thread draining queue + spool through five consecutive
 * failures. Corrupt spools replayed into the writer: a version-2 crash spool
 * with a flipped byte, a binary symbol, a year-9999 ts_ms, recv_ts_ms
 * INT64_MIN, three records of random bytes and a torn last record; a version-1
 * file (no CRC) with the same kinds of bad values: exact counts of rows landed
 * and records quarantined, the quarantine file's headers in order, the
 * summary log line, nothing from a bad record in any day file.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <uv.h>
#include <zlib.h>

#include "collector/config.h"
#include "collector/feed.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/writer.h"
#include "common/hktime.h"
#include "common/log.h"
#include "common/sys.h"
#include "faultvfs.h"

/* 2024-03-01T02:00:00Z = 2024-03-01 10:00 HKT */
#define T0 (1709251200000LL + 2 * 3600000LL)
#define NSYM 4
#include "writer_fixture.h"

/* The shared fixture, with fast persist retries and the log in a file. */
static int setup_cap(void **state, size_t qcap)
{
    if (fx_setup_q(state, "faults", qcap) != 0)
        return -1;
    struct fx *f = *state;
    f->cfg->persist_retry_backoff_sec = 0.01;
    f->cfg->persist_retry_backoff_max_sec = 0.02;
    return fx_log_to_file(f);
}

static int setup(void **state)
{
    return setup_cap(state, 20000);
}

static int setup_small_queue(void **state)
{
    return setup_cap(state, 4);
}

static int fteardown(void **state)
{
    sys_fault_clear();
    faultvfs_clear();
    return teardown(state);
}

/* Row number seq of symbol seq % NSYM. */
static row mkf(const struct fx *f, int64_t ts, int64_t seq)
{
    row r = mk(f->id[seq % NSYM], ts, seq);
    r.dir = 1;
    return r;
}

/* Rows, distinct seqs and the totals table of a day agree on n. */
static void exactly_once(const struct fx *f, int day, long long n)
{
    assert_int_equal(q_day(f, day, "SELECT COUNT(*) FROM ticks"), n);
    assert_int_equal(q_day(f, day, "SELECT COUNT(DISTINCT seq) FROM ticks"), n);
    assert_int_equal(q_day(f, day, "SELECT SUM(rows) FROM hk_symbol_totals"),
                     n);
    assert_int_equal(q_day(f, day, "PRAGMA integrity_check") == -1, 0);
}

/* Lines of the test log containing every one of the NULL-ended needles. */
static int log_count(const struct fx *f, ...)
{
    char line[LOG_LINE_MAX];
    int n = 0;
    FILE *fp = fopen(f->log, "r");

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        va_list ap;
        const char *needle;
        bool all = true;
        va_start(ap, f);
        while ((needle = va_arg(ap, const char *)) != NULL)
            if (!strstr(line, needle))
                all = false;
        va_end(ap);
        n += all;
    }
    fclose(fp);
    return n;
}

/* ------------------------------------------------- spool write failures */

static void test_enqueue_spool_enospc_then_eio(void **state)
{
    struct fx *f = *state;
    uv_loop_t loop;
    feed fd;
    row rows[40];

    for (int i = 0; i < 40; i++)
        rows[i] = mkf(f, T0 + i * 10, 1 + i);
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(
        feed_init(&fd, f->cfg, &loop, &f->t, &f->q, &f->sp, NULL, NULL), 0);
    /* Subscribed and up, so an enqueue failure asks for a re-fetch (no
     * symbol is marked ok, so no request leaves this test). */
    fd.sess.state = FEED_UP;
    fd.sub.accepted = NSYM;

    /* The queue (4 rows) fills; the spool write then fails. */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 1, 1, ENOSPC), 0);
    assert_int_equal(feed_enqueue(&fd, rows, 10, ROW_PUSH), 6);
    assert_int_equal(queue_len(&f->q), 4);
    assert_int_equal(spool_pending(&f->sp), 0);
    assert_int_equal(fd.c.dropped_queue_full, 6);
    assert_int_equal(fd.c.spilled, 0);
    assert_int_equal(log_count(f,
                               "WARNING hk_tick_collector.collector "
                               "enqueue_failed source=push rows=6 "
                               "queue_size=4 queue_maxsize=4 "
                               "err=\"No space left on device\"",
                               NULL),
                     1);
    assert_int_equal(log_count(f,
                               "recovery_fetch symbol=all "
                               "reason=enqueue_failed symbols=4",
                               NULL),
                     1);

    /* Then EIO (the live file now exists: header written, chunk not). */
    assert_int_equal(sys_fault_arm(SYS_PWRITE, 2, 1, EIO), 0);
    assert_int_equal(feed_enqueue(&fd, rows + 10, 5, ROW_POLL), 5);
    assert_int_equal(sys_fault_failed(SYS_PWRITE), 1);
    assert_int_equal(fd.c.dropped_queue_full, 11);
    assert_int_equal(spool_pending(&f->sp), 0);
    assert_int_equal(log_count(f,
                               "enqueue_failed source=poll rows=5 "
                               "queue_size=4 queue_maxsize=4 "
                               "err=\"Input/output error\"",
                               NULL),
                     1);
    assert_int_equal(log_count(f, "reason=enqueue_failed", NULL), 2);

    /* Space returns: the same rows (re-fetched) and new ones spool. */
    sys_fault_clear();
    assert_int_equal(feed_enqueue(&fd, rows + 4, 30, ROW_BACKFILL), 0);
    assert_int_equal(spool_pending(&f->sp), 30);
    assert_int_equal(fd.c.spilled, 30);
    assert_int_equal(fd.c.dropped_queue_full, 11);

    /* Rows in the queue were never touched: drain both, in order. */
    init_writer(f);
    row batch[64];
    size_t n = queue_take(&f->q, batch, 64, 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(batch[i].seq, 1 + (int64_t)i);
    assert_int_equal(writer_commit_rows(&f->w, batch, n, NULL, NULL), 0);
    n = spool_take(&f->sp, batch, 64);
    assert_int_equal(n, 30);
    assert_int_equal(batch[0].seq, 5);
    assert_int_equal(writer_commit_rows(&f->w, batch, n, NULL, NULL), 0);
    exactly_once(f, 20240301, 34);
    assert_int_equal(log_count(f, "enqueue_failed source=", NULL), 2);

    feed_stop(&fd);
    uv_run(&loop, UV_RUN_DEFAULT);
    feed_free(&fd);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ------------------------------------------------ SQLite write failures */

/* Writes one clean commit of `n` fresh rows needs (the calibration). */
static long clean_writes(struct fx *f, int64_t *seq, int n)
{
    row rows[32];
    for (int i = 0; i < n; i++, (*seq)++)
        rows[i] = mkf(f, T0 + *seq * 10, *seq);
    faultvfs_clear();
    assert_int_equal(writer_commit_rows(&f->w, rows, (size_t)n, NULL, NULL), 0);
    return faultvfs_calls(FAULTVFS_WRITE);
}

/*
 * Fail write number k of a commit, for every k the commit makes, with rc;
 * the commit must come back once, with every row exactly once.
 */
static void fail_each_write(struct fx *f, int rc, const char *code,
                            const char *err)
{
    int64_t seq = 1;
    long long total = 0;

    init_writer(f);
    long w = clean_writes(f, &seq, 8); /* creates the file + schema */
    total += 8;
    w = clean_writes(f, &seq, 8);
    total += 8;
    assert_true(w >= 1);
    for (long k = 1; k <= w; k++) {
        row rows[8];
        long long ins = 0, ign = 0;
        for (int i = 0; i < 8; i++, seq++)
            rows[i] = mkf(f, T0 + seq * 10, seq);
        /* Some of the rows again: dedup must hold across the retry. */
        rows[0] = mkf(f, T0 + (seq - 20) * 10, seq - 20);
        long long failed0 = atomic_load(&f->w.st.flush_failed);
        faultvfs_arm(FAULTVFS_WRITE, k, 1, rc);
        assert_int_equal(writer_commit_rows(&f->w, rows, 8, &ins, &ign), 0);
        assert_int_equal(faultvfs_failed(FAULTVFS_WRITE), 1);
        assert_int_equal(ins, 7);
        assert_int_equal(ign, 1);
        assert_int_equal(atomic_load(&f->w.st.flush_failed), failed0 + 1);
        assert_int_equal(atomic_load(&f->w.st.last_error), rc);
        total += 7;
        exactly_once(f, 20240301, total);
    }
    char want[160];
    snprintf(want, sizeof(want), "err=\"%s\" code=%s", err, code);
    assert_int_equal(log_count(f,
                               "ERROR hk_tick_collector.db "
                               "persist_flush_failed trading_day=20240301 "
                               "db_path=",
                               "batch=8 attempt=1 ", want, NULL),
                     (int)w);
    assert_int_equal(log_count(f, "persist_flush_failed", NULL), (int)w);
    assert_int_equal(atomic_load(&f->w.st.backoff_count), w);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), total);
    /* Every failed attempt is followed by exactly one commit of its batch. */
    assert_int_equal(log_count(f, "persist_ticks", "batch=8 inserted=7", NULL),
                     (int)w);
}

static void test_commit_full_each_write_wal(void **state)
{
    fail_each_write(*state, SQLITE_FULL, "SQLITE_FULL",
                    "database or disk is full");
}

static void test_commit_ioerr_each_write_wal(void **state)
{
    fail_each_write(*state, SQLITE_IOERR, "SQLITE_IOERR", "disk I/O error");
}

/* What a file that became read-only under the writer returns. */
static void test_commit_readonly_each_write_wal(void **state)
{
    fail_each_write(*state, SQLITE_READONLY, "SQLITE_READONLY",
                    "attempt to write a readonly database");
}

static void test_commit_full_each_write_delete(void **state)
{
    struct fx *f = *state;
    snprintf(f->cfg->sqlite_journal_mode, sizeof(f->cfg->sqlite_journal_mode),
             "DELETE");
    fail_each_write(f, SQLITE_FULL, "SQLITE_FULL", "database or disk is full");
}

static void test_commit_ioerr_each_write_delete(void **state)
{
    struct fx *f = *state;
    snprintf(f->cfg->sqlite_journal_mode, sizeof(f->cfg->sqlite_journal_mode),
             "DELETE");
    fail_each_write(f, SQLITE_IOERR, "SQLITE_IOERR", "disk I/O error");
}

static void test_commit_sync_fails(void **state)
{
    struct fx *f = *state;
    int64_t seq = 1;
    row rows[8];
    long long ins = 0, ign = 0;

    snprintf(f->cfg->sqlite_synchronous, sizeof(f->cfg->sqlite_synchronous),
             "FULL");
    init_writer(f);
    (void)clean_writes(f, &seq, 8);
    assert_true(faultvfs_calls(FAULTVFS_SYNC) >= 1); /* FULL syncs commits */
    for (int i = 0; i < 8; i++, seq++)
        rows[i] = mkf(f, T0 + seq * 10, seq);
    /* The WAL sync of the COMMIT fails, then the checkpoint sync of the
     * close that follows the failed attempt. */
    faultvfs_arm(FAULTVFS_SYNC, 1, 2, SQLITE_IOERR);
    assert_int_equal(writer_commit_rows(&f->w, rows, 8, &ins, &ign), 0);
    assert_int_equal(faultvfs_failed(FAULTVFS_SYNC), 2);
    /* The frames were written before the failed sync, so the retry may
     * find the rows already there (ignored): either way, exactly once. */
    assert_int_equal(ins + ign, 8);
    exactly_once(f, 20240301, 16);
    assert_int_equal(log_count(f, "persist_flush_failed", "attempt=1 ",
                               "err=\"disk I/O error\" code=SQLITE_IOERR",
                               NULL),
                     1);
    assert_int_equal(log_count(f, "persist_flush_failed", NULL), 1);
    assert_int_equal(atomic_load(&f->w.st.backoff_count), 1);
}

static void test_open_fails(void **state)
{
    struct fx *f = *state;
    row rows[3];

    init_writer(f);
    for (int i = 0; i < 3; i++)
        rows[i] = mkf(f, T0 + i, 1 + i);
    faultvfs_arm(FAULTVFS_OPEN, 1, 3, SQLITE_CANTOPEN);
    assert_int_equal(writer_commit_rows(&f->w, rows, 3, NULL, NULL), 0);
    assert_int_equal(faultvfs_failed(FAULTVFS_OPEN), 3);
    exactly_once(f, 20240301, 3);
    assert_int_equal(log_count(f, "persist_flush_failed", "attempt=3 ",
                               "code=SQLITE_CANTOPEN", NULL),
                     1);
    assert_int_equal(log_count(f, "persist_ticks", "inserted=3", NULL), 1);
}

/* The writer thread, queue and spool both holding rows, five failures. */
static void test_thread_retries_through_failures(void **state)
{
    struct fx *f = *state;
    static row rows[3000];

    for (int i = 0; i < 3000; i++)
        rows[i] = mkf(f, T0 + i * 10, 1 + i);
    assert_int_equal(queue_push(&f->q, rows, 2000), 2000);
    assert_int_equal(spool_append(&f->sp, rows + 2000, 1000, &f->t), 0);
    init_writer(f);
    faultvfs_arm(FAULTVFS_WRITE, 1, 5, SQLITE_FULL);
    assert_int_equal(writer_start(&f->w), 0);
    writer_stop(&f->w, hktime_mono_ms() + 30000);
    writer_join(&f->w);
    assert_false(atomic_load(&f->w.timed_out));
    assert_int_equal(faultvfs_failed(FAULTVFS_WRITE), 5);
    assert_int_equal(queue_len(&f->q), 0);
    assert_int_equal(spool_pending(&f->sp), 0);
    exactly_once(f, 20240301, 3000);
    assert_int_equal(atomic_load(&f->w.st.rows_inserted), 3000);
    assert_int_equal(atomic_load(&f->w.st.backoff_count), 5);
    for (int a = 1; a <= 5; a++) {
        char at[32];
        snprintf(at, sizeof(at), "attempt=%d ", a);
        assert_int_equal(
            log_count(f, "persist_flush_failed", at, "code=SQLITE_FULL", NULL),
            1);
    }
}

/* ------------------------------------------------- corrupt spool files */

static int commit_chunk(const row *rows, size_t n, void *ud)
{
    struct fx *f = ud;
    return writer_commit_rows(&f->w, rows, n, NULL, NULL);
}

static void reseal(uint8_t *rec)
{
    uint32_t crc = (uint32_t)crc32(0L, rec, (uInt)SPOOL_RECORD_V1);
    memcpy(rec + SPOOL_RECORD_V1, &crc, 4);
}

static void set_field(uint8_t *rec, size_t off, int64_t v)
{
    memcpy(rec + off, &v, sizeof(v));
}

/* The quarantine file's "reason=" values in order, comma-joined. */
static void q_reasons(const char *qpath, char *out, size_t cap)
{
    FILE *fp = fopen(qpath, "r");
    char line[4096];
    size_t o = 0;

    assert_non_null(fp);
    out[0] = '\0';
    while (fgets(line, sizeof(line), fp)) {
        if (strncmp(line, "HKSPOOL-BAD ", 12) != 0)
            continue;
        char *r = strstr(line, " reason=");
        assert_non_null(r);
        r += 8;
        r[strcspn(r, "\n")] = '\0';
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "", r);
    }
    fclose(fp);
}

static void test_replay_corrupt_v2(void **state)
{
    struct fx *f = *state;
    static row rows[20];
    static uint8_t buf[SPOOL_HEADER + 30 * SPOOL_RECORD];
    char path[512], qpath[1024], reasons[512];
    long quarantined = 0, skipped = 0;

    for (int i = 0; i < 20; i++)
        rows[i] = mkf(f, T0 + i * 10, 1 + i);
    assert_int_equal(
        spool_write_crash(f->dir, rows, 20, &f->t, path, sizeof(path)), 0);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    size_t len = (size_t)read(fd, buf, sizeof(buf));
    assert_int_equal(len, SPOOL_HEADER + 20 * SPOOL_RECORD);
    uint8_t *r3 = buf + SPOOL_HEADER + 3 * SPOOL_RECORD;
    r3[40] ^= 0x04; /* a flipped bit in turnover: CRC catches it */
    uint8_t *r7 = buf + SPOOL_HEADER + 7 * SPOOL_RECORD;
    set_field(r7, offsetof(row, recv_ts_ms), INT64_MIN);
    reseal(r7);
    uint8_t *r9 = buf + SPOOL_HEADER + 9 * SPOOL_RECORD;
    memcpy(r9 + sizeof(row), "HK.\x8f\x01\x02", 7);
    reseal(r9);
    uint8_t *r11 = buf + SPOOL_HEADER + 11 * SPOOL_RECORD;
    set_field(r11, offsetof(row, ts_ms), 253402214400000LL); /* 9999-12-31 */
    reseal(r11);
    /* Three records of random bytes, then a torn one (50 bytes). */
    srand(7);
    for (size_t i = 0; i < 3 * SPOOL_RECORD + 50; i++)
        buf[len + i] = (uint8_t)rand();
    len += 3 * SPOOL_RECORD + 50;
    assert_int_equal(pwrite(fd, buf, len, 0), (ssize_t)len);
    close(fd);

    init_writer(f);
    /* Replay interns into the writer's table, as the daemon does. */
    long n = spool_replay_file_q(path, &f->t, commit_chunk, f, &skipped,
                                 &quarantined);
    assert_int_equal(n, 16);
    assert_int_equal(quarantined, 8);
    assert_int_equal(skipped, 0);
    exactly_once(f, 20240301, 16);
    assert_int_equal(q_day(f, 20240301,
                           "SELECT COUNT(*) FROM ticks WHERE seq IN "
                           "(4, 8, 10, 12)"),
                     0);
    /* Nothing but the one day file was created. */
    char other[256];
    snprintf(other, sizeof(other), "%s/99991231.db", f->dir);
    assert_int_equal(access(other, F_OK), -1);

    const char *base = strrchr(path, '/') + 1;
    snprintf(qpath, sizeof(qpath), "%s/_spool/quarantine/%s.bad", f->dir, base);
    q_reasons(qpath, reasons, sizeof(reasons));
    assert_string_equal(reasons, "checksum,recv_ts_ms,symbol,ts_ms,checksum,"
                                 "checksum,checksum,truncated");
    char want[600];
    snprintf(want, sizeof(want),
             "HKSPOOL-BAD source=%s offset=%d bytes=100 reason=recv_ts_ms",
             base, (int)(SPOOL_HEADER + 7 * SPOOL_RECORD));
    int hits = 0;
    FILE *fp = fopen(qpath, "r");
    char line[4096];
    while (fgets(line, sizeof(line), fp))
        hits += strncmp(line, want, strlen(want)) == 0;
    fclose(fp);
    assert_int_equal(hits, 1);
    assert_int_equal(log_count(f,
                               "ERROR hk_tick_collector.collector "
                               "spool_records_quarantined path=",
                               "records=8 rows_ok=16", NULL),
                     1);
    /* Rate limit: five record lines per file, then only the summary. */
    assert_int_equal(log_count(f, "spool_record_quarantined path=", NULL),
                     SPOOL_BAD_LOG_MAX);
}

static void test_replay_corrupt_v1(void **state)
{
    struct fx *f = *state;
    uint8_t h[SPOOL_HEADER] = "HKSPOOL1";
    uint8_t rec[SPOOL_RECORD_V1];
    uint32_t rs = (uint32_t)SPOOL_RECORD_V1;
    char path[512];
    long quarantined = 0;

    memcpy(h + 8, &rs, 4);
    snprintf(path, sizeof(path), "%s/_spool", f->dir);
    assert_int_equal(mkdir(path, 0750), 0);
    snprintf(path, sizeof(path), "%s/_spool/old-v1.spool", f->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, h, sizeof(h)), SPOOL_HEADER);
    for (int i = 0; i < 6; i++) {
        row r = mkf(f, T0 + i * 10, 100 + i);
        if (i == 2)
            r.recv_ts_ms = INT64_MIN;
        if (i == 4)
            r.seq = -1;
        memcpy(rec, &r, sizeof(r));
        memset(rec + sizeof(row), 0, SYMTAB_NAME_LEN);
        snprintf((char *)rec + sizeof(row), SYMTAB_NAME_LEN, "%s",
                 symtab_name(&f->t, r.sym));
        assert_int_equal(write(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
    }
    close(fd);
    init_writer(f);
    assert_int_equal(
        spool_replay_file_q(path, &f->t, commit_chunk, f, NULL, &quarantined),
        4);
    assert_int_equal(quarantined, 2);
    exactly_once(f, 20240301, 4);
    char qpath[1024], reasons[256];
    snprintf(qpath, sizeof(qpath), "%s/_spool/quarantine/old-v1.spool.bad",
             f->dir);
    q_reasons(qpath, reasons, sizeof(reasons));
    assert_string_equal(reasons, "recv_ts_ms,seq");
}

/* A quarantine that cannot be written fails the replay (file kept). */
static void test_replay_quarantine_unwritable(void **state)
{
    struct fx *f = *state;
    row rows[3];
    char path[512];

    for (int i = 0; i < 3; i++)
        rows[i] = mkf(f, T0 + i * 10, 1 + i);
    rows[1].recv_ts_ms = INT64_MIN;
    assert_int_equal(
        spool_write_crash(f->dir, rows, 3, &f->t, path, sizeof(path)), 0);
    init_writer(f);
    assert_int_equal(sys_fault_arm(SYS_MKDIR, 1, 1, ENOSPC), 0);
    assert_int_equal(
        spool_replay_file_q(path, &f->t, commit_chunk, f, NULL, NULL), -ENOSPC);
    sys_fault_clear();
    assert_int_equal(access(path, F_OK), 0);
    long q = 0;
    assert_int_equal(
        spool_replay_file_q(path, &f->t, commit_chunk, f, NULL, &q), 2);
    assert_int_equal(q, 1);
    exactly_once(f, 20240301, 2);
}

/* recv_ts_ms INT64_MIN straight into the writer: no signed overflow
 * (UBSan builds abort on one), the row lands as given. */
static void test_writer_recv_ts_extremes(void **state)
{
    struct fx *f = *state;
    row rows[2] = {mkf(f, T0, 1), mkf(f, T0 + 10, 2)};

    rows[0].recv_ts_ms = INT64_MIN;
    rows[1].recv_ts_ms = INT64_MAX;
    init_writer(f);
    assert_int_equal(writer_commit_rows(&f->w, rows, 2, NULL, NULL), 0);
    exactly_once(f, 20240301, 2);
}

static int group_setup(void **state)
{
    (void)state;
    return faultvfs_register() == SQLITE_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    faultvfs_unregister();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_enqueue_spool_enospc_then_eio,
                                        setup_small_queue, fteardown),
        cmocka_unit_test_setup_teardown(test_commit_full_each_write_wal, setup,
                                        fteardown),
        cmocka_unit_test_setup_teardown(test_commit_ioerr_each_write_wal, setup,
                                        fteardown),
        cmocka_unit_test_setup_teardown(test_commit_readonly_each_write_wal,
                                        setup, fteardown),
        cmocka_unit_test_setup_teardown(test_commit_full_each_write_delete,
                                        setup, fteardown),
        cmocka_unit_test_setup_teardown(test_commit_ioerr_each_write_delete,
                                        setup, fteardown),
        cmocka_unit_test_setup_teardown(test_commit_sync_fails, setup,
                                        fteardown),
        cmocka_unit_test_setup_teardown(test_open_fails, setup, fteardown),
        cmocka_unit_test_setup_teardown(test_thread_retries_through_failures,
                                        setup, fteardown),
        cmocka_unit_test_setup_teardown(test_replay_corrupt_v2, setup,
                                        fteardown),
        cmocka_unit_test_setup_teardown(test_replay_corrupt_v1, setup,
                                        fteardown),
        cmocka_unit_test_setup_teardown(test_replay_quarantine_unwritable,
                                        setup, fteardown),
        cmocka_unit_test_setup_teardown(test_writer_recv_ts_extremes, setup,
                                        fteardown),
    };

    return cmocka_run_group_tests_name("collector_faults", tests, group_setup,
                                       group_teardown);
}
