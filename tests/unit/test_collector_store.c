/*
 * test_collector_store.c - unit tests for collector/store.c.
 *
 * Each test loads a config with FUTU_SYMBOLS and DATA_ROOT=<own mkdtemp
 * dir> (removed in teardown) and opens day files there. The expected DDL
 * below is copied from compat.md §1.2 with what SQLite drops (IF NOT
 * EXISTS, the trailing ';'); the schema check compares sqlite_master.sql
 * byte for byte, so a one-space change in store.c fails it.
 *
 * Coverage: schema text, object order, user_version, PRAGMAs; one row read
 * back column by column (types included); both dedup keys; the totals
 * upsert; opening a reference-written file (totals built from ticks, schema
 * untouched); a newer user_version kept; idempotent reopen; the trading-day
 * boundary at 16:00Z; open failures; checkpoint on close.
 */
#include <errno.h>
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

#include "collector/config.h"
#include "collector/row.h"
#include "collector/store.h"
#include "collector/symtab.h"
#include "common/hktime.h"
#include "common/log.h"

/* 2024-03-01T00:00:00Z */
#define MAR1_UTC 1709251200000LL
#define DAY 20240301

/* compat.md §1.2, in order, as SQLite stores it. */
static const struct {
    const char *type;
    const char *name;
    const char *sql;
} want_schema[] = {
    {"table", "ticks",
     "CREATE TABLE ticks (\n"
     "  market TEXT NOT NULL,\n"
     "  symbol TEXT NOT NULL,\n"
     "  ts_ms INTEGER NOT NULL,\n"
     "  price REAL,\n"
     "  volume INTEGER,\n"
     "  turnover REAL,\n"
     "  direction TEXT,\n"
     "  seq INTEGER,\n"
     "  tick_type TEXT,\n"
     "  push_type TEXT,\n"
     "  provider TEXT,\n"
     "  trading_day TEXT NOT NULL,\n"
     "  recv_ts_ms INTEGER NOT NULL,\n"
     "  inserted_at_ms INTEGER NOT NULL\n"
     ")"},
    {"index", "idx_ticks_symbol_day_ts",
     "CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, "
     "ts_ms)"},
    {"index", "idx_ticks_symbol_seq",
     "CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq)"},
    {"index", "uniq_ticks_symbol_seq",
     "CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE "
     "seq IS NOT NULL"},
    {"index", "uniq_ticks_symbol_ts_price_vol_turnover",
     "CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover\n"
     "  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL"},
    {"table", "gaps",
     "CREATE TABLE gaps (\n"
     "  trading_day TEXT NOT NULL,\n"
     "  symbol TEXT NOT NULL,\n"
     "  gap_start_ts_ms INTEGER NOT NULL,\n"
     "  gap_end_ts_ms INTEGER NOT NULL,\n"
     "  gap_sec REAL NOT NULL,\n"
     "  detected_at_ms INTEGER NOT NULL,\n"
     "  reason TEXT NOT NULL,\n"
     "  meta_json TEXT NOT NULL,\n"
     "  PRIMARY KEY (symbol, gap_start_ts_ms, gap_end_ts_ms)\n"
     ")"},
    {"index", "idx_gaps_day_symbol",
     "CREATE INDEX idx_gaps_day_symbol ON gaps(trading_day, symbol)"},
    {"table", "daily_quality",
     "CREATE TABLE daily_quality (\n"
     "  trading_day TEXT PRIMARY KEY,\n"
     "  created_at_ms INTEGER NOT NULL,\n"
     "  host TEXT,\n"
     "  symbols_json TEXT NOT NULL,\n"
     "  summary_json TEXT NOT NULL\n"
     ")"},
};
#define N_SCHEMA (sizeof(want_schema) / sizeof(want_schema[0]))

