/* worker.c - the file output's background thread: compression, retention, syncs; see worker.h */
#define _GNU_SOURCE

#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compress.h"

#define MAINT_MAX 256    /* queued maintenance requests (distinct paths) */
#define SYNC_MAX  1024   /* queued syncs */
#define SCAN_MAX  100000 /* rotated files considered per directory pass */
#define NICE      10

struct sync_job {
    int fd;
    char *path;
};

struct fo_worker {
    struct fo_worker_conf c;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    char *maint[MAINT_MAX]; /* FIFO of live file paths */
    size_t nmaint;
    struct sync_job syncs[SYNC_MAX];
    size_t nsync;
};

/* One rotated file found by a maintenance pass. */
struct found {
    struct fo_rotated *v;
    size_t n, cap;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (!p) {
        fprintf(stderr, "logstream: file output: out of memory allocating %zu bytes\n", n * size);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xcalloc(n, 1);

    memcpy(d, s, n);
    return d;
}

/* "dir/name<suffix>", or "name<suffix>" when dir is NULL. Caller frees. */
static char *join(const char *dir, const char *name, const char *suffix)
{
    size_t n = (dir ? strlen(dir) + 1 : 0) + strlen(name) + strlen(suffix) + 1;
    char *p = xcalloc(n, 1);

    snprintf(p, n, "%s%s%s%s", dir ? dir : "", dir ? "/" : "", name, suffix);
    return p;
}

/* ---- syncs ------------------------------------------------------------------------------- */

static void run_sync(struct fo_worker *w, struct sync_job *j)
{
    if (fdatasync(j->fd) < 0 && errno != EINVAL && errno != EROFS) {
        ls_counter_add(w->c.sync_errors, 1);
        ls_log(w->c.ins, LS_LOG_WARN, "fdatasync %s: %s", j->path, strerror(errno));
    }
    close(j->fd);
    free(j->path);
}

/* Run every queued sync (any thread that owns the worker's jobs: the worker, or stop). */
static void run_syncs(void *arg)
{
    struct fo_worker *w = arg;
    struct sync_job *jobs;
    size_t n;

    pthread_mutex_lock(&w->mu);
    n = w->nsync;
    if (n == 0) {
        pthread_mutex_unlock(&w->mu);
        return;
    }
    jobs = xcalloc(n, sizeof *jobs);
    memcpy(jobs, w->syncs, n * sizeof *jobs);
    w->nsync = 0;
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < n; i++) {
        run_sync(w, &jobs[i]);
    }
    free(jobs);
}

/* ---- compression ------------------------------------------------------------------------- */

/* Compress dir/e->name into dir/e->name<suffix> via a temp file; on success e describes the
 * compressed file. Returns 0 or a negative errno (-ECANCELED when stopping). */
