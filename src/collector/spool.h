/*
 * spool.h - on-disk overflow of the row queue (compat.md §6.3).
 *
 * File format (little-endian host layout, private to this program):
 *
 *   offset size meaning
 *   ------ ---- -------------------------------------------------------
 *        0    8 magic "HKSPOOL2"
 *        8    4 record size (100)
 *       12    4 reserved 0
 *       16  100 record: struct row (64 bytes) + symbol name (32, NUL-padded)
 *               + CRC-32 (zlib crc32, 4 bytes) of those 96 bytes
 *      ...
 *
 * Example: a file holding two rows is 16 + 2 * 100 = 216 bytes; the CRC of
 * the first record is at offset 16 + 96 = 112.
 *
 * Version 1 ("HKSPOOL1", record size 96: row + name, no CRC) is still read
 * (spools left by an older build are replayed after an upgrade); it is
 * never written. Every record read back, from either version and from the
 * live spool, is checked before it reaches the writer (spool_record_check:
 * CRC, symbol printable and MARKET.CODE, ts_ms and recv_ts_ms within
 * [SPOOL_TS_MIN_MS, now + SPOOL_TS_AHEAD_MS], seq > 0 when present, price
 * and turnover finite, known flags and push type). A bad record is never
 * inserted and never dropped silently: its raw bytes are appended to
 * <spool dir>/quarantine/<spool file name>.bad after a one-line header
 *
 *   HKSPOOL-BAD source=<file> offset=<byte offset> bytes=<n> reason=<why>\n
 *
 * (then the n raw bytes and "\n"), it is counted, and logged
 * (spool_record_quarantined, at most SPOOL_BAD_LOG_MAX lines per file or
 * per minute, then a count).
 *
 * The live spool (DATA_ROOT/_spool/live-<pid>.spool) takes rows when the
 * in-memory queue is full; while it holds rows every new row goes there
 * too, so order is kept. The writer drains it oldest first; once drained
 * the file is truncated back to its header. Rows left at a non-zero exit
 * go to <UTC stamp>-<pid>.spool; every *.spool found at start is copied
 * into the live spool (synced, then deleted), so the writer commits those
 * rows first through INSERT OR IGNORE while the daemon already runs: a
 * large or uncommittable spool never blocks start-up or a stop.
 * Threads: spool_append from the event thread, spool_take from the writer,
 * both under the spool mutex (a leaf lock, like queue.mu).
 */
#ifndef HK_COLLECTOR_SPOOL_H
#define HK_COLLECTOR_SPOOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "collector/row.h"
#include "collector/symtab.h"

#define SPOOL_MAGIC "HKSPOOL2"
#define SPOOL_MAGIC_V1 "HKSPOOL1"
#define SPOOL_HEADER 16
#define SPOOL_RECORD_V1 (sizeof(row) + SYMTAB_NAME_LEN)
#define SPOOL_RECORD (SPOOL_RECORD_V1 + 4)
#define SPOOL_TS_MIN_MS 946684800000LL /* 2000-01-01T00:00:00Z */
#define SPOOL_TS_AHEAD_MS 172800000LL  /* two days past the wall clock */
#define SPOOL_BAD_LOG_MAX 5
/* Most names one replay adds to the symbol table (the bound the feed puts
 * on unsolicited names, FEED_UNSOLICITED_MAX): a spool naming more cannot
 * crowd configured symbols out. Records over it are quarantined with
 * reason symbol_budget, as are records whose name finds the table full. */
#define SPOOL_NEW_NAMES_MAX 4096

typedef struct spool {
    pthread_mutex_t mu;
    char dir[1100];
    char path[1200];
    int fd;                   /* -1 until first spill */
    off_t rd;                 /* next record to take */
    off_t wr;                 /* end of data */
    atomic_size_t pending;    /* rows in the live spool */
    atomic_llong spilled;     /* rows ever written */
    atomic_llong quarantined; /* bad records taken from the live spool */
    int64_t bad_log_mono_ms;  /* rate limit of spool_record_quarantined */
    int bad_logged;           /* lines in the current minute */
} spool;

