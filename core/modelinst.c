/*
 * modelinst.c - one plugin instance from its mapping: resolving `type:` against the registry,
 * naming it, applying the plugin's option table (and for outputs the core's on_full and
 * queue_size in the same call, so unknown-key suggestions cover both); and the checks across
 * instances: two inputs of one plugin listening on one address or path, names used twice.
 */
#include "model.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confutil_internal.h"
#include "model_internal.h"
#include "options.h"
#include "util.h"

#define INSTANCE_NAME_MAX 128

/* ---- The core's options of every output ---------------------------------------------------- */

/* Defaults taken from service.queue. */
struct out_core {
    int on_full;
    uint64_t queue_size;
};

static const struct ls_option out_core_proto[] = {
    {.name = "on_full",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct out_core, on_full),
     .enum_values = ls_on_full_words,
     .doc = "what the output does when its queue is full"},
    {.name = "queue_size",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct out_core, queue_size),
     .min = LS_QUEUE_SIZE_MIN,
     .max = LS_QUEUE_SIZE_MAX,
     .doc = "bound of the output's queue in bytes"},
    {0}};

void ls_model_build_init(struct ls_model_build *b, struct ls_model *m,
                         const struct ls_registry *reg, struct ls_errors *errs)
{
    int on_full = m->service.queue_on_full;

    memset(b, 0, sizeof *b);
    b->m = m;
    b->reg = reg;
    b->errs = errs;
    memcpy(b->out_table, out_core_proto, sizeof b->out_table);
    snprintf(b->queue_def, sizeof b->queue_def, "%llu",
             (unsigned long long)m->service.queue_max_bytes);
    b->out_table[0].def = ls_on_full_words[on_full >= 0 && on_full <= 2 ? on_full : 0];
    b->out_table[1].def = b->queue_def;
}

/* ---- Names and types ----------------------------------------------------------------------- */

int ls_model_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > INSTANCE_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            return 0;
        }
    }
    return 1;
}

/* "pipelines.apps.inputs[0] (tcp)" */
char *ls_model_display_path(const struct ls_model_instance *ins)
{
    if (ins->plugin) {
        return ls_xasprintf("%s (%s)", ins->path, ins->plugin->name);
    }
    return ls_xstrdup(ins->path);
}

static void unknown_type(struct ls_model_build *b, int kind, const struct ls_node *type,
                         const char *path)
{
    const char **names = b->reg ? ls_registry_names(b->reg, kind) : NULL;
    const char *s = names ? ls_suggest(type->str, names) : NULL;
    char buf[LS_CLIP_SIZE];
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    ls_sbuf_addf(&sb, "unknown %s type '%s'", ls_kind_name(kind),
                 ls_clip(buf, sizeof buf, type->str, strlen(type->str)));
    if (s) {
        ls_sbuf_addf(&sb, " (did you mean '%s'?)", s);
    } else if (names && names[0]) {
        ls_sbuf_addstr(&sb, " (available: ");
        for (size_t i = 0; names[i]; i++) {
            ls_sbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
        }
        ls_sbuf_addstr(&sb, ")");
    } else {
        ls_sbuf_addf(&sb, " (no %s plugins are loaded)", ls_kind_name(kind));
    }
    ls_errors_add(b->errs, type, path, "%s", sb.buf);
    ls_sbuf_release(&sb);
    free(names);
}

/* Resolve `type:`. Returns the plugin or NULL (error added). */
static const struct ls_plugin *resolve_type(struct ls_model_build *b, int kind,
                                            const struct ls_node *map, const char *path)
{
    const struct ls_node *type = ls_node_get(map, "type");
    const struct ls_plugin *p;

    if (ls_node_is_absent(type)) {
        ls_errors_add(b->errs, map, path, "missing required option 'type'");
        return NULL;
    }
    if (type->kind != LS_NODE_SCALAR) {
        ls_errors_add(b->errs, type, path, "option 'type': expected a plugin name, got %s",
                      ls_node_kind_name(type));
        return NULL;
    }
    p = b->reg ? ls_registry_find(b->reg, kind, type->str) : NULL;
    if (!p) {
        unknown_type(b, kind, type, path);
    }
    return p;
}

