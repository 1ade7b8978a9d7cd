/*
 * options.c - validating YAML mappings against option tables and filling config structs; option
 * help; the size/duration/int/bool/address parsers.
 *
 * Values are parsed from scalar text by one function, parse_text(), used alike for the user's
 * values, for table defaults and by ls_option_table_check(), so a default that passes the check
 * can never fail at apply time. List defaults are written "a, b" or "[a, b]".
 */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define CLIP_MAX         60
#define NAME_MAX_LEN     63
#define TABLE_MAX        256
#define ENUM_MAX         64
#define OBJECT_DEPTH_MAX 4

#define KIB 1024ULL
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)

#define NS_US   1000LL
#define NS_MS   (NS_US * 1000)
#define NS_S    (NS_MS * 1000)
#define NS_MIN  (NS_S * 60)
#define NS_HOUR (NS_MIN * 60)
#define NS_DAY  (NS_HOUR * 24)

/* Option names the core uses in instance mappings; a plugin table may not take them. */
static const char *const reserved_names[] = {"type", "name", "when", "on_full", "queue_size", NULL};

/* A parsed value of any non-LIST, non-OBJECT type. */
union value {
    char *s;
    int i;
    int64_t i64;
    uint64_t u64;
};

/* ---- Value parsers ------------------------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits, then an optional fraction of up to 9 significant digits (more are read and dropped).
 * Returns the index after the number, or 0 when there is no number. */
static size_t parse_decimal(const char *s, uint64_t *ip, uint64_t *frac, uint64_t *scale)
{
    size_t i = 0;

    *ip = 0;
    *frac = 0;
    *scale = 1;
    if (!is_digit(s[0])) {
        return 0;
    }
    for (; is_digit(s[i]); i++) {
        if (*ip > (UINT64_MAX - 9) / 10) {
            return 0;
        }
        *ip = *ip * 10 + (uint64_t)(s[i] - '0');
    }
    if (s[i] != '.') {
        return i;
    }
    i++;
    if (!is_digit(s[i])) {
        return 0;
    }
    for (; is_digit(s[i]); i++) {
        if (*scale < 1000000000ULL) {
            *frac = *frac * 10 + (uint64_t)(s[i] - '0');
            *scale *= 10;
        }
    }
    return i;
}

/* ip + frac/scale, times mult, rounded down; -1 on overflow past `max`. */
static int scale_value(uint64_t ip, uint64_t frac, uint64_t scale, uint64_t mult, uint64_t max,
                       uint64_t *out)
{
    uint64_t whole, part;

    if (ip > max / mult) {
        return -1;
    }
    whole = ip * mult;
    /* frac < scale <= 1e9 and mult <= 2^40 or 1 day in ns: split to stay within 64 bits. */
    part = (mult / scale) * frac + (mult % scale) * frac / scale;
    if (part > max - whole) {
        return -1;
    }
    *out = whole + part;
    return 0;
}

static uint64_t size_unit(const char *u)
{
    static const struct {
        const char *word;
        uint64_t mult;
    } units[] = {{"", 1},      {"b", 1},    {"k", KIB},   {"kb", KIB},  {"kib", KIB},
                 {"m", MIB},   {"mb", MIB}, {"mib", MIB}, {"g", GIB},   {"gb", GIB},
                 {"gib", GIB}, {"t", TIB},  {"tb", TIB},  {"tib", TIB}, {NULL, 0}};

    for (size_t i = 0; units[i].word; i++) {
        if (strcasecmp(u, units[i].word) == 0) {
            return units[i].mult;
        }
    }
    return 0;
}

int ls_parse_size(const char *s, uint64_t *out)
{
    uint64_t ip, frac, scale, mult;
    size_t i = parse_decimal(s, &ip, &frac, &scale);

    if (i == 0) {
        return -1;
    }
    while (s[i] == ' ') {
        i++;
    }
    mult = size_unit(s + i);
    if (mult == 0 || (mult == 1 && frac != 0)) {
        return -1;
    }
    return scale_value(ip, frac, scale, mult, UINT64_MAX, out);
}

