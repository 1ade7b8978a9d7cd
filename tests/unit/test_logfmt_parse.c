/* test_logfmt_parse.c - the logfmt parser's logic (plugins/parsers/logfmt/logfmt_parse.c) on
 * real-world lines: every case asserts every member the parser may set and the exact list of
 * fields. Linked with --wrap=malloc/calloc/realloc to prove that parsing allocates no heap
 * memory per record (only the batch arena grows, by whole chunks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/parsers/logfmt/logfmt_parse.h"
#include "batch.h"

#define PARSE_TEST_COUNT_ALLOCS /* the test links with --wrap=malloc,calloc,realloc */
#define PARSE_TEST_ROWS
#include "../common/parse_test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static struct ls_logfmt_opts default_opts(void)
{
    struct ls_logfmt_opts o;

    memset(&o, 0, sizeof o);
    o.max_fields = 256;
    set_default_map(&o.map);
    return o;
}

/* Fields as `key="value"` separated by spaces (every logfmt field is a string). */
static const char *render_fields(const struct ls_record *r)
{
    static char buf[8192];
    size_t n = 0;

    buf[0] = '\0';
    for (const struct ls_field *f = r->fields; f; f = f->next) {
        assert_int_equal(f->type, LS_FIELD_STRING);
        assert_non_null(f->v.s.ptr); /* empty values are "", not absent */
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s=\"%.*s\"", n ? " " : "",
                              (int)f->key.len, f->key.ptr, (int)f->v.s.len, f->v.s.ptr);
        assert_true(n < sizeof buf);
    }
    return buf;
}

static void check_row(const struct ls_logfmt_opts *o, const struct row *t)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r = ls_batch_append(b, t->line, strlen(t->line), NULL, RECEIVED);
    int rc = ls_logfmt_parse_record(o, b, r);

    if (rc != 0) {
        fail_msg("%s: rc %d", t->line, rc);
    }
    check_parsed(t, r, render_fields(r));
    ls_batch_unref(b);
}

static const struct row real_world[] = {
    /* logrus TextFormatter */
    {"time=\"2026-11-23T10:00:00Z\" level=error msg=\"payment failed\" service=payment "
     "order_id=1234",
     LS_SEV_ERR, "payment failed", "payment", NULL, 1795428000 * NS, "order_id=\"1234\""},
    /* go-kit / Prometheus */
    {"ts=2026-11-23T10:00:00.123456Z caller=head.go:42 level=warn component=tsdb msg=\"WAL "
     "segment loaded\" segment=0 maxSegment=2",
     LS_SEV_WARNING, "WAL segment loaded", NULL, NULL, 1795428000 * NS + 123456000,
     "caller=\"head.go:42\" component=\"tsdb\" segment=\"0\" maxSegment=\"2\""},
    /* Grafana Loki */
    {"level=info ts=2026-11-23T10:00:00.5+01:00 caller=table_manager.go:169 msg=\"uploading "
     "tables\"",
     LS_SEV_INFO, "uploading tables", NULL, NULL, 1795424400 * NS + 500000000,
     "caller=\"table_manager.go:169\""},
    /* Heroku router: host maps; "at" is not a level key; bare values keep '=' and '/' */
    {"at=info method=GET path=\"/\" host=myapp.herokuapp.com request_id=8601b555 "
     "fwd=\"204.204.204.204\" dyno=web.1 connect=1ms status=200 bytes=13 q=a=b",
     -1, NULL, NULL, "myapp.herokuapp.com", RECEIVED,
     "at=\"info\" method=\"GET\" path=\"/\" request_id=\"8601b555\" fwd=\"204.204.204.204\" "
     "dyno=\"web.1\" connect=\"1ms\" status=\"200\" bytes=\"13\" q=\"a=b\""},
    /* escapes decoded: \" \\ \n \t \u00e9, a surrogate pair, \x, an unknown escape kept */
    {"msg=\"he said \\\"hi\\\"\\n\" path=\"C:\\\\temp\\\\x\" u=\"caf\\u00e9 \\ud83d\\ude00\" "
     "b=\"\\x41\\q\"",
     -1, "he said \"hi\"\n", NULL, NULL, RECEIVED,
     "path=\"C:\\temp\\x\" u=\"caf\xc3\xa9 \xf0\x9f\x98\x80\" b=\"A\\q\""},
    /* empty values; tabs and runs of spaces between pairs */
    {"a= b=\"\"\t\tc=x   d=", -1, NULL, NULL, NULL, RECEIVED, "a=\"\" b=\"\" c=\"x\" d=\"\""},
    /* numeric level and epoch time; UTF-8 in keys and values */
    {"ts=1700000000.5 level=30 msg=hi user=J\xc3\xbcrgen st\xc3\xa4"
     "dt=\xe6\x9d\xb1\xe4\xba\xac",
     LS_SEV_INFO, "hi", NULL, NULL, 1700000000 * NS + 500000000,
     "user=\"J\xc3\xbcrgen\" st\xc3\xa4"
     "dt=\"\xe6\x9d\xb1\xe4\xba\xac\""},
    /* values that do not fit stay fields; the next key of the list still maps */
    {"level=loud severity=ERROR time=soon timestamp=1700000000123 service= app=api host= "
     "hostname=h1",
     LS_SEV_ERR, NULL, "api", "h1", 1700000000123 * 1000000LL,
     "level=\"loud\" time=\"soon\" service=\"\" host=\"\""},
    /* only the first key of a target maps; keys are case-insensitive */
    {"MSG=first message=second Level=DEBUG lvl=crit", LS_SEV_DEBUG, "first", NULL, NULL, RECEIVED,
     "message=\"second\" lvl=\"crit\""},
    /* an empty message value is still the message */
    {"msg=\"\" k=v", -1, "", NULL, NULL, RECEIVED, "k=\"v\""},
    /* one pair, leading and trailing spaces */
    {"  k=v  ", -1, NULL, NULL, NULL, RECEIVED, "k=\"v\""},
    /* a quoted value with spaces and '=' inside */
    {"sql=\"select * from t where a = 1\" rows=3", -1, NULL, NULL, NULL, RECEIVED,
     "sql=\"select * from t where a = 1\" rows=\"3\""},
};

