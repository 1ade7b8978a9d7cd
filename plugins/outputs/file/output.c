/*
 * output.c - the file output's write path: format a batch into per-file segments, open files
 * (LRU-bounded, directories created), rotate, and write each file's share with writev(2).
 * See fileout.h for the batch layout and the retry contract.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileout.h"

#define BUF_KEEP     (16u * 1024 * 1024) /* a larger formatting buffer is freed after use */
#define SEGS_KEEP    65536               /* a larger segment array is freed after use */
#define IOV_CHUNK    64                  /* iovecs per writev */
#define ROTATE_TRIES 10000               /* ".n" suffixes tried within one second */

/* ---- failures ---------------------------------------------------------------------------- */

static int transient_write(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == ENOSPC || err == EIO || err == EDQUOT ||
           err == EPIPE || err == EINTR;
}

/* Open failures worth waiting for: the cause can go away (space, permissions, a directory
 * that comes back, descriptors, a FIFO's reader). The others (EISDIR, ENAMETOOLONG, ENOTDIR,
 * ELOOP, ...) mean this path can never be written. */
static int transient_open(int err)
{
    return transient_write(err) || err == ENOENT || err == EACCES || err == EPERM || err == EROFS ||
           err == EMFILE || err == ENFILE || err == ENXIO || err == ETXTBSY || err == EBUSY ||
           err == ENOMEM;
}

static void note_failure(struct file_state *st, struct fo_file *f, const char *what, int err)
{
    ls_counter_add(st->write_errors, 1);
    if (!f->failing) {
        ls_log(st->ins, LS_LOG_WARN, "%s %s: %s; retrying", what, f->path, strerror(err));
        f->failing = 1;
    }
}

static void note_success(struct file_state *st, struct fo_file *f)
{
    if (f->failing) {
        ls_log(st->ins, LS_LOG_INFO, "writing to %s again", f->path);
        f->failing = 0;
    }
}

/* An open that failed with err: LS_EAGAIN to wait for it, or LS_ERROR (logged) when this
 * path can never be opened and other files' records should not wait for it. A single fixed
 * path always waits: it is checked at start, so the cause is outside and may be fixed. */
static int open_failed(struct file_state *st, struct fo_file *f, int err)
{
    if (!st->templated || transient_open(err)) {
        note_failure(st, f, "open", err);
        return LS_EAGAIN;
    }
    ls_counter_add(st->write_errors, 1);
    ls_log(st->ins, LS_LOG_ERROR, "open %s: %s; dropping its records", f->path, strerror(err));
    return LS_ERROR;
}

/* ---- opening ----------------------------------------------------------------------------- */

/* mkdir -p of path's parent directory with dir_mode (and the configured owner for the
 * directories it creates). Returns 0 or -errno. */
static int make_parent_dirs(struct file_state *st, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *p;
    int rc = 0;

    if (!slash || slash == path) {
        return 0;
    }
    p = strndup(path, (size_t)(slash - path));
    if (!p) {
        abort();
    }
    for (char *s = p + 1;; s++) {
        char saved;

        if (*s != '/' && *s != '\0') {
            continue;
        }
        saved = *s;
        *s = '\0';
        if (mkdir(p, st->dir_mode) == 0) {
            if ((st->uid != (uid_t)-1 || st->gid != (gid_t)-1) && chown(p, st->uid, st->gid) < 0) {
                ls_log(st->ins, LS_LOG_WARN, "chown %s: %s", p, strerror(errno));
            }
        } else if (errno != EEXIST) {
            rc = -errno;
            break;
        }
        *s = saved;
        if (saved == '\0') {
            break;
        }
    }
    free(p);
    return rc;
}

/* Open for appending; *created tells whether this call made the file. Non-blocking open so a
 * FIFO without a reader fails (ENXIO) instead of hanging the thread; writes then block as
 * usual: a slow reader is backpressure, not an error. Returns the fd or -errno. */
