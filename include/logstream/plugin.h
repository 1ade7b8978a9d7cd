/*
 * logstream/plugin.h - the whole contract between the LogStream daemon and a plugin.
 *
 * A plugin is a shared object that exports exactly one symbol, `ls_plugin_entry`, a constant
 * descriptor declared with LS_PLUGIN_DEFINE(). The daemon dlopen()s it, checks the ABI version,
 * validates the user's YAML options against the plugin's option table, allocates and fills the
 * plugin's config struct, and then drives the callbacks below. Plugins never see YAML, libevent,
 * or any other library type of the core: everything they need is declared in this header and
 * exported by the daemon binary.
 *
 * Threads. Every input instance runs on its own thread with its own event loop; its parser
 * chain (one instance of each parser per input instance) runs on that same thread. Every output
 * instance runs on its own thread. A callback is only ever called on the thread of the instance
 * it belongs to, except init/fini, which run on the main thread while the instance is not
 * running. Nothing in a plugin needs a lock unless the plugin shares state between instances.
 *
 * Memory. Records are slices into a batch's arena; a batch is owned by the core. A parser may
 * narrow slices and append bytes to the arena (ls_batch_alloc). After the parser chain a batch is
 * immutable and shared by every output it is routed to: outputs must not modify it.
 *
 * Errors. int functions return 0 (LS_OK) on success and a negative LS_E* value on failure.
 * Pointer functions return NULL on failure. Allocation failure inside the core aborts the
 * process with a message naming the size; plugins need not check for it.
 *
 * Versioning. LS_ABI_MAJOR changes when anything here changes incompatibly; LS_ABI_MINOR grows
 * when a member is appended to a struct or a host function is added. The loader copies
 * min(struct_size, sizeof(struct ls_plugin)) bytes of a plugin's descriptor into a zeroed struct,
 * so members appended later read as zero/NULL for older plugins.
 *
 * This header includes only <stddef.h> and <stdint.h> and compiles as C99, C11 -pedantic and C++.
 */
#ifndef LOGSTREAM_PLUGIN_H
#define LOGSTREAM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LS_ABI_MAJOR 1
#define LS_ABI_MINOR                                                                               \
    1 /* 1.1: ls_plugin.ack, ls_input_set_token(), ls_input_batch(),                               \
       * ls_state_dir(), ls_input_set_datagram() */

#if defined(__GNUC__) || defined(__clang__)
#define LS_EXPORT       __attribute__((visibility("default")))
#define LS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LS_EXPORT
#define LS_PRINTF(f, a)
#endif

/* ---- Status codes -------------------------------------------------------------------------- */

enum {
    LS_OK = 0,
    LS_ERROR = -1,   /* generic failure, already logged by whoever detected it */
    LS_EINVAL = -2,  /* invalid argument or configuration */
    LS_ENOMEM = -3,  /* a configured bound was reached (not malloc failure, which aborts) */
    LS_EAGAIN = -4,  /* temporary failure: retry later (outputs: the core retries with backoff) */
    LS_PENDING = -5, /* output write: the plugin kept the batch and will call ls_output_done() */
};

/* ---- Opaque handles ------------------------------------------------------------------------ */

struct ls_instance; /* one configured use of a plugin: `[input:tcp:name]` */
struct ls_batch;    /* a set of records sharing one arena; reference counted */
struct ls_watch;    /* an fd watch on the instance's event loop */
struct ls_timer;    /* a timer on the instance's event loop */
struct ls_counter;  /* a monotonically increasing metric, exported on /metrics */

/* ---- Records ------------------------------------------------------------------------------- */

/* A byte range. Not NUL-terminated. ptr is NULL and len 0 when the value is absent. */
struct ls_slice {
    const char *ptr;
    size_t len;
};

enum ls_severity {
    LS_SEV_EMERG = 0,
    LS_SEV_ALERT = 1,
    LS_SEV_CRIT = 2,
    LS_SEV_ERR = 3,
    LS_SEV_WARNING = 4,
    LS_SEV_NOTICE = 5,
    LS_SEV_INFO = 6,
    LS_SEV_DEBUG = 7,
    LS_SEV_UNKNOWN = -1,
};

/* Syslog facilities 0..23 (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
 * authpriv, ftp, ntp, security, console, solaris-cron, local0..local7); -1 when unknown. */
#define LS_FAC_UNKNOWN (-1)