static void test_real_world_lines(void **state)
{
    struct ls_logfmt_opts o = default_opts();

    (void)state;
    for (size_t i = 0; i < sizeof real_world / sizeof *real_world; i++) {
        check_row(&o, &real_world[i]);
    }
}

static void test_values_point_into_the_message(void **state)
{
    struct ls_logfmt_opts o = default_opts();
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "level=info msg=\"plain quoted\" a=bare b=\"esc\\\"aped\"";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    const char *lo = r->raw.ptr, *hi = r->raw.ptr + r->raw.len;
    const struct ls_field *a, *e;

    (void)state;
    assert_int_equal(ls_logfmt_parse_record(&o, b, r), 0);
    assert_ptr_equal(r->message.ptr, lo + 16); /* "plain quoted", inside the line */
    a = ls_record_field(r, "a");
    e = ls_record_field(r, "b");
    assert_non_null(a);
    assert_non_null(e);
    assert_ptr_equal(a->v.s.ptr, lo + 32);
    assert_true(e->v.s.ptr < lo || e->v.s.ptr >= hi); /* decoded into the arena */
    assert_slice(e->v.s, "esc\"aped");
    ls_batch_unref(b);
}

/* A line that fails leaves the record as it was. */
static void expect_failure(const struct ls_logfmt_opts *o, const char *line, int want_rc)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    struct ls_field *pre;
    int rc;

    r->severity = LS_SEV_NOTICE;
    r->host = ls_batch_strdup(b, "h0", 2);
    pre = ls_record_add_field(b, r, "sd", 2, LS_FIELD_STRING, "x", 1);
    rc = ls_logfmt_parse_record(o, b, r);
    if (rc != want_rc) {
        fail_msg("\"%s\": rc %d, want %d", line, rc, want_rc);
    }
    check_kept(r, line, NULL, "h0", pre);
    ls_batch_unref(b);
}

