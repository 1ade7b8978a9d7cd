/*
 * tcp.c - the `tcp` input: log messages over TCP (IPv4 and IPv6), newline-delimited or
 * octet-counted (RFC 6587), or either, decided per connection (`framing`, see framer.h).
 *
 * One listening socket per instance, non-blocking, on the instance's loop: adopted from
 * systemd socket activation when one passed matches `listen` (sdsock.h), else bound. Each
 * connection owns a framer that buffers at most one partial message of max_line + 1 bytes; the
 * read buffer is shared by the instance (one thread). Every complete message becomes one record
 * through ls_input_append(); nothing read is ever dropped silently: over-long lines are cut
 * and flagged, a final unterminated line is emitted when the peer closes or the input stops.
 * A peer that breaks the octet-counted framing (garbage where a length must be, a length above
 * max_line) is disconnected, counted (framing_errors) and logged, rate-limited.
 *
 * Backpressure is the core's: it suspends the instance's READ watches while a queue is full.
 * The read loop stops as soon as the instance is paused, and the idle timer never closes a
 * connection while the instance is paused (its data may be waiting unread in the kernel).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <logstream/plugin.h>

#include "framer.h"
#include "net.h"
#include "sdsock.h"

#define READ_SIZE        (64 * 1024)  /* one read(2) */
#define READ_BUDGET      (256 * 1024) /* bytes per callback, so connections take turns */
#define ACCEPT_BUDGET    64           /* accepts per callback */
#define ACCEPT_RETRY_NS  100000000LL  /* out of fds: pause accepting this long */
#define WARN_INTERVAL_NS 10000000000LL
#define STOP_DRAIN_MAX   (16 * 1024 * 1024) /* bytes read per connection at stop */
#define STOP_QUIET_NS    200000000LL        /* at stop, a connection quiet this long is done */
#define STOP_DRAIN_NS    5000000000LL       /* at stop, time spent reading, all connections */
#define PEER_SIZE        LS_NET_ADDR_SIZE

struct tcp_conf {
    char *listen;
    int framing; /* enum ls_framing */
    uint64_t max_line;
    int64_t max_connections;
    int64_t idle_timeout; /* ns, 0 = none */
    int64_t backlog;
};

static const char *const framing_words[] = LS_FRAMING_WORDS;

static const struct ls_option tcp_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct tcp_conf, listen),
     .required = 1,
     .doc = "address to listen on: host:port or [v6]:port; \"*:port\" listens on every address"},
    {.name = "framing",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct tcp_conf, framing),
     .def = "auto",
     .enum_values = framing_words,
     .doc = "newline, octet_counted (RFC 6587 \"LEN MSG\"), or auto: octet_counted for a "
            "connection that starts with \"LEN <PRI>\", else newline"},
    {.name = "max_line",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct tcp_conf, max_line),
     .def = "64KiB",
     .min = 16,
     .max = 64LL * 1024 * 1024,
     .doc = "longest line kept whole; longer lines are cut here and flagged truncated"},
    {.name = "max_connections",
     .type = LS_OPT_INT,
     .offset = offsetof(struct tcp_conf, max_connections),
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .doc = "connections open at once; further ones are accepted and closed at once"},
    {.name = "idle_timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct tcp_conf, idle_timeout),
     .def = "0",
     .min = 0,
     .max = 366LL * 24 * 3600 * 1000000000LL,
     .doc = "close a connection that sent nothing for this long; 0 = never"},
    {.name = "backlog",
     .type = LS_OPT_INT,
     .offset = offsetof(struct tcp_conf, backlog),
     .def = "511",
     .min = 1,
     .max = 65535,
     .doc = "listen(2) backlog: connections the kernel queues before they are accepted"},
    {.name = NULL},
};

struct tcp_state;

/* At most one warning per WARN_INTERVAL_NS; the ones held back are counted in the next. */
struct ratelimit {
    int64_t warned_at; /* monotonic ns of the last warning, 0 = never */
    uint64_t quiet;    /* warnings held back since */
};

