/* level_parse.c - level word and service detection in plain lines; see level_parse.h. */
#include "level_parse.h"

#include <stdint.h>
#include <string.h>

/* Words are compared as up to 8 bytes packed little-endian into a uint64, each byte ORed with
 * 0x20: that lowercases ASCII letters, and only 'A'-'Z' / 'a'-'z' turn into 'a'-'z', so a
 * packed token equals a packed lowercase word exactly when the token is that word in any
 * case. One compare per candidate instead of a string loop: this is the hot path. */
#define PK2(a, b)                   ((uint64_t)(a) | (uint64_t)(b) << 8)
#define PK3(a, b, c)                (PK2(a, b) | (uint64_t)(c) << 16)
#define PK4(a, b, c, d)             (PK3(a, b, c) | (uint64_t)(d) << 24)
#define PK5(a, b, c, d, e)          (PK4(a, b, c, d) | (uint64_t)(e) << 32)
#define PK6(a, b, c, d, e, f)       (PK5(a, b, c, d, e) | (uint64_t)(f) << 40)
#define PK7(a, b, c, d, e, f, g)    (PK6(a, b, c, d, e, f) | (uint64_t)(g) << 48)
#define PK8(a, b, c, d, e, f, g, h) (PK7(a, b, c, d, e, f, g) | (uint64_t)(h) << 56)

struct word {
    uint64_t pk;
    int v;
};

/* The level words of the issue, no more: prose must not turn into levels. */
static const struct word level_words[] = {
    {PK5('e', 'r', 'r', 'o', 'r'), LS_SEV_ERR},
    {PK4('i', 'n', 'f', 'o'), LS_SEV_INFO},
    {PK4('w', 'a', 'r', 'n'), LS_SEV_WARNING},
    {PK7('w', 'a', 'r', 'n', 'i', 'n', 'g'), LS_SEV_WARNING},
    {PK5('d', 'e', 'b', 'u', 'g'), LS_SEV_DEBUG},
    {PK5('t', 'r', 'a', 'c', 'e'), LS_SEV_DEBUG},
    {PK6('n', 'o', 't', 'i', 'c', 'e'), LS_SEV_NOTICE},
    {PK3('e', 'r', 'r'), LS_SEV_ERR},
    {PK4('c', 'r', 'i', 't'), LS_SEV_CRIT},
    {PK8('c', 'r', 'i', 't', 'i', 'c', 'a', 'l'), LS_SEV_CRIT},
    {PK5('f', 'a', 't', 'a', 'l'), LS_SEV_CRIT},
    {PK5('a', 'l', 'e', 'r', 't'), LS_SEV_ALERT},
    {PK5('e', 'm', 'e', 'r', 'g'), LS_SEV_EMERG},
};

/* level, lvl, severity, loglevel */
static const uint64_t level_keys[] = {PK5('l', 'e', 'v', 'e', 'l'), PK3('l', 'v', 'l'),
                                      PK8('s', 'e', 'v', 'e', 'r', 'i', 't', 'y'),
                                      PK8('l', 'o', 'g', 'l', 'e', 'v', 'e', 'l')};

/* Words of timestamps ("Mon Nov 23 10:00:00 UTC 2026") that do not end the line's prefix. */
static const uint64_t time_words[] = {
    PK3('j', 'a', 'n'), PK3('f', 'e', 'b'), PK3('m', 'a', 'r'), PK3('a', 'p', 'r'),
    PK3('m', 'a', 'y'), PK3('j', 'u', 'n'), PK3('j', 'u', 'l'), PK3('a', 'u', 'g'),
    PK3('s', 'e', 'p'), PK3('o', 'c', 't'), PK3('n', 'o', 'v'), PK3('d', 'e', 'c'),
    PK3('m', 'o', 'n'), PK3('t', 'u', 'e'), PK3('w', 'e', 'd'), PK3('t', 'h', 'u'),
    PK3('f', 'r', 'i'), PK3('s', 'a', 't'), PK3('s', 'u', 'n'), PK3('u', 't', 'c'),
    PK3('g', 'm', 't'), PK2('a', 'm'),      PK2('p', 'm'),
};

