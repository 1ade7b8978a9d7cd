/*
 * options_internal.h - private to the option modules: optvalue.c (one option's value: parsing
 * its text, the message when that fails, storing it in the config struct, table defaults),
 * options.c (applying a YAML mapping), opttable.c (checking a table, printing it as help) and
 * values.c (formatting sizes and durations back into text).
 *
 * Invariant: every value goes through ls_opt_parse_text(), for the user's values, for table
 * defaults and for ls_option_table_check(), so a default that passes the check can never fail
 * at apply time.
 *
 * Ownership: a parsed STRING/PATH/ADDRESS value is allocated (union ls_opt_value.s); storing it
 * hands it to the config struct, released with ls_opt_member_release()/ls_options_release().
 */
#ifndef LS_OPTIONS_INTERNAL_H
#define LS_OPTIONS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"
#include "options.h"
#include "util.h"

#define LS_OPT_TABLE_MAX 256 /* options in one table (guards a table missing its NULL entry) */
#define LS_OPT_ENUM_MAX  64  /* words of one enum */

/* A parsed value of any non-LIST, non-OBJECT type. */
union ls_opt_value {
    char *s;
    int i;
    int64_t i64;
    uint64_t u64;
};

/* Results of ls_opt_parse_text(). */
enum { LS_PARSE_OK = 0, LS_PARSE_SYNTAX = -1, LS_PARSE_RANGE = -2 };

/* "64MiB", "1h30m": a size or a duration in the largest units that are exact (values.c). */
const char *ls_fmt_size(char *buf, size_t len, uint64_t v);
const char *ls_fmt_duration(char *buf, size_t len, int64_t ns);

/* Is s one of the NULL-terminated list (which may be NULL)? */
int ls_opt_in_list(const char *const *list, const char *s);

/* Does the table bound this type (INT, SIZE, DURATION with min/max not both 0)? */
int ls_opt_bounded(const struct ls_option *o, int type);
/* Append words[0..] joined by sep (at most LS_OPT_ENUM_MAX). */
void ls_opt_add_enum_words(struct ls_sbuf *sb, const char *const *words, const char *sep);
/* Append "1KiB..16MiB": the option's bounds in the type's units. */
void ls_opt_add_range(struct ls_sbuf *sb, const struct ls_option *o, int type);
/* Append what a value of this type looks like: "a size like 64MiB", "one of raw, json". */
void ls_opt_add_expected(struct ls_sbuf *sb, const struct ls_option *o, int type);

/* Parse s as a value of `type` (not LIST/OBJECT) for option o into *v (strings are allocated).
 * Returns LS_PARSE_OK, LS_PARSE_SYNTAX or LS_PARSE_RANGE (nothing allocated then). */
int ls_opt_parse_text(const struct ls_option *o, int type, const char *s, union ls_opt_value *v);
/* Append the message for a failed parse: "expected ..., got "x"" or "must be between ...". */
void ls_opt_add_parse_failure(struct ls_sbuf *sb, const struct ls_option *o, int type,
                              const char *s, int why);
/* Parse texts[0..n) as a list of o->item_type into *out. Returns the index of the first bad
 * item and its parse code in *why (nothing allocated then), or -1 when all are good. */
long ls_opt_parse_list(const struct ls_option *o, const char *const *texts, size_t n,
                       struct ls_opt_list *out, int *why);

/* Bytes of a member of this type (0 for OBJECT and unknown types). */
size_t ls_opt_type_size(int type);
/* STRING, PATH and ADDRESS values are allocated strings. */
int ls_opt_is_string_type(int type);
/* The member of o in conf. */
void *ls_opt_member(void *conf, const struct ls_option *o);
/* Store a parsed value at p (a member or a list item); a string is handed over. */
void ls_opt_store_value(void *p, int type, const union ls_opt_value *v);
/* Free the member's string or list and zero it. */
void ls_opt_member_release(const struct ls_option *o, void *conf);
/* Apply the table default of one option (releasing what the member held). Returns 0, or -1
 * with the reason appended to sb. */
int ls_opt_set_default(const struct ls_option *o, void *conf, struct ls_sbuf *sb);

#endif /* LS_OPTIONS_INTERNAL_H */
