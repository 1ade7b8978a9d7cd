/* ack.c - delivery acknowledgement sink and in-order tracker; see ack.h. */
#include "ack.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void sink_unref(struct ls_ack_sink *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    pthread_mutex_destroy(&s->mu);
    free(s->done);
    free(s);
}

struct ls_ack_sink *ls_ack_sink_new(void (*notify)(void *arg), void *arg)
{
    struct ls_ack_sink *s = ls_xcalloc(1, sizeof *s);

    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->mu, NULL);
    s->notify = notify;
    s->notify_arg = arg;
    return s;
}

static void sink_batch_done(void *arg, uint64_t seq)
{
    struct ls_ack_sink *s = arg;

    pthread_mutex_lock(&s->mu);
    if (s->notify) {
        ls_grow((void **)&s->done, &s->cap, s->ndone + 1, sizeof *s->done);
        s->done[s->ndone++] = seq;
        /* Under the lock: detach clears notify under it, so the input cannot be gone. */
        s->notify(s->notify_arg);
    }
    pthread_mutex_unlock(&s->mu);
    sink_unref(s);
}

void ls_ack_sink_attach(struct ls_ack_sink *s, struct ls_batch *b, uint64_t seq)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    b->release_fn = sink_batch_done;
    b->release_arg = s;
    b->seq = seq;
}

void ls_ack_sink_detach(struct ls_ack_sink *s)
{
    pthread_mutex_lock(&s->mu);
    s->notify = NULL;
    pthread_mutex_unlock(&s->mu);
    sink_unref(s);
}

size_t ls_ack_sink_take(struct ls_ack_sink *s, uint64_t **out)
{
    size_t n;

    pthread_mutex_lock(&s->mu);
    *out = s->done;
    n = s->ndone;
    s->done = NULL;
    s->ndone = s->cap = 0;
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t ls_ack_tracker_add(struct ls_ack_tracker *t, int has_token, uint64_t token)
{
    struct ls_ack_entry *e;

    if (has_token) {
        t->last_token = token;
        t->have_token = 1;
    }
    if (t->count == 0) {
        t->head = t->next;
    }
    ls_grow((void **)&t->entries, &t->cap, t->count + 1, sizeof *t->entries);
    e = &t->entries[t->count++];
    e->token = t->last_token;
    e->has_token = t->have_token;
    e->done = 0;
    return t->next++;
}

int ls_ack_tracker_done(struct ls_ack_tracker *t, const uint64_t *seqs, size_t n, uint64_t *token)
{
    size_t prefix = 0;
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        if (seqs[i] >= t->head && seqs[i] - t->head < t->count) {
            t->entries[seqs[i] - t->head].done = 1;
        }
    }
    while (prefix < t->count && t->entries[prefix].done) {
        if (t->entries[prefix].has_token) {
            *token = t->entries[prefix].token;
            found = 1;
        }
        prefix++;
    }
    if (prefix) {
        memmove(t->entries, t->entries + prefix, (t->count - prefix) * sizeof *t->entries);
        t->count -= prefix;
        t->head += prefix;
    }
    return found;
}

void ls_ack_tracker_release(struct ls_ack_tracker *t)
{
    free(t->entries);
    memset(t, 0, sizeof *t);
}
