/*
 * optvalue.c - one option's value: the words that describe a type in messages and help, parsing
 * a scalar text for a type (within the table's bounds), the message when that fails, storing
 * the value into the config struct or a list, releasing it, and applying table defaults.
 *
 * Values are parsed from scalar text by one function, ls_opt_parse_text(), used alike for the
 * user's values, for table defaults and by ls_option_table_check(), so a default that passes the
 * check can never fail at apply time. List defaults are written "a, b" or "[a, b]".
 */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confutil_internal.h"
#include "options_internal.h"
#include "util.h"

/* ---- Describing types ---------------------------------------------------------------------- */

const char *ls_opt_type_name(int type, int item_type)
{
    static const char *const names[] = {NULL,   "string",  "bool", "int",  "size",  "duration",
                                        "enum", "address", "path", "list", "object"};
    static const char *const lists[] = {NULL,           "list of string",  "list of bool",
                                        "list of int",  "list of size",    "list of duration",
                                        "list of enum", "list of address", "list of path"};

    if (type == LS_OPT_LIST) {
        return item_type >= LS_OPT_STRING && item_type <= LS_OPT_PATH ? lists[item_type] : "list";
    }
    return type >= LS_OPT_STRING && type <= LS_OPT_OBJECT ? names[type] : "invalid";
}

void ls_opt_add_enum_words(struct ls_sbuf *sb, const char *const *words, const char *sep)
{
    for (size_t i = 0; words && words[i] && i < LS_OPT_ENUM_MAX; i++) {
        ls_sbuf_addf(sb, "%s%s", i ? sep : "", words[i]);
    }
}

/* "a size like 64MiB", "one of raw, json": what a value of this type looks like. */
void ls_opt_add_expected(struct ls_sbuf *sb, const struct ls_option *o, int type)
{
    switch (type) {
    case LS_OPT_STRING:
        ls_sbuf_addstr(sb, "a string");
        break;
    case LS_OPT_BOOL:
        ls_sbuf_addstr(sb, "true or false");
        break;
    case LS_OPT_INT:
        ls_sbuf_addstr(sb, "an integer");
        break;
    case LS_OPT_SIZE:
        ls_sbuf_addstr(sb, "a size like 64MiB");
        break;
    case LS_OPT_DURATION:
        ls_sbuf_addstr(sb, "a duration like 5s");
        break;
    case LS_OPT_ENUM:
        ls_sbuf_addstr(sb, "one of ");
        ls_opt_add_enum_words(sb, o->enum_values, ", ");
        break;
    case LS_OPT_ADDRESS:
        ls_sbuf_addstr(sb, "an address like 127.0.0.1:9001");
        break;
    case LS_OPT_PATH:
        ls_sbuf_addstr(sb, "a path");
        break;
    case LS_OPT_LIST:
        ls_sbuf_addf(sb, "a %s", ls_opt_type_name(LS_OPT_LIST, o->item_type));
        break;
    default:
        ls_sbuf_addstr(sb, "a mapping");
        break;
    }
}

/* Does the table bound this type (INT, SIZE, DURATION with min/max not both 0)? */
int ls_opt_bounded(const struct ls_option *o, int type)
{
    return (type == LS_OPT_INT || type == LS_OPT_SIZE || type == LS_OPT_DURATION) &&
           (o->min != 0 || o->max != 0);
}

