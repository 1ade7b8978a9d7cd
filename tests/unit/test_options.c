/* test_options.c - option tables: value parsers, apply (every type, bounds, defaults, errors),
 * release, table checks and help text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "options.h"
#include "util.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)
#define SEC 1000000000LL
#define MS  1000000LL

/* ---- Value parsers ------------------------------------------------------------------------- */

static uint64_t size_of(const char *s)
{
    uint64_t v = 0;

    assert_int_equal(ls_parse_size(s, &v), 0);
    return v;
}

static int64_t dur_of(const char *s)
{
    int64_t v = -1;

    assert_int_equal(ls_parse_duration(s, &v), 0);
    return v;
}

static void test_parse_size(void **state)
{
    static const char *const bad[] = {"",
                                      "k",
                                      "-1",
                                      "+1",
                                      "1.5",
                                      "1.",
                                      ".5k",
                                      "64 KiBs",
                                      "64kk",
                                      "0x10",
                                      "1e3",
                                      " 1",
                                      "18446744073709551616",
                                      "17179869184G",
                                      "1,5k",
                                      NULL};
    uint64_t v;

    (void)state;
    assert_int_equal(size_of("0"), 0);
    assert_int_equal(size_of("512"), 512);
    assert_int_equal(size_of("512B"), 512);
    assert_int_equal(size_of("10k"), 10 * KIB);
    assert_int_equal(size_of("64K"), 64 * KIB);
    assert_int_equal(size_of("64KB"), 64 * KIB);
    assert_int_equal(size_of("64KiB"), 64 * KIB);
    assert_int_equal(size_of("64kib"), 64 * KIB);
    assert_int_equal(size_of("64MiB"), 64 * MIB);
    assert_int_equal(size_of("1.5MB"), 3 * MIB / 2);
    assert_int_equal(size_of("1.5G"), 3 * GIB / 2);
    assert_int_equal(size_of("2G"), 2 * GIB);
    assert_int_equal(size_of("1T"), 1024 * GIB);
    assert_int_equal(size_of("10 MiB"), 10 * MIB);
    assert_int_equal(size_of("0.5k"), 512);
    assert_int_equal(size_of("16777215T"), 16777215ULL * 1024 * GIB);
    for (size_t i = 0; bad[i]; i++) {
        if (ls_parse_size(bad[i], &v) == 0) {
            fail_msg("size \"%s\" was accepted", bad[i]);
        }
    }
}

static void test_parse_duration(void **state)
{
    static const char *const bad[] = {"",   "5",   "5x",  "s",  "1h30", "-1s",     "1M", "1S",
                                      "ms", "1 s", "1.s", "00", "1s ",  "106752d", NULL};
    int64_t v;

    (void)state;
    assert_int_equal(dur_of("0"), 0);
    assert_int_equal(dur_of("250ms"), 250 * MS);
    assert_int_equal(dur_of("5s"), 5 * SEC);
    assert_int_equal(dur_of("1m"), 60 * SEC);
    assert_int_equal(dur_of("2h"), 7200 * SEC);
    assert_int_equal(dur_of("1d"), 86400 * SEC);
    assert_int_equal(dur_of("1h30m"), 5400 * SEC);
    assert_int_equal(dur_of("1m30s500ms"), 90 * SEC + 500 * MS);
    assert_int_equal(dur_of("1.5s"), 1500 * MS);
    assert_int_equal(dur_of("100us"), 100000);
    assert_int_equal(dur_of("10ns"), 10);
    assert_int_equal(dur_of("0s"), 0);
    for (size_t i = 0; bad[i]; i++) {
        if (ls_parse_duration(bad[i], &v) == 0) {
            fail_msg("duration \"%s\" was accepted", bad[i]);
        }
    }
}

