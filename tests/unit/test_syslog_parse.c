/* test_syslog_parse.c - the syslog parser's logic (plugins/parsers/syslog/syslog_parse.c and
 * tz.c) on real-world lines: every case asserts every part of the result (format, facility,
 * severity, time, time text, host, app, procid, msgid, structured data, sequence number,
 * message). Also: year inference across the new year, DST-correct zones checked against
 * glibc, malformed and non-syslog lines, and (linked with --wrap=malloc/calloc/realloc) that
 * parsing allocates nothing. */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../plugins/parsers/syslog/syslog_parse.h"
#include "../../plugins/parsers/syslog/tz.h"

/* allocation counter `allocs` (the test links with -Wl,--wrap=malloc,...) */
#define PARSE_TEST_COUNT_ALLOCS
#include "../common/parse_test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

#define BOM "\xEF\xBB\xBF"

/* "2026-11-23T10:00:00Z" or with ".fffffffff" -> ns since the epoch (UTC). */
static int64_t ns_of(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    int64_t frac = 0, scale = 100000000;
    const char *p;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
        fail_msg("bad time literal %s", s);
    }
    p = s + n;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) {
            frac += (*p - '0') * scale;
        }
    }
    if (strcmp(p, "Z") != 0) {
        fail_msg("time literal %s must end in Z", s);
    }
    return (ls_tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000000LL +
           frac;
}

/* The received time of every table case: 2026-11-23T12:00:00Z. */
#define RECV "2026-11-23T12:00:00Z"

static void load_tz(struct ls_tz *tz, const char *name)
{
    char err[512];

    if (ls_tz_load(tz, name, err, sizeof err) < 0) {
        fail_msg("load time zone %s: %s", name, err);
    }
}

static void check_slice(const char *line, const char *what, struct ls_slice got, const char *want,
                        const char *base, size_t len)
{
    if (!want) {
        if (got.ptr || got.len) {
            fail_msg("%s: %s is \"%.*s\", want absent", line, what, (int)got.len, got.ptr);
        }
        return;
    }
    if (!got.ptr) {
        fail_msg("%s: %s absent, want \"%s\"", line, what, want);
    }
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0) {
        fail_msg("%s: %s is \"%.*s\", want \"%s\"", line, what, (int)got.len, got.ptr, want);
    }
    /* Every slice points into the line itself: nothing is copied. */
    if (got.ptr < base || got.ptr + got.len > base + len) {
        fail_msg("%s: %s does not point into the line", line, what);
    }
}

/* "id.name=value|..." with values decoded, or "" when sd is absent. */
static void sd_text(struct ls_slice sd, char *out, size_t size)
{
    struct ls_syslog_sd_iter it;
    struct ls_syslog_sd_param p;
    size_t n = 0;

    out[0] = '\0';
    ls_syslog_sd_begin(&it, sd);
    while (ls_syslog_sd_next(&it, &p)) {
        char val[512];
        size_t vlen = ls_syslog_sd_unescape(p.value.ptr, p.value.len, val);
        if (!p.escaped && (vlen != p.value.len || memcmp(val, p.value.ptr, vlen) != 0)) {
            fail_msg("param %.*s: not flagged escaped, but decoding changed it", (int)p.name.len,
                     p.name.ptr);
        }
        n += (size_t)snprintf(out + n, size - n, "%s%.*s.%.*s=%.*s", n ? "|" : "", (int)p.id.len,
                              p.id.ptr, (int)p.name.len, p.name.ptr, (int)vlen, val);
        assert_true(n < size);
    }
}

struct row {
    const char *line;
    const char *zone; /* NULL: UTC */
    int format;       /* LS_SYSLOG_* */
    int facility, severity;
    const char *time;      /* RFC 3339 UTC; NULL: no time */
    const char *time_text; /* NULL: absent */
    const char *host;
    int host_missing;
    const char *app, *procid, *msgid;
    const char *sd; /* "id.name=value|...", NULL: none */
    int has_seq;
    int64_t seq;
    const char *msg;
};

static void check_row(const struct row *t, int defaults_fac, int defaults_sev)
{
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, defaults_fac, defaults_sev};
    struct ls_syslog_result r;
    size_t len = strlen(t->line);
    char sd[2048];
    int rc;

    load_tz(&tz, t->zone ? t->zone : "UTC");
    rc = ls_syslog_parse(t->line, len, ns_of(RECV), &o, &r);
    if (rc != t->format) {
        fail_msg("%s: format %d, want %d (error: %s)", t->line, rc, t->format,
                 r.error ? r.error : "none");
    }
    if (r.facility != t->facility || r.severity != t->severity) {
        fail_msg("%s: facility/severity %d/%d, want %d/%d", t->line, r.facility, r.severity,
                 t->facility, t->severity);
    }
    if (t->time ? !r.has_time || r.time != ns_of(t->time) : r.has_time) {
        fail_msg("%s: time %lld (has %d), want %s", t->line, (long long)r.time, r.has_time,
                 t->time ? t->time : "none");
    }
    check_slice(t->line, "time_text", r.time_text, t->time_text, t->line, len);
    check_slice(t->line, "host", r.host, t->host, t->line, len);
    if (r.host_missing != t->host_missing) {
        fail_msg("%s: host_missing %d, want %d", t->line, r.host_missing, t->host_missing);
    }
    check_slice(t->line, "app", r.app, t->app, t->line, len);
    check_slice(t->line, "procid", r.procid, t->procid, t->line, len);
    check_slice(t->line, "msgid", r.msgid, t->msgid, t->line, len);
    sd_text(r.sd, sd, sizeof sd);
    if (strcmp(sd, t->sd ? t->sd : "") != 0 || (t->sd == NULL) != (r.sd.ptr == NULL)) {
        fail_msg("%s: sd \"%s\", want \"%s\"", t->line, sd, t->sd ? t->sd : "(none)");
    }
    if (r.has_seq != t->has_seq || r.seq != t->seq) {
        fail_msg("%s: seq %d/%lld, want %d/%lld", t->line, r.has_seq, (long long)r.seq, t->has_seq,
                 (long long)t->seq);
    }
    check_slice(t->line, "message", r.message, t->msg, t->line, len);
    assert_null(r.error);
    ls_tz_release(&tz);
}

/* ---- the table ------------------------------------------------------------------------------ */

#define F5424 LS_SYSLOG_5424
#define F3164 LS_SYSLOG_3164

