/* format.c - JSON escaping, RFC 3339 times and record lines for output plugins; see format.h. */
#include "format.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/* ---- buffer ------------------------------------------------------------------------------ */

void ls_fmt_buf_release(struct ls_fmt_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ls_fmt_buf_reserve(struct ls_fmt_buf *b, size_t more)
{
    size_t cap;
    char *p;

    if (more <= b->cap - b->len) {
        return;
    }
    if (more > SIZE_MAX / 2 - b->len) {
        fprintf(stderr, "logstream: file output: buffer size overflow (%zu + %zu bytes)\n", b->len,
                more);
        abort();
    }
    cap = b->cap ? b->cap * 2 : 4096;
    if (cap < b->len + more) {
        cap = b->len + more;
    }
    p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "logstream: file output: out of memory allocating %zu bytes\n", cap);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void ls_fmt_buf_add(struct ls_fmt_buf *b, const void *data, size_t len)
{
    if (len == 0) {
        return;
    }
    ls_fmt_buf_reserve(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void add_str(struct ls_fmt_buf *b, const char *s)
{
    ls_fmt_buf_add(b, s, strlen(s));
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* Length (1..4) of the well-formed UTF-8 sequence at p, or 0 with *bad set to the length of its
 * maximal ill-formed subpart (1..3): the bytes to replace with one U+FFFD. Unicode Table 3-7. */
static size_t utf8_seq(const unsigned char *p, size_t avail, size_t *bad)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xbf;
    size_t need;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
    } else if (c == 0xe0) {
        need = 2;
        lo = 0xa0; /* no overlongs */
    } else if (c >= 0xe1 && c <= 0xef) {
        need = 2;
        if (c == 0xed) {
            hi = 0x9f; /* no surrogates */
        }
    } else if (c == 0xf0) {
        need = 3;
        lo = 0x90; /* no overlongs */
    } else if (c >= 0xf1 && c <= 0xf3) {
        need = 3;
    } else if (c == 0xf4) {
        need = 3;
        hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *bad = 1; /* continuation byte, C0/C1 (overlong), F5..FF */
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= avail || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return need + 1;
}

/* ---- JSON strings ------------------------------------------------------------------------ */

void ls_fmt_json_string(struct ls_fmt_buf *b, const char *s, size_t len)
{
    const unsigned char *p, *end;
    char *o;

    if (len == 0) {
        ls_fmt_buf_add(b, "\"\"", 2);
        return;
    }
    if (len > (SIZE_MAX / 2 - 2) / 6) {
        fprintf(stderr, "logstream: file output: string too long to escape (%zu bytes)\n", len);
        abort();
    }
    ls_fmt_buf_reserve(b, len * 6 + 2); /* worst case: every byte as \u00xx */
    p = (const unsigned char *)s;
    end = p + len;
    o = b->data + b->len;
    *o++ = '"';
    while (p < end) {
        unsigned char c = *p;
        size_t n, bad;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *o++ = (char)c;
            p++;
        } else if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(o, "\\u00", 4);
            o[4] = hex_digits[c >> 4];
            o[5] = hex_digits[c & 0xf];
            o += 6;
            p++;
        } else if ((n = utf8_seq(p, (size_t)(end - p), &bad)) > 0) {
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3); /* U+FFFD */
            o += 3;
            p += bad;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
}

/* ---- time -------------------------------------------------------------------------------- */

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *o, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + width;
}

size_t ls_fmt_time(char out[LS_FMT_TIME_SIZE], int64_t ns)
{
    int64_t secs = ns / 1000000000, frac = ns % 1000000000;
    int64_t days, sod, year;
    unsigned month, day;
    char *o = out;

    if (frac < 0) {
        frac += 1000000000;
        secs--;
    }
    days = secs / 86400;
    sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    o = put_digits(o, (uint64_t)year, 4);
    *o++ = '-';
    o = put_digits(o, month, 2);
    *o++ = '-';
    o = put_digits(o, day, 2);
    *o++ = 'T';
    o = put_digits(o, (uint64_t)(sod / 3600), 2);
    *o++ = ':';
    o = put_digits(o, (uint64_t)(sod / 60 % 60), 2);
    *o++ = ':';
    o = put_digits(o, (uint64_t)(sod % 60), 2);
    *o++ = '.';
    o = put_digits(o, (uint64_t)frac, 9);
    *o++ = 'Z';
    *o = '\0';
    return (size_t)(o - out);
}

/* ---- JSON validation --------------------------------------------------------------------- */

struct jscan {
    const unsigned char *p, *end;
    int depth;
};

static int scan_value(struct jscan *j);

static void skip_ws(struct jscan *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static int is_digit(const struct jscan *j)
{
    return j->p < j->end && *j->p >= '0' && *j->p <= '9';
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int scan_escape(struct jscan *j)
{
    if (j->p >= j->end) {
        return 0;
    }
    if (*j->p == 'u') {
        if (j->end - j->p < 5) {
            return 0;
        }
        for (int i = 1; i <= 4; i++) {
            if (!is_hex(j->p[i])) {
                return 0;
            }
        }
        j->p += 5;
        return 1;
    }
    if (!strchr("\"\\/bfnrt", *j->p) || *j->p == '\0') {
        return 0;
    }
    j->p++;
    return 1;
}

static int scan_string(struct jscan *j)
{
    j->p++; /* the opening quote */
    while (j->p < j->end) {
        unsigned char c = *j->p;
        size_t n, bad;

        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c == '\\') {
            j->p++;
            if (!scan_escape(j)) {
                return 0;
            }
        } else if (c < 0x20) {
            return 0;
        } else if ((n = utf8_seq(j->p, (size_t)(j->end - j->p), &bad)) > 0) {
            j->p += n;
        } else {
            return 0;
        }
    }
    return 0;
}

static int scan_digits(struct jscan *j)
{
    if (!is_digit(j)) {
        return 0;
    }
    while (is_digit(j)) {
        j->p++;
    }
    return 1;
}

static int scan_number(struct jscan *j)
{
    if (*j->p == '-') {
        j->p++;
    }
    if (j->p < j->end && *j->p == '0') {
        j->p++;
    } else if (!scan_digits(j)) {
        return 0;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!scan_digits(j)) {
            return 0;
        }
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) {
            j->p++;
        }
        if (!scan_digits(j)) {
            return 0;
        }
    }
    return 1;
}