/* The compat DDL exactly as the reference executes it (for legacy files). */
static const char COMPAT_DDL[] =
    "CREATE TABLE IF NOT EXISTS ticks (\n"
    "  market TEXT NOT NULL,\n"
    "  symbol TEXT NOT NULL,\n"
    "  ts_ms INTEGER NOT NULL,\n"
    "  price REAL,\n"
    "  volume INTEGER,\n"
    "  turnover REAL,\n"
    "  direction TEXT,\n"
    "  seq INTEGER,\n"
    "  tick_type TEXT,\n"
    "  push_type TEXT,\n"
    "  provider TEXT,\n"
    "  trading_day TEXT NOT NULL,\n"
    "  recv_ts_ms INTEGER NOT NULL,\n"
    "  inserted_at_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS idx_ticks_symbol_day_ts ON ticks(symbol, "
    "trading_day, ts_ms);\n"
    "CREATE INDEX IF NOT EXISTS idx_ticks_symbol_seq ON ticks(symbol, seq);\n"
    "CREATE UNIQUE INDEX IF NOT EXISTS uniq_ticks_symbol_seq ON ticks(symbol, "
    "seq) WHERE seq IS NOT NULL;\n"
    "CREATE UNIQUE INDEX IF NOT EXISTS uniq_ticks_symbol_ts_price_vol_turnover"
    "\n  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL;\n"
    "CREATE TABLE IF NOT EXISTS gaps (\n"
    "  trading_day TEXT NOT NULL,\n"
    "  symbol TEXT NOT NULL,\n"
    "  gap_start_ts_ms INTEGER NOT NULL,\n"
    "  gap_end_ts_ms INTEGER NOT NULL,\n"
    "  gap_sec REAL NOT NULL,\n"
    "  detected_at_ms INTEGER NOT NULL,\n"
    "  reason TEXT NOT NULL,\n"
    "  meta_json TEXT NOT NULL,\n"
    "  PRIMARY KEY (symbol, gap_start_ts_ms, gap_end_ts_ms)\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS idx_gaps_day_symbol ON gaps(trading_day, "
    "symbol);\n"
    "CREATE TABLE IF NOT EXISTS daily_quality (\n"
    "  trading_day TEXT PRIMARY KEY,\n"
    "  created_at_ms INTEGER NOT NULL,\n"
    "  host TEXT,\n"
    "  symbols_json TEXT NOT NULL,\n"
    "  summary_json TEXT NOT NULL\n"
    ");\n";

struct fx {
    char dir[64];
    config *cfg;
    symtab t;
    uint32_t s700, s981;
};

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
    struct fx *f = calloc(1, sizeof(*f));
    config_load_opts o = {.quiet = true};

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/hkut-store-XXXXXX");
    f->cfg = calloc(1, sizeof(config));
    if (!f->cfg || !mkdtemp(f->dir))
        return -1;
    unsetenv("ENV_FILE");
    setenv("FUTU_SYMBOLS", "HK.00700,HK.00981", 1);
    setenv("DATA_ROOT", f->dir, 1);
    if (config_load(f->cfg, &o) != 0)
        return -1;
    unsetenv("FUTU_SYMBOLS");
    unsetenv("DATA_ROOT");
    if (symtab_init(&f->t, 16) != 0)
        return -1;
    f->s700 = symtab_intern(&f->t, "HK.00700", 8);
    f->s981 = symtab_intern(&f->t, "HK.00981", 8);
    log_level_set(LOG_WARNING);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    symtab_free(&f->t);
    free(f->cfg);
    free(f);
    return 0;
}

static row mk(uint32_t sym, int64_t ts, int64_t seq, bool has_seq)
{
    row r;
    memset(&r, 0, sizeof(r));
    r.sym = sym;
    r.ts_ms = ts;
    r.seq = seq;
    r.volume = 200;
    r.price = 380.4;
    r.turnover = 76080.0;
    r.recv_ts_ms = ts + 35;
    r.dir = 1;
    r.tick_type = 1;
    r.push_type = ROW_PUSH;
    r.flags = (uint8_t)((has_seq ? ROW_HAS_SEQ : 0) | ROW_HAS_TYPE);
    return r;
}