static const struct row real_world[] = {
    /* RFC 5424 §6.5, example 1 (the BOM is real bytes here) */
    {.line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - " BOM
             "'su root' failed for lonvick on /dev/pts/8",
     .format = F5424,
     .facility = 4,
     .severity = 2,
     .time = "2003-10-11T22:14:15.003Z",
     .time_text = "2003-10-11T22:14:15.003Z",
     .host = "mymachine.example.com",
     .app = "su",
     .msgid = "ID47",
     .msg = "'su root' failed for lonvick on /dev/pts/8"},
    /* RFC 5424 example 2: microseconds and a negative offset, no BOM */
    {.line = "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to "
             "make the do-nuts.",
     .format = F5424,
     .facility = 20,
     .severity = 5,
     .time = "2003-08-24T12:14:15.000003Z",
     .time_text = "2003-08-24T05:14:15.000003-07:00",
     .host = "192.0.2.1",
     .app = "myproc",
     .procid = "8710",
     .msg = "%% It's time to make the do-nuts."},
    /* RFC 5424 example 3: structured data, then a BOM message */
    {.line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
             "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] " BOM
             "An application event log entry...",
     .format = F5424,
     .facility = 20,
     .severity = 5,
     .time = "2003-10-11T22:14:15.003Z",
     .time_text = "2003-10-11T22:14:15.003Z",
     .host = "mymachine.example.com",
     .app = "evntslog",
     .msgid = "ID47",
     .sd = "exampleSDID@32473.iut=3|exampleSDID@32473.eventSource=Application|"
           "exampleSDID@32473.eventID=1011",
     .msg = "An application event log entry..."},
    /* RFC 5424 example 4: two SD-ELEMENTs and no MSG */
    {.line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
             "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
             "[examplePriority@32473 class=\"high\"]",
     .format = F5424,
     .facility = 20,
     .severity = 5,
     .time = "2003-10-11T22:14:15.003Z",
     .time_text = "2003-10-11T22:14:15.003Z",
     .host = "mymachine.example.com",
     .app = "evntslog",
     .msgid = "ID47",
     .sd = "exampleSDID@32473.iut=3|exampleSDID@32473.eventSource=Application|"
           "exampleSDID@32473.eventID=1011|examplePriority@32473.class=high",
     .msg = ""},
    /* RFC 5424 §6.3.5: escapes in PARAM-VALUE; an unknown escape is kept as written */
    {.line = "<165>1 2026-11-23T10:00:00Z h app - - [ex@32473 q=\"He said \\\"hi\\\"\" "
             "p=\"C:\\\\temp\" b=\"[x\\]\" u=\"a\\nb\" e=\"\"] done",
     .format = F5424,
     .facility = 20,
     .severity = 5,
     .time = "2026-11-23T10:00:00Z",
     .time_text = "2026-11-23T10:00:00Z",
     .host = "h",
     .app = "app",
     .sd = "ex@32473.q=He said \"hi\"|ex@32473.p=C:\\temp|ex@32473.b=[x]|ex@32473.u=a\\nb|"
           "ex@32473.e=",
     .msg = "done"},
    /* util-linux logger --tcp --rfc5424 */
    {.line = "<156>1 2026-11-23T16:04:27.721008+00:00 vm myapp - - [timeQuality tzKnown=\"1\" "
             "isSynced=\"0\"] hello world",
     .format = F5424,
     .facility = 19,
     .severity = 4,
     .time = "2026-11-23T16:04:27.721008Z",
     .time_text = "2026-11-23T16:04:27.721008+00:00",
     .host = "vm",
     .app = "myapp",
     .sd = "timeQuality.tzKnown=1|timeQuality.isSynced=0",
     .msg = "hello world"},
    /* logger --rfc5424 --msgid --sd-id/--sd-param, procid given with --id */
    {.line = "<13>1 2026-11-23T10:00:00.000000+01:00 vm deploy 4242 ID7 [timeQuality tzKnown=\"1\" "
             "isSynced=\"1\" syncAccuracy=\"38500\"][build@32473 rev=\"a1b2\"] rolled out",
     .format = F5424,
     .facility = 1,
     .severity = 5,
     .time = "2026-11-23T09:00:00Z",
     .time_text = "2026-11-23T10:00:00.000000+01:00",
     .host = "vm",
     .app = "deploy",
     .procid = "4242",
     .msgid = "ID7",
     .sd = "timeQuality.tzKnown=1|timeQuality.isSynced=1|timeQuality.syncAccuracy=38500|"
           "build@32473.rev=a1b2",
     .msg = "rolled out"},
    /* rsyslog RSYSLOG_SyslogProtocol23Format forwarding a systemd line */
    {.line = "<30>1 2026-11-23T10:00:00.123456+01:00 web01 systemd 1 - - Started Daily apt "
             "download activities.",
     .format = F5424,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T09:00:00.123456Z",
     .time_text = "2026-11-23T10:00:00.123456+01:00",
     .host = "web01",
     .app = "systemd",
     .procid = "1",
     .msg = "Started Daily apt download activities."},
    /* Docker syslog log driver, rfc5424micro */
    {.line = "<30>1 2026-11-23T10:00:01.654321Z docker-host web-1 4711 web-1 - GET /health 200",
     .format = F5424,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T10:00:01.654321Z",
     .time_text = "2026-11-23T10:00:01.654321Z",
     .host = "docker-host",
     .app = "web-1",
     .procid = "4711",
     .msgid = "web-1",
     .msg = "GET /health 200"},
    /* every header field NILVALUE, no MSG */
    {.line = "<14>1 - - - - - -", .format = F5424, .facility = 1, .severity = 6, .msg = ""},
    /* nanoseconds, an IPv6 host, an empty MSG after the space */
    {.line = "<191>1 2026-11-23T10:00:00.123456789-05:30 2001:db8::1 app - - - ",
     .format = F5424,
     .facility = 23,
     .severity = 7,
     .time = "2026-11-23T15:30:00.123456789Z",
     .time_text = "2026-11-23T10:00:00.123456789-05:30",
     .host = "2001:db8::1",
     .app = "app",
     .msg = ""},
    /* PRI 0: kern.emerg */
    {.line = "<0>1 2026-11-23T10:00:00Z h kernel - - - panic",
     .format = F5424,
     .facility = 0,
     .severity = 0,
     .time = "2026-11-23T10:00:00Z",
     .time_text = "2026-11-23T10:00:00Z",
     .host = "h",
     .app = "kernel",
     .msg = "panic"},

    /* ---- RFC 3164, common daemons ---- */
    {.line = "<38>Nov 23 10:00:00 web01 sshd[1234]: Accepted publickey for deploy from 10.0.0.1 "
             "port 53422 ssh2: ED25519 SHA256:abc",
     .format = F3164,
     .facility = 4,
     .severity = 6,
     .time = "2026-11-23T10:00:00Z",
     .time_text = "Nov 23 10:00:00",
     .host = "web01",
     .app = "sshd",
     .procid = "1234",
     .msg = "Accepted publickey for deploy from 10.0.0.1 port 53422 ssh2: ED25519 SHA256:abc"},
    {.line = "<38>Nov 23 10:00:01 web01 sshd[1235]: Failed password for invalid user admin from "
             "203.0.113.9 port 40022 ssh2",
     .format = F3164,
     .facility = 4,
     .severity = 6,
     .time = "2026-11-23T10:00:01Z",
     .time_text = "Nov 23 10:00:01",
     .host = "web01",
     .app = "sshd",
     .procid = "1235",
     .msg = "Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2"},
    {.line = "<86>Nov 23 10:00:02 web01 sshd[1236]: pam_unix(sshd:session): session opened for "
             "user deploy(uid=1000) by (uid=0)",
     .format = F3164,
     .facility = 10,
     .severity = 6,
     .time = "2026-11-23T10:00:02Z",
     .time_text = "Nov 23 10:00:02",
     .host = "web01",
     .app = "sshd",
     .procid = "1236",
     .msg = "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)"},
    /* sudo pads its message: one space after "sudo:" goes, the rest is message */
    {.line = "<85>Nov 23 10:00:03 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ;"
             " COMMAND=/usr/bin/apt update",
     .format = F3164,
     .facility = 10,
     .severity = 5,
     .time = "2026-11-23T10:00:03Z",
     .time_text = "Nov 23 10:00:03",
     .host = "web01",
     .app = "sudo",
     .msg = "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update"},
    {.line = "<86>Nov 23 10:00:03 web01 sudo: pam_unix(sudo:session): session opened for user "
             "root(uid=0) by alice(uid=1000)",
     .format = F3164,
     .facility = 10,
     .severity = 6,
     .time = "2026-11-23T10:00:03Z",
     .time_text = "Nov 23 10:00:03",
     .host = "web01",
     .app = "sudo",
     .msg = "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)"},
    {.line = "<78>Nov 23 10:17:01 web01 CRON[4242]: (root) CMD (   cd / && run-parts --report "
             "/etc/cron.hourly)",
     .format = F3164,
     .facility = 9,
     .severity = 6,
     .time = "2026-11-23T10:17:01Z",
     .time_text = "Nov 23 10:17:01",
     .host = "web01",
     .app = "CRON",
     .procid = "4242",
     .msg = "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"},
    /* cron through syslog(3) on /dev/log: no hostname */
    {.line = "<78>Nov 23 10:17:01 CRON[4243]: pam_unix(cron:session): session closed for user root",
     .format = F3164,
     .facility = 9,
     .severity = 6,
     .time = "2026-11-23T10:17:01Z",
     .time_text = "Nov 23 10:17:01",
     .host_missing = 1,
     .app = "CRON",
     .procid = "4243",
     .msg = "pam_unix(cron:session): session closed for user root"},
    {.line = "<4>Nov 23 10:00:03 web01 kernel: [123456.789012] usb 1-1: new high-speed USB device "
             "number 2 using xhci_hcd",
     .format = F3164,
     .facility = 0,
     .severity = 4,
     .time = "2026-11-23T10:00:03Z",
     .time_text = "Nov 23 10:00:03",
     .host = "web01",
     .app = "kernel",
     .msg = "[123456.789012] usb 1-1: new high-speed USB device number 2 using xhci_hcd"},
    {.line = "<4>Nov 23 10:00:04 fw kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55 "
             "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=51515 DPT=23",
     .format = F3164,
     .facility = 0,
     .severity = 4,
     .time = "2026-11-23T10:00:04Z",
     .time_text = "Nov 23 10:00:04",
     .host = "fw",
     .app = "kernel",
     .msg = "[UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55 SRC=203.0.113.5 DST=192.0.2.10 "
            "LEN=60 PROTO=TCP SPT=51515 DPT=23"},
    /* single-digit day, space padded */
    {.line = "<6>Nov  3 01:02:03 web01 kernel: EXT4-fs (sda1): mounted filesystem with ordered "
             "data mode.",
     .format = F3164,
     .facility = 0,
     .severity = 6,
     .time = "2026-11-03T01:02:03Z",
     .time_text = "Nov  3 01:02:03",
     .host = "web01",
     .app = "kernel",
     .msg = "EXT4-fs (sda1): mounted filesystem with ordered data mode."},
    {.line = "<30>Nov 23 10:00:05 web01 systemd[1]: Started Session 42 of user alice.",
     .format = F3164,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T10:00:05Z",
     .time_text = "Nov 23 10:00:05",
     .host = "web01",
     .app = "systemd",
     .procid = "1",
     .msg = "Started Session 42 of user alice."},
    {.line = "<38>Nov 23 10:00:05 web01 systemd-logind[612]: New session 42 of user alice.",
     .format = F3164,
     .facility = 4,
     .severity = 6,
     .time = "2026-11-23T10:00:05Z",
     .time_text = "Nov 23 10:00:05",
     .host = "web01",
     .app = "systemd-logind",
     .procid = "612",
     .msg = "New session 42 of user alice."},
    /* nginx access_log syslog:server=... (local7.info) */
    {.line = "<190>Nov 23 10:00:07 web01 nginx: 192.0.2.1 - - [23/Nov/2026:10:00:07 +0000] \"GET / "
             "HTTP/1.1\" 200 612 \"-\" \"curl/8.4.0\"",
     .format = F3164,
     .facility = 23,
     .severity = 6,
     .time = "2026-11-23T10:00:07Z",
     .time_text = "Nov 23 10:00:07",
     .host = "web01",
     .app = "nginx",
     .msg = "192.0.2.1 - - [23/Nov/2026:10:00:07 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" "
            "\"curl/8.4.0\""},
    {.line = "<187>Nov 23 10:00:08 web01 nginx: 2026/11/23 10:00:08 [error] 1234#1234: *1 open() "
             "\"/var/www/x\" failed (2: No such file or directory)",
     .format = F3164,
     .facility = 23,
     .severity = 3,
     .time = "2026-11-23T10:00:08Z",
     .time_text = "Nov 23 10:00:08",
     .host = "web01",
     .app = "nginx",
     .msg = "2026/11/23 10:00:08 [error] 1234#1234: *1 open() \"/var/www/x\" failed (2: No such "
            "file or directory)"},
    {.line = "<22>Nov 23 10:00:09 mail postfix/smtpd[2211]: connect from unknown[192.0.2.1]",
     .format = F3164,
     .facility = 2,
     .severity = 6,
     .time = "2026-11-23T10:00:09Z",
     .time_text = "Nov 23 10:00:09",
     .host = "mail",
     .app = "postfix/smtpd",
     .procid = "2211",
     .msg = "connect from unknown[192.0.2.1]"},
    {.line = "<22>Nov 23 10:00:10 mail postfix/qmgr[1900]: 3F2A1B2C3D: from=<alice@example.com>, "
             "size=1234, nrcpt=1 (queue active)",
     .format = F3164,
     .facility = 2,
     .severity = 6,
     .time = "2026-11-23T10:00:10Z",
     .time_text = "Nov 23 10:00:10",
     .host = "mail",
     .app = "postfix/qmgr",
     .procid = "1900",
     .msg = "3F2A1B2C3D: from=<alice@example.com>, size=1234, nrcpt=1 (queue active)"},
    {.line = "<22>Nov 23 10:00:11 mail postfix/smtp[2300]: 3F2A1B2C3D: to=<bob@example.org>, "
             "relay=mx.example.org[198.51.100.7]:25, delay=0.5, dsn=2.0.0, status=sent (250 OK)",
     .format = F3164,
     .facility = 2,
     .severity = 6,
     .time = "2026-11-23T10:00:11Z",
     .time_text = "Nov 23 10:00:11",
     .host = "mail",
     .app = "postfix/smtp",
     .procid = "2300",
     .msg = "3F2A1B2C3D: to=<bob@example.org>, relay=mx.example.org[198.51.100.7]:25, "
            "delay=0.5, dsn=2.0.0, status=sent (250 OK)"},
    /* util-linux logger --tcp --rfc3164 */
    {.line = "<156>Nov 23 16:04:28 vm myapp: hello world",
     .format = F3164,
     .facility = 19,
     .severity = 4,
     .time = "2026-11-23T16:04:28Z",
     .time_text = "Nov 23 16:04:28",
     .host = "vm",
     .app = "myapp",
     .msg = "hello world"},
    /* syslog(3) / logger via /dev/log: no hostname */
    {.line = "<13>Nov 23 10:00:00 myapp[123]: hello",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .time = "2026-11-23T10:00:00Z",
     .time_text = "Nov 23 10:00:00",
     .host_missing = 1,
     .app = "myapp",
     .procid = "123",
     .msg = "hello"},
    {.line = "<30>Nov 23 10:00:12 web01 dhclient[800]: DHCPACK of 192.0.2.50 from 192.0.2.1",
     .format = F3164,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T10:00:12Z",
     .time_text = "Nov 23 10:00:12",
     .host = "web01",
     .app = "dhclient",
     .procid = "800",
     .msg = "DHCPACK of 192.0.2.50 from 192.0.2.1"},
    {.line = "<46>Nov 23 10:00:13 web01 rsyslogd: [origin software=\"rsyslogd\" "
             "swVersion=\"8.2302.0\" x-pid=\"512\"] rsyslogd was HUPed",
     .format = F3164,
     .facility = 5,
     .severity = 6,
     .time = "2026-11-23T10:00:13Z",
     .time_text = "Nov 23 10:00:13",
     .host = "web01",
     .app = "rsyslogd",
     .msg = "[origin software=\"rsyslogd\" swVersion=\"8.2302.0\" x-pid=\"512\"] rsyslogd was "
            "HUPed"},
    {.line = "<30>Nov 23 10:00:14 web01 chronyd[700]: Selected source 192.0.2.123 "
             "(2.debian.pool.ntp.org)",
     .format = F3164,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T10:00:14Z",
     .time_text = "Nov 23 10:00:14",
     .host = "web01",
     .app = "chronyd",
     .procid = "700",
     .msg = "Selected source 192.0.2.123 (2.debian.pool.ntp.org)"},
    {.line = "<29>Nov 23 10:00:22 web01 dbus-daemon[650]: [system] Successfully activated service "
             "'org.freedesktop.nm_dispatcher'",
     .format = F3164,
     .facility = 3,
     .severity = 5,
     .time = "2026-11-23T10:00:22Z",
     .time_text = "Nov 23 10:00:22",
     .host = "web01",
     .app = "dbus-daemon",
     .procid = "650",
     .msg = "[system] Successfully activated service 'org.freedesktop.nm_dispatcher'"},
    /* HAProxy logging to a remote syslog, host as an IPv4 address */
    {.line = "<134>Nov 23 10:00:23 192.0.2.7 haproxy[1500]: 203.0.113.1:40000 "
             "[23/Nov/2026:10:00:23.123] fe be/srv1 0/0/1/2/3 200 512 - - ---- \"GET / HTTP/1.1\"",
     .format = F3164,
     .facility = 16,
     .severity = 6,
     .time = "2026-11-23T10:00:23Z",
     .time_text = "Nov 23 10:00:23",
     .host = "192.0.2.7",
     .app = "haproxy",
     .procid = "1500",
     .msg = "203.0.113.1:40000 [23/Nov/2026:10:00:23.123] fe be/srv1 0/0/1/2/3 200 512 - - ---- "
            "\"GET / HTTP/1.1\""},
    /* missing tag: hostname, then plain text */
    {.line = "<13>Nov 23 10:00:16 web01 message without a tag here",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .time = "2026-11-23T10:00:16Z",
     .time_text = "Nov 23 10:00:16",
     .host = "web01",
     .msg = "message without a tag here"},
    /* zero-padded day and a fraction (rsyslog high-precision senders) */
    {.line = "<13>Nov 03 10:00:16.250 web01 app: x",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .time = "2026-11-03T10:00:16.25Z",
     .time_text = "Nov 03 10:00:16.250",
     .host = "web01",
     .app = "app",
     .msg = "x"},
    /* ISO 8601 timestamp in place of the BSD one (rsyslog RSYSLOG_ForwardFormat) */
    {.line = "<30>2026-11-23T10:00:17.123456+01:00 web01 systemd[1]: Reloading.",
     .format = F3164,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T09:00:17.123456Z",
     .time_text = "2026-11-23T10:00:17.123456+01:00",
     .host = "web01",
     .app = "systemd",
     .procid = "1",
     .msg = "Reloading."},
    /* ISO timestamp without offset: the configured zone */
    {.line = "<30>2026-11-23T10:00:18 web01 app: x",
     .zone = "Europe/Berlin",
     .format = F3164,
     .facility = 3,
     .severity = 6,
     .time = "2026-11-23T09:00:18Z",
     .time_text = "2026-11-23T10:00:18",
     .host = "web01",
     .app = "app",
     .msg = "x"},
    /* BSD timestamp read in the configured zone */
    {.line = "<38>Jul 23 10:00:00 web01 sshd[1]: summer",
     .zone = "America/New_York",
     .format = F3164,
     .facility = 4,
     .severity = 6,
     .time = "2026-07-23T14:00:00Z",
     .time_text = "Jul 23 10:00:00",
     .host = "web01",
     .app = "sshd",
     .procid = "1",
     .msg = "summer"},
    /* Cisco IOS: sequence number, unsynchronised clock marker, "timestamp: message" */
    {.line = "<189>29: *Mar  1 00:33:40.347: %SYS-5-CONFIG_I: Configured from console by vty0 "
             "(10.0.0.1)",
     .format = F3164,
     .facility = 23,
     .severity = 5,
     .time = "2026-03-01T00:33:40.347Z",
     .time_text = "Mar  1 00:33:40.347",
     .host_missing = 1,
     .app = "%SYS-5-CONFIG_I",
     .has_seq = 1,
     .seq = 29,
     .msg = "Configured from console by vty0 (10.0.0.1)"},
    /* Cisco IOS with show-timezone (UTC), read as UTC whatever the configured zone */
    {.line = "<187>2311: Nov 23 09:59:59.123 UTC: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, "
             "changed state to down",
     .zone = "Europe/Berlin",
     .format = F3164,
     .facility = 23,
     .severity = 3,
     .time = "2026-11-23T09:59:59.123Z",
     .time_text = "Nov 23 09:59:59.123",
     .host_missing = 1,
     .app = "%LINK-3-UPDOWN",
     .has_seq = 1,
     .seq = 2311,
     .msg = "Interface GigabitEthernet0/1, changed state to down"},
    /* Cisco ASA: the year inside the timestamp */
    {.line = "<166>Nov 23 2025 10:00:19: %ASA-6-302013: Built outbound TCP connection 1 for "
             "outside:198.51.100.1/443",
     .format = F3164,
     .facility = 20,
     .severity = 6,
     .time = "2025-11-23T10:00:19Z",
     .time_text = "Nov 23 2025 10:00:19",
     .host_missing = 1,
     .app = "%ASA-6-302013",
     .msg = "Built outbound TCP connection 1 for outside:198.51.100.1/443"},
    /* a PRI and free text only (RFC 3164 §4.3.3): all of it is the message */
    {.line = "<13>hello world",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .host_missing = 1,
     .msg = "hello world"},
    /* a PRI and a tag, no timestamp */
    {.line = "<13>myapp[9]: started",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .host_missing = 1,
     .app = "myapp",
     .procid = "9",
     .msg = "started"},
    /* an empty message */
    {.line = "<13>", .format = F3164, .facility = 1, .severity = 5, .host_missing = 1, .msg = ""},
    /* a timestamp that is not one (Feb 30): the whole text is the message */
    {.line = "<13>Feb 30 10:00:00 web01 app: x",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .host_missing = 1,
     .msg = "Feb 30 10:00:00 web01 app: x"},
    /* a version other than 1 is not RFC 5424: plain RFC 3164 text */
    {.line = "<13>2 apples",
     .format = F3164,
     .facility = 1,
     .severity = 5,
     .host_missing = 1,
     .msg = "2 apples"},
    /* no PRI: the traditional file line (Debian rsyslog, /var/log/syslog) */
    {.line = "Nov 23 10:00:20 web01 sshd[1234]: Connection closed by 10.0.0.1 port 53422",
     .format = F3164,
     .facility = -1,
     .severity = -1,
     .time = "2026-11-23T10:00:20Z",
     .time_text = "Nov 23 10:00:20",
     .host = "web01",
     .app = "sshd",
     .procid = "1234",
     .msg = "Connection closed by 10.0.0.1 port 53422"},
    /* no PRI, RFC 3339 (Debian 12 rsyslog RSYSLOG_FileFormat) */
    {.line = "2026-11-23T10:00:21.123456+01:00 web01 sudo: pam_unix(sudo:session): session closed "
             "for user root",
     .format = F3164,
     .facility = -1,
     .severity = -1,
     .time = "2026-11-23T09:00:21.123456Z",
     .time_text = "2026-11-23T10:00:21.123456+01:00",
     .host = "web01",
     .app = "sudo",
     .msg = "pam_unix(sudo:session): session closed for user root"},
};

