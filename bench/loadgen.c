/*
 * loadgen: LogStream's load generator.
 *
 * Opens N TCP connections (one thread each), then sends `count` newline-terminated lines in
 * total, split evenly across the connections. Every line carries a unique token
 * "seq=<connection>:<n>" (n counts from 0 per connection, zero-padded to a fixed width), so a
 * receiver's output can be checked for loss, duplication and reordering per connection.
 * Lines are exactly `size` bytes including the newline (or the token's length if longer).
 *
 * Lines are built into a large buffer and sent with one write() per buffer, never one syscall
 * per line. With a rate limit the lines due so far are sent in small writes, paced by
 * clock_nanosleep; -T adds "ts=<unix ns>" (send time) to each line for latency measurements.
 *
 * Prints one JSON object on stdout: lines, bytes, seconds (first write to last write) and the
 * CLOCK_MONOTONIC start/end times so a harness can line them up with its own clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES       (256 * 1024)
#define MAX_CONNECTIONS 10000
#define MAX_LINE_SIZE   (1024 * 1024)

struct lg_opts {
    const char *host;
    const char *port;
    long connections;
    uint64_t lines;
    long size;
    double rate; /* lines/s over all connections, 0 = unlimited */
    bool timestamps;
};

/* One sender thread: owns fd and buf. */
struct lg_conn {
    const struct lg_opts *opts;
    int fd;
    unsigned id;
    uint64_t lines;   /* lines this connection must send */
    uint64_t sent;    /* lines fully handed to the kernel */
    uint64_t bytes;   /* bytes handed to the kernel */
    int64_t end_ns;   /* CLOCK_MONOTONIC after the last write */
    int err;          /* errno of a failed write, 0 if none */
    char *buf;        /* BUF_BYTES + one line of slack */
    char *line;       /* the current line, digits advanced in place */
    size_t line_len;  /* bytes of line including '\n' */
    size_t digit_pos; /* offset of the last digit of n in line */
};

