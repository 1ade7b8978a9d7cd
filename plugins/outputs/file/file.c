/*
 * file.c - the `file` output: options, lifecycle, SIGUSR1 and the housekeeping timer. The
 * write path is output.c; path templates template.c; rotation rules rotate.c; compression,
 * retention and interval syncs run on the worker thread (worker.c).
 *
 * init checks everything without side effects (it also runs for --check); start creates the
 * worker and the timer and, for a fixed path, opens the file (creating missing directories);
 * stop syncs (unless fsync: never), closes every file and joins the worker; reopen (SIGUSR1)
 * closes every file so that the next write opens the configured path again (a fixed path is
 * opened at once) - for external rotation.
 *
 * The timer (every second, or every fsync_interval when shorter) hands dirty files to the
 * worker for fdatasync (fsync: interval) and rotates idle files whose age or wall-clock period
 * is up, so a quiet file still turns at midnight.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileout.h"

#define NS_PER_S 1000000000LL
#define TICK_MAX NS_PER_S

static const char *const format_values[] = {"raw",     "json",     "traditional",
                                            "rfc5424", "template", NULL};
static const char *const fsync_values[] = {"never", "batch", "interval", NULL};
static const char *const tz_values[] = {"local", "utc", NULL};
static const char *const every_values[] = {"none", "hourly", "daily", NULL};
static const char *const compress_values[] = {"none", "gzip", "lz4", NULL};

#define OPT(field) offsetof(struct file_conf, field)

static const struct ls_option rotate_options[] = {
    {.name = "size",
     .type = LS_OPT_SIZE,
     .offset = OPT(rot_size),
     .min = 4096,
     .max = 1LL << 50,
     .doc = "rotate before a write would take the file past this size (unset: no size limit)"},
    {.name = "age",
     .type = LS_OPT_DURATION,
     .offset = OPT(rot_age),
     .min = NS_PER_S,
     .max = 366 * 86400 * NS_PER_S,
     .doc = "rotate a file this long after this output opened it (unset: never)"},
    {.name = "every",
     .type = LS_OPT_ENUM,
     .offset = OPT(rot_every),
     .def = "none",
     .enum_values = every_values,
     .doc = "rotate at every full hour or midnight (in `timezone`)"},
    {.name = "keep",
     .type = LS_OPT_INT,
     .offset = OPT(rot_keep),
     .def = "0",
     .min = 0,
     .max = 1000000,
     .doc = "rotated files to keep per live file, newest first (0: no count limit)"},
    {.name = "max_age",
     .type = LS_OPT_DURATION,
     .offset = OPT(rot_max_age),
     .min = NS_PER_S,
     .max = 100LL * 366 * 86400 * NS_PER_S,
     .doc = "remove rotated files older than this (by the time in their name; unset: never)"},
    {.name = "max_total_size",
     .type = LS_OPT_SIZE,
     .offset = OPT(rot_max_total),
     .min = 1,
     .max = 1LL << 50,
     .doc = "remove the oldest rotated files while theirs exceed this total (unset: no limit)"},
    {.name = "compress",
     .type = LS_OPT_ENUM,
     .offset = OPT(rot_compress),
     .def = "none",
     .enum_values = compress_values,
     .doc = "compress rotated files in the background: gzip (.gz) or lz4 (.lz4)"},
    {.name = "compress_level",
     .type = LS_OPT_INT,
     .offset = OPT(rot_level),
     .def = "0",
     .min = 0,
     .max = 12,
     .doc = "0: the codec's default (gzip 6, lz4 fast); gzip 1..9, lz4 1..12"},
    {.name = NULL},
};

static const struct ls_option file_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = OPT(path),
     .required = 1,
     .doc = "file to append to; may use ${app}, ${host}, ... and strftime %Y-%m-%d"},
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = OPT(format),
     .def = "raw",
     .enum_values = format_values,
     .doc = "raw bytes, json lines, traditional syslog file lines, rfc5424, or template"},
    {.name = "template",
     .type = LS_OPT_STRING,
     .offset = OPT(template_text),
     .doc = "the line for format: template, e.g. \"${time} ${host} ${app}: ${message}\""},
    {.name = "mode",
     .type = LS_OPT_STRING,
     .offset = OPT(mode),
     .def = "0640",
     .doc = "permissions of a file this output creates, in octal (the umask still applies)"},
    {.name = "dir_mode",
     .type = LS_OPT_STRING,
     .offset = OPT(dir_mode),
     .def = "0750",
     .doc = "permissions of directories this output creates, in octal (the umask applies)"},
    {.name = "owner",
     .type = LS_OPT_STRING,
     .offset = OPT(owner),
     .doc = "user (name or number) given the files and directories this output creates"},
    {.name = "group",
     .type = LS_OPT_STRING,
     .offset = OPT(group),
     .doc = "group (name or number) given the files and directories this output creates"},
    {.name = "mkdir",
     .type = LS_OPT_BOOL,
     .offset = OPT(mkdir),
     .def = "true",
     .doc = "create missing parent directories when a file is opened"},
    {.name = "fsync",
     .type = LS_OPT_ENUM,
     .offset = OPT(fsync),
     .def = "interval",
     .enum_values = fsync_values,
     .doc = "never; batch: fdatasync before a batch counts as written; interval: in the "
            "background every fsync_interval"},
    {.name = "fsync_interval",
     .type = LS_OPT_DURATION,
     .offset = OPT(fsync_interval),
     .def = "1s",
     .min = 10 * 1000000LL,
     .max = 3600 * NS_PER_S,
     .doc = "how often fsync: interval syncs files written since the last time"},
    {.name = "max_open_files",
     .type = LS_OPT_INT,
     .offset = OPT(max_open_files),
     .def = "64",
     .min = 1,
     .max = 65536,
     .doc = "descriptors kept open at most; the least recently used file is closed first"},
    {.name = "timezone",
     .type = LS_OPT_ENUM,
     .offset = OPT(timezone),
     .def = "local",
     .enum_values = tz_values,
     .doc = "zone of traditional timestamps, strftime in path, and every: daily/hourly"},
    {.name = "rotate",
     .type = LS_OPT_OBJECT,
     .sub = rotate_options,
     .doc = "rotation and retention: { size, age, every, keep, max_age, max_total_size, "
            "compress, compress_level }"},
    {.name = NULL},
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

static int parse_id(const char *s, unsigned long *out)
{
    char *end;

    if (!s || !*s || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    *out = strtoul(s, &end, 10);
    return *end || errno || *out >= (unsigned long)UINT32_MAX ? -1 : 0;
}

static int resolve_owner(struct ls_instance *ins, const struct file_conf *c, uid_t *uid, gid_t *gid)
{
    unsigned long id;

    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (c->owner) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (parse_id(c->owner, &id) == 0) {
            *uid = (uid_t)id;
        } else if (getpwnam_r(c->owner, &pw, buf, sizeof buf, &res) == 0 && res) {
            *uid = res->pw_uid;
        } else {
            ls_log(ins, LS_LOG_ERROR, "option 'owner': no user \"%s\"", c->owner);
            return LS_EINVAL;
        }
    }
    if (c->group) {
        struct group gr, *res = NULL;
        char buf[4096];
        if (parse_id(c->group, &id) == 0) {
            *gid = (gid_t)id;
        } else if (getgrnam_r(c->group, &gr, buf, sizeof buf, &res) == 0 && res) {
            *gid = res->gr_gid;
        } else {
            ls_log(ins, LS_LOG_ERROR, "option 'group': no group \"%s\"", c->group);
            return LS_EINVAL;
        }
    }
    return LS_OK;
}

static char *parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");

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

/* No side effects: --check runs this too. A templated path is checked up to its first
 * variable: the directory every rendered path lies in. */
