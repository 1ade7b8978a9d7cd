/*
 * journald.c - the `journald` input: entries of the systemd journal as records.
 *
 * libsystemd's sd_journal reads the journal files (the system journal, one directory, or a
 * list of files); its change-notification fd is watched on the instance's loop. A wakeup reads
 * entries in bounded chunks (READ_BUDGET): when more remain, a zero timer continues on the next
 * loop iteration so the loop is never starved. The single `timer` is re-armed after every pass:
 * at 0 (more to read), PAUSE_RECHECK_NS (paused by backpressure: the core suspends the READ
 * watch, and the journal fd need not become readable again when it resumes), or poll_interval
 * (caught up: a fallback for changes no notification reports).
 *
 * Delivery: every entry gets a token (jcursor.h) tied to its cursor; the core acknowledges a
 * batch once every output it was routed to finished it, and only then is the cursor written to
 * the cursor file - coalesced to at most one write per SAVE_INTERVAL_NS, and always at stop and
 * fini. A restart, even after kill -9, resumes after the last acknowledged entry: entries may be
 * read twice (the unacknowledged tail), never skipped.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include <logstream/plugin.h>

#include "jcursor.h"
#include "jentry.h"

#define READ_BUDGET       512               /* entries per callback */
#define READ_BUDGET_BYTES (4 * 1024 * 1024) /* message bytes per callback */
#define PAUSE_RECHECK_NS  50000000LL        /* while paused: look again after 50 ms */
#define SAVE_INTERVAL_NS  200000000LL       /* at most 5 cursor writes per second */

enum { FROM_HEAD = 0, FROM_TAIL = 1 };

struct jd_conf {
    struct ls_opt_list path; /* char *: one directory, or journal files */
    int read_from;
    struct ls_opt_list units;
    struct ls_opt_list identifiers;
    int priority;
    struct ls_opt_list fields;
    char *cursor_file;
    int on_bad_cursor;
    uint64_t max_message;
    uint64_t max_field_size;
    int64_t max_fields;
    int64_t poll_interval;
};

static const char *const from_values[] = {"head", "tail", NULL};
static const char *const priority_values[] = {"emerg",  "alert", "crit",  "err", "warning",
                                              "notice", "info",  "debug", NULL};

static const struct ls_option jd_options[] = {
    {.name = "path",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_PATH,
     .offset = offsetof(struct jd_conf, path),
     .doc = "one journal directory, or a list of journal files; default: the local system "
            "journal"},
    {.name = "read_from",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct jd_conf, read_from),
     .def = "head",
     .enum_values = from_values,
     .doc = "where to start when there is no cursor file: head (every entry) or tail (only "
            "entries written from now on)"},
    {.name = "units",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_STRING,
     .offset = offsetof(struct jd_conf, units),
     .doc = "only entries of these systemd units (_SYSTEMD_UNIT; \"ssh\" means ssh.service)"},
    {.name = "identifiers",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_STRING,
     .offset = offsetof(struct jd_conf, identifiers),
     .doc = "only entries with one of these SYSLOG_IDENTIFIER values"},
    {.name = "priority",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct jd_conf, priority),
     .def = "debug",
     .enum_values = priority_values,
     .doc = "only entries of this severity or more severe (debug: no filter)"},
    {.name = "fields",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_STRING,
     .offset = offsetof(struct jd_conf, fields),
     .def = "*",
     .doc = "journal fields kept as record fields besides the mapped ones; \"*\" = all, [] = none"},
    {.name = "cursor_file",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct jd_conf, cursor_file),
     .doc = "where the resume position is kept; default "
            "<service.state_dir>/journald-<instance>.cursor"},
    {.name = "on_bad_cursor",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct jd_conf, on_bad_cursor),
     .def = "head",
     .enum_values = from_values,
     .doc = "when the cursor file is unreadable or invalid: head (re-read everything: "
            "duplicates, no loss) or tail (skip to new entries: possible loss)"},
    {.name = "max_message",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct jd_conf, max_message),
     .def = "64KiB",
     .min = 16,
     .max = 64LL * 1024 * 1024,
     .doc = "MESSAGE bytes kept; a longer message is cut and the record flagged truncated"},
    {.name = "max_field_size",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct jd_conf, max_field_size),
     .def = "16KiB",
     .min = 16,
     .max = 64LL * 1024 * 1024,
     .doc = "bytes kept of any other field value; longer values are cut"},
    {.name = "max_fields",
     .type = LS_OPT_INT,
     .offset = offsetof(struct jd_conf, max_fields),
     .def = "64",
     .min = 0,
     .max = 1000,
     .doc = "extra fields kept per entry; further ones are dropped and counted"},
    {.name = "poll_interval",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct jd_conf, poll_interval),
     .def = "1s",
     .min = 10000000LL,
     .max = 3600LL * 1000000000LL,
     .doc = "when caught up, look for new entries this often even without a change "
            "notification"},
    {.name = NULL},
};

