/* test_level_parse.c - the level parser's logic (plugins/parsers/level/level_parse.c) on real
 * world lines: every case asserts the severity, the app (and that it points into the message),
 * and that nothing else of the record changed. Linked with --wrap=malloc/calloc/realloc to
 * prove that parsing allocates nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/parsers/level/level_parse.h"
#include "batch.h"

#define PARSE_TEST_COUNT_ALLOCS /* the test links with -Wl,--wrap=malloc,... */
#include "../common/parse_test.h"

/* ---- helpers -------------------------------------------------------------------------------- */

static char *svc_keys[] = {"service", "svc", "app"};

static struct ls_level_opts default_opts(void)
{
    struct ls_level_opts o;

    memset(&o, 0, sizeof o);
    o.service = 1;
    o.max_offset = 64;
    o.service_keys = (const char *const *)svc_keys;
    o.nservice_keys = 3;
    return o;
}

struct row {
    const char *line;
    int severity;    /* -1: none */
    const char *app; /* NULL: none */
};

static void check(const struct ls_level_opts *o, const struct row *t)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    size_t len = strlen(t->line);
    struct ls_record *r = ls_batch_append(b, t->line, len, NULL, 42);
    int changed = ls_level_parse_record(o, r);

    if (r->severity != t->severity) {
        fail_msg("\"%s\": severity %d, want %d", t->line, r->severity, t->severity);
    }
    if (!t->app) {
        if (r->app.len != 0) {
            fail_msg("\"%s\": app \"%.*s\", want none", t->line, (int)r->app.len, r->app.ptr);
        }
    } else {
        if (r->app.len != strlen(t->app) || memcmp(r->app.ptr, t->app, r->app.len) != 0) {
            fail_msg("\"%s\": app \"%.*s\", want \"%s\"", t->line, (int)r->app.len,
                     r->app.ptr ? r->app.ptr : "", t->app);
        }
        /* a slice of the message: nothing copied */
        assert_true(r->app.ptr >= r->message.ptr &&
                    r->app.ptr + r->app.len <= r->message.ptr + len);
    }
    assert_int_equal(changed, t->severity >= 0 || t->app != NULL);
    assert_int_equal(r->message.len, len);
    assert_ptr_equal(r->message.ptr, r->raw.ptr);
    assert_int_equal(r->time, 42);
    assert_int_equal(r->flags, 0);
    assert_int_equal(r->nfields, 0);
    assert_int_equal(r->host.len, 0);
    ls_batch_unref(b);
}

