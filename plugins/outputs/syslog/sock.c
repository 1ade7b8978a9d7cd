/*
 * sock.c - sockets of the syslog output: resolve the target, open a non-blocking socket,
 * start connecting, and read the kernel's count of unacknowledged bytes (SIOCOUTQ).
 *
 * Names are resolved (getaddrinfo, blocking) at every connect, so a receiver that moves to a
 * new address is followed; a name with several addresses is tried one address per attempt,
 * in turn. Only this output's thread waits on a slow resolver.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net.h"
#include "sysout.h"

static void set_why(char *why, size_t whylen, int err)
{
    snprintf(why, whylen, "%s", strerror(err));
}

/* Socket options, then connect. Returns 0, 1 (in progress) or -1 with why set; closes fd on
 * failure. */
static int connect_fd(struct sysout *s, int fd, const struct sockaddr *sa, socklen_t salen,
                      char *why, size_t whylen)
{
    int one = 1;

    if (s->conf->send_buffer > 0) {
        int size =
            s->conf->send_buffer > (uint64_t)0x7fffffff ? 0x7fffffff : (int)s->conf->send_buffer;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size); /* best effort */
    }
    if (s->transport == SYSOUT_TCP) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    }
    while (connect(fd, sa, salen) < 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EINPROGRESS) {
            return 1;
        }
        set_why(why, whylen, errno);
        close(fd);
        return -1;
    }
    return 0;
}

static int open_unix(struct sysout *s, int *fd, char *why, size_t whylen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int type = s->stream ? SOCK_STREAM : SOCK_DGRAM;
    int rc;

    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", s->conf->path); /* length checked */
    *fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0) {
        set_why(why, whylen, errno);
        return -1;
    }
    rc = connect_fd(s, *fd, (const struct sockaddr *)&sun, sizeof sun, why, whylen);
    if (rc < 0) {
        *fd = -1;
    }
    return rc;
}

static int open_inet(struct sysout *s, int *fd, char *why, size_t whylen)
{
    struct addrinfo hints = {.ai_socktype = s->stream ? SOCK_STREAM : SOCK_DGRAM,
                             .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    const struct addrinfo *ai;
    char host[256], port[16];
    unsigned n = 0;
    int rc;

    *fd = -1;
    /* a destination needs a host: "*:514" or ":514" name none */
    if (ls_net_split_address(s->conf->address, host, sizeof host, port, sizeof port) < 0 ||
        host[0] == '\0') {
        snprintf(why, whylen, "expected host:port or [v6]:port");
        return -1;
    }
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        n++;
    }
    ai = res;
    for (unsigned i = s->addr_next % n; i > 0; i--) {
        ai = ai->ai_next;
    }
    s->addr_next++;
    *fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (*fd < 0) {
        set_why(why, whylen, errno);
        freeaddrinfo(res);
        return -1;
    }
    rc = connect_fd(s, *fd, ai->ai_addr, ai->ai_addrlen, why, whylen);
    if (rc < 0) {
        *fd = -1;
    }
    freeaddrinfo(res);
    return rc;
}

int ls_sysout_sock_open(struct sysout *s, int *fd, char *why, size_t whylen)
{
    if (s->transport == SYSOUT_UNIX_DGRAM || s->transport == SYSOUT_UNIX_STREAM) {
        return open_unix(s, fd, why, whylen);
    }
    return open_inet(s, fd, why, whylen);
}

int ls_sysout_sock_error(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return errno;
    }
    return err;
}

int ls_sysout_sock_has_error(int fd)
{
    struct pollfd p = {.fd = fd, .events = 0};

    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

int ls_sysout_sock_unacked(const struct sysout *s, uint64_t *unacked, int final)
{
    int v = 0;

    if (ioctl(s->fd, SIOCOUTQ, &v) < 0 || v < 0) {
        return -1;
    }
    if (s->transport == SYSOUT_TCP) {
        /* write_seq - snd_una: valid in every state once connected, even after a reset. The
         * FIN that shutdown(SHUT_WR) queued occupies one sequence number. */
        if (s->shut_wr && v > 0) {
            v--;
        }
    } else {
        /* Unix: the bytes the peer has not read yet - until a peer that closes with unread
         * data throws them away, which sets ECONNRESET on our side first. So a count read
         * while no error is pending is good (a count of 0 after a peer closed having read
         * everything is good too); one read with the error pending, or after it, is not. */
        if (final || ls_sysout_sock_has_error(s->fd)) {
            return -1;
        }
    }
    *unacked = (uint64_t)v;
    return 0;
}

int ls_sysout_sock_drain_input(int fd)
{
    char buf[4096];

    for (int i = 0; i < 16; i++) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            continue;
        }
        if (n == 0) {
            return 1;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        return -errno;
    }
    return 0;
}
