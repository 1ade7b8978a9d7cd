/* test_model.c - building the model against an in-memory plugin registry (no dlopen): service
 * section, instances, routes, `when`, cross checks, exact error text, ls_cond_match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "loader.h"
#include "model.h"
#include "options.h"
#include "util.h"

/* ---- Test plugins -------------------------------------------------------------------------- */

struct tcp_conf {
    char *listen;
    uint64_t max_line;
    int64_t max_connections;
    int64_t idle_timeout;
};

static const struct ls_option tcp_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct tcp_conf, listen),
     .required = 1},
    {.name = "max_line",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct tcp_conf, max_line),
     .def = "64KiB",
     .min = 1024,
     .max = 16 << 20},
    {.name = "max_connections",
     .type = LS_OPT_INT,
     .offset = offsetof(struct tcp_conf, max_connections),
     .def = "1024",
     .min = 1,
     .max = 100000},
    {.name = "idle_timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct tcp_conf, idle_timeout),
     .def = "0"},
    {0}};

struct unix_conf {
    char *path;
};

static const struct ls_option unix_options[] = {
    {.name = "path", .type = LS_OPT_PATH, .offset = 0, .required = 1}, {0}};

static const struct ls_option udp_options[] = {
    {.name = "listen", .type = LS_OPT_ADDRESS, .offset = 0, .required = 1}, {0}};

struct file_conf {
    char *path;
    int format;
    int mkdir;
};

static const char *const file_formats[] = {"raw", "json", NULL};

static const struct ls_option file_options[] = {{.name = "path",
                                                 .type = LS_OPT_PATH,
                                                 .offset = offsetof(struct file_conf, path),
                                                 .required = 1},
                                                {.name = "format",
                                                 .type = LS_OPT_ENUM,
                                                 .offset = offsetof(struct file_conf, format),
                                                 .def = "raw",
                                                 .enum_values = file_formats},
                                                {.name = "mkdir",
                                                 .type = LS_OPT_BOOL,
                                                 .offset = offsetof(struct file_conf, mkdir),
                                                 .def = "true"},
                                                {0}};

static int dummy_init(struct ls_instance *ins, const void *conf, void **state)
{
    (void)ins;
    (void)conf;
    (void)state;
    return 0;
}

static int dummy_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    (void)ins;
    (void)state;
    (void)b;
    return 0;
}

static const struct ls_plugin test_plugins[] = {
    {.kind = LS_KIND_INPUT,
     .name = "tcp",
     .summary = "tcp",
     .options = tcp_options,
     .config_size = sizeof(struct tcp_conf),
     .init = dummy_init},
    {.kind = LS_KIND_INPUT,
     .name = "udp",
     .summary = "udp",
     .options = udp_options,
     .config_size = sizeof(char *),
     .init = dummy_init},
    {.kind = LS_KIND_INPUT,
     .name = "unix",
     .summary = "unix",
     .options = unix_options,
     .config_size = sizeof(struct unix_conf),
     .init = dummy_init},
    {.kind = LS_KIND_PARSER, .name = "syslog", .summary = "syslog", .init = dummy_init},
    {.kind = LS_KIND_OUTPUT,
     .name = "file",
     .summary = "file",
     .options = file_options,
     .config_size = sizeof(struct file_conf),
     .init = dummy_init,
     .write = dummy_write},
    {.kind = LS_KIND_OUTPUT,
     .name = "null",
     .summary = "null",
     .init = dummy_init,
     .write = dummy_write},
};

#define NPLUGINS (sizeof test_plugins / sizeof test_plugins[0])

static struct ls_plugin_entry_rec recs[NPLUGINS];
static struct ls_registry reg;

static int setup_registry(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPLUGINS; i++) {
        char why[256];

        recs[i].desc = test_plugins[i];
        recs[i].path = NULL;
        recs[i].dl = NULL;
        if (test_plugins[i].options &&
            ls_option_table_check(test_plugins[i].options, test_plugins[i].config_size, why,
                                  sizeof why) < 0) {
            fprintf(stderr, "bad test table: %s\n", why);
            return -1;
        }
    }
    reg.items = recs;
    reg.count = NPLUGINS;
    reg.cap = NPLUGINS;
    reg.dir = NULL;
    return 0;
}

/* ---- Helpers ------------------------------------------------------------------------------- */

