/*
 * daycache.h - the columnar day cache (QTE_CACHE_DIR): one file per
 * (trading day, symbol list) holding the merged trade stream the day-file
 * source (source.c) hands out for that day, so a replay of a day already
 * replayed once reads a compact mmap'ed file instead of SQLite.
 *
 * A cache file stores exactly the rows source_next returned (order, ts_ms,
 * symbol index, price_milli, volume, seq), so the engine cannot tell the
 * two apart. It also stores the identity of the day file it came from;
 * a cache whose identity differs from the day file's now is stale and is
 * never read. Any change to source.c's order, filters or price rounding
 * must bump DAYCACHE_VERSION (old files are then stale).
 *
 * File name: <dir>/<YYYYMMDD>.<16 hex = first 8 bytes of the SHA-256 of
 * the symbols joined by '\n'>.qtc. Every integer is little-endian; every
 * section starts and ends on an 8-byte boundary.
 *
 * Header (DAYCACHE_HEADER = 160 bytes):
 *   off size field
 *     0    8 magic "QTECACHE"
 *     8    4 version (DAYCACHE_VERSION)
 *    12    4 header size (160)
 *    16    4 trading day YYYYMMDD
 *    20    4 nsym
 *    24    8 rows
 *    32    8 nblocks
 *    40    8 symbols offset (160)
 *    48    8 symbols size: the names, each NUL-terminated, zero-padded to 8
 *    56    8 index offset
 *    64    8 file size
 *    72   64 identity of the day file: dev, inode, size, mtime_ns,
 *            -wal size, -wal mtime_ns (both 0 when the -wal is absent or
 *            empty), MAX(rowid) and COUNT(*) of ticks (daycache_id)
 *   136    8 body checksum: bytes 160 .. file size, as 64-bit words
 *   144    8 reserved (0)
 *   152    8 header checksum: bytes 0 .. 151
 *
 * Block (rows in stream order, at most DAYCACHE_BLOCK of them):
 *     0    4 nrows
 *     4    4 block size in bytes (header and columns)
 *     8    5 width of each column in bytes: 0, 1, 2, 4 or 8, in the order
 *            ts_ms, sym, price_milli, volume, seq
 *    13    3 zero
 *    16   40 base of each column (int64, the column's minimum in the
 *            block)
 *    56    . the columns, one after the other, each nrows x width bytes
 *            of (value - base) as an unsigned integer, zero-padded to 8
 * Index (after the last block): nblocks x {int64 first ts_ms, uint64 block
 * offset}, for binary search by time.
 *
 * Worked example: a block of three rows (ts 1000, 1000, 1003; sym 0, 1,
 * 0; price 380000, 60000, 380200; volume 100, 400, 100; seq 1, 1, 2)
 * has widths {1, 1, 4, 2, 1} and bases {1000, 0, 60000, 100, 1}; its ts
 * column is the bytes 00 00 03 then 5 zero bytes of padding, its price
 * column (320000, 0, 320200) 00 e2 04 00 00 00 00 00 c8 e2 04 00 then 4
 * zero bytes; the block is 56 + 8 + 8 + 16 + 8 + 8 = 104 bytes.
 *
 * A file is written to "<name>.tmp.XXXXXX" beside it, fsync'ed and renamed
 * over the name, so a crash leaves no half file under the name (at worst
 * a .tmp file nobody reads). Readers map the whole file read-only and
 * drop the pages behind them (memory stays bounded by one block's decoded
 * rows plus a few MiB of mapping, whatever the day's size). Replay thread
 * only.
 */
#ifndef HK_QTE_DAYCACHE_H
#define HK_QTE_DAYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qte/strategy.h"

#define DAYCACHE_VERSION 1
#define DAYCACHE_HEADER 160
#define DAYCACHE_BLOCK 1024
#define DAYCACHE_NCOL 5

/* The identity of a day file: any write to it through SQLite (rows
 * added, deleted or changed, in the main file or in its -wal) or a new
 * file under its name changes at least one field. */
typedef struct daycache_id {
    uint64_t dev;
    uint64_t ino;
    int64_t size;
    int64_t mtime_ns;
    int64_t wal_size;     /* 0 when no -wal or an empty one */
    int64_t wal_mtime_ns; /* 0 when wal_size is 0 */
    int64_t max_rowid;    /* MAX(rowid) of ticks, 0 when empty */
    int64_t rows;         /* COUNT(*) of ticks */
} daycache_id;

/*
 * Read the identity of the day file at path (stat of the file and its
 * -wal, then MAX(rowid) and COUNT(*) through a read-only connection).
 * Returns 0, or -1 with a message in err (a missing file, no ticks
 * table); *id is then unspecified.
 */
