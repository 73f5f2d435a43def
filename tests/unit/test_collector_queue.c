/*
 * test_collector_queue.c - unit tests for collector/queue.c.
 *
 * Rows carry a running number in seq (and a derived value in volume), so
 * every take can be checked for exact order and content. Timing checks
 * assert only generous bounds (a wait lasts at least its timeout and ends
 * well within a second of it) so a loaded CI machine does not flake.
 *
 * Coverage: FIFO across wrap-around with pushes and takes of odd sizes;
 * a full queue accepting part of a push; take with timeout 0 on an empty
 * queue; timed waits; close and kick waking a blocked taker; close keeping
 * the rows; a producer and a consumer thread moving 1,000,000 rows.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collector/queue.h"
#include "common/hktime.h"

static row mk(int64_t n)
{
    row r;
    memset(&r, 0, sizeof(r));
    r.seq = n;
    r.volume = n * 3 + 1;
    r.ts_ms = 1709258400000LL + n;
    r.sym = (uint32_t)(n % 7);
    r.flags = ROW_HAS_SEQ;
    return r;
}

static void check(const row *r, int64_t n)
{
    if (r->seq != n)
        print_error("row seq %lld, want %lld\n", (long long)r->seq,
                    (long long)n);
    assert_int_equal(r->seq, n);
    assert_int_equal(r->volume, n * 3 + 1);
    assert_int_equal(r->ts_ms, 1709258400000LL + n);
    assert_int_equal(r->sym, (uint32_t)(n % 7));
}

static void test_init_free(void **state)
{
    queue q;
    (void)state;
    assert_int_equal(queue_init(&q, 16), 0);
    assert_int_equal(q.cap, 16);
    assert_int_equal(queue_len(&q), 0);
    queue_free(&q);
    assert_null(q.ring);
    queue_free(&q); /* second free is harmless */
}

static void test_fifo_wraparound(void **state)
{
    queue q;
    row in[16], out[16];
    int64_t next_in = 0, next_out = 0;
    (void)state;

    assert_int_equal(queue_init(&q, 10), 0);
    /* Sizes chosen so head and tail cross the end of the ring often. */
    static const size_t push_n[] = {3, 7, 4, 6, 1, 9, 5, 2, 8, 10};
    static const size_t take_n[] = {2, 6, 5, 4, 3, 9, 7, 1, 10, 8};
    for (int round = 0; round < 50; round++) {
        size_t pn = push_n[round % 10];
        size_t room = q.cap - queue_len(&q);
        size_t want = pn < room ? pn : room;
        for (size_t i = 0; i < pn; i++)
            in[i] = mk(next_in + (int64_t)i);
        assert_int_equal(queue_push(&q, in, pn), want);
        next_in += (int64_t)want;
        assert_int_equal(queue_len(&q), (size_t)(next_in - next_out));

        size_t tn = take_n[(round * 3) % 10];
        size_t have = queue_len(&q);
        size_t got = queue_take(&q, out, tn, 0);
        assert_int_equal(got, tn < have ? tn : have);
        for (size_t i = 0; i < got; i++)
            check(&out[i], next_out + (int64_t)i);
        next_out += (int64_t)got;
    }
    /* Drain the rest. */
    size_t got;
    while ((got = queue_take(&q, out, 16, 0)) > 0) {
        for (size_t i = 0; i < got; i++)
            check(&out[i], next_out + (int64_t)i);
        next_out += (int64_t)got;
    }
    assert_int_equal(next_out, next_in);
    assert_true(next_in > 100);
    queue_free(&q);
}

static void test_full_partial(void **state)
{
    queue q;
    row in[8], out[8];
    (void)state;

    assert_int_equal(queue_init(&q, 5), 0);
    for (int i = 0; i < 8; i++)
        in[i] = mk(i);
    assert_int_equal(queue_push(&q, in, 3), 3);
    assert_int_equal(queue_push(&q, in + 3, 5), 2); /* only 2 fit */
    assert_int_equal(queue_len(&q), 5);
    assert_int_equal(queue_push(&q, in + 5, 3), 0); /* full */
    assert_int_equal(queue_push(&q, in, 0), 0);
    assert_int_equal(queue_take(&q, out, 2, 0), 2);
    check(&out[0], 0);
    check(&out[1], 1);
    /* Wraps: 2 free slots at the start of the ring. */
    assert_int_equal(queue_push(&q, in + 5, 3), 2);
    assert_int_equal(queue_take(&q, out, 8, 0), 5);
    for (int i = 0; i < 5; i++)
        check(&out[i], i + 2);
    assert_int_equal(queue_len(&q), 0);
    queue_free(&q);
}

static void test_take_nowait_empty(void **state)
{
    queue q;
    row out[4];
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    int64_t t0 = hktime_mono_ms();
    assert_int_equal(queue_take(&q, out, 4, 0), 0);
    int64_t dt = hktime_mono_ms() - t0;
    assert_true(dt < 100);
    queue_free(&q);
}

static void test_take_timed_wait(void **state)
{
    queue q;
    row out[4];
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    int64_t t0 = hktime_mono_ms();
    assert_int_equal(queue_take(&q, out, 4, 150), 0);
    int64_t dt = hktime_mono_ms() - t0;
    if (dt < 150 || dt > 5000)
        print_error("waited %lld ms for a 150 ms timeout\n", (long long)dt);
    assert_true(dt >= 150);
    assert_true(dt < 5000);
    /* A timeout with a second boundary in it (1000 + ms part). */
    t0 = hktime_mono_ms();
    assert_int_equal(queue_take(&q, out, 4, 1020), 0);
    dt = hktime_mono_ms() - t0;
    assert_true(dt >= 1020);
    assert_true(dt < 6000);
    queue_free(&q);
}

