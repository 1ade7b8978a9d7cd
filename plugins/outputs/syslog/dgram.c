/*
 * dgram.c - datagram writes of the syslog output (udp, unix_dgram): one record per datagram,
 * up to DGRAM_BATCH per sendmmsg(2) call, on a connected socket.
 *
 * A datagram leaves the ledger as soon as the kernel took it: there is no acknowledgement to
 * wait for. UDP may lose datagrams on the way and says nothing; a unix datagram socket does
 * not lose them, it refuses (EAGAIN) while the receiver's queue is full, and then the output
 * waits for it to become writable, which is backpressure.
 *
 * Errors: EMSGSIZE (the datagram is larger than the transport allows) sends the longest prefix
 * the kernel accepts, halving down to DGRAM_MIN bytes (counted as truncated), else drops the
 * record (reason "message_too_large"). ECONNREFUSED on UDP reports an ICMP "port unreachable"
 * for an earlier datagram: counted, and sending goes on. Any other error makes the caller
 * reconnect with backoff, keeping the unsent records.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "sysout.h"

#define DGRAM_BATCH      64
#define DGRAM_MIN        480                 /* RFC 5426: every receiver takes 480 bytes */
#define WARN_INTERVAL_NS (10LL * 1000000000) /* between two warnings of one kind */

static void took(struct sysout *s, size_t len)
{
    ls_sysout_ledger_wrote(&s->ledger, len);
    ls_sysout_ledger_ack(&s->ledger, 0);
    ls_counter_add(s->c_bytes, len);
}

/* The first unsent record is too large for the transport. Returns 0 when it was dealt with
 * (sent in part or dropped), or a negative errno to handle as a send error. */
static int send_oversized(struct sysout *s)
{
    const char *p;
    size_t len = ls_sysout_ledger_unsent_record(&s->ledger, 0, &p);
    size_t size = len;
    int64_t now = ls_sysout_mono_now();

    while (size > DGRAM_MIN) {
        size = ls_sysout_utf8_cut(p, len, size / 2 > DGRAM_MIN ? size / 2 : DGRAM_MIN);
        if (send(s->fd, p, size, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
            if (s->emsgsize_warned == 0 || now - s->emsgsize_warned >= WARN_INTERVAL_NS) {
                ls_log(s->ins, LS_LOG_WARN,
                       "a %zu-byte datagram is too large for %s; sent its first %zu bytes "
                       "(lower max_message)",
                       len, s->target, size);
                s->emsgsize_warned = now;
            }
            ls_counter_add(s->c_truncated, 1);
            ls_sysout_ledger_wrote(&s->ledger, len);
            ls_sysout_ledger_ack(&s->ledger, 0);
            ls_counter_add(s->c_bytes, size);
            return 0;
        }
        if (errno != EMSGSIZE && errno != EINTR) {
            return -errno;
        }
    }
    ls_log(s->ins, LS_LOG_WARN,
           "a %zu-byte datagram is too large for %s even cut to %d bytes; "
           "dropped",
           len, s->target, DGRAM_MIN);
    ls_count_drop(s->ins, "message_too_large", 1);
    took(s, len);
    return 0;
}

static void port_unreachable(struct sysout *s)
{
    int64_t now = ls_sysout_mono_now();

    ls_counter_add(s->c_refused, 1);
    if (s->refused_warned == 0 || now - s->refused_warned >= WARN_INTERVAL_NS) {
        ls_log(s->ins, LS_LOG_WARN,
               "%s: port unreachable (nothing listens there?); datagrams sent meanwhile are lost",
               s->target);
        s->refused_warned = now;
    }
}

/* One sendmmsg call. Returns the number of datagrams sent (> 0), 0 when nothing is unsent,
 * or a negative errno. */
static int send_some(struct sysout *s)
{
    struct mmsghdr msgs[DGRAM_BATCH];
    struct iovec iov[DGRAM_BATCH];
    unsigned n = 0;
    int rc;

    memset(msgs, 0, sizeof msgs);
    while (n < DGRAM_BATCH) {
        const char *p;
        size_t len = ls_sysout_ledger_unsent_record(&s->ledger, n, &p);
        if (len == 0) {
            break;
        }
        iov[n].iov_base = (void *)p;
        iov[n].iov_len = len;
        msgs[n].msg_hdr.msg_iov = &iov[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        n++;
    }
    if (n == 0) {
        return 0;
    }
    rc = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (rc < 0) {
        return -errno;
    }
    for (int i = 0; i < rc; i++) {
        took(s, iov[i].iov_len);
    }
    return rc;
}

int ls_sysout_dgram_pump(struct sysout *s)
{
    for (;;) {
        int rc = send_some(s);

        if (rc == 0) {
            return LS_SYSOUT_DGRAM_DONE;
        }
        if (rc > 0 || rc == -EINTR) {
            continue;
        }
        if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
            return LS_SYSOUT_DGRAM_WAIT_WRITE;
        }
        if (rc == -ENOBUFS) {
            return LS_SYSOUT_DGRAM_WAIT_TIMER;
        }
        if (rc == -EMSGSIZE) {
            rc = send_oversized(s);
            if (rc == 0) {
                continue;
            }
            if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
                return LS_SYSOUT_DGRAM_WAIT_WRITE;
            }
            return rc == -ENOBUFS ? LS_SYSOUT_DGRAM_WAIT_TIMER : rc;
        }
        if (rc == -ECONNREFUSED && s->transport == SYSOUT_UDP) {
            /* The error was about an earlier datagram and is now cleared: go on. */
            port_unreachable(s);
            continue;
        }
        return rc;
    }
}
