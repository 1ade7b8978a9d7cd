/* cache.c - the file output's hash table and LRU of open files; see cache.h. */
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INITIAL_BUCKETS 64

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fprintf(stderr, "logstream: file output: out of memory allocating %zu bytes\n", n * size);
        abort();
    }
    return p;
}

/* FNV-1a, 64 bit. */
static uint64_t hash_path(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void fo_cache_init(struct fo_cache *c, size_t max_open)
{
    memset(c, 0, sizeof *c);
    c->nbuckets = INITIAL_BUCKETS;
    c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
    c->max_open = max_open ? max_open : 1;
}

void fo_cache_release(struct fo_cache *c)
{
    for (size_t i = 0; c->buckets && i < c->nbuckets; i++) {
        while (c->buckets[i]) {
            fo_cache_remove(c, c->buckets[i]);
        }
    }
    free(c->buckets);
    memset(c, 0, sizeof *c);
}

struct fo_file *fo_cache_find(struct fo_cache *c, const char *path, size_t len)
{
    uint64_t h = hash_path(path, len);

    for (struct fo_file *f = c->buckets[h & (c->nbuckets - 1)]; f; f = f->hnext) {
        if (f->hash == h && f->len == len && memcmp(f->path, path, len) == 0) {
            return f;
        }
    }
    return NULL;
}

static void grow(struct fo_cache *c)
{
    size_t n = c->nbuckets * 2;
    struct fo_file **b = xcalloc(n, sizeof *b);

    for (size_t i = 0; i < c->nbuckets; i++) {
        struct fo_file *f = c->buckets[i], *next;
        for (; f; f = next) {
            next = f->hnext;
            f->hnext = b[f->hash & (n - 1)];
            b[f->hash & (n - 1)] = f;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

struct fo_file *fo_cache_add(struct fo_cache *c, const char *path, size_t len)
{
    struct fo_file *f = xcalloc(1, sizeof *f);
    size_t slot;

    if (c->count >= c->nbuckets) {
        grow(c);
    }
    f->path = xcalloc(len + 1, 1);
    memcpy(f->path, path, len);
    f->len = len;
    f->hash = hash_path(path, len);
    f->fd = -1;
    f->seg_first = f->seg_last = FO_NO_SEG;
    slot = f->hash & (c->nbuckets - 1);
    f->hnext = c->buckets[slot];
    c->buckets[slot] = f;
    c->count++;
    return f;
}

static void lru_unlink(struct fo_cache *c, struct fo_file *f)
{
    if (f->prev) {
        f->prev->next = f->next;
    } else {
        c->head = f->next;
    }
    if (f->next) {
        f->next->prev = f->prev;
    } else {
        c->tail = f->prev;
    }
    f->prev = f->next = NULL;
}

static void lru_push_head(struct fo_cache *c, struct fo_file *f)
{
    f->prev = NULL;
    f->next = c->head;
    if (c->head) {
        c->head->prev = f;
    } else {
        c->tail = f;
    }
    c->head = f;
}

void fo_cache_set_open(struct fo_cache *c, struct fo_file *f, int fd)
{
    f->fd = fd;
    lru_push_head(c, f);
    c->nopen++;
}

void fo_cache_touch(struct fo_cache *c, struct fo_file *f)
{
    if (f->fd >= 0 && c->head != f) {
        lru_unlink(c, f);
        lru_push_head(c, f);
    }
}

struct fo_file *fo_cache_lru(struct fo_cache *c, const struct fo_file *keep)
{
    struct fo_file *f = c->tail;

    if (f == keep && f) {
        f = f->prev;
    }
    return f;
}

int fo_cache_detach(struct fo_cache *c, struct fo_file *f)
{
    int fd = f->fd;

    if (fd < 0) {
        return -1;
    }
    lru_unlink(c, f);
    c->nopen--;
    f->fd = -1;
    return fd;
}

void fo_cache_remove(struct fo_cache *c, struct fo_file *f)
{
    struct fo_file **pp = &c->buckets[f->hash & (c->nbuckets - 1)];
    int fd = fo_cache_detach(c, f);

    if (fd >= 0) {
        close(fd);
    }
    while (*pp && *pp != f) {
        pp = &(*pp)->hnext;
    }
    if (*pp) {
        *pp = f->hnext;
        c->count--;
    }
    free(f->path);
    free(f);
}

void fo_cache_each(struct fo_cache *c, void (*fn)(struct fo_file *f, void *arg), void *arg)
{
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct fo_file *f = c->buckets[i], *next;
        for (; f; f = next) {
            next = f->hnext;
            fn(f, arg);
        }
    }
}
