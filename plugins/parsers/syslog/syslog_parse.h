/*
 * syslog_parse.h - the syslog parser's logic: split one line into the parts of an RFC 5424 or
 * RFC 3164 message. No I/O, no host calls, no allocation and no libc time zone calls: the
 * result is offsets into the line (struct ls_slice) and integers, so the function is
 * unit-tested and fuzzed on its own. Time zones are looked up in a preloaded struct ls_tz.
 *
 * Detection, per line (the exact grammar is in README.md):
 *   - "<" digit ...            starts like syslog. The PRI must be 1 to 3 digits, '>' and at
 *                              most 191, else the line is malformed.
 *       then "1 "              RFC 5424: every header field must be valid, else malformed.
 *       else                   RFC 3164, leniently: whatever follows a valid PRI is accepted;
 *                              parts that are not there (timestamp, host, tag) stay absent.
 *   - no PRI, but the line starts with a BSD ("Nov 23 10:00:00") or ISO 8601 timestamp
 *     followed by a space: RFC 3164 without PRI (facility/severity take the defaults).
 *   - anything else: not syslog (LS_SYSLOG_NONE): the caller leaves the record alone.
 *
 * Ownership: every slice in the result points into the line passed in (or is {NULL, 0} when
 * absent) and lives as long as the line; opts and its time zone are borrowed.
 */
#ifndef LS_SYSLOG_PARSE_H
#define LS_SYSLOG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

#include "tz.h"

/* ls_syslog_parse() results. */
#define LS_SYSLOG_MALFORMED (-1) /* starts like syslog, but is not valid: see res->error */
#define LS_SYSLOG_NONE      0    /* not syslog at all */
#define LS_SYSLOG_3164      1
#define LS_SYSLOG_5424      2

/* RFC 5424 §6 field limits. */
#define LS_SYSLOG_MAX_HOST   255
#define LS_SYSLOG_MAX_APP    48
#define LS_SYSLOG_MAX_PROCID 128
#define LS_SYSLOG_MAX_MSGID  32
#define LS_SYSLOG_MAX_SDNAME 32
/* RFC 3164 tags: longer "tag:" tokens are taken as message text. */
#define LS_SYSLOG_MAX_TAG    48

struct ls_syslog_opts {
    const struct ls_tz *tz; /* zone of timestamps without an offset; NULL = UTC. Borrowed. */
    int default_facility;   /* when the line has no PRI: 0..23 or LS_FAC_UNKNOWN */
    int default_severity;   /* when the line has no PRI: 0..7 or LS_SEV_UNKNOWN */
};

struct ls_syslog_result {
    int format;                /* LS_SYSLOG_3164 or LS_SYSLOG_5424 (0 when not syslog) */
    int has_pri;               /* the line had a PRI */
    int facility;              /* from the PRI, else the default */
    int severity;              /* from the PRI, else the default */
    int has_time;              /* the line had a usable timestamp: time is set */
    int64_t time;              /* ns since the epoch, UTC */
    struct ls_slice time_text; /* the timestamp as written (5424 "-" is absent) */
    struct ls_slice host;      /* absent when the line has none (or "-") */
    int host_missing;          /* 3164 without a hostname: the caller substitutes the local one */
    struct ls_slice app;       /* 5424 APP-NAME, 3164 tag */
    struct ls_slice procid;
    struct ls_slice msgid; /* 5424 only */
    struct ls_slice sd;    /* 5424 STRUCTURED-DATA, validated; absent for "-". Walk it with
                            * ls_syslog_sd_next(). */
    int has_seq;           /* 3164 Cisco-style sequence number "<189>123: ..." */
    int64_t seq;
    struct ls_slice message; /* the MSG (after a UTF-8 BOM in 5424); may be empty, never absent
                              * for a syslog line */
    const char *error;       /* LS_SYSLOG_MALFORMED: what was wrong (static text) */
};

/* Parse line[0, len). `received` (ns since the epoch) anchors the year of RFC 3164 timestamps,
 * which have none: the year is the one that puts the timestamp nearest to `received` (a
 * December timestamp received in January is last year's). Returns LS_SYSLOG_5424,
 * LS_SYSLOG_3164, LS_SYSLOG_NONE or LS_SYSLOG_MALFORMED; res is filled in every case (for
 * NONE and MALFORMED only res->error is meaningful). */
int ls_syslog_parse(const char *line, size_t len, int64_t received,
                    const struct ls_syslog_opts *opts, struct ls_syslog_result *res);

/* Walking validated STRUCTURED-DATA (res->sd): one call per SD-PARAM, in order. An SD-ELEMENT
 * without params yields nothing. value is the raw bytes between the quotes; escaped is 1 when
 * it holds a backslash (decode it with ls_syslog_sd_unescape). */
struct ls_syslog_sd_iter {
    const char *p, *end;
    struct ls_slice id; /* the SD-ID of the element being walked */
};

struct ls_syslog_sd_param {
    struct ls_slice id, name, value;
    int escaped;
};

void ls_syslog_sd_begin(struct ls_syslog_sd_iter *it, struct ls_slice sd);
/* 1 and *out filled, or 0 at the end. */
int ls_syslog_sd_next(struct ls_syslog_sd_iter *it, struct ls_syslog_sd_param *out);

/* Decode a PARAM-VALUE: \" -> ", \\ -> \, \] -> ]; any other backslash is kept as written
 * (RFC 5424 §6.3.3). dst must hold len bytes; returns the decoded length (<= len). */
size_t ls_syslog_sd_unescape(const char *src, size_t len, char *dst);

#endif /* LS_SYSLOG_PARSE_H */