/* Byte classes: C_WORD joins a token (letters, digits, "_-./@", and every byte from 0x80 so
 * UTF-8 letters join words too), C_OPEN and C_CLOSE are brackets. */
#define C_WORD  1
#define C_OPEN  2
#define C_CLOSE 4

static const unsigned char cclass[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2, 0, 4, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 4, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 4, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int is_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static int is_digit(unsigned char c)
{
    return (unsigned char)(c - '0') < 10;
}

static int is_alnum(unsigned char c)
{
    return is_alpha(c) || is_digit(c);
}

/* Bytes that join a token: a level word next to one of these is part of a larger word. */
static int is_word(unsigned char c)
{
    return cclass[c] & C_WORD;
}

/* s[0, len) packed (see PK2), or 0 when longer than 8 bytes. */
static uint64_t pack(const char *s, size_t len)
{
    uint64_t v = 0;

    if (len > 8) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)((unsigned char)s[i] | 0x20) << (8 * i);
    }
    return v;
}

static int level_pk(uint64_t pk)
{
    for (size_t i = 0; pk && i < sizeof level_words / sizeof *level_words; i++) {
        if (level_words[i].pk == pk) {
            return level_words[i].v;
        }
    }
    return -1;
}

static int level_word(const char *s, size_t len)
{
    return len >= 3 ? level_pk(pack(s, len)) : -1;
}

static int in_pk(uint64_t pk, const uint64_t *set, size_t n)
{
    for (size_t i = 0; pk && i < n; i++) {
        if (set[i] == pk) {
            return 1;
        }
    }
    return 0;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* a[0, len) equals one of the NUL-terminated words, ASCII case-insensitively. */
static int in_list(const char *a, size_t len, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *w = list[k];
        size_t i;
        for (i = 0; i < len && w[i] != '\0'; i++) {
            if (lower((unsigned char)a[i]) != lower((unsigned char)w[i])) {
                break;
            }
        }
        if (i == len && w[i] == '\0') {
            return 1;
        }
    }
    return 0;
}

/* glog: "E1122 10:00:00.123456 ..." -> severity, or -1. */
static int glog_level(const char *s, size_t len)
{
    if (len < 9 || !is_digit((unsigned char)s[1]) || !is_digit((unsigned char)s[2]) ||
        !is_digit((unsigned char)s[3]) || !is_digit((unsigned char)s[4]) || s[5] != ' ' ||
        !is_digit((unsigned char)s[6]) || !is_digit((unsigned char)s[7]) || s[8] != ':') {
        return -1;
    }
    switch (s[0]) {
    case 'I':
        return LS_SEV_INFO;
    case 'W':
        return LS_SEV_WARNING;
    case 'E':
        return LS_SEV_ERR;
    case 'F':
        return LS_SEV_CRIT;
    default:
        return -1;
    }
}

/* After a key ending at s[j]: ["] then '=' (nothing around it) or spaces ':' spaces, then
 * ["]. Returns the offset of the value (and *quoted), or 0 when no separator follows. */
static size_t after_key(const char *s, size_t len, size_t j, int *quoted)
{
    if (j < len && s[j] == '"') {
        j++;
    }
    if (j < len && s[j] == '=') {
        j++;
    } else {
        while (j < len && s[j] == ' ') {
            j++;
        }
        if (j >= len || s[j] != ':') {
            return 0;
        }
        j++;
        while (j < len && s[j] == ' ') {
            j++;
        }
    }
    *quoted = j < len && s[j] == '"';
    return *quoted ? j + 1 : j;
}

/* End of the token starting at s[i], before any trailing '.'; *next is past the whole run. */
static size_t token_end(const char *s, size_t len, size_t i, size_t *next)
{
    size_t j = i, e;

    while (j < len && is_word((unsigned char)s[j])) {
        j++;
    }
    e = j;
    while (e > i && s[e - 1] == '.') {
        e--;
    }
    *next = j;
    return e;
}

/* A service name: letters, digits, "_-.", first a letter or digit, some letter, not a level
 * word, at most LS_LEVEL_MAX_SERVICE bytes. */
