/* framer.c - newline, RFC 6587 octet-counted and auto stream framing; see framer.h. */
#include "framer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Buffers up to this size are kept for the next partial message; larger ones are freed when
 * empty, so an idle connection that once sent a long message does not pin max_line bytes. */
#define FRAMER_KEEP 16384
#define FRAMER_MIN  256

void ls_framer_init_mode(struct ls_framer *f, size_t max_line, int mode)
{
    memset(f, 0, sizeof *f);
    f->max_line = max_line;
    if (mode != LS_FRAMING_OCTET_COUNTED && mode != LS_FRAMING_AUTO) {
        mode = LS_FRAMING_NEWLINE;
    }
    f->mode = mode;
    f->active = mode;
}

void ls_framer_init(struct ls_framer *f, size_t max_line)
{
    ls_framer_init_mode(f, max_line, LS_FRAMING_NEWLINE);
}

void ls_framer_release(struct ls_framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->len = 0;
    f->cap = 0;
    f->skipping = 0;
    f->in_body = 0;
    f->digits = 0;
    f->frame_len = 0;
    f->npeek = 0;
}

size_t ls_framer_pending(const struct ls_framer *f)
{
    return f->len + f->npeek;
}

const char *ls_framer_error(const struct ls_framer *f)
{
    return f->error;
}

int ls_framer_active(const struct ls_framer *f)
{
    return f->active;
}

const char *ls_framing_name(int mode)
{
    switch (mode) {
    case LS_FRAMING_NEWLINE:
        return "newline";
    case LS_FRAMING_OCTET_COUNTED:
        return "octet_counted";
    case LS_FRAMING_AUTO:
        return "auto";
    default:
        return "?";
    }
}

__attribute__((format(printf, 2, 3))) static int fail(struct ls_framer *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(f->error, sizeof f->error, fmt, ap);
    va_end(ap);
    f->failed = 1;
    return -1;
}

/* ---- the partial-message buffer ----------------------------------------------------------- */

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
        fprintf(stderr, "logstream: framer: out of memory allocating %zu bytes\n", cap);
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

/* Drop the pending message; free a large buffer. */
static void clear(struct ls_framer *f)
{
    f->len = 0;
    if (f->cap > FRAMER_KEEP) {
        free(f->buf);
        f->buf = NULL;
        f->cap = 0;
    }
}

/* ---- newline ----------------------------------------------------------------------------- */

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

