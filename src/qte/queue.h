/*
 * queue.h - the engine's bounded event queue: market data, timer, order
 * and fill events in one FIFO ring of fixed capacity.
 *
 * Single-threaded: only the replay thread pushes and pops (manual orders
 * from HTTP threads arrive through the engine's inbox, which has its own
 * mutex). The size and the enqueue time of the head are mirrored into
 * atomics so other threads can read /admin/queue/status without a lock.
 * A full queue is a return code (-ENOSPC), never growth.
 */
#ifndef HK_QTE_QUEUE_H
#define HK_QTE_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "qte/engine.h"

typedef struct qte_event {
    qte_event_kind kind;
    int sym;
    int64_t ts_ms;       /* replay time of the event */
    int64_t price_milli; /* tick */
    int64_t volume;      /* tick */
    int64_t seq;         /* tick */
    int64_t id;          /* timer id, order id, fill's order id */
    int64_t qty;         /* fill */
    int64_t fees_milli;  /* fill */
    int64_t remaining;   /* fill */
    int side;            /* fill */
    int inbox;           /* order: inbox slot of a manual order, else -1 */
    int status;          /* order update: qte_order_status */
    int reason;          /* order update: qte_reason */
    bool new_day;        /* tick: first of a later day file */
    int day;             /* tick: its day file (YYYYMMDD) */
    int64_t enq_ns;      /* monotonic time of the push */
} qte_event;

typedef struct qte_queue {
    qte_event *ring;
    uint32_t cap;
    uint32_t head; /* next to pop */
    uint32_t n;
    _Atomic uint64_t size_pub;   /* n, for other threads */
    _Atomic int64_t head_enq_ns; /* enq_ns of the head, 0 when empty */
} qte_queue;

/* Allocate cap slots. Returns 0 or -ENOMEM (q needs no free then). */
int queue_init(qte_queue *q, uint32_t cap);
void queue_free(qte_queue *q);
/* Copy *ev in at the tail. Returns 0 or -ENOSPC. */
int queue_push(qte_queue *q, const qte_event *ev);
/* Copy the head out and remove it. Returns 1, or 0 when empty. */
int queue_pop(qte_queue *q, qte_event *ev);
/* Remove every event of kind; returns how many. */
int queue_drop_kind(qte_queue *q, qte_event_kind kind);

#endif
