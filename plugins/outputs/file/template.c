/* template.c - `${name}` templates for paths and lines; see template.h. */
#include "template.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STRFTIME_MAX 1024 /* bytes of one literal after strftime */
#define TMP_SIZE     48   /* formatted numbers and times */

static const struct {
    const char *name;
    int var;
} var_names[] = {
    {"time", FO_VAR_TIME},   {"received", FO_VAR_RECEIVED}, {"timestamp", FO_VAR_TIMESTAMP},
    {"host", FO_VAR_HOST},   {"app", FO_VAR_APP},           {"procid", FO_VAR_PROCID},
    {"msgid", FO_VAR_MSGID}, {"severity", FO_VAR_SEVERITY}, {"facility", FO_VAR_FACILITY},
    {"pri", FO_VAR_PRI},     {"message", FO_VAR_MESSAGE},   {"raw", FO_VAR_RAW},
    {"peer", FO_VAR_PEER},   {"input", FO_VAR_INPUT},       {"pipeline", FO_VAR_PIPELINE},
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q) {
        fprintf(stderr, "logstream: file output: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);

    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- compiling --------------------------------------------------------------------------- */

static void add_seg(struct fo_template *t, int var, const char *text, size_t len)
{
    struct fo_seg *s;

    if (var == FO_VAR_LITERAL && len == 0) {
        return;
    }
    t->segs = xrealloc(t->segs, (t->nsegs + 1) * sizeof *t->segs);
    s = &t->segs[t->nsegs++];
    s->var = var;
    s->text = xstrndup(text, len);
    s->len = len;
    if (var != FO_VAR_LITERAL) {
        t->nvars++;
    } else if (memchr(text, '%', len)) {
        t->has_percent = 1;
    }
}

/* The variable named name[0, len): its enum value, or -1. */
static int lookup_var(const char *name, size_t len)
{
    if (len > 6 && memcmp(name, "field.", 6) == 0) {
        return FO_VAR_FIELD;
    }
    for (size_t i = 0; i < sizeof var_names / sizeof var_names[0]; i++) {
        if (strlen(var_names[i].name) == len && memcmp(var_names[i].name, name, len) == 0) {
            return var_names[i].var;
        }
    }
    return -1;
}

int fo_template_compile(struct fo_template *t, const char *src, char *err, size_t errlen)
{
    const char *p = src, *lit = src;

    memset(t, 0, sizeof *t);
    while (*p) {
        const char *end;
        int var;

        if (p[0] != '$' || p[1] != '{') {
            p++;
            continue;
        }
        add_seg(t, FO_VAR_LITERAL, lit, (size_t)(p - lit));
        end = strchr(p + 2, '}');
        if (!end) {
            snprintf(err, errlen, "unterminated '${' in \"%s\"", src);
            goto fail;
        }
        var = lookup_var(p + 2, (size_t)(end - p - 2));
        if (var < 0) {
            snprintf(err, errlen,
                     "unknown variable '%.*s' (known: time, received, timestamp, host, app, "
                     "procid, msgid, severity, facility, pri, message, raw, peer, input, "
                     "pipeline, field.NAME)",
                     (int)(end - p + 1 > 200 ? 200 : end - p + 1), p);
            goto fail;
        }
        if (var == FO_VAR_FIELD) {
            add_seg(t, var, p + 8, (size_t)(end - p - 8));
        } else {
            add_seg(t, var, "", 0);
        }
        p = lit = end + 1;
    }
    add_seg(t, FO_VAR_LITERAL, lit, (size_t)(p - lit));
    return 0;
fail:
    fo_template_release(t);
    return -1;
}

void fo_template_release(struct fo_template *t)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        free(t->segs[i].text);
    }
    free(t->segs);
    memset(t, 0, sizeof *t);
}

/* ---- values ------------------------------------------------------------------------------ */

static struct ls_slice cstr(const char *s)
{
    struct ls_slice v = {s, s ? strlen(s) : 0};
    return v;
}

static struct ls_slice tmp_printf_i(char *tmp, int64_t v)
{
    struct ls_slice s = {tmp, (size_t)snprintf(tmp, TMP_SIZE, "%" PRId64, v)};
    return s;
}

static struct ls_slice field_value(const struct fo_seg *seg, const struct ls_record *r, char *tmp)
{
    struct ls_slice none = {NULL, 0};
    const struct ls_field *f;