static void open_day(struct fx *f, store *s, int day)
{
    char err[256] = "";
    int rc = store_open(s, f->cfg, day, err, sizeof(err));
    if (rc != SQLITE_OK)
        print_error("store_open: %d %s\n", rc, err);
    assert_int_equal(rc, SQLITE_OK);
    assert_int_equal(s->day, day);
    assert_non_null(s->db);
}

static int ins(store *s, const symtab *t, const row *r, int64_t at)
{
    int inserted = -1;
    assert_int_equal(store_insert(s, r, t, at, &inserted), SQLITE_OK);
    assert_true(inserted == 0 || inserted == 1);
    return inserted;
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void q_text(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf, cap, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
}

/* The whole schema as one string: type|name|tbl|sql lines in rowid order. */
static char *schema_dump(sqlite3 *db)
{
    sqlite3_stmt *st;
    size_t cap = 16384, o = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT type, name, tbl_name, sql "
                                        "FROM sqlite_master ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 3);
        o += (size_t)snprintf(buf + o, cap - o, "%s|%s|%s|%s\n",
                              sqlite3_column_text(st, 0),
                              sqlite3_column_text(st, 1),
                              sqlite3_column_text(st, 2), sql ? sql : "-");
        assert_true(o < cap);
    }
    sqlite3_finalize(st);
    return buf;
}

static void check_compat_schema(sqlite3 *db)
{
    sqlite3_stmt *st;
    size_t k = 0;

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT type, name, sql FROM "
                                        "sqlite_master WHERE sql IS NOT NULL "
                                        "ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *sql = (const char *)sqlite3_column_text(st, 2);
        if (strcmp(name, "hk_symbol_totals") == 0)
            continue; /* ours, checked separately */
        if (k >= N_SCHEMA)
            fail_msg("unexpected object %s", name);
        assert_string_equal(type, want_schema[k].type);
        assert_string_equal(name, want_schema[k].name);
        assert_string_equal(sql, want_schema[k].sql);
        k++;
    }
    sqlite3_finalize(st);
    assert_int_equal(k, N_SCHEMA);
}

/* ---------------------------------------------------------------- tests */

static void test_day_path(void **state)
{
    char buf[64];
    (void)state;
    store_day_path("/data/sqlite/HK", 20240301, buf, sizeof(buf));
    assert_string_equal(buf, "/data/sqlite/HK/20240301.db");
}

