/* test_syslog_out_frame.c - the syslog output's message, truncation and framing
 * (plugins/outputs/syslog/frame.c over plugins/common/syslogfmt.c), alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/outputs/syslog/frame.h"

#define NS           1000000000LL
#define T_2026_11_22 1795341600LL /* 2026-11-22T10:00:00Z */

static struct ls_slice sl(const char *s)
{
    struct ls_slice v = {s, s ? strlen(s) : 0};
    return v;
}

static void make_record(struct ls_record *r, const char *msg)
{
    memset(r, 0, sizeof *r);
    r->time = T_2026_11_22 * NS + 123456789;
    r->received = r->time;
    r->severity = LS_SEV_INFO;
    r->facility = 4; /* auth */
    r->host = sl("h1");
    r->app = sl("sshd");
    r->procid = sl("42");
    r->message = sl(msg);
    r->raw = r->message;
    r->pid = r->uid = r->gid = -1;
}

static void add_field(struct ls_record *r, struct ls_field *f, const char *key, const char *s)
{
    memset(f, 0, sizeof *f);
    f->key = sl(key);
    f->type = LS_FIELD_STRING;
    f->v.s = sl(s);
    if (r->fields_tail) {
        r->fields_tail->next = f;
    } else {
        r->fields = f;
    }
    r->fields_tail = f;
    r->nfields++;
}

/* (Re)initialise f; its previous scratch buffer is freed (declare it zeroed). */
static void framer_init(struct ls_sysout_framer *f, int format, int framing, size_t max)
{
    ls_sysout_framer_release(f);
    memset(f, 0, sizeof *f);
    f->format = format;
    f->framing = framing;
    f->max_message = max;
    f->opts.host = "thishost";
    f->opts.default_facility = 1;
    f->opts.default_severity = 5;
    f->clock.utc = 1;
}

static void expect(struct ls_fmt_buf *b, const char *want)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0) {
        print_error("got  [%.*s]\nwant [%s]\n", (int)b->len, b->data, want);
        fail();
    }
    b->len = 0;
}

/* 1 if s[0, len) is valid UTF-8 (enough for these tests: 2-byte sequences only). */
static int valid_2byte_utf8(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            continue;
        }
        if ((c & 0xE0) != 0xC0 || i + 1 >= len || ((unsigned char)s[i + 1] & 0xC0) != 0x80) {
            return 0;
        }
        i++;
    }
    return 1;
}

static void test_octet_counted_5424(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;
    struct ls_field fl[2];

    (void)unused;
    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_OCTET, 0);
    make_record(&r, "login ok");
    r.msgid = sl("ID47");
    add_field(&r, &fl[0], "sd.exampleSDID@32473.iut", "3");
    add_field(&r, &fl[1], "sd.exampleSDID@32473.eventSource", "App");
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 0);
    expect(&out, "104 <38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 ID47 "
                 "[exampleSDID@32473 iut=\"3\" eventSource=\"App\"] login ok");
    /* Two records back to back: each frame is self-delimiting. */
    make_record(&r, "a");
    ls_sysout_frame(&f, &out, &r);
    make_record(&r, "bb");
    ls_sysout_frame(&f, &out, &r);
    expect(&out, "50 <38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - a"
                 "51 <38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - bb");
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

static void test_newline_and_datagram(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;

    (void)unused;
    framer_init(&f, LS_SYSOUT_RFC3164, LS_SYSOUT_FRAME_NEWLINE, 0);
    make_record(&r, "two\nlines");
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 0);
    expect(&out, "<38>Nov 22 10:00:00 h1 sshd[42]: two lines\n");

    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NEWLINE, 0);
    ls_sysout_frame(&f, &out, &r);
    expect(&out, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - two lines\n");

    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NONE, 0);
    ls_sysout_frame(&f, &out, &r);
    expect(&out, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - two lines");
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

/* hostname and app overrides; defaults for records that lack host, facility, severity. */
static void test_overrides_and_defaults(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;

    (void)unused;
    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NONE, 0);
    f.host = "relay1";
    f.opts.app = "fwd";
    make_record(&r, "m");
    ls_sysout_frame(&f, &out, &r);
    expect(&out, "<38>1 2026-11-22T10:00:00.123456Z relay1 fwd 42 - - m");
    /* The record itself is untouched. */
    assert_int_equal(r.host.len, 2);
    assert_memory_equal(r.host.ptr, "h1", 2);

    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NONE, 0);
    f.opts.default_facility = 16;
    f.opts.default_severity = 3;
    make_record(&r, "m");
    r.host = sl(NULL);
    r.app = sl(NULL);
    r.procid = sl(NULL);
    r.severity = LS_SEV_UNKNOWN;
    r.facility = LS_FAC_UNKNOWN;
    ls_sysout_frame(&f, &out, &r);
    expect(&out, "<131>1 2026-11-22T10:00:00.123456Z thishost - - - - m");
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

