/* syslog_parse.c - RFC 5424 / RFC 3164 line splitting; see syslog_parse.h and README.md. */
#include "syslog_parse.h"

#include <string.h>

#define NS_PER_SEC 1000000000LL
#define DAY        86400
/* Year inference: a BSD timestamp is taken to lie at most FUTURE after the received time
 * and at most PAST before it (together one year). */
#define FUTURE     (31LL * DAY)
#define PAST       (334LL * DAY)
/* Seconds an int64 ns time can hold: 1677-09-21 .. 2262-04-11. */
#define MIN_SECS   (-9223372035LL)
#define MAX_SECS   9223372035LL

/* A timestamp taken apart. */
struct stamp {
    int64_t year; /* 0: not written (BSD): inferred */
    int mon, day, hour, min, sec;
    int64_t frac_ns;
    int zone; /* ZONE_* */
    int32_t off;
};

enum { ZONE_LOCAL, ZONE_UTC, ZONE_OFFSET };

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_print(char c)
{
    return c >= 33 && c <= 126; /* PRINTUSASCII */
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Floor division by n > 0, safe for INT64_MIN. */
static int64_t floor_div(int64_t t, int64_t n)
{
    return t >= 0 ? t / n : -(-(t + 1) / n) - 1;
}

/* Exactly n digits at s[*i]; advances. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;

    if (len - *i < (size_t)n) {
        return -1;
    }
    for (int k = 0; k < n; k++) {
        if (!is_digit(s[*i + k])) {
            return -1;
        }
        v = v * 10 + (s[*i + k] - '0');
    }
    *i += (size_t)n;
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c) {
        return -1;
    }
    (*i)++;
    return 0;
}

/* "hh:mm:ss[.frac]" with 1..9 fraction digits. */
static int parse_clock(const char *s, size_t len, size_t *i, struct stamp *st)
{
    if (digits(s, len, i, 2, &st->hour) < 0 || expect(s, len, i, ':') < 0 ||
        digits(s, len, i, 2, &st->min) < 0 || expect(s, len, i, ':') < 0 ||
        digits(s, len, i, 2, &st->sec) < 0) {
        return -1;
    }
    if (st->hour > 23 || st->min > 59 || st->sec > 60) {
        return -1;
    }
    st->frac_ns = 0;
    if (*i < len && s[*i] == '.') {
        int64_t scale = NS_PER_SEC / 10;
        size_t n = 0;
        (*i)++;
        while (*i < len && is_digit(s[*i])) {
            if (++n > 9) {
                return -1;
            }
            st->frac_ns += (s[*i] - '0') * scale;
            scale /= 10;
            (*i)++;
        }
        if (n == 0) {
            return -1;
        }
    }
    return 0;
}

/* RFC 3339 "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)"; the zone is optional unless
 * need_zone. */
static int parse_iso(const char *s, size_t len, size_t *i, int need_zone, struct stamp *st)
{
    int year, oh, om;

    if (digits(s, len, i, 4, &year) < 0 || expect(s, len, i, '-') < 0 ||
        digits(s, len, i, 2, &st->mon) < 0 || expect(s, len, i, '-') < 0 ||
        digits(s, len, i, 2, &st->day) < 0 || expect(s, len, i, 'T') < 0 ||
        parse_clock(s, len, i, st) < 0) {
        return -1;
    }
    st->year = year;
    if (st->mon < 1 || st->mon > 12 || st->day < 1 ||
        st->day > ls_tz_month_days(st->year, st->mon)) {
        return -1;
    }
    st->zone = ZONE_LOCAL;
    if (*i < len && s[*i] == 'Z') {
        (*i)++;
        st->zone = ZONE_UTC;
    } else if (*i < len && (s[*i] == '+' || s[*i] == '-')) {
        int neg = s[(*i)++] == '-';
        if (digits(s, len, i, 2, &oh) < 0 || expect(s, len, i, ':') < 0 ||
            digits(s, len, i, 2, &om) < 0 || oh > 23 || om > 59) {
            return -1;
        }
        st->zone = ZONE_OFFSET;
        st->off = (neg ? -1 : 1) * (oh * 3600 + om * 60);
    } else if (need_zone) {
        return -1;
    }
    return 0;
}

static int month_of(const char *s)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3];

    for (int k = 0; k < 3; k++) {
        m[k] = s[k] >= 'A' && s[k] <= 'Z' ? (char)(s[k] + 32) : s[k];
    }
    for (int k = 0; k < 12; k++) {
        if (memcmp(names + 3 * k, m, 3) == 0) {
            return k + 1;
        }
    }
    return 0;
}

