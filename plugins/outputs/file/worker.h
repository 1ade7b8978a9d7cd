/*
 * worker.h - the file output's background thread: everything slow that must stay off the
 * write path. One per output instance, created in start and joined in stop.
 *
 * Jobs, fed through a small mutex + condvar queue by the output thread:
 * - maintain(path): in the directory of live file `path`, remove unfinished compressions
 *   ("*.gz.tmp" left by a crash), drop an uncompressed rotated file whose compressed twin is
 *   complete, compress every uncompressed rotated file (when compression is on), then apply
 *   retention. Queued once per path (a request for a path already queued is merged).
 * - sync(fd): fdatasync(2) a dup of a live file's descriptor (fsync: interval), so the output
 *   thread never waits for the disk. Syncs run first, also between chunks of a compression.
 *
 * Compression writes "<name>.gz.tmp", fsyncs it, renames it to "<name>.gz", fsyncs the
 * directory and only then unlinks "<name>": a crash leaves the complete original or the
 * complete compressed file (the next maintain pass removes the leftover). The thread runs at
 * nice +10, so under load it yields to the threads that move records.
 *
 * Ownership: fo_worker_sync takes the descriptor (closes it); paths are copied.
 */
#ifndef LS_FILE_WORKER_H
#define LS_FILE_WORKER_H

#include <logstream/plugin.h>

#include "rotate.h"

struct fo_worker_conf {
    struct ls_instance *ins; /* for logging */
    int compress;            /* enum fo_compress */
    int level;               /* compression level (compress.h) */
    struct fo_retention retention;
    struct ls_counter *compressed;      /* files compressed */
    struct ls_counter *compress_errors; /* compressions that failed */
    struct ls_counter *deleted;         /* rotated files removed by retention */
    struct ls_counter *sync_errors;     /* failed interval syncs */
};

struct fo_worker;

/* A stopped worker; never NULL (allocation failure aborts). */
struct fo_worker *fo_worker_new(const struct fo_worker_conf *c);
/* Start the thread. Returns 0 or -errno. */
int fo_worker_start(struct fo_worker *w);
/* Abandon the current compression (its temp file is removed), run queued syncs, drop queued
 * maintenance, join the thread. Safe to call twice or on a worker never started. */
void fo_worker_stop(struct fo_worker *w);
void fo_worker_free(struct fo_worker *w); /* NULL is ignored */

void fo_worker_maintain(struct fo_worker *w, const char *path);
void fo_worker_sync(struct fo_worker *w, int fd, const char *path);

#endif /* LS_FILE_WORKER_H */
