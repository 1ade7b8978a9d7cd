/* Unit tests for core/queue.c: byte accounting, the three on_full policies, waking blocked
 * producers exactly once, and a multi-threaded run where nothing is lost or duplicated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "model.h"
#include "queue.h"

struct test_waiter {
    struct ls_queue_waiter w; /* first */
    int wakes;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void test_wake(struct ls_queue_waiter *w)
{
    struct test_waiter *t = (struct test_waiter *)w;

    pthread_mutex_lock(&t->mu);
    t->wakes++;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static void waiter_init(struct test_waiter *t)
{
    memset(t, 0, sizeof *t);
    t->w.wake = test_wake;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
}

static struct ls_batch *batch_of(int nrec, uint64_t tag)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    char line[32];

    for (int i = 0; i < nrec; i++) {
        int n = snprintf(line, sizeof line, "%llu:%d", (unsigned long long)tag, i);
        ls_batch_append(b, line, (size_t)n, NULL, 0);
    }
    return b;
}

static void check_invariants(struct ls_queue *q)
{
    size_t bytes = 0;

    pthread_mutex_lock(&q->mu);
    for (size_t i = 0; i < q->count; i++) {
        bytes += q->ring[(q->head + i) % q->cap]->mem;
    }
    assert_true(bytes <= q->bytes); /* in-flight batches count too */
    assert_true(q->count <= q->cap || q->cap == 0);
    pthread_mutex_unlock(&q->mu);
}

static void test_fifo_and_accounting(void **state)
{
    struct ls_queue q;
    struct test_waiter tw;
    size_t ev;
    struct ls_batch *b[3], *p;

    (void)state;
    waiter_init(&tw);
    ls_queue_init(&q, 1 << 30, LS_ON_FULL_BLOCK);
    for (int i = 0; i < 3; i++) {
        b[i] = batch_of(i + 1, (uint64_t)i);
        assert_int_equal(ls_queue_push(&q, b[i], &tw.w, &ev), LS_PUSH_OK);
        assert_int_equal(ev, 0);
        check_invariants(&q);
    }
    assert_int_equal(ls_queue_bytes(&q), b[0]->mem + b[1]->mem + b[2]->mem);
    for (int i = 0; i < 3; i++) {
        p = ls_queue_pop(&q);
        assert_ptr_equal(p, b[i]);
        assert_int_equal(ls_queue_count(&q), (size_t)(3 - i)); /* popped, not done: counted */
        ls_queue_done(&q, p->mem);
        ls_batch_unref(p);
        check_invariants(&q);
    }
    assert_null(ls_queue_pop(&q));
    assert_int_equal(ls_queue_bytes(&q), 0);
    assert_int_equal(ls_queue_count(&q), 0);
    assert_int_equal(tw.wakes, 0);
    ls_queue_release(&q);
}

static void test_block_registers_and_wakes_once(void **state)
{
    struct ls_queue q;
    struct test_waiter tw;
    size_t ev;
    struct ls_batch *b1 = batch_of(10, 1), *b2 = batch_of(10, 2), *p;

    (void)state;
    waiter_init(&tw);
    ls_queue_init(&q, b1->mem + b2->mem / 2, LS_ON_FULL_BLOCK);
    assert_int_equal(ls_queue_push(&q, b1, &tw.w, &ev), LS_PUSH_OK);
    /* over the bound: still accepted (it was read already), but the producer must stop */
    assert_int_equal(ls_queue_push(&q, b2, &tw.w, &ev), LS_PUSH_FULL);
    assert_true(tw.w.waiting);
    assert_int_equal(ls_queue_count(&q), 2);
    /* a second push while waiting is accepted but does not register (or count) twice */
    struct ls_batch *b3 = batch_of(1, 3);
    assert_int_equal(ls_queue_push(&q, b3, &tw.w, &ev), LS_PUSH_OK);
    p = ls_queue_pop(&q);
    ls_queue_done(&q, p->mem);
    ls_batch_unref(p);
    assert_int_equal(tw.wakes, 0); /* still above the bound */
    p = ls_queue_pop(&q);
    ls_queue_done(&q, p->mem);
    ls_batch_unref(p);
    assert_int_equal(tw.wakes, 1);
    assert_false(tw.w.waiting);
    p = ls_queue_pop(&q);
    ls_queue_done(&q, p->mem);
    ls_batch_unref(p);
    assert_int_equal(tw.wakes, 1);
    ls_queue_release(&q);
}

static void test_datagram_producer_dropped_when_full(void **state)
{
    struct ls_queue q;
    size_t ev;
    struct ls_batch *b1 = batch_of(10, 1), *b2 = batch_of(10, 2);

    (void)state;
    ls_queue_init(&q, b1->mem, LS_ON_FULL_BLOCK);
    assert_int_equal(ls_queue_push(&q, b1, NULL, &ev), LS_PUSH_OK);
    assert_int_equal(ls_queue_push(&q, b2, NULL, &ev), LS_PUSH_DROPPED);
    ls_batch_unref(b2); /* refused: still the caller's */
    assert_int_equal(ls_queue_count(&q), 1);
    ls_queue_release(&q);
}

