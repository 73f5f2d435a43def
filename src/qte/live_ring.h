/*
 * live_ring.h - the live feed's hand-off between the NATS delivery
 * thread (producer) and the replay thread (consumer): a bounded FIFO of
 * ticks with one mutex, where a full ring is a return code and a counted
 * drop, never growth (STYLE 13).
 *
 * Lock order: a caller holding the engine's ctl_mu may take the ring's
 * mutex (queue clear); the ring never calls out while holding it.
 */
#ifndef HK_QTE_LIVE_RING_H
#define HK_QTE_LIVE_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "qte/strategy.h"

/* One waiting trade: the tick (symbol pointer borrowed from the engine's
 * symbol table) and its trading day (YYYYMMDD). */
typedef struct qte_live_item {
    qte_tick t;
    int day;
} qte_live_item;

typedef struct qte_live_ring {
    pthread_mutex_t mu; /* guards slots, head, n */
    qte_live_item *slots;
    uint32_t cap;
    uint32_t head; /* oldest */
    uint32_t n;
    _Atomic uint64_t size_pub; /* n, readable without the lock */
    _Atomic uint64_t dropped;  /* pushes refused because the ring was full */
    _Atomic uint64_t cleared;  /* items removed by qte_live_ring_clear */
} qte_live_ring;

/* Allocate cap (>= 1) slots. Returns 0, or -ENOMEM / -EINVAL (r then
 * needs no free). */
int qte_live_ring_init(qte_live_ring *r, uint32_t cap);
/* Free the slots and the mutex; r may be initialised again. */
void qte_live_ring_free(qte_live_ring *r);
/* Copy *it in at the tail. Returns 0, or -ENOSPC when full (the item is
 * not stored and `dropped` counts it). Any thread. */
int qte_live_ring_push(qte_live_ring *r, const qte_live_item *it);
/* Copy the oldest item out and remove it. Returns 1, or 0 when empty.
 * Any thread. */
int qte_live_ring_pop(qte_live_ring *r, qte_live_item *it);
/* Remove every waiting item; returns how many (also added to `cleared`).
 * Any thread. */
uint64_t qte_live_ring_clear(qte_live_ring *r);
/* Items waiting now (a snapshot). Any thread. */
uint64_t qte_live_ring_size(const qte_live_ring *r);

#endif
