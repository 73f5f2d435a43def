/*
 * row.h - one tick on its way from the decoder to SQLite.
 *
 * Fixed size, no pointers: rows are copied into the queue ring, the spool
 * file and the writer's batch without allocation. The symbol is an id into
 * the symtab (append-only, so ids stay valid for the life of the process);
 * enum columns are kept as small integers and turned into their SDK strings
 * only at INSERT time.
 */
#ifndef HK_COLLECTOR_ROW_H
#define HK_COLLECTOR_ROW_H

#include <stdint.h>

enum row_push_type {
    ROW_PUSH = 0,
    ROW_POLL = 1,
    ROW_BACKFILL = 2,
};

#define ROW_HAS_SEQ 0x01
#define ROW_HAS_TYPE 0x02

typedef struct row {
    int64_t ts_ms; /* UTC epoch ms of the trade */
    int64_t seq;   /* Futu sequence (valid with ROW_HAS_SEQ) */
    int64_t volume;
    int64_t recv_ts_ms; /* collector wall clock at arrival */
    double price;
    double turnover;
    uint32_t sym;      /* symtab id */
    int16_t tick_type; /* TickerType (valid with ROW_HAS_TYPE) */
    int8_t dir;        /* TickerDirection */
    uint8_t push_type; /* enum row_push_type */
    uint8_t flags;
    uint8_t pad[7];
} row;

_Static_assert(sizeof(row) == 64, "row layout is part of the spool format");

const char *row_push_type_str(int t);

#endif
