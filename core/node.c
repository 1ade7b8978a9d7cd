/*
 * node.c - queries on the nodes of a loaded document: lookup by key, kind names for messages,
 * the "not given" tests, and the canonical text that reload compares.
 */
#include "conf.h"

#include <string.h>

#include "confutil_internal.h"
#include "util.h"

int ls_node_is_null(const struct ls_node *n)
{
    return !n || (n->kind == LS_NODE_SCALAR && n->plain &&
                  (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
                   strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0));
}

int ls_node_is_absent(const struct ls_node *n)
{
    return !n ||
           (n->kind == LS_NODE_SCALAR && n->plain && (n->len == 0 || strcmp(n->str, "~") == 0));
}

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
        if (ls_node_is_null(n)) {
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
