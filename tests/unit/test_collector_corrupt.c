/*
 * test_collector_corrupt.c - the writer and store with a damaged or
 * foreign day file (issue 8 item 6).
 *
 * Fixture as in test_collector_writer.c (own DATA_ROOT, ten symbols, one
 * writer). Each test commits rows of 2024-03-01, closes the writer's
 * files, damages 20240301.db (garbage over the header, random bytes over
 * every b-tree page but the first, truncation, a foreign ticks schema),
 * then commits new rows: the file must be set aside under
 * 20240301.corrupt-<stamp>.db / .foreign-<stamp>.db with its bytes
 * untouched, the set-aside counters and reason published, and the new rows
 * (exactly) in a fresh 20240301.db. A file written with the compat DDL but
 * nothing else (a reference file) is kept and appended to. Transient codes
 * never count as damage; dayfile_schema_check tolerates DDL whitespace.
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
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "collector/config.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/symtab.h"
#include "collector/store.h"
#include "collector/writer.h"
#include "dayfile/dayfile.h"
#include "common/hktime.h"
#include "common/log.h"

#include "writer_fixture.h"

static int setup(void **state)
{
    return fx_setup(state, "corrupt");
}

#define DAY 20240301

/* Commit rows seq [from, from+n) of symbol 0 on 2024-03-01. */
static void commit_n(struct fx *f, int64_t from, int n, long long *ins)
{
    row *rows = calloc((size_t)n, sizeof(row));
    long long ign = 0;
    assert_non_null(rows);
    for (int i = 0; i < n; i++)
        rows[i] = mk(f->id[i % NSYM], MAR1_UTC + 1000 * (from + i), from + i);
    assert_int_equal(writer_commit_rows(&f->w, rows, (size_t)n, ins, &ign), 0);
    free(rows);
}

/* The one set-aside file of DAY whose name contains word, into out. */
static int find_aside(const struct fx *f, const char *word, char *out,
                      size_t cap)
{
    DIR *d = opendir(f->dir);
    struct dirent *e;
    int n = 0;
    char pre[64];

    snprintf(pre, sizeof(pre), "%08d.%s-", DAY, word);
    assert_non_null(d);
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, pre, strlen(pre)) == 0 && l > 3 &&
            strcmp(e->d_name + l - 3, ".db") == 0) {
            snprintf(out, cap, "%s/%s", f->dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    return n;
}

static long long q_path(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

static void day_path(const struct fx *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%08d.db", f->dir, DAY);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *b;
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    rewind(fp);
    b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, *len, fp), *len);
    fclose(fp);
    return b;
}

/* Write a day of 3000 rows, then close it checkpointed (no -wal left). */
static void write_day(struct fx *f)
{
    long long ins = 0;
    init_writer(f);
    commit_n(f, 1, 3000, &ins);
    assert_int_equal(ins, 3000);
    writer_close_all(&f->w);
}

/* After damage: 50 new rows go to a fresh file, the old one is aside. */
static void expect_set_aside(struct fx *f, const char *word, int reason,
                             const char *old, size_t old_len)
{
    char aside[512], path[256];
    long long ins = 0;
    size_t len;

    commit_n(f, 5001, 50, &ins);
    assert_int_equal(ins, 50);
    day_path(f, path, sizeof(path));
    assert_int_equal(q_path(path, "SELECT COUNT(*) FROM ticks"), 50);
    assert_int_equal(q_path(path, "SELECT MIN(seq) FROM ticks"), 5001);
    assert_int_equal(find_aside(f, word, aside, sizeof(aside)), 1);
    char *now = slurp(aside, &len);
    assert_int_equal(len, old_len);
    assert_memory_equal(now, old, len);
    free(now);
    assert_int_equal(atomic_load(&f->w.st.set_aside_count), 1);
    assert_int_equal(atomic_load(&f->w.st.set_aside_day), DAY);
    assert_int_equal(atomic_load(&f->w.st.set_aside_reason), reason);
    /* Nothing failed in between: no backoff was needed. */
    assert_int_equal(atomic_load(&f->w.st.backoff_count), 0);
    /* The set-aside name is not a day file for any reader. */
    int d = 0;
    assert_int_equal(dayfile_parse_name(aside, &d), -1);
}