/* BSD "Mmm dd hh:mm:ss" (day " d", "dd" or "d"), with an optional ".frac" and an optional year
 * before the clock ("Nov 23 2026 10:00:00", Cisco and some appliances). */
static int parse_bsd(const char *s, size_t len, size_t *i, struct stamp *st)
{
    int day = 0, year;
    size_t start;

    if (len - *i < 4 || (st->mon = month_of(s + *i)) == 0 || s[*i + 3] != ' ') {
        return -1;
    }
    *i += 4;
    if (*i < len && s[*i] == ' ') {
        (*i)++;
    }
    start = *i;
    while (*i < len && is_digit(s[*i]) && *i - start < 2) {
        day = day * 10 + (s[(*i)++] - '0');
    }
    if (*i == start || day < 1 || day > 31 || expect(s, len, i, ' ') < 0) {
        return -1;
    }
    st->day = day;
    st->year = 0;
    if (len - *i > 4 && s[*i + 4] == ' ' && digits(s, len, i, 4, &year) == 0) {
        st->year = year;
        (*i)++;
    }
    st->zone = ZONE_LOCAL;
    return parse_clock(s, len, i, st);
}

/* UTC ns of a stamp, or -1 when the date is invalid or out of range. BSD stamps get the year
 * that puts them between PAST before and FUTURE after `received` (as local time). */
static int stamp_time(struct stamp *st, const struct ls_tz *tz, int64_t received, int64_t *ns)
{
    static const struct ls_tz utc;
    int64_t local, secs;

    if (!tz) {
        tz = &utc;
    }
    if (st->year == 0) {
        int64_t recv = floor_div(received, NS_PER_SEC);
        int64_t recv_local = recv + ls_tz_offset(tz, recv);
        int64_t y, cand;
        int m, d;
        ls_tz_civil_from_days(floor_div(recv_local, DAY), &y, &m, &d);
        cand = ls_tz_days_from_civil(y, st->mon, st->day) * DAY;
        if (cand - recv_local > FUTURE) {
            y--;
        } else if (recv_local - cand > PAST) {
            y++;
        }
        st->year = y;
    }
    if (st->year < 1 || st->year > 9999 || st->day > ls_tz_month_days(st->year, st->mon)) {
        return -1;
    }
    local = ls_tz_days_from_civil(st->year, st->mon, st->day) * DAY + st->hour * 3600 +
            st->min * 60 + st->sec;
    if (st->zone == ZONE_UTC) {
        secs = local;
    } else if (st->zone == ZONE_OFFSET) {
        secs = local - st->off;
    } else {
        secs = ls_tz_local_to_utc(tz, local);
    }
    if (secs < MIN_SECS || secs > MAX_SECS) {
        return -1;
    }
    *ns = secs * NS_PER_SEC + st->frac_ns;
    return 0;
}

/* "<PRI>": 1 found (*pri, *i after '>'), 0 no PRI, -1 malformed (the line starts "<" digit). */
static int parse_pri(const char *s, size_t len, size_t *i, int *pri, const char **err)
{
    int v = 0;
    size_t k = 1;

    if (len < 2 || s[0] != '<' || !is_digit(s[1])) {
        return 0;
    }
    while (k < len && k <= 3 && is_digit(s[k])) {
        v = v * 10 + (s[k++] - '0');
    }
    if (k < len && is_digit(s[k])) {
        *err = "PRI has more than 3 digits";
        return -1;
    }
    if (k >= len || s[k] != '>') {
        *err = "PRI is not closed by '>'";
        return -1;
    }
    if (v > 191) {
        *err = "PRI is greater than 191";
        return -1;
    }
    *pri = v;
    *i = k + 1;
    return 1;
}

/* ---- RFC 5424 ------------------------------------------------------------------------------ */

/* A header field of 1..max PRINTUSASCII followed by SP; "-" is absent. */
static int header_field(const char *s, size_t len, size_t *i, size_t max, struct ls_slice *out)
{
    size_t start = *i;

    while (*i < len && is_print(s[*i])) {
        (*i)++;
    }
    if (*i == start || *i - start > max || *i >= len || s[*i] != ' ') {
        return -1;
    }
    if (!(*i - start == 1 && s[start] == '-')) {
        *out = (struct ls_slice){s + start, *i - start};
    }
    (*i)++;
    return 0;
}

/* SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'. */
static size_t sd_name(const char *s, size_t len, size_t i)
{
    size_t start = i;

    while (i < len && is_print(s[i]) && s[i] != '=' && s[i] != ']' && s[i] != '"') {
        i++;
    }
    return i - start <= LS_SYSLOG_MAX_SDNAME ? i - start : 0;
}

/* One or more SD-ELEMENTs at s[*i] == '['. */
static int parse_sd(const char *s, size_t len, size_t *i, const char **err)
{
    while (*i < len && s[*i] == '[') {
        size_t n = sd_name(s, len, ++*i);
        if (n == 0) {
            *err = "invalid SD-ID";
            return -1;
        }
        *i += n;
        while (*i < len && s[*i] == ' ') {
            n = sd_name(s, len, ++*i);
            if (n == 0 || *i + n + 1 >= len || s[*i + n] != '=' || s[*i + n + 1] != '"') {
                *err = "invalid SD-PARAM";
                return -1;
            }
            *i += n + 2;
            while (*i < len && s[*i] != '"') {
                *i += s[*i] == '\\' && *i + 1 < len ? 2 : 1;
            }
            if (*i >= len) {
                *err = "unterminated PARAM-VALUE";
                return -1;
            }
            (*i)++;
        }
        if (*i >= len || s[*i] != ']') {
            *err = "SD-ELEMENT not closed by ']'";
            return -1;
        }
        (*i)++;
    }
    return 0;
}

static int parse_5424(const char *s, size_t len, size_t i, const struct ls_syslog_opts *o,
                      int64_t received, struct ls_syslog_result *r)
{
    struct stamp st;
    size_t start;

    i += 2; /* "1 " */
    if (i < len && s[i] == '-') {
        i++;
    } else {
        start = i;
        if (parse_iso(s, len, &i, 1, &st) < 0 || stamp_time(&st, o->tz, received, &r->time) < 0) {
            r->error = "invalid TIMESTAMP";
            return LS_SYSLOG_MALFORMED;
        }
        r->has_time = 1;
        r->time_text = (struct ls_slice){s + start, i - start};
    }
    if (expect(s, len, &i, ' ') < 0) {
        r->error = "invalid TIMESTAMP";
        return LS_SYSLOG_MALFORMED;
    }
    if (header_field(s, len, &i, LS_SYSLOG_MAX_HOST, &r->host) < 0) {
        r->error = "invalid HOSTNAME";
        return LS_SYSLOG_MALFORMED;
    }
    if (header_field(s, len, &i, LS_SYSLOG_MAX_APP, &r->app) < 0) {
        r->error = "invalid APP-NAME";
        return LS_SYSLOG_MALFORMED;
    }
    if (header_field(s, len, &i, LS_SYSLOG_MAX_PROCID, &r->procid) < 0) {
        r->error = "invalid PROCID";
        return LS_SYSLOG_MALFORMED;
    }
    if (header_field(s, len, &i, LS_SYSLOG_MAX_MSGID, &r->msgid) < 0) {
        r->error = "invalid MSGID";
        return LS_SYSLOG_MALFORMED;
    }
    start = i;
    if (i < len && s[i] == '-') {
        i++;
    } else if (i < len && s[i] == '[') {
        if (parse_sd(s, len, &i, &r->error) < 0) {
            return LS_SYSLOG_MALFORMED;
        }
        r->sd = (struct ls_slice){s + start, i - start};
    } else {
        r->error = "missing STRUCTURED-DATA";
        return LS_SYSLOG_MALFORMED;
    }
    if (i < len && s[i] != ' ') {
        r->error = "no space after STRUCTURED-DATA";
        return LS_SYSLOG_MALFORMED;
    }
    if (i < len) {
        i++;
    }
    if (len - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0) {
        i += 3;
    }
    r->message = (struct ls_slice){s + i, len - i};
    return LS_SYSLOG_5424;
}

/* ---- RFC 3164 ------------------------------------------------------------------------------ */

static int is_tag_char(char c)
{
    return is_print(c) && c != ':' && c != '[' && c != ']';
}

/* "tag: " or "tag[pid]: " (or either at the end of the line) at s[i]: 1 with app, procid and
 * *next (the message start, one space skipped), else 0. */
