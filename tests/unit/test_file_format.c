/* test_file_format.c - the file output's pure formatting (plugins/common/format.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../plugins/common/format.h"

#define FFFD "\xef\xbf\xbd"

/* Escape `len` bytes and compare with the expected JSON text (quotes included). */
static void check_escape_n(const char *in, size_t len, const char *want)
{
    struct ls_fmt_buf b = {0};

    ls_fmt_json_string(&b, in, len);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0) {
        print_error("escape: got %.*s, want %s\n", (int)b.len, b.data, want);
        fail();
    }
    assert_true(ls_json_valid(b.data, b.len));
    ls_fmt_buf_release(&b);
}

static void check_escape(const char *in, const char *want)
{
    check_escape_n(in, strlen(in), want);
}

/* ---- JSON strings ------------------------------------------------------------------------ */

static void test_escape_ascii(void **unused)
{
    (void)unused;
    check_escape("", "\"\"");
    check_escape_n(NULL, 0, "\"\"");
    check_escape("hello, world ~!", "\"hello, world ~!\"");
    check_escape("say \"hi\"", "\"say \\\"hi\\\"\"");
    check_escape("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    check_escape("a/b", "\"a/b\"");
}

static void test_escape_every_control_char(void **unused)
{
    (void)unused;
    for (int c = 0; c < 0x20; c++) {
        char in[1] = {(char)c};
        char want[16];
        snprintf(want, sizeof want, "\"\\u%04x\"", c);
        check_escape_n(in, 1, want);
    }
    check_escape("\x7f", "\"\\u007f\"");
    check_escape("a\tb\nc\r", "\"a\\u0009b\\u000ac\\u000d\"");
    check_escape("\x1b[31mred", "\"\\u001b[31mred\"");
}

static void test_escape_nul_bytes(void **unused)
{
    (void)unused;
    check_escape_n("a\0b\0", 4, "\"a\\u0000b\\u0000\"");
}