static int check_path(struct ls_instance *ins, const struct file_conf *conf, int templated)
{
    struct stat sb;
    char *dir;
    int rc;

    if (templated) {
        dir = fo_path_static_dir(conf->path);
        rc = check_dir(ins, dir, conf->mkdir);
        free(dir);
        return rc;
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

static int check_modes(struct ls_instance *ins, const struct file_conf *c, struct file_state *st)
{
    if (parse_mode(c->mode, &st->mode) < 0) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'mode': expected an octal file mode like 0640, got \"%s\"",
               c->mode ? c->mode : "");
        return LS_EINVAL;
    }
    if (parse_mode(c->dir_mode, &st->dir_mode) < 0) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'dir_mode': expected an octal directory mode like 0750, got \"%s\"",
               c->dir_mode ? c->dir_mode : "");
        return LS_EINVAL;
    }
    return resolve_owner(ins, c, &st->uid, &st->gid);
}

static int compile_templates(struct ls_instance *ins, const struct file_conf *c,
                             struct file_state *st)
{
    char why[512];

    if (!c->path || c->path[0] == '\0') {
        ls_log(ins, LS_LOG_ERROR, "option 'path': must not be empty");
        return LS_EINVAL;
    }
    if (fo_path_init(&st->path, c->path, c->timezone == FO_TZ_UTC, why, sizeof why) < 0) {
        ls_log(ins, LS_LOG_ERROR, "option 'path': %s", why);
        return LS_EINVAL;
    }
    st->templated = !fo_path_is_static(&st->path);
    if (c->format == FO_FORMAT_TEMPLATE && !c->template_text) {
        ls_log(ins, LS_LOG_ERROR, "option 'template': required with format: template");
        return LS_EINVAL;
    }
    if (c->template_text && c->format != FO_FORMAT_TEMPLATE) {
        ls_log(ins, LS_LOG_WARN, "option 'template' is ignored: format is not template");
    }
    if (c->format == FO_FORMAT_TEMPLATE &&
        fo_template_compile(&st->line, c->template_text, why, sizeof why) < 0) {
        ls_log(ins, LS_LOG_ERROR, "option 'template': %s", why);
        return LS_EINVAL;
    }
    return LS_OK;
}

