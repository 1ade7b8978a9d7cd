/*
 * rotate.h - the file output's rotation schedule, rotated file names and retention. Pure: no
 * I/O and no host calls (unit-tested by tests/unit/test_file_rotate.c).
 *
 * A live file rotates, before a write, when one of the configured triggers holds and it is not
 * empty: `size` (the write would take it past the limit), `age` (it was opened that long ago,
 * or received its first bytes then if it was empty), `every` (a daily / hourly wall-clock
 * boundary, in UTC or local time, passed since its data began). Rotated names are
 * "<path>.<UTC YYYYmmddTHHMMSS>" with ".<n>" (n = 1, 2, ...) when that name is taken, plus
 * ".gz" / ".lz4" once compressed; an unfinished compression is "<name>.gz.tmp". Names order by
 * (stamp, n), the order they were rotated in (`ls` agrees unless two share a second).
 *
 * Retention, over the rotated files of one live file (not the live file itself): the newest
 * `keep` survive (0: no count limit), files whose stamp is older than `max_age` go, and then
 * the oldest go while the total size exceeds `max_total`.
 */
#ifndef LS_FILE_ROTATE_H
#define LS_FILE_ROTATE_H

#include <stddef.h>
#include <stdint.h>

enum fo_every { FO_EVERY_NONE = 0, FO_EVERY_HOURLY = 1, FO_EVERY_DAILY = 2 };
enum fo_compress { FO_COMPRESS_NONE = 0, FO_COMPRESS_GZIP = 1, FO_COMPRESS_LZ4 = 2 };

struct fo_rotate_policy {
    uint64_t size; /* bytes; 0: no size trigger */
    int64_t age;   /* ns; 0: no age trigger */
    int every;     /* enum fo_every */
    int utc;       /* boundaries in UTC, else in local time */
};

/* What the schedule knows about one live file. */
struct fo_rotate_state {
    uint64_t size;      /* bytes in it now */
    int64_t opened;     /* ns: when this output opened it, or wrote into it while empty */
    int64_t period_end; /* ns: the first `every` boundary after its data began; 0: none */
};

#define FO_ROT_SIZE 0x1u
#define FO_ROT_AGE  0x2u
#define FO_ROT_TIME 0x4u

/* The triggers (FO_ROT_*) that hold for a file about to receive `incoming` bytes at `now`
 * (ns); 0 when it should not rotate. An empty file never rotates. */
unsigned fo_rotate_due(const struct fo_rotate_policy *p, const struct fo_rotate_state *s,
                       int64_t now, uint64_t incoming);

/* The first `every` boundary strictly after t (ns): the next full hour, or the next midnight,
 * in UTC or local time (local midnights follow DST). 0 for FO_EVERY_NONE. */
int64_t fo_period_end(int every, int utc, int64_t t);

/* "YYYYmmddTHHMMSS" of t (ns) in UTC, NUL-terminated. */
#define FO_STAMP_SIZE 16
void fo_rotated_stamp(char out[FO_STAMP_SIZE], int64_t t);

/* "<path>.<stamp>" (n == 0) or "<path>.<stamp>.<n>" into out[cap]; the length, or -1 if it
 * does not fit. */
int fo_rotated_name(char *out, size_t cap, const char *path, const char *stamp, unsigned n);

/* One rotated file of a live file, as found in its directory. */
struct fo_rotated {
    char *name;    /* the directory entry (owned by whoever filled the array) */
    int64_t stamp; /* seconds since the epoch, from the name */
    unsigned n;    /* the ".<n>" counter; 0 without */
    int compress;  /* enum fo_compress, from the suffix */
    int tmp;       /* an unfinished compression ("<name>.gz.tmp") */
    uint64_t size; /* bytes on disk (filled by the caller) */
    int del;       /* set by fo_retention_select */
};

/* If `name` (a directory entry) is a rotated file of the live file whose base name is `base`,
 * fill out (name is not copied) and return 1; else 0. */
int fo_rotated_parse(const char *base, const char *name, struct fo_rotated *out);

/* Order: newer first (stamp, then n, descending). */
int fo_rotated_cmp(const void *a, const void *b);

struct fo_retention {
    uint64_t keep;      /* 0: no count limit */
    int64_t max_age;    /* ns; 0: no age limit */
    uint64_t max_total; /* bytes; 0: no size limit */
};

/* 1 when retention may delete anything at all. */
int fo_retention_active(const struct fo_retention *r);

/* Sort v newest first and set `del` on the files retention removes at `now` (ns). Temp files
 * must not be in v. Returns the number marked. */
size_t fo_retention_select(struct fo_rotated *v, size_t n, const struct fo_retention *r,
                           int64_t now);

#endif /* LS_FILE_ROTATE_H */