static void test_parse_int_bool(void **state)
{
    static const char *const bad_int[] = {
        "", " 1", "1 ", "1.0", "0x10", "--1", "+", "1k", "99999999999999999999", NULL};
    static const char *const bad_bool[] = {"", "1", "0", "tru", "y", "n", "enabled", NULL};
    int64_t i;
    int b;

    (void)state;
    assert_int_equal(ls_parse_int("9001", &i), 0);
    assert_int_equal(i, 9001);
    assert_int_equal(ls_parse_int("-5", &i), 0);
    assert_int_equal(i, -5);
    assert_int_equal(ls_parse_int("+7", &i), 0);
    assert_int_equal(i, 7);
    assert_int_equal(ls_parse_int("-9223372036854775808", &i), 0);
    assert_true(i == INT64_MIN);
    for (size_t k = 0; bad_int[k]; k++) {
        if (ls_parse_int(bad_int[k], &i) == 0) {
            fail_msg("int \"%s\" was accepted", bad_int[k]);
        }
    }
    for (const char *const *w = (const char *const[]){"true", "yes", "on", "True", "ON", NULL}; *w;
         w++) {
        b = -1;
        assert_int_equal(ls_parse_bool(*w, &b), 0);
        assert_int_equal(b, 1);
    }
    for (const char *const *w = (const char *const[]){"false", "no", "off", "NO", NULL}; *w; w++) {
        b = -1;
        assert_int_equal(ls_parse_bool(*w, &b), 0);
        assert_int_equal(b, 0);
    }
    for (size_t k = 0; bad_bool[k]; k++) {
        assert_int_equal(ls_parse_bool(bad_bool[k], &b), -1);
    }
}

static void test_parse_address(void **state)
{
    static const char *const bad[] = {"127.0.0.1",
                                      "::1:80",
                                      "127.0.0.1:0",
                                      "127.0.0.1:65536",
                                      "256.1.1.1:80",
                                      "[::1]80",
                                      "[::1]:",
                                      "a b:1",
                                      ":80",
                                      "host:80x",
                                      "[zz::1]:80",
                                      "1.2.3:80",
                                      "[fe80::1%]:80",
                                      "host:-1",
                                      "",
                                      "127.0.0.1:123456",
                                      NULL};
    char host[64];
    int port;

    (void)state;
    assert_int_equal(ls_parse_address("127.0.0.1:9001", host, sizeof host, &port, 0), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9001);
    assert_int_equal(ls_parse_address("[::1]:80", host, sizeof host, &port, 0), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 80);
    assert_int_equal(ls_parse_address("*:514", host, sizeof host, &port, 0), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 514);
    assert_int_equal(ls_parse_address("localhost:2020", host, sizeof host, &port, 0), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(ls_parse_address("[fe80::1%eth0]:5", host, sizeof host, &port, 0), 0);
    assert_string_equal(host, "fe80::1%eth0");
    assert_int_equal(ls_parse_address("0.0.0.0:65535", host, sizeof host, &port, 0), 0);
    assert_int_equal(port, 65535);
    assert_int_equal(ls_parse_address("127.0.0.1:0", host, sizeof host, &port, 1), 0);
    assert_int_equal(port, 0);
    /* host buffer too small */
    assert_int_equal(ls_parse_address("localhost:1", host, 9, &port, 0), -1);
    assert_int_equal(ls_parse_address("localhost:1", host, 10, &port, 0), 0);
    for (size_t i = 0; bad[i]; i++) {
        if (ls_parse_address(bad[i], host, sizeof host, &port, 0) == 0) {
            fail_msg("address \"%s\" was accepted", bad[i]);
        }
    }
}

/* ---- A table with every type --------------------------------------------------------------- */

struct tconf {
    char *name;
    int verbose;
    int64_t port;
    uint64_t max_line;
    int64_t timeout;
    int format;
    char *listen;
    char *path;
    struct ls_opt_list tags;
    struct ls_opt_list ports;
    uint64_t rot_size;
    int64_t rot_age;
    int rot_compress;
    struct ls_opt_list rot_keep;
};

static const char *const formats[] = {"raw", "json", NULL};
static const char *const codecs[] = {"none", "gzip", "lz4", NULL};

#define OFF(m) offsetof(struct tconf, m)

static const struct ls_option rotate_table[] = {
    {.name = "size",
     .type = LS_OPT_SIZE,
     .offset = OFF(rot_size),
     .def = "100MiB",
     .min = 1024,
     .max = 1 << 30,
     .doc = "rotate at this size"},
    {.name = "age", .type = LS_OPT_DURATION, .offset = OFF(rot_age), .required = 1},
    {.name = "compress",
     .type = LS_OPT_ENUM,
     .offset = OFF(rot_compress),
     .def = "none",
     .enum_values = codecs},
    {.name = "keep",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_ENUM,
     .offset = OFF(rot_keep),
     .enum_values = codecs,
     .def = "[gzip, lz4]"},
    {0}};

static const struct ls_option table[] = {
    {.name = "label", .type = LS_OPT_STRING, .offset = OFF(name), .def = "anon", .doc = "a label"},
    {.name = "verbose", .type = LS_OPT_BOOL, .offset = OFF(verbose), .def = "no"},
    {.name = "port",
     .type = LS_OPT_INT,
     .offset = OFF(port),
     .def = "9001",
     .min = 1,
     .max = 65535,
     .doc = "TCP port"},
    {.name = "max_line",
     .type = LS_OPT_SIZE,
     .offset = OFF(max_line),
     .def = "64KiB",
     .min = 1024,
     .max = 16 << 20,
     .doc = "longest line"},
    {.name = "timeout",
     .type = LS_OPT_DURATION,
     .offset = OFF(timeout),
     .def = "5s",
     .min = 1000000,
     .max = 3600 * SEC},
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = OFF(format),
     .def = "raw",
     .enum_values = formats,
     .doc = "record format"},
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = OFF(listen),
     .required = 1,
     .doc = "address to listen on"},
    {.name = "path", .type = LS_OPT_PATH, .offset = OFF(path)},
    {.name = "tags", .type = LS_OPT_LIST, .item_type = LS_OPT_STRING, .offset = OFF(tags)},
    {.name = "ports",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_INT,
     .offset = OFF(ports),
     .min = 1,
     .max = 100,
     .def = "1, 2"},
    {.name = "rotate", .type = LS_OPT_OBJECT, .sub = rotate_table, .doc = "rotation"},
    {0}};