static int check_rotation(struct ls_instance *ins, const struct file_conf *c, struct file_state *st)
{
    st->rot.size = c->rot_size;
    st->rot.age = c->rot_age;
    st->rot.every = c->rot_every;
    st->rot.utc = c->timezone == FO_TZ_UTC;
    st->rotating = c->rot_size || c->rot_age || c->rot_every != FO_EVERY_NONE;
    st->maintained =
        c->rot_compress != FO_COMPRESS_NONE || c->rot_keep || c->rot_max_age || c->rot_max_total;
    if (c->rot_compress == FO_COMPRESS_GZIP && c->rot_level > 9) {
        ls_log(ins, LS_LOG_ERROR, "option 'rotate.compress_level': gzip levels are 1..9, got %lld",
               (long long)c->rot_level);
        return LS_EINVAL;
    }
    if (st->maintained && !st->rotating) {
        ls_log(ins, LS_LOG_WARN,
               "rotate: compression and retention apply to rotated files, but no rotation is "
               "configured (rotate.size, rotate.age or rotate.every)");
    }
    return LS_OK;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void setup_context(struct file_state *st)
{
    char *dot;

    if (gethostname(st->hostname, sizeof st->hostname - 1) < 0) {
        snprintf(st->hostname, sizeof st->hostname, "localhost");
    }
    dot = strchr(st->hostname, '.');
    if (dot && dot != st->hostname) {
        *dot = '\0'; /* the short name, as rsyslog writes it */
    }
    st->clk.utc = st->conf->timezone == FO_TZ_UTC;
    st->sopts.host = st->hostname;
    st->sopts.default_facility = 1; /* user */
    st->sopts.default_severity = 5; /* notice */
    st->fmt.severity_name = ls_severity_name;
    st->fmt.facility_name = ls_facility_name;
    st->rctx.fmt = &st->fmt;
    st->rctx.hostname = st->hostname;
    st->rctx.clk = &st->clk;
    st->rctx.sopts = &st->sopts;
    st->tick_ns = st->conf->fsync == FO_FSYNC_INTERVAL && st->conf->fsync_interval < TICK_MAX
                      ? st->conf->fsync_interval
                      : TICK_MAX;
}

static void make_counters(struct file_state *st)
{
    struct ls_instance *ins = st->ins;

    st->write_errors = ls_counter_new(ins, "write_errors", "failed open/write/fdatasync attempts");
    st->rotations = ls_counter_new(ins, "rotations", "files rotated");
    st->compressed = ls_counter_new(ins, "compressed_files", "rotated files compressed");
    st->compress_errors = ls_counter_new(ins, "compress_errors", "compressions that failed");
    st->deleted = ls_counter_new(ins, "retention_deleted", "rotated files removed by retention");
    st->sync_errors = ls_counter_new(ins, "sync_errors", "failed background fdatasync calls");
}

static void state_free(struct file_state *st)
{
    fo_worker_free(st->worker);
    fo_cache_release(&st->cache);
    fo_path_release(&st->path);
    fo_template_release(&st->line);
    ls_fmt_buf_release(&st->buf);
    free(st->segs);
    free(st);
}

static int file_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct file_conf *c = conf;
    struct file_state *st = calloc(1, sizeof *st);
    int rc;

    if (!st) {
        abort();
    }
    st->ins = ins;
    st->conf = c;
    rc = check_modes(ins, c, st);
    if (rc == LS_OK) {
        rc = compile_templates(ins, c, st);
    }
    if (rc == LS_OK) {
        rc = check_rotation(ins, c, st);
    }
    if (rc == LS_OK) {
        rc = check_path(ins, c, st->templated);
    }
    if (rc != LS_OK) {
        state_free(st);
        return rc;
    }
    setup_context(st);
    fo_cache_init(&st->cache, (size_t)c->max_open_files);
    make_counters(st);
    *state = st;
    return LS_OK;
}