static void test_drop_newest(void **state)
{
    struct ls_queue q;
    struct test_waiter tw;
    size_t ev;
    struct ls_batch *b1 = batch_of(10, 1), *b2 = batch_of(10, 2);

    (void)state;
    waiter_init(&tw);
    ls_queue_init(&q, b1->mem + 1, LS_ON_FULL_DROP_NEWEST);
    assert_int_equal(ls_queue_push(&q, b1, &tw.w, &ev), LS_PUSH_OK);
    assert_int_equal(ls_queue_push(&q, b2, &tw.w, &ev), LS_PUSH_DROPPED);
    assert_false(tw.w.waiting);
    ls_batch_unref(b2);
    assert_ptr_equal(ls_queue_pop(&q), b1);
    ls_queue_done(&q, b1->mem);
    ls_batch_unref(b1);
    ls_queue_release(&q);
}

static void test_drop_oldest_evicts_queued_not_inflight(void **state)
{
    struct ls_queue q;
    struct test_waiter tw;
    size_t ev;
    struct ls_batch *b1 = batch_of(10, 1), *b2 = batch_of(7, 2), *b3 = batch_of(10, 3);
    struct ls_batch *p;

    (void)state;
    waiter_init(&tw);
    ls_queue_init(&q, b1->mem + b2->mem, LS_ON_FULL_DROP_OLDEST);
    assert_int_equal(ls_queue_push(&q, b1, &tw.w, &ev), LS_PUSH_OK);
    p = ls_queue_pop(&q); /* b1 in flight */
    assert_ptr_equal(p, b1);
    assert_int_equal(ls_queue_push(&q, b2, &tw.w, &ev), LS_PUSH_OK);
    assert_int_equal(ls_queue_push(&q, b3, &tw.w, &ev), LS_PUSH_OK);
    assert_int_equal(ev, 7); /* b2 evicted, b1 untouched */
    ls_queue_done(&q, p->mem);
    ls_batch_unref(p);
    assert_ptr_equal(ls_queue_pop(&q), b3);
    ls_queue_done(&q, b3->mem);
    ls_batch_unref(b3);
    assert_int_equal(ls_queue_bytes(&q), 0);
    ls_queue_release(&q);
}

static void test_forget(void **state)
{
    struct ls_queue q;
    struct test_waiter tw;
    size_t ev;
    struct ls_batch *b1 = batch_of(10, 1), *p;

    (void)state;
    waiter_init(&tw);
    ls_queue_init(&q, 1, LS_ON_FULL_BLOCK);
    assert_int_equal(ls_queue_push(&q, b1, &tw.w, &ev), LS_PUSH_FULL);
    assert_int_equal(ls_queue_forget(&q, &tw.w), 1);
    assert_int_equal(ls_queue_forget(&q, &tw.w), 0);
    p = ls_queue_pop(&q);
    ls_queue_done(&q, p->mem);
    ls_batch_unref(p);
    assert_int_equal(tw.wakes, 0); /* forgotten waiters are never woken */
    ls_queue_release(&q);
}

/* Two producers that block like stream inputs, one consumer: every record exactly once. */
#define PER_PRODUCER 2000

struct producer {
    struct ls_queue *q;
    struct test_waiter tw;
    uint64_t id;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    size_t ev;

    for (int i = 0; i < PER_PRODUCER; i++) {
        struct ls_batch *b = batch_of(3, p->id * 1000000 + (uint64_t)i);
        pthread_mutex_lock(&p->tw.mu);
        int before = p->tw.wakes;
        pthread_mutex_unlock(&p->tw.mu);
        if (ls_queue_push(p->q, b, &p->tw.w, &ev) == LS_PUSH_FULL) {
            pthread_mutex_lock(&p->tw.mu);
            while (p->tw.wakes == before) {
                pthread_cond_wait(&p->tw.cv, &p->tw.mu);
            }
            pthread_mutex_unlock(&p->tw.mu);
        }
    }
    return NULL;
}

static void test_threads_nothing_lost(void **state)
{
    struct ls_queue q;
    struct producer prod[2];
    pthread_t t[2];
    char *seen = calloc(2 * PER_PRODUCER, 1);
    size_t got = 0;
    size_t max_seen = 0;
    struct ls_batch *probe = batch_of(3, 1);

    (void)state;
    ls_queue_init(&q, probe->mem * 4, LS_ON_FULL_BLOCK);
    ls_batch_unref(probe);
    for (int i = 0; i < 2; i++) {
        prod[i].q = &q;
        prod[i].id = (uint64_t)i;
        waiter_init(&prod[i].tw);
        pthread_create(&t[i], NULL, produce, &prod[i]);
    }
    while (got < 2 * PER_PRODUCER) {
        struct ls_batch *b = ls_queue_pop(&q);
        if (!b) {
            continue;
        }
        size_t bytes = ls_queue_bytes(&q);
        if (bytes > max_seen) {
            max_seen = bytes;
        }
        unsigned long long tag = strtoull(ls_batch_record(b, 0)->raw.ptr, NULL, 10);
        size_t idx = (size_t)(tag / 1000000) * PER_PRODUCER + (size_t)(tag % 1000000);
        assert_true(idx < 2 * PER_PRODUCER);
        assert_int_equal(seen[idx], 0);
        seen[idx] = 1;
        got++;
        ls_queue_done(&q, b->mem);
        ls_batch_unref(b);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    /* bounded: at most the bound plus one batch per producer past it */
    assert_true(max_seen <= q.max_bytes + 2 * (q.max_bytes / 4) + 1024);
    assert_int_equal(ls_queue_bytes(&q), 0);
    free(seen);
    ls_queue_release(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_and_accounting),
        cmocka_unit_test(test_block_registers_and_wakes_once),
        cmocka_unit_test(test_datagram_producer_dropped_when_full),
        cmocka_unit_test(test_drop_newest),
        cmocka_unit_test(test_drop_oldest_evicts_queued_not_inflight),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_threads_nothing_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
