/*
 * frame.c - syslog message, truncation and framing of one record (frame.h).
 */
#include "frame.h"

#include <stdio.h>
#include <string.h>

void ls_sysout_framer_release(struct ls_sysout_framer *f)
{
    ls_fmt_buf_release(&f->scratch);
}

size_t ls_sysout_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t cut = max;

    if (max >= len) {
        return len;
    }
    /* s[cut] is the first byte left out: while it continues a sequence, leave out the rest of
     * that sequence too (at most 3 bytes back: longer runs are not UTF-8 anyway). */
    for (int i = 0; i < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; i++) {
        cut--;
    }
    if (((unsigned char)s[cut] & 0xC0) == 0x80) {
        return max;
    }
    return cut;
}

static void format_message(struct ls_sysout_framer *f, const struct ls_record *r)
{
    f->scratch.len = 0;
    if (f->format == LS_SYSOUT_RFC3164) {
        ls_fmt_record_rfc3164(&f->scratch, r, &f->opts, &f->clock);
    } else {
        ls_fmt_record_rfc5424(&f->scratch, r, &f->opts);
    }
}

/* Format r into the scratch buffer, at most max_message bytes. Returns 1 if it was cut. */
static int message(struct ls_sysout_framer *f, const struct ls_record *r)
{
    size_t max = f->max_message, excess;

    f->opts.max_message = 0;
    format_message(f, r);
    if (max == 0 || f->scratch.len <= max) {
        return 0;
    }
    excess = f->scratch.len - max;
    if (excess < r->message.len) {
        f->opts.max_message = r->message.len - excess;
        format_message(f, r);
        f->opts.max_message = 0;
    }
    if (f->scratch.len > max) {
        f->scratch.len = ls_sysout_utf8_cut(f->scratch.data, f->scratch.len, max);
    }
    return 1;
}

static void add_newline_framed(struct ls_fmt_buf *out, const char *s, size_t len)
{
    char *d;

    ls_fmt_buf_reserve(out, len + 1);
    d = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        d[i] = s[i] == '\n' ? ' ' : s[i];
    }
    d[len] = '\n';
    out->len += len + 1;
}

int ls_sysout_frame(struct ls_sysout_framer *f, struct ls_fmt_buf *out, const struct ls_record *r)
{
    struct ls_record copy;
    const struct ls_record *rec = r;
    int truncated;

    if (f->host) {
        /* A shallow copy: the formatter reads only members this plugin was built with. */
        memcpy(&copy, r, sizeof copy);
        copy.host.ptr = f->host;
        copy.host.len = strlen(f->host);
        rec = &copy;
    }
    truncated = message(f, rec);
    if (f->framing == LS_SYSOUT_FRAME_OCTET) {
        char len[24];
        int n = snprintf(len, sizeof len, "%zu ", f->scratch.len);
        ls_fmt_buf_add(out, len, (size_t)n);
        ls_fmt_buf_add(out, f->scratch.data, f->scratch.len);
    } else if (f->framing == LS_SYSOUT_FRAME_NEWLINE) {
        add_newline_framed(out, f->scratch.data, f->scratch.len);
    } else {
        ls_fmt_buf_add(out, f->scratch.data, f->scratch.len);
    }
    return truncated;
}