struct tcp_conn {
    struct tcp_conn *prev, *next;
    struct tcp_state *st;
    int fd;
    struct ls_watch *watch;
    struct ls_timer *idle;
    int64_t last_active; /* CLOCK_MONOTONIC ns of the last data read */
    int64_t received;    /* ls_now() of the read being framed */
    size_t drained;      /* bytes read at stop, bounded by STOP_DRAIN_MAX */
    struct ls_framer framer;
    char peer[PEER_SIZE];
};

struct tcp_state {
    struct ls_instance *ins;
    const struct tcp_conf *conf;
    int listen_fd;
    struct ls_watch *listen_watch;
    struct ls_timer *accept_retry;
    struct tcp_conn *conns; /* doubly linked list of open connections */
    int64_t nconns;
    char *rbuf; /* READ_SIZE bytes, shared by the connections of this instance */
    struct ls_counter *accepted, *refused, *truncated, *framing_errors;
    struct ratelimit refused_rl, framing_rl;
    int64_t nofd_warned_at;
};

static int64_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* True when a warning may be written now; otherwise it is counted in rl->quiet. On true,
 * *held is the number held back since the last one. */
static int ratelimit_allow(struct ratelimit *rl, uint64_t *held)
{
    int64_t now = mono_now();

    if (rl->warned_at != 0 && now - rl->warned_at < WARN_INTERVAL_NS) {
        rl->quiet++;
        return 0;
    }
    *held = rl->quiet;
    rl->warned_at = now;
    rl->quiet = 0;
    return 1;
}

/* ---- connections ------------------------------------------------------------------------- */

static void on_line(void *arg, const char *line, size_t len, int truncated)
{
    struct tcp_conn *c = arg;
    struct ls_record *r = ls_input_append(c->st->ins, line, len, c->peer, c->received);

    if (truncated) {
        if (r) {
            r->flags |= LS_REC_TRUNCATED;
        }
        ls_counter_add(c->st->truncated, 1);
    }
}

/* A connection whose framing broke: count it and warn, rate-limited. */
static void framing_error(struct tcp_conn *c, const char *what)
{
    struct tcp_state *st = c->st;
    uint64_t held;

    ls_counter_add(st->framing_errors, 1);
    if (!ratelimit_allow(&st->framing_rl, &held)) {
        return;
    }
    if (held > 0) {
        ls_log(st->ins, LS_LOG_WARN,
               "%s connection from %s: framing error: %s "
               "(%llu more framing errors since the last warning)",
               what, c->peer, ls_framer_error(&c->framer), (unsigned long long)held);
    } else {
        ls_log(st->ins, LS_LOG_WARN, "%s connection from %s: framing error: %s", what, c->peer,
               ls_framer_error(&c->framer));
    }
}

/* Frame bytes just read. Returns 0, or -1 on a framing error (counted and logged): the
 * caller closes the connection. */
static int conn_feed(struct tcp_conn *c, const char *data, size_t len)
{
    if (ls_framer_feed(&c->framer, data, len, on_line, c) < 0) {
        framing_error(c, "closing");
        return -1;
    }
    return 0;
}

