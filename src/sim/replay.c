/*
 * replay.c - day-file replay.
 *
 * The file is opened with dayfile_open_ro and walked by a day-file reader
 * in (ts_ms, seq) order (one prepared statement, bounded memory). A row
 * read but not yet due stays current (have_row) and is stored on a later
 * replay_step. The schedule: the first row's ts_ms is
 * anchored at the monotonic time of the first step; a row is due when
 * (ts_ms - first_ts) <= (now - anchor) * speed. With speed 0 every row is
 * due and the caller limits the pace by its clients' write backlog.
 * Event-loop thread only.
 */
#include "sim/replay.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dayfile/dayfile.h"
#include "dayfile/reader.h"
#include "opend/msg.h"

struct replay {
    sqlite3 *db;
    dayfile_reader rows;
    dayfile_row row; /* the current row while have_row */
    char **symbols;
    size_t nsymbols;
    double speed;
    bool anchored;
    int64_t anchor_ms;
    int64_t first_ts;
    bool have_row;
    bool done;
};

static int db_error(replay *r, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s", what,
             r->db ? sqlite3_errmsg(r->db) : "cannot open");
    return REPLAY_E_DB;
}

static int load_symbols(replay *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    size_t cap = 16;
    int rc;

    if (sqlite3_prepare_v2(r->db,
                           "SELECT DISTINCT symbol FROM ticks "
                           "WHERE symbol IS NOT NULL ORDER BY symbol",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(r, "list symbols", err, errlen);
    r->symbols = malloc(cap * sizeof(*r->symbols));
    if (!r->symbols) {
        sqlite3_finalize(st);
        snprintf(err, errlen, "out of memory");
        return REPLAY_E_DB;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        char *dup;

        if (r->nsymbols == cap) {
            char **n = realloc(r->symbols, 2 * cap * sizeof(*n));
            if (!n)
                break;
            r->symbols = n;
            cap *= 2;
        }
        dup = strdup(s ? s : "");
        if (!dup)
            break;
        r->symbols[r->nsymbols++] = dup;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "list symbols: failed (%d)", rc);
        return REPLAY_E_DB;
    }
    if (r->nsymbols == 0) {
        snprintf(err, errlen, "no rows in table ticks");
        return REPLAY_E_DB;
    }
    return 0;
}

int replay_open(replay **out, const char *path, double speed, char *err,
                size_t errlen)
{
    replay *r = calloc(1, sizeof(*r));
    int rc;

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return REPLAY_E_DB;
    }
    r->speed = speed;
    if (dayfile_open_ro(path, 0, &r->db) != SQLITE_OK) {
        rc = db_error(r, path, err, errlen);
        replay_close(r);
        return rc;
    }
    rc = load_symbols(r, err, errlen);
    if (rc == 0 &&
        dayfile_reader_open(&r->rows, r->db, DAYFILE_ORDER_TS_SEQ) != SQLITE_OK)
        rc = db_error(r, "select ticks", err, errlen);
    if (rc != 0) {
        replay_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

void replay_symbols(const replay *r, const char *const **list, size_t *n)
{
    *list = (const char *const *)r->symbols;
    *n = r->nsymbols;
}

int replay_direction(const char *s)
{
    if (!s)
        return 0;
    for (int d = 1; d <= 3; d++)
        if (strcmp(s, opend_msg_direction_str(d)) == 0)
            return d;
    return 0;
}

int replay_ticker_type(const char *s)
{
    if (!s)
        return 0;
    for (int t = 0; t < 64; t++) {
        const char *name = opend_msg_ticker_type_str(t, true);
        if (strcmp(name, "N/A") == 0)
            break;
        if (strcmp(s, name) == 0)
            return t;
    }
    return 0;
}

/* Store the current row; returns 0 or MARKET_E_FULL. */
static int store_row(replay *r, market *m)
{
    const dayfile_row *row = &r->row;
    int idx = row->symbol ? market_find_symbol(m, row->symbol) : -1;
    market_tick k;

    if (idx < 0)
        return 0;
    memset(&k, 0, sizeof(k));
    k.sym = (uint32_t)idx;
    k.ts_ms = row->ts_ms;
    k.price = row->price;
    k.volume = row->volume;
    k.turnover = row->turnover;
    k.dir = (uint8_t)replay_direction(row->direction);
    k.seq = row->seq;
    k.type = (uint8_t)replay_ticker_type(row->tick_type);
    return market_append(m, &k) == MARKET_E_FULL ? MARKET_E_FULL : 0;
}

int replay_step(replay *r, market *m, int64_t now_ms, size_t max_rows)
{
    size_t n = 0;

    while (!r->done && n < max_rows) {
        if (!r->have_row) {
            int rc = dayfile_reader_next(&r->rows, &r->row);
            if (rc == 0) {
                r->done = true;
                break;
            }
            if (rc < 0)
                return REPLAY_E_DB;
            r->have_row = true;
        }
        if (!r->anchored) {
            r->anchored = true;
            r->anchor_ms = now_ms;
            r->first_ts = r->row.ts_ms;
        }
        if (r->speed > 0 && (double)(r->row.ts_ms - r->first_ts) >
                                (double)(now_ms - r->anchor_ms) * r->speed)
            break;
        if (store_row(r, m) == MARKET_E_FULL) {
            r->done = true;
            break;
        }
        r->have_row = false;
        n++;
    }
    return (int)n;
}

bool replay_done(const replay *r)
{
    return r->done;
}

void replay_close(replay *r)
{
    if (!r)
        return;
    dayfile_reader_close(&r->rows);
    sqlite3_close(r->db);
    for (size_t i = 0; i < r->nsymbols; i++)
        free(r->symbols[i]);
    free(r->symbols);
    free(r);
}
