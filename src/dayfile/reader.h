/*
 * reader.h - iterate a day file's ticks in a fixed order with one prepared
 * statement: memory stays bounded whatever the size of the day.
 */
#ifndef HK_DAYFILE_READER_H
#define HK_DAYFILE_READER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum dayfile_order {
    DAYFILE_ORDER_TS_SEQ = 0, /* ORDER BY ts_ms, seq (replay order) */
    DAYFILE_ORDER_SYMBOL_TS,  /* ORDER BY symbol, ts_ms, seq */
} dayfile_order;

/* One row of ticks. Text pointers (NULL for SQL NULL) stay valid until the
 * next dayfile_reader_next or dayfile_reader_close. */
typedef struct dayfile_row {
    const char *market;
    const char *symbol;
    int64_t ts_ms;
    double price;
    int64_t volume;
    double turnover;
    const char *direction;
    int64_t seq;
    bool has_seq;
    const char *tick_type;
    const char *push_type;
    const char *provider;
    const char *trading_day;
    int64_t recv_ts_ms;
    int64_t inserted_at_ms;
} dayfile_row;

typedef struct dayfile_reader {
    sqlite3_stmt *st;
    bool ended; /* a 0 or an error was returned: stays returned */
    int end_rc;
} dayfile_reader;

/*
 * Prepare the scan of db's ticks in `order`. Returns SQLITE_OK, or an
 * SQLite code (reader then needs no close, but closing it is harmless).
 * The reader borrows db, which must outlive it.
 */
int dayfile_reader_open(dayfile_reader *r, sqlite3 *db, dayfile_order order);
/*
 * Next row into *row. Returns 1 for a row, 0 at the end, or a negative
 * SQLite code (-rc) on an error; after the end or an error every further
 * call returns the same.
 */
int dayfile_reader_next(dayfile_reader *r, dayfile_row *row);
/* Finalize the statement; safe on a zeroed or failed reader. */
void dayfile_reader_close(dayfile_reader *r);

#endif
