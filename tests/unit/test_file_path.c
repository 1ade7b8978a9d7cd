/* test_file_path.c - the file output's templates: compiling, line rendering, path rendering and
 * value sanitising (plugins/outputs/file/template.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../plugins/outputs/file/template.h"

#define NS        1000000000LL
#define T_NOV22   1795341600LL /* 2026-11-22T10:00:00Z */
#define T_NOV23_1 1795395599LL /* 2026-11-23T00:59:59Z */

static struct ls_slice sl(const char *s)
{
    struct ls_slice v = {s, s ? strlen(s) : 0};
    return v;
}

static const char *sev_name(int s)
{
    static const char *const n[] = {"emerg",   "alert",  "crit", "err",
                                    "warning", "notice", "info", "debug"};
    return s >= 0 && s <= 7 ? n[s] : NULL;
}

static const char *fac_name(int f)
{
    return f == 4 ? "auth" : f == 1 ? "user" : NULL;
}

static struct ls_fmt_ctx fmt_ctx = {"apps.tcp.0", "apps", sev_name, fac_name};
static struct ls_fmt_clock clk = {.utc = 1};
static struct fo_render_ctx rctx = {&fmt_ctx, "myhost", &clk, NULL};

static void make_record(struct ls_record *r)
{
    memset(r, 0, sizeof *r);
    r->time = T_NOV22 * NS + 5;
    r->received = T_NOV23_1 * NS;
    r->severity = 6;
    r->facility = 4;
    r->host = sl("h1");
    r->app = sl("sshd");
    r->procid = sl("42");
    r->message = sl("seq=0:7 login ok");
    r->raw = sl("<38>raw line");
    r->peer = sl("127.0.0.1:5000");
}

static void compile_ok(struct fo_template *t, const char *src)
{
    char err[256] = "";

    if (fo_template_compile(t, src, err, sizeof err) != 0) {
        print_error("compile \"%s\": %s\n", src, err);
        fail();
    }
}

static void expect_line(const char *tmpl, const struct ls_record *r, const char *want)
{
    struct fo_template t;
    struct ls_fmt_buf b = {0};

    compile_ok(&t, tmpl);
    fo_template_line(&b, &t, r, &rctx);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0) {
        print_error("template \"%s\"\n got  [%.*s]\n want [%s]\n", tmpl, (int)b.len, b.data, want);
        fail();
    }
    ls_fmt_buf_release(&b);
    fo_template_release(&t);
}

/* ---- compiling ---------------------------------------------------------------------------- */

static void test_compile_errors(void **unused)
{
    struct fo_template t;
    char err[256];

    (void)unused;
    assert_int_equal(fo_template_compile(&t, "a ${nope} b", err, sizeof err), -1);
    assert_string_equal(err, "unknown variable '${nope}' (known: time, received, timestamp, host, "
                             "app, procid, msgid, severity, facility, pri, message, raw, peer, "
                             "input, pipeline, field.NAME)");
    assert_int_equal(fo_template_compile(&t, "x ${app", err, sizeof err), -1);
    assert_string_equal(err, "unterminated '${' in \"x ${app\"");
    assert_int_equal(fo_template_compile(&t, "${field.}", err, sizeof err), -1);
    assert_int_equal(fo_template_compile(&t, "${}", err, sizeof err), -1);
    /* A lone '$' and "$x" are literal. */
    compile_ok(&t, "cost $5 $x {app}");
    assert_int_equal(t.nsegs, 1);
    assert_int_equal(t.nvars, 0);
    fo_template_release(&t);
    compile_ok(&t, "");
    assert_int_equal(t.nsegs, 0);
    fo_template_release(&t);
}

/* ---- lines -------------------------------------------------------------------------------- */

static void test_line_every_variable(void **unused)
{
    struct ls_record r;

    (void)unused;
    make_record(&r);
    r.msgid = sl("ID1");
    expect_line("${time}|${received}|${timestamp}", &r,
                "2026-11-22T10:00:00.000000005Z|2026-11-23T00:59:59.000000000Z|Nov 22 10:00:00\n");
    expect_line("${host} ${app}[${procid}] ${msgid} <${pri}> ${severity}.${facility}: ${message}",
                &r, "h1 sshd[42] ID1 <38> info.auth: seq=0:7 login ok\n");
    expect_line("${raw}|${peer}|${input}|${pipeline}", &r,
                "<38>raw line|127.0.0.1:5000|apps.tcp.0|apps\n");
}