struct jd_state {
    struct ls_instance *ins;
    const struct jd_conf *conf;
    char *cursor_path;
    struct jd_limits lim;
    struct jd_keep keep;
    sd_journal *j;
    struct ls_watch *watch;
    struct ls_timer *timer;      /* read again: kick, pause recheck, or poll */
    struct ls_timer *save_timer; /* a coalesced cursor write */
    int have_current;            /* positioned on an entry not yet read (after a seek) */
    int stopped;
    struct jd_entry entry;
    struct jd_tokens tokens;
    char *save_cursor; /* acknowledged, not yet written; NULL = nothing new */
    int64_t last_save; /* monotonic ns of the last write attempt */
    struct ls_counter *c_read_errors, *c_truncated, *c_dropped_fields, *c_save_errors;
};

static int64_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char **list_strings(const struct ls_opt_list *l)
{
    return l->items;
}

/* ---- the cursor file ---------------------------------------------------------------------- */

static void save_now(struct jd_state *st)
{
    const char *stage = "";
    int rc;

    if (!st->save_cursor) {
        return;
    }
    st->last_save = mono_now();
    rc = jd_cursor_save(st->cursor_path, st->save_cursor, &stage);
    if (rc < 0) {
        ls_counter_add(st->c_save_errors, 1);
        ls_log(st->ins, LS_LOG_ERROR, "cursor file %s: %s: %s; will retry", st->cursor_path, stage,
               strerror(-rc));
        return; /* kept: the next acknowledgement, stop or fini tries again */
    }
    free(st->save_cursor);
    st->save_cursor = NULL;
}

static void on_save_timer(struct ls_timer *t, void *arg)
{
    (void)t;
    save_now(arg);
}

/* Instance thread while running; main thread once after stop (then fini writes). */
static void jd_ack(struct ls_instance *ins, void *state, uint64_t token)
{
    struct jd_state *st = state;
    char *cursor = jd_tokens_ack(&st->tokens, token);
    int64_t wait;

    (void)ins;
    if (!cursor) {
        return;
    }
    free(st->save_cursor);
    st->save_cursor = cursor; /* the latest acknowledgement wins */
    if (st->stopped || !st->save_timer) {
        return;
    }
    wait = st->last_save + SAVE_INTERVAL_NS - mono_now();
    if (wait <= 0) {
        save_now(st);
    } else {
        ls_timer_arm(st->save_timer, wait);
    }
}

/* ---- reading ------------------------------------------------------------------------------ */

static void collect(struct jd_state *st)
{
    const void *data;
    size_t len;
    uint64_t usec;
    int rc;

    jd_entry_reset(&st->entry);
    sd_journal_restart_data(st->j);
    while ((rc = sd_journal_enumerate_available_data(st->j, &data, &len)) > 0) {
        jd_entry_add(&st->entry, &st->lim, &st->keep, data, len);
    }
    if (rc < 0) {
        ls_counter_add(st->c_read_errors, 1);
        ls_log(st->ins, LS_LOG_WARN, "reading the fields of a journal entry: %s; kept %zu",
               strerror(-rc), st->entry.nkv);
    }
    if (sd_journal_get_realtime_usec(st->j, &usec) >= 0 && usec <= INT64_MAX) {
        st->entry.realtime_usec = (int64_t)usec;
    }
}

