/*
 * dgram.c - the `unix` input in datagram mode, like /dev/log: one message per datagram, read
 * in batches with recvmmsg(2), each with the sender's pid/uid/gid from SCM_CREDENTIALS.
 *
 * Buffers: nslots datagrams of max_message bytes each (64 slots up to 64 KiB, fewer above, so
 * at most 4 MiB; pages are touched only as long datagrams arrive). A longer datagram is cut
 * at max_message (MSG_TRUNC), flagged truncated and counted.
 *
 * A full queue. With on_queue_full: drop (the default) the instance is marked datagram
 * (ls_input_set_datagram): the core never pauses it and drops, and counts, the batches that find
 * a queue full (reason "queue_full"), so senders never wait. With on_queue_full: block the core
 * suspends this input's READ watch as for a stream: nothing more is read, the kernel queue fills
 * and senders wait in send(2), as under rsyslog.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "unix.h"
#include "unix_msg.h"

#define READ_BUDGET 4096  /* datagrams per wake-up, so timers and batches get a turn */
#define DRAIN_MAX   65536 /* datagrams read at stop */

/* Receive up to one batch of datagrams; returns how many, 0 when none is queued, -1 on
 * error. */
static int receive(struct unix_state *st)
{
    int n = ls_dgram_batch_recv(&st->batch, st->fd);

    if (n < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "recvmmsg on %s: %s", st->conf->path, strerror(errno));
    }
    return n;
}

static void credentials(struct msghdr *h, struct unix_cred *cred)
{
    cred->pid = cred->uid = cred->gid = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred u;
            memcpy(&u, CMSG_DATA(c), sizeof u);
            /* pid 0: the sender is not visible from this pid namespace */
            cred->pid = u.pid > 0 ? u.pid : -1;
            cred->uid = u.uid;
            cred->gid = u.gid;
        }
    }
}

static void emit_slot(struct unix_state *st, size_t i, int64_t received)
{
    struct msghdr *h = &st->batch.msgs[i].msg_hdr;
    const char *data = ls_dgram_batch_data(&st->batch, i);
    size_t len = st->batch.msgs[i].msg_len;
    int truncated = (h->msg_flags & MSG_TRUNC) != 0;
    struct unix_cred cred;

    if (truncated || len > st->conf->max_message) {
        truncated = 1;
        len = (size_t)st->conf->max_message;
    } else {
        len = ls_unix_trim(data, len);
    }
    if (len == 0) {
        return;
    }
    credentials(h, &cred);
    unix_emit(st, data, len, truncated, &cred, received);
}

/* Receive and emit one batch; returns its size, 0 when none is queued, -1 on error. */
static int read_batch(struct unix_state *st)
{
    int n = receive(st);
    int64_t received;

    if (n <= 0) {
        return n;
    }
    received = ls_now();
    for (int i = 0; i < n; i++) {
        emit_slot(st, (size_t)i, received);
    }
    return n;
}

/* Read and emit up to `budget` datagrams; stop early once the input is paused (what was
 * already received is still emitted: at most one recvmmsg batch past the queue's bound).
 * Returns the number of datagrams read. */
static size_t read_some(struct unix_state *st, size_t budget)
{
    size_t done = 0;

    while (done < budget && !ls_input_paused(st->ins)) {
        int n = read_batch(st);

        if (n <= 0) {
            break;
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
    struct unix_state *st = arg;

    (void)w;
    (void)fd;
    (void)events;
    read_some(st, READ_BUDGET);
}

int unix_dgram_start(struct unix_state *st)
{
    int one = 1;

    ls_dgram_batch_init(&st->batch, (size_t)st->conf->max_message, UNIX_CMSG_SIZE, 0);
    if (setsockopt(st->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: SO_PASSCRED: %s", st->conf->path,
               strerror(errno));
        return LS_ERROR;
    }
    ls_input_set_datagram(st->ins, st->conf->on_full == UNIX_ON_FULL_DROP);
    st->watch = ls_watch_new(st->ins, st->fd, LS_WATCH_READ, on_readable, st);
    if (!st->watch) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: cannot watch the socket", st->conf->path);
        return LS_ERROR;
    }
    return LS_OK;
}

void unix_dgram_drain(struct unix_state *st)
{
    size_t total = 0;

    if (st->fd < 0 || !st->batch.msgs) {
        return;
    }
    /* Stopping: read what is queued even past the queue bound; the core drains after us. */
    for (;;) {
        int n = read_batch(st);

        if (n <= 0) {
            break;
        }
        total += (size_t)n;
        if (total >= DRAIN_MAX) {
            ls_log(st->ins, LS_LOG_WARN, "stopping with datagrams still queued on %s",
                   st->conf->path);
            break;
        }
    }
}

void unix_dgram_release(struct unix_state *st)
{
    ls_dgram_batch_release(&st->batch);
}
