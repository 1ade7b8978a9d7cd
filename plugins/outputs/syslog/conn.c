/*
 * conn.c - the syslog output's connection, driven by one watch and two timers on the output's
 * loop (sysout.h has the states). Nothing here blocks, except ls_sysout_conn_drain() at stop.
 *
 * WAIT -timer-> connect: CONNECTED at once, or CONNECTING -writable-> CONNECTED
 *                                                       -timeout/error-> WAIT (backoff)
 * CONNECTED: write the ledger's unsent bytes (WRITE watched only while the socket is full);
 *            read and discard what the peer sends; poll SIOCOUTQ to release acknowledged
 *            records (after each write and every 100 ms while some are unacknowledged).
 *   error/reset -> take the final SIOCOUTQ count (TCP), rewind the ledger, WAIT (backoff)
 *   peer EOF    -> CLOSING: finish the record being written, shutdown(SHUT_WR), poll
 *                  SIOCOUTQ until all is acknowledged (clean: nothing to send again) or
 *                  close_timeout passes (then as an error). No READ watch in CLOSING: a
 *                  half-closed socket stays readable and would spin; SO_ERROR is polled.
 *
 * The backoff delay doubles per failure up to backoff_max and restarts once a connection made
 * progress (the peer acknowledged a record, or a datagram was sent).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "sysout.h"

#define ACK_POLL_NS     (100LL * 1000000) /* connected: SIOCOUTQ poll interval */
#define CLOSING_POLL_NS (20LL * 1000000)  /* closing: SIOCOUTQ and SO_ERROR poll interval */
#define NOBUFS_WAIT_NS  (10LL * 1000000)  /* datagrams: ENOBUFS */
#define DRAIN_RETRY_NS  (100LL * 1000000) /* stop: between connect attempts */

static void on_fd(struct ls_watch *w, int fd, unsigned events, void *arg);
static void closing_progress(struct sysout *s);

int64_t ls_sysout_mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void set_watch(struct sysout *s, unsigned events)
{
    if (s->fd < 0) {
        return;
    }
    if (!s->watch) {
        s->watch = ls_watch_new(s->ins, s->fd, events, on_fd, s);
        if (!s->watch) {
            ls_log(s->ins, LS_LOG_ERROR, "cannot watch the socket to %s", s->target);
        }
        return;
    }
    ls_watch_set(s->watch, events);
}

static void arm(struct ls_timer *t, int64_t ns)
{
    if (t) {
        ls_timer_arm(t, ns);
    }
}

static void cancel(struct ls_timer *t)
{
    if (t) {
        ls_timer_cancel(t);
    }
}

/* Close the socket; whatever was written and not acknowledged becomes unsent again. `abort`:
 * reset the connection, so that what is still in our socket buffer is thrown away instead of
 * trickling out after it was decided to send it again on the next connection. */
static size_t close_socket(struct sysout *s, int reset)
{
    size_t again = ls_sysout_ledger_rewind(&s->ledger);

    ls_watch_free(s->watch);
    s->watch = NULL;
    if (s->fd >= 0) {
        if (reset && s->stream) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(s->fd);
        s->fd = -1;
    }
    s->shut_wr = 0;
    cancel(s->timer);
    cancel(s->ack_timer);
    ls_counter_add(s->c_retried, again);
    return again;
}

static void schedule_retry(struct sysout *s)
{
    int64_t wait;

    s->state = SYSOUT_WAIT;
    s->backoff = ls_sysout_backoff_next(s->backoff, s->conf->backoff_max);
    wait = ls_sysout_backoff_jitter(s->backoff, ls_sysout_rand(&s->rng));
    if (!s->stopping) {
        arm(s->timer, wait);
    }
    ls_log(s->ins, LS_LOG_DEBUG, "next connect to %s in %lld ms", s->target,
           (long long)(wait / 1000000));
}