static struct ls_doc *load(const char *text)
{
    struct ls_errors e;
    struct ls_doc *doc = NULL;

    ls_errors_init(&e);
    if (ls_conf_load_buffer("t.yaml", text, strlen(text), &doc, &e) < 0) {
        ls_errors_print(&e, stderr);
        fail_msg("config does not load");
    }
    ls_errors_release(&e);
    return doc;
}

static struct ls_model *build_ok(const char *text, struct ls_doc **docp)
{
    struct ls_doc *doc = load(text);
    struct ls_errors e;
    struct ls_model *m = NULL;

    ls_errors_init(&e);
    if (ls_model_build(doc, &reg, &m, &e) < 0) {
        ls_errors_print(&e, stderr);
        fail_msg("model does not build");
    }
    assert_non_null(m);
    assert_int_equal(e.count, 0);
    ls_errors_release(&e);
    *docp = doc;
    return m;
}

/* Build must fail with exactly the NULL-terminated error lines that follow. */
static void expect_errors(const char *text, ...)
{
    struct ls_doc *doc = load(text);
    struct ls_errors e;
    struct ls_model *m = (struct ls_model *)&e;
    va_list ap;
    const char *want;
    size_t n = 0;

    ls_errors_init(&e);
    assert_true(ls_model_build(doc, &reg, &m, &e) < 0);
    assert_null(m);
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
    ls_errors_release(&e);
    ls_doc_free(doc);
}

/* ---- A valid configuration ----------------------------------------------------------------- */

static const char *full_config =
    "service:\n"
    "  plugin_dir: ./build/plugins\n"
    "  state_dir: /tmp/state\n"
    "  admin: { listen: 127.0.0.1:2021, enabled: false }\n"
    "  log: { level: debug, format: json }\n"
    "  shutdown_grace: 30s\n"
    "  batch: { max_records: 10, max_bytes: 64KiB, timeout: 5ms }\n"
    "  queue: { max_bytes: 32MiB, on_full: drop_oldest }\n"
    "  user: nobody\n"
    "outputs:\n"
    "  archive: { type: file, path: /tmp/all.log }\n"
    "  archive2: { type: file, path: /tmp/auth.log, format: json, mkdir: no,\n"
    "              on_full: block, queue_size: 1MiB }\n"
    "pipelines:\n"
    "  apps:\n"
    "    inputs:\n"
    "      - { type: tcp, listen: 127.0.0.1:9001 }\n"
    "      - { type: tcp, name: edge, listen: '[::1]:9001', max_line: 1MiB,\n"
    "          idle_timeout: 1m }\n"
    "    parsers:\n"
    "      - type: syslog\n"
    "    outputs:\n"
    "      - archive\n"
    "      - output: archive2\n"
    "        when: { severity: \"<= warning\", facility: [auth, authpriv], app: [sshd],\n"
    "                host: { not: [h1] } }\n"
    "      - { type: null }\n"
    "      - { type: file, name: debug_file, path: /tmp/debug.log, when: {severity: debug} }\n";

