/*
 * udp.c - the `udp` input: one record per UDP datagram, IPv4 and IPv6.
 *
 * Reads with recvmmsg(2) in batches of up to 64 datagrams into nslots buffers of max_message
 * bytes (pages are touched only as long datagrams arrive). A longer datagram is cut at
 * max_message (MSG_TRUNC), flagged truncated and counted. One trailing NUL (Python's
 * SysLogHandler sends one) and then one trailing "\n" are stripped; none is required. Empty
 * datagrams make no record. Records carry the sender as peer ("192.0.2.1:514", "[::1]:514").
 *
 * Loss. The plugin is flagged LS_PLUGIN_DATAGRAM: the core never pauses it, and drops (and
 * counts) its batches when a queue is full. What the kernel drops because the socket's receive
 * buffer was full is counted from SO_RXQ_OVFL: each datagram carries the socket's cumulative
 * drop count (32 bits, wrapping) at the time it was queued, so the counter adds the growth
 * seen since the previous datagram. Drops are therefore counted when the next datagram after
 * them is read.
 *
 * When the daemon was started by systemd with a UDP socket bound to the configured address,
 * that socket is adopted (plugins/common/sdsock.h) instead of binding a new one.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <logstream/plugin.h>

#include "net.h"
#include "sdsock.h"

#define CMSG_BYTES  64
#define READ_BUDGET 4096  /* datagrams per wake-up, so timers and batches get a turn */
#define DRAIN_MAX   65536 /* datagrams read at stop */

struct udp_conf {
    char *listen;
    uint64_t rcvbuf;
    uint64_t max_message;
};

static const struct ls_option udp_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct udp_conf, listen),
     .required = 1,
     .doc = "address to listen on: host:port or [v6]:port; \"*:port\" listens on every address"},
    {.name = "rcvbuf",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct udp_conf, rcvbuf),
     .def = "8MiB",
     .min = 0,
     .max = 1024LL * 1024 * 1024,
     .doc = "SO_RCVBUF of the socket (forced past net.core.rmem_max when allowed); 0 = the "
            "kernel's default"},
    {.name = "max_message",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct udp_conf, max_message),
     .def = "64KiB",
     .min = 16,
     .max = 64LL * 1024,
     .doc = "longest datagram kept whole; longer ones are cut here and flagged truncated"},
    {.name = NULL},
};

struct udp_state {
    struct ls_instance *ins;
    const struct udp_conf *conf;
    int fd;
    struct ls_watch *watch;
    struct ls_dgram_batch batch;       /* max_message bytes a slot, senders' addresses */
    uint32_t drops_seen;               /* the kernel's cumulative drop count, as last reported */
    struct sockaddr_storage last_addr; /* the sender `last_peer` was formatted from */
    socklen_t last_addr_len;
    char last_peer[LS_NET_ADDR_SIZE];
    struct ls_counter *kernel_drops, *truncated;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fprintf(stderr, "logstream: udp: out of memory allocating %zu bytes\n", n * size);
        abort();
    }
    return p;
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Receive up to one batch of datagrams; returns how many, 0 when none is queued, -1 on
 * error. */
static int receive(struct udp_state *st)
{
    int n = ls_dgram_batch_recv(&st->batch, st->fd);

    if (n < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "recvmmsg on %s: %s", st->conf->listen, strerror(errno));
    }
    return n;
}

/* SO_RXQ_OVFL: add the growth of the kernel's cumulative drop count. */
static void account_drops(struct udp_state *st, struct msghdr *h)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
            c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            uint32_t v, delta;
            memcpy(&v, CMSG_DATA(c), sizeof v);
            delta = v - st->drops_seen; /* modulo 2^32: the kernel's count wraps */
            if (delta != 0 && delta < 0x80000000u) {
                ls_counter_add(st->kernel_drops, delta);
                st->drops_seen = v;
            }
        }
    }
}

static const char *peer_of(struct udp_state *st, size_t i)
{
    const struct sockaddr_storage *name = &st->batch.names[i];
    const struct msghdr *h = &st->batch.msgs[i].msg_hdr;

    if (h->msg_namelen != st->last_addr_len || memcmp(name, &st->last_addr, h->msg_namelen) != 0) {
        memcpy(&st->last_addr, name, h->msg_namelen);
        st->last_addr_len = h->msg_namelen;
        ls_net_format_sockaddr(name, st->last_peer, sizeof st->last_peer);
    }
    return st->last_peer;
}

static void emit_slot(struct udp_state *st, size_t i, int64_t received)
{
    struct msghdr *h = &st->batch.msgs[i].msg_hdr;
    const char *data = ls_dgram_batch_data(&st->batch, i);
    size_t len = st->batch.msgs[i].msg_len;
    int truncated = (h->msg_flags & MSG_TRUNC) != 0 || len > st->conf->max_message;
    struct ls_record *r;

    account_drops(st, h);
    if (truncated) {
        len = (size_t)st->conf->max_message;
    } else {
        if (len > 0 && data[len - 1] == '\0') {
            len--;
        }
        if (len > 0 && data[len - 1] == '\n') {
            len--;
        }
    }
    if (len == 0) {
        return;
    }
    r = ls_input_append(st->ins, data, len, peer_of(st, i), received);
    if (truncated) {
        if (r) {
            r->flags |= LS_REC_TRUNCATED;
        }
        ls_counter_add(st->truncated, 1);
    }
}