static int parse_tag(const char *s, size_t len, size_t i, struct ls_syslog_result *r, size_t *next)
{
    size_t j = i, k;

    while (j < len && is_tag_char(s[j]) && j - i <= LS_SYSLOG_MAX_TAG) {
        j++;
    }
    if (j == i || j - i > LS_SYSLOG_MAX_TAG || j >= len) {
        return 0;
    }
    k = j;
    if (s[j] == '[') {
        k = j + 1;
        while (k < len && s[k] != ']' && is_print(s[k]) && k - j <= LS_SYSLOG_MAX_PROCID) {
            k++;
        }
        if (k == j + 1 || k >= len || s[k] != ']' || k - j - 1 > LS_SYSLOG_MAX_PROCID) {
            return 0;
        }
        k++;
    }
    if (k >= len || s[k] != ':' || (k + 1 < len && s[k + 1] != ' ')) {
        return 0;
    }
    r->app = (struct ls_slice){s + i, j - i};
    if (k != j) {
        r->procid = (struct ls_slice){s + j + 1, k - j - 2};
    }
    *next = k + 1 < len ? k + 2 : k + 1;
    return 1;
}

/* A HOSTNAME token of 1..255 bytes of letters, digits and "._-:" (IPv6) with at least one
 * letter or digit, followed by a space: its length, else 0. */
static size_t host_token(const char *s, size_t len, size_t i)
{
    size_t j = i;
    int alnum = 0;

    while (j < len && s[j] != ' ') {
        if (is_alnum(s[j])) {
            alnum = 1;
        } else if (s[j] != '.' && s[j] != '-' && s[j] != '_' && s[j] != ':') {
            return 0;
        }
        if (j - i >= LS_SYSLOG_MAX_HOST) {
            return 0;
        }
        j++;
    }
    return j < len && alnum ? j - i : 0;
}

/* Tag (if any) and message from s[i]. */
static void tag_and_message(const char *s, size_t len, size_t i, struct ls_syslog_result *r)
{
    size_t next;

    if (parse_tag(s, len, i, r, &next)) {
        i = next;
    }
    r->message = (struct ls_slice){s + i, len - i};
}

/* Cisco IOS "<PRI>seq: ": 1..18 digits, ':' and a space. */
static void parse_seq(const char *s, size_t len, size_t *i, struct ls_syslog_result *r)
{
    size_t j = *i;
    int64_t v = 0;

    while (j < len && is_digit(s[j]) && j - *i < 18) {
        v = v * 10 + (s[j++] - '0');
    }
    if (j > *i && len - j >= 2 && s[j] == ':' && s[j + 1] == ' ') {
        r->has_seq = 1;
        r->seq = v;
        *i = j + 2;
    }
}

/* A timestamp (BSD or ISO) at s[*i]; on success *i is after it. */
static int parse_stamp(const char *s, size_t len, size_t *i, struct stamp *st)
{
    size_t j = *i;

    if (j < len && is_digit(s[j])) {
        if (parse_iso(s, len, &j, 0, st) < 0) {
            return -1;
        }
    } else if (parse_bsd(s, len, &j, st) < 0) {
        return -1;
    }
    *i = j;
    return 0;
}

static int parse_3164(const char *s, size_t len, size_t i, const struct ls_syslog_opts *o,
                      int64_t received, struct ls_syslog_result *r)
{
    struct stamp st;
    size_t body, ts, host_len, next;
    int cisco = 0;

    if (r->has_pri) {
        parse_seq(s, len, &i, r);
    }
    body = ts = i;
    if (r->has_pri && ts < len && (s[ts] == '*' || s[ts] == '.')) {
        ts++; /* Cisco: clock not synchronised / not authoritative */
    }
    i = ts;
    if (parse_stamp(s, len, &i, &st) < 0) {
        goto no_stamp;
    }
    r->time_text = (struct ls_slice){s + ts, i - ts};
    if (len - i >= 5 && (memcmp(s + i, " UTC:", 5) == 0 || memcmp(s + i, " GMT:", 5) == 0) &&
        st.zone == ZONE_LOCAL) {
        st.zone = ZONE_UTC; /* Cisco "service timestamps ... show-timezone" */
        i += 4;
    }
    if (i < len && s[i] == ':' && (i + 1 == len || s[i + 1] == ' ')) {
        cisco = 1; /* "timestamp: message": no host */
        i += i + 1 < len ? 2 : 1;
    } else if (i < len && s[i] != ' ') {
        goto no_stamp; /* "Nov 23 10:00:00x": not a timestamp */
    }
    if (stamp_time(&st, o->tz, received, &r->time) < 0) {
        goto no_stamp;
    }
    r->has_time = 1;
    r->host_missing = 1;
    if (!cisco && i < len) {
        i++; /* the space after the timestamp */
        /* syslog(3) writes no hostname: a tag right after the timestamp means none. */
        if (r->has_pri && parse_tag(s, len, i, r, &next)) {
            r->message = (struct ls_slice){s + next, len - next};
            return LS_SYSLOG_3164;
        }
        host_len = host_token(s, len, i);
        if (host_len > 0) {
            r->host = (struct ls_slice){s + i, host_len};
            r->host_missing = 0;
            i += host_len + 1;
        }
    }
    if (parse_tag(s, len, i, r, &next)) {
        i = next;
    } else if (!r->has_pri) {
        return LS_SYSLOG_NONE;
    }
    if (!r->has_pri && r->host_missing) {
        return LS_SYSLOG_NONE; /* without a PRI, only "TIMESTAMP HOST TAG: MSG" is syslog */
    }
    r->message = (struct ls_slice){s + i, len - i};
    return LS_SYSLOG_3164;

no_stamp:
    if (!r->has_pri) {
        return LS_SYSLOG_NONE;
    }
    /* RFC 3164 4.3.3: without a valid TIMESTAMP everything after the PRI is the MSG; a tag
     * there is still taken ("<13>myapp: hello"), and so is a sequence number. */
    r->time_text = (struct ls_slice){NULL, 0};
    r->has_time = 0;
    r->host_missing = 1;
    tag_and_message(s, len, body, r);
    return LS_SYSLOG_3164;
}

