/*
 * syslog.c - the `syslog` parser: RFC 5424 and RFC 3164 lines become records with time,
 * facility, severity, host, app, procid, msgid, message and structured-data fields.
 *
 * The logic is syslog_parse.c (pure, fuzzed, allocation-free) and tz.c (time zones, loaded
 * once here at init); this file is the option table and the glue that applies a result to a
 * record. Slices point into the record's own bytes: only field keys, SD values holding
 * escapes, and the local hostname (once per batch) are copied into the batch arena.
 *
 * A line that is not syslog passes untouched and unflagged; a line that starts like syslog
 * ("<" digit) but is malformed passes unchanged, flagged with ls_parse_error().
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <logstream/plugin.h>

#include "syslog_parse.h"
#include "tz.h"

#define MAX_PREFIX 64
#define KEY_SIZE   (MAX_PREFIX + 2 * LS_SYSLOG_MAX_SDNAME + 3)

/* Enum words and the value each stands for; "unknown" leaves the record's value alone. */
static const char *const facility_words[] = {
    "unknown",  "kern",    "user",         "mail",   "daemon",   "auth",   "syslog",
    "lpr",      "news",    "uucp",         "cron",   "authpriv", "ftp",    "ntp",
    "security", "console", "solaris-cron", "local0", "local1",   "local2", "local3",
    "local4",   "local5",  "local6",       "local7", NULL};

static const char *const severity_words[] = {
    "unknown", "emerg", "alert", "crit", "err",      "warning",   "notice",        "info",
    "debug",   "panic", "error", "warn", "critical", "emergency", "informational", NULL};
static const int severity_values[] = {LS_SEV_UNKNOWN, 0, 1, 2, 3, 4, 5, 6, 7, 0, 3, 4, 2, 0, 6};

struct syslog_conf {
    char *timezone;
    int default_facility; /* index into facility_words */
    int default_severity; /* index into severity_words */
    int keep_time_text;
    char *hostname;
    char *sd_prefix;
};

static const struct ls_option syslog_options[] = {
    {.name = "timezone",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct syslog_conf, timezone),
     .def = "local",
     .doc = "zone of timestamps without an offset (RFC 3164): local, UTC, an IANA name like "
            "Europe/Berlin or a POSIX TZ string"},
    {.name = "default_facility",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct syslog_conf, default_facility),
     .def = "unknown",
     .enum_values = facility_words,
     .doc = "facility of syslog lines without a PRI (kern, user, ..., local7; unknown: none)"},
    {.name = "default_severity",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct syslog_conf, default_severity),
     .def = "unknown",
     .enum_values = severity_words,
     .doc = "severity of syslog lines without a PRI (emerg, ..., debug; unknown: none)"},
    {.name = "keep_time_text",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct syslog_conf, keep_time_text),
     .def = "false",
     .doc = "also keep the timestamp as written, in the field time_text"},
    {.name = "hostname",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct syslog_conf, hostname),
     .doc = "host of RFC 3164 lines that name none (syslog(3), logger); default: this machine's "
            "name"},
    {.name = "sd_prefix",
     .type = LS_OPT_STRING,
     .offset = offsetof(struct syslog_conf, sd_prefix),
     .def = "sd",
     .doc = "structured data param P of element ID becomes the field <sd_prefix>.ID.P"},
    {.name = NULL},
};

struct syslog_state {
    struct ls_tz tz;
    struct ls_syslog_opts opts;
    int keep_time_text;
    char host[256];
    size_t host_len;
    char prefix[MAX_PREFIX + 2]; /* "sd." (with the dot), or "" */
    size_t prefix_len;
    struct ls_counter *n5424, *n3164;
};

static int state_setup(struct ls_instance *ins, const struct syslog_conf *c,
                       struct syslog_state *st)
{
    char err[512];
    const char *prefix = c->sd_prefix ? c->sd_prefix : "";

    if (ls_tz_load(&st->tz, c->timezone ? c->timezone : "local", err, sizeof err) < 0) {
        ls_log(ins, LS_LOG_ERROR, "option 'timezone': %s", err);
        return LS_EINVAL;
    }
    st->opts.tz = &st->tz;
    st->opts.default_facility = c->default_facility - 1; /* "unknown" is -1 */
    st->opts.default_severity = severity_values[c->default_severity];
    st->keep_time_text = c->keep_time_text;
    if (strlen(prefix) > MAX_PREFIX) {
        ls_log(ins, LS_LOG_ERROR, "option 'sd_prefix': longer than %d bytes", MAX_PREFIX);
        return LS_EINVAL;
    }
    st->prefix_len =
        (size_t)snprintf(st->prefix, sizeof st->prefix, "%s%s", prefix, *prefix ? "." : "");
    if (c->hostname) {
        if (strlen(c->hostname) >= sizeof st->host || !*c->hostname) {
            ls_log(ins, LS_LOG_ERROR, "option 'hostname': expected 1 to %zu bytes",
                   sizeof st->host - 1);
            return LS_EINVAL;
        }
        snprintf(st->host, sizeof st->host, "%s", c->hostname);
    } else if (gethostname(st->host, sizeof st->host - 1) < 0 || !st->host[0]) {
        snprintf(st->host, sizeof st->host, "localhost");
    }
    st->host_len = strlen(st->host);
    return LS_OK;
}

