/*
 * copy.h - stream a RowBinary SELECT from one ClickHouse into a table on
 * another, through this process, in bounded pieces.
 *
 * The answer of the SELECT arrives as a byte stream cut anywhere; rows
 * are delimited with ch_rowbin_tick_len, and whenever chunk_bytes have
 * accumulated the whole rows among them are inserted into dest (RowBinary,
 * CH_TICKS_COLUMNS). Memory: about chunk_bytes plus one row. An insert
 * that fails aborts the copy: the rows already inserted stay (the caller
 * copies into a staging partition it clears first, or relies on
 * ReplacingMergeTree making a repeated copy one row per key).
 */
#ifndef HK_COLD_COPY_H
#define HK_COLD_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "clickhouse/ch.h"

/*
 * Run select_sql (which must end in FORMAT RowBinary and select
 * CH_TICKS_COLUMNS) on from and insert its rows into dest on to. stop,
 * when not NULL, is polled per received piece and aborts the copy.
 * Returns 0 with *rows set, or -1 with err (errlen bytes) saying which
 * side failed; *rows then counts the rows inserted before the failure.
 */
int cold_copy_stream(ch_client *from, const char *select_sql, ch_client *to,
                     const char *dest, size_t chunk_bytes, bool (*stop)(void),
                     long long *rows, char *err, size_t errlen);

#endif
