/*
 * tickrow.h - one row of the `ticks` table (compat schema) as C values:
 * what the day-file reader yields (dayfile_row) and what the pipeline
 * encodes and decodes (pipeline_row) are this one struct, so a row read
 * from a day file is published as it is.
 *
 * Text pointers are borrowed (NULL = SQL NULL; market, symbol and
 * trading_day are never NULL in a valid row); a NULL number reads as 0
 * with its has_ flag false. rowid is the SQLite rowid where the row came
 * from a day file, else 0.
 */
#ifndef HK_COMMON_TICKROW_H
#define HK_COMMON_TICKROW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct hk_tick_row {
    int64_t rowid;
    const char *market;
    const char *symbol;
    int64_t ts_ms;
    bool has_price;
    double price;
    bool has_volume;
    int64_t volume;
    bool has_turnover;
    double turnover;
    const char *direction;
    bool has_seq;
    int64_t seq;
    const char *tick_type;
    const char *push_type;
    const char *provider;
    const char *trading_day;
    int64_t recv_ts_ms;
    int64_t inserted_at_ms;
} hk_tick_row;

#endif