/* Emit the pending partial message (nothing accepted is lost), then close and free. */
static void conn_close(struct tcp_conn *c)
{
    struct tcp_state *st = c->st;

    /* c->received is still the time of the read that brought the partial message */
    if (ls_framer_finish(&c->framer, on_line, c) < 0) {
        framing_error(c, "closed"); /* it ended inside an octet-counted frame */
    }
    ls_framer_release(&c->framer);
    ls_watch_free(c->watch);
    ls_timer_free(c->idle);
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

/* Returns 0 while the connection stays open, -1 once it was closed. */
static int conn_read_once(struct tcp_conn *c, size_t *budget)
{
    struct tcp_state *st = c->st;
    ssize_t n = read(c->fd, st->rbuf, READ_SIZE);

    if (n > 0) {
        c->received = ls_now();
        if (st->conf->idle_timeout > 0) {
            c->last_active = mono_now();
        }
        if (conn_feed(c, st->rbuf, (size_t)n) < 0) {
            conn_close(c);
            return -1;
        }
        *budget = (size_t)n >= *budget ? 0 : *budget - (size_t)n;
        if ((size_t)n < READ_SIZE) {
            *budget = 0; /* drained for now: do not spend a read(2) on EAGAIN */
        }
        return 0;
    }
    if (n == 0) {
        ls_log(st->ins, LS_LOG_DEBUG, "connection from %s closed by peer", c->peer);
        conn_close(c);
        return -1;
    }
    if (errno == EINTR) {
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *budget = 0;
        return 0;
    }
    ls_log(st->ins, LS_LOG_INFO, "read from %s: %s", c->peer, strerror(errno));
    conn_close(c);
    return -1;
}

static void on_conn_read(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct tcp_conn *c = arg;
    size_t budget = READ_BUDGET;

    (void)w;
    (void)fd;
    (void)events;
    while (budget > 0) {
        if (conn_read_once(c, &budget) < 0) {
            return;
        }
        if (ls_input_paused(c->st->ins)) {
            return;
        }
    }
}

static void on_idle_timer(struct ls_timer *t, void *arg)
{
    struct tcp_conn *c = arg;
    int64_t timeout = c->st->conf->idle_timeout;
    int64_t quiet = mono_now() - c->last_active;

    /* While paused we do not read, so silence proves nothing: look again later. */
    if (ls_input_paused(c->st->ins)) {
        ls_timer_arm(t, timeout);
        return;
    }
    if (quiet < timeout) {
        ls_timer_arm(t, timeout - quiet);
        return;
    }
    ls_log(c->st->ins, LS_LOG_DEBUG, "closing connection from %s: idle for %lld ms", c->peer,
           (long long)(quiet / 1000000));
    conn_close(c);
}

static void conn_open(struct tcp_state *st, int fd, const struct sockaddr_storage *ss)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    int one = 1;

    if (!c) {
        fprintf(stderr, "logstream: tcp: out of memory allocating %zu bytes\n", sizeof *c);
        abort();
    }
    c->st = st;
    c->fd = fd;
    ls_net_format_sockaddr(ss, c->peer, sizeof c->peer);
    ls_framer_init_mode(&c->framer, (size_t)st->conf->max_line, st->conf->framing);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    c->watch = ls_watch_new(st->ins, fd, LS_WATCH_READ, on_conn_read, c);
    if (!c->watch) {
        ls_log(st->ins, LS_LOG_ERROR, "cannot watch connection from %s; closing it", c->peer);
        goto out_free;
    }
    if (st->conf->idle_timeout > 0) {
        c->idle = ls_timer_new(st->ins, on_idle_timer, c);
        if (!c->idle || ls_timer_arm(c->idle, st->conf->idle_timeout) < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "cannot time connection from %s; closing it", c->peer);
            goto out_free;
        }
        c->last_active = mono_now();
    }
    c->next = st->conns;
    if (st->conns) {
        st->conns->prev = c;
    }
    st->conns = c;
    st->nconns++;
    ls_counter_add(st->accepted, 1);
    ls_log(st->ins, LS_LOG_DEBUG, "connection from %s", c->peer);
    return;

out_free:
    ls_timer_free(c->idle);
    ls_watch_free(c->watch);
    close(fd);
    free(c);
}

/* ---- listener ---------------------------------------------------------------------------- */

static void refuse(struct tcp_state *st, int fd, const struct sockaddr_storage *ss)
{
    char peer[PEER_SIZE];
    uint64_t held;

    close(fd);
    ls_counter_add(st->refused, 1);
    if (!ratelimit_allow(&st->refused_rl, &held)) {
        return;
    }
    ls_net_format_sockaddr(ss, peer, sizeof peer);
    if (held > 0) {
        ls_log(st->ins, LS_LOG_WARN,
               "refused connection from %s: max_connections (%lld) reached "
               "(%llu more refused since the last warning)",
               peer, (long long)st->conf->max_connections, (unsigned long long)held);
    } else {
        ls_log(st->ins, LS_LOG_WARN, "refused connection from %s: max_connections (%lld) reached",
               peer, (long long)st->conf->max_connections);
    }
}

static void on_accept_retry(struct ls_timer *t, void *arg)
{
    struct tcp_state *st = arg;

    (void)t;
    if (st->listen_watch) {
        ls_watch_set(st->listen_watch, LS_WATCH_READ);
    }
}

