/* fieldmap.c - key lists, severity words and time values shared by json and logfmt; see
 * fieldmap.h. */
#include "fieldmap.h"

#include <math.h> /* isfinite: a macro, no libm */
#include <string.h>

#define NS_PER_S 1000000000LL

/* ---- keys ----------------------------------------------------------------------------------- */

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* a[0, len) equals the NUL-terminated b, ASCII case-insensitively (b may hold any bytes). */
static int caseeq(const char *a, size_t len, const char *b)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (b[i] == '\0' || lower((unsigned char)a[i]) != lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return b[i] == '\0';
}

static unsigned char lower_c(unsigned char c)
{
    return (unsigned char)(c - 'A') < 26 ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* s[0, len), len <= 8, lowercased (ASCII) and packed little-endian. */
static uint64_t pack_lower(const char *s, size_t len)
{
    uint64_t v = 0;

    for (size_t i = 0; i < len; i++) {
        v |= (uint64_t)lower_c((unsigned char)s[i]) << (8 * i);
    }
    return v;
}

void ls_fmap_set(struct ls_fmap *m, int target, char *const *keys, size_t count)
{
    m->keys[target] = (const char *const *)keys;
    m->nkeys[target] = count;
    m->npk[target] = 0;
    m->slow[target] = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(keys[i]);
        unsigned char n = m->npk[target];
        if (len <= 8 && n < LS_FMAP_PACKED) {
            m->pk[target][n] = pack_lower(keys[i], len);
            m->pklen[target][n] = (unsigned char)len;
            m->npk[target]++;
        } else {
            m->slow[target] = 1;
        }
    }
}

int ls_fmap_lookup(const struct ls_fmap *m, const char *key, size_t len)
{
    uint64_t pk = len <= 8 ? pack_lower(key, len) : 0;

    for (int t = 0; t < LS_FMAP_NTARGETS; t++) {
        for (unsigned k = 0; len <= 8 && k < m->npk[t]; k++) {
            if (m->pk[t][k] == pk && m->pklen[t][k] == len) {
                return t;
            }
        }
        for (size_t i = 0; m->slow[t] && i < m->nkeys[t]; i++) {
            if (caseeq(key, len, m->keys[t][i])) {
                return t;
            }
        }
    }
    return LS_FMAP_NONE;
}

/* ---- severity ------------------------------------------------------------------------------- */

struct sev_word {
    const char *word;
    size_t len;
    int sev;
};

#define W(w, sev)                                                                                  \
    {                                                                                              \
        w, sizeof(w) - 1, sev                                                                      \
    }

static const struct sev_word sev_words[] = {
    W("emerg", LS_SEV_EMERG),        W("emergency", LS_SEV_EMERG), W("panic", LS_SEV_EMERG),
    W("alert", LS_SEV_ALERT),        W("crit", LS_SEV_CRIT),       W("critical", LS_SEV_CRIT),
    W("fatal", LS_SEV_CRIT),         W("err", LS_SEV_ERR),         W("error", LS_SEV_ERR),
    W("severe", LS_SEV_ERR),         W("warn", LS_SEV_WARNING),    W("warning", LS_SEV_WARNING),
    W("notice", LS_SEV_NOTICE),      W("info", LS_SEV_INFO),       W("information", LS_SEV_INFO),
    W("informational", LS_SEV_INFO), W("debug", LS_SEV_DEBUG),     W("trace", LS_SEV_DEBUG),
    W("verbose", LS_SEV_DEBUG),
};

int ls_fmap_severity_number(int64_t n)
{
    if (n >= 0 && n <= 7) {
        return (int)n;
    }
    switch (n) {
    case 10: /* pino/bunyan trace */
    case 20: /* debug */
        return LS_SEV_DEBUG;
    case 30:
        return LS_SEV_INFO;
    case 40:
        return LS_SEV_WARNING;
    case 50:
        return LS_SEV_ERR;
    case 60:
        return LS_SEV_CRIT;
    default:
        return -1;
    }
}

int ls_fmap_severity_word(const char *s, size_t len)
{
    if (len == 0 || len > 13) {
        return -1;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        int64_t n = 0;
        for (size_t i = 0; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return -1;
            }
            n = n * 10 + (s[i] - '0');
        }
        return ls_fmap_severity_number(n);
    }
    for (size_t i = 0; i < sizeof sev_words / sizeof *sev_words; i++) {
        if (sev_words[i].len == len && caseeq(s, len, sev_words[i].word)) {
            return sev_words[i].sev;
        }
    }
    return -1;
}

/* ---- time ----------------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        return 29;
    }
    return mdays[m - 1];
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* seconds + nanoseconds (0 <= frac_ns < 1e9) since the epoch -> ns, or -1 outside int64. */
static int to_ns(int64_t sec, int64_t frac_ns, int64_t *ns)
{
    if (sec > INT64_MAX / NS_PER_S || sec < INT64_MIN / NS_PER_S ||
        (sec == INT64_MAX / NS_PER_S && frac_ns > INT64_MAX % NS_PER_S)) {
        return -1;
    }
    *ns = sec * NS_PER_S + frac_ns;
    return 0;
}

