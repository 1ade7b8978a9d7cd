/*
 * errors.c - the error list every configuration module writes into (struct ls_errors, one line
 * per error, control characters escaped), the "did you mean" suggestion, and the clipping of
 * user text quoted in a message.
 */
#include "conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confutil_internal.h"
#include "util.h"

/* ---- Error list ---------------------------------------------------------------------------- */

void ls_errors_init(struct ls_errors *e)
{
    e->lines = NULL;
    e->count = 0;
    e->cap = 0;
}

void ls_errors_release(struct ls_errors *e)
{
    for (size_t i = 0; i < e->count; i++) {
        free(e->lines[i]);
    }
    free(e->lines);
    ls_errors_init(e);
}

/* One error is one line: control characters that came from user input are escaped. */
static void add_line(struct ls_errors *e, const struct ls_sbuf *text)
{
    struct ls_sbuf out;

    ls_sbuf_init(&out);
    for (size_t i = 0; i < text->len; i++) {
        unsigned char c = (unsigned char)text->buf[i];

        if (c == '\n') {
            ls_sbuf_addstr(&out, "\\n");
        } else if (c == '\t') {
            ls_sbuf_addstr(&out, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            ls_sbuf_addf(&out, "\\x%02x", c);
        } else {
            ls_sbuf_add(&out, &text->buf[i], 1);
        }
    }
    ls_grow((void **)&e->lines, &e->cap, e->count + 1, sizeof *e->lines);
    e->lines[e->count++] = ls_sbuf_detach(&out);
}

void ls_errors_vadd(struct ls_errors *e, const struct ls_node *at, const char *path,
                    const char *fmt, va_list ap)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    if (at && at->file) {
        ls_sbuf_addf(&sb, "%s:%d:%d: ", at->file, at->line, at->col);
    }
    if (path && *path) {
        ls_sbuf_addf(&sb, "%s: ", path);
    }
    ls_sbuf_vaddf(&sb, fmt, ap);
    add_line(e, &sb);
    ls_sbuf_release(&sb);
}

void ls_errors_add(struct ls_errors *e, const struct ls_node *at, const char *path, const char *fmt,
                   ...)
{
    va_list ap;

    va_start(ap, fmt);
    ls_errors_vadd(e, at, path, fmt, ap);
    va_end(ap);
}

void ls_errors_add_raw(struct ls_errors *e, const char *fmt, ...)
{
    struct ls_sbuf sb;
    va_list ap;

    ls_sbuf_init(&sb);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    add_line(e, &sb);
    ls_sbuf_release(&sb);
}

void ls_errors_print(const struct ls_errors *e, FILE *f)
{
    for (size_t i = 0; i < e->count; i++) {
        fprintf(f, "%s\n", e->lines[i]);
    }
}

/* ---- Quoting user text --------------------------------------------------------------------- */

const char *ls_clip(char *buf, size_t buflen, const char *s, size_t len)
{
    if (len > LS_CLIP_MAX) {
        snprintf(buf, buflen, "%.*s...", LS_CLIP_MAX, s);
    } else {
        snprintf(buf, buflen, "%.*s", (int)len, s);
    }
    return buf;
}

/* ---- Did you mean -------------------------------------------------------------------------- */

/* Edit distance counting insertions, deletions, substitutions and transpositions of adjacent
 * characters ("tpc" -> "tcp" is 1), or `cap` as soon as it must be at least cap. */
static size_t edit_distance(const char *a, size_t al, const char *b, size_t bl, size_t cap)
{
    size_t *rows = ls_xmalloc(3 * (bl + 1) * sizeof *rows), d;
    size_t *prev2 = rows, *prev = rows + bl + 1, *cur = rows + 2 * (bl + 1);

    for (size_t j = 0; j <= bl; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= al; i++) {
        size_t best;

        cur[0] = i;
        best = i;
        for (size_t j = 1; j <= bl; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);

            v = prev[j] + 1 < v ? prev[j] + 1 : v;
            v = cur[j - 1] + 1 < v ? cur[j - 1] + 1 : v;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v) {
                v = prev2[j - 2] + 1;
            }
            cur[j] = v;
            best = v < best ? v : best;
        }
        if (best >= cap) {
            free(rows);
            return cap;
        }
        {
            size_t *t = prev2;

            prev2 = prev;
            prev = cur;
            cur = t;
        }
    }
    d = prev[bl];
    free(rows);
    return d;
}

const char *ls_suggest(const char *word, const char *const *candidates)
{
    size_t wl = strlen(word), maxd = wl / 3 > 1 ? wl / 3 : 1, bestd = maxd + 1;
    const char *best = NULL;

    if (!candidates) {
        return NULL;
    }
    for (const char *const *c = candidates; *c; c++) {
        size_t cl = strlen(*c), d;

        if ((wl > cl ? wl - cl : cl - wl) > maxd) {
            continue;
        }
        d = edit_distance(word, wl, *c, cl, bestd);
        if (d < bestd) {
            bestd = d;
            best = *c;
        }
    }
    return best;
}
