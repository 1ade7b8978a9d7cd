/* test_tcp_framer.c - the tcp input's line framer (plugins/inputs/tcp/framer.c), alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/inputs/tcp/framer.h"

/* ---- a recorder of emitted lines -------------------------------------------------------- */

struct line {
    char *data;
    size_t len;
    int truncated;
};

struct lines {
    struct line *items;
    size_t count, cap;
    const char *chunk; /* the chunk being fed, to see whether lines point into it */
    size_t chunk_len;
    size_t from_chunk;
};

static void record(void *arg, const char *data, size_t len, int truncated)
{
    struct lines *ls = arg;
    struct line *l;

    if (ls->count == ls->cap) {
        ls->cap = ls->cap ? ls->cap * 2 : 16;
        ls->items = realloc(ls->items, ls->cap * sizeof *ls->items);
        assert_non_null(ls->items);
    }
    l = &ls->items[ls->count++];
    l->data = malloc(len + 1);
    assert_non_null(l->data);
    memcpy(l->data, data, len);
    l->data[len] = '\0';
    l->len = len;
    l->truncated = truncated;
    if (ls->chunk && data >= ls->chunk && data < ls->chunk + ls->chunk_len) {
        ls->from_chunk++;
    }
}

static void lines_free(struct lines *ls)
{
    for (size_t i = 0; i < ls->count; i++) {
        free(ls->items[i].data);
    }
    free(ls->items);
    memset(ls, 0, sizeof *ls);
}

static void feed(struct ls_framer *f, struct lines *ls, const char *s, size_t len)
{
    ls->chunk = s;
    ls->chunk_len = len;
    ls_framer_feed(f, s, len, record, ls);
    ls->chunk = NULL;
    assert_true(ls_framer_pending(f) <= f->max_line + 1);
}

static void feed_str(struct ls_framer *f, struct lines *ls, const char *s)
{
    feed(f, ls, s, strlen(s));
}

static void assert_line(const struct lines *ls, size_t i, const char *text, int truncated)
{
    assert_true(i < ls->count);
    assert_int_equal(ls->items[i].len, strlen(text));
    assert_memory_equal(ls->items[i].data, text, strlen(text));
    assert_int_equal(ls->items[i].truncated, truncated);
}

/* ---- cases ------------------------------------------------------------------------------ */

static void test_simple_lines(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 64);
    feed_str(&f, &ls, "alpha\nbeta\n");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 0, "alpha", 0);
    assert_line(&ls, 1, "beta", 0);
    /* whole lines are passed straight from the chunk */
    assert_int_equal(ls.from_chunk, 2);
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_crlf_and_empty_lines(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 64);
    feed_str(&f, &ls, "a\r\n\n\r\nb\rc\r\r\n\n");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 0, "a", 0);
    assert_line(&ls, 1, "b\rc\r", 0); /* only the "\r" right before "\n" goes */
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_split_across_feeds(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 64);
    feed_str(&f, &ls, "ab");
    assert_int_equal(ls.count, 0);
    assert_int_equal(ls_framer_pending(&f), 2);
    feed_str(&f, &ls, "c\r");
    assert_int_equal(ls.count, 0);
    feed_str(&f, &ls, "\nd");
    assert_int_equal(ls.count, 1);
    assert_line(&ls, 0, "abc", 0);
    feed_str(&f, &ls, "\n");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 1, "d", 0);
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_nul_bytes_kept(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 64);
    feed(&f, &ls, "a\0b\n\0\n", 6);
    assert_int_equal(ls.count, 2);
    assert_int_equal(ls.items[0].len, 3);
    assert_memory_equal(ls.items[0].data, "a\0b", 3);
    assert_int_equal(ls.items[1].len, 1);
    assert_int_equal(ls.items[1].data[0], '\0');
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_exactly_max_line(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 16);
    feed_str(&f, &ls, "0123456789abcdef\n");   /* 16: whole, from the chunk */
    feed_str(&f, &ls, "0123456789abcdef\r\n"); /* 16 + CR: whole */
    feed_str(&f, &ls, "0123456789abcdef\r");   /* 16 + CR pending: cannot decide yet */
    assert_int_equal(ls.count, 2);
    assert_int_equal(ls_framer_pending(&f), 17);
    feed_str(&f, &ls, "\n");
    assert_int_equal(ls.count, 3);
    assert_line(&ls, 0, "0123456789abcdef", 0);
    assert_line(&ls, 1, "0123456789abcdef", 0);
    assert_line(&ls, 2, "0123456789abcdef", 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_truncation_in_one_chunk(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 16);
    feed_str(&f, &ls, "0123456789abcdefXYZ\nnext\n0123456789abcdef\r\r\n");
    assert_int_equal(ls.count, 3);
    assert_line(&ls, 0, "0123456789abcdef", 1);
    assert_line(&ls, 1, "next", 0);
    assert_line(&ls, 2, "0123456789abcdef", 1); /* 16 + "\r" of content: one byte too long */
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_truncation_across_chunks(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 16);
    feed_str(&f, &ls, "0123456789");
    feed_str(&f, &ls, "abcdef");
    assert_int_equal(ls.count, 0);
    assert_int_equal(ls_framer_pending(&f), 16);
    feed_str(&f, &ls, "g"); /* 17th byte, not a CR: the line is too long */
    assert_int_equal(ls.count, 1);
    assert_line(&ls, 0, "0123456789abcdef", 1);
    assert_int_equal(ls_framer_pending(&f), 0);
    /* the rest of the long line is discarded, however long, until its newline */
    for (int i = 0; i < 1000; i++) {
        feed_str(&f, &ls, "more bytes of the same line ");
        assert_int_equal(ls_framer_pending(&f), 0);
    }
    feed_str(&f, &ls, "end\r\nafter\n");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 1, "after", 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_truncation_after_pending_cr(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 16);
    feed_str(&f, &ls, "0123456789abcdef\r");
    feed_str(&f, &ls, "x\n");
    feed_str(&f, &ls, "ok\n");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 0, "0123456789abcdef", 1);
    assert_line(&ls, 1, "ok", 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_finish_emits_partial_line(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 16);
    feed_str(&f, &ls, "one\ntwo");
    ls_framer_finish(&f, record, &ls);
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 1, "two", 0);
    assert_int_equal(ls_framer_pending(&f), 0);

    /* a final "\r" is data, not a line ending */
    feed_str(&f, &ls, "three\r");
    ls_framer_finish(&f, record, &ls);
    assert_line(&ls, 2, "three\r", 0);

    /* 16 bytes and a "\r" at end of stream: 17 bytes of content, cut */
    feed_str(&f, &ls, "0123456789abcdef\r");
    ls_framer_finish(&f, record, &ls);
    assert_line(&ls, 3, "0123456789abcdef", 1);

    /* nothing after a truncated line's emission, nothing for an empty stream */
    feed_str(&f, &ls, "0123456789abcdefXYZ");
    ls_framer_finish(&f, record, &ls);
    ls_framer_finish(&f, record, &ls);
    assert_int_equal(ls.count, 5);
    assert_line(&ls, 4, "0123456789abcdef", 1);

    /* the framer is reusable after finish */
    feed_str(&f, &ls, "again\n");
    assert_int_equal(ls.count, 6);
    assert_line(&ls, 5, "again", 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_release_drops_pending(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init(&f, 1024);
    feed_str(&f, &ls, "partial");
    ls_framer_release(&f);
    assert_int_equal(ls_framer_pending(&f), 0);
    assert_null(f.buf);
    assert_int_equal(ls.count, 0);
}

static void test_large_buffer_freed_when_empty(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};
    size_t n = 100000;
    char *big = malloc(n);

    (void)unused;
    assert_non_null(big);
    memset(big, 'x', n);
    ls_framer_init(&f, 1 << 20);
    feed(&f, &ls, big, n);
    assert_int_equal(ls_framer_pending(&f), n);
    assert_true(f.cap >= n && f.cap <= (1u << 20) + 1);
    feed_str(&f, &ls, "\n");
    assert_int_equal(ls.count, 1);
    assert_int_equal(ls.items[0].len, n);
    assert_null(f.buf); /* a buffer above 16 KiB is not kept for an idle connection */
    free(big);
    ls_framer_release(&f);
    lines_free(&ls);
}

