/*
 * fuzz_config.c - libFuzzer target for the configuration loader and model builder:
 * ls_conf_load_buffer() then ls_model_build() against an in-memory registry (no dlopen) whose
 * plugins use every option type, nested objects and lists.
 *
 * Checks: a failed load or build reports at least one error and returns no doc/model; every
 * error is exactly one line; a built model is consistent (every instance resolved and named,
 * every route points at an output, pipelines have inputs and outputs); ls_cond_match() runs
 * on every route; everything is freed (LeakSanitizer).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "loader.h"
#include "model.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in_conf {
    char *listen;
    uint64_t max_line;
    int64_t max_connections;
    int64_t idle_timeout;
    struct ls_opt_list tags;
};

static const struct ls_option in_options[] = {{.name = "listen",
                                               .type = LS_OPT_ADDRESS,
                                               .offset = offsetof(struct in_conf, listen),
                                               .required = 1},
                                              {.name = "max_line",
                                               .type = LS_OPT_SIZE,
                                               .offset = offsetof(struct in_conf, max_line),
                                               .def = "64KiB",
                                               .min = 16,
                                               .max = 64 << 20},
                                              {.name = "max_connections",
                                               .type = LS_OPT_INT,
                                               .offset = offsetof(struct in_conf, max_connections),
                                               .def = "1024",
                                               .min = 1,
                                               .max = 1000000},
                                              {.name = "idle_timeout",
                                               .type = LS_OPT_DURATION,
                                               .offset = offsetof(struct in_conf, idle_timeout),
                                               .def = "0"},
                                              {.name = "tags",
                                               .type = LS_OPT_LIST,
                                               .item_type = LS_OPT_STRING,
                                               .offset = offsetof(struct in_conf, tags),
                                               .def = "a, b"},
                                              {0}};

struct unix_conf {
    char *path;
    int mode;
};

static const struct ls_option unix_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct unix_conf, path),
     .required = 1},
    {.name = "block", .type = LS_OPT_BOOL, .offset = offsetof(struct unix_conf, mode), .def = "no"},
    {0}};

static const char *const codecs[] = {"none", "gzip", "lz4", NULL};

struct file_conf {
    char *path;
    int format;
    uint64_t rot_size;
    int64_t rot_age;
    int rot_codec;
    struct ls_opt_list levels;
    struct ls_opt_list sizes;
};

static const char *const formats[] = {"raw", "json", NULL};

static const struct ls_option rotate_options[] = {
    {.name = "size",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct file_conf, rot_size),
     .def = "100MiB"},
    {.name = "age", .type = LS_OPT_DURATION, .offset = offsetof(struct file_conf, rot_age)},
    {.name = "compress",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct file_conf, rot_codec),
     .def = "none",
     .enum_values = codecs},
    {0}};

static const struct ls_option file_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct file_conf, path),
     .required = 1},
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct file_conf, format),
     .def = "raw",
     .enum_values = formats},
    {.name = "rotate", .type = LS_OPT_OBJECT, .sub = rotate_options},
    {.name = "codecs",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_ENUM,
     .enum_values = codecs,
     .offset = offsetof(struct file_conf, levels)},
    {.name = "sizes",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_SIZE,
     .offset = offsetof(struct file_conf, sizes),
     .min = 1,
     .max = 1 << 30},
    {0}};

static const struct ls_plugin plugins[] = {
    {.kind = LS_KIND_INPUT,
     .name = "tcp",
     .options = in_options,
     .config_size = sizeof(struct in_conf)},
    {.kind = LS_KIND_INPUT,
     .name = "udp",
     .options = in_options,
     .config_size = sizeof(struct in_conf)},
    {.kind = LS_KIND_INPUT,
     .name = "unix",
     .options = unix_options,
     .config_size = sizeof(struct unix_conf)},
    {.kind = LS_KIND_PARSER, .name = "syslog"},
    {.kind = LS_KIND_OUTPUT,
     .name = "file",
     .options = file_options,
     .config_size = sizeof(struct file_conf)},
    {.kind = LS_KIND_OUTPUT, .name = "null"},
};

#define NPLUGINS (sizeof plugins / sizeof plugins[0])

static void check_errors(const struct ls_errors *e)
{
    if (e->count == 0) {
        abort();
    }
    for (size_t i = 0; i < e->count; i++) {
        if (!e->lines[i][0] || strchr(e->lines[i], '\n')) {
            abort();
        }
    }
}

static void check_instance(const struct ls_model_instance *ins)
{
    if (!ins->plugin || !ins->name || !ins->name[0] || !ins->path || !ins->canon || !ins->node) {
        abort();
    }
    if (ins->plugin->config_size && !ins->conf) {
        abort();
    }
}

static void check_model(const struct ls_model *m)
{
    static const struct ls_record probe[3] = {
        {.severity = 3, .facility = 4, .app = {"sshd", 4}, .host = {"h1", 2}},
        {.severity = -1, .facility = -1},
        {.severity = 7, .facility = 23, .app = {"sshdx", 4}, .host = {"h", 1}},
    };

    if (!m->service.plugin_dir || !m->service.state_dir || !m->service.admin_listen) {
        abort();
    }
    for (size_t i = 0; i < m->noutputs; i++) {
        check_instance(&m->outputs[i]);
    }
    for (size_t i = 0; i < m->npipelines; i++) {
        const struct ls_model_pipeline *p = &m->pipelines[i];

        if (p->ninputs == 0 || p->nroutes == 0) {
            abort();
        }
        for (size_t j = 0; j < p->ninputs; j++) {
            check_instance(&p->inputs[j]);
        }
        for (size_t j = 0; j < p->nparsers; j++) {
            check_instance(&p->parsers[j]);
        }
        for (size_t j = 0; j < p->nroutes; j++) {
            if (p->routes[j].output >= m->noutputs) {
                abort();
            }
            for (size_t k = 0; k < 3; k++) {
                (void)ls_cond_match(&p->routes[j].cond, &probe[k]);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ls_plugin_entry_rec recs[NPLUGINS];
    struct ls_registry reg = {recs, NPLUGINS, NPLUGINS, NULL};
    struct ls_errors e;
    struct ls_doc *doc = NULL;
    struct ls_model *m = NULL;
    char *canon;

    for (size_t i = 0; i < NPLUGINS; i++) {
        recs[i].desc = plugins[i];
    }
    ls_errors_init(&e);
    if (ls_conf_load_buffer("fuzz.yaml", (const char *)data, size, &doc, &e) < 0) {
        if (doc) {
            abort();
        }
        check_errors(&e);
        ls_errors_release(&e);
        return 0;
    }
    canon = ls_node_canonical(ls_doc_root(doc));
    free(canon);
    if (ls_model_build(doc, &reg, &m, &e) < 0) {
        if (m) {
            abort();
        }
        check_errors(&e);
    } else {
        if (e.count) {
            abort();
        }
        check_model(m);
        ls_model_free(m);
    }
    ls_errors_release(&e);
    ls_doc_free(doc);
    return 0;
}
