/*
 * ack.h - delivery acknowledgement from the output threads back to the input that made a
 * batch, for inputs that keep a resume position (plugin `ack` callback, ABI 1.1).
 *
 * The sink is shared: the input holds one reference and every unfinished batch it made holds
 * one, so a batch that outlives its input (a reload removed the input while the batch sat in a
 * queue) finishes safely into a sink whose notify function is gone. When a batch's last
 * reference drops, on whatever thread, its sequence number is recorded in the sink and the
 * input is notified (a cross-thread event). The tracker, owned by the input thread, turns
 * finished sequence numbers - which arrive in any order - into the newest token whose every
 * predecessor has finished.
 */
#ifndef LS_ACK_H
#define LS_ACK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

struct ls_ack_sink {
    atomic_int refs;
    pthread_mutex_t mu;
    uint64_t *done; /* finished sequence numbers not yet taken */
    size_t ndone, cap;
    void (*notify)(void *arg); /* NULL once the input is gone */
    void *notify_arg;
};

struct ls_ack_sink *ls_ack_sink_new(void (*notify)(void *arg), void *arg);
/* Make b report to the sink when its last reference drops. */
void ls_ack_sink_attach(struct ls_ack_sink *s, struct ls_batch *b, uint64_t seq);
/* The input is going away: no more notifications; drop the input's reference. */
void ls_ack_sink_detach(struct ls_ack_sink *s);
/* Move the finished sequence numbers into *out (caller frees); returns how many. */
size_t ls_ack_sink_take(struct ls_ack_sink *s, uint64_t **out);

struct ls_ack_entry {
    uint64_t token;
    int has_token;
    int done;
};

/* Input thread only. Zero-initialised is empty. */
struct ls_ack_tracker {
    uint64_t head; /* sequence number of entries[0] */
    uint64_t next; /* sequence number the next batch gets */
    struct ls_ack_entry *entries;
    size_t count, cap;
    uint64_t last_token; /* the newest token assigned, inherited by batches without one */
    int have_token;
};

/* Register a new batch; returns its sequence number. */
uint64_t ls_ack_tracker_add(struct ls_ack_tracker *t, int has_token, uint64_t token);
/* Mark seqs finished. Returns 1 and sets *token when the finished prefix advanced to an entry
 * with a token, else 0. */
int ls_ack_tracker_done(struct ls_ack_tracker *t, const uint64_t *seqs, size_t n, uint64_t *token);
void ls_ack_tracker_release(struct ls_ack_tracker *t);

#endif /* LS_ACK_H */