static void test_schema_exact(void **state)
{
    struct fx *f = *state;
    store s;
    char path[256], buf[64];
    struct stat st;

    snprintf(path, sizeof(path), "%s/20240301.db", f->dir);
    assert_int_equal(stat(path, &st), -1);
    open_day(f, &s, DAY);
    assert_string_equal(s.path, path);
    assert_int_equal(stat(path, &st), 0);
    check_compat_schema(s.db);

    /* Our totals table, after the compat objects. */
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM sqlite_master WHERE "
                                 "name = 'hk_symbol_totals' AND sql = "
                                 "'CREATE TABLE hk_symbol_totals (\n"
                                 "  trading_day TEXT NOT NULL,\n"
                                 "  symbol TEXT NOT NULL,\n"
                                 "  rows INTEGER NOT NULL,\n"
                                 "  min_ts_ms INTEGER,\n"
                                 "  max_ts_ms INTEGER,\n"
                                 "  max_seq INTEGER,\n"
                                 "  last_inserted_at_ms INTEGER,\n"
                                 "  PRIMARY KEY (trading_day, symbol)\n"
                                 ")'"),
                     1);
    assert_true(q_int(s.db, "SELECT rowid FROM sqlite_master WHERE name = "
                            "'hk_symbol_totals'") >
                q_int(s.db, "SELECT rowid FROM sqlite_master WHERE name = "
                            "'daily_quality'"));
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM sqlite_master"),
                     N_SCHEMA + 1 + 3); /* + totals + 3 autoindexes */

    assert_int_equal(q_int(s.db, "PRAGMA user_version"), 4);
    q_text(s.db, "PRAGMA journal_mode", buf, sizeof(buf));
    assert_string_equal(buf, "wal");
    assert_int_equal(q_int(s.db, "PRAGMA synchronous"), 1);
    assert_int_equal(q_int(s.db, "PRAGMA busy_timeout"), 5000);
    assert_int_equal(q_int(s.db, "PRAGMA temp_store"), 2);
    assert_int_equal(q_int(s.db, "PRAGMA wal_autocheckpoint"), 1000);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM "
                                 "pragma_index_list('ticks')"),
                     4);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks"), 0);
    store_close(&s, false);
    assert_null(s.db);
    assert_int_equal(s.day, 0);

    /* journal_mode=wal is persistent: a fresh reader sees it. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    q_text(db, "PRAGMA journal_mode", buf, sizeof(buf));
    assert_string_equal(buf, "wal");
    sqlite3_close(db);
}

static void test_pragmas_from_config(void **state)
{
    struct fx *f = *state;
    store s;
    char buf[64];

    snprintf(f->cfg->sqlite_journal_mode, 16, "TRUNCATE");
    snprintf(f->cfg->sqlite_synchronous, 16, "FULL");
    f->cfg->sqlite_busy_timeout_ms = 1234;
    f->cfg->sqlite_wal_autocheckpoint = 77;
    open_day(f, &s, DAY);
    q_text(s.db, "PRAGMA journal_mode", buf, sizeof(buf));
    assert_string_equal(buf, "truncate");
    assert_int_equal(q_int(s.db, "PRAGMA synchronous"), 2);
    assert_int_equal(q_int(s.db, "PRAGMA busy_timeout"), 1234);
    assert_int_equal(q_int(s.db, "PRAGMA wal_autocheckpoint"), 77);
    store_close(&s, false);
}

static void test_insert_readback(void **state)
{
    struct fx *f = *state;
    store s;
    sqlite3_stmt *st;
    /* 2024-03-01 10:00:00.123 HKT */
    row r = mk(f->s700, MAR1_UTC + 2 * 3600000LL + 123, 7251234567890LL, true);

    open_day(f, &s, DAY);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 1709258401999LL), 1);
    assert_int_equal(store_commit(&s), SQLITE_OK);

    assert_int_equal(
        sqlite3_prepare_v2(s.db,
                           "SELECT market, symbol, ts_ms, price, volume, "
                           "turnover, direction, seq, tick_type, push_type, "
                           "provider, trading_day, recv_ts_ms, inserted_at_ms, "
                           "typeof(price), typeof(volume), typeof(turnover), "
                           "typeof(seq), typeof(trading_day) FROM ticks",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 0), "HK");
    assert_string_equal(sqlite3_column_text(st, 1), "HK.00700");
    assert_int_equal(sqlite3_column_int64(st, 2), 1709258400123LL);
    assert_float_equal(sqlite3_column_double(st, 3), 380.4, 0);
    assert_int_equal(sqlite3_column_int64(st, 4), 200);
    assert_float_equal(sqlite3_column_double(st, 5), 76080.0, 0);
    assert_string_equal(sqlite3_column_text(st, 6), "BUY");
    assert_int_equal(sqlite3_column_int64(st, 7), 7251234567890LL);
    assert_string_equal(sqlite3_column_text(st, 8), "AUTO_MATCH");
    assert_string_equal(sqlite3_column_text(st, 9), "push");
    assert_string_equal(sqlite3_column_text(st, 10), "futu");
    assert_string_equal(sqlite3_column_text(st, 11), "20240301");
    assert_int_equal(sqlite3_column_int64(st, 12), 1709258400158LL);
    assert_int_equal(sqlite3_column_int64(st, 13), 1709258401999LL);
    assert_string_equal(sqlite3_column_text(st, 14), "real");
    assert_string_equal(sqlite3_column_text(st, 15), "integer");
    assert_string_equal(sqlite3_column_text(st, 16), "real");
    assert_string_equal(sqlite3_column_text(st, 17), "integer");
    assert_string_equal(sqlite3_column_text(st, 18), "text");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    /* Enum columns: unknown direction, no type, type 0, poll/backfill. */
    row a = mk(f->s981, MAR1_UTC + 2 * 3600000LL, 1, true);
    a.dir = 0;
    a.flags = ROW_HAS_SEQ; /* no type */
    a.push_type = ROW_POLL;
    row b = mk(f->s981, MAR1_UTC + 2 * 3600000LL, 2, true);
    b.dir = 2;
    b.tick_type = 0;
    b.push_type = ROW_BACKFILL;
    row c = mk(f->s981, MAR1_UTC + 2 * 3600000LL, 3, true);
    c.dir = 3;
    c.tick_type = 999; /* unrecognised */
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &a, 1), 1);
    assert_int_equal(ins(&s, &f->t, &b, 1), 1);
    assert_int_equal(ins(&s, &f->t, &c, 1), 1);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    char buf[128];
    q_text(s.db,
           "SELECT group_concat(direction || ',' || tick_type || ',' "
           "|| push_type, ';') FROM (SELECT * FROM ticks WHERE symbol "
           "= 'HK.00981' ORDER BY seq)",
           buf, sizeof(buf));
    assert_string_equal(buf, "N/A,N/A,poll;SELL,UNKNOWN,backfill;"
                             "NEUTRAL,N/A,push");
    store_close(&s, false);
}

