/*
 * sysout.h - private to the syslog output: its config, its per-instance state, and the calls
 * between its files.
 *
 *   syslog_out.c  options, init checks, write (format a batch into the ledger), stop, fini
 *   conn.c        the connection state machine on the instance's loop; stream writes; acks
 *   dgram.c       datagram writes (udp, unix_dgram): sendmmsg, EMSGSIZE
 *   sock.c        name resolution, sockets, SIOCOUTQ
 *   frame.c, ledger.c, backoff.c  pure parts (unit-tested)
 *
 * Everything runs on the output's thread except init/fini (main thread, instance not running).
 * The state owns its socket, watch and timers; the ledger owns every formatted byte. A batch
 * in flight (cur) is the core's: the plugin formats it at once and keeps its pointer to call
 * ls_output_done(). On stream transports a batch that was written but whose records the peer
 * has not all acknowledged yet is `held`: the plugin takes a reference (ls_batch_ref) and drops
 * it once the last of its records is acknowledged, so that inputs that resume from a position
 * (delivery acknowledgement, ABI 1.1) see the batch finished only then.
 */
#ifndef LS_SYSOUT_H
#define LS_SYSOUT_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

#include "frame.h"
#include "ledger.h"

enum sysout_transport {
    SYSOUT_UDP = 0,
    SYSOUT_TCP = 1,
    SYSOUT_UNIX_DGRAM = 2,
    SYSOUT_UNIX_STREAM = 3,
};

enum sysout_framing_opt {
    SYSOUT_FRAMING_AUTO = 0,
    SYSOUT_FRAMING_OCTET = 1,
    SYSOUT_FRAMING_NEWLINE = 2,
};

enum sysout_state {
    SYSOUT_IDLE,       /* no socket; not started or stopped */
    SYSOUT_WAIT,       /* no socket; the timer starts the next connect (backoff) */
    SYSOUT_CONNECTING, /* non-blocking connect in progress; the timer is its timeout */
    SYSOUT_CONNECTED,
    SYSOUT_CLOSING, /* the peer closed its side: finish the record being written, shut our
                     * side, wait for the peer to acknowledge; the timer is close_timeout */
};

struct sysout_conf {
    char *address;
    char *path;
    int transport; /* enum sysout_transport */
    int format;    /* enum ls_sysout_format */
    int framing;   /* enum sysout_framing_opt */
    char *hostname;
    char *app;
    int facility;         /* 0..23 */
    int severity;         /* 0..7 */
    uint64_t max_message; /* 0 = per transport */
    uint64_t send_buffer; /* 0 = system default */
    int64_t connect_timeout;
    int64_t close_timeout;
    int64_t backoff_max;
};

/* A written batch whose records are not all acknowledged: its last byte's ledger offset. */
struct sysout_held {
    struct ls_batch *b; /* a reference of the plugin's */
    uint64_t end;
};

struct sysout {
    struct ls_instance *ins;
    const struct sysout_conf *conf;
    int transport;
    int stream;       /* tcp or unix_stream */
    char target[320]; /* "tcp 127.0.0.1:514", "unix_dgram /dev/log": for log lines */
    char localhost[256];
    struct ls_sysout_framer framer;
    struct ls_sysout_ledger ledger;

    int state; /* enum sysout_state */
    int fd;
    struct ls_watch *watch;
    struct ls_timer *timer;     /* backoff, connect timeout, close timeout */
    struct ls_timer *ack_timer; /* polls SIOCOUTQ while written bytes are unacknowledged */
    int shut_wr;                /* shutdown(SHUT_WR) done on this connection */
    int64_t backoff;            /* ns, nominal delay of the last wait; 0 after progress */
    unsigned addr_next;         /* which resolved address the next connect tries */
    uint64_t rng;
    int failing;             /* a failure was logged; the next connect says "again" */
    uint64_t failures;       /* connect failures since the last connection */
    int ever_connected;      /* later connections count as reconnects */
    int stopping;            /* in stop: no reconnect timers, the drain loop drives */
    int64_t emsgsize_warned; /* monotonic ns of the last EMSGSIZE warning */
    int64_t refused_warned;  /* monotonic ns of the last port unreachable warning */

    struct ls_batch *cur; /* batch in flight: written up to cur_end when done */
    size_t cur_count;
    uint64_t cur_end;
    int cur_pending;          /* write answered LS_PENDING: finish with ls_output_done */
    struct sysout_held *held; /* FIFO: held[held_head, held_head + held_count) */
    size_t held_head, held_count, held_cap;

    struct ls_counter *c_records, *c_bytes, *c_reconnects, *c_retried, *c_truncated,
        *c_connect_failures, *c_refused;
};

/* ---- conn.c ---- */

/* Instance thread. Create the timers and start connecting. Returns 0 or LS_ERROR (logged). */
int ls_sysout_conn_start(struct sysout *s);
/* Write what the ledger holds unsent, if connected; finishes cur when all of it is written. */
void ls_sysout_conn_pump(struct sysout *s);
/* Blocking, for stop: deliver what is held until `deadline` (CLOCK_MONOTONIC ns), then close
 * the socket (without a reset: the kernel goes on sending what it has) and drop every held
 * batch. Returns the number of records that were still not acknowledged. */
size_t ls_sysout_conn_drain(struct sysout *s, int64_t deadline);
/* Close the socket and free the watch and timers (stop). */
void ls_sysout_conn_close(struct sysout *s);
/* Drop the references on every held batch, acknowledged or not (stop, fini). */
void ls_sysout_release_held(struct sysout *s);
/* Monotonic clock, ns. */
int64_t ls_sysout_mono_now(void);

/* ---- dgram.c ---- */

enum {
    LS_SYSOUT_DGRAM_DONE = 0,       /* nothing unsent */
    LS_SYSOUT_DGRAM_WAIT_WRITE = 1, /* the socket is full: wait until it is writable */
    LS_SYSOUT_DGRAM_WAIT_TIMER = 2, /* the kernel is short of buffers: wait a moment */
};
/* Send the unsent records, one datagram each. Returns one of the above, or a negative errno
 * when the socket must be reconnected. */
int ls_sysout_dgram_pump(struct sysout *s);

/* ---- sock.c ---- */

/* Open a non-blocking socket to the configured target and start connecting. Returns 0 when
 * connected, 1 while the connect is in progress (*fd is set either way), or -1 with `why`
 * filled (an errno text or a resolver message). */
int ls_sysout_sock_open(struct sysout *s, int *fd, char *why, size_t whylen);
/* The pending error of a socket (SO_ERROR), 0 if none. */
int ls_sysout_sock_error(int fd);
/* Bytes of this connection's stream the kernel holds unacknowledged (SIOCOUTQ): for TCP, sent
 * or not, not yet acknowledged by the peer's TCP (the FIN of shutdown(SHUT_WR) not counted);
 * for unix stream sockets, not yet read by the peer (an overestimate: buffer overhead
 * included). Returns 0 and sets *unacked, or -1 when the count cannot be trusted (the ioctl
 * failed; for unix sockets: `final` - the connection already failed - or an error pending,
 * as a peer that closes and discards what it had not read leaves). */
int ls_sysout_sock_unacked(const struct sysout *s, uint64_t *unacked, int final);
/* Read and discard what the peer sent. Returns 0 (nothing more now), 1 on end of stream,
 * or a negative errno. */
int ls_sysout_sock_drain_input(int fd);
/* 1 when the socket has an error pending (a unix stream peer closed with unread data). */
int ls_sysout_sock_has_error(int fd);

#endif /* LS_SYSOUT_H */