static int service_name(const char *s, size_t len)
{
    int letter = 0;

    if (len == 0 || len > LS_LEVEL_MAX_SERVICE || !is_alnum((unsigned char)s[0]) ||
        level_word(s, len) >= 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
            return 0;
        }
        letter |= is_alpha(c);
    }
    return letter;
}

/* The value after a service key at s[v] (quoted: up to the closing quote). */
static struct ls_slice service_value(const char *s, size_t len, size_t v, int quoted)
{
    struct ls_slice out = {NULL, 0};
    size_t e, next;

    if (quoted) {
        const char *q = memchr(s + v, '"', len - v);
        e = q ? (size_t)(q - s) : v;
        if (e == v || e - v > LS_LEVEL_MAX_SERVICE || !is_alnum((unsigned char)s[v])) {
            return out;
        }
    } else {
        if (v >= len) {
            return out;
        }
        e = token_end(s, len, v, &next);
        if (e == v || e - v > LS_LEVEL_MAX_SERVICE || !is_alnum((unsigned char)s[v])) {
            return out;
        }
    }
    out.ptr = s + v;
    out.len = e - v;
    return out;
}

/* Only " \t:-]" between the level word ending at `from` and the '[' at `to`. */
static int adjacent(const char *s, size_t from, size_t to)
{
    if (to < from || to - from > 4) {
        return 0;
    }
    for (size_t i = from; i < to; i++) {
        if (!strchr(" \t:-]", s[i])) {
            return 0;
        }
    }
    return 1;
}

struct scan {
    const struct ls_level_opts *o;
    const char *s;
    size_t len;
    int want_level, want_service;
    int depth;      /* brackets open */
    int prose;      /* a word that is not part of a timestamp prefix was seen */
    size_t lvl_end; /* end of the level token, when found */
    struct ls_level_found *out;
};

static int is_open(char c)
{
    return cclass[(unsigned char)c] & C_OPEN;
}

static int is_close(char c)
{
    return cclass[(unsigned char)c] & C_CLOSE;
}

/* Found: the level token s[i, e). */
static void set_level(struct scan *sc, int sev, size_t i, size_t e)
{
    sc->out->severity = sev;
    sc->out->level.ptr = sc->s + i;
    sc->out->level.len = e - i;
    sc->lvl_end = e;
}

/* One token. Only its first 8 bytes are packed and classified: longer words are never level
 * words or level keys. */
struct tok {
    size_t i, e; /* s[i, e): the token without trailing dots */
    size_t next; /* past the whole run, dots included */
    uint64_t pk; /* packed (see PK2) when e - i <= 8, else 0 */
    int upper;   /* e - i <= 8 and only 'A'-'Z' */
};

static void read_token(const char *s, size_t len, size_t i, struct tok *t)
{
    size_t j = i, n, upper = 0;
    uint64_t pk = 0;

    for (; j < len && j - i < 9 && is_word((unsigned char)s[j]); j++) {
        unsigned char c = (unsigned char)s[j];
        pk |= j - i < 8 ? (uint64_t)(c | 0x20) << (8 * (j - i)) : 0;
        upper += c >= 'A' && c <= 'Z';
    }
    while (j < len && is_word((unsigned char)s[j])) {
        j++;
    }
    t->i = i;
    t->next = j;
    while (j > i && s[j - 1] == '.') {
        j--;
    }
    t->e = j;
    n = j - i;
    t->pk = n > 8 ? 0 : n == 8 ? pk : pk & (((uint64_t)1 << (8 * n)) - 1);
    t->upper = n > 0 && n <= 8 && upper == n;
}

/* The level rules for token t (see level_parse.h). */
static void try_level(struct scan *sc, const struct tok *t)
{
    const char *s = sc->s;
    int sev = t->e - t->i >= 3 ? level_pk(t->pk) : -1, quoted;
    size_t v;

    if (sev < 0) {
        if ((v = after_key(s, sc->len, t->e, &quoted)) != 0 && v < sc->len &&
            in_pk(t->pk, level_keys, sizeof level_keys / sizeof *level_keys)) {
            struct tok val;
            read_token(s, sc->len, v, &val);
            if (val.e - val.i >= 3 && (sev = level_pk(val.pk)) >= 0) {
                set_level(sc, sev, val.i, val.e);
            }
        }
        return;
    }
    if ((sc->depth == 0 && !sc->prose) || t->upper ||
        (sc->depth > 0 && t->i > 0 && (is_open(s[t->i - 1]) || s[t->i - 1] == ':') &&
         t->e < sc->len && (is_close(s[t->e]) || s[t->e] == ':'))) {
        set_level(sc, sev, t->i, t->e);
    }
}