int daycache_id_read(const char *path, daycache_id *id, char *err,
                     size_t errlen);

/* Whether two identities are the same file in the same state. */
bool daycache_id_equal(const daycache_id *a, const daycache_id *b);

/*
 * The cache file's path for day and the symbols (byte order, as the
 * engine numbers them) into buf. Returns 0, or -1 when it does not fit.
 */
int daycache_path(const char *dir, int day, const char *const *symbols,
                  int nsym, char *buf, size_t cap);

/* A cache being written. Fields are private to daycache.c. */
typedef struct daycache_writer {
    FILE *f;
    char path[600];
    char tmp[640];
    int day;
    int nsym;
    const char *const *symbols; /* borrowed for the writer's life */
    daycache_id id;
    int64_t rows;
    int64_t off;     /* bytes written so far */
    int64_t last_ts; /* order check */
    uint64_t ck[5];  /* body checksum state: 4 lanes and a word count */
    int64_t *index;  /* 2 per block: first ts, offset */
    int64_t nblocks;
    int64_t index_cap;
    int n; /* rows in the block being filled */
    int64_t col[DAYCACHE_NCOL][DAYCACHE_BLOCK];
    uint8_t *buf; /* one encoded block */
    char err[256];
} daycache_writer;

/*
 * Start a cache for day (identity id, taken before the first row) at
 * path: a temporary file beside it. symbols is borrowed and must outlive
 * the writer. Returns 0 (then exactly one of commit or abort must
 * follow), or -1 with a message in err and nothing left behind.
 * The writer holds one block of rows (about 41 KiB) and 16 bytes of
 * index per block.
 */
int daycache_writer_open(daycache_writer *w, const char *path, int day,
                         const char *const *symbols, int nsym,
                         const daycache_id *id, char *err, size_t errlen);

/* Append the next row of the stream. Returns 0, or -1 with a message in
 * w->err (a write error, a row out of time order); abort must follow. */
int daycache_writer_add(daycache_writer *w, const qte_tick *t);

/*
 * Finish the file (index, header, checksums), fsync it, rename it over
 * the path and fsync the directory. Returns 0, or -1 with a message in
 * err and the temporary file removed. The writer is released either way.
 */
int daycache_writer_commit(daycache_writer *w, char *err, size_t errlen);

/* Drop the temporary file and release the writer. Harmless on a zeroed
 * writer and on one already finished. */
void daycache_writer_abort(daycache_writer *w);

/* daycache_reader_open's verdicts. */
enum {
    DAYCACHE_OK = 0,
    DAYCACHE_MISSING = 1, /* no file under the name */
    DAYCACHE_STALE = 2,   /* another version, day, symbol list or identity */
    DAYCACHE_CORRUPT = 3, /* truncated, bad magic or checksum, bad layout */
};

/* A cache being read. Fields are private to daycache.c. */
typedef struct daycache_reader {
    const uint8_t *map;
    size_t len;
    int64_t rows;
    int64_t nblocks;
    const uint8_t *index;
    int nsym;
    int64_t blk;     /* the decoded block; -1 none */
    int n;           /* its rows */
    int i;           /* the next row to hand out */
    size_t released; /* mapping bytes below this were given back */
    int64_t ts[DAYCACHE_BLOCK];
    int64_t price[DAYCACHE_BLOCK];
    int64_t volume[DAYCACHE_BLOCK];
    int64_t seq[DAYCACHE_BLOCK];
    int64_t sym[DAYCACHE_BLOCK];
    char err[256];
} daycache_reader;

/*
 * Open the cache at path for day, the symbols (exactly this list) and the
 * day file's current identity id: checks the header, the identity, the
 * layout and the body checksum (one read of the file). Returns
 * DAYCACHE_OK with r positioned at the first row, or another verdict with
 * the reason in why (then r holds nothing and needs no close, though
 * closing is harmless).
 */
int daycache_reader_open(daycache_reader *r, const char *path, int day,
                         const char *const *symbols, int nsym,
                         const daycache_id *id, char *why, size_t cap);

/* Position at the first row with ts_ms >= ts_ms (binary search on the
 * block index). Returns 0, or -1 with a message in r->err. */
int daycache_reader_seek(daycache_reader *r, int64_t ts_ms);

/*
 * The next row into *t (t->symbol left untouched: the caller names it).
 * Returns 1, 0 at the end, or -1 with a message in r->err (a block whose
 * layout is broken despite the checksum).
 */
int daycache_reader_next(daycache_reader *r, qte_tick *t);

/* Unmap. Harmless on a zeroed reader and on one already closed. */
void daycache_reader_close(daycache_reader *r);

#endif
