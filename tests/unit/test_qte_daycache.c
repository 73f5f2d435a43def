/*
 * test_qte_daycache.c - the columnar day cache (daycache.h) and the feed
 * over it (daycache_feed.c): the header's worked example byte for byte;
 * a round trip over several blocks hands out exactly the day-file
 * source's rows, days and new-day flags (built on the first replay,
 * read on the second, the log saying which); a day file changed by an
 * insert, an update or a new file under its name makes the cache stale
 * and it is rebuilt; a flipped byte, a truncated file and a foreign file
 * are ignored with a warning and rebuilt; seek by binary search gives the
 * source's rows; a replay stopped half-way leaves no cache; the engine's
 * report, orders, trades and store rows are byte-identical with and
 * without the cache.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "qte_fixture.h"
#include "common/log.h"
#include "dayfile/dayfile.h"
#include "qte/daycache.h"
#include "qte/engine.h"
#include "qte/feed.h"
#include "qte/source.h"

#define T0 1704159000000LL /* 2024-01-02 09:30:00 HKT */
#define D1 20240102
#define D2 20240103

typedef struct trow {
    const char *sym;
    int64_t ts;
    double price; /* < 0: NULL (not a trade) */
    int64_t vol;
    int64_t seq;
    const char *day; /* NULL: the file's own day */
} trow;