static void test_escape_valid_utf8_passes(void **unused)
{
    (void)unused;
    check_escape("caf\xc3\xa9", "\"caf\xc3\xa9\"");           /* U+00E9 */
    check_escape("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080, lowest 2-byte */
    check_escape("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
    check_escape("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
    check_escape("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* U+20AC euro */
    check_escape("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF, below surrogates */
    check_escape("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
    check_escape("\xe2\x80\xa8", "\"\xe2\x80\xa8\"");         /* U+2028 */
    check_escape(FFFD, "\"" FFFD "\"");                       /* U+FFFD itself */
    check_escape("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
    check_escape("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
    check_escape("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
    check_escape("\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"");
}

static void test_escape_invalid_utf8_replaced(void **unused)
{
    (void)unused;
    /* stray continuation bytes and impossible bytes: one U+FFFD each */
    check_escape("\x80", "\"" FFFD "\"");
    check_escape("a\xbf"
                 "b",
                 "\"a" FFFD "b\"");
    check_escape("\xfe\xff", "\"" FFFD FFFD "\"");
    check_escape("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
    /* overlongs */
    check_escape("\xc0\xaf", "\"" FFFD FFFD "\""); /* '/' in 2 bytes */
    check_escape("\xc1\xbf", "\"" FFFD FFFD "\"");
    check_escape("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\""); /* '/' in 3 bytes */
    check_escape("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\""); /* U+07FF in 3 bytes */
    check_escape("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"");
    check_escape("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
    /* UTF-16 surrogates encoded in UTF-8 (CESU) */
    check_escape("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\""); /* U+D800 */
    check_escape("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\""); /* U+DFFF */
    /* above U+10FFFF */
    check_escape("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
    /* truncated sequences: the valid prefix is one maximal subpart -> one U+FFFD */
    check_escape("\xc3", "\"" FFFD "\"");
    check_escape("\xe2\x82", "\"" FFFD "\"");
    check_escape("\xf0\x9f\x98", "\"" FFFD "\"");
    check_escape("\xe2\x82"
                 "A",
                 "\"" FFFD "A\"");
    check_escape("\xf0\x9f\x98\"", "\"" FFFD "\\\"\"");
    check_escape("\xf0\x9f"
                 "\xe2\x82\xac",
                 "\"" FFFD "\xe2\x82\xac\"");
    check_escape("x\xc3\n", "\"x" FFFD "\\u000a\"");
}

static uint32_t rng_state = 99991;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_escape_random_bytes_always_valid_json(void **unused)
{
    (void)unused;
    for (int round = 0; round < 5000; round++) {
        unsigned char in[64];
        size_t len = rng() % sizeof in;
        struct ls_fmt_buf b = {0};

        for (size_t i = 0; i < len; i++) {
            in[i] = (unsigned char)rng();
        }
        ls_fmt_json_string(&b, (const char *)in, len);
        assert_true(ls_json_valid(b.data, b.len));
        for (size_t i = 0; i < b.len; i++) {
            assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
        }
        ls_fmt_buf_release(&b);
    }
}

/* ---- time -------------------------------------------------------------------------------- */

static void check_time(int64_t ns, const char *want)
{
    char out[LS_FMT_TIME_SIZE];
    size_t n = ls_fmt_time(out, ns);

    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_time_format(void **unused)
{
    (void)unused;
    check_time(0, "1970-01-01T00:00:00.000000000Z");
    check_time(1795428000LL * 1000000000 + 123456789, "2026-11-23T10:00:00.123456789Z");
    check_time(1709251199LL * 1000000000 + 999999999, "2024-02-29T23:59:59.999999999Z");
    check_time(951868800LL * 1000000000, "2000-03-01T00:00:00.000000000Z");
    check_time(-1, "1969-12-31T23:59:59.999999999Z");
    check_time(-1000000000, "1969-12-31T23:59:59.000000000Z");
    check_time(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
    check_time(INT64_MIN, "1677-09-21T00:12:43.145224192Z");
}

static void test_time_matches_gmtime(void **unused)
{
    (void)unused;
    for (int round = 0; round < 20000; round++) {
        int64_t secs = (int64_t)(((uint64_t)rng() << 32 | rng()) % 18000000000ULL) - 9000000000LL;
        int64_t nsec = rng() % 1000000000;
        time_t t = (time_t)secs;
        struct tm tm;
        char want[64], got[LS_FMT_TIME_SIZE];

        assert_non_null(gmtime_r(&t, &tm));
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)nsec);
        ls_fmt_time(got, secs * 1000000000 + nsec);
        assert_string_equal(got, want);
    }
}

/* ---- JSON validation and compaction ------------------------------------------------------ */

static void test_json_valid(void **unused)
{
    static const char *const good[] = {
        "{}",
        "[]",
        "0",
        "-0",
        "1.5e10",
        "-0.0E+1",
        "2E-3",
        "\"\"",
        "true",
        "false",
        "null",
        " \t\r\n{ \"a\" : [ 1 , -2.5e10 , true , false , null , \"x\" ] }\n",
        "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"",
        "\"caf\xc3\xa9\"",
        "[[[]],{\"\":{}}]",
        NULL};
    static const char *const bad[] = {" ",
                                      "{",
                                      "}",
                                      "[",
                                      "{\"a\"}",
                                      "{\"a\":}",
                                      "{\"a\":1,}",
                                      "[1,]",
                                      "[1 2]",
                                      "{a:1}",
                                      "01",
                                      "1.",
                                      ".5",
                                      "+1",
                                      "-",
                                      "1e",
                                      "1e+",
                                      "0x10",
                                      "tru",
                                      "nul",
                                      "True",
                                      "NaN",
                                      "\"abc",
                                      "\"\\q\"",
                                      "\"\\u12G4\"",
                                      "\"\\u12\"",
                                      "\"tab\tin\"",
                                      "\"\xff\"",
                                      "\"\xed\xa0\x80\"",
                                      "{} {}",
                                      "1 2",
                                      "[1]]",
                                      "'a'",
                                      NULL};

    (void)unused;
    for (int i = 0; good[i]; i++) {
        if (!ls_json_valid(good[i], strlen(good[i]))) {
            print_error("rejected valid JSON: %s\n", good[i]);
            fail();
        }
    }
    for (int i = 0; bad[i]; i++) {
        if (ls_json_valid(bad[i], strlen(bad[i]))) {
            print_error("accepted invalid JSON: %s\n", bad[i]);
            fail();
        }
    }
    assert_false(ls_json_valid("", 0));
    assert_false(ls_json_valid(NULL, 0));
    assert_false(ls_json_valid("\"a\0b\"", 5)); /* raw NUL inside a string */
    assert_false(ls_json_valid("[1]\0", 4));    /* trailing NUL */
}

static void test_json_depth_limit(void **unused)
{
    char s[2 * (LS_JSON_MAX_DEPTH + 1)];
    size_t d = LS_JSON_MAX_DEPTH;

    (void)unused;
    memset(s, '[', d);
    memset(s + d, ']', d);
    assert_true(ls_json_valid(s, 2 * d));
    d++;
    memset(s, '[', d);
    memset(s + d, ']', d);
    assert_false(ls_json_valid(s, 2 * d));
}

static void test_json_compact(void **unused)
{
    const char *in = " {\n  \"a b\" : [ 1 , 2 ],\t\"s\" : \"x  y\\\" \\\\ z\" }\r\n";
    const char *want = "{\"a b\":[1,2],\"s\":\"x  y\\\" \\\\ z\"}";
    struct ls_fmt_buf b = {0};

    (void)unused;
    assert_true(ls_json_valid(in, strlen(in)));
    ls_fmt_json_compact(&b, in, strlen(in));
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    ls_fmt_buf_release(&b);
}

/* ---- records ----------------------------------------------------------------------------- */

static struct ls_slice sl(const char *s)
{
    struct ls_slice r = {s, s ? strlen(s) : 0};
    return r;
}

static const char *sev_name(int s)
{
    return s == 6 ? "info" : s == 3 ? "err" : NULL;
}

static const char *fac_name(int f)
{
    return f == 4 ? "auth" : NULL;
}

static void assert_buf(const struct ls_fmt_buf *b, const char *want)
{
    if (b->len != strlen(want) || memcmp(b->data, want, b->len) != 0) {
        print_error("got  %.*s\nwant %s\n", (int)b->len, b->data, want);
        fail();
    }
}

static void test_record_raw(void **unused)
{
    struct ls_record r;
    struct ls_fmt_buf b = {0};

    (void)unused;
    memset(&r, 0, sizeof r);
    r.raw.ptr = "a\0b\xff";
    r.raw.len = 4;
    ls_fmt_record_raw(&b, &r);
    r.raw = sl("second");
    ls_fmt_record_raw(&b, &r);
    r.raw = sl(NULL);
    ls_fmt_record_raw(&b, &r);
    assert_int_equal(b.len, 5 + 7 + 1);
    assert_memory_equal(b.data, "a\0b\xff\nsecond\n\n", 13);
    ls_fmt_buf_release(&b);
}

static void test_record_json_minimal(void **unused)
{
    struct ls_record r;
    struct ls_fmt_buf b = {0};
    struct ls_fmt_ctx ctx = {NULL, NULL, sev_name, fac_name};

    (void)unused;
    memset(&r, 0, sizeof r);
    r.severity = LS_SEV_UNKNOWN;
    r.facility = LS_FAC_UNKNOWN;
    r.pid = r.uid = r.gid = -1; /* unknown credentials are left out */
    r.raw = sl("hi");
    r.message = r.raw;
    r.peer.ptr = "";
    ls_fmt_record_json(&b, &r, &ctx);
    assert_buf(&b, "{\"time\":\"1970-01-01T00:00:00.000000000Z\","
                   "\"received\":\"1970-01-01T00:00:00.000000000Z\",\"severity\":null,"
                   "\"facility\":null,\"host\":null,\"app\":null,\"procid\":null,\"msgid\":null,"
                   "\"message\":\"hi\",\"raw\":\"hi\",\"peer\":\"\",\"input\":null,"
                   "\"pipeline\":null}\n");
    assert_true(ls_json_valid(b.data, b.len - 1));
    ls_fmt_buf_release(&b);
}

static void test_record_json_full(void **unused)
{
    struct ls_record r;
    struct ls_field f[12];
    struct ls_fmt_buf b = {0};
    struct ls_fmt_ctx ctx = {"apps.tcp.0", "apps", sev_name, fac_name};

    (void)unused;
    memset(&r, 0, sizeof r);
    memset(f, 0, sizeof f);
    r.pid = 4242; /* trusted credentials from the kernel */
    r.uid = 0;
    r.gid = -1; /* unknown: left out */
    r.time = 1795428000LL * 1000000000 + 123456789;
    r.received = 1795428000LL * 1000000000 + 500000000;
    r.severity = LS_SEV_INFO;
    r.facility = 4;
    r.host = sl("h1");
    r.app = sl("sshd");
    r.procid = sl("42");
    r.msgid = sl("ID7");
    r.message = sl("login \"ok\"\tnow");
    r.raw = sl("<38>login \"ok\"\tnow \xc3");
    r.peer = sl("[::1]:5000");

    f[0].key = sl("user");
    f[0].type = LS_FIELD_STRING;
    f[0].v.s = sl("r\xc3\xa9mi");
    f[1].key = sl("count");
    f[1].type = LS_FIELD_INT;
    f[1].v.i = INT64_MIN;
    f[2].key = sl("ratio");
    f[2].type = LS_FIELD_DOUBLE;
    f[2].v.d = 0.1;
    f[3].key = sl("inf");
    f[3].type = LS_FIELD_DOUBLE;
    f[3].v.d = INFINITY;
    f[4].key = sl("nan");
    f[4].type = LS_FIELD_DOUBLE;
    f[4].v.d = NAN;
    f[5].key = sl("ok");
    f[5].type = LS_FIELD_BOOL;
    f[5].v.b = 1;
    f[6].key = sl("none");
    f[6].type = LS_FIELD_NULL;
    f[7].key = sl("obj");
    f[7].type = LS_FIELD_JSON;
    f[7].v.s = sl("{ \"a\" : [1, 2],\n \"b\" : null }");
    f[8].key = sl("badjson");
    f[8].type = LS_FIELD_JSON;
    f[8].v.s = sl("{\"a\":");
    f[9].key = sl("k\"\x01\xff");
    f[9].type = LS_FIELD_BOOL;
    f[9].v.b = 0;
    f[10].key = sl("big");
    f[10].type = LS_FIELD_DOUBLE;
    f[10].v.d = 1e300;
    f[11].key = sl("future");
    f[11].type = 99;
    for (int i = 0; i < 11; i++) {
        f[i].next = &f[i + 1];
    }
    r.fields = &f[0];
    r.fields_tail = &f[11];
    r.nfields = 12;

    ls_fmt_record_json(&b, &r, &ctx);
    assert_buf(&b, "{\"time\":\"2026-11-23T10:00:00.123456789Z\","
                   "\"received\":\"2026-11-23T10:00:00.500000000Z\",\"severity\":\"info\","
                   "\"facility\":\"auth\",\"host\":\"h1\",\"app\":\"sshd\",\"procid\":\"42\","
                   "\"msgid\":\"ID7\",\"message\":\"login \\\"ok\\\"\\u0009now\","
                   "\"raw\":\"<38>login \\\"ok\\\"\\u0009now " FFFD "\","
                   "\"peer\":\"[::1]:5000\",\"input\":\"apps.tcp.0\",\"pipeline\":\"apps\",\"pid\":"
                   "4242,\"uid\":0,"
                   "\"user\":\"r\xc3\xa9mi\",\"count\":-9223372036854775808,\"ratio\":0.1,"
                   "\"inf\":null,\"nan\":null,\"ok\":true,\"none\":null,"
                   "\"obj\":{\"a\":[1,2],\"b\":null},\"badjson\":\"{\\\"a\\\":\","
                   "\"k\\\"\\u0001" FFFD "\":false,\"big\":1e+300,\"future\":null}\n");
    assert_true(ls_json_valid(b.data, b.len - 1));
    assert_null(memchr(b.data, '\n', b.len - 1));
    ls_fmt_buf_release(&b);
}

static void test_record_json_doubles_round_trip(void **unused)
{
    static const double values[] = {0.0,
                                    -0.0,
                                    1.0,
                                    -2.5,
                                    1.0 / 3.0,
                                    123456789.125,
                                    5e-324,
                                    1.7976931348623157e308,
                                    0.30000000000000004};

    (void)unused;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        struct ls_record r;
        struct ls_field f;
        struct ls_fmt_buf b = {0};
        struct ls_fmt_ctx ctx = {NULL, NULL, NULL, NULL};
        const char *key = "\"d\":";
        char *p, *end;

        memset(&r, 0, sizeof r);
        memset(&f, 0, sizeof f);
        f.key = sl("d");
        f.type = LS_FIELD_DOUBLE;
        f.v.d = values[i];
        r.fields = r.fields_tail = &f;
        r.nfields = 1;
        ls_fmt_record_json(&b, &r, &ctx);
        ls_fmt_buf_add(&b, "", 1);
        p = strstr(b.data, key);
        assert_non_null(p);
        assert_true(strtod(p + strlen(key), &end) == values[i]);
        assert_int_equal(*end, '}');
        ls_fmt_buf_release(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_ascii),
        cmocka_unit_test(test_escape_every_control_char),
        cmocka_unit_test(test_escape_nul_bytes),
        cmocka_unit_test(test_escape_valid_utf8_passes),
        cmocka_unit_test(test_escape_invalid_utf8_replaced),
        cmocka_unit_test(test_escape_random_bytes_always_valid_json),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_matches_gmtime),
        cmocka_unit_test(test_json_valid),
        cmocka_unit_test(test_json_depth_limit),
        cmocka_unit_test(test_json_compact),
        cmocka_unit_test(test_record_raw),
        cmocka_unit_test(test_record_json_minimal),
        cmocka_unit_test(test_record_json_full),
        cmocka_unit_test(test_record_json_doubles_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
