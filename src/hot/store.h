/*
 * store.h - hot-store's pipeline: JetStream durable pull consumer ->
 * batched RowBinary inserts into ClickHouse -> acks.
 *
 * Delivery guarantee: a message is acknowledged only after ClickHouse
 * answered 200 to the insert holding its row, so every row is in
 * ClickHouse at least once. A redelivery after a crash inserts the row
 * again; ReplacingMergeTree (ORDER BY symbol, seq, ts_ms) and FINAL make
 * the copies one. A body that is not an HkTick is terminated (never
 * redelivered) and counted.
 *
 * Threads: hot_store_run fetches and decodes on the calling thread and
 * starts one insert thread (insert.h) that inserts the batches handed to
 * it and acks them, in order; the NATS connection is shared (libnats is
 * thread-safe), the ClickHouse client belongs to the insert thread once
 * it runs. hot_stats is the only data shared with the HTTP thread: atomics
 * and a lock-free histogram, written by the two threads, read there.
 */
#ifndef HK_HOT_STORE_H
#define HK_HOT_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hot/config.h"
#include "svc/hist.h"

#define LC_HOT "hot_store"

typedef struct hot_stats {
    atomic_llong start_mono_ms;
    atomic_llong rows_inserted; /* rows ClickHouse confirmed */
    atomic_llong batches;       /* inserts ClickHouse confirmed */
    atomic_llong insert_errors; /* failed insert attempts */
    atomic_llong acked;         /* messages acked */
    atomic_llong redeliveries;  /* messages seen with NumDelivered > 1 */
    atomic_llong poison;        /* messages terminated as undecodable */
    atomic_llong newest_ts_ms;  /* max ts_ms confirmed in hot (0 = none) */
    atomic_llong last_insert_mono_ms; /* 0 = none yet */
    atomic_llong held_rows;           /* rows taken, not yet acked/nak'ed */
    atomic_llong pending;             /* consumer NumPending (-1 = unknown) */
    atomic_llong ack_pending; /* consumer NumAckPending (-1 = unknown) */
    atomic_bool nats_connected;
    atomic_bool clickhouse_ok; /* last request to ClickHouse succeeded */
    atomic_bool ready;         /* stream, consumer and schema set up */
    svc_hist insert_ms;        /* insert latency */
} hot_stats;

/* Set the "unknown" values (pending -1) and the start time. */
void hot_stats_init(hot_stats *st, int64_t now_mono_ms);

/*
 * Run until stop() returns true: set up (connect, stream, consumer,
 * schema; each retried with back-off while the stop is not asked), then
 * fetch on this thread while the insert thread inserts and acks the
 * previous batches. stop is called on this thread only. On stop the batch
 * in hand and the batches handed off are still inserted and acked,
 * retried for at most cfg->drain_sec; after that they are nak'ed
 * (JetStream redelivers them at once to the next run). Returns 0 after a
 * stop, or 1 after a failure that retrying cannot fix (bad URL, no
 * memory, no thread; then logged hot_init_failed).
 */
int hot_store_run(const hot_config *cfg, hot_stats *st, bool (*stop)(void));

#endif