static void insert_rows(const char *path, int day, const trow *rows, int n)
{
    char td[16];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(td, sizeof(td), "%d", day);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "INSERT INTO ticks (market, symbol, ts_ms, price, "
                           "volume, turnover, direction, seq, trading_day, "
                           "recv_ts_ms, inserted_at_ms) VALUES ('HK', ?1, "
                           "?2, ?3, ?4, 0, 'BUY', ?5, ?6, ?2, ?2)",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, rows[i].sym, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rows[i].ts);
        if (rows[i].price < 0)
            sqlite3_bind_null(st, 3);
        else
            sqlite3_bind_double(st, 3, rows[i].price);
        sqlite3_bind_int64(st, 4, rows[i].vol);
        sqlite3_bind_int64(st, 5, rows[i].seq);
        sqlite3_bind_text(st, 6, rows[i].day ? rows[i].day : td, -1,
                          SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void day_path(const char *root, int day, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%d.db", root, day);
}

static void sql(const char *root, int day, const char *q)
{
    char path[512];
    sqlite3 *db;
    day_path(root, day, path, sizeof(path));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A day of n rows over three symbols (plus noise the replay must skip):
 * runs of equal (ts, symbol) inserted out of seq order, a row without a
 * price, a row of another trading day, a symbol outside the run, and
 * values needing every width (a seq near 2^60, prices up to HKD 10^9). */
static void make_day(const char *root, int day, int n, int64_t t0)
{
    static const char *const syms[] = {"HK.00005", "HK.00700", "HK.09988",
                                       "HK.00001"};
    char path[512];
    trow *rows = calloc((size_t)n + 3, sizeof(*rows));
    for (int i = 0; i < n; i++) {
        rows[i].sym = syms[i % 4];
        rows[i].ts = t0 + (i / 6) * 7; /* 6 rows per millisecond */
        rows[i].price = 50.0 + (i % 113) * 0.05;
        rows[i].vol = 100 * (1 + i % 9);
        rows[i].seq = n - i; /* equal (ts, symbol) runs out of seq order */
    }
    rows[5].price = -1;                 /* not a trade */
    rows[8].day = "20231229";           /* another day's row */
    rows[n / 2].seq = (int64_t)1 << 60; /* width 8 */
    rows[n / 3].price = 1e9;            /* a wide price */
    rows[n] = (trow){"HK.00700", t0 - 5, 61.0, 300, n + 9, NULL};
    rows[n + 1] = (trow){"HK.00700", t0 - 5, 61.0, 200, n + 3, NULL};
    rows[n + 2] = (trow){"HK.00005", t0 - 5, 61.5, 100, n + 4, NULL};
    day_path(root, day, path, sizeof(path));
    insert_rows(path, day, rows, n + 3);
    free(rows);
}

/* --- the log ------------------------------------------------------------ */

static char logpath[600];

static void log_to(const char *root)
{
    snprintf(logpath, sizeof(logpath), "%s/log", root);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    log_set_fd(fd);
}

/* The log since the last call (then emptied). */
static char *log_take(void)
{
    char *s = slurp(logpath);
    assert_int_equal(ftruncate(log_get_fd(), 0), 0);
    lseek(log_get_fd(), 0, SEEK_SET);
    return s;
}

static void log_expect(const char *want)
{
    char *s = log_take();
    if (!want) {
        if (s[0])
            fail_msg("unexpected log: %s", s);
    } else if (!strstr(s, want)) {
        fail_msg("log lacks '%s': %s", want, s);
    }
    free(s);
}

/* --- feeds --------------------------------------------------------------- */

static const char *const SYMS[] = {"HK.00005", "HK.00700", "HK.09988"};
#define NSYM 3

typedef struct seen {
    int64_t ts, price, vol, seq;
    int sym, day;
    bool new_day;
} seen;

typedef struct run {
    seen *rows;
    int n;
} run;

static qte_config cache_cfg(const char *root, const char *cache)
{
    qte_config c;
    qte_config_defaults(&c);
    snprintf(c.data_root, sizeof(c.data_root), "%s", root);
    snprintf(c.cache_dir, sizeof(c.cache_dir), "%.400s", cache ? cache : "");
    return c;
}

static qte_feed *open_feed(const qte_config *c, const int *days, int ndays)
{
    char err[256] = "";
    qte_feed_args a = {c, days, ndays, SYMS, NSYM};
    qte_feed *f = qte_feed_open(&a, err, sizeof(err));
    if (!f)
        fail_msg("qte_feed_open: %s", err);
    return f;
}

/* Drain f (after a seek to from when from != INT64_MIN). */
static run drain(qte_feed *f, int64_t from)
{
    run r = {calloc(20000, sizeof(seen)), 0};
    if (from != INT64_MIN)
        assert_int_equal(qte_feed_seek(f, from), 0);
    qte_tick t;
    int day;
    bool nd;
    int rc;
    while ((rc = qte_feed_next(f, &t, &day, &nd)) == QTE_FEED_ROW) {
        assert_true(r.n < 20000);
        assert_string_equal(t.symbol, SYMS[t.sym]);
        r.rows[r.n++] =
            (seen){t.ts_ms, t.price_milli, t.volume, t.seq, t.sym, day, nd};
    }
    assert_int_equal(rc, QTE_FEED_END);
    assert_true(qte_feed_progress(f) == 1.0);
    return r;
}

static run replay(const char *root, const char *cache, const int *days,
                  int ndays, int64_t from)
{
    qte_config c = cache_cfg(root, cache);
    qte_feed *f = open_feed(&c, days, ndays);
    run r = drain(f, from);
    qte_feed_close(f);
    return r;
}

static void same(run a, run b)
{
    assert_int_equal(a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        if (memcmp(&a.rows[i], &b.rows[i], sizeof(seen)) != 0)
            fail_msg("row %d differs: ts %lld/%lld seq %lld/%lld", i,
                     (long long)a.rows[i].ts, (long long)b.rows[i].ts,
                     (long long)a.rows[i].seq, (long long)b.rows[i].seq);
    }
    free(a.rows);
    free(b.rows);
}

static void cache_file(const char *cache, int day, char *buf, size_t cap)
{
    assert_int_equal(daycache_path(cache, day, SYMS, NSYM, buf, cap), 0);
}

/* --- tests ---------------------------------------------------------------- */

/* The header comment's worked example, byte for byte. */
static void test_worked_example(void **state)
{
    (void)state;
    char *root = tmpdir();
    char path[600], err[256];
    static daycache_writer w;
    daycache_id id = {1, 2, 3, 4, 0, 0, 5, 6};
    snprintf(path, sizeof(path), "%s/x.qtc", root);
    static const char *const two[] = {"HK.00005", "HK.00700"};
    assert_int_equal(
        daycache_writer_open(&w, path, D1, two, 2, &id, err, sizeof(err)), 0);
    const qte_tick rows[] = {{1000, 0, NULL, 380000, 100, 1},
                             {1000, 1, NULL, 60000, 400, 1},
                             {1003, 0, NULL, 380200, 100, 2}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(daycache_writer_add(&w, &rows[i]), 0);
    assert_int_equal(daycache_writer_commit(&w, err, sizeof(err)), 0);
    FILE *f = fopen(path, "rb");
    uint8_t b[512];
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    /* header 160 + symbols 18 -> 24 + block 104 + index 16 */
    assert_int_equal(n, 160 + 24 + 104 + 16);
    assert_memory_equal(b, "QTECACHE", 8);
    const uint8_t *blk = b + 184;
    static const uint8_t want[104] = {
        3,    0,    0,    0,    104, 0, 0, 0, /* nrows, size */
        1,    1,    4,    2,    1,   0, 0, 0, /* widths */
        0xe8, 0x03, 0,    0,    0,   0, 0, 0, /* ts base 1000 */
        0,    0,    0,    0,    0,   0, 0, 0, /* sym base 0 */
        0x60, 0xea, 0,    0,    0,   0, 0, 0, /* price 60000 */
        100,  0,    0,    0,    0,   0, 0, 0, /* volume 100 */
        1,    0,    0,    0,    0,   0, 0, 0, /* seq 1 */
        0,    0,    3,    0,    0,   0, 0, 0, /* ts */
        0,    1,    0,    0,    0,   0, 0, 0, /* sym */
        0x00, 0xe2, 0x04, 0,    0,   0, 0, 0, /* price */
        0xc8, 0xe2, 0x04, 0,    0,   0, 0, 0, /* ... */
        0,    0,    0x2c, 0x01, 0,   0, 0, 0, /* volume */
        0,    0,    1,    0,    0,   0, 0, 0, /* seq */
    };
    assert_memory_equal(blk, want, sizeof(want));
    /* Index: first ts 1000 at offset 184. */
    assert_int_equal(b[288], 0xe8);
    assert_int_equal(b[296], 184);
    /* Read back. */
    static daycache_reader r;
    assert_int_equal(
        daycache_reader_open(&r, path, D1, two, 2, &id, err, sizeof(err)),
        DAYCACHE_OK);
    qte_tick t;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(daycache_reader_next(&r, &t), 1);
        assert_int_equal(t.ts_ms, rows[i].ts_ms);
        assert_int_equal(t.sym, rows[i].sym);
        assert_int_equal(t.price_milli, rows[i].price_milli);
        assert_int_equal(t.volume, rows[i].volume);
        assert_int_equal(t.seq, rows[i].seq);
    }
    assert_int_equal(daycache_reader_next(&r, &t), 0);
    assert_int_equal(daycache_reader_next(&r, &t), 0);
    daycache_reader_close(&r);
    /* Another identity, day or symbol list: stale. */
    id.rows++;
    assert_int_equal(
        daycache_reader_open(&r, path, D1, two, 2, &id, err, sizeof(err)),
        DAYCACHE_STALE);
    assert_string_equal(err, "the day file changed since the cache was built");
    id.rows--;
    assert_int_equal(
        daycache_reader_open(&r, path, D2, two, 2, &id, err, sizeof(err)),
        DAYCACHE_STALE);
    static const char *const other[] = {"HK.00005", "HK.00701"};
    assert_int_equal(
        daycache_reader_open(&r, path, D1, other, 2, &id, err, sizeof(err)),
        DAYCACHE_STALE);
    assert_string_equal(err, "another symbol list");
    rmrf(root);
    free(root);
}

/* Two days over several blocks: built on the first replay, read on the
 * second; both hand out the source's rows, days and flags. */
static void test_round_trip(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600], file[700];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 5000, T0);
    make_day(root, D2, 3000, T0 + 86400000);
    log_to(root);
    const int days[] = {D1, D2}; /* ascending, as qte_feed_args asks */
    run plain = replay(root, NULL, days, 2, INT64_MIN);
    /* 3 of 4 symbols, less the priceless row and the other day's, plus
     * the 3 rows before t0 */
    assert_int_equal(plain.n, 3 * 5000 / 4 - 2 + 3 + 3 * 3000 / 4 - 2 + 3);
    assert_true(plain.rows[0].ts == T0 - 5 && plain.rows[0].seq == 5004);
    assert_true(plain.rows[1].sym == 1 && plain.rows[1].seq == 5003);
    log_expect(NULL);
    run built = replay(root, cache, days, 2, INT64_MIN);
    log_expect("daycache_written path=");
    cache_file(cache, D1, file, sizeof(file));
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    run hit = replay(root, cache, days, 2, INT64_MIN);
    log_expect(NULL); /* read from the cache: nothing to say */
    run plain2 = replay(root, NULL, days, 2, INT64_MIN);
    /* the first day's rows: new_day false; the second's first: true */
    assert_false(plain2.rows[0].new_day);
    assert_int_equal(plain2.rows[0].day, D1);
    int k = 3 * 5000 / 4 - 2 + 3;
    assert_true(plain2.rows[k].new_day && plain2.rows[k].day == D2);
    assert_false(plain2.rows[k + 1].new_day);
    run plain3 = replay(root, NULL, days, 2, INT64_MIN);
    same(plain, built);
    same(plain2, hit);
    /* Directly: the reader hands out the file's rows. */
    char dpath[600], why[256];
    daycache_id id;
    static daycache_reader r;
    day_path(root, D1, dpath, sizeof(dpath));
    assert_int_equal(daycache_id_read(dpath, &id, why, sizeof(why)), 0);
    assert_int_equal(id.rows, 5003);
    assert_int_equal(
        daycache_reader_open(&r, file, D1, SYMS, NSYM, &id, why, sizeof(why)),
        DAYCACHE_OK);
    assert_int_equal(r.rows, k);
    assert_int_equal(r.nblocks, (k + DAYCACHE_BLOCK - 1) / DAYCACHE_BLOCK);
    qte_tick t;
    for (int i = 0; i < k; i++) {
        assert_int_equal(daycache_reader_next(&r, &t), 1);
        assert_int_equal(t.seq, plain3.rows[i].seq);
        assert_int_equal(t.price_milli, plain3.rows[i].price);
    }
    assert_int_equal(daycache_reader_next(&r, &t), 0);
    daycache_reader_close(&r);
    free(plain3.rows);
    rmrf(root);
    free(root);
}

