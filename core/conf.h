/*
 * conf.h - loading the YAML configuration into a tree of positioned nodes, and the one shape
 * every configuration error is written in.
 *
 * ls_conf_load() reads a file, or every `*.yaml` / `*.yml` of a directory in name order, with
 * the libyaml document API, expands ${ENV} / ${ENV:-default} in scalar values, and merges the
 * top-level mappings of all files into one root mapping: `service` (keys merged), `outputs` and
 * `pipelines` (entries merged by name). A key defined twice - in one mapping or across files -
 * is an error naming both places. Alias expansion and nesting depth are capped so hostile
 * files fail fast.
 *
 * Ownership: the doc owns every node and string; nodes live until ls_doc_free(). Errors are
 * collected, never printed here: the caller prints the whole list.
 */
#ifndef LS_CONF_H
#define LS_CONF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "logstream/plugin.h"

#define LS_CONF_MAX_DEPTH 64        /* nesting levels */
#define LS_CONF_MAX_NODES 100000    /* nodes after alias expansion, per file */
#define LS_CONF_MAX_FILE  (4 << 20) /* bytes per file */

enum ls_node_kind {
    LS_NODE_SCALAR = 1,
    LS_NODE_MAP = 2,
    LS_NODE_SEQ = 3,
};

struct ls_node {
    int kind;         /* enum ls_node_kind */
    const char *file; /* path as given to ls_conf_load joined with the file name */
    int line, col;    /* 1-based position of the node's first character */
    /* SCALAR: the value after ${ENV} expansion, NUL-terminated (may contain no NUL). */
    char *str;
    size_t len;
    int plain; /* SCALAR: 1 when unquoted (so `~`/`null` can mean "unset") */
    /* MAP: n pairs keys[i] -> vals[i] (keys are scalars); SEQ: n items vals[i]. */
    size_t n;
    struct ls_node **keys;
    struct ls_node **vals;
};

/* A list of error lines, each already in the final shape. */
struct ls_errors {
    char **lines;
    size_t count, cap;
};

void ls_errors_init(struct ls_errors *e);
void ls_errors_release(struct ls_errors *e);
/* Add "file:line:col: path: message" (path omitted when NULL or empty; position omitted when
 * `at` is NULL, giving "path: message"). */
void ls_errors_add(struct ls_errors *e, const struct ls_node *at, const char *path, const char *fmt,
                   ...) LS_PRINTF(4, 5);
void ls_errors_vadd(struct ls_errors *e, const struct ls_node *at, const char *path,
                    const char *fmt, va_list ap) LS_PRINTF(4, 0);
/* Add a line verbatim (loader messages that name a file, not a node). */
void ls_errors_add_raw(struct ls_errors *e, const char *fmt, ...) LS_PRINTF(2, 3);
/* Print every line followed by '\n'. */
void ls_errors_print(const struct ls_errors *e, FILE *f);

struct ls_doc;

/* Load `path` (a file, or a directory of *.yaml and *.yml files merged in name order). Returns 0
 * and *out, or a negative code with at least one error added (and *out NULL). An empty
 * directory is an error. Caller frees with ls_doc_free(). */
int ls_conf_load(const char *path, struct ls_doc **out, struct ls_errors *errs);
/* Load from a memory buffer, `name` used as the file name in positions (tests, fuzzing). */
int ls_conf_load_buffer(const char *name, const char *buf, size_t len, struct ls_doc **out,
                        struct ls_errors *errs);
void ls_doc_free(struct ls_doc *doc);

/* The merged root mapping (never NULL for a loaded doc; may have n == 0). */
const struct ls_node *ls_doc_root(const struct ls_doc *doc);

/* MAP lookup by key; NULL if absent or `map` is not a MAP. */
const struct ls_node *ls_node_get(const struct ls_node *map, const char *key);
/* Kind as a word for messages: "a mapping", "a list", "a scalar". */
const char *ls_node_kind_name(const struct ls_node *n);
/* A canonical text of the subtree (positions ignored, map keys in source order), for
 * comparing two configurations of an instance across reloads. Caller frees. */
char *ls_node_canonical(const struct ls_node *n);

/* Closest candidate to `word` by edit distance, or NULL if none is close enough (used for
 * "did you mean"). `candidates` is NULL-terminated. */
const char *ls_suggest(const char *word, const char *const *candidates);

#endif /* LS_CONF_H */
