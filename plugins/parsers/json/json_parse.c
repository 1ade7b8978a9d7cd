/* json_parse.c - one JSON object per message -> record members and fields; see json_parse.h.
 *
 * json-c validates the line and decodes its values. Besides, a shallow scan of the line finds
 * where each top-level value is written, so that nested values and strings without escapes
 * are kept as slices of the line (no copy, no re-serialisation) and integers json-c cannot
 * hold keep their digits. The scan is trusted only when it lines up with json-c's members one
 * to one (same count, same keys): with duplicate keys, a key json-c cut at a NUL, or more than
 * LS_JSON_RAW_MAX members, json-c's own values are used. */
#include "json_parse.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TEXT_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A top-level member as written in the line. */
struct ls_json_raw {
    const char *key, *val; /* key: between its quotes; val: the value (a string: between its
                            * quotes) */
    size_t klen, vlen;
    int kesc, vesc; /* a backslash inside: the text is not the decoded value */
    int lenient;    /* the value uses json-c leniencies (single quotes, NaN, Infinity): its
                     * text is not standard JSON */
};

static const char *const reasons[LS_JSON_NREASONS] = {"not_object", "invalid", "too_deep",
                                                      "too_many_fields"};

const char *ls_json_reason(int code)
{
    if (code >= 0 || code < -LS_JSON_NREASONS) {
        return NULL;
    }
    return reasons[-code - 1];
}

static void oom(size_t n)
{
    fprintf(stderr, "logstream: json parser: out of memory allocating %zu bytes\n", n);
    abort();
}

void ls_json_parser_init(struct ls_json_parser *p, const struct ls_json_opts *o)
{
    memset(p, 0, sizeof *p);
    p->o = *o;
    /* json-c counts a scalar as a level too: depth d admits containers d - 1 deep with values
     * inside; ours counts containers only (the object itself is level 1), so one more. An
     * empty container one level deeper still passes json-c: depth_ok() catches it. */
    p->tok = json_tokener_new_ex(o->max_depth + 1);
    p->raw = malloc(LS_JSON_RAW_MAX * sizeof *p->raw);
    if (!p->tok || !p->raw) {
        oom(LS_JSON_RAW_MAX * sizeof *p->raw);
    }
    json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT);
    /* glibc returns its static C locale object here; (locale_t)0 (failure): no switch. */
    p->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