static int compress_one(struct fo_worker *w, int dfd, const char *dir, struct fo_rotated *e)
{
    char *final = join(NULL, e->name, fo_compress_suffix(w->c.compress));
    char *tmp = join(NULL, final, ".tmp");
    int src, dst, rc;
    struct stat st;

    src = openat(dfd, e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (src < 0 || fstat(src, &st) < 0) {
        rc = -errno;
        goto out_close_src;
    }
    dst = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (dst < 0) {
        rc = -errno;
        goto out_close_src;
    }
    /* Same owner and mode as the original (only root may give a file away: best effort). */
    if (fchown(dst, st.st_uid, st.st_gid) < 0) {
        ls_log(w->c.ins, LS_LOG_DEBUG, "chown %s/%s: %s", dir, tmp, strerror(errno));
    }
    if (fchmod(dst, st.st_mode & 07777) < 0) {
        ls_log(w->c.ins, LS_LOG_DEBUG, "chmod %s/%s: %s", dir, tmp, strerror(errno));
    }
    rc = fo_compress_fd(w->c.compress, w->c.level, src, dst, &w->stop, run_syncs, w);
    if (close(dst) < 0 && rc == 0) {
        rc = -errno;
    }
    if (rc == 0 && renameat(dfd, tmp, dfd, final) < 0) {
        rc = -errno;
    }
    if (rc < 0) {
        unlinkat(dfd, tmp, 0);
        goto out_close_src;
    }
    fsync(dfd); /* the rename is durable before the original goes */
    unlinkat(dfd, e->name, 0);
    if (fstatat(dfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        e->size = (uint64_t)st.st_size;
    }
    free(e->name);
    e->name = final;
    final = NULL;
    e->compress = w->c.compress;
    ls_counter_add(w->c.compressed, 1);
out_close_src:
    if (src >= 0) {
        close(src);
    }
    if (rc < 0 && rc != -ECANCELED && rc != -ENOENT) {
        ls_counter_add(w->c.compress_errors, 1);
        ls_log(w->c.ins, LS_LOG_WARN, "compress %s/%s: %s; leaving it uncompressed", dir, e->name,
               strerror(-rc));
    }
    free(final);
    free(tmp);
    return rc;
}

/* ---- maintenance ------------------------------------------------------------------------- */

static void found_release(struct found *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
    }
    free(f->v);
}

/* Collect the rotated files of `base` in directory d; removes stale temp files on the way. */
static void scan(struct fo_worker *w, DIR *d, const char *dir, const char *base, struct found *f)
{
    int dfd = dirfd(d);
    struct dirent *de;

    while ((de = readdir(d)) != NULL) {
        struct fo_rotated r;
        struct stat st;

        if (!fo_rotated_parse(base, de->d_name, &r)) {
            continue;
        }
        if (r.tmp) {
            if (unlinkat(dfd, de->d_name, 0) == 0) {
                ls_log(w->c.ins, LS_LOG_INFO, "removed unfinished compression %s/%s", dir,
                       de->d_name);
            }
            continue;
        }
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
            f->n >= SCAN_MAX) {
            continue;
        }
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 16;
            f->v = realloc(f->v, f->cap * sizeof *f->v);
            if (!f->v) {
                abort();
            }
        }
        r.name = xstrdup(de->d_name);
        r.size = (uint64_t)st.st_size;
        f->v[f->n++] = r;
    }
}

/* 1 if the list holds a compressed twin of plain entry e (same stamp and n). */
static int has_twin(const struct found *f, const struct fo_rotated *e)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct fo_rotated *o = &f->v[i];
        if (o->compress != FO_COMPRESS_NONE && o->stamp == e->stamp && o->n == e->n) {
            return 1;
        }
    }
    return 0;
}

/* Remove entry i from the list (the file itself is the caller's business). */
static void found_remove(struct found *f, size_t i)
{
    free(f->v[i].name);
    f->v[i] = f->v[--f->n];
}

static void compress_pending(struct fo_worker *w, int dfd, const char *dir, struct found *f)
{
    for (size_t i = 0; i < f->n && !atomic_load(&w->stop); i++) {
        struct fo_rotated *e = &f->v[i];

        if (e->compress != FO_COMPRESS_NONE) {
            continue;
        }
        if (has_twin(f, e)) {
            /* A crash after the rename: the compressed file is complete. */
            unlinkat(dfd, e->name, 0);
            found_remove(f, i--);
            continue;
        }
        if (w->c.compress != FO_COMPRESS_NONE && compress_one(w, dfd, dir, e) == -ENOENT) {
            found_remove(f, i--); /* retention or someone else removed it meanwhile */
        }
    }
}

