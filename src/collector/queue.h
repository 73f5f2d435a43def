/*
 * queue.h - bounded row queue between the event thread and the writer.
 *
 * A ring of `cap` rows with one mutex and one condition variable (lock
 * order: queue.mu is a leaf; never take another lock while holding it).
 * The producer copies rows in; a full queue is a return code (the caller
 * spools the rest), never growth. The consumer copies up to `max` rows out
 * under the lock and does its SQLite work unlocked.
 */
#ifndef HK_COLLECTOR_QUEUE_H
#define HK_COLLECTOR_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "collector/row.h"

typedef struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    row *ring;
    size_t cap;
    size_t head; /* next to take */
    size_t len;
    bool closed;
    bool waiting; /* consumer is blocked in queue_take */
} queue;

/* Returns 0 or -ENOMEM. */
int queue_init(queue *q, size_t cap);
void queue_free(queue *q);

/* Copy up to n rows in; returns how many fit (0..n). */
size_t queue_push(queue *q, const row *rows, size_t n);

/*
 * Copy up to max rows out into out. Waits up to timeout_ms (0 = do not
 * wait, <0 = forever) while empty and not closed. Returns the count.
 */
size_t queue_take(queue *q, row *out, size_t max, int timeout_ms);

/* Current length (locks). */
size_t queue_len(queue *q);
/* Wake the consumer and make queue_take stop waiting (rows stay). */
void queue_close(queue *q);
/* Wake a waiting consumer without closing. */
void queue_kick(queue *q);

#endif
