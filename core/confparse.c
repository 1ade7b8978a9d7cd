/*
 * confparse.c - one file's YAML text into a tree of positioned ls_nodes in the doc's arena.
 *
 * Each file is parsed twice by libyaml: first as events, to reject cheaply what would make the
 * document API expensive (too many nodes, nesting deeper than LS_CONF_MAX_DEPTH, a second
 * document), then with yaml_parser_load(). The yaml_document_t is then converted into ls_nodes
 * allocated in the doc's arena. An alias becomes a second reference to the same converted node
 * (nodes are immutable once built), so a "billion laughs" file costs nothing to convert; but every
 * node counts its expanded size and height, and a file whose expansion passes LS_CONF_MAX_NODES
 * nodes, LS_CONF_MAX_EXPANDED bytes of scalar text or LS_CONF_MAX_DEPTH levels is rejected. Every
 * consumer may therefore walk a loaded doc recursively without further bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf_internal.h"
#include "confutil_internal.h"
#include "util.h"

/* ---- Small helpers ------------------------------------------------------------------------- */

/* A position-only node, for errors found before a node exists. */
static struct ls_node mark_node(const char *file, yaml_mark_t m)
{
    struct ls_node n = {0};

    n.file = file;
    n.line = (int)m.line + 1;
    n.col = (int)m.column + 1;
    return n;
}

static uint64_t add_capped(uint64_t a, uint64_t b, uint64_t limit)
{
    return a + b > limit ? limit + 1 : a + b;
}

/* ---- Config paths of nodes being converted, rendered only for messages --------------------- */

struct frame {
    const struct frame *up;
    const struct ls_node *key; /* NULL: an index into a list */
    size_t index;
};

static void frame_render(const struct frame *f, struct ls_sbuf *sb)
{
    char buf[LS_CLIP_SIZE];

    if (!f) {
        return;
    }
    frame_render(f->up, sb);
    if (!f->key) {
        ls_sbuf_addf(sb, "[%zu]", f->index);
        return;
    }
    if (sb->len) {
        ls_sbuf_addstr(sb, ".");
    }
    ls_sbuf_addstr(sb, ls_clip(buf, sizeof buf, f->key->str, f->key->len));
}

/* ---- Duplicate keys ------------------------------------------------------------------------ */

struct keyref {
    const struct ls_node *key;
    size_t idx;
};

