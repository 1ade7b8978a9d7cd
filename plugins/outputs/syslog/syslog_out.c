/*
 * syslog_out.c - the `syslog` output: forward records as RFC 5424 or RFC 3164 messages over
 * udp, tcp, or a unix socket (datagram or stream, e.g. another daemon's /dev/log).
 *
 * write() formats the whole batch at once into the ledger (ledger.h) and writes what the socket
 * takes. If all of it went out the batch is done (0); otherwise the output answers LS_PENDING
 * and the connection (conn.c) finishes it with ls_output_done() once its last byte is written,
 * so the output thread never blocks and, while the receiver is away or slow, the core's queue
 * holds and backpressure reaches the inputs. On stream transports written records stay in the
 * ledger until the peer's kernel acknowledged them, so a lost connection sends again exactly
 * what may not have arrived (README.md, docs/delivery.md).
 *
 * init checks the options without side effects (it also runs for --check); start connects
 * (a receiver that is not there yet is not an error: the output retries); stop delivers what
 * is held, bounded by close_timeout.
 */
#define _GNU_SOURCE

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <logstream/plugin.h>

#include "sysout.h"

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define SEC 1000000000LL

#define MAX_MESSAGE_DGRAM  (8 * KIB)
#define MAX_MESSAGE_STREAM (64 * KIB)
#define MAX_MESSAGE_MIN    64

static const char *const transport_values[] = {"udp", "tcp", "unix_dgram", "unix_stream", NULL};
static const char *const format_values[] = {"rfc5424", "rfc3164", NULL};
static const char *const framing_values[] = {"auto", "octet_counted", "newline", NULL};
/* Indexed by the syslog numbers: facility 0..23, severity 0..7. */
static const char *const facility_values[] = {
    "kern",    "user",         "mail",   "daemon",   "auth",   "syslog", "lpr",
    "news",    "uucp",         "cron",   "authpriv", "ftp",    "ntp",    "security",
    "console", "solaris-cron", "local0", "local1",   "local2", "local3", "local4",
    "local5",  "local6",       "local7", NULL};
static const char *const severity_values[] = {"emerg",  "alert", "crit",  "err", "warning",
                                              "notice", "info",  "debug", NULL};

static const struct ls_option sysout_options[] = {
    {.name = "address",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct sysout_conf, address),
     .doc = "udp and tcp: the receiver, host:port or [v6]:port"},
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct sysout_conf, path),
     .doc = "unix_dgram and unix_stream: the receiver's socket, e.g. /dev/log"},
    {.name = "transport",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct sysout_conf, transport),
     .def = "tcp",
     .enum_values = transport_values,
     .doc = "how to reach the receiver"},
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct sysout_conf, format),
     .def = "rfc5424",
     .enum_values = format_values,
     .doc = "rfc5424 (structured data from sd.<id>.<param> fields) or rfc3164 (BSD syslog)"},
    {.name = "framing",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct sysout_conf, framing),
     .def = "auto",
     .enum_values = framing_values,
     .doc = "stream transports: octet_counted (\"LEN MSG\") or newline; auto = octet_counted "
            "for rfc5424, newline for rfc3164"},
    {.name = "hostname",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct sysout_conf, hostname),
     .doc = "HOSTNAME written for every record (default: the record's host, else this "
            "machine's name)"},
    {.name = "app",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct sysout_conf, app),
     .doc = "APP-NAME / TAG written for every record (default: the record's app)"},
    {.name = "facility",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct sysout_conf, facility),
     .def = "user",
     .enum_values = facility_values,
     .doc = "facility of records that have none"},
    {.name = "severity",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct sysout_conf, severity),
     .def = "notice",
     .enum_values = severity_values,
     .doc = "severity of records that have none"},
    {.name = "max_message",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct sysout_conf, max_message),
     .def = "0",
     .min = 0,
     .max = 16 * MIB,
     .doc = "longest message (frame excluded), longer ones are cut and counted; 0 = 8KiB for "
            "datagrams, 64KiB for streams"},
    {.name = "connect_timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct sysout_conf, connect_timeout),
     .def = "5s",
     .min = 1000000,
     .max = 3600 * SEC,
     .doc = "give up a connect attempt after this long (then retry with backoff)"},
    {.name = "close_timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct sysout_conf, close_timeout),
     .def = "5s",
     .min = 1000000,
     .max = 3600 * SEC,
     .doc = "how long a closing connection (at stop, or closed by the peer) waits for the "
            "peer to acknowledge what was written"},
    {.name = "backoff_max",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct sysout_conf, backoff_max),
     .def = "30s",
     .min = 100000000,
     .max = 24 * 3600 * SEC,
     .doc = "longest wait between reconnect attempts (the wait doubles from 100ms, jittered)"},
    {.name = "send_buffer",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct sysout_conf, send_buffer),
     .def = "0",
     .min = 0,
     .max = 256 * MIB,
     .doc = "socket send buffer (SO_SNDBUF); 0 = the system default"},
    {.name = NULL},
};

