/* logfmt_parse.c - key=value lines -> record members and string fields; see logfmt_parse.h. */
#include "logfmt_parse.h"

#include <stdint.h>
#include <string.h>

struct pair {
    const char *key, *val;
    size_t klen, vlen;
    int escaped; /* quoted with at least one backslash: needs decoding */
};

/* The next pair of s[*pos, len). Returns 1 and *p, 0 at the end, LS_LOGFMT_ESYNTAX on an
 * error. Bytes are compared unsigned: UTF-8 is data, not a separator. */
static int next_pair(const unsigned char *s, size_t len, size_t *pos, struct pair *p)
{
    size_t i = *pos, k;

    while (i < len && s[i] <= ' ') {
        i++;
    }
    if (i == len) {
        *pos = i;
        return 0;
    }
    for (k = i; i < len && s[i] > ' ' && s[i] != '=' && s[i] != '"'; i++) {
    }
    if (i == k || i == len || s[i] != '=') {
        return LS_LOGFMT_ESYNTAX; /* no key, a bare word, or a quote in the key */
    }
    p->key = (const char *)s + k;
    p->klen = i - k;
    p->escaped = 0;
    i++;
    if (i < len && s[i] == '"') {
        size_t v = ++i;
        while (i < len && s[i] != '"') {
            if (s[i] == '\\') {
                p->escaped = 1;
                i++;
            }
            i++;
        }
        if (i >= len) {
            return LS_LOGFMT_ESYNTAX; /* unterminated */
        }
        p->val = (const char *)s + v;
        p->vlen = i - v;
        i++;
        if (i < len && s[i] > ' ') {
            return LS_LOGFMT_ESYNTAX; /* text glued to the closing quote */
        }
    } else {
        size_t v = i;
        while (i < len && s[i] > ' ') {
            i++;
        }
        p->val = (const char *)s + v;
        p->vlen = i - v;
    }
    *pos = i;
    return 1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* n hex digits at s (n <= 4), or -1. */
static long hexn(const unsigned char *s, size_t n)
{
    long v = 0;

    for (size_t i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0) {
            return -1;
        }
        v = v * 16 + h;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* \uXXXX at s[i] (s[i] == 'u'), joining a surrogate pair; a lone surrogate becomes U+FFFD.
 * Returns the bytes consumed after the backslash (0: not a valid escape). */
static size_t unicode_escape(const unsigned char *s, size_t len, size_t i, unsigned long *cp)
{
    long hi = i + 5 <= len ? hexn(s + i + 1, 4) : -1, lo;

    if (hi < 0) {
        return 0;
    }
    *cp = (unsigned long)hi;
    if (hi >= 0xd800 && hi <= 0xdbff && i + 11 <= len && s[i + 5] == '\\' && s[i + 6] == 'u' &&
        (lo = hexn(s + i + 7, 4)) >= 0xdc00 && lo <= 0xdfff) {
        *cp = 0x10000 + (((unsigned long)hi - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
        return 11;
    }
    if (hi >= 0xd800 && hi <= 0xdfff) {
        *cp = 0xfffd;
    }
    return 5;
}

/* One escape at s[i] (after the backslash) into o; returns bytes written, *used consumed. */
static size_t decode_escape(const unsigned char *s, size_t len, size_t i, char *o, size_t *used)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *m = memchr(from, s[i], sizeof from - 1);
    unsigned long cp;
    long h;

    if (m) {
        *o = to[m - from];
        *used = 1;
        return 1;
    }
    if (s[i] == 'u' && (*used = unicode_escape(s, len, i, &cp)) != 0) {
        return put_utf8(o, cp);
    }
    if (s[i] == 'x' && i + 3 <= len && (h = hexn(s + i + 1, 2)) >= 0) {
        *o = (char)h;
        *used = 3;
        return 1;
    }
    o[0] = '\\'; /* unknown: kept as written */
    o[1] = (char)s[i];
    *used = 1;
    return 2;
}

/* Decode a quoted value with escapes into the arena. Never longer than the input: every
 * escape takes at least as many bytes as it yields. */
static struct ls_slice unescape(struct ls_batch *b, const char *val, size_t vlen)
{
    const unsigned char *s = (const unsigned char *)val;
    char *out = ls_batch_alloc(b, vlen ? vlen : 1);
    size_t n = 0, used;
    struct ls_slice r;

    for (size_t i = 0; i < vlen;) {
        if (s[i] != '\\' || i + 1 == vlen) {
            out[n++] = (char)s[i++];
            continue;
        }
        n += decode_escape(s, vlen, i + 1, out + n, &used);
        i += 1 + used;
    }
    r.ptr = out;
    r.len = n;
    return r;
}

/* Set target t from v; -1 when v does not fit t. */
static int map_value(struct ls_record *r, int t, struct ls_slice v)
{
    int64_t ns;
    int sev;

    switch (t) {
    case LS_FMAP_LEVEL:
        if ((sev = ls_fmap_severity_word(v.ptr, v.len)) < 0) {
            return -1;
        }
        r->severity = sev;
        return 0;
    case LS_FMAP_TIME:
        if (ls_fmap_time_text(v.ptr, v.len, &ns) < 0) {
            return -1;
        }
        r->time = ns;
        return 0;
    case LS_FMAP_MESSAGE:
        r->message = v;
        return 0;
    case LS_FMAP_APP:
    case LS_FMAP_HOST:
        if (v.len == 0) {
            return -1;
        }
        if (t == LS_FMAP_APP) {
            r->app = v;
        } else {
            r->host = v;
        }
        return 0;
    default:
        return -1;
    }
}

/* Every pair into r (the syntax was checked). */
static int apply(const struct ls_logfmt_opts *o, struct ls_batch *b, struct ls_record *r,
                 const unsigned char *s, size_t len)
{
    struct pair p;
    size_t pos = 0, added = 0;
    unsigned taken = 0;

    while (next_pair(s, len, &pos, &p) == 1) {
        struct ls_slice v = {p.val, p.vlen};
        int t = ls_fmap_lookup(&o->map, p.key, p.klen);
        struct ls_field *f;

        if (p.escaped) {
            v = unescape(b, p.val, p.vlen);
        }
        if (t != LS_FMAP_NONE && !(taken & (1u << t)) && map_value(r, t, v) == 0) {
            taken |= 1u << t;
            continue;
        }
        if (added >= o->max_fields) {
            return LS_LOGFMT_ETOOMANY;
        }
        f = ls_record_add_field(b, r, p.key, p.klen, LS_FIELD_STRING, NULL, 0);
        if (!f) {
            return LS_LOGFMT_ETOOMANY;
        }
        f->v.s = v; /* a slice of the message (or of the arena): no copy */
        added++;
    }
    return 0;
}

int ls_logfmt_parse_record(const struct ls_logfmt_opts *o, struct ls_batch *b, struct ls_record *r)
{
    const unsigned char *s = (const unsigned char *)r->message.ptr;
    size_t len = r->message.len, pos = 0, pairs = 0;
    struct ls_fmap_snap snap;
    struct pair p;
    int rc;

    while ((rc = next_pair(s, len, &pos, &p)) == 1) {
        pairs++;
    }
    if (rc < 0 || pairs == 0) {
        return LS_LOGFMT_ESYNTAX;
    }
    ls_fmap_snap_take(&snap, r);
    rc = apply(o, b, r, s, len);
    if (rc < 0) {
        ls_fmap_snap_restore(&snap, r);
    }
    return rc;
}