/* A changed day file makes its cache stale: rebuilt, the new rows read. */
static void test_stale(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600], file[700], dpath[600], why[256];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 2000, T0);
    log_to(root);
    const int days[] = {D1};
    free(replay(root, cache, days, 1, INT64_MIN).rows);
    log_expect("daycache_written");
    cache_file(cache, D1, file, sizeof(file));
    day_path(root, D1, dpath, sizeof(dpath));
    /* 1. A row added (today's file still being written). */
    sql(root, D1,
        "INSERT INTO ticks (market, symbol, ts_ms, price, volume, seq, "
        "trading_day, recv_ts_ms, inserted_at_ms) VALUES ('HK', 'HK.00700', "
        "1704159999999, 70.0, 100, 77, '20240102', 0, 0)");
    daycache_id id;
    static daycache_reader r;
    assert_int_equal(daycache_id_read(dpath, &id, why, sizeof(why)), 0);
    assert_int_equal(
        daycache_reader_open(&r, file, D1, SYMS, NSYM, &id, why, sizeof(why)),
        DAYCACHE_STALE);
    run a = replay(root, cache, days, 1, INT64_MIN);
    log_expect("INFO qte_engine daycache_stale path=");
    assert_int_equal(a.rows[a.n - 1].seq, 77);
    same(a, replay(root, NULL, days, 1, INT64_MIN));
    free(replay(root, cache, days, 1, INT64_MIN).rows);
    log_expect(NULL); /* rebuilt: a hit */
    /* 2. A value changed in place (a repair): same rows, same max rowid. */
    usleep(50000); /* past the file system's timestamp granularity */
    sql(root, D1, "UPDATE ticks SET price = 71.0 WHERE seq = 77");
    run b = replay(root, cache, days, 1, INT64_MIN);
    log_expect("daycache_stale");
    assert_int_equal(b.rows[b.n - 1].price, 71000);
    same(b, replay(root, NULL, days, 1, INT64_MIN));
    /* 3. Another file under the name (a restored copy): another inode. */
    char cmd[2600];
    snprintf(cmd, sizeof(cmd), "cp -p '%s' '%s.new' && mv '%s.new' '%s'", dpath,
             dpath, dpath, dpath);
    assert_int_equal(system(cmd), 0);
    free(replay(root, cache, days, 1, INT64_MIN).rows);
    log_expect("daycache_stale");
    free(replay(root, cache, days, 1, INT64_MIN).rows);
    log_expect(NULL);
    rmrf(root);
    free(root);
}

