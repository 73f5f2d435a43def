/*
 * reader.h - iterate a day file's ticks in a fixed order with one prepared
 * statement: memory stays bounded whatever the size of the day.
 *
 * Two whole-day orders, and a rowid tail for readers that follow a file
 * while it grows (the collector's NATS publisher): DAYFILE_ORDER_ROWID
 * returns the rows with rowid > after in rowid order, at most limit of
 * them, and dayfile_reader_tail starts the next such pass on the same
 * statement (no re-prepare, no allocation).
 */
#ifndef HK_DAYFILE_READER_H
#define HK_DAYFILE_READER_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/tickrow.h"

typedef enum dayfile_order {
    DAYFILE_ORDER_TS_SEQ = 0, /* ORDER BY ts_ms, seq (replay order) */
    DAYFILE_ORDER_SYMBOL_TS,  /* ORDER BY symbol, ts_ms, seq */
    DAYFILE_ORDER_ROWID,      /* WHERE rowid > after ORDER BY rowid LIMIT n:
                                 see dayfile_reader_tail (open: after 0,
                                 no limit) */
} dayfile_order;

/* One row of ticks (common/tickrow.h). Text pointers stay valid until the
 * next dayfile_reader_next, dayfile_reader_tail, dayfile_reader_reset or
 * dayfile_reader_close. */
typedef hk_tick_row dayfile_row;

typedef struct dayfile_reader {
    sqlite3_stmt *st;
    bool ended; /* a 0 or an error was returned: stays returned */
    int end_rc;
    bool tail; /* DAYFILE_ORDER_ROWID: ?1 after, ?2 limit */
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
/*
 * DAYFILE_ORDER_ROWID only: start a new pass over the rows with rowid >
 * after, in rowid order, at most limit of them (limit < 0: no limit),
 * whatever the previous pass returned (end and errors are forgotten). Rows
 * committed since the last pass are seen. Returns SQLITE_OK, SQLITE_MISUSE
 * for a reader of another order or not open, or a bind error (the pass
 * then returns that error).
 */
int dayfile_reader_tail(dayfile_reader *r, int64_t after, int64_t limit);
/*
 * End the current pass now: the statement is reset, which releases its
 * read snapshot (a WAL reader must not hold one between passes, or the
 * writer's checkpoints cannot complete); dayfile_reader_next then returns
 * 0 until the next dayfile_reader_tail. Safe on a zeroed reader.
 */
void dayfile_reader_reset(dayfile_reader *r);
/* Finalize the statement; safe on a zeroed or failed reader. */
void dayfile_reader_close(dayfile_reader *r);

#endif