/* max_message bounds the message without its frame; the free text is cut, the header and
 * structured data stay whole, and the octet count is the cut length. */
static void test_truncation(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;
    struct ls_field fl[1];
    char msg[501];
    const char *head = "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - [m@1 k=\"v\"] ";
    size_t hl = strlen(head);

    (void)unused;
    memset(msg, 'x', 500);
    msg[500] = '\0';
    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_OCTET, 100);
    make_record(&r, msg);
    add_field(&r, &fl[0], "sd.m@1.k", "v");
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 1);
    assert_int_equal(out.len, 4 + 100);
    assert_memory_equal(out.data, "100 ", 4);
    assert_memory_equal(out.data + 4, head, hl);
    for (size_t i = 4 + hl; i < out.len; i++) {
        assert_int_equal(out.data[i], 'x');
    }
    out.len = 0;

    /* Exactly max_message: not truncated. */
    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NONE, hl + 500);
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 0);
    assert_int_equal(out.len, hl + 500);
    out.len = 0;
    f.max_message = hl + 499;
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 1);
    assert_int_equal(out.len, hl + 499);
    out.len = 0;
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

/* A multi-byte character is never split by the cut. */
static void test_truncation_utf8(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;
    char msg[401];

    (void)unused;
    for (int i = 0; i < 200; i++) {
        msg[2 * i] = (char)0xC3; /* U+00E9 */
        msg[2 * i + 1] = (char)0xA9;
    }
    msg[400] = '\0';
    make_record(&r, msg);
    for (size_t max = 64; max < 120; max++) {
        framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_NEWLINE, max);
        assert_int_equal(ls_sysout_frame(&f, &out, &r), 1);
        assert_true(out.len - 1 <= max);
        assert_true(out.len - 1 >= max - 1);
        assert_int_equal(out.data[out.len - 1], '\n');
        assert_true(valid_2byte_utf8(out.data, out.len - 1));
        out.len = 0;
    }
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

/* Header and structured data alone longer than max_message: the message is cut anyway, and
 * never longer than max_message. */
static void test_truncation_of_header(void **unused)
{
    struct ls_sysout_framer f = {0};
    struct ls_fmt_buf out = {0};
    struct ls_record r;
    struct ls_field fl[1];
    char big[300];

    (void)unused;
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    make_record(&r, "short");
    add_field(&r, &fl[0], "sd.m@1.k", big);
    framer_init(&f, LS_SYSOUT_RFC5424, LS_SYSOUT_FRAME_OCTET, 64);
    assert_int_equal(ls_sysout_frame(&f, &out, &r), 1);
    expect(&out, "64 <38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - [m@1 k=\"vvvvvvvvv");
    ls_fmt_buf_release(&out);
    ls_sysout_framer_release(&f);
}

static void test_utf8_cut(void **unused)
{
    const char *s = "ab\xC3\xA9"
                    "c\xE2\x82\xAC"
                    "d"; /* a b é c € d */
    size_t len = strlen(s);

    (void)unused;
    assert_int_equal(ls_sysout_utf8_cut(s, len, 100), len);
    assert_int_equal(ls_sysout_utf8_cut(s, len, len), len);
    assert_int_equal(ls_sysout_utf8_cut(s, len, 2), 2);
    assert_int_equal(ls_sysout_utf8_cut(s, len, 3), 2); /* inside é */
    assert_int_equal(ls_sysout_utf8_cut(s, len, 4), 4);
    assert_int_equal(ls_sysout_utf8_cut(s, len, 6), 5); /* inside € */
    assert_int_equal(ls_sysout_utf8_cut(s, len, 7), 5);
    assert_int_equal(ls_sysout_utf8_cut(s, len, 8), 8);
    assert_int_equal(ls_sysout_utf8_cut(s, len, 0), 0);
    /* A run of stray continuation bytes is cut where asked. */
    assert_int_equal(ls_sysout_utf8_cut("\x80\x80\x80\x80\x80\x80", 6, 5), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_octet_counted_5424),
        cmocka_unit_test(test_newline_and_datagram),
        cmocka_unit_test(test_overrides_and_defaults),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_truncation_utf8),
        cmocka_unit_test(test_truncation_of_header),
        cmocka_unit_test(test_utf8_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