enum ls_field_type {
    LS_FIELD_STRING = 0,
    LS_FIELD_INT = 1,
    LS_FIELD_DOUBLE = 2,
    LS_FIELD_BOOL = 3,
    LS_FIELD_NULL = 4,
    LS_FIELD_JSON = 5, /* nested JSON kept as text in v.s */
};

/* A structured field. Allocated in the batch arena by ls_record_add_field(); fields of a record
 * form a singly linked list in insertion order. */
struct ls_field {
    struct ls_field *next;
    struct ls_slice key;
    int type; /* enum ls_field_type */
    union {
        struct ls_slice s; /* STRING, JSON */
        int64_t i;         /* INT */
        double d;          /* DOUBLE */
        int b;             /* BOOL: 0 or 1 */
    } v;
};

/* Record flags. */
#define LS_REC_TRUNCATED   0x0001u /* the input cut the line at max_line */
#define LS_REC_PARSE_ERROR 0x0002u /* a parser could not parse it; passed through unchanged */

/* One log event. Obtain records only through ls_batch_record()/ls_input_append(): members are
 * appended in later minor versions, so never use sizeof(struct ls_record) or arrays of it.
 * All slices point into the batch arena (or to static storage) and live as long as the batch. */
struct ls_record {
    int64_t time;     /* ns since the epoch: from the message if a parser found it, else received */
    int64_t received; /* ns since the epoch, when the input read it */
    int severity;     /* enum ls_severity */
    int facility;     /* 0..23 or LS_FAC_UNKNOWN */
    uint32_t flags;   /* LS_REC_* */
    uint32_t nfields;
    struct ls_slice host, app, procid, msgid;
    struct ls_slice message; /* the human text; initially equal to raw */
    struct ls_slice raw;     /* the bytes as they arrived (without the frame delimiter) */
    struct ls_slice peer;    /* sender address ("127.0.0.1:5000", "unix"), empty if unknown */
    int64_t pid, uid, gid;   /* trusted sender credentials from the kernel; -1 if unknown */
    struct ls_field *fields; /* first field, or NULL */
    struct ls_field *fields_tail;
};

/* ---- Options ------------------------------------------------------------------------------- */

enum ls_opt_type {
    LS_OPT_STRING = 1,   /* char *            (core strdup()s and frees; NULL if unset) */
    LS_OPT_BOOL = 2,     /* int               (0 or 1) */
    LS_OPT_INT = 3,      /* int64_t           bounded by min/max */
    LS_OPT_SIZE = 4,     /* uint64_t bytes    "64MiB", "10k", "512"; bounded by min/max */
    LS_OPT_DURATION = 5, /* int64_t ns        "5s", "250ms", "1h"; bounded by min/max (ns) */
    LS_OPT_ENUM = 6,     /* int               index into enum_values */
    LS_OPT_ADDRESS = 7,  /* char *            "host:port" or "[v6]:port", checked at load */
    LS_OPT_PATH = 8,     /* char *            a filesystem path, ${ENV} expanded */
    LS_OPT_LIST = 9,     /* struct ls_opt_list of item_type (not LIST or OBJECT) */
    LS_OPT_OBJECT = 10,  /* a nested mapping described by `sub`; sub-offsets are relative to
                          * the same config struct as the parent table */
};

/* Storage of an LS_OPT_LIST member: `count` items of the item type's C type. */
struct ls_opt_list {
    size_t count;
    void *items; /* e.g. char ** for strings, int64_t * for ints; core-owned */
};

/* One option. Tables end with an entry whose name is NULL. */
struct ls_option {
    const char *name; /* YAML key: lowercase, digits and '_' */
    int type;         /* enum ls_opt_type */
    size_t offset;    /* offsetof(your_conf, member) */
    const char *def;  /* default as YAML text ("9001", "64MiB", "json"); NULL = no default */
    int required;     /* 1: the user must set it */
    int64_t min, max; /* INT, SIZE, DURATION bounds, inclusive; both 0 = unbounded */
    const char *const *enum_values; /* ENUM: NULL-terminated list of accepted words */
    int item_type;                  /* LIST: type of each item */
    const struct ls_option *sub;    /* OBJECT: nested table */
    const char *doc;                /* one line for --plugin-help and generated docs */
};

/* ---- The plugin descriptor ----------------------------------------------------------------- */

enum ls_kind {
    LS_KIND_INPUT = 1,
    LS_KIND_PARSER = 2,
    LS_KIND_OUTPUT = 3,
};

