/* jentry.c - journal entry fields -> record members and fields; see jentry.h. */
#include "jentry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int role;
} role_names[] = {
    {"MESSAGE", JD_MESSAGE},
    {"PRIORITY", JD_PRIORITY},
    {"SYSLOG_FACILITY", JD_FACILITY},
    {"SYSLOG_IDENTIFIER", JD_IDENTIFIER},
    {"_COMM", JD_COMM},
    {"_PID", JD_PID},
    {"_UID", JD_UID},
    {"_GID", JD_GID},
    {"_HOSTNAME", JD_HOSTNAME},
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 16;

    if (need <= *cap) {
        return p;
    }
    while (ncap < need) {
        ncap *= 2;
    }
    p = realloc(p, ncap * size);
    if (!p) {
        fprintf(stderr, "logstream: journald: out of memory allocating %zu bytes\n", ncap * size);
        abort();
    }
    *cap = ncap;
    return p;
}

void jd_entry_reset(struct jd_entry *e)
{
    e->len = 0;
    e->nkv = 0;
    e->nextra = 0;
    memset(e->found, 0, sizeof e->found);
    e->realtime_usec = -1;
    e->truncated = e->dropped = e->malformed = 0;
}

void jd_entry_release(struct jd_entry *e)
{
    free(e->bytes);
    free(e->kv);
    memset(e, 0, sizeof *e);
}

/* Journal field names: A-Z, 0-9 and '_', not starting with a digit, at most JD_KEY_MAX. */
static int key_valid(const char *k, size_t len)
{
    if (len == 0 || len > JD_KEY_MAX || (k[0] >= '0' && k[0] <= '9')) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = k[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

static int role_of(const char *k, size_t len)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strlen(role_names[i].name) == len && memcmp(role_names[i].name, k, len) == 0) {
            return role_names[i].role;
        }
    }
    return JD_EXTRA;
}

int jd_keep_match(const struct jd_keep *keep, const char *key, size_t len)
{
    if (keep->all) {
        return 1;
    }
    for (size_t i = 0; i < keep->n; i++) {
        if (strlen(keep->names[i]) == len && memcmp(keep->names[i], key, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static size_t store(struct jd_entry *e, const char *p, size_t len)
{
    size_t off = e->len;

    e->bytes = grow(e->bytes, &e->cap, e->len + len + 1, 1);
    if (len) {
        memcpy(e->bytes + off, p, len);
    }
    e->len += len;
    return off;
}

void jd_entry_add(struct jd_entry *e, const struct jd_limits *lim, const struct jd_keep *keep,
                  const void *data, size_t len)
{
    const char *d = data, *eq = len ? memchr(d, '=', len) : NULL;
    size_t klen, vlen, max;
    struct jd_kv *kv;
    int role;

    if (!eq || !key_valid(d, (size_t)(eq - d))) {
        e->malformed++;
        return;
    }
    klen = (size_t)(eq - d);
    vlen = len - klen - 1;
    role = role_of(d, klen);
    if (role != JD_EXTRA && e->found[role]) {
        role = JD_EXTRA; /* a repeated name: only the first sets the member */
    }
    if (role == JD_EXTRA) {
        if (!jd_keep_match(keep, d, klen)) {
            return;
        }
        if (e->nextra >= lim->max_fields) {
            e->dropped++;
            return;
        }
        e->nextra++;
    }
    max = role == JD_MESSAGE ? lim->max_message : lim->max_field_size;
    if (vlen > max) {
        vlen = max;
        e->truncated++;
    }
    e->kv = grow(e->kv, &e->kvcap, e->nkv + 1, sizeof *e->kv);
    kv = &e->kv[e->nkv];
    kv->key_off = store(e, d, klen);
    kv->key_len = klen;
    kv->val_off = store(e, eq + 1, vlen);
    kv->val_len = vlen;
    kv->role = role;
    if (role != JD_EXTRA) {
        e->found[role] = (int)e->nkv + 1;
    }
    e->nkv++;
}

static const struct jd_kv *found(const struct jd_entry *e, int role)
{
    return e->found[role] ? &e->kv[e->found[role] - 1] : NULL;
}

const char *jd_entry_message(const struct jd_entry *e, size_t *len)
{
    const struct jd_kv *kv = found(e, JD_MESSAGE);

    *len = kv ? kv->val_len : 0;
    return kv ? e->bytes + kv->val_off : NULL;
}

/* A decimal number without sign or spaces, at most max; -1 if it is not one. */
static int64_t parse_uint(const char *s, size_t len, int64_t max)
{
    int64_t v = 0;

    if (len == 0 || len > 19) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v <= max ? v : -1;
}

static struct ls_slice copy_value(const struct jd_entry *e, const struct jd_kv *kv,
                                  struct ls_batch *b)
{
    return ls_batch_strdup(b, e->bytes + kv->val_off, kv->val_len);
}

/* Set the member of one mapped field. Returns 1 when it was used, 0 when the value does not
 * parse (the field is then kept as an extra). */
static int apply_role(const struct jd_entry *e, const struct jd_kv *kv, struct ls_batch *b,
                      struct ls_record *r)
{
    const char *v = e->bytes + kv->val_off;
    int64_t n;

    switch (kv->role) {
    case JD_MESSAGE:
        return 1; /* the record was made from it */
    case JD_PRIORITY:
        n = parse_uint(v, kv->val_len, 7);
        r->severity = n >= 0 ? (int)n : r->severity;
        return n >= 0;
    case JD_FACILITY:
        n = parse_uint(v, kv->val_len, 23);
        r->facility = n >= 0 ? (int)n : r->facility;
        return n >= 0;
    case JD_IDENTIFIER:
        r->app = copy_value(e, kv, b);
        return 1;
    case JD_COMM:
        if (found(e, JD_IDENTIFIER)) {
            return 0; /* SYSLOG_IDENTIFIER named the app: _COMM stays a field */
        }
        r->app = copy_value(e, kv, b);
        return 1;
    case JD_PID:
        r->procid = copy_value(e, kv, b);
        r->pid = parse_uint(v, kv->val_len, INT64_MAX);
        return 1;
    case JD_UID:
    case JD_GID:
        n = parse_uint(v, kv->val_len, UINT32_MAX);
        if (n >= 0 && kv->role == JD_UID) {
            r->uid = n;
        } else if (n >= 0) {
            r->gid = n;
        }
        return n >= 0;
    case JD_HOSTNAME:
        r->host = copy_value(e, kv, b);
        return 1;
    default:
        return 0;
    }
}

unsigned jd_entry_apply(const struct jd_entry *e, const struct jd_keep *keep, size_t max_fields,
                        struct ls_batch *b, struct ls_record *r)
{
    unsigned dropped = 0;
    size_t extras = 0;

    if (e->realtime_usec >= 0 && e->realtime_usec <= INT64_MAX / 1000) {
        r->time = e->realtime_usec * 1000;
    }
    if (e->truncated) {
        r->flags |= LS_REC_TRUNCATED;
    }
    for (size_t i = 0; i < e->nkv; i++) {
        const struct jd_kv *kv = &e->kv[i];
        const char *key = e->bytes + kv->key_off;

        if (kv->role != JD_EXTRA && apply_role(e, kv, b, r)) {
            continue;
        }
        if (!jd_keep_match(keep, key, kv->key_len)) {
            continue;
        }
        if (extras >= max_fields || !ls_record_add_field(b, r, key, kv->key_len, LS_FIELD_STRING,
                                                         e->bytes + kv->val_off, kv->val_len)) {
            dropped++;
            continue;
        }
        extras++;
    }
    return dropped;
}
