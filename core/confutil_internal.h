/*
 * confutil_internal.h - private to the configuration modules (the YAML loader, the option
 * tables, the model builder): the "not given" tests every module applies to a
 * node, and the one way user text is cut before it is quoted in an error line.
 *
 * Invariants: a node's str is NUL-terminated with no NUL inside (the loader guarantees it), so
 * strlen(n->str) == n->len for the predicates below.
 *
 * Ownership: nothing here allocates; ls_clip() writes into the caller's buffer.
 */
#ifndef LS_CONFUTIL_INTERNAL_H
#define LS_CONFUTIL_INTERNAL_H

#include <stddef.h>

#include "conf.h"

/* User text quoted in a message is cut to this many bytes ("..." appended when cut). */
#define LS_CLIP_MAX  60
#define LS_CLIP_SIZE (LS_CLIP_MAX + 4) /* a buffer for ls_clip(): the text, "..." and NUL */

/* s[0..len) for a message: at most LS_CLIP_MAX bytes, "..." when cut. Returns buf. */
const char *ls_clip(char *buf, size_t buflen, const char *s, size_t len);

/* A value that was not given: NULL, or a plain (unquoted) scalar that is empty, `~`, `null`,
 * `Null` or `NULL`. Quoted "null" is a string. */
int ls_node_is_null(const struct ls_node *n);

/* For `type:` and output references, where `null` is a plugin's or an output's name: NULL, or a
 * plain scalar that is empty or `~`. */
int ls_node_is_absent(const struct ls_node *n);

#endif /* LS_CONFUTIL_INTERNAL_H */
