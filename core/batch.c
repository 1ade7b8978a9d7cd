/* batch.c - arenas and records; see batch.h for the invariants. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CHUNK_MIN (64 * 1024)
#define RECS_MIN  64

struct ls_batch *ls_batch_new(const char *input, const char *pipeline)
{
    struct ls_batch *b = ls_xcalloc(1, sizeof *b);

    atomic_init(&b->refs, 1);
    b->input = ls_xstrdup(input ? input : "");
    b->pipeline = ls_xstrdup(pipeline ? pipeline : "");
    b->mem = sizeof *b;
    return b;
}

struct ls_batch *ls_batch_view(struct ls_batch *base, uint32_t *sel, size_t n)
{
    struct ls_batch *v = ls_xcalloc(1, sizeof *v);

    atomic_init(&v->refs, 1);
    ls_batch_ref(base);
    v->base = base;
    v->sel = sel;
    v->count = n;
    v->input = ls_xstrdup(base->input);
    v->pipeline = ls_xstrdup(base->pipeline);
    v->mem = sizeof *v + n * sizeof *sel;
    for (size_t i = 0; i < n; i++) {
        v->raw_bytes += base->recs[sel[i]].raw.len;
    }
    return v;
}

LS_EXPORT void ls_batch_ref(struct ls_batch *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

LS_EXPORT void ls_batch_unref(struct ls_batch *b)
{
    struct ls_arena_chunk *c, *next;

    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    if (b->base) {
        ls_batch_unref(b->base);
        free(b->sel);
    } else if (b->release_fn) {
        b->release_fn(b->release_arg, b->seq);
    }
    for (c = b->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    free(b->recs);
    free(b->input);
    free(b->pipeline);
    free(b);
}

LS_EXPORT size_t ls_batch_count(const struct ls_batch *b)
{
    return b->count;
}

LS_EXPORT struct ls_record *ls_batch_record(const struct ls_batch *b, size_t i)
{
    if (b->base) {
        return &b->base->recs[b->sel[i]];
    }
    return &b->recs[i];
}

LS_EXPORT const char *ls_batch_input(const struct ls_batch *b)
{
    return b->input;
}

LS_EXPORT const char *ls_batch_pipeline(const struct ls_batch *b)
{
    return b->pipeline;
}

size_t ls_batch_raw_bytes(const struct ls_batch *b)
{
    return b->raw_bytes;
}

LS_EXPORT void *ls_batch_alloc(struct ls_batch *b, size_t len)
{
    struct ls_arena_chunk *c;
    size_t off;

    if (b->base) {
        b = b->base; /* views are immutable in practice; keep memory with the owner */
    }
    len = (len + 7) & ~(size_t)7;
    c = b->chunks;
    if (!c || c->cap - c->used < len) {
        size_t cap = len > CHUNK_MIN ? len : CHUNK_MIN;
        c = ls_xmalloc(sizeof *c + cap);
        c->cap = cap;
        c->used = 0;
        c->next = b->chunks;
        b->chunks = c;
        b->mem += sizeof *c + cap;
    }
    off = c->used;
    c->used += len;
    return c->data + off;
}

LS_EXPORT struct ls_slice ls_batch_strdup(struct ls_batch *b, const void *data, size_t len)
{
    struct ls_slice s;
    char *p = ls_batch_alloc(b, len ? len : 1);

    if (len) {
        memcpy(p, data, len);
    }
    s.ptr = p;
    s.len = len;
    return s;
}

struct ls_record *ls_batch_append(struct ls_batch *b, const void *data, size_t len,
                                  const char *peer, int64_t received)
{
    struct ls_record *r;

    if (b->count == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : RECS_MIN;
        b->recs = ls_xrealloc(b->recs, ncap * sizeof *b->recs);
        b->mem += (ncap - b->cap) * sizeof *b->recs;
        b->cap = ncap;
    }
    r = &b->recs[b->count++];
    memset(r, 0, sizeof *r);
    r->raw = ls_batch_strdup(b, data, len);
    r->message = r->raw;
    r->time = received;
    r->received = received;
    r->severity = LS_SEV_UNKNOWN;
    r->facility = LS_FAC_UNKNOWN;
    r->pid = r->uid = r->gid = -1;
    if (peer) {
        if (peer != b->last_peer_src) {
            b->last_peer = ls_batch_strdup(b, peer, strlen(peer));
            b->last_peer_src = peer;
        } else if (b->last_peer.len != strlen(peer) ||
                   memcmp(b->last_peer.ptr, peer, b->last_peer.len) != 0) {
            /* same buffer, new contents (a reused connection slot) */
            b->last_peer = ls_batch_strdup(b, peer, strlen(peer));
        }
        r->peer = b->last_peer;
    }
    b->raw_bytes += len;
    return r;
}

LS_EXPORT struct ls_field *ls_record_add_field(struct ls_batch *b, struct ls_record *r,
                                               const char *key, size_t key_len, int type,
                                               const void *str, size_t str_len)
{
    struct ls_field *f;

    if (r->nfields >= LS_MAX_FIELDS_PER_RECORD) {
        return NULL;
    }
    f = ls_batch_alloc(b, sizeof *f);
    memset(f, 0, sizeof *f);
    f->key = ls_batch_strdup(b, key, key_len);
    f->type = type;
    if ((type == LS_FIELD_STRING || type == LS_FIELD_JSON) && str) {
        f->v.s = ls_batch_strdup(b, str, str_len);
    }
    if (r->fields_tail) {
        r->fields_tail->next = f;
    } else {
        r->fields = f;
    }
    r->fields_tail = f;
    r->nfields++;
    return f;
}

LS_EXPORT const struct ls_field *ls_record_field(const struct ls_record *r, const char *key)
{
    size_t klen = strlen(key);

    for (const struct ls_field *f = r->fields; f; f = f->next) {
        if (f->key.len == klen && memcmp(f->key.ptr, key, klen) == 0) {
            return f;
        }
    }
    return NULL;
}
