/*
 * parse_test.h - helpers shared by the parser unit tests (tests/unit/test_json_parse.c,
 * test_logfmt_parse.c, test_level_parse.c, test_syslog_parse.c). Include it after <cmocka.h> and
 * the parser's own header, from exactly one .c file per test program. Each part is opted into with
 * a macro defined before the include:
 *
 *   PARSE_TEST_COUNT_ALLOCS  a heap allocation counter, `allocs`: the test must link with
 *                            -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc (the
 *                            __wrap_ functions are external because the linker calls them).
 *   PARSE_TEST_ROWS          for the parsers that map keys through fieldmap.h (json, logfmt):
 *                            the default key lists, a table row of what a parsed record must
 *                            hold, and the check of every record member against it.
 *
 * Ownership: nothing here keeps a pointer past a call; records and batches stay the caller's.
 */
#ifndef LS_TESTS_PARSE_TEST_H
#define LS_TESTS_PARSE_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef PARSE_TEST_COUNT_ALLOCS

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static size_t allocs; /* malloc, calloc and realloc calls so far */

void *__wrap_malloc(size_t n)
{
    allocs++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    allocs++;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocs++;
    return __real_realloc(p, n);
}

#endif /* PARSE_TEST_COUNT_ALLOCS */

#ifdef PARSE_TEST_ROWS

#define RECEIVED 42 /* every record's arrival time: r->time keeps it unless a time key maps */
#define NS       1000000000LL

static char *def_level[] = {"level", "severity", "lvl"};
static char *def_message[] = {"msg", "message"};
static char *def_app[] = {"service", "app", "logger"};
static char *def_time[] = {"time", "timestamp", "ts"};
static char *def_host[] = {"host", "hostname"};

/* The parsers' default key lists (the plugins' option defaults). */
static void set_default_map(struct ls_fmap *m)
{
    ls_fmap_set(m, LS_FMAP_LEVEL, def_level, 3);
    ls_fmap_set(m, LS_FMAP_MESSAGE, def_message, 2);
    ls_fmap_set(m, LS_FMAP_APP, def_app, 3);
    ls_fmap_set(m, LS_FMAP_TIME, def_time, 3);
    ls_fmap_set(m, LS_FMAP_HOST, def_host, 2);
}

static void assert_slice(struct ls_slice s, const char *want)
{
    if (!want) {
        assert_int_equal(s.len, 0);
        return;
    }
    assert_non_null(s.ptr);
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0) {
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.ptr, want);
    }
}

/* One table row: the line and what the record must hold afterwards. message NULL: unchanged
 * (still the whole line). */
struct row {
    const char *line;
    int severity;
    const char *message, *app, *host;
    int64_t time;
    const char *fields;
};

/* r, appended from t->line at RECEIVED and parsed without error, holds what t says; `fields`
 * is r's fields rendered by the test. */
static void check_parsed(const struct row *t, const struct ls_record *r, const char *fields)
{
    assert_int_equal(r->severity, t->severity);
    assert_slice(r->message, t->message ? t->message : t->line);
    assert_slice(r->app, t->app);
    assert_slice(r->host, t->host);
    assert_int_equal(r->time, t->time);
    assert_int_equal(r->received, RECEIVED);
    assert_int_equal(r->flags, 0);
    assert_slice(r->raw, t->line);
    if (strcmp(fields, t->fields) != 0) {
        fail_msg("%s:\n got fields: %s\nwant fields: %s", t->line, fields, t->fields);
    }
}

/* r, appended from `line` at RECEIVED and given severity LS_SEV_NOTICE, `app`, `host` and the
 * one field `pre` before a parse that failed or passed it through, is exactly as it was. */
static void check_kept(const struct ls_record *r, const char *line, const char *app,
                       const char *host, const struct ls_field *pre)
{
    assert_int_equal(r->severity, LS_SEV_NOTICE);
    assert_slice(r->message, line);
    assert_slice(r->app, app);
    assert_slice(r->host, host);
    assert_int_equal(r->time, RECEIVED);
    assert_int_equal(r->flags, 0);
    assert_int_equal(r->nfields, 1);
    assert_ptr_equal(r->fields, pre);
    assert_ptr_equal(r->fields_tail, pre);
    assert_null(pre->next);
}

#endif /* PARSE_TEST_ROWS */

#endif
