/* framer.c - newline framing with max_line truncation; see framer.h. */
#include "framer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buffers up to this size are kept for the next partial line; larger ones are freed when
 * empty, so an idle connection that once sent a long line does not pin max_line bytes. */
#define FRAMER_KEEP 16384
#define FRAMER_MIN  256

void ls_framer_init(struct ls_framer *f, size_t max_line)
{
    memset(f, 0, sizeof *f);
    f->max_line = max_line;
}

void ls_framer_release(struct ls_framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
    f->cap = 0;
    f->skipping = 0;
}

size_t ls_framer_pending(const struct ls_framer *f)
{
    return f->len;
}

/* Make room for `need` bytes in total; need <= max_line + 1, so memory stays bounded. */
static void reserve(struct ls_framer *f, size_t need)
{
    size_t limit = f->max_line + 1;
    size_t cap = f->cap ? f->cap : FRAMER_MIN;
    char *p;

    if (need <= f->cap) {
        return;
    }
    while (cap < need) {
        cap = cap > limit / 2 ? limit : cap * 2;
    }
    if (cap > limit) {
        cap = limit;
    }
    p = realloc(f->buf, cap);
    if (!p) {
        fprintf(stderr, "logstream: tcp framer: out of memory allocating %zu bytes\n", cap);
        abort();
    }
    f->buf = p;
    f->cap = cap;
}

static void append(struct ls_framer *f, const char *data, size_t len)
{
    if (len == 0) {
        return;
    }
    reserve(f, f->len + len);
    memcpy(f->buf + f->len, data, len);
    f->len += len;
}

/* Drop the pending line; free a large buffer. */
static void clear(struct ls_framer *f)
{
    f->len = 0;
    if (f->cap > FRAMER_KEEP) {
        free(f->buf);
        f->buf = NULL;
        f->cap = 0;
    }
}

/* A line that ended with "\n" (excluded): strip one "\r", skip it if empty, cut it if long. */
static void emit_line(const struct ls_framer *f, const char *line, size_t len,
                      ls_framer_emit_fn emit, void *arg)
{
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (len == 0) {
        return;
    }
    if (len > f->max_line) {
        emit(arg, line, f->max_line, 1);
    } else {
        emit(arg, line, len, 0);
    }
}

/* Bytes [0, n) of the current line are pending + data[0, k) and a "\n" follows data[k). */
static void end_line(struct ls_framer *f, const char *data, size_t k, ls_framer_emit_fn emit,
                     void *arg)
{
    if (f->len == 0) {
        emit_line(f, data, k, emit, arg);
        return;
    }
    if (k <= f->max_line + 1 - f->len) {
        append(f, data, k);
        emit_line(f, f->buf, f->len, emit, arg);
    } else {
        /* pending + k > max_line + 1: too long whatever its last byte is */
        if (f->len < f->max_line) {
            append(f, data, f->max_line - f->len);
        }
        emit(arg, f->buf, f->max_line, 1);
    }
    clear(f);
}

/* data[0, k) continues the current line and no "\n" follows within this chunk. */
static void keep_partial(struct ls_framer *f, const char *data, size_t k, ls_framer_emit_fn emit,
                         void *arg)
{
    size_t room = f->max_line + 1 - f->len;

    /* Buffer it while it could still be a line of at most max_line bytes: max_line bytes, or
     * max_line bytes and a "\r" that a "\n" may follow. */
    if (k < room || (k == room && data[k - 1] == '\r')) {
        append(f, data, k);
        return;
    }
    if (f->len < f->max_line) {
        append(f, data, f->max_line - f->len);
    }
    emit(arg, f->buf, f->max_line, 1);
    clear(f);
    f->skipping = 1;
}

void ls_framer_feed(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                    void *arg)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t k = nl ? (size_t)(nl - data) : len;

        if (f->skipping) {
            if (!nl) {
                return;
            }
            f->skipping = 0;
        } else if (nl) {
            end_line(f, data, k, emit, arg);
        } else {
            keep_partial(f, data, k, emit, arg);
            return;
        }
        data += k + 1;
        len -= k + 1;
    }
}

void ls_framer_finish(struct ls_framer *f, ls_framer_emit_fn emit, void *arg)
{
    if (!f->skipping && f->len > 0) {
        if (f->len > f->max_line) {
            emit(arg, f->buf, f->max_line, 1);
        } else {
            emit(arg, f->buf, f->len, 0);
        }
    }
    f->skipping = 0;
    clear(f);
}