struct taker {
    queue *q;
    int timeout;
    size_t got;
    int64_t first_seq;
    int64_t ms;
    atomic_int started;
};

static void *taker_main(void *arg)
{
    struct taker *t = arg;
    row out[4];
    atomic_store(&t->started, 1);
    int64_t t0 = hktime_mono_ms();
    t->got = queue_take(t->q, out, 4, t->timeout);
    t->ms = hktime_mono_ms() - t0;
    t->first_seq = t->got ? out[0].seq : -1;
    return NULL;
}

/* Wait until the taker is blocked inside queue_take. */
static void wait_blocked(queue *q, struct taker *t)
{
    for (int i = 0; i < 5000; i++) {
        bool w;
        pthread_mutex_lock(&q->mu);
        w = q->waiting;
        pthread_mutex_unlock(&q->mu);
        if (w && atomic_load(&t->started))
            return;
        usleep(1000);
    }
    fail_msg("taker never blocked");
}

static void test_close_wakes_taker(void **state)
{
    queue q;
    pthread_t th;
    struct taker t = {.timeout = -1};
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    t.q = &q;
    assert_int_equal(pthread_create(&th, NULL, taker_main, &t), 0);
    wait_blocked(&q, &t);
    usleep(50 * 1000);
    queue_close(&q);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 0);
    /* Closed: takes no longer wait, even with a timeout. */
    row out[2];
    int64_t t0 = hktime_mono_ms();
    assert_int_equal(queue_take(&q, out, 2, 2000), 0);
    assert_true(hktime_mono_ms() - t0 < 1000);
    queue_free(&q);
}

static void test_close_keeps_rows(void **state)
{
    queue q;
    row in[3] = {mk(0), mk(1), mk(2)};
    row out[3];
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    assert_int_equal(queue_push(&q, in, 3), 3);
    queue_close(&q);
    assert_int_equal(queue_len(&q), 3);
    assert_int_equal(queue_take(&q, out, 3, -1), 3);
    for (int i = 0; i < 3; i++)
        check(&out[i], i);
    queue_free(&q);
}

static void test_push_wakes_taker(void **state)
{
    queue q;
    pthread_t th;
    struct taker t = {.timeout = 10000};
    row r = mk(42);
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    t.q = &q;
    assert_int_equal(pthread_create(&th, NULL, taker_main, &t), 0);
    wait_blocked(&q, &t);
    assert_int_equal(queue_push(&q, &r, 1), 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 1);
    assert_int_equal(t.first_seq, 42);
    assert_true(t.ms < 5000);
    queue_free(&q);
}

static void test_kick_wakes_taker(void **state)
{
    queue q;
    pthread_t th;
    struct taker t = {.timeout = -1};
    (void)state;

    assert_int_equal(queue_init(&q, 4), 0);
    t.q = &q;
    assert_int_equal(pthread_create(&th, NULL, taker_main, &t), 0);
    wait_blocked(&q, &t);
    queue_kick(&q);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(t.got, 0);
    assert_false(q.closed); /* a kick does not close */
    queue_kick(&q);         /* nobody waiting: no effect */
    row r = mk(1), out;
    assert_int_equal(queue_push(&q, &r, 1), 1);
    assert_int_equal(queue_take(&q, &out, 1, 0), 1);
    check(&out, 1);
    queue_free(&q);
}

#define MOVE_ROWS 1000000

struct prod {
    queue *q;
    long long spins;
};

static void *producer_main(void *arg)
{
    struct prod *p = arg;
    row buf[97];
    int64_t next = 0;
    while (next < MOVE_ROWS) {
        size_t n = 97;
        if ((int64_t)n > MOVE_ROWS - next)
            n = (size_t)(MOVE_ROWS - next);
        for (size_t i = 0; i < n; i++)
            buf[i] = mk(next + (int64_t)i);
        size_t done = 0;
        while (done < n) {
            size_t k = queue_push(p->q, buf + done, n - done);
            done += k;
            if (k == 0) {
                p->spins++;
                sched_yield();
            }
        }
        next += (int64_t)n;
    }
    queue_close(p->q);
    return NULL;
}

static void test_threads_million(void **state)
{
    queue q;
    pthread_t th;
    struct prod p = {0};
    row *out = malloc(500 * sizeof(row));
    int64_t next = 0;
    long long bad = 0;
    (void)state;

    assert_non_null(out);
    assert_int_equal(queue_init(&q, 4096), 0);
    p.q = &q;
    assert_int_equal(pthread_create(&th, NULL, producer_main, &p), 0);
    for (;;) {
        size_t got = queue_take(&q, out, 500, 1000);
        if (got == 0) {
            bool closed;
            pthread_mutex_lock(&q.mu);
            closed = q.closed && q.len == 0;
            pthread_mutex_unlock(&q.mu);
            if (closed)
                break;
            continue;
        }
        for (size_t i = 0; i < got; i++) {
            if (out[i].seq != next || out[i].volume != next * 3 + 1)
                bad++;
            next++;
        }
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(bad, 0);
    assert_int_equal(next, MOVE_ROWS);
    assert_int_equal(queue_len(&q), 0);
    free(out);
    queue_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_free),
        cmocka_unit_test(test_fifo_wraparound),
        cmocka_unit_test(test_full_partial),
        cmocka_unit_test(test_take_nowait_empty),
        cmocka_unit_test(test_take_timed_wait),
        cmocka_unit_test(test_close_wakes_taker),
        cmocka_unit_test(test_close_keeps_rows),
        cmocka_unit_test(test_push_wakes_taker),
        cmocka_unit_test(test_kick_wakes_taker),
        cmocka_unit_test(test_threads_million),
    };

    return cmocka_run_group_tests_name("collector_queue", tests, NULL, NULL);
}