static void test_valid_model(void **state)
{
    struct ls_doc *doc;
    struct ls_model *m = build_ok(full_config, &doc);
    const struct ls_service_conf *s = &m->service;
    const struct ls_model_pipeline *p;
    const struct file_conf *fc;
    const struct tcp_conf *tc;

    (void)state;
    assert_string_equal(s->plugin_dir, "./build/plugins");
    assert_string_equal(s->state_dir, "/tmp/state");
    assert_string_equal(s->admin_listen, "127.0.0.1:2021");
    assert_int_equal(s->admin_enabled, 0);
    assert_int_equal(s->log_level, LS_LOG_DEBUG);
    assert_int_equal(s->log_format, LS_LOGFMT_JSON);
    assert_int_equal(s->shutdown_grace, 30000000000LL);
    assert_int_equal(s->batch_max_records, 10);
    assert_int_equal(s->batch_max_bytes, 65536);
    assert_int_equal(s->batch_timeout, 5000000);
    assert_int_equal(s->queue_max_bytes, 32 << 20);
    assert_int_equal(s->queue_on_full, LS_ON_FULL_DROP_OLDEST);
    assert_string_equal(s->user, "nobody");
    assert_null(s->group);

    /* shared outputs first, then inline ones */
    assert_int_equal(m->noutputs, 4);
    assert_string_equal(m->outputs[0].name, "archive");
    assert_string_equal(m->outputs[0].path, "outputs.archive");
    assert_string_equal(m->outputs[0].plugin->name, "file");
    assert_int_equal(m->outputs[0].on_full, LS_ON_FULL_DROP_OLDEST);
    assert_int_equal(m->outputs[0].queue_size, 32 << 20);
    fc = m->outputs[0].conf;
    assert_string_equal(fc->path, "/tmp/all.log");
    assert_int_equal(fc->format, 0);
    assert_int_equal(fc->mkdir, 1);
    assert_string_equal(m->outputs[1].name, "archive2");
    assert_int_equal(m->outputs[1].on_full, LS_ON_FULL_BLOCK);
    assert_int_equal(m->outputs[1].queue_size, 1 << 20);
    fc = m->outputs[1].conf;
    assert_int_equal(fc->format, 1);
    assert_int_equal(fc->mkdir, 0);
    assert_string_equal(m->outputs[2].name, "apps.null.2");
    assert_string_equal(m->outputs[2].path, "pipelines.apps.outputs[2]");
    assert_null(m->outputs[2].conf);
    assert_string_equal(m->outputs[3].name, "debug_file");
    assert_string_equal(m->outputs[3].canon,
                        "{\"type\":\"file\",\"name\":\"debug_file\",\"path\":\"/tmp/debug.log\","
                        "\"when\":{\"severity\":\"debug\"}}");

    assert_int_equal(m->npipelines, 1);
    p = &m->pipelines[0];
    assert_string_equal(p->name, "apps");
    assert_int_equal(p->ninputs, 2);
    assert_string_equal(p->inputs[0].name, "apps.tcp.0");
    assert_string_equal(p->inputs[0].path, "pipelines.apps.inputs[0]");
    assert_string_equal(p->inputs[0].canon, "{\"type\":\"tcp\",\"listen\":\"127.0.0.1:9001\"}");
    assert_int_equal(p->inputs[0].node->line, 17);
    tc = p->inputs[0].conf;
    assert_string_equal(tc->listen, "127.0.0.1:9001");
    assert_int_equal(tc->max_line, 65536);
    assert_int_equal(tc->max_connections, 1024);
    assert_int_equal(tc->idle_timeout, 0);
    assert_string_equal(p->inputs[1].name, "edge");
    tc = p->inputs[1].conf;
    assert_int_equal(tc->max_line, 1 << 20);
    assert_int_equal(tc->idle_timeout, 60000000000LL);
    assert_int_equal(p->nparsers, 1);
    assert_string_equal(p->parsers[0].name, "apps.syslog.0");
    assert_null(p->parsers[0].conf);

    assert_int_equal(p->nroutes, 4);
    assert_int_equal(p->routes[0].output, 0);
    assert_int_equal(p->routes[0].cond.active, 0);
    assert_int_equal(p->routes[1].output, 1);
    assert_int_equal(p->routes[1].cond.active, 1);
    assert_int_equal(p->routes[1].cond.sev_mask, 0x1f);
    assert_int_equal(p->routes[1].cond.fac_mask, (1u << 4) | (1u << 10));
    assert_int_equal(p->routes[1].cond.napps, 1);
    assert_string_equal(p->routes[1].cond.apps[0], "sshd");
    assert_int_equal(p->routes[1].cond.apps_not, 0);
    assert_int_equal(p->routes[1].cond.nhosts, 1);
    assert_string_equal(p->routes[1].cond.hosts[0], "h1");
    assert_int_equal(p->routes[1].cond.hosts_not, 1);
    assert_int_equal(p->routes[2].output, 2);
    assert_int_equal(p->routes[2].cond.active, 0);
    assert_int_equal(p->routes[3].output, 3);
    assert_int_equal(p->routes[3].cond.sev_mask, 0x80);
    assert_int_equal(p->routes[3].cond.fac_mask, 0x1ffffff);
    assert_null(p->routes[3].cond.apps);
    ls_model_free(m);
    ls_doc_free(doc);
}