static int syslog_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct syslog_state *st = calloc(1, sizeof *st);

    if (!st) {
        fprintf(stderr, "logstream: syslog: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    if (state_setup(ins, conf, st) < 0) {
        ls_tz_release(&st->tz);
        free(st);
        return LS_EINVAL;
    }
    st->n5424 = ls_counter_new(ins, "rfc5424_records", "records parsed as RFC 5424");
    st->n3164 = ls_counter_new(ins, "rfc3164_records", "records parsed as RFC 3164");
    *state = st;
    return LS_OK;
}

/* One "<prefix>.<id>.<name>" string field per SD-PARAM; values point into the record unless
 * they hold escapes. Stops at the core's field cap. */
static void add_sd_fields(const struct syslog_state *st, struct ls_batch *b, struct ls_record *r,
                          struct ls_slice sd)
{
    struct ls_syslog_sd_iter it;
    struct ls_syslog_sd_param p;
    char key[KEY_SIZE];

    memcpy(key, st->prefix, st->prefix_len);
    ls_syslog_sd_begin(&it, sd);
    while (ls_syslog_sd_next(&it, &p)) {
        size_t klen = st->prefix_len;
        struct ls_field *f;

        memcpy(key + klen, p.id.ptr, p.id.len);
        klen += p.id.len;
        key[klen++] = '.';
        memcpy(key + klen, p.name.ptr, p.name.len);
        klen += p.name.len;
        f = ls_record_add_field(b, r, key, klen, LS_FIELD_STRING, NULL, 0);
        if (!f) {
            return;
        }
        if (p.escaped) {
            char *dst = ls_batch_alloc(b, p.value.len);
            f->v.s = (struct ls_slice){dst, ls_syslog_sd_unescape(p.value.ptr, p.value.len, dst)};
        } else {
            f->v.s = p.value;
        }
    }
}

static void apply(const struct syslog_state *st, struct ls_batch *b, struct ls_record *r,
                  const struct ls_syslog_result *res, struct ls_slice *local_host)
{
    if (res->has_pri || (res->facility != LS_FAC_UNKNOWN && r->facility == LS_FAC_UNKNOWN)) {
        r->facility = res->facility;
    }
    if (res->has_pri || (res->severity != LS_SEV_UNKNOWN && r->severity == LS_SEV_UNKNOWN)) {
        r->severity = res->severity;
    }
    if (res->has_time) {
        r->time = res->time;
    }
    if (res->host.ptr) {
        r->host = res->host;
    } else if (res->host_missing) {
        if (!local_host->ptr) {
            *local_host = ls_batch_strdup(b, st->host, st->host_len);
        }
        r->host = *local_host;
    }
    if (res->app.ptr) {
        r->app = res->app;
    }
    if (res->procid.ptr) {
        r->procid = res->procid;
    }
    if (res->msgid.ptr) {
        r->msgid = res->msgid;
    }
    r->message = res->message;
    if (res->has_seq) {
        struct ls_field *f = ls_record_add_field(b, r, "seq", 3, LS_FIELD_INT, NULL, 0);
        if (f) {
            f->v.i = res->seq;
        }
    }
    if (st->keep_time_text && res->time_text.ptr) {
        struct ls_field *f = ls_record_add_field(b, r, "time_text", 9, LS_FIELD_STRING, NULL, 0);
        if (f) {
            f->v.s = res->time_text;
        }
    }
    if (res->sd.ptr) {
        add_sd_fields(st, b, r, res->sd);
    }
}

static int syslog_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    struct syslog_state *st = state;
    struct ls_slice local_host = {NULL, 0};
    struct ls_syslog_result res;
    size_t n = ls_batch_count(b);
    uint64_t n5424 = 0, n3164 = 0;

    for (size_t i = first; i < n; i++) {
        struct ls_record *r = ls_batch_record(b, i);
        int rc = ls_syslog_parse(r->message.ptr, r->message.len, r->received, &st->opts, &res);

        if (rc == LS_SYSLOG_NONE) {
            continue;
        }
        if (rc == LS_SYSLOG_MALFORMED) {
            if (ls_log_enabled(LS_LOG_DEBUG)) {
                ls_log(ins, LS_LOG_DEBUG, "record from %.*s is not valid syslog: %s",
                       (int)r->peer.len, r->peer.ptr ? r->peer.ptr : "", res.error);
            }
            ls_parse_error(ins, b, r);
            continue;
        }
        n5424 += rc == LS_SYSLOG_5424;
        n3164 += rc == LS_SYSLOG_3164;
        apply(st, b, r, &res, &local_host);
    }
    if (st->n5424 && n5424) {
        ls_counter_add(st->n5424, n5424);
    }
    if (st->n3164 && n3164) {
        ls_counter_add(st->n3164, n3164);
    }
    return LS_OK;
}

static void syslog_fini(struct ls_instance *ins, void *state)
{
    struct syslog_state *st = state;

    (void)ins;
    if (st) {
        ls_tz_release(&st->tz);
        free(st);
    }
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = "syslog",
                 .summary = "Parse RFC 5424 and RFC 3164 syslog lines; other lines pass untouched",
                 .options = syslog_options, .config_size = sizeof(struct syslog_conf),
                 .init = syslog_init, .parse = syslog_parse, .fini = syslog_fini);
