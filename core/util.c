#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(size_t n)
{
    fprintf(stderr, "logstream: out of memory allocating %zu bytes\n", n);
    abort();
}

void *ls_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        oom(n);
    }
    return p;
}

void *ls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        oom(n * size);
    }
    return p;
}

void *ls_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        oom(n);
    }
    return q;
}

char *ls_xstrdup(const char *s)
{
    return ls_xstrndup(s, strlen(s));
}

char *ls_xstrndup(const char *s, size_t n)
{
    char *p = ls_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ls_xasprintf(const char *fmt, ...)
{
    struct ls_sbuf sb;
    va_list ap;

    ls_sbuf_init(&sb);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    return ls_sbuf_detach(&sb);
}

void ls_grow(void **items, size_t *cap, size_t need, size_t size)
{
    size_t ncap;

    if (need <= *cap) {
        return;
    }
    ncap = *cap ? *cap * 2 : 8;
    while (ncap < need) {
        ncap *= 2;
    }
    *items = ls_xrealloc(*items, ncap * size);
    *cap = ncap;
}

void ls_sbuf_init(struct ls_sbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void ls_sbuf_release(struct ls_sbuf *sb)
{
    free(sb->buf);
    ls_sbuf_init(sb);
}

static void sbuf_reserve(struct ls_sbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;

    if (need > sb->cap) {
        size_t ncap = sb->cap ? sb->cap * 2 : 64;
        while (ncap < need) {
            ncap *= 2;
        }
        sb->buf = ls_xrealloc(sb->buf, ncap);
        sb->cap = ncap;
    }
}

void ls_sbuf_add(struct ls_sbuf *sb, const void *data, size_t len)
{
    sbuf_reserve(sb, len);
    if (len) {
        memcpy(sb->buf + sb->len, data, len);
    }
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void ls_sbuf_addstr(struct ls_sbuf *sb, const char *s)
{
    ls_sbuf_add(sb, s, strlen(s));
}

void ls_sbuf_vaddf(struct ls_sbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        return;
    }
    sbuf_reserve(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void ls_sbuf_addf(struct ls_sbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ls_sbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void ls_sbuf_add_json_string(struct ls_sbuf *sb, const char *s)
{
    ls_sbuf_addstr(sb, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            ls_sbuf_addf(sb, "\\%c", *p);
        } else if (*p < 0x20) {
            ls_sbuf_addf(sb, "\\u%04x", *p);
        } else {
            ls_sbuf_add(sb, p, 1);
        }
    }
    ls_sbuf_addstr(sb, "\"");
}

char *ls_sbuf_detach(struct ls_sbuf *sb)
{
    char *p;

    if (!sb->buf) {
        return ls_xstrdup("");
    }
    p = sb->buf;
    ls_sbuf_init(sb);
    return p;
}

int64_t ls_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