static void test_service_defaults(void **state)
{
    struct ls_doc *doc = load("");
    struct ls_service_conf s;
    struct ls_errors e;
    char *dir = ls_default_plugin_dir();

    (void)state;
    ls_errors_init(&e);
    assert_int_equal(ls_service_conf_parse(doc, &s, &e), 0);
    assert_string_equal(s.plugin_dir, dir);
    assert_string_equal(s.state_dir, "./var/lib/logstream");
    assert_string_equal(s.admin_listen, "127.0.0.1:2020");
    assert_int_equal(s.admin_enabled, 1);
    assert_int_equal(s.log_level, LS_LOG_INFO);
    assert_int_equal(s.log_format, LS_LOGFMT_TEXT);
    assert_int_equal(s.shutdown_grace, 10000000000LL);
    assert_int_equal(s.batch_max_records, 1024);
    assert_int_equal(s.batch_max_bytes, 1 << 20);
    assert_int_equal(s.batch_timeout, 50000000);
    assert_int_equal(s.queue_max_bytes, 64 << 20);
    assert_int_equal(s.queue_on_full, LS_ON_FULL_BLOCK);
    assert_null(s.user);
    ls_service_conf_release(&s);
    assert_null(s.plugin_dir);
    free(dir);
    ls_doc_free(doc);

    /* an empty configuration builds an empty model */
    {
        struct ls_model *m = build_ok("service: {}\n", &doc);

        assert_int_equal(m->npipelines, 0);
        assert_int_equal(m->noutputs, 0);
        ls_model_free(m);
        ls_doc_free(doc);
    }
}

static void test_service_errors(void **state)
{
    (void)state;
    expect_errors(
        "service:\n  admin: {listen: nope}\n  log: {level: verbose}\n  shutdown_grase: 1s\n"
        "  batch: 5\n",
        "t.yaml:2:19: service: option 'admin.listen': expected an address like "
        "127.0.0.1:9001, got \"nope\"",
        "t.yaml:3:16: service: option 'log.level': expected one of error, warn, info, "
        "debug, got \"verbose\"",
        "t.yaml:4:3: service: option 'shutdown_grase': unknown option (did you mean "
        "'shutdown_grace'?)",
        "t.yaml:5:10: service: option 'batch': expected a mapping, got a scalar", NULL);
}

static void test_default_plugin_dir(void **state)
{
    char exe[PATH_MAX], *dir, *slash, *want;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    (void)state;
    assert_true(n > 0);
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    *slash = '\0';
    want = ls_xasprintf("%s/plugins", exe);
    rmdir(want);
    dir = ls_default_plugin_dir();
    assert_string_equal(dir, LS_PLUGIN_INSTALL_DIR);
    free(dir);
    assert_int_equal(mkdir(want, 0755), 0);
    dir = ls_default_plugin_dir();
    assert_string_equal(dir, want);
    free(dir);
    assert_int_equal(rmdir(want), 0);
    free(want);
}

/* ---- Errors -------------------------------------------------------------------------------- */

static void test_instance_errors(void **state)
{
    (void)state;
    expect_errors("outputs:\n  archive: {type: file, path: /x}\n"
                  "pipelines:\n  apps:\n    inputs:\n      - {type: tcp, lisen: 127.0.0.1:1}\n"
                  "      - {type: tpc}\n      - {name: x}\n      - just-a-word\n"
                  "    outputs:\n      - archve\n      - {type: nul}\n      - {type: file}\n",
                  "t.yaml:6:21: pipelines.apps.inputs[0] (tcp): option 'lisen': unknown option "
                  "(did you mean 'listen'?)",
                  "t.yaml:7:16: pipelines.apps.inputs[1]: unknown input type 'tpc' (did you mean "
                  "'tcp'?)",
                  "t.yaml:8:9: pipelines.apps.inputs[2]: missing required option 'type'",
                  "t.yaml:9:9: pipelines.apps.inputs[3]: expected a mapping with a 'type', got a "
                  "scalar",
                  "t.yaml:11:9: pipelines.apps.outputs[0]: unknown output 'archve' (did you mean "
                  "'archive'?)",
                  "t.yaml:12:16: pipelines.apps.outputs[1]: unknown output type 'nul' (did you "
                  "mean 'null'?)",
                  "t.yaml:13:9: pipelines.apps.outputs[2] (file): missing required option 'path'",
                  NULL);
    expect_errors("pipelines:\n  p:\n    inputs: [{type: smtp}]\n    parsers: [{type: xml}]\n"
                  "    outputs: [nothing]\n",
                  "t.yaml:3:21: pipelines.p.inputs[0]: unknown input type 'smtp' (available: "
                  "tcp, udp, unix)",
                  "t.yaml:4:22: pipelines.p.parsers[0]: unknown parser type 'xml' (available: "
                  "syslog)",
                  "t.yaml:5:15: pipelines.p.outputs[0]: unknown output 'nothing' (no shared "
                  "outputs are defined)",
                  NULL);
}

