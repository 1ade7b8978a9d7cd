/*
 * model.c - from the merged YAML document to the validated model (see model.h): shared outputs,
 * pipelines with their instances and routes, and the entry points. The service section is in
 * service.c, one instance and the checks across instances in modelinst.c, `when` conditions in
 * cond.c.
 *
 * Every instance is validated even after an error elsewhere, so one --check lists every
 * problem.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "confutil_internal.h"
#include "model_internal.h"
#include "options.h"
#include "util.h"

/* ---- Outputs and routes -------------------------------------------------------------------- */

static struct ls_model_instance *new_output(struct ls_model_build *b)
{
    struct ls_model *m = b->m;

    ls_grow((void **)&m->outputs, &b->outputs_cap, m->noutputs + 1, sizeof *m->outputs);
    memset(&m->outputs[m->noutputs], 0, sizeof *m->outputs);
    return &m->outputs[m->noutputs++];
}

static void build_shared_outputs(struct ls_model_build *b, const struct ls_node *outs)
{
    for (size_t i = 0; outs && i < outs->n; i++) {
        const struct ls_node *key = outs->keys[i];
        char *path = ls_xasprintf("outputs.%s", key->str);
        char buf[LS_CLIP_SIZE];

        if (!ls_model_name_ok(key->str)) {
            ls_errors_add(b->errs, key, "outputs", "output name '%s' " LS_NAME_RULE,
                          ls_clip(buf, sizeof buf, key->str, strlen(key->str)));
        }
        ls_model_build_instance(b, new_output(b), LS_KIND_OUTPUT, outs->vals[i], path, NULL, 0,
                                key->str);
        free(path);
    }
    b->nshared = b->m->noutputs;
}

