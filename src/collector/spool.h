/*
 * spool.h - on-disk overflow of the row queue (compat.md §6.3).
 *
 * File format (little-endian host layout, private to this program):
 *
 *   offset size meaning
 *   ------ ---- -------------------------------------------------------
 *        0    8 magic "HKSPOOL1"
 *        8    4 record size (96)
 *       12    4 reserved 0
 *       16   96 record: struct row (64 bytes) + symbol name (32, NUL-padded)
 *      ...
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
#include <sys/types.h>

#include "collector/row.h"
#include "collector/symtab.h"

#define SPOOL_MAGIC "HKSPOOL1"
#define SPOOL_HEADER 16
#define SPOOL_RECORD (sizeof(row) + SYMTAB_NAME_LEN)

typedef struct spool {
    pthread_mutex_t mu;
    char dir[1100];
    char path[1200];
    int fd;                /* -1 until first spill */
    off_t rd;              /* next record to take */
    off_t wr;              /* end of data */
    atomic_size_t pending; /* rows in the live spool */
    atomic_llong spilled;  /* rows ever written */
} spool;

/* Prepare (no file is created until the first spill). */
int spool_init(spool *s, const char *data_root);
/* Close; removes the live file when empty. */
void spool_free(spool *s);

/* Append n rows; returns 0 or -errno (disk full, read-only...). */
int spool_append(spool *s, const row *rows, size_t n, const symtab *t);
/* Take up to max rows (oldest first). Returns the count; 0 when empty. */
size_t spool_take(spool *s, row *out, size_t max);
static inline size_t spool_pending(spool *s)
{
    return atomic_load(&s->pending);
}

/*
 * Write rows into a new crash spool <UTC stamp>-<pid>.spool. Returns 0 and
 * the path in out_path, or -errno.
 */
int spool_write_crash(const char *data_root, const row *rows, size_t n,
                      const symtab *t, char *out_path, size_t cap);

/*
 * Read one spool file, interning names into t (caller's thread must own
 * t). Calls fn with chunks of rows. Returns the row count or -errno.
 */
typedef int (*spool_chunk_fn)(const row *rows, size_t n, void *ud);
long spool_replay_file(const char *path, symtab *t, spool_chunk_fn fn, void *ud,
                       long *skipped);

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
