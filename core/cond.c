/*
 * cond.c - routing conditions on an output reference: parsing a `when:` mapping (severity as a
 * word, a list, {not: ...} or a comparison like "<= warning"; facility; app and host names)
 * into masks and name lists, and ls_cond_match() on the hot path.
 */
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "confutil_internal.h"
#include "model_internal.h"
#include "util.h"

#define SEV_ALL         0x1ffu     /* severities 0..7 and unknown (bit 8) */
#define FAC_ALL         0x1ffffffu /* facilities 0..23 and unknown (bit 24) */
#define SEV_UNKNOWN_BIT 8
#define FAC_UNKNOWN_BIT 24

/* ---- Parsing `when` ------------------------------------------------------------------------ */

struct word_set {
    const char *what; /* "severity", "facility" */
    int (*parse)(const char *s, size_t len);
    const char *const *names;
    int unknown_bit;
};

static const char *const sev_names[] = {"emerg",  "alert", "crit",  "err",     "warning",
                                        "notice", "info",  "debug", "unknown", NULL};
static const char *const fac_names[] = {
    "kern",    "user",         "mail",   "daemon",   "auth",   "syslog", "lpr",
    "news",    "uucp",         "cron",   "authpriv", "ftp",    "ntp",    "security",
    "console", "solaris-cron", "local0", "local1",   "local2", "local3", "local4",
    "local5",  "local6",       "local7", "unknown",  NULL};

static const struct word_set sev_set = {"severity", ls_severity_parse, sev_names, SEV_UNKNOWN_BIT};
static const struct word_set fac_set = {"facility", ls_facility_parse, fac_names, FAC_UNKNOWN_BIT};

/* One severity/facility word -> its bit number, or -1 (error added). */
static int word_bit(struct ls_errors *errs, const struct word_set *ws, const struct ls_node *n,
                    const char *s, size_t len, const char *path)
{
    char word[64];
    const char *sug;
    int v;

    if (len == 7 && strncasecmp(s, "unknown", 7) == 0) {
        return ws->unknown_bit;
    }
    v = ws->parse(s, len);
    if (v >= 0) {
        return v;
    }
    snprintf(word, sizeof word, "%.*s", (int)(len < 40 ? len : 40), s);
    sug = ls_suggest(word, ws->names);
    if (sug) {
        ls_errors_add(errs, n, path, "option 'when.%s': unknown %s '%s' (did you mean '%s'?)",
                      ws->what, ws->what, word, sug);
    } else {
        ls_errors_add(errs, n, path, "option 'when.%s': unknown %s '%s'", ws->what, ws->what, word);
    }
    return -1;
}

/* A word or a list of words -> mask. Returns 0 or -1. */
static int word_mask(struct ls_errors *errs, const struct word_set *ws, const struct ls_node *n,
                     const char *path, uint32_t *mask)
{
    int bad = 0;

    *mask = 0;
    if (n->kind == LS_NODE_SCALAR) {
        int bit = word_bit(errs, ws, n, n->str, n->len, path);

        *mask = bit >= 0 ? 1u << bit : 0;
        return bit >= 0 ? 0 : -1;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct ls_node *it = n->vals[i];
        int bit = it->kind == LS_NODE_SCALAR ? word_bit(errs, ws, it, it->str, it->len, path) : -2;

        if (bit == -2) {
            ls_errors_add(errs, it, path, "option 'when.%s[%zu]': expected a %s name, got %s",
                          ws->what, i, ws->what, ls_node_kind_name(it));
        }
        if (bit < 0) {
            bad = 1;
        } else {
            *mask |= 1u << bit;
        }
    }
    return bad ? -1 : 0;
}