static void apply_retention(struct fo_worker *w, int dfd, const char *dir, struct found *f)
{
    if (!fo_retention_active(&w->c.retention) || f->n == 0) {
        return;
    }
    fo_retention_select(f->v, f->n, &w->c.retention, ls_now());
    for (size_t i = 0; i < f->n; i++) {
        if (!f->v[i].del) {
            continue;
        }
        if (unlinkat(dfd, f->v[i].name, 0) == 0) {
            ls_counter_add(w->c.deleted, 1);
            ls_log(w->c.ins, LS_LOG_DEBUG, "retention removed %s/%s", dir, f->v[i].name);
        } else if (errno != ENOENT) {
            ls_log(w->c.ins, LS_LOG_WARN, "remove %s/%s: %s", dir, f->v[i].name, strerror(errno));
        }
    }
}

static void maintain(struct fo_worker *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrdup(path) : xstrdup(".");
    const char *base = slash ? slash + 1 : path;
    struct found f = {0};
    DIR *d;

    if (slash) {
        dir[slash == path ? 1 : (size_t)(slash - path)] = '\0';
    }
    d = opendir(dir);
    if (!d) {
        if (errno != ENOENT) {
            ls_log(w->c.ins, LS_LOG_WARN, "open directory %s: %s", dir, strerror(errno));
        }
        free(dir);
        return;
    }
    scan(w, d, dir, base, &f);
    compress_pending(w, dirfd(d), dir, &f);
    if (!atomic_load(&w->stop)) {
        apply_retention(w, dirfd(d), dir, &f);
    }
    closedir(d);
    found_release(&f);
    free(dir);
}

/* ---- the thread -------------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct fo_worker *w = arg;
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    /* Best effort: a thread's nice value is per thread on Linux. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), NICE);
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&w->stop)) {
        if (w->nsync > 0) {
            pthread_mutex_unlock(&w->mu);
            run_syncs(w);
            pthread_mutex_lock(&w->mu);
        } else if (w->nmaint > 0) {
            char *path = w->maint[0];
            memmove(w->maint, w->maint + 1, --w->nmaint * sizeof *w->maint);
            pthread_mutex_unlock(&w->mu);
            maintain(w, path);
            free(path);
            pthread_mutex_lock(&w->mu);
        } else {
            pthread_cond_wait(&w->cv, &w->mu);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct fo_worker *fo_worker_new(const struct fo_worker_conf *c)
{
    struct fo_worker *w = xcalloc(1, sizeof *w);

    w->c = *c;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    atomic_init(&w->stop, 0);
    return w;
}

int fo_worker_start(struct fo_worker *w)
{
    int rc;

    atomic_store(&w->stop, 0);
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        return -rc;
    }
    w->started = 1;
    return 0;
}

void fo_worker_stop(struct fo_worker *w)
{
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, 1);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
    run_syncs(w);
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nmaint; i++) {
        free(w->maint[i]);
    }
    w->nmaint = 0;
    pthread_mutex_unlock(&w->mu);
}

void fo_worker_free(struct fo_worker *w)
{
    if (!w) {
        return;
    }
    fo_worker_stop(w);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void fo_worker_maintain(struct fo_worker *w, const char *path)
{
    pthread_mutex_lock(&w->mu);
    for (size_t i = 0; i < w->nmaint; i++) {
        if (strcmp(w->maint[i], path) == 0) {
            pthread_mutex_unlock(&w->mu);
            return;
        }
    }
    if (w->nmaint < MAINT_MAX) {
        w->maint[w->nmaint++] = xstrdup(path);
        pthread_cond_signal(&w->cv);
    }
    /* Full: dropped; the next request for a path in that directory catches up. */
    pthread_mutex_unlock(&w->mu);
}

void fo_worker_sync(struct fo_worker *w, int fd, const char *path)
{
    pthread_mutex_lock(&w->mu);
    if (w->nsync < SYNC_MAX && w->started) {
        w->syncs[w->nsync].fd = fd;
        w->syncs[w->nsync].path = xstrdup(path);
        w->nsync++;
        pthread_cond_signal(&w->cv);
        fd = -1;
    }
    pthread_mutex_unlock(&w->mu);
    if (fd >= 0) {
        close(fd);
    }
}
