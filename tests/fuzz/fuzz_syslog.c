/*
 * fuzz_syslog.c - libFuzzer target for the syslog parser (plugins/parsers/syslog/syslog_parse.c
 * and tz.c; build it with both).
 *
 * Input: byte 0 picks what is fuzzed, the rest is the data.
 *   'T'        the rest is a TZif file: ls_tz_from_tzif, then lookups;
 *   'P'        the rest is a POSIX TZ string: ls_tz_from_posix, then lookups;
 *   otherwise  the rest is a log line, parsed with a zone picked by byte 0 (UTC, a European
 *              or a southern DST rule) and a received time derived from it.
 * Checks: every slice of a result lies inside the line, facility/severity are in range, a
 * syslog result has a message and a malformed one an error text, walking the structured data
 * stays inside it and decoding never grows a value; zone offsets stay within +-26 h and a
 * local time read back through the zone lands within 26 h of itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/parsers/syslog/syslog_parse.h"
#include "../../plugins/parsers/syslog/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT (26 * 3600)

static void check_inside(struct ls_slice s, const char *base, size_t len)
{
    if (s.ptr && (s.ptr < base || s.len > len || s.ptr + s.len > base + len)) {
        abort();
    }
    if (!s.ptr && s.len) {
        abort();
    }
}

static void check_zone(const struct ls_tz *tz)
{
    static const int64_t probes[] = {-5000000000LL, -2208988800LL, 0,
                                     1774747800,    1792888200,    2147483648LL,
                                     4102444800LL,  9000000000LL};

    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int32_t off = ls_tz_offset(tz, probes[i]);
        int64_t back = ls_tz_local_to_utc(tz, probes[i]);
        if (off < -LIMIT || off > LIMIT || back < probes[i] - LIMIT || back > probes[i] + LIMIT) {
            abort();
        }
    }
}

static void check_sd(struct ls_slice sd)
{
    struct ls_syslog_sd_iter it;
    struct ls_syslog_sd_param p;

    ls_syslog_sd_begin(&it, sd);
    while (ls_syslog_sd_next(&it, &p)) {
        char *dst = malloc(p.value.len ? p.value.len : 1);
        check_inside(p.id, sd.ptr, sd.len);
        check_inside(p.name, sd.ptr, sd.len);
        check_inside(p.value, sd.ptr, sd.len);
        if (!dst || ls_syslog_sd_unescape(p.value.ptr, p.value.len, dst) > p.value.len) {
            abort();
        }
        free(dst);
    }
}

static void fuzz_line(uint8_t mode, const char *line, size_t len)
{
    static const char *const rules[] = {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3",
                                        "AEST-10AEDT,M10.1.0,M4.1.0/3"};
    const char *rule = rules[mode % 3];
    struct ls_tz tz;
    struct ls_syslog_opts o;
    struct ls_syslog_result r;
    int rc;

    if (ls_tz_from_posix(&tz, rule, strlen(rule)) < 0) {
        abort();
    }
    o.tz = &tz;
    o.default_facility = mode & 1 ? 3 : LS_FAC_UNKNOWN;
    o.default_severity = mode & 2 ? 6 : LS_SEV_UNKNOWN;
    rc = ls_syslog_parse(line, len, 1795435200000000000LL + (int64_t)mode * 86400000000000LL * 7,
                         &o, &r);
    check_inside(r.time_text, line, len);
    check_inside(r.host, line, len);
    check_inside(r.app, line, len);
    check_inside(r.procid, line, len);
    check_inside(r.msgid, line, len);
    check_inside(r.sd, line, len);
    check_inside(r.message, line, len);
    if (rc == LS_SYSLOG_MALFORMED ? !r.error : rc > 0 && (!r.message.ptr || r.error)) {
        abort();
    }
    if (rc > 0 && (r.facility < -1 || r.facility > 23 || r.severity < -1 || r.severity > 7)) {
        abort();
    }
    if (r.sd.ptr) {
        check_sd(r.sd);
    }
    ls_tz_release(&tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_tz tz;

    if (size < 1) {
        return 0;
    }
    if (data[0] == 'T') {
        if (ls_tz_from_tzif(&tz, data + 1, size - 1) == 0) {
            check_zone(&tz);
            ls_tz_release(&tz);
        }
        return 0;
    }
    if (data[0] == 'P') {
        if (ls_tz_from_posix(&tz, (const char *)data + 1, size - 1) == 0) {
            check_zone(&tz);
            ls_tz_release(&tz);
        }
        return 0;
    }
    fuzz_line(data[0], (const char *)data + 1, size - 1);
    return 0;
}
