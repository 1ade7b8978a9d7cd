/* test_framer.c - the stream framer (plugins/common/framer.c) alone: newline, RFC 6587
 * octet-counted and auto framing, errors, memory bounds, and independence from chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/common/framer.h"
#include "../common/framer_ref.h"

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

/* Memory bound: a partial message of max_line + 1 bytes, or the auto-mode look-ahead. */
static void assert_bounded(const struct ls_framer *f)
{
    size_t bound = f->max_line + 1 > LS_FRAMER_PEEK ? f->max_line + 1 : LS_FRAMER_PEEK;

    assert_true(ls_framer_pending(f) <= bound);
    assert_true(f->cap <= f->max_line + 1);
}

static int feed(struct ls_framer *f, struct lines *ls, const char *s, size_t len)
{
    int rc;

    ls->chunk = s;
    ls->chunk_len = len;
    rc = ls_framer_feed(f, s, len, record, ls);
    ls->chunk = NULL;
    assert_bounded(f);
    return rc;
}

static int feed_str(struct ls_framer *f, struct lines *ls, const char *s)
{
    return feed(f, ls, s, strlen(s));
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

/* ---- octet counted ---------------------------------------------------------------------- */

static void test_octet_frames(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init_mode(&f, 64, LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(ls_framer_active(&f), LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(feed_str(&f, &ls, "5 hello6 world!10 two\nlines\n"), 0);
    assert_int_equal(ls.count, 3);
    assert_line(&ls, 0, "hello", 0);
    assert_line(&ls, 1, "world!", 0);
    assert_line(&ls, 2, "two\nlines", 0); /* a "\n" inside is data; one at the end goes */
    assert_int_equal(ls.from_chunk, 3);   /* whole frames are passed straight from the chunk */
    assert_int_equal(ls_framer_pending(&f), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    assert_string_equal(ls_framer_error(&f), "");
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_octet_trailing_newline_and_empty(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init_mode(&f, 64, LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(feed_str(&f, &ls, "2 a\n3 b\r\n1 \n2 \r\n2 c\r2 \n\n"), 0);
    assert_int_equal(ls.count, 4);
    assert_line(&ls, 0, "a", 0);
    assert_line(&ls, 1, "b", 0);
    assert_line(&ls, 2, "c\r", 0); /* only "\r\n" or "\n" at the end is removed */
    assert_line(&ls, 3, "\n", 0);  /* one "\n" only */
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_octet_split_everywhere(void **unused)
{
    static const char stream[] = "12 <13>hello wo3 abc";
    size_t n = strlen(stream);

    (void)unused;
    /* every split point, byte by byte included */
    for (size_t cut = 0; cut <= n; cut++) {
        struct ls_framer f;
        struct lines ls = {0};

        ls_framer_init_mode(&f, 64, LS_FRAMING_OCTET_COUNTED);
        assert_int_equal(feed(&f, &ls, stream, cut), 0);
        for (size_t i = cut; i < n; i++) {
            assert_int_equal(feed(&f, &ls, stream + i, 1), 0);
        }
        assert_int_equal(ls.count, 2);
        assert_line(&ls, 0, "<13>hello wo", 0);
        assert_line(&ls, 1, "abc", 0);
        assert_int_equal(ls_framer_pending(&f), 0);
        ls_framer_release(&f);
        lines_free(&ls);
    }
}

static void test_octet_exactly_max_line(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init_mode(&f, 16, LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(feed_str(&f, &ls, "16 0123456789abcdef16 0123456789"), 0);
    assert_int_equal(ls_framer_pending(&f), 10);
    assert_int_equal(feed_str(&f, &ls, "ABCDEF"), 0);
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 0, "0123456789abcdef", 0);
    assert_line(&ls, 1, "0123456789ABCDEF", 0);
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

/* Feed `stream` to a fresh framer: the messages before the error come out, then feed returns
 * -1 with `reason`, and keeps returning -1 without emitting anything. */
static void check_octet_error(int mode, size_t max_line, const char *stream, size_t good,
                              const char *reason)
{
    struct ls_framer f;
    struct lines ls = {0};

    ls_framer_init_mode(&f, max_line, mode);
    assert_int_equal(feed_str(&f, &ls, stream), -1);
    assert_int_equal(ls.count, good);
    assert_string_equal(ls_framer_error(&f), reason);
    assert_int_equal(feed_str(&f, &ls, "5 hello"), -1);
    assert_int_equal(ls.count, good);
    assert_string_equal(ls_framer_error(&f), reason);
    /* finish after an error emits nothing, returns 0 (already reported), and resets */
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    assert_string_equal(ls_framer_error(&f), "");
    assert_int_equal(ls.count, good);
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_octet_errors(void **unused)
{
    (void)unused;
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "hello\n", 0,
                      "expected a frame length, got 'h'");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "5 hello\n5 world", 1,
                      "expected a frame length, got byte 0x0a");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, " 5 hello", 0,
                      "expected a frame length, got a space");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "05 hello", 0, "frame length starts with '0'");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "0 ", 0, "frame length starts with '0'");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "12x", 0,
                      "expected a space after frame length 12, got 'x'");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "12\t<13>", 0,
                      "expected a space after frame length 12, got byte 0x09");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 64, "3 abc1234567890 x", 1,
                      "frame length has more than 9 digits");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 16, "16 0123456789abcdef17 ", 1,
                      "frame length 17 exceeds max_line (16)");
    check_octet_error(LS_FRAMING_OCTET_COUNTED, 65536, "999999999 <13>", 0,
                      "frame length 999999999 exceeds max_line (65536)");
}

