/* test_file_rotate.c - the file output's rotation schedule, rotated names, retention
 * (plugins/outputs/file/rotate.c) and compression (compress.c), checked by decompressing. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lz4frame.h>
#include <zlib.h>

#include "../../plugins/outputs/file/compress.h"
#include "../../plugins/outputs/file/rotate.h"

#define NS       1000000000LL
#define T_NOV22  1795341600LL /* 2026-11-22T10:00:00Z */
#define T_MAR28  1774695600LL /* 2026-03-28T11:00:00Z = 12:00 CET */
#define T_MAR29  1774778400LL /* 2026-03-29T10:00:00Z = 12:00 CEST */
#define CET_RULE "CET-1CEST,M3.5.0,M10.5.0/3"

static void set_tz(const char *tz)
{
    if (tz) {
        setenv("TZ", tz, 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

/* ---- schedule ----------------------------------------------------------------------------- */

static void test_due_size(void **unused)
{
    struct fo_rotate_policy p = {.size = 100};
    struct fo_rotate_state s = {.size = 60, .opened = 0};

    (void)unused;
    assert_int_equal(fo_rotate_due(&p, &s, 0, 40), 0); /* exactly reaches the limit: fits */
    assert_int_equal(fo_rotate_due(&p, &s, 0, 41), FO_ROT_SIZE);
    s.size = 100;
    assert_int_equal(fo_rotate_due(&p, &s, 0, 0), FO_ROT_SIZE);
    s.size = 0; /* an empty file never rotates, however big the write */
    assert_int_equal(fo_rotate_due(&p, &s, 0, 1000), 0);
    s.size = 1;
    assert_int_equal(fo_rotate_due(&p, &s, 0, UINT64_MAX), FO_ROT_SIZE);
    p.size = 0;
    assert_int_equal(fo_rotate_due(&p, &s, 0, UINT64_MAX), 0);
}

static void test_due_age_and_time(void **unused)
{
    struct fo_rotate_policy p = {.age = 10 * NS};
    struct fo_rotate_state s = {.size = 5, .opened = T_NOV22 * NS};

    (void)unused;
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 10) * NS - 1, 0), 0);
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 10) * NS, 0), FO_ROT_AGE);
    p.every = FO_EVERY_HOURLY;
    s.period_end = (T_NOV22 + 3600) * NS;
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 5) * NS, 0), 0);
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 3600) * NS, 0), FO_ROT_AGE | FO_ROT_TIME);
    p.age = 0;
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 3600) * NS, 0), FO_ROT_TIME);
    p.size = 4;
    assert_int_equal(fo_rotate_due(&p, &s, (T_NOV22 + 3600) * NS, 0), FO_ROT_TIME | FO_ROT_SIZE);
}

static void test_period_end_utc(void **unused)
{
    (void)unused;
    assert_int_equal(fo_period_end(FO_EVERY_NONE, 1, T_NOV22 * NS), 0);
    /* Exactly on a boundary: the next one. */
    assert_int_equal(fo_period_end(FO_EVERY_HOURLY, 1, T_NOV22 * NS), (T_NOV22 + 3600) * NS);
    assert_int_equal(fo_period_end(FO_EVERY_HOURLY, 1, (T_NOV22 + 3599) * NS + 999999999),
                     (T_NOV22 + 3600) * NS);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 1, T_NOV22 * NS), 1795392000LL * NS);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 1, 1795392000LL * NS - 1), 1795392000LL * NS);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 1, -1), 0);
    assert_int_equal(fo_period_end(FO_EVERY_HOURLY, 1, -3600 * NS - 1), -3600 * NS);
}

static void test_period_end_local(void **unused)
{
    (void)unused;
    set_tz("XXX-2"); /* UTC+2: local midnight is 22:00 UTC */
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 0, T_NOV22 * NS), 1795384800LL * NS);
    set_tz("XXX-5:30"); /* half-hour zone: local full hours are at :30 UTC */
    assert_int_equal(fo_period_end(FO_EVERY_HOURLY, 0, T_NOV22 * NS), 1795343400LL * NS);
    /* DST (POSIX rule, no tzdata needed): 2026-03-29 has 23 hours in CET/CEST. */
    set_tz(CET_RULE);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 0, T_MAR28 * NS), 1774738800LL * NS);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 0, T_MAR29 * NS), 1774821600LL * NS);
    assert_int_equal(fo_period_end(FO_EVERY_DAILY, 0, 1774738800LL * NS),
                     1774738800LL * NS + 23 * 3600 * NS);
    set_tz(NULL);
}

/* ---- names -------------------------------------------------------------------------------- */