/* Apply the `service:` mapping of text to a zeroed tconf; errors must equal the NULL-terminated
 * list that follows. */
static void apply_text(struct tconf *c, const char *text, ...)
{
    struct ls_opt_target t = {table, c};
    struct ls_errors e;
    struct ls_doc *doc = NULL;
    va_list ap;
    const char *want;
    size_t n = 0;
    int rc;

    ls_errors_init(&e);
    assert_int_equal(ls_conf_load_buffer("t.yaml", text, strlen(text), &doc, &e), 0);
    rc = ls_options_apply(&t, 1, ls_node_get(ls_doc_root(doc), "service"), "pipelines.p (x)", NULL,
                          &e);
    va_start(ap, text);
    while ((want = va_arg(ap, const char *))) {
        if (n >= e.count) {
            fail_msg("missing error: %s", want);
        }
        assert_string_equal(e.lines[n], want);
        n++;
    }
    va_end(ap);
    if (n < e.count) {
        fail_msg("unexpected error: %s", e.lines[n]);
    }
    assert_int_equal(rc, -(int)n);
    ls_errors_release(&e);
    ls_doc_free(doc);
}

static void test_defaults(void **state)
{
    struct tconf c;
    struct ls_errors e;
    const char *const *keep;
    const int64_t *ports;

    (void)state;
    memset(&c, 0, sizeof c);
    ls_errors_init(&e);
    assert_int_equal(ls_options_defaults(table, &c, &e), 0);
    assert_int_equal(e.count, 0);
    assert_string_equal(c.name, "anon");
    assert_int_equal(c.verbose, 0);
    assert_int_equal(c.port, 9001);
    assert_int_equal(c.max_line, 64 * KIB);
    assert_int_equal(c.timeout, 5 * SEC);
    assert_int_equal(c.format, 0);
    assert_null(c.listen);
    assert_null(c.path);
    assert_int_equal(c.tags.count, 0);
    assert_null(c.tags.items);
    assert_int_equal(c.ports.count, 2);
    ports = c.ports.items;
    assert_int_equal(ports[0], 1);
    assert_int_equal(ports[1], 2);
    assert_int_equal(c.rot_size, 100 * MIB);
    assert_int_equal(c.rot_compress, 0);
    assert_int_equal(c.rot_keep.count, 2);
    keep = c.rot_keep.items;
    assert_int_equal(((const int *)keep)[0], 1);
    assert_int_equal(((const int *)keep)[1], 2);
    /* defaults again over filled members must not leak (ASan) */
    assert_int_equal(ls_options_defaults(table, &c, &e), 0);
    ls_options_release(table, &c);
    assert_null(c.name);
    assert_null(c.ports.items);
    assert_int_equal(c.ports.count, 0);
    ls_errors_release(&e);
}

