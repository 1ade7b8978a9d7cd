/* queue.c - bounded MPSC batch queue with backpressure; see queue.h. */
#include "queue.h"

#include <stdlib.h>

#include "model.h"
#include "util.h"

void ls_queue_init(struct ls_queue *q, size_t max_bytes, int on_full)
{
    pthread_mutex_init(&q->mu, NULL);
    q->ring = NULL;
    q->head = q->count = q->cap = 0;
    q->bytes = 0;
    q->inflight = 0;
    q->max_bytes = max_bytes;
    q->on_full = on_full;
    q->waiters = NULL;
    q->notify = NULL;
    q->notify_arg = NULL;
}

void ls_queue_release(struct ls_queue *q)
{
    struct ls_batch *b;

    while ((b = ls_queue_pop(q)) != NULL) {
        ls_batch_unref(b);
    }
    free(q->ring);
    q->ring = NULL;
    pthread_mutex_destroy(&q->mu);
}

static void ring_put(struct ls_queue *q, struct ls_batch *b)
{
    if (q->count == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 16;
        struct ls_batch **nr = ls_xmalloc(ncap * sizeof *nr);
        for (size_t i = 0; i < q->count; i++) {
            nr[i] = q->ring[(q->head + i) % q->cap];
        }
        free(q->ring);
        q->ring = nr;
        q->head = 0;
        q->cap = ncap;
    }
    q->ring[(q->head + q->count) % q->cap] = b;
    q->count++;
}

static struct ls_batch *ring_take(struct ls_queue *q)
{
    struct ls_batch *b;

    if (q->count == 0) {
        return NULL;
    }
    b = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return b;
}

int ls_queue_push(struct ls_queue *q, struct ls_batch *b, struct ls_queue_waiter *w,
                  size_t *evicted_records)
{
    int res = LS_PUSH_OK;

    *evicted_records = 0;
    pthread_mutex_lock(&q->mu);
    if (q->bytes + b->mem > q->max_bytes && q->bytes > 0) {
        if (q->on_full == LS_ON_FULL_DROP_NEWEST || (q->on_full == LS_ON_FULL_BLOCK && !w)) {
            pthread_mutex_unlock(&q->mu);
            return LS_PUSH_DROPPED;
        }
        if (q->on_full == LS_ON_FULL_DROP_OLDEST) {
            while (q->count > 0 && q->bytes + b->mem > q->max_bytes) {
                struct ls_batch *old = ring_take(q);
                q->bytes -= old->mem;
                *evicted_records += old->count;
                ls_batch_unref(old);
            }
        }
    }
    ring_put(q, b);
    q->bytes += b->mem;
    if (q->on_full == LS_ON_FULL_BLOCK && q->bytes >= q->max_bytes && w && !w->waiting) {
        w->waiting = 1;
        w->next = q->waiters;
        q->waiters = w;
        res = LS_PUSH_FULL;
    }
    pthread_mutex_unlock(&q->mu);

    if (q->notify) {
        q->notify(q->notify_arg);
    }
    return res;
}

struct ls_batch *ls_queue_pop(struct ls_queue *q)
{
    struct ls_batch *b;

    pthread_mutex_lock(&q->mu);
    b = ring_take(q);
    if (b) {
        q->inflight++;
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void ls_queue_done(struct ls_queue *q, size_t mem)
{
    pthread_mutex_lock(&q->mu);
    q->bytes -= mem;
    if (q->inflight) {
        q->inflight--;
    }
    /* Wake under the lock: a producer forgets its waiter under this lock before freeing it,
     * so the waiter cannot go away while its wake function runs. wake() must not take q->mu. */
    if (q->bytes < q->max_bytes) {
        struct ls_queue_waiter *w = q->waiters;
        q->waiters = NULL;
        while (w) {
            struct ls_queue_waiter *next = w->next;
            w->waiting = 0;
            w->wake(w);
            w = next;
        }
    }
    pthread_mutex_unlock(&q->mu);
}

int ls_queue_forget(struct ls_queue *q, struct ls_queue_waiter *w)
{
    int was;

    pthread_mutex_lock(&q->mu);
    was = w->waiting;
    for (struct ls_queue_waiter **pp = &q->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    }
    w->waiting = 0;
    pthread_mutex_unlock(&q->mu);
    return was;
}

size_t ls_queue_bytes(struct ls_queue *q)
{
    size_t n;

    pthread_mutex_lock(&q->mu);
    n = q->bytes;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t ls_queue_count(struct ls_queue *q)
{
    size_t n;

    pthread_mutex_lock(&q->mu);
    n = q->count + q->inflight;
    pthread_mutex_unlock(&q->mu);
    return n;
}
