/*
 * batch.h - the unit that moves through the pipeline: an arena of bytes plus the records whose
 * slices point into it.
 *
 * Invariants:
 *  - A base batch owns its records (a contiguous array, grown only while the input appends) and
 *    an arena of chunks that never move, so slices stay valid for the batch's lifetime.
 *  - A view shares a base batch's records and arena, selecting some of them by index (routing
 *    conditions); it holds one reference on its base. Views are never appended to.
 *  - After the parser chain a batch is immutable; it is shared by reference count across the
 *    queues of every output it is routed to. The last ls_batch_unref() frees it.
 *  - `mem` is the bytes the batch holds (arena chunks + record array), what queues count.
 */
#ifndef LS_BATCH_H
#define LS_BATCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

#define LS_MAX_FIELDS_PER_RECORD 1024

struct ls_arena_chunk {
    struct ls_arena_chunk *next;
    size_t cap, used;
    char data[];
};

struct ls_batch {
    atomic_int refs;
    struct ls_batch *base;  /* view: the batch whose records it selects; NULL for a base */
    uint32_t *sel;          /* view: indices into base->recs */
    struct ls_record *recs; /* base: the records */
    size_t count, cap;
    struct ls_arena_chunk *chunks; /* newest first */
    size_t mem;                    /* bytes held, for queue accounting */
    size_t raw_bytes;              /* sum of raw lengths, for bytes_in/out */
    char *input, *pipeline;        /* names, owned */
    /* peer cache: the last peer string appended and its copy in the arena */
    const char *last_peer_src;
    struct ls_slice last_peer;
    int64_t opened_mono; /* when the first record was appended */
    /* Base batches: called once when the last reference goes, before the batch is freed
     * (delivery acknowledgement to the input that made it). Any thread. */
    void (*release_fn)(void *arg, uint64_t seq);
    void *release_arg;
    uint64_t seq;   /* the input's batch sequence number */
    uint64_t token; /* set by ls_input_set_token */
    int has_token;
};

/* A new empty base batch with one reference. Names are copied. */
struct ls_batch *ls_batch_new(const char *input, const char *pipeline);
/* A view of `base` with the `n` records whose indices are in sel (consumed: freed with the
 * view). Takes a reference on base. */
struct ls_batch *ls_batch_view(struct ls_batch *base, uint32_t *sel, size_t n);

/* Append a record whose raw bytes are copied; see ls_input_append() in plugin.h. */
struct ls_record *ls_batch_append(struct ls_batch *b, const void *data, size_t len,
                                  const char *peer, int64_t received);

/* Bytes of raw data represented (views: of their selected records). */
size_t ls_batch_raw_bytes(const struct ls_batch *b);

#endif /* LS_BATCH_H */