static void feed_newline(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
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

static void finish_newline(struct ls_framer *f, ls_framer_emit_fn emit, void *arg)
{
    if (!f->skipping && f->len > 0) {
        if (f->len > f->max_line) {
            emit(arg, f->buf, f->max_line, 1);
        } else {
            emit(arg, f->buf, f->len, 0);
        }
    }
}

/* ---- octet counted ----------------------------------------------------------------------- */

/* A complete frame's MSG: drop one trailing "\n" (and a "\r" before it); skip it if empty. */
static void emit_frame(const char *msg, size_t len, ls_framer_emit_fn emit, void *arg)
{
    if (len > 0 && msg[len - 1] == '\n') {
        len--;
        if (len > 0 && msg[len - 1] == '\r') {
            len--;
        }
    }
    if (len > 0) {
        emit(arg, msg, len, 0);
    }
}

static void next_frame(struct ls_framer *f)
{
    f->in_body = 0;
    f->digits = 0;
    f->frame_len = 0;
}

/* Name a byte for an error message. */
static const char *show_byte(unsigned char c, char *out, size_t size)
{
    if (c == ' ') {
        snprintf(out, size, "a space");
    } else if (c > ' ' && c < 0x7f && c != '\'') {
        snprintf(out, size, "'%c'", c);
    } else {
        snprintf(out, size, "byte 0x%02x", c);
    }
    return out;
}

/* One byte of the "LEN SP" header. Returns 0, or -1 after fail(). */
static int header_byte(struct ls_framer *f, unsigned char c)
{
    char what[16];

    if (c >= '0' && c <= '9') {
        if (f->digits == 0 && c == '0') {
            return fail(f, "frame length starts with '0'");
        }
        if (f->digits == 9) {
            return fail(f, "frame length has more than 9 digits");
        }
        f->frame_len = f->frame_len * 10 + (size_t)(c - '0');
        f->digits++;
        return 0;
    }
    if (f->digits == 0) {
        return fail(f, "expected a frame length, got %s", show_byte(c, what, sizeof what));
    }
    if (c != ' ') {
        return fail(f, "expected a space after frame length %zu, got %s", f->frame_len,
                    show_byte(c, what, sizeof what));
    }
    if (f->frame_len > f->max_line) {
        return fail(f, "frame length %zu exceeds max_line (%zu)", f->frame_len, f->max_line);
    }
    f->in_body = 1;
    return 0;
}

static int feed_octet(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                      void *arg)
{
    while (len > 0) {
        size_t need, k;

        if (!f->in_body) {
            if (header_byte(f, (unsigned char)*data) < 0) {
                return -1;
            }
            data++;
            len--;
            continue;
        }
        need = f->frame_len - f->len;
        if (f->len == 0 && len >= need) {
            emit_frame(data, need, emit, arg); /* whole in this chunk: no copy */
            data += need;
            len -= need;
            next_frame(f);
            continue;
        }
        k = len < need ? len : need;
        append(f, data, k);
        data += k;
        len -= k;
        if (f->len == f->frame_len) {
            emit_frame(f->buf, f->len, emit, arg);
            clear(f);
            next_frame(f);
        }
    }
    return 0;
}

static int finish_octet(struct ls_framer *f, ls_framer_emit_fn emit, void *arg)
{
    if (f->in_body) {
        if (f->len > 0) {
            emit(arg, f->buf, f->len, 1);
        }
        return fail(f, "stream ended inside a frame (%zu of %zu bytes)", f->len, f->frame_len);
    }
    if (f->digits > 0) {
        return fail(f, "stream ended inside a frame length");
    }
    return 0;
}

/* ---- auto -------------------------------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Does the stream prefix p[0, n) begin with [1-9][0-9]{0,8} SP "<" [0-9]{1,3} ">"?
 * 1: yes, 0: it cannot, -1: not known yet (every byte so far fits). */
static int classify(const char *p, size_t n)
{
    size_t i = 0, start;

    if (n == 0) {
        return -1;
    }
    if (p[0] < '1' || p[0] > '9') {
        return 0;
    }
    while (i < n && is_digit(p[i])) {
        i++;
    }
    if (i > 9) {
        return 0;
    }
    if (i == n) {
        return -1;
    }
    if (p[i++] != ' ') {
        return 0;
    }
    if (i == n) {
        return -1;
    }
    if (p[i++] != '<') {
        return 0;
    }
    start = i;
    while (i < n && is_digit(p[i])) {
        i++;
    }
    if (i - start > 3) {
        return 0;
    }
    if (i == n) {
        return -1;
    }
    return (i > start && p[i] == '>') ? 1 : 0;
}

static int feed_active(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                       void *arg)
{
    if (f->active == LS_FRAMING_OCTET_COUNTED) {
        return feed_octet(f, data, len, emit, arg);
    }
    feed_newline(f, data, len, emit, arg);
    return 0;
}

/* Decide with `mode`, then frame the held prefix with it. */
static int decide(struct ls_framer *f, int mode, ls_framer_emit_fn emit, void *arg)
{
    char held[LS_FRAMER_PEEK];
    size_t n = f->npeek;

    memcpy(held, f->peek, n);
    f->npeek = 0;
    f->active = mode;
    return feed_active(f, held, n, emit, arg);
}

int ls_framer_feed(struct ls_framer *f, const char *data, size_t len, ls_framer_emit_fn emit,
                   void *arg)
{
    if (f->failed) {
        return -1;
    }
    while (f->active == LS_FRAMING_AUTO && len > 0) {
        int c;

        f->peek[f->npeek++] = *data++;
        len--;
        c = classify(f->peek, f->npeek);
        if (c >= 0 && decide(f, c ? LS_FRAMING_OCTET_COUNTED : LS_FRAMING_NEWLINE, emit, arg) < 0) {
            return -1;
        }
    }
    if (len == 0) {
        return 0;
    }
    return feed_active(f, data, len, emit, arg);
}

int ls_framer_finish(struct ls_framer *f, ls_framer_emit_fn emit, void *arg)
{
    int rc = 0;

    if (f->failed) {
        f->len = 0; /* the rest of a stream after an error is not framed */
    } else {
        f->error[0] = '\0';
        if (f->active == LS_FRAMING_AUTO) {
            decide(f, LS_FRAMING_NEWLINE, emit, arg); /* ended before it looked octet-counted */
        }
        if (f->active == LS_FRAMING_OCTET_COUNTED) {
            rc = finish_octet(f, emit, arg);
        } else {
            finish_newline(f, emit, arg);
        }
    }
    if (rc == 0) {
        f->error[0] = '\0';
    }
    f->failed = 0;
    f->skipping = 0;
    f->npeek = 0;
    f->active = f->mode;
    next_frame(f);
    clear(f);
    return rc;
}
