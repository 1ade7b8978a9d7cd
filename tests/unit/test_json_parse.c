/* test_json_parse.c - the json parser's logic (plugins/parsers/json/json_parse.c) and the key
 * mapping it shares with logfmt (fieldmap.c), on real-world lines. Every case asserts every
 * member the parser may set and the exact list of fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/parsers/json/fieldmap.h"
#include "../../plugins/parsers/json/json_parse.h"
#include "batch.h"

#define PARSE_TEST_ROWS
#include "../common/parse_test.h"

static struct ls_json_opts default_opts(void)
{
    struct ls_json_opts o;

    memset(&o, 0, sizeof o);
    o.max_depth = 32;
    o.max_fields = 256;
    set_default_map(&o.map);
    return o;
}

/* The fields of r as one line: key=value separated by spaces; strings "quoted" (bytes as
 * they are), ints as digits, doubles as d:%.17g, booleans true/false, null, JSON as json:TEXT. */
static char *render_fields(const struct ls_record *r)
{
    static char buf[8192];
    size_t n = 0;

    buf[0] = '\0';
    for (const struct ls_field *f = r->fields; f; f = f->next) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s=", n ? " " : "", (int)f->key.len,
                              f->key.ptr);
        switch (f->type) {
        case LS_FIELD_STRING:
            n += (size_t)snprintf(buf + n, sizeof buf - n, "\"%.*s\"", (int)f->v.s.len, f->v.s.ptr);
            break;
        case LS_FIELD_INT:
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%lld", (long long)f->v.i);
            break;
        case LS_FIELD_DOUBLE:
            n += (size_t)snprintf(buf + n, sizeof buf - n, "d:%.17g", f->v.d);
            break;
        case LS_FIELD_BOOL:
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", f->v.b ? "true" : "false");
            break;
        case LS_FIELD_NULL:
            n += (size_t)snprintf(buf + n, sizeof buf - n, "null");
            break;
        case LS_FIELD_JSON:
            n +=
                (size_t)snprintf(buf + n, sizeof buf - n, "json:%.*s", (int)f->v.s.len, f->v.s.ptr);
            break;
        default:
            fail_msg("unknown field type %d", f->type);
        }
        assert_true(n < sizeof buf);
    }
    return buf;
}

static void check_row(struct ls_json_parser *p, const struct row *t)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r = ls_batch_append(b, t->line, strlen(t->line), NULL, RECEIVED);
    int rc = ls_json_parse_record(p, b, r);

    if (rc != 0) {
        fail_msg("%s: rc %d (%s)", t->line, rc, ls_json_reason(rc));
    }
    check_parsed(t, r, render_fields(r));
    ls_batch_unref(b);
}

