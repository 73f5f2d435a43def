/*
 * writer.h - the single writer thread: queue (and spool) -> day files.
 *
 * Group commit: the writer takes everything queued (up to MAX_BATCH_ROWS)
 * into one transaction per trading day, commits, and immediately looks
 * again; it never waits to fill a batch, so at low load a row waits only
 * for the commit in progress (plus COMMIT_MIN_INTERVAL_MS at most). Any
 * SQLite error rolls back and retries the same rows with backoff until
 * they commit or the stop deadline passes; rows are never discarded. A day
 * file that is damaged (SQLITE_CORRUPT, SQLITE_NOTADB) or not ours (a
 * foreign ticks schema) is set aside under a name readers ignore
 * (store_set_aside, logged as day_file_set_aside) and the same rows go to
 * a fresh file at once, at most WRITER_SET_ASIDE_MAX times per run.
 *
 * Everything other threads read is published through atomics in
 * writer_stats; per-symbol durable progress (max persisted seq and ts)
 * lives in arrays indexed by symtab id.
 *
 * Recovery handshake (the watchdog, event thread -> writer thread):
 *
 *   writer_recover: recover_gen++, sqlite3_interrupt on every published
 *       connection (under db_mu), then wait up to a timeout for
 *       recover_ack == recover_gen.
 *   writer: a statement fails with SQLITE_INTERRUPT (or the writer reaches
 *       a check point: after a failed attempt, each backoff slice, each
 *       idle loop) -> the transaction is already rolled back; it closes
 *       every connection, sets recover_ack = recover_gen, logs
 *       persist_recovery_acknowledged, and retries the same rows at once
 *       on fresh connections. Nothing taken from the queue is dropped.
 *
 * A writer stuck where SQLite does not look at the interrupt flag (a busy
 * handler sleeping out busy_timeout, a slow fsync) acknowledges late or
 * never; the watchdog then counts a failure (compat.md §4).
 */
#ifndef HK_COLLECTOR_WRITER_H
#define HK_COLLECTOR_WRITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "collector/config.h"
#include "collector/gapdet.h"
#include "collector/quarantine.h"
#include "collector/queue.h"
#include "collector/spool.h"
#include "collector/store.h"
#include "collector/symtab.h"
#include "svc/hist.h"

#define WRITER_MAX_DAYS 4
#define WRITER_SEQ_NONE INT64_MIN
/* Day files one run may set aside; beyond it a damaged file is retried
 * with backoff like any other error, so a failing disk cannot fill
 * DATA_ROOT with set-aside copies. */
#define WRITER_SET_ASIDE_MAX 16

/* Why the last day file was set aside (writer_stats.set_aside_reason). */
enum writer_aside {
    WRITER_ASIDE_NONE = 0,
    WRITER_ASIDE_CORRUPT,
    WRITER_ASIDE_NOTADB,
    WRITER_ASIDE_FOREIGN,
};

typedef struct writer_stats {
    atomic_llong rows_inserted;
    atomic_llong rows_ignored;
    atomic_llong commits;
    atomic_llong busy_count;    /* SQLITE_BUSY / LOCKED seen */
    atomic_llong backoff_count; /* retries after any error */
    atomic_llong flush_failed;  /* non-busy errors */
    atomic_llong last_commit_mono_ms;
    atomic_llong last_drain_mono_ms;
    atomic_llong last_commit_rows;
    atomic_llong max_ts_ms; /* max persisted ts_ms, 0 = none */
    atomic_int last_error;  /* SQLite code of the last error, 0 none */
    atomic_llong last_error_count;
    atomic_llong last_backoff_us;
    atomic_int alive;
    atomic_llong recovery_count;
    /* day files set aside as damaged or foreign (writer.c set_aside) */
    atomic_llong set_aside_count;
    atomic_int set_aside_day;    /* YYYYMMDD of the last one, 0 = none */
    atomic_int set_aside_reason; /* WRITER_ASIDE_* of the last one */
    /* window counters, swapped to 0 by the health tick */
    atomic_llong win_inserted;
    atomic_llong win_ignored;
    atomic_llong win_commits;
    atomic_llong win_out;
    /* push-to-commit and commit latency, ms (svc/hist.h buckets) */
    svc_hist lat_hist;
    svc_hist commit_hist;
} writer_stats;