/* The service rules for token t. */
static void try_service(struct scan *sc, const struct tok *t)
{
    const struct ls_level_opts *o = sc->o;
    const char *s = sc->s;
    size_t i = t->i, e = t->e, v;
    int quoted;

    if ((v = after_key(s, sc->len, e, &quoted)) != 0 &&
        in_list(s + i, e - i, o->service_keys, o->nservice_keys)) {
        sc->out->service = service_value(s, sc->len, v, quoted);
        if (sc->out->service.ptr) {
            return;
        }
    }
    if (sc->depth == 1 && i > 0 && s[i - 1] == '[' && e < sc->len && s[e] == ']' &&
        service_name(s + i, e - i) &&
        (!sc->prose || (sc->out->severity >= 0 && adjacent(s, sc->lvl_end, i - 1)))) {
        sc->out->service.ptr = s + i;
        sc->out->service.len = e - i;
    }
}

/* A word outside brackets ends the timestamp prefix unless it holds a digit or is a month,
 * weekday or zone name. */
static void note_prose(struct scan *sc, const struct tok *t)
{
    int letter = 0;

    if (sc->depth > 0) {
        return;
    }
    for (size_t k = t->i; k < t->e; k++) {
        if (is_digit((unsigned char)sc->s[k])) {
            return;
        }
        letter |= is_alpha((unsigned char)sc->s[k]);
    }
    if (letter &&
        (t->e - t->i > 3 || !in_pk(t->pk, time_words, sizeof time_words / sizeof *time_words))) {
        sc->prose = 1;
    }
}

void ls_level_scan(const struct ls_level_opts *o, const char *s, size_t len, int want_level,
                   int want_service, struct ls_level_found *out)
{
    struct scan sc = {o, s, len, want_level, want_service, 0, 0, 0, out};
    size_t i = 0, limit = len < o->max_offset ? len : o->max_offset;
    struct tok t;

    memset(out, 0, sizeof *out);
    out->severity = -1;
    if (want_level && (out->severity = glog_level(s, len)) >= 0) {
        set_level(&sc, out->severity, 0, 1);
    }
    while (i < limit) {
        int need_level = want_level && out->severity < 0;
        int need_service = want_service && !out->service.ptr;
        unsigned char c = (unsigned char)s[i];

        if (!need_level && !need_service) {
            break;
        }
        if (!is_word(c)) {
            if (is_open((char)c)) {
                sc.depth++;
            } else if (is_close((char)c) && sc.depth > 0) {
                sc.depth--;
            }
            i++;
            continue;
        }
        read_token(s, len, i, &t);
        if (t.e > t.i) {
            if (need_level) {
                try_level(&sc, &t);
            }
            if (need_service) {
                try_service(&sc, &t);
            }
            if (!sc.prose) {
                note_prose(&sc, &t);
            }
        }
        i = t.next;
    }
}

int ls_level_parse_record(const struct ls_level_opts *o, struct ls_record *r)
{
    struct ls_level_found f;
    int want_level = o->override || r->severity < 0;
    int want_service = o->service && r->app.len == 0;
    int changed = 0;

    if (!want_level && !want_service) {
        return 0;
    }
    /* The level word is looked for even when only the service is wanted: "ERROR [svc]" names
     * the service by standing next to it. */
    ls_level_scan(o, r->message.ptr, r->message.len, 1, want_service, &f);
    if (want_level && f.severity >= 0) {
        changed |= r->severity != f.severity;
        r->severity = f.severity;
    }
    if (want_service && f.service.ptr) {
        r->app = f.service;
        changed = 1;
    }
    return changed;
}