/* Plugin flags. */
#define LS_PLUGIN_DATAGRAM                                                                         \
    0x0001u /* input cannot push back: when a queue it feeds is full,                              \
             * its batches are dropped and counted instead of pausing it */

struct ls_plugin {
    uint32_t abi_major;              /* LS_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;              /* LS_ABI_MINOR the plugin was built against */
    uint32_t struct_size;            /* sizeof(struct ls_plugin) the plugin was built against */
    int kind;                        /* enum ls_kind */
    const char *name;                /* the `type:` users write; [a-z0-9_]+ */
    const char *summary;             /* one line for --list-plugins */
    const struct ls_option *options; /* may be NULL: no options */
    size_t config_size;              /* size of the config struct the core allocates and fills */
    uint32_t flags;                  /* LS_PLUGIN_* */

    /* Main thread, before start. `conf` is the filled config struct (owned by the core, valid
     * until after fini). Store the plugin's per-instance state in *state. Return 0, or a
     * negative code after logging why and freeing what it allocated: the instance is then not
     * started and fini is not called. Also run by `--check`, followed by fini: check, do not
     * bind or open anything lasting. */
    int (*init)(struct ls_instance *ins, const void *conf, void **state);

    /* Instance thread, on its loop: open sockets, add watches and timers. Inputs and outputs
     * only; optional for outputs. A failure stops the daemon's start (or the reload). */
    int (*start)(struct ls_instance *ins, void *state);

    /* Instance thread: stop producing (inputs: close listeners and connections, after which
     * the core flushes the instance's open batch). Watches and timers still registered after
     * stop returns are freed by the core. Optional. */
    void (*stop)(struct ls_instance *ins, void *state);

    /* Main thread, after stop (or after a failed start; never after a failed init): free
     * state. Optional. */
    void (*fini)(struct ls_instance *ins, void *state);

    /* Parsers (required): parse records [first, ls_batch_count()) of a batch being built, in
     * place. A record it cannot parse is left unchanged, flagged with LS_REC_PARSE_ERROR and
     * counted with ls_parse_error(). Return 0; a negative value is logged and treated as
     * "this parser failed for the whole batch" (records pass through). */
    int (*parse)(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first);

    /* Outputs (required): deliver every record of the batch. Return 0 when done (the core
     * releases the batch), LS_EAGAIN to have the core retry the same batch after a backoff,
     * LS_PENDING when the plugin took a reference (ls_batch_ref) and will call
     * ls_output_done() later, or another negative code for a permanent failure (the batch's
     * records are counted as dropped, reason "output_error"). Until the batch is done, the
     * core hands the output no other batch. */
    int (*write)(struct ls_instance *ins, void *state, struct ls_batch *b);

    /* Outputs, optional: make written data durable/visible. Called when the output's queue
     * runs empty and before stop. */
    int (*flush)(struct ls_instance *ins, void *state);

    /* Outputs, optional: SIGUSR1 - reopen files (external rotation). Instance thread. */
    void (*reopen)(struct ls_instance *ins, void *state);

    /* ---- ABI 1.1 ---- */

    /* Inputs, optional: delivery acknowledgement, for inputs that keep a position to resume
     * from (a journal cursor, a Kafka offset). Called with the token the plugin gave the newest
     * batch (ls_input_set_token) whose records, and those of every batch it made before, are
     * all finished: written by every output they were routed to, or dropped by an output's
     * configured policy (counted). Tokens of earlier batches are implied, so a plugin commits
     * only the token it is given. Instance thread while the input runs; after stop, the main
     * thread may call it once more (before fini) for batches that finished while draining. */
    void (*ack)(struct ls_instance *ins, void *state, uint64_t token);
};

/* The definition takes its default visibility (and, in C++, its external linkage) from the
 * declaration before it: g++ warns that a repeated visibility attribute is "ignored". */
#define LS_PLUGIN_DEFINE(...)                                                                      \
    LS_EXPORT extern const struct ls_plugin ls_plugin_entry;                                       \
    const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR,                           \
                                              .abi_minor = LS_ABI_MINOR,                           \
                                              .struct_size = sizeof(struct ls_plugin),             \
                                              __VA_ARGS__}

/* ---- Host services: logging ---------------------------------------------------------------- */

