/*
 * net.h - socket plumbing the network inputs share: "host:port" splitting, binding the first
 * usable address of it, formatting a peer address, and a batch of datagram buffers read with
 * one recvmmsg(2).
 *
 * No logging here (the library makes no host calls): functions return -1 with errno set, or
 * a getaddrinfo code, and the caller logs with its instance and its configured address.
 *
 * Ownership: strings are borrowed and results go to caller-supplied buffers; a descriptor
 * returned by ls_net_bind() belongs to the caller, who closes it. A struct ls_dgram_batch is
 * embedded by its user: ls_dgram_batch_init() allocates its buffers (aborting on out of
 * memory, like every allocation in the plugins), ls_dgram_batch_release() frees them and may
 * be called on a zeroed or already released batch.
 *
 * struct mmsghdr needs _GNU_SOURCE, defined before the first system header is included.
 */
#ifndef LS_NET_H
#define LS_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>

/* Room for "[v6-address]:port" and a NUL. */
#define LS_NET_ADDR_SIZE (INET6_ADDRSTRLEN + 16)

/* Split "host:port", "[v6]:port", "*:port" or ":port" into host (without brackets) and port;
 * host "" means every address ("*" gives ""). Returns 0, or -1 when addr has no port, a bare
 * IPv6 address, or a part too long for its buffer. */
int ls_net_split_address(const char *addr, char *host, size_t hsize, char *port, size_t psize);

/* "127.0.0.1:5000", "[::1]:5000"; IPv4-mapped IPv6 addresses are shown as IPv4, families
 * other than inet and inet6 as "unknown". Always NUL-terminates (size > 0). */
void ls_net_format_sockaddr(const struct sockaddr_storage *ss, char *out, size_t size);

/* A non-blocking, close-on-exec socket of `socktype` (SOCK_STREAM or SOCK_DGRAM) bound to the
 * first usable address host:port resolves to (a numeric port; host "" = every address, IPv6
 * first, taking IPv4 clients too). SOCK_STREAM sockets get SO_REUSEADDR and listen(backlog).
 * Returns the fd, or -1: *gai_rc is then the getaddrinfo error (for gai_strerror), or 0 with
 * errno set to why the preferred address failed. */
int ls_net_bind(const char *host, const char *port, int socktype, int backlog, int *gai_rc);

/* nslots datagram buffers of `max` bytes each (at most 64 slots and 4 MiB in all, at least
 * one slot), each with cmsg_size bytes for control messages and, if asked, the sender's
 * address. Pages of a buffer are touched only when a datagram that long arrives. */
struct ls_dgram_batch {
    size_t nslots;
    size_t max;
    size_t cmsg_size;
    struct mmsghdr *msgs;
    struct iovec *iov;
    struct sockaddr_storage *names; /* NULL unless asked for */
    char *bufs;                     /* nslots * max */
    char *cbufs;                    /* nslots * cmsg_size */
};

void ls_dgram_batch_init(struct ls_dgram_batch *b, size_t max, size_t cmsg_size, int names);
void ls_dgram_batch_release(struct ls_dgram_batch *b);

/* Receive up to nslots datagrams from fd without blocking (retrying on EINTR). Returns how
 * many, 0 when none is queued, or -1 with errno set. Slot i then holds msgs[i].msg_len bytes
 * at ls_dgram_batch_data(b, i); MSG_TRUNC in its msg_hdr.msg_flags says it was cut at max. */
int ls_dgram_batch_recv(struct ls_dgram_batch *b, int fd);

static inline char *ls_dgram_batch_data(const struct ls_dgram_batch *b, size_t i)
{
    return b->bufs + i * b->max;
}

#endif /* LS_NET_H */
