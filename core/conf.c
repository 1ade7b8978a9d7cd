/*
 * conf.c - loading YAML files into positioned ls_node trees, ${ENV} expansion, merging several
 * files into one root, and the error list every configuration module writes into.
 *
 * Each file is parsed twice by libyaml: first as events, to reject cheaply what would make the
 * document API expensive (too many nodes, nesting deeper than LS_CONF_MAX_DEPTH, a second
 * document), then with yaml_parser_load(). The yaml_document_t is then converted into ls_nodes
 * allocated in the doc's arena. An alias becomes a second reference to the same converted node
 * (nodes are immutable once built), so a "billion laughs" file costs nothing to convert; but every
 * node counts its expanded size and height, and a file whose expansion passes LS_CONF_MAX_NODES
 * nodes, MAX_EXPANDED_BYTES bytes of scalar text or LS_CONF_MAX_DEPTH levels is rejected. Every
 * consumer may therefore walk a loaded doc recursively without further bounds.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "util.h"

/* Scalar text after alias and ${ENV} expansion, per file. */
#define MAX_EXPANDED_BYTES ((uint64_t)LS_CONF_MAX_FILE * 4)
/* User text quoted in a message is cut to this many bytes. */
#define CLIP_MAX           60
#define ENV_NAME_MAX       255
#define ARENA_CHUNK        (64 * 1024)

/* ---- Error list ---------------------------------------------------------------------------- */

void ls_errors_init(struct ls_errors *e)
{
    e->lines = NULL;
    e->count = 0;
    e->cap = 0;
}

void ls_errors_release(struct ls_errors *e)
{
    for (size_t i = 0; i < e->count; i++) {
        free(e->lines[i]);
    }
    free(e->lines);
    ls_errors_init(e);
}

/* One error is one line: control characters that came from user input are escaped. */
static void add_line(struct ls_errors *e, const struct ls_sbuf *text)
{
    struct ls_sbuf out;

    ls_sbuf_init(&out);
    for (size_t i = 0; i < text->len; i++) {
        unsigned char c = (unsigned char)text->buf[i];

        if (c == '\n') {
            ls_sbuf_addstr(&out, "\\n");
        } else if (c == '\t') {
            ls_sbuf_addstr(&out, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            ls_sbuf_addf(&out, "\\x%02x", c);
        } else {
            ls_sbuf_add(&out, &text->buf[i], 1);
        }
    }
    ls_grow((void **)&e->lines, &e->cap, e->count + 1, sizeof *e->lines);
    e->lines[e->count++] = ls_sbuf_detach(&out);
}

void ls_errors_vadd(struct ls_errors *e, const struct ls_node *at, const char *path,
                    const char *fmt, va_list ap)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    if (at && at->file) {
        ls_sbuf_addf(&sb, "%s:%d:%d: ", at->file, at->line, at->col);
    }
    if (path && *path) {
        ls_sbuf_addf(&sb, "%s: ", path);
    }
    ls_sbuf_vaddf(&sb, fmt, ap);
    add_line(e, &sb);
    ls_sbuf_release(&sb);
}

void ls_errors_add(struct ls_errors *e, const struct ls_node *at, const char *path, const char *fmt,
                   ...)
{
    va_list ap;

    va_start(ap, fmt);
    ls_errors_vadd(e, at, path, fmt, ap);
    va_end(ap);
}

void ls_errors_add_raw(struct ls_errors *e, const char *fmt, ...)
{
    struct ls_sbuf sb;
    va_list ap;

    ls_sbuf_init(&sb);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    add_line(e, &sb);
    ls_sbuf_release(&sb);
}

void ls_errors_print(const struct ls_errors *e, FILE *f)
{
    for (size_t i = 0; i < e->count; i++) {
        fprintf(f, "%s\n", e->lines[i]);
    }
}

/* ---- The doc and its arena ----------------------------------------------------------------- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct ls_doc {
    struct chunk *chunks;
    struct ls_node *root;
};

static void *doc_alloc(struct ls_doc *doc, size_t n)
{
    struct chunk *c = doc->chunks;
    void *p;

    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

        c = ls_xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = doc->chunks;
        doc->chunks = c;
    }
    p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

static char *doc_strndup(struct ls_doc *doc, const char *s, size_t n)
{
    char *p = doc_alloc(doc, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static struct ls_node **doc_node_array(struct ls_doc *doc, size_t n)
{
    return doc_alloc(doc, (n ? n : 1) * sizeof(struct ls_node *));
}

void ls_doc_free(struct ls_doc *doc)
{
    struct chunk *c, *next;

    if (!doc) {
        return;
    }
    for (c = doc->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    free(doc);
}

const struct ls_node *ls_doc_root(const struct ls_doc *doc)
{
    return doc->root;
}

/* ---- Small helpers ------------------------------------------------------------------------- */