static void test_real_world(void **state)
{
    (void)state;
    assert_true(sizeof real_world / sizeof real_world[0] >= 40);
    for (size_t i = 0; i < sizeof real_world / sizeof real_world[0]; i++) {
        check_row(&real_world[i], LS_FAC_UNKNOWN, LS_SEV_UNKNOWN);
    }
}

/* Without a PRI the configured defaults apply; with one they do not. */
static void test_defaults(void **state)
{
    struct row no_pri = {.line = "Nov 23 10:00:20 web01 app: x",
                         .format = F3164,
                         .facility = 3,
                         .severity = 4,
                         .time = "2026-11-23T10:00:20Z",
                         .time_text = "Nov 23 10:00:20",
                         .host = "web01",
                         .app = "app",
                         .msg = "x"};
    struct row pri = {.line = "<13>Nov 23 10:00:20 web01 app: x",
                      .format = F3164,
                      .facility = 1,
                      .severity = 5,
                      .time = "2026-11-23T10:00:20Z",
                      .time_text = "Nov 23 10:00:20",
                      .host = "web01",
                      .app = "app",
                      .msg = "x"};

    (void)state;
    check_row(&no_pri, 3, 4);
    check_row(&pri, 3, 4);
}

/* ---- not syslog, malformed ------------------------------------------------------------------ */