static int64_t duration_unit(const char *u, size_t len)
{
    static const struct {
        const char *word;
        int64_t ns;
    } units[] = {{"ns", 1},     {"us", NS_US},  {"ms", NS_MS}, {"s", NS_S},
                 {"m", NS_MIN}, {"h", NS_HOUR}, {"d", NS_DAY}, {NULL, 0}};

    for (size_t i = 0; units[i].word; i++) {
        if (strlen(units[i].word) == len && memcmp(u, units[i].word, len) == 0) {
            return units[i].ns;
        }
    }
    return 0;
}

int ls_parse_duration(const char *s, int64_t *ns)
{
    uint64_t total = 0;
    size_t i = 0;

    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (!s[0]) {
        return -1;
    }
    while (s[i]) {
        uint64_t ip, frac, scale, v;
        size_t n = parse_decimal(s + i, &ip, &frac, &scale), ulen = 0;
        int64_t unit;

        if (n == 0) {
            return -1;
        }
        i += n;
        while (s[i + ulen] >= 'a' && s[i + ulen] <= 'z') {
            ulen++;
        }
        unit = duration_unit(s + i, ulen);
        if (unit == 0 || scale_value(ip, frac, scale, (uint64_t)unit, INT64_MAX, &v) < 0 ||
            v > (uint64_t)INT64_MAX - total) {
            return -1;
        }
        total += v;
        i += ulen;
    }
    *ns = (int64_t)total;
    return 0;
}

int ls_parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    char *end;
    long long v;

    if (*p == '-' || *p == '+') {
        p++;
    }
    if (!is_digit(*p)) {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end) {
        return -1;
    }
    *out = v;
    return 0;
}

int ls_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", NULL};
    static const char *const no[] = {"false", "no", "off", NULL};

    for (size_t i = 0; yes[i]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int hostname_ok(const char *h, size_t len)
{
    int all_numeric = 1;
    char buf[16];
    struct in_addr a4;

    if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-') {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = h[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
              c == '-' || c == '_')) {
            return 0;
        }
        if (!is_digit(c) && c != '.') {
            all_numeric = 0;
        }
    }
    if (!all_numeric) {
        return 1;
    }
    /* Looks like IPv4: must be one. */
    if (len >= sizeof buf) {
        return 0;
    }
    memcpy(buf, h, len);
    buf[len] = '\0';
    return inet_pton(AF_INET, buf, &a4) == 1;
}

static int ipv6_ok(const char *h, size_t len)
{
    char buf[64];
    struct in6_addr a6;
    const char *zone = memchr(h, '%', len);

    if (zone) {
        for (const char *z = zone + 1; z < h + len; z++) {
            if (!((*z >= 'a' && *z <= 'z') || (*z >= 'A' && *z <= 'Z') || is_digit(*z) ||
                  *z == '_' || *z == '-' || *z == '.')) {
                return 0;
            }
        }
        if (zone + 1 == h + len) {
            return 0;
        }
        len = (size_t)(zone - h);
    }
    if (len == 0 || len >= sizeof buf) {
        return 0;
    }
    memcpy(buf, h, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, &a6) == 1;
}

static int parse_port(const char *p, int allow_zero, int *port)
{
    int v = 0;
    size_t i;

    for (i = 0; is_digit(p[i]); i++) {
        if (i >= 5) {
            return -1;
        }
        v = v * 10 + (p[i] - '0');
    }
    if (i == 0 || p[i] || v > 65535 || (v == 0 && !allow_zero)) {
        return -1;
    }
    *port = v;
    return 0;
}

int ls_parse_address(const char *s, char *host, size_t hostlen, int *port, int allow_zero)
{
    const char *h, *p;
    size_t hlen;

    if (s[0] == '[') {
        const char *end = strchr(s, ']');

        if (!end || end[1] != ':') {
            return -1;
        }
        h = s + 1;
        hlen = (size_t)(end - h);
        p = end + 2;
        if (!ipv6_ok(h, hlen)) {
            return -1;
        }
    } else {
        const char *colon = strrchr(s, ':');

        if (!colon) {
            return -1;
        }
        h = s;
        hlen = (size_t)(colon - s);
        p = colon + 1;
        if (hlen == 1 && h[0] == '*') {
            hlen = 0;
        } else if (!hostname_ok(h, hlen)) {
            return -1;
        }
    }
    if (parse_port(p, allow_zero, port) < 0 || hlen + 1 > hostlen) {
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    return 0;
}

/* ---- Formatting values for messages and help ----------------------------------------------- */

static const char *fmt_size(char *buf, size_t len, uint64_t v)
{
    static const struct {
        uint64_t mult;
        const char *unit;
    } units[] = {{TIB, "TiB"}, {GIB, "GiB"}, {MIB, "MiB"}, {KIB, "KiB"}};

    for (size_t i = 0; i < 4 && v; i++) {
        if (v % units[i].mult == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(v / units[i].mult), units[i].unit);
            return buf;
        }
    }
    snprintf(buf, len, "%llu", (unsigned long long)v);
    return buf;
}

