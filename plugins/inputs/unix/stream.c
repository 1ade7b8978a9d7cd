/*
 * stream.c - the `unix` input in stream mode: a listening unix stream socket; every
 * connection is framed by plugins/common/framer.h (newline, RFC 6587 octet counting, or auto)
 * and its records carry the peer's pid/uid/gid as the kernel saw them at connect (SO_PEERCRED).
 *
 * NUL ends a message like "\n" does while the connection is newline-framed: glibc's syslog(3)
 * ends each message with one NUL when /dev/log is a stream socket, and keeps the connection.
 * In octet-counted frames NUL is data.
 *
 * Backpressure is the core's: it suspends the instance's READ watches while a queue is full;
 * the read loop stops as soon as the instance is paused.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "unix.h"
#include "unix_msg.h"

#define READ_SIZE        (64 * 1024)
#define READ_BUDGET      (256 * 1024)       /* bytes per callback, so connections take turns */
#define ACCEPT_BUDGET    64                 /* accepts per callback */
#define STOP_DRAIN_MAX   (16 * 1024 * 1024) /* bytes read per connection at stop */
#define WARN_INTERVAL_NS 10000000000LL
#define BACKLOG          511

struct unix_conn {
    struct unix_conn *prev, *next;
    struct unix_state *st;
    int fd;
    struct ls_watch *watch;
    struct ls_framer framer;
    struct unix_cred cred;
    int64_t received; /* ls_now() of the read being framed */
};

static int64_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_message(void *arg, const char *msg, size_t len, int truncated)
{
    struct unix_conn *c = arg;

    if (!truncated) {
        len = ls_unix_trim(msg, len);
    }
    if (len > 0) {
        unix_emit(c->st, msg, len, truncated, &c->cred, c->received);
    }
}

/* Feed one read's bytes (modified in place: NUL -> "\n" in newline framing). While an auto
 * framer is still deciding, bytes go one at a time, so the conversion starts exactly where
 * newline framing does. Returns 0, or -1 on a framing error. */
static int conn_feed(struct unix_conn *c, char *data, size_t len)
{
    size_t i = 0;

    while (i < len && ls_framer_active(&c->framer) == LS_FRAMING_AUTO) {
        char b = data[i] == '\0' ? '\n' : data[i];
        if (ls_framer_feed(&c->framer, &b, 1, on_message, c) < 0) {
            return -1;
        }
        i++;
    }
    if (i == len) {
        return 0;
    }
    if (ls_framer_active(&c->framer) == LS_FRAMING_NEWLINE) {
        for (char *p = memchr(data + i, '\0', len - i); p; p = memchr(p, '\0', data + len - p)) {
            *p = '\n';
        }
    }
    return ls_framer_feed(&c->framer, data + i, len - i, on_message, c);
}

static void conn_framing_error(struct unix_conn *c)
{
    ls_counter_add(c->st->framing_errors, 1);
    ls_log(c->st->ins, LS_LOG_WARN, "closing connection from pid %lld on %s: %s",
           (long long)c->cred.pid, c->st->conf->path, ls_framer_error(&c->framer));
}

/* Emit the pending partial message (nothing accepted is lost), then close and free. */
static void conn_close(struct unix_conn *c)
{
    struct unix_state *st = c->st;

    if (ls_framer_finish(&c->framer, on_message, c) < 0) {
        conn_framing_error(c);
    }
    ls_framer_release(&c->framer);
    ls_watch_free(c->watch);
    close(c->fd);
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        st->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    st->nconns--;
    free(c);
}

/* One read(2). Returns the bytes read (> 0), 0 when nothing is available now, or -1 once the
 * connection was closed (EOF, error, framing error). */
static ssize_t conn_read_once(struct unix_conn *c)
{
    struct unix_state *st = c->st;
    ssize_t n = read(c->fd, st->rbuf, READ_SIZE);

    if (n > 0) {
        c->received = ls_now();
        if (conn_feed(c, st->rbuf, (size_t)n) < 0) {
            conn_framing_error(c);
            conn_close(c); /* after a framing error, finish emits nothing more */
            return -1;
        }
        return n;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    if (n < 0) {
        ls_log(st->ins, LS_LOG_INFO, "read on %s: %s", st->conf->path, strerror(errno));
    }
    conn_close(c);
    return -1;
}

static void on_conn_read(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct unix_conn *c = arg;
    size_t budget = READ_BUDGET;

    (void)w;
    (void)fd;
    (void)events;
    while (budget > 0) {
        ssize_t n = conn_read_once(c);
        if (n <= 0) {
            return;
        }
        budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
        if ((size_t)n < READ_SIZE || ls_input_paused(c->st->ins)) {
            return;
        }
    }
}

static void peer_credentials(int fd, struct unix_cred *cred)
{
    struct ucred u;
    socklen_t len = sizeof u;

    cred->pid = cred->uid = cred->gid = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len) == 0 && len == sizeof u) {
        cred->pid = u.pid > 0 ? u.pid : -1;
        cred->uid = u.uid;
        cred->gid = u.gid;
    }
}