static void test_not_syslog(void **state)
{
    static const char *const lines[] = {
        "",
        "hello",
        "{\"level\":\"info\",\"msg\":\"json line\"}",
        "<html><body>",
        "< 13>x",
        "2026-11-23 10:00:00,123 INFO [main] app started",
        "2026-11-23T10:00:00.123Z INFO something happened",
        "2026-11-23T10:00:00Z ERROR: boom",
        "Nov 23 10:00:00 myapp[1]: no host and no PRI",
        "Nov 23 10:00:00 web01 no tag and no PRI",
        "Nov 23 10:00:00",
        "Nov 23 10:00:00x web01 app: x",
        "Foo 23 10:00:00 web01 app: x",
        "level=info msg=\"logfmt line\"",
        "  <13>leading spaces",
    };
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, 1, 5};
    struct ls_syslog_result r;

    (void)state;
    load_tz(&tz, "UTC");
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        int rc = ls_syslog_parse(lines[i], strlen(lines[i]), ns_of(RECV), &o, &r);
        if (rc != LS_SYSLOG_NONE) {
            fail_msg("\"%s\": %d, want not syslog", lines[i], rc);
        }
        assert_int_equal(r.format, 0);
        assert_null(r.message.ptr);
        assert_null(r.error);
    }
    ls_tz_release(&tz);
}

