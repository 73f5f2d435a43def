/*
 * feed_clickhouse.h - the pure parts of the ClickHouse feed (qte/feed.h,
 * QTE_SOURCE=clickhouse): the text of a page query and the decoding of
 * the rows it answers. No I/O; feed_clickhouse.c does the requests.
 *
 * A page query reads one trading day of db.ticks FINAL, the run's
 * symbols, rows with a price, in (ts_ms, symbol, ifNull(seq, 0)) order,
 * after a keyset (the last row of the previous page), LIMIT rows:
 *
 *   SELECT symbol, ts_ms, assumeNotNull(price), ifNull(volume, 0),
 *          ifNull(seq, 0)
 *   FROM marketprism_hot.ticks FINAL
 *   PREWHERE ts_ms >= 1704159000123 AND ts_ms < 1704159004000
 *   WHERE trading_day = '2024-01-02' AND symbol IN ('HK.00005','HK.00700')
 *     AND isNotNull(price)
 *     AND (ts_ms > 1704159000123 OR (ts_ms = 1704159000123 AND
 *          (symbol > 'HK.00005' OR (symbol = 'HK.00005' AND
 *          ifNull(seq, 0) > 17))))
 *   ORDER BY ts_ms, symbol, ifNull(seq, 0) LIMIT 65536 FORMAT RowBinary
 *
 * (one line in reality). The keyset is written as ORed comparisons
 * because 18.16 has no tuple comparison. (symbol, ifNull(seq, 0), ts_ms)
 * is the table's sorting key, so after FINAL no two rows share it and the
 * keyset never skips or repeats a row.
 *
 * The PREWHERE window bounds the work of a page. ts_ms is not a prefix
 * of the sorting key, so without it every page would read, merge (FINAL)
 * and sort the whole rest of the day: quadratic in the day's size. With
 * it the server reads the ts_ms column and then only the window's rows.
 * It is safe before FINAL because ts_ms is part of the sorting key: the
 * copies of a row are all in or all out. The feed sizes the window from
 * the day's density (feed_clickhouse.c); correctness never depends on
 * its size.
 *
 * The answer's row, RowBinary (rowbin.h has the encodings):
 *   off   size  column             type
 *   0     1+n   symbol             String (LEB128 length, bytes)
 *   1+n   8     ts_ms              Int64 little-endian
 *   9+n   8     price              Float64 (IEEE-754 bits, little-endian)
 *   17+n  8     volume (NULL = 0)  Int64
 *   25+n  8     seq (NULL = 0)     Int64
 * Worked example: HK.00700, ts 1, price 1.5, volume 100, seq 7 is
 *   08 48 4b 2e 30 30 37 30 30 | 01 00 00 00 00 00 00 00 |
 *   00 00 00 00 00 00 f8 3f | 64 00 .. 00 | 07 00 .. 00   (41 bytes).
 */
#ifndef HK_QTE_FEED_CLICKHOUSE_H
#define HK_QTE_FEED_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>

/* Longest symbol the feed accepts in an answer (bytes). */
#define QTE_CHFEED_MAX_SYMBOL 256

/* One decoded row; symbol points into the decoded bytes (not
 * NUL-terminated, symbol_len bytes). */
typedef struct qte_chfeed_row {
    const char *symbol;
    size_t symbol_len;
    int64_t ts_ms;
    double price;
    int64_t volume;
    int64_t seq;
} qte_chfeed_row;

/* Which rows a page asks for: after (ts_ms, symbol, seq) when has_last,
 * within the window ts_ms >= from_ts (has_from) and ts_ms < to_ts
 * (has_to). */
typedef struct qte_chfeed_key {
    int has_last;
    int64_t ts_ms;
    const char *symbol; /* NUL-terminated */
    int64_t seq;
    int has_from;
    int64_t from_ts;
    int has_to;
    int64_t to_ts;
} qte_chfeed_key;

/*
 * Decode the first row at p (n bytes available) into *r. Returns its
 * length (> 0), 0 when the n bytes end inside the row, or -EBADMSG when
 * they cannot be one (a varint longer than 10 bytes, a symbol longer
 * than QTE_CHFEED_MAX_SYMBOL). Reads nothing past p + n; r->symbol
 * borrows p.
 */
long qte_chfeed_row_decode(const uint8_t *p, size_t n, qte_chfeed_row *r);

/*
 * Append to out (cap bytes) the SQL string literal of s, quoted, with '
 * and \ escaped. Returns the bytes written (excluding the NUL), or
 * -ENOSPC when it does not fit (out then holds "" when cap > 0).
 */
long qte_chfeed_quote(const char *s, char *out, size_t cap);

/*
 * The page query (above) into out (cap bytes): database db (an
 * identifier, ch_ident_ok), trading day YYYYMMDD, the symbol list in_list
 * (already quoted and comma-separated, qte_chfeed_quote), the start key
 * and the page size. Returns the query's length, or -ENOSPC (out "")
 * or -EINVAL for a day that is not a date.
 */
long qte_chfeed_page_sql(char *out, size_t cap, const char *db, int day,
                         const char *in_list, const qte_chfeed_key *k,
                         long limit);

/*
 * The statistics query of the open: db.ticks FINAL over the days
 * (YYYYMMDD) and symbols, rows with a price, one TabSeparated line per
 * day holding rows: YYYYMMDD, count(), min(ts_ms), max(ts_ms). Returns
 * the length, -ENOSPC or -EINVAL as above.
 */
long qte_chfeed_stats_sql(char *out, size_t cap, const char *db,
                          const int *days, int ndays, const char *in_list);

#endif