/* The instance name: the shared output's key, the user's `name:`, or a generated one. */
static char *instance_name(struct ls_model_build *b, const struct ls_node *map, const char *path,
                           const char *pipeline, size_t index, const struct ls_plugin *p)
{
    const struct ls_node *n = ls_node_get(map, "name");
    const struct ls_node *type = ls_node_get(map, "type");
    char buf[LS_CLIP_SIZE];

    if (!ls_node_is_null(n) && n->kind != LS_NODE_SCALAR) {
        ls_errors_add(b->errs, n, path, "option 'name': expected a name, got %s",
                      ls_node_kind_name(n));
    } else if (!ls_node_is_null(n) && !ls_model_name_ok(n->str)) {
        ls_errors_add(b->errs, n, path, "option 'name': name '%s' " LS_NAME_RULE,
                      ls_clip(buf, sizeof buf, n->str, strlen(n->str)));
    } else if (!ls_node_is_null(n)) {
        return ls_xstrdup(n->str);
    }
    if (p) {
        return ls_xasprintf("%s.%s.%zu", pipeline, p->name, index);
    }
    return ls_xasprintf("%s.%s.%zu", pipeline,
                        type && type->kind == LS_NODE_SCALAR ? type->str : "?", index);
}

/* ---- Listeners ----------------------------------------------------------------------------- */

/* An input's listen address or path, for the duplicate-listener check. */
struct ls_model_listener {
    const struct ls_plugin *plugin;
    const char *opt;
    const char *value;
    const char *path; /* the instance's config path */
};

static int same_address(const char *a, const char *b)
{
    char ha[256], hb[256];
    int pa, pb;

    if (ls_parse_address(a, ha, sizeof ha, &pa, 1) < 0 ||
        ls_parse_address(b, hb, sizeof hb, &pb, 1) < 0) {
        return strcmp(a, b) == 0;
    }
    if (pa != pb) {
        return 0;
    }
    /* A wildcard listener takes the port on every address. */
    if (!ha[0] || !hb[0] || strcmp(ha, "0.0.0.0") == 0 || strcmp(hb, "0.0.0.0") == 0 ||
        strcmp(ha, "::") == 0 || strcmp(hb, "::") == 0) {
        return 1;
    }
    return strcasecmp(ha, hb) == 0;
}

/* Two inputs of one plugin on one `listen` address or `path` cannot both run. */
static void check_listener(struct ls_model_build *b, const struct ls_model_instance *ins)
{
    const struct ls_option *t = ins->plugin->options;

    for (size_t i = 0; t && t[i].name; i++) {
        int is_addr = t[i].type == LS_OPT_ADDRESS && strcmp(t[i].name, "listen") == 0;
        int is_path = t[i].type == LS_OPT_PATH && strcmp(t[i].name, "path") == 0;
        const char *v;

        if (!(is_addr || is_path) || !ins->conf) {
            continue;
        }
        memcpy(&v, (const char *)ins->conf + t[i].offset, sizeof v);
        if (!v) {
            continue;
        }
        for (size_t j = 0; j < b->nlisteners; j++) {
            const struct ls_model_listener *l = &b->listeners[j];

            if (l->plugin == ins->plugin && strcmp(l->opt, t[i].name) == 0 &&
                (is_addr ? same_address(l->value, v) : strcmp(l->value, v) == 0)) {
                const struct ls_node *at = ls_node_get(ins->node, t[i].name);
                char *disp = ls_model_display_path(ins);

                ls_errors_add(b->errs, at ? at : ins->node, disp,
                              "option '%s': %s %s is already used by %s", t[i].name,
                              is_addr ? "address" : "path", v, l->path);
                free(disp);
                return;
            }
        }
        ls_grow((void **)&b->listeners, &b->listeners_cap, b->nlisteners + 1, sizeof *b->listeners);
        b->listeners[b->nlisteners++] =
            (struct ls_model_listener){ins->plugin, t[i].name, v, ins->path};
    }
}

/* ---- One instance -------------------------------------------------------------------------- */

