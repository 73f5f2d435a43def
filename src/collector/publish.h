/*
 * publish.h - the collector's NATS JetStream publisher (on when NATS_URL
 * is set): every committed row of the day files goes to the stream
 * NATS_STREAM as an HkTick (src/pipeline/tick.h), deduplicated by
 * Nats-Msg-Id. The SQLite day file is the outbox: the publisher reads what
 * the writer committed, on its own thread and its own read-only
 * connection, so the tick path never waits for NATS.
 *
 * Durable cursor: DATA_ROOT/_pipeline/cursor.json
 *   {"day":20260105,"rowid":12345,"inserted_at_ms":1767580200123,
 *    "saved_at_ms":1767580201000}
 * day and rowid name the last row of that day file whose PubAck arrived
 * with every row before it acknowledged too. Written (temp file, fsync,
 * rename, fsync of the directory) at most every NATS_CURSOR_SAVE_MS and at
 * stop. After a restart (even kill -9) or an outage the publisher re-sends
 * from the cursor; the stream's duplicate window drops the repeats.
 */
#ifndef HK_COLLECTOR_PUBLISH_H
#define HK_COLLECTOR_PUBLISH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "collector/config.h"
#include "svc/prom.h"

typedef struct publish_stats {
    atomic_llong published;  /* messages handed to js_PublishMsgAsync */
    atomic_llong acked;      /* PubAcks received (duplicates included) */
    atomic_llong duplicates; /* PubAcks with Duplicate set */
    atomic_llong failed;     /* publish calls or acks that failed */
    atomic_llong pending;    /* published, not yet acknowledged */
    atomic_llong lag_rows;   /* committed rows after the cursor */
    atomic_llong lag_ms;     /* age of the oldest row after the cursor */
    atomic_int connected;    /* 1 while the NATS connection is up */
} publish_stats;

struct publish_state; /* publish.c: connection, ring, cursor */

typedef struct publish {
    const config *cfg;
    bool enabled; /* NATS_URL set */
    bool started;
    pthread_t thread;
    int wake_fd; /* eventfd: the writer's commits, stop */
    atomic_bool stopping;
    atomic_llong stop_deadline_mono_ms;
    publish_stats st;
    struct publish_state *s; /* owned; publisher thread only */
} publish;

/*
 * Prepare p for cfg (which must outlive p). With publishing off
 * (NATS_URL empty) nothing is allocated and every other call is a no-op.
 * Returns 0, or -errno (p then needs only publish_free).
 */
int publish_init(publish *p, const config *cfg);
/* Start the thread (connects in the background). Returns 0 or -errno. */
int publish_start(publish *p);
/*
 * Called by the writer after each commit that inserted rows: wakes the
 * publisher. Never blocks (one eventfd write). ud is the publish.
 */
void publish_wake(void *ud);
/* Ask the thread to flush what it can and exit by deadline (monotonic
 * ms). Returns at once. */
void publish_stop(publish *p, int64_t deadline_mono_ms);
/* Wait for the thread (it honours the deadline given to publish_stop). */
void publish_join(publish *p);
void publish_free(publish *p);

/* Append the hk_nats_* metrics to b; nothing when publishing is off or p
 * is NULL. Reads atomics only (any thread). */
void publish_metrics(svc_buf *b, const publish *p);

#endif