enum ls_log_level {
    LS_LOG_ERROR = 0,
    LS_LOG_WARN = 1,
    LS_LOG_INFO = 2,
    LS_LOG_DEBUG = 3,
};

/* Log a line for this instance. The core prefixes `[kind:plugin:instance]`, rate-limits
 * identical repeats, and writes it in the daemon's log format. Any thread. */
LS_EXPORT void ls_log(const struct ls_instance *ins, int level, const char *fmt, ...)
    LS_PRINTF(3, 4);

/* True when a message at `level` would be written: guard expensive debug formatting. */
LS_EXPORT int ls_log_enabled(int level);

/* ---- Host services: instance --------------------------------------------------------------- */

/* The instance's name (unique within its kind), its plugin's name, and its pipeline's name
 * (NULL for a shared output). Borrowed; valid while the instance exists. */
LS_EXPORT const char *ls_instance_name(const struct ls_instance *ins);
LS_EXPORT const char *ls_instance_pipeline(const struct ls_instance *ins);

/* service.state_dir: where plugins keep state across restarts (cursors, offsets). The core
 * does not create it. Borrowed; valid while the instance exists. (ABI 1.1) */
LS_EXPORT const char *ls_state_dir(const struct ls_instance *ins);

/* Current wall-clock time in ns since the epoch (CLOCK_REALTIME). */
LS_EXPORT int64_t ls_now(void);

/* ---- Host services: event loop (instance thread only) -------------------------------------- */

#define LS_WATCH_READ  0x02u
#define LS_WATCH_WRITE 0x04u

/* Called on the instance thread when fd is ready; `events` is a mask of LS_WATCH_*. */
typedef void (*ls_watch_fn)(struct ls_watch *w, int fd, unsigned events, void *arg);
typedef void (*ls_timer_fn)(struct ls_timer *t, void *arg);

/* Watch fd for `events` (persistent until changed or freed). For inputs, the core suspends all
 * READ watches of the instance while a queue it feeds is full (backpressure) and resumes them
 * when space frees; plugins need do nothing for that. Returns NULL on failure. */
LS_EXPORT struct ls_watch *ls_watch_new(struct ls_instance *ins, int fd, unsigned events,
                                        ls_watch_fn cb, void *arg);
/* Change the watched events (0 = none). */
LS_EXPORT int ls_watch_set(struct ls_watch *w, unsigned events);
/* Stop watching and free. Does not close fd. NULL is ignored. */
LS_EXPORT void ls_watch_free(struct ls_watch *w);

/* A one-shot timer; arm it again from its callback for periodic work. */
LS_EXPORT struct ls_timer *ls_timer_new(struct ls_instance *ins, ls_timer_fn cb, void *arg);
LS_EXPORT int ls_timer_arm(struct ls_timer *t, int64_t after_ns);
LS_EXPORT void ls_timer_cancel(struct ls_timer *t);
LS_EXPORT void ls_timer_free(struct ls_timer *t); /* NULL is ignored */

/* ---- Host services: inputs ----------------------------------------------------------------- */

/* Append one record to the instance's open batch, copying `len` bytes of `data` (the raw line,
 * without its delimiter) into the arena. `peer` (may be NULL) is copied too; pass the same
 * peer for consecutive records of one connection and it is stored once per batch. `received`
 * is the arrival time (take one ls_now() per read, not per record). The record starts with
 * message == raw, unknown severity/facility, time == received, pid/uid/gid -1; the returned
 * pointer may be used to set more until the next ls_input_* call. Batches close by themselves
 * on size, count or a short time limit, and when the loop goes idle. Instance thread only. */
LS_EXPORT struct ls_record *ls_input_append(struct ls_instance *ins, const void *data, size_t len,
                                            const char *peer, int64_t received);

/* The open batch that the record last returned by ls_input_append() belongs to, so an input
 * can add fields (ls_record_add_field) and bytes (ls_batch_strdup) to its records. Valid until
 * the next ls_input_* call; NULL when no batch is open. Instance thread only. (ABI 1.1) */
LS_EXPORT struct ls_batch *ls_input_batch(struct ls_instance *ins);

/* The same as the plugin flag LS_PLUGIN_DATAGRAM, for one instance: this instance cannot push
 * back, so when a queue it feeds is full its batches are dropped and counted (reason
 * "queue_full") instead of the instance being paused. For plugins whose instances differ (a
 * unix socket in datagram or stream mode). Call from init or start. (ABI 1.1) */