static int open_path(struct file_state *st, const char *path, int *created)
{
    int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = open(path, flags | O_CREAT | O_EXCL, st->mode), fl;

    *created = fd >= 0;
    if (fd < 0 && errno == EEXIST) {
        fd = open(path, flags);
    }
    if (fd < 0) {
        return -errno;
    }
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/* Close least recently used files until one more may be opened (never `keep`). */
static void make_room(struct file_state *st, struct fo_file *keep)
{
    while (st->cache.nopen >= st->cache.max_open) {
        struct fo_file *v = fo_cache_lru(&st->cache, keep);

        if (!v) {
            break;
        }
        fo_output_finish_record(st, v);
        fo_output_close(st, v);
        if (!v->pending) {
            fo_cache_remove(&st->cache, v);
        }
    }
}

int fo_output_open(struct file_state *st, struct fo_file *f, int64_t now)
{
    struct stat sb;
    int fd, created, rc;

    make_room(st, f);
    fd = open_path(st, f->path, &created);
    if ((fd == -EMFILE || fd == -ENFILE) && st->cache.nopen > 0) {
        /* max_open_files is above what the process may hold: give one back and retry. */
        struct fo_file *v = fo_cache_lru(&st->cache, f);
        fo_output_finish_record(st, v);
        fo_output_close(st, v);
        if (!v->pending) {
            fo_cache_remove(&st->cache, v);
        }
        fd = open_path(st, f->path, &created);
    }
    if (fd == -ENOENT && st->conf->mkdir) {
        rc = make_parent_dirs(st, f->path);
        if (rc < 0) {
            return rc;
        }
        fd = open_path(st, f->path, &created);
    }
    if (fd < 0) {
        return fd;
    }
    if (fstat(fd, &sb) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (created && (st->uid != (uid_t)-1 || st->gid != (gid_t)-1) &&
        fchown(fd, st->uid, st->gid) < 0) {
        ls_log(st->ins, LS_LOG_WARN, "chown %s: %s", f->path, strerror(errno));
    }
    f->dev = sb.st_dev;
    f->ino = sb.st_ino;
    f->regular = S_ISREG(sb.st_mode);
    f->rs.size = (uint64_t)sb.st_size;
    f->rs.opened = now;
    /* A non-empty file's data began at the latest at its last change: if that was in an
     * earlier period (say, yesterday), it rotates before the first write. */
    f->rs.period_end = fo_period_end(
        st->rot.every, st->rot.utc,
        sb.st_size > 0 ? (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec : now);
    fo_cache_set_open(&st->cache, f, fd);
    if (st->maintained && f->regular) {
        fo_worker_maintain(st->worker, f->path);
    }
    return 0;
}

void fo_output_close(struct file_state *st, struct fo_file *f)
{
    int fd = fo_cache_detach(&st->cache, f);

    if (fd < 0) {
        return;
    }
    if (f->dirty && st->conf->fsync == FO_FSYNC_INTERVAL && st->worker) {
        fo_worker_sync(st->worker, fd, f->path); /* it closes fd after syncing */
    } else {
        close(fd);
    }
    f->dirty = 0;
}

/* 1 while the path still names the file f has open. */
static int same_file(const struct fo_file *f)
{
    struct stat sb;

    if (stat(f->path, &sb) < 0) {
        return errno != ENOENT && errno != ENOTDIR;
    }
    return sb.st_dev == f->dev && sb.st_ino == f->ino;
}

/* ---- rotation ---------------------------------------------------------------------------- */

/* 1 if neither `name` nor its compressed or temporary forms exist. */
static int rotated_name_free(const char *name)
{
    static const char *const suffixes[] = {"", ".gz", ".lz4", ".gz.tmp", ".lz4.tmp"};
    char buf[FO_PATH_MAX + 64];
    struct stat sb;

    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(buf, sizeof buf, "%s%s", name, suffixes[i]);
        if (lstat(buf, &sb) == 0 || errno != ENOENT) {
            return 0;
        }
    }
    return 1;
}

/* One more than the largest ".n" of the rotated files of f stamped `sec`; 0 if there are none.
 * Needed because retention may have removed ".0" while ".1" still exists: reusing the free
 * ".0" would make the newest file sort as the oldest. */
static unsigned next_n_on_disk(const struct fo_file *f, int64_t sec)
{
    const char *slash = strrchr(f->path, '/');
    char *dir =
        slash ? strndup(f->path, slash == f->path ? 1 : (size_t)(slash - f->path)) : strdup(".");
    const char *base = slash ? slash + 1 : f->path;
    unsigned next = 0;
    struct dirent *de;
    DIR *d;

    if (!dir) {
        abort();
    }
    d = opendir(dir);
    while (d && (de = readdir(d)) != NULL) {
        struct fo_rotated r;
        if (fo_rotated_parse(base, de->d_name, &r) && r.stamp == sec && r.n + 1 > next) {
            next = r.n + 1;
        }
    }
    if (d) {
        closedir(d);
    }
    free(dir);
    return next;
}

/* The first ".n" to try for a rotation of f at second sec: after the last one this entry
 * used in the same second, else after any on disk. */
static unsigned first_n(const struct fo_file *f, int64_t sec)
{
    if (f->rot_hint) {
        return f->rot_sec == sec ? f->rot_n + 1 : 0;
    }
    return next_n_on_disk(f, sec);
}

int fo_output_rotate(struct file_state *st, struct fo_file *f, int64_t now, int reopen)
{
    char stamp[FO_STAMP_SIZE], name[FO_PATH_MAX + 32];
    int64_t sec = now / 1000000000 - (now % 1000000000 < 0);
    unsigned n, tries;

    fo_rotated_stamp(stamp, now);
    for (n = first_n(f, sec), tries = 0; tries < ROTATE_TRIES; n++, tries++) {
        if (fo_rotated_name(name, sizeof name, f->path, stamp, n) < 0) {
            tries = ROTATE_TRIES;
            break;
        }
        if (rotated_name_free(name)) {
            break;
        }
    }
    if (tries < ROTATE_TRIES) {
        f->rot_hint = 1;
        f->rot_sec = sec;
        f->rot_n = n;
    }
    fo_output_close(st, f);
    if (tries == ROTATE_TRIES) {
        ls_log(st->ins, LS_LOG_WARN, "rotate %s: no free name for the rotated file", f->path);
    } else if (rename(f->path, name) == 0) {
        ls_counter_add(st->rotations, 1);
        ls_log(st->ins, LS_LOG_DEBUG, "rotated %s -> %s", f->path, name);
        if (st->maintained) {
            fo_worker_maintain(st->worker, f->path);
        }
    } else if (errno != ENOENT) {
        ls_log(st->ins, LS_LOG_WARN, "rotate %s -> %s: %s", f->path, name, strerror(errno));
    }
    return reopen ? fo_output_open(st, f, now) : 0;
}

/* ---- formatting -------------------------------------------------------------------------- */

static void add_seg(struct file_state *st, struct fo_file *f, size_t off, size_t len)
{
    struct fo_wseg *s;
    size_t idx;

    f->bytes += len;
    f->nrec++;
    if (st->nsegs > 0) {
        s = &st->segs[st->nsegs - 1];
        if (s->f == f && s->off + s->len == off) {
            s->len += len;
            return;
        }
    }
    if (st->nsegs == st->segcap) {
        st->segcap = st->segcap ? st->segcap * 2 : 256;
        st->segs = realloc(st->segs, st->segcap * sizeof *st->segs);
        if (!st->segs) {
            abort();
        }
    }
    idx = st->nsegs++;
    s = &st->segs[idx];
    s->f = f;
    s->off = off;
    s->len = len;
    s->next = FO_NO_SEG;
    if (f->seg_last != FO_NO_SEG) {
        st->segs[f->seg_last].next = idx;
    } else {
        f->seg_first = f->cur_seg = idx;
        f->cur_off = 0;
    }
    f->seg_last = idx;
    if (!f->pending) {
        f->pending = 1;
        f->pnext = NULL;
        if (st->plist_tail) {
            st->plist_tail->pnext = f;
        } else {
            st->plist = f;
        }
        st->plist_tail = f;
    }
}

static struct fo_file *get_file(struct file_state *st, const char *path, size_t len)
{
    struct fo_file *f = fo_cache_find(&st->cache, path, len);

    return f ? f : fo_cache_add(&st->cache, path, len);
}

/* The file record r goes to (last: the previous record's, a shortcut); NULL if its path does
 * not fit in FO_PATH_MAX. */
static struct fo_file *file_for(struct file_state *st, const struct ls_record *r,
                                struct fo_file *last)
{
    int len;

    if (!st->templated) {
        return last ? last : get_file(st, st->conf->path, strlen(st->conf->path));
    }
    len = fo_path_render(&st->path, r, &st->rctx, st->pathbuf, sizeof st->pathbuf);
    if (len < 0) {
        return NULL;
    }
    if (last && last->len == (size_t)len && memcmp(last->path, st->pathbuf, (size_t)len) == 0) {
        return last;
    }
    return get_file(st, st->pathbuf, (size_t)len);
}

static void format_record(struct file_state *st, const struct ls_record *r)
{
    switch (st->conf->format) {
    case FO_FORMAT_JSON:
        ls_fmt_record_json(&st->buf, r, &st->fmt);
        break;
    case FO_FORMAT_TRADITIONAL:
        ls_fmt_record_traditional(&st->buf, r, &st->sopts, &st->clk);
        ls_fmt_buf_add(&st->buf, "\n", 1);
        break;
    case FO_FORMAT_RFC5424:
        ls_fmt_record_rfc5424(&st->buf, r, &st->sopts);
        ls_fmt_buf_add(&st->buf, "\n", 1);
        break;
    case FO_FORMAT_TEMPLATE:
        fo_template_line(&st->buf, &st->line, r, &st->rctx);
        break;
    default:
        ls_fmt_record_raw(&st->buf, r);
        break;
    }
}

static void format_batch(struct file_state *st, struct ls_batch *b, size_t count)
{
    struct fo_file *f = NULL;
    size_t dropped = 0;

    st->fmt.input = ls_batch_input(b);
    st->fmt.pipeline = ls_batch_pipeline(b);
    st->buf.len = 0;
    st->nsegs = 0;
    for (size_t i = 0; i < count; i++) {
        const struct ls_record *r = ls_batch_record(b, i);
        struct fo_file *g = file_for(st, r, f);
        size_t off = st->buf.len;

        if (!g) {
            dropped++;
            continue;
        }
        f = g;
        format_record(st, r);
        add_seg(st, f, off, st->buf.len - off);
    }
    if (dropped) {
        ls_count_drop(st->ins, "path_too_long", dropped);
        ls_log(st->ins, LS_LOG_WARN, "%zu records dropped: their path is longer than %d bytes",
               dropped, FO_PATH_MAX - 1);
    }
    st->pending = b;
    st->pending_count = count;
    st->pending_first = ls_batch_record(b, 0);
}

/* ---- writing ----------------------------------------------------------------------------- */

/* n more bytes of f are in the file: move its cursor. */
static void advance(struct file_state *st, struct fo_file *f, size_t n)
{
    f->written += n;
    f->rs.size += n;
    f->dirty = 1;
    while (n > 0 && f->cur_seg != FO_NO_SEG) {
        const struct fo_wseg *s = &st->segs[f->cur_seg];
        size_t rem = s->len - f->cur_off;

        if (n < rem) {
            f->cur_off += n;
            return;
        }
        n -= rem;
        f->cur_seg = s->next;
        f->cur_off = 0;
    }
}

/* Write f's bytes [written, upto). Returns LS_OK, LS_EAGAIN, or LS_ERROR (logged). */
static int write_segs(struct file_state *st, struct fo_file *f, size_t upto)
{
    struct iovec iov[IOV_CHUNK];

    while (f->written < upto) {
        size_t si = f->cur_seg, off = f->cur_off, want = 0;
        int n = 0, err;
        ssize_t w;

        while (si != FO_NO_SEG && n < IOV_CHUNK && f->written + want < upto) {
            const struct fo_wseg *s = &st->segs[si];
            size_t len = s->len - off;

            if (len > upto - f->written - want) {
                len = upto - f->written - want;
            }
            iov[n].iov_base = st->buf.data + s->off + off;
            iov[n].iov_len = len;
            n++;
            want += len;
            si = s->next;
            off = 0;
        }
        w = writev(f->fd, iov, n);
        if (w > 0) {
            advance(st, f, (size_t)w);
            continue;
        }
        err = w < 0 ? errno : EIO;
        if (err == EINTR) {
            continue;
        }
        if (transient_write(err)) {
            note_failure(st, f, "write", err);
            return LS_EAGAIN;
        }
        ls_counter_add(st->write_errors, 1);
        ls_log(st->ins, LS_LOG_ERROR, "write %s: %s; dropping %s", f->path, strerror(err),
               st->templated ? "its records" : "the batch");
        return LS_ERROR;
    }
    return LS_OK;
}

void fo_output_finish_record(struct file_state *st, struct fo_file *f)
{
    const struct fo_wseg *s;
    const char *start, *nl;

    if (f->fd < 0 || f->written == 0 || f->written >= f->bytes || f->cur_seg == FO_NO_SEG ||
        f->cur_off == 0) {
        return; /* segments hold whole records: a segment start is a record boundary */
    }
    s = &st->segs[f->cur_seg];
    start = st->buf.data + s->off + f->cur_off;
    if (start[-1] == '\n') {
        return;
    }
    nl = memchr(start, '\n', s->len - f->cur_off);
    write_segs(st, f, f->written + (nl ? (size_t)(nl - start) + 1 : s->len - f->cur_off));
}

/* Before the first byte of a batch goes to f: (re)open it and rotate it if due. */
static int prepare(struct file_state *st, struct fo_file *f, int64_t now)
{
    int rc;

    if (f->fd >= 0 && !same_file(f)) {
        ls_log(st->ins, LS_LOG_INFO, "%s was moved or removed; opening it again", f->path);
        fo_output_close(st, f);
    }
    if (f->fd < 0 && (rc = fo_output_open(st, f, now)) < 0) {
        return open_failed(st, f, -rc);
    }
    if (st->rotating && f->regular && fo_rotate_due(&st->rot, &f->rs, now, f->bytes)) {
        rc = fo_output_rotate(st, f, now, 1);
        if (rc < 0) {
            return open_failed(st, f, -rc);
        }
    }
    return LS_OK;
}

static int write_file(struct file_state *st, struct fo_file *f, int64_t now)
{
    int rc;

    if (f->written == 0) {
        rc = prepare(st, f, now);
        if (rc != LS_OK) {
            return rc;
        }
    } else if (f->fd < 0 && (rc = fo_output_open(st, f, now)) < 0) {
        return open_failed(st, f, -rc);
    }
    fo_cache_touch(&st->cache, f);
    if (f->rs.size == 0) {
        /* The file's data begins now: its age and period count from here, not from an open
         * that may have been long ago (an idle file that was just rotated, say). */
        f->rs.opened = now;
        f->rs.period_end = fo_period_end(st->rot.every, st->rot.utc, now);
    }
    rc = write_segs(st, f, f->bytes);
    if (rc == LS_OK) {
        note_success(st, f);
    }
    return rc;
}

/* fsync: batch - the batch counts as delivered only once it is on disk. A file that cannot be
 * synced (a pipe, a terminal) is fine. */
static int sync_batch(struct file_state *st)
{
    for (struct fo_file *f = st->plist; f; f = f->pnext) {
        if (f->fd < 0 || !f->dirty) {
            continue;
        }
        if (fdatasync(f->fd) < 0 && errno != EINVAL && errno != EROFS) {
            note_failure(st, f, "fdatasync", errno);
            return LS_EAGAIN; /* the retry writes nothing again, it only syncs */
        }
        f->dirty = 0;
    }
    return LS_OK;
}

static int write_pending(struct file_state *st)
{
    int64_t now = ls_now();
    int rc;

    for (struct fo_file *f = st->plist; f; f = f->pnext) {
        if (f->written >= f->bytes) {
            continue;
        }
        rc = write_file(st, f, now);
        if (rc == LS_EAGAIN) {
            return rc;
        }
        if (rc != LS_OK) {
            if (!st->templated) {
                return rc; /* the core drops (and counts) the batch */
            }
            ls_count_drop(st->ins, "file_error", f->nrec);
            f->written = f->bytes;
            f->failing = 0;
        }
    }
    return st->conf->fsync == FO_FSYNC_BATCH ? sync_batch(st) : LS_OK;
}

void fo_output_forget(struct file_state *st)
{
    struct fo_file *f = st->plist, *next;

    for (; f; f = next) {
        next = f->pnext;
        f->pending = 0;
        f->pnext = NULL;
        f->seg_first = f->seg_last = f->cur_seg = FO_NO_SEG;
        f->cur_off = f->bytes = f->written = f->nrec = 0;
        if (f->fd < 0) {
            fo_cache_remove(&st->cache, f);
        }
    }
    st->plist = st->plist_tail = NULL;
    st->nsegs = 0;
    if (st->segcap > SEGS_KEEP) {
        free(st->segs);
        st->segs = NULL;
        st->segcap = 0;
    }
    st->buf.len = 0;
    if (st->buf.cap > BUF_KEEP) {
        ls_fmt_buf_release(&st->buf);
    }
    st->pending = NULL;
}

static int is_pending(const struct file_state *st, const struct ls_batch *b, size_t count)
{
    return st->pending == b && st->pending_count == count &&
           st->pending_first == ls_batch_record(b, 0);
}

int fo_output_write(struct file_state *st, struct ls_batch *b)
{
    size_t count = ls_batch_count(b);
    int rc;

    if (count == 0) {
        return LS_OK;
    }
    if (!is_pending(st, b, count)) {
        /* The core gave up on the previous batch: do not leave half a record behind. */
        for (struct fo_file *f = st->plist; f; f = f->pnext) {
            fo_output_finish_record(st, f);
        }
        fo_output_forget(st);
        format_batch(st, b, count);
    }
    rc = write_pending(st);
    if (rc == LS_EAGAIN) {
        return rc;
    }
    fo_output_forget(st);
    return rc;
}
