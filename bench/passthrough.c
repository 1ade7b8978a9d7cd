/*
 * passthrough: the trivial baseline LogStream's benchmark compares against.
 *
 * Listens on TCP, accepts exactly N connections, read()s each into its own buffer and appends
 * the complete lines to one file with write(); a partial line waits in its connection's buffer
 * so lines from different connections never interleave (a line longer than the buffer is
 * written in pieces). Exits when all N connections have been accepted and closed.
 *
 * stdout: "listening on HOST:PORT" once the socket listens (port 0 picks a free port), then at
 * exit one JSON summary: bytes, seconds (first byte read to last write), the process's own CPU
 * seconds (getrusage) and peak RSS (VmHWM), so a harness need not race the exit to sample /proc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 10000

struct pt_opts {
    const char *host;
    const char *port;
    long connections;
    const char *path;
    size_t buf_size;
};

/* One accepted connection; owns fd and buf. */
struct pt_conn {
    int fd;
    char *buf;
    size_t have;
};

struct pt_state {
    const struct pt_opts *opts;
    int listen_fd;
    int out_fd;
    struct pt_conn *conns; /* opts->connections slots */
    struct pollfd *pfds;   /* [0] listener, [1 + i] conns[i] */
    long accepted;
    long open;
    uint64_t bytes;
    int64_t first_ns;
    int64_t last_ns;
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: passthrough -o FILE [-H HOST] [-p PORT] [-c CONNECTIONS] [-b BYTES]\n"
                 "Accept CONNECTIONS TCP connections and append every line they send to FILE;\n"
                 "exit once all of them have closed.\n"
                 "  -o, --output FILE        file to append to (created if missing)\n"
                 "  -H, --host HOST          listen address (default 127.0.0.1)\n"
                 "  -p, --port PORT          listen port (default 0 = any free port)\n"
                 "  -c, --connections N      connections to accept (default 1)\n"
                 "  -b, --buffer BYTES       read buffer per connection (default 262144)\n"
                 "  -h, --help               show this help\n"
                 "stdout: \"listening on HOST:PORT\", then a JSON summary at exit.\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct pt_opts *o)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"host", required_argument, NULL, 'H'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"buffer", required_argument, NULL, 'b'},
                                             {"connections", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    long v;
    int c;

    *o = (struct pt_opts){
        .host = "127.0.0.1", .port = "0", .connections = 1, .buf_size = 256 * 1024};
    while ((c = getopt_long(argc, argv, "o:H:p:c:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            o->path = optarg;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'p':
            if (parse_long(optarg, 0, 65535, &v) < 0) {
                fprintf(stderr, "passthrough: -p: expected a port 0..65535, got \"%s\"\n", optarg);
                return 2;
            }
            o->port = optarg;
            break;
        case 'c':
            if (parse_long(optarg, 1, MAX_CONNECTIONS, &o->connections) < 0) {
                fprintf(stderr, "passthrough: -c: expected 1..%d connections, got \"%s\"\n",
                        MAX_CONNECTIONS, optarg);
                return 2;
            }
            break;
        case 'b':
            if (parse_long(optarg, 4096, 64L * 1024 * 1024, &v) < 0) {
                fprintf(stderr, "passthrough: -b: expected 4096..67108864 bytes, got \"%s\"\n",
                        optarg);
                return 2;
            }
            o->buf_size = (size_t)v;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "passthrough: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (o->path == NULL) {
        fprintf(stderr, "passthrough: -o FILE is required (see --help)\n");
        return 2;
    }
    return 0;
}

static void print_listening(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], port[NI_MAXSERV];

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        printf("listening\n");
    } else if (ss.ss_family == AF_INET6) {
        printf("listening on [%s]:%s\n", host, port);
    } else {
        printf("listening on %s:%s\n", host, port);
    }
    fflush(stdout);
}

static int listen_on(const struct pt_opts *o)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res;
    int fd, rc, one = 1;

    rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "passthrough: resolve %s:%s: %s\n", o->host, o->port, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0) {
        goto out_error;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        goto out_close;
    }
    freeaddrinfo(res);
    print_listening(fd);
    return fd;
out_close:
    close(fd);
out_error:
    fprintf(stderr, "passthrough: listen %s:%s: %s\n", o->host, o->port, strerror(errno));
    freeaddrinfo(res);
    return -1;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "passthrough: write: %s\n", strerror(errno));
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int accept_one(struct pt_state *st)
{
    struct pt_conn *c = &st->conns[st->accepted];
    int fd;

    fd = accept4(st->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) {
            return 0;
        }
        fprintf(stderr, "passthrough: accept: %s\n", strerror(errno));
        return -1;
    }
    c->buf = malloc(st->opts->buf_size);
    if (c->buf == NULL) {
        fprintf(stderr, "passthrough: out of memory\n");
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->have = 0;
    st->pfds[1 + st->accepted] = (struct pollfd){.fd = fd, .events = POLLIN};
    st->accepted++;
    st->open++;
    if (st->accepted == st->opts->connections) {
        st->pfds[0].fd = -1; /* stop polling the listener; it closes at exit */
    }
    return 0;
}

