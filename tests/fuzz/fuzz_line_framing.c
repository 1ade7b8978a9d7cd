/*
 * fuzz_line_framing.c - libFuzzer target for the stream framer's newline mode
 * (plugins/common/framer.c; build it with that file).
 *
 * Input: byte 0 picks max_line (1..64), byte 1 seeds the chunk sizes, the rest is the stream.
 * Checks: the stream fed in pseudo-random chunks frames exactly as the specification applied
 * to the whole stream at once (framer.h), no line is longer than max_line or holds a "\n",
 * and the framer never buffers more than max_line + 1 bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/framer.h"
#include "../common/framer_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    size_t count, cap;
    size_t *off, *len;
    int *trunc;
    char *bytes; /* concatenated lines */
    size_t used, max_line;
};

/* A stream of n bytes has at most n lines: each is at least one byte. */
static void out_init(struct out *o, size_t n, size_t max_line)
{
    memset(o, 0, sizeof *o);
    o->cap = n + 1;
    o->max_line = max_line;
    o->off = malloc(o->cap * sizeof *o->off);
    o->len = malloc(o->cap * sizeof *o->len);
    o->trunc = malloc(o->cap * sizeof *o->trunc);
    o->bytes = malloc(n + 1);
    if (!o->off || !o->len || !o->trunc || !o->bytes) {
        abort();
    }
}

static void out_free(struct out *o)
{
    free(o->off);
    free(o->len);
    free(o->trunc);
    free(o->bytes);
}

static void collect(void *arg, const char *line, size_t len, int truncated)
{
    struct out *o = arg;

    if (len == 0 || len > o->max_line || memchr(line, '\n', len) || o->count >= o->cap) {
        abort();
    }
    memcpy(o->bytes + o->used, line, len);
    o->off[o->count] = o->used;
    o->len[o->count] = len;
    o->trunc[o->count] = truncated;
    o->used += len;
    o->count++;
}

static void reference(const char *s, size_t len, struct out *o)
{
    int fin;

    ref_newline(s, len, o->max_line, collect, o, &fin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct out want, got;
    struct ls_framer f;
    const char *s;
    size_t len, max_line;
    uint32_t seed;

    if (size < 2) {
        return 0;
    }
    max_line = 1 + data[0] % 64;
    seed = data[1] | 1u;
    s = (const char *)data + 2;
    len = size - 2;

    out_init(&want, len, max_line);
    out_init(&got, len, max_line);
    reference(s, len, &want);

    ls_framer_init(&f, max_line);
    for (size_t off = 0; off < len;) {
        size_t n;
        seed = seed * 1103515245u + 12345u;
        n = 1 + (seed >> 16) % (2 * max_line + 3);
        if (n > len - off) {
            n = len - off;
        }
        ls_framer_feed(&f, s + off, n, collect, &got);
        if (ls_framer_pending(&f) > max_line + 1) {
            abort();
        }
        off += n;
    }
    ls_framer_finish(&f, collect, &got);
    if (ls_framer_pending(&f) != 0) {
        abort();
    }
    ls_framer_release(&f);

    if (got.count != want.count || got.used != want.used ||
        memcmp(got.bytes, want.bytes, got.used) != 0) {
        abort();
    }
    for (size_t i = 0; i < got.count; i++) {
        if (got.len[i] != want.len[i] || got.trunc[i] != want.trunc[i]) {
            abort();
        }
    }
    out_free(&want);
    out_free(&got);
    return 0;
}