static void test_malformed(void **state)
{
    static const struct {
        const char *line, *error;
    } cases[] = {
        {"<192>Nov 23 10:00:00 h a: x", "PRI is greater than 191"},
        {"<999>x", "PRI is greater than 191"},
        {"<1000>x", "PRI has more than 3 digits"},
        {"<13", "PRI is not closed by '>'"},
        {"<13 x", "PRI is not closed by '>'"},
        {"<1a>x", "PRI is not closed by '>'"},
        {"<13>1 2026-13-01T00:00:00Z h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 2026-02-29T00:00:00Z h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 2026-11-23T10:00:00 h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 2026-11-23T25:00:00Z h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 2026-11-23t10:00:00z h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 2026-11-23T10:00:00.1234567890Z h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 Nov 23 10:00:00 h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 -", "invalid TIMESTAMP"},
        {"<13>1  h a p m - x", "invalid TIMESTAMP"},
        {"<13>1 - h\x01x a p m - x", "invalid HOSTNAME"},
        {"<13>1 - h", "invalid HOSTNAME"},
        {"<13>1 - h 0123456789012345678901234567890123456789012345678 p m - x", "invalid APP-NAME"},
        {"<13>1 - h a p 012345678901234567890123456789012 - x", "invalid MSGID"},
        {"<13>1 - h a p", "invalid PROCID"},
        {"<13>1 - h a p m", "invalid MSGID"},
        {"<13>1 - h a p m ", "missing STRUCTURED-DATA"},
        {"<13>1 - h a p m x", "missing STRUCTURED-DATA"},
        {"<13>1 - h a p m -x", "no space after STRUCTURED-DATA"},
        {"<13>1 - h a p m [id]x", "no space after STRUCTURED-DATA"},
        {"<13>1 - h a p m [] x", "invalid SD-ID"},
        {"<13>1 - h a p m [id a=1] x", "invalid SD-PARAM"},
        {"<13>1 - h a p m [id a] x", "invalid SD-PARAM"},
        {"<13>1 - h a p m [id =\"1\"] x", "invalid SD-PARAM"},
        {"<13>1 - h a p m [id a=\"1 x", "unterminated PARAM-VALUE"},
        {"<13>1 - h a p m [id a=\"1\" x", "invalid SD-PARAM"},
        {"<13>1 - h a p m [id a=\"1\\\"]", "unterminated PARAM-VALUE"},
        {"<13>1 - h a p m [id a=\"1\"", "SD-ELEMENT not closed by ']'"},
        {"<13>1 - h a p m [id a=\"1\"x] y", "SD-ELEMENT not closed by ']'"},
        {"<13>1 - h a p m [0123456789012345678901234567890123] x", "invalid SD-ID"},
        {"<13>1 9999-12-31T23:59:59Z h a p m - x", "invalid TIMESTAMP"},
    };
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, -1, -1};
    struct ls_syslog_result r;

    (void)state;
    load_tz(&tz, "UTC");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = ls_syslog_parse(cases[i].line, strlen(cases[i].line), ns_of(RECV), &o, &r);
        if (rc != LS_SYSLOG_MALFORMED || !r.error || strcmp(r.error, cases[i].error) != 0) {
            fail_msg("\"%s\": %d (%s), want malformed (%s)", cases[i].line, rc,
                     r.error ? r.error : "no error", cases[i].error);
        }
        assert_int_equal(r.format, 0);
        assert_null(r.message.ptr);
    }
    ls_tz_release(&tz);
}

