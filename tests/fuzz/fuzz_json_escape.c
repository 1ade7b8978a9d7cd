/*
 * fuzz_json_escape.c - libFuzzer target for the file output's JSON writer
 * (plugins/outputs/file/format.c; build it with that file).
 *
 * Checks, for any input bytes: the escaped string is valid JSON with no control bytes and no
 * newline; input that is valid UTF-8 without '"', '\\' or control characters comes out
 * unchanged; a record line built from the input (as raw, message, string field, and JSON
 * field) is one valid JSON object on one line; input the validator accepts compacts to valid
 * JSON without newlines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int plain_utf8(const char *s, size_t len)
{
    struct ls_fmt_buf b = {0};
    int plain = 1;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            return 0;
        }
    }
    /* valid UTF-8 exactly when the validator accepts it as a string's content */
    ls_fmt_buf_add(&b, "\"", 1);
    ls_fmt_buf_add(&b, s, len);
    ls_fmt_buf_add(&b, "\"", 1);
    plain = ls_json_valid(b.data, b.len);
    ls_fmt_buf_release(&b);
    return plain;
}

static void check_line(const struct ls_fmt_buf *b)
{
    if (b->len == 0 || b->data[b->len - 1] != '\n' || memchr(b->data, '\n', b->len - 1) ||
        !ls_json_valid(b->data, b->len - 1)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_field f[2];
    struct ls_fmt_ctx ctx = {"in", "pipe", NULL, NULL};

    ls_fmt_json_string(&b, s, size);
    if (!ls_json_valid(b.data, b.len)) {
        abort();
    }
    for (size_t i = 0; i < b.len; i++) {
        if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f) {
            abort();
        }
    }
    if (plain_utf8(s, size) && (b.len != size + 2 || memcmp(b.data + 1, s, size) != 0)) {
        abort();
    }

    b.len = 0;
    memset(&r, 0, sizeof r);
    memset(f, 0, sizeof f);
    r.raw.ptr = s;
    r.raw.len = size;
    r.message = r.raw;
    r.host.ptr = s;
    r.host.len = size / 2;
    f[0].key = r.raw;
    f[0].type = LS_FIELD_STRING;
    f[0].v.s = r.raw;
    f[0].next = &f[1];
    f[1].key.ptr = "j";
    f[1].key.len = 1;
    f[1].type = LS_FIELD_JSON;
    f[1].v.s = r.raw;
    r.fields = &f[0];
    r.fields_tail = &f[1];
    r.nfields = 2;
    ls_fmt_record_json(&b, &r, &ctx);
    check_line(&b);

    if (ls_json_valid(s, size)) {
        b.len = 0;
        ls_fmt_json_compact(&b, s, size);
        if (!ls_json_valid(b.data, b.len) || memchr(b.data, '\n', b.len)) {
            abort();
        }
    }
    ls_fmt_buf_release(&b);
    return 0;
}