/* Bytes of c->buf to write now: everything when flushing at close or when the buffer is full
 * of one long line, else up to and including the last newline. */
static size_t flushable(const struct pt_state *st, const struct pt_conn *c, bool all)
{
    const char *nl;

    if (all) {
        return c->have;
    }
    nl = memrchr(c->buf, '\n', c->have);
    if (nl != NULL) {
        return (size_t)(nl - c->buf) + 1;
    }
    return c->have == st->opts->buf_size ? c->have : 0;
}

static int flush_lines(struct pt_state *st, struct pt_conn *c, bool all)
{
    size_t n = flushable(st, c, all);

    if (n == 0) {
        return 0;
    }
    if (write_all(st->out_fd, c->buf, n) < 0) {
        return -1;
    }
    st->last_ns = now_ns();
    memmove(c->buf, c->buf + n, c->have - n);
    c->have -= n;
    return 0;
}

static int read_conn(struct pt_state *st, long i)
{
    struct pt_conn *c = &st->conns[i];
    ssize_t r;

    r = read(c->fd, c->buf + c->have, st->opts->buf_size - c->have);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            return 0;
        }
        fprintf(stderr, "passthrough: read connection %ld: %s\n", i, strerror(errno));
    }
    if (r <= 0) {
        if (flush_lines(st, c, true) < 0) {
            return -1;
        }
        close(c->fd);
        c->fd = -1;
        st->pfds[1 + i].fd = -1;
        st->open--;
        return 0;
    }
    if (st->first_ns == 0) {
        st->first_ns = now_ns();
    }
    st->bytes += (uint64_t)r;
    c->have += (size_t)r;
    return flush_lines(st, c, false);
}

static int serve(struct pt_state *st)
{
    nfds_t n = (nfds_t)st->opts->connections + 1;
    long i;

    while (st->accepted < st->opts->connections || st->open > 0) {
        if (poll(st->pfds, n, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            fprintf(stderr, "passthrough: poll: %s\n", strerror(errno));
            return -1;
        }
        if (st->pfds[0].fd >= 0 && st->pfds[0].revents != 0 && accept_one(st) < 0) {
            return -1;
        }
        for (i = 0; i < st->accepted; i++) {
            if (st->pfds[1 + i].fd >= 0 && st->pfds[1 + i].revents != 0 && read_conn(st, i) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Peak RSS from /proc/self/status: getrusage's ru_maxrss would include the peak of the process
 * that forked us (Linux carries it across exec), which for a Python harness can be large. */
static long vm_hwm_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return kib;
}

static void report(const struct pt_state *st)
{
    struct rusage ru;
    double secs = st->first_ns != 0 ? (double)(st->last_ns - st->first_ns) / 1e9 : 0.0;

    getrusage(RUSAGE_SELF, &ru);
    printf("{\"connections\":%ld,\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
           "\"utime\":%.6f,\"stime\":%.6f,\"vm_hwm_kib\":%ld}\n",
           st->accepted, st->bytes, secs, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, vm_hwm_kib());
}

int main(int argc, char **argv)
{
    struct pt_opts o;
    struct pt_state st = {.opts = &o, .listen_fd = -1, .out_fd = -1};
    long i;
    int rc;

    rc = parse_opts(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    rc = 1;
    st.conns = calloc((size_t)o.connections, sizeof(*st.conns));
    st.pfds = calloc((size_t)o.connections + 1, sizeof(*st.pfds));
    if (st.conns == NULL || st.pfds == NULL) {
        fprintf(stderr, "passthrough: out of memory\n");
        goto out_free;
    }
    st.out_fd = open(o.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (st.out_fd < 0) {
        fprintf(stderr, "passthrough: open \"%s\": %s\n", o.path, strerror(errno));
        goto out_free;
    }
    st.listen_fd = listen_on(&o);
    if (st.listen_fd < 0) {
        goto out_close_file;
    }
    st.pfds[0] = (struct pollfd){.fd = st.listen_fd, .events = POLLIN};
    for (i = 0; i < o.connections; i++) {
        st.pfds[1 + i].fd = -1;
    }
    if (serve(&st) == 0) {
        report(&st);
        rc = 0;
    }
    for (i = 0; i < st.accepted; i++) {
        if (st.conns[i].fd >= 0) {
            close(st.conns[i].fd);
        }
        free(st.conns[i].buf);
    }
    close(st.listen_fd);
out_close_file:
    close(st.out_fd);
out_free:
    free(st.pfds);
    free(st.conns);
    return rc;
}
