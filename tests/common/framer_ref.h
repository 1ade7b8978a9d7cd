/*
 * framer_ref.h - an independent reference implementation of the stream framing specification
 * in plugins/common/framer.h (newline, RFC 6587 octet-counted, auto), written without looking
 * at framer.c, for the tests that compare the framer against it (tests/unit/test_framer.c and
 * tests/fuzz/fuzz_octet_framing.c). Include it from exactly one .c file per program.
 *
 * Each function applies the specification to the whole stream at once and reports every
 * message through `emit` (the framer's own callback type), so each test keeps its own
 * recorder. Nothing here allocates; the pointers given to emit point into the stream.
 */
#ifndef LS_TESTS_FRAMER_REF_H
#define LS_TESTS_FRAMER_REF_H

#include <stddef.h>

#include "../../plugins/common/framer.h"

static inline int ref_is_dig(char c)
{
    return c >= '0' && c <= '9';
}

/* Newline framing: never a framing error; *fin is what finish should return (always 0). */
static inline int ref_newline(const char *s, size_t len, size_t max_line, ls_framer_emit_fn emit,
                              void *arg, int *fin)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        size_t n;
        if (i < len && s[i] != '\n') {
            continue;
        }
        n = i - start;
        if (i < len && n > 0 && s[i - 1] == '\r') {
            n--;
        }
        if (n > 0) {
            emit(arg, s + start, n > max_line ? max_line : n, n > max_line);
        }
        start = i + 1;
    }
    *fin = 0;
    return 0;
}

/* Octet-counted framing: returns -1 for a framing error, else 0 with *fin -1 when the stream
 * ends inside a frame. */
static inline int ref_octet(const char *s, size_t len, size_t max_line, ls_framer_emit_fn emit,
                            void *arg, int *fin)
{
    size_t i = 0;

    *fin = 0;
    while (i < len) {
        size_t j = i, v = 0, blen;

        if (s[i] < '1' || s[i] > '9') {
            return -1;
        }
        while (j < len && ref_is_dig(s[j]) && j - i < 9) {
            v = v * 10 + (size_t)(s[j++] - '0');
        }
        if (j == len) {
            *fin = -1; /* ended inside the length */
            return 0;
        }
        if (s[j] != ' ' || v > max_line) {
            return -1; /* a 10th digit, another byte, or an absurd length */
        }
        j++;
        if (len - j < v) {
            if (len > j) {
                emit(arg, s + j, len - j, 1);
            }
            *fin = -1;
            return 0;
        }
        blen = v;
        if (blen > 0 && s[j + blen - 1] == '\n') {
            blen--;
            if (blen > 0 && s[j + blen - 1] == '\r') {
                blen--;
            }
        }
        if (blen > 0) {
            emit(arg, s + j, blen, 0);
        }
        i = j + v;
    }
    return 0;
}

/* Auto mode's choice: does the stream start with "LEN <PRI>"? */
static inline int ref_looks_octet(const char *s, size_t len)
{
    size_t d = 0, p, q;

    while (d < len && ref_is_dig(s[d])) {
        d++;
    }
    if (d == 0 || d > 9 || s[0] == '0' || d + 1 >= len || s[d] != ' ' || s[d + 1] != '<') {
        return 0;
    }
    p = q = d + 2;
    while (q < len && ref_is_dig(s[q])) {
        q++;
    }
    return q > p && q - p <= 3 && q < len && s[q] == '>';
}

/* The specification of `mode` (LS_FRAMING_*): returns what feed should report, 0 or -1 for a
 * framing error; *fin is what finish should return. */
static inline int ref_frame(int mode, const char *s, size_t len, size_t max_line,
                            ls_framer_emit_fn emit, void *arg, int *fin)
{
    if (mode == LS_FRAMING_OCTET_COUNTED || (mode == LS_FRAMING_AUTO && ref_looks_octet(s, len))) {
        return ref_octet(s, len, max_line, emit, arg, fin);
    }
    return ref_newline(s, len, max_line, emit, arg, fin);
}

#endif