/* Prepare (no file is created until the first spill). */
int spool_init(spool *s, const char *data_root);
/* Close; removes the live file when empty. */
void spool_free(spool *s);

/*
 * Append n rows, all or nothing: returns 0 (all n spooled) or -errno (disk
 * full, read-only...; none of them is spooled and pending is unchanged).
 */
int spool_append(spool *s, const row *rows, size_t n, const symtab *t);
/*
 * Take up to max rows (oldest first). Returns the count; 0 when empty. A
 * record failing spool_record_check is quarantined (see above), counted in
 * s->quarantined and not returned; pending drops by every record consumed.
 */
size_t spool_take(spool *s, row *out, size_t max);
static inline size_t spool_pending(spool *s)
{
    return atomic_load(&s->pending);
}

/*
 * Write rows into a new crash spool <UTC stamp>-<pid>.spool. Returns 0 and
 * the path in out_path, or -errno. A failed write removes the file; a
 * failed fdatasync returns its -errno but keeps the file (and out_path),
 * whose rows the next start still replays.
 */
int spool_write_crash(const char *data_root, const row *rows, size_t n,
                      const symtab *t, char *out_path, size_t cap);

/*
 * Read one spool file (version 2 or 1), interning names into t (caller's
 * thread must own t; at most SPOOL_NEW_NAMES_MAX new names). Calls fn with
 * chunks of good rows; bad records (including a torn last one, and records
 * over the name budget, also counted in *skipped) are quarantined and
 * added to *quarantined when it is not NULL. Returns the good row count, or
 * -errno: -EINVAL for an unknown header, a read error, fn's error, or a
 * quarantine write error (the caller keeps the file then; rows already handed
 * to fn come again next time, which INSERT OR IGNORE makes harmless).
 */
typedef int (*spool_chunk_fn)(const row *rows, size_t n, void *ud);
long spool_replay_file(const char *path, symtab *t, spool_chunk_fn fn, void *ud,
                       long *skipped);
long spool_replay_file_q(const char *path, symtab *t, spool_chunk_fn fn,
                         void *ud, long *skipped, long *quarantined);

/*
 * Check one record of `size` bytes (SPOOL_RECORD, or SPOOL_RECORD_V1 for
 * a version-1 file) against now_ms. Returns NULL when good, else a short
 * reason ("checksum", "symbol", "ts_ms", "recv_ts_ms", "seq", "price",
 * "turnover", "flags", "push_type"); the string is static.
 */
const char *spool_record_check(const uint8_t *rec, size_t size, int64_t now_ms);

/* fdatasync the live spool (before deleting what was copied into it). */
int spool_sync(spool *s);

/* ---- left-over spools of earlier runs (start-up) ------------------------ */

/*
 * List the *.spool files directly in <data_root>/_spool, sorted by name
 * (oldest first: names start with a UTC stamp or "live-"), at most 4096.
 * Returns 0 with *paths (malloc'd array of malloc'd full paths; free with
 * spool_scan_free) and *n; a missing directory gives 0 files. -ENOMEM
 * when out of memory (nothing to free then).
 */
int spool_scan(const char *data_root, char ***paths, size_t *n);
void spool_scan_free(char **paths, size_t n);

/*
 * Copy the rows of a left-over spool file into the live spool (interning
 * names into t; rows whose symbol does not fit are counted in *skipped),
 * sync the live spool, then delete the file. A file at the live spool's
 * own path (an old run had our pid) is first renamed to
 * <path>.old.spool. The path finally used is written to used (cap bytes).
 * Returns the rows copied, or -errno with the file kept.
 */
long spool_adopt(spool *live, const char *path, symtab *t, long *skipped,
                 char *used, size_t cap);

#endif
