/*
 * test_qte_live_ring.c - the live feed's ring (src/qte/live_ring.c):
 * FIFO order across the wrap, bounded (a full ring refuses and counts the
 * drop, nothing is overwritten), clear returns and counts what it removed,
 * and a producer thread racing a consumer loses nothing it was not told
 * about (pushed = popped + dropped). Plus the live functions of feed.h
 * on a feed that is not live (stats refused and zeroed, clear is 0).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qte/feed.h"
#include "qte/live_ring.h"

static qte_live_item item(int64_t i)
{
    qte_live_item it;
    memset(&it, 0, sizeof(it));
    it.t.ts_ms = 1000 + i;
    it.t.seq = i;
    it.t.price_milli = 350000 + i;
    it.day = 20260105;
    return it;
}

static void test_fifo_wrap(void **state)
{
    (void)state;
    qte_live_ring r;
    assert_int_equal(qte_live_ring_init(&r, 4), 0);
    qte_live_item out;
    int64_t next_in = 0;
    int64_t next_out = 0;
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < 3; k++) {
            qte_live_item it = item(next_in++);
            assert_int_equal(qte_live_ring_push(&r, &it), 0);
        }
        assert_int_equal(qte_live_ring_size(&r), 3);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(qte_live_ring_pop(&r, &out), 1);
            assert_int_equal(out.t.seq, next_out);
            assert_int_equal(out.t.ts_ms, 1000 + next_out);
            assert_int_equal(out.day, 20260105);
            next_out++;
        }
    }
    assert_int_equal(qte_live_ring_pop(&r, &out), 0);
    assert_int_equal(atomic_load(&r.dropped), 0);
    qte_live_ring_free(&r);
}

static void test_full_drops_counted(void **state)
{
    (void)state;
    qte_live_ring r;
    assert_int_equal(qte_live_ring_init(&r, 3), 0);
    for (int i = 0; i < 5; i++) {
        qte_live_item it = item(i);
        assert_int_equal(qte_live_ring_push(&r, &it), i < 3 ? 0 : -ENOSPC);
    }
    assert_int_equal(atomic_load(&r.dropped), 2);
    assert_int_equal(qte_live_ring_size(&r), 3);
    qte_live_item out;
    for (int i = 0; i < 3; i++) { /* the oldest kept, not overwritten */
        assert_int_equal(qte_live_ring_pop(&r, &out), 1);
        assert_int_equal(out.t.seq, i);
    }
    qte_live_ring_free(&r);
    assert_int_equal(qte_live_ring_init(&r, 0), -EINVAL);
}

static void test_clear(void **state)
{
    (void)state;
    qte_live_ring r;
    assert_int_equal(qte_live_ring_init(&r, 8), 0);
    for (int i = 0; i < 6; i++) {
        qte_live_item it = item(i);
        assert_int_equal(qte_live_ring_push(&r, &it), 0);
    }
    qte_live_item out;
    assert_int_equal(qte_live_ring_pop(&r, &out), 1);
    assert_int_equal(qte_live_ring_clear(&r), 5);
    assert_int_equal(qte_live_ring_size(&r), 0);
    assert_int_equal(qte_live_ring_pop(&r, &out), 0);
    assert_int_equal(qte_live_ring_clear(&r), 0);
    assert_int_equal(atomic_load(&r.cleared), 5);
    qte_live_item it = item(42); /* usable after a clear */
    assert_int_equal(qte_live_ring_push(&r, &it), 0);
    assert_int_equal(qte_live_ring_pop(&r, &out), 1);
    assert_int_equal(out.t.seq, 42);
    qte_live_ring_free(&r);
}

#define RACE_N 200000

static void *producer(void *arg)
{
    qte_live_ring *r = arg;
    for (int64_t i = 0; i < RACE_N; i++) {
        qte_live_item it = item(i);
        qte_live_ring_push(r, &it);
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    qte_live_ring r;
    assert_int_equal(qte_live_ring_init(&r, 64), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, producer, &r), 0);
    uint64_t popped = 0;
    int64_t last = -1;
    qte_live_item out;
    for (;;) {
        if (qte_live_ring_pop(&r, &out)) {
            assert_true(out.t.seq > last); /* order kept, nothing twice */
            last = out.t.seq;
            popped++;
            continue;
        }
        if (popped + atomic_load(&r.dropped) == RACE_N)
            break;
    }
    pthread_join(th, NULL);
    assert_int_equal(popped + atomic_load(&r.dropped), RACE_N);
    qte_live_ring_free(&r);
}

static void test_feed_not_live(void **state)
{
    (void)state;
    qte_feed f;
    memset(&f, 0, sizeof(f));
    qte_live_stats st;
    st.received = 7;
    assert_int_equal(qte_feed_live_stats(&f, &st), -1);
    assert_int_equal(st.received, 0);
    assert_int_equal(qte_feed_live_clear(&f), 0);
    assert_int_equal(qte_feed_live_stats(NULL, &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_wrap),
        cmocka_unit_test(test_full_drops_counted),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_race),
        cmocka_unit_test(test_feed_not_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
