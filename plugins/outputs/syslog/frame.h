/*
 * frame.h - one record as one frame of the syslog output: the syslog message (RFC 5424 or
 * RFC 3164, from syslogfmt.h), cut to max_message, framed for the transport:
 *
 *   octet counting  "LEN SP MSG"  (RFC 6587 §3.4.1, RFC 5425 §4.3): MSG may hold any byte
 *   newline         "MSG LF"      (RFC 6587 §3.4.2): a LF inside MSG becomes a space, so one
 *                                 record is always exactly one frame
 *   none            "MSG"         (datagrams: one message per datagram, RFC 5426)
 *
 * max_message bounds MSG, the whole syslog message without its frame. When the message would
 * be longer, its free text is cut (on a UTF-8 boundary) so that header and structured data
 * stay whole; if header and structured data alone are longer, the message is cut at
 * max_message (on a UTF-8 boundary). Either way the frame is marked truncated.
 *
 * Pure: no I/O, no host calls. Memory: a struct ls_sysout_framer is embedded by its user, owns
 * a scratch buffer (ls_sysout_framer_release frees it) and is used by one thread.
 */
#ifndef LS_SYSOUT_FRAME_H
#define LS_SYSOUT_FRAME_H

#include <stddef.h>

#include <logstream/plugin.h>

#include "format.h"
#include "syslogfmt.h"

enum ls_sysout_format {
    LS_SYSOUT_RFC5424 = 0,
    LS_SYSOUT_RFC3164 = 1,
};

enum ls_sysout_framing {
    LS_SYSOUT_FRAME_OCTET = 0,
    LS_SYSOUT_FRAME_NEWLINE = 1,
    LS_SYSOUT_FRAME_NONE = 2,
};

struct ls_sysout_framer {
    int format;                     /* enum ls_sysout_format */
    int framing;                    /* enum ls_sysout_framing */
    size_t max_message;             /* bytes of MSG; 0 = unlimited */
    const char *host;               /* non-NULL: replaces every record's host */
    struct ls_fmt_syslog_opts opts; /* host fallback, app override, default PRI parts; its
                                     * max_message is the framer's to set */
    struct ls_fmt_clock clock;      /* RFC 3164 timestamps */
    struct ls_fmt_buf scratch;      /* owned */
};

/* Frees the scratch buffer; the framer may be used again. */
void ls_sysout_framer_release(struct ls_sysout_framer *f);

/* Append record r as one frame to out. Returns 1 if the message was truncated, else 0. */
int ls_sysout_frame(struct ls_sysout_framer *f, struct ls_fmt_buf *out, const struct ls_record *r);

/* The longest prefix of s[0, len) that is at most max bytes and does not end inside a UTF-8
 * sequence that started before it (only continuation bytes are looked at). */
size_t ls_sysout_utf8_cut(const char *s, size_t len, size_t max);

#endif /* LS_SYSOUT_FRAME_H */
