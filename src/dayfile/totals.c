/*
 * totals.c - hk_symbol_totals: DDL, the writer's upsert, and the reader.
 *
 * The writer adds one row per symbol per committed batch through
 * DAYFILE_TOTALS_UPSERT_SQL inside the batch's transaction, so the table is
 * always exactly the GROUP BY of ticks. Readers prefer it and fall back to
 * scanning ticks only for files written by another implementation.
 */
#include "dayfile/totals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile/dayfile.h"

const char DAYFILE_TOTALS_DDL[] =
    "CREATE TABLE IF NOT EXISTS hk_symbol_totals (\n"
    "  trading_day TEXT NOT NULL,\n"
    "  symbol TEXT NOT NULL,\n"
    "  rows INTEGER NOT NULL,\n"
    "  min_ts_ms INTEGER,\n"
    "  max_ts_ms INTEGER,\n"
    "  max_seq INTEGER,\n"
    "  last_inserted_at_ms INTEGER,\n"
    "  PRIMARY KEY (trading_day, symbol)\n"
    ")";

const char DAYFILE_TOTALS_UPSERT_SQL[] =
    "INSERT INTO hk_symbol_totals (trading_day, symbol, rows, min_ts_ms, "
    "max_ts_ms, max_seq, last_inserted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(trading_day, symbol) DO UPDATE SET "
    "rows = rows + excluded.rows, "
    "min_ts_ms = MIN(COALESCE(min_ts_ms, excluded.min_ts_ms), "
    "excluded.min_ts_ms), "
    "max_ts_ms = MAX(COALESCE(max_ts_ms, excluded.max_ts_ms), "
    "excluded.max_ts_ms), "
    "max_seq = CASE WHEN excluded.max_seq IS NULL THEN max_seq "
    "WHEN max_seq IS NULL THEN excluded.max_seq "
    "ELSE MAX(max_seq, excluded.max_seq) END, "
    "last_inserted_at_ms = excluded.last_inserted_at_ms";

const char DAYFILE_TOTALS_SEED_SQL[] =
    "INSERT INTO hk_symbol_totals SELECT trading_day, "
    "symbol, COUNT(*), MIN(ts_ms), MAX(ts_ms), MAX(seq), "
    "MAX(inserted_at_ms) FROM ticks GROUP BY trading_day, "
    "symbol";

static const char *totals_sql(bool tot, int day)
{
    if (tot)
        return day ? "SELECT symbol, rows, min_ts_ms, max_ts_ms, max_seq "
                     "FROM hk_symbol_totals WHERE trading_day = ?1 "
                     "ORDER BY symbol"
                   : "SELECT symbol, SUM(rows), MIN(min_ts_ms), "
                     "MAX(max_ts_ms), MAX(max_seq) FROM hk_symbol_totals "
                     "GROUP BY symbol ORDER BY symbol";
    return day ? "SELECT symbol, COUNT(*), MIN(ts_ms), MAX(ts_ms), "
                 "NULL FROM ticks WHERE trading_day = ?1 "
                 "GROUP BY symbol ORDER BY symbol"
               : "SELECT symbol, COUNT(*), MIN(ts_ms), MAX(ts_ms), NULL "
                 "FROM ticks GROUP BY symbol ORDER BY symbol";
}

int dayfile_totals_read(sqlite3 *db, int day, dayfile_total **rows, int *n,
                        bool *from_totals)
{
    bool tot = dayfile_has_table(db, "hk_symbol_totals");
    sqlite3_stmt *st;
    dayfile_total *v = NULL;
    int cnt = 0, cap = 0, rc;
    char dbuf[16];

    *rows = NULL;
    *n = 0;
    if (from_totals)
        *from_totals = tot;
    if (sqlite3_prepare_v2(db, totals_sql(tot, day), -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (day) {
        snprintf(dbuf, sizeof(dbuf), "%08d", day);
        sqlite3_bind_text(st, 1, dbuf, -1, SQLITE_TRANSIENT);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *sym = sqlite3_column_text(st, 0);
        if (cnt == cap) {
            int ncap = cap ? cap * 2 : 64;
            dayfile_total *nv = realloc(v, (size_t)ncap * sizeof(*v));
            if (!nv) {
                rc = SQLITE_NOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        memset(&v[cnt], 0, sizeof(v[cnt]));
        snprintf(v[cnt].symbol, sizeof(v[cnt].symbol), "%s",
                 sym ? (const char *)sym : "");
        v[cnt].rows = sqlite3_column_int64(st, 1);
        v[cnt].min_ts_ms = sqlite3_column_int64(st, 2);
        v[cnt].max_ts_ms = sqlite3_column_int64(st, 3);
        v[cnt].has_seq = sqlite3_column_type(st, 4) != SQLITE_NULL;
        v[cnt].max_seq = sqlite3_column_int64(st, 4);
        if (v[cnt].rows > 0)
            cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return -1;
    }
    if (cnt == 0) {
        free(v);
        v = NULL;
    }
    *rows = v;
    *n = cnt;
    return 0;
}
