/*
 * test_dayfile.c - unit tests for the day-file library (src/dayfile),
 * linked with that library alone (+ SQLite, jansson, cmocka).
 *
 * Each test works in its own mkdtemp directory, removed in teardown.
 * Coverage: naming round trip and rejected names; the read-only open of an
 * idle WAL day file creates no -wal/-shm and reads every row, and a busy
 * one (a writer connection open) still reads through the WAL; schema
 * creation is idempotent and seeds totals; the reader's two orders, its
 * NULL seq and its sticky end; the rowid tail (rows after N in rowid order,
 * limits, rows committed between passes seen, NULL price/volume/turnover
 * flags, reset releasing the read snapshot so a checkpoint completes); totals
 * read from hk_symbol_totals and from ticks; manifest write/read round trip,
 * byte layout and the rows rule.
 */
#include <ftw.h>
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

#include "dayfile/dayfile.h"
#include "dayfile/manifest.h"
#include "dayfile/reader.h"
#include "dayfile/totals.h"

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    char *dir = strdup("/tmp/test_dayfile.XXXXXX");
    if (!dir || !mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    nftw(*state, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return 0;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

/* A WAL day file with the schema and four rows; closed (idle) on return. */
static void make_day(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "PRAGMA journal_mode=WAL");
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    exec_ok(db, "INSERT INTO ticks VALUES "
                "('HK','HK.00700',3000,320.2,100,32020.0,'BUY',7,"
                "'AUTO_MATCH','push','futu','20240301',3001,3002),"
                "('HK','HK.00005',1000,60.5,200,12100.0,'SELL',3,"
                "'AUTO_MATCH','push','futu','20240301',1001,1002),"
                "('HK','HK.00700',1000,320.0,300,96000.0,'NEUTRAL',5,"
                "'AUTO_MATCH','poll','futu','20240301',1003,1004),"
                "('HK','HK.00005',2000,60.6,400,24240.0,NULL,NULL,"
                "NULL,'backfill','futu','20240301',2001,2002)");
    exec_ok(db, "INSERT INTO hk_symbol_totals SELECT trading_day, symbol, "
                "COUNT(*), MIN(ts_ms), MAX(ts_ms), MAX(seq), "
                "MAX(inserted_at_ms) FROM ticks GROUP BY 1, 2");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static bool exists(const char *path, const char *suffix)
{
    char p[4300];
    snprintf(p, sizeof(p), "%s%s", path, suffix);
    return access(p, F_OK) == 0;
}

static void test_naming_round_trip(void **state)
{
    char buf[256];
    int day = 0;

    assert_int_equal(dayfile_path(*state, 20240301, buf, sizeof(buf)), 0);
    assert_int_equal(dayfile_parse_name(buf, &day), 0);
    assert_int_equal(day, 20240301);
    assert_int_equal(dayfile_path("/data/sqlite/HK", 20241231, buf, 64), 0);
    assert_string_equal(buf, "/data/sqlite/HK/20241231.db");
    assert_int_equal(dayfile_parse_name("20240229.db", &day), 0);
    assert_int_equal(day, 20240229);
    /* Too small a buffer reports it. */
    assert_int_equal(dayfile_path("/data", 20240301, buf, 10), -1);
    day = 7;
    assert_int_equal(dayfile_parse_name("20230229.db", &day), -1);
    assert_int_equal(dayfile_parse_name("20241301.db", &day), -1);
    assert_int_equal(dayfile_parse_name("2024030.db", &day), -1);
    assert_int_equal(dayfile_parse_name("20240301.db-wal", &day), -1);
    assert_int_equal(dayfile_parse_name("2024030x.db", &day), -1);
    assert_int_equal(dayfile_parse_name("/x/20240301.dbx", &day), -1);
    assert_int_equal(day, 7);
}

static int64_t count(sqlite3 *db)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM ticks", -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_ro_open_idle_creates_nothing(void **state)
{
    char path[4200];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
    assert_int_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    assert_int_equal(count(db), 4);
    assert_true(dayfile_has_table(db, "ticks"));
    assert_false(dayfile_has_table(db, "nope"));
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
    sqlite3_close(db);
    assert_false(exists(path, "-wal"));
    assert_false(exists(path, "-shm"));
    /* A private copy is immutable whatever its journal mode. */
    assert_int_equal(dayfile_open_ro(path, DAYFILE_RO_PRIVATE, &db), SQLITE_OK);
    assert_int_equal(count(db), 4);
    sqlite3_close(db);
    assert_false(exists(path, "-shm"));
}

static void test_ro_open_busy_reads_wal(void **state)
{
    char path[4200];
    sqlite3 *w, *db = NULL;

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
    exec_ok(w, "PRAGMA wal_autocheckpoint=0");
    exec_ok(w, "INSERT INTO ticks VALUES ('HK','HK.00700',4000,1.0,1,1.0,"
               "'BUY',9,'AUTO_MATCH','push','futu','20240301',1,1)");
    assert_true(exists(path, "-wal"));
    /* Not idle: the open must see the row that only the WAL holds. */
    assert_int_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    assert_int_equal(count(db), 5);
    sqlite3_close(db);
    sqlite3_close(w);
}

static void test_ro_open_missing_and_odd_names(void **state)
{
    char path[4200];
    sqlite3 *db = NULL;

    snprintf(path, sizeof(path), "%s/none.db", (char *)*state);
    assert_int_not_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    sqlite3_close(db);
    assert_false(exists(path, ""));
    /* '?' and '#' in a path are percent-encoded, not URI syntax. */
    snprintf(path, sizeof(path), "%s/a?b#c.db", (char *)*state);
    make_day(path);
    assert_int_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    assert_int_equal(count(db), 4);
    sqlite3_close(db);
}

static void test_schema_idempotent_and_version(void **state)
{
    char path[4200];
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t i = 0;

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT name, sql FROM sqlite_master WHERE name "
                           "NOT LIKE 'sqlite_%' ORDER BY rowid",
                           -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && i < dayfile_schema_len) {
        const char *sql = dayfile_schema[i].sql;
        const char *want = strstr(sql, "IF NOT EXISTS ");
        char buf[1024];
        if (want) {
            snprintf(buf, sizeof(buf), "%.*s%s", (int)(want - sql), sql,
                     want + strlen("IF NOT EXISTS "));
            sql = buf;
        }
        assert_string_equal(sqlite3_column_text(st, 0), dayfile_schema[i].name);
        assert_string_equal(sqlite3_column_text(st, 1), sql);
        i++;
    }
    sqlite3_finalize(st);
    assert_int_equal(i, dayfile_schema_len);
    assert_int_equal(DAYFILE_USER_VERSION, 4);
    sqlite3_close(db);
}

static void test_reader_orders(void **state)
{
    char path[4200];
    sqlite3 *db = NULL;
    dayfile_reader r;
    dayfile_row row;
    static const int64_t ts_seq[] = {1000, 1000, 2000, 3000};
    static const char *const ts_sym[] = {"HK.00005", "HK.00700", "HK.00005",
                                         "HK.00700"};
    static const int64_t sym_ts[] = {1000, 2000, 1000, 3000};
    int n = 0;

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    assert_int_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    assert_int_equal(dayfile_reader_open(&r, db, DAYFILE_ORDER_TS_SEQ),
                     SQLITE_OK);
    while (dayfile_reader_next(&r, &row) == 1) {
        assert_true(n < 4);
        assert_int_equal(row.ts_ms, ts_seq[n]);
        assert_string_equal(row.symbol, ts_sym[n]);
        n++;
    }
    assert_int_equal(n, 4);
    /* The end is sticky: no restart from the first row. */
    assert_int_equal(dayfile_reader_next(&r, &row), 0);
    dayfile_reader_close(&r);

    n = 0;
    assert_int_equal(dayfile_reader_open(&r, db, DAYFILE_ORDER_SYMBOL_TS),
                     SQLITE_OK);
    while (dayfile_reader_next(&r, &row) == 1) {
        assert_int_equal(row.ts_ms, sym_ts[n]);
        if (n == 1) { /* the row with NULLs */
            assert_false(row.has_seq);
            assert_null(row.direction);
            assert_null(row.tick_type);
            assert_string_equal(row.push_type, "backfill");
            assert_int_equal(row.volume, 400);
            assert_true(row.price == 60.6);
            assert_true(row.turnover == 24240.0);
            assert_int_equal(row.recv_ts_ms, 2001);
            assert_int_equal(row.inserted_at_ms, 2002);
        }
        if (n == 3) {
            assert_true(row.has_seq);
            assert_int_equal(row.seq, 7);
            assert_string_equal(row.market, "HK");
            assert_string_equal(row.direction, "BUY");
            assert_string_equal(row.tick_type, "AUTO_MATCH");
            assert_string_equal(row.provider, "futu");
            assert_string_equal(row.trading_day, "20240301");
        }
        n++;
    }
    assert_int_equal(n, 4);
    dayfile_reader_close(&r);
    dayfile_reader_close(&r); /* harmless twice */
    sqlite3_close(db);
}

/* PRAGMA wal_checkpoint(TRUNCATE) on db: 1 when a reader blocked it. */
static int checkpoint_busy(sqlite3 *db)
{
    sqlite3_stmt *st;
    int busy = -1;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        busy = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return busy;
}

/* Read a pass into rowids[]; returns the count. */
static int tail_pass(dayfile_reader *r, int64_t after, int64_t limit,
                     int64_t *rowids, int cap)
{
    dayfile_row row;
    int n = 0, rc;
    assert_int_equal(dayfile_reader_tail(r, after, limit), SQLITE_OK);
    for (;;) {
        rc = dayfile_reader_next(r, &row);
        if (rc != 1)
            break;
        assert_true(n < cap);
        rowids[n++] = row.rowid;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(dayfile_reader_next(r, &row), 0); /* sticky */
    return n;
}

static void test_reader_rowid_tail(void **state)
{
    char path[4200];
    sqlite3 *db = NULL, *w = NULL;
    dayfile_reader r, other;
    dayfile_row row;
    int64_t ids[8];

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    /* The publisher's connection: plain read-only, follows the writer. */
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_open(path, &w), SQLITE_OK);
    assert_int_equal(dayfile_reader_open(&r, db, DAYFILE_ORDER_ROWID),
                     SQLITE_OK);
    /* Open: every row, in rowid (insert) order, with every column. */
    assert_int_equal(dayfile_reader_next(&r, &row), 1);
    assert_int_equal(row.rowid, 1);
    assert_int_equal(row.ts_ms, 3000);
    assert_string_equal(row.symbol, "HK.00700");
    assert_true(row.has_price && row.price == 320.2);
    assert_true(row.has_volume && row.volume == 100);
    assert_true(row.has_turnover && row.turnover == 32020.0);
    assert_true(row.has_seq && row.seq == 7);
    assert_int_equal(row.inserted_at_ms, 3002);
    assert_int_equal(dayfile_reader_next(&r, &row), 1);
    assert_int_equal(row.rowid, 2);
    assert_string_equal(row.symbol, "HK.00005");
    /* Mid-pass the reader holds a snapshot: a checkpoint cannot finish;
     * after reset it can, and the pass is over. */
    exec_ok(w, "PRAGMA journal_mode=WAL");
    exec_ok(w, "INSERT INTO ticks VALUES ('HK','HK.00700',4000,NULL,NULL,"
               "NULL,'BUY',9,'AUTO_MATCH','push','futu','20240301',4001,"
               "4002)");
    assert_int_equal(checkpoint_busy(w), 1);
    dayfile_reader_reset(&r);
    assert_int_equal(dayfile_reader_next(&r, &row), 0);
    assert_int_equal(checkpoint_busy(w), 0);

    /* Passes: after N, limited; the row committed since is seen. */
    assert_int_equal(tail_pass(&r, 1, 2, ids, 8), 2);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 3);
    assert_int_equal(tail_pass(&r, 3, -1, ids, 8), 2);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 5);
    assert_int_equal(tail_pass(&r, 5, 10, ids, 8), 0);
    exec_ok(w, "INSERT INTO ticks VALUES ('HK','HK.00005',5000,61.0,NULL,"
               "0.0,NULL,NULL,NULL,'poll','futu','20240301',5001,5002)");
    assert_int_equal(dayfile_reader_tail(&r, 4, 10), SQLITE_OK);
    assert_int_equal(dayfile_reader_next(&r, &row), 1);
    assert_int_equal(row.rowid, 5); /* NULL price, volume, turnover */
    assert_false(row.has_price);
    assert_false(row.has_volume);
    assert_false(row.has_turnover);
    assert_true(row.price == 0.0 && row.volume == 0 && row.turnover == 0.0);
    assert_true(row.has_seq && row.seq == 9);
    assert_int_equal(dayfile_reader_next(&r, &row), 1);
    assert_int_equal(row.rowid, 6); /* a 0.0 turnover is not NULL */
    assert_true(row.has_price && row.price == 61.0);
    assert_false(row.has_volume);
    assert_true(row.has_turnover && row.turnover == 0.0);
    assert_false(row.has_seq);
    assert_int_equal(dayfile_reader_next(&r, &row), 0);
    assert_int_equal(tail_pass(&r, 0, 0, ids, 8), 0); /* limit 0 */

    /* Only a rowid reader takes passes; rowid is filled in every order. */
    assert_int_equal(dayfile_reader_open(&other, db, DAYFILE_ORDER_TS_SEQ),
                     SQLITE_OK);
    assert_int_equal(dayfile_reader_tail(&other, 0, 1), SQLITE_MISUSE);
    assert_int_equal(dayfile_reader_next(&other, &row), 1);
    assert_int_equal(row.ts_ms, 1000);
    assert_int_equal(row.rowid, 2);
    dayfile_reader_close(&other);
    dayfile_reader_close(&r);
    assert_int_equal(dayfile_reader_tail(&r, 0, 1), SQLITE_MISUSE);
    dayfile_reader_reset(&r); /* harmless when closed */
    sqlite3_close(db);
    sqlite3_close(w);
}

