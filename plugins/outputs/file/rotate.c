/* rotate.c - rotation schedule, rotated names and retention; see rotate.h. */
#include "rotate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_S 1000000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

unsigned fo_rotate_due(const struct fo_rotate_policy *p, const struct fo_rotate_state *s,
                       int64_t now, uint64_t incoming)
{
    unsigned due = 0;

    if (s->size == 0) {
        return 0;
    }
    if (p->size && (s->size >= p->size || incoming > p->size - s->size)) {
        due |= FO_ROT_SIZE;
    }
    if (p->age > 0 && now - s->opened >= p->age) {
        due |= FO_ROT_AGE;
    }
    if (p->every != FO_EVERY_NONE && s->period_end && now >= s->period_end) {
        due |= FO_ROT_TIME;
    }
    return due;
}

/* The next local midnight after second sec (mktime follows DST). */
static int64_t next_local_midnight(int64_t sec)
{
    time_t t = (time_t)sec, m;
    struct tm tm;

    if (!localtime_r(&t, &tm)) {
        return (floor_div(sec, 86400) + 1) * 86400;
    }
    tm.tm_mday += 1;
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    m = mktime(&tm);
    if (m == (time_t)-1 || (int64_t)m <= sec) {
        return (floor_div(sec, 86400) + 1) * 86400;
    }
    return (int64_t)m;
}

/* The next full local hour after second sec: local minutes and seconds are what count, so
 * zones with a half-hour offset turn at their own full hours. */
static int64_t next_local_hour(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;

    if (!localtime_r(&t, &tm)) {
        return (floor_div(sec, 3600) + 1) * 3600;
    }
    return sec - (tm.tm_min * 60 + (tm.tm_sec > 59 ? 59 : tm.tm_sec)) + 3600;
}

int64_t fo_period_end(int every, int utc, int64_t t)
{
    int64_t sec = floor_div(t, NS_PER_S), next;

    switch (every) {
    case FO_EVERY_HOURLY:
        next = utc ? (floor_div(sec, 3600) + 1) * 3600 : next_local_hour(sec);
        break;
    case FO_EVERY_DAILY:
        next = utc ? (floor_div(sec, 86400) + 1) * 86400 : next_local_midnight(sec);
        break;
    default:
        return 0;
    }
    return next * NS_PER_S;
}

/* ---- names ------------------------------------------------------------------------------- */

static char *put_digits(char *o, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o[i] = (char)('0' + (v < 0 ? 0 : v) % 10);
        v /= 10;
    }
    return o + width;
}

void fo_rotated_stamp(char out[FO_STAMP_SIZE], int64_t t)
{
    time_t sec = (time_t)floor_div(t, NS_PER_S);
    struct tm tm;
    char *o = out;

    if (!gmtime_r(&sec, &tm)) {
        memset(&tm, 0, sizeof tm);
        tm.tm_mday = 1;
        tm.tm_year = 70;
    }
    o = put_digits(o, tm.tm_year + 1900, 4);
    o = put_digits(o, tm.tm_mon + 1, 2);
    o = put_digits(o, tm.tm_mday, 2);
    *o++ = 'T';
    o = put_digits(o, tm.tm_hour, 2);
    o = put_digits(o, tm.tm_min, 2);
    o = put_digits(o, tm.tm_sec, 2);
    *o = '\0';
}

int fo_rotated_name(char *out, size_t cap, const char *path, const char *stamp, unsigned n)
{
    int len = n ? snprintf(out, cap, "%s.%s.%u", path, stamp, n)
                : snprintf(out, cap, "%s.%s", path, stamp);

    return len < 0 || (size_t)len >= cap ? -1 : len;
}

/* Parse `width` decimal digits at s into *v; 0 if any is not a digit. */
static int digits(const char *s, int width, int *v)
{
    *v = 0;
    for (int i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "YYYYmmddTHHMMSS" at s -> seconds since the epoch; 0 if malformed. */
static int parse_stamp(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;

    if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d) || s[8] != 'T' ||
        !digits(s + 9, 2, &h) || !digits(s + 11, 2, &mi) || !digits(s + 13, 2, &se)) {
        return 0;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
        return 0;
    }
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return 1;
}

int fo_rotated_parse(const char *base, const char *name, struct fo_rotated *out)
{
    size_t blen = strlen(base);
    const char *p;
    static const struct {
        const char *suffix;
        int compress, tmp;
    } kinds[] = {{"", FO_COMPRESS_NONE, 0},
                 {".gz", FO_COMPRESS_GZIP, 0},
                 {".lz4", FO_COMPRESS_LZ4, 0},
                 {".gz.tmp", FO_COMPRESS_GZIP, 1},
                 {".lz4.tmp", FO_COMPRESS_LZ4, 1}};

    memset(out, 0, sizeof *out);
    if (strncmp(name, base, blen) != 0 || name[blen] != '.' || strlen(name) < blen + 16) {
        return 0;
    }
    p = name + blen + 1;
    if (!parse_stamp(p, &out->stamp)) {
        return 0;
    }
    p += 15;
    if (p[0] == '.' && p[1] >= '1' && p[1] <= '9') {
        unsigned long n = 0;
        p++;
        for (int i = 0; *p >= '0' && *p <= '9'; p++, i++) {
            if (i >= 9) {
                return 0;
            }
            n = n * 10 + (unsigned long)(*p - '0');
        }
        out->n = (unsigned)n;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(p, kinds[i].suffix) == 0) {
            out->name = (char *)name;
            out->compress = kinds[i].compress;
            out->tmp = kinds[i].tmp;
            return 1;
        }
    }
    return 0;
}

/* ---- retention --------------------------------------------------------------------------- */

int fo_rotated_cmp(const void *a, const void *b)
{
    const struct fo_rotated *x = a, *y = b;

    if (x->stamp != y->stamp) {
        return x->stamp < y->stamp ? 1 : -1;
    }
    if (x->n != y->n) {
        return x->n < y->n ? 1 : -1;
    }
    return strcmp(y->name ? y->name : "", x->name ? x->name : "");
}

int fo_retention_active(const struct fo_retention *r)
{
    return r->keep > 0 || r->max_age > 0 || r->max_total > 0;
}

size_t fo_retention_select(struct fo_rotated *v, size_t n, const struct fo_retention *r,
                           int64_t now)
{
    uint64_t total = 0;
    size_t marked = 0;
    int over = 0;

    if (n > 1) {
        qsort(v, n, sizeof *v, fo_rotated_cmp);
    }
    for (size_t i = 0; i < n; i++) {
        int del = 0;

        if (r->keep && i >= r->keep) {
            del = 1;
        }
        if (r->max_age > 0 && now / NS_PER_S - v[i].stamp > r->max_age / NS_PER_S) {
            del = 1;
        }
        if (!del && r->max_total) {
            if (over || v[i].size > r->max_total - total) {
                over = 1;
                del = 1;
            } else {
                total += v[i].size;
            }
        }
        v[i].del = del;
        marked += (size_t)del;
    }
    return marked;
}
