/*
 * fileout.h - what the file output's glue (file.c: options, lifecycle, signals, timer) and its
 * write path (output.c: formatting, opening, writing, rotating) share. Private to the plugin.
 *
 * Everything here runs on the output instance's thread except init/fini (main thread, while
 * the instance is not running); the worker thread (worker.h) sees only what it is handed.
 *
 * A batch is formatted once into `buf`; each record's bytes are a segment of it belonging to
 * one file entry (consecutive records of one file merge into one segment). Each file with data
 * in the batch is on the pending list and is written with writev(2) from its segments. A
 * write that fails temporarily returns LS_EAGAIN with the batch kept as is: the retry
 * continues each file at its first byte not yet written, so nothing is written twice.
 */
#ifndef LS_FILE_FILEOUT_H
#define LS_FILE_FILEOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <logstream/plugin.h>

#include "cache.h"
#include "format.h"
#include "rotate.h"
#include "syslogfmt.h"
#include "template.h"
#include "worker.h"

enum {
    FO_FORMAT_RAW,
    FO_FORMAT_JSON,
    FO_FORMAT_TRADITIONAL,
    FO_FORMAT_RFC5424,
    FO_FORMAT_TEMPLATE
};
enum { FO_FSYNC_NEVER, FO_FSYNC_BATCH, FO_FSYNC_INTERVAL };
enum { FO_TZ_LOCAL, FO_TZ_UTC };

/* Filled by the core from the option table in file.c. */
struct file_conf {
    char *path;
    int format;
    char *template_text;
    char *mode;
    char *dir_mode;
    char *owner;
    char *group;
    int mkdir;
    int fsync;
    int64_t fsync_interval; /* ns */
    int64_t max_open_files;
    int timezone;
    /* rotate: { ... } */
    uint64_t rot_size;
    int64_t rot_age;
    int rot_every;
    int64_t rot_keep;
    int64_t rot_max_age;
    uint64_t rot_max_total;
    int rot_compress;
    int64_t rot_level;
};

/* A record's bytes in the batch buffer, and the next segment of the same file. */
struct fo_wseg {
    struct fo_file *f;
    size_t off, len;
    size_t next; /* FO_NO_SEG at the end */
};

struct file_state {
    struct ls_instance *ins;
    const struct file_conf *conf;
    mode_t mode, dir_mode;
    uid_t uid; /* (uid_t)-1: leave as created */
    gid_t gid;
    struct fo_path path;
    int templated;           /* the path has variables or '%': rendered per record */
    struct fo_template line; /* format: template */
    struct fo_rotate_policy rot;
    int rotating;   /* some rotation trigger is configured */
    int maintained; /* compression or retention configured: run the worker's maintenance */
    struct fo_cache cache;
    struct fo_worker *worker;
    struct ls_timer *tick;
    int64_t tick_ns, last_sync;

    char hostname[256];
    struct ls_fmt_clock clk;
    struct ls_fmt_syslog_opts sopts;
    struct ls_fmt_ctx fmt;
    struct fo_render_ctx rctx;

    /* The batch being written. */
    struct ls_fmt_buf buf;
    struct fo_wseg *segs;
    size_t nsegs, segcap;
    struct fo_file *plist, *plist_tail;
    const struct ls_batch *pending;
    size_t pending_count;
    const struct ls_record *pending_first;
    char pathbuf[FO_PATH_MAX];

    struct ls_counter *write_errors, *rotations, *compressed, *compress_errors, *deleted,
        *sync_errors;
};

/* output.c */
int fo_output_write(struct file_state *st, struct ls_batch *b);
/* Open f (making room in the cache, creating directories). Returns 0 or -errno. */
int fo_output_open(struct file_state *st, struct fo_file *f, int64_t now);
/* Rotate f now (it is open and has no unwritten data); reopen it when `reopen`. Returns 0 or
 * -errno from reopening. */
int fo_output_rotate(struct file_state *st, struct fo_file *f, int64_t now, int reopen);
/* Close f's descriptor (an interval sync of unsynced data goes to the worker). */
void fo_output_close(struct file_state *st, struct fo_file *f);
/* Write the rest of a record half written into f, so no record is ever cut in two. */
void fo_output_finish_record(struct file_state *st, struct fo_file *f);
/* Forget the batch being written (after it was written, or when the core gave up on it). */
void fo_output_forget(struct file_state *st);

#endif /* LS_FILE_FILEOUT_H */