/* Damage file: 0 a byte flipped half-way, 1 cut to half, 2 zeros, 3 a
 * file shorter than a header. The warning's reason into why. */
static void damage(const char *file, int how, char *why, size_t cap)
{
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    off_t half = st.st_size / 2;
    int fd = open(file, O_RDWR);
    assert_true(fd >= 0);
    if (how == 0) {
        unsigned char c;
        assert_int_equal(pread(fd, &c, 1, half), 1);
        c ^= 0x55;
        assert_int_equal(pwrite(fd, &c, 1, half), 1);
        snprintf(why, cap, "reason=\"body checksum mismatch\"");
    } else if (how == 1) {
        assert_int_equal(ftruncate(fd, half), 0);
        snprintf(why, cap, "reason=\"truncated: %lld of %lld bytes\"",
                 (long long)half, (long long)st.st_size);
    } else if (how == 2) {
        static const char zero[4096];
        assert_int_equal(pwrite(fd, zero, sizeof(zero), 0), 4096);
        snprintf(why, cap, "reason=\"not a cache file (magic)\"");
    } else {
        assert_int_equal(ftruncate(fd, 3), 0);
        snprintf(why, cap, "reason=\"truncated: 3 bytes\"");
    }
    close(fd);
}

/* A damaged cache is ignored with a warning and rebuilt. */
static void test_corrupt(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600], file[700];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 4000, T0);
    log_to(root);
    const int days[] = {D1};
    run want = replay(root, NULL, days, 1, INT64_MIN);
    free(replay(root, cache, days, 1, INT64_MIN).rows);
    log_expect("daycache_written");
    cache_file(cache, D1, file, sizeof(file));
    for (int how = 0; how < 4; how++) {
        char why[200], want_log[1000];
        damage(file, how, why, sizeof(why));
        run r = replay(root, cache, days, 1, INT64_MIN);
        snprintf(want_log, sizeof(want_log),
                 "WARNING qte_engine daycache_ignored path=%s %s\n", file, why);
        char *s = log_take();
        if (!strstr(s, want_log) || !strstr(s, "daycache_written"))
            fail_msg("case %d: log lacks '%s': %s", how, want_log, s);
        free(s);
        run copy = {malloc(sizeof(seen) * (size_t)want.n), want.n};
        memcpy(copy.rows, want.rows, sizeof(seen) * (size_t)want.n);
        same(copy, r);
        free(replay(root, cache, days, 1, INT64_MIN).rows);
        log_expect(NULL); /* rebuilt */
    }
    free(want.rows);
    rmrf(root);
    free(root);
}

