/*
 * fuzz_logfmt.c - libFuzzer target for the logfmt parser (plugins/parsers/logfmt/
 * logfmt_parse.c with plugins/parsers/json/fieldmap.c, core/batch.c and core/util.c).
 *
 * Input: byte 0 picks max_fields (1..16, or 256 when 0); the rest is the line.
 * Checks: on failure the record is exactly as before; on success every added field is a
 * string whose key is non-empty without '=', '"' or bytes <= ' ', whose value is readable and
 * no longer than the message, at most max_fields of them; the severity is 0..7 or unset; raw
 * is untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/parsers/logfmt/logfmt_parse.h"
#include "batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *k_level[] = {"level", "severity", "lvl"};
static char *k_message[] = {"msg", "message"};
static char *k_app[] = {"service", "app", "logger"};
static char *k_time[] = {"time", "timestamp", "ts"};
static char *k_host[] = {"host", "hostname"};

static volatile unsigned char sink;

static void touch(struct ls_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        sink ^= (unsigned char)s.ptr[i];
    }
}

static int inside(struct ls_slice s, struct ls_slice in)
{
    return s.ptr >= in.ptr && s.len <= in.len && (size_t)(s.ptr - in.ptr) <= in.len - s.len;
}

static void check_key(struct ls_slice k)
{
    if (k.len == 0) {
        abort();
    }
    for (size_t i = 0; i < k.len; i++) {
        unsigned char c = (unsigned char)k.ptr[i];
        if (c <= ' ' || c == '=' || c == '"') {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_logfmt_opts o;
    struct ls_batch *b;
    struct ls_record *r, before;
    const char *line;
    size_t len;
    int rc;

    if (size < 1) {
        return 0;
    }
    memset(&o, 0, sizeof o);
    o.max_fields = data[0] == 0 ? 256 : 1 + data[0] % 16;
    ls_fmap_set(&o.map, LS_FMAP_LEVEL, k_level, 3);
    ls_fmap_set(&o.map, LS_FMAP_MESSAGE, k_message, 2);
    ls_fmap_set(&o.map, LS_FMAP_APP, k_app, 3);
    ls_fmap_set(&o.map, LS_FMAP_TIME, k_time, 3);
    ls_fmap_set(&o.map, LS_FMAP_HOST, k_host, 2);
    line = (const char *)data + 1;
    len = size - 1;

    b = ls_batch_new("in", "p");
    r = ls_batch_append(b, line, len, NULL, 7);
    memcpy(&before, r, sizeof before);
    rc = ls_logfmt_parse_record(&o, b, r);
    if (memcmp(r->raw.ptr, line, len) != 0) {
        abort();
    }
    if (rc < 0) {
        if ((rc != LS_LOGFMT_ESYNTAX && rc != LS_LOGFMT_ETOOMANY) ||
            memcmp(r, &before, sizeof before) != 0) {
            abort();
        }
    } else {
        size_t n = 0;
        if (rc != 0 || r->nfields > o.max_fields || r->severity < -1 || r->severity > 7) {
            abort();
        }
        touch(r->message);
        touch(r->app);
        touch(r->host);
        for (const struct ls_field *f = r->fields; f; f = f->next) {
            if (f->type != LS_FIELD_STRING || !f->v.s.ptr || f->v.s.len > len) {
                abort();
            }
            check_key(f->key);
            touch(f->v.s);
            n++;
        }
        if (n != r->nfields) {
            abort();
        }
        if (!inside(r->message, before.message) && r->message.len > len) {
            abort();
        }
    }
    ls_batch_unref(b);
    return 0;
}
