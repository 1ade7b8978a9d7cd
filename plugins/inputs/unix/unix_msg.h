/*
 * unix_msg.h - pure helpers of the `unix` input for one received message: what to strip from
 * its end, and how to put the sender's kernel-verified pid into its syslog header. No I/O and
 * no host calls, so they are unit-tested (tests/unit/test_unix_msg.c) on their own.
 *
 * Header shapes recognised by ls_unix_pid_rewrite() (everything else is left alone):
 *   RFC 5424:  "<PRI>1 TIMESTAMP HOST APP PROCID MSGID ..."  -> PROCID is replaced
 *   RFC 3164 / syslog(3), with or without the "Mmm dd hh:mm:ss " timestamp:
 *              "<PRI>[TIMESTAMP ]TAG[PID]: MSG"                -> PID is replaced
 *              "<PRI>[TIMESTAMP ]TAG: MSG"                     -> "[PID]" is inserted
 * where TAG is 1 to LS_UNIX_MAX_TAG bytes with no space, '[', ':' or control byte, the claimed
 * PID is 1 to LS_UNIX_MAX_CLAIM such bytes between the brackets, and the ':' is followed by a
 * space or ends the message (so "<13>2026-11-23T10:00:00Z ..." is no "TAG:"). Local senders
 * (syslog(3), logger, journald's forwarding, Python's SysLogHandler) write no hostname before the
 * tag.
 */
#ifndef LS_UNIX_MSG_H
#define LS_UNIX_MSG_H

#include <stddef.h>
#include <stdint.h>

#define LS_UNIX_MAX_TAG   128 /* longest TAG looked at */
#define LS_UNIX_MAX_CLAIM 32  /* longest claimed "[PID]" content replaced */
#define LS_UNIX_PID_GROW  24  /* the rewrite makes a message at most this many bytes longer */

/* Length of msg[0, len) without one trailing NUL (Python's SysLogHandler and glibc's stream
 * mode send one) and then one trailing "\n". */
size_t ls_unix_trim(const char *msg, size_t len);

/* The result of a rewrite: where the pid digits ended up in `out`. */
struct ls_unix_rewrite {
    size_t len;     /* bytes written to out */
    size_t pid_off; /* offset of the pid digits in out */
    size_t pid_len; /* number of pid digits */
};

/* Write msg[0, len) to out with its PROCID/PID replaced by (or, for "TAG:", given) `pid`,
 * which must be positive. out must hold len + LS_UNIX_PID_GROW bytes and must not overlap
 * msg. Returns 1 and fills *res when the header has one of the shapes above; returns 0 and
 * writes nothing otherwise. */
int ls_unix_pid_rewrite(const char *msg, size_t len, int64_t pid, char *out,
                        struct ls_unix_rewrite *res);

#endif /* LS_UNIX_MSG_H */
