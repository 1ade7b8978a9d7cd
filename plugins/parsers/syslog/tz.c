/* tz.c - TZif / POSIX TZ loading and offset lookups without libc time zone calls; see tz.h. */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY        86400
#define MAX_OFFSET (26 * 3600) /* RFC 8536 bounds utoff to -25h..26h */
#define RULE_LIMIT (10000000000000LL)

/* ---- calendar ------------------------------------------------------------------------------ */

/* Howard Hinnant's days_from_civil / civil_from_days: days since 1970-01-01. */
int64_t ls_tz_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ls_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int ls_tz_month_days(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12) {
        return 0;
    }
    return mdays[m - 1] + (m == 2 && is_leap(y));
}

/* Floor division of t by n (n > 0). */
static int64_t floor_div(int64_t t, int64_t n)
{
    return t >= 0 ? t / n : -(-(t + 1) / n) - 1;
}

/* ---- POSIX TZ rules ------------------------------------------------------------------------ */

/* Day (since the epoch) on which date `dt` falls in year y. */
static int64_t rule_day(const struct ls_tz_date *dt, int64_t y)
{
    int64_t jan1 = ls_tz_days_from_civil(y, 1, 1);
    int64_t first, wday;
    int day;

    switch (dt->kind) {
    case 'J':
        return jan1 + dt->n - 1 + (is_leap(y) && dt->n >= 60);
    case 'D':
        return jan1 + dt->n;
    default:
        first = ls_tz_days_from_civil(y, dt->m, 1);
        wday = (first % 7 + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
        day = 1 + (int)((dt->d - wday + 7) % 7) + (dt->w - 1) * 7;
        while (day > ls_tz_month_days(y, dt->m)) {
            day -= 7;
        }
        return first + day - 1;
    }
}

static int32_t rule_offset(const struct ls_tz_rule *r, int64_t t)
{
    int64_t y, start, end;
    int m, d;

    if (!r->has_dst) {
        return r->std_off;
    }
    /* Keep the calendar arithmetic far from overflow: +-300000 years is plenty. */
    if (t > RULE_LIMIT) {
        t = RULE_LIMIT;
    } else if (t < -RULE_LIMIT) {
        t = -RULE_LIMIT;
    }
    ls_tz_civil_from_days(floor_div(t + r->std_off, DAY), &y, &m, &d);
    /* DST starts at a time given in standard time and ends at one given in DST. */
    start = rule_day(&r->start, y) * DAY + r->start.secs - r->std_off;
    end = rule_day(&r->end, y) * DAY + r->end.secs - r->dst_off;
    if (start < end) {
        return t >= start && t < end ? r->dst_off : r->std_off;
    }
    /* Southern hemisphere: DST spans the new year. */
    return t >= end && t < start ? r->std_off : r->dst_off;
}

struct cursor {
    const char *p, *end;
};

static int cur_peek(const struct cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int read_num(struct cursor *c, int max_digits, int *out)
{
    int v = 0, n = 0;

    while (n < max_digits && c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (*c->p++ - '0');
        n++;
    }
    *out = v;
    return n > 0 ? 0 : -1;
}

/* "[+-]hh[:mm[:ss]]", hours 0..167 (POSIX.1-2017 rule times); seconds, sign applied. */
static int read_hms(struct cursor *c, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;

    if (cur_peek(c) == '+' || cur_peek(c) == '-') {
        sign = *c->p++ == '-' ? -1 : 1;
    }
    if (read_num(c, 3, &h) < 0 || h > 167) {
        return -1;
    }
    if (cur_peek(c) == ':') {
        c->p++;
        if (read_num(c, 2, &m) < 0 || m > 59) {
            return -1;
        }
        if (cur_peek(c) == ':') {
            c->p++;
            if (read_num(c, 2, &s) < 0 || s > 59) {
                return -1;
            }
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}

/* A zone abbreviation: 3+ letters, or <...> of letters, digits, '+' and '-'. */
static int read_name(struct cursor *c)
{
    const char *start = c->p;

    if (cur_peek(c) == '<') {
        c->p++;
        while (c->p < c->end && *c->p != '>') {
            char ch = *c->p;
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '+' || ch == '-')) {
                return -1;
            }
            c->p++;
        }
        if (c->p >= c->end || c->p - start < 4) {
            return -1;
        }
        c->p++;
        return 0;
    }
    while (c->p < c->end && ((*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= 'a' && *c->p <= 'z'))) {
        c->p++;
    }
    return c->p - start >= 3 ? 0 : -1;
}

static int read_date(struct cursor *c, struct ls_tz_date *dt)
{
    dt->secs = 7200; /* 02:00:00 unless given */
    if (cur_peek(c) == 'J') {
        c->p++;
        dt->kind = 'J';
        if (read_num(c, 3, &dt->n) < 0 || dt->n < 1 || dt->n > 365) {
            return -1;
        }
    } else if (cur_peek(c) == 'M') {
        c->p++;
        dt->kind = 'M';
        if (read_num(c, 2, &dt->m) < 0 || dt->m < 1 || dt->m > 12 || cur_peek(c) != '.') {
            return -1;
        }
        c->p++;
        if (read_num(c, 1, &dt->w) < 0 || dt->w < 1 || dt->w > 5 || cur_peek(c) != '.') {
            return -1;
        }
        c->p++;
        if (read_num(c, 1, &dt->d) < 0 || dt->d > 6) {
            return -1;
        }
    } else {
        dt->kind = 'D';
        if (read_num(c, 3, &dt->n) < 0 || dt->n > 365) {
            return -1;
        }
    }
    if (cur_peek(c) == '/') {
        c->p++;
        return read_hms(c, &dt->secs);
    }
    return 0;
}

static int parse_rule(struct ls_tz_rule *r, const char *s, size_t len)
{
    struct cursor c = {s, s + len};
    int32_t west;

    memset(r, 0, sizeof *r);
    if (read_name(&c) < 0 || read_hms(&c, &west) < 0 || west > MAX_OFFSET || west < -MAX_OFFSET) {
        return -1;
    }
    r->std_off = -west;
    if (c.p == c.end) {
        return 0;
    }
    if (read_name(&c) < 0) {
        return -1;
    }
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (c.p < c.end && *c.p != ',') {
        if (read_hms(&c, &west) < 0 || west > MAX_OFFSET || west < -MAX_OFFSET) {
            return -1;
        }
        r->dst_off = -west;
    }
    if (r->dst_off > MAX_OFFSET || r->dst_off < -MAX_OFFSET) {
        return -1;
    }
    if (c.p == c.end) {
        /* No rule given: the US rules, as glibc assumes. */
        r->start = (struct ls_tz_date){.kind = 'M', .m = 3, .w = 2, .d = 0, .secs = 7200};
        r->end = (struct ls_tz_date){.kind = 'M', .m = 11, .w = 1, .d = 0, .secs = 7200};
        return 0;
    }
    if (*c.p++ != ',' || read_date(&c, &r->start) < 0 || cur_peek(&c) != ',') {
        return -1;
    }
    c.p++;
    if (read_date(&c, &r->end) < 0 || c.p != c.end) {
        return -1;
    }
    return 0;
}

int ls_tz_from_posix(struct ls_tz *tz, const char *s, size_t len)
{
    memset(tz, 0, sizeof *tz);
    if (parse_rule(&tz->rule, s, len) < 0) {
        memset(tz, 0, sizeof *tz);
        return -1;
    }
    tz->has_rule = 1;
    tz->before_off = tz->rule.std_off;
    tz->fixed = !tz->rule.has_dst;
    return 0;
}

/* ---- TZif ---------------------------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_hdr {
    int version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int read_hdr(const unsigned char *p, size_t len, struct tzif_hdr *h)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0) {
        return -1;
    }
    h->version = p[4];
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 || h->timecnt > LS_TZ_MAX_TRANS ||
        h->leapcnt > 1000 || (h->isutcnt && h->isutcnt != h->typecnt) ||
        (h->isstdcnt && h->isstdcnt != h->typecnt) || h->charcnt > 65536) {
        return -1;
    }
    return 0;
}

/* Bytes of the data block after a header, with `tsize`-byte times. */
static size_t block_size(const struct tzif_hdr *h, size_t tsize)
{
    return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
           (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Fill tz from one data block (p: right after its header; the block is known to fit). */
static int read_block(struct ls_tz *tz, const struct tzif_hdr *h, const unsigned char *p,
                      size_t tsize)
{
    const unsigned char *times = p;
    const unsigned char *idx = times + (size_t)h->timecnt * tsize;
    const unsigned char *types = idx + h->timecnt;
    int32_t offs[256];

    for (uint32_t i = 0; i < h->typecnt; i++) {
        int32_t off = (int32_t)be32(types + 6 * i);
        if (off < -MAX_OFFSET || off > MAX_OFFSET) {
            return -1;
        }
        offs[i] = off;
    }
    tz->before_off = offs[0];
    if (h->timecnt == 0) {
        return 0;
    }
    tz->trans = malloc(h->timecnt * sizeof *tz->trans);
    if (!tz->trans) {
        return -1;
    }
    for (uint32_t i = 0; i < h->timecnt; i++) {
        int64_t at = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= h->typecnt || (i > 0 && at <= tz->trans[i - 1].at)) {
            return -1;
        }
        tz->trans[i] = (struct ls_tz_trans){at, offs[idx[i]]};
    }
    tz->n = h->timecnt;
    return 0;
}

/* The v2+ footer: "\n<POSIX TZ>\n" right after the second data block. Empty is allowed. */
static int read_footer(struct ls_tz *tz, const unsigned char *p, size_t len)
{
    const unsigned char *nl;

    if (len < 2 || p[0] != '\n') {
        return -1;
    }
    nl = memchr(p + 1, '\n', len - 1);
    if (!nl) {
        return -1;
    }
    if (nl == p + 1) {
        return 0;
    }
    if (parse_rule(&tz->rule, (const char *)p + 1, (size_t)(nl - p - 1)) < 0) {
        return -1;
    }
    tz->has_rule = 1;
    return 0;
}

int ls_tz_from_tzif(struct ls_tz *tz, const unsigned char *buf, size_t len)
{
    struct tzif_hdr h;
    size_t size;

    memset(tz, 0, sizeof *tz);
    if (read_hdr(buf, len, &h) < 0) {
        goto fail;
    }
    size = block_size(&h, 4);
    if (len - 44 < size) {
        goto fail;
    }
    if (h.version == 0) {
        if (read_block(tz, &h, buf + 44, 4) < 0) {
            goto fail;
        }
    } else {
        /* Version 2+: skip the 32-bit block, use the 64-bit one and the footer. */
        buf += 44 + size;
        len -= 44 + size;
        if (read_hdr(buf, len, &h) < 0) {
            goto fail;
        }
        size = block_size(&h, 8);
        if (len - 44 < size || read_block(tz, &h, buf + 44, 8) < 0 ||
            read_footer(tz, buf + 44 + size, len - 44 - size) < 0) {
            goto fail;
        }
    }
    tz->fixed = tz->n == 0 && (!tz->has_rule || !tz->rule.has_dst);
    if (tz->n == 0 && tz->has_rule) {
        tz->before_off = tz->rule.std_off;
    }
    return 0;
fail:
    ls_tz_release(tz);
    return -1;
}

void ls_tz_release(struct ls_tz *tz)
{
    free(tz->trans);
    memset(tz, 0, sizeof *tz);
}

/* ---- lookups ------------------------------------------------------------------------------- */

int32_t ls_tz_offset(const struct ls_tz *tz, int64_t t)
{
    size_t lo, hi;

    if (tz->fixed) {
        return tz->before_off;
    }
    if (tz->n == 0) {
        return tz->has_rule ? rule_offset(&tz->rule, t) : tz->before_off;
    }
    if (t < tz->trans[0].at) {
        return tz->before_off;
    }
    if (t >= tz->trans[tz->n - 1].at) {
        return tz->has_rule ? rule_offset(&tz->rule, t) : tz->trans[tz->n - 1].off;
    }
    /* trans[lo].at <= t < trans[hi].at */
    lo = 0;
    hi = tz->n - 1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid].at <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return tz->trans[lo].off;
}

int64_t ls_tz_local_to_utc(const struct ls_tz *tz, int64_t local)
{
    int32_t before, after;

    if (tz->fixed) {
        return local - tz->before_off;
    }
    /* Offsets a day either side: zones never change twice within two days. */
    before = ls_tz_offset(tz, local - DAY);
    after = ls_tz_offset(tz, local + DAY);
    if (before == after || ls_tz_offset(tz, local - before) == before) {
        return local - before; /* unambiguous, or the earlier of two readings */
    }
    if (ls_tz_offset(tz, local - after) == after) {
        return local - after;
    }
    return local - before; /* in the gap: read with the offset before it */
}

/* ---- loading (init only: reads files and the environment) ---------------------------------- */

static int caseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

/* An IANA name: [A-Za-z0-9_+.-] components separated by '/', none empty, "." or "..". */
static int valid_zone_name(const char *s)
{
    const char *comp = s;

    if (!*s || strlen(s) > 255) {
        return 0;
    }
    for (const char *p = s;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - comp);
            if (n == 0 || (n == 1 && comp[0] == '.') ||
                (n == 2 && comp[0] == '.' && comp[1] == '.')) {
                return 0;
            }
            if (*p == '\0') {
                return 1;
            }
            comp = p + 1;
            continue;
        }
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '+' || *p == '-' || *p == '.')) {
            return 0;
        }
    }
}