/* Seek: the cache's binary search gives the source's rows. */
static void test_seek(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 5000, T0);
    make_day(root, D2, 2500, T0 + 86400000);
    log_to(root);
    const int days[] = {D1, D2};
    free(replay(root, cache, days, 2, INT64_MIN).rows);
    log_expect("daycache_written");
    const int64_t at[] = {INT64_MIN + 1,     T0 - 100,         T0 - 5,
                          T0 + 7 * 170 + 0, /* inside a block */
                          T0 + 7 * 171,     /* at a block's first row? */
                          T0 + 7 * 833 + 3,  T0 + 7 * 840,     T0 + 86400000,
                          T0 + 86400000 + 1, T0 + 2 * 86400000};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
        same(replay(root, NULL, days, 2, at[i]),
             replay(root, cache, days, 2, at[i]));
    log_expect(NULL);
    /* Every block boundary of the first day. */
    for (int64_t ts = T0 + 1; ts < T0 + 7 * 834; ts += 7 * 17 + 1)
        same(replay(root, NULL, days, 1, ts), replay(root, cache, days, 1, ts));
    /* A seek after rows were read, on one feed, both ways. */
    qte_config c1 = cache_cfg(root, NULL);
    qte_config c2 = cache_cfg(root, cache);
    qte_feed *f1 = open_feed(&c1, days, 2);
    qte_feed *f2 = open_feed(&c2, days, 2);
    qte_tick t;
    int day;
    bool nd;
    for (int i = 0; i < 4000; i++) {
        assert_int_equal(qte_feed_next(f1, &t, &day, &nd), QTE_FEED_ROW);
        assert_int_equal(qte_feed_next(f2, &t, &day, &nd), QTE_FEED_ROW);
    }
    same(drain(f1, T0 + 3000), drain(f2, T0 + 3000));
    qte_feed_close(f1);
    qte_feed_close(f2);
    log_expect(NULL);
    rmrf(root);
    free(root);
}

