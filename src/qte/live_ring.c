/*
 * live_ring.c - bounded FIFO between the NATS delivery thread and the
 * replay thread (contract in live_ring.h).
 *
 * slots[head] is the oldest item, slots[(head + n) % cap] the next free
 * one. Every operation takes mu for a copy of one item (or a reset), so
 * the producer never waits on the consumer's work. size_pub mirrors n
 * after every change for /metrics readers; dropped and cleared are
 * monotonic counters. Nothing allocates after qte_live_ring_init.
 */
#include "qte/live_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qte_live_ring_init(qte_live_ring *r, uint32_t cap)
{
    memset(r, 0, sizeof(*r));
    if (cap == 0)
        return -EINVAL;
    r->slots = calloc(cap, sizeof(*r->slots));
    if (!r->slots)
        return -ENOMEM;
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        free(r->slots);
        r->slots = NULL;
        return -ENOMEM;
    }
    r->cap = cap;
    return 0;
}

void qte_live_ring_free(qte_live_ring *r)
{
    if (!r->slots)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->slots);
    r->slots = NULL;
}

int qte_live_ring_push(qte_live_ring *r, const qte_live_item *it)
{
    pthread_mutex_lock(&r->mu);
    if (r->n == r->cap) {
        pthread_mutex_unlock(&r->mu);
        atomic_fetch_add(&r->dropped, 1);
        return -ENOSPC;
    }
    uint32_t i = r->head + r->n;
    if (i >= r->cap)
        i -= r->cap;
    r->slots[i] = *it;
    r->n++;
    atomic_store_explicit(&r->size_pub, r->n, memory_order_relaxed);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

int qte_live_ring_pop(qte_live_ring *r, qte_live_item *it)
{
    pthread_mutex_lock(&r->mu);
    if (r->n == 0) {
        pthread_mutex_unlock(&r->mu);
        return 0;
    }
    *it = r->slots[r->head];
    r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
    r->n--;
    atomic_store_explicit(&r->size_pub, r->n, memory_order_relaxed);
    pthread_mutex_unlock(&r->mu);
    return 1;
}

uint64_t qte_live_ring_clear(qte_live_ring *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t n = r->n;
    r->head = 0;
    r->n = 0;
    atomic_store_explicit(&r->size_pub, 0, memory_order_relaxed);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->cleared, n);
    return n;
}

uint64_t qte_live_ring_size(const qte_live_ring *r)
{
    return atomic_load_explicit(&r->size_pub, memory_order_relaxed);
}
