/*
 * conf.c - the loaded document: its arena, reading a file or a directory of files, and merging
 * the files' top-level sections into one root mapping.
 *
 * Each file is parsed on its own (confparse.c) into nodes allocated in the doc's arena; the
 * merge then concatenates the entries of `service`, `outputs` and `pipelines` across files and
 * reports a key defined by two files. The doc is returned only when no error was added.
 */
#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_internal.h"
#include "confutil_internal.h"
#include "util.h"

#define ARENA_CHUNK (64 * 1024)

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

void *ls_doc_alloc(struct ls_doc *doc, size_t n)
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

char *ls_doc_strndup(struct ls_doc *doc, const char *s, size_t n)
{
    char *p = ls_doc_alloc(doc, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

struct ls_node **ls_doc_node_array(struct ls_doc *doc, size_t n)
{
    return ls_doc_alloc(doc, (n ? n : 1) * sizeof(struct ls_node *));
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
    char buf[LS_CLIP_SIZE];

    if (i < 0) {
        const char *s = ls_suggest(key->str, section_names);

        ls_clip(buf, sizeof buf, key->str, key->len);
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
    if (ls_node_is_null(val)) {
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
    if (!root || ls_node_is_null(root)) {
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
    struct ls_node *root = ls_doc_alloc(doc, sizeof *root);
    size_t nsec = 0;

    root->kind = LS_NODE_MAP;
    root->file = mg->first_file;
    root->line = 1;
    root->col = 1;
    root->keys = ls_doc_node_array(doc, NSECTIONS);
    root->vals = ls_doc_node_array(doc, NSECTIONS);
    for (int order = 0; order < mg->norder; order++) {
        for (int i = 0; i < NSECTIONS; i++) {
            struct section *sec = &mg->sec[i];
            struct ls_node *m;

            if (!sec->key || sec->order != order) {
                continue;
            }
            ls_conf_check_dups(errs, sec->keys, sec->n, section_names[i], 1);
            m = ls_doc_alloc(doc, sizeof *m);
            *m = sec->map ? *sec->map : *sec->key;
            m->kind = LS_NODE_MAP;
            m->str = NULL;
            m->len = 0;
            m->plain = 0;
            m->n = sec->n;
            m->keys = ls_doc_node_array(doc, sec->n);
            m->vals = ls_doc_node_array(doc, sec->n);
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
    ls_conf_parse_file(doc, file, buf, len, &root, errs);
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
    const char *file = ls_doc_strndup(doc, path, strlen(path));
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

    load_buffer(doc, &mg, ls_doc_strndup(doc, name, strlen(name)), buf, len, errs);
    return finish(doc, &mg, out, before, errs);
}