static int scan_literal(struct jscan *j, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
        return 0;
    }
    j->p += n;
    return 1;
}

/* '[' or '{' already seen; members until the closing bracket. */
static int scan_container(struct jscan *j, unsigned char close)
{
    int ok = 0;

    if (++j->depth > LS_JSON_MAX_DEPTH) {
        return 0;
    }
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        skip_ws(j);
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"' || !scan_string(j)) {
                break;
            }
            skip_ws(j);
            if (j->p >= j->end || *j->p++ != ':') {
                break;
            }
        }
        if (!scan_value(j)) {
            break;
        }
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        ok = j->p < j->end && *j->p == close;
        j->p += ok;
        break;
    }
    j->depth--;
    return ok;
}

static int scan_value(struct jscan *j)
{
    skip_ws(j);
    if (j->p >= j->end) {
        return 0;
    }
    switch (*j->p) {
    case '{':
        return scan_container(j, '}');
    case '[':
        return scan_container(j, ']');
    case '"':
        return scan_string(j);
    case 't':
        return scan_literal(j, "true");
    case 'f':
        return scan_literal(j, "false");
    case 'n':
        return scan_literal(j, "null");
    default:
        return scan_number(j);
    }
}

int ls_json_valid(const char *s, size_t len)
{
    struct jscan j;

    if (!s || len == 0) {
        return 0;
    }
    j.p = (const unsigned char *)s;
    j.end = j.p + len;
    j.depth = 0;
    if (!scan_value(&j)) {
        return 0;
    }
    skip_ws(&j);
    return j.p == j.end;
}

void ls_fmt_json_compact(struct ls_fmt_buf *b, const char *s, size_t len)
{
    int in_str = 0;
    char *o;

    if (len == 0) {
        return;
    }
    ls_fmt_buf_reserve(b, len);
    o = b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (in_str) {
            *o++ = c;
            if (c == '\\' && i + 1 < len) {
                *o++ = s[++i];
            } else if (c == '"') {
                in_str = 0;
            }
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            *o++ = c;
            in_str = c == '"';
        }
    }
    b->len = (size_t)(o - b->data);
}

/* ---- records ----------------------------------------------------------------------------- */

static void add_slice(struct ls_fmt_buf *b, struct ls_slice s)
{
    if (!s.ptr) {
        add_str(b, "null");
    } else {
        ls_fmt_json_string(b, s.ptr, s.len);
    }
}

static void add_cstr(struct ls_fmt_buf *b, const char *s)
{
    if (!s) {
        add_str(b, "null");
    } else {
        ls_fmt_json_string(b, s, strlen(s));
    }
}