static void test_apply_every_type(void **state)
{
    struct tconf c;
    char **tags;
    const int64_t *ports;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n"
               "  label: edge\n"
               "  verbose: on\n"
               "  port: 514\n"
               "  max_line: 1MiB\n"
               "  timeout: 1m30s\n"
               "  format: json\n"
               "  listen: '[::1]:514'\n"
               "  path: /var/log/x.log\n"
               "  tags: [a, b, c]\n"
               "  ports: 7\n"
               "  rotate: {size: 10MiB, age: 1d, compress: gzip, keep: lz4}\n",
               NULL);
    assert_string_equal(c.name, "edge");
    assert_int_equal(c.verbose, 1);
    assert_int_equal(c.port, 514);
    assert_int_equal(c.max_line, MIB);
    assert_int_equal(c.timeout, 90 * SEC);
    assert_int_equal(c.format, 1);
    assert_string_equal(c.listen, "[::1]:514");
    assert_string_equal(c.path, "/var/log/x.log");
    assert_int_equal(c.tags.count, 3);
    tags = c.tags.items;
    assert_string_equal(tags[0], "a");
    assert_string_equal(tags[2], "c");
    /* a single scalar is a one-item list */
    assert_int_equal(c.ports.count, 1);
    ports = c.ports.items;
    assert_int_equal(ports[0], 7);
    assert_int_equal(c.rot_size, 10 * MIB);
    assert_int_equal(c.rot_age, 86400 * SEC);
    assert_int_equal(c.rot_compress, 1);
    assert_int_equal(c.rot_keep.count, 1);
    assert_int_equal(((const int *)c.rot_keep.items)[0], 2);
    ls_options_release(table, &c);
    assert_null(c.tags.items);
    assert_null(c.listen);
}

static void test_null_means_default(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n  listen: '*:1'\n  label: ~\n  port: null\n  tags:\n  rotate:\n"
               "    age: 1s\n    size: ~\n",
               NULL);
    assert_string_equal(c.name, "anon");
    assert_int_equal(c.port, 9001);
    assert_int_equal(c.rot_size, 100 * MIB);
    assert_int_equal(c.tags.count, 0);
    ls_options_release(table, &c);
    /* a quoted "~" is a string, not null */
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  listen: '*:1'\n  label: '~'\n  rotate: {age: 1s}\n", NULL);
    assert_string_equal(c.name, "~");
    ls_options_release(table, &c);
}

static void test_apply_errors(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n"
               "  listen: 127.0.0.1\n"
               "  verbose: maybe\n"
               "  port: 0\n"
               "  max_line: big\n"
               "  timeout: 2h\n"
               "  format: xml\n"
               "  path: ''\n"
               "  label: {a: 1}\n"
               "  rotate: {age: 1s}\n",
               "t.yaml:2:11: pipelines.p (x): option 'listen': expected an address like "
               "127.0.0.1:9001, got \"127.0.0.1\"",
               "t.yaml:3:12: pipelines.p (x): option 'verbose': expected true or false, got "
               "\"maybe\"",
               "t.yaml:4:9: pipelines.p (x): option 'port': must be between 1 and 65535, got 0",
               "t.yaml:5:13: pipelines.p (x): option 'max_line': expected a size like 64MiB, got "
               "\"big\"",
               "t.yaml:6:12: pipelines.p (x): option 'timeout': must be between 1ms and 1h, got "
               "2h",
               "t.yaml:7:11: pipelines.p (x): option 'format': expected one of raw, json, got "
               "\"xml\"",
               "t.yaml:8:9: pipelines.p (x): option 'path': expected a path, got \"\"",
               "t.yaml:9:10: pipelines.p (x): option 'label': expected a string, got a mapping",
               NULL);
    ls_options_release(table, &c);

    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n  listen: '*:1'\n  max_line: 32MiB\n  port: [1]\n  rotate: {age: 1s}\n",
               "t.yaml:3:13: pipelines.p (x): option 'max_line': must be between 1KiB and "
               "16MiB, got 32MiB",
               "t.yaml:4:9: pipelines.p (x): option 'port': expected an integer, got a list", NULL);
    ls_options_release(table, &c);
}

