/*
 * model.c - from the merged YAML document to the validated model (see model.h): the service
 * section, shared outputs, pipelines with their instances and routes, `when` conditions, and
 * the checks that span instances (unique names, dangling output references, two inputs of one
 * plugin listening on one address or path).
 *
 * Every instance is validated even after an error elsewhere, so one --check lists every
 * problem. The plugin's own options and the core's per-output options (on_full, queue_size)
 * are applied in one ls_options_apply() call with two targets, so unknown-key suggestions
 * cover both.
 */
#include "model.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "util.h"

#ifndef LS_PLUGIN_INSTALL_DIR
#define LS_PLUGIN_INSTALL_DIR "/usr/local/lib/logstream/plugins"
#endif

#define CLIP_MAX          60
#define INSTANCE_NAME_MAX 128
#define SEV_ALL           0x1ffu     /* severities 0..7 and unknown (bit 8) */
#define FAC_ALL           0x1ffffffu /* facilities 0..23 and unknown (bit 24) */
#define SEV_UNKNOWN_BIT   8
#define FAC_UNKNOWN_BIT   24

/* ---- The service section ------------------------------------------------------------------- */

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
static const char *const on_full_words[] = {"block", "drop_newest", "drop_oldest", NULL};

#define SVC(m) offsetof(struct ls_service_conf, m)
#define KIB    1024LL
#define MIB    (1024 * KIB)
#define TIB    (1024 * 1024 * MIB)
#define MS     1000000LL
#define SEC    (1000 * MS)

static const struct ls_option admin_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = SVC(admin_listen),
     .def = "127.0.0.1:2020",
     .doc = "address of the admin HTTP server (/health, /metrics)"},
    {.name = "enabled",
     .type = LS_OPT_BOOL,
     .offset = SVC(admin_enabled),
     .def = "true",
     .doc = "serve the admin HTTP server"},
    {0}};

static const struct ls_option log_options[] = {{.name = "level",
                                                .type = LS_OPT_ENUM,
                                                .offset = SVC(log_level),
                                                .def = "info",
                                                .enum_values = log_levels,
                                                .doc = "level of the daemon's own log"},
                                               {.name = "format",
                                                .type = LS_OPT_ENUM,
                                                .offset = SVC(log_format),
                                                .def = "text",
                                                .enum_values = log_formats,
                                                .doc = "format of the daemon's own log on stderr"},
                                               {0}};

static const struct ls_option batch_options[] = {
    {.name = "max_records",
     .type = LS_OPT_INT,
     .offset = SVC(batch_max_records),
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .doc = "a batch closes at this many records"},
    {.name = "max_bytes",
     .type = LS_OPT_SIZE,
     .offset = SVC(batch_max_bytes),
     .def = "1MiB",
     .min = KIB,
     .max = 256 * MIB,
     .doc = "a batch closes at this many bytes"},
    {.name = "timeout",
     .type = LS_OPT_DURATION,
     .offset = SVC(batch_timeout),
     .def = "50ms",
     .min = MS,
     .max = 10 * SEC,
     .doc = "an open batch never waits longer than this"},
    {0}};

static const struct ls_option queue_options[] = {
    {.name = "max_bytes",
     .type = LS_OPT_SIZE,
     .offset = SVC(queue_max_bytes),
     .def = "64MiB",
     .min = KIB,
     .max = TIB,
     .doc = "queue bound of every output (an output's queue_size overrides it)"},
    {.name = "on_full",
     .type = LS_OPT_ENUM,
     .offset = SVC(queue_on_full),
     .def = "block",
     .enum_values = on_full_words,
     .doc = "what every output does when its queue is full (an output's on_full overrides it)"},
    {0}};

