/* jcursor.c - cursor file and delivery tokens of the journald input; see jcursor.h. */
#define _GNU_SOURCE

#include "jcursor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        fprintf(stderr, "logstream: journald: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(xmalloc(n), s, n);
}

int jd_cursor_valid(const char *s, size_t len)
{
    if (len == 0 || len > JD_CURSOR_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] <= ' ' || s[i] > '~') {
            return 0;
        }
    }
    return 1;
}

/* ---- load --------------------------------------------------------------------------------- */

/* Read at most size bytes of fd into buf; returns the count or -errno. */
static ssize_t read_some(int fd, char *buf, size_t size)
{
    size_t got = 0;

    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int jd_cursor_load(const char *path, char **out, char *why, size_t whysize)
{
    char buf[JD_CURSOR_MAX + 3]; /* cursor, "\n", and one byte to see it is too long */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    ssize_t n;
    size_t len;

    *out = NULL;
    if (fd < 0) {
        return errno == ENOENT ? JD_CURSOR_MISSING : -errno;
    }
    n = read_some(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) {
        return (int)n;
    }
    len = (size_t)n;
    if (len > 0 && buf[len - 1] == '\n') {
        len--;
    }
    if (len > JD_CURSOR_MAX) {
        snprintf(why, whysize, "it is longer than %d bytes", JD_CURSOR_MAX);
        return JD_CURSOR_INVALID;
    }
    if (len == 0) {
        snprintf(why, whysize, "it is empty");
        return JD_CURSOR_INVALID;
    }
    if (!jd_cursor_valid(buf, len)) {
        snprintf(why, whysize, "it does not hold a journal cursor");
        return JD_CURSOR_INVALID;
    }
    *out = xmalloc(len + 1);
    memcpy(*out, buf, len);
    (*out)[len] = '\0';
    return 0;
}

/* ---- save --------------------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
    int fd, rc = 0;

    fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return -errno;
    }
    if (fsync(fd) < 0 && errno != EINVAL) {
        rc = -errno;
    }
    close(fd);
    return rc;
}

int jd_cursor_save(const char *path, const char *cursor, const char **stage)
{
    size_t plen = strlen(path), clen = strlen(cursor);
    char *tmp = xmalloc(plen + 5), *line = xmalloc(clen + 1);
    int fd, rc;

    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    memcpy(line, cursor, clen);
    line[clen] = '\n';
    *stage = "open";
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        rc = -errno;
        goto out_free;
    }
    *stage = "write";
    rc = write_all(fd, line, clen + 1);
    if (rc == 0) {
        *stage = "fsync";
        rc = fsync(fd) < 0 ? -errno : 0;
    }
    if (close(fd) < 0 && rc == 0) {
        *stage = "close";
        rc = -errno;
    }
    if (rc < 0) {
        goto out_unlink;
    }
    *stage = "rename";
    if (rename(tmp, path) < 0) {
        rc = -errno;
        goto out_unlink;
    }
    *stage = "fsync directory";
    rc = fsync_parent(path);
    goto out_free;

out_unlink:
    unlink(tmp);
out_free:
    free(line);
    free(tmp);
    return rc;
}

char *jd_cursor_default_path(const char *state_dir, const char *instance)
{
    size_t dlen = strlen(state_dir), ilen = strlen(instance);
    char *p = xmalloc(dlen + ilen + sizeof "/journald-.cursor");
    char *w = p;

    memcpy(w, state_dir, dlen);
    w += dlen;
    if (dlen == 0 || state_dir[dlen - 1] != '/') {
        *w++ = '/';
    }
    memcpy(w, "journald-", 9);
    w += 9;
    for (size_t i = 0; i < ilen; i++) {
        char c = instance[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        *w++ = ok ? c : '_';
    }
    memcpy(w, ".cursor", sizeof ".cursor");
    return p;
}

int jd_mkdir_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int rc = 0;

    if (!slash || slash == path) {
        return 0; /* the current directory, or / */
    }
    dir = strndup(path, (size_t)(slash - path));
    if (!dir) {
        fprintf(stderr, "logstream: journald: out of memory copying a path\n");
        abort();
    }
    for (char *p = dir + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }
        char save = *p;
        *p = '\0';
        if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
            rc = -errno;
        }
        *p = save;
        if (save == '\0') {
            break;
        }
    }
    if (rc == 0) {
        struct stat sb;
        if (stat(dir, &sb) < 0) {
            rc = -errno;
        } else if (!S_ISDIR(sb.st_mode)) {
            rc = -ENOTDIR;
        }
    }
    free(dir);
    return rc;
}

/* ---- tokens ------------------------------------------------------------------------------- */

static void fifo_push(struct jd_tokens *t, struct jd_pending p)
{
    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 8;
        struct jd_pending *n = xmalloc(ncap * sizeof *n);

        for (size_t i = 0; i < t->count; i++) {
            n[i] = t->fifo[(t->head + i) % t->cap];
        }
        free(t->fifo);
        t->fifo = n;
        t->cap = ncap;
        t->head = 0;
    }
    t->fifo[(t->head + t->count) % t->cap] = p;
    t->count++;
}

static struct jd_pending *fifo_front(struct jd_tokens *t)
{
    return t->count ? &t->fifo[t->head] : NULL;
}

static void fifo_pop(struct jd_tokens *t)
{
    t->head = (t->head + 1) % t->cap;
    t->count--;
}

uint64_t jd_tokens_add(struct jd_tokens *t, char *cursor, int new_batch)
{
    if (t->cur.token != 0) {
        if (new_batch && t->cur.token > t->acked) {
            fifo_push(t, t->cur); /* the closed batch's token: keep until acknowledged */
        } else {
            free(t->cur.cursor); /* superseded within the batch, or already acknowledged */
        }
    }
    t->cur.token = ++t->last;
    t->cur.cursor = cursor;
    return t->cur.token;
}

char *jd_tokens_ack(struct jd_tokens *t, uint64_t token)
{
    struct jd_pending *p;
    char *out = NULL;

    if (token <= t->acked || token > t->last) {
        return NULL;
    }
    t->acked = token;
    while ((p = fifo_front(t)) && p->token <= token) {
        if (p->token == token) {
            out = p->cursor;
        } else {
            free(p->cursor);
        }
        fifo_pop(t);
    }
    if (!out && t->cur.token == token && t->cur.cursor) {
        out = xstrdup(t->cur.cursor); /* the open batch's candidate was its last entry */
    }
    return out;
}

size_t jd_tokens_inflight(const struct jd_tokens *t)
{
    return t->count;
}

void jd_tokens_release(struct jd_tokens *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->fifo[(t->head + i) % t->cap].cursor);
    }
    free(t->fifo);
    free(t->cur.cursor);
    memset(t, 0, sizeof *t);
}
