/*
 * file.c - the `file` output: append every record to one file, as raw lines or JSON lines.
 *
 * A batch is formatted into one buffer (kept in the state and reused) and written with one
 * write(2) loop. Temporary failures (disk full, I/O error, a file that cannot be opened yet)
 * return LS_EAGAIN: the core retries the same batch after a backoff, and the write resumes at
 * the first byte not yet written, so no record is written twice. Only the first failure of a
 * run is logged; every failed write counts in logstream_file_write_errors_total.
 *
 * init checks the path without side effects (it also runs for --check); start creates missing
 * parent directories (mkdir: true) and opens the file; reopen (SIGUSR1) closes and reopens it
 * for external rotation.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <logstream/plugin.h>

#include "format.h"

#define DIR_MODE 0750
#define BUF_KEEP (16u * 1024 * 1024) /* a larger formatting buffer is freed after use */

enum { FORMAT_RAW, FORMAT_JSON };
enum { FSYNC_NEVER, FSYNC_BATCH };

static const char *const format_values[] = {"raw", "json", NULL};
static const char *const fsync_values[] = {"never", "batch", NULL};

struct file_conf {
    char *path;
    int format;
    char *mode;
    int mkdir;
    int fsync;
};

static const struct ls_option file_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct file_conf, path),
     .required = 1,
     .doc = "file to append to; created if missing"},
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct file_conf, format),
     .def = "raw",
     .enum_values = format_values,
     .doc = "raw: each record's raw bytes and a newline; json: one JSON object per line"},
    {.name = "mode",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct file_conf, mode),
     .def = "0640",
     .doc = "permissions of a file this output creates, in octal (the umask still applies)"},
    {.name = "mkdir",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct file_conf, mkdir),
     .def = "true",
     .doc = "create missing parent directories (mode 0750)"},
    {.name = "fsync",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct file_conf, fsync),
     .def = "never",
     .enum_values = fsync_values,
     .doc = "never: leave flushing to the kernel; batch: fdatasync(2) after every batch"},
    {.name = NULL},
};

struct file_state {
    struct ls_instance *ins;
    const struct file_conf *conf;
    mode_t mode;
    int fd; /* -1 while closed */
    struct ls_fmt_buf buf;
    size_t written; /* bytes of buf already in the file */
    /* The batch buf holds, while it is not completely written (and synced). */
    const struct ls_batch *pending;
    size_t pending_count;
    const struct ls_record *pending_first;
    int failing; /* a failure was logged; the next success says so */
    struct ls_counter *write_errors;
};

/* ---- init checks ------------------------------------------------------------------------- */

static int parse_mode(const char *s, mode_t *out)
{
    unsigned long v = 0;
    size_t n = 0;

    if (!s) {
        return -1;
    }
    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '7' || n >= 5) {
            return -1;
        }
        v = v * 8 + (unsigned long)(s[n] - '0');
    }
    if (n == 0 || v > 07777) {
        return -1;
    }
    *out = (mode_t)v;
    return 0;
}

static char *parent_of(const char *path)
{
    char *copy = strdup(path);
    char *dir;

    if (!copy) {
        abort();
    }
    dir = strdup(dirname(copy));
    free(copy);
    if (!dir) {
        abort();
    }
    return dir;
}

/* The nearest existing ancestor of a missing directory must be a writable directory. */
static int check_dir(struct ls_instance *ins, const char *dir, int may_create)
{
    char *cur = strdup(dir);
    int rc = LS_EINVAL;
    struct stat sb;

    if (!cur) {
        abort();
    }
    while (stat(cur, &sb) < 0) {
        char *up;

        if (errno != ENOENT) {
            ls_log(ins, LS_LOG_ERROR, "directory %s: %s", cur, strerror(errno));
            goto out;
        }
        if (!may_create) {
            ls_log(ins, LS_LOG_ERROR, "directory %s does not exist (and mkdir is false)", cur);
            goto out;
        }
        up = parent_of(cur);
        if (strcmp(up, cur) == 0) {
            free(up);
            ls_log(ins, LS_LOG_ERROR, "directory %s: %s", cur, strerror(ENOENT));
            goto out;
        }
        free(cur);
        cur = up;
    }
    if (!S_ISDIR(sb.st_mode)) {
        ls_log(ins, LS_LOG_ERROR, "%s is not a directory", cur);
    } else if (access(cur, W_OK | X_OK) < 0) {
        ls_log(ins, LS_LOG_ERROR, "directory %s is not writable: %s", cur, strerror(errno));
    } else {
        rc = LS_OK;
    }
out:
    free(cur);
    return rc;
}