/* Out of file descriptors: the listener would stay readable and spin, so stop watching it
 * for a moment. */
static void accept_backoff(struct tcp_state *st, int err)
{
    int64_t now = mono_now();

    if (st->nofd_warned_at == 0 || now - st->nofd_warned_at >= WARN_INTERVAL_NS) {
        ls_log(st->ins, LS_LOG_WARN, "accept: %s; pausing accepts for 100 ms", strerror(err));
        st->nofd_warned_at = now;
    }
    if (!st->accept_retry) {
        st->accept_retry = ls_timer_new(st->ins, on_accept_retry, st);
    }
    if (st->accept_retry && ls_timer_arm(st->accept_retry, ACCEPT_RETRY_NS) == 0) {
        ls_watch_set(st->listen_watch, 0);
    }
}

static void on_accept(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct tcp_state *st = arg;

    (void)w;
    (void)events;
    for (int i = 0; i < ACCEPT_BUDGET; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int cfd = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                accept_backoff(st, errno);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                ls_log(st->ins, LS_LOG_ERROR, "accept: %s", strerror(errno));
            }
            return;
        }
        if (st->nconns >= st->conf->max_connections) {
            refuse(st, cfd, &ss);
        } else {
            conn_open(st, cfd, &ss);
        }
    }
}

/* The listening socket systemd passed for host:port, made non-blocking; -1 with errno ENOENT
 * when there is none, after logging any other failure. */
static int adopt_listener(struct tcp_state *st, const char *host, const char *port)
{
    char *end;
    long num = strtol(port, &end, 10);
    int fd;

    if (*end != '\0' || num <= 0 || num > 65535) {
        errno = ENOENT; /* not a plain port number: getaddrinfo will say what is wrong */
        return -1;
    }
    fd = ls_sd_adopt_inet(SOCK_STREAM, host, (int)num);
    if (fd < 0) {
        if (errno != ENOENT) {
            ls_log(st->ins, LS_LOG_ERROR, "listen %s: cannot adopt the socket from systemd: %s",
                   st->conf->listen, strerror(errno));
        }
        return -1;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: socket from systemd: fcntl: %s", st->conf->listen,
               strerror(errno));
        close(fd);
        errno = EINVAL;
        return -1;
    }
    ls_log(st->ins, LS_LOG_INFO, "adopted socket from systemd for %s", st->conf->listen);
    return fd;
}

/* Adopt the socket systemd passed for `listen`, or bind the first usable address of it;
 * IPv6 first for the wildcard. */
