/*
 * unix.c - the `unix` input: log messages over a unix domain socket, datagram (like /dev/log,
 * dgram.c) or stream (stream.c). This file holds the options, the record each message becomes
 * (unix_emit), and the lifecycle; sockfile.c creates and removes the socket file.
 *
 * Every record carries peer "unix" and the sender's pid/uid/gid as the kernel reports them
 * (SCM_CREDENTIALS per datagram, SO_PEERCRED per connection). With use_pid_from_credentials
 * the pid in the message's syslog header is replaced by the kernel's before any parser runs
 * (unix_msg.c), so a sender cannot claim another process's pid.
 *
 * When the daemon was started by systemd with a socket of the same type bound to `path`, that
 * socket is adopted (plugins/common/sdsock.h) instead of binding: its file belongs to systemd
 * and is neither changed nor removed.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <logstream/plugin.h>

#include "sdsock.h"
#include "unix.h"
#include "unix_msg.h"

static const char *const mode_words[] = {"dgram", "stream", NULL};
static const char *const on_full_words[] = {"drop", "block", NULL};
static const char *const framing_words[] = LS_FRAMING_WORDS;

static const struct ls_option unix_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct unix_conf, path),
     .required = 1,
     .doc = "socket file to listen on, e.g. /dev/log or /run/systemd/journal/syslog; @name: "
            "abstract namespace"},
    {.name = "mode",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct unix_conf, mode),
     .def = "dgram",
     .enum_values = mode_words,
     .doc = "dgram: one message per datagram, like /dev/log; stream: a connection per sender"},
    {.name = "socket_mode",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct unix_conf, socket_mode),
     .def = "0666",
     .doc = "permissions of the socket file (octal); 0666 lets every local user log, as "
            "/dev/log must"},
    {.name = "owner",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct unix_conf, owner),
     .doc = "user (name or uid) owning the socket file; default: the daemon's"},
    {.name = "group",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct unix_conf, group),
     .doc = "group (name or gid) of the socket file; default: the daemon's"},
    {.name = "rcvbuf",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct unix_conf, rcvbuf),
     .def = "8MiB",
     .min = 0,
     .max = 1024LL * 1024 * 1024,
     .doc = "dgram: SO_RCVBUF of the socket (forced past net.core.rmem_max when allowed); 0 = "
            "the kernel's default"},
    {.name = "max_message",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct unix_conf, max_message),
     .def = "64KiB",
     .min = 16,
     .max = 16LL * 1024 * 1024,
     .doc = "longest message kept whole; longer ones are cut here and flagged truncated"},
    {.name = "use_pid_from_credentials",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct unix_conf, use_pid_from_credentials),
     .def = "false",
     .doc = "replace the pid a syslog header claims with the sender's pid from the kernel"},
    {.name = "on_queue_full",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct unix_conf, on_full),
     .def = "drop",
     .enum_values = on_full_words,
     .doc = "dgram, while a queue this input feeds is full: drop (and count) datagrams, or block "
            "the senders as rsyslog does"},
    {.name = "framing",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct unix_conf, framing),
     .def = "auto",
     .enum_values = framing_words,
     .doc = "stream: newline (or NUL) delimited, RFC 6587 octet_counted, or auto per connection"},
    {.name = "max_connections",
     .type = LS_OPT_INT,
     .offset = offsetof(struct unix_conf, max_connections),
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .doc = "stream: connections open at once; further ones are accepted and closed at once"},
    {.name = NULL},
};

void unix_emit(struct unix_state *st, const char *msg, size_t len, int truncated,
               const struct unix_cred *cred, int64_t received)
{
    struct ls_unix_rewrite rw;
    struct ls_record *r;
    int rewritten = 0;

    if (st->conf->use_pid_from_credentials && cred->pid > 0) {
        rewritten = ls_unix_pid_rewrite(msg, len, cred->pid, st->scratch, &rw);
        if (rewritten) {
            msg = st->scratch;
            len = rw.len;
        } else {
            ls_counter_add(st->pid_skipped, 1);
        }
    }
    r = ls_input_append(st->ins, msg, len, "unix", received);
    if (!r) {
        return;
    }
    r->pid = cred->pid;
    r->uid = cred->uid;
    r->gid = cred->gid;
    if (rewritten) {
        r->procid = (struct ls_slice){r->raw.ptr + rw.pid_off, rw.pid_len};
    }
    if (truncated) {
        r->flags |= LS_REC_TRUNCATED;
        ls_counter_add(st->truncated, 1);
    }
}

static int unix_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct unix_state *st = calloc(1, sizeof *st);
    const struct unix_conf *c = conf;

    if (!st) {
        fprintf(stderr, "logstream: unix: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    st->ins = ins;
    st->conf = c;
    st->fd = -1;
    if (unix_sockfile_conf(st) < 0) {
        free(st); /* whether or not the core calls fini after a failed init */
        return LS_EINVAL;
    }
    *state = st;
    st->truncated = ls_counter_new(ins, "truncated_messages",
                                   "messages cut at max_message and flagged truncated");
    if (c->use_pid_from_credentials) {
        st->pid_skipped =
            ls_counter_new(ins, "pid_rewrite_skipped",
                           "messages whose header has no syslog tag to put the trusted pid in");
    }
    if (c->mode == UNIX_MODE_STREAM) {
        st->accepted = ls_counter_new(ins, "connections_accepted", "connections accepted");
        st->refused = ls_counter_new(ins, "refused_connections",
                                     "connections closed at once: max_connections reached");
        st->framing_errors = ls_counter_new(
            ins, "framing_errors", "connections closed on a malformed octet-counted frame");
    }
    return LS_OK;
}