static void test_dedup_seq(void **state)
{
    struct fx *f = *state;
    store s;
    int64_t ts = MAR1_UTC + 3 * 3600000LL;

    open_day(f, &s, DAY);
    row r = mk(f->s700, ts, 100, true);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 1), 1);
    row dup = r; /* same (symbol, seq), other values */
    dup.ts_ms += 1000;
    dup.price = 1.0;
    assert_int_equal(ins(&s, &f->t, &dup, 2), 0);
    row other = mk(f->s981, ts, 100, true); /* other symbol, same seq */
    assert_int_equal(ins(&s, &f->t, &other, 3), 1);
    row zero = mk(f->s700, ts, 0, true); /* seq 0 is a real seq */
    assert_int_equal(ins(&s, &f->t, &zero, 4), 1);
    zero.price = 2.0;
    assert_int_equal(ins(&s, &f->t, &zero, 5), 0);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks"), 3);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks WHERE seq = 0"),
                     1);
    /* Duplicate across transactions and connections too. */
    store_close(&s, false);
    open_day(f, &s, DAY);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 6), 0);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(q_int(s.db, "SELECT inserted_at_ms FROM ticks WHERE "
                                 "symbol = 'HK.00700' AND seq = 100"),
                     1);
    store_close(&s, false);
}

static void test_dedup_noseq(void **state)
{
    struct fx *f = *state;
    store s;
    int64_t ts = MAR1_UTC + 3 * 3600000LL;

    open_day(f, &s, DAY);
    row r = mk(f->s700, ts, 0, false);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 1), 1);
    row dup = r;
    dup.recv_ts_ms += 5; /* not part of the key */
    dup.dir = 2;
    assert_int_equal(ins(&s, &f->t, &dup, 2), 0);
    row d;
    d = r;
    d.turnover += 0.5;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    d = r;
    d.volume++;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    d = r;
    d.price = 380.6;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    d = r;
    d.ts_ms++;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    d = r;
    d.sym = f->s981;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    /* The same values with a seq are a different key space. */
    d = r;
    d.flags |= ROW_HAS_SEQ;
    d.seq = 5;
    assert_int_equal(ins(&s, &f->t, &d, 3), 1);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks"), 7);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks WHERE seq IS "
                                 "NULL"),
                     6);
    store_close(&s, false);
}