static void test_unknown_and_required(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    /* a misspelled required option is one error, not two */
    apply_text(&c, "service:\n  lisen: 127.0.0.1:1\n  rotate: {age: 1s}\n",
               "t.yaml:2:3: pipelines.p (x): option 'lisen': unknown option (did you mean "
               "'listen'?)",
               NULL);
    ls_options_release(table, &c);
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  port: 1\n  zzz: 1\n",
               "t.yaml:3:3: pipelines.p (x): option 'zzz': unknown option",
               "t.yaml:2:3: pipelines.p (x): missing required option 'listen'",
               "t.yaml:2:3: pipelines.p (x): missing required option 'rotate.age'", NULL);
    ls_options_release(table, &c);
}

static void test_list_errors(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n  listen: '*:1'\n  rotate: {age: 1s}\n  ports: [5, x, 500, [1]]\n"
               "  tags: {a: b}\n",
               "t.yaml:4:14: pipelines.p (x): option 'ports[1]': expected an integer, got \"x\"",
               "t.yaml:4:17: pipelines.p (x): option 'ports[2]': must be between 1 and 100, got "
               "500",
               "t.yaml:4:22: pipelines.p (x): option 'ports[3]': expected an integer, got a list",
               "t.yaml:5:9: pipelines.p (x): option 'tags': expected a list of string, got a "
               "mapping",
               NULL);
    /* a bad list leaves the default in place */
    assert_int_equal(c.ports.count, 2);
    ls_options_release(table, &c);
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  listen: '*:1'\n  rotate: {age: 1s}\n  ports: x\n  tags: []\n",
               "t.yaml:4:10: pipelines.p (x): option 'ports': expected an integer, got \"x\"",
               NULL);
    assert_int_equal(c.tags.count, 0);
    ls_options_release(table, &c);
}

static void test_object_errors(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c,
               "service:\n  listen: '*:1'\n  rotate:\n    sze: 1MiB\n    age: 1s\n"
               "    size: 1\n    keep: [gzip, zip]\n",
               "t.yaml:4:5: pipelines.p (x): option 'rotate.sze': unknown option (did you mean "
               "'rotate.size'?)",
               "t.yaml:6:11: pipelines.p (x): option 'rotate.size': must be between 1KiB and "
               "1GiB, got 1",
               "t.yaml:7:18: pipelines.p (x): option 'rotate.keep[1]': expected one of none, "
               "gzip, lz4, got \"zip\"",
               NULL);
    ls_options_release(table, &c);
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  listen: '*:1'\n  rotate: 5\n",
               "t.yaml:3:11: pipelines.p (x): option 'rotate': expected a mapping, got a scalar",
               NULL);
    ls_options_release(table, &c);
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  listen: '*:1'\n  rotate: {}\n",
               "t.yaml:3:11: pipelines.p (x): missing required option 'rotate.age'", NULL);
    ls_options_release(table, &c);
}

/* Two targets, an ignore list, and a NULL map. */
struct core2 {
    int on_full;
};

