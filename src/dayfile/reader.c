/*
 * reader.c - ordered scan of a day file's ticks.
 *
 * One prepared statement is stepped row by row; a row's text columns point
 * into SQLite's memory for that row, so nothing grows with the day. The
 * (ts_ms, seq) order is what replay and the engine consume; (symbol, ts_ms,
 * seq) follows idx_ticks_symbol_day_ts for per-symbol work. The rowid
 * order is a tail: "rowid > ?1 ORDER BY rowid LIMIT ?2" walks the table's
 * b-tree from a position, so a follower re-binds and re-steps the same
 * statement for each pass (dayfile_reader_tail) and resets it between
 * passes (dayfile_reader_reset) so that no read snapshot is kept.
 */
#include "dayfile/reader.h"

#include <stdio.h>
#include <string.h>

static const char COLS[] =
    "SELECT market, symbol, ts_ms, price, volume, turnover, direction, seq, "
    "tick_type, push_type, provider, trading_day, recv_ts_ms, "
    "inserted_at_ms, rowid FROM ticks ";

int dayfile_reader_open(dayfile_reader *r, sqlite3 *db, dayfile_order order)
{
    char sql[512];
    const char *by = order == DAYFILE_ORDER_SYMBOL_TS
                         ? "ORDER BY symbol, ts_ms, seq"
                     : order == DAYFILE_ORDER_ROWID
                         ? "WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
                         : "ORDER BY ts_ms, seq";
    int rc;

    r->st = NULL;
    r->ended = false;
    r->end_rc = 0;
    r->tail = order == DAYFILE_ORDER_ROWID;
    if ((size_t)snprintf(sql, sizeof(sql), "%s%s", COLS, by) >= sizeof(sql))
        return SQLITE_TOOBIG;
    rc = sqlite3_prepare_v2(db, sql, -1, &r->st, NULL);
    if (rc == SQLITE_OK && r->tail)
        rc = dayfile_reader_tail(r, 0, -1);
    return rc;
}

int dayfile_reader_tail(dayfile_reader *r, int64_t after, int64_t limit)
{
    int rc;

    if (!r->st || !r->tail)
        return SQLITE_MISUSE;
    sqlite3_reset(r->st);
    rc = sqlite3_bind_int64(r->st, 1, after);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(r->st, 2, limit < 0 ? -1 : limit);
    r->ended = rc != SQLITE_OK;
    r->end_rc = rc != SQLITE_OK ? -rc : 0;
    return rc;
}

void dayfile_reader_reset(dayfile_reader *r)
{
    if (!r->st)
        return;
    sqlite3_reset(r->st);
    r->ended = true;
    r->end_rc = 0;
}

static const char *text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int dayfile_reader_next(dayfile_reader *r, dayfile_row *row)
{
    sqlite3_stmt *st = r->st;
    int rc;

    if (!st)
        return -SQLITE_MISUSE;
    if (r->ended)
        return r->end_rc;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        r->ended = true;
        r->end_rc = rc == SQLITE_DONE ? 0 : -rc;
        return r->end_rc;
    }
    memset(row, 0, sizeof(*row));
    row->market = text(st, 0);
    row->symbol = text(st, 1);
    row->ts_ms = sqlite3_column_int64(st, 2);
    row->has_price = sqlite3_column_type(st, 3) != SQLITE_NULL;
    row->price = sqlite3_column_double(st, 3);
    row->has_volume = sqlite3_column_type(st, 4) != SQLITE_NULL;
    row->volume = sqlite3_column_int64(st, 4);
    row->has_turnover = sqlite3_column_type(st, 5) != SQLITE_NULL;
    row->turnover = sqlite3_column_double(st, 5);
    row->direction = text(st, 6);
    row->has_seq = sqlite3_column_type(st, 7) != SQLITE_NULL;
    row->seq = sqlite3_column_int64(st, 7);
    row->tick_type = text(st, 8);
    row->push_type = text(st, 9);
    row->provider = text(st, 10);
    row->trading_day = text(st, 11);
    row->recv_ts_ms = sqlite3_column_int64(st, 12);
    row->inserted_at_ms = sqlite3_column_int64(st, 13);
    row->rowid = sqlite3_column_int64(st, 14);
    return 1;
}

void dayfile_reader_close(dayfile_reader *r)
{
    sqlite3_finalize(r->st);
    r->st = NULL;
}