/* User text for a message: at most CLIP_MAX bytes, "..." when cut. */
static const char *clip(char *buf, size_t buflen, const char *s, size_t len)
{
    if (len > CLIP_MAX) {
        snprintf(buf, buflen, "%.*s...", CLIP_MAX, s);
    } else {
        snprintf(buf, buflen, "%.*s", (int)len, s);
    }
    return buf;
}

/* A position-only node, for errors found before a node exists. */
static struct ls_node mark_node(const char *file, yaml_mark_t m)
{
    struct ls_node n = {0};

    n.file = file;
    n.line = (int)m.line + 1;
    n.col = (int)m.column + 1;
    return n;
}

static int is_null_scalar(const struct ls_node *n)
{
    return n->kind == LS_NODE_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
            strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
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
    char buf[CLIP_MAX + 4];

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
    ls_sbuf_addstr(sb, clip(buf, sizeof buf, f->key->str, f->key->len));
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

/* Report every key that repeats an earlier one, in source order. With across_files, pairs from
 * one file are skipped (they were reported when that file was converted). Returns the count. */
static size_t check_dups(struct ls_errors *errs, struct ls_node *const *keys, size_t n,
                         const char *path, int across_files)
{
    struct keyref *refs;
    size_t *first, found = 0;
    char buf[CLIP_MAX + 4];

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
                      clip(buf, sizeof buf, k->str, k->len), f->file, f->line, f->col);
        found++;
    }
    free(first);
    free(refs);
    return found;
}

/* ---- ${ENV} expansion ---------------------------------------------------------------------- */

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

static int env_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Expand one ${...} reference whose body is ref[0..len); append the value to out. */
static int expand_ref(struct loader *ld, const struct ls_node *at, const struct frame *fr,
                      const char *ref, size_t len, struct ls_sbuf *out)
{
    const char *sep = NULL, *val;
    char name[ENV_NAME_MAX + 1], buf[CLIP_MAX + 4];
    size_t nlen = len;

    for (size_t i = 0; i + 1 < len; i++) {
        if (ref[i] == ':' && ref[i + 1] == '-') {
            sep = ref + i;
            nlen = i;
            break;
        }
    }
    if (!env_name_ok(ref, nlen)) {
        loader_error(ld, at, fr,
                     "invalid environment variable reference '${%s}' (write $$ for a "
                     "literal $)",
                     clip(buf, sizeof buf, ref, len));
        return -1;
    }
    memcpy(name, ref, nlen);
    name[nlen] = '\0';
    val = getenv(name);
    if (sep && (!val || !*val)) {
        ls_sbuf_add(out, sep + 2, len - nlen - 2);
        return 0;
    }
    if (!val) {
        loader_error(ld, at, fr, "environment variable '%s' is not set", name);
        return -1;
    }
    ls_sbuf_addstr(out, val);
    return 0;
}

/* `$$` is a literal `$`; `${NAME}` and `${NAME:-default}` are replaced; any other `$` stays. */
static int expand_env(struct loader *ld, struct ls_node *n, const struct frame *fr, const char *s,
                      size_t len)
{
    struct ls_sbuf out;
    size_t i = 0;
    int rc = 0;

    if (!memchr(s, '$', len)) {
        n->str = doc_strndup(ld->doc, s, len);
        n->len = len;
        return 0;
    }
    ls_sbuf_init(&out);
    ls_sbuf_add(&out, "", 0);
    while (i < len) {
        const char *end;

        if (s[i] != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            ls_sbuf_add(&out, s + i, 1);
            i++;
            continue;
        }
        if (s[i + 1] == '$') {
            ls_sbuf_add(&out, "$", 1);
            i += 2;
            continue;
        }
        end = memchr(s + i + 2, '}', len - i - 2);
        if (!end) {
            loader_error(ld, n, fr, "unterminated '${' (write $$ for a literal $)");
            rc = -1;
            break;
        }
        if (expand_ref(ld, n, fr, s + i + 2, (size_t)(end - s) - i - 2, &out) < 0) {
            rc = -1;
        }
        i = (size_t)(end - s) + 1;
    }
    n->str = doc_strndup(ld->doc, out.buf, out.len);
    n->len = out.len;
    ls_sbuf_release(&out);
    return rc;
}