static void test_totals_upsert(void **state)
{
    struct fx *f = *state;
    store s;
    sqlite3_stmt *st;

    open_day(f, &s, DAY);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(
        store_add_totals(&s, "HK.00700", 10, 5000, 9000, 77, true, 111),
        SQLITE_OK);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(
        store_add_totals(&s, "HK.00700", 5, 4000, 8000, 70, true, 222),
        SQLITE_OK);
    assert_int_equal(
        store_add_totals(&s, "HK.00700", 3, 6000, 12000, 0, false, 333),
        SQLITE_OK);
    assert_int_equal(
        store_add_totals(&s, "HK.00981", 2, 100, 200, 0, false, 444),
        SQLITE_OK);
    assert_int_equal(store_commit(&s), SQLITE_OK);

    assert_int_equal(
        sqlite3_prepare_v2(s.db,
                           "SELECT trading_day, symbol, rows, min_ts_ms, "
                           "max_ts_ms, max_seq, last_inserted_at_ms FROM "
                           "hk_symbol_totals ORDER BY symbol",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 0), "20240301");
    assert_string_equal(sqlite3_column_text(st, 1), "HK.00700");
    assert_int_equal(sqlite3_column_int64(st, 2), 18);
    assert_int_equal(sqlite3_column_int64(st, 3), 4000);
    assert_int_equal(sqlite3_column_int64(st, 4), 12000);
    assert_int_equal(sqlite3_column_int64(st, 5), 77);
    assert_int_equal(sqlite3_column_int64(st, 6), 333);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 1), "HK.00981");
    assert_int_equal(sqlite3_column_int64(st, 2), 2);
    assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    /* A NULL max_seq is replaced by the first real one. */
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(
        store_add_totals(&s, "HK.00981", 1, 300, 300, 9, true, 555), SQLITE_OK);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(q_int(s.db, "SELECT max_seq FROM hk_symbol_totals WHERE "
                                 "symbol = 'HK.00981'"),
                     9);
    assert_int_equal(q_int(s.db, "SELECT rows FROM hk_symbol_totals WHERE "
                                 "symbol = 'HK.00981'"),
                     3);
    /* Rolled back totals leave nothing behind. */
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(store_add_totals(&s, "HK.00981", 100, 1, 1, 1, true, 1),
                     SQLITE_OK);
    store_rollback(&s);
    store_rollback(&s); /* no transaction: harmless */
    assert_int_equal(q_int(s.db, "SELECT rows FROM hk_symbol_totals WHERE "
                                 "symbol = 'HK.00981'"),
                     3);
    store_close(&s, false);
}