static const char *fmt_duration(char *buf, size_t len, int64_t ns)
{
    static const struct {
        int64_t ns;
        const char *unit;
    } units[] = {{NS_DAY, "d"}, {NS_HOUR, "h"}, {NS_MIN, "m"}, {NS_S, "s"},
                 {NS_MS, "ms"}, {NS_US, "us"},  {1, "ns"}};
    size_t off = 0;

    if (ns <= 0) {
        snprintf(buf, len, "%lld", (long long)ns);
        return buf;
    }
    for (size_t i = 0; i < 7 && off < len; i++) {
        if (ns >= units[i].ns) {
            int n = snprintf(buf + off, len - off, "%lld%s", (long long)(ns / units[i].ns),
                             units[i].unit);
            off += n > 0 ? (size_t)n : 0;
            ns %= units[i].ns;
        }
    }
    return buf;
}

static const char *clip(char *buf, size_t len, const char *s)
{
    size_t n = strlen(s);

    if (n > CLIP_MAX) {
        snprintf(buf, len, "%.*s...", CLIP_MAX, s);
    } else {
        snprintf(buf, len, "%s", s);
    }
    return buf;
}

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

static void add_enum_words(struct ls_sbuf *sb, const char *const *words, const char *sep)
{
    for (size_t i = 0; words && words[i] && i < ENUM_MAX; i++) {
        ls_sbuf_addf(sb, "%s%s", i ? sep : "", words[i]);
    }
}

/* "a size like 64MiB", "one of raw, json": what a value of this type looks like. */
static void add_expected(struct ls_sbuf *sb, const struct ls_option *o, int type)
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
        add_enum_words(sb, o->enum_values, ", ");
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
static int bounded(const struct ls_option *o, int type)
{
    return (type == LS_OPT_INT || type == LS_OPT_SIZE || type == LS_OPT_DURATION) &&
           (o->min != 0 || o->max != 0);
}

static const char *fmt_typed(char *buf, size_t len, int type, int64_t v)
{
    if (type == LS_OPT_SIZE) {
        return fmt_size(buf, len, (uint64_t)v);
    }
    if (type == LS_OPT_DURATION) {
        return fmt_duration(buf, len, v);
    }
    snprintf(buf, len, "%lld", (long long)v);
    return buf;
}

/* "1KiB..16MiB" */
static void add_range(struct ls_sbuf *sb, const struct ls_option *o, int type)
{
    char lo[48], hi[48];

    ls_sbuf_addf(sb, "%s..%s", fmt_typed(lo, sizeof lo, type, o->min),
                 fmt_typed(hi, sizeof hi, type, o->max));
}

/* ---- Parsing one scalar text for a type ---------------------------------------------------- */

enum { PARSE_OK = 0, PARSE_SYNTAX = -1, PARSE_RANGE = -2 };