/* The zone suffix at s[0, len): "Z", "+HH:MM" or "+HHMM". Returns 0 and the offset in
 * seconds east of UTC, or -1. */
static int parse_zone(const char *s, size_t len, int64_t *off)
{
    int hh, mm;

    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *off = 0;
        return 0;
    }
    if ((len != 6 && len != 5) || (s[0] != '+' && s[0] != '-')) {
        return -1;
    }
    hh = digits(s + 1, 2);
    if (len == 6) {
        mm = s[3] == ':' ? digits(s + 4, 2) : -1;
    } else {
        mm = digits(s + 3, 2);
    }
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59) {
        return -1;
    }
    *off = (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return 0;
}

int ls_fmap_time_rfc3339(const char *s, size_t len, int64_t *ns)
{
    int y, mo, d, h, mi, sec;
    int64_t frac = 0, off, total;
    size_t i = 19;

    if (len < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) {
        return -1;
    }
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 60) {
        return -1;
    }
    if (s[i] == '.') {
        int64_t scale = NS_PER_S;
        size_t start = ++i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
        }
        if (i == start) {
            return -1;
        }
    }
    if (parse_zone(s + i, len - i, &off) < 0) {
        return -1;
    }
    total = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return to_ns(total, frac, ns);
}

/* ns per unit of an epoch number, chosen by its magnitude. */
static int64_t epoch_scale(int64_t v)
{
    if (v < 100000000000LL) {
        return NS_PER_S;
    }
    if (v < 100000000000000LL) {
        return 1000000;
    }
    return v < 100000000000000000LL ? 1000 : 1;
}

int ls_fmap_time_epoch_int(int64_t v, int64_t *ns)
{
    int64_t scale = epoch_scale(v);

    if (v < 0 || v > INT64_MAX / scale) {
        return -1;
    }
    *ns = v * scale;
    return 0;
}

int ls_fmap_time_epoch_double(double v, int64_t *ns)
{
    double us;

    if (!isfinite(v) || v < 0) {
        return -1;
    }
    if (v >= 1e17) { /* nanoseconds */
        if (v >= 9.2e18) {
            return -1;
        }
        *ns = (int64_t)(v + 0.5);
        return 0;
    }
    /* A double holds about 16 digits: below nanoseconds, round to the microsecond. */
    us = v < 1e11 ? v * 1e6 : v < 1e14 ? v * 1e3 : v;
    if (us >= 9.2e15) {
        return -1;
    }
    *ns = (int64_t)(us + 0.5) * 1000; /* us >= 0: rounds half up */
    return 0;
}

/* "digits[.digits]" -> ns with exact integer arithmetic. */
static int epoch_text(const char *s, size_t len, int64_t *ns)
{
    int64_t ip = 0, unit, frac = 0;
    size_t i = 0;

    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (ip > (INT64_MAX - 9) / 10) {
            return -1;
        }
        ip = ip * 10 + (s[i] - '0');
    }
    if (i == 0 || ls_fmap_time_epoch_int(ip, ns) < 0) {
        return -1;
    }
    if (i == len) {
        return 0;
    }
    if (s[i] != '.' || i + 1 == len) {
        return -1;
    }
    unit = epoch_scale(ip);
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        if (unit > 1) {
            unit /= 10;
            frac += (s[i] - '0') * unit;
        }
    }
    if (*ns > INT64_MAX - frac) {
        return -1;
    }
    *ns += frac;
    return 0;
}

int ls_fmap_time_text(const char *s, size_t len, int64_t *ns)
{
    if (len >= 20 && s[4] == '-') {
        return ls_fmap_time_rfc3339(s, len, ns);
    }
    return epoch_text(s, len, ns);
}

/* ---- snapshots ------------------------------------------------------------------------------ */

void ls_fmap_snap_take(struct ls_fmap_snap *s, const struct ls_record *r)
{
    s->time = r->time;
    s->severity = r->severity;
    s->flags = r->flags;
    s->nfields = r->nfields;
    s->host = r->host;
    s->app = r->app;
    s->message = r->message;
    s->tail = r->fields_tail;
}

void ls_fmap_snap_restore(const struct ls_fmap_snap *s, struct ls_record *r)
{
    r->time = s->time;
    r->severity = s->severity;
    r->flags = s->flags;
    r->nfields = s->nfields;
    r->host = s->host;
    r->app = s->app;
    r->message = s->message;
    r->fields_tail = s->tail;
    if (s->tail) {
        s->tail->next = NULL;
    } else {
        r->fields = NULL;
    }
}
