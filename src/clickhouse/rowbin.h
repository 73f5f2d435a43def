/*
 * rowbin.h - ClickHouse RowBinary encoding of one `ticks` row.
 *
 * RowBinary is the columns of each row back to back, no header:
 *   Int64 / Float64   8 bytes little-endian (Float64: IEEE-754 bits)
 *   Date              2 bytes little-endian, days since 1970-01-01
 *   String            LEB128 varint byte length, then the bytes
 *   Nullable(T)       1 byte: 1 = NULL (nothing follows), 0 = T follows
 *
 * The ticks row (docs/pipeline.md, CH_TICKS_COLUMNS), in column order:
 *   off  size      column          type
 *   0    1+n       market          String
 *   .    1+n       symbol          String
 *   .    8         ts_ms           Int64
 *   .    1(+8)     price           Nullable(Float64)
 *   .    1(+8)     volume          Nullable(Int64)
 *   .    1(+8)     turnover        Nullable(Float64)
 *   .    1(+1+n)   direction       Nullable(String)
 *   .    1(+8)     seq             Nullable(Int64)
 *   .    1(+1+n)   tick_type       Nullable(String)
 *   .    1(+1+n)   push_type       Nullable(String)
 *   .    1(+1+n)   provider        Nullable(String)
 *   .    2         trading_day     Date
 *   .    8         recv_ts_ms      Int64
 *   .    8         inserted_at_ms  Int64
 * Worked example: market "HK" is 02 48 4b; ts_ms 1 is 01 00 00 00 00 00 00
 * 00; a NULL price is 01; price 1.5 is 00 00 00 00 00 00 00 f8 3f;
 * trading_day 20240102 (19724 days) is 0c 4d.
 *
 * Pure code, no I/O; a ch_buf belongs to one thread.
 */
#ifndef HK_CLICKHOUSE_ROWBIN_H
#define HK_CLICKHOUSE_ROWBIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; the caller owns it. Start with ch_buf_init. */
typedef struct ch_buf {
    uint8_t *p;
    size_t n;   /* bytes used */
    size_t cap; /* bytes allocated */
} ch_buf;

/* Allocate cap bytes (at least 64). Returns 0 or -ENOMEM (b empty). */
int ch_buf_init(ch_buf *b, size_t cap);
/* Forget the contents, keep the memory. */
void ch_buf_reset(ch_buf *b);
/* Free the memory; b is empty afterwards (init again to reuse). */
void ch_buf_free(ch_buf *b);
/* Append n bytes, growing as needed. Returns 0, or -ENOMEM with b
 * unchanged. */
int ch_buf_append(ch_buf *b, const void *p, size_t n);

/*
 * One `ticks` row. Strings are borrowed (NUL-terminated, valid while the
 * row is encoded); a NULL pointer in a Nullable(String) column is SQL
 * NULL, and the has_* flags say whether the Nullable numbers are set.
 * market and symbol must not be NULL. trading_day is days since
 * 1970-01-01 (ch_date_from_yyyymmdd).
 */
typedef struct ch_tick_row {
    const char *market;
    const char *symbol;
    int64_t ts_ms;
    bool has_price, has_volume, has_turnover, has_seq;
    double price;
    int64_t volume;
    double turnover;
    const char *direction;
    int64_t seq;
    const char *tick_type;
    const char *push_type;
    const char *provider;
    uint16_t trading_day;
    int64_t recv_ts_ms;
    int64_t inserted_at_ms;
} ch_tick_row;

/*
 * Append r to b in RowBinary. Returns 0, or -ENOMEM with b truncated back
 * to its length before the call (no half row is ever left behind).
 */
int ch_rowbin_tick(ch_buf *b, const ch_tick_row *r);

/*
 * Length in bytes of the first whole `ticks` row at p (n bytes available),
 * read with the layout above. Returns the length (> 0), 0 when the n bytes
 * end inside the row (more data needed), or -EBADMSG when they cannot be
 * a row (a Nullable flag other than 0/1, a varint longer than 10 bytes or
 * a string longer than CH_ROWBIN_MAX_STRING). Reads nothing past p + n.
 */
#define CH_ROWBIN_MAX_STRING (1u << 20)
long ch_rowbin_tick_len(const uint8_t *p, size_t n);

/*
 * "YYYYMMDD" (exactly 8 digits, a real calendar date from 1970-01-01 to
 * 2149-06-06, the Date range) into days since 1970-01-01. Returns 0, or
 * -EINVAL with *days untouched.
 */
int ch_date_from_yyyymmdd(const char *s, uint16_t *days);

#endif