/* ---- Converting a yaml_document_t ---------------------------------------------------------- */

static struct ls_node *convert(struct loader *ld, int idx, int depth, const struct frame *fr);

static struct ls_node *new_node(struct loader *ld, const yaml_node_t *yn, int kind)
{
    struct ls_node *n = doc_alloc(ld->doc, sizeof *n);

    n->kind = kind;
    n->file = ld->file;
    n->line = (int)yn->start_mark.line + 1;
    n->col = (int)yn->start_mark.column + 1;
    return n;
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
        expand_env(ld, n, fr, v, len);
    } else {
        n->str = doc_strndup(ld->doc, v, len);
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
        n->str = doc_strndup(ld->doc, "?", 1);
        n->len = 1;
    } else {
        convert_scalar(ld, yn, n, fr, 0);
    }
    parent->nodes = add_capped(parent->nodes, 1, LS_CONF_MAX_NODES);
    parent->bytes = add_capped(parent->bytes, n->len, MAX_EXPANDED_BYTES);
    return n;
}

static int convert_seq(struct loader *ld, const yaml_node_t *yn, struct ls_node *n, int depth,
                       const struct frame *fr, struct slot *s)
{
    yaml_node_item_t *it = yn->data.sequence.items.start;
    size_t count = (size_t)(yn->data.sequence.items.top - it);

    n->n = count;
    n->vals = doc_node_array(ld->doc, count);
    for (size_t i = 0; i < count; i++) {
        struct frame child = {fr, NULL, i};
        struct slot *cs;

        n->vals[i] = convert(ld, it[i], depth + 1, &child);
        if (!n->vals[i]) {
            return -1;
        }
        cs = &ld->slots[it[i] - 1];
        s->nodes = add_capped(s->nodes, cs->nodes, LS_CONF_MAX_NODES);
        s->bytes = add_capped(s->bytes, cs->bytes, MAX_EXPANDED_BYTES);
        s->height = cs->height + 1 > s->height ? cs->height + 1 : s->height;
    }
    return 0;
}