static const struct row real_world[] = {
    /* the forms of the issue */
    {"ERROR [payment-service] card declined", LS_SEV_ERR, "payment-service"},
    {"2026-11-23T10:00:00.123Z ERROR charge failed", LS_SEV_ERR, NULL},
    {"[ERROR] connection refused", LS_SEV_ERR, NULL},
    {"level=error msg=\"db down\" service=orders", LS_SEV_ERR, "orders"},
    {"E1122 10:00:00.123456  1234 server.cc:42] RPC failed", LS_SEV_ERR, NULL},
    {"[payment-service] WARN retrying charge", LS_SEV_WARNING, "payment-service"},
    {"svc:billing INFO invoice sent", LS_SEV_INFO, "billing"},
    /* log4j / logback default: timestamp, [thread], LEVEL, logger */
    {"2026-11-23 10:00:00,123 [main] INFO  com.shop.App - started in 2.1s", LS_SEV_INFO, "main"},
    {"2026-11-23 10:00:00.123  WARN 4242 --- [nio-8080-exec-1] o.s.web.Servlet : slow",
     LS_SEV_WARNING, NULL},
    /* Python logging: default and basicConfig formats */
    {"ERROR:root:something broke", LS_SEV_ERR, NULL},
    {"WARNING:urllib3.connectionpool:Retrying (Retry(total=2))", LS_SEV_WARNING, NULL},
    {"2026-11-23 10:00:00,123 - myapp - CRITICAL - out of memory", LS_SEV_CRIT, NULL},
    /* nginx error log, Apache 2.4 error log */
    {"2026/11/23 10:00:00 [error] 1234#0: *5 open() \"/x\" failed", LS_SEV_ERR, NULL},
    {"[Mon Nov 23 10:00:00.123456 2026] [core:error] [pid 1234] AH00037: bad", LS_SEV_ERR, NULL},
    {"[Mon Nov 23 10:00:00 2026] [ssl:warn] [pid 99] AH01909: cert", LS_SEV_WARNING, NULL},
    /* glog severities */
    {"I1122 10:00:00.000001 1 main.go:1] ready", LS_SEV_INFO, NULL},
    {"W1122 10:00:00.000001 1 main.go:1] slow", LS_SEV_WARNING, NULL},
    {"F1122 10:00:00.000001 1 main.go:1] dead", LS_SEV_CRIT, NULL},
    /* logfmt / JSON-ish / colon forms */
    {"time=\"2026-11-23T10:00:00Z\" level=warning msg=\"disk 91%\" app=storage", LS_SEV_WARNING,
     "storage"},
    {"ts=2026-11-23T10:00:00Z lvl=debug caller=main.go:12", LS_SEV_DEBUG, NULL},
    {"{\"level\":\"fatal\",\"service\":\"auth\",\"msg\":\"x\"}", LS_SEV_CRIT, "auth"},
    {"severity: notice app: \"cron\" job done", LS_SEV_NOTICE, "cron"},
    {"<warn> low disk", LS_SEV_WARNING, NULL},
    {"(Info) user logged in", LS_SEV_INFO, NULL},
    /* every level word */
    {"TRACE enter f()", LS_SEV_DEBUG, NULL},
    {"DEBUG x=1", LS_SEV_DEBUG, NULL},
    {"NOTICE config reloaded", LS_SEV_NOTICE, NULL},
    {"ERR timeout", LS_SEV_ERR, NULL},
    {"CRIT raid degraded", LS_SEV_CRIT, NULL},
    {"FATAL: cannot start", LS_SEV_CRIT, NULL},
    {"ALERT: intrusion", LS_SEV_ALERT, NULL},
    {"EMERG kernel panic", LS_SEV_EMERG, NULL},
    {"Warning: deprecated option", LS_SEV_WARNING, NULL},
    {"error connecting to db", LS_SEV_ERR, NULL},
    {"Nov 23 10:00:00 error: link down", LS_SEV_ERR, NULL},
    {"12:00:01.5 info. ready", LS_SEV_INFO, NULL},
    /* the first qualifying token wins */
    {"INFO retrying after ERROR from upstream", LS_SEV_INFO, NULL},
    {"[svc-a] [ERROR] [svc-b] failed", LS_SEV_ERR, "svc-a"},
    {"ERROR - [svc] failed", LS_SEV_ERR, "svc"},
    /* words inside words, other words, prose */
    {"terror alert level raised", -1, NULL},
    {"INFORMATION only", -1, NULL},
    {"errors: 0", -1, NULL},
    {"error-prone code path", -1, NULL},
    {"com.error.Handler called", -1, NULL},
    {"GET /api/error 500", -1, NULL},
    {"user login failed: error code 5", -1, NULL},
    {"connection reset (error 104)", -1, NULL},
    {"the [main] thread", -1, NULL},
    {"hello world", -1, NULL},
    {"", -1, NULL},
    {"X1122 10:00:00 not glog", -1, NULL},
    {"E112 10:00:00 short", -1, NULL},
    {"[12345] [2026-11-23] no service here", -1, NULL},
    {"[ERROR]", LS_SEV_ERR, NULL},
    {"\xc3\xa9rror and ERROR", LS_SEV_ERR, NULL},
    {"\xe2\x80\x9c"
     "ERROR\xe2\x80\x9d in curly quotes",
     -1, NULL}, /* UTF-8 joins words */
    {"caf\xc3\xa9"
     "ERROR",
     -1, NULL},
    /* service forms that are not services */
    {"service= INFO", LS_SEV_INFO, NULL},
    {"service=\"\" ok", -1, NULL},
    {"app=-x ok", -1, NULL},
    {"[payment service] x", -1, NULL},
    {"[-svc] x", -1, NULL},
    {"[123] x", -1, NULL},
    {"myservice=x", -1, NULL},
};