/* No side effects: --check runs this too. */
static int check_path(struct ls_instance *ins, const struct file_conf *conf)
{
    struct stat sb;
    char *dir;
    int rc;

    if (!conf->path || conf->path[0] == '\0') {
        ls_log(ins, LS_LOG_ERROR, "option 'path': must not be empty");
        return LS_EINVAL;
    }
    if (stat(conf->path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            ls_log(ins, LS_LOG_ERROR, "path %s is a directory", conf->path);
            return LS_EINVAL;
        }
        if (access(conf->path, W_OK) < 0) {
            ls_log(ins, LS_LOG_ERROR, "path %s is not writable: %s", conf->path, strerror(errno));
            return LS_EINVAL;
        }
        return LS_OK;
    }
    if (errno != ENOENT) {
        ls_log(ins, LS_LOG_ERROR, "path %s: %s", conf->path, strerror(errno));
        return LS_EINVAL;
    }
    dir = parent_of(conf->path);
    rc = check_dir(ins, dir, conf->mkdir);
    free(dir);
    return rc;
}

/* ---- opening ----------------------------------------------------------------------------- */

/* mkdir -p; returns 0 or -errno. */
static int make_dirs(const char *dir)
{
    char *p = strdup(dir);
    int rc = 0;

    if (!p) {
        abort();
    }
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') {
            continue;
        }
        char saved = *s;
        *s = '\0';
        if (mkdir(p, DIR_MODE) < 0 && errno != EEXIST) {
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

/* Returns 0 or -errno; logs nothing (callers know whether it is the first failure). The open
 * is non-blocking so that a FIFO without a reader fails (ENXIO) instead of hanging the thread;
 * writes then block as usual: a slow reader is backpressure, not an error. */
static int open_file(struct file_state *st)
{
    int fd, flags;

    if (st->conf->mkdir) {
        char *dir = parent_of(st->conf->path);
        int rc = make_dirs(dir);
        free(dir);
        if (rc < 0) {
            return rc;
        }
    }
    fd = open(st->conf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
              st->mode);
    if (fd < 0) {
        return -errno;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    st->fd = fd;
    return 0;
}

/* ---- writing ----------------------------------------------------------------------------- */

static int transient(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == ENOSPC || err == EIO || err == EDQUOT ||
           err == EPIPE || err == EINTR;
}

static void note_failure(struct file_state *st, const char *what, int err)
{
    ls_counter_add(st->write_errors, 1);
    if (!st->failing) {
        ls_log(st->ins, LS_LOG_WARN, "%s %s: %s; retrying", what, st->conf->path, strerror(err));
        st->failing = 1;
    }
}

static void forget_pending(struct file_state *st)
{
    st->pending = NULL;
    st->written = 0;
    st->buf.len = 0;
    if (st->buf.cap > BUF_KEEP) {
        ls_fmt_buf_release(&st->buf);
    }
}

/* Write buf[written, upto); returns 0, LS_EAGAIN, or LS_ERROR (permanent, logged). */
static int write_upto(struct file_state *st, size_t upto)
{
    while (st->written < upto) {
        ssize_t n = write(st->fd, st->buf.data + st->written, upto - st->written);
        int err;

        if (n > 0) {
            st->written += (size_t)n;
            continue;
        }
        err = n < 0 ? errno : EIO;
        if (err == EINTR) {
            continue;
        }
        if (transient(err)) {
            note_failure(st, "write", err);
            return LS_EAGAIN;
        }
        ls_counter_add(st->write_errors, 1);
        ls_log(st->ins, LS_LOG_ERROR, "write %s: %s; dropping the batch", st->conf->path,
               strerror(err));
        return LS_ERROR;
    }
    return LS_OK;
}

/* If a record is half written, write the rest of that record only, so the file never holds a
 * record cut in two (used before switching files or batches). Best effort. */
static int finish_partial_record(struct file_state *st)
{
    const char *nl;

    if (st->fd < 0 || st->written == 0 || st->written >= st->buf.len ||
        st->buf.data[st->written - 1] == '\n') {
        return LS_OK;
    }
    nl = memchr(st->buf.data + st->written, '\n', st->buf.len - st->written);
    return write_upto(st, nl ? (size_t)(nl - st->buf.data) + 1 : st->buf.len);
}

/* fdatasync for fsync: batch. A file that cannot be synced (a pipe, a terminal) is fine. */
static int sync_file(struct file_state *st)
{
    if (fdatasync(st->fd) == 0 || errno == EINVAL || errno == EROFS) {
        return LS_OK;
    }
    note_failure(st, "fdatasync", errno);
    return LS_EAGAIN;
}

static int is_pending(const struct file_state *st, const struct ls_batch *b, size_t count)
{
    return st->pending == b && st->pending_count == count &&
           st->pending_first == ls_batch_record(b, 0);
}

static void format_batch(struct file_state *st, struct ls_batch *b, size_t count)
{
    struct ls_fmt_ctx ctx = {.input = ls_batch_input(b),
                             .pipeline = ls_batch_pipeline(b),
                             .severity_name = ls_severity_name,
                             .facility_name = ls_facility_name};

    st->buf.len = 0;
    st->written = 0;
    for (size_t i = 0; i < count; i++) {
        const struct ls_record *r = ls_batch_record(b, i);
        if (st->conf->format == FORMAT_JSON) {
            ls_fmt_record_json(&st->buf, r, &ctx);
        } else {
            ls_fmt_record_raw(&st->buf, r);
        }
    }
    st->pending = b;
    st->pending_count = count;
    st->pending_first = ls_batch_record(b, 0);
}

static int file_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    struct file_state *st = state;
    size_t count = ls_batch_count(b);
    int rc;

    (void)ins;
    if (count == 0) {
        return LS_OK;
    }
    if (!is_pending(st, b, count)) {
        /* The core gave up on the previous batch: do not leave half a record behind. */
        if (finish_partial_record(st) == LS_EAGAIN) {
            return LS_EAGAIN;
        }
        format_batch(st, b, count);
    }
    if (st->fd < 0 && (rc = open_file(st)) < 0) {
        note_failure(st, "open", -rc);
        return LS_EAGAIN;
    }
    rc = write_upto(st, st->buf.len);
    if (rc == LS_OK && st->conf->fsync == FSYNC_BATCH && sync_file(st) < 0) {
        return LS_EAGAIN; /* the retry writes nothing again, it only syncs */
    }
    if (rc == LS_EAGAIN) {
        return rc;
    }
    if (rc == LS_OK && st->failing) {
        ls_log(st->ins, LS_LOG_INFO, "writing to %s again", st->conf->path);
        st->failing = 0;
    }
    forget_pending(st);
    return rc;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int file_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct file_conf *c = conf;
    struct file_state *st;
    mode_t mode;
    int rc;

    if (parse_mode(c->mode, &mode) < 0) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'mode': expected an octal file mode like 0640, got \"%s\"",
               c->mode ? c->mode : "");
        return LS_EINVAL;
    }
    rc = check_path(ins, c);
    if (rc < 0) {
        return rc;
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        abort();
    }
    st->ins = ins;
    st->conf = c;
    st->mode = mode;
    st->fd = -1;
    st->write_errors = ls_counter_new(ins, "write_errors", "failed writes to the output file");
    *state = st;
    return LS_OK;
}

