/*
 * fuzz_level.c - libFuzzer target for the level parser (plugins/parsers/level/level_parse.c
 * with core/batch.c and core/util.c).
 *
 * Input: byte 0 picks max_offset (1..64, or 65536 when 0), byte 1 the options (bit 0 override,
 * bit 1 service, bit 2 a severity already set, bit 3 an app already set); the rest is the line.
 * Checks: the severity is 0..7 and comes from the line only when wanted; the app, when set,
 * is a non-empty slice of at most LS_LEVEL_MAX_SERVICE bytes inside the message; nothing
 * else of the record changes; the scan's level token is a non-empty slice of the line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/parsers/level/level_parse.h"
#include "batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *svc_keys[] = {"service", "svc", "app"};

static int inside(struct ls_slice s, struct ls_slice in)
{
    return s.ptr >= in.ptr && s.len <= in.len && (size_t)(s.ptr - in.ptr) <= in.len - s.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_level_opts o;
    struct ls_level_found f;
    struct ls_batch *b;
    struct ls_record *r, before;
    const char *line;
    size_t len;

    if (size < 2) {
        return 0;
    }
    memset(&o, 0, sizeof o);
    o.max_offset = data[0] == 0 ? 65536 : 1 + data[0] % 64;
    o.override = data[1] & 1;
    o.service = (data[1] >> 1) & 1;
    o.service_keys = (const char *const *)svc_keys;
    o.nservice_keys = 3;
    line = (const char *)data + 2;
    len = size - 2;

    b = ls_batch_new("in", "p");
    r = ls_batch_append(b, line, len, NULL, 7);
    if (data[1] & 4) {
        r->severity = LS_SEV_NOTICE;
    }
    if (data[1] & 8) {
        r->app = ls_batch_strdup(b, "x", 1);
    }
    memcpy(&before, r, sizeof before);
    ls_level_parse_record(&o, r);

    if (r->severity < -1 || r->severity > 7) {
        abort();
    }
    if (!o.override && before.severity >= 0 && r->severity != before.severity) {
        abort();
    }
    if (r->app.ptr != before.app.ptr) {
        if (!o.service || before.app.len != 0 || r->app.len == 0 ||
            r->app.len > LS_LEVEL_MAX_SERVICE || !inside(r->app, r->message)) {
            abort();
        }
    }
    /* nothing else changed */
    before.severity = r->severity;
    before.app = r->app;
    if (memcmp(r, &before, sizeof before) != 0) {
        abort();
    }

    ls_level_scan(&o, line, len, 1, 1, &f);
    if (f.severity >= 0) {
        struct ls_slice whole = {line, len};
        if (f.severity > 7 || !inside(f.level, whole) || f.level.len == 0) {
            abort();
        }
    }
    ls_batch_unref(b);
    return 0;
}