/* Fill `ins` from its mapping. shared: the key of a shared output (else NULL). */
void ls_model_build_instance(struct ls_model_build *b, struct ls_model_instance *ins, int kind,
                             const struct ls_node *map, const char *path, const char *pipeline,
                             size_t index, const char *shared)
{
    static const char *const ignore_shared[] = {"type", NULL};
    static const char *const ignore_inline[] = {"type", "name", "when", NULL};
    static const char *const ignore_other[] = {"type", "name", NULL};
    struct out_core core = {0, 0};
    struct ls_opt_target targets[2];
    size_t nt = 0;
    char *disp;

    ins->path = ls_xstrdup(path);
    ins->node = map;
    if (map->kind != LS_NODE_MAP) {
        ls_errors_add(b->errs, map, path, "expected a mapping with a 'type', got %s",
                      ls_node_kind_name(map));
        ins->name = shared ? ls_xstrdup(shared) : ls_xasprintf("%s.?.%zu", pipeline, index);
        return;
    }
    ins->plugin = resolve_type(b, kind, map, path);
    ins->name =
        shared ? ls_xstrdup(shared) : instance_name(b, map, path, pipeline, index, ins->plugin);
    ins->canon = ls_node_canonical(map);
    if (!ins->plugin) {
        return;
    }
    ins->conf = ins->plugin->config_size ? ls_xcalloc(1, ins->plugin->config_size) : NULL;
    if (kind == LS_KIND_OUTPUT) {
        targets[nt++] = (struct ls_opt_target){b->out_table, &core};
    }
    targets[nt++] = (struct ls_opt_target){ins->plugin->options, ins->conf};
    disp = ls_model_display_path(ins);
    ls_options_apply(targets, nt, map, disp,
                     shared                   ? ignore_shared
                     : kind == LS_KIND_OUTPUT ? ignore_inline
                                              : ignore_other,
                     b->errs);
    free(disp);
    ins->on_full = core.on_full;
    ins->queue_size = core.queue_size;
    if (kind == LS_KIND_INPUT) {
        check_listener(b, ins);
    }
}

/* ---- Unique instance names ----------------------------------------------------------------- */

struct name_ref {
    const struct ls_model_instance *ins;
    size_t seq;
};

static int name_ref_cmp(const void *pa, const void *pb)
{
    const struct name_ref *a = pa, *b = pb;
    int c = strcmp(a->ins->name, b->ins->name);

    if (c) {
        return c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void report_dup_name(struct ls_model_build *b, const struct ls_model_instance *ins,
                            const struct ls_model_instance *first)
{
    const struct ls_node *n = ls_node_get(ins->node, "name");
    char *disp = ls_model_display_path(ins);

    if (!ls_node_is_null(n) && n->kind == LS_NODE_SCALAR) {
        ls_errors_add(b->errs, n, disp, "option 'name': name '%s' is already used by %s", ins->name,
                      first->path);
    } else {
        ls_errors_add(b->errs, ins->node, disp, "instance name '%s' is already used by %s",
                      ins->name, first->path);
    }
    free(disp);
}

static void check_name_group(struct ls_model_build *b, struct name_ref *refs, size_t n)
{
    if (n < 2) {
        return;
    }
    qsort(refs, n, sizeof *refs, name_ref_cmp);
    for (size_t i = 1, g = 0; i < n; i++) {
        if (strcmp(refs[i].ins->name, refs[g].ins->name) != 0) {
            g = i;
            continue;
        }
        report_dup_name(b, refs[i].ins, refs[g].ins);
    }
}

void ls_model_check_names(struct ls_model_build *b)
{
    const struct ls_model *m = b->m;
    size_t total = m->noutputs, n;
    struct name_ref *refs;

    for (size_t i = 0; i < m->npipelines; i++) {
        total += m->pipelines[i].ninputs + m->pipelines[i].nparsers;
    }
    refs = ls_xcalloc(total + 1, sizeof *refs);
    n = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        for (size_t j = 0; j < m->pipelines[i].ninputs; j++, n++) {
            refs[n] = (struct name_ref){&m->pipelines[i].inputs[j], n};
        }
    }
    check_name_group(b, refs, n);
    n = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        for (size_t j = 0; j < m->pipelines[i].nparsers; j++, n++) {
            refs[n] = (struct name_ref){&m->pipelines[i].parsers[j], n};
        }
    }
    check_name_group(b, refs, n);
    for (n = 0; n < m->noutputs; n++) {
        refs[n] = (struct name_ref){&m->outputs[n], n};
    }
    check_name_group(b, refs, n);
    free(refs);
}