static void test_names(void **unused)
{
    char stamp[FO_STAMP_SIZE], name[64];
    struct fo_rotated r;

    (void)unused;
    fo_rotated_stamp(stamp, T_NOV22 * NS + 999999999);
    assert_string_equal(stamp, "20261122T100000");
    fo_rotated_stamp(stamp, -1);
    assert_string_equal(stamp, "19691231T235959");
    assert_int_equal(fo_rotated_name(name, sizeof name, "/l/app.log", "20261122T100000", 0), 26);
    assert_string_equal(name, "/l/app.log.20261122T100000");
    assert_int_equal(fo_rotated_name(name, sizeof name, "/l/app.log", "20261122T100000", 12), 29);
    assert_string_equal(name, "/l/app.log.20261122T100000.12");
    assert_int_equal(fo_rotated_name(name, 26, "/l/app.log", "20261122T100000", 0), -1);

    assert_int_equal(fo_rotated_parse("app.log", "app.log.20261122T100000", &r), 1);
    assert_int_equal(r.stamp, T_NOV22);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.compress, FO_COMPRESS_NONE);
    assert_int_equal(r.tmp, 0);
    assert_int_equal(fo_rotated_parse("app.log", "app.log.20261122T100000.3.gz", &r), 1);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.compress, FO_COMPRESS_GZIP);
    assert_int_equal(fo_rotated_parse("app.log", "app.log.20261122T100000.lz4", &r), 1);
    assert_int_equal(r.compress, FO_COMPRESS_LZ4);
    assert_int_equal(fo_rotated_parse("app.log", "app.log.20261122T100000.7.gz.tmp", &r), 1);
    assert_int_equal(r.tmp, 1);
    assert_int_equal(r.n, 7);
    static const char *const not_ours[] = {
        "app.log",
        "app.log.1",
        "app.log.20261122T100000x",
        "app.log.2026112T100000",
        "app.logx.20261122T100000",
        "xapp.log.20261122T100000",
        "app.log.20261322T100000", /* month 13 */
        "app.log.20261122T240000", /* hour 24 */
        "app.log.20261122T100000.0",
        "app.log.20261122T100000.1234567890",
        "app.log.20261122T100000.gz.gz",
        "app.log.20261122T100000.zst",
        "app.log.20261122 100000",
    };
    for (size_t i = 0; i < sizeof not_ours / sizeof not_ours[0]; i++) {
        if (fo_rotated_parse("app.log", not_ours[i], &r) != 0) {
            print_error("parsed \"%s\" as a rotated file\n", not_ours[i]);
            fail();
        }
    }
}

/* ---- retention ---------------------------------------------------------------------------- */

static void fill(struct fo_rotated *v, size_t n)
{
    /* Names: stamps one hour apart, oldest first, two sharing one second (n = 0 and 1). */
    static char names[8][32];
    for (size_t i = 0; i < n; i++) {
        memset(&v[i], 0, sizeof v[i]);
        v[i].stamp = T_NOV22 + (int64_t)(i < 5 ? i : 4) * 3600;
        v[i].n = i == 5 ? 1 : 0;
        v[i].size = 100 * (i + 1);
        snprintf(names[i], sizeof names[i], "f%zu", i);
        v[i].name = names[i];
    }
}

static const char *deleted(const struct fo_rotated *v, size_t n, char *buf)
{
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (v[i].del) {
            strcat(buf, v[i].name);
            strcat(buf, " ");
        }
    }
    return buf;
}

static void test_retention(void **unused)
{
    struct fo_rotated v[6];
    struct fo_retention r = {0};
    char buf[64];
    int64_t now = (T_NOV22 + 4 * 3600 + 60) * NS;

    (void)unused;
    fill(v, 6);
    assert_int_equal(fo_retention_active(&r), 0);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 0);
    /* Sorted newest first: f5 (same second as f4, n = 1) before f4. */
    assert_string_equal(v[0].name, "f5");
    assert_string_equal(v[1].name, "f4");
    assert_string_equal(v[5].name, "f0");

    r.keep = 2;
    fill(v, 6);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 4);
    assert_string_equal(deleted(v, 6, buf), "f3 f2 f1 f0 ");

    r.keep = 0;
    r.max_age = 2 * 3600 * NS; /* f4/f5 are 60 s old, f3 1 h, f2 2 h 1 min */
    fill(v, 6);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 3);
    assert_string_equal(deleted(v, 6, buf), "f2 f1 f0 ");

    r.max_age = 0;
    r.max_total = 1500; /* newest first: 600 + 500 + 400 = 1500 fit, 300 more does not */
    fill(v, 6);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 3);
    assert_string_equal(deleted(v, 6, buf), "f2 f1 f0 ");
    r.max_total = 1300; /* once over, everything older goes, even the small ones */
    fill(v, 6);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 4);
    assert_string_equal(deleted(v, 6, buf), "f3 f2 f1 f0 ");
    r.max_total = 10; /* the newest alone is over */
    fill(v, 6);
    assert_int_equal(fo_retention_select(v, 6, &r, now), 6);
}

/* ---- compression -------------------------------------------------------------------------- */