static int parse_enum(const struct ls_option *o, const char *s, int *out)
{
    for (int i = 0; o->enum_values && o->enum_values[i] && i < ENUM_MAX; i++) {
        if (strcmp(s, o->enum_values[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static int in_range(const struct ls_option *o, int type, const union value *v)
{
    if (!bounded(o, type)) {
        return 1;
    }
    if (type == LS_OPT_SIZE) {
        return (o->min <= 0 || v->u64 >= (uint64_t)o->min) &&
               (o->max >= 0 && v->u64 <= (uint64_t)o->max);
    }
    return v->i64 >= o->min && v->i64 <= o->max;
}

/* Parse `s` as a value of `type` (not LIST/OBJECT) for option o into *v (strings are
 * allocated). Returns PARSE_OK, PARSE_SYNTAX or PARSE_RANGE (nothing allocated then). */
static int parse_text(const struct ls_option *o, int type, const char *s, union value *v)
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
        return PARSE_SYNTAX;
    }
    if (!in_range(o, type, v)) {
        return PARSE_RANGE;
    }
    if (type == LS_OPT_STRING || type == LS_OPT_PATH || type == LS_OPT_ADDRESS) {
        v->s = ls_xstrdup(s);
    }
    return PARSE_OK;
}

/* The message for a failed parse_text: "expected ..., got "x"" or "must be between ...". */
static void add_parse_failure(struct ls_sbuf *sb, const struct ls_option *o, int type,
                              const char *s, int why)
{
    char buf[CLIP_MAX + 4], got[48];
    union value v;

    if (why == PARSE_RANGE) {
        char lo[48], hi[48];

        ls_sbuf_addf(sb, "must be between %s and %s", fmt_typed(lo, sizeof lo, type, o->min),
                     fmt_typed(hi, sizeof hi, type, o->max));
        if (type == LS_OPT_SIZE) {
            ls_parse_size(s, &v.u64);
            if (v.u64 > INT64_MAX) {
                ls_sbuf_addf(sb, ", got %s", clip(buf, sizeof buf, s));
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
    add_expected(sb, o, type);
    ls_sbuf_addf(sb, ", got \"%s\"", clip(buf, sizeof buf, s));
}

static size_t type_size(int type)
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

static int is_string_type(int type)
{
    return type == LS_OPT_STRING || type == LS_OPT_PATH || type == LS_OPT_ADDRESS;
}

/* Store a parsed value at p (a member or a list item). */
static void store_value(void *p, int type, const union value *v)
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

static void *member(void *conf, const struct ls_option *o)
{
    return (char *)conf + o->offset;
}

static void list_release(struct ls_opt_list *l, int item_type)
{
    if (is_string_type(item_type)) {
        char **items = l->items;

        for (size_t i = 0; i < l->count; i++) {
            free(items[i]);
        }
    }
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static void member_release(const struct ls_option *o, void *conf)
{
    void *p = member(conf, o);

    if (is_string_type(o->type)) {
        free(*(char **)p);
        *(char **)p = NULL;
    } else if (o->type == LS_OPT_LIST) {
        list_release(p, o->item_type);
    }
}

void ls_options_release(const struct ls_option *table, void *conf)
{
    for (size_t i = 0; table && conf && table[i].name && i < TABLE_MAX; i++) {
        if (table[i].type == LS_OPT_OBJECT) {
            ls_options_release(table[i].sub, conf);
        } else {
            member_release(&table[i], conf);
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
static long parse_list(const struct ls_option *o, const char *const *texts, size_t n,
                       struct ls_opt_list *out, int *why)
{
    size_t isz = type_size(o->item_type);
    char *items = n ? ls_xcalloc(n, isz) : NULL;

    for (size_t i = 0; i < n; i++) {
        union value v;
        int rc = parse_text(o, o->item_type, texts[i], &v);

        if (rc != PARSE_OK) {
            struct ls_opt_list tmp = {i, items};

            list_release(&tmp, o->item_type);
            *why = rc;
            return (long)i;
        }
        store_value(items + i * isz, o->item_type, &v);
    }
    out->count = n;
    out->items = items;
    return -1;
}

/* Apply the table default of one option. Returns 0, or -1 with a reason in sb. */
static int set_default(const struct ls_option *o, void *conf, struct ls_sbuf *sb)
{
    void *p = member(conf, o);
    union value v;
    int rc;

    member_release(o, conf);
    if (o->type == LS_OPT_LIST) {
        size_t n = 0;
        char **texts = o->def ? split_list_text(o->def, &n) : NULL;
        struct ls_opt_list l = {0, NULL};
        long bad = parse_list(o, (const char *const *)texts, n, &l, &rc);

        if (bad >= 0) {
            add_parse_failure(sb, o, o->item_type, texts[bad], rc);
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
        rc = parse_text(o, o->type, o->def, &v);
        if (rc != PARSE_OK) {
            add_parse_failure(sb, o, o->type, o->def, rc);
            return -1;
        }
    }
    store_value(p, o->type, &v);
    return 0;
}

static int defaults_rec(const struct ls_option *table, void *conf, const char *prefix,
                        struct ls_errors *errs)
{
    int bad = 0;

    for (size_t i = 0; table && table[i].name && i < TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];
        struct ls_sbuf sb;

        if (o->type == LS_OPT_OBJECT) {
            char *sub = ls_xasprintf("%s%s.", prefix, o->name);

            bad += defaults_rec(o->sub, conf, sub, errs);
            free(sub);
            continue;
        }
        ls_sbuf_init(&sb);
        if (set_default(o, conf, &sb) < 0) {
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

/* ---- Applying a mapping -------------------------------------------------------------------- */

struct apply {
    struct ls_errors *errs;
    const char *path;
};

static int is_null(const struct ls_node *n)
{
    return n->kind == LS_NODE_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
            strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

static void opt_error(struct apply *a, const struct ls_node *at, const char *name, const char *fmt,
                      ...) LS_PRINTF(4, 5);

static void opt_error(struct apply *a, const struct ls_node *at, const char *name, const char *fmt,
                      ...)
{
    struct ls_sbuf sb;
    va_list ap;

    ls_sbuf_init(&sb);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    ls_errors_add(a->errs, at, a->path, "option '%s': %s", name, sb.buf);
    ls_sbuf_release(&sb);
}

static void kind_error(struct apply *a, const struct ls_option *o, int type,
                       const struct ls_node *n, const char *name)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    add_expected(&sb, o, type);
    opt_error(a, n, name, "expected %s, got %s", sb.buf, ls_node_kind_name(n));
    ls_sbuf_release(&sb);
}

static void parse_error(struct apply *a, const struct ls_option *o, int type,
                        const struct ls_node *n, const char *name, int why)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    add_parse_failure(&sb, o, type, n->str, why);
    opt_error(a, n, name, "%s", sb.buf);
    ls_sbuf_release(&sb);
}

/* The item name for messages: "tags[2]" for an item of a YAML list, "tags" for a lone scalar. */
static char *item_name(const struct ls_node *n, const char *name, size_t i)
{
    return n->kind == LS_NODE_SEQ ? ls_xasprintf("%s[%zu]", name, i) : ls_xstrdup(name);
}

/* A YAML list of scalars, or one scalar as a one-item list. Every bad item is reported; the
 * member changes only when all are good. */
static void apply_list(struct apply *a, const struct ls_option *o, void *conf,
                       const struct ls_node *n, const char *name)
{
    const struct ls_node *const *items = (const struct ls_node *const *)n->vals;
    size_t count = n->n;
    const char **texts;
    struct ls_opt_list l;
    int why, ok = 1;

    if (n->kind == LS_NODE_MAP) {
        kind_error(a, o, LS_OPT_LIST, n, name);
        return;
    }
    if (n->kind == LS_NODE_SCALAR) {
        items = &n;
        count = 1;
    }
    texts = ls_xcalloc(count ? count : 1, sizeof *texts);
    for (size_t i = 0; i < count; i++) {
        union value v;
        char *iname = item_name(n, name, i);
        int rc = PARSE_SYNTAX;

        texts[i] = items[i]->str;
        if (items[i]->kind != LS_NODE_SCALAR) {
            kind_error(a, o, o->item_type, items[i], iname);
        } else if ((rc = parse_text(o, o->item_type, texts[i], &v)) != PARSE_OK) {
            parse_error(a, o, o->item_type, items[i], iname, rc);
        } else if (is_string_type(o->item_type)) {
            free(v.s);
        }
        ok &= rc == PARSE_OK;
        free(iname);
    }
    if (ok && parse_list(o, texts, count, &l, &why) < 0) {
        member_release(o, conf);
        memcpy(member(conf, o), &l, sizeof l);
    }
    free(texts);
}

static void apply_map(struct apply *a, const struct ls_opt_target *targets, size_t ntargets,
                      const struct ls_node *map, const struct ls_node *at, const char *prefix,
                      const char *const *ignore);

static void apply_value(struct apply *a, const struct ls_option *o, void *conf,
                        const struct ls_node *n, const char *name)
{
    union value v;
    int rc;

    if (o->type == LS_OPT_LIST) {
        apply_list(a, o, conf, n, name);
        return;
    }
    if (o->type == LS_OPT_OBJECT) {
        struct ls_opt_target t = {o->sub, conf};
        char *prefix;

        if (n->kind != LS_NODE_MAP) {
            kind_error(a, o, LS_OPT_OBJECT, n, name);
            return;
        }
        prefix = ls_xasprintf("%s.", name);
        apply_map(a, &t, 1, n, n, prefix, NULL);
        free(prefix);
        return;
    }
    if (n->kind != LS_NODE_SCALAR) {
        kind_error(a, o, o->type, n, name);
        return;
    }
    rc = parse_text(o, o->type, n->str, &v);
    if (rc != PARSE_OK) {
        parse_error(a, o, o->type, n, name, rc);
        return;
    }
    member_release(o, conf);
    store_value(member(conf, o), o->type, &v);
}

static const struct ls_option *find_option(const struct ls_opt_target *targets, size_t ntargets,
                                           const char *key, void **conf)
{
    for (size_t t = 0; t < ntargets; t++) {
        for (size_t i = 0; targets[t].table && targets[t].table[i].name && i < TABLE_MAX; i++) {
            if (strcmp(targets[t].table[i].name, key) == 0) {
                *conf = targets[t].conf;
                return &targets[t].table[i];
            }
        }
    }
    return NULL;
}

static int in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strcmp(list[i], s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Report an unknown key; returns the option name suggested for it, or NULL. */
static const char *unknown_key(struct apply *a, const struct ls_opt_target *targets,
                               size_t ntargets, const struct ls_node *key, const char *prefix,
                               const char *const *ignore)
{
    const char **names = NULL;
    size_t n = 0, cap = 0;
    const char *s;
    char buf[CLIP_MAX + 4];
    char *name;

    for (size_t t = 0; t < ntargets; t++) {
        for (size_t i = 0; targets[t].table && targets[t].table[i].name && i < TABLE_MAX; i++) {
            ls_grow((void **)&names, &cap, n + 2, sizeof *names);
            names[n++] = targets[t].table[i].name;
        }
    }
    for (size_t i = 0; ignore && ignore[i]; i++) {
        ls_grow((void **)&names, &cap, n + 2, sizeof *names);
        names[n++] = ignore[i];
    }
    ls_grow((void **)&names, &cap, n + 1, sizeof *names);
    names[n] = NULL;
    s = ls_suggest(key->str, names);
    name = ls_xasprintf("%s%s", prefix, clip(buf, sizeof buf, key->str));
    if (s) {
        opt_error(a, key, name, "unknown option (did you mean '%s%s'?)", prefix, s);
    } else {
        opt_error(a, key, name, "unknown option");
    }
    free(name);
    free(names);
    return s;
}

/* Options given (or misspelled: an unknown key was reported with a suggestion of them). */
struct given {
    const struct ls_option **opts;
    size_t n, cap;
    const char **suggested;
    size_t nsug, sugcap;
};

static int was_given(const struct given *g, const struct ls_option *o)
{
    for (size_t i = 0; g && i < g->n; i++) {
        if (g->opts[i] == o) {
            return 1;
        }
    }
    for (size_t i = 0; g && i < g->nsug; i++) {
        if (strcmp(g->suggested[i], o->name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Report required options of table that were not given (recursing into objects not given). */
static void check_required(struct apply *a, const struct ls_option *table, const struct given *g,
                           const struct ls_node *at, const char *prefix)
{
    for (size_t i = 0; table && table[i].name && i < TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];

        if (was_given(g, o)) {
            continue;
        }
        if (o->type == LS_OPT_OBJECT) {
            char *sub = ls_xasprintf("%s%s.", prefix, o->name);

            check_required(a, o->sub, NULL, at, sub);
            free(sub);
        } else if (o->required) {
            ls_errors_add(a->errs, at, a->path, "missing required option '%s%s'", prefix, o->name);
        }
    }
}

/* Apply `map` (may be NULL: no keys) to the targets; `at` positions "missing required". */
static void apply_map(struct apply *a, const struct ls_opt_target *targets, size_t ntargets,
                      const struct ls_node *map, const struct ls_node *at, const char *prefix,
                      const char *const *ignore)
{
    struct given g = {0};

    for (size_t i = 0; map && i < map->n; i++) {
        const struct ls_node *key = map->keys[i], *val = map->vals[i];
        const struct ls_option *o;
        void *conf = NULL;
        char *name;

        if (in_list(ignore, key->str)) {
            continue;
        }
        o = find_option(targets, ntargets, key->str, &conf);
        if (!o) {
            const char *s = unknown_key(a, targets, ntargets, key, prefix, ignore);

            if (s) {
                ls_grow((void **)&g.suggested, &g.sugcap, g.nsug + 1, sizeof *g.suggested);
                g.suggested[g.nsug++] = s;
            }
            continue;
        }
        if (is_null(val)) {
            continue;
        }
        ls_grow((void **)&g.opts, &g.cap, g.n + 1, sizeof *g.opts);
        g.opts[g.n++] = o;
        name = ls_xasprintf("%s%s", prefix, o->name);
        apply_value(a, o, conf, val, name);
        free(name);
    }
    for (size_t t = 0; t < ntargets; t++) {
        check_required(a, targets[t].table, &g, at, prefix);
    }
    free(g.opts);
    free(g.suggested);
}

int ls_options_apply(const struct ls_opt_target *targets, size_t ntargets,
                     const struct ls_node *map, const char *path, const char *const *ignore,
                     struct ls_errors *errs)
{
    struct apply a = {errs, path};
    size_t before = errs->count;

    for (size_t t = 0; t < ntargets; t++) {
        ls_options_defaults(targets[t].table, targets[t].conf, errs);
    }
    if (map && is_null(map)) {
        map = NULL;
    }
    if (map && map->kind != LS_NODE_MAP) {
        ls_errors_add(errs, map, path, "expected a mapping, got %s", ls_node_kind_name(map));
        return -1;
    }
    apply_map(&a, targets, ntargets, map, map, "", ignore);
    return -(int)(errs->count - before);
}

/* ---- Checking a table ---------------------------------------------------------------------- */

static int name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > NAME_MAX_LEN) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_')) {
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
    rc = set_default(&tmp, conf, &sb);
    if (rc < 0 && strncmp(sb.buf, "must", 4) == 0) {
        snprintf(why, whylen, "option '%s': default \"%s\" is out of range: %s", name, o->def,
                 sb.buf);
    } else if (rc < 0) {
        const char *tn = o->type == LS_OPT_LIST ? ls_opt_type_name(o->type, o->item_type)
                                                : ls_opt_type_name(o->type, 0);

        snprintf(why, whylen, "option '%s': default \"%s\" is not %s %s", name, o->def, article(tn),
                 tn);
    }
    member_release(&tmp, conf);
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
        if (i >= ENUM_MAX || !o->enum_values[i][0]) {
            snprintf(why, whylen, "option '%s': enum_values must be 1 to %d non-empty words", name,
                     ENUM_MAX);
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
    if (depth == 0 && in_list(reserved_names, o->name)) {
        snprintf(why, whylen, "option '%s': the name is reserved by the core", name);
        return -1;
    }
    if (o->type < LS_OPT_STRING || o->type > LS_OPT_OBJECT) {
        snprintf(why, whylen, "option '%s': unknown type %d", name, o->type);
        return -1;
    }
    sz = type_size(o->type);
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
    if (bounded(o, o->type == LS_OPT_LIST ? o->item_type : o->type) &&
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
        if (i >= TABLE_MAX) {
            snprintf(why, whylen, "more than %d options (is the table missing its NULL entry?)",
                     TABLE_MAX);
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
    for (size_t i = 0; table && table[i].name && i < TABLE_MAX; i++) {
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
    for (size_t i = 0; table && table[i].name && i < TABLE_MAX; i++) {
        const struct ls_option *o = &table[i];
        int type = o->type == LS_OPT_LIST ? o->item_type : o->type;
        struct ls_sbuf def, extra, line;

        ls_sbuf_init(&def);
        ls_sbuf_init(&extra);
        ls_sbuf_init(&line);
        help_default(&def, o);
        if (type == LS_OPT_ENUM) {
            ls_sbuf_addstr(&extra, "one of: ");
            add_enum_words(&extra, o->enum_values, ", ");
        } else if (bounded(o, type)) {
            ls_sbuf_addstr(&extra, "range ");
            add_range(&extra, o, type);
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
