/* test_syslogfmt.c - RFC 5424 / RFC 3164 / traditional lines (plugins/common/syslogfmt.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../plugins/common/syslogfmt.h"

#define T_2026_11_22_10 1795341600LL /* 2026-11-22T10:00:00Z */
#define T_2026_11_02_09 1793610307LL /* 2026-11-02T09:05:07Z */
#define NS              1000000000LL

static struct ls_slice sl(const char *s)
{
    struct ls_slice v = {s, s ? strlen(s) : 0};
    return v;
}

/* A record like the syslog parser makes: auth.info from h1/sshd[42]. */
static void make_record(struct ls_record *r, const char *msg)
{
    memset(r, 0, sizeof *r);
    r->time = T_2026_11_22_10 * NS + 123456789;
    r->received = r->time;
    r->severity = LS_SEV_INFO;
    r->facility = 4; /* auth */
    r->host = sl("h1");
    r->app = sl("sshd");
    r->procid = sl("42");
    r->message = sl(msg);
    r->raw = r->message;
}

static struct ls_fmt_syslog_opts default_opts(void)
{
    struct ls_fmt_syslog_opts o = {NULL, NULL, 1, 5, 0};
    return o;
}

static void expect(struct ls_fmt_buf *b, const char *want)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0) {
        print_error("got  [%.*s]\nwant [%s]\n", (int)b->len, b->data, want);
        fail();
    }
    b->len = 0;
}

static void add_field(struct ls_record *r, struct ls_field *f, const char *key, int type,
                      const char *s)
{
    memset(f, 0, sizeof *f);
    f->key = sl(key);
    f->type = type;
    f->v.s = sl(s);
    if (r->fields_tail) {
        r->fields_tail->next = f;
    } else {
        r->fields = f;
    }
    r->fields_tail = f;
    r->nfields++;
}

/* ---- PRI --------------------------------------------------------------------------------- */

static void test_pri(void **unused)
{
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();

    (void)unused;
    make_record(&r, "x");
    assert_int_equal(ls_fmt_pri(&r, &o), 4 * 8 + 6);
    r.severity = LS_SEV_UNKNOWN;
    r.facility = LS_FAC_UNKNOWN;
    assert_int_equal(ls_fmt_pri(&r, &o), 1 * 8 + 5);
    o.default_facility = 16; /* local0 */
    o.default_severity = 3;
    assert_int_equal(ls_fmt_pri(&r, &o), 131);
    o.default_facility = 99; /* nonsense defaults fall back to user.notice */
    o.default_severity = -7;
    assert_int_equal(ls_fmt_pri(&r, &o), 13);
    r.facility = 23;
    r.severity = 7;
    assert_int_equal(ls_fmt_pri(&r, &o), 191);
    r.facility = 24; /* out of range counts as unknown */
    assert_int_equal(ls_fmt_pri(&r, &o), 15);
}

/* ---- RFC 5424 ---------------------------------------------------------------------------- */