static void test_line_absent_and_multiline(void **unused)
{
    struct ls_record r;

    (void)unused;
    make_record(&r);
    memset(&r.host, 0, sizeof r.host);
    memset(&r.app, 0, sizeof r.app);
    memset(&r.procid, 0, sizeof r.procid);
    r.severity = -1;
    r.facility = -1;
    r.message = sl("two\nlines");
    /* No host: the local host name. Others absent: "-". Unknown severity has no name. */
    expect_line("${host} ${app}[${procid}] ${severity}.${facility} <${pri}>: ${message}", &r,
                "myhost -[-] -.- <13>: two lines\n");
    r.app = sl(""); /* present but empty: written empty */
    expect_line("[${app}]", &r, "[]\n");
}

static void test_line_fields(void **unused)
{
    struct ls_record r;
    struct ls_field f[5];
    const char *keys[] = {"user", "count", "ratio", "ok", "nothing"};
    int types[] = {LS_FIELD_STRING, LS_FIELD_INT, LS_FIELD_DOUBLE, LS_FIELD_BOOL, LS_FIELD_NULL};

    (void)unused;
    make_record(&r);
    memset(f, 0, sizeof f);
    for (int i = 0; i < 5; i++) {
        f[i].key = sl(keys[i]);
        f[i].type = types[i];
        f[i].next = i < 4 ? &f[i + 1] : NULL;
    }
    f[0].v.s = sl("root\nx");
    f[1].v.i = -42;
    f[2].v.d = 0.5;
    f[3].v.b = 1;
    r.fields = &f[0];
    r.fields_tail = &f[4];
    r.nfields = 5;
    expect_line("${field.user} ${field.count} ${field.ratio} ${field.ok} ${field.nothing} "
                "${field.missing}",
                &r, "root x -42 0.5 true - -\n");
}

/* ---- sanitising --------------------------------------------------------------------------- */

static void expect_clean(const char *in, size_t len, const char *want)
{
    char out[FO_VALUE_MAX];
    size_t n = fo_sanitize(in, len, out);

    if (n != strlen(want) || memcmp(out, want, n) != 0) {
        print_error("sanitize: got [%.*s] want [%s]\n", (int)n, out, want);
        fail();
    }
}

static void test_sanitize(void **unused)
{
    char big[300];

    (void)unused;
    expect_clean("web", 3, "web");
    expect_clean("../../etc/passwd", 16, ".._.._etc_passwd");
    expect_clean("/", 1, "_");
    expect_clean(".", 1, "_");
    expect_clean("..", 2, "_");
    expect_clean("...", 3, "...");
    expect_clean("", 0, "_");
    expect_clean(NULL, 0, "_");
    expect_clean("a\0b\n\x1f\x7f", 6, "a_b___");
    expect_clean("caf\xc3\xa9 \\ x", 9, "caf\xc3\xa9 \\ x"); /* UTF-8, spaces, '\' stay */
    memset(big, 'a', sizeof big);
    {
        char out[FO_VALUE_MAX];
        assert_int_equal(fo_sanitize(big, sizeof big, out), FO_VALUE_MAX);
        /* A 2-byte character straddling the limit is dropped whole. */
        big[FO_VALUE_MAX - 1] = '\xc3';
        big[FO_VALUE_MAX] = '\xa9';
        assert_int_equal(fo_sanitize(big, sizeof big, out), FO_VALUE_MAX - 1);
    }
}

/* ---- paths -------------------------------------------------------------------------------- */

static void expect_path(struct fo_path *p, const struct ls_record *r, const char *want)
{
    char out[FO_PATH_MAX];
    int n = fo_path_render(p, r, &rctx, out, sizeof out);

    if (n < 0 || strcmp(out, want) != 0 || (size_t)n != strlen(want)) {
        print_error("path: got [%s] (%d) want [%s]\n", n < 0 ? "(too long)" : out, n, want);
        fail();
    }
}

static void path_init(struct fo_path *p, const char *src, int utc)
{
    char err[256] = "";

    if (fo_path_init(p, src, utc, err, sizeof err) != 0) {
        print_error("path \"%s\": %s\n", src, err);
        fail();
    }
}

static void test_path_render_hostile(void **unused)
{
    struct fo_path p;
    struct ls_record r;

    (void)unused;
    make_record(&r);
    path_init(&p, "/var/log/${host}/${app}.log", 1);
    assert_false(fo_path_is_static(&p));
    expect_path(&p, &r, "/var/log/h1/sshd.log");
    r.app = sl("../../etc/cron.d/evil");
    r.host = sl("..");
    expect_path(&p, &r, "/var/log/_/.._.._etc_cron.d_evil.log");
    memset(&r.app, 0, sizeof r.app);
    memset(&r.host, 0, sizeof r.host); /* no host: the local name */
    expect_path(&p, &r, "/var/log/myhost/_.log");
    r.severity = -1;
    fo_path_release(&p);

    path_init(&p, "logs/${severity}-${facility}-${pipeline}-${input}", 1);
    expect_path(&p, &r, "logs/_-auth-apps-apps.tcp.0");
    fo_path_release(&p);

    /* A dot in the template next to a "." value cannot make "..". */
    path_init(&p, "d/.${app}/x", 1);
    r.app = sl(".");
    expect_path(&p, &r, "d/._/x");
    fo_path_release(&p);
}