/* A duration as the configuration writes it: "30s", "1500ms". */
static void fmt_duration(char *out, size_t size, int64_t ns)
{
    if (ns % 1000000000LL == 0) {
        snprintf(out, size, "%llds", (long long)(ns / 1000000000LL));
    } else {
        snprintf(out, size, "%lldms", (long long)(ns / 1000000));
    }
}

/* A connect failed (no socket is open). */
static void connect_failed(struct sysout *s, const char *why)
{
    char max[32];

    s->failures++;
    ls_counter_add(s->c_connect_failures, 1);
    if (!s->failing && !s->stopping) {
        fmt_duration(max, sizeof max, s->conf->backoff_max);
        ls_log(s->ins, LS_LOG_WARN, "connect %s: %s; retrying with backoff up to %s", s->target,
               why, max);
        s->failing = 1;
    } else {
        ls_log(s->ins, LS_LOG_DEBUG, "connect %s: %s", s->target, why);
    }
    schedule_retry(s);
}

/* ---- held batches --------------------------------------------------------------------------- */

static void hold_batch(struct sysout *s, struct ls_batch *b, uint64_t end)
{
    if (s->held_head + s->held_count == s->held_cap) {
        if (s->held_head > 0) {
            memmove(s->held, s->held + s->held_head, s->held_count * sizeof *s->held);
            s->held_head = 0;
        } else {
            size_t cap = s->held_cap ? s->held_cap * 2 : 16;
            struct sysout_held *n = realloc(s->held, cap * sizeof *n);
            if (!n) {
                fprintf(stderr, "logstream: syslog: out of memory allocating %zu bytes\n",
                        cap * sizeof *n);
                abort();
            }
            s->held = n;
            s->held_cap = cap;
        }
    }
    ls_batch_ref(b);
    s->held[s->held_head + s->held_count].b = b;
    s->held[s->held_head + s->held_count].end = end;
    s->held_count++;
}

/* Drop the batches all of whose records left the ledger (acknowledged). */
static void release_acknowledged(struct sysout *s)
{
    while (s->held_count > 0 && s->held[s->held_head].end <= s->ledger.base) {
        ls_batch_unref(s->held[s->held_head].b);
        s->held_head++;
        s->held_count--;
    }
    if (s->held_count == 0) {
        s->held_head = 0;
    }
}

void ls_sysout_release_held(struct sysout *s)
{
    while (s->held_count > 0) {
        ls_batch_unref(s->held[s->held_head].b);
        s->held_head++;
        s->held_count--;
    }
    s->held_head = 0;
    free(s->held);
    s->held = NULL;
    s->held_cap = 0;
}

/* Release the records the peer has acknowledged. `final`: the connection just failed. */
static void ack_poll(struct sysout *s, int final)
{
    uint64_t unacked;

    if (s->fd < 0 || !s->stream || ls_sysout_ledger_inflight(&s->ledger) == 0) {
        return;
    }
    if (ls_sysout_sock_unacked(s, &unacked, final) < 0) {
        return; /* unknown: keep everything, it is sent again if the connection fails */
    }
    if (ls_sysout_ledger_ack(&s->ledger, unacked) > 0) {
        s->backoff = 0;
        release_acknowledged(s);
    }
}

/* The connection failed with err (0: the peer closed it and discarded what it had not read).
 * For TCP the kernel's count still says what the peer acknowledged; what it did not is sent
 * again on the next connection. */
static void conn_lost(struct sysout *s, int err)
{
    size_t again;

    ack_poll(s, 1);
    again = close_socket(s, 1);
    if (s->stopping) {
        ls_log(s->ins, LS_LOG_DEBUG, "connection to %s lost: %s", s->target,
               err ? strerror(err) : "closed by the peer");
    } else if (again > 0) {
        ls_log(s->ins, LS_LOG_WARN,
               "connection to %s lost: %s; %zu records the peer did not acknowledge will be "
               "sent again",
               s->target, err ? strerror(err) : "closed by the peer", again);
    } else {
        ls_log(s->ins, LS_LOG_WARN, "connection to %s lost: %s", s->target,
               err ? strerror(err) : "closed by the peer");
    }
    s->failing = 1;
    schedule_retry(s);
}