static int file_start(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;
    int rc = open_file(st);

    if (rc < 0) {
        ls_log(ins, LS_LOG_ERROR, "open %s: %s", st->conf->path, strerror(-rc));
        return LS_ERROR;
    }
    return LS_OK;
}

static void file_reopen(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;
    int rc;

    finish_partial_record(st);
    if (st->fd >= 0) {
        close(st->fd);
        st->fd = -1;
    }
    rc = open_file(st);
    if (rc < 0) {
        ls_log(ins, LS_LOG_ERROR, "reopen %s: %s; retrying with the next write", st->conf->path,
               strerror(-rc));
        st->failing = 1;
        return;
    }
    ls_log(ins, LS_LOG_INFO, "reopened %s", st->conf->path);
}

static void file_stop(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;

    (void)ins;
    finish_partial_record(st);
    if (st->fd >= 0) {
        close(st->fd);
        st->fd = -1;
    }
}

static void file_fini(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    if (st->fd >= 0) {
        close(st->fd);
    }
    ls_fmt_buf_release(&st->buf);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "file",
                 .summary = "Append records to a file as raw lines or JSON lines",
                 .options = file_options, .config_size = sizeof(struct file_conf),
                 .init = file_init, .start = file_start, .stop = file_stop, .fini = file_fini,
                 .write = file_write, .reopen = file_reopen);