/* "<= warning", "< err", ">= notice", "> info", "= info", "warning". */
static int severity_expr(struct ls_errors *errs, const struct ls_node *n, const char *path,
                         uint32_t *mask)
{
    const char *s = n->str, *end;
    char op[3] = "";
    int sev;

    while (*s == ' ') {
        s++;
    }
    while ((*s == '<' || *s == '>' || *s == '=') && strlen(op) < 2) {
        op[strlen(op)] = *s++;
    }
    while (*s == ' ') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && end[-1] == ' ') {
        end--;
    }
    if (op[0] && strcmp(op, "<=") && strcmp(op, ">=") && strcmp(op, "<") && strcmp(op, ">") &&
        strcmp(op, "=") && strcmp(op, "==")) {
        ls_errors_add(errs, n, path,
                      "option 'when.severity': unknown comparison '%s' (use <, <=, =, >=, >)", op);
        return -1;
    }
    sev = word_bit(errs, &sev_set, n, s, (size_t)(end - s), path);
    if (sev < 0) {
        return -1;
    }
    if (sev == SEV_UNKNOWN_BIT && op[0] && op[0] != '=') {
        ls_errors_add(errs, n, path,
                      "option 'when.severity': 'unknown' can only be matched with =");
        return -1;
    }
    if (!op[0] || op[0] == '=') {
        *mask = 1u << sev;
    } else if (op[0] == '<') {
        *mask = ((1u << (sev + 1)) - 1) & ~(op[1] ? 0u : 1u << sev);
    } else {
        *mask = (0xffu & ~((1u << sev) - 1)) & ~(op[1] ? 0u : 1u << sev);
    }
    return 0;
}

/* The {not: X} form: returns X, or NULL when n is not such a mapping (error added if it is a
 * mapping of something else). */
static const struct ls_node *not_form(struct ls_errors *errs, const struct ls_node *n,
                                      const char *what, const char *path, int *bad)
{
    *bad = 0;
    if (n->kind != LS_NODE_MAP) {
        return NULL;
    }
    if (n->n != 1 || strcmp(n->keys[0]->str, "not") != 0 || ls_node_is_null(n->vals[0]) ||
        n->vals[0]->kind == LS_NODE_MAP) {
        ls_errors_add(errs, n, path,
                      "option 'when.%s': expected a name, a list of names or {not: [names]}", what);
        *bad = 1;
        return NULL;
    }
    return n->vals[0];
}

static int parse_words(struct ls_errors *errs, const struct word_set *ws, const struct ls_node *n,
                       const char *path, uint32_t all, uint32_t *mask)
{
    int bad;
    const struct ls_node *neg = not_form(errs, n, ws->what, path, &bad);
    int rc;

    if (bad) {
        return -1;
    }
    if (neg) {
        rc = word_mask(errs, ws, neg, path, mask);
        *mask = ~*mask & all;
    } else if (n->kind == LS_NODE_SCALAR && ws == &sev_set) {
        rc = severity_expr(errs, n, path, mask);
    } else {
        rc = word_mask(errs, ws, n, path, mask);
    }
    if (rc == 0 && *mask == 0) {
        ls_errors_add(errs, n, path, "option 'when.%s': matches no %s", ws->what, ws->what);
        return -1;
    }
    return rc;
}

/* app/host: a name, a list of names, or {not: ...}. */
static int parse_names(struct ls_errors *errs, const struct ls_node *n, const char *what,
                       const char *path, char ***out, size_t *count, int *negate)
{
    int bad;
    const struct ls_node *neg = not_form(errs, n, what, path, &bad);
    const struct ls_node *src = neg ? neg : n;
    const struct ls_node *const *items = (const struct ls_node *const *)src->vals;
    size_t cnt = src->n;

    if (bad) {
        return -1;
    }
    if (src->kind == LS_NODE_SCALAR) {
        items = &src;
        cnt = 1;
    }
    if (src->kind == LS_NODE_MAP || cnt == 0) {
        ls_errors_add(errs, src, path,
                      "option 'when.%s': expected a name, a list of names or {not: [names]}", what);
        return -1;
    }
    for (size_t i = 0; i < cnt; i++) {
        if (items[i]->kind != LS_NODE_SCALAR || items[i]->len == 0) {
            ls_errors_add(errs, items[i], path, "option 'when.%s': expected a name, got %s", what,
                          items[i]->kind == LS_NODE_SCALAR ? "an empty string"
                                                           : ls_node_kind_name(items[i]));
            return -1;
        }
    }
    *out = ls_xcalloc(cnt, sizeof **out);
    for (size_t i = 0; i < cnt; i++) {
        (*out)[i] = ls_xstrdup(items[i]->str);
    }
    *count = cnt;
    *negate = neg != NULL;
    return 0;
}