/* Read a TZif file into tz. On failure, err holds "<path>: <reason>". */
static int load_file(struct ls_tz *tz, const char *path, char *err, size_t errsize)
{
    unsigned char *buf = malloc(LS_TZ_MAX_FILE + 1);
    size_t len = 0;
    int fd, rc = -1;

    if (!buf) {
        snprintf(err, errsize, "%s: out of memory", path);
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsize, "%s: %s", path, strerror(errno));
        goto out_free;
    }
    while (len <= LS_TZ_MAX_FILE) {
        ssize_t n = read(fd, buf + len, LS_TZ_MAX_FILE + 1 - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(err, errsize, "%s: %s", path, strerror(errno));
            goto out_close;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    if (len > LS_TZ_MAX_FILE) {
        snprintf(err, errsize, "%s: larger than %d bytes, not a zone file", path, LS_TZ_MAX_FILE);
    } else if (ls_tz_from_tzif(tz, buf, len) < 0) {
        snprintf(err, errsize, "%s: not a valid TZif zone file", path);
    } else {
        rc = 0;
    }
out_close:
    close(fd);
out_free:
    free(buf);
    return rc;
}

static int load_named(struct ls_tz *tz, const char *name, char *err, size_t errsize)
{
    const char *dir = getenv("TZDIR");
    char path[4096];
    char why[4400];

    if (!valid_zone_name(name)) {
        if (ls_tz_from_posix(tz, name, strlen(name)) == 0) {
            return 0;
        }
        snprintf(err, errsize,
                 "unknown time zone \"%s\": expected local, UTC, an IANA name like "
                 "Europe/Berlin or a POSIX TZ string",
                 name);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    if (load_file(tz, path, why, sizeof why) == 0) {
        return 0;
    }
    if (ls_tz_from_posix(tz, name, strlen(name)) == 0) {
        return 0;
    }
    snprintf(err, errsize, "unknown time zone \"%s\": %s", name, why);
    return -1;
}

static int load_local(struct ls_tz *tz, char *err, size_t errsize)
{
    const char *env = getenv("TZ");
    char why[4400];

    if (!env) {
        if (load_file(tz, "/etc/localtime", why, sizeof why) == 0) {
            return 0;
        }
        return 0; /* no /etc/localtime: libc uses UTC too */
    }
    if (*env == ':') {
        env++;
    }
    if (*env == '\0') {
        return 0;
    }
    if (*env == '/') {
        if (load_file(tz, env, why, sizeof why) == 0) {
            return 0;
        }
        snprintf(err, errsize, "time zone local: TZ=%s: %s", env, why);
        return -1;
    }
    if (load_named(tz, env, why, sizeof why) == 0) {
        return 0;
    }
    snprintf(err, errsize, "time zone local: TZ: %s", why);
    return -1;
}

int ls_tz_load(struct ls_tz *tz, const char *spec, char *err, size_t errsize)
{
    memset(tz, 0, sizeof *tz);
    tz->fixed = 1;
    if (caseeq(spec, "UTC") || caseeq(spec, "Z")) {
        return 0;
    }
    if (strcmp(spec, "local") == 0) {
        return load_local(tz, err, errsize);
    }
    return load_named(tz, spec, err, errsize);
}