/* ---- chunking never changes the result ------------------------------------------------- */

/* The specification, applied to the whole stream at once. */
static void reference(const char *s, size_t len, size_t max_line, struct lines *out)
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
            record(out, s + start, n > max_line ? max_line : n, n > max_line);
        }
        start = i + 1;
    }
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_random_chunking_matches_reference(void **unused)
{
    static const char alphabet[] = "ab\r\n\n\r\0x";

    (void)unused;
    for (int round = 0; round < 2000; round++) {
        size_t len = rng() % 200, max_line = 1 + rng() % 20;
        char *s = malloc(len + 1);
        struct lines want = {0}, got = {0};
        struct ls_framer f;

        assert_non_null(s);
        for (size_t i = 0; i < len; i++) {
            s[i] = (rng() % 4 == 0) ? alphabet[rng() % 8] : (char)('a' + rng() % 3);
        }
        reference(s, len, max_line, &want);
        ls_framer_init(&f, max_line);
        for (size_t off = 0; off < len;) {
            size_t n = 1 + rng() % 30;
            if (n > len - off) {
                n = len - off;
            }
            feed(&f, &got, s + off, n);
            off += n;
        }
        ls_framer_finish(&f, record, &got);
        assert_int_equal(got.count, want.count);
        for (size_t i = 0; i < want.count; i++) {
            assert_int_equal(got.items[i].len, want.items[i].len);
            assert_memory_equal(got.items[i].data, want.items[i].data, want.items[i].len);
            assert_int_equal(got.items[i].truncated, want.items[i].truncated);
        }
        ls_framer_release(&f);
        lines_free(&want);
        lines_free(&got);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_lines),
        cmocka_unit_test(test_crlf_and_empty_lines),
        cmocka_unit_test(test_split_across_feeds),
        cmocka_unit_test(test_nul_bytes_kept),
        cmocka_unit_test(test_exactly_max_line),
        cmocka_unit_test(test_truncation_in_one_chunk),
        cmocka_unit_test(test_truncation_across_chunks),
        cmocka_unit_test(test_truncation_after_pending_cr),
        cmocka_unit_test(test_finish_emits_partial_line),
        cmocka_unit_test(test_release_drops_pending),
        cmocka_unit_test(test_large_buffer_freed_when_empty),
        cmocka_unit_test(test_random_chunking_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