static void conn_open(struct unix_state *st, int fd)
{
    struct unix_conn *c = calloc(1, sizeof *c);

    if (!c) {
        fprintf(stderr, "logstream: unix: out of memory allocating %zu bytes\n", sizeof *c);
        abort();
    }
    c->st = st;
    c->fd = fd;
    peer_credentials(fd, &c->cred);
    ls_framer_init_mode(&c->framer, (size_t)st->conf->max_message, st->conf->framing);
    c->watch = ls_watch_new(st->ins, fd, LS_WATCH_READ, on_conn_read, c);
    if (!c->watch) {
        ls_log(st->ins, LS_LOG_ERROR, "cannot watch a connection on %s; closing it",
               st->conf->path);
        close(fd);
        free(c);
        return;
    }
    c->next = st->conns;
    if (st->conns) {
        st->conns->prev = c;
    }
    st->conns = c;
    st->nconns++;
    ls_counter_add(st->accepted, 1);
}

static void refuse(struct unix_state *st, int fd)
{
    int64_t now = mono_now();

    close(fd);
    ls_counter_add(st->refused, 1);
    if (st->refused_warned_at != 0 && now - st->refused_warned_at < WARN_INTERVAL_NS) {
        st->refused_quiet++;
        return;
    }
    if (st->refused_quiet > 0) {
        ls_log(st->ins, LS_LOG_WARN,
               "refused connection on %s: max_connections (%lld) reached (%llu more refused "
               "since the last warning)",
               st->conf->path, (long long)st->conf->max_connections,
               (unsigned long long)st->refused_quiet);
    } else {
        ls_log(st->ins, LS_LOG_WARN, "refused connection on %s: max_connections (%lld) reached",
               st->conf->path, (long long)st->conf->max_connections);
    }
    st->refused_warned_at = now;
    st->refused_quiet = 0;
}

static void on_accept(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct unix_state *st = arg;

    (void)w;
    (void)events;
    for (int i = 0; i < ACCEPT_BUDGET; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ls_log(st->ins, LS_LOG_WARN, "accept on %s: %s", st->conf->path, strerror(errno));
            }
            return;
        }
        if (st->nconns >= st->conf->max_connections) {
            refuse(st, cfd);
        } else {
            conn_open(st, cfd);
        }
    }
}

int unix_stream_start(struct unix_state *st)
{
    st->rbuf = malloc(READ_SIZE);
    if (!st->rbuf) {
        fprintf(stderr, "logstream: unix: out of memory allocating %d bytes\n", READ_SIZE);
        abort();
    }
    if (!st->adopted && listen(st->fd, BACKLOG) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: %s", st->conf->path, strerror(errno));
        return LS_ERROR;
    }
    st->watch = ls_watch_new(st->ins, st->fd, LS_WATCH_READ, on_accept, st);
    if (!st->watch) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: cannot watch the socket", st->conf->path);
        return LS_ERROR;
    }
    return LS_OK;
}

void unix_stream_stop(struct unix_state *st)
{
    /* Local peers have no data in flight: what they sent before the stop is in the socket
     * buffer now. From here on their writes fail (EPIPE) rather than vanish unread; read what
     * is buffered (bounded), then close. */
    while (st->conns) {
        struct unix_conn *c = st->conns;
        size_t drained = 0;
        ssize_t n;

        shutdown(c->fd, SHUT_RD);
        while ((n = conn_read_once(c)) > 0) {
            drained += (size_t)n;
            if (drained >= STOP_DRAIN_MAX) {
                break;
            }
        }
        if (n >= 0) {
            conn_close(c);
        }
    }
}

void unix_stream_release(struct unix_state *st)
{
    while (st->conns) {
        struct unix_conn *c = st->conns;
        st->conns = c->next;
        ls_framer_release(&c->framer);
        close(c->fd);
        free(c);
    }
    free(st->rbuf);
    st->rbuf = NULL;
}
