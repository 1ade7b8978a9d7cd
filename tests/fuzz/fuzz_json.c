/*
 * fuzz_json.c - libFuzzer target for the json parser (plugins/parsers/json/json_parse.c with
 * fieldmap.c, core/batch.c and core/util.c; links json-c).
 *
 * Input: byte 0 picks the options (bit 0 flatten, bits 1-3 max_depth 1..8, bits 4-7 max_fields
 * 1..16, or the defaults when all bits are set), byte 1 bit 0 whether a syslog parser
 * "narrowed" the message to skip its first 2 bytes, bit 1 no key mapping (every key becomes a
 * field); the rest is the line.
 * Checks: on failure the record is exactly as before (members and the field list); on success
 * the parser added at most max_fields fields, each with a valid type and bytes that stay
 * readable, the mapped members are sane (severity 0..7 or unchanged), and raw is untouched.
 * Without mapping or flattening, every field must also equal what json-c alone makes of the
 * same member (key, type, value; JSON text parsed back equal), which checks the parser's own
 * scan of where values are written against json-c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../../plugins/parsers/json/fieldmap.h"
#include "../../plugins/parsers/json/json_parse.h"
#include "batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *k_level[] = {"level", "severity", "lvl"};
static char *k_message[] = {"msg", "message"};
static char *k_app[] = {"service", "app", "logger"};
static char *k_time[] = {"time", "timestamp", "ts"};
static char *k_host[] = {"host", "hostname"};

static volatile unsigned char sink;

/* Touch every byte of a slice so ASan sees a bad one. */
static void touch(struct ls_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        sink ^= (unsigned char)s.ptr[i];
    }
}

/* The field f equals json-c's value v (the member of the same place). */
static int field_equals(const struct ls_field *f, struct json_object *v)
{
    struct json_tokener *tok;
    struct json_object *parsed;
    char *text;
    int eq;

    switch (f->type) {
    case LS_FIELD_NULL:
        return json_object_get_type(v) == json_type_null;
    case LS_FIELD_BOOL:
        return json_object_get_type(v) == json_type_boolean && f->v.b == json_object_get_boolean(v);
    case LS_FIELD_INT:
        return json_object_get_type(v) == json_type_int && f->v.i == json_object_get_int64(v);
    case LS_FIELD_DOUBLE:
        return json_object_get_type(v) == json_type_double &&
               memcmp(&f->v.d, &(double){json_object_get_double(v)}, sizeof f->v.d) == 0;
    case LS_FIELD_STRING:
        return json_object_get_type(v) == json_type_string &&
               f->v.s.len == (size_t)json_object_get_string_len(v) &&
               memcmp(f->v.s.ptr, json_object_get_string(v), f->v.s.len) == 0;
    default: /* JSON text: parses back to an equal value (NaN is equal by its text). It is
              * parsed as "[text]": json-c cannot tell where a bare number ends. */
        text = malloc(f->v.s.len + 2);
        if (!text) {
            abort();
        }
        text[0] = '[';
        memcpy(text + 1, f->v.s.ptr, f->v.s.len);
        text[f->v.s.len + 1] = ']';
        tok = json_tokener_new_ex(64);
        parsed = json_tokener_parse_ex(tok, text, (int)f->v.s.len + 2);
        eq = parsed && json_tokener_get_parse_end(tok) == f->v.s.len + 2 &&
             json_object_array_length(parsed) == 1 &&
             (json_object_equal(json_object_array_get_idx(parsed, 0), v) ||
              strcmp(json_object_to_json_string_ext(json_object_array_get_idx(parsed, 0),
                                                    JSON_C_TO_STRING_PLAIN),
                     json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)) == 0);
        json_object_put(parsed);
        json_tokener_free(tok);
        free(text);
        return eq;
    }
}