static void add_time(struct ls_fmt_buf *b, int64_t ns)
{
    char t[LS_FMT_TIME_SIZE + 2];
    size_t n;

    t[0] = '"';
    n = ls_fmt_time(t + 1, ns);
    t[n + 1] = '"';
    ls_fmt_buf_add(b, t, n + 2);
}

static void add_int(struct ls_fmt_buf *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof t, "%" PRId64, v);

    ls_fmt_buf_add(b, t, (size_t)n);
}

/* Shortest of %.15g / %.17g that reads back as the same double; non-finite -> null. */
/* Trusted credentials: only when the kernel told the input (never -1 / unknown). */
static void add_cred(struct ls_fmt_buf *b, const char *key, int64_t v)
{
    if (v >= 0) {
        add_str(b, key);
        add_int(b, v);
    }
}

static void add_double(struct ls_fmt_buf *b, double d)
{
    char t[40];
    int n;

    if (!isfinite(d)) {
        add_str(b, "null");
        return;
    }
    n = snprintf(t, sizeof t, "%.15g", d);
    if (strtod(t, NULL) != d) {
        n = snprintf(t, sizeof t, "%.17g", d);
    }
    for (int i = 0; i < n; i++) {
        if (t[i] == ',') {
            t[i] = '.'; /* a decimal comma from a foreign LC_NUMERIC */
        }
    }
    ls_fmt_buf_add(b, t, (size_t)n);
}

static void add_field_value(struct ls_fmt_buf *b, const struct ls_field *f)
{
    switch (f->type) {
    case LS_FIELD_STRING:
        add_slice(b, f->v.s);
        break;
    case LS_FIELD_INT:
        add_int(b, f->v.i);
        break;
    case LS_FIELD_DOUBLE:
        add_double(b, f->v.d);
        break;
    case LS_FIELD_BOOL:
        add_str(b, f->v.b ? "true" : "false");
        break;
    case LS_FIELD_JSON:
        if (ls_json_valid(f->v.s.ptr, f->v.s.len)) {
            ls_fmt_json_compact(b, f->v.s.ptr, f->v.s.len);
        } else {
            add_slice(b, f->v.s);
        }
        break;
    default: /* LS_FIELD_NULL, and types from a newer core */
        add_str(b, "null");
        break;
    }
}

static const char *name_of(const char *(*fn)(int), int v)
{
    return fn ? fn(v) : NULL;
}

void ls_fmt_record_raw(struct ls_fmt_buf *b, const struct ls_record *r)
{
    ls_fmt_buf_reserve(b, r->raw.len + 1);
    ls_fmt_buf_add(b, r->raw.ptr, r->raw.len);
    b->data[b->len++] = '\n';
}

void ls_fmt_record_json(struct ls_fmt_buf *b, const struct ls_record *r,
                        const struct ls_fmt_ctx *ctx)
{
    add_str(b, "{\"time\":");
    add_time(b, r->time);
    add_str(b, ",\"received\":");
    add_time(b, r->received);
    add_str(b, ",\"severity\":");
    add_cstr(b, name_of(ctx->severity_name, r->severity));
    add_str(b, ",\"facility\":");
    add_cstr(b, name_of(ctx->facility_name, r->facility));
    add_str(b, ",\"host\":");
    add_slice(b, r->host);
    add_str(b, ",\"app\":");
    add_slice(b, r->app);
    add_str(b, ",\"procid\":");
    add_slice(b, r->procid);
    add_str(b, ",\"msgid\":");
    add_slice(b, r->msgid);
    add_str(b, ",\"message\":");
    add_slice(b, r->message);
    add_str(b, ",\"raw\":");
    add_slice(b, r->raw);
    add_str(b, ",\"peer\":");
    add_slice(b, r->peer);
    add_str(b, ",\"input\":");
    add_cstr(b, ctx->input);
    add_str(b, ",\"pipeline\":");
    add_cstr(b, ctx->pipeline);
    add_cred(b, ",\"pid\":", r->pid);
    add_cred(b, ",\"uid\":", r->uid);
    add_cred(b, ",\"gid\":", r->gid);
    for (const struct ls_field *f = r->fields; f; f = f->next) {
        ls_fmt_buf_add(b, ",", 1);
        ls_fmt_json_string(b, f->key.ptr, f->key.len);
        ls_fmt_buf_add(b, ":", 1);
        add_field_value(b, f);
    }
    add_str(b, "}\n");
}