/* Read and emit up to `budget` datagrams. */
static size_t read_some(struct udp_state *st, size_t budget)
{
    size_t done = 0;

    while (done < budget) {
        int n = receive(st);
        int64_t received;

        if (n <= 0) {
            break;
        }
        received = ls_now();
        for (int i = 0; i < n; i++) {
            emit_slot(st, (size_t)i, received);
        }
        done += (size_t)n;
        if ((size_t)n < st->batch.nslots) {
            break; /* the queue is empty for now: no recvmmsg just to hear EAGAIN */
        }
    }
    return done;
}

static void on_readable(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    (void)w;
    (void)fd;
    (void)events;
    read_some(arg, READ_BUDGET);
}

/* ---- the socket -------------------------------------------------------------------------- */

/* Bind the first usable address; IPv6 first for the wildcard. */
static int bind_address(struct udp_state *st, const char *host, const char *port)
{
    int rc, fd = ls_net_bind(host, port, SOCK_DGRAM, 0, &rc);

    if (fd < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: %s", st->conf->listen,
               rc != 0 ? gai_strerror(rc) : strerror(errno));
    }
    return fd;
}

/* The socket systemd passed for this address, or one of our own. */
static int open_socket(struct udp_state *st)
{
    char host[256], port[16];
    int fd;

    if (ls_net_split_address(st->conf->listen, host, sizeof host, port, sizeof port) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: expected host:port or [v6]:port",
               st->conf->listen);
        return -1;
    }
    fd = ls_sd_adopt_inet(SOCK_DGRAM, host, atoi(port));
    if (fd < 0 && errno != ENOENT) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: cannot take the socket systemd passed: %s",
               st->conf->listen, strerror(errno));
        return -1;
    }
    if (fd < 0) {
        return bind_address(st, host, port);
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: %s", st->conf->listen, strerror(errno));
        close(fd);
        return -1;
    }
    ls_log(st->ins, LS_LOG_INFO, "adopted socket from systemd for %s", st->conf->listen);
    return fd;
}

/* Receive buffer (SO_RCVBUFFORCE passes net.core.rmem_max when the daemon may) and drop
 * reporting. */
static int setup_socket(struct udp_state *st)
{
    uint64_t want = st->conf->rcvbuf;
    int v = (int)want, got = 0, one = 1;
    socklen_t len = sizeof got;

    if (setsockopt(st->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "listen %s: SO_RXQ_OVFL: %s", st->conf->listen,
               strerror(errno));
        return -1;
    }
    if (want == 0) {
        return 0;
    }
    if (setsockopt(st->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0) {
        ls_log(st->ins, LS_LOG_WARN, "listen %s: SO_RCVBUF %d: %s", st->conf->listen, v,
               strerror(errno));
        return 0;
    }
    /* the kernel reports twice what it granted (bookkeeping overhead) */
    if (getsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && (uint64_t)got / 2 < want) {
        ls_log(st->ins, LS_LOG_INFO,
               "listen %s: receive buffer is %d bytes, not %llu (net.core.rmem_max)",
               st->conf->listen, got / 2, (unsigned long long)want);
    }
    return 0;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static int udp_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct udp_state *st = xcalloc(1, sizeof *st);

    st->ins = ins;
    st->conf = conf;
    st->fd = -1;
    st->kernel_drops = ls_counter_new(
        ins, "kernel_drops", "datagrams the kernel dropped: the socket's receive buffer was full");
    st->truncated = ls_counter_new(ins, "truncated_messages",
                                   "datagrams cut at max_message and flagged truncated");
    *state = st;
    return LS_OK;
}

static int udp_start(struct ls_instance *ins, void *state)
{
    struct udp_state *st = state;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char bound[LS_NET_ADDR_SIZE];

    ls_dgram_batch_init(&st->batch, (size_t)st->conf->max_message, CMSG_BYTES, 1);
    st->fd = open_socket(st);
    if (st->fd < 0 || setup_socket(st) < 0) {
        return LS_ERROR; /* fini closes the socket */
    }
    st->watch = ls_watch_new(ins, st->fd, LS_WATCH_READ, on_readable, st);
    if (!st->watch) {
        ls_log(ins, LS_LOG_ERROR, "listen %s: cannot watch the socket", st->conf->listen);
        return LS_ERROR;
    }
    if (getsockname(st->fd, (struct sockaddr *)&ss, &sl) == 0) {
        ls_net_format_sockaddr(&ss, bound, sizeof bound);
    } else {
        snprintf(bound, sizeof bound, "%s", st->conf->listen);
    }
    ls_log(ins, LS_LOG_INFO, "listening on udp %s", bound);
    return LS_OK;
}

/* Read what is queued (bounded) so datagrams that arrived before the stop are kept. */
static void udp_stop(struct ls_instance *ins, void *state)
{
    struct udp_state *st = state;

    (void)ins;
    ls_watch_free(st->watch);
    st->watch = NULL;
    if (st->fd >= 0) {
        if (read_some(st, DRAIN_MAX) >= DRAIN_MAX) {
            ls_log(ins, LS_LOG_WARN, "stopping with datagrams still queued on %s",
                   st->conf->listen);
        }
        close(st->fd);
        st->fd = -1;
    }
}

static void udp_fini(struct ls_instance *ins, void *state)
{
    struct udp_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    if (st->fd >= 0) {
        close(st->fd);
    }
    ls_dgram_batch_release(&st->batch);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "udp",
                 .summary = "Receive log messages over UDP, one record per datagram",
                 .options = udp_options, .config_size = sizeof(struct udp_conf),
                 .flags = LS_PLUGIN_DATAGRAM, .init = udp_init, .start = udp_start,
                 .stop = udp_stop, .fini = udp_fini);