/* Every prefix of every table line parses without reading past its end (ASan) and every slice
 * stays inside the prefix. */
static void test_prefixes(void **state)
{
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, -1, -1};
    struct ls_syslog_result r;

    (void)state;
    load_tz(&tz, "Europe/Berlin");
    for (size_t i = 0; i < sizeof real_world / sizeof real_world[0]; i++) {
        const char *line = real_world[i].line;
        for (size_t n = 0; n <= strlen(line); n++) {
            char *copy = malloc(n ? n : 1);
            const struct ls_slice *s[] = {&r.time_text, &r.host, &r.app,    &r.procid,
                                          &r.msgid,     &r.sd,   &r.message};
            memcpy(copy, line, n);
            ls_syslog_parse(copy, n, ns_of(RECV), &o, &r);
            for (size_t k = 0; k < sizeof s / sizeof s[0]; k++) {
                if (s[k]->ptr && (s[k]->ptr < copy || s[k]->ptr + s[k]->len > copy + n)) {
                    fail_msg("prefix %zu of \"%s\": slice %zu outside", n, line, k);
                }
            }
            free(copy);
        }
    }
    ls_tz_release(&tz);
}

static void test_no_allocation(void **state)
{
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, -1, -1};
    struct ls_syslog_result r;
    size_t before;

    (void)state;
    load_tz(&tz, "Europe/Berlin");
    before = allocs;
    for (int rep = 0; rep < 100; rep++) {
        for (size_t i = 0; i < sizeof real_world / sizeof real_world[0]; i++) {
            ls_syslog_parse(real_world[i].line, strlen(real_world[i].line), ns_of(RECV), &o, &r);
        }
    }
    assert_int_equal(allocs, before);
    ls_tz_release(&tz);
}

/* ---- structured data ------------------------------------------------------------------------ */

static void test_sd_unescape(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"}, {"a\\\"b", "a\"b"},   {"a\\\\b", "a\\b"},
        {"a\\]b", "a]b"},   {"a\\nb", "a\\nb"},   {"\\", "\\"},
        {"x\\", "x\\"},     {"\\\\\\\"", "\\\""}, {"", ""},
    };
    char out[64];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = ls_syslog_sd_unescape(cases[i].in, strlen(cases[i].in), out);
        if (n != strlen(cases[i].out) || memcmp(out, cases[i].out, n) != 0) {
            fail_msg("unescape \"%s\": \"%.*s\", want \"%s\"", cases[i].in, (int)n, out,
                     cases[i].out);
        }
    }
}

/* Elements without params yield nothing; params keep their order; a raw ']' inside quotes is
 * accepted (RFC 5424 says escape it, many senders do not). */
