/*
 * framer.h - framing of one byte stream (a TCP or unix stream connection) into messages, with
 * no I/O, so it can be fuzzed and unit-tested on its own. Shared by the stream inputs.
 *
 * Modes (enum ls_framing; the order matches the `framing` option's words, so an LS_OPT_ENUM
 * index can be passed as is):
 *
 * newline - a message ends with "\n"; one "\r" right before that "\n" is removed too. Empty
 *   lines are skipped. A line whose content is longer than max_line bytes is emitted once, cut
 *   to its first max_line bytes, with truncated = 1; the rest of it, up to the next "\n", is
 *   discarded. At end of stream ls_framer_finish() emits the final unterminated line, if any
 *   (a trailing "\r" is kept there: only "\r\n" is a line ending). Never a framing error.
 *
 * octet_counted - RFC 6587 section 3.4.1: frames "LEN SP MSG" back to back, where LEN is the
 *   decimal byte count of MSG: 1 to 9 digits, the first one 1-9 (no leading zero, no zero
 *   length), then exactly one space. MSG is emitted with one trailing "\n" (and a "\r" before
 *   it) removed, since some senders end messages with one; a frame that is then empty is
 *   skipped. Framing errors - feed returns -1 and ls_framer_error() says why:
 *     - a byte other than a digit where LEN must start or continue, a space where the first
 *       digit must be, or a first digit "0": "expected a frame length, got ...";
 *     - a 10th digit: "frame length has more than 9 digits";
 *     - LEN > max_line, seen at the space: "frame length N exceeds max_line (M)". Such a length
 *       is "absurd": nothing of the frame is buffered or emitted.
 *   At end of stream inside a frame, the bytes received of its MSG (if any) are emitted with
 *   truncated = 1, and ls_framer_finish() returns -1 ("stream ended inside a frame ...").
 *
 * auto - decided once per stream from its first bytes: octet_counted if and only if the
 *   stream begins with
 *       [1-9] [0-9]{0,8} SP "<" [0-9]{1,3} ">"
 *   (a frame length, a space, and a syslog PRI: RFC 5424/3164 messages always start with a
 *   PRI, and RFC 6587/5425 senders such as `logger --octet-count` and rsyslog send them);
 *   newline as soon as a byte rules that out, or when the stream ends first. So
 *   "2026-11-23 10:00 started", "123 apples" and "<13>Nov 23 ..." are lines, while
 *   "52 <13>1 2026-11-23T10:00:00Z ..." starts octet counting. A newline stream is misread
 *   only if its very first line begins with a number, one space and "<digits>". At most 15
 *   bytes are held while deciding; the decision is kept until ls_framer_finish().
 *
 * Every mode: the result (messages emitted, their order and bytes, the error and its reason)
 * does not depend on how the stream is split into chunks. After a framing error the framer
 * ignores the rest of the stream (feed returns -1 at once) until ls_framer_finish() resets
 * it; the caller is expected to drop the connection. Messages found before the error point
 * are emitted.
 *
 * Memory: only a partial message is buffered, in a buffer that grows on demand to at most
 * max_line + 1 bytes (newline: the extra byte holds a "\r" that may still turn out to end the
 * line; octet_counted: at most LEN <= max_line bytes, allocated as they arrive, not on the
 * peer's word) and a large one is released once empty. Messages found whole inside a chunk are
 * passed straight from the chunk. The pointer given to emit is valid only during that call.
 */
#ifndef LS_FRAMER_H
#define LS_FRAMER_H

#include <stddef.h>

enum ls_framing {
    LS_FRAMING_NEWLINE = 0,
    LS_FRAMING_OCTET_COUNTED = 1,
    LS_FRAMING_AUTO = 2,
};

/* The option words, in enum order, NULL-terminated: {"newline", "octet_counted", "auto"}. */
#define LS_FRAMING_WORDS                                                                           \
    {                                                                                              \
        "newline", "octet_counted", "auto", NULL                                                   \
    }

/* Called for each message; `arg` is the one given to ls_framer_feed()/ls_framer_finish(). */
typedef void (*ls_framer_emit_fn)(void *arg, const char *msg, size_t len, int truncated);

#define LS_FRAMER_PEEK 15 /* auto: longest prefix "123456789 <123>" held while deciding */

/* Embedded in the connection: ls_framer_init[_mode] / ls_framer_release. Members are private
 * to framer.c (tests may read buf, cap and max_line). */
struct ls_framer {
    char *buf;       /* the pending partial message (owned), or NULL */
    size_t len;      /* bytes pending in buf: at most max_line + 1 */
    size_t cap;      /* allocated size of buf */
    size_t max_line; /* longest message emitted whole, >= 1 */
    int mode;        /* enum ls_framing, as configured */
    int active;      /* the mode in force: NEWLINE, OCTET_COUNTED, or AUTO while deciding */
    int skipping;    /* newline: discarding the rest of a line that was emitted truncated */
    int failed;      /* a framing error happened; error[] says why */
    int in_body;     /* octet_counted: the header is read, frame_len bytes of MSG follow */
    unsigned digits; /* octet_counted: digits of LEN read so far */
    size_t frame_len;
    size_t npeek; /* auto: bytes of the stream held in peek[] while deciding */
    char peek[LS_FRAMER_PEEK];
    char error[96]; /* reason of the last framing error, "" if none */
};

/* Newline framing. max_line must be at least 1 and below SIZE_MAX / 2. Allocates nothing. */
void ls_framer_init(struct ls_framer *f, size_t max_line);
/* The same with a mode (enum ls_framing). */
void ls_framer_init_mode(struct ls_framer *f, size_t max_line, int mode);
/* Free the buffer; pending bytes are dropped (call ls_framer_finish() first to keep them). */
void ls_framer_release(struct ls_framer *f);

/* Frame `len` more bytes of the stream, calling emit for each complete message. Returns 0, or
 * -1 on a framing error (see ls_framer_error), also for every call after one. Aborts only if
 * malloc fails. */
int ls_framer_feed(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                   void *arg);
/* End of stream: emit the pending partial message, if any (see the modes above), and reset
 * the framer (error state, auto decision) so it can frame a new stream. Returns 0, or -1 when
 * the stream ended inside an octet-counted frame; ls_framer_error() then says why. After a
 * framing error (already reported by feed) it emits nothing and returns 0. */
int ls_framer_finish(struct ls_framer *f, ls_framer_emit_fn emit, void *arg);

/* Why the last feed/finish returned -1: a lowercase phrase such as "frame length 999999 exceeds
 * max_line (65536)"; "" when there was no error. Borrowed from f. */
const char *ls_framer_error(const struct ls_framer *f);

/* The mode in force: LS_FRAMING_NEWLINE or LS_FRAMING_OCTET_COUNTED, or LS_FRAMING_AUTO
 * while an auto framer has not decided yet. */
int ls_framer_active(const struct ls_framer *f);

/* "newline", "octet_counted", "auto"; "?" for anything else. */
const char *ls_framing_name(int mode);

/* Bytes currently buffered (for tests and memory accounting). */
size_t ls_framer_pending(const struct ls_framer *f);

#endif /* LS_FRAMER_H */