/* An absurd length allocates nothing; a plausible one is buffered only as bytes arrive. */
static void test_octet_memory(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};
    char chunk[100];

    (void)unused;
    ls_framer_init_mode(&f, 1 << 20, LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(feed_str(&f, &ls, "999999999 "), -1);
    assert_null(f.buf);
    ls_framer_finish(&f, record, &ls);

    assert_int_equal(feed_str(&f, &ls, "1000000 "), 0);
    assert_null(f.buf);
    memset(chunk, 'x', sizeof chunk);
    assert_int_equal(feed(&f, &ls, chunk, sizeof chunk), 0);
    assert_int_equal(ls_framer_pending(&f), 100);
    assert_true(f.cap <= 256);
    assert_int_equal(ls.count, 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_octet_finish(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init_mode(&f, 64, LS_FRAMING_OCTET_COUNTED);
    /* inside a body: what came is emitted, flagged truncated */
    assert_int_equal(feed_str(&f, &ls, "3 one10 hello"), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), -1);
    assert_string_equal(ls_framer_error(&f), "stream ended inside a frame (5 of 10 bytes)");
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 1, "hello", 1);
    /* right after the header */
    assert_int_equal(feed_str(&f, &ls, "10 "), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), -1);
    assert_string_equal(ls_framer_error(&f), "stream ended inside a frame (0 of 10 bytes)");
    /* inside the header */
    assert_int_equal(feed_str(&f, &ls, "10"), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), -1);
    assert_string_equal(ls_framer_error(&f), "stream ended inside a frame length");
    assert_int_equal(ls.count, 2);
    /* between frames: clean */
    assert_int_equal(feed_str(&f, &ls, "3 two"), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    assert_string_equal(ls_framer_error(&f), "");
    assert_int_equal(ls.count, 3);
    assert_line(&ls, 2, "two", 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

/* ---- auto ------------------------------------------------------------------------------- */

/* Feed `stream` to an auto framer in one chunk, then byte by byte; both must decide `mode`
 * and emit `first` first. */
static void check_auto(const char *stream, int mode, const char *first)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct ls_framer f;
        struct lines ls = {0};
        size_t n = strlen(stream);

        ls_framer_init_mode(&f, 64, LS_FRAMING_AUTO);
        assert_int_equal(ls_framer_active(&f), LS_FRAMING_AUTO);
        for (size_t i = 0; i < n; i += bytewise ? 1 : n) {
            assert_int_equal(feed(&f, &ls, stream + i, bytewise ? 1 : n), 0);
        }
        assert_int_equal(ls_framer_active(&f), mode);
        assert_true(ls.count >= 1);
        assert_line(&ls, 0, first, 0);
        assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
        assert_int_equal(ls_framer_active(&f), LS_FRAMING_AUTO); /* decided per stream */
        ls_framer_release(&f);
        lines_free(&ls);
    }
}