static const struct row real_world[] = {
    /* zap (Go), production config */
    {"{\"level\":\"error\",\"ts\":1700000000.123,\"caller\":\"pay/main.go:12\",\"msg\":\"payment "
     "failed\",\"service\":\"payment\",\"order_id\":1234,\"retry\":true}",
     LS_SEV_ERR, "payment failed", "payment", NULL, 1700000000123000000LL,
     "caller=\"pay/main.go:12\" order_id=1234 retry=true"},
    /* pino (Node): numeric level, epoch ms, nested object kept as JSON text */
    {"{\"level\":30,\"time\":1700000000123,\"pid\":4242,\"hostname\":\"web-1\",\"msg\":\"request "
     "completed\",\"res\":{\"statusCode\":200},\"responseTime\":12.5}",
     LS_SEV_INFO, "request completed", NULL, "web-1", 1700000000123 * 1000000LL,
     "pid=4242 res=json:{\"statusCode\":200} responseTime=d:12.5"},
    /* bunyan */
    {"{\"name\":\"myapp\",\"hostname\":\"banana.local\",\"pid\":123,\"level\":50,\"msg\":\"boom\","
     "\"time\":\"2026-11-23T10:00:00.123Z\",\"v\":0}",
     LS_SEV_ERR, "boom", NULL, "banana.local", 1795428000 * NS + 123000000,
     "name=\"myapp\" pid=123 v=0"},
    /* Docker json-file: escapes decoded, nanosecond time */
    {"{\"log\":\"hello "
     "world\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-23T10:00:00.123456789Z\"}",
     -1, NULL, NULL, NULL, 1795428000 * NS + 123456789, "log=\"hello world\n\" stream=\"stdout\""},
    /* Elastic Common Schema: dotted names are not the default keys, so they stay fields */
    {"{\"@timestamp\":\"2026-11-23T10:00:00.000+01:00\",\"log.level\":\"warning\",\"message\":"
     "\"disk low\",\"service.name\":\"storage\"}",
     -1, "disk low", NULL, NULL, RECEIVED,
     "@timestamp=\"2026-11-23T10:00:00.000+01:00\" log.level=\"warning\" service.name=\"storage\""},
    /* .NET / Java style capitalised keys, offset time, "logger" as the app */
    {"{\"Timestamp\":\"2026-11-23T12:30:00+02:30\",\"Level\":\"Warning\",\"Message\":\"cache "
     "miss\",\"logger\":\"com.shop.Cache\",\"ThreadId\":7}",
     LS_SEV_WARNING, "cache miss", "com.shop.Cache", NULL, 1795428000 * NS, "ThreadId=7"},
    /* Python structlog: "event" is not a message key; fatal -> crit; epoch seconds */
    {"{\"event\":\"worker died\",\"level\":\"fatal\",\"timestamp\":1700000000,\"worker\":3}",
     LS_SEV_CRIT, NULL, NULL, NULL, 1700000000 * NS, "event=\"worker died\" worker=3"},
    /* unicode escapes, quotes, tab; non-ASCII key */
    {"{\"msg\":\"caf\\u00e9 \\\"ok\\\"\\tend\",\"user\":\"\\u65e5\\u672c\",\"cl\\u00e9\":\"v\"}",
     -1, "caf\xc3\xa9 \"ok\"\tend", NULL, NULL, RECEIVED,
     "user=\"\xe6\x97\xa5\xe6\x9c\xac\" cl\xc3\xa9=\"v\""},
    /* every field type; an integer beyond int64 keeps its digits as JSON */
    {"{\"level\":\"INFO\",\"tags\":[\"a\",\"b\"],\"err\":null,\"ratio\":-0.5,\"ok\":false,\"big\":"
     "18446744073709551615,\"neg\":-9223372036854775808}",
     LS_SEV_INFO, NULL, NULL, NULL, RECEIVED,
     "tags=json:[\"a\",\"b\"] err=null ratio=d:-0.5 ok=false big=json:18446744073709551615 "
     "neg=-9223372036854775808"},
    /* values that do not fit their target stay fields; a later key of the list still maps */
    {"{\"level\":\"loud\",\"lvl\":\"warn\",\"msg\":42,\"message\":\"text\",\"time\":\"yesterday\","
     "\"service\":\"\",\"app\":\"api\",\"host\":{\"name\":\"h\"}}",
     LS_SEV_WARNING, "text", "api", NULL, RECEIVED,
     "level=\"loud\" msg=42 time=\"yesterday\" service=\"\" host=json:{\"name\":\"h\"}"},
    /* only the first key of a target maps */
    {"{\"msg\":\"first\",\"message\":\"second\",\"level\":\"debug\",\"severity\":\"crit\"}",
     LS_SEV_DEBUG, "first", NULL, NULL, RECEIVED, "message=\"second\" severity=\"crit\""},
    /* whitespace around and inside; an empty object is a valid line with nothing in it */
    {"  { \"msg\" : \"spaced\" , \"n\" : 1 }  \t", -1, "spaced", NULL, NULL, RECEIVED, "n=1"},
    {"{}", -1, NULL, NULL, NULL, RECEIVED, ""},
    /* epoch microseconds, severity as syslog number, nested arrays kept compact */
    {"{\"ts\":1700000000123456,\"severity\":4,\"m\":[[1, 2], {\"k\": [ ]}]}", LS_SEV_WARNING, NULL,
     NULL, NULL, 1700000000123456000LL, "m=json:[[1, 2], {\"k\": [ ]}]"},
    /* integers past int64 either way keep their digits exactly; int64's ends are ints */
    {"{\"a\":18446744073709551616123,\"b\":-9223372036854775809,\"c\":9223372036854775807}", -1,
     NULL, NULL, NULL, RECEIVED,
     "a=json:18446744073709551616123 b=json:-9223372036854775809 c=9223372036854775807"},
    /* duplicate keys: json-c keeps the last value at the first key's place; its values are
     * used, and nested ones re-serialised compactly */
    {"{\"a\": {\"x\": 1}, \"b\": \"s\", \"a\": [3, 4]}", -1, NULL, NULL, NULL, RECEIVED,
     "a=json:[3,4] b=\"s\""},
    /* json-c's leniencies: single-quoted keys and NaN are accepted; nested text using them
     * is re-serialised, since as written it is not JSON */
    {"{'msg':\"single\",'n':{'k':1},'d':[NaN],'x':{\"ok\":\"it's\"}}", -1, "single", NULL, NULL,
     RECEIVED, "n=json:{\"k\":1} d=json:[NaN] x=json:{\"ok\":\"it's\"}"},
    /* escaped keys are decoded by json-c; the members still line up */
    {"{\"k\\u0031\":{ \"n\" : 1 },\"msg\":\"m\"}", -1, "m", NULL, NULL, RECEIVED,
     "k1=json:{ \"n\" : 1 }"},
    /* a double keeps the text json-c read for it when nested */
    {"{\"geo\":{\"lat\":1.50,\"lon\":-0.10}}", -1, NULL, NULL, NULL, RECEIVED,
     "geo=json:{\"lat\":1.50,\"lon\":-0.10}"},
};

