/*
 * opttable.c - an option table as a whole: checking a plugin's table when the loader registers
 * it (names, types, offsets within config_size, enum words, bounds, defaults that parse), and
 * printing it as help for --plugin-help.
 */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options_internal.h"
#include "util.h"

#define NAME_MAX_LEN     63
#define OBJECT_DEPTH_MAX 4

/* Option names the core uses in instance mappings; a plugin table may not take them. */
static const char *const reserved_names[] = {"type", "name", "when", "on_full", "queue_size", NULL};

/* ---- Checking a table ---------------------------------------------------------------------- */

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
            return 0;
        }
    }
    return 1;
}

static const char *article(const char *word)
{
    return strchr("aeiou", word[0]) ? "an" : "a";
}

static int check_default(const struct ls_option *o, char *why, size_t whylen, const char *name)
{
    struct ls_sbuf sb;
    char conf[sizeof(struct ls_opt_list) + sizeof(uint64_t)];
    struct ls_option tmp = *o;
    int rc;

    if (!o->def) {
        return 0;
    }
    if (o->type == LS_OPT_OBJECT) {
        snprintf(why, whylen, "option '%s': an object takes no default", name);
        return -1;
    }
    memset(conf, 0, sizeof conf);
    tmp.offset = 0;
    ls_sbuf_init(&sb);
    rc = ls_opt_set_default(&tmp, conf, &sb);
    if (rc < 0 && strncmp(sb.buf, "must", 4) == 0) {
        snprintf(why, whylen, "option '%s': default \"%s\" is out of range: %s", name, o->def,
                 sb.buf);
    } else if (rc < 0) {
        const char *tn = o->type == LS_OPT_LIST ? ls_opt_type_name(o->type, o->item_type)
                                                : ls_opt_type_name(o->type, 0);

        snprintf(why, whylen, "option '%s': default \"%s\" is not %s %s", name, o->def, article(tn),
                 tn);
    }
    ls_opt_member_release(&tmp, conf);
    ls_sbuf_release(&sb);
    return rc;
}

static int check_enum(const struct ls_option *o, char *why, size_t whylen, const char *name)
{
    size_t i;

    if (!o->enum_values || !o->enum_values[0]) {
        snprintf(why, whylen, "option '%s': enum without enum_values", name);
        return -1;
    }
    for (i = 0; o->enum_values[i]; i++) {
        if (i >= LS_OPT_ENUM_MAX || !o->enum_values[i][0]) {
            snprintf(why, whylen, "option '%s': enum_values must be 1 to %d non-empty words", name,
                     LS_OPT_ENUM_MAX);
            return -1;
        }
    }
    return 0;
}

static int check_table(const struct ls_option *table, size_t conf_size, int depth,
                       const char *prefix, char *why, size_t whylen);

static int check_option(const struct ls_option *table, size_t i, size_t conf_size, int depth,
                        const char *prefix, char *why, size_t whylen)
{
    const struct ls_option *o = &table[i];
    char name[160];
    size_t sz;

    if (!name_ok(o->name)) {
        snprintf(why, whylen, "option '%s%.64s': names are 1 to %d of a-z, 0-9 and _", prefix,
                 o->name, NAME_MAX_LEN);
        return -1;
    }
    snprintf(name, sizeof name, "%s%s", prefix, o->name);
    for (size_t j = 0; j < i; j++) {
        if (strcmp(table[j].name, o->name) == 0) {
            snprintf(why, whylen, "option '%s': defined twice", name);
            return -1;
        }
    }
    if (depth == 0 && ls_opt_in_list(reserved_names, o->name)) {
        snprintf(why, whylen, "option '%s': the name is reserved by the core", name);
        return -1;
    }
    if (o->type < LS_OPT_STRING || o->type > LS_OPT_OBJECT) {
        snprintf(why, whylen, "option '%s': unknown type %d", name, o->type);
        return -1;
    }
    sz = ls_opt_type_size(o->type);
    if (o->type != LS_OPT_OBJECT && (o->offset > conf_size || sz > conf_size - o->offset)) {
        snprintf(why, whylen, "option '%s': offset %zu + %zu bytes is past config_size %zu", name,
                 o->offset, sz, conf_size);
        return -1;
    }
    if (o->type == LS_OPT_LIST && (o->item_type < LS_OPT_STRING || o->item_type > LS_OPT_PATH)) {
        snprintf(why, whylen, "option '%s': list item_type %d is not a scalar type", name,
                 o->item_type);
        return -1;
    }
    if ((o->type == LS_OPT_ENUM || (o->type == LS_OPT_LIST && o->item_type == LS_OPT_ENUM)) &&
        check_enum(o, why, whylen, name) < 0) {
        return -1;
    }
    if (ls_opt_bounded(o, o->type == LS_OPT_LIST ? o->item_type : o->type) &&
        (o->min > o->max || (o->type != LS_OPT_INT && o->min < 0))) {
        snprintf(why, whylen, "option '%s': bounds %lld..%lld are invalid", name, (long long)o->min,
                 (long long)o->max);
        return -1;
    }
    if (o->type == LS_OPT_OBJECT) {
        char *sub;
        int rc;

        if (!o->sub) {
            snprintf(why, whylen, "option '%s': object without a sub table", name);
            return -1;
        }
        if (depth + 1 >= OBJECT_DEPTH_MAX) {
            snprintf(why, whylen, "option '%s': objects nested deeper than %d levels", name,
                     OBJECT_DEPTH_MAX);
            return -1;
        }
        sub = ls_xasprintf("%s.", name);
        rc = check_table(o->sub, conf_size, depth + 1, sub, why, whylen);
        free(sub);
        if (rc < 0) {
            return -1;
        }
    }
    return check_default(o, why, whylen, name);
}

