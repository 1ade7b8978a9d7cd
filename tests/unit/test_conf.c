/* test_conf.c - YAML loading: positions, merging, duplicates, ${ENV}, limits, error text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

/* Load text as "t.yaml"; returns the doc (NULL on error, errors in *e). */
static struct ls_doc *load(const char *text, struct ls_errors *e)
{
    struct ls_doc *doc = NULL;
    int rc;

    ls_errors_init(e);
    rc = ls_conf_load_buffer("t.yaml", text, strlen(text), &doc, e);
    if (rc == 0) {
        assert_non_null(doc);
        assert_int_equal(e->count, 0);
    } else {
        assert_true(rc < 0);
        assert_null(doc);
        assert_true(e->count > 0);
    }
    return doc;
}

/* Load text that must fail with exactly these error lines (NULL-terminated). */
static void expect_errors(const char *text, ...)
{
    struct ls_errors e;
    struct ls_doc *doc = load(text, &e);
    va_list ap;
    size_t i = 0;
    const char *want;

    assert_null(doc);
    va_start(ap, text);
    while ((want = va_arg(ap, const char *))) {
        assert_true(i < e.count);
        assert_string_equal(e.lines[i], want);
        i++;
    }
    va_end(ap);
    assert_int_equal(e.count, i);
    ls_errors_release(&e);
}