static void test_pipeline_errors(void **state)
{
    (void)state;
    expect_errors("pipelines:\n  empty:\n  p:\n    input: []\n    outputs: {a: b}\n"
                  "  q:\n    inputs: []\n    outputs: [{type: null, output: x}, [1], {when: {}}]\n"
                  "  bad name: {}\n",
                  "t.yaml:2:3: pipelines.empty: a pipeline needs at least one input",
                  "t.yaml:2:3: pipelines.empty: a pipeline needs at least one output",
                  "t.yaml:4:5: pipelines.p: option 'input': unknown option (did you mean "
                  "'inputs'?)",
                  "t.yaml:5:14: pipelines.p.outputs: expected a list, got a mapping",
                  "t.yaml:4:5: pipelines.p: a pipeline needs at least one input",
                  "t.yaml:4:5: pipelines.p: a pipeline needs at least one output",
                  "t.yaml:7:13: pipelines.q: a pipeline needs at least one input",
                  "t.yaml:8:15: pipelines.q.outputs[0]: use either 'output' (a shared output) or "
                  "'type' (an inline output), not both",
                  "t.yaml:8:40: pipelines.q.outputs[1]: expected an output name, {output: NAME, "
                  "when: ...} or an inline output with a 'type'",
                  "t.yaml:8:45: pipelines.q.outputs[2]: expected an output name, {output: NAME, "
                  "when: ...} or an inline output with a 'type'",
                  "t.yaml:9:3: pipelines: pipeline name 'bad name' may only contain letters, "
                  "digits, '_', '-' and '.' (at most 128)",
                  "t.yaml:9:13: pipelines.bad name: a pipeline needs at least one input",
                  "t.yaml:9:13: pipelines.bad name: a pipeline needs at least one output", NULL);
}

static void test_output_options(void **state)
{
    (void)state;
    expect_errors("outputs:\n  a: {type: null, on_full: wait, queue_size: 1}\n"
                  "  b: {type: null, name: x}\n  c: [1]\n"
                  "pipelines:\n  p:\n    inputs: [{type: udp, listen: '*:1'}]\n"
                  "    outputs: [a, {output: a}, {output: b, wen: {}}]\n",
                  "t.yaml:2:28: outputs.a (null): option 'on_full': expected one of block, "
                  "drop_newest, drop_oldest, got \"wait\"",
                  "t.yaml:2:46: outputs.a (null): option 'queue_size': must be between 1KiB and "
                  "1TiB, got 1",
                  "t.yaml:3:19: outputs.b (null): option 'name': unknown option",
                  "t.yaml:4:6: outputs.c: expected a mapping with a 'type', got a list",
                  "t.yaml:8:27: pipelines.p.outputs[1]: output 'a' is listed twice in this "
                  "pipeline",
                  "t.yaml:8:43: pipelines.p.outputs[2]: option 'wen': unknown option (did you "
                  "mean 'when'?)",
                  NULL);
}

static void test_duplicate_listeners(void **state)
{
    struct ls_doc *doc;
    struct ls_model *m;

    (void)state;
    expect_errors("outputs:\n  o: {type: null}\n"
                  "pipelines:\n"
                  "  a:\n    inputs: [{type: tcp, listen: 127.0.0.1:9001}]\n    outputs: [o]\n"
                  "  b:\n    inputs:\n      - {type: tcp, listen: 127.0.0.1:9002}\n"
                  "      - {type: tcp, listen: 127.0.0.1:9001}\n"
                  "      - {type: tcp, listen: '*:9002'}\n"
                  "      - {type: unix, path: /run/x.sock}\n"
                  "      - {type: unix, path: /run/x.sock}\n"
                  "    outputs: [o]\n",
                  "t.yaml:10:29: pipelines.b.inputs[1] (tcp): option 'listen': address "
                  "127.0.0.1:9001 is already used by pipelines.a.inputs[0]",
                  "t.yaml:11:29: pipelines.b.inputs[2] (tcp): option 'listen': address *:9002 is "
                  "already used by pipelines.b.inputs[0]",
                  "t.yaml:13:28: pipelines.b.inputs[4] (unix): option 'path': path /run/x.sock is "
                  "already used by pipelines.b.inputs[3]",
                  NULL);
    /* tcp and udp on one port, and two ports of one host, do not conflict */
    m = build_ok("outputs:\n  o: {type: null}\n"
                 "pipelines:\n  a:\n    inputs:\n"
                 "      - {type: tcp, listen: 127.0.0.1:514}\n"
                 "      - {type: udp, listen: 127.0.0.1:514}\n"
                 "      - {type: tcp, listen: 127.0.0.1:515}\n"
                 "      - {type: tcp, listen: 127.0.0.2:514}\n"
                 "    outputs: [o]\n",
                 &doc);
    assert_int_equal(m->pipelines[0].ninputs, 4);
    ls_model_free(m);
    ls_doc_free(doc);
}

