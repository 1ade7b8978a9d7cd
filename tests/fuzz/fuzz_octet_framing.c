/*
 * fuzz_octet_framing.c - libFuzzer target for the RFC 6587 octet-counted and auto modes of the
 * stream framer (plugins/common/framer.c; build it with that file).
 *
 * Input: byte 0 picks max_line (1..64, low 6 bits) and the mode (bit 7: auto, else
 * octet_counted), byte 1 seeds the chunk sizes, the rest is the stream.
 * Checks: the stream fed whole and fed in pseudo-random chunks gives the same messages, the
 * same error (and reason) and the same end-of-stream result, and these match the
 * specification in framer.h (the independent reference in tests/common/framer_ref.h); no
 * message is longer than max_line; nothing is emitted after a framing error; the framer never
 * holds more than max_line + 1 bytes (or the 15-byte auto look-ahead).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/framer.h"
#include "../common/framer_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    size_t count, cap;
    size_t *len;
    int *trunc;
    char *bytes; /* concatenated messages */
    size_t used, max_line;
    int failed; /* feed returned -1: nothing may be emitted any more */
};

/* A stream of n bytes has at most n messages of at most n bytes in all. */
static void out_init(struct out *o, size_t n, size_t max_line)
{
    memset(o, 0, sizeof *o);
    o->cap = n + 1;
    o->max_line = max_line;
    o->len = malloc(o->cap * sizeof *o->len);
    o->trunc = malloc(o->cap * sizeof *o->trunc);
    o->bytes = malloc(n + 1);
    if (!o->len || !o->trunc || !o->bytes) {
        abort();
    }
}

static void out_free(struct out *o)
{
    free(o->len);
    free(o->trunc);
    free(o->bytes);
}

static void collect(void *arg, const char *msg, size_t len, int truncated)
{
    struct out *o = arg;

    if (o->failed || len == 0 || len > o->max_line || o->count >= o->cap ||
        o->used + len > o->cap) {
        abort();
    }
    memcpy(o->bytes + o->used, msg, len);
    o->len[o->count] = len;
    o->trunc[o->count] = truncated;
    o->used += len;
    o->count++;
}

static int same(const struct out *a, const struct out *b)
{
    if (a->count != b->count || a->used != b->used || memcmp(a->bytes, b->bytes, a->used) != 0) {
        return 0;
    }
    for (size_t i = 0; i < a->count; i++) {
        if (a->len[i] != b->len[i] || a->trunc[i] != b->trunc[i]) {
            return 0;
        }
    }
    return 1;
}

/* ---- running the framer ----------------------------------------------------------------- */

struct result {
    int rc, fin;
    char reason[96], fin_reason[96];
};

/* chunk_seed 0: the whole stream in one feed. */
static void run(int mode, const char *s, size_t len, uint32_t chunk_seed, struct out *o,
                struct result *r)
{
    struct ls_framer f;
    size_t bound = o->max_line + 1 > LS_FRAMER_PEEK ? o->max_line + 1 : LS_FRAMER_PEEK;

    memset(r, 0, sizeof *r);
    ls_framer_init_mode(&f, o->max_line, mode);
    for (size_t off = 0; off < len;) {
        size_t n = len - off;
        int rc;

        if (chunk_seed) {
            chunk_seed = chunk_seed * 1103515245u + 12345u;
            n = 1 + (chunk_seed >> 16) % (2 * o->max_line + 3);
            if (n > len - off) {
                n = len - off;
            }
        }
        rc = ls_framer_feed(&f, s + off, n, collect, o);
        if (ls_framer_pending(&f) > bound || (o->failed && rc != -1)) {
            abort();
        }
        if (rc < 0 && !o->failed) {
            o->failed = 1;
            r->rc = -1;
            snprintf(r->reason, sizeof r->reason, "%s", ls_framer_error(&f));
            if (r->reason[0] == '\0') {
                abort();
            }
        }
        off += n;
    }
    o->failed = 0; /* finish after an error must emit nothing either: checked by count below */
    {
        size_t before = o->count;
        r->fin = ls_framer_finish(&f, collect, o);
        if (r->rc < 0 && (r->fin != 0 || o->count != before)) {
            abort();
        }
    }
    snprintf(r->fin_reason, sizeof r->fin_reason, "%s", ls_framer_error(&f));
    if (ls_framer_pending(&f) != 0 || (r->fin < 0) != (r->fin_reason[0] != '\0')) {
        abort();
    }
    ls_framer_release(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct out want, whole, chunked;
    struct result rw, rc;
    const char *s;
    size_t len, max_line;
    int mode, ref_rc, ref_fin;

    if (size < 2) {
        return 0;
    }
    max_line = 1 + (data[0] & 0x3f);
    mode = (data[0] & 0x80) ? LS_FRAMING_AUTO : LS_FRAMING_OCTET_COUNTED;
    s = (const char *)data + 2;
    len = size - 2;

    out_init(&want, len, max_line);
    out_init(&whole, len, max_line);
    out_init(&chunked, len, max_line);
    ref_rc = ref_frame(mode, s, len, max_line, collect, &want, &ref_fin);
    run(mode, s, len, 0, &whole, &rw);
    run(mode, s, len, data[1] | 1u, &chunked, &rc);

    if (rw.rc != ref_rc || (ref_rc == 0 && rw.fin != ref_fin) || !same(&whole, &want)) {
        abort();
    }
    if (rc.rc != rw.rc || rc.fin != rw.fin || strcmp(rc.reason, rw.reason) != 0 ||
        strcmp(rc.fin_reason, rw.fin_reason) != 0 || !same(&chunked, &whole)) {
        abort();
    }
    out_free(&want);
    out_free(&whole);
    out_free(&chunked);
    return 0;
}