static int check_table(const struct ls_option *table, size_t conf_size, int depth,
                       const char *prefix, char *why, size_t whylen)
{
    size_t i;

    for (i = 0; table[i].name; i++) {
        if (i >= LS_OPT_TABLE_MAX) {
            snprintf(why, whylen, "more than %d options (is the table missing its NULL entry?)",
                     LS_OPT_TABLE_MAX);
            return -1;
        }
        if (check_option(table, i, conf_size, depth, prefix, why, whylen) < 0) {
            return -1;
        }
    }
    return 0;
}

int ls_option_table_check(const struct ls_option *table, size_t conf_size, char *why, size_t whylen)
{
    if (whylen) {
        why[0] = '\0';
    }
    if (!table) {
        return 0;
    }
    return check_table(table, conf_size, 0, "", why, whylen);
}

/* ---- Help ---------------------------------------------------------------------------------- */

struct help_widths {
    size_t name, type, def;
};

static void help_default(struct ls_sbuf *sb, const struct ls_option *o)
{
    if (o->required) {
        ls_sbuf_addstr(sb, "required");
    } else if (o->def) {
        ls_sbuf_addf(sb, "default %s", o->def[0] ? o->def : "\"\"");
    }
}

static void help_measure(const struct ls_option *table, int indent, struct help_widths *w)
{
    for (size_t i = 0; table && table[i].name && i < LS_OPT_TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];
        struct ls_sbuf sb;
        size_t tl = strlen(ls_opt_type_name(o->type, o->item_type));

        ls_sbuf_init(&sb);
        help_default(&sb, o);
        w->name =
            (size_t)indent + strlen(o->name) > w->name ? (size_t)indent + strlen(o->name) : w->name;
        w->type = tl > w->type ? tl : w->type;
        w->def = sb.len > w->def ? sb.len : w->def;
        ls_sbuf_release(&sb);
        if (o->type == LS_OPT_OBJECT) {
            help_measure(o->sub, indent + 2, w);
        }
    }
}

static void help_rows(FILE *f, const struct ls_option *table, int indent, int base,
                      const struct help_widths *w)
{
    for (size_t i = 0; table && table[i].name && i < LS_OPT_TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];
        int type = o->type == LS_OPT_LIST ? o->item_type : o->type;
        struct ls_sbuf def, extra, line;

        ls_sbuf_init(&def);
        ls_sbuf_init(&extra);
        ls_sbuf_init(&line);
        help_default(&def, o);
        if (type == LS_OPT_ENUM) {
            ls_sbuf_addstr(&extra, "one of: ");
            ls_opt_add_enum_words(&extra, o->enum_values, ", ");
        } else if (ls_opt_bounded(o, type)) {
            ls_sbuf_addstr(&extra, "range ");
            ls_opt_add_range(&extra, o, type);
        }
        ls_sbuf_addf(&line, "%*s%-*s  %-*s  %-*s  ", base + indent, "",
                     (int)(w->name - (size_t)indent), o->name, (int)w->type,
                     ls_opt_type_name(o->type, o->item_type), (int)w->def, def.buf ? def.buf : "");
        if (o->doc && extra.len) {
            ls_sbuf_addf(&line, "%s (%s)", o->doc, extra.buf);
        } else if (o->doc || extra.len) {
            ls_sbuf_addstr(&line, o->doc ? o->doc : extra.buf);
        }
        while (line.len && line.buf[line.len - 1] == ' ') {
            line.buf[--line.len] = '\0';
        }
        fprintf(f, "%s\n", line.buf);
        ls_sbuf_release(&line);
        ls_sbuf_release(&def);
        ls_sbuf_release(&extra);
        if (o->type == LS_OPT_OBJECT) {
            help_rows(f, o->sub, indent + 2, base, w);
        }
    }
}

void ls_options_help(FILE *f, const struct ls_option *table, int indent)
{
    struct help_widths w = {0, 0, 0};

    if (!table || !table[0].name) {
        fprintf(f, "%*s(no options)\n", indent, "");
        return;
    }
    help_measure(table, 0, &w);
    help_rows(f, table, 0, indent, &w);
}
