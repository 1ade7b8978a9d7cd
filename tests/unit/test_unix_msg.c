/* test_unix_msg.c - the unix input's pure helpers (plugins/inputs/unix/unix_msg.c): trailing
 * NUL/newline trimming and putting the kernel's pid into a syslog header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/inputs/unix/unix_msg.h"

static size_t trim(const char *s)
{
    return ls_unix_trim(s, strlen(s));
}

static void test_trim(void **state)
{
    (void)state;
    assert_int_equal(ls_unix_trim("abc\0", 4), 3);   /* Python's SysLogHandler */
    assert_int_equal(ls_unix_trim("abc\n\0", 5), 3); /* NUL, then one newline */
    assert_int_equal(ls_unix_trim("abc\0\0", 5), 4); /* only one NUL */
    assert_int_equal(trim("abc\n"), 3);
    assert_int_equal(trim("abc\n\n"), 4); /* only one newline */
    assert_int_equal(trim("abc\r\n"), 4); /* "\r" is data */
    assert_int_equal(trim("abc"), 3);
    assert_int_equal(trim("\n"), 0);
    assert_int_equal(ls_unix_trim("\0", 1), 0);
    assert_int_equal(ls_unix_trim("", 0), 0);
}

/* Rewrite `in` with `pid`; expect `want` (NULL: not rewritten) and the pid digits at their
 * reported place. Runs with an output buffer of exactly len + LS_UNIX_PID_GROW bytes so ASan
 * catches any overrun. */
static void check(const char *in, int64_t pid, const char *want)
{
    size_t len = strlen(in);
    char *out = malloc(len + LS_UNIX_PID_GROW);
    struct ls_unix_rewrite rw = {0, 0, 0};
    int rc = ls_unix_pid_rewrite(in, len, pid, out, &rw);

    if (!want) {
        assert_int_equal(rc, 0);
        free(out);
        return;
    }
    assert_int_equal(rc, 1);
    assert_int_equal(rw.len, strlen(want));
    assert_memory_equal(out, want, rw.len);
    assert_true(rw.pid_off + rw.pid_len <= rw.len);
    {
        char digits[24];
        snprintf(digits, sizeof digits, "%lld", (long long)pid);
        assert_int_equal(rw.pid_len, strlen(digits));
        assert_memory_equal(out + rw.pid_off, digits, rw.pid_len);
    }
    free(out);
}

static void test_rfc3164_shapes(void **state)
{
    (void)state;
    /* syslog(3) with LOG_PID */
    check("<156>Nov 23 10:00:00 glibctest[1]: msg", 4242,
          "<156>Nov 23 10:00:00 glibctest[4242]: msg");
    /* space-padded day */
    check("<13>Jan  2 03:04:05 tag[99999]: x", 7, "<13>Jan  2 03:04:05 tag[7]: x");
    /* no pid: inserted */
    check("<13>Nov 23 10:00:00 tag: hello", 12, "<13>Nov 23 10:00:00 tag[12]: hello");
    /* no timestamp (Python's SysLogHandler with an ident) */
    check("<14>myapp: hello", 5, "<14>myapp[5]: hello");
    check("<14>myapp[abc]: hello", 5, "<14>myapp[5]: hello");
    /* end of line right after the colon */
    check("<13>tag:", 3, "<13>tag[3]:");
    check("<13>tag[1]:", 3, "<13>tag[3]:");
    /* large pid */
    check("<13>t[1]: m", INT64_MAX, "<13>t[9223372036854775807]: m");
}

static void test_rfc5424(void **state)
{
    (void)state;
    check("<13>1 2026-11-23T10:00:00Z host app 1 - - msg", 4242,
          "<13>1 2026-11-23T10:00:00Z host app 4242 - - msg");
    check("<13>1 - - - - - -", 8, "<13>1 - - - 8 - -");
    /* PROCID must be followed by MSGID */
    check("<13>1 2026-11-23T10:00:00Z host app 1", 8, NULL);
    check("<13>1 ts host", 8, NULL);
}

static void test_left_alone(void **state)
{
    (void)state;
    check("no pri: tag[1]: msg", 5, NULL);
    check("<13>", 5, NULL);
    check("<1234>tag: x", 5, NULL);    /* PRI of 4 digits */
    check("<>tag: x", 5, NULL);        /* no PRI digits */
    check("<13>hello world", 5, NULL); /* no tag terminator */
    check("<13>tag[1] x", 5, NULL);    /* no ':' after ']' */
    check("<13>tag[1", 5, NULL);       /* unterminated */
    check("<13>tag[]: x", 5, NULL);    /* empty claim */
    check("<13>tag[a b]: x", 5, NULL); /* space inside the claim */
    check("<13>: no tag", 5, NULL);    /* empty tag */
    check("<13>tag: x", 0, NULL);      /* pid unknown */
    check("<13>tag: x", -1, NULL);     /* pid unknown */
    check("<13>Nov 23 10:00:00 ", 5, NULL);
    check("<13>2026-11-23T10:00:00Z tag: x", 5, NULL); /* ':' inside a timestamp */
    check("<13>tag[1]:x", 5, NULL);                    /* ':' not ending the tag */
    check("<13>tag:x", 5, NULL);
    {
        /* claims longer than LS_UNIX_MAX_CLAIM and tags longer than LS_UNIX_MAX_TAG */
        char buf[400];
        snprintf(buf, sizeof buf, "<13>t[%0*d]: x", LS_UNIX_MAX_CLAIM + 1, 1);
        check(buf, 5, NULL);
        memset(buf, 'a', sizeof buf);
        memcpy(buf, "<13>", 4);
        strcpy(buf + 4 + LS_UNIX_MAX_TAG + 1, ": x");
        check(buf, 5, NULL);
    }
}

/* Every prefix of a valid line: never reads past len (ASan) and never writes more than
 * len + LS_UNIX_PID_GROW. */
static void test_prefixes(void **state)
{
    const char *lines[] = {
        "<156>Nov 23 10:00:00 glibctest[1]: msg",
        "<13>1 2026-11-23T10:00:00Z host app 1 - - msg",
        "<14>myapp: hello",
    };

    (void)state;
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++) {
        for (size_t n = 0; n <= strlen(lines[k]); n++) {
            char *in = malloc(n ? n : 1);
            char *out = malloc(n + LS_UNIX_PID_GROW);
            struct ls_unix_rewrite rw;
            memcpy(in, lines[k], n);
            if (ls_unix_pid_rewrite(in, n, INT64_MAX, out, &rw)) {
                assert_true(rw.len <= n + LS_UNIX_PID_GROW);
            }
            free(in);
            free(out);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim),     cmocka_unit_test(test_rfc3164_shapes),
        cmocka_unit_test(test_rfc5424),  cmocka_unit_test(test_left_alone),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