static long find_shared(const struct ls_model_build *b, const char *name)
{
    for (size_t i = 0; i < b->nshared; i++) {
        if (strcmp(b->m->outputs[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static void unknown_output(struct ls_model_build *b, const struct ls_node *n, const char *path)
{
    const char **names = ls_xcalloc(b->nshared + 1, sizeof *names);
    const char *s;
    char buf[LS_CLIP_SIZE];

    for (size_t i = 0; i < b->nshared; i++) {
        names[i] = b->m->outputs[i].name;
    }
    s = ls_suggest(n->str, names);
    ls_clip(buf, sizeof buf, n->str, strlen(n->str));
    if (s) {
        ls_errors_add(b->errs, n, path, "unknown output '%s' (did you mean '%s'?)", buf, s);
    } else if (b->nshared == 0) {
        ls_errors_add(b->errs, n, path, "unknown output '%s' (no shared outputs are defined)", buf);
    } else {
        ls_errors_add(b->errs, n, path, "unknown output '%s'", buf);
    }
    free(names);
}

/* Resolve a shared output reference; adds the route. */
static void route_shared(struct ls_model_build *b, struct ls_model_pipeline *p,
                         const struct ls_node *n, const struct ls_node *when, const char *path)
{
    long idx;
    struct ls_model_route *r;

    if (n->kind != LS_NODE_SCALAR || ls_node_is_absent(n)) {
        ls_errors_add(b->errs, n, path, "option 'output': expected an output name, got %s",
                      ls_node_is_absent(n) ? "nothing" : ls_node_kind_name(n));
        return;
    }
    idx = find_shared(b, n->str);
    if (idx < 0) {
        unknown_output(b, n, path);
        return;
    }
    for (size_t i = 0; i < p->nroutes; i++) {
        if (p->routes[i].output == (size_t)idx) {
            ls_errors_add(b->errs, n, path, "output '%s' is listed twice in this pipeline", n->str);
            return;
        }
    }
    r = &p->routes[p->nroutes++];
    r->output = (size_t)idx;
    ls_cond_parse(when, path, &r->cond, b->errs);
}

static void build_route(struct ls_model_build *b, struct ls_model_pipeline *p,
                        const struct ls_node *ref, size_t index)
{
    static const char *const ref_keys[] = {"output", "when", NULL};
    char *path = ls_xasprintf("pipelines.%s.outputs[%zu]", p->name, index);
    const struct ls_node *out = ls_node_get(ref, "output");
    const struct ls_node *type = ls_node_get(ref, "type");

    if (ref->kind == LS_NODE_SCALAR && !ls_node_is_absent(ref)) {
        route_shared(b, p, ref, NULL, path);
    } else if (ref->kind == LS_NODE_MAP && out && type) {
        ls_errors_add(b->errs, ref, path,
                      "use either 'output' (a shared output) or 'type' (an inline output), "
                      "not both");
    } else if (ref->kind == LS_NODE_MAP && out) {
        ls_options_apply(NULL, 0, ref, path, ref_keys, b->errs);
        route_shared(b, p, out, ls_node_get(ref, "when"), path);
    } else if (ref->kind == LS_NODE_MAP && type) {
        struct ls_model_instance *ins = new_output(b);
        struct ls_model_route *r = &p->routes[p->nroutes++];
        char *disp;

        r->output = b->m->noutputs - 1;
        ls_model_build_instance(b, ins, LS_KIND_OUTPUT, ref, path, p->name, index, NULL);
        disp = ls_model_display_path(ins);
        ls_cond_parse(ls_node_get(ref, "when"), disp, &r->cond, b->errs);
        free(disp);
    } else {
        ls_errors_add(b->errs, ref, path,
                      "expected an output name, {output: NAME, when: ...} or an inline output "
                      "with a 'type'");
    }
    free(path);
}

/* ---- Pipelines ----------------------------------------------------------------------------- */

/* The list under `key` of a pipeline (NULL/absent: none). Returns its node or NULL. */
static const struct ls_node *pipeline_list(struct ls_model_build *b, const struct ls_node *pipe,
                                           const char *pname, const char *key)
{
    const struct ls_node *n = ls_node_get(pipe, key);

    if (ls_node_is_null(n)) {
        return NULL;
    }
    if (n->kind != LS_NODE_SEQ) {
        char *path = ls_xasprintf("pipelines.%s.%s", pname, key);

        ls_errors_add(b->errs, n, path, "expected a list, got %s", ls_node_kind_name(n));
        free(path);
        return NULL;
    }
    return n;
}

static void build_instances(struct ls_model_build *b, struct ls_model_pipeline *p, int kind,
                            const struct ls_node *list, const char *key,
                            struct ls_model_instance **out, size_t *count)
{
    size_t n = list ? list->n : 0;

    *out = n ? ls_xcalloc(n, sizeof **out) : NULL;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        char *path = ls_xasprintf("pipelines.%s.%s[%zu]", p->name, key, i);

        ls_model_build_instance(b, &(*out)[i], kind, list->vals[i], path, p->name, i, NULL);
        free(path);
    }
}

static void build_pipeline(struct ls_model_build *b, struct ls_model_pipeline *p,
                           const struct ls_node *key, const struct ls_node *val)
{
    static const char *const keys[] = {"inputs", "parsers", "outputs", NULL};
    const struct ls_node *ins, *pars, *outs, *at = ls_node_is_null(val) ? key : val;
    char *path = ls_xasprintf("pipelines.%s", key->str);
    char buf[LS_CLIP_SIZE];

    p->name = ls_xstrdup(key->str);
    if (!ls_model_name_ok(key->str)) {
        ls_errors_add(b->errs, key, "pipelines", "pipeline name '%s' " LS_NAME_RULE,
                      ls_clip(buf, sizeof buf, key->str, strlen(key->str)));
    }
    if (!ls_node_is_null(val) && val->kind != LS_NODE_MAP) {
        ls_errors_add(b->errs, val, path,
                      "expected a mapping of inputs, parsers and outputs, "
                      "got %s",
                      ls_node_kind_name(val));
        free(path);
        return;
    }
    if (!ls_node_is_null(val)) {
        ls_options_apply(NULL, 0, val, path, keys, b->errs);
    }
    ins = pipeline_list(b, val, p->name, "inputs");
    pars = pipeline_list(b, val, p->name, "parsers");
    outs = pipeline_list(b, val, p->name, "outputs");
    if (!ins || ins->n == 0) {
        ls_errors_add(b->errs, ins ? ins : at, path, "a pipeline needs at least one input");
    }
    if (!outs || outs->n == 0) {
        ls_errors_add(b->errs, outs ? outs : at, path, "a pipeline needs at least one output");
    }
    build_instances(b, p, LS_KIND_INPUT, ins, "inputs", &p->inputs, &p->ninputs);
    build_instances(b, p, LS_KIND_PARSER, pars, "parsers", &p->parsers, &p->nparsers);
    p->routes = outs && outs->n ? ls_xcalloc(outs->n, sizeof *p->routes) : NULL;
    for (size_t i = 0; outs && i < outs->n; i++) {
        build_route(b, p, outs->vals[i], i);
    }
    free(path);
}

/* ---- Entry points -------------------------------------------------------------------------- */

static void instance_release(struct ls_model_instance *ins)
{
    if (ins->plugin && ins->conf) {
        ls_options_release(ins->plugin->options, ins->conf);
    }
    free(ins->conf);
    free(ins->name);
    free(ins->canon);
    free(ins->path);
}

void ls_model_free(struct ls_model *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->npipelines; i++) {
        struct ls_model_pipeline *p = &m->pipelines[i];

        for (size_t j = 0; j < p->ninputs; j++) {
            instance_release(&p->inputs[j]);
        }
        for (size_t j = 0; j < p->nparsers; j++) {
            instance_release(&p->parsers[j]);
        }
        for (size_t j = 0; j < p->nroutes; j++) {
            ls_cond_release(&p->routes[j].cond);
        }
        free(p->inputs);
        free(p->parsers);
        free(p->routes);
        free(p->name);
    }
    for (size_t i = 0; i < m->noutputs; i++) {
        instance_release(&m->outputs[i]);
    }
    free(m->pipelines);
    free(m->outputs);
    ls_service_conf_release(&m->service);
    free(m);
}

int ls_model_build(const struct ls_doc *doc, const struct ls_registry *reg, struct ls_model **out,
                   struct ls_errors *errs)
{
    struct ls_model *m = ls_xcalloc(1, sizeof *m);
    const struct ls_node *root = ls_doc_root(doc);
    const struct ls_node *pipes = ls_node_get(root, "pipelines");
    size_t before = errs->count;
    struct ls_model_build b;

    ls_service_conf_parse(doc, &m->service, errs);
    ls_model_build_init(&b, m, reg, errs);
    build_shared_outputs(&b, ls_node_get(root, "outputs"));
    m->npipelines = pipes ? pipes->n : 0;
    m->pipelines = m->npipelines ? ls_xcalloc(m->npipelines, sizeof *m->pipelines) : NULL;
    for (size_t i = 0; i < m->npipelines; i++) {
        build_pipeline(&b, &m->pipelines[i], pipes->keys[i], pipes->vals[i]);
    }
    ls_model_check_names(&b);
    free(b.listeners);
    if (errs->count != before) {
        ls_model_free(m);
        *out = NULL;
        return LS_EINVAL;
    }
    *out = m;
    return LS_OK;
}