static void test_two_targets_and_ignore(void **state)
{
    static const char *const words[] = {"block", "drop", NULL};
    static const struct ls_option core_table[] = {
        {.name = "on_full", .type = LS_OPT_ENUM, .offset = 0, .def = "block", .enum_values = words},
        {0}};
    static const char *const ignore[] = {"type", "name", NULL};
    const char *text = "service:\n  type: x\n  name: y\n  on_full: drop\n  listen: '*:9'\n"
                       "  rotate: {age: 1s}\n  typo: 1\n";
    struct core2 k = {-1};
    struct tconf c;
    struct ls_opt_target t[2] = {{core_table, &k}, {table, &c}};
    struct ls_errors e;
    struct ls_doc *doc;

    (void)state;
    memset(&c, 0, sizeof c);
    ls_errors_init(&e);
    assert_int_equal(ls_conf_load_buffer("t.yaml", text, strlen(text), &doc, &e), 0);
    assert_int_equal(
        ls_options_apply(t, 2, ls_node_get(ls_doc_root(doc), "service"), "p", ignore, &e), -1);
    assert_int_equal(e.count, 1);
    /* the suggestion also looks at ignored (caller-handled) keys */
    assert_string_equal(e.lines[0],
                        "t.yaml:7:3: p: option 'typo': unknown option (did you mean 'type'?)");
    assert_int_equal(k.on_full, 1);
    assert_string_equal(c.listen, "*:9");
    ls_options_release(table, &c);
    ls_errors_release(&e);
    ls_doc_free(doc);

    /* no mapping at all: defaults, then the required options are missing (no position) */
    memset(&c, 0, sizeof c);
    ls_errors_init(&e);
    assert_int_equal(ls_options_apply(&t[1], 1, NULL, "p", NULL, &e), -2);
    assert_string_equal(e.lines[0], "p: missing required option 'listen'");
    assert_string_equal(e.lines[1], "p: missing required option 'rotate.age'");
    assert_int_equal(c.port, 9001);
    ls_options_release(table, &c);
    ls_errors_release(&e);
}

static void test_reapply_releases(void **state)
{
    struct tconf c;

    (void)state;
    memset(&c, 0, sizeof c);
    apply_text(&c, "service:\n  listen: '*:1'\n  rotate: {age: 1s}\n  tags: [a, b]\n  label: n\n",
               NULL);
    /* applying again over a filled struct replaces values without leaking (ASan) */
    apply_text(&c, "service:\n  listen: '*:2'\n  rotate: {age: 1s}\n  tags: [c]\n", NULL);
    assert_string_equal(c.listen, "*:2");
    assert_string_equal(c.name, "anon");
    assert_int_equal(c.tags.count, 1);
    ls_options_release(table, &c);
    ls_options_release(table, &c);
    assert_null(c.listen);
}

/* ---- Table checks -------------------------------------------------------------------------- */

static void expect_bad_table(const struct ls_option *t, size_t size, const char *why)
{
    char buf[256];

    assert_int_equal(ls_option_table_check(t, size, buf, sizeof buf), -1);
    assert_string_equal(buf, why);
}