/* A day file written by the reference: compat schema, no totals. */
static void make_legacy(const char *path, int user_version)
{
    sqlite3 *db;
    char sql[64];
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, COMPAT_DDL, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", user_version);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "INSERT INTO ticks VALUES "
                     "('HK','HK.00700',1709258400000,380.2,100,38020.0,"
                     "'BUY',NULL,'AUTO_MATCH','push','futu','20240301',"
                     "1709258400010,1709258400010),"
                     "('HK','HK.00700',1709258460000,380.4,200,76080.0,"
                     "'SELL',15,'AUTO_MATCH','push','futu','20240301',"
                     "1709258460010,1709258460020),"
                     "('HK','HK.00981',1709258400500,60.1,1000,60100.0,"
                     "'NEUTRAL',9,'AUTO_MATCH','poll','futu','20240301',"
                     "1709258400510,1709258400530)",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

static void test_legacy_file_totals(void **state)
{
    struct fx *f = *state;
    store s;
    char path[256];
    sqlite3_stmt *st;

    snprintf(path, sizeof(path), "%s/20240301.db", f->dir);
    make_legacy(path, 4);
    open_day(f, &s, DAY);
    check_compat_schema(s.db);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks"), 3);
    assert_int_equal(
        sqlite3_prepare_v2(s.db,
                           "SELECT trading_day, symbol, rows, min_ts_ms, "
                           "max_ts_ms, max_seq, last_inserted_at_ms FROM "
                           "hk_symbol_totals ORDER BY symbol",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 0), "20240301");
    assert_string_equal(sqlite3_column_text(st, 1), "HK.00700");
    assert_int_equal(sqlite3_column_int64(st, 2), 2);
    assert_int_equal(sqlite3_column_int64(st, 3), 1709258400000LL);
    assert_int_equal(sqlite3_column_int64(st, 4), 1709258460000LL);
    assert_int_equal(sqlite3_column_int64(st, 5), 15);
    assert_int_equal(sqlite3_column_int64(st, 6), 1709258460020LL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 1), "HK.00981");
    assert_int_equal(sqlite3_column_int64(st, 2), 1);
    assert_int_equal(sqlite3_column_int64(st, 5), 9);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    /* New rows then add to the built totals. */
    row r = mk(f->s700, 1709258520000LL, 16, true);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 1), 1);
    assert_int_equal(
        store_add_totals(&s, "HK.00700", 1, r.ts_ms, r.ts_ms, 16, true, 1),
        SQLITE_OK);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(q_int(s.db, "SELECT rows FROM hk_symbol_totals WHERE "
                                 "symbol = 'HK.00700'"),
                     3);
    store_close(&s, false);
    /* Reopening does not rebuild (no double count). */
    open_day(f, &s, DAY);
    assert_int_equal(q_int(s.db, "SELECT SUM(rows) FROM hk_symbol_totals"), 4);
    store_close(&s, false);
}

static void test_user_version_newer(void **state)
{
    struct fx *f = *state;
    store s;
    char path[256];

    snprintf(path, sizeof(path), "%s/20240301.db", f->dir);
    make_legacy(path, 5);
    open_day(f, &s, DAY);
    assert_int_equal(q_int(s.db, "PRAGMA user_version"), 5);
    store_close(&s, false);

    /* Lower than 4 is raised. */
    snprintf(path, sizeof(path), "%s/20240302.db", f->dir);
    make_legacy(path, 2);
    open_day(f, &s, 20240302);
    assert_int_equal(q_int(s.db, "PRAGMA user_version"), 4);
    store_close(&s, false);
}

static void test_reopen_idempotent(void **state)
{
    struct fx *f = *state;
    store s;
    char *a, *b;

    open_day(f, &s, DAY);
    row r = mk(f->s700, MAR1_UTC + 3600000LL * 3, 1, true);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    assert_int_equal(ins(&s, &f->t, &r, 1), 1);
    assert_int_equal(store_commit(&s), SQLITE_OK);
    a = schema_dump(s.db);
    store_close(&s, true);
    open_day(f, &s, DAY);
    b = schema_dump(s.db);
    assert_string_equal(a, b);
    assert_int_equal(q_int(s.db, "SELECT COUNT(*) FROM ticks"), 1);
    assert_int_equal(q_int(s.db, "PRAGMA user_version"), 4);
    store_close(&s, false);
    free(a);
    free(b);
}

