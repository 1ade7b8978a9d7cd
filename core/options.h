/*
 * options.h - typed option tables (struct ls_option in plugin.h): validating a YAML mapping
 * against one or more tables and filling the config structs they describe, printing them as
 * help, and the value parsers they share (sizes, durations, addresses).
 *
 * Every error is added to the caller's ls_errors in the one shape
 *   file:line:col: <path>: option '<name>': <message>
 * and applying continues past errors so that all of them are reported.
 *
 * Ownership: strings and lists stored into a config struct are allocated here and released
 * with ls_options_release(); the struct itself belongs to the caller.
 */
#ifndef LS_OPTIONS_H
#define LS_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "logstream/plugin.h"

/* One table and the struct it fills. */
struct ls_opt_target {
    const struct ls_option *table; /* may be NULL (no options) */
    void *conf;
};

/* Validate `map` (a MAP node, or NULL for "no keys given") against the union of the targets'
 * tables and fill each target's struct: defaults first, then the user's values. Keys listed in
 * `ignore` (NULL-terminated, may be NULL) are skipped: the caller handles them. Reports
 * unknown keys (with "did you mean"), wrong types, values out of range, bad enum words,
 * missing required keys. `path` is the config path of the map, e.g. "pipelines.apps.inputs[0]
 * (tcp)". Returns 0 or the negative count of errors added. */
int ls_options_apply(const struct ls_opt_target *targets, size_t ntargets,
                     const struct ls_node *map, const char *path, const char *const *ignore,
                     struct ls_errors *errs);

/* Set every option of `table` in `conf` to its default (what apply does first). */
int ls_options_defaults(const struct ls_option *table, void *conf, struct ls_errors *errs);

/* Free strings and lists stored in `conf` by apply/defaults and zero those members. */
void ls_options_release(const struct ls_option *table, void *conf);

/* Check a plugin's table: names well-formed and unique, types known, offsets + member sizes
 * within conf_size, enum values present for ENUM, item_type valid for LIST, sub present for
 * OBJECT, defaults parse and lie within bounds. Returns 0, or -1 with a one-line reason
 * ("option 'port': default \"x\" is not an int") in why. */
int ls_option_table_check(const struct ls_option *table, size_t conf_size, char *why,
                          size_t whylen);

/* Print the table for --plugin-help: one option per line block with type, default, bounds,
 * enum words and doc; nested OBJECT options indented under their parent. */
void ls_options_help(FILE *f, const struct ls_option *table, int indent);

/* Type name for messages and help: "string", "size", "list of string", ... */
const char *ls_opt_type_name(int type, int item_type);

/* Value parsers. Return 0 or -1. */
int ls_parse_size(const char *s, uint64_t *out);   /* "512", "64k", "64KiB", "1.5MB", "2G" */
int ls_parse_duration(const char *s, int64_t *ns); /* "250ms", "5s", "1m", "2h", "1d", "0" */
int ls_parse_int(const char *s, int64_t *out);     /* decimal, optional sign */
int ls_parse_bool(const char *s, int *out);        /* true/false/yes/no/on/off */
/* "host:port", "[v6addr]:port", "*:port"; port 1..65535 (0 allowed when allow_zero). On
 * success fills host (without brackets; "" for "*") and port. */
int ls_parse_address(const char *s, char *host, size_t hostlen, int *port, int allow_zero);

#endif /* LS_OPTIONS_H */