static const struct ls_option service_options[] = {
    {.name = "plugin_dir",
     .type = LS_OPT_PATH,
     .offset = SVC(plugin_dir),
     .doc = "directory of plugin .so files (default: plugins/ beside the binary if it exists, "
            "else the installed directory)"},
    {.name = "state_dir",
     .type = LS_OPT_PATH,
     .offset = SVC(state_dir),
     .def = "./var/lib/logstream",
     .doc = "directory for state kept across restarts"},
    {.name = "admin", .type = LS_OPT_OBJECT, .sub = admin_options, .doc = "admin HTTP server"},
    {.name = "log", .type = LS_OPT_OBJECT, .sub = log_options, .doc = "the daemon's own log"},
    {.name = "shutdown_grace",
     .type = LS_OPT_DURATION,
     .offset = SVC(shutdown_grace),
     .def = "10s",
     .min = 0,
     .max = 24 * 3600 * SEC,
     .doc = "how long SIGTERM waits for queues to drain"},
    {.name = "batch", .type = LS_OPT_OBJECT, .sub = batch_options, .doc = "batch limits"},
    {.name = "queue", .type = LS_OPT_OBJECT, .sub = queue_options, .doc = "output queue defaults"},
    {.name = "user",
     .type = LS_OPT_STRING,
     .offset = SVC(user),
     .doc = "user to switch to after binding, when started as root"},
    {.name = "group",
     .type = LS_OPT_STRING,
     .offset = SVC(group),
     .doc = "group to switch to after binding, when started as root"},
    {0}};

char *ls_default_plugin_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n > 0) {
        char *slash, *dir;
        struct stat st;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            dir = ls_xasprintf("%s/plugins", exe);
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
                return dir;
            }
            free(dir);
        }
    }
    return ls_xstrdup(LS_PLUGIN_INSTALL_DIR);
}

int ls_service_conf_parse(const struct ls_doc *doc, struct ls_service_conf *svc,
                          struct ls_errors *errs)
{
    struct ls_opt_target t = {service_options, svc};
    const struct ls_node *node = doc ? ls_node_get(ls_doc_root(doc), "service") : NULL;
    int rc;

    memset(svc, 0, sizeof *svc);
    rc = ls_options_apply(&t, 1, node, "service", NULL, errs);
    if (!svc->plugin_dir) {
        svc->plugin_dir = ls_default_plugin_dir();
    }
    return rc < 0 ? LS_EINVAL : LS_OK;
}

void ls_service_conf_release(struct ls_service_conf *svc)
{
    ls_options_release(service_options, svc);
    memset(svc, 0, sizeof *svc);
}

/* ---- Building ------------------------------------------------------------------------------ */

/* The core's options of every output, defaults taken from service.queue. */
struct out_core {
    int on_full;
    uint64_t queue_size;
};

static const struct ls_option out_core_proto[] = {
    {.name = "on_full",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct out_core, on_full),
     .enum_values = on_full_words,
     .doc = "what the output does when its queue is full"},
    {.name = "queue_size",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct out_core, queue_size),
     .min = KIB,
     .max = TIB,
     .doc = "bound of the output's queue in bytes"},
    {0}};

/* An input's listen address or path, for the duplicate-listener check. */
struct listener {
    const struct ls_plugin *plugin;
    const char *opt;
    const char *value;
    const char *path; /* the instance's config path */
};

struct build {
    struct ls_model *m;
    const struct ls_registry *reg;
    struct ls_errors *errs;
    size_t outputs_cap, nshared;
    struct listener *listeners;
    size_t nlisteners, listeners_cap;
    struct ls_option out_table[3];
    char queue_def[32];
};

static const char *clip(char *buf, size_t len, const char *s)
{
    if (strlen(s) > CLIP_MAX) {
        snprintf(buf, len, "%.*s...", CLIP_MAX, s);
    } else {
        snprintf(buf, len, "%s", s);
    }
    return buf;
}

static int is_null(const struct ls_node *n)
{
    return !n || (n->kind == LS_NODE_SCALAR && n->plain &&
                  (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
                   strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0));
}

/* For `type:` and output references, where `null` is a plugin's or an output's name: only an
 * empty value or `~` means "not given". */
static int is_absent(const struct ls_node *n)
{
    return !n ||
           (n->kind == LS_NODE_SCALAR && n->plain && (n->len == 0 || strcmp(n->str, "~") == 0));
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > INSTANCE_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.')) {
            return 0;
        }
    }
    return 1;
}

#define NAME_RULE "may only contain letters, digits, '_', '-' and '.' (at most 128)"

/* "pipelines.apps.inputs[0] (tcp)" */
static char *display_path(const struct ls_model_instance *ins)
{
    if (ins->plugin) {
        return ls_xasprintf("%s (%s)", ins->path, ins->plugin->name);
    }
    return ls_xstrdup(ins->path);
}

