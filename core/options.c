/*
 * options.c - validating a YAML mapping against one or more option tables and filling the
 * config structs they describe (see options.h): unknown keys with "did you mean", wrong kinds,
 * bad values, missing required options. Applying continues past errors so that all of them are
 * reported; a member changes only when its whole value is good.
 */
#include "options.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "confutil_internal.h"
#include "options_internal.h"
#include "util.h"

/* ---- Applying a mapping -------------------------------------------------------------------- */

struct apply {
    struct ls_errors *errs;
    const char *path;
};

static void opt_error(struct apply *a, const struct ls_node *at, const char *name, const char *fmt,
                      ...) LS_PRINTF(4, 5);

static void opt_error(struct apply *a, const struct ls_node *at, const char *name, const char *fmt,
                      ...)
{
    struct ls_sbuf sb;
    va_list ap;

    ls_sbuf_init(&sb);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    ls_errors_add(a->errs, at, a->path, "option '%s': %s", name, sb.buf);
    ls_sbuf_release(&sb);
}

static void kind_error(struct apply *a, const struct ls_option *o, int type,
                       const struct ls_node *n, const char *name)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    ls_opt_add_expected(&sb, o, type);
    opt_error(a, n, name, "expected %s, got %s", sb.buf, ls_node_kind_name(n));
    ls_sbuf_release(&sb);
}

static void parse_error(struct apply *a, const struct ls_option *o, int type,
                        const struct ls_node *n, const char *name, int why)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    ls_opt_add_parse_failure(&sb, o, type, n->str, why);
    opt_error(a, n, name, "%s", sb.buf);
    ls_sbuf_release(&sb);
}

/* The item name for messages: "tags[2]" for an item of a YAML list, "tags" for a lone scalar. */
static char *item_name(const struct ls_node *n, const char *name, size_t i)
{
    return n->kind == LS_NODE_SEQ ? ls_xasprintf("%s[%zu]", name, i) : ls_xstrdup(name);
}

/* A YAML list of scalars, or one scalar as a one-item list. Every bad item is reported; the
 * member changes only when all are good. */
static void apply_list(struct apply *a, const struct ls_option *o, void *conf,
                       const struct ls_node *n, const char *name)
{
    const struct ls_node *const *items = (const struct ls_node *const *)n->vals;
    size_t count = n->n;
    const char **texts;
    struct ls_opt_list l;
    int why, ok = 1;

    if (n->kind == LS_NODE_MAP) {
        kind_error(a, o, LS_OPT_LIST, n, name);
        return;
    }
    if (n->kind == LS_NODE_SCALAR) {
        items = &n;
        count = 1;
    }
    texts = ls_xcalloc(count ? count : 1, sizeof *texts);
    for (size_t i = 0; i < count; i++) {
        union ls_opt_value v;
        char *iname = item_name(n, name, i);
        int rc = LS_PARSE_SYNTAX;

        texts[i] = items[i]->str;
        if (items[i]->kind != LS_NODE_SCALAR) {
            kind_error(a, o, o->item_type, items[i], iname);
        } else if ((rc = ls_opt_parse_text(o, o->item_type, texts[i], &v)) != LS_PARSE_OK) {
            parse_error(a, o, o->item_type, items[i], iname, rc);
        } else if (ls_opt_is_string_type(o->item_type)) {
            free(v.s);
        }
        ok &= rc == LS_PARSE_OK;
        free(iname);
    }
    if (ok && ls_opt_parse_list(o, texts, count, &l, &why) < 0) {
        ls_opt_member_release(o, conf);
        memcpy(ls_opt_member(conf, o), &l, sizeof l);
    }
    free(texts);
}

static void apply_map(struct apply *a, const struct ls_opt_target *targets, size_t ntargets,
                      const struct ls_node *map, const struct ls_node *at, const char *prefix,
                      const char *const *ignore);

static void apply_value(struct apply *a, const struct ls_option *o, void *conf,
                        const struct ls_node *n, const char *name)
{
    union ls_opt_value v;
    int rc;

    if (o->type == LS_OPT_LIST) {
        apply_list(a, o, conf, n, name);
        return;
    }
    if (o->type == LS_OPT_OBJECT) {
        struct ls_opt_target t = {o->sub, conf};
        char *prefix;

        if (n->kind != LS_NODE_MAP) {
            kind_error(a, o, LS_OPT_OBJECT, n, name);
            return;
        }
        prefix = ls_xasprintf("%s.", name);
        apply_map(a, &t, 1, n, n, prefix, NULL);
        free(prefix);
        return;
    }
    if (n->kind != LS_NODE_SCALAR) {
        kind_error(a, o, o->type, n, name);
        return;
    }
    rc = ls_opt_parse_text(o, o->type, n->str, &v);
    if (rc != LS_PARSE_OK) {
        parse_error(a, o, o->type, n, name, rc);
        return;
    }
    ls_opt_member_release(o, conf);
    ls_opt_store_value(ls_opt_member(conf, o), o->type, &v);
}