static void test_real_world_lines(void **state)
{
    struct ls_level_opts o = default_opts();

    (void)state;
    for (size_t i = 0; i < sizeof real_world / sizeof *real_world; i++) {
        check(&o, &real_world[i]);
    }
}

static void test_deep_in_the_message(void **state)
{
    struct ls_level_opts o = default_opts();
    char line[256];
    static const struct row rows[] = {
        {"request finished in 12ms for user 4242 from 10.0.0.1 status ok and ERROR", -1, NULL},
        {"request finished in 12ms for user 4242 from 10.0.0.1 with status ok; service=late", -1,
         NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        check(&o, &rows[i]);
    }
    /* a word starting at byte 63 counts, at byte 64 not */
    memset(line, ' ', 63);
    strcpy(line + 63, "ERROR x");
    {
        struct row r = {line, LS_SEV_ERR, NULL};
        check(&o, &r);
    }
    memset(line, ' ', 64);
    strcpy(line + 64, "ERROR x");
    {
        struct row r = {line, -1, NULL};
        check(&o, &r);
    }
    o.max_offset = 200;
    {
        struct row r = {line, LS_SEV_ERR, NULL};
        check(&o, &r);
    }
    o.max_offset = 1;
    {
        struct row r = {"ERROR [svc] x", LS_SEV_ERR, NULL}; /* the service starts at byte 7 */
        check(&o, &r);
    }
}

static void test_existing_severity_kept_unless_override(void **state)
{
    struct ls_level_opts o = default_opts();
    struct ls_batch *b = ls_batch_new("in", "p");
    const char *line = "ERROR [svc] boom";
    struct ls_record *r = ls_batch_append(b, line, strlen(line), NULL, 1);

    (void)state;
    r->severity = LS_SEV_NOTICE; /* from syslog */
    r->app = ls_batch_strdup(b, "sshd", 4);
    assert_int_equal(ls_level_parse_record(&o, r), 0);
    assert_int_equal(r->severity, LS_SEV_NOTICE);
    assert_int_equal(r->app.len, 4);
    assert_memory_equal(r->app.ptr, "sshd", 4);

    r->app.ptr = NULL; /* no app yet: the service is detected, the severity still kept */
    r->app.len = 0;
    assert_int_equal(ls_level_parse_record(&o, r), 1);
    assert_int_equal(r->severity, LS_SEV_NOTICE);
    assert_int_equal(r->app.len, 3);
    assert_memory_equal(r->app.ptr, "svc", 3);

    o.override = 1;
    assert_int_equal(ls_level_parse_record(&o, r), 1);
    assert_int_equal(r->severity, LS_SEV_ERR);
    assert_memory_equal(r->app.ptr, "svc", 3);
    assert_int_equal(ls_level_parse_record(&o, r), 0); /* nothing changes a second time */

    r->severity = LS_SEV_INFO;
    r->message.ptr = "no level here";
    r->message.len = 13;
    assert_int_equal(ls_level_parse_record(&o, r), 0); /* override without a word: kept */
    assert_int_equal(r->severity, LS_SEV_INFO);
    ls_batch_unref(b);
}

static void test_service_option_off_and_custom_keys(void **state)
{
    struct ls_level_opts o = default_opts();
    static char *keys[] = {"component", "Logger"};
    static const struct row off[] = {
        {"ERROR [payment-service] x", LS_SEV_ERR, NULL},
        {"service=orders WARN x", LS_SEV_WARNING, NULL},
    };
    static const struct row custom[] = {
        {"component=tsdb level=info msg=x", LS_SEV_INFO, "tsdb"},
        {"logger: \"db.pool\" WARN x", LS_SEV_WARNING, "db.pool"},
        {"service=orders WARN x", LS_SEV_WARNING, NULL},
        {"ERROR [payment-service] x", LS_SEV_ERR, "payment-service"},
    };

    (void)state;
    o.service = 0;
    for (size_t i = 0; i < sizeof off / sizeof *off; i++) {
        check(&o, &off[i]);
    }
    o.service = 1;
    o.service_keys = (const char *const *)keys;
    o.nservice_keys = 2;
    for (size_t i = 0; i < sizeof custom / sizeof *custom; i++) {
        check(&o, &custom[i]);
    }
    o.nservice_keys = 0;
    {
        struct row r = {"service=orders WARN x", LS_SEV_WARNING, NULL};
        check(&o, &r);
    }
}

static void test_service_length_cap(void **state)
{
    struct ls_level_opts o = default_opts();
    char name[LS_LEVEL_MAX_SERVICE + 2], line[300];

    (void)state;
    memset(name, 's', LS_LEVEL_MAX_SERVICE);
    name[LS_LEVEL_MAX_SERVICE] = '\0';
    snprintf(line, sizeof line, "INFO svc=%s", name);
    {
        struct row r = {line, LS_SEV_INFO, name};
        check(&o, &r);
    }
    snprintf(line, sizeof line, "INFO svc=%sX", name); /* one byte too long */
    {
        struct row r = {line, LS_SEV_INFO, NULL};
        check(&o, &r);
    }
    snprintf(line, sizeof line, "INFO [%s]", name);
    {
        struct row r = {line, LS_SEV_INFO, name};
        check(&o, &r);
    }
    snprintf(line, sizeof line, "INFO svc=\"%sX\"", name);
    {
        struct row r = {line, LS_SEV_INFO, NULL};
        check(&o, &r);
    }
}

static void test_scan_reports_the_level_token(void **state)
{
    struct ls_level_opts o = default_opts();
    struct ls_level_found f;
    const char *s = "2026-11-23 10:00:00 [core:Warning] x";

    (void)state;
    ls_level_scan(&o, s, strlen(s), 1, 1, &f);
    assert_int_equal(f.severity, LS_SEV_WARNING);
    assert_ptr_equal(f.level.ptr, s + 26);
    assert_int_equal(f.level.len, 7);
    assert_null(f.service.ptr);
    ls_level_scan(&o, s, strlen(s), 0, 1, &f); /* not wanted: not looked for */
    assert_int_equal(f.severity, -1);
}

static void test_no_allocation_per_record(void **state)
{
    struct ls_level_opts o = default_opts();
    struct ls_batch *b = ls_batch_new("in", "p");
    size_t before;

    (void)state;
    for (int i = 0; i < 2000; i++) {
        const struct row *t = &real_world[(size_t)i % (sizeof real_world / sizeof *real_world)];
        ls_batch_append(b, t->line, strlen(t->line), NULL, 1);
    }
    before = allocs;
    for (size_t i = 0; i < ls_batch_count(b); i++) {
        ls_level_parse_record(&o, ls_batch_record(b, i));
    }
    assert_int_equal(allocs, before);
    assert_true(before > 0); /* the counter does count (the batch allocated) */
    ls_batch_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_world_lines),
        cmocka_unit_test(test_deep_in_the_message),
        cmocka_unit_test(test_existing_severity_kept_unless_override),
        cmocka_unit_test(test_service_option_off_and_custom_keys),
        cmocka_unit_test(test_service_length_cap),
        cmocka_unit_test(test_scan_reports_the_level_token),
        cmocka_unit_test(test_no_allocation_per_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