static void unknown_type(struct build *b, int kind, const struct ls_node *type, const char *path)
{
    const char **names = b->reg ? ls_registry_names(b->reg, kind) : NULL;
    const char *s = names ? ls_suggest(type->str, names) : NULL;
    char buf[CLIP_MAX + 4];
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    ls_sbuf_addf(&sb, "unknown %s type '%s'", ls_kind_name(kind), clip(buf, sizeof buf, type->str));
    if (s) {
        ls_sbuf_addf(&sb, " (did you mean '%s'?)", s);
    } else if (names && names[0]) {
        ls_sbuf_addstr(&sb, " (available: ");
        for (size_t i = 0; names[i]; i++) {
            ls_sbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
        }
        ls_sbuf_addstr(&sb, ")");
    } else {
        ls_sbuf_addf(&sb, " (no %s plugins are loaded)", ls_kind_name(kind));
    }
    ls_errors_add(b->errs, type, path, "%s", sb.buf);
    ls_sbuf_release(&sb);
    free(names);
}

/* Resolve `type:`. Returns the plugin or NULL (error added). */
static const struct ls_plugin *resolve_type(struct build *b, int kind, const struct ls_node *map,
                                            const char *path)
{
    const struct ls_node *type = ls_node_get(map, "type");
    const struct ls_plugin *p;

    if (is_absent(type)) {
        ls_errors_add(b->errs, map, path, "missing required option 'type'");
        return NULL;
    }
    if (type->kind != LS_NODE_SCALAR) {
        ls_errors_add(b->errs, type, path, "option 'type': expected a plugin name, got %s",
                      ls_node_kind_name(type));
        return NULL;
    }
    p = b->reg ? ls_registry_find(b->reg, kind, type->str) : NULL;
    if (!p) {
        unknown_type(b, kind, type, path);
    }
    return p;
}

/* The instance name: the shared output's key, the user's `name:`, or a generated one. */
static char *instance_name(struct build *b, const struct ls_node *map, const char *path,
                           const char *pipeline, size_t index, const struct ls_plugin *p)
{
    const struct ls_node *n = ls_node_get(map, "name");
    const struct ls_node *type = ls_node_get(map, "type");
    char buf[CLIP_MAX + 4];

    if (!is_null(n) && n->kind != LS_NODE_SCALAR) {
        ls_errors_add(b->errs, n, path, "option 'name': expected a name, got %s",
                      ls_node_kind_name(n));
    } else if (!is_null(n) && !name_ok(n->str)) {
        ls_errors_add(b->errs, n, path, "option 'name': name '%s' " NAME_RULE,
                      clip(buf, sizeof buf, n->str));
    } else if (!is_null(n)) {
        return ls_xstrdup(n->str);
    }
    if (p) {
        return ls_xasprintf("%s.%s.%zu", pipeline, p->name, index);
    }
    return ls_xasprintf("%s.%s.%zu", pipeline,
                        type && type->kind == LS_NODE_SCALAR ? type->str : "?", index);
}

static int same_address(const char *a, const char *b)
{
    char ha[256], hb[256];
    int pa, pb;

    if (ls_parse_address(a, ha, sizeof ha, &pa, 1) < 0 ||
        ls_parse_address(b, hb, sizeof hb, &pb, 1) < 0) {
        return strcmp(a, b) == 0;
    }
    if (pa != pb) {
        return 0;
    }
    /* A wildcard listener takes the port on every address. */
    if (!ha[0] || !hb[0] || strcmp(ha, "0.0.0.0") == 0 || strcmp(hb, "0.0.0.0") == 0 ||
        strcmp(ha, "::") == 0 || strcmp(hb, "::") == 0) {
        return 1;
    }
    return strcasecmp(ha, hb) == 0;
}

/* Two inputs of one plugin on one `listen` address or `path` cannot both run. */
static void check_listener(struct build *b, const struct ls_model_instance *ins)
{
    const struct ls_option *t = ins->plugin->options;

    for (size_t i = 0; t && t[i].name; i++) {
        int is_addr = t[i].type == LS_OPT_ADDRESS && strcmp(t[i].name, "listen") == 0;
        int is_path = t[i].type == LS_OPT_PATH && strcmp(t[i].name, "path") == 0;
        const char *v;

        if (!(is_addr || is_path) || !ins->conf) {
            continue;
        }
        memcpy(&v, (const char *)ins->conf + t[i].offset, sizeof v);
        if (!v) {
            continue;
        }
        for (size_t j = 0; j < b->nlisteners; j++) {
            const struct listener *l = &b->listeners[j];

            if (l->plugin == ins->plugin && strcmp(l->opt, t[i].name) == 0 &&
                (is_addr ? same_address(l->value, v) : strcmp(l->value, v) == 0)) {
                const struct ls_node *at = ls_node_get(ins->node, t[i].name);
                char *disp = display_path(ins);

                ls_errors_add(b->errs, at ? at : ins->node, disp,
                              "option '%s': %s %s is already used by %s", t[i].name,
                              is_addr ? "address" : "path", v, l->path);
                free(disp);
                return;
            }
        }
        ls_grow((void **)&b->listeners, &b->listeners_cap, b->nlisteners + 1, sizeof *b->listeners);
        b->listeners[b->nlisteners++] = (struct listener){ins->plugin, t[i].name, v, ins->path};
    }
}