static void test_5424_basic(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();

    (void)unused;
    make_record(&r, "seq=0:17 login ok");
    r.msgid = sl("ID47");
    assert_int_equal(ls_fmt_record_rfc5424(&b, &r, &o), 0);
    expect(&b, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 ID47 - seq=0:17 login ok");

    /* Absent values are "-"; the configured host fills a missing HOST; no message, no space. */
    memset(&r.host, 0, sizeof r.host);
    memset(&r.app, 0, sizeof r.app);
    memset(&r.procid, 0, sizeof r.procid);
    memset(&r.msgid, 0, sizeof r.msgid);
    memset(&r.message, 0, sizeof r.message);
    r.time = -1; /* one ns before the epoch: the microseconds are cut, not rounded */
    ls_fmt_record_rfc5424(&b, &r, &o);
    expect(&b, "<38>1 1969-12-31T23:59:59.999999Z - - - - -");
    o.host = "myhost";
    r.message = sl("");
    ls_fmt_record_rfc5424(&b, &r, &o);
    expect(&b, "<38>1 1969-12-31T23:59:59.999999Z myhost - - - -");
    /* An app override wins over the record's. */
    o.app = "logstream";
    r.app = sl("sshd");
    ls_fmt_record_rfc5424(&b, &r, &o);
    expect(&b, "<38>1 1969-12-31T23:59:59.999999Z myhost logstream - - -");
    ls_fmt_buf_release(&b);
}

static void test_5424_header_fields_cleaned_and_cut(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();
    char app[80], want[200];

    (void)unused;
    make_record(&r, "two\nlines\0and a NUL");
    r.message.len = strlen("two\nlines") + 1 + strlen("and a NUL");
    r.host = sl("my host\x01\xc3\xa9");
    memset(app, 'a', sizeof app - 1);
    app[sizeof app - 1] = '\0';
    r.app = sl(app);
    r.procid = sl("");
    ls_fmt_record_rfc5424(&b, &r, &o);
    snprintf(want, sizeof want,
             "<38>1 2026-11-22T10:00:00.123456Z my_host___ %.48s - - - two lines and a NUL", app);
    expect(&b, want);
    ls_fmt_buf_release(&b);
}

static void test_5424_structured_data(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_field f[9];
    struct ls_fmt_syslog_opts o = default_opts();

    (void)unused;
    make_record(&r, "msg");
    add_field(&r, &f[0], "sd.exampleSDID@32473.iut", LS_FIELD_STRING, "3");
    add_field(&r, &f[1], "user", LS_FIELD_STRING, "not sd");
    add_field(&r, &f[2], "sd.origin@32473.1.2.ip", LS_FIELD_STRING, "1.2.3.4");
    add_field(&r, &f[3], "sd.exampleSDID@32473.eventSource", LS_FIELD_STRING, "a\"b\\c]d\ne");
    add_field(&r, &f[4], "sd.exampleSDID@32473.eventID", LS_FIELD_INT, NULL);
    f[4].v.i = 1011;
    add_field(&r, &f[5], "sd.x", LS_FIELD_STRING, "no param: not SD");
    add_field(&r, &f[6], "sd.id.", LS_FIELD_STRING, "empty param: not SD");
    add_field(&r, &f[7], "sd.meta.ok", LS_FIELD_BOOL, NULL);
    f[7].v.b = 1;
    add_field(&r, &f[8], "sd.meta.n=a me", LS_FIELD_NULL, NULL);
    ls_fmt_record_rfc5424(&b, &r, &o);
    expect(&b, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - "
               "[exampleSDID@32473 iut=\"3\" eventSource=\"a\\\"b\\\\c\\]d e\" eventID=\"1011\"]"
               "[origin@32473.1.2 ip=\"1.2.3.4\"][meta ok=\"true\" n_a_me=\"\"] msg");
    ls_fmt_buf_release(&b);
}

static void test_message_truncation(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();

    (void)unused;
    make_record(&r, "h\xc3\xa9llo w\xc3\xb6rld");
    o.max_message = 2; /* would split the 2-byte e-acute: cut before it */
    assert_int_equal(ls_fmt_record_rfc5424(&b, &r, &o), 1);
    expect(&b, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - h");
    o.max_message = 3;
    assert_int_equal(ls_fmt_record_rfc5424(&b, &r, &o), 1);
    expect(&b, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - h\xc3\xa9");
    o.max_message = r.message.len; /* exactly fits: not truncated */
    assert_int_equal(ls_fmt_record_rfc5424(&b, &r, &o), 0);
    expect(&b, "<38>1 2026-11-22T10:00:00.123456Z h1 sshd 42 - - h\xc3\xa9llo w\xc3\xb6rld");

    struct ls_fmt_clock clk = {.utc = 1};
    o.max_message = 4;
    assert_int_equal(ls_fmt_record_rfc3164(&b, &r, &o, &clk), 1);
    expect(&b, "<38>Nov 22 10:00:00 h1 sshd[42]: h\xc3\xa9l");
    ls_fmt_record_traditional(&b, &r, &o, &clk);
    expect(&b, "Nov 22 10:00:00 h1 sshd[42]: h\xc3\xa9l");
    ls_fmt_buf_release(&b);
}

/* ---- RFC 3164 and traditional ------------------------------------------------------------ */

static void test_3164(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();
    struct ls_fmt_clock clk = {.utc = 1};

    (void)unused;
    make_record(&r, "seq=0:1 Accepted publickey\nfor root");
    assert_int_equal(ls_fmt_record_rfc3164(&b, &r, &o, &clk), 0);
    expect(&b, "<38>Nov 22 10:00:00 h1 sshd[42]: seq=0:1 Accepted publickey for root");
    memset(&r.procid, 0, sizeof r.procid);
    r.time = T_2026_11_02_09 * NS; /* the day is space-padded */
    ls_fmt_record_rfc3164(&b, &r, &o, &clk);
    expect(&b, "<38>Nov  2 09:05:07 h1 sshd: seq=0:1 Accepted publickey for root");
    memset(&r.app, 0, sizeof r.app);
    memset(&r.host, 0, sizeof r.host);
    ls_fmt_record_rfc3164(&b, &r, &o, &clk);
    expect(&b, "<38>Nov  2 09:05:07 localhost -: seq=0:1 Accepted publickey for root");
    o.host = "fallback";
    r.app = sl("a b[c]:d\x7f");
    r.procid = sl("1 2");
    ls_fmt_record_rfc3164(&b, &r, &o, &clk);
    expect(&b, "<38>Nov  2 09:05:07 fallback a_b_c__d_[1_2]: seq=0:1 Accepted publickey for root");
    ls_fmt_buf_release(&b);
}

static void test_traditional(void **unused)
{
    struct ls_fmt_buf b = {0};
    struct ls_record r;
    struct ls_fmt_syslog_opts o = default_opts();
    struct ls_fmt_clock clk = {.utc = 1};

    (void)unused;
    make_record(&r, "seq=3:9 session opened");
    ls_fmt_record_traditional(&b, &r, &o, &clk);
    expect(&b, "Nov 22 10:00:00 h1 sshd[42]: seq=3:9 session opened");
    /* No app: "HOST MSG", as rsyslog writes it. */
    memset(&r.app, 0, sizeof r.app);
    ls_fmt_record_traditional(&b, &r, &o, &clk);
    expect(&b, "Nov 22 10:00:00 h1 seq=3:9 session opened");
    /* ... unless an app is forced. */
    o.app = "forced";
    ls_fmt_record_traditional(&b, &r, &o, &clk);
    expect(&b, "Nov 22 10:00:00 h1 forced[42]: seq=3:9 session opened");
    o.app = NULL;
    memset(&r.host, 0, sizeof r.host);
    memset(&r.message, 0, sizeof r.message);
    r.app = sl("cron");
    o.host = "box";
    ls_fmt_record_traditional(&b, &r, &o, &clk);
    expect(&b, "Nov 22 10:00:00 box cron[42]: ");
    ls_fmt_buf_release(&b);
}

static void test_clock_local_and_cache(void **unused)
{
    struct ls_fmt_clock clk = {0};
    const char *t1, *t2;

    (void)unused;
    setenv("TZ", "XXX-2", 1); /* POSIX: two hours east of UTC, no tzdata needed */
    tzset();
    t1 = ls_fmt_clock_text(&clk, T_2026_11_22_10 * NS + 5);
    assert_string_equal(t1, "Nov 22 12:00:00");
    t2 = ls_fmt_clock_text(&clk, T_2026_11_22_10 * NS + 999999999);
    assert_ptr_equal(t1, t2);
    assert_string_equal(t2, "Nov 22 12:00:00");
    assert_string_equal(ls_fmt_clock_text(&clk, (T_2026_11_22_10 + 3600 * 12) * NS),
                        "Nov 23 00:00:00");
    /* Negative times floor to the second before. */
    clk.utc = 1;
    clk.have = 0;
    assert_string_equal(ls_fmt_clock_text(&clk, -1), "Dec 31 23:59:59");
    unsetenv("TZ");
    tzset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pri),
        cmocka_unit_test(test_5424_basic),
        cmocka_unit_test(test_5424_header_fields_cleaned_and_cut),
        cmocka_unit_test(test_5424_structured_data),
        cmocka_unit_test(test_message_truncation),
        cmocka_unit_test(test_3164),
        cmocka_unit_test(test_traditional),
        cmocka_unit_test(test_clock_local_and_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