void ls_cond_parse(const struct ls_node *when, const char *path, struct ls_cond *c,
                   struct ls_errors *errs)
{
    static const char *const keys[] = {"severity", "facility", "app", "host", NULL};

    memset(c, 0, sizeof *c);
    if (ls_node_is_null(when)) {
        return;
    }
    if (when->kind != LS_NODE_MAP) {
        ls_errors_add(errs, when, path,
                      "option 'when': expected a mapping of severity, facility, app and host, "
                      "got %s",
                      ls_node_kind_name(when));
        return;
    }
    c->active = 1;
    c->sev_mask = SEV_ALL;
    c->fac_mask = FAC_ALL;
    for (size_t i = 0; i < when->n; i++) {
        const char *k = when->keys[i]->str;
        const struct ls_node *v = when->vals[i];
        char buf[LS_CLIP_SIZE];
        const char *s;

        if (ls_node_is_null(v) && (strcmp(k, "severity") == 0 || strcmp(k, "facility") == 0 ||
                                   strcmp(k, "app") == 0 || strcmp(k, "host") == 0)) {
            continue;
        }
        if (strcmp(k, "severity") == 0) {
            parse_words(errs, &sev_set, v, path, SEV_ALL, &c->sev_mask);
        } else if (strcmp(k, "facility") == 0) {
            parse_words(errs, &fac_set, v, path, FAC_ALL, &c->fac_mask);
        } else if (strcmp(k, "app") == 0) {
            parse_names(errs, v, "app", path, &c->apps, &c->napps, &c->apps_not);
        } else if (strcmp(k, "host") == 0) {
            parse_names(errs, v, "host", path, &c->hosts, &c->nhosts, &c->hosts_not);
        } else if ((s = ls_suggest(k, keys))) {
            ls_errors_add(errs, when->keys[i], path,
                          "option 'when.%s': unknown option (did you mean 'when.%s'?)",
                          ls_clip(buf, sizeof buf, k, strlen(k)), s);
        } else {
            ls_errors_add(errs, when->keys[i], path,
                          "option 'when.%s': unknown option (expected severity, facility, app "
                          "or host)",
                          ls_clip(buf, sizeof buf, k, strlen(k)));
        }
    }
}

void ls_cond_release(struct ls_cond *c)
{
    for (size_t i = 0; i < c->napps; i++) {
        free(c->apps[i]);
    }
    for (size_t i = 0; i < c->nhosts; i++) {
        free(c->hosts[i]);
    }
    free(c->apps);
    free(c->hosts);
    memset(c, 0, sizeof *c);
}

/* ---- Matching ------------------------------------------------------------------------------ */

static int slice_is(const struct ls_slice *s, const char *name)
{
    for (size_t i = 0; i < s->len; i++) {
        if (name[i] == '\0' || name[i] != s->ptr[i]) {
            return 0;
        }
    }
    return name[s->len] == '\0';
}

static int in_names(char *const *names, size_t n, const struct ls_slice *s)
{
    for (size_t i = 0; i < n; i++) {
        if (slice_is(s, names[i])) {
            return 1;
        }
    }
    return 0;
}

int ls_cond_match(const struct ls_cond *c, const struct ls_record *r)
{
    unsigned sev, fac;

    if (!c->active) {
        return 1;
    }
    sev = r->severity >= 0 && r->severity <= 7 ? (unsigned)r->severity : SEV_UNKNOWN_BIT;
    fac = r->facility >= 0 && r->facility <= 23 ? (unsigned)r->facility : FAC_UNKNOWN_BIT;
    if (!(c->sev_mask & (1u << sev)) || !(c->fac_mask & (1u << fac))) {
        return 0;
    }
    if (c->apps && in_names(c->apps, c->napps, &r->app) == !!c->apps_not) {
        return 0;
    }
    if (c->hosts && in_names(c->hosts, c->nhosts, &r->host) == !!c->hosts_not) {
        return 0;
    }
    return 1;
}
