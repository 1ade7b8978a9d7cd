/*
 * queue.h - the bounded queue between input threads (producers) and one output thread
 * (consumer). Bounded in bytes (batch->mem), which is what bounds the daemon's memory.
 *
 * A batch counts against the bound from push until the consumer calls ls_queue_done() for it,
 * so a batch being written still occupies space. Policies when a push finds the queue full:
 *  - block:       stream producers: the batch is accepted (it was already read and must not be
 *                 lost) and the producer's waiter is registered; the producer must stop reading
 *                 until the waiter's wake function runs (called with the queue lock held, once
 *                 the queue is below its bound again). Datagram producers get dropped instead.
 *  - drop_newest: the new batch is refused and its records counted as dropped.
 *  - drop_oldest: queued (not in-flight) batches are evicted, oldest first, until it fits.
 * Thread-safe; one mutex per queue, taken once per batch (never per record).
 */
#ifndef LS_QUEUE_H
#define LS_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* A producer's registration: one per (input, output) route. Owned by the producer. */
struct ls_queue_waiter {
    struct ls_queue_waiter *next;
    int waiting; /* protected by the queue's mutex */
    void (*wake)(struct ls_queue_waiter *w);
};

struct ls_queue {
    pthread_mutex_t mu;
    struct ls_batch **ring;
    size_t head, count, cap;
    size_t bytes;    /* queued + in flight */
    size_t inflight; /* batches popped but not done */
    size_t max_bytes;
    int on_full; /* enum ls_on_full */
    struct ls_queue_waiter *waiters;
    void (*notify)(void *arg); /* called (lock not held) when a batch was pushed */
    void *notify_arg;
};

enum ls_push_result {
    LS_PUSH_OK = 0,      /* queued, room left */
    LS_PUSH_FULL = 1,    /* queued, now full: the waiter was newly registered and will be
                          * woken exactly once; stop reading. (A push by a producer already
                          * waiting returns LS_PUSH_OK: it is already counted as blocked.) */
    LS_PUSH_DROPPED = 2, /* refused (drop_newest, or a datagram producer on a full queue) */
};

void ls_queue_init(struct ls_queue *q, size_t max_bytes, int on_full);
/* Unref every batch still queued (counted by the caller before, if it cares). */
void ls_queue_release(struct ls_queue *q);

/* Push a reference to b (the queue takes it on success; on DROPPED the caller keeps it).
 * `w` may be NULL for producers that cannot block (datagram). *evicted_records is set to the
 * records dropped by drop_oldest (0 otherwise). */
int ls_queue_push(struct ls_queue *q, struct ls_batch *b, struct ls_queue_waiter *w,
                  size_t *evicted_records);

/* Pop the oldest batch (the reference passes to the caller), or NULL when empty. */
struct ls_batch *ls_queue_pop(struct ls_queue *q);
/* The consumer finished a popped batch of `mem` bytes: free the space and wake producers. */
void ls_queue_done(struct ls_queue *q, size_t mem);

/* Racy snapshots for metrics. */
size_t ls_queue_bytes(struct ls_queue *q);
size_t ls_queue_count(struct ls_queue *q);

/* Remove `w` from the waiter list if registered (producer going away or rewired). Returns 1
 * if it was waiting (its wake will now never run), else 0. */
int ls_queue_forget(struct ls_queue *q, struct ls_queue_waiter *w);

#endif /* LS_QUEUE_H */