static void test_duplicate_names(void **state)
{
    (void)state;
    /* user names, generated names ("<pipeline>.<plugin>.<index>") and shared output keys share
     * one namespace per kind */
    expect_errors("outputs:\n  archive: {type: null}\n"
                  "pipelines:\n"
                  "  a:\n    inputs: [{type: udp, name: in, listen: '*:1'}, {type: udp, listen: "
                  "'*:4'}]\n"
                  "    outputs: [{type: null, name: archive}]\n"
                  "  b:\n    inputs: [{type: udp, name: in, listen: '*:2'},"
                  " {type: udp, name: a.udp.1, listen: '*:3'}]\n"
                  "    parsers: [{type: syslog, name: 'x y'}]\n"
                  "    outputs: [archive]\n",
                  "t.yaml:9:36: pipelines.b.parsers[0]: option 'name': name 'x y' may only "
                  "contain letters, digits, '_', '-' and '.' (at most 128)",
                  "t.yaml:8:70: pipelines.b.inputs[1] (udp): option 'name': name 'a.udp.1' is "
                  "already used by pipelines.a.inputs[1]",
                  "t.yaml:8:32: pipelines.b.inputs[0] (udp): option 'name': name 'in' is already "
                  "used by pipelines.a.inputs[0]",
                  "t.yaml:6:34: pipelines.a.outputs[0] (null): option 'name': name 'archive' is "
                  "already used by outputs.archive",
                  NULL);
    /* a pipeline without inputs: the error is at the empty list */
    expect_errors("pipelines:\n  a.udp:\n    inputs: []\n",
                  "t.yaml:3:13: pipelines.a.udp: a pipeline needs at least one input",
                  "t.yaml:3:5: pipelines.a.udp: a pipeline needs at least one output", NULL);
}

/* ---- Conditions ---------------------------------------------------------------------------- */

/* Build a one-pipeline model whose only route has `when: <when>`; return that route's cond. */
static struct ls_model *with_when(const char *when, struct ls_doc **doc)
{
    char *text = ls_xasprintf("outputs:\n  o: {type: null}\n"
                              "pipelines:\n  p:\n    inputs: [{type: udp, listen: '*:1'}]\n"
                              "    outputs:\n      - output: o\n        when: %s\n",
                              when);
    struct ls_model *m = build_ok(text, doc);

    free(text);
    return m;
}

static void expect_masks(const char *when, uint32_t sev, uint32_t fac)
{
    struct ls_doc *doc;
    struct ls_model *m = with_when(when, &doc);
    const struct ls_cond *c = &m->pipelines[0].routes[0].cond;

    if (c->sev_mask != sev || c->fac_mask != fac) {
        fail_msg("%s: sev_mask %#x fac_mask %#x, expected %#x %#x", when, c->sev_mask, c->fac_mask,
                 sev, fac);
    }
    assert_int_equal(c->active, 1);
    ls_model_free(m);
    ls_doc_free(doc);
}