static int keyref_cmp(const void *pa, const void *pb)
{
    const struct keyref *a = pa, *b = pb;
    size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
    int c = memcmp(a->key->str, b->key->str, n);

    if (c) {
        return c;
    }
    if (a->key->len != b->key->len) {
        return a->key->len < b->key->len ? -1 : 1;
    }
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int same_key(const struct ls_node *a, const struct ls_node *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

size_t ls_conf_check_dups(struct ls_errors *errs, struct ls_node *const *keys, size_t n,
                          const char *path, int across_files)
{
    struct keyref *refs;
    size_t *first, found = 0;
    char buf[LS_CLIP_SIZE];

    if (n < 2) {
        return 0;
    }
    refs = ls_xmalloc(n * sizeof *refs);
    first = ls_xmalloc(n * sizeof *first);
    for (size_t i = 0; i < n; i++) {
        refs[i].key = keys[i];
        refs[i].idx = i;
        first[i] = i;
    }
    qsort(refs, n, sizeof *refs, keyref_cmp);
    for (size_t i = 1; i < n; i++) {
        size_t g = i;

        while (g > 0 && same_key(refs[g - 1].key, refs[i].key)) {
            g--;
        }
        first[refs[i].idx] = refs[g].idx;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ls_node *k = keys[i], *f = keys[first[i]];

        if (first[i] == i || (across_files && k->file == f->file)) {
            continue;
        }
        ls_errors_add(errs, k, path, "duplicate key '%s' (first at %s:%d:%d)",
                      ls_clip(buf, sizeof buf, k->str, k->len), f->file, f->line, f->col);
        found++;
    }
    free(first);
    free(refs);
    return found;
}

/* ---- The conversion's state ---------------------------------------------------------------- */

struct loader {
    struct ls_doc *doc;
    struct ls_errors *errs;
    const char *file;
    yaml_document_t *y;
    struct slot *slots;
    size_t nslots;
};

enum { SLOT_NEW = 0, SLOT_BUSY = 1, SLOT_DONE = 2 };

/* Per yaml node: its conversion (shared by every alias of it) and its expanded size. */
struct slot {
    int state;
    struct ls_node *node;
    uint64_t nodes, bytes;
    int height; /* collection levels in the subtree, this node's included */
};

static void loader_error(struct loader *ld, const struct ls_node *at, const struct frame *fr,
                         const char *fmt, ...) LS_PRINTF(4, 5);

static void loader_error(struct loader *ld, const struct ls_node *at, const struct frame *fr,
                         const char *fmt, ...)
{
    struct ls_sbuf path;
    va_list ap;

    ls_sbuf_init(&path);
    frame_render(fr, &path);
    va_start(ap, fmt);
    ls_errors_vadd(ld->errs, at, path.buf, fmt, ap);
    va_end(ap);
    ls_sbuf_release(&path);
}

/* ---- Converting a yaml_document_t ---------------------------------------------------------- */

static struct ls_node *convert(struct loader *ld, int idx, int depth, const struct frame *fr);

static struct ls_node *new_node(struct loader *ld, const yaml_node_t *yn, int kind)
{
    struct ls_node *n = ls_doc_alloc(ld->doc, sizeof *n);

    n->kind = kind;
    n->file = ld->file;
    n->line = (int)yn->start_mark.line + 1;
    n->col = (int)yn->start_mark.column + 1;
    return n;
}

/* The scalar's value after ${ENV} expansion (the path is rendered only when there is a `$`). */
static void expand_scalar(struct loader *ld, struct ls_node *n, const struct frame *fr,
                          const char *s, size_t len)
{
    struct ls_sbuf out, path;

    if (!memchr(s, '$', len)) {
        n->str = ls_doc_strndup(ld->doc, s, len);
        n->len = len;
        return;
    }
    ls_sbuf_init(&out);
    ls_sbuf_add(&out, "", 0);
    ls_sbuf_init(&path);
    frame_render(fr, &path);
    ls_env_expand(s, len, &out, ld->errs, n, path.buf);
    ls_sbuf_release(&path);
    n->str = ls_doc_strndup(ld->doc, out.buf, out.len);
    n->len = out.len;
    ls_sbuf_release(&out);
}

static void convert_scalar(struct loader *ld, const yaml_node_t *yn, struct ls_node *n,
                           const struct frame *fr, int expand)
{
    const char *v = (const char *)yn->data.scalar.value;
    size_t len = yn->data.scalar.length;

    n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (memchr(v, '\0', len)) {
        loader_error(ld, n, fr, "value contains a NUL character");
        len = strlen(v);
    }
    if (expand) {
        expand_scalar(ld, n, fr, v, len);
    } else {
        n->str = ls_doc_strndup(ld->doc, v, len);
        n->len = len;
    }
}

/* Mapping keys are scalars, never expanded and never shared. */
static struct ls_node *convert_key(struct loader *ld, int idx, const struct frame *fr,
                                   struct slot *parent)
{
    yaml_node_t *yn = yaml_document_get_node(ld->y, idx);
    struct ls_node *n;

    n = new_node(ld, yn, LS_NODE_SCALAR);
    if (yn->type != YAML_SCALAR_NODE) {
        loader_error(ld, n, fr, "mapping keys must be scalars, got %s",
                     yn->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
        n->str = ls_doc_strndup(ld->doc, "?", 1);
        n->len = 1;
    } else {
        convert_scalar(ld, yn, n, fr, 0);
    }
    parent->nodes = add_capped(parent->nodes, 1, LS_CONF_MAX_NODES);
    parent->bytes = add_capped(parent->bytes, n->len, LS_CONF_MAX_EXPANDED);
    return n;
}

/* A collection's slot takes in a converted child's expanded size and height. */
static void absorb(struct slot *s, const struct slot *child)
{
    s->nodes = add_capped(s->nodes, child->nodes, LS_CONF_MAX_NODES);
    s->bytes = add_capped(s->bytes, child->bytes, LS_CONF_MAX_EXPANDED);
    s->height = child->height + 1 > s->height ? child->height + 1 : s->height;
}

static int convert_seq(struct loader *ld, const yaml_node_t *yn, struct ls_node *n, int depth,
                       const struct frame *fr, struct slot *s)
{
    yaml_node_item_t *it = yn->data.sequence.items.start;
    size_t count = (size_t)(yn->data.sequence.items.top - it);

    n->n = count;
    n->vals = ls_doc_node_array(ld->doc, count);
    for (size_t i = 0; i < count; i++) {
        struct frame child = {fr, NULL, i};

        n->vals[i] = convert(ld, it[i], depth + 1, &child);
        if (!n->vals[i]) {
            return -1;
        }
        absorb(s, &ld->slots[it[i] - 1]);
    }
    return 0;
}

static int convert_map(struct loader *ld, const yaml_node_t *yn, struct ls_node *n, int depth,
                       const struct frame *fr, struct slot *s)
{
    yaml_node_pair_t *p = yn->data.mapping.pairs.start;
    size_t count = (size_t)(yn->data.mapping.pairs.top - p);

    n->n = count;
    n->keys = ls_doc_node_array(ld->doc, count);
    n->vals = ls_doc_node_array(ld->doc, count);
    for (size_t i = 0; i < count; i++) {
        struct frame child = {fr, NULL, 0};

        n->keys[i] = convert_key(ld, p[i].key, fr, s);
        child.key = n->keys[i];
        n->vals[i] = convert(ld, p[i].value, depth + 1, &child);
        if (!n->vals[i]) {
            return -1;
        }
        absorb(s, &ld->slots[p[i].value - 1]);
    }
    if (count > 1) {
        struct ls_sbuf path;

        ls_sbuf_init(&path);
        frame_render(fr, &path);
        ls_conf_check_dups(ld->errs, n->keys, count, path.buf, 0);
        ls_sbuf_release(&path);
    }
    return 0;
}

/* Bounds on the expanded subtree at `depth` enclosing collections. Returns 0 or -1 (fatal). */
static int check_expanded(struct loader *ld, const struct slot *s, const struct ls_node *at,
                          int depth, const struct frame *fr)
{
    if (depth + s->height > LS_CONF_MAX_DEPTH) {
        loader_error(ld, at, fr, "nested deeper than %d levels", LS_CONF_MAX_DEPTH);
        return -1;
    }
    if (s->nodes > LS_CONF_MAX_NODES) {
        loader_error(ld, at, fr, "too many nodes after alias expansion (limit %d)",
                     LS_CONF_MAX_NODES);
        return -1;
    }
    if (s->bytes > LS_CONF_MAX_EXPANDED) {
        loader_error(ld, at, fr, "too much text after alias expansion (limit %llu MiB)",
                     (unsigned long long)(LS_CONF_MAX_EXPANDED >> 20));
        return -1;
    }
    return 0;
}

/* Convert yaml node `idx` found under `depth` collections. NULL on a fatal error (limits,
 * recursive alias), which ends the file; other errors are recorded and conversion goes on. */
static struct ls_node *convert(struct loader *ld, int idx, int depth, const struct frame *fr)
{
    yaml_node_t *yn = yaml_document_get_node(ld->y, idx);
    struct slot *s;
    struct ls_node *n;
    int rc = 0;

    if (!yn) {
        return NULL;
    }
    s = &ld->slots[idx - 1];
    if (s->state == SLOT_DONE) {
        return check_expanded(ld, s, s->node, depth, fr) < 0 ? NULL : s->node;
    }
    if (s->state == SLOT_BUSY) {
        struct ls_node at = mark_node(ld->file, yn->start_mark);

        loader_error(ld, &at, fr, "alias refers to a node that contains it (recursive alias)");
        return NULL;
    }
    s->state = SLOT_BUSY;
    if (yn->type == YAML_SCALAR_NODE) {
        n = new_node(ld, yn, LS_NODE_SCALAR);
        convert_scalar(ld, yn, n, fr, 1);
        s->nodes = 1;
        s->bytes = n->len;
    } else {
        n = new_node(ld, yn, yn->type == YAML_MAPPING_NODE ? LS_NODE_MAP : LS_NODE_SEQ);
        s->nodes = 1;
        s->height = 1;
        if (depth + 1 > LS_CONF_MAX_DEPTH) {
            loader_error(ld, n, fr, "nested deeper than %d levels", LS_CONF_MAX_DEPTH);
            return NULL;
        }
        rc = n->kind == LS_NODE_MAP ? convert_map(ld, yn, n, depth, fr, s)
                                    : convert_seq(ld, yn, n, depth, fr, s);
    }
    if (rc < 0 || check_expanded(ld, s, n, depth, fr) < 0) {
        return NULL;
    }
    s->state = SLOT_DONE;
    s->node = n;
    return n;
}

/* ---- Parsing one file ---------------------------------------------------------------------- */

/* Byte offset -> 1-based line and column (reader errors carry only an offset). */
static struct ls_node offset_node(const char *file, const char *buf, size_t len, size_t off)
{
    struct ls_node n = {0};
    size_t line_start = 0;

    n.file = file;
    n.line = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            n.line++;
            line_start = i + 1;
        }
    }
    n.col = (int)(off - line_start) + 1;
    return n;
}

static void syntax_error(struct ls_errors *errs, const char *file, const yaml_parser_t *p,
                         const char *buf, size_t len)
{
    struct ls_node at;

    if (p->error == YAML_MEMORY_ERROR) {
        ls_errors_add_raw(errs, "%s: out of memory while parsing", file);
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        at = offset_node(file, buf, len, p->problem_offset);
    } else {
        at = mark_node(file, p->problem_mark);
    }
    ls_errors_add(errs, &at, NULL, "syntax error: %s%s%s", p->problem ? p->problem : "invalid YAML",
                  p->context ? " " : "", p->context ? p->context : "");
}

/* Event pass: reject too many nodes, too deep nesting and extra documents before loading. */
static int prescan(struct ls_errors *errs, const char *file, const char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    size_t nodes = 0, docs = 0;
    int depth = 0, rc = -1;

    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    for (;;) {
        struct ls_node at;
        yaml_event_type_t type;

        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(errs, file, &p, buf, len);
            break;
        }
        type = ev.type;
        at = mark_node(file, ev.start_mark);
        yaml_event_delete(&ev);
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
            depth++;
        } else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            ls_errors_add(errs, &at, NULL, "a file may hold only one YAML document");
            break;
        }
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT ||
            type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT) {
            nodes++;
        }
        if (depth > LS_CONF_MAX_DEPTH) {
            ls_errors_add(errs, &at, NULL, "nested deeper than %d levels", LS_CONF_MAX_DEPTH);
            break;
        }
        if (nodes > LS_CONF_MAX_NODES) {
            ls_errors_add(errs, &at, NULL, "too many nodes after alias expansion (limit %d)",
                          LS_CONF_MAX_NODES);
            break;
        }
        if (type == YAML_STREAM_END_EVENT) {
            rc = 0;
            break;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Parse and convert one file. *root is NULL for an empty file or after a fatal error; it is
 * set despite other errors, so that the merge can report its own. Returns 0 or -1. */
int ls_conf_parse_file(struct ls_doc *doc, const char *file, const char *buf, size_t len,
                       struct ls_node **root, struct ls_errors *errs)
{
    struct loader ld = {doc, errs, file, NULL, NULL, 0};
    yaml_parser_t p;
    yaml_document_t y;
    size_t before = errs->count;

    *root = NULL;
    if (prescan(errs, file, buf, len) < 0) {
        return -1;
    }
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&p, &y)) {
        syntax_error(errs, file, &p, buf, len);
        yaml_parser_delete(&p);
        return -1;
    }
    ld.y = &y;
    ld.nslots = (size_t)(y.nodes.top - y.nodes.start);
    if (ld.nslots > 0) {
        ld.slots = ls_xcalloc(ld.nslots, sizeof *ld.slots);
        *root = convert(&ld, 1, 0, NULL);
    }
    free(ld.slots);
    yaml_document_delete(&y);
    yaml_parser_delete(&p);
    return errs->count == before ? 0 : -1;
}