static const struct ls_option *find_option(const struct ls_opt_target *targets, size_t ntargets,
                                           const char *key, void **conf)
{
    for (size_t t = 0; t < ntargets; t++) {
        for (size_t i = 0; targets[t].table && targets[t].table[i].name && i < LS_OPT_TABLE_MAX;
             i++) {
            if (strcmp(targets[t].table[i].name, key) == 0) {
                *conf = targets[t].conf;
                return &targets[t].table[i];
            }
        }
    }
    return NULL;
}

int ls_opt_in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Report an unknown key; returns the option name suggested for it, or NULL. */
static const char *unknown_key(struct apply *a, const struct ls_opt_target *targets,
                               size_t ntargets, const struct ls_node *key, const char *prefix,
                               const char *const *ignore)
{
    const char **names = NULL;
    size_t n = 0, cap = 0;
    const char *s;
    char buf[LS_CLIP_SIZE];
    char *name;

    for (size_t t = 0; t < ntargets; t++) {
        for (size_t i = 0; targets[t].table && targets[t].table[i].name && i < LS_OPT_TABLE_MAX;
             i++) {
            ls_grow((void **)&names, &cap, n + 2, sizeof *names);
            names[n++] = targets[t].table[i].name;
        }
    }
    for (size_t i = 0; ignore && ignore[i]; i++) {
        ls_grow((void **)&names, &cap, n + 2, sizeof *names);
        names[n++] = ignore[i];
    }
    ls_grow((void **)&names, &cap, n + 1, sizeof *names);
    names[n] = NULL;
    s = ls_suggest(key->str, names);
    name = ls_xasprintf("%s%s", prefix, ls_clip(buf, sizeof buf, key->str, strlen(key->str)));
    if (s) {
        opt_error(a, key, name, "unknown option (did you mean '%s%s'?)", prefix, s);
    } else {
        opt_error(a, key, name, "unknown option");
    }
    free(name);
    free(names);
    return s;
}

/* Options given (or misspelled: an unknown key was reported with a suggestion of them). */
struct given {
    const struct ls_option **opts;
    size_t n, cap;
    const char **suggested;
    size_t nsug, sugcap;
};

static int was_given(const struct given *g, const struct ls_option *o)
{
    for (size_t i = 0; g && i < g->n; i++) {
        if (g->opts[i] == o) {
            return 1;
        }
    }
    for (size_t i = 0; g && i < g->nsug; i++) {
        if (strcmp(g->suggested[i], o->name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Report required options of table that were not given (recursing into objects not given). */
static void check_required(struct apply *a, const struct ls_option *table, const struct given *g,
                           const struct ls_node *at, const char *prefix)
{
    for (size_t i = 0; table && table[i].name && i < LS_OPT_TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];

        if (was_given(g, o)) {
            continue;
        }
        if (o->type == LS_OPT_OBJECT) {
            char *sub = ls_xasprintf("%s%s.", prefix, o->name);

            check_required(a, o->sub, NULL, at, sub);
            free(sub);
        } else if (o->required) {
            ls_errors_add(a->errs, at, a->path, "missing required option '%s%s'", prefix, o->name);
        }
    }
}

/* Apply `map` (may be NULL: no keys) to the targets; `at` positions "missing required". */
static void apply_map(struct apply *a, const struct ls_opt_target *targets, size_t ntargets,
                      const struct ls_node *map, const struct ls_node *at, const char *prefix,
                      const char *const *ignore)
{
    struct given g = {0};

    for (size_t i = 0; map && i < map->n; i++) {
        const struct ls_node *key = map->keys[i], *val = map->vals[i];
        const struct ls_option *o;
        void *conf = NULL;
        char *name;

        if (ls_opt_in_list(ignore, key->str)) {
            continue;
        }
        o = find_option(targets, ntargets, key->str, &conf);
        if (!o) {
            const char *s = unknown_key(a, targets, ntargets, key, prefix, ignore);

            if (s) {
                ls_grow((void **)&g.suggested, &g.sugcap, g.nsug + 1, sizeof *g.suggested);
                g.suggested[g.nsug++] = s;
            }
            continue;
        }
        if (ls_node_is_null(val)) {
            continue;
        }
        ls_grow((void **)&g.opts, &g.cap, g.n + 1, sizeof *g.opts);
        g.opts[g.n++] = o;
        name = ls_xasprintf("%s%s", prefix, o->name);
        apply_value(a, o, conf, val, name);
        free(name);
    }
    for (size_t t = 0; t < ntargets; t++) {
        check_required(a, targets[t].table, &g, at, prefix);
    }
    free(g.opts);
    free(g.suggested);
}

int ls_options_apply(const struct ls_opt_target *targets, size_t ntargets,
                     const struct ls_node *map, const char *path, const char *const *ignore,
                     struct ls_errors *errs)
{
    struct apply a = {errs, path};
    size_t before = errs->count;

    for (size_t t = 0; t < ntargets; t++) {
        ls_options_defaults(targets[t].table, targets[t].conf, errs);
    }
    if (map && ls_node_is_null(map)) {
        map = NULL;
    }
    if (map && map->kind != LS_NODE_MAP) {
        ls_errors_add(errs, map, path, "expected a mapping, got %s", ls_node_kind_name(map));
        return -1;
    }
    apply_map(&a, targets, ntargets, map, map, "", ignore);
    return -(int)(errs->count - before);
}