static void close_one(struct fo_file *f, void *arg)
{
    struct file_state *st = arg;

    fo_output_finish_record(st, f);
    fo_output_close(st, f);
    if (!f->pending) {
        fo_cache_remove(&st->cache, f);
    }
}

/* Hand every file written since the last sync to the worker. */
static void sync_dirty(struct file_state *st)
{
    for (struct fo_file *f = st->cache.head; f; f = f->next) {
        int fd;

        if (!f->dirty) {
            continue;
        }
        fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            continue; /* out of descriptors: the next tick tries again */
        }
        f->dirty = 0;
        fo_worker_sync(st->worker, fd, f->path);
    }
}

/* Rotate idle files whose age or period is up. A templated file is not reopened until it is
 * written again; a fixed path is, so that it always exists. */
static void rotate_idle(struct file_state *st, int64_t now)
{
    struct fo_file *f = st->cache.head, *next;

    for (; f; f = next) {
        next = f->next;
        if (f->pending || !f->regular || !fo_rotate_due(&st->rot, &f->rs, now, 0)) {
            continue;
        }
        /* A failed reopen is retried, and reported, by the next write. */
        (void)fo_output_rotate(st, f, now, !st->templated);
        if (f->fd < 0) {
            fo_cache_remove(&st->cache, f);
        }
    }
}

static void tick_cb(struct ls_timer *t, void *arg)
{
    struct file_state *st = arg;
    int64_t now = ls_now();

    if (st->conf->fsync == FO_FSYNC_INTERVAL && now - st->last_sync >= st->conf->fsync_interval) {
        sync_dirty(st);
        st->last_sync = now;
    }
    if (st->rot.age || st->rot.every != FO_EVERY_NONE) {
        rotate_idle(st, now);
    }
    ls_timer_arm(t, st->tick_ns);
}

