/*
 * unix.h - private to the `unix` input: its configuration, its per-instance state, and the
 * functions its files share. unix.c owns the lifecycle, sockfile.c the socket file on disk,
 * dgram.c the datagram reader, stream.c the stream listener and its connections.
 *
 * Every function runs on the instance thread except those named for init/fini.
 */
#ifndef LS_UNIX_H
#define LS_UNIX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <logstream/plugin.h>

#include "framer.h"
#include "net.h"

enum unix_mode { UNIX_MODE_DGRAM = 0, UNIX_MODE_STREAM = 1 };
enum unix_on_full { UNIX_ON_FULL_DROP = 0, UNIX_ON_FULL_BLOCK = 1 };

struct unix_conf {
    char *path;
    int mode; /* enum unix_mode */
    char *socket_mode;
    char *owner;
    char *group;
    uint64_t rcvbuf;
    uint64_t max_message;
    int use_pid_from_credentials;
    int on_full; /* enum unix_on_full (datagram mode) */
    int framing; /* enum ls_framing (stream mode) */
    int64_t max_connections;
};

/* The socket file this instance created (not one adopted from systemd). */
struct unix_sockfile {
    int created;
    dev_t dev;
    ino_t ino;
};

struct unix_conn;

struct unix_state {
    struct ls_instance *ins;
    const struct unix_conf *conf;
    mode_t file_mode;
    uid_t uid; /* (uid_t)-1: leave as created */
    gid_t gid; /* (gid_t)-1: leave as created */
    int fd;
    int adopted; /* fd came from systemd: never unlink or chmod its path */
    struct ls_watch *watch;
    struct unix_sockfile file;
    char *scratch; /* max_message + LS_UNIX_PID_GROW bytes for the pid rewrite */

    /* datagram mode */
    struct ls_dgram_batch batch; /* max_message bytes a slot; no sender addresses */

    /* stream mode */
    struct unix_conn *conns;
    int64_t nconns;
    char *rbuf;
    int64_t refused_warned_at;
    uint64_t refused_quiet;

    struct ls_counter *truncated, *accepted, *refused, *framing_errors, *pid_skipped;
};

/* Room for one SCM_CREDENTIALS control message. */
#define UNIX_CMSG_SIZE 64

/* Trusted credentials of a sender; -1 when unknown. */
struct unix_cred {
    int64_t pid, uid, gid;
};

/* sockfile.c */

/* Create the listening socket of `type` at conf->path: replace a stale socket file, refuse a
 * live one or a path that is not a socket, bind with the file never more permissive than
 * st->file_mode, then set that mode and the owner/group. Returns the fd (non-blocking,
 * close-on-exec) or -1 after logging why. */
int unix_sockfile_open(struct unix_state *st, int type);
/* Remove the socket file if it is still the one unix_sockfile_open() created. */
void unix_sockfile_remove(struct unix_state *st);
/* init (main thread): parse socket_mode, resolve owner and group. Logs and returns
 * LS_EINVAL on a bad value. */
int unix_sockfile_conf(struct unix_state *st);

/* unix.c: append one message (already trimmed) with the sender's credentials. */
void unix_emit(struct unix_state *st, const char *msg, size_t len, int truncated,
               const struct unix_cred *cred, int64_t received);

/* dgram.c */
int unix_dgram_start(struct unix_state *st);
/* Read what is queued (bounded), so datagrams sent before the stop are not lost. */
void unix_dgram_drain(struct unix_state *st);
void unix_dgram_release(struct unix_state *st);

/* stream.c */
int unix_stream_start(struct unix_state *st);
/* Read what every connection has buffered, emit partial messages, close them all. */
void unix_stream_stop(struct unix_state *st);
/* fini: close and free what is left without touching watches (the core frees those). */
void unix_stream_release(struct unix_state *st);

#endif /* LS_UNIX_H */
