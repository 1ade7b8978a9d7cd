/*
 * syslogfmt.c - RFC 5424, RFC 3164 and "traditional" record lines; see syslogfmt.h.
 *
 * Choices the header leaves open:
 * - "One-line formats" are all three: none of them ever writes '\n' or NUL (in the message, in
 *   SD-PARAM values, anywhere), each becomes a space, so a record is one line whatever the
 *   framing. Other bytes of the message pass unchanged.
 * - Header fields are made parseable by replacing bytes, never by dropping them: RFC 5424 HOST,
 *   APP-NAME, PROCID, MSGID and SD-NAMEs accept only printable US-ASCII (33..126; SD-NAMEs
 *   also not '=', ']', '"'), anything else becomes '_'. RFC 3164 / traditional HOST: bytes
 *   <= 0x20 and 0x7f become '_'; TAG and PID additionally '[', ']' and ':', which would end
 *   the tag early for a reader.
 * - An empty value is treated like an absent one (RFC 5424 has no empty fields). TAG is cut to
 *   48 bytes (the RFC 5424 APP-NAME limit), PID to 128, the 3164 HOST to 255.
 * - "sd.<id>.<param>" is split at the last '.', so ids with dotted enterprise numbers
 *   ("origin@32473.1.2") survive; a field with an empty id or param is not SD.
 */
#include "syslogfmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define HOST_MAX   255
#define APP_MAX    48
#define PROCID_MAX 128
#define MSGID_MAX  32
#define SDNAME_MAX 32

#define FAC_USER   1
#define SEV_NOTICE 5

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---- small writers ----------------------------------------------------------------------- */

static void add_str(struct ls_fmt_buf *b, const char *s)
{
    ls_fmt_buf_add(b, s, strlen(s));
}

static int present(struct ls_slice s)
{
    return s.ptr != NULL && s.len > 0;
}

/* Append s[0, min(len, max)), replacing every byte `bad` rejects with '_'. */
static void add_clean(struct ls_fmt_buf *b, const char *s, size_t len, size_t max,
                      int (*bad)(unsigned char))
{
    char *o;

    if (len > max) {
        len = max;
    }
    ls_fmt_buf_reserve(b, len);
    o = b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        o[i] = bad(c) ? '_' : (char)c;
    }
    b->len += len;
}

static int bad_5424(unsigned char c)
{
    return c < 33 || c > 126;
}

static int bad_sdname(unsigned char c)
{
    return c < 33 || c > 126 || c == '=' || c == ']' || c == '"';
}

static int bad_3164_host(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

static int bad_3164_tag(unsigned char c)
{
    return c <= 0x20 || c == 0x7f || c == '[' || c == ']' || c == ':';
}

/* Append a 5424 header field: the slice if present, else `fallback` if non-empty, else "-". */
static void add_5424_field(struct ls_fmt_buf *b, struct ls_slice s, const char *fallback,
                           size_t max)
{
    if (present(s)) {
        add_clean(b, s.ptr, s.len, max, bad_5424);
    } else if (fallback && *fallback) {
        add_clean(b, fallback, strlen(fallback), max, bad_5424);
    } else {
        ls_fmt_buf_add(b, "-", 1);
    }
}

/* Append text with '\n' and NUL as spaces (and, for SD values, '"', '\\', ']' escaped). */
static void add_oneline(struct ls_fmt_buf *b, const char *s, size_t len, int sd_escape)
{
    size_t start = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c == '\n' || c == '\0') {
            ls_fmt_buf_add(b, s + start, i - start);
            ls_fmt_buf_add(b, " ", 1);
            start = i + 1;
        } else if (sd_escape && (c == '"' || c == '\\' || c == ']')) {
            ls_fmt_buf_add(b, s + start, i - start);
            ls_fmt_buf_add(b, "\\", 1);
            start = i; /* the byte itself goes out with the next run */
        }
    }
    ls_fmt_buf_add(b, s + start, len - start);
}

/* Length of the message after cutting it to max bytes on a UTF-8 boundary (max 0: whole). */
static size_t cut_message(struct ls_slice m, size_t max, int *truncated)
{
    size_t n = m.len;

    *truncated = 0;
    if (max == 0 || n <= max) {
        return n;
    }
    *truncated = 1;
    n = max;
    /* Back off over at most 3 continuation bytes so no sequence is split. */
    for (int i = 0; i < 3 && n > 0 && ((unsigned char)m.ptr[n] & 0xc0) == 0x80; i++) {
        n--;
    }
    return n;
}

/* Writes the message (cut and one-lined); returns 1 if it was truncated. */
static int add_message(struct ls_fmt_buf *b, const struct ls_record *r,
                       const struct ls_fmt_syslog_opts *o)
{
    int truncated;
    size_t n;

    if (!r->message.ptr) {
        return 0;
    }
    n = cut_message(r->message, o->max_message, &truncated);
    add_oneline(b, r->message.ptr, n, 0);
    return truncated;
}