static int open_listener(struct tcp_state *st)
{
    const char *addr = st->conf->listen;
    char host[256], port[16];
    int rc, fd;

    if (ls_net_split_address(addr, host, sizeof host, port, sizeof port) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: expected host:port or [v6]:port", addr);
        return -1;
    }
    fd = adopt_listener(st, host, port);
    if (fd >= 0 || errno != ENOENT) {
        return fd;
    }
    fd = ls_net_bind(host, port, SOCK_STREAM, (int)st->conf->backlog, &rc);
    if (fd < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: %s", addr,
               rc != 0 ? gai_strerror(rc) : strerror(errno));
    }
    return fd;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int tcp_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct tcp_state *st = calloc(1, sizeof *st);

    if (!st) {
        fprintf(stderr, "logstream: tcp: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    st->ins = ins;
    st->conf = conf;
    st->listen_fd = -1;
    st->accepted = ls_counter_new(ins, "connections_accepted", "TCP connections accepted");
    st->refused = ls_counter_new(ins, "refused_connections",
                                 "TCP connections closed at once: max_connections reached");
    st->truncated = ls_counter_new(ins, "truncated_lines", "lines cut at max_line");
    st->framing_errors = ls_counter_new(
        ins, "framing_errors",
        "connections closed on an octet-counting error, or that ended inside a frame");
    *state = st;
    return LS_OK;
}

static int tcp_start(struct ls_instance *ins, void *state)
{
    struct tcp_state *st = state;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char bound[PEER_SIZE];

    st->rbuf = malloc(READ_SIZE);
    if (!st->rbuf) {
        fprintf(stderr, "logstream: tcp: out of memory allocating %d bytes\n", READ_SIZE);
        abort();
    }
    st->listen_fd = open_listener(st);
    if (st->listen_fd < 0) {
        return LS_ERROR;
    }
    st->listen_watch = ls_watch_new(ins, st->listen_fd, LS_WATCH_READ, on_accept, st);
    if (!st->listen_watch) {
        ls_log(ins, LS_LOG_ERROR, "listen %s: cannot watch the socket", st->conf->listen);
        close(st->listen_fd);
        st->listen_fd = -1;
        return LS_ERROR;
    }
    if (getsockname(st->listen_fd, (struct sockaddr *)&ss, &sl) == 0) {
        ls_net_format_sockaddr(&ss, bound, sizeof bound);
    } else {
        snprintf(bound, sizeof bound, "%s", st->conf->listen);
    }
    ls_log(ins, LS_LOG_INFO, "listening on %s", bound);
    return LS_OK;
}

/* Read what one connection has buffered. Returns 1 if it is finished (EOF, error, or its
 * byte bound reached), 0 if it may have more later. */
static int conn_drain_now(struct tcp_conn *c)
{
    struct tcp_state *st = c->st;

    for (;;) {
        ssize_t n = read(c->fd, st->rbuf, READ_SIZE);
        if (n > 0) {
            c->received = ls_now();
            c->drained += (size_t)n;
            if (conn_feed(c, st->rbuf, (size_t)n) < 0 || c->drained >= STOP_DRAIN_MAX) {
                return 1;
            }
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        }
    }
}

/* At stop, read what the peers already sent - a sender that wrote and closed just before
 * the signal must lose nothing, even while part of its data is still in flight - until every
 * connection reaches EOF or all stay quiet for STOP_QUIET_NS. Bounded in bytes per
 * connection and in total time, so peers that keep sending cannot hold the shutdown. Closes
 * every connection. */
static void drain_all(struct tcp_state *st)
{
    int64_t deadline = mono_now() + STOP_DRAIN_NS;
    struct pollfd *pfds = calloc(st->nconns ? st->nconns : 1, sizeof *pfds);

    for (;;) {
        struct tcp_conn *c = st->conns, *next;
        nfds_t n = 0;
        int64_t wait;

        for (; c; c = next) {
            next = c->next;
            if (conn_drain_now(c)) {
                conn_close(c);
            } else if (pfds) {
                pfds[n].fd = c->fd;
                pfds[n].events = POLLIN;
                n++;
            }
        }
        wait = deadline - mono_now();
        if (wait > STOP_QUIET_NS) {
            wait = STOP_QUIET_NS;
        }
        if (n == 0 || wait <= 0 || poll(pfds, n, (int)(wait / 1000000)) <= 0) {
            break; /* all done, out of time, or quiet: nothing more is coming soon */
        }
    }
    free(pfds);
    while (st->conns) {
        conn_close(st->conns);
    }
}

static void tcp_stop(struct ls_instance *ins, void *state)
{
    struct tcp_state *st = state;

    (void)ins;
    ls_timer_free(st->accept_retry);
    st->accept_retry = NULL;
    ls_watch_free(st->listen_watch);
    st->listen_watch = NULL;
    if (st->listen_fd >= 0) {
        close(st->listen_fd);
        st->listen_fd = -1;
    }
    drain_all(st);
}

/* Main thread. After a normal stop nothing is open; if stop never ran, close what is left
 * without touching watches and timers (the core frees those). */
static void tcp_fini(struct ls_instance *ins, void *state)
{
    struct tcp_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    if (st->listen_fd >= 0) {
        close(st->listen_fd);
    }
    while (st->conns) {
        struct tcp_conn *c = st->conns;
        st->conns = c->next;
        ls_framer_release(&c->framer);
        close(c->fd);
        free(c);
    }
    free(st->rbuf);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "tcp",
                 .summary = "Receive newline-delimited or octet-counted log messages over TCP",
                 .options = tcp_options, .config_size = sizeof(struct tcp_conf), .init = tcp_init,
                 .start = tcp_start, .stop = tcp_stop, .fini = tcp_fini);