static void test_not_logfmt(void **state)
{
    struct ls_logfmt_opts o = default_opts();
    static const char *const lines[] = {
        "",
        "   ",
        "hello world",
        "ERROR [svc] something failed",
        "2026-11-23T10:00:00Z level=info msg=hi", /* a bare word first */
        "level=info msg=hi trailing",             /* and last */
        "key=\"unterminated",
        "key=\"escaped quote at the end\\\"",
        "=value",
        "a=1 =2",
        "key=\"a\"b",
        "k\"ey=v",
        "\"k\"=v",
        "{\"level\":\"info\"}",
        "key",
    };

    (void)state;
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        expect_failure(&o, lines[i], LS_LOGFMT_ESYNTAX);
    }
}

static void test_field_cap_rolls_back(void **state)
{
    struct ls_logfmt_opts o = default_opts();
    static const struct row three = {
        "level=error msg=m a=1 b=2 c=3", LS_SEV_ERR, "m", NULL, NULL, RECEIVED,
        "a=\"1\" b=\"2\" c=\"3\""};
    struct ls_batch *b;
    struct ls_record *r;

    (void)state;
    o.max_fields = 3;
    check_row(&o, &three); /* mapped keys do not count */
    expect_failure(&o, "level=error msg=m ts=1 hostname=h a=1 b=2 c=3 d=\"x\\ty\"",
                   LS_LOGFMT_ETOOMANY);

    /* the core's per-record cap */
    o.max_fields = 256;
    b = ls_batch_new("in", "p");
    r = ls_batch_append(b, "a=1 b=2", 7, NULL, RECEIVED);
    for (int i = 0; i < LS_MAX_FIELDS_PER_RECORD - 1; i++) {
        ls_record_add_field(b, r, "k", 1, LS_FIELD_NULL, NULL, 0);
    }
    assert_int_equal(ls_logfmt_parse_record(&o, b, r), LS_LOGFMT_ETOOMANY);
    assert_int_equal(r->nfields, LS_MAX_FIELDS_PER_RECORD - 1);
    assert_null(r->fields_tail->next);
    ls_batch_unref(b);
}

static void test_message_narrowed_by_syslog(void **state)
{
    struct ls_logfmt_opts o = default_opts();
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "<14>Nov 23 10:00:00 web1 api[12]: level=warn msg=\"slow\" took=2s";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    const char *body = strstr(line, "level=");

    (void)state;
    r->message.ptr = r->raw.ptr + (body - line);
    r->message.len = strlen(body);
    r->severity = LS_SEV_INFO;
    r->app = ls_batch_strdup(b, "api", 3);
    assert_int_equal(ls_logfmt_parse_record(&o, b, r), 0);
    assert_int_equal(r->severity, LS_SEV_WARNING);
    assert_slice(r->message, "slow");
    assert_slice(r->app, "api");
    assert_slice(r->raw, line);
    assert_string_equal(render_fields(r), "took=\"2s\"");
    ls_batch_unref(b);
}

static void test_no_allocation_per_record(void **state)
{
    struct ls_logfmt_opts o = default_opts();
    struct ls_batch *b = ls_batch_new("in", "p");
    size_t before, arena = 0;

    (void)state;
    for (int i = 0; i < 2000; i++) {
        const struct row *t = &real_world[(size_t)i % (sizeof real_world / sizeof *real_world)];
        ls_batch_append(b, t->line, strlen(t->line), NULL, RECEIVED);
    }
    before = allocs;
    for (size_t i = 0; i < ls_batch_count(b); i++) {
        assert_int_equal(ls_logfmt_parse_record(&o, b, ls_batch_record(b, i)), 0);
    }
    /* the only heap allocations are the arena's 64 KiB chunks holding the fields */
    for (struct ls_arena_chunk *c = b->chunks; c; c = c->next) {
        arena++;
    }
    assert_true(allocs - before <= arena);
    assert_true(allocs - before < 2000 / 20);
    ls_batch_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_world_lines),
        cmocka_unit_test(test_values_point_into_the_message),
        cmocka_unit_test(test_not_logfmt),
        cmocka_unit_test(test_field_cap_rolls_back),
        cmocka_unit_test(test_message_narrowed_by_syslog),
        cmocka_unit_test(test_no_allocation_per_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