LS_EXPORT void ls_input_set_datagram(struct ls_instance *ins, int datagram);

/* Inputs with an `ack` callback (ABI 1.1): attach `token` to the open batch (the last call
 * before the batch closes wins); a batch without one acks with the previous batch's token.
 * Typically the index of the position reached by the records appended so far. */
LS_EXPORT void ls_input_set_token(struct ls_instance *ins, uint64_t token);

/* Close the open batch now: run the parser chain and route it. Rarely needed. */
LS_EXPORT void ls_input_flush(struct ls_instance *ins);

/* True while the core holds the instance's READ watches suspended (backpressure). */
LS_EXPORT int ls_input_paused(const struct ls_instance *ins);

/* ---- Host services: batches and records ---------------------------------------------------- */

LS_EXPORT size_t ls_batch_count(const struct ls_batch *b);
/* Record i, 0 <= i < ls_batch_count(b). */
LS_EXPORT struct ls_record *ls_batch_record(const struct ls_batch *b, size_t i);
/* The input instance and pipeline that made the batch. Borrowed, valid with the batch. */
LS_EXPORT const char *ls_batch_input(const struct ls_batch *b);
LS_EXPORT const char *ls_batch_pipeline(const struct ls_batch *b);

/* Parsers: len bytes of arena memory (8-byte aligned) that live as long as the batch. Aborts
 * only on malloc failure. */
LS_EXPORT void *ls_batch_alloc(struct ls_batch *b, size_t len);
/* Parsers: copy bytes into the arena and return the slice. */
LS_EXPORT struct ls_slice ls_batch_strdup(struct ls_batch *b, const void *data, size_t len);

/* Parsers: append a field (key and value bytes are copied into the arena). Returns the field
 * so the caller can set v for non-string types, or NULL past the core's per-record field cap
 * (the record is then flagged and the drop counted). */
LS_EXPORT struct ls_field *ls_record_add_field(struct ls_batch *b, struct ls_record *r,
                                               const char *key, size_t key_len, int type,
                                               const void *str, size_t str_len);
/* First field whose key equals `key`, or NULL. */
LS_EXPORT const struct ls_field *ls_record_field(const struct ls_record *r, const char *key);

/* Outputs that return LS_PENDING: keep/drop a reference. */
LS_EXPORT void ls_batch_ref(struct ls_batch *b);
LS_EXPORT void ls_batch_unref(struct ls_batch *b);

/* Names: "err" -> 3, "warning"/"warn" -> 4; NULL for unknown. */
LS_EXPORT const char *ls_severity_name(int severity);
LS_EXPORT const char *ls_facility_name(int facility);
LS_EXPORT int ls_severity_parse(const char *s, size_t len); /* -1 if not a name */
LS_EXPORT int ls_facility_parse(const char *s, size_t len); /* -1 if not a name */

/* ---- Host services: outputs ---------------------------------------------------------------- */

/* Finish a batch previously answered with LS_PENDING: status 0 = delivered, LS_EAGAIN = retry
 * it after a backoff, another negative code = drop (counted). Instance thread only. Drops the
 * reference the core passed to write; a reference taken with ls_batch_ref is still the
 * plugin's to drop. */
LS_EXPORT void ls_output_done(struct ls_instance *ins, struct ls_batch *b, int status);

/* ---- Host services: metrics and errors ----------------------------------------------------- */

/* A counter named logstream_<plugin>_<name>_total on /metrics, labelled with the instance.
 * Create in init or start; freed with the instance. */
LS_EXPORT struct ls_counter *ls_counter_new(struct ls_instance *ins, const char *name,
                                            const char *help);
/* Add n. Any thread; lock-free. */
LS_EXPORT void ls_counter_add(struct ls_counter *c, uint64_t n);

/* Count a drop of n records for `reason` ("max_connections", "truncated", ...): appears in
 * logstream_dropped_records_total{instance, reason}. */
LS_EXPORT void ls_count_drop(struct ls_instance *ins, const char *reason, uint64_t n);

/* Parsers: flag r with LS_REC_PARSE_ERROR, add the field parse_error=<parser name>, and count
 * it in logstream_parse_errors_total. */
LS_EXPORT void ls_parse_error(struct ls_instance *ins, struct ls_batch *b, struct ls_record *r);

#ifdef __cplusplus
}
#endif

#endif /* LOGSTREAM_PLUGIN_H */
