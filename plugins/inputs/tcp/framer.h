/*
 * framer.h - newline framing of one byte stream, with no I/O, so it can be fuzzed and
 * unit-tested on its own.
 *
 * Feed the bytes of one connection in chunks of any size; the framer calls `emit` once per
 * line, in order, with the line's bytes without its "\n" and without one "\r" right before
 * that "\n". Empty lines are skipped. A line whose content is longer than max_line bytes is
 * emitted once, cut to its first max_line bytes, with truncated = 1; the rest of it, up to the
 * next "\n", is discarded. At end of stream ls_framer_finish() emits the final unterminated
 * line, if any (a trailing "\r" is kept there: only "\r\n" is a line ending).
 *
 * The result does not depend on how the stream is split into chunks.
 *
 * Memory: only a partial line is buffered. The buffer grows on demand to at most max_line + 1
 * bytes (the extra byte holds a "\r" that may still turn out to end the line) and a large one
 * is released once empty. Lines found whole inside a chunk are passed straight from the chunk.
 * The `line` pointer given to emit is valid only during that call.
 */
#ifndef LS_TCP_FRAMER_H
#define LS_TCP_FRAMER_H

#include <stddef.h>

/* Called for each line; `arg` is the one given to ls_framer_feed()/ls_framer_finish(). */
typedef void (*ls_framer_emit_fn)(void *arg, const char *line, size_t len, int truncated);

/* Embedded in the connection: ls_framer_init / ls_framer_release. */
struct ls_framer {
    char *buf;       /* the pending partial line (owned), or NULL */
    size_t len;      /* bytes pending in buf: at most max_line + 1 */
    size_t cap;      /* allocated size of buf */
    size_t max_line; /* longest line emitted whole, >= 1 */
    int skipping;    /* discarding the rest of a line that was emitted truncated */
};

/* max_line must be at least 1 and below SIZE_MAX. Allocates nothing. */
void ls_framer_init(struct ls_framer *f, size_t max_line);
/* Free the buffer; pending bytes are dropped (call ls_framer_finish() first to keep them). */
void ls_framer_release(struct ls_framer *f);

/* Frame `len` more bytes of the stream. Aborts only if malloc fails. */
void ls_framer_feed(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                    void *arg);
/* End of stream: emit the pending unterminated line, if any, and reset the framer so it could
 * frame a new stream. */
void ls_framer_finish(struct ls_framer *f, ls_framer_emit_fn emit, void *arg);

/* Bytes currently buffered (for tests and memory accounting). */
size_t ls_framer_pending(const struct ls_framer *f);

#endif /* LS_TCP_FRAMER_H */