static void test_when_masks(void **state)
{
    const uint32_t all_fac = 0x1ffffff, all_sev = 0x1ff;

    (void)state;
    expect_masks("{severity: \"<= warning\"}", 0x1f, all_fac);
    expect_masks("{severity: \"<warning\"}", 0x0f, all_fac);
    expect_masks("{severity: \"< err\"}", 0x07, all_fac);
    expect_masks("{severity: \">= notice\"}", 0xe0, all_fac);
    expect_masks("{severity: \"> info\"}", 0x80, all_fac);
    expect_masks("{severity: \"= info\"}", 0x40, all_fac);
    expect_masks("{severity: \"== error\"}", 0x08, all_fac);
    expect_masks("{severity: warning}", 0x10, all_fac);
    expect_masks("{severity: WARN}", 0x10, all_fac);
    expect_masks("{severity: [err, crit]}", 0x0c, all_fac);
    expect_masks("{severity: [debug, unknown]}", 0x180, all_fac);
    expect_masks("{severity: {not: [debug]}}", 0x17f, all_fac);
    expect_masks("{severity: ~, facility: kern}", all_sev, 0x1);
    expect_masks("{facility: [auth, authpriv, unknown]}", all_sev,
                 (1u << 4) | (1u << 10) | (1u << 24));
    expect_masks("{facility: {not: kern}}", all_sev, all_fac & ~1u);
    expect_masks("{app: x}", all_sev, all_fac);
    expect_masks("{}", all_sev, all_fac);
}

static void test_when_names(void **state)
{
    struct ls_doc *doc;
    struct ls_model *m = with_when("{app: sshd, host: {not: [a, b]}}", &doc);
    const struct ls_cond *c = &m->pipelines[0].routes[0].cond;

    (void)state;
    assert_int_equal(c->napps, 1);
    assert_string_equal(c->apps[0], "sshd");
    assert_int_equal(c->apps_not, 0);
    assert_int_equal(c->nhosts, 2);
    assert_string_equal(c->hosts[1], "b");
    assert_int_equal(c->hosts_not, 1);
    ls_model_free(m);
    ls_doc_free(doc);
    /* no `when` at all: inactive */
    m = with_when("~", &doc);
    assert_int_equal(m->pipelines[0].routes[0].cond.active, 0);
    ls_model_free(m);
    ls_doc_free(doc);
}

static void test_when_errors(void **state)
{
    (void)state;
    expect_errors("outputs:\n  o: {type: null}\n"
                  "pipelines:\n  p:\n    inputs: [{type: udp, listen: '*:1'}]\n"
                  "    outputs:\n"
                  "      - output: o\n"
                  "        when: {severity: warnig, facility: [auht, 3], app: [], hots: x,\n"
                  "               foo: 1}\n",
                  "t.yaml:8:26: pipelines.p.outputs[0]: option 'when.severity': unknown severity "
                  "'warnig' (did you mean 'warning'?)",
                  "t.yaml:8:45: pipelines.p.outputs[0]: option 'when.facility': unknown facility "
                  "'auht' (did you mean 'auth'?)",
                  "t.yaml:8:51: pipelines.p.outputs[0]: option 'when.facility': unknown facility "
                  "'3'",
                  "t.yaml:8:60: pipelines.p.outputs[0]: option 'when.app': expected a name, a "
                  "list of names or {not: [names]}",
                  "t.yaml:8:64: pipelines.p.outputs[0]: option 'when.hots': unknown option (did "
                  "you mean 'when.host'?)",
                  "t.yaml:9:16: pipelines.p.outputs[0]: option 'when.foo': unknown option "
                  "(expected severity, facility, app or host)",
                  NULL);
    expect_errors("outputs:\n  o: {type: null}\n"
                  "pipelines:\n  p:\n    inputs: [{type: udp, listen: '*:1'}]\n"
                  "    outputs:\n"
                  "      - {output: o, when: [x]}\n"
                  "      - {type: null, when: {severity: \"< emerg\"}}\n"
                  "      - {type: null, when: {severity: \"=< err\", host: {nor: [x]}}}\n"
                  "      - {type: null, when: {severity: \"> unknown\", app: [[a]]}}\n",
                  "t.yaml:7:27: pipelines.p.outputs[0]: option 'when': expected a mapping of "
                  "severity, facility, app and host, got a list",
                  "t.yaml:8:39: pipelines.p.outputs[1] (null): option 'when.severity': matches no "
                  "severity",
                  "t.yaml:9:39: pipelines.p.outputs[2] (null): option 'when.severity': unknown "
                  "comparison '=<' (use <, <=, =, >=, >)",
                  "t.yaml:9:55: pipelines.p.outputs[2] (null): option 'when.host': expected a "
                  "name, a list of names or {not: [names]}",
                  "t.yaml:10:39: pipelines.p.outputs[3] (null): option 'when.severity': "
                  "'unknown' can only be matched with =",
                  "t.yaml:10:58: pipelines.p.outputs[3] (null): option 'when.app': expected a "
                  "name, got a list",
                  NULL);
}

