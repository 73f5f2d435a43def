/*
 * queue.c - fixed ring of events (see queue.h). head indexes the oldest
 * event, (head + n) % cap the next free slot; push and pop copy by value,
 * so nothing allocates after queue_init. An emptied ring restarts at slot
 * 0: a replay pushes one event and pops it, over and over, and would
 * otherwise walk the whole ring (MiBs) through the cache. Replay thread
 * only; the two
 * atomics are published after every change for readers elsewhere.
 */
#include "qte/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int queue_init(qte_queue *q, uint32_t cap)
{
    memset(q, 0, sizeof(*q));
    q->ring = calloc(cap ? cap : 1, sizeof(*q->ring));
    if (!q->ring)
        return -ENOMEM;
    q->cap = cap ? cap : 1;
    return 0;
}

void queue_free(qte_queue *q)
{
    free(q->ring);
    q->ring = NULL;
}

static void publish(qte_queue *q)
{
    atomic_store_explicit(&q->size_pub, q->n, memory_order_relaxed);
    atomic_store_explicit(&q->head_enq_ns, q->n ? q->ring[q->head].enq_ns : 0,
                          memory_order_relaxed);
}

int queue_push(qte_queue *q, const qte_event *ev)
{
    if (q->n == q->cap)
        return -ENOSPC;
    uint32_t i = q->head + q->n;
    if (i >= q->cap)
        i -= q->cap;
    q->ring[i] = *ev;
    q->n++;
    if (q->n == 1)
        publish(q);
    else
        atomic_store_explicit(&q->size_pub, q->n, memory_order_relaxed);
    return 0;
}

int queue_pop(qte_queue *q, qte_event *ev)
{
    if (q->n == 0)
        return 0;
    *ev = q->ring[q->head];
    q->head = q->head + 1 == q->cap ? 0 : q->head + 1;
    q->n--;
    if (q->n == 0)
        q->head = 0; /* empty: refill from slot 0, which stays in cache */
    publish(q);
    return 1;
}

int queue_drop_kind(qte_queue *q, qte_event_kind kind)
{
    uint32_t kept = 0;
    int dropped = 0;
    for (uint32_t k = 0; k < q->n; k++) {
        uint32_t i = (q->head + k) % q->cap;
        if (q->ring[i].kind == kind) {
            dropped++;
            continue;
        }
        q->ring[(q->head + kept) % q->cap] = q->ring[i];
        kept++;
    }
    q->n = kept;
    publish(q);
    return dropped;
}