static int convert_map(struct loader *ld, const yaml_node_t *yn, struct ls_node *n, int depth,
                       const struct frame *fr, struct slot *s)
{
    yaml_node_pair_t *p = yn->data.mapping.pairs.start;
    size_t count = (size_t)(yn->data.mapping.pairs.top - p);

    n->n = count;
    n->keys = doc_node_array(ld->doc, count);
    n->vals = doc_node_array(ld->doc, count);
    for (size_t i = 0; i < count; i++) {
        struct frame child = {fr, NULL, 0};
        struct slot *cs;

        n->keys[i] = convert_key(ld, p[i].key, fr, s);
        child.key = n->keys[i];
        n->vals[i] = convert(ld, p[i].value, depth + 1, &child);
        if (!n->vals[i]) {
            return -1;
        }
        cs = &ld->slots[p[i].value - 1];
        s->nodes = add_capped(s->nodes, cs->nodes, LS_CONF_MAX_NODES);
        s->bytes = add_capped(s->bytes, cs->bytes, MAX_EXPANDED_BYTES);
        s->height = cs->height + 1 > s->height ? cs->height + 1 : s->height;
    }
    if (count > 1) {
        struct ls_sbuf path;

        ls_sbuf_init(&path);
        frame_render(fr, &path);
        check_dups(ld->errs, n->keys, count, path.buf, 0);
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
    if (s->bytes > MAX_EXPANDED_BYTES) {
        loader_error(ld, at, fr, "too much text after alias expansion (limit %llu MiB)",
                     (unsigned long long)(MAX_EXPANDED_BYTES >> 20));
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
static int parse_file(struct ls_doc *doc, const char *file, const char *buf, size_t len,
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

/* ---- Merging files ------------------------------------------------------------------------- */

static const char *const section_names[] = {"service", "outputs", "pipelines", NULL};
#define NSECTIONS 3

struct section {
    struct ls_node *key; /* first `name:` key seen, NULL if none */
    struct ls_node *map; /* first value (for the merged map's position) */
    struct ls_node **keys, **vals;
    size_t n, cap, vcap;
    int order;
};

struct merge {
    struct section sec[NSECTIONS];
    int norder;
    const char *first_file;
};

static void merge_release(struct merge *mg)
{
    for (int i = 0; i < NSECTIONS; i++) {
        free(mg->sec[i].keys);
        free(mg->sec[i].vals);
    }
}

static void merge_entries(struct section *sec, const struct ls_node *map)
{
    for (size_t i = 0; i < map->n; i++) {
        ls_grow((void **)&sec->keys, &sec->cap, sec->n + 1, sizeof *sec->keys);
        ls_grow((void **)&sec->vals, &sec->vcap, sec->n + 1, sizeof *sec->vals);
        sec->keys[sec->n] = map->keys[i];
        sec->vals[sec->n] = map->vals[i];
        sec->n++;
    }
}

static int find_section(const struct ls_node *key)
{
    for (int i = 0; i < NSECTIONS; i++) {
        if (strcmp(key->str, section_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static void merge_pair(struct merge *mg, struct ls_node *key, struct ls_node *val,
                       struct ls_errors *errs)
{
    int i = find_section(key);
    struct section *sec;
    char buf[CLIP_MAX + 4];

    if (i < 0) {
        const char *s = ls_suggest(key->str, section_names);

        clip(buf, sizeof buf, key->str, key->len);
        if (s) {
            ls_errors_add(errs, key, NULL, "unknown top-level key '%s' (did you mean '%s'?)", buf,
                          s);
        } else {
            ls_errors_add(errs, key, NULL,
                          "unknown top-level key '%s' (expected service, outputs or pipelines)",
                          buf);
        }
        return;
    }
    sec = &mg->sec[i];
    if (!sec->key) {
        sec->key = key;
        sec->order = mg->norder++;
    }
    if (is_null_scalar(val)) {
        return;
    }
    if (val->kind != LS_NODE_MAP) {
        ls_errors_add(errs, val, section_names[i], "expected a mapping, got %s",
                      ls_node_kind_name(val));
        return;
    }
    if (!sec->map) {
        sec->map = val;
    }
    merge_entries(sec, val);
}

static void merge_file(struct merge *mg, struct ls_node *root, struct ls_errors *errs)
{
    if (!root || is_null_scalar(root)) {
        return;
    }
    if (root->kind != LS_NODE_MAP) {
        ls_errors_add(errs, root, NULL,
                      "the top level must be a mapping of service, outputs and pipelines, got %s",
                      ls_node_kind_name(root));
        return;
    }
    for (size_t i = 0; i < root->n; i++) {
        merge_pair(mg, root->keys[i], root->vals[i], errs);
    }
}

/* Build the merged root; report keys defined by two files. */
static void merge_finish(struct ls_doc *doc, struct merge *mg, struct ls_errors *errs)
{
    struct ls_node *root = doc_alloc(doc, sizeof *root);
    size_t nsec = 0;

    root->kind = LS_NODE_MAP;
    root->file = mg->first_file;
    root->line = 1;
    root->col = 1;
    root->keys = doc_node_array(doc, NSECTIONS);
    root->vals = doc_node_array(doc, NSECTIONS);
    for (int order = 0; order < mg->norder; order++) {
        for (int i = 0; i < NSECTIONS; i++) {
            struct section *sec = &mg->sec[i];
            struct ls_node *m;

            if (!sec->key || sec->order != order) {
                continue;
            }
            check_dups(errs, sec->keys, sec->n, section_names[i], 1);
            m = doc_alloc(doc, sizeof *m);
            *m = sec->map ? *sec->map : *sec->key;
            m->kind = LS_NODE_MAP;
            m->str = NULL;
            m->len = 0;
            m->plain = 0;
            m->n = sec->n;
            m->keys = doc_node_array(doc, sec->n);
            m->vals = doc_node_array(doc, sec->n);
            if (sec->n) {
                memcpy(m->keys, sec->keys, sec->n * sizeof *m->keys);
                memcpy(m->vals, sec->vals, sec->n * sizeof *m->vals);
            }
            root->keys[nsec] = sec->key;
            root->vals[nsec] = m;
            nsec++;
        }
    }
    root->n = nsec;
    doc->root = root;
}

static void load_buffer(struct ls_doc *doc, struct merge *mg, const char *file, const char *buf,
                        size_t len, struct ls_errors *errs)
{
    struct ls_node *root;

    if (!mg->first_file) {
        mg->first_file = file;
    }
    if (len > LS_CONF_MAX_FILE) {
        ls_errors_add_raw(errs, "%s: file is too large (limit %d bytes)", file, LS_CONF_MAX_FILE);
        return;
    }
    parse_file(doc, file, buf, len, &root, errs);
    merge_file(mg, root, errs);
}

/* ---- Files and directories ----------------------------------------------------------------- */

/* Read a whole regular file of at most LS_CONF_MAX_FILE bytes. Returns 0 or -1 (error added). */
static int read_file(const char *path, char **out, size_t *outlen, struct ls_errors *errs)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    /* O_NONBLOCK: a FIFO named *.yaml must not hang the loader (regular files ignore it) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        ls_errors_add_raw(errs, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        ls_errors_add_raw(errs, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    if (!S_ISREG(st.st_mode)) {
        ls_errors_add_raw(errs, "%s: not a regular file", path);
        goto out_close;
    }
    buf = ls_xmalloc(LS_CONF_MAX_FILE + 1);
    for (;;) {
        ssize_t r = read(fd, buf + len, LS_CONF_MAX_FILE + 1 - len);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            ls_errors_add_raw(errs, "%s: %s", path, strerror(errno));
            goto out_free;
        }
        if (r == 0) {
            break;
        }
        len += (size_t)r;
        if (len > LS_CONF_MAX_FILE) {
            break;
        }
    }
    if (len > LS_CONF_MAX_FILE) {
        ls_errors_add_raw(errs, "%s: file is too large (limit %d bytes)", path, LS_CONF_MAX_FILE);
        goto out_free;
    }
    close(fd);
    *out = buf;
    *outlen = len;
    return 0;
out_free:
    free(buf);
out_close:
    close(fd);
    return -1;
}

static int yaml_name(const char *name)
{
    size_t n = strlen(name);

    if (name[0] == '.') {
        return 0;
    }
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The `*.yaml` / `*.yml` files of dir (not directories, not hidden), joined with dir and sorted
 * by name. Returns 0, or -1 with an error added. */
static int list_dir(const char *dir, char ***out, size_t *count, struct ls_errors *errs)
{
    size_t dlen = strlen(dir), n = 0, cap = 0;
    const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
    char **names = NULL;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (!d) {
        ls_errors_add_raw(errs, "%s: %s", dir, strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        struct stat st;
        char *p;

        if (!yaml_name(de->d_name)) {
            continue;
        }
        p = ls_xasprintf("%s%s%s", dir, sep, de->d_name);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            free(p);
            continue;
        }
        ls_grow((void **)&names, &cap, n + 1, sizeof *names);
        names[n++] = p;
    }
    closedir(d);
    if (n > 1) {
        qsort(names, n, sizeof *names, cmp_str);
    }
    *out = names;
    *count = n;
    return 0;
}

static void load_file(struct ls_doc *doc, struct merge *mg, const char *path,
                      struct ls_errors *errs)
{
    const char *file = doc_strndup(doc, path, strlen(path));
    char *buf;
    size_t len;

    if (!mg->first_file) {
        mg->first_file = file;
    }
    if (read_file(path, &buf, &len, errs) == 0) {
        load_buffer(doc, mg, file, buf, len, errs);
        free(buf);
    }
}

static void load_dir(struct ls_doc *doc, struct merge *mg, const char *dir, struct ls_errors *errs)
{
    size_t n = 0;
    char **files;

    if (list_dir(dir, &files, &n, errs) < 0) {
        return;
    }
    if (n == 0) {
        ls_errors_add_raw(errs, "%s: no *.yaml files", dir);
    }
    for (size_t i = 0; i < n; i++) {
        load_file(doc, mg, files[i], errs);
        free(files[i]);
    }
    free(files);
}

static int finish(struct ls_doc *doc, struct merge *mg, struct ls_doc **out, size_t before,
                  struct ls_errors *errs)
{
    merge_finish(doc, mg, errs);
    merge_release(mg);
    if (errs->count != before) {
        ls_doc_free(doc);
        *out = NULL;
        return LS_EINVAL;
    }
    *out = doc;
    return LS_OK;
}

int ls_conf_load(const char *path, struct ls_doc **out, struct ls_errors *errs)
{
    struct ls_doc *doc = ls_xcalloc(1, sizeof *doc);
    struct merge mg = {0};
    size_t before = errs->count;
    struct stat st;

    if (stat(path, &st) < 0) {
        ls_errors_add_raw(errs, "%s: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        load_dir(doc, &mg, path, errs);
    } else {
        load_file(doc, &mg, path, errs);
    }
    return finish(doc, &mg, out, before, errs);
}

int ls_conf_load_buffer(const char *name, const char *buf, size_t len, struct ls_doc **out,
                        struct ls_errors *errs)
{
    struct ls_doc *doc = ls_xcalloc(1, sizeof *doc);
    struct merge mg = {0};
    size_t before = errs->count;

    load_buffer(doc, &mg, doc_strndup(doc, name, strlen(name)), buf, len, errs);
    return finish(doc, &mg, out, before, errs);
}

/* ---- Queries ------------------------------------------------------------------------------- */

const struct ls_node *ls_node_get(const struct ls_node *map, const char *key)
{
    if (!map || map->kind != LS_NODE_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->n; i++) {
        if (strcmp(map->keys[i]->str, key) == 0) {
            return map->vals[i];
        }
    }
    return NULL;
}

const char *ls_node_kind_name(const struct ls_node *n)
{
    if (!n) {
        return "nothing";
    }
    switch (n->kind) {
    case LS_NODE_MAP:
        return "a mapping";
    case LS_NODE_SEQ:
        return "a list";
    default:
        return "a scalar";
    }
}

static void canon_str(struct ls_sbuf *sb, const char *s, size_t len)
{
    ls_sbuf_add(sb, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            ls_sbuf_add(sb, "\\", 1);
            ls_sbuf_add(sb, &s[i], 1);
        } else if (c < 0x20 || c == 0x7f) {
            ls_sbuf_addf(sb, "\\x%02x", c);
        } else {
            ls_sbuf_add(sb, &s[i], 1);
        }
    }
    ls_sbuf_add(sb, "\"", 1);
}

static void canon(struct ls_sbuf *sb, const struct ls_node *n)
{
    if (n->kind == LS_NODE_SCALAR) {
        if (is_null_scalar(n)) {
            ls_sbuf_addstr(sb, "~");
        } else {
            canon_str(sb, n->str, n->len);
        }
        return;
    }
    ls_sbuf_addstr(sb, n->kind == LS_NODE_MAP ? "{" : "[");
    for (size_t i = 0; i < n->n; i++) {
        if (i) {
            ls_sbuf_addstr(sb, ",");
        }
        if (n->kind == LS_NODE_MAP) {
            canon_str(sb, n->keys[i]->str, n->keys[i]->len);
            ls_sbuf_addstr(sb, ":");
        }
        canon(sb, n->vals[i]);
    }
    ls_sbuf_addstr(sb, n->kind == LS_NODE_MAP ? "}" : "]");
}

char *ls_node_canonical(const struct ls_node *n)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    if (n) {
        canon(&sb, n);
    }
    return ls_sbuf_detach(&sb);
}

/* Edit distance counting insertions, deletions, substitutions and transpositions of adjacent
 * characters ("tpc" -> "tcp" is 1), or `cap` as soon as it must be at least cap. */
static size_t edit_distance(const char *a, size_t al, const char *b, size_t bl, size_t cap)
{
    size_t *rows = ls_xmalloc(3 * (bl + 1) * sizeof *rows), d;
    size_t *prev2 = rows, *prev = rows + bl + 1, *cur = rows + 2 * (bl + 1);

    for (size_t j = 0; j <= bl; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= al; i++) {
        size_t best;

        cur[0] = i;
        best = i;
        for (size_t j = 1; j <= bl; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);

            v = prev[j] + 1 < v ? prev[j] + 1 : v;
            v = cur[j - 1] + 1 < v ? cur[j - 1] + 1 : v;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v) {
                v = prev2[j - 2] + 1;
            }
            cur[j] = v;
            best = v < best ? v : best;
        }
        if (best >= cap) {
            free(rows);
            return cap;
        }
        {
            size_t *t = prev2;

            prev2 = prev;
            prev = cur;
            cur = t;
        }
    }
    d = prev[bl];
    free(rows);
    return d;
}

const char *ls_suggest(const char *word, const char *const *candidates)
{
    size_t wl = strlen(word), maxd = wl / 3 > 1 ? wl / 3 : 1, bestd = maxd + 1;
    const char *best = NULL;

    if (!candidates) {
        return NULL;
    }
    for (const char *const *c = candidates; *c; c++) {
        size_t cl = strlen(*c), d;

        if ((wl > cl ? wl - cl : cl - wl) > maxd) {
            continue;
        }
        d = edit_distance(word, wl, *c, cl, bestd);
        if (d < bestd) {
            bestd = d;
            best = *c;
        }
    }
    return best;
}