static void assert_pos(const struct ls_node *n, int line, int col)
{
    assert_non_null(n);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

static void test_positions(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = load("# comment\n"
                              "service:\n"
                              "  state_dir: /var/x\n"
                              "  admin: { listen: \"127.0.0.1:1\" }\n"
                              "pipelines:\n"
                              "  apps:\n"
                              "    inputs:\n"
                              "      - type: tcp\n"
                              "        listen: ~\n",
                              &e);
    const struct ls_node *root = ls_doc_root(doc), *svc, *admin, *in, *item;

    (void)state;
    assert_int_equal(root->kind, LS_NODE_MAP);
    assert_int_equal(root->n, 2);
    assert_string_equal(root->keys[0]->str, "service");
    assert_pos(root->keys[0], 2, 1);
    svc = ls_node_get(root, "service");
    assert_pos(svc, 3, 3);
    assert_pos(svc->keys[0], 3, 3);
    assert_pos(ls_node_get(svc, "state_dir"), 3, 14);
    assert_string_equal(ls_node_get(svc, "state_dir")->str, "/var/x");
    assert_int_equal(ls_node_get(svc, "state_dir")->plain, 1);
    admin = ls_node_get(svc, "admin");
    assert_int_equal(admin->kind, LS_NODE_MAP);
    assert_pos(admin, 4, 10);
    assert_pos(ls_node_get(admin, "listen"), 4, 20);
    assert_int_equal(ls_node_get(admin, "listen")->plain, 0);
    in = ls_node_get(ls_node_get(ls_node_get(root, "pipelines"), "apps"), "inputs");
    assert_int_equal(in->kind, LS_NODE_SEQ);
    assert_int_equal(in->n, 1);
    item = in->vals[0];
    assert_pos(item, 8, 9);
    assert_pos(ls_node_get(item, "listen"), 9, 17);
    assert_string_equal(ls_node_get(item, "listen")->str, "~");
    assert_string_equal(ls_node_get(item, "type")->file, "t.yaml");
    assert_null(ls_node_get(item, "nope"));
    assert_null(ls_node_get(in, "type"));
    assert_string_equal(ls_node_kind_name(item), "a mapping");
    assert_string_equal(ls_node_kind_name(in), "a list");
    assert_string_equal(ls_node_kind_name(ls_node_get(item, "type")), "a scalar");
    ls_doc_free(doc);
}

static void test_empty_and_null_sections(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = load("", &e);

    (void)state;
    assert_int_equal(ls_doc_root(doc)->kind, LS_NODE_MAP);
    assert_int_equal(ls_doc_root(doc)->n, 0);
    ls_doc_free(doc);
    doc = load("# only a comment\n", &e);
    assert_int_equal(ls_doc_root(doc)->n, 0);
    ls_doc_free(doc);
    doc = load("service:\noutputs: ~\n", &e);
    assert_int_equal(ls_doc_root(doc)->n, 2);
    assert_int_equal(ls_node_get(ls_doc_root(doc), "outputs")->kind, LS_NODE_MAP);
    assert_int_equal(ls_node_get(ls_doc_root(doc), "outputs")->n, 0);
    ls_doc_free(doc);
}

static void test_top_level_errors(void **state)
{
    (void)state;
    expect_errors("pipeline:\n  a: 1\n",
                  "t.yaml:1:1: unknown top-level key 'pipeline' (did you mean 'pipelines'?)", NULL);
    expect_errors("x: 1\n",
                  "t.yaml:1:1: unknown top-level key 'x' (expected service, outputs or pipelines)",
                  NULL);
    expect_errors("- a\n- b\n",
                  "t.yaml:1:1: the top level must be a mapping of service, outputs and pipelines, "
                  "got a list",
                  NULL);
    expect_errors("outputs: [a]\n", "t.yaml:1:10: outputs: expected a mapping, got a list", NULL);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_errors("service:\n  a: b\n c: d\n",
                  "t.yaml:3:2: syntax error: did not find expected key while parsing a block "
                  "mapping",
                  NULL);
    expect_errors("service: {a: [1, 2}\n",
                  "t.yaml:1:19: syntax error: did not find expected ',' or ']' while parsing a "
                  "flow sequence",
                  NULL);
    expect_errors("a: *nope\n", "t.yaml:1:4: syntax error: found undefined alias", NULL);
    expect_errors("service: x\n---\nservice: y\n",
                  "t.yaml:2:1: a file may hold only one YAML document", NULL);
    /* reader errors carry a byte offset only: it is turned into line:col */
    expect_errors("service:\n  a: \xff\n", "t.yaml:2:6: syntax error: invalid leading UTF-8 octet",
                  NULL);
    expect_errors("service: {a: \"x\\0y\"}\n",
                  "t.yaml:1:14: service.a: value contains a NUL character", NULL);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_errors("pipelines:\n"
                  "  apps:\n"
                  "    inputs: []\n"
                  "    outputs: []\n"
                  "    inputs: [x]\n",
                  "t.yaml:5:5: pipelines.apps: duplicate key 'inputs' (first at t.yaml:3:5)", NULL);
    /* three times: each repeat names the first */
    expect_errors("service: {a: 1, b: 2, a: 3, a: 4}\n",
                  "t.yaml:1:23: service: duplicate key 'a' (first at t.yaml:1:11)",
                  "t.yaml:1:29: service: duplicate key 'a' (first at t.yaml:1:11)", NULL);
    expect_errors("pipelines:\n  p:\n    inputs:\n      - {type: tcp, type: udp}\n",
                  "t.yaml:4:21: pipelines.p.inputs[0]: duplicate key 'type' (first at "
                  "t.yaml:4:10)",
                  NULL);
}

static void test_env_expansion(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc;
    const struct ls_node *svc;

    (void)state;
    setenv("LS_TEST_PORT", "9001", 1);
    setenv("LS_TEST_EMPTY", "", 1);
    unsetenv("LS_TEST_UNSET");
    doc = load("service:\n"
               "  a: 127.0.0.1:${LS_TEST_PORT}\n"
               "  b: ${LS_TEST_UNSET:-fallback}/x\n"
               "  c: ${LS_TEST_EMPTY:-was empty}\n"
               "  d: \"[${LS_TEST_EMPTY}]\"\n"
               "  e: cost $$5 and $ alone and $x\n"
               "  f: ${LS_TEST_PORT:-x}${LS_TEST_PORT}\n"
               "  g: /var/log/${app}/${host:-x}.log\n"
               "  ${LS_TEST_PORT}: keys are not expanded\n",
               &e);
    svc = ls_node_get(ls_doc_root(doc), "service");
    assert_string_equal(ls_node_get(svc, "a")->str, "127.0.0.1:9001");
    assert_string_equal(ls_node_get(svc, "b")->str, "fallback/x");
    assert_string_equal(ls_node_get(svc, "c")->str, "was empty");
    assert_string_equal(ls_node_get(svc, "d")->str, "[]");
    assert_string_equal(ls_node_get(svc, "e")->str, "cost $5 and $ alone and $x");
    assert_string_equal(ls_node_get(svc, "f")->str, "90019001");
    assert_int_equal(ls_node_get(svc, "f")->len, 8);
    /* lowercase names are record fields for plugin templates: left for the plugin */
    assert_string_equal(ls_node_get(svc, "g")->str, "/var/log/${app}/${host:-x}.log");
    assert_non_null(ls_node_get(svc, "${LS_TEST_PORT}"));
    ls_doc_free(doc);

    expect_errors("service:\n  a: x${LS_TEST_UNSET}y\n",
                  "t.yaml:2:6: service.a: environment variable 'LS_TEST_UNSET' is not set", NULL);
    expect_errors("service:\n  a: ${1X}\n  b: ${A B}\n  c: ${OPEN\n",
                  "t.yaml:2:6: service.a: invalid environment variable reference '${1X}' (write "
                  "$$ for a literal $)",
                  "t.yaml:3:6: service.b: invalid environment variable reference '${A B}' (write "
                  "$$ for a literal $)",
                  "t.yaml:4:6: service.c: unterminated '${' (write $$ for a literal $)", NULL);
    expect_errors("pipelines:\n  p:\n    inputs:\n      - listen: ${LS_TEST_UNSET}\n",
                  "t.yaml:4:17: pipelines.p.inputs[0].listen: environment variable "
                  "'LS_TEST_UNSET' is not set",
                  NULL);
}

static void test_aliases_shared(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = load("service:\n  a: &x {k: v, l: [1, 2]}\n  b: *x\n", &e);
    const struct ls_node *svc = ls_node_get(ls_doc_root(doc), "service");
    char *ca, *cb;

    (void)state;
    ca = ls_node_canonical(ls_node_get(svc, "a"));
    cb = ls_node_canonical(ls_node_get(svc, "b"));
    assert_string_equal(ca, "{\"k\":\"v\",\"l\":[\"1\",\"2\"]}");
    assert_string_equal(ca, cb);
    free(ca);
    free(cb);
    ls_doc_free(doc);
    expect_errors("service: &a {x: *a}\n",
                  "t.yaml:1:10: service.x: alias refers to a node that contains it (recursive "
                  "alias)",
                  NULL);
}

static void test_alias_bomb(void **state)
{
    const char *bomb = "service:\n"
                       "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "  h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "  i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    int64_t t0 = ls_mono_now();

    (void)state;
    /* f expands to 9^6 scalars: the first node past the limit */
    expect_errors(
        bomb, "t.yaml:7:6: service.f: too many nodes after alias expansion (limit 100000)", NULL);
    assert_true(ls_mono_now() - t0 < 1000000000LL);
}

static void test_node_and_text_limits(void **state)
{
    struct ls_sbuf sb;
    struct ls_errors e;
    struct ls_doc *doc;
    char *big;

    (void)state;
    /* a flat list longer than the node limit (no alias at all) */
    ls_sbuf_init(&sb);
    ls_sbuf_addstr(&sb, "service: [");
    for (int i = 0; i < LS_CONF_MAX_NODES + 10; i++) {
        ls_sbuf_addstr(&sb, "1,");
    }
    ls_sbuf_addstr(&sb, "1]\n");
    doc = load(sb.buf, &e);
    assert_null(doc);
    assert_int_equal(e.count, 1);
    assert_non_null(strstr(e.lines[0], "too many nodes after alias expansion (limit 100000)"));
    ls_errors_release(&e);
    ls_sbuf_release(&sb);

    /* a 1 MiB scalar repeated by aliases: text, not nodes, is the limit */
    big = ls_xmalloc(1 << 20);
    memset(big, 'x', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    ls_sbuf_init(&sb);
    ls_sbuf_addf(&sb,
                 "service:\n  a: &a %s\n  b: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, "
                 "*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
                 big);
    expect_errors(
        sb.buf, "t.yaml:3:6: service.b: too much text after alias expansion (limit 16 MiB)", NULL);
    ls_sbuf_release(&sb);
    free(big);

    /* more than LS_CONF_MAX_FILE bytes */
    big = ls_xcalloc(1, LS_CONF_MAX_FILE + 2);
    memset(big, '#', LS_CONF_MAX_FILE + 1);
    expect_errors(big, "t.yaml: file is too large (limit 4194304 bytes)", NULL);
    free(big);
}

static void test_depth_limit(void **state)
{
    struct ls_sbuf sb;
    struct ls_errors e;
    struct ls_doc *doc;

    (void)state;
    /* root and service mappings are levels 1 and 2: 62 lists under them are fine, 63 not */
    for (int n = 62; n <= 63; n++) {
        ls_sbuf_init(&sb);
        ls_sbuf_addstr(&sb, "service: {a: ");
        for (int i = 0; i < n; i++) {
            ls_sbuf_addstr(&sb, "[");
        }
        for (int i = 0; i < n; i++) {
            ls_sbuf_addstr(&sb, "]");
        }
        ls_sbuf_addstr(&sb, "}");
        if (n == 62) {
            doc = load(sb.buf, &e);
            assert_non_null(doc);
            ls_doc_free(doc);
        } else {
            expect_errors(sb.buf, "t.yaml:1:76: nested deeper than 64 levels", NULL);
        }
        ls_sbuf_release(&sb);
    }

    ls_sbuf_init(&sb);
    ls_sbuf_addstr(&sb, "service: ");
    for (int i = 0; i < 100000; i++) {
        ls_sbuf_addstr(&sb, "[");
    }
    expect_errors(sb.buf, "t.yaml:1:73: nested deeper than 64 levels", NULL);
    ls_sbuf_release(&sb);

    /* aliases cannot stack depth either: each &dN nests the previous one 30 levels deeper */
    ls_sbuf_init(&sb);
    ls_sbuf_addstr(&sb, "service:\n  a: &d0 x\n");
    for (int n = 1; n <= 3; n++) {
        ls_sbuf_addf(&sb, "  a%d: &d%d ", n, n);
        for (int i = 0; i < 30; i++) {
            ls_sbuf_addstr(&sb, "[");
        }
        ls_sbuf_addf(&sb, "*d%d", n - 1);
        for (int i = 0; i < 30; i++) {
            ls_sbuf_addstr(&sb, "]");
        }
        ls_sbuf_addstr(&sb, "\n");
    }
    doc = load(sb.buf, &e);
    assert_null(doc);
    assert_int_equal(e.count, 1);
    assert_non_null(strstr(e.lines[0], ": nested deeper than 64 levels"));
    ls_errors_release(&e);
    ls_sbuf_release(&sb);
}

/* ---- Files and directories ----------------------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char *p = ls_xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ls_test_conf.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    char *cmd = ls_xasprintf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);

    (void)state;
    free(cmd);
    return rc == 0 ? 0 : -1;
}

static void test_merge_files(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = NULL;
    const struct ls_node *root, *outs, *svc;
    char *file;

    (void)state;
    write_file("20-b.yml", "outputs:\n  second: {type: null}\npipelines:\n  p: {}\n");
    write_file("10-a.yaml", "service:\n  state_dir: /x\noutputs:\n  first: {type: file}\n");
    write_file("30-c.yaml", "service:\n  user: nobody\n");
    write_file("README", "not: [yaml");
    write_file(".hidden.yaml", "not: [yaml");
    write_file("90-empty.yaml", "");
    ls_errors_init(&e);
    assert_int_equal(ls_conf_load(tmpdir, &doc, &e), 0);
    assert_int_equal(e.count, 0);
    root = ls_doc_root(doc);
    assert_int_equal(root->n, 3);
    /* sections in order of first appearance, files in name order */
    assert_string_equal(root->keys[0]->str, "service");
    assert_string_equal(root->keys[1]->str, "outputs");
    assert_string_equal(root->keys[2]->str, "pipelines");
    outs = ls_node_get(root, "outputs");
    assert_int_equal(outs->n, 2);
    assert_string_equal(outs->keys[0]->str, "first");
    assert_string_equal(outs->keys[1]->str, "second");
    file = ls_xasprintf("%s/20-b.yml", tmpdir);
    assert_string_equal(outs->keys[1]->file, file);
    assert_pos(outs->keys[1], 2, 3);
    free(file);
    svc = ls_node_get(root, "service");
    assert_string_equal(ls_node_get(svc, "state_dir")->str, "/x");
    assert_string_equal(ls_node_get(svc, "user")->str, "nobody");
    ls_doc_free(doc);

    /* a single file path loads just that file */
    file = ls_xasprintf("%s/30-c.yaml", tmpdir);
    assert_int_equal(ls_conf_load(file, &doc, &e), 0);
    assert_int_equal(ls_doc_root(doc)->n, 1);
    ls_doc_free(doc);
    free(file);
    ls_errors_release(&e);
}

static void test_duplicates_across_files(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = NULL;
    char *want1, *want2;

    (void)state;
    write_file("10-a.yaml", "service:\n  admin: {listen: '*:1'}\noutputs:\n  archive: {}\n");
    write_file("20-b.yaml", "outputs:\n  other: {}\n  archive: {}\nservice:\n  admin: {}\n");
    ls_errors_init(&e);
    assert_true(ls_conf_load(tmpdir, &doc, &e) < 0);
    assert_null(doc);
    want1 = ls_xasprintf("%s/20-b.yaml:5:3: service: duplicate key 'admin' (first at "
                         "%s/10-a.yaml:2:3)",
                         tmpdir, tmpdir);
    want2 = ls_xasprintf("%s/20-b.yaml:3:3: outputs: duplicate key 'archive' (first at "
                         "%s/10-a.yaml:4:3)",
                         tmpdir, tmpdir);
    assert_int_equal(e.count, 2);
    assert_string_equal(e.lines[0], want1);
    assert_string_equal(e.lines[1], want2);
    free(want1);
    free(want2);
    ls_errors_release(&e);
}

static void test_dir_errors(void **state)
{
    struct ls_errors e;
    struct ls_doc *doc = (struct ls_doc *)&e;
    char *sub = ls_xasprintf("%s/conf.d", tmpdir), *want, *big;

    (void)state;
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file("conf.d/notes.txt", "x");
    ls_errors_init(&e);
    assert_true(ls_conf_load(sub, &doc, &e) < 0);
    assert_null(doc);
    want = ls_xasprintf("%s: no *.yaml files", sub);
    assert_int_equal(e.count, 1);
    assert_string_equal(e.lines[0], want);
    free(want);
    ls_errors_release(&e);

    ls_errors_init(&e);
    want = ls_xasprintf("%s/missing", tmpdir);
    assert_true(ls_conf_load(want, &doc, &e) < 0);
    free(want);
    want = ls_xasprintf("%s/missing: No such file or directory", tmpdir);
    assert_string_equal(e.lines[0], want);
    free(want);
    ls_errors_release(&e);

    /* errors of every file are reported, not just the first */
    write_file("conf.d/a.yaml", "service: [\n");
    write_file("conf.d/b.yaml", "servce: {}\n");
    ls_errors_init(&e);
    assert_true(ls_conf_load(sub, &doc, &e) < 0);
    assert_int_equal(e.count, 2);
    assert_non_null(strstr(e.lines[0], "conf.d/a.yaml:2:1: syntax error: "));
    want = ls_xasprintf("%s/b.yaml:1:1: unknown top-level key 'servce' (did you mean "
                        "'service'?)",
                        sub);
    assert_string_equal(e.lines[1], want);
    free(want);
    ls_errors_release(&e);

    /* a FIFO is refused without blocking; an oversized file is refused */
    unlink(want = ls_xasprintf("%s/a.yaml", sub));
    free(want);
    unlink(want = ls_xasprintf("%s/b.yaml", sub));
    free(want);
    want = ls_xasprintf("%s/f.yaml", sub);
    assert_int_equal(mkfifo(want, 0600), 0);
    free(want);
    big = ls_xcalloc(1, LS_CONF_MAX_FILE + 2);
    memset(big, '#', LS_CONF_MAX_FILE + 1);
    write_file("conf.d/g.yaml", big);
    free(big);
    ls_errors_init(&e);
    assert_true(ls_conf_load(sub, &doc, &e) < 0);
    assert_int_equal(e.count, 2);
    want = ls_xasprintf("%s/f.yaml: not a regular file", sub);
    assert_string_equal(e.lines[0], want);
    free(want);
    want = ls_xasprintf("%s/g.yaml: file is too large (limit 4194304 bytes)", sub);
    assert_string_equal(e.lines[1], want);
    free(want);
    ls_errors_release(&e);
    free(sub);
}

/* ---- Errors, suggestions, canonical text --------------------------------------------------- */

static void test_errors_list(void **state)
{
    struct ls_errors e;
    struct ls_node at = {0};
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    at.file = "a.yaml";
    at.line = 3;
    at.col = 7;
    ls_errors_init(&e);
    ls_errors_add(&e, &at, "service", "option '%s': bad", "x");
    ls_errors_add(&e, &at, "", "no path");
    ls_errors_add(&e, NULL, "pipelines.p", "no position");
    ls_errors_add_raw(&e, "%s: raw %d", "plug.so", 5);
    ls_errors_add(&e, &at, NULL, "line\nbreak\tand \x01 control");
    assert_int_equal(e.count, 5);
    assert_string_equal(e.lines[0], "a.yaml:3:7: service: option 'x': bad");
    assert_string_equal(e.lines[1], "a.yaml:3:7: no path");
    assert_string_equal(e.lines[2], "pipelines.p: no position");
    assert_string_equal(e.lines[3], "plug.so: raw 5");
    assert_string_equal(e.lines[4], "a.yaml:3:7: line\\nbreak\\tand \\x01 control");
    f = open_memstream(&buf, &len);
    ls_errors_print(&e, f);
    fclose(f);
    assert_int_equal(
        strncmp(buf, "a.yaml:3:7: service: option 'x': bad\na.yaml:3:7: no path\n", 57), 0);
    free(buf);
    ls_errors_release(&e);
    assert_int_equal(e.count, 0);
    assert_null(e.lines);
}

static void test_suggest(void **state)
{
    const char *const words[] = {"listen", "max_line", "max_connections", "idle_timeout", NULL};
    const char *const sections[] = {"service", "outputs", "pipelines", NULL};

    (void)state;
    assert_string_equal(ls_suggest("lisen", words), "listen");
    assert_string_equal(ls_suggest("listne", words), "listen");
    assert_string_equal(ls_suggest("max_lines", words), "max_line");
    assert_string_equal(ls_suggest("idle_timout", words), "idle_timeout");
    assert_null(ls_suggest("port", words));
    assert_null(ls_suggest("", words));
    assert_string_equal(ls_suggest("pipeline", sections), "pipelines");
    /* short words: distance 1 at most */
    assert_string_equal(ls_suggest("outputz", sections), "outputs");
    assert_null(ls_suggest("x", sections));
    assert_null(ls_suggest("listen", NULL));
}

static void test_canonical(void **state)
{
    struct ls_errors e;
    struct ls_doc *a = load("service: {b: 1, a: \"q\\\"x\", n: ~, s: '~', l: [x, {y: z}]}\n", &e);
    struct ls_doc *b = load("service:\n  b: 1\n  a: 'q\"x'\n  n:\n  s: \"~\"\n  l:\n    - x\n"
                            "    - y: z\n",
                            &e);
    char *ca = ls_node_canonical(ls_node_get(ls_doc_root(a), "service"));
    char *cb = ls_node_canonical(ls_node_get(ls_doc_root(b), "service"));

    (void)state;
    assert_string_equal(ca, "{\"b\":\"1\",\"a\":\"q\\\"x\",\"n\":~,\"s\":\"~\",\"l\":[\"x\",{\"y\":"
                            "\"z\"}]}");
    assert_string_equal(ca, cb);
    free(ca);
    free(cb);
    ls_doc_free(a);
    ls_doc_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_empty_and_null_sections),
        cmocka_unit_test(test_top_level_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_aliases_shared),
        cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_node_and_text_limits),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test_setup_teardown(test_merge_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_duplicates_across_files, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_dir_errors, setup_dir, teardown_dir),
        cmocka_unit_test(test_errors_list),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_canonical),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