/* Read the current entry into one record; returns its message size. */
static size_t emit(struct jd_state *st, int64_t received)
{
    struct ls_record *r;
    struct ls_batch *b;
    const char *msg;
    char *cursor = NULL;
    size_t len;
    unsigned dropped;
    int rc;

    collect(st);
    rc = sd_journal_get_cursor(st->j, &cursor);
    if (rc < 0) {
        cursor = NULL; /* acknowledging this entry then saves nothing: safe, never a skip */
        ls_log(st->ins, LS_LOG_WARN, "journal cursor of an entry: %s", strerror(-rc));
    }
    msg = jd_entry_message(&st->entry, &len);
    r = ls_input_append(st->ins, msg, len, NULL, received);
    b = ls_input_batch(st->ins);
    if (!r || !b) { /* not in ABI 1.1, where appending cannot fail */
        free(cursor);
        return len;
    }
    dropped = jd_entry_apply(&st->entry, &st->keep, st->lim.max_fields, b, r);
    if (st->entry.truncated) {
        ls_counter_add(st->c_truncated, st->entry.truncated);
    }
    if (st->entry.malformed) {
        ls_counter_add(st->c_read_errors, st->entry.malformed); /* skipped: not NAME=value */
    }
    if (dropped + st->entry.dropped) {
        ls_counter_add(st->c_dropped_fields, dropped + st->entry.dropped);
    }
    /* the first record of a batch: the previous token went with a batch now closed */
    ls_input_set_token(st->ins, jd_tokens_add(&st->tokens, cursor, ls_batch_count(b) == 1));
    return len;
}

static void read_entries(struct jd_state *st)
{
    int64_t received = ls_now();
    size_t n = 0, bytes = 0;

    if (!st->j) {
        return;
    }
    while (n < READ_BUDGET && bytes < READ_BUDGET_BYTES) {
        int rc;

        if (ls_input_paused(st->ins)) {
            ls_timer_arm(st->timer, PAUSE_RECHECK_NS);
            return;
        }
        rc = st->have_current ? 1 : sd_journal_next(st->j);
        st->have_current = 0;
        if (rc < 0) {
            ls_counter_add(st->c_read_errors, 1);
            ls_log(st->ins, LS_LOG_WARN, "reading the journal: %s; retrying", strerror(-rc));
        }
        if (rc <= 0) {
            ls_timer_arm(st->timer, st->conf->poll_interval);
            return;
        }
        bytes += emit(st, received);
        n++;
    }
    ls_timer_arm(st->timer, 0); /* more may remain: continue after other events */
}

static void on_timer(struct ls_timer *t, void *arg)
{
    (void)t;
    read_entries(arg);
}

static void on_journal(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct jd_state *st = arg;
    int rc;

    (void)w;
    (void)fd;
    (void)events;
    rc = sd_journal_process(st->j);
    if (rc < 0) {
        ls_log(st->ins, LS_LOG_WARN, "journal change notification: %s", strerror(-rc));
    }
    read_entries(st);
}

/* ---- opening and positioning -------------------------------------------------------------- */

static int open_journal(struct jd_state *st)
{
    const struct ls_opt_list *p = &st->conf->path;
    char **paths = list_strings(p);
    struct stat sb;
    int rc;

    if (p->count == 0) {
        rc = sd_journal_open(&st->j, SD_JOURNAL_LOCAL_ONLY);
        if (rc < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "open the system journal: %s", strerror(-rc));
        }
        return rc;
    }
    if (p->count == 1 && stat(paths[0], &sb) == 0 && S_ISDIR(sb.st_mode)) {
        rc = sd_journal_open_directory(&st->j, paths[0], 0);
        if (rc < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "open journal directory %s: %s", paths[0], strerror(-rc));
        }
        return rc;
    }
    {
        const char **files = calloc(p->count + 1, sizeof *files);

        if (!files) {
            fprintf(stderr, "logstream: journald: out of memory\n");
            abort();
        }
        for (size_t i = 0; i < p->count; i++) {
            files[i] = paths[i];
        }
        rc = sd_journal_open_files(&st->j, files, 0);
        free(files);
    }
    if (rc < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "open journal file%s %s%s: %s", p->count > 1 ? "s" : "",
               paths[0], p->count > 1 ? ", ..." : "", strerror(-rc));
    }
    return rc;
}

static int add_match(struct jd_state *st, const char *field, const char *value, const char *suffix)
{
    char *m = NULL;
    int rc;

    if (asprintf(&m, "%s=%s%s", field, value, suffix) < 0) {
        fprintf(stderr, "logstream: journald: out of memory\n");
        abort();
    }
    rc = sd_journal_add_match(st->j, m, 0);
    if (rc < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "journal match %s: %s", m, strerror(-rc));
    }
    free(m);
    return rc;
}