static const char *fmt_typed(char *buf, size_t len, int type, int64_t v)
{
    if (type == LS_OPT_SIZE) {
        return ls_fmt_size(buf, len, (uint64_t)v);
    }
    if (type == LS_OPT_DURATION) {
        return ls_fmt_duration(buf, len, v);
    }
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

/* "1KiB..16MiB" */
void ls_opt_add_range(struct ls_sbuf *sb, const struct ls_option *o, int type)
{
    char lo[48], hi[48];

    ls_sbuf_addf(sb, "%s..%s", fmt_typed(lo, sizeof lo, type, o->min),
                 fmt_typed(hi, sizeof hi, type, o->max));
}

/* ---- Parsing one scalar text for a type ---------------------------------------------------- */

static int parse_enum(const struct ls_option *o, const char *s, int *out)
{
    for (int i = 0; o->enum_values && o->enum_values[i] && i < LS_OPT_ENUM_MAX; i++) {
        if (strcmp(s, o->enum_values[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static int in_range(const struct ls_option *o, int type, const union ls_opt_value *v)
{
    if (!ls_opt_bounded(o, type)) {
        return 1;
    }
    if (type == LS_OPT_SIZE) {
        return (o->min <= 0 || v->u64 >= (uint64_t)o->min) &&
               (o->max >= 0 && v->u64 <= (uint64_t)o->max);
    }
    return v->i64 >= o->min && v->i64 <= o->max;
}

/* Parse `s` as a value of `type` (not LIST/OBJECT) for option o into *v (strings are
 * allocated). Returns LS_PARSE_OK, LS_PARSE_SYNTAX or LS_PARSE_RANGE (nothing allocated then). */
int ls_opt_parse_text(const struct ls_option *o, int type, const char *s, union ls_opt_value *v)
{
    char host[256];
    int port, rc = -1;

    switch (type) {
    case LS_OPT_STRING:
        rc = 0;
        break;
    case LS_OPT_PATH:
        rc = s[0] ? 0 : -1;
        break;
    case LS_OPT_ADDRESS:
        rc = ls_parse_address(s, host, sizeof host, &port, 0);
        break;
    case LS_OPT_BOOL:
        rc = ls_parse_bool(s, &v->i);
        break;
    case LS_OPT_ENUM:
        rc = parse_enum(o, s, &v->i);
        break;
    case LS_OPT_INT:
        rc = ls_parse_int(s, &v->i64);
        break;
    case LS_OPT_SIZE:
        rc = ls_parse_size(s, &v->u64);
        break;
    case LS_OPT_DURATION:
        rc = ls_parse_duration(s, &v->i64);
        break;
    default:
        break;
    }
    if (rc < 0) {
        return LS_PARSE_SYNTAX;
    }
    if (!in_range(o, type, v)) {
        return LS_PARSE_RANGE;
    }
    if (type == LS_OPT_STRING || type == LS_OPT_PATH || type == LS_OPT_ADDRESS) {
        v->s = ls_xstrdup(s);
    }
    return LS_PARSE_OK;
}

/* The message for a failed parse: "expected ..., got "x"" or "must be between ...". */
void ls_opt_add_parse_failure(struct ls_sbuf *sb, const struct ls_option *o, int type,
                              const char *s, int why)
{
    char buf[LS_CLIP_SIZE], got[48];
    union ls_opt_value v;

    if (why == LS_PARSE_RANGE) {
        char lo[48], hi[48];

        ls_sbuf_addf(sb, "must be between %s and %s", fmt_typed(lo, sizeof lo, type, o->min),
                     fmt_typed(hi, sizeof hi, type, o->max));
        if (type == LS_OPT_SIZE) {
            ls_parse_size(s, &v.u64);
            if (v.u64 > INT64_MAX) {
                ls_sbuf_addf(sb, ", got %s", ls_clip(buf, sizeof buf, s, strlen(s)));
                return;
            }
        } else if (type == LS_OPT_DURATION) {
            ls_parse_duration(s, &v.i64);
        } else {
            ls_parse_int(s, &v.i64);
        }
        ls_sbuf_addf(sb, ", got %s", fmt_typed(got, sizeof got, type, v.i64));
        return;
    }
    ls_sbuf_addstr(sb, "expected ");
    ls_opt_add_expected(sb, o, type);
    ls_sbuf_addf(sb, ", got \"%s\"", ls_clip(buf, sizeof buf, s, strlen(s)));
}

size_t ls_opt_type_size(int type)
{
    switch (type) {
    case LS_OPT_STRING:
    case LS_OPT_ADDRESS:
    case LS_OPT_PATH:
        return sizeof(char *);
    case LS_OPT_BOOL:
    case LS_OPT_ENUM:
        return sizeof(int);
    case LS_OPT_INT:
    case LS_OPT_DURATION:
        return sizeof(int64_t);
    case LS_OPT_SIZE:
        return sizeof(uint64_t);
    case LS_OPT_LIST:
        return sizeof(struct ls_opt_list);
    default:
        return 0;
    }
}

int ls_opt_is_string_type(int type)
{
    return type == LS_OPT_STRING || type == LS_OPT_PATH || type == LS_OPT_ADDRESS;
}

/* Store a parsed value at p (a member or a list item). */
void ls_opt_store_value(void *p, int type, const union ls_opt_value *v)
{
    switch (type) {
    case LS_OPT_BOOL:
    case LS_OPT_ENUM:
        memcpy(p, &v->i, sizeof v->i);
        break;
    case LS_OPT_INT:
    case LS_OPT_DURATION:
        memcpy(p, &v->i64, sizeof v->i64);
        break;
    case LS_OPT_SIZE:
        memcpy(p, &v->u64, sizeof v->u64);
        break;
    default:
        memcpy(p, &v->s, sizeof v->s);
        break;
    }
}

/* ---- Members: release and defaults --------------------------------------------------------- */

void *ls_opt_member(void *conf, const struct ls_option *o)
{
    return (char *)conf + o->offset;
}

static void list_release(struct ls_opt_list *l, int item_type)
{
    if (ls_opt_is_string_type(item_type)) {
        char **items = l->items;

        for (size_t i = 0; i < l->count; i++) {
            free(items[i]);
        }
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

void ls_opt_member_release(const struct ls_option *o, void *conf)
{
    void *p = ls_opt_member(conf, o);

    if (ls_opt_is_string_type(o->type)) {
        free(*(char **)p);
        *(char **)p = NULL;
    } else if (o->type == LS_OPT_LIST) {
        list_release(p, o->item_type);
    }
}

void ls_options_release(const struct ls_option *table, void *conf)
{
    for (size_t i = 0; table && conf && table[i].name && i < LS_OPT_TABLE_MAX; i++) {
        if (table[i].type == LS_OPT_OBJECT) {
            ls_options_release(table[i].sub, conf);
        } else {
            ls_opt_member_release(&table[i], conf);
        }
    }
}

/* Split a list default ("a, b" or "[a, b]") into items; caller frees the array and strings. */
static char **split_list_text(const char *def, size_t *count)
{
    const char *s = def, *end = def + strlen(def);
    char **items = NULL;
    size_t n = 0, cap = 0;

    while (s < end && *s == ' ') {
        s++;
    }
    while (end > s && end[-1] == ' ') {
        end--;
    }
    if (end > s && *s == '[' && end[-1] == ']') {
        s++;
        end--;
    }
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s)), *e;

        e = comma ? comma : end;
        while (s < e && *s == ' ') {
            s++;
        }
        while (e > s && e[-1] == ' ') {
            e--;
        }
        if (e > s || comma) {
            ls_grow((void **)&items, &cap, n + 1, sizeof *items);
            items[n++] = ls_xstrndup(s, (size_t)(e - s));
        }
        s = comma ? comma + 1 : end;
    }
    *count = n;
    return items;
}

/* Parse texts[0..n) as a list of o->item_type into *out. Returns the index of the first bad
 * item and its parse code in *why, or -1 when all are good. */
long ls_opt_parse_list(const struct ls_option *o, const char *const *texts, size_t n,
                       struct ls_opt_list *out, int *why)
{
    size_t isz = ls_opt_type_size(o->item_type);
    char *items = n ? ls_xcalloc(n, isz) : NULL;

    for (size_t i = 0; i < n; i++) {
        union ls_opt_value v;
        int rc = ls_opt_parse_text(o, o->item_type, texts[i], &v);

        if (rc != LS_PARSE_OK) {
            struct ls_opt_list tmp = {i, items};

            list_release(&tmp, o->item_type);
            *why = rc;
            return (long)i;
        }
        ls_opt_store_value(items + i * isz, o->item_type, &v);
    }
    out->count = n;
    out->items = items;
    return -1;
}

/* Apply the table default of one option. Returns 0, or -1 with a reason in sb. */
int ls_opt_set_default(const struct ls_option *o, void *conf, struct ls_sbuf *sb)
{
    void *p = ls_opt_member(conf, o);
    union ls_opt_value v;
    int rc;

    ls_opt_member_release(o, conf);
    if (o->type == LS_OPT_LIST) {
        size_t n = 0;
        char **texts = o->def ? split_list_text(o->def, &n) : NULL;
        struct ls_opt_list l = {0, NULL};
        long bad = ls_opt_parse_list(o, (const char *const *)texts, n, &l, &rc);

        if (bad >= 0) {
            ls_opt_add_parse_failure(sb, o, o->item_type, texts[bad], rc);
        } else {
            memcpy(p, &l, sizeof l);
        }
        for (size_t i = 0; i < n; i++) {
            free(texts[i]);
        }
        free(texts);
        return bad >= 0 ? -1 : 0;
    }
    memset(&v, 0, sizeof v);
    if (o->def) {
        rc = ls_opt_parse_text(o, o->type, o->def, &v);
        if (rc != LS_PARSE_OK) {
            ls_opt_add_parse_failure(sb, o, o->type, o->def, rc);
            return -1;
        }
    }
    ls_opt_store_value(p, o->type, &v);
    return 0;
}

static int defaults_rec(const struct ls_option *table, void *conf, const char *prefix,
                        struct ls_errors *errs)
{
    int bad = 0;

    for (size_t i = 0; table && table[i].name && i < LS_OPT_TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];
        struct ls_sbuf sb;

        if (o->type == LS_OPT_OBJECT) {
            char *sub = ls_xasprintf("%s%s.", prefix, o->name);

            bad += defaults_rec(o->sub, conf, sub, errs);
            free(sub);
            continue;
        }
        ls_sbuf_init(&sb);
        if (ls_opt_set_default(o, conf, &sb) < 0) {
            ls_errors_add(errs, NULL, NULL, "option '%s%s': default: %s", prefix, o->name, sb.buf);
            bad++;
        }
        ls_sbuf_release(&sb);
    }
    return bad;
}

int ls_options_defaults(const struct ls_option *table, void *conf, struct ls_errors *errs)
{
    int bad = defaults_rec(table, conf, "", errs);

    return bad ? -bad : 0;
}