static void test_table_check(void **state)
{
    char why[256] = "x";
    char *want;

    (void)state;
    if (ls_option_table_check(table, sizeof(struct tconf), why, sizeof why) < 0) {
        fail_msg("%s", why);
    }
    assert_string_equal(why, "");
    assert_int_equal(ls_option_table_check(NULL, 0, why, sizeof why), 0);
    want = ls_xasprintf("option 'rotate.keep': offset %zu + %zu bytes is past config_size %zu",
                        offsetof(struct tconf, rot_keep), sizeof(struct ls_opt_list),
                        offsetof(struct tconf, rot_keep) + 8);
    expect_bad_table(table, offsetof(struct tconf, rot_keep) + 8, want);
    free(want);
    expect_bad_table(
        (const struct ls_option[]){{.name = "port", .type = LS_OPT_INT, .def = "x"}, {0}}, 8,
        "option 'port': default \"x\" is not an int");
    expect_bad_table(
        (const struct ls_option[]){
            {.name = "port", .type = LS_OPT_INT, .def = "0", .min = 1, .max = 9}, {0}},
        8,
        "option 'port': default \"0\" is out of range: must be between 1 and 9, "
        "got 0");
    expect_bad_table((const struct ls_option[]){{.name = "Port", .type = LS_OPT_INT}, {0}}, 8,
                     "option 'Port': names are 1 to 63 of a-z, 0-9 and _");
    expect_bad_table((const struct ls_option[]){{.name = "a", .type = LS_OPT_INT},
                                                {.name = "a", .type = LS_OPT_BOOL},
                                                {0}},
                     8, "option 'a': defined twice");
    expect_bad_table((const struct ls_option[]){{.name = "type", .type = LS_OPT_STRING}, {0}}, 8,
                     "option 'type': the name is reserved by the core");
    expect_bad_table((const struct ls_option[]){{.name = "a", .type = 42}, {0}}, 8,
                     "option 'a': unknown type 42");
    expect_bad_table((const struct ls_option[]){{.name = "a", .type = LS_OPT_ENUM}, {0}}, 8,
                     "option 'a': enum without enum_values");
    expect_bad_table(
        (const struct ls_option[]){{.name = "a", .type = LS_OPT_LIST, .item_type = LS_OPT_OBJECT},
                                   {0}},
        16, "option 'a': list item_type 10 is not a scalar type");
    expect_bad_table((const struct ls_option[]){{.name = "a", .type = LS_OPT_OBJECT}, {0}}, 8,
                     "option 'a': object without a sub table");
    expect_bad_table(
        (const struct ls_option[]){{.name = "a", .type = LS_OPT_SIZE, .min = 10, .max = 5}, {0}}, 8,
        "option 'a': bounds 10..5 are invalid");
    expect_bad_table(
        (const struct ls_option[]){
            {.name = "a", .type = LS_OPT_LIST, .item_type = LS_OPT_SIZE, .def = "1k, x"}, {0}},
        16, "option 'a': default \"1k, x\" is not a list of size");
    expect_bad_table(
        (const struct ls_option[]){
            {.name = "o",
             .type = LS_OPT_OBJECT,
             .sub =
                 (const struct ls_option[]){{.name = "x", .type = LS_OPT_BOOL, .def = "2"}, {0}}},
            {0}},
        8, "option 'o.x': default \"2\" is not a bool");
}

/* ---- Help ---------------------------------------------------------------------------------- */

static void test_help(void **state)
{
    static const struct ls_option small[] = {
        {.name = "listen",
         .type = LS_OPT_ADDRESS,
         .required = 1,
         .doc = "address to accept connections on"},
        {.name = "max_line",
         .type = LS_OPT_SIZE,
         .def = "64KiB",
         .min = 1024,
         .max = 16 << 20,
         .doc = "longest line"},
        {.name = "format", .type = LS_OPT_ENUM, .def = "raw", .enum_values = formats},
        {.name = "tags", .type = LS_OPT_LIST, .item_type = LS_OPT_STRING, .offset = 8},
        {.name = "rotate", .type = LS_OPT_OBJECT, .sub = rotate_table, .doc = "rotation"},
        {0}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    ls_options_help(f, small, 2);
    ls_options_help(f, NULL, 2);
    fclose(f);
    assert_string_equal(buf,
                        "  listen      address         required             address to accept "
                        "connections on\n"
                        "  max_line    size            default 64KiB        longest line (range "
                        "1KiB..16MiB)\n"
                        "  format      enum            default raw          one of: raw, json\n"
                        "  tags        list of string\n"
                        "  rotate      object                               rotation\n"
                        "    size      size            default 100MiB       rotate at this size "
                        "(range 1KiB..1GiB)\n"
                        "    age       duration        required\n"
                        "    compress  enum            default none         one of: none, gzip, "
                        "lz4\n"
                        "    keep      list of enum    default [gzip, lz4]  one of: none, gzip, "
                        "lz4\n"
                        "  (no options)\n");
    free(buf);
    assert_string_equal(ls_opt_type_name(LS_OPT_SIZE, 0), "size");
    assert_string_equal(ls_opt_type_name(LS_OPT_LIST, LS_OPT_PATH), "list of path");
    assert_string_equal(ls_opt_type_name(99, 0), "invalid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_int_bool),
        cmocka_unit_test(test_parse_address),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_apply_every_type),
        cmocka_unit_test(test_null_means_default),
        cmocka_unit_test(test_apply_errors),
        cmocka_unit_test(test_unknown_and_required),
        cmocka_unit_test(test_list_errors),
        cmocka_unit_test(test_object_errors),
        cmocka_unit_test(test_two_targets_and_ignore),
        cmocka_unit_test(test_reapply_releases),
        cmocka_unit_test(test_table_check),
        cmocka_unit_test(test_help),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