/* Matches on one field are alternatives; on different fields, all must hold. */
static int add_matches(struct jd_state *st)
{
    const struct jd_conf *c = st->conf;
    char **units = list_strings(&c->units), **ids = list_strings(&c->identifiers);
    int rc = 0;

    for (size_t i = 0; i < c->units.count && rc >= 0; i++) {
        rc = add_match(st, "_SYSTEMD_UNIT", units[i], strchr(units[i], '.') ? "" : ".service");
    }
    for (size_t i = 0; i < c->identifiers.count && rc >= 0; i++) {
        rc = add_match(st, "SYSLOG_IDENTIFIER", ids[i], "");
    }
    for (int p = 0; c->priority < LS_SEV_DEBUG && p <= c->priority && rc >= 0; p++) {
        char v[2] = {(char)('0' + p), '\0'};
        rc = add_match(st, "PRIORITY", v, "");
    }
    return rc < 0 ? rc : 0;
}

static void seek_head(struct jd_state *st)
{
    sd_journal_seek_head(st->j);
    st->have_current = 0;
}

/* Only entries written from now on: position on the last entry (counted as read) and record
 * it as the resume point, so a restart does not skip what arrives in between. An empty journal
 * is read from its head instead: libsystemd's tail position would skip the first new entry. */
static void seek_tail(struct jd_state *st)
{
    char *cursor = NULL;

    st->have_current = 0;
    if (sd_journal_seek_tail(st->j) < 0 || sd_journal_previous(st->j) <= 0) {
        seek_head(st);
        return;
    }
    if (sd_journal_get_cursor(st->j, &cursor) >= 0) {
        free(st->save_cursor);
        st->save_cursor = cursor;
        save_now(st);
    }
}

static void seek_from(struct jd_state *st, int where)
{
    if (where == FROM_TAIL) {
        seek_tail(st);
    } else {
        seek_head(st);
    }
}

/* Position after the entry of `cursor`. Returns 0, or a negative code if it is not a cursor
 * libsystemd accepts. */
static int seek_cursor(struct jd_state *st, const char *cursor)
{
    int rc = sd_journal_seek_cursor(st->j, cursor);

    if (rc < 0) {
        return rc;
    }
    rc = sd_journal_next(st->j);
    if (rc < 0) {
        return rc;
    }
    /* on the cursor's entry: it was delivered. Else that entry is gone (vacuumed) and this is
     * the first one after it, not read yet. */
    st->have_current = rc > 0 && sd_journal_test_cursor(st->j, cursor) <= 0;
    return 0;
}

static const char *where_name(int where)
{
    return where == FROM_TAIL ? "tail" : "head";
}

static void position(struct jd_state *st)
{
    int bad = st->conf->on_bad_cursor;
    char *cursor = NULL, why[128] = "";
    int rc = jd_cursor_load(st->cursor_path, &cursor, why, sizeof why);

    if (rc == JD_CURSOR_MISSING) {
        ls_log(st->ins, LS_LOG_INFO, "no cursor file %s: reading from the %s of the journal",
               st->cursor_path, where_name(st->conf->read_from));
        seek_from(st, st->conf->read_from);
        return;
    }
    if (rc == 0) {
        rc = seek_cursor(st, cursor);
        if (rc == 0) {
            ls_log(st->ins, LS_LOG_INFO, "resuming after the cursor in %s", st->cursor_path);
            free(cursor);
            return;
        }
        snprintf(why, sizeof why, "the journal rejects its cursor (%s)", strerror(-rc));
        free(cursor);
    } else if (rc != JD_CURSOR_INVALID) {
        snprintf(why, sizeof why, "%s", strerror(-rc));
    }
    ls_log(st->ins, LS_LOG_WARN,
           "cursor file %s: %s; reading from the %s of the journal "
           "(on_bad_cursor: %s)",
           st->cursor_path, why, where_name(bad), where_name(bad));
    seek_from(st, bad);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static int check_paths(struct jd_state *st)
{
    char **paths = list_strings(&st->conf->path);
    struct stat sb;

    for (size_t i = 0; i < st->conf->path.count; i++) {
        if (stat(paths[i], &sb) < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "path %s: %s", paths[i], strerror(errno));
            return LS_EINVAL;
        }
        if (S_ISDIR(sb.st_mode) && st->conf->path.count > 1) {
            ls_log(st->ins, LS_LOG_ERROR,
                   "path %s is a directory: give one directory, or one or more journal files",
                   paths[i]);
            return LS_EINVAL;
        }
    }
    return LS_OK;
}

