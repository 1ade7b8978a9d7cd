/*
 * syslogfmt.h - syslog-shaped record lines shared by output plugins (file, syslog): RFC 5424,
 * RFC 3164, and the "traditional" file line Debian's rsyslog writes. No I/O and no host calls.
 *
 * None of these functions appends a newline or a frame: the caller frames (a file appends
 * "\n"; the syslog output frames per RFC 6587).
 *
 * Values come from the record; absent ones fall back as documented per function. Bytes that
 * cannot appear in a field (a space in HOST, say) are replaced so the line stays parseable;
 * the message is written as is, except that "\n" and NUL in it become a space in the
 * one-line formats, so a record can never forge a second line.
 *
 * Times: RFC 5424 uses RFC 3339 UTC with microseconds ("2026-11-23T10:00:00.123456Z"); RFC 3164
 * and traditional use "Mmm dd hh:mm:ss" (day space-padded) in the zone the caller chose. A
 * struct ls_fmt_clock caches the zone conversion per second, so formatting a batch costs no
 * per-record time zone lookup; it is per thread (embed one per output instance).
 *
 * Memory: output goes to a struct ls_fmt_buf (format.h).
 */
#ifndef LS_PLUGIN_SYSLOGFMT_H
#define LS_PLUGIN_SYSLOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

#include "format.h"

/* Cached local-time conversion. Zero-initialise; set utc = 1 for UTC. */
struct ls_fmt_clock {
    int utc;
    int64_t cached_sec; /* the second that `text` shows; valid when have == 1 */
    int have;
    char text[16]; /* "Nov 23 10:00:00" (15 chars + NUL) */
};

struct ls_fmt_syslog_opts {
    const char *host;     /* used when the record has no host (NULL: "-" in 5424, "localhost"
                           * in 3164/traditional); callers pass gethostname() */
    const char *app;      /* override: always used as APP-NAME/TAG when non-NULL */
    int default_facility; /* used when the record's is unknown (user = 1) */
    int default_severity; /* used when the record's is unknown (notice = 5) */
    size_t max_message;   /* 0 = unlimited; else the message is cut to this many bytes (on a
                           * UTF-8 boundary) and *truncated is set by the format functions */
};

/* "<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG". SD-ELEMENTs are rebuilt from fields named
 * "sd.<id>.<param>" (in field order, params of one id grouped, values escaped per RFC 5424
 * §6.3.3); "-" when there are none. HOST/APP/PROCID/MSGID absent -> "-"; over-long ones cut to
 * the RFC's limits (255/48/128/32). Returns 1 if the message was truncated, else 0. */
int ls_fmt_record_rfc5424(struct ls_fmt_buf *b, const struct ls_record *r,
                          const struct ls_fmt_syslog_opts *o);

/* "<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG" ("TAG: MSG" without a pid; TAG from app, else
 * "-"). Returns 1 if the message was truncated, else 0. */
int ls_fmt_record_rfc3164(struct ls_fmt_buf *b, const struct ls_record *r,
                          const struct ls_fmt_syslog_opts *o, struct ls_fmt_clock *clk);

/* The classic file line: "Mmm dd hh:mm:ss HOST TAG[PID]: MSG" - RFC 3164 without the PRI. A
 * record with no app is written "Mmm dd hh:mm:ss HOST MSG" as rsyslog does. */
void ls_fmt_record_traditional(struct ls_fmt_buf *b, const struct ls_record *r,
                               const struct ls_fmt_syslog_opts *o, struct ls_fmt_clock *clk);

/* PRI value for a record: facility * 8 + severity with the defaults applied. */
int ls_fmt_pri(const struct ls_record *r, const struct ls_fmt_syslog_opts *o);

/* The "Mmm dd hh:mm:ss" text (15 chars, NUL-terminated) of `ns` in the clock's zone: what the
 * 3164 and traditional lines show. Borrowed from clk; valid until its next use. */
const char *ls_fmt_clock_text(struct ls_fmt_clock *clk, int64_t ns);

#endif /* LS_PLUGIN_SYSLOGFMT_H */