static void test_sd_shapes(void **state)
{
    struct row rows[] = {
        {.line = "<13>1 - h a - - [timeQuality][origin ip=\"192.0.2.1\" ip=\"192.0.2.2\"] m",
         .format = F5424,
         .facility = 1,
         .severity = 5,
         .host = "h",
         .app = "a",
         .sd = "origin.ip=192.0.2.1|origin.ip=192.0.2.2",
         .msg = "m"},
        {.line = "<13>1 - h a - - [empty] m",
         .format = F5424,
         .facility = 1,
         .severity = 5,
         .host = "h",
         .app = "a",
         .sd = "",
         .msg = "m"},
        {.line = "<13>1 - h a - - [x@1 v=\"a]b\"] m",
         .format = F5424,
         .facility = 1,
         .severity = 5,
         .host = "h",
         .app = "a",
         .sd = "x@1.v=a]b",
         .msg = "m"},
    };

    (void)state;
    /* [empty] has no params: its text is "", but the SD itself is present. */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        check_row(&rows[i], -1, -1);
    }
}

/* ---- year inference ------------------------------------------------------------------------- */

static int64_t parse_time(const char *line, const char *zone, const char *received)
{
    struct ls_tz tz;
    struct ls_syslog_opts o = {&tz, -1, -1};
    struct ls_syslog_result r;

    load_tz(&tz, zone);
    assert_int_equal(ls_syslog_parse(line, strlen(line), ns_of(received), &o, &r), F3164);
    ls_tz_release(&tz);
    return r.has_time ? r.time : -1;
}

static void test_year_inference(void **state)
{
    (void)state;
    /* A December message received in January belongs to last year. */
    assert_int_equal(parse_time("<13>Dec 31 23:59:59 h a: x", "UTC", "2027-01-01T00:00:30Z"),
                     ns_of("2026-12-31T23:59:59Z"));
    assert_int_equal(parse_time("<13>Dec 20 08:00:00 h a: x", "UTC", "2027-01-15T00:00:00Z"),
                     ns_of("2026-12-20T08:00:00Z"));
    /* A sender whose clock runs ahead: January received on Dec 31 is next year's. */
    assert_int_equal(parse_time("<13>Jan  1 00:00:05 h a: x", "UTC", "2026-12-31T23:59:50Z"),
                     ns_of("2027-01-01T00:00:05Z"));
    /* Up to 31 days ahead is this year; further ahead is last year. */
    assert_int_equal(parse_time("<13>Dec 24 10:00:00 h a: x", "UTC", RECV),
                     ns_of("2026-12-24T10:00:00Z"));
    assert_int_equal(parse_time("<13>Dec 25 10:00:00 h a: x", "UTC", RECV),
                     ns_of("2025-12-25T10:00:00Z"));
    /* Months back in the same year. */
    assert_int_equal(parse_time("<13>Mar  1 00:00:00 h a: x", "UTC", RECV),
                     ns_of("2026-03-01T00:00:00Z"));
    /* Feb 29 exists only in leap years: in 2028 it is a date, in 2027 it is text. */
    assert_int_equal(parse_time("<13>Feb 29 12:00:00 h a: x", "UTC", "2028-03-01T00:00:00Z"),
                     ns_of("2028-02-29T12:00:00Z"));
    assert_int_equal(parse_time("<13>Feb 29 12:00:00 h a: x", "UTC", "2027-03-01T00:00:00Z"), -1);
    /* The year is judged in the configured zone: received 2026-12-31T23:30Z is already
     * 2027-01-01 00:30 in Berlin, so "Dec 31 23:50" there is last year's (2026). */
    assert_int_equal(
        parse_time("<13>Dec 31 23:50:00 h a: x", "Europe/Berlin", "2026-12-31T23:30:00Z"),
        ns_of("2026-12-31T22:50:00Z"));
    assert_int_equal(
        parse_time("<13>Jan  1 00:10:00 h a: x", "Europe/Berlin", "2026-12-31T23:30:00Z"),
        ns_of("2026-12-31T23:10:00Z"));
}

/* ---- time zones ----------------------------------------------------------------------------- */

static void test_dst_berlin(void **state)
{
    const char *z = "Europe/Berlin";

    (void)state;
    /* 2026-03-29: 02:00 CET -> 03:00 CEST (01:00 UTC) */
    assert_int_equal(parse_time("<13>Mar 29 01:59:59 h a: x", z, "2026-04-01T00:00:00Z"),
                     ns_of("2026-03-29T00:59:59Z"));
    assert_int_equal(parse_time("<13>Mar 29 03:00:00 h a: x", z, "2026-04-01T00:00:00Z"),
                     ns_of("2026-03-29T01:00:00Z"));
    /* 02:30 does not exist: read with the offset before the gap (CET) */
    assert_int_equal(parse_time("<13>Mar 29 02:30:00 h a: x", z, "2026-04-01T00:00:00Z"),
                     ns_of("2026-03-29T01:30:00Z"));
    /* 2026-10-25: 03:00 CEST -> 02:00 CET (01:00 UTC); 02:30 happens twice: the first */
    assert_int_equal(parse_time("<13>Oct 25 01:59:59 h a: x", z, "2026-11-01T00:00:00Z"),
                     ns_of("2026-10-24T23:59:59Z"));
    assert_int_equal(parse_time("<13>Oct 25 02:30:00 h a: x", z, "2026-11-01T00:00:00Z"),
                     ns_of("2026-10-25T00:30:00Z"));
    assert_int_equal(parse_time("<13>Oct 25 03:00:00 h a: x", z, "2026-11-01T00:00:00Z"),
                     ns_of("2026-10-25T02:00:00Z"));
    assert_int_equal(parse_time("<13>Jan 15 12:00:00 h a: x", z, "2026-02-01T00:00:00Z"),
                     ns_of("2026-01-15T11:00:00Z"));
    assert_int_equal(parse_time("<13>Jul 15 12:00:00 h a: x", z, "2026-08-01T00:00:00Z"),
                     ns_of("2026-07-15T10:00:00Z"));
}