static void test_trading_day_boundary(void **state)
{
    struct fx *f = *state;
    store s1, s2;
    const int64_t before = MAR1_UTC + 16 * 3600000LL - 1; /* 15:59:59.999Z */
    const int64_t after = MAR1_UTC + 16 * 3600000LL;      /* 16:00:00.000Z */
    int64_t start;
    char buf[16];

    assert_int_equal(hktime_trading_day(before), 20240301);
    assert_int_equal(hktime_trading_day(after), 20240302);
    assert_int_equal(hktime_day_start_ms(20240302, &start), 0);
    assert_int_equal(start, after);

    open_day(f, &s1, 20240301);
    open_day(f, &s2, 20240302);
    row a = mk(f->s700, before, 1, true);
    row b = mk(f->s700, after, 2, true);
    assert_int_equal(store_begin(&s1), SQLITE_OK);
    assert_int_equal(ins(&s1, &f->t, &a, 1), 1);
    assert_int_equal(store_commit(&s1), SQLITE_OK);
    assert_int_equal(store_begin(&s2), SQLITE_OK);
    assert_int_equal(ins(&s2, &f->t, &b, 1), 1);
    assert_int_equal(store_commit(&s2), SQLITE_OK);
    q_text(s1.db, "SELECT trading_day FROM ticks", buf, sizeof(buf));
    assert_string_equal(buf, "20240301");
    q_text(s2.db, "SELECT trading_day FROM ticks", buf, sizeof(buf));
    assert_string_equal(buf, "20240302");
    assert_string_equal(strrchr(s2.path, '/'), "/20240302.db");
    store_close(&s1, false);
    store_close(&s2, false);
}

static void test_open_failure(void **state)
{
    struct fx *f = *state;
    store s;
    char err[256] = "";

    log_level_set(LOG_CRITICAL); /* sqlite_open_failed is expected */
    snprintf(f->cfg->data_root, sizeof(f->cfg->data_root), "%s/missing",
             f->dir);
    int rc = store_open(&s, f->cfg, DAY, err, sizeof(err));
    assert_int_equal(rc, SQLITE_CANTOPEN);
    assert_null(s.db);
    assert_null(s.ins);
    assert_int_equal(s.day, 0);
    assert_true(err[0] != '\0');

    /* A file that is not a database. */
    char path[256];
    snprintf(f->cfg->data_root, sizeof(f->cfg->data_root), "%s", f->dir);
    snprintf(path, sizeof(path), "%s/20240301.db", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 64; i++)
        fputs("this is not an sqlite database file at all.\n", fp);
    fclose(fp);
    err[0] = '\0';
    rc = store_open(&s, f->cfg, DAY, err, sizeof(err));
    assert_int_equal(rc, SQLITE_NOTADB);
    assert_null(s.db);
    assert_true(err[0] != '\0');
    log_level_set(LOG_WARNING);
}

static void test_close_checkpoint(void **state)
{
    struct fx *f = *state;
    store s;
    char wal[256];
    struct stat st;

    snprintf(wal, sizeof(wal), "%s/20240301.db-wal", f->dir);
    open_day(f, &s, DAY);
    assert_int_equal(store_begin(&s), SQLITE_OK);
    for (int i = 0; i < 50; i++) {
        row r = mk(f->s700, MAR1_UTC + 3600000LL * 3 + i, i, true);
        assert_int_equal(ins(&s, &f->t, &r, 1), 1);
    }
    assert_int_equal(store_commit(&s), SQLITE_OK);
    assert_int_equal(stat(wal, &st), 0);
    assert_true(st.st_size > 0);
    /* Keep a reader connection so the -wal file survives the close. */
    sqlite3 *rd;
    char path[256];
    snprintf(path, sizeof(path), "%s/20240301.db", f->dir);
    assert_int_equal(sqlite3_open_v2(path, &rd, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(q_int(rd, "SELECT COUNT(*) FROM ticks"), 50);
    store_close(&s, true);
    assert_int_equal(stat(wal, &st), 0);
    assert_int_equal(st.st_size, 0); /* TRUNCATE checkpoint */
    assert_int_equal(q_int(rd, "SELECT COUNT(*) FROM ticks"), 50);
    sqlite3_close(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_path),
        cmocka_unit_test_setup_teardown(test_schema_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pragmas_from_config, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_insert_readback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_seq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedup_noseq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_totals_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_file_totals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_version_newer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reopen_idempotent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_trading_day_boundary, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_checkpoint, setup, teardown),
    };

    return cmocka_run_group_tests_name("collector_store", tests, NULL, NULL);
}