/* ---- entry points -------------------------------------------------------------------------- */

int ls_syslog_parse(const char *line, size_t len, int64_t received,
                    const struct ls_syslog_opts *opts, struct ls_syslog_result *res)
{
    size_t i = 0;
    int pri = 0, rc;

    memset(res, 0, sizeof *res);
    rc = parse_pri(line, len, &i, &pri, &res->error);
    if (rc < 0) {
        return LS_SYSLOG_MALFORMED;
    }
    res->has_pri = rc;
    if (rc) {
        res->facility = pri >> 3;
        res->severity = pri & 7;
    } else {
        res->facility = opts->default_facility;
        res->severity = opts->default_severity;
    }
    if (rc && len - i >= 2 && line[i] == '1' && line[i + 1] == ' ') {
        rc = parse_5424(line, len, i, opts, received, res);
    } else {
        rc = parse_3164(line, len, i, opts, received, res);
    }
    if (rc <= 0) {
        const char *err = res->error;
        memset(res, 0, sizeof *res);
        res->error = err;
    }
    res->format = rc > 0 ? rc : 0;
    return rc;
}

void ls_syslog_sd_begin(struct ls_syslog_sd_iter *it, struct ls_slice sd)
{
    it->p = sd.ptr;
    it->end = sd.ptr ? sd.ptr + sd.len : NULL;
    it->id = (struct ls_slice){NULL, 0};
}

/* The iterator trusts that parse_sd() validated the text, but never reads past `end`. */
int ls_syslog_sd_next(struct ls_syslog_sd_iter *it, struct ls_syslog_sd_param *out)
{
    const char *p = it->p, *end = it->end;

    while (p && p < end) {
        if (*p == '[') {
            const char *id = ++p;
            while (p < end && *p != ' ' && *p != ']') {
                p++;
            }
            it->id = (struct ls_slice){id, (size_t)(p - id)};
        }
        if (p < end && *p == ']') {
            p++;
            continue;
        }
        if (p < end && *p == ' ') {
            const char *name = ++p, *val;
            int escaped = 0;
            while (p < end && *p != '=') {
                p++;
            }
            out->name = (struct ls_slice){name, (size_t)(p - name)};
            p += p + 2 <= end ? 2 : (size_t)(end - p); /* '="' */
            val = p;
            while (p < end && *p != '"') {
                if (*p == '\\') {
                    escaped = 1;
                    p += p + 1 < end ? 1 : 0;
                }
                p++;
            }
            out->value = (struct ls_slice){val, (size_t)(p - val)};
            out->id = it->id;
            out->escaped = escaped;
            it->p = p < end ? p + 1 : end;
            return 1;
        }
        if (p < end && *p != '[') {
            break; /* not validated text: stop rather than guess */
        }
    }
    it->p = end;
    return 0;
}

size_t ls_syslog_sd_unescape(const char *src, size_t len, char *dst)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\\' && i + 1 < len &&
            (src[i + 1] == '"' || src[i + 1] == '\\' || src[i + 1] == ']')) {
            i++;
        }
        dst[n++] = src[i];
    }
    return n;
}