/* A fixed path is opened (and its directories created) at start and after SIGUSR1. */
static int open_fixed(struct file_state *st)
{
    const char *p = st->conf->path;
    struct fo_file *f = fo_cache_find(&st->cache, p, strlen(p));

    if (!f) {
        f = fo_cache_add(&st->cache, p, strlen(p));
    }
    if (f->fd >= 0) {
        return 0;
    }
    return fo_output_open(st, f, ls_now());
}

static int file_start(struct ls_instance *ins, void *state)
{
    struct file_conf const *c;
    struct file_state *st = state;
    struct fo_worker_conf wc;
    int rc;

    c = st->conf;
    memset(&wc, 0, sizeof wc);
    wc.ins = ins;
    wc.compress = c->rot_compress;
    wc.level = c->rot_level ? (int)c->rot_level : (c->rot_compress == FO_COMPRESS_GZIP ? 6 : 0);
    wc.retention.keep = (uint64_t)c->rot_keep;
    wc.retention.max_age = c->rot_max_age;
    wc.retention.max_total = c->rot_max_total;
    wc.compressed = st->compressed;
    wc.compress_errors = st->compress_errors;
    wc.deleted = st->deleted;
    wc.sync_errors = st->sync_errors;
    st->worker = fo_worker_new(&wc);
    rc = fo_worker_start(st->worker);
    if (rc < 0) {
        ls_log(ins, LS_LOG_ERROR, "start the worker thread: %s", strerror(-rc));
        return LS_ERROR;
    }
    if (!st->templated && (rc = open_fixed(st)) < 0) {
        ls_log(ins, LS_LOG_ERROR, "open %s: %s", c->path, strerror(-rc));
        return LS_ERROR;
    }
    st->last_sync = ls_now();
    st->tick = ls_timer_new(ins, tick_cb, st);
    if (!st->tick || ls_timer_arm(st->tick, st->tick_ns) < 0) {
        ls_log(ins, LS_LOG_ERROR, "cannot arm the housekeeping timer");
        return LS_ERROR;
    }
    return LS_OK;
}

static void file_reopen(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;
    int rc;

    fo_cache_each(&st->cache, close_one, st);
    if (st->templated) {
        ls_log(ins, LS_LOG_INFO, "closed every file; each reopens with its next write");
        return;
    }
    rc = open_fixed(st);
    if (rc < 0) {
        ls_log(ins, LS_LOG_ERROR, "reopen %s: %s; retrying with the next write", st->conf->path,
               strerror(-rc));
        return;
    }
    ls_log(ins, LS_LOG_INFO, "reopened %s", st->conf->path);
}

static void sync_one(struct fo_file *f, void *arg)
{
    struct file_state *st = arg;

    if (f->fd >= 0 && f->dirty && fdatasync(f->fd) < 0 && errno != EINVAL && errno != EROFS) {
        ls_log(st->ins, LS_LOG_WARN, "fdatasync %s: %s", f->path, strerror(errno));
    }
    f->dirty = 0;
}

static void file_stop(struct ls_instance *ins, void *state)
{
    struct file_state *st = state;

    (void)ins;
    ls_timer_free(st->tick);
    st->tick = NULL;
    if (st->conf->fsync != FO_FSYNC_NEVER) {
        fo_cache_each(&st->cache, sync_one, st);
    }
    fo_cache_each(&st->cache, close_one, st);
    if (st->worker) {
        fo_worker_stop(st->worker);
    }
}

static void file_fini(struct ls_instance *ins, void *state)
{
    (void)ins;
    if (state) {
        state_free(state);
    }
}

static int file_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    (void)ins;
    return fo_output_write(state, b);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "file",
                 .summary = "Append records to files: raw, JSON, syslog or templated lines, with "
                            "path templates, rotation, retention and compression",
                 .options = file_options, .config_size = sizeof(struct file_conf),
                 .init = file_init, .start = file_start, .stop = file_stop, .fini = file_fini,
                 .write = file_write, .reopen = file_reopen);