void ls_json_parser_release(struct ls_json_parser *p)
{
    if (p->tok) {
        json_tokener_free(p->tok);
    }
    free(p->raw);
    free(p->key);
    if (p->c_locale) {
        freelocale(p->c_locale);
    }
    memset(p, 0, sizeof *p);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- where the values are written ----------------------------------------------------------- */

static size_t skip_space(const char *s, size_t len, size_t i)
{
    while (i < len && is_space(s[i])) {
        i++;
    }
    return i;
}

/* The string whose quote is at s[i] ('"', or '\'' which json-c accepts): returns the offset
 * after its closing quote, or 0; *esc tells whether it holds a backslash. One pass byte by
 * byte: the strings of a log line are short, so this beats two memchr calls. */
static size_t skip_string(const char *s, size_t len, size_t i, int *esc)
{
    char q = s[i];

    *esc = 0;
    for (i++; i < len; i++) {
        if (s[i] == q) {
            return i + 1;
        }
        if (s[i] == '\\') {
            *esc = 1;
            i++;
        }
    }
    return 0;
}

/* The value at s[i]: returns the offset after it, or 0. *lenient: it holds a single-quoted
 * string or a bare word other than true/false/null (NaN, Infinity), which json-c accepts but
 * JSON does not. */
static size_t skip_value(const char *s, size_t len, size_t i, int *lenient)
{
    int depth = 0, esc;

    *lenient = 0;
    if (s[i] != '{' && s[i] != '[') {
        if (s[i] == '"' || s[i] == '\'') {
            return skip_string(s, len, i, &esc);
        }
        while (i < len && !is_space(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') {
            i++;
        }
        return i;
    }
    for (; i < len; i++) {
        char c = s[i];
        if (c == '"' || c == '\'') {
            *lenient |= c == '\'';
            if ((i = skip_string(s, len, i, &esc)) == 0) {
                return 0;
            }
            i--;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        } else if (c == 'N' || c == 'I') {
            *lenient = 1;
        }
    }
    return 0;
}

/* One member at s[*i] (after '{' or ','): fills *m and moves *i past the ',' or to the '}'.
 * Returns 1, 0 at the closing '}', -1 when the text is not as expected. */
static int next_member(const char *s, size_t len, size_t *i, struct ls_json_raw *m)
{
    size_t k = skip_space(s, len, *i), e;

    if (k < len && s[k] == '}') {
        return 0;
    }
    if (k >= len || (s[k] != '"' && s[k] != '\'') || (e = skip_string(s, len, k, &m->kesc)) == 0) {
        return -1;
    }
    m->key = s + k + 1;
    m->klen = e - k - 2;
    k = skip_space(s, len, e);
    if (k >= len || s[k] != ':') {
        return -1;
    }
    k = skip_space(s, len, k + 1);
    if (k >= len) {
        return -1;
    }
    m->vesc = 0;
    m->lenient = 0;
    if (s[k] == '"' || s[k] == '\'') {
        if ((e = skip_string(s, len, k, &m->vesc)) == 0) {
            return -1;
        }
        m->val = s + k + 1;
        m->vlen = e - k - 2;
    } else {
        if ((e = skip_value(s, len, k, &m->lenient)) == 0) {
            return -1;
        }
        m->val = s + k;
        m->vlen = e - k;
    }
    k = skip_space(s, len, e);
    if (k < len && s[k] == ',') {
        k++;
    }
    *i = k;
    return 1;
}

/* Find the top-level members of the object text s[0, len) (s[0] == '{'). Returns how many, or
 * -1 when there are more than LS_JSON_RAW_MAX or the text is not as expected. */
static long scan_members(struct ls_json_raw *raw, const char *s, size_t len)
{
    struct ls_json_raw spare;
    size_t i = 1;
    long n = 0;
    int rc;

    while ((rc = next_member(s, len, &i, n < LS_JSON_RAW_MAX ? &raw[n] : &spare)) == 1) {
        if (n == LS_JSON_RAW_MAX) {
            return -1;
        }
        n++;
    }
    return rc < 0 ? -1 : n;
}

/* ---- mapped keys ---------------------------------------------------------------------------- */

/* The text of a string value: a slice of the line when written without escapes (*copy 0),
 * else json-c's decoded bytes, which the caller must copy into the arena (*copy 1). */
static struct ls_slice string_of(struct json_object *val, const struct ls_json_raw *m, int *copy)
{
    struct ls_slice s;

    if (m && !m->vesc) {
        s.ptr = m->val;
        s.len = m->vlen;
        *copy = 0;
    } else {
        s.ptr = json_object_get_string(val);
        s.len = (size_t)json_object_get_string_len(val);
        *copy = 1;
    }
    return s;
}

static struct ls_slice keep(struct ls_batch *b, struct ls_slice s, int copy)
{
    return copy ? ls_batch_strdup(b, s.ptr, s.len) : s;
}

/* Set target t of r from val (m: where it is written, or NULL). Returns 0, or -1 when val
 * does not fit t (it is then kept as an ordinary field). */
static int map_value(struct ls_batch *b, struct ls_record *r, int t, struct json_object *val,
                     const struct ls_json_raw *m)
{
    enum json_type type = json_object_get_type(val);
    struct ls_slice s = {NULL, 0};
    int64_t ns;
    int sev, copy = 0;

    if (type == json_type_string) {
        s = string_of(val, m, &copy);
    }
    switch (t) {
    case LS_FMAP_LEVEL:
        if (type == json_type_int) {
            sev = ls_fmap_severity_number(json_object_get_int64(val));
        } else {
            sev = s.ptr ? ls_fmap_severity_word(s.ptr, s.len) : -1;
        }
        if (sev < 0) {
            return -1;
        }
        r->severity = sev;
        return 0;
    case LS_FMAP_TIME:
        if (type == json_type_int) {
            if (ls_fmap_time_epoch_int(json_object_get_int64(val), &ns) < 0) {
                return -1;
            }
        } else if (type == json_type_double) {
            if (ls_fmap_time_epoch_double(json_object_get_double(val), &ns) < 0) {
                return -1;
            }
        } else if (!s.ptr || ls_fmap_time_text(s.ptr, s.len, &ns) < 0) {
            return -1;
        }
        r->time = ns;
        return 0;
    case LS_FMAP_MESSAGE:
        if (!s.ptr) {
            return -1;
        }
        r->message = keep(b, s, copy);
        return 0;
    case LS_FMAP_APP:
    case LS_FMAP_HOST:
        if (!s.ptr || s.len == 0) {
            return -1;
        }
        if (t == LS_FMAP_APP) {
            r->app = keep(b, s, copy);
        } else {
            r->host = keep(b, s, copy);
        }
        return 0;
    default:
        return -1;
    }
}

/* ---- fields --------------------------------------------------------------------------------- */

struct walk {
    struct ls_json_parser *p;
    struct ls_batch *b;
    struct ls_record *r;
    size_t added;
};

static struct ls_field *add_field(struct walk *w, const char *key, size_t klen, int type,
                                  const char *s, size_t len)
{
    struct ls_field *f;

    if (w->added >= w->p->o.max_fields) {
        return NULL;
    }
    f = ls_record_add_field(w->b, w->r, key, klen, type, s, len);
    if (f) {
        w->added++;
    }
    return f;
}

/* A field whose string value is `s`: copied when `copy`, else the slice itself. */
static int add_text(struct walk *w, const char *key, size_t klen, int type, struct ls_slice s,
                    int copy)
{
    struct ls_field *f = add_field(w, key, klen, type, copy ? s.ptr : NULL, s.len);

    if (!f) {
        return LS_JSON_ETOOMANY;
    }
    if (!copy) {
        f->v.s = s;
    }
    return 0;
}

/* A nested value as JSON text: as written when known and standard, else serialised by
 * json-c (compact). */
static int add_json_text(struct walk *w, const char *key, size_t klen, struct json_object *val,
                         const struct ls_json_raw *m)
{
    struct ls_slice s;

    if (m && !m->lenient) {
        s.ptr = m->val;
        s.len = m->vlen;
        return add_text(w, key, klen, LS_FIELD_JSON, s, 0);
    }
    s.ptr = json_object_to_json_string_length(val, JSON_TEXT_FLAGS, &s.len);
    return add_text(w, key, klen, LS_FIELD_JSON, s, 1);
}

/* json-c saturates integers beyond int64: 1 when val is one of those. */
static int int_overflowed(struct json_object *val, int64_t i, const struct ls_json_raw *m)
{
    static const char max[] = "9223372036854775807", min[] = "-9223372036854775808";

    if (i != INT64_MAX && i != INT64_MIN) {
        return 0;
    }
    if (m) {
        const char *want = i == INT64_MAX ? max : min;
        return m->vlen != strlen(want) || memcmp(m->val, want, m->vlen) != 0;
    }
    return i == INT64_MAX && json_object_get_uint64(val) > (uint64_t)INT64_MAX;
}

/* A value that is not an object or array (or one kept whole) as one field. */
static int add_leaf(struct walk *w, const char *key, size_t klen, struct json_object *val,
                    const struct ls_json_raw *m)
{
    struct ls_field *f;
    struct ls_slice s;
    int64_t i;
    int copy;

    switch (json_object_get_type(val)) {
    case json_type_null:
        f = add_field(w, key, klen, LS_FIELD_NULL, NULL, 0);
        break;
    case json_type_boolean:
        f = add_field(w, key, klen, LS_FIELD_BOOL, NULL, 0);
        if (f) {
            f->v.b = json_object_get_boolean(val) ? 1 : 0;
        }
        break;
    case json_type_double:
        f = add_field(w, key, klen, LS_FIELD_DOUBLE, NULL, 0);
        if (f) {
            f->v.d = json_object_get_double(val);
        }
        break;
    case json_type_int:
        i = json_object_get_int64(val);
        if (int_overflowed(val, i, m)) {
            return add_json_text(w, key, klen, val, m); /* keep the digits */
        }
        f = add_field(w, key, klen, LS_FIELD_INT, NULL, 0);
        if (f) {
            f->v.i = i;
        }
        break;
    case json_type_string:
        s = string_of(val, m, &copy);
        return add_text(w, key, klen, LS_FIELD_STRING, s, copy);
    default:
        return add_json_text(w, key, klen, val, m);
    }
    return f ? 0 : LS_JSON_ETOOMANY;
}

/* Make room for `need` bytes of flattened key. */
static void key_reserve(struct ls_json_parser *p, size_t need)
{
    size_t cap = p->key_cap ? p->key_cap : 128;
    char *k;

    if (need <= p->key_cap) {
        return;
    }
    while (cap < need) {
        cap *= 2;
    }
    k = realloc(p->key, cap);
    if (!k) {
        oom(cap);
    }
    p->key = k;
    p->key_cap = cap;
}

/* Append ".<name>" to the key p->key[0, klen); returns the new length. */
static size_t key_push(struct ls_json_parser *p, size_t klen, const char *name, size_t nlen)
{
    key_reserve(p, klen + 1 + nlen);
    p->key[klen] = '.';
    memcpy(p->key + klen + 1, name, nlen);
    return klen + 1 + nlen;
}

/* 1 when val, a value at nesting level `level` (the top object is 1), and everything inside
 * it stay within max_depth. */
static int depth_ok(struct json_object *val, int level, int max_depth)
{
    enum json_type type = json_object_get_type(val);

    if (type == json_type_object) {
        if (level > max_depth) {
            return 0;
        }
        for (struct lh_entry *e = lh_table_head(json_object_get_object(val)); e;
             e = lh_entry_next(e)) {
            if (!depth_ok((struct json_object *)lh_entry_v(e), level + 1, max_depth)) {
                return 0;
            }
        }
    } else if (type == json_type_array) {
        size_t count = json_object_array_length(val);
        if (level > max_depth) {
            return 0;
        }
        for (size_t i = 0; i < count; i++) {
            if (!depth_ok(json_object_array_get_idx(val, i), level + 1, max_depth)) {
                return 0;
            }
        }
    }
    return 1;
}

/* val under the key p->key[0, klen): leaves as fields, nested values recursively (depth
 * checked by the caller). Values come from json-c: strings are copied. */
static int flatten(struct walk *w, size_t klen, struct json_object *val)
{
    struct ls_json_parser *p = w->p;
    enum json_type type = json_object_get_type(val);
    int rc = 0;

    if (type == json_type_object && json_object_object_length(val) > 0) {
        for (struct lh_entry *e = lh_table_head(json_object_get_object(val)); e && rc == 0;
             e = lh_entry_next(e)) {
            const char *k = (const char *)lh_entry_k(e);
            size_t n = key_push(p, klen, k, strlen(k));
            rc = flatten(w, n, (struct json_object *)lh_entry_v(e));
        }
        return rc;
    }
    if (type == json_type_array && json_object_array_length(val) > 0) {
        size_t count = json_object_array_length(val);
        for (size_t i = 0; i < count && rc == 0; i++) {
            char idx[24];
            int m = snprintf(idx, sizeof idx, "%zu", i);
            size_t n = key_push(p, klen, idx, (size_t)m);
            rc = flatten(w, n, json_object_array_get_idx(val, i));
        }
        return rc;
    }
    return add_leaf(w, p->key, klen, val, NULL);
}

static int add_value(struct walk *w, const char *key, size_t klen, struct json_object *val,
                     const struct ls_json_raw *m)
{
    enum json_type type = json_object_get_type(val);

    if (type != json_type_object && type != json_type_array) {
        return add_leaf(w, key, klen, val, m);
    }
    if (!depth_ok(val, 2, w->p->o.max_depth)) {
        return LS_JSON_EDEPTH;
    }
    if (w->p->o.flatten) {
        key_reserve(w->p, klen + 1); /* + 1: allocated even for the empty key */
        memcpy(w->p->key, key, klen);
        return flatten(w, klen, val);
    }
    return add_json_text(w, key, klen, val, m);
}

/* Every top-level key of obj (written in s[0, len)) into r. */
static int apply(struct walk *w, struct json_object *obj, const char *s, size_t len)
{
    struct ls_json_raw *raw = NULL;
    unsigned taken = 0;
    long k = 0;

    /* Locating the values costs less than copying the strings it spares. */
    if (scan_members(w->p->raw, s, len) == (long)json_object_object_length(obj)) {
        raw = w->p->raw; /* else duplicate keys, or a key json-c cut at a NUL: json-c's values */
    }
    for (struct lh_entry *e = lh_table_head(json_object_get_object(obj)); e;
         e = lh_entry_next(e), k++) {
        const char *key = (const char *)lh_entry_k(e);
        struct json_object *val = (struct json_object *)lh_entry_v(e);
        const struct ls_json_raw *m = raw ? &raw[k] : NULL;
        size_t klen;
        int t, rc;

        if (m && !m->kesc) {
            klen = m->klen;
            if (memcmp(key, m->key, klen) != 0 || key[klen] != '\0') {
                raw = NULL; /* not lined up after all: trust json-c from here on */
                m = NULL;
                klen = strlen(key);
            }
        } else {
            klen = strlen(key);
        }
        t = ls_fmap_lookup(&w->p->o.map, key, klen);
        if (t != LS_FMAP_NONE && !(taken & (1u << t)) && map_value(w->b, w->r, t, val, m) == 0) {
            taken |= 1u << t;
            continue;
        }
        rc = add_value(w, key, klen, val, m);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* The record's message, trimmed, into r (see ls_json_parse_record). */
static int parse_record(struct ls_json_parser *p, struct ls_batch *b, struct ls_record *r)
{
    const char *s = r->message.ptr;
    size_t len = r->message.len;
    struct json_object *obj;
    struct ls_fmap_snap snap;
    struct walk w = {p, b, r, 0};
    int rc;

    while (len > 0 && is_space(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1])) {
        len--;
    }
    if (len == 0 || s[0] != '{') {
        return LS_JSON_ENOTOBJECT;
    }
    if (len > INT_MAX) {
        return LS_JSON_EINVALID;
    }
    json_tokener_reset(p->tok);
    obj = json_tokener_parse_ex(p->tok, s, (int)len);
    if (!obj) {
        return json_tokener_get_error(p->tok) == json_tokener_error_depth ? LS_JSON_EDEPTH
                                                                          : LS_JSON_EINVALID;
    }
    if (json_tokener_get_parse_end(p->tok) != len) {
        rc = LS_JSON_EINVALID; /* something after the object (a NUL byte, a second value) */
    } else if (!json_object_is_type(obj, json_type_object)) {
        rc = LS_JSON_ENOTOBJECT;
    } else {
        ls_fmap_snap_take(&snap, r);
        rc = apply(&w, obj, s, len);
        if (rc < 0) {
            ls_fmap_snap_restore(&snap, r);
        }
    }
    json_object_put(obj);
    return rc;
}

int ls_json_parse_record(struct ls_json_parser *p, struct ls_batch *b, struct ls_record *r)
{
    locale_t old = p->c_locale ? uselocale(p->c_locale) : (locale_t)0;
    int rc = parse_record(p, b, r);

    if (old) {
        uselocale(old);
    }
    return rc;
}
