/* Unit tests for core/log.c: line shape (text and JSON), level filtering, prefixes, and the
 * folding of identical repeated messages. stderr is redirected to a temp file and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static char *capture(void (*fn)(void))
{
    char path[] = "/tmp/ls-test-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(2);
    FILE *f;
    char *buf = calloc(1, 65536);

    assert_true(fd >= 0);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    ls_log_flush();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    fseek(f, 0, SEEK_SET);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
    return buf;
}

/* Remove the leading timestamp of every line: "2026-...Z " */
static char *strip_times(char *s)
{
    char *out = calloc(1, strlen(s) + 1), *o = out;

    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        char *sp = strchr(line, ' ');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        assert_true(sp && (!nl || sp < nl));
        assert_int_equal(sp[-1], 'Z'); /* UTC, milliseconds */
        memcpy(o, sp + 1, len - (size_t)(sp + 1 - line));
        o += len - (size_t)(sp + 1 - line);
        line += len;
    }
    return out;
}

static void emit_text(void)
{
    ls_log_setup(LS_LOG_INFO, 0);
    ls_info("hello %d", 42);
    ls_debug("not shown");
    ls_logp(LS_LOG_WARN, "[input:tcp:apps.tcp.0]", "listening on %s", "127.0.0.1:9001");
    ls_err("failed");
}

static void test_text_lines(void **state)
{
    (void)state;
    char *raw = capture(emit_text);
    char *s = strip_times(raw);
    assert_string_equal(s, "info hello 42\n"
                           "warn [input:tcp:apps.tcp.0] listening on 127.0.0.1:9001\n"
                           "error failed\n");
    free(raw);
    free(s);
}

static void emit_json(void)
{
    ls_log_setup(LS_LOG_DEBUG, 1);
    ls_logp(LS_LOG_DEBUG, "[output:file:a]", "quote \" and\nnewline");
    ls_log_setup(LS_LOG_INFO, 0);
}

static void test_json_lines(void **state)
{
    (void)state;
    char *s = capture(emit_json);
    const char *msg = strstr(s, "\"level\":\"debug\",\"instance\":\"[output:file:a]\","
                                "\"msg\":\"quote \\\" and\\u000anewline\"}\n");
    assert_non_null(msg);
    assert_int_equal(strncmp(s, "{\"time\":\"", 9), 0);
    free(s);
}

static void emit_repeats(void)
{
    ls_log_setup(LS_LOG_INFO, 0);
    for (int i = 0; i < 1000; i++) {
        ls_logp(LS_LOG_WARN, "[input:tcp:x]", "too many connections");
    }
    ls_info("something else");
}

static void test_repeats_folded(void **state)
{
    (void)state;
    char *raw = capture(emit_repeats);
    char *s = strip_times(raw);
    assert_string_equal(s, "warn [input:tcp:x] too many connections\n"
                           "warn [input:tcp:x] last message repeated 999 times\n"
                           "info something else\n");
    free(raw);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_lines),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_repeats_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
