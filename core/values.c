/*
 * values.c - the scalar value parsers every option type and plugin shares (sizes, durations,
 * integers, booleans, addresses), and the formatting of sizes and durations back into text for
 * messages and help. Pure functions: no allocation, no locale.
 */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options_internal.h"

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

/* ---- Formatting sizes and durations -------------------------------------------------------- */

const char *ls_fmt_size(char *buf, size_t len, uint64_t v)
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

const char *ls_fmt_duration(char *buf, size_t len, int64_t ns)
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
