/*
 * unix_msg.c - see unix_msg.h.
 */
#include <stdio.h>
#include <string.h>

#include "unix_msg.h"

size_t ls_unix_trim(const char *msg, size_t len)
{
    if (len > 0 && msg[len - 1] == '\0') {
        len--;
    }
    if (len > 0 && msg[len - 1] == '\n') {
        len--;
    }
    return len;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* "<PRI>" with 1 to 3 digits: the offset after '>', or 0 when absent. */
static size_t skip_pri(const char *s, size_t n)
{
    size_t i = 1;

    if (n < 3 || s[0] != '<') {
        return 0;
    }
    while (i < n && i <= 3 && is_digit(s[i])) {
        i++;
    }
    if (i == 1 || i >= n || s[i] != '>') {
        return 0;
    }
    return i + 1;
}

/* One RFC 5424 header token followed by exactly one space, at s[i]: the offset after the
 * space, or 0. */
static size_t skip_token(const char *s, size_t n, size_t i)
{
    size_t start = i;

    while (i < n && s[i] != ' ') {
        i++;
    }
    if (i == start || i >= n) {
        return 0;
    }
    return i + 1;
}

/* RFC 5424: after "<PRI>1 ", skip TIMESTAMP, HOST and APP; PROCID must be followed by a space
 * (MSGID follows it). */
static int site_5424(const char *s, size_t n, size_t i, size_t *start, size_t *end)
{
    for (int k = 0; k < 3; k++) {
        i = skip_token(s, n, i);
        if (i == 0) {
            return 0;
        }
    }
    *start = i;
    while (i < n && s[i] != ' ') {
        i++;
    }
    if (i == *start || i >= n) {
        return 0;
    }
    *end = i;
    return 1;
}

/* "Mmm dd hh:mm:ss " (day space-padded or two digits) at s[i]: 16, or 0. */
static size_t timestamp_3164_len(const char *s, size_t n, size_t i)
{
    const char *t = s + i;

    if (n - i < 16) {
        return 0;
    }
    if (!is_alpha(t[0]) || !is_alpha(t[1]) || !is_alpha(t[2]) || t[3] != ' ' ||
        !(t[4] == ' ' || is_digit(t[4])) || !is_digit(t[5]) || t[6] != ' ' || !is_digit(t[7]) ||
        !is_digit(t[8]) || t[9] != ':' || !is_digit(t[10]) || !is_digit(t[11]) || t[12] != ':' ||
        !is_digit(t[13]) || !is_digit(t[14]) || t[15] != ' ') {
        return 0;
    }
    return 16;
}

static int is_tag_byte(char c)
{
    unsigned char u = (unsigned char)c;

    return u > 0x20 && u != 0x7f && c != '[' && c != ':';
}

/* A ':' at s[i] that ends a tag: followed by a space or the end ("T10:00" is no tag). */
static int tag_colon(const char *s, size_t n, size_t i)
{
    return i < n && s[i] == ':' && (i + 1 == n || s[i + 1] == ' ');
}

/* RFC 3164: "[TIMESTAMP ]TAG[PID]:" (replace PID) or "[TIMESTAMP ]TAG:" (insert at ':'). */
static int site_3164(const char *s, size_t n, size_t i, size_t *start, size_t *end, int *insert)
{
    size_t tag = i + timestamp_3164_len(s, n, i);
    size_t j = tag;

    while (j < n && j - tag < LS_UNIX_MAX_TAG && is_tag_byte(s[j])) {
        j++;
    }
    if (j == tag || j >= n) {
        return 0;
    }
    if (tag_colon(s, n, j)) {
        *start = *end = j;
        *insert = 1;
        return 1;
    }
    if (s[j] == '[') {
        size_t k = j + 1;
        while (k < n && k - j <= LS_UNIX_MAX_CLAIM && s[k] != ']' && is_tag_byte(s[k])) {
            k++;
        }
        if (k == j + 1 || k >= n || s[k] != ']' || !tag_colon(s, n, k + 1)) {
            return 0;
        }
        *start = j + 1;
        *end = k;
        *insert = 0;
        return 1;
    }
    return 0;
}

int ls_unix_pid_rewrite(const char *msg, size_t len, int64_t pid, char *out,
                        struct ls_unix_rewrite *res)
{
    size_t i = skip_pri(msg, len), start = 0, end = 0, o;
    int insert = 0, found;
    char digits[24];
    int nd;

    if (i == 0 || pid <= 0) {
        return 0;
    }
    if (i + 1 < len && msg[i] == '1' && msg[i + 1] == ' ') {
        found = site_5424(msg, len, i + 2, &start, &end);
    } else {
        found = site_3164(msg, len, i, &start, &end, &insert);
    }
    if (!found) {
        return 0;
    }
    nd = snprintf(digits, sizeof digits, "%lld", (long long)pid);
    memcpy(out, msg, start);
    o = start;
    if (insert) {
        out[o++] = '[';
    }
    res->pid_off = o;
    res->pid_len = (size_t)nd;
    memcpy(out + o, digits, (size_t)nd);
    o += (size_t)nd;
    if (insert) {
        out[o++] = ']';
    }
    memcpy(out + o, msg + end, len - end);
    res->len = o + (len - end);
    return 1;
}
