/*
 * queue.c - the ring buffer behind queue.h.
 *
 * Invariants: 0 <= len <= cap; rows occupy [head, head+len) modulo cap;
 * head is 0 whenever len is 0 (see queue_take).
 * Threads: queue_push from the event thread, queue_take from the writer;
 * every field is guarded by mu.
 */
#include "collector/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int queue_init(queue *q, size_t cap)
{
    pthread_condattr_t ca;

    memset(q, 0, sizeof(*q));
    q->ring = malloc(cap * sizeof(row));
    if (!q->ring)
        return -ENOMEM;
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

void queue_free(queue *q)
{
    if (!q->ring)
        return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cond);
    free(q->ring);
    memset(q, 0, sizeof(*q));
}

size_t queue_push(queue *q, const row *rows, size_t n)
{
    size_t done = 0;

    pthread_mutex_lock(&q->mu);
    while (done < n && q->len < q->cap) {
        size_t tail = (q->head + q->len) % q->cap;
        size_t room = q->cap - q->len;
        size_t contig = q->cap - tail;
        size_t k = n - done;
        if (k > room)
            k = room;
        if (k > contig)
            k = contig;
        memcpy(&q->ring[tail], rows + done, k * sizeof(row));
        q->len += k;
        done += k;
    }
    if (done > 0 && q->waiting)
        pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->mu);
    return done;
}

size_t queue_take(queue *q, row *out, size_t max, int timeout_ms)
{
    size_t done = 0;

    pthread_mutex_lock(&q->mu);
    if (q->len == 0 && !q->closed && timeout_ms != 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if (timeout_ms > 0) {
            ts.tv_sec += timeout_ms / 1000;
            ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
        }
        q->waiting = true;
        while (q->len == 0 && !q->closed) {
            int rc = timeout_ms > 0
                         ? pthread_cond_timedwait(&q->cond, &q->mu, &ts)
                         : pthread_cond_wait(&q->cond, &q->mu);
            if (rc == ETIMEDOUT)
                break;
            if (q->len == 0 && !q->closed && rc == 0 && q->waiting == false)
                break; /* kicked */
        }
        q->waiting = false;
    }
    while (done < max && q->len > 0) {
        size_t contig = q->cap - q->head;
        size_t k = max - done;
        if (k > q->len)
            k = q->len;
        if (k > contig)
            k = contig;
        memcpy(out + done, &q->ring[q->head], k * sizeof(row));
        q->head = (q->head + k) % q->cap;
        q->len -= k;
        done += k;
    }
    /* Empty: restart at slot 0, so a queue that never gets deep keeps
     * touching the same few pages instead of cycling through (and making
     * resident) its whole capacity. */
    if (q->len == 0)
        q->head = 0;
    pthread_mutex_unlock(&q->mu);
    return done;
}

size_t queue_len(queue *q)
{
    size_t n;
    pthread_mutex_lock(&q->mu);
    n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void queue_close(queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

void queue_kick(queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->waiting) {
        q->waiting = false;
        pthread_cond_broadcast(&q->cond);
    }
    pthread_mutex_unlock(&q->mu);
}