/* Fill `ins` from its mapping. shared: the key of a shared output (else NULL). */
static void build_instance(struct build *b, struct ls_model_instance *ins, int kind,
                           const struct ls_node *map, const char *path, const char *pipeline,
                           size_t index, const char *shared)
{
    static const char *const ignore_shared[] = {"type", NULL};
    static const char *const ignore_inline[] = {"type", "name", "when", NULL};
    static const char *const ignore_other[] = {"type", "name", NULL};
    struct out_core core = {0, 0};
    struct ls_opt_target targets[2];
    size_t nt = 0;
    char *disp;

    ins->path = ls_xstrdup(path);
    ins->node = map;
    if (map->kind != LS_NODE_MAP) {
        ls_errors_add(b->errs, map, path, "expected a mapping with a 'type', got %s",
                      ls_node_kind_name(map));
        ins->name = shared ? ls_xstrdup(shared) : ls_xasprintf("%s.?.%zu", pipeline, index);
        return;
    }
    ins->plugin = resolve_type(b, kind, map, path);
    ins->name =
        shared ? ls_xstrdup(shared) : instance_name(b, map, path, pipeline, index, ins->plugin);
    ins->canon = ls_node_canonical(map);
    if (!ins->plugin) {
        return;
    }
    ins->conf = ins->plugin->config_size ? ls_xcalloc(1, ins->plugin->config_size) : NULL;
    if (kind == LS_KIND_OUTPUT) {
        targets[nt++] = (struct ls_opt_target){b->out_table, &core};
    }
    targets[nt++] = (struct ls_opt_target){ins->plugin->options, ins->conf};
    disp = display_path(ins);
    ls_options_apply(targets, nt, map, disp,
                     shared                   ? ignore_shared
                     : kind == LS_KIND_OUTPUT ? ignore_inline
                                              : ignore_other,
                     b->errs);
    free(disp);
    ins->on_full = core.on_full;
    ins->queue_size = core.queue_size;
    if (kind == LS_KIND_INPUT) {
        check_listener(b, ins);
    }
}

/* ---- `when` conditions --------------------------------------------------------------------- */

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
static int word_bit(struct build *b, const struct word_set *ws, const struct ls_node *n,
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
        ls_errors_add(b->errs, n, path, "option 'when.%s': unknown %s '%s' (did you mean '%s'?)",
                      ws->what, ws->what, word, sug);
    } else {
        ls_errors_add(b->errs, n, path, "option 'when.%s': unknown %s '%s'", ws->what, ws->what,
                      word);
    }
    return -1;
}