/* Every field from `first` on, in order, is the json-c member of the same place. */
static void check_against_json_c(const struct ls_record *r, const struct ls_field *first)
{
    struct json_tokener *tok = json_tokener_new_ex(64);
    struct json_object *obj = json_tokener_parse_ex(tok, r->message.ptr, (int)r->message.len);
    const struct ls_field *f = first;

    if (!obj) {
        abort(); /* the parser accepted it */
    }
    for (struct lh_entry *e = lh_table_head(json_object_get_object(obj)); e;
         e = lh_entry_next(e), f = f->next) {
        const char *k = (const char *)lh_entry_k(e);
        if (!f || f->key.len != strlen(k) || memcmp(f->key.ptr, k, f->key.len) != 0 ||
            !field_equals(f, (struct json_object *)lh_entry_v(e))) {
            abort();
        }
    }
    if (f) {
        abort();
    }
    json_object_put(obj);
    json_tokener_free(tok);
}

static int same_slice(struct ls_slice a, struct ls_slice b)
{
    return a.ptr == b.ptr && a.len == b.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_json_opts o;
    struct ls_json_parser p;
    struct ls_batch *b;
    struct ls_record *r, before;
    struct ls_field *pre;
    const char *line;
    size_t len, skip;
    int rc;

    if (size < 2) {
        return 0;
    }
    memset(&o, 0, sizeof o);
    o.flatten = data[0] & 1;
    o.max_depth = data[0] == 0xff ? 32 : 1 + ((data[0] >> 1) & 7);
    o.max_fields = data[0] == 0xff ? 256 : 1 + (size_t)(data[0] >> 4);
    if (!(data[1] & 2)) {
        ls_fmap_set(&o.map, LS_FMAP_LEVEL, k_level, 3);
        ls_fmap_set(&o.map, LS_FMAP_MESSAGE, k_message, 2);
        ls_fmap_set(&o.map, LS_FMAP_APP, k_app, 3);
        ls_fmap_set(&o.map, LS_FMAP_TIME, k_time, 3);
        ls_fmap_set(&o.map, LS_FMAP_HOST, k_host, 2);
    }
    line = (const char *)data + 2;
    len = size - 2;
    skip = (data[1] & 1) && len >= 2 ? 2 : 0;

    b = ls_batch_new("in", "p");
    r = ls_batch_append(b, line, len, NULL, 7);
    r->message.ptr += skip;
    r->message.len -= skip;
    pre = ls_record_add_field(b, r, "pre", 3, LS_FIELD_INT, NULL, 0);
    memcpy(&before, r, sizeof before);

    ls_json_parser_init(&p, &o);
    rc = ls_json_parse_record(&p, b, r);
    if (memcmp(r->raw.ptr, line, len) != 0 || !same_slice(r->raw, before.raw)) {
        abort();
    }
    if (rc < 0) {
        if (!ls_json_reason(rc) || memcmp(r, &before, sizeof before) != 0 || pre->next) {
            abort();
        }
    } else {
        size_t n = 0;
        if (rc != 0 || r->fields != pre || r->nfields - 1 > o.max_fields) {
            abort();
        }
        if (r->severity < -1 || r->severity > 7 || r->flags != before.flags) {
            abort();
        }
        touch(r->message);
        touch(r->app);
        touch(r->host);
        for (const struct ls_field *f = r->fields; f; f = f->next) {
            touch(f->key);
            if (f->type < LS_FIELD_STRING || f->type > LS_FIELD_JSON) {
                abort();
            }
            if (f->type == LS_FIELD_STRING || f->type == LS_FIELD_JSON) {
                touch(f->v.s);
            }
            if (f->type == LS_FIELD_BOOL && f->v.b != 0 && f->v.b != 1) {
                abort();
            }
            n++;
        }
        if (n != r->nfields) {
            abort();
        }
        if ((data[1] & 2) && !o.flatten) {
            check_against_json_c(r, pre->next);
        }
    }
    ls_json_parser_release(&p);
    ls_batch_unref(b);
    return 0;
}
