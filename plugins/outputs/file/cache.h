/*
 * cache.h - the file output's table of files: one entry per rendered path that is open or has
 * data of the batch being written, found by hash, with the open ones on an LRU list so that
 * at most `max_open` descriptors are held (the output closes the least recently used one
 * before opening another). Output thread only; no locks.
 *
 * Invariant kept by the output (output.c): an entry exists while its descriptor is open or it
 * is on the batch's pending list; one that is neither is removed.
 *
 * Ownership: the cache owns its entries and their path copies; fo_cache_remove frees one (after
 * closing it), fo_cache_release frees all. Closing a descriptor is the caller's (fo_cache_detach
 * hands it over).
 */
#ifndef LS_FILE_CACHE_H
#define LS_FILE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rotate.h"

#define FO_NO_SEG SIZE_MAX

struct fo_file {
    char *path; /* NUL-terminated */
    size_t len;
    uint64_t hash;
    struct fo_file *hnext;       /* hash chain */
    struct fo_file *prev, *next; /* LRU of open files, most recently used first */
    int fd;                      /* -1 while closed */
    dev_t dev;                   /* identity of what fd refers to */
    ino_t ino;
    int regular; /* a regular file: only those rotate */
    struct fo_rotate_state rs;
    int rot_hint;    /* rot_sec and rot_n hold its last rotated name */
    int64_t rot_sec; /* the stamp (seconds) of that name */
    unsigned rot_n;  /* and its ".n" counter */
    int dirty;       /* written since the last interval sync */
    int failing;     /* a failure was logged; the next success says so */

    /* Its share of the batch being written (output.c). */
    int pending;                /* on the pending list */
    struct fo_file *pnext;      /* pending list */
    size_t seg_first, seg_last; /* its segments (indices), FO_NO_SEG when none */
    size_t bytes, written;      /* formatted / already in the file */
    size_t cur_seg, cur_off;    /* where `written` is: segment index and offset in it */
    size_t nrec;                /* records in it */
};

struct fo_cache {
    struct fo_file **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    struct fo_file *head, *tail; /* LRU of open entries */
    size_t nopen;
    size_t max_open;
};

void fo_cache_init(struct fo_cache *c, size_t max_open);
/* Close every descriptor and free every entry. */
void fo_cache_release(struct fo_cache *c);

/* The entry for path[0, len), or NULL. */
struct fo_file *fo_cache_find(struct fo_cache *c, const char *path, size_t len);
/* A new, closed entry for path[0, len) (which must not be in the cache yet). */
struct fo_file *fo_cache_add(struct fo_cache *c, const char *path, size_t len);

/* f (closed) now holds fd: it becomes the most recently used open entry. */
void fo_cache_set_open(struct fo_cache *c, struct fo_file *f, int fd);
/* Mark f (open) most recently used. */
void fo_cache_touch(struct fo_cache *c, struct fo_file *f);
/* The least recently used open entry other than `keep`, or NULL. */
struct fo_file *fo_cache_lru(struct fo_cache *c, const struct fo_file *keep);
/* Take f's descriptor (f becomes closed) and return it; -1 if it was closed. */
int fo_cache_detach(struct fo_cache *c, struct fo_file *f);
/* Close f if open and free it. */
void fo_cache_remove(struct fo_cache *c, struct fo_file *f);

/* Call fn for every entry (fn may remove the entry it is given, and no other). */
void fo_cache_each(struct fo_cache *c, void (*fn)(struct fo_file *f, void *arg), void *arg);

#endif /* LS_FILE_CACHE_H */