/* A word or a list of words -> mask. Returns 0 or -1. */
static int word_mask(struct build *b, const struct word_set *ws, const struct ls_node *n,
                     const char *path, uint32_t *mask)
{
    int bad = 0;

    *mask = 0;
    if (n->kind == LS_NODE_SCALAR) {
        int bit = word_bit(b, ws, n, n->str, n->len, path);

        *mask = bit >= 0 ? 1u << bit : 0;
        return bit >= 0 ? 0 : -1;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct ls_node *it = n->vals[i];
        int bit = it->kind == LS_NODE_SCALAR ? word_bit(b, ws, it, it->str, it->len, path) : -2;

        if (bit == -2) {
            ls_errors_add(b->errs, it, path, "option 'when.%s[%zu]': expected a %s name, got %s",
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
static int severity_expr(struct build *b, const struct ls_node *n, const char *path, uint32_t *mask)
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
        ls_errors_add(b->errs, n, path,
                      "option 'when.severity': unknown comparison '%s' (use <, <=, =, >=, >)", op);
        return -1;
    }
    sev = word_bit(b, &sev_set, n, s, (size_t)(end - s), path);
    if (sev < 0) {
        return -1;
    }
    if (sev == SEV_UNKNOWN_BIT && op[0] && op[0] != '=') {
        ls_errors_add(b->errs, n, path,
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
static const struct ls_node *not_form(struct build *b, const struct ls_node *n, const char *what,
                                      const char *path, int *bad)
{
    *bad = 0;
    if (n->kind != LS_NODE_MAP) {
        return NULL;
    }
    if (n->n != 1 || strcmp(n->keys[0]->str, "not") != 0 || is_null(n->vals[0]) ||
        n->vals[0]->kind == LS_NODE_MAP) {
        ls_errors_add(b->errs, n, path,
                      "option 'when.%s': expected a name, a list of names or {not: [names]}", what);
        *bad = 1;
        return NULL;
    }
    return n->vals[0];
}

static int parse_words(struct build *b, const struct word_set *ws, const struct ls_node *n,
                       const char *path, uint32_t all, uint32_t *mask)
{
    int bad;
    const struct ls_node *neg = not_form(b, n, ws->what, path, &bad);
    int rc;

    if (bad) {
        return -1;
    }
    if (neg) {
        rc = word_mask(b, ws, neg, path, mask);
        *mask = ~*mask & all;
    } else if (n->kind == LS_NODE_SCALAR && ws == &sev_set) {
        rc = severity_expr(b, n, path, mask);
    } else {
        rc = word_mask(b, ws, n, path, mask);
    }
    if (rc == 0 && *mask == 0) {
        ls_errors_add(b->errs, n, path, "option 'when.%s': matches no %s", ws->what, ws->what);
        return -1;
    }
    return rc;
}

/* app/host: a name, a list of names, or {not: ...}. */
static int parse_names(struct build *b, const struct ls_node *n, const char *what, const char *path,
                       char ***out, size_t *count, int *negate)
{
    int bad;
    const struct ls_node *neg = not_form(b, n, what, path, &bad);
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
        ls_errors_add(b->errs, src, path,
                      "option 'when.%s': expected a name, a list of names or {not: [names]}", what);
        return -1;
    }
    for (size_t i = 0; i < cnt; i++) {
        if (items[i]->kind != LS_NODE_SCALAR || items[i]->len == 0) {
            ls_errors_add(
                b->errs, items[i], path, "option 'when.%s': expected a name, got %s", what,
                items[i]->kind == LS_NODE_SCALAR ? "an empty string" : ls_node_kind_name(items[i]));
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

static void parse_when(struct build *b, const struct ls_node *when, const char *path,
                       struct ls_cond *c)
{
    static const char *const keys[] = {"severity", "facility", "app", "host", NULL};

    memset(c, 0, sizeof *c);
    if (is_null(when)) {
        return;
    }
    if (when->kind != LS_NODE_MAP) {
        ls_errors_add(b->errs, when, path,
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
        char buf[CLIP_MAX + 4];
        const char *s;

        if (is_null(v) && (strcmp(k, "severity") == 0 || strcmp(k, "facility") == 0 ||
                           strcmp(k, "app") == 0 || strcmp(k, "host") == 0)) {
            continue;
        }
        if (strcmp(k, "severity") == 0) {
            parse_words(b, &sev_set, v, path, SEV_ALL, &c->sev_mask);
        } else if (strcmp(k, "facility") == 0) {
            parse_words(b, &fac_set, v, path, FAC_ALL, &c->fac_mask);
        } else if (strcmp(k, "app") == 0) {
            parse_names(b, v, "app", path, &c->apps, &c->napps, &c->apps_not);
        } else if (strcmp(k, "host") == 0) {
            parse_names(b, v, "host", path, &c->hosts, &c->nhosts, &c->hosts_not);
        } else if ((s = ls_suggest(k, keys))) {
            ls_errors_add(b->errs, when->keys[i], path,
                          "option 'when.%s': unknown option (did you mean 'when.%s'?)",
                          clip(buf, sizeof buf, k), s);
        } else {
            ls_errors_add(b->errs, when->keys[i], path,
                          "option 'when.%s': unknown option (expected severity, facility, app "
                          "or host)",
                          clip(buf, sizeof buf, k));
        }
    }
}

static void cond_release(struct ls_cond *c)
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

/* ---- Outputs and routes -------------------------------------------------------------------- */

static struct ls_model_instance *new_output(struct build *b)
{
    struct ls_model *m = b->m;

    ls_grow((void **)&m->outputs, &b->outputs_cap, m->noutputs + 1, sizeof *m->outputs);
    memset(&m->outputs[m->noutputs], 0, sizeof *m->outputs);
    return &m->outputs[m->noutputs++];
}

static void build_shared_outputs(struct build *b, const struct ls_node *outs)
{
    for (size_t i = 0; outs && i < outs->n; i++) {
        const struct ls_node *key = outs->keys[i];
        char *path = ls_xasprintf("outputs.%s", key->str);
        char buf[CLIP_MAX + 4];

        if (!name_ok(key->str)) {
            ls_errors_add(b->errs, key, "outputs", "output name '%s' " NAME_RULE,
                          clip(buf, sizeof buf, key->str));
        }
        build_instance(b, new_output(b), LS_KIND_OUTPUT, outs->vals[i], path, NULL, 0, key->str);
        free(path);
    }
    b->nshared = b->m->noutputs;
}

static long find_shared(const struct build *b, const char *name)
{
    for (size_t i = 0; i < b->nshared; i++) {
        if (strcmp(b->m->outputs[i].name, name) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static void unknown_output(struct build *b, const struct ls_node *n, const char *path)
{
    const char **names = ls_xcalloc(b->nshared + 1, sizeof *names);
    const char *s;
    char buf[CLIP_MAX + 4];

    for (size_t i = 0; i < b->nshared; i++) {
        names[i] = b->m->outputs[i].name;
    }
    s = ls_suggest(n->str, names);
    clip(buf, sizeof buf, n->str);
    if (s) {
        ls_errors_add(b->errs, n, path, "unknown output '%s' (did you mean '%s'?)", buf, s);
    } else if (b->nshared == 0) {
        ls_errors_add(b->errs, n, path, "unknown output '%s' (no shared outputs are defined)", buf);
    } else {
        ls_errors_add(b->errs, n, path, "unknown output '%s'", buf);
    }
    free(names);
}

/* Resolve a shared output reference; adds the route. */
static void route_shared(struct build *b, struct ls_model_pipeline *p, const struct ls_node *n,
                         const struct ls_node *when, const char *path)
{
    long idx;
    struct ls_model_route *r;

    if (n->kind != LS_NODE_SCALAR || is_absent(n)) {
        ls_errors_add(b->errs, n, path, "option 'output': expected an output name, got %s",
                      is_absent(n) ? "nothing" : ls_node_kind_name(n));
        return;
    }
    idx = find_shared(b, n->str);
    if (idx < 0) {
        unknown_output(b, n, path);
        return;
    }
    for (size_t i = 0; i < p->nroutes; i++) {
        if (p->routes[i].output == (size_t)idx) {
            ls_errors_add(b->errs, n, path, "output '%s' is listed twice in this pipeline", n->str);
            return;
        }
    }
    r = &p->routes[p->nroutes++];
    r->output = (size_t)idx;
    parse_when(b, when, path, &r->cond);
}

static void build_route(struct build *b, struct ls_model_pipeline *p, const struct ls_node *ref,
                        size_t index)
{
    static const char *const ref_keys[] = {"output", "when", NULL};
    char *path = ls_xasprintf("pipelines.%s.outputs[%zu]", p->name, index);
    const struct ls_node *out = ls_node_get(ref, "output");
    const struct ls_node *type = ls_node_get(ref, "type");

    if (ref->kind == LS_NODE_SCALAR && !is_absent(ref)) {
        route_shared(b, p, ref, NULL, path);
    } else if (ref->kind == LS_NODE_MAP && out && type) {
        ls_errors_add(b->errs, ref, path,
                      "use either 'output' (a shared output) or 'type' (an inline output), "
                      "not both");
    } else if (ref->kind == LS_NODE_MAP && out) {
        ls_options_apply(NULL, 0, ref, path, ref_keys, b->errs);
        route_shared(b, p, out, ls_node_get(ref, "when"), path);
    } else if (ref->kind == LS_NODE_MAP && type) {
        struct ls_model_instance *ins = new_output(b);
        struct ls_model_route *r = &p->routes[p->nroutes++];
        char *disp;

        r->output = b->m->noutputs - 1;
        build_instance(b, ins, LS_KIND_OUTPUT, ref, path, p->name, index, NULL);
        disp = display_path(ins);
        parse_when(b, ls_node_get(ref, "when"), disp, &r->cond);
        free(disp);
    } else {
        ls_errors_add(b->errs, ref, path,
                      "expected an output name, {output: NAME, when: ...} or an inline output "
                      "with a 'type'");
    }
    free(path);
}

/* ---- Pipelines ----------------------------------------------------------------------------- */

/* The list under `key` of a pipeline (NULL/absent: none). Returns its node or NULL. */
static const struct ls_node *pipeline_list(struct build *b, const struct ls_node *pipe,
                                           const char *pname, const char *key)
{
    const struct ls_node *n = ls_node_get(pipe, key);

    if (is_null(n)) {
        return NULL;
    }
    if (n->kind != LS_NODE_SEQ) {
        char *path = ls_xasprintf("pipelines.%s.%s", pname, key);

        ls_errors_add(b->errs, n, path, "expected a list, got %s", ls_node_kind_name(n));
        free(path);
        return NULL;
    }
    return n;
}

static void build_instances(struct build *b, struct ls_model_pipeline *p, int kind,
                            const struct ls_node *list, const char *key,
                            struct ls_model_instance **out, size_t *count)
{
    size_t n = list ? list->n : 0;

    *out = n ? ls_xcalloc(n, sizeof **out) : NULL;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        char *path = ls_xasprintf("pipelines.%s.%s[%zu]", p->name, key, i);

        build_instance(b, &(*out)[i], kind, list->vals[i], path, p->name, i, NULL);
        free(path);
    }
}

static void build_pipeline(struct build *b, struct ls_model_pipeline *p, const struct ls_node *key,
                           const struct ls_node *val)
{
    static const char *const keys[] = {"inputs", "parsers", "outputs", NULL};
    const struct ls_node *ins, *pars, *outs, *at = is_null(val) ? key : val;
    char *path = ls_xasprintf("pipelines.%s", key->str);
    char buf[CLIP_MAX + 4];

    p->name = ls_xstrdup(key->str);
    if (!name_ok(key->str)) {
        ls_errors_add(b->errs, key, "pipelines", "pipeline name '%s' " NAME_RULE,
                      clip(buf, sizeof buf, key->str));
    }
    if (!is_null(val) && val->kind != LS_NODE_MAP) {
        ls_errors_add(b->errs, val, path,
                      "expected a mapping of inputs, parsers and outputs, "
                      "got %s",
                      ls_node_kind_name(val));
        free(path);
        return;
    }
    if (!is_null(val)) {
        ls_options_apply(NULL, 0, val, path, keys, b->errs);
    }
    ins = pipeline_list(b, val, p->name, "inputs");
    pars = pipeline_list(b, val, p->name, "parsers");
    outs = pipeline_list(b, val, p->name, "outputs");
    if (!ins || ins->n == 0) {
        ls_errors_add(b->errs, ins ? ins : at, path, "a pipeline needs at least one input");
    }
    if (!outs || outs->n == 0) {
        ls_errors_add(b->errs, outs ? outs : at, path, "a pipeline needs at least one output");
    }
    build_instances(b, p, LS_KIND_INPUT, ins, "inputs", &p->inputs, &p->ninputs);
    build_instances(b, p, LS_KIND_PARSER, pars, "parsers", &p->parsers, &p->nparsers);
    p->routes = outs && outs->n ? ls_xcalloc(outs->n, sizeof *p->routes) : NULL;
    for (size_t i = 0; outs && i < outs->n; i++) {
        build_route(b, p, outs->vals[i], i);
    }
    free(path);
}

/* ---- Unique instance names ----------------------------------------------------------------- */

struct name_ref {
    const struct ls_model_instance *ins;
    size_t seq;
};

static int name_ref_cmp(const void *pa, const void *pb)
{
    const struct name_ref *a = pa, *b = pb;
    int c = strcmp(a->ins->name, b->ins->name);

    if (c) {
        return c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void report_dup_name(struct build *b, const struct ls_model_instance *ins,
                            const struct ls_model_instance *first)
{
    const struct ls_node *n = ls_node_get(ins->node, "name");
    char *disp = display_path(ins);

    if (!is_null(n) && n->kind == LS_NODE_SCALAR) {
        ls_errors_add(b->errs, n, disp, "option 'name': name '%s' is already used by %s", ins->name,
                      first->path);
    } else {
        ls_errors_add(b->errs, ins->node, disp, "instance name '%s' is already used by %s",
                      ins->name, first->path);
    }
    free(disp);
}

static void check_names(struct build *b, struct name_ref *refs, size_t n)
{
    if (n < 2) {
        return;
    }
    qsort(refs, n, sizeof *refs, name_ref_cmp);
    for (size_t i = 1, g = 0; i < n; i++) {
        if (strcmp(refs[i].ins->name, refs[g].ins->name) != 0) {
            g = i;
            continue;
        }
        report_dup_name(b, refs[i].ins, refs[g].ins);
    }
}

static void check_unique_names(struct build *b)
{
    const struct ls_model *m = b->m;
    size_t total = m->noutputs, n;
    struct name_ref *refs;

    for (size_t i = 0; i < m->npipelines; i++) {
        total += m->pipelines[i].ninputs + m->pipelines[i].nparsers;
    }
    refs = ls_xcalloc(total + 1, sizeof *refs);
    n = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        for (size_t j = 0; j < m->pipelines[i].ninputs; j++, n++) {
            refs[n] = (struct name_ref){&m->pipelines[i].inputs[j], n};
        }
    }
    check_names(b, refs, n);
    n = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        for (size_t j = 0; j < m->pipelines[i].nparsers; j++, n++) {
            refs[n] = (struct name_ref){&m->pipelines[i].parsers[j], n};
        }
    }
    check_names(b, refs, n);
    for (n = 0; n < m->noutputs; n++) {
        refs[n] = (struct name_ref){&m->outputs[n], n};
    }
    check_names(b, refs, n);
    free(refs);
}

/* ---- Entry points -------------------------------------------------------------------------- */

static void instance_release(struct ls_model_instance *ins)
{
    if (ins->plugin && ins->conf) {
        ls_options_release(ins->plugin->options, ins->conf);
    }
    free(ins->conf);
    free(ins->name);
    free(ins->canon);
    free(ins->path);
}

void ls_model_free(struct ls_model *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->npipelines; i++) {
        struct ls_model_pipeline *p = &m->pipelines[i];

        for (size_t j = 0; j < p->ninputs; j++) {
            instance_release(&p->inputs[j]);
        }
        for (size_t j = 0; j < p->nparsers; j++) {
            instance_release(&p->parsers[j]);
        }
        for (size_t j = 0; j < p->nroutes; j++) {
            cond_release(&p->routes[j].cond);
        }
        free(p->inputs);
        free(p->parsers);
        free(p->routes);
        free(p->name);
    }
    for (size_t i = 0; i < m->noutputs; i++) {
        instance_release(&m->outputs[i]);
    }
    free(m->pipelines);
    free(m->outputs);
    ls_service_conf_release(&m->service);
    free(m);
}

static void build_init(struct build *b, struct ls_model *m, const struct ls_registry *reg,
                       struct ls_errors *errs)
{
    int on_full = m->service.queue_on_full;

    memset(b, 0, sizeof *b);
    b->m = m;
    b->reg = reg;
    b->errs = errs;
    memcpy(b->out_table, out_core_proto, sizeof b->out_table);
    snprintf(b->queue_def, sizeof b->queue_def, "%llu",
             (unsigned long long)m->service.queue_max_bytes);
    b->out_table[0].def = on_full_words[on_full >= 0 && on_full <= 2 ? on_full : 0];
    b->out_table[1].def = b->queue_def;
}

int ls_model_build(const struct ls_doc *doc, const struct ls_registry *reg, struct ls_model **out,
                   struct ls_errors *errs)
{
    struct ls_model *m = ls_xcalloc(1, sizeof *m);
    const struct ls_node *root = ls_doc_root(doc);
    const struct ls_node *pipes = ls_node_get(root, "pipelines");
    size_t before = errs->count;
    struct build b;

    ls_service_conf_parse(doc, &m->service, errs);
    build_init(&b, m, reg, errs);
    build_shared_outputs(&b, ls_node_get(root, "outputs"));
    m->npipelines = pipes ? pipes->n : 0;
    m->pipelines = m->npipelines ? ls_xcalloc(m->npipelines, sizeof *m->pipelines) : NULL;
    for (size_t i = 0; i < m->npipelines; i++) {
        build_pipeline(&b, &m->pipelines[i], pipes->keys[i], pipes->vals[i]);
    }
    check_unique_names(&b);
    free(b.listeners);
    if (errs->count != before) {
        ls_model_free(m);
        *out = NULL;
        return LS_EINVAL;
    }
    *out = m;
    return LS_OK;
}