/* ---- init checks ------------------------------------------------------------------------ */

static int is_unix(int transport)
{
    return transport == SYSOUT_UNIX_DGRAM || transport == SYSOUT_UNIX_STREAM;
}

static int check_target(struct ls_instance *ins, const struct sysout_conf *c)
{
    const char *t = transport_values[c->transport];

    if (is_unix(c->transport)) {
        if (c->address) {
            ls_log(ins, LS_LOG_ERROR,
                   "option 'address' does not apply to transport %s: set 'path' instead", t);
            return LS_EINVAL;
        }
        if (!c->path || !c->path[0]) {
            ls_log(ins, LS_LOG_ERROR, "option 'path' is required with transport %s", t);
            return LS_EINVAL;
        }
        if (strlen(c->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            ls_log(ins, LS_LOG_ERROR,
                   "option 'path': %s is too long for a unix socket (%zu bytes, at most %zu)",
                   c->path, strlen(c->path), sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
            return LS_EINVAL;
        }
        return LS_OK;
    }
    if (c->path) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'path' does not apply to transport %s: set 'address' instead", t);
        return LS_EINVAL;
    }
    if (!c->address) {
        ls_log(ins, LS_LOG_ERROR, "option 'address' is required with transport %s", t);
        return LS_EINVAL;
    }
    if (c->address[0] == ':' || c->address[0] == '*') {
        ls_log(ins, LS_LOG_ERROR, "option 'address': %s names no host to send to", c->address);
        return LS_EINVAL;
    }
    return LS_OK;
}

/* A HOSTNAME or APP-NAME override: printable US-ASCII without spaces, as RFC 5424 requires. */
static int check_name(struct ls_instance *ins, const char *opt, const char *v, size_t max)
{
    size_t len;

    if (!v) {
        return LS_OK;
    }
    len = strlen(v);
    if (len == 0 || len > max) {
        ls_log(ins, LS_LOG_ERROR, "option '%s': expected 1 to %zu characters, got %zu", opt, max,
               len);
        return LS_EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        if (v[i] < 33 || v[i] > 126) {
            ls_log(ins, LS_LOG_ERROR,
                   "option '%s': \"%s\" has a space or a character outside printable ASCII", opt,
                   v);
            return LS_EINVAL;
        }
    }
    return LS_OK;
}

static int check_options(struct ls_instance *ins, const struct sysout_conf *c)
{
    if (check_target(ins, c) < 0 || check_name(ins, "hostname", c->hostname, 255) < 0 ||
        check_name(ins, "app", c->app, 48) < 0) {
        return LS_EINVAL;
    }
    if (c->framing != SYSOUT_FRAMING_AUTO &&
        (c->transport == SYSOUT_UDP || c->transport == SYSOUT_UNIX_DGRAM)) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'framing' applies to stream transports only (tcp, unix_stream), not %s",
               transport_values[c->transport]);
        return LS_EINVAL;
    }
    if (c->max_message != 0 && c->max_message < MAX_MESSAGE_MIN) {
        ls_log(ins, LS_LOG_ERROR,
               "option 'max_message': expected 0 (automatic) or at least %d bytes, got %llu",
               MAX_MESSAGE_MIN, (unsigned long long)c->max_message);
        return LS_EINVAL;
    }
    return LS_OK;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static void setup_framer(struct sysout *s)
{
    const struct sysout_conf *c = s->conf;
    struct ls_sysout_framer *f = &s->framer;

    f->format = c->format;
    if (!s->stream) {
        f->framing = LS_SYSOUT_FRAME_NONE;
    } else if (c->framing == SYSOUT_FRAMING_NEWLINE ||
               (c->framing == SYSOUT_FRAMING_AUTO && c->format == LS_SYSOUT_RFC3164)) {
        f->framing = LS_SYSOUT_FRAME_NEWLINE;
    } else {
        f->framing = LS_SYSOUT_FRAME_OCTET;
    }
    f->max_message = c->max_message ? (size_t)c->max_message
                     : s->stream    ? (size_t)MAX_MESSAGE_STREAM
                                    : (size_t)MAX_MESSAGE_DGRAM;
    f->host = c->hostname;
    f->opts.host = s->localhost;
    f->opts.app = c->app;
    f->opts.default_facility = c->facility;
    f->opts.default_severity = c->severity;
}