static void test_totals(void **state)
{
    char path[4200];
    sqlite3 *db = NULL;
    dayfile_total *t = NULL;
    int n = 0;
    bool from = false;

    snprintf(path, sizeof(path), "%s/20240301.db", (char *)*state);
    make_day(path);
    assert_int_equal(dayfile_open_ro(path, 0, &db), SQLITE_OK);
    assert_int_equal(dayfile_totals_read(db, 20240301, &t, &n, &from), 0);
    assert_true(from);
    assert_int_equal(n, 2);
    assert_string_equal(t[0].symbol, "HK.00005");
    assert_int_equal(t[0].rows, 2);
    assert_int_equal(t[0].min_ts_ms, 1000);
    assert_int_equal(t[0].max_ts_ms, 2000);
    assert_true(t[0].has_seq);
    assert_int_equal(t[0].max_seq, 3);
    assert_string_equal(t[1].symbol, "HK.00700");
    assert_int_equal(t[1].rows, 2);
    assert_int_equal(t[1].max_seq, 7);
    free(t);
    assert_int_equal(dayfile_totals_read(db, 20240302, &t, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_null(t);
    sqlite3_close(db);

    /* Without the table: computed from ticks, max_seq unknown. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_ok(db, "DROP TABLE hk_symbol_totals");
    assert_int_equal(dayfile_totals_read(db, 0, &t, &n, &from), 0);
    assert_false(from);
    assert_int_equal(n, 2);
    assert_int_equal(t[1].rows, 2);
    assert_int_equal(t[1].max_ts_ms, 3000);
    assert_false(t[1].has_seq);
    free(t);
    /* Re-ensuring the schema seeds totals once from ticks. */
    assert_int_equal(dayfile_schema_ensure(db), SQLITE_OK);
    assert_int_equal(dayfile_totals_read(db, 20240301, &t, &n, &from), 0);
    assert_true(from);
    assert_int_equal(n, 2);
    assert_int_equal(t[1].max_seq, 7);
    free(t);
    sqlite3_close(db);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 8192);
    if (f && buf)
        (void)fread(buf, 1, 8191, f);
    if (f)
        fclose(f);
    return buf;
}

static void test_manifest_round_trip(void **state)
{
    char dir[4200], path[4400];
    dayfile_manifest m, back;
    int64_t rows = 0, mx = 0;
    bool has_max = true;

    snprintf(dir, sizeof(dir), "%s/manifest", (char *)*state);
    assert_int_equal(mkdir(dir, 0750), 0);
    assert_int_equal(
        dayfile_manifest_path(*state, 20240301, path, sizeof(path)), 0);
    assert_non_null(strstr(path, "/manifest/20240301.json"));
    memset(&m, 0, sizeof(m));
    snprintf(m.trading_day, sizeof(m.trading_day), "20240301");
    m.created_at_ms = 1709251200123;
    snprintf(m.host, sizeof(m.host), "h1");
    snprintf(m.collector_version, sizeof(m.collector_version), "0.1.0");
    snprintf(m.source_db, sizeof(m.source_db), "/d/20240301.db");
    snprintf(m.archive_file, sizeof(m.archive_file), "/a/20240301.db.zst");
    m.archive_size_bytes = 1234;
    memset(m.checksum_sha256, 'a', 64);
    snprintf(m.compression, sizeof(m.compression), "zstd");
    m.verify_enabled = true;
    m.verify_ok = true;
    m.verify_details = json_pack("{s:I,s:I}", "ticks_count", (json_int_t)4,
                                 "max_ts_ms", (json_int_t)3000);
    m.quality_summary = json_pack("{s:I}", "total_rows", (json_int_t)4);
    assert_int_equal(dayfile_manifest_write(path, &m), 0);

    char *text = slurp(path);
    assert_string_equal(
        text, "{\n"
              "  \"trading_day\": \"20240301\",\n"
              "  \"created_at_ms\": 1709251200123,\n"
              "  \"host\": \"h1\",\n"
              "  \"collector_version\": \"0.1.0\",\n"
              "  \"source_db\": \"/d/20240301.db\",\n"
              "  \"archive_file\": \"/a/20240301.db.zst\",\n"
              "  \"archive_size_bytes\": 1234,\n"
              "  \"checksum_sha256\": "
              "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
              "aaaa\",\n"
              "  \"compression\": \"zstd\",\n"
              "  \"verify_enabled\": true,\n"
              "  \"verify_ok\": true,\n"
              "  \"verify_details\": {\n"
              "    \"ticks_count\": 4,\n"
              "    \"max_ts_ms\": 3000\n"
              "  },\n"
              "  \"quality_summary\": {\n"
              "    \"total_rows\": 4\n"
              "  }\n"
              "}\n");
    free(text);

    assert_int_equal(dayfile_manifest_read(path, &back), 0);
    assert_string_equal(back.trading_day, m.trading_day);
    assert_int_equal(back.created_at_ms, m.created_at_ms);
    assert_string_equal(back.host, m.host);
    assert_string_equal(back.collector_version, m.collector_version);
    assert_string_equal(back.source_db, m.source_db);
    assert_string_equal(back.archive_file, m.archive_file);
    assert_int_equal(back.archive_size_bytes, 1234);
    assert_string_equal(back.checksum_sha256, m.checksum_sha256);
    assert_string_equal(back.compression, "zstd");
    assert_true(back.verify_enabled);
    assert_true(back.verify_ok);
    assert_true(json_equal(back.verify_details, m.verify_details));
    assert_true(json_equal(back.quality_summary, m.quality_summary));
    assert_int_equal(dayfile_manifest_rows(&back, &rows, &mx, &has_max), 0);
    assert_int_equal(rows, 4);
    assert_int_equal(mx, 3000);
    assert_true(has_max);
    dayfile_manifest_free(&back);

    /* Without verify details the summary's total_rows counts, no max. */
    json_decref(m.verify_details);
    m.verify_details = NULL;
    m.verify_ok = false;
    assert_int_equal(dayfile_manifest_write(path, &m), 0);
    assert_int_equal(dayfile_manifest_read(path, &back), 0);
    assert_false(back.verify_ok);
    assert_int_equal(dayfile_manifest_rows(&back, &rows, &mx, &has_max), 0);
    assert_int_equal(rows, 4);
    assert_false(has_max);
    dayfile_manifest_free(&back);
    dayfile_manifest_free(&m);

    /* Missing or not an object: -1, nothing to free. */
    assert_int_equal(dayfile_manifest_read("/nonexistent/x.json", &back), -1);
    assert_null(back.verify_details);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_naming_round_trip, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ro_open_idle_creates_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_ro_open_busy_reads_wal, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ro_open_missing_and_odd_names,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_idempotent_and_version,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_rowid_tail, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_round_trip, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