static void test_real_world_lines(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;

    (void)state;
    ls_json_parser_init(&p, &o);
    for (size_t i = 0; i < sizeof real_world / sizeof *real_world; i++) {
        check_row(&p, &real_world[i]);
    }
    ls_json_parser_release(&p);
}

static void test_values_point_into_the_line(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "{\"msg\":\"plain\",\"a\":\"bare\",\"e\":\"esc\\\"aped\",\"n\":{\"k\":1}}";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    const char *lo = r->raw.ptr, *hi = r->raw.ptr + r->raw.len;
    const struct ls_field *a, *e, *n;

    (void)state;
    ls_json_parser_init(&p, &o);
    assert_int_equal(ls_json_parse_record(&p, b, r), 0);
    assert_ptr_equal(r->message.ptr, lo + 8);
    a = ls_record_field(r, "a");
    e = ls_record_field(r, "e");
    n = ls_record_field(r, "n");
    assert_ptr_equal(a->v.s.ptr, lo + 20);
    assert_ptr_equal(n->v.s.ptr, strchr(lo + 30, '{'));
    assert_true(e->v.s.ptr < lo || e->v.s.ptr >= hi); /* decoded into the arena */
    assert_slice(e->v.s, "esc\"aped");
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

static void test_many_keys_use_json_c_values(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    char line[8192];
    size_t n = 0;
    struct ls_record *r;
    const struct ls_field *f;

    (void)state;
    n += (size_t)snprintf(line + n, sizeof line - n, "{\"msg\":\"m\"");
    for (int i = 0; i < LS_JSON_RAW_MAX + 5; i++) {
        n += (size_t)snprintf(line + n, sizeof line - n, ",\"k%d\":{ \"v\" : %d }", i, i);
    }
    snprintf(line + n, sizeof line - n, "}");
    ls_json_parser_init(&p, &o);
    r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    assert_int_equal(ls_json_parse_record(&p, b, r), 0);
    assert_int_equal(r->nfields, LS_JSON_RAW_MAX + 5);
    assert_slice(r->message, "m");
    f = ls_record_field(r, "k132");
    assert_non_null(f);
    assert_slice(f->v.s, "{\"v\":132}"); /* serialised by json-c */
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

static void test_flatten(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    static const struct row rows[] = {
        {"{\"level\":\"warn\",\"http\":{\"method\":\"GET\",\"status\":404,\"hdr\":{\"ua\":\"curl\"}"
         "},"
         "\"tags\":[\"a\",{\"b\":true}],\"e\":{},\"f\":[],\"n\":null}",
         LS_SEV_WARNING, NULL, NULL, NULL, RECEIVED,
         "http.method=\"GET\" http.status=404 http.hdr.ua=\"curl\" tags.0=\"a\" tags.1.b=true "
         "e=json:{} f=json:[] n=null"},
        /* empty keys stay empty parts of the dotted key */
        {"{\"\":{\"\":1,\"a\":[]}}", -1, NULL, NULL, NULL, RECEIVED, ".=1 .a=json:[]"},
        /* mapping applies to top-level keys only */
        {"{\"ctx\":{\"level\":\"error\",\"msg\":\"inner\"}}", -1, NULL, NULL, NULL, RECEIVED,
         "ctx.level=\"error\" ctx.msg=\"inner\""},
    };

    (void)state;
    o.flatten = 1;
    ls_json_parser_init(&p, &o);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        check_row(&p, &rows[i]);
    }
    ls_json_parser_release(&p);
}

static void test_flatten_long_keys_grow_the_scratch_buffer(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    char line[2048], key[301];
    struct ls_record *r;

    (void)state;
    memset(key, 'k', 300);
    key[300] = '\0';
    snprintf(line, sizeof line, "{\"%s\":{\"%s\":{\"%s\":7}}}", key, key, key);
    o.flatten = 1;
    ls_json_parser_init(&p, &o);
    r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    assert_int_equal(ls_json_parse_record(&p, b, r), 0);
    assert_int_equal(r->nfields, 1);
    assert_int_equal(r->fields->key.len, 902);
    assert_int_equal(r->fields->key.ptr[300], '.');
    assert_int_equal(r->fields->key.ptr[601], '.');
    assert_int_equal(r->fields->v.i, 7);
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

/* A line that fails leaves the record as it was: every member, and the fields it had. */
static void expect_failure(struct ls_json_parser *p, const char *line, int want_rc)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    struct ls_field *pre;
    int rc;

    r->severity = LS_SEV_NOTICE; /* as a syslog parser would have left it */
    r->app = ls_batch_strdup(b, "logger", 6);
    pre = ls_record_add_field(b, r, "sd", 2, LS_FIELD_STRING, "x", 1);
    rc = ls_json_parse_record(p, b, r);
    if (rc != want_rc) {
        fail_msg("%s: rc %d, want %d", line, rc, want_rc);
    }
    check_kept(r, line, "logger", NULL, pre);
    ls_batch_unref(b);
}

static void test_not_json_objects_pass_through_unchanged(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;

    (void)state;
    ls_json_parser_init(&p, &o);
    expect_failure(&p, "plain text ERROR line", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "   ", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "[1,2,3]", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "\"just a string\"", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "42", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "null", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "<34>Oct 11 22:14:15 host su: {\"level\":\"error\"}", LS_JSON_ENOTOBJECT);
    expect_failure(&p, "{\"level\":\"error\"", LS_JSON_EINVALID);
    expect_failure(&p, "{\"level\":\"error\"} trailing", LS_JSON_EINVALID);
    expect_failure(&p, "{\"a\":1}{\"b\":2}", LS_JSON_EINVALID);
    expect_failure(&p, "{\"a\":1,}", LS_JSON_EINVALID);
    expect_failure(&p, "{\"a\":01}", LS_JSON_EINVALID);
    expect_failure(&p, "{\"a\" 1}", LS_JSON_EINVALID);
    expect_failure(&p, "{\"a\":\"unterminated}", LS_JSON_EINVALID);
    expect_failure(&p, "{level:error}", LS_JSON_EINVALID);
    ls_json_parser_release(&p);
}

static void test_nul_byte_after_the_object_is_invalid(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r = ls_batch_append(b, "{\"a\":1}\0x", 9, NULL, RECEIVED);

    (void)state;
    ls_json_parser_init(&p, &o);
    assert_int_equal(ls_json_parse_record(&p, b, r), LS_JSON_EINVALID);
    assert_int_equal(r->nfields, 0);
    r = ls_batch_append(b, "{\"a\":\"x\0y\"}", 11, NULL, RECEIVED);
    assert_int_equal(ls_json_parse_record(&p, b, r), LS_JSON_EINVALID);
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

static void test_depth_cap(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    static const struct row ok = {"{\"a\":{\"b\":[1]}}", -1, NULL, NULL, NULL, RECEIVED,
                                  "a=json:{\"b\":[1]}"};

    (void)state;
    o.max_depth = 3;
    ls_json_parser_init(&p, &o);
    check_row(&p, &ok); /* object, object, array: 3 levels */
    expect_failure(&p, "{\"a\":{\"b\":[[1]]}}", LS_JSON_EDEPTH);
    expect_failure(&p, "{\"level\":\"error\",\"a\":{\"b\":{\"c\":{}}}}", LS_JSON_EDEPTH);
    ls_json_parser_release(&p);

    o.max_depth = 1;
    ls_json_parser_init(&p, &o);
    {
        static const struct row flat = {
            "{\"msg\":\"m\",\"n\":1}", -1, "m", NULL, NULL, RECEIVED, "n=1"};
        check_row(&p, &flat);
    }
    expect_failure(&p, "{\"a\":[]}", LS_JSON_EDEPTH);
    ls_json_parser_release(&p);
}

static void test_depth_default_allows_32_levels(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    char line[256];
    size_t n = 0;

    (void)state;
    ls_json_parser_init(&p, &o);
    for (int i = 0; i < 31; i++) {
        n += (size_t)snprintf(line + n, sizeof line - n, "{\"a\":");
    }
    n += (size_t)snprintf(line + n, sizeof line - n, "{}");
    for (int i = 0; i < 31; i++) {
        line[n++] = '}';
    }
    line[n] = '\0';
    {
        struct ls_batch *b = ls_batch_new("in", "p");
        struct ls_record *r = ls_batch_append(b, line, n, NULL, RECEIVED);
        assert_int_equal(ls_json_parse_record(&p, b, r), 0); /* 32 levels */
        ls_batch_unref(b);
    }
    /* one more level */
    memmove(line + 5, line, n + 1);
    memcpy(line, "{\"a\":", 5);
    strcat(line, "}");
    expect_failure(&p, line, LS_JSON_EDEPTH);
    ls_json_parser_release(&p);
}

static void test_field_cap_rolls_back_everything(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    static const struct row three = {"{\"level\":\"error\",\"msg\":\"m\",\"a\":1,\"b\":2,\"c\":3}",
                                     LS_SEV_ERR,
                                     "m",
                                     NULL,
                                     NULL,
                                     RECEIVED,
                                     "a=1 b=2 c=3"};

    (void)state;
    o.max_fields = 3;
    ls_json_parser_init(&p, &o);
    check_row(&p, &three); /* mapped keys do not count */
    /* the level, message, time and host were already set when the 4th field failed */
    expect_failure(&p,
                   "{\"level\":\"error\",\"msg\":\"m\",\"ts\":1,\"host\":\"h\",\"a\":1,\"b\":2,"
                   "\"c\":3,\"d\":4}",
                   LS_JSON_ETOOMANY);
    ls_json_parser_release(&p);

    o.flatten = 1;
    ls_json_parser_init(&p, &o);
    expect_failure(&p, "{\"a\":{\"b\":1,\"c\":[1,2,3]}}", LS_JSON_ETOOMANY); /* 4 leaves */
    ls_json_parser_release(&p);
}

static void test_core_field_cap_rolls_back(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "{\"level\":\"error\",\"a\":1,\"b\":2}";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    struct ls_field *last = NULL;

    (void)state;
    for (int i = 0; i < LS_MAX_FIELDS_PER_RECORD - 1; i++) {
        last = ls_record_add_field(b, r, "k", 1, LS_FIELD_NULL, NULL, 0);
    }
    ls_json_parser_init(&p, &o);
    assert_int_equal(ls_json_parse_record(&p, b, r), LS_JSON_ETOOMANY);
    assert_int_equal(r->nfields, LS_MAX_FIELDS_PER_RECORD - 1);
    assert_ptr_equal(r->fields_tail, last);
    assert_null(last->next);
    assert_int_equal(r->severity, -1);
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

static void test_message_narrowed_by_syslog(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "<13>Nov 23 10:00:00 web1 alice: {\"level\":\"error\",\"msg\":\"disk "
                       "full\",\"mount\":\"/var\"}";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, RECEIVED);
    const char *json = strchr(line, '{');

    (void)state;
    /* what the syslog parser leaves: message narrowed to the part after the header */
    r->message.ptr = r->raw.ptr + (json - line);
    r->message.len = strlen(json);
    r->severity = LS_SEV_NOTICE;
    r->facility = 1;
    r->host = ls_batch_strdup(b, "web1", 4);
    r->app = ls_batch_strdup(b, "alice", 5);
    ls_json_parser_init(&p, &o);
    assert_int_equal(ls_json_parse_record(&p, b, r), 0);
    assert_int_equal(r->severity, LS_SEV_ERR); /* the line's own level beats logger's default */
    assert_int_equal(r->facility, 1);
    assert_slice(r->message, "disk full");
    assert_slice(r->host, "web1");
    assert_slice(r->app, "alice");
    assert_slice(r->raw, line);
    assert_string_equal(render_fields(r), "mount=\"/var\"");
    ls_json_parser_release(&p);
    ls_batch_unref(b);
}

static void test_empty_key_lists_map_nothing(void **state)
{
    struct ls_json_opts o;
    struct ls_json_parser p;
    static const struct row row = {"{\"level\":\"error\",\"msg\":\"m\",\"time\":1}",
                                   -1,
                                   NULL,
                                   NULL,
                                   NULL,
                                   RECEIVED,
                                   "level=\"error\" msg=\"m\" time=1"};

    (void)state;
    memset(&o, 0, sizeof o);
    o.max_depth = 32;
    o.max_fields = 256;
    ls_json_parser_init(&p, &o);
    check_row(&p, &row);
    ls_json_parser_release(&p);
}

static void test_custom_keys(void **state)
{
    struct ls_json_opts o = default_opts();
    struct ls_json_parser p;
    static char *lvl[] = {"@l"};
    static char *msg[] = {"@m", "@mt"};
    static char *tm[] = {"@t"};
    static const struct row row = {
        "{\"@t\":\"2026-11-23T10:00:00.5Z\",\"@mt\":\"User {Id} in\",\"@l\":\"Error\",\"Id\":5,"
        "\"msg\":\"not mapped\"}",
        LS_SEV_ERR,
        "User {Id} in",
        NULL,
        NULL,
        1795428000 * NS + 500000000,
        "Id=5 msg=\"not mapped\""};

    (void)state;
    ls_fmap_set(&o.map, LS_FMAP_LEVEL, lvl, 1);
    ls_fmap_set(&o.map, LS_FMAP_MESSAGE, msg, 2);
    ls_fmap_set(&o.map, LS_FMAP_TIME, tm, 1);
    ls_json_parser_init(&p, &o);
    check_row(&p, &row);
    ls_json_parser_release(&p);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_string_equal(ls_json_reason(LS_JSON_ENOTOBJECT), "not_object");
    assert_string_equal(ls_json_reason(LS_JSON_EINVALID), "invalid");
    assert_string_equal(ls_json_reason(LS_JSON_EDEPTH), "too_deep");
    assert_string_equal(ls_json_reason(LS_JSON_ETOOMANY), "too_many_fields");
    assert_null(ls_json_reason(0));
    assert_null(ls_json_reason(-5));
}

/* ---- fieldmap ------------------------------------------------------------------------------- */

static void test_severity_words(void **state)
{
    static const struct {
        const char *w;
        int sev;
    } t[] = {
        {"emerg", 0},
        {"EMERGENCY", 0},
        {"panic", 0},
        {"alert", 1},
        {"crit", 2},
        {"Critical", 2},
        {"FATAL", 2},
        {"err", 3},
        {"error", 3},
        {"SEVERE", 3},
        {"warn", 4},
        {"Warning", 4},
        {"notice", 5},
        {"info", 6},
        {"INFORMATION", 6},
        {"informational", 6},
        {"debug", 7},
        {"trace", 7},
        {"Verbose", 7},
        {"3", 3},
        {"30", 6},
        {"60", 2},
        {"", -1},
        {"errors", -1},
        {"inf", -1},
        {"8", -1},
        {"35", -1},
        {"-1", -1},
        {"99999999999999", -1},
        {"warn ", -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (ls_fmap_severity_word(t[i].w, strlen(t[i].w)) != t[i].sev) {
            fail_msg("\"%s\": got %d, want %d", t[i].w,
                     ls_fmap_severity_word(t[i].w, strlen(t[i].w)), t[i].sev);
        }
    }
    assert_int_equal(ls_fmap_severity_number(10), LS_SEV_DEBUG);
    assert_int_equal(ls_fmap_severity_number(20), LS_SEV_DEBUG);
    assert_int_equal(ls_fmap_severity_number(40), LS_SEV_WARNING);
    assert_int_equal(ls_fmap_severity_number(50), LS_SEV_ERR);
    assert_int_equal(ls_fmap_severity_number(0), LS_SEV_EMERG);
    assert_int_equal(ls_fmap_severity_number(-3), -1);
    assert_int_equal(ls_fmap_severity_number(INT64_MIN), -1);
}

static void test_time_text(void **state)
{
    static const struct {
        const char *s;
        int ok;
        int64_t ns;
    } t[] = {
        {"1970-01-01T00:00:00Z", 1, 0},
        {"2026-11-23T10:00:00Z", 1, 1795428000 * NS},
        {"2026-11-23t10:00:00z", 1, 1795428000 * NS},
        {"2026-11-23 10:00:00Z", 1, 1795428000 * NS},
        {"2026-11-23T11:00:00+01:00", 1, 1795428000 * NS},
        {"2026-11-23T11:00:00+0100", 1, 1795428000 * NS},
        {"2026-11-23T09:00:00-01:00", 1, 1795428000 * NS},
        {"2026-11-23T10:00:00.1Z", 1, 1795428000 * NS + 100000000},
        {"2026-11-23T10:00:00.123456789123Z", 1, 1795428000 * NS + 123456789},
        {"2024-02-29T00:00:00Z", 1, 1709164800 * NS},
        {"2000-02-29T00:00:00Z", 1, 951782400 * NS},
        {"2016-12-31T23:59:60Z", 1, 1483228800 * NS}, /* leap second: the next instant */
        {"1969-12-31T23:59:59Z", 1, -NS},
        {"2262-04-11T23:47:16Z", 1, 9223372036 * NS},
        {"2262-04-11T23:47:17Z", 0, 0},
        {"1677-09-21T00:12:43Z", 0, 0},
        {"2023-02-29T00:00:00Z", 0, 0},
        {"1900-02-29T00:00:00Z", 0, 0},
        {"2026-13-01T00:00:00Z", 0, 0},
        {"2026-04-31T00:00:00Z", 0, 0},
        {"2026-11-23T24:00:00Z", 0, 0},
        {"2026-11-23T10:60:00Z", 0, 0},
        {"2026-11-23T10:00:61Z", 0, 0},
        {"2026-11-23T10:00:00", 0, 0},
        {"2026-11-23T10:00:00.Z", 0, 0},
        {"2026-11-23T10:00:00+1:00", 0, 0},
        {"2026-11-23T10:00:00+24:00", 0, 0},
        {"2026-11-23T10:00:00Zx", 0, 0},
        {"2026-11-23", 0, 0},
        {"1700000000", 1, 1700000000 * NS},
        {"1700000000.5", 1, 1700000000 * NS + 500000000},
        {"1700000000.123456789999", 1, 1700000000 * NS + 123456789},
        {"1700000000123", 1, 1700000000123 * 1000000LL},
        {"1700000000123.5", 1, 1700000000123 * 1000000LL + 500000},
        {"1700000000123456", 1, 1700000000123456 * 1000LL},
        {"1700000000123456789", 1, 1700000000123456789LL},
        {"0", 1, 0},
        {"9223372036", 1, 9223372036 * NS},
        {"9223372037", 0, 0},
        {"99999999999", 0, 0}, /* 1e11-1 s is past 2262 */
        {"99999999999999999999", 0, 0},
        {"-1", 0, 0},
        {"1700000000.", 0, 0},
        {".5", 0, 0},
        {"17e8", 0, 0},
        {"", 0, 0},
        {"yesterday", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t ns = -12345;
        int rc = ls_fmap_time_text(t[i].s, strlen(t[i].s), &ns);
        if ((rc == 0) != t[i].ok || (t[i].ok && ns != t[i].ns)) {
            fail_msg("\"%s\": rc %d ns %lld, want ok %d ns %lld", t[i].s, rc, (long long)ns,
                     t[i].ok, (long long)t[i].ns);
        }
    }
}

static void test_time_epoch_numbers(void **state)
{
    int64_t ns;

    (void)state;
    assert_int_equal(ls_fmap_time_epoch_int(1700000000, &ns), 0);
    assert_int_equal(ns, 1700000000 * NS);
    assert_int_equal(ls_fmap_time_epoch_int(1700000000123LL, &ns), 0);
    assert_int_equal(ns, 1700000000123LL * 1000000);
    assert_int_equal(ls_fmap_time_epoch_int(INT64_MAX, &ns), 0);
    assert_int_equal(ns, INT64_MAX);
    assert_int_equal(ls_fmap_time_epoch_int(99999999999999LL, &ns), -1); /* ms past 2262 */
    assert_int_equal(ls_fmap_time_epoch_int(-1, &ns), -1);
    assert_int_equal(ls_fmap_time_epoch_double(1700000000.25, &ns), 0);
    assert_int_equal(ns, 1700000000250000000LL);
    assert_int_equal(ls_fmap_time_epoch_double(1700000000123.0, &ns), 0);
    assert_int_equal(ns, 1700000000123000000LL);
    assert_int_equal(ls_fmap_time_epoch_double(1e30, &ns), -1);
    assert_int_equal(ls_fmap_time_epoch_double(-0.5, &ns), -1);
    assert_int_equal(ls_fmap_time_epoch_double(0.0 / 0.0, &ns), -1);
}

static void test_key_lookup(void **state)
{
    struct ls_json_opts o = default_opts();
    static char *longk[] = {"a_key_of_exactly_sixty_four_bytes_which_is_past_the_length_bits_"};
    static char *many[] = {"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k_", "@t"};

    (void)state;
    assert_int_equal(ls_fmap_lookup(&o.map, "level", 5), LS_FMAP_LEVEL);
    assert_int_equal(ls_fmap_lookup(&o.map, "LVL", 3), LS_FMAP_LEVEL);
    assert_int_equal(ls_fmap_lookup(&o.map, "Message", 7), LS_FMAP_MESSAGE);
    assert_int_equal(ls_fmap_lookup(&o.map, "logger", 6), LS_FMAP_APP);
    assert_int_equal(ls_fmap_lookup(&o.map, "TS", 2), LS_FMAP_TIME);
    assert_int_equal(ls_fmap_lookup(&o.map, "hostname", 8), LS_FMAP_HOST);
    assert_int_equal(ls_fmap_lookup(&o.map, "levels", 6), LS_FMAP_NONE);
    assert_int_equal(ls_fmap_lookup(&o.map, "lev", 3), LS_FMAP_NONE);
    assert_int_equal(ls_fmap_lookup(&o.map, "", 0), LS_FMAP_NONE);
    assert_int_equal(ls_fmap_lookup(&o.map, "ms\0", 3), LS_FMAP_NONE);
    assert_int_equal(strlen(longk[0]), 64);
    ls_fmap_set(&o.map, LS_FMAP_HOST, longk, 1);
    assert_int_equal(ls_fmap_lookup(&o.map, longk[0], 64), LS_FMAP_HOST);
    assert_int_equal(ls_fmap_lookup(&o.map, "host", 4), LS_FMAP_NONE);
    /* more short keys than are packed: the rest are still found, byte by byte */
    ls_fmap_set(&o.map, LS_FMAP_APP, many, sizeof many / sizeof *many);
    for (size_t i = 0; i < sizeof many / sizeof *many; i++) {
        assert_int_equal(ls_fmap_lookup(&o.map, many[i], strlen(many[i])), LS_FMAP_APP);
    }
    assert_int_equal(ls_fmap_lookup(&o.map, "K10", 3), LS_FMAP_APP);
    assert_int_equal(ls_fmap_lookup(&o.map, "k1_", 3), LS_FMAP_NONE);
    /* lowercasing is ASCII only: '_' is not DEL, '@' is not '`' */
    assert_int_equal(ls_fmap_lookup(&o.map, "k\x7f", 2), LS_FMAP_NONE);
    assert_int_equal(ls_fmap_lookup(&o.map, "`t", 2), LS_FMAP_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_world_lines),
        cmocka_unit_test(test_values_point_into_the_line),
        cmocka_unit_test(test_many_keys_use_json_c_values),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_flatten_long_keys_grow_the_scratch_buffer),
        cmocka_unit_test(test_not_json_objects_pass_through_unchanged),
        cmocka_unit_test(test_nul_byte_after_the_object_is_invalid),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_depth_default_allows_32_levels),
        cmocka_unit_test(test_field_cap_rolls_back_everything),
        cmocka_unit_test(test_core_field_cap_rolls_back),
        cmocka_unit_test(test_message_narrowed_by_syslog),
        cmocka_unit_test(test_empty_key_lists_map_nothing),
        cmocka_unit_test(test_custom_keys),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_severity_words),
        cmocka_unit_test(test_time_text),
        cmocka_unit_test(test_time_epoch_numbers),
        cmocka_unit_test(test_key_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
