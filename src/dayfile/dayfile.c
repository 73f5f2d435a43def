/*
 * dayfile.c - schema, naming and the read-only open of a day file.
 *
 * The DDL strings below are compat.md §1.2 verbatim: SQLite stores CREATE
 * text as written (minus IF NOT EXISTS), so files from our writer and the
 * reference have byte-identical schemas. Objects are created only when
 * missing, in the contract's order, inside one transaction.
 *
 * Read-only open: every reader (CLI, simulator replay, collector seeding,
 * archive checks) goes through dayfile_open_ro so that none of them can
 * leave root-owned -wal/-shm files behind (runbook 7.4). An idle WAL file
 * (header bytes 18/19 = 2, no -wal, no -shm) is opened immutable; if a
 * writer opens the file meanwhile the read may fail or be stale, it can
 * never damage the file.
 */
#include "dayfile/dayfile.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dayfile/totals.h"

const dayfile_ddl dayfile_schema[] = {
    {"ticks", "CREATE TABLE ticks (\n"
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
    {"idx_ticks_symbol_day_ts",
     "CREATE INDEX idx_ticks_symbol_day_ts ON ticks(symbol, trading_day, "
     "ts_ms)"},
    {"idx_ticks_symbol_seq",
     "CREATE INDEX idx_ticks_symbol_seq ON ticks(symbol, seq)"},
    {"uniq_ticks_symbol_seq",
     "CREATE UNIQUE INDEX uniq_ticks_symbol_seq ON ticks(symbol, seq) WHERE "
     "seq IS NOT NULL"},
    {"uniq_ticks_symbol_ts_price_vol_turnover",
     "CREATE UNIQUE INDEX uniq_ticks_symbol_ts_price_vol_turnover\n"
     "  ON ticks(symbol, ts_ms, price, volume, turnover) WHERE seq IS NULL"},
    {"gaps", "CREATE TABLE IF NOT EXISTS gaps (\n"
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
    {"idx_gaps_day_symbol",
     "CREATE INDEX IF NOT EXISTS idx_gaps_day_symbol ON gaps(trading_day, "
     "symbol)"},
    {"daily_quality", "CREATE TABLE IF NOT EXISTS daily_quality (\n"
                      "  trading_day TEXT PRIMARY KEY,\n"
                      "  created_at_ms INTEGER NOT NULL,\n"
                      "  host TEXT,\n"
                      "  symbols_json TEXT NOT NULL,\n"
                      "  summary_json TEXT NOT NULL\n"
                      ")"},
};

const size_t dayfile_schema_len =
    sizeof(dayfile_schema) / sizeof(dayfile_schema[0]);

/* ---- schema ------------------------------------------------------------ */

static int exists(sqlite3 *db, const char *name, int *found)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(
        db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Whether every object of the schema is already there (a read only). */
static int schema_complete(sqlite3 *db, int *complete)
{
    int found = 0;
    int rc;

    *complete = 0;
    for (size_t i = 0; i < dayfile_schema_len; i++) {
        rc = exists(db, dayfile_schema[i].name, &found);
        if (rc != SQLITE_OK || !found)
            return rc;
    }
    rc = exists(db, "hk_symbol_totals", &found);
    *complete = rc == SQLITE_OK && found;
    return rc;
}

int dayfile_schema_ensure(sqlite3 *db)
{
    int found = 0;
    int rc = schema_complete(db, &found);

    /* Reopening an existing day file needs no write lock, so a reader
     * holding one does not stop the writer from preparing statements. */
    if (rc != SQLITE_OK || found)
        return rc;
    rc = exec(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return rc;
    for (size_t i = 0; i < dayfile_schema_len; i++) {
        rc = exists(db, dayfile_schema[i].name, &found);
        if (rc == SQLITE_OK && !found)
            rc = exec(db, dayfile_schema[i].sql);
        if (rc != SQLITE_OK)
            goto fail;
    }
    rc = exists(db, "hk_symbol_totals", &found);
    if (rc == SQLITE_OK && !found) {
        rc = exec(db, DAYFILE_TOTALS_DDL);
        /* A file written by another implementation: build totals once. */
        if (rc == SQLITE_OK)
            rc = exec(db, DAYFILE_TOTALS_SEED_SQL);
    }
    if (rc != SQLITE_OK)
        goto fail;
    return exec(db, "COMMIT");
fail:
    exec(db, "ROLLBACK");
    return rc;
}

/* ---- naming ------------------------------------------------------------ */

int dayfile_path(const char *data_root, int day, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%08d.db", data_root, day);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap ? 1 : 0);
}

int dayfile_parse_name(const char *name, int *day)
{
    const char *base = strrchr(name, '/');
    int v = 0;

    base = base ? base + 1 : name;
    if (strlen(base) != 11 || strcmp(base + 8, ".db") != 0)
        return -1;
    for (int i = 0; i < 8; i++) {
        if (base[i] < '0' || base[i] > '9')
            return -1;
        v = v * 10 + (base[i] - '0');
    }
    if (!valid_date(v / 10000, v / 100 % 100, v % 100))
        return -1;
    *day = v;
    return 0;
}

/* ---- read-only open ---------------------------------------------------- */

/* A WAL-mode file with neither -wal nor -shm: no connection uses it. */
static bool wal_idle(const char *path)
{
    unsigned char hdr[20];
    char side[4200];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        return false;
    n = fread(hdr, 1, sizeof(hdr), f);
    fclose(f);
    if (n < sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0 ||
        hdr[18] != 2 || hdr[19] != 2)
        return false;
    if (snprintf(side, sizeof(side), "%s-wal", path) >= (int)sizeof(side) ||
        access(side, F_OK) == 0)
        return false;
    snprintf(side, sizeof(side), "%s-shm", path);
    return access(side, F_OK) != 0;
}

int dayfile_open_ro(const char *path, unsigned flags, sqlite3 **db)
{
    char uri[8400];
    size_t o = 0;
    bool imm = (flags & DAYFILE_RO_PRIVATE) || wal_idle(path);
    int rc;

    *db = NULL;
    /* Percent-encode the characters that are special in a URI path. */
    o += (size_t)snprintf(uri, sizeof(uri), "file:");
    for (const char *p = path; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (o + 32 >= sizeof(uri))
            return SQLITE_CANTOPEN;
        if (ch == '?' || ch == '#' || ch == '%' || ch <= 0x20)
            o += (size_t)snprintf(uri + o, sizeof(uri) - o, "%%%02X", ch);
        else
            uri[o++] = (char)ch;
    }
    uri[o] = '\0';
    snprintf(uri + o, sizeof(uri) - o, "?mode=ro%s", imm ? "&immutable=1" : "");
    rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK)
        sqlite3_busy_timeout(*db, 5000);
    return rc;
}

bool dayfile_has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    bool found = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type='table' "
                           "AND name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}