static void test_garbage_header(void **state)
{
    struct fx *f = *state;
    char path[256];
    size_t len;

    write_day(f);
    day_path(f, path, sizeof(path));
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    char junk[100];
    memset(junk, 'Z', sizeof(junk));
    assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
    close(fd);
    char *old = slurp(path, &len);
    expect_set_aside(f, "corrupt", WRITER_ASIDE_NOTADB, old, len);
    free(old);
}

static void test_flipped_pages(void **state)
{
    struct fx *f = *state;
    char path[256];
    size_t len;

    write_day(f);
    day_path(f, path, sizeof(path));
    char *b = slurp(path, &len);
    assert_true(len > 8 * 4096);
    /* Every byte after page 1 (the schema) becomes noise. */
    uint32_t x = 12345;
    for (size_t i = 4096; i < len; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (char)(x >> 16);
    }
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, len, fp), len);
    fclose(fp);
    expect_set_aside(f, "corrupt", WRITER_ASIDE_CORRUPT, b, len);
    free(b);
}

static void test_truncated(void **state)
{
    struct fx *f = *state;
    char path[256];
    size_t len;

    write_day(f);
    day_path(f, path, sizeof(path));
    char *b = slurp(path, &len);
    assert_int_equal(truncate(path, (off_t)(len / 3)), 0);
    expect_set_aside(f, "corrupt", WRITER_ASIDE_CORRUPT, b, len / 3);
    free(b);
}

static void make_file(const char *path, const char *ddl, const char *ins)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ddl, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_foreign_schema(void **state)
{
    struct fx *f = *state;
    char path[256];
    size_t len;

    day_path(f, path, sizeof(path));
    make_file(path,
              "CREATE TABLE ticks (id INTEGER PRIMARY KEY, code TEXT, "
              "px REAL, ts INTEGER)",
              "INSERT INTO ticks (code, px, ts) VALUES ('HK.00700', 1.5, 7),"
              "('HK.00701', 2.5, 8)");
    char *old = slurp(path, &len);
    init_writer(f);
    expect_set_aside(f, "foreign", WRITER_ASIDE_FOREIGN, old, len);
    free(old);
    char aside[512];
    assert_int_equal(find_aside(f, "foreign", aside, sizeof(aside)), 1);
    assert_int_equal(q_path(aside, "SELECT COUNT(*) FROM ticks"), 2);
}