static struct ls_record rec(int sev, int fac, const char *app, const char *host)
{
    struct ls_record r;

    memset(&r, 0, sizeof r);
    r.severity = sev;
    r.facility = fac;
    if (app) {
        r.app.ptr = app;
        r.app.len = strlen(app);
    }
    if (host) {
        r.host.ptr = host;
        r.host.len = strlen(host);
    }
    return r;
}

static void test_cond_match(void **state)
{
    char *apps[] = {"sshd", "cron"};
    char *hosts[] = {"h1"};
    struct ls_cond c;
    struct ls_record r;
    const char slice_buf[] = "sshdX";

    (void)state;
    memset(&c, 0, sizeof c);
    r = rec(LS_SEV_DEBUG, 3, "x", "y");
    assert_true(ls_cond_match(&c, &r)); /* inactive: everything passes */

    c.active = 1;
    c.sev_mask = 0x1f; /* <= warning */
    c.fac_mask = 0x1ffffff;
    for (int s = 0; s <= 7; s++) {
        r = rec(s, 1, NULL, NULL);
        assert_int_equal(ls_cond_match(&c, &r), s <= 4);
    }
    r = rec(LS_SEV_UNKNOWN, 1, NULL, NULL);
    assert_false(ls_cond_match(&c, &r));
    r = rec(42, 1, NULL, NULL); /* out of range counts as unknown */
    assert_false(ls_cond_match(&c, &r));
    c.sev_mask |= 1u << 8;
    assert_true(ls_cond_match(&c, &r));

    c.fac_mask = (1u << 4) | (1u << 10);
    r = rec(0, 4, NULL, NULL);
    assert_true(ls_cond_match(&c, &r));
    r = rec(0, 10, NULL, NULL);
    assert_true(ls_cond_match(&c, &r));
    r = rec(0, 5, NULL, NULL);
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, LS_FAC_UNKNOWN, NULL, NULL);
    assert_false(ls_cond_match(&c, &r));
    c.fac_mask |= 1u << 24;
    assert_true(ls_cond_match(&c, &r));

    c.fac_mask = 0x1ffffff;
    c.apps = apps;
    c.napps = 2;
    r = rec(0, 0, "cron", NULL);
    assert_true(ls_cond_match(&c, &r));
    r = rec(0, 0, "cro", NULL);
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, 0, "crond", NULL);
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, 0, NULL, NULL); /* no app */
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, 0, NULL, NULL);
    r.app.ptr = slice_buf; /* slices are not NUL-terminated */
    r.app.len = 4;
    assert_true(ls_cond_match(&c, &r));
    c.apps_not = 1;
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, 0, NULL, NULL);
    assert_true(ls_cond_match(&c, &r));

    c.apps = NULL;
    c.napps = 0;
    c.hosts = hosts;
    c.nhosts = 1;
    c.hosts_not = 1;
    r = rec(0, 0, NULL, "h1");
    assert_false(ls_cond_match(&c, &r));
    r = rec(0, 0, NULL, "h2");
    assert_true(ls_cond_match(&c, &r));
    c.hosts_not = 0;
    assert_false(ls_cond_match(&c, &r));

    /* all parts must hold */
    c.apps = apps;
    c.napps = 1;
    c.apps_not = 0;
    c.hosts_not = 0;
    c.sev_mask = 1u << 3;
    r = rec(3, 0, "sshd", "h1");
    assert_true(ls_cond_match(&c, &r));
    r = rec(4, 0, "sshd", "h1");
    assert_false(ls_cond_match(&c, &r));
    r = rec(3, 0, "cron", "h1");
    assert_false(ls_cond_match(&c, &r));
    r = rec(3, 0, "sshd", "h2");
    assert_false(ls_cond_match(&c, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_model),     cmocka_unit_test(test_service_defaults),
        cmocka_unit_test(test_service_errors),  cmocka_unit_test(test_default_plugin_dir),
        cmocka_unit_test(test_instance_errors), cmocka_unit_test(test_pipeline_errors),
        cmocka_unit_test(test_output_options),  cmocka_unit_test(test_duplicate_listeners),
        cmocka_unit_test(test_duplicate_names), cmocka_unit_test(test_when_masks),
        cmocka_unit_test(test_when_names),      cmocka_unit_test(test_when_errors),
        cmocka_unit_test(test_cond_match),
    };

    return cmocka_run_group_tests(tests, setup_registry, NULL);
}