/* SO_RCVBUFFORCE passes net.core.rmem_max when the daemon may (CAP_NET_ADMIN). */
static void set_rcvbuf(struct unix_state *st)
{
    uint64_t want = st->conf->rcvbuf;
    int v = (int)want, got = 0;
    socklen_t len = sizeof got;

    if (want == 0) {
        return;
    }
    if (setsockopt(st->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0 &&
        setsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) < 0) {
        ls_log(st->ins, LS_LOG_WARN, "socket %s: SO_RCVBUF %d: %s", st->conf->path, v,
               strerror(errno));
        return;
    }
    /* the kernel reports twice what it granted (bookkeeping overhead) */
    if (getsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && (uint64_t)got / 2 < want) {
        ls_log(st->ins, LS_LOG_INFO,
               "socket %s: receive buffer is %d bytes, not %llu (net.core.rmem_max)",
               st->conf->path, got / 2, (unsigned long long)want);
    }
}

/* The socket systemd passed for this path, or one of our own. */
static int open_socket(struct unix_state *st, int type)
{
    int fd = ls_sd_adopt_unix(type, st->conf->path);

    if (fd < 0 && errno != ENOENT) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: cannot take the socket systemd passed: %s",
               st->conf->path, strerror(errno));
        return -1;
    }
    if (fd < 0) {
        return unix_sockfile_open(st, type);
    }
    st->adopted = 1;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", st->conf->path, strerror(errno));
        close(fd);
        return -1;
    }
    ls_log(st->ins, LS_LOG_INFO, "adopted socket from systemd for %s", st->conf->path);
    return fd;
}

static int unix_start(struct ls_instance *ins, void *state)
{
    struct unix_state *st = state;
    int stream = st->conf->mode == UNIX_MODE_STREAM;
    int rc;

    st->scratch = malloc((size_t)st->conf->max_message + LS_UNIX_PID_GROW);
    if (!st->scratch) {
        fprintf(stderr, "logstream: unix: out of memory allocating %llu bytes\n",
                (unsigned long long)st->conf->max_message + LS_UNIX_PID_GROW);
        abort();
    }
    st->fd = open_socket(st, stream ? SOCK_STREAM : SOCK_DGRAM);
    if (st->fd < 0) {
        return LS_ERROR;
    }
    if (!stream) {
        set_rcvbuf(st);
    }
    rc = stream ? unix_stream_start(st) : unix_dgram_start(st);
    if (rc < 0) {
        return rc; /* fini closes and removes what start made */
    }
    ls_log(ins, LS_LOG_INFO, "listening on %s (%s)", st->conf->path, stream ? "stream" : "dgram");
    return LS_OK;
}

static void unix_stop(struct ls_instance *ins, void *state)
{
    struct unix_state *st = state;

    (void)ins;
    ls_watch_free(st->watch);
    st->watch = NULL;
    if (st->fd >= 0) {
        /* New datagrams now fail with EPIPE at the sender instead of being lost unread. */
        if (st->conf->mode == UNIX_MODE_DGRAM && !st->adopted) {
            shutdown(st->fd, SHUT_RD);
        }
        unix_dgram_drain(st);
        close(st->fd);
        st->fd = -1;
    }
    unix_sockfile_remove(st);
    unix_stream_stop(st);
}

/* Main thread. After a normal stop nothing is open; if stop never ran, close what is left
 * without touching watches and timers (the core frees those). */
static void unix_fini(struct ls_instance *ins, void *state)
{
    struct unix_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    if (st->fd >= 0) {
        close(st->fd);
    }
    unix_sockfile_remove(st);
    unix_stream_release(st);
    unix_dgram_release(st);
    free(st->scratch);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "unix",
                 .summary = "Receive log messages on a unix socket, datagram (/dev/log) or stream",
                 .options = unix_options, .config_size = sizeof(struct unix_conf),
                 .init = unix_init, .start = unix_start, .stop = unix_stop, .fini = unix_fini);