/* The batch in flight is done once all of it was written. */
static void check_done(struct sysout *s)
{
    struct ls_batch *b = s->cur;

    if (!b || s->ledger.sent < s->cur_end) {
        return;
    }
    ls_counter_add(s->c_records, s->cur_count);
    s->cur = NULL;
    if (s->stream && s->ledger.base < s->cur_end) {
        hold_batch(s, b, s->cur_end);
    }
    if (s->cur_pending) {
        s->cur_pending = 0;
        ls_output_done(s->ins, b, 0);
    }
}

static void connected(struct sysout *s)
{
    s->state = SYSOUT_CONNECTED;
    s->shut_wr = 0;
    cancel(s->timer);
    if (s->ever_connected) {
        ls_counter_add(s->c_reconnects, 1);
    }
    if (s->failing && s->failures > 0) {
        ls_log(s->ins, LS_LOG_INFO, "connected to %s again after %llu failed attempts", s->target,
               (unsigned long long)s->failures);
    } else if (s->failing) {
        ls_log(s->ins, LS_LOG_INFO, "connected to %s again", s->target);
    } else if (!s->ever_connected) {
        ls_log(s->ins, LS_LOG_INFO, "connected to %s", s->target);
    }
    s->failing = 0;
    s->failures = 0;
    s->ever_connected = 1;
    set_watch(s, s->stream ? LS_WATCH_READ : 0);
    ls_sysout_conn_pump(s);
}