static pthread_barrier_t start_barrier;
static int64_t start_ns;

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: loadgen -p PORT [-H HOST] [-c CONNECTIONS] [-n LINES] [-s SIZE] "
                 "[-r RATE] [-T]\n"
                 "Send LINES newline-terminated lines of SIZE bytes over TCP, split across\n"
                 "CONNECTIONS connections; each line carries a unique \"seq=<conn>:<n>\" token.\n"
                 "  -H, --host HOST          destination host (default 127.0.0.1)\n"
                 "  -p, --port PORT          destination port (required)\n"
                 "  -c, --connections N      parallel connections, one thread each (default 1)\n"
                 "  -n, --lines N            total lines over all connections (default 1000000)\n"
                 "  -s, --size BYTES         bytes per line including the newline (default 150)\n"
                 "  -r, --rate LINES/S       total send rate limit (default 0 = unlimited)\n"
                 "  -T, --timestamps         add \"ts=<unix ns>\" (send time) to every line\n"
                 "  -h, --help               show this help\n"
                 "Prints one JSON summary line: lines, bytes, seconds, lines_per_sec, ...\n");
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (*s == '\0' || *s == '-') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct lg_opts *o)
{
    static const struct option longopts[] = {{"host", required_argument, NULL, 'H'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"connections", required_argument, NULL, 'c'},
                                             {"lines", required_argument, NULL, 'n'},
                                             {"size", required_argument, NULL, 's'},
                                             {"rate", required_argument, NULL, 'r'},
                                             {"timestamps", no_argument, NULL, 'T'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    uint64_t v;
    int c;

    *o = (struct lg_opts){.host = "127.0.0.1", .connections = 1, .lines = 1000000, .size = 150};
    while ((c = getopt_long(argc, argv, "H:p:c:n:s:r:Th", longopts, NULL)) != -1) {
        switch (c) {
        case 'H':
            o->host = optarg;
            break;
        case 'p':
            if (parse_u64(optarg, 1, 65535, &v) < 0) {
                fprintf(stderr, "loadgen: -p: expected a port 1..65535, got \"%s\"\n", optarg);
                return 2;
            }
            o->port = optarg;
            break;
        case 'c':
            if (parse_u64(optarg, 1, MAX_CONNECTIONS, &v) < 0) {
                fprintf(stderr, "loadgen: -c: expected 1..%d connections, got \"%s\"\n",
                        MAX_CONNECTIONS, optarg);
                return 2;
            }
            o->connections = (long)v;
            break;
        case 'n':
            if (parse_u64(optarg, 0, UINT64_MAX / 2, &o->lines) < 0) {
                fprintf(stderr, "loadgen: -n: expected a line count, got \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (parse_u64(optarg, 1, MAX_LINE_SIZE, &v) < 0) {
                fprintf(stderr, "loadgen: -s: expected 1..%d bytes, got \"%s\"\n", MAX_LINE_SIZE,
                        optarg);
                return 2;
            }
            o->size = (long)v;
            break;
        case 'r':
            if (parse_u64(optarg, 0, 1000000000, &v) < 0) {
                fprintf(stderr, "loadgen: -r: expected lines per second, got \"%s\"\n", optarg);
                return 2;
            }
            o->rate = (double)v;
            break;
        case 'T':
            o->timestamps = true;
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
        fprintf(stderr, "loadgen: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (o->port == NULL) {
        fprintf(stderr, "loadgen: -p PORT is required (see --help)\n");
        return 2;
    }
    return 0;
}

static int connect_to(const struct lg_opts *o)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res, *ai;
    int fd = -1, rc, err = 0;

    rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "loadgen: resolve %s:%s: %s\n", o->host, o->port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "loadgen: connect %s:%s: %s\n", o->host, o->port, strerror(err));
    }
    return fd;
}

static unsigned count_digits(uint64_t v)
{
    unsigned d = 1;

    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

/* Builds the first line "seq=<id>:000...0 abcd...\n" of exactly size bytes (or longer if the
 * token does not fit); later lines only advance the zero-padded counter. */
static int line_init(struct lg_conn *c)
{
    const struct lg_opts *o = c->opts;
    unsigned width = count_digits(c->lines > 0 ? c->lines - 1 : 0);
    size_t len, i;
    int n;

    c->line = malloc((size_t)o->size + 64);
    if (c->line == NULL) {
        return -1;
    }
    n = snprintf(c->line, 64, "seq=%u:%0*u", c->id, (int)width, 0u);
    c->digit_pos = (size_t)n - 1;
    len = (size_t)n;
    for (i = 0; len + 1 < (size_t)o->size; i++) {
        c->line[len++] = i == 0 ? ' ' : (char)('a' + (i - 1) % 26);
    }
    c->line[len++] = '\n';
    c->line_len = len;
    return 0;
}

static void line_advance(struct lg_conn *c)
{
    size_t p = c->digit_pos;

    while (c->line[p] == '9') {
        c->line[p--] = '0';
    }
    c->line[p]++;
}

/* Appends the current line to dst (timestamped if asked); returns bytes written. */
static size_t line_emit(struct lg_conn *c, char *dst)
{
    size_t tok = c->digit_pos + 1, len = c->line_len;
    int n;

    if (!c->opts->timestamps) {
        memcpy(dst, c->line, len);
        return len;
    }
    /* "seq=..:.. ts=<19 digits>" then the same filler, cut so the length stays the same. */
    memcpy(dst, c->line, tok);
    n = snprintf(dst + tok, 32, " ts=%" PRId64 " ", now_ns(CLOCK_REALTIME));
    if (tok + (size_t)n + 1 >= len) {
        dst[tok + (size_t)n] = '\n';
        return tok + (size_t)n + 1;
    }
    memcpy(dst + tok + (size_t)n, c->line + tok + (size_t)n, len - tok - (size_t)n);
    return len;
}

static int write_all(struct lg_conn *c, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(c->fd, p, len);

        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            c->err = errno;
            return -1;
        }
        p += w;
        len -= (size_t)w;
        c->bytes += (uint64_t)w;
    }
    return 0;
}

/* How many of this connection's lines are due by now under the rate limit. */
static uint64_t lines_due(const struct lg_conn *c, double per_conn_rate)
{
    double elapsed = (double)(now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9;
    double due = elapsed * per_conn_rate + 1;

    return due >= (double)c->lines ? c->lines : (uint64_t)due;
}

static void wait_for_line(const struct lg_conn *c, double per_conn_rate)
{
    int64_t due = start_ns + (int64_t)((double)c->sent / per_conn_rate * 1e9);
    struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void *conn_run(void *arg)
{
    struct lg_conn *c = arg;
    double per_conn_rate = c->opts->rate / (double)c->opts->connections;
    uint64_t limit;

    pthread_barrier_wait(&start_barrier);
    while (c->sent < c->lines) {
        size_t used = 0;

        limit = c->opts->rate > 0 ? lines_due(c, per_conn_rate) : c->lines;
        if (limit == c->sent) {
            wait_for_line(c, per_conn_rate);
            continue;
        }
        while (c->sent < limit && used < BUF_BYTES) {
            used += line_emit(c, c->buf + used);
            line_advance(c);
            c->sent++;
        }
        if (write_all(c, c->buf, used) < 0) {
            break;
        }
    }
    c->end_ns = now_ns(CLOCK_MONOTONIC);
    return NULL;
}

static int conns_open(const struct lg_opts *o, struct lg_conn *conns)
{
    long i;

    for (i = 0; i < o->connections; i++) {
        struct lg_conn *c = &conns[i];

        c->opts = o;
        c->id = (unsigned)i;
        c->lines = o->lines / (uint64_t)o->connections +
                   ((uint64_t)i < o->lines % (uint64_t)o->connections ? 1 : 0);
        c->buf = malloc(BUF_BYTES + (size_t)o->size + 64);
        if (c->buf == NULL || line_init(c) < 0) {
            fprintf(stderr, "loadgen: out of memory\n");
            return -1;
        }
        c->fd = connect_to(o);
        if (c->fd < 0) {
            return -1;
        }
    }
    return 0;
}

static void conns_close(struct lg_conn *conns, long n)
{
    long i;

    for (i = 0; i < n; i++) {
        if (conns[i].fd >= 0) {
            close(conns[i].fd);
        }
        free(conns[i].buf);
        free(conns[i].line);
    }
    free(conns);
}

static int report(const struct lg_opts *o, const struct lg_conn *conns)
{
    uint64_t lines = 0, bytes = 0;
    int64_t end = start_ns;
    double secs;
    long i;
    int rc = 0;

    for (i = 0; i < o->connections; i++) {
        lines += conns[i].sent;
        bytes += conns[i].bytes;
        end = conns[i].end_ns > end ? conns[i].end_ns : end;
        if (conns[i].err != 0) {
            fprintf(stderr, "loadgen: connection %ld: write: %s\n", i, strerror(conns[i].err));
            rc = 1;
        }
    }
    secs = (double)(end - start_ns) / 1e9;
    printf("{\"lines\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
           "\"lines_per_sec\":%.0f,\"connections\":%ld,\"line_size\":%ld,\"rate\":%.0f,"
           "\"start_mono_ns\":%" PRId64 ",\"end_mono_ns\":%" PRId64 ",\"ok\":%s}\n",
           lines, bytes, secs, secs > 0 ? (double)lines / secs : 0.0, o->connections, o->size,
           o->rate, start_ns, end, rc == 0 ? "true" : "false");
    return rc;
}

static int run(const struct lg_opts *o)
{
    struct lg_conn *conns;
    pthread_t *threads = NULL;
    long i, started = 0;
    int rc = 1;

    conns = calloc((size_t)o->connections, sizeof(*conns));
    if (conns == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    for (i = 0; i < o->connections; i++) {
        conns[i].fd = -1;
    }
    if (conns_open(o, conns) < 0) {
        goto out_close;
    }
    threads = calloc((size_t)o->connections, sizeof(*threads));
    if (threads == NULL) {
        goto out_close;
    }
    pthread_barrier_init(&start_barrier, NULL, (unsigned)o->connections + 1);
    for (started = 0; started < o->connections; started++) {
        if (pthread_create(&threads[started], NULL, conn_run, &conns[started]) != 0) {
            fprintf(stderr, "loadgen: cannot start thread %ld\n", started);
            exit(1); /* the barrier would never open */
        }
    }
    start_ns = now_ns(CLOCK_MONOTONIC);
    pthread_barrier_wait(&start_barrier);
    for (i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start_barrier);
    rc = report(o, conns);
out_close:
    free(threads);
    conns_close(conns, o->connections);
    return rc;
}

int main(int argc, char **argv)
{
    struct lg_opts o;
    int rc;

    rc = parse_opts(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    return run(&o);
}