typedef struct writer {
    const config *cfg;
    const symtab *syms;
    queue *q;
    spool *sp;
    pthread_t thread;
    bool started;
    store stores[WRITER_MAX_DAYS];
    row *batch;
    size_t batch_cap;
    size_t batch_len;               /* rows taken but not yet committed */
    _Atomic int64_t *persisted_seq; /* per symtab id */
    _Atomic int64_t *persisted_ts;
    atomic_bool stopping;
    atomic_llong stop_deadline_mono_ms;
    atomic_uint recover_gen; /* recoveries requested (writer_recover) */
    atomic_uint recover_ack; /* the last one the writer acted on */
    /* Lock order: db_mu is a leaf. It guards live_db, the connections
     * other threads may interrupt; the writer clears an entry under it
     * before closing that connection and sets it after opening one. */
    pthread_mutex_t db_mu;
    sqlite3 *live_db[WRITER_MAX_DAYS];
    /* Test seam: runs inside each transaction after BEGIN on its
     * connection (NULL in production); a non-zero SQLite code fails the
     * attempt like a failed statement. */
    int (*test_in_txn)(sqlite3 *db, void *ud);
    void *test_ud;
    /* Called on the writer thread after a commit that inserted rows (the
     * NATS publisher's wake-up); must not block. NULL = none. */
    void (*on_commit)(void *ud);
    void *on_commit_ud;
    atomic_bool timed_out; /* stop deadline passed with rows left */
    writer_stats st;
    gapdet gd;       /* hard-gap detector (GAP_ENABLED) */
    uint32_t *order; /* scratch: batch indexes sorted for gapdet */
    /* Row validation (writer_screen_rows): the quarantine files and the
     * reason of each batch row (scratch, batch_cap entries). */
    quarantine qr;
    uint8_t *reasons;
    /* writer-thread-only bookkeeping */
    int64_t last_summary_mono_ms;
    int64_t last_heartbeat_mono_ms;
    int64_t sum_inserted, sum_ignored, sum_batches;
    double sum_lat[256];
    int sum_lat_n;
    int64_t last_commit_start_ms;
} writer;

/* Allocate buffers; nothing runs yet. Returns 0 or -ENOMEM. */
int writer_init(writer *w, const config *cfg, const symtab *syms, queue *q,
                spool *sp);
void writer_free(writer *w);

/*
 * Commit rows synchronously from the calling thread (used by main for spool
 * replay before the thread starts). Retries like the thread does. Returns
 * 0, or -1 if the stop deadline passed first.
 */
int writer_commit_rows(writer *w, const row *rows, size_t n,
                       long long *inserted, long long *ignored);

/*
 * Validate rows[0..n) (validate_row), store the bad ones in the quarantine
 * (retrying with the persist backoff until stored or the stop deadline),
 * then move the good ones, in order, to the front of rows. Returns how many
 * are good, or -1 if the stop deadline passed before the bad ones were
 * stored (rows untouched). n is at most the batch capacity. Writer thread.
 */
long writer_screen_rows(writer *w, row *rows, size_t n);

int writer_start(writer *w);
/* Ask the thread to drain and exit by deadline (monotonic ms). */
void writer_stop(writer *w, int64_t deadline_mono_ms);
void writer_join(writer *w);
/* Join, giving up after timeout_ms (a writer hung in I/O). Returns 0, or
 * -ETIMEDOUT with the thread still running (its stores must not be
 * touched then). */
int writer_join_timed(writer *w, int timeout_ms);
/*
 * Watchdog recovery (any thread but the writer's): interrupt whatever the
 * writer runs inside SQLite and wait up to timeout_ms for it to roll back,
 * close its connections and acknowledge. Returns 0 when acknowledged (its
 * time in *ack_ms if not NULL), or -ETIMEDOUT; either way the request
 * stays pending, so a late writer still reopens before its next attempt.
 * Blocks the caller for at most timeout_ms.
 */
int writer_recover(writer *w, int timeout_ms, int64_t *ack_ms);
/* Close every day file with wal_checkpoint(TRUNCATE). Thread stopped. */
void writer_close_all(writer *w);

/* Rebuild the gap detector's state of sym from recent tick times
 * (ascending). Before the thread starts. */
void writer_seed_gaps(writer *w, uint32_t sym, const int64_t *ts, int n);

/* Seed per-symbol persisted seq from a value (startup scan). */
void writer_seed_seq(writer *w, uint32_t sym, int64_t seq, int64_t ts);

/* "corrupt", "notadb", "foreign_schema" or "none" for a WRITER_ASIDE_*
 * value. Static storage. */
const char *writer_aside_name(int reason);

#endif