static int sysout_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct sysout_conf *c = conf;
    struct sysout *s;

    if (check_options(ins, c) < 0) {
        return LS_EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "logstream: syslog: out of memory allocating %zu bytes\n", sizeof *s);
        abort();
    }
    s->ins = ins;
    s->conf = c;
    s->fd = -1;
    s->transport = c->transport;
    s->stream = c->transport == SYSOUT_TCP || c->transport == SYSOUT_UNIX_STREAM;
    snprintf(s->target, sizeof s->target, "%s %s", transport_values[c->transport],
             is_unix(c->transport) ? c->path : c->address);
    if (gethostname(s->localhost, sizeof s->localhost - 1) < 0 || !s->localhost[0]) {
        snprintf(s->localhost, sizeof s->localhost, "localhost");
    }
    s->rng = (uint64_t)ls_now() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    setup_framer(s);
    ls_sysout_ledger_init(&s->ledger);
    s->c_records = ls_counter_new(ins, "records_sent", "records written to the receiver");
    s->c_bytes = ls_counter_new(ins, "bytes_sent",
                                "bytes written to the receiver, frames and re-sends included");
    s->c_reconnects = ls_counter_new(ins, "reconnects", "connections made after the first");
    s->c_retried = ls_counter_new(
        ins, "retried_records",
        "records written again after a lost connection: the peer had not acknowledged them");
    s->c_truncated = ls_counter_new(ins, "truncated_records", "messages cut at max_message");
    s->c_connect_failures = ls_counter_new(ins, "connect_failures", "failed connect attempts");
    s->c_refused = ls_counter_new(ins, "port_unreachable",
                                  "udp: ICMP port unreachable reports for sent datagrams");
    *state = s;
    return LS_OK;
}

static int sysout_start(struct ls_instance *ins, void *state)
{
    (void)ins;
    return ls_sysout_conn_start(state);
}

/* ---- writing ------------------------------------------------------------------------------ */

static int sysout_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    struct sysout *s = state;
    size_t count = ls_batch_count(b);
    uint64_t truncated = 0;

    (void)ins;
    if (count == 0) {
        return LS_OK;
    }
    for (size_t i = 0; i < count; i++) {
        struct ls_fmt_buf *buf = ls_sysout_ledger_buf(&s->ledger);
        truncated += (uint64_t)ls_sysout_frame(&s->framer, buf, ls_batch_record(b, i));
        ls_sysout_ledger_commit(&s->ledger);
    }
    ls_counter_add(s->c_truncated, truncated);
    s->cur = b;
    s->cur_count = count;
    s->cur_end = s->ledger.end;
    s->cur_pending = 0;
    ls_sysout_conn_pump(s);
    if (!s->cur) {
        return LS_OK;
    }
    s->cur_pending = 1;
    return LS_PENDING;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void sysout_stop(struct ls_instance *ins, void *state)
{
    struct sysout *s = state;
    size_t held = ls_sysout_ledger_records(&s->ledger);
    size_t left;

    if (held > 0) {
        ls_log(ins, LS_LOG_DEBUG, "stopping: delivering %zu records to %s", held, s->target);
    }
    left = ls_sysout_conn_drain(s, ls_sysout_mono_now() + s->conf->close_timeout);
    if (left > 0) {
        ls_log(ins, LS_LOG_ERROR,
               "stopped with %zu records %s did not acknowledge within close_timeout; they are "
               "lost unless it received them",
               left, s->target);
        ls_count_drop(ins, "not_acknowledged", left);
    }
}

/* Main thread. If stop never ran, close what is left without touching the watch and timers
 * (the core frees those). */
static void sysout_fini(struct ls_instance *ins, void *state)
{
    struct sysout *s = state;

    (void)ins;
    if (!s) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    ls_sysout_release_held(s);
    ls_sysout_framer_release(&s->framer);
    ls_sysout_ledger_release(&s->ledger);
    free(s);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "syslog",
                 .summary = "Forward records as RFC 5424 / RFC 3164 syslog over udp, tcp or a "
                            "unix socket",
                 .options = sysout_options, .config_size = sizeof(struct sysout_conf),
                 .init = sysout_init, .start = sysout_start, .stop = sysout_stop,
                 .fini = sysout_fini, .write = sysout_write);