static void connect_now(struct sysout *s)
{
    char why[256];
    int fd = -1;
    int rc = ls_sysout_sock_open(s, &fd, why, sizeof why);

    if (rc < 0) {
        connect_failed(s, why);
        return;
    }
    s->fd = fd;
    if (rc == 0) {
        connected(s);
        return;
    }
    s->state = SYSOUT_CONNECTING;
    set_watch(s, LS_WATCH_WRITE);
    arm(s->timer, s->conf->connect_timeout);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Write up to `limit` unsent bytes. Returns 1 if all were written, 0 if the socket is full,
 * or -1 after conn_lost(). */
static int write_stream(struct sysout *s, size_t limit)
{
    while (limit > 0) {
        const char *p;
        size_t len = ls_sysout_ledger_unsent(&s->ledger, &p);
        ssize_t n;

        if (len == 0) {
            break;
        }
        n = send(s->fd, p, len < limit ? len : limit, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            ls_sysout_ledger_wrote(&s->ledger, (size_t)n);
            ls_counter_add(s->c_bytes, (uint64_t)n);
            limit -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        conn_lost(s, n < 0 ? errno : EPIPE);
        return -1;
    }
    return 1;
}

static void pump_stream(struct sysout *s)
{
    int rc = write_stream(s, SIZE_MAX);

    if (rc < 0) {
        return;
    }
    set_watch(s, LS_WATCH_READ | (rc == 0 ? LS_WATCH_WRITE : 0));
    ack_poll(s, 0);
    if (ls_sysout_ledger_inflight(&s->ledger) > 0) {
        arm(s->ack_timer, ACK_POLL_NS);
    }
}

static void pump_dgram(struct sysout *s)
{
    int rc = ls_sysout_dgram_pump(s);

    if (rc < 0) {
        conn_lost(s, -rc);
        return;
    }
    s->backoff = 0;
    set_watch(s, rc == LS_SYSOUT_DGRAM_WAIT_WRITE ? LS_WATCH_WRITE : 0);
    if (rc == LS_SYSOUT_DGRAM_WAIT_TIMER) {
        arm(s->timer, NOBUFS_WAIT_NS);
    }
}

void ls_sysout_conn_pump(struct sysout *s)
{
    if (s->state != SYSOUT_CONNECTED) {
        return;
    }
    if (s->stream) {
        pump_stream(s);
    } else {
        pump_dgram(s);
    }
    check_done(s);
}

/* ---- closing ------------------------------------------------------------------------------ */

/* The last records are acknowledged: close without sending anything again. */
static void closed_clean(struct sysout *s)
{
    close_socket(s, 0);
    ls_log(s->ins, LS_LOG_DEBUG, "connection to %s closed; everything written was acknowledged",
           s->target);
    schedule_retry(s);
}

static void closing_progress(struct sysout *s)
{
    int err;

    if (!s->shut_wr) {
        int rc = write_stream(s, ls_sysout_ledger_partial(&s->ledger));
        if (rc < 0) {
            return;
        }
        if (rc == 0) {
            set_watch(s, LS_WATCH_WRITE);
            return;
        }
        if (shutdown(s->fd, SHUT_WR) < 0) {
            conn_lost(s, errno);
            return;
        }
        s->shut_wr = 1;
        set_watch(s, 0);
        check_done(s);
    }
    err = ls_sysout_sock_error(s->fd);
    if (err) {
        conn_lost(s, err);
        return;
    }
    ack_poll(s, 0);
    if (ls_sysout_ledger_inflight(&s->ledger) == 0) {
        closed_clean(s);
        return;
    }
    arm(s->ack_timer, CLOSING_POLL_NS);
}

static void start_closing(struct sysout *s)
{
    s->state = SYSOUT_CLOSING;
    set_watch(s, 0);
    arm(s->timer, s->conf->close_timeout);
    closing_progress(s);
}

/* The peer closed its side. A unix peer that closed with unread data has thrown it away
 * (ECONNRESET pending): the connection is lost. Otherwise the peer may only have shut its
 * writing side and still be reading what is in flight: finish the record being written, shut
 * ours, and let its acknowledgements decide what must be sent again. */
static void peer_closed(struct sysout *s)
{
    if (s->transport == SYSOUT_UNIX_STREAM && ls_sysout_sock_has_error(s->fd)) {
        conn_lost(s, ECONNRESET);
        return;
    }
    ls_log(s->ins, LS_LOG_INFO, "%s closed the connection", s->target);
    start_closing(s);
}

/* ---- events ------------------------------------------------------------------------------- */

static void handle(struct sysout *s, unsigned events)
{
    if (s->state == SYSOUT_CONNECTING) {
        int err = ls_sysout_sock_error(s->fd);
        if (err) {
            close_socket(s, 0);
            connect_failed(s, strerror(err));
        } else {
            connected(s);
        }
        return;
    }
    if (s->state == SYSOUT_CONNECTED && (events & LS_WATCH_READ)) {
        int rc = ls_sysout_sock_drain_input(s->fd);
        if (rc < 0) {
            conn_lost(s, -rc);
            return;
        }
        if (rc == 1) {
            peer_closed(s);
            return;
        }
    }
    if (events & LS_WATCH_WRITE) {
        if (s->state == SYSOUT_CONNECTED) {
            ls_sysout_conn_pump(s);
        } else if (s->state == SYSOUT_CLOSING) {
            closing_progress(s);
        }
    }
}

static void on_fd(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    (void)w;
    (void)fd;
    handle(arg, events);
}

static void on_timer(struct ls_timer *timer, void *arg)
{
    struct sysout *s = arg;
    char t[32];

    (void)timer;
    switch (s->state) {
    case SYSOUT_WAIT:
        connect_now(s);
        break;
    case SYSOUT_CONNECTING:
        close_socket(s, 0);
        connect_failed(s, "timed out");
        break;
    case SYSOUT_CLOSING:
        fmt_duration(t, sizeof t, s->conf->close_timeout);
        ls_log(s->ins, LS_LOG_WARN,
               "%s did not acknowledge what was written within close_timeout (%s)", s->target, t);
        conn_lost(s, ETIMEDOUT);
        break;
    case SYSOUT_CONNECTED:
        ls_sysout_conn_pump(s); /* datagrams after ENOBUFS */
        break;
    default:
        break;
    }
}

static void on_ack_timer(struct ls_timer *t, void *arg)
{
    struct sysout *s = arg;

    (void)t;
    if (s->state == SYSOUT_CONNECTED) {
        ack_poll(s, 0);
        if (ls_sysout_ledger_inflight(&s->ledger) > 0) {
            arm(s->ack_timer, ACK_POLL_NS);
        }
    } else if (s->state == SYSOUT_CLOSING) {
        closing_progress(s);
    }
}

int ls_sysout_conn_start(struct sysout *s)
{
    s->timer = ls_timer_new(s->ins, on_timer, s);
    s->ack_timer = ls_timer_new(s->ins, on_ack_timer, s);
    if (!s->timer || !s->ack_timer) {
        ls_log(s->ins, LS_LOG_ERROR, "cannot create timers");
        return LS_ERROR;
    }
    connect_now(s);
    return LS_OK;
}

/* ---- stop ----------------------------------------------------------------------------------- */

static void sleep_ns(int64_t ns)
{
    poll(NULL, 0, (int)(ns / 1000000) + 1);
}

/* One step of the blocking drain: wait at most `left` ns for the socket, then act. */
static void drain_step(struct sysout *s, int64_t left)
{
    struct pollfd p = {.fd = -1};
    int64_t wait = left < CLOSING_POLL_NS ? left : CLOSING_POLL_NS;
    const char *unused;
    unsigned events = 0;

    switch (s->state) {
    case SYSOUT_IDLE:
    case SYSOUT_WAIT:
        connect_now(s);
        if (s->state == SYSOUT_WAIT) {
            sleep_ns(left < DRAIN_RETRY_NS ? left : DRAIN_RETRY_NS);
        }
        return;
    case SYSOUT_CONNECTING:
        p.events = POLLOUT;
        break;
    case SYSOUT_CONNECTED:
        if (ls_sysout_ledger_unsent(&s->ledger, &unused) == 0) {
            if (s->stream) {
                start_closing(s); /* our own close: the same path as the peer's */
            }
            return;
        }
        ls_sysout_conn_pump(s);
        p.events = POLLOUT | (s->stream ? POLLIN : 0);
        break;
    case SYSOUT_CLOSING:
        closing_progress(s);
        if (s->state == SYSOUT_CLOSING) {
            sleep_ns(wait);
        }
        return;
    default:
        return;
    }
    if (s->fd < 0) {
        return; /* the connection failed meanwhile */
    }
    p.fd = s->fd;
    if (poll(&p, 1, (int)(wait / 1000000) + 1) <= 0) {
        return;
    }
    if (p.revents & (POLLOUT | POLLERR | POLLHUP)) {
        events |= LS_WATCH_WRITE;
    }
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
        events |= LS_WATCH_READ;
    }
    handle(s, events);
}

size_t ls_sysout_conn_drain(struct sysout *s, int64_t deadline)
{
    size_t held;

    s->stopping = 1;
    cancel(s->timer);
    cancel(s->ack_timer);
    while (ls_sysout_ledger_records(&s->ledger) > 0) {
        int64_t left = deadline - ls_sysout_mono_now();
        if (left <= 0) {
            break;
        }
        drain_step(s, left);
    }
    held = ls_sysout_ledger_records(&s->ledger);
    ls_sysout_conn_close(s);
    ls_sysout_release_held(s);
    return held;
}

void ls_sysout_conn_close(struct sysout *s)
{
    ls_watch_free(s->watch);
    s->watch = NULL;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    ls_timer_free(s->timer);
    s->timer = NULL;
    ls_timer_free(s->ack_timer);
    s->ack_timer = NULL;
    s->state = SYSOUT_IDLE;
}
