/*
 * util.h - small helpers every core module uses: allocation that aborts with the size on
 * failure (the daemon cannot limp on without memory), a growable string buffer, and time.
 */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

void *ls_xmalloc(size_t n);
void *ls_xcalloc(size_t n, size_t size);
void *ls_xrealloc(void *p, size_t n);
char *ls_xstrdup(const char *s);
char *ls_xstrndup(const char *s, size_t n);
char *ls_xasprintf(const char *fmt, ...) LS_PRINTF(1, 2);

/* Grow *items (of `size` bytes each) so that at least `need` fit; *cap is updated. */
void ls_grow(void **items, size_t *cap, size_t need, size_t size);

/* A growable NUL-terminated byte buffer. Embedded: ls_sbuf_init / ls_sbuf_release. */
struct ls_sbuf {
    char *buf;
    size_t len, cap;
};

void ls_sbuf_init(struct ls_sbuf *sb);
void ls_sbuf_release(struct ls_sbuf *sb);
void ls_sbuf_add(struct ls_sbuf *sb, const void *data, size_t len);
void ls_sbuf_addstr(struct ls_sbuf *sb, const char *s);
void ls_sbuf_addf(struct ls_sbuf *sb, const char *fmt, ...) LS_PRINTF(2, 3);
void ls_sbuf_vaddf(struct ls_sbuf *sb, const char *fmt, va_list ap) LS_PRINTF(2, 0);
/* Append s as a JSON string, quotes included: '"' and '\\' escaped, control characters as
 * \u00XX. For the daemon's own text (log lines, /health), which is not binary. */
void ls_sbuf_add_json_string(struct ls_sbuf *sb, const char *s);
/* Take the buffer (caller frees); sb is left empty. */
char *ls_sbuf_detach(struct ls_sbuf *sb);

/* CLOCK_MONOTONIC in ns. (Wall clock: ls_now() in plugin.h.) */
int64_t ls_mono_now(void);

#endif /* LS_UTIL_H */