    for (f = r->fields; f; f = f->next) {
        if (f->key.len == seg->len && memcmp(f->key.ptr, seg->text, seg->len) == 0) {
            break;
        }
    }
    if (!f) {
        return none;
    }
    switch (f->type) {
    case LS_FIELD_STRING:
    case LS_FIELD_JSON:
        return f->v.s;
    case LS_FIELD_INT:
        return tmp_printf_i(tmp, f->v.i);
    case LS_FIELD_DOUBLE: {
        struct ls_slice s = {tmp, (size_t)snprintf(tmp, TMP_SIZE, "%.17g", f->v.d)};
        return s;
    }
    case LS_FIELD_BOOL:
        return cstr(f->v.b ? "true" : "false");
    default:
        return none;
    }
}

static const char *name_of(const char *(*fn)(int), int v)
{
    return fn ? fn(v) : NULL;
}

/* The value of variable seg for r; ptr is NULL when the record has none. tmp: TMP_SIZE bytes. */
static struct ls_slice var_value(const struct fo_seg *seg, const struct ls_record *r,
                                 const struct fo_render_ctx *c, char *tmp)
{
    struct ls_slice none = {NULL, 0};
    static const struct ls_fmt_syslog_opts dflt = {NULL, NULL, 1, 5, 0};

    switch (seg->var) {
    case FO_VAR_TIME:
    case FO_VAR_RECEIVED: {
        struct ls_slice s = {tmp,
                             ls_fmt_time(tmp, seg->var == FO_VAR_TIME ? r->time : r->received)};
        return s;
    }
    case FO_VAR_TIMESTAMP:
        return c->clk ? cstr(ls_fmt_clock_text(c->clk, r->time)) : none;
    case FO_VAR_HOST:
        return r->host.ptr && r->host.len ? r->host : cstr(c->hostname);
    case FO_VAR_APP:
        return r->app;
    case FO_VAR_PROCID:
        return r->procid;
    case FO_VAR_MSGID:
        return r->msgid;
    case FO_VAR_SEVERITY:
        return cstr(name_of(c->fmt ? c->fmt->severity_name : NULL, r->severity));
    case FO_VAR_FACILITY:
        return cstr(name_of(c->fmt ? c->fmt->facility_name : NULL, r->facility));
    case FO_VAR_PRI:
        return tmp_printf_i(tmp, ls_fmt_pri(r, c->sopts ? c->sopts : &dflt));
    case FO_VAR_MESSAGE:
        return r->message;
    case FO_VAR_RAW:
        return r->raw;
    case FO_VAR_PEER:
        return r->peer;
    case FO_VAR_INPUT:
        return cstr(c->fmt ? c->fmt->input : NULL);
    case FO_VAR_PIPELINE:
        return cstr(c->fmt ? c->fmt->pipeline : NULL);
    case FO_VAR_FIELD:
        return field_value(seg, r, tmp);
    default:
        return none;
    }
}

/* ---- lines ------------------------------------------------------------------------------- */

/* Append s with '\n' and NUL written as spaces. */
static void add_oneline(struct ls_fmt_buf *b, const char *s, size_t len)
{
    char *o;

    ls_fmt_buf_reserve(b, len);
    o = b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        o[i] = s[i] == '\n' || s[i] == '\0' ? ' ' : s[i];
    }
    b->len += len;
}

void fo_template_line(struct ls_fmt_buf *b, const struct fo_template *t, const struct ls_record *r,
                      const struct fo_render_ctx *c)
{
    char tmp[TMP_SIZE];

    for (size_t i = 0; i < t->nsegs; i++) {
        const struct fo_seg *s = &t->segs[i];
        struct ls_slice v;

        if (s->var == FO_VAR_LITERAL) {
            ls_fmt_buf_add(b, s->text, s->len);
            continue;
        }
        v = var_value(s, r, c, tmp);
        if (!v.ptr) {
            ls_fmt_buf_add(b, "-", 1);
        } else {
            add_oneline(b, v.ptr, v.len);
        }
    }
    ls_fmt_buf_add(b, "\n", 1);
}

/* ---- paths ------------------------------------------------------------------------------- */