/* A reference file: the compat DDL only, no totals, DELETE journal. */
static void test_reference_file_kept(void **state)
{
    struct fx *f = *state;
    char path[256], aside[512];
    long long ins = 0;
    sqlite3 *db;

    day_path(f, path, sizeof(path));
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (size_t i = 0; i < dayfile_schema_len; i++)
        assert_int_equal(
            sqlite3_exec(db, dayfile_schema[i].sql, NULL, NULL, NULL),
            SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO ticks VALUES ('HK','HK.00700',1709251200500,"
                     "380.0,100,38000.0,'BUY',1,'AUTO_MATCH','push','futu',"
                     "'20240301',1709251200600,1709251200600)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    init_writer(f);
    commit_n(f, 2, 20, &ins);
    assert_int_equal(ins, 20);
    assert_int_equal(q_day(f, DAY, "SELECT COUNT(*) FROM ticks"), 21);
    assert_int_equal(find_aside(f, "corrupt", aside, sizeof(aside)), 0);
    assert_int_equal(find_aside(f, "foreign", aside, sizeof(aside)), 0);
    assert_int_equal(atomic_load(&f->w.st.set_aside_count), 0);
}

static void test_damage_codes(void **state)
{
    (void)state;
    assert_string_equal(store_damage_reason(SQLITE_CORRUPT), "corrupt");
    assert_string_equal(store_damage_reason(SQLITE_CORRUPT_INDEX), "corrupt");
    assert_string_equal(store_damage_reason(SQLITE_NOTADB), "notadb");
    assert_string_equal(store_damage_reason(STORE_FOREIGN_SCHEMA),
                        "foreign_schema");
    const int transient[] = {
        SQLITE_BUSY,        SQLITE_LOCKED,   SQLITE_FULL,
        SQLITE_IOERR,       SQLITE_READONLY, SQLITE_CANTOPEN,
        SQLITE_IOERR_FSYNC, SQLITE_ERROR,    SQLITE_INTERRUPT};
    for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
        assert_null(store_damage_reason(transient[i]));
    assert_string_equal(writer_aside_name(WRITER_ASIDE_FOREIGN),
                        "foreign_schema");
    assert_string_equal(writer_aside_name(WRITER_ASIDE_NONE), "none");
}

/* Set-aside names: stamp, -N on collision, WAL and shm follow. */
static void test_set_aside_names(void **state)
{
    struct fx *f = *state;
    char path[256], dst[512], dst2[512], side[600];
    const int64_t t = 1765000000000LL; /* 2025-12-06T05:46:40Z */

    day_path(f, path, sizeof(path));
    for (int k = 0; k < 2; k++) {
        FILE *fp = fopen(path, "w");
        fputs("x", fp);
        fclose(fp);
        snprintf(side, sizeof(side), "%s-wal", path);
        fp = fopen(side, "w");
        fputs("w", fp);
        fclose(fp);
        assert_int_equal(
            store_set_aside(path, "corrupt", t, k ? dst2 : dst, sizeof(dst)),
            0);
    }
    snprintf(side, sizeof(side), "%s/20240301.corrupt-20251206T054640Z.db",
             f->dir);
    assert_string_equal(dst, side);
    snprintf(side, sizeof(side), "%s/20240301.corrupt-20251206T054640Z-2.db",
             f->dir);
    assert_string_equal(dst2, side);
    snprintf(side, sizeof(side), "%s-wal", dst2);
    assert_int_equal(access(side, F_OK), 0);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(side, sizeof(side), "%s-wal", path);
    assert_int_equal(access(side, F_OK), -1);
    assert_int_equal(
        store_set_aside(path, "foreign_schema", t, dst, sizeof(dst)), -ENOENT);
}

static void test_schema_check(void **state)
{
    (void)state;
    sqlite3 *db;
    char detail[128];
    int rc;

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(dayfile_schema_check(db, &rc, detail, sizeof(detail)),
                     DAYFILE_NO_TICKS);
    /* The compat DDL on one line, with IF NOT EXISTS: still ours. */
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS ticks ( market TEXT NOT NULL, "
                     "symbol TEXT NOT NULL, ts_ms INTEGER NOT NULL, price REAL,"
                     " volume INTEGER, turnover REAL, direction TEXT, seq "
                     "INTEGER, tick_type TEXT, push_type TEXT, provider TEXT, "
                     "trading_day TEXT NOT NULL, recv_ts_ms INTEGER NOT NULL,"
                     " inserted_at_ms INTEGER NOT NULL );",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(dayfile_schema_check(db, &rc, detail, sizeof(detail)),
                     DAYFILE_OK);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_exec(db, "DROP TABLE ticks", NULL, NULL, NULL);
    sqlite3_exec(db, "CREATE TABLE ticks (market TEXT, symbol TEXT)", NULL,
                 NULL, NULL);
    assert_int_equal(dayfile_schema_check(db, &rc, detail, sizeof(detail)),
                     DAYFILE_FOREIGN);
    assert_string_equal(detail, "ticks table is not the compat schema");
    assert_string_equal(dayfile_verdict_name(DAYFILE_FOREIGN),
                        "foreign_schema");
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_garbage_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_file_kept, setup,
                                        teardown),
        cmocka_unit_test(test_damage_codes),
        cmocka_unit_test_setup_teardown(test_set_aside_names, setup, teardown),
        cmocka_unit_test(test_schema_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