static int prepare_cursor_file(struct jd_state *st)
{
    const struct jd_conf *c = st->conf;
    int rc;

    st->cursor_path =
        c->cursor_file ? strdup(c->cursor_file)
                       : jd_cursor_default_path(ls_state_dir(st->ins), ls_instance_name(st->ins));
    if (!st->cursor_path) {
        fprintf(stderr, "logstream: journald: out of memory\n");
        abort();
    }
    rc = jd_mkdir_parent(st->cursor_path);
    if (rc < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "cursor file %s: cannot create its directory: %s",
               st->cursor_path, strerror(-rc));
        return LS_ERROR;
    }
    return LS_OK;
}

static int jd_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct jd_state *st = calloc(1, sizeof *st);
    const struct jd_conf *c = conf;
    char **fields = list_strings(&c->fields);

    if (!st) {
        fprintf(stderr, "logstream: journald: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    *state = st;
    st->ins = ins;
    st->conf = c;
    st->lim.max_message = (size_t)c->max_message;
    st->lim.max_field_size = (size_t)c->max_field_size;
    st->lim.max_fields = (size_t)c->max_fields;
    for (size_t i = 0; i < c->fields.count; i++) {
        st->keep.all |= strcmp(fields[i], "*") == 0;
    }
    st->keep.names = (const char *const *)fields;
    st->keep.n = c->fields.count;
    st->c_read_errors =
        ls_counter_new(ins, "read_errors", "journal entries or fields that could not be read");
    st->c_truncated = ls_counter_new(ins, "truncated_fields",
                                     "field values cut at max_message or max_field_size");
    st->c_dropped_fields = ls_counter_new(ins, "dropped_fields", "fields beyond max_fields");
    st->c_save_errors = ls_counter_new(ins, "cursor_save_errors", "failed cursor file writes");
    if (check_paths(st) < 0 || prepare_cursor_file(st) < 0) {
        /* Freed here: the core does not call fini after a failed init (plugin.h says it
         * does); with *state NULL, fini is harmless either way. */
        free(st->cursor_path);
        free(st);
        *state = NULL;
        return LS_EINVAL;
    }
    return LS_OK;
}

static int jd_start(struct ls_instance *ins, void *state)
{
    struct jd_state *st = state;
    int fd;

    st->timer = ls_timer_new(ins, on_timer, st);
    st->save_timer = ls_timer_new(ins, on_save_timer, st);
    if (!st->timer || !st->save_timer) {
        ls_log(ins, LS_LOG_ERROR, "cannot create timers");
        return LS_ERROR;
    }
    if (open_journal(st) < 0) {
        return LS_ERROR;
    }
    sd_journal_set_data_threshold(st->j, (size_t)(st->lim.max_message > st->lim.max_field_size
                                                      ? st->lim.max_message
                                                      : st->lim.max_field_size) +
                                             JD_KEY_MAX + 1);
    fd = sd_journal_get_fd(st->j); /* before seeking: it sets up the change notification */
    if (fd < 0) {
        ls_log(ins, LS_LOG_ERROR, "journal change notification: %s", strerror(-fd));
        return LS_ERROR;
    }
    if (add_matches(st) < 0) {
        return LS_ERROR;
    }
    position(st);
    st->watch = ls_watch_new(ins, fd, LS_WATCH_READ, on_journal, st);
    if (!st->watch) {
        ls_log(ins, LS_LOG_ERROR, "cannot watch the journal");
        return LS_ERROR;
    }
    ls_timer_arm(st->timer, 0); /* the first read, from the loop */
    return LS_OK;
}

static void jd_stop(struct ls_instance *ins, void *state)
{
    struct jd_state *st = state;

    (void)ins;
    ls_watch_free(st->watch);
    st->watch = NULL;
    ls_timer_free(st->timer);
    st->timer = NULL;
    ls_timer_free(st->save_timer);
    st->save_timer = NULL;
    st->stopped = 1;
    save_now(st);
    if (st->j) {
        sd_journal_close(st->j);
        st->j = NULL;
    }
}

/* Main thread. Acknowledgements that came after stop are written here. Watches and timers
 * left by a failed start are the core's to free. */
static void jd_fini(struct ls_instance *ins, void *state)
{
    struct jd_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    if (st->cursor_path) {
        save_now(st);
    }
    if (st->j) {
        sd_journal_close(st->j);
    }
    jd_entry_release(&st->entry);
    jd_tokens_release(&st->tokens);
    free(st->save_cursor);
    free(st->cursor_path);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "journald",
                 .summary = "Read the systemd journal, resuming from a persisted cursor",
                 .options = jd_options, .config_size = sizeof(struct jd_conf), .init = jd_init,
                 .start = jd_start, .stop = jd_stop, .fini = jd_fini, .ack = jd_ack);