static void test_auto_decision(void **unused)
{
    (void)unused;
    /* octet-counted: LEN SP "<" 1-3 digits ">" */
    check_auto("49 <13>1 2026-11-23T10:00:00Z host app - - - started", LS_FRAMING_OCTET_COUNTED,
               "<13>1 2026-11-23T10:00:00Z host app - - - started");
    check_auto("31 <13>Nov 23 10:00:00 host app: x", LS_FRAMING_OCTET_COUNTED,
               "<13>Nov 23 10:00:00 host app: x");
    check_auto("3 <0>5 <191>", LS_FRAMING_OCTET_COUNTED, "<0>");
    check_auto("6 <1>x\n\n", LS_FRAMING_OCTET_COUNTED, "<1>x\n"); /* one "\n" removed */

    /* lines: anything else, decided at the first byte that rules octet counting out */
    check_auto("2026-11-23 10:00 started\n", LS_FRAMING_NEWLINE, "2026-11-23 10:00 started");
    check_auto("123 apples\n", LS_FRAMING_NEWLINE, "123 apples");
    check_auto("<13>Nov 23 10:00:00 host app: x\n", LS_FRAMING_NEWLINE,
               "<13>Nov 23 10:00:00 host app: x");
    check_auto("42\n", LS_FRAMING_NEWLINE, "42");
    check_auto("42 <\n", LS_FRAMING_NEWLINE, "42 <");
    check_auto("42 <>\n", LS_FRAMING_NEWLINE, "42 <>");
    check_auto("42 <1234>\n", LS_FRAMING_NEWLINE, "42 <1234>");
    check_auto("42 <12a>\n", LS_FRAMING_NEWLINE, "42 <12a>");
    check_auto("42  <13>\n", LS_FRAMING_NEWLINE, "42  <13>");
    check_auto("042 <13>x\n", LS_FRAMING_NEWLINE, "042 <13>x");
    check_auto("1234567890 <13>x\n", LS_FRAMING_NEWLINE, "1234567890 <13>x"); /* 10 digits */
    check_auto("hello\r\nworld\n", LS_FRAMING_NEWLINE, "hello");
}