static void test_dst_new_york(void **state)
{
    const char *z = "America/New_York";

    (void)state;
    /* 2026-03-08: 02:00 EST -> 03:00 EDT (07:00 UTC) */
    assert_int_equal(parse_time("<13>Mar  8 01:59:59 h a: x", z, "2026-03-10T00:00:00Z"),
                     ns_of("2026-03-08T06:59:59Z"));
    assert_int_equal(parse_time("<13>Mar  8 03:00:00 h a: x", z, "2026-03-10T00:00:00Z"),
                     ns_of("2026-03-08T07:00:00Z"));
    /* 2026-11-01: 02:00 EDT -> 01:00 EST (06:00 UTC); 01:30 twice: the first (EDT) */
    assert_int_equal(parse_time("<13>Nov  1 01:30:00 h a: x", z, "2026-11-02T00:00:00Z"),
                     ns_of("2026-11-01T05:30:00Z"));
    assert_int_equal(parse_time("<13>Nov  1 02:00:00 h a: x", z, "2026-11-02T00:00:00Z"),
                     ns_of("2026-11-01T07:00:00Z"));
    /* Past the file's explicit transitions (2037): the footer rule. */
    assert_int_equal(parse_time("<13>Jul  4 12:00:00 h a: x", z, "2040-07-05T00:00:00Z"),
                     ns_of("2040-07-04T16:00:00Z"));
    assert_int_equal(parse_time("<13>Dec  4 12:00:00 h a: x", z, "2040-12-05T00:00:00Z"),
                     ns_of("2040-12-04T17:00:00Z"));
}

/* Our offsets equal glibc's for every instant sampled 1900..2200 in these zones, and local
 * time round-trips. (glibc's TZ is set only here, in a single-threaded test.) */
static void test_tz_matches_glibc(void **state)
{
    static const char *const zones[] = {"Europe/Berlin",   "America/New_York",  "Australia/Sydney",
                                        "Asia/Kolkata",    "Europe/Dublin",     "America/Santiago",
                                        "Pacific/Chatham", "Africa/Casablanca", "UTC"};
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;

    (void)state;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        struct ls_tz tz;
        uint64_t x = 88172645463325252ULL;
        load_tz(&tz, zones[z]);
        setenv("TZ", zones[z], 1);
        tzset();
        for (int k = 0; k < 20000; k++) {
            struct tm tm;
            time_t t;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t = (time_t)(-2208988800LL + (int64_t)(x % 9467107200ULL));
            localtime_r(&t, &tm);
            if (tm.tm_gmtoff != ls_tz_offset(&tz, t)) {
                fail_msg("%s at %lld: offset %d, glibc %ld", zones[z], (long long)t,
                         ls_tz_offset(&tz, t), tm.tm_gmtoff);
            }
            if (ls_tz_offset(&tz, ls_tz_local_to_utc(&tz, t + tm.tm_gmtoff)) +
                    ls_tz_local_to_utc(&tz, t + tm.tm_gmtoff) !=
                t + tm.tm_gmtoff) {
                fail_msg("%s at %lld: local time does not round-trip", zones[z], (long long)t);
            }
        }
        ls_tz_release(&tz);
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_tz_load(void **state)
{
    struct ls_tz tz;
    char err[512];
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;

    (void)state;
    assert_int_equal(ls_tz_load(&tz, "Mars/Olympus", err, sizeof err), -1);
    assert_string_equal(err, "unknown time zone \"Mars/Olympus\": "
                             "/usr/share/zoneinfo/Mars/Olympus: No such file or directory");
    assert_int_equal(ls_tz_load(&tz, "../etc/passwd", err, sizeof err), -1);
    assert_string_equal(err, "unknown time zone \"../etc/passwd\": expected local, UTC, an IANA "
                             "name like Europe/Berlin or a POSIX TZ string");
    assert_int_equal(ls_tz_load(&tz, "/etc/passwd", err, sizeof err), -1);
    /* A POSIX TZ string */
    assert_int_equal(ls_tz_load(&tz, "<+0530>-5:30", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, 0), 19800);
    ls_tz_release(&tz);
    assert_int_equal(ls_tz_load(&tz, "CET-1CEST,M3.5.0,M10.5.0/3", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, ns_of("2026-07-01T00:00:00Z") / 1000000000), 7200);
    assert_int_equal(ls_tz_offset(&tz, ns_of("2026-12-01T00:00:00Z") / 1000000000), 3600);
    ls_tz_release(&tz);
    /* utc, any case */
    assert_int_equal(ls_tz_load(&tz, "utc", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, 1800000000), 0);
    ls_tz_release(&tz);
    /* local follows TZ like libc does */
    setenv("TZ", "Asia/Tokyo", 1);
    assert_int_equal(ls_tz_load(&tz, "local", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, 1800000000), 32400);
    ls_tz_release(&tz);
    setenv("TZ", ":America/New_York", 1);
    assert_int_equal(ls_tz_load(&tz, "local", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, ns_of("2026-01-01T00:00:00Z") / 1000000000), -18000);
    ls_tz_release(&tz);
    setenv("TZ", "", 1);
    assert_int_equal(ls_tz_load(&tz, "local", err, sizeof err), 0);
    assert_int_equal(ls_tz_offset(&tz, 1800000000), 0);
    ls_tz_release(&tz);
    setenv("TZ", "Nowhere/Special", 1);
    assert_int_equal(ls_tz_load(&tz, "local", err, sizeof err), -1);
    assert_string_equal(err, "time zone local: TZ: unknown time zone \"Nowhere/Special\": "
                             "/usr/share/zoneinfo/Nowhere/Special: No such file or directory");
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
}

/* Truncated and corrupted zone files are refused, never read out of bounds. */
static void test_tzif_corrupt(void **state)
{
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    unsigned char buf[8192];
    size_t len;
    struct ls_tz tz;

    (void)state;
    assert_non_null(f);
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(ls_tz_from_tzif(&tz, buf, len), 0);
    assert_true(tz.n > 0 && tz.has_rule);
    ls_tz_release(&tz);
    for (size_t n = 0; n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        if (ls_tz_from_tzif(&tz, copy, n) == 0) {
            fail_msg("a TZif file cut to %zu of %zu bytes was accepted", n, len);
        }
        free(copy);
    }
    /* A footer rule that does not parse (month 0) spoils the file. */
    {
        unsigned char *m = memmem(buf, len, "M3.5.0", 6);
        assert_non_null(m);
        m[1] = '0';
        assert_int_equal(ls_tz_from_tzif(&tz, buf, len), -1);
        m[1] = '3';
    }
    /* No time types. */
    buf[36] = buf[37] = buf[38] = buf[39] = 0;
    assert_int_equal(ls_tz_from_tzif(&tz, buf, len), -1);
    assert_int_equal(ls_tz_from_tzif(&tz, (const unsigned char *)"TZif", 4), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_world),     cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_not_syslog),     cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_prefixes),       cmocka_unit_test(test_no_allocation),
        cmocka_unit_test(test_sd_unescape),    cmocka_unit_test(test_sd_shapes),
        cmocka_unit_test(test_year_inference), cmocka_unit_test(test_dst_berlin),
        cmocka_unit_test(test_dst_new_york),   cmocka_unit_test(test_tz_matches_glibc),
        cmocka_unit_test(test_tz_load),        cmocka_unit_test(test_tzif_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