static int memfd_with(const void *data, size_t len)
{
    int fd = memfd_create("in", 0);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

static unsigned char *read_all(int fd, size_t *len)
{
    off_t end = lseek(fd, 0, SEEK_END);
    unsigned char *p = malloc((size_t)end + 1);

    assert_non_null(p);
    assert_int_equal(pread(fd, p, (size_t)end, 0), end);
    *len = (size_t)end;
    return p;
}

/* ~3 MiB of log-like text, so several chunks go through each codec. */
static unsigned char *sample(size_t *len)
{
    size_t cap = 3u << 20, n = 0;
    unsigned char *p = malloc(cap);

    assert_non_null(p);
    for (unsigned i = 0; n + 100 < cap; i++) {
        n += (size_t)snprintf((char *)p + n, cap - n, "seq=0:%u the quick brown fox %u\n", i,
                              i * 2654435761u);
    }
    *len = n;
    return p;
}

static int calls;
static void count_call(void *arg)
{
    (void)arg;
    calls++;
}

static void test_gzip_round_trip(void **unused)
{
    size_t len, clen;
    unsigned char *data = sample(&len), *comp, *back = malloc(len + 1);
    int in = memfd_with(data, len), out = memfd_create("out", 0);
    uLongf blen = (uLongf)len + 1;
    z_stream z;

    (void)unused;
    calls = 0;
    assert_int_equal(fo_compress_fd(FO_COMPRESS_GZIP, 6, in, out, NULL, count_call, NULL), 0);
    assert_true(calls >= 12); /* 3 MiB in 256 KiB chunks, plus the end */
    comp = read_all(out, &clen);
    assert_true(clen < len / 3);
    assert_int_equal(comp[0], 0x1f);
    assert_int_equal(comp[1], 0x8b);
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 31), Z_OK);
    z.next_in = comp;
    z.avail_in = (uInt)clen;
    z.next_out = back;
    z.avail_out = (uInt)blen;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, len);
    assert_int_equal(z.avail_in, 0); /* exactly one member, nothing after it */
    assert_memory_equal(back, data, len);
    inflateEnd(&z);
    free(comp);
    free(back);
    free(data);
    close(in);
    close(out);
}

static void test_lz4_round_trip(void **unused)
{
    size_t len, clen, pos = 0, opos = 0;
    unsigned char *data = sample(&len), *comp, *back = malloc(len + 1);
    int in = memfd_with(data, len), out = memfd_create("out", 0);
    LZ4F_dctx *d;
    size_t rc = 1;

    (void)unused;
    assert_int_equal(fo_compress_fd(FO_COMPRESS_LZ4, 0, in, out, NULL, NULL, NULL), 0);
    comp = read_all(out, &clen);
    assert_true(clen < len / 2);
    assert_memory_equal(comp, "\x04\x22\x4d\x18", 4); /* frame magic */
    assert_true(comp[4] & 0x04);                      /* FLG: content checksum present */
    assert_int_equal(LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)), 0);
    while (pos < clen && rc != 0) {
        size_t src = clen - pos, dst = len + 1 - opos;
        rc = LZ4F_decompress(d, back + opos, &dst, comp + pos, &src, NULL);
        assert_int_equal(LZ4F_isError(rc), 0);
        pos += src;
        opos += dst;
    }
    assert_int_equal(rc, 0); /* frame complete, checksum verified */
    assert_int_equal(pos, clen);
    assert_int_equal(opos, len);
    assert_memory_equal(back, data, len);
    LZ4F_freeDecompressionContext(d);
    free(comp);
    free(back);
    free(data);
    close(in);
    close(out);
}

static void test_compress_stop_and_errors(void **unused)
{
    size_t len;
    unsigned char *data = sample(&len);
    int in = memfd_with(data, len), out = memfd_create("out", 0);
    atomic_int stop;

    (void)unused;
    atomic_init(&stop, 1);
    assert_int_equal(fo_compress_fd(FO_COMPRESS_GZIP, 1, in, out, &stop, NULL, NULL), -ECANCELED);
    assert_int_equal(fo_compress_fd(FO_COMPRESS_LZ4, 1, in, out, &stop, NULL, NULL), -ECANCELED);
    assert_int_equal(fo_compress_fd(FO_COMPRESS_NONE, 1, in, out, NULL, NULL, NULL), -EINVAL);
    /* A destination that cannot be written. */
    atomic_store(&stop, 0);
    assert_int_equal(lseek(in, 0, SEEK_SET), 0);
    assert_int_equal(fo_compress_fd(FO_COMPRESS_GZIP, 1, in, -1, &stop, NULL, NULL), -EBADF);
    assert_string_equal(fo_compress_suffix(FO_COMPRESS_GZIP), ".gz");
    assert_string_equal(fo_compress_suffix(FO_COMPRESS_LZ4), ".lz4");
    assert_string_equal(fo_compress_suffix(FO_COMPRESS_NONE), "");
    free(data);
    close(in);
    close(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_size),
        cmocka_unit_test(test_due_age_and_time),
        cmocka_unit_test(test_period_end_utc),
        cmocka_unit_test(test_period_end_local),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_gzip_round_trip),
        cmocka_unit_test(test_lz4_round_trip),
        cmocka_unit_test(test_compress_stop_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