/* A replay that does not read a day to its end writes no cache. */
static void test_partial(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600], cmd[700];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 3000, T0);
    log_to(root);
    const int days[] = {D1};
    qte_config c = cache_cfg(root, cache);
    qte_feed *f = open_feed(&c, days, 1);
    qte_tick t;
    int day;
    bool nd;
    for (int i = 0; i < 1500; i++)
        assert_int_equal(qte_feed_next(f, &t, &day, &nd), QTE_FEED_ROW);
    qte_feed_close(f); /* stopped half-way */
    /* A seek before the end: the rest is read from the day file only. */
    f = open_feed(&c, days, 1);
    free(drain(f, T0 + 700).rows);
    qte_feed_close(f);
    log_expect(NULL);
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", cache);
    assert_int_equal(system(cmd), 0); /* no cache, no temporary file */
    rmrf(root);
    free(root);
}

/* --- the engine: the same bytes with and without the cache --------------- */

static int trader_n;

static void trader_tick(qte_ctx *ctx, const qte_tick *t)
{
    int n = ++trader_n;
    if (n % 97 == 0) {
        qte_order_req rq = {NULL,       t->sym,  n % 2 ? QTE_SELL : QTE_BUY,
                            QTE_MARKET, QTE_GTC, 100,
                            0};
        ctx->api->order(ctx, &rq);
    }
}

static const qte_strategy trader = {
    .abi = QTE_STRATEGY_ABI, .name = "trader", .on_tick = trader_tick};

static void test_engine_identical(void **state)
{
    (void)state;
    char *root = tmpdir();
    char cache[600];
    snprintf(cache, sizeof(cache), "%s/cache", root);
    make_day(root, D1, 6000, T0);
    make_day(root, D2, 4000, T0 + 86400000);
    log_to(root);
    char *json[3], *db[3], *out[3], id[3][80];
    for (int k = 0; k < 3; k++) { /* no cache, cache built, cache read */
        char path[700], err[256];
        qte_store st;
        qte_config c = cache_cfg(root, k ? cache : NULL);
        snprintf(c.days, sizeof(c.days), "%d,%d", D1, D2);
        snprintf(c.symbols, sizeof(c.symbols), "HK.00700,HK.00005,HK.09988");
        c.commit_events = 500;
        snprintf(path, sizeof(path), "%s/run%d", root, k);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/run%d/qte.db", root, k);
        assert_int_equal(qte_store_sqlite_open(&st, path, err, sizeof(err)), 0);
        trader_n = 0;
        qte_engine *e = qte_engine_new_with(&c, &st, &trader, err, sizeof(err));
        if (!e)
            fail_msg("engine: %s", err);
        assert_int_equal(qte_engine_run(e, NULL), 0);
        snprintf(id[k], sizeof(id[k]), "%s", qte_engine_run_id(e));
        snprintf(path, sizeof(path), "%s/run%d", root, k);
        assert_int_equal(qte_engine_write_report(e, path, err, sizeof(err)), 0);
        svc_buf b = {0};
        qte_engine_json_orders(e, &b, 100000);
        qte_engine_json_trades(e, &b, 100000);
        qte_engine_json_positions(e, &b);
        out[k] = b.p;
        qte_engine_free(e);
        st.ops->close(&st);
        snprintf(path, sizeof(path), "%s/run%d/report.json", root, k);
        json[k] = slurp(path);
        snprintf(path, sizeof(path), "%s/run%d/qte.db", root, k);
        db[k] = dump_db(path);
        char *s = log_take();
        assert_true((strstr(s, "daycache_written") != NULL) == (k == 1));
        free(s);
    }
    assert_non_null(strstr(json[0], "\"trades\": "));
    assert_null(strstr(json[0], "\"trades\": 0,"));
    for (int k = 1; k < 3; k++) {
        assert_string_equal(id[0], id[k]);
        assert_string_equal(json[0], json[k]);
        assert_string_equal(db[0], db[k]);
        assert_string_equal(out[0], out[k]);
    }
    for (int k = 0; k < 3; k++) {
        free(json[k]);
        free(db[k]);
        free(out[k]);
    }
    rmrf(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_seek),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_engine_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