static void test_auto_undecided_at_end(void **unused)
{
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    ls_framer_init_mode(&f, 64, LS_FRAMING_AUTO);
    /* 15 bytes that still fit the pattern: held, not emitted */
    assert_int_equal(feed_str(&f, &ls, "123456789 <123"), 0);
    assert_int_equal(ls_framer_active(&f), LS_FRAMING_AUTO);
    assert_int_equal(ls_framer_pending(&f), 14);
    assert_int_equal(ls.count, 0);
    /* the stream ends first: it was a line */
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    assert_int_equal(ls.count, 1);
    assert_line(&ls, 0, "123456789 <123", 0);
    /* the next stream decides afresh */
    assert_int_equal(feed_str(&f, &ls, "5 <14>"), 0);
    assert_int_equal(ls_framer_active(&f), LS_FRAMING_OCTET_COUNTED);
    assert_int_equal(feed_str(&f, &ls, "x"), 0);
    assert_line(&ls, 1, "<14>x", 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_auto_errors(void **unused)
{
    (void)unused;
    /* decided octet-counted, then the usual errors */
    check_octet_error(LS_FRAMING_AUTO, 64, "123456789 <13>", 0,
                      "frame length 123456789 exceeds max_line (64)");
    check_octet_error(LS_FRAMING_AUTO, 64, "5 <13>x\n", 1,
                      "expected a frame length, got byte 0x0a");
    check_octet_error(LS_FRAMING_AUTO, 64, "5 <13>x 5 <13>y", 1,
                      "expected a frame length, got a space");
}

/* What `logger --tcp --octet-count` sends, RFC 5424 and RFC 3164, in one stream. */
static void test_auto_logger_stream(void **unused)
{
    static const char *msgs[] = {
        "<13>1 2026-11-23T10:00:00.123456+01:00 host user - - [timeQuality tzKnown=\"1\"] hi",
        "<13>Nov 23 10:00:01 user: second one",
    };
    char stream[512];
    size_t off = 0;
    struct ls_framer f;
    struct lines ls = {0};

    (void)unused;
    for (int i = 0; i < 2; i++) {
        off +=
            (size_t)snprintf(stream + off, sizeof stream - off, "%zu %s", strlen(msgs[i]), msgs[i]);
    }
    ls_framer_init_mode(&f, 1024, LS_FRAMING_AUTO);
    assert_int_equal(feed(&f, &ls, stream, off), 0);
    assert_int_equal(ls_framer_finish(&f, record, &ls), 0);
    assert_int_equal(ls.count, 2);
    assert_line(&ls, 0, msgs[0], 0);
    assert_line(&ls, 1, msgs[1], 0);
    ls_framer_release(&f);
    lines_free(&ls);
}

static void test_mode_names(void **unused)
{
    static const char *const words[] = LS_FRAMING_WORDS;

    (void)unused;
    assert_string_equal(ls_framing_name(LS_FRAMING_NEWLINE), "newline");
    assert_string_equal(ls_framing_name(LS_FRAMING_OCTET_COUNTED), "octet_counted");
    assert_string_equal(ls_framing_name(LS_FRAMING_AUTO), "auto");
    assert_string_equal(ls_framing_name(7), "?");
    for (int i = 0; i < 3; i++) {
        assert_string_equal(words[i], ls_framing_name(i));
    }
    assert_null(words[3]);
}

/* ---- chunking never changes the result ------------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A random stream for `mode`: lines of bytes for newline; for the others, mostly valid
 * frames (some longer than max_line), a syslog PRI at the start half the time, and now and
 * then a corrupt byte or a cut end. */
static size_t make_stream(int mode, size_t max_line, char *s, size_t cap)
{
    static const char alphabet[] = "ab\r\n\n\r\0x< 19";
    size_t len = 0;

    if (mode == LS_FRAMING_NEWLINE || (mode == LS_FRAMING_AUTO && rng() % 4 == 0)) {
        size_t n = rng() % 200;
        for (; len < n; len++) {
            s[len] = (rng() % 4 == 0) ? alphabet[rng() % 13] : (char)('a' + rng() % 3);
        }
        return len;
    }
    for (int frame = 0; len + 40 < cap && frame < 12; frame++) {
        size_t blen = 1 + rng() % (rng() % 50 == 0 ? max_line + 3 : max_line), at;

        if (len + blen + 16 >= cap) {
            break;
        }
        len += (size_t)snprintf(s + len, cap - len, "%zu ", blen);
        at = len;
        for (size_t i = 0; i < blen; i++) {
            s[len++] = (rng() % 5 == 0) ? alphabet[rng() % 13] : (char)('a' + rng() % 3);
        }
        if (frame == 0 && blen >= 4 && rng() % 4 != 0) {
            memcpy(s + at, "<13>", 4);
        }
        if (rng() % 100 == 0) {
            s[rng() % len] = alphabet[rng() % 13];
        }
    }
    if (rng() % 5 == 0 && len > 0) {
        len -= rng() % len;
    }
    return len;
}

struct run {
    struct lines ls;
    int rc;          /* feed: 0, or -1 from the first error on */
    size_t at_error; /* messages emitted before the error */
    char reason[96];
    int fin;
    char fin_reason[96];
};

/* Feed s in chunks of 1..max_chunk bytes (max_chunk 0: all at once), then finish. */
static void run_framer(int mode, size_t max_line, const char *s, size_t len, size_t max_chunk,
                       struct run *r)
{
    struct ls_framer f;

    memset(r, 0, sizeof *r);
    ls_framer_init_mode(&f, max_line, mode);
    for (size_t off = 0; off < len;) {
        size_t n = max_chunk ? 1 + rng() % max_chunk : len;
        int rc;

        if (n > len - off) {
            n = len - off;
        }
        rc = feed(&f, &r->ls, s + off, n);
        if (r->rc < 0) {
            assert_int_equal(rc, -1); /* still failed, and nothing more emitted */
            assert_int_equal(r->ls.count, r->at_error);
        } else if (rc < 0) {
            r->rc = -1;
            r->at_error = r->ls.count;
            snprintf(r->reason, sizeof r->reason, "%s", ls_framer_error(&f));
            assert_true(r->reason[0] != '\0');
        }
        off += n;
    }
    r->fin = ls_framer_finish(&f, record, &r->ls);
    snprintf(r->fin_reason, sizeof r->fin_reason, "%s", ls_framer_error(&f));
    assert_int_equal(ls_framer_pending(&f), 0);
    ls_framer_release(&f);
}

static void assert_same_lines(const struct lines *a, const struct lines *b)
{
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        assert_int_equal(a->items[i].len, b->items[i].len);
        assert_memory_equal(a->items[i].data, b->items[i].data, a->items[i].len);
        assert_int_equal(a->items[i].truncated, b->items[i].truncated);
    }
}

static void random_chunking(int mode, int rounds)
{
    static char s[4096];

    for (int round = 0; round < rounds; round++) {
        size_t max_line = 1 + rng() % 40;
        size_t len = make_stream(mode, max_line, s, sizeof s);
        struct lines want = {0};
        struct run whole, chunked;
        int fin;
        int rc = ref_frame(mode, s, len, max_line, record, &want, &fin);

        run_framer(mode, max_line, s, len, 0, &whole);
        run_framer(mode, max_line, s, len, 1 + rng() % 30, &chunked);
        /* the specification */
        assert_int_equal(whole.rc, rc);
        assert_same_lines(&whole.ls, &want);
        if (rc == 0) {
            assert_int_equal(whole.fin, fin);
        }
        /* chunking changes nothing, the error reasons included */
        assert_int_equal(chunked.rc, whole.rc);
        assert_string_equal(chunked.reason, whole.reason);
        assert_int_equal(chunked.fin, whole.fin);
        assert_string_equal(chunked.fin_reason, whole.fin_reason);
        assert_same_lines(&chunked.ls, &whole.ls);
        lines_free(&want);
        lines_free(&whole.ls);
        lines_free(&chunked.ls);
    }
}

static void test_random_chunking_newline(void **unused)
{
    (void)unused;
    random_chunking(LS_FRAMING_NEWLINE, 2000);
}

static void test_random_chunking_octet(void **unused)
{
    (void)unused;
    random_chunking(LS_FRAMING_OCTET_COUNTED, 3000);
}

static void test_random_chunking_auto(void **unused)
{
    (void)unused;
    random_chunking(LS_FRAMING_AUTO, 3000);
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
        cmocka_unit_test(test_octet_frames),
        cmocka_unit_test(test_octet_trailing_newline_and_empty),
        cmocka_unit_test(test_octet_split_everywhere),
        cmocka_unit_test(test_octet_exactly_max_line),
        cmocka_unit_test(test_octet_errors),
        cmocka_unit_test(test_octet_memory),
        cmocka_unit_test(test_octet_finish),
        cmocka_unit_test(test_auto_decision),
        cmocka_unit_test(test_auto_undecided_at_end),
        cmocka_unit_test(test_auto_errors),
        cmocka_unit_test(test_auto_logger_stream),
        cmocka_unit_test(test_mode_names),
        cmocka_unit_test(test_random_chunking_newline),
        cmocka_unit_test(test_random_chunking_octet),
        cmocka_unit_test(test_random_chunking_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