static void test_path_strftime(void **unused)
{
    struct fo_path p;
    struct ls_record r;

    (void)unused;
    make_record(&r);
    path_init(&p, "/l/%Y-%m-%d/${app}-%H%%.log", 1);
    assert_false(fo_path_is_static(&p));
    /* The arrival time counts, not the time the message claims. */
    expect_path(&p, &r, "/l/2026-11-23/sshd-00%.log");
    r.received += 1 * NS; /* the next second: 01:00:00 */
    expect_path(&p, &r, "/l/2026-11-23/sshd-01%.log");
    r.received = -1; /* before the epoch: 1969-12-31 23:59:59 */
    expect_path(&p, &r, "/l/1969-12-31/sshd-23%.log");
    fo_path_release(&p);

    setenv("TZ", "XXX-2", 1);
    tzset();
    path_init(&p, "%Y-%m-%dT%H", 0); /* local time, two hours east */
    r.received = T_NOV23_1 * NS;
    expect_path(&p, &r, "2026-11-23T02");
    fo_path_release(&p);
    unsetenv("TZ");
    tzset();
}

static void test_path_static_and_limits(void **unused)
{
    struct fo_path p;
    struct ls_record r;
    char out[16];
    char *d;

    (void)unused;
    make_record(&r);
    path_init(&p, "./var/all.log", 0);
    assert_true(fo_path_is_static(&p));
    expect_path(&p, &r, "./var/all.log");
    fo_path_release(&p);

    path_init(&p, "x/${app}/y", 0);
    assert_int_equal(fo_path_render(&p, &r, &rctx, out, 8), -1); /* "x/sshd/y" + NUL: 9 */
    assert_int_equal(fo_path_render(&p, &r, &rctx, out, 9), 8);
    assert_string_equal(out, "x/sshd/y");
    fo_path_release(&p);

    d = fo_path_static_dir("/var/log/${app}/x.log");
    assert_string_equal(d, "/var/log");
    free(d);
    d = fo_path_static_dir("app-${app}.log");
    assert_string_equal(d, ".");
    free(d);
    d = fo_path_static_dir("/l%Y/x");
    assert_string_equal(d, "/");
    free(d);
    d = fo_path_static_dir("a/b/c.log");
    assert_string_equal(d, "a/b");
    free(d);
    d = fo_path_static_dir("./logs/%Y/${app}");
    assert_string_equal(d, "./logs");
    free(d);
}

/* Random values never leave the directory: same component count, no "." or ".." component. */
static void test_path_random_values_stay_inside(void **unused)
{
    struct fo_path p;
    struct ls_record r;
    char app[64], host[8], out[FO_PATH_MAX];
    uint32_t seed = 12345;
    const char alphabet[] = "./\\\0\n\x01"
                            "ab\xc3\xa9";

    (void)unused;
    path_init(&p, "base/${app}/${host}${app}.log", 1);
    make_record(&r);
    for (int iter = 0; iter < 20000; iter++) {
        size_t alen, hlen, comps = 0, start = 0;
        seed = seed * 1103515245u + 12345u;
        alen = (seed >> 16) % sizeof app;
        for (size_t i = 0; i < alen; i++) {
            seed = seed * 1103515245u + 12345u;
            app[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        hlen = (seed >> 8) % sizeof host;
        memcpy(host, app, hlen < alen ? hlen : alen);
        r.app.ptr = app;
        r.app.len = alen;
        r.host.ptr = host;
        r.host.len = hlen < alen ? hlen : alen;
        assert_true(fo_path_render(&p, &r, &rctx, out, sizeof out) > 0);
        assert_memory_equal(out, "base/", 5);
        for (size_t i = 0;; i++) {
            if (out[i] == '/' || out[i] == '\0') {
                size_t n = i - start;
                assert_true(n > 0);
                assert_false(n == 1 && out[start] == '.');
                assert_false(n == 2 && out[start] == '.' && out[start + 1] == '.');
                comps++;
                start = i + 1;
                if (out[i] == '\0') {
                    break;
                }
            }
            assert_true((unsigned char)out[i] >= 0x20 || out[i] == '\0');
        }
        assert_int_equal(comps, 3);
    }
    fo_path_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_line_every_variable),
        cmocka_unit_test(test_line_absent_and_multiline),
        cmocka_unit_test(test_line_fields),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_path_render_hostile),
        cmocka_unit_test(test_path_strftime),
        cmocka_unit_test(test_path_static_and_limits),
        cmocka_unit_test(test_path_random_values_stay_inside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
