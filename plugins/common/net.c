/*
 * net.c - socket plumbing shared by the network inputs (see net.h).
 */
#define _GNU_SOURCE

#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOT_BYTES_MAX (4u * 1024 * 1024) /* all slots together, at most */
#define SLOTS_MAX      64

int ls_net_split_address(const char *addr, char *host, size_t hsize, char *port, size_t psize)
{
    const char *colon;
    size_t hlen;

    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':') {
            return -1;
        }
        hlen = (size_t)(end - addr - 1);
        addr++;
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr))) {
            return -1;
        }
        hlen = (size_t)(colon - addr);
    }
    if (hlen >= hsize || strlen(colon + 1) >= psize || colon[1] == '\0') {
        return -1;
    }
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "*") == 0) {
        host[0] = '\0';
    }
    strcpy(port, colon + 1);
    return 0;
}

void ls_net_format_sockaddr(const struct sockaddr_storage *ss, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        snprintf(out, size, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host, sizeof host);
            snprintf(out, size, "%s:%u", host, (unsigned)ntohs(sin6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
            snprintf(out, size, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
        }
    } else {
        snprintf(out, size, "unknown");
    }
}

/* socket + bind (+ listen for streams) one address; returns the fd or -1 with errno set. */
static int bind_one(const struct addrinfo *ai, int wildcard, int backlog)
{
    int stream = ai->ai_socktype == SOCK_STREAM;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, zero = 0, err;

    if (fd < 0) {
        return -1;
    }
    if (stream && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        goto out_close;
    }
    /* "*:port" on an IPv6 socket takes IPv4 clients too. */
    if (wildcard && ai->ai_family == AF_INET6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0) {
        goto out_close;
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || (stream && listen(fd, backlog) < 0)) {
        goto out_close;
    }
    return fd;

out_close:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

int ls_net_bind(const char *host, const char *port, int socktype, int backlog, int *gai_rc)
{
    struct addrinfo hints = {.ai_socktype = socktype, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int fd = -1, err = 0;

    *gai_rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (*gai_rc != 0) {
        return -1;
    }
    for (int pass = 0; pass < 2 && fd < 0; pass++) {
        for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            if ((ai->ai_family == AF_INET6) != (pass == 0)) {
                continue;
            }
            fd = bind_one(ai, host[0] == '\0', backlog);
            if (fd < 0 && err == 0) {
                err = errno; /* report the first failure: the preferred address's */
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        errno = err ? err : EADDRNOTAVAIL;
    }
    return fd;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (!p) {
        fprintf(stderr, "logstream: datagram input: out of memory allocating %zu bytes\n",
                n * size);
        abort();
    }
    return p;
}

void ls_dgram_batch_init(struct ls_dgram_batch *b, size_t max, size_t cmsg_size, int names)
{
    b->max = max;
    b->cmsg_size = cmsg_size;
    b->nslots = SLOT_BYTES_MAX / max;
    if (b->nslots > SLOTS_MAX) {
        b->nslots = SLOTS_MAX;
    }
    if (b->nslots == 0) {
        b->nslots = 1;
    }
    b->msgs = xcalloc(b->nslots, sizeof *b->msgs);
    b->iov = xcalloc(b->nslots, sizeof *b->iov);
    b->names = names ? xcalloc(b->nslots, sizeof *b->names) : NULL;
    b->bufs = xcalloc(b->nslots, max);
    b->cbufs = xcalloc(b->nslots, cmsg_size);
}

void ls_dgram_batch_release(struct ls_dgram_batch *b)
{
    free(b->msgs);
    free(b->iov);
    free(b->names);
    free(b->bufs);
    free(b->cbufs);
    b->msgs = NULL;
    b->iov = NULL;
    b->names = NULL;
    b->bufs = NULL;
    b->cbufs = NULL;
}

int ls_dgram_batch_recv(struct ls_dgram_batch *b, int fd)
{
    int n;

    for (size_t i = 0; i < b->nslots; i++) {
        struct msghdr *h = &b->msgs[i].msg_hdr;
        b->iov[i].iov_base = ls_dgram_batch_data(b, i);
        b->iov[i].iov_len = b->max;
        if (b->names) {
            h->msg_name = &b->names[i];
            h->msg_namelen = sizeof b->names[i];
        }
        h->msg_iov = &b->iov[i];
        h->msg_iovlen = 1;
        h->msg_control = b->cbufs + i * b->cmsg_size;
        h->msg_controllen = b->cmsg_size;
        h->msg_flags = 0;
        b->msgs[i].msg_len = 0;
    }
    do {
        n = recvmmsg(fd, b->msgs, (unsigned)b->nslots, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return n;
}
