/*
 * insert.h - hot-store's insert thread: full batches are handed off from
 * the consumer loop (store.c) to one thread that inserts each into
 * ClickHouse and only then acknowledges its messages, batch after batch in
 * the order they were handed off. The consumer fetches the next batch
 * while the previous one is being inserted.
 *
 * The hand-off is bounded: at most HOT_INSERT_QUEUE batches are handed off
 * and not yet acknowledged (the one being inserted and the next waiting);
 * the consumer fills one more. hot_insert_push returns -EAGAIN instead of
 * growing the queue. With the queue full the consumer stops fetching, so
 * at most (HOT_INSERT_QUEUE + 1) * HOT_BATCH_ROWS messages are ever
 * unacknowledged, below the consumer's MaxAckPending (4 * HOT_BATCH_ROWS,
 * stream.c).
 *
 * Ownership: a batch and its messages belong to the consumer thread while
 * it fills it, to the insert thread from hot_insert_push until the insert
 * thread acknowledged (or nak'ed) every message, then to the free list.
 * The ch_client passed to hot_insert_start belongs to the insert thread
 * until hot_insert_finish returns.
 */
#ifndef HK_HOT_INSERT_H
#define HK_HOT_INSERT_H

#include <nats/nats.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "clickhouse/ch.h"
#include "hot/config.h"
#include "hot/store.h"

/* Batches handed off and not yet acknowledged, at most. */
#define HOT_INSERT_QUEUE 2

/* One insert's worth of rows and the messages that carried them. */
typedef struct hot_batch {
    ch_buf buf;         /* the rows in RowBinary, in message order */
    natsMsg **msgs;     /* their messages, unacked; cap slots */
    int n;              /* rows (= messages) in the batch */
    int cap;            /* HOT_BATCH_ROWS */
    int64_t first_mono; /* when msgs[0] was taken */
    int64_t max_ts;     /* largest ts_ms of the rows (0 = none) */
} hot_batch;

/*
 * The stop as both threads see it: the consumer thread polls asked() and
 * records the monotonic time it first saw the stop in since_mono (0 =
 * running); the insert thread only reads since_mono, so asked() is called
 * on one thread.
 */
typedef struct hot_stopper {
    bool (*asked)(void);
    atomic_llong since_mono;
} hot_stopper;

/* Consumer thread only: true once a stop was asked (since_mono set). */
bool hot_stopper_poll(hot_stopper *s);

/* The back-off after delay d (0 = first): HOT_RETRY_MIN_MS doubling up
 * to HOT_RETRY_MAX_MS. */
int64_t hot_next_delay(const hot_config *cfg, int64_t d);

/* Sleep ms (at least 0), without a stop check. */
void hot_nap_ms(int64_t ms);

/* Mark every message of b in progress (JetStream restarts its AckWait),
 * publishing +WPI on nc (hot_pull_reply). */
void hot_batch_in_progress(natsConnection *nc, hot_batch *b);

typedef struct hot_insert hot_insert;

/*
 * Start the insert thread for table ("db.ticks") with ch (moved: only the
 * insert thread uses it until hot_insert_finish); it acks on nc (borrowed,
 * must outlive hot_insert_finish). Allocates
 * HOT_INSERT_QUEUE + 1 empty batches of cfg->batch_rows rows; *first is
 * one of them, for the consumer to fill. Returns 0, or -ENOMEM / -errno
 * of pthread_create with nothing left allocated (*out NULL).
 */
int hot_insert_start(hot_insert **out, hot_batch **first, const hot_config *cfg,
                     hot_stats *st, natsConnection *nc, ch_client *ch,
                     const char *table, hot_stopper *stop);

/*
 * Hand b (not empty) to the insert thread, waiting at most wait_ms for
 * room. Returns 0 with *next an empty batch to fill (b belongs to the
 * insert thread now), or -EAGAIN when the queue stayed full (b is still
 * the caller's, unchanged).
 */
int hot_insert_push(hot_insert *w, hot_batch *b, int64_t wait_ms,
                    hot_batch **next);

/*
 * After a stop: hand off last (when it holds rows; waiting for room as
 * long as it takes: after the stop the insert thread gives up within
 * HOT_DRAIN_SEC), let the insert thread finish the queue (insert and ack,
 * or after the drain time nak; logged hot_drain_timeout), join it and free
 * every batch. w may be NULL. The ch_client is the caller's again.
 */
void hot_insert_finish(hot_insert *w, hot_batch *last);

#endif