/* ---- PRI and clock ----------------------------------------------------------------------- */

int ls_fmt_pri(const struct ls_record *r, const struct ls_fmt_syslog_opts *o)
{
    int fac = r->facility, sev = r->severity;

    if (fac < 0 || fac > 23) {
        fac =
            o->default_facility >= 0 && o->default_facility <= 23 ? o->default_facility : FAC_USER;
    }
    if (sev < 0 || sev > 7) {
        sev =
            o->default_severity >= 0 && o->default_severity <= 7 ? o->default_severity : SEV_NOTICE;
    }
    return fac * 8 + sev;
}

static void add_pri(struct ls_fmt_buf *b, const struct ls_record *r,
                    const struct ls_fmt_syslog_opts *o)
{
    char t[8];
    int n = snprintf(t, sizeof t, "<%d>", ls_fmt_pri(r, o));

    ls_fmt_buf_add(b, t, (size_t)n);
}

/* Two digits of v (0..99), the first `pad` when v < 10. */
static void put2(char *o, int v, char pad)
{
    v = v < 0 ? 0 : v % 100;
    o[0] = v < 10 ? pad : (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

const char *ls_fmt_clock_text(struct ls_fmt_clock *clk, int64_t ns)
{
    int64_t sec = ns / 1000000000;
    time_t t;
    struct tm tm;

    if (ns % 1000000000 < 0) {
        sec--;
    }
    if (clk->have && clk->cached_sec == sec) {
        return clk->text;
    }
    t = (time_t)sec;
    if ((clk->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        memset(&tm, 0, sizeof tm);
        tm.tm_mday = 1;
    }
    memcpy(clk->text, month_names[tm.tm_mon], 3);
    clk->text[3] = ' ';
    put2(clk->text + 4, tm.tm_mday, ' ');
    clk->text[6] = ' ';
    put2(clk->text + 7, tm.tm_hour, '0');
    clk->text[9] = ':';
    put2(clk->text + 10, tm.tm_min, '0');
    clk->text[12] = ':';
    put2(clk->text + 13, tm.tm_sec, '0');
    clk->text[15] = '\0';
    clk->cached_sec = sec;
    clk->have = 1;
    return clk->text;
}

/* ---- RFC 5424 ---------------------------------------------------------------------------- */

/* For a field "sd.<id>.<param>": set id and param and return 1; else 0. */
static int sd_split(const struct ls_field *f, struct ls_slice *id, struct ls_slice *param)
{
    const char *k = f->key.ptr;
    size_t len = f->key.len, dot;

    if (!k || len < 6 || memcmp(k, "sd.", 3) != 0) {
        return 0;
    }
    for (dot = len - 1; dot > 3 && k[dot] != '.'; dot--) {
    }
    if (dot <= 3 || dot == len - 1) {
        return 0; /* no second dot, empty id, or empty param */
    }
    id->ptr = k + 3;
    id->len = dot - 3;
    param->ptr = k + dot + 1;
    param->len = len - dot - 1;
    return 1;
}

static int slice_eq(struct ls_slice a, struct ls_slice b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* 1 when a field before `f` already carries SD-ID `id` (its element was written then). */
static int sd_seen(const struct ls_record *r, const struct ls_field *f, struct ls_slice id)
{
    struct ls_slice i2, p2;

    for (const struct ls_field *g = r->fields; g && g != f; g = g->next) {
        if (sd_split(g, &i2, &p2) && slice_eq(i2, id)) {
            return 1;
        }
    }
    return 0;
}

static void add_sd_value(struct ls_fmt_buf *b, const struct ls_field *f)
{
    char t[40];
    int n;

    switch (f->type) {
    case LS_FIELD_STRING:
    case LS_FIELD_JSON:
        if (f->v.s.ptr) {
            add_oneline(b, f->v.s.ptr, f->v.s.len, 1);
        }
        return;
    case LS_FIELD_INT:
        n = snprintf(t, sizeof t, "%" PRId64, f->v.i);
        break;
    case LS_FIELD_DOUBLE:
        n = snprintf(t, sizeof t, "%.17g", f->v.d);
        break;
    case LS_FIELD_BOOL:
        n = snprintf(t, sizeof t, "%s", f->v.b ? "true" : "false");
        break;
    default:
        return; /* null: an empty value */
    }
    ls_fmt_buf_add(b, t, (size_t)n);
}

/* One SD-ELEMENT for `id`, with the params of every field from `first` on that carry it. */
static void add_sd_element(struct ls_fmt_buf *b, const struct ls_field *first, struct ls_slice id)
{
    struct ls_slice i2, param;

    ls_fmt_buf_add(b, "[", 1);
    add_clean(b, id.ptr, id.len, SDNAME_MAX, bad_sdname);
    for (const struct ls_field *g = first; g; g = g->next) {
        if (!sd_split(g, &i2, &param) || !slice_eq(i2, id)) {
            continue;
        }
        ls_fmt_buf_add(b, " ", 1);
        add_clean(b, param.ptr, param.len, SDNAME_MAX, bad_sdname);
        ls_fmt_buf_add(b, "=\"", 2);
        add_sd_value(b, g);
        ls_fmt_buf_add(b, "\"", 1);
    }
    ls_fmt_buf_add(b, "]", 1);
}

static void add_sd(struct ls_fmt_buf *b, const struct ls_record *r)
{
    struct ls_slice id, param;
    int any = 0;

    for (const struct ls_field *f = r->fields; f; f = f->next) {
        if (!sd_split(f, &id, &param) || sd_seen(r, f, id)) {
            continue;
        }
        add_sd_element(b, f, id);
        any = 1;
    }
    if (!any) {
        ls_fmt_buf_add(b, "-", 1);
    }
}

int ls_fmt_record_rfc5424(struct ls_fmt_buf *b, const struct ls_record *r,
                          const struct ls_fmt_syslog_opts *o)
{
    char t[LS_FMT_TIME_SIZE];
    struct ls_slice app = r->app;
    int truncated = 0;

    add_pri(b, r, o);
    ls_fmt_buf_add(b, "1 ", 2);
    ls_fmt_time(t, r->time);
    t[26] = 'Z'; /* "YYYY-MM-DDTHH:MM:SS.uuuuuu" + Z: microseconds, truncated */
    ls_fmt_buf_add(b, t, 27);
    ls_fmt_buf_add(b, " ", 1);
    add_5424_field(b, r->host, o->host, HOST_MAX);
    ls_fmt_buf_add(b, " ", 1);
    if (o->app) {
        app.ptr = o->app;
        app.len = strlen(o->app);
    }
    add_5424_field(b, app, NULL, APP_MAX);
    ls_fmt_buf_add(b, " ", 1);
    add_5424_field(b, r->procid, NULL, PROCID_MAX);
    ls_fmt_buf_add(b, " ", 1);
    add_5424_field(b, r->msgid, NULL, MSGID_MAX);
    ls_fmt_buf_add(b, " ", 1);
    add_sd(b, r);
    if (present(r->message)) {
        ls_fmt_buf_add(b, " ", 1);
        truncated = add_message(b, r, o);
    }
    return truncated;
}

/* ---- RFC 3164 and traditional ------------------------------------------------------------ */

static void add_3164_host(struct ls_fmt_buf *b, const struct ls_record *r,
                          const struct ls_fmt_syslog_opts *o)
{
    if (present(r->host)) {
        add_clean(b, r->host.ptr, r->host.len, HOST_MAX, bad_3164_host);
    } else if (o->host && *o->host) {
        add_clean(b, o->host, strlen(o->host), HOST_MAX, bad_3164_host);
    } else {
        add_str(b, "localhost");
    }
}

/* "TAG[PID]: " or "TAG: "; TAG is the override, else the app, else "-". */
static void add_tag(struct ls_fmt_buf *b, const struct ls_record *r,
                    const struct ls_fmt_syslog_opts *o)
{
    if (o->app) {
        add_clean(b, o->app, strlen(o->app), APP_MAX, bad_3164_tag);
    } else if (present(r->app)) {
        add_clean(b, r->app.ptr, r->app.len, APP_MAX, bad_3164_tag);
    } else {
        ls_fmt_buf_add(b, "-", 1);
    }
    if (present(r->procid)) {
        ls_fmt_buf_add(b, "[", 1);
        add_clean(b, r->procid.ptr, r->procid.len, PROCID_MAX, bad_3164_tag);
        ls_fmt_buf_add(b, "]", 1);
    }
    ls_fmt_buf_add(b, ": ", 2);
}

int ls_fmt_record_rfc3164(struct ls_fmt_buf *b, const struct ls_record *r,
                          const struct ls_fmt_syslog_opts *o, struct ls_fmt_clock *clk)
{
    add_pri(b, r, o);
    ls_fmt_buf_add(b, ls_fmt_clock_text(clk, r->time), 15);
    ls_fmt_buf_add(b, " ", 1);
    add_3164_host(b, r, o);
    ls_fmt_buf_add(b, " ", 1);
    add_tag(b, r, o);
    return add_message(b, r, o);
}

void ls_fmt_record_traditional(struct ls_fmt_buf *b, const struct ls_record *r,
                               const struct ls_fmt_syslog_opts *o, struct ls_fmt_clock *clk)
{
    ls_fmt_buf_add(b, ls_fmt_clock_text(clk, r->time), 15);
    ls_fmt_buf_add(b, " ", 1);
    add_3164_host(b, r, o);
    ls_fmt_buf_add(b, " ", 1);
    if (o->app || present(r->app)) {
        add_tag(b, r, o);
    }
    add_message(b, r, o);
}
