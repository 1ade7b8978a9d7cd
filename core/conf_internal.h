/*
 * conf_internal.h - private to the YAML loader (conf.c, confparse.c, env.c): the doc's arena,
 * turning one file's text into a node tree, the duplicate-key check, and ${ENV} expansion.
 *
 * Invariants: every node and string of a doc is allocated from its arena and lives until
 * ls_doc_free(); nodes are immutable once converted (an alias shares the node it names). A tree
 * returned by ls_conf_parse_file() is bounded by LS_CONF_MAX_DEPTH levels, LS_CONF_MAX_NODES
 * nodes and LS_CONF_MAX_EXPANDED bytes of scalar text after alias expansion, so any consumer
 * may walk it recursively.
 *
 * Ownership: arena memory belongs to the doc (never freed on its own); errors are added to the
 * caller's list, never printed.
 */
#ifndef LS_CONF_INTERNAL_H
#define LS_CONF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

/* Scalar text after alias and ${ENV} expansion, per file. */
#define LS_CONF_MAX_EXPANDED ((uint64_t)LS_CONF_MAX_FILE * 4)

/* Zeroed arena memory of n bytes, aligned for any type. Aborts on out of memory. */
void *ls_doc_alloc(struct ls_doc *doc, size_t n);
/* s[0..n) copied into the arena and NUL-terminated. */
char *ls_doc_strndup(struct ls_doc *doc, const char *s, size_t n);
/* A zeroed array of n node pointers (one slot when n is 0, so it is never NULL). */
struct ls_node **ls_doc_node_array(struct ls_doc *doc, size_t n);

/* Parse and convert one file's text into nodes in doc's arena, `file` used in positions (it
 * must live as long as the doc). *root is NULL for an empty file or after a fatal error
 * (syntax, limits, recursive alias); it is set despite other errors, so that the merge can
 * report its own. Returns 0, or -1 when any error was added. */
int ls_conf_parse_file(struct ls_doc *doc, const char *file, const char *buf, size_t len,
                       struct ls_node **root, struct ls_errors *errs);

/* Report every key of keys[0..n) that repeats an earlier one, in source order, as "duplicate
 * key 'k' (first at file:line:col)" under `path`. With across_files, pairs from one file are
 * skipped (they were reported when that file was converted). Returns the count. */
size_t ls_conf_check_dups(struct ls_errors *errs, struct ls_node *const *keys, size_t n,
                          const char *path, int across_files);

/* Append s[0..len) to out with `${NAME}` and `${NAME:-default}` replaced (the default when NAME
 * is unset or empty), `$$` turned into `$` and any other `$` kept. Each bad or unset reference
 * adds an error at `at` under `path` and expansion goes on; an unterminated `${` ends it.
 * Returns 0, or -1 when an error was added. */
int ls_env_expand(const char *s, size_t len, struct ls_sbuf *out, struct ls_errors *errs,
                  const struct ls_node *at, const char *path);

#endif /* LS_CONF_INTERNAL_H */