size_t fo_sanitize(const char *s, size_t len, char *out)
{
    size_t n = len;

    if (!s) {
        n = 0;
    }
    if (n > FO_VALUE_MAX) {
        n = FO_VALUE_MAX;
        for (int i = 0; i < 3 && ((unsigned char)s[n] & 0xc0) == 0x80; i++) {
            n--;
        }
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c == '/' || c < 0x20 || c == 0x7f ? '_' : (char)c;
    }
    if (n == 0 || (n == 1 && out[0] == '.') || (n == 2 && out[0] == '.' && out[1] == '.')) {
        out[0] = '_';
        n = 1;
    }
    return n;
}

int fo_path_init(struct fo_path *p, const char *src, int utc, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (fo_template_compile(&p->t, src, err, errlen) < 0) {
        return -1;
    }
    p->utc = utc;
    p->lit = xrealloc(NULL, (p->t.nsegs ? p->t.nsegs : 1) * sizeof *p->lit);
    p->litlen = xrealloc(NULL, (p->t.nsegs ? p->t.nsegs : 1) * sizeof *p->litlen);
    for (size_t i = 0; i < p->t.nsegs; i++) {
        const struct fo_seg *s = &p->t.segs[i];
        int strf = s->var == FO_VAR_LITERAL && memchr(s->text, '%', s->len);

        p->lit[i] = strf ? xrealloc(NULL, STRFTIME_MAX) : NULL;
        p->litlen[i] = 0;
    }
    return 0;
}

void fo_path_release(struct fo_path *p)
{
    for (size_t i = 0; p->lit && i < p->t.nsegs; i++) {
        free(p->lit[i]);
    }
    free(p->lit);
    free(p->litlen);
    fo_template_release(&p->t);
    memset(p, 0, sizeof *p);
}

int fo_path_is_static(const struct fo_path *p)
{
    return p->t.nvars == 0 && !p->t.has_percent;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t expand_strftime(char *out, const char *fmt, const struct tm *tm)
{
    /* 0 means "empty or did not fit": either way nothing is written. */
    return strftime(out, STRFTIME_MAX, fmt, tm);
}
#pragma GCC diagnostic pop

/* Expand the literals' '%' sequences for the second of `ns`, once per second. */
static void refresh_strftime(struct fo_path *p, int64_t ns)
{
    int64_t sec = ns / 1000000000 - (ns % 1000000000 < 0);
    time_t t = (time_t)sec;
    struct tm tm;

    if (p->have && p->sec == sec) {
        return;
    }
    if ((p->utc ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) == NULL) {
        memset(&tm, 0, sizeof tm);
        tm.tm_mday = 1;
        tm.tm_year = 70;
    }
    for (size_t i = 0; i < p->t.nsegs; i++) {
        if (p->lit[i]) {
            p->litlen[i] = expand_strftime(p->lit[i], p->t.segs[i].text, &tm);
        }
    }
    p->sec = sec;
    p->have = 1;
}

int fo_path_render(struct fo_path *p, const struct ls_record *r, const struct fo_render_ctx *c,
                   char *out, size_t cap)
{
    char tmp[TMP_SIZE], val[FO_VALUE_MAX];
    size_t o = 0;

    if (p->t.has_percent) {
        refresh_strftime(p, r->received);
    }
    for (size_t i = 0; i < p->t.nsegs; i++) {
        const struct fo_seg *s = &p->t.segs[i];
        const char *src;
        size_t n;

        if (s->var == FO_VAR_LITERAL) {
            src = p->lit[i] ? p->lit[i] : s->text;
            n = p->lit[i] ? p->litlen[i] : s->len;
        } else {
            struct ls_slice v = var_value(s, r, c, tmp);
            n = fo_sanitize(v.ptr, v.len, val);
            src = val;
        }
        if (n >= cap - o) {
            return -1;
        }
        memcpy(out + o, src, n);
        o += n;
    }
    if (o >= cap) {
        return -1;
    }
    out[o] = '\0';
    return (int)o;
}

char *fo_path_static_dir(const char *src)
{
    size_t stop = strlen(src), slash = SIZE_MAX;
    const char *v = strstr(src, "${"), *pct = strchr(src, '%');

    if (v && (size_t)(v - src) < stop) {
        stop = (size_t)(v - src);
    }
    if (pct && (size_t)(pct - src) < stop) {
        stop = (size_t)(pct - src);
    }
    for (size_t i = 0; i < stop; i++) {
        if (src[i] == '/') {
            slash = i;
        }
    }
    if (slash == SIZE_MAX) {
        return xstrndup(".", 1);
    }
    return xstrndup(src, slash == 0 ? 1 : slash);
}
