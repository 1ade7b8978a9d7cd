/* test_journald_cursor.c - the journald input's resume position (plugins/inputs/journald/
 * jcursor.c): the cursor file (atomic save, load, every way it can be bad), its default path,
 * and the tokens that turn a delivery acknowledgement into the cursor to persist. */
#define _GNU_SOURCE

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../plugins/inputs/journald/jcursor.h"

static const char CURSOR[] =
    "s=18e08214a1b44098bac4c945fed1afb4;i=1;b=6c7c6013a8cb4f4f8c1e4b5c1f3f5d6b;m=1;"
    "t=60a24181e4001;x=445c95d8d5ac6717";

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ls_test_jcursor.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
    char *p = NULL;

    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* ---- cursor file ---- */

static void test_save_then_load(void **state)
{
    char *path = path_in("c.cursor"), *tmp = path_in("c.cursor.tmp"), *got = NULL;
    const char *stage = NULL;
    char why[64] = "";

    (void)state;
    assert_int_equal(jd_cursor_save(path, "first", &stage), 0);
    assert_int_equal(jd_cursor_save(path, CURSOR, &stage), 0);
    assert_string_equal(read_file(path), "s=18e08214a1b44098bac4c945fed1afb4;i=1;"
                                         "b=6c7c6013a8cb4f4f8c1e4b5c1f3f5d6b;m=1;"
                                         "t=60a24181e4001;x=445c95d8d5ac6717\n");
    assert_int_equal(access(tmp, F_OK), -1); /* the temporary file was renamed away */
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), 0);
    assert_string_equal(got, CURSOR);
    free(got);
    /* written by hand without the newline: accepted too */
    write_file(path, "abc", 3);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), 0);
    assert_string_equal(got, "abc");
    free(got);
    free(path);
    free(tmp);
}

static void test_load_missing_and_bad(void **state)
{
    char *path = path_in("bad.cursor"), *got = (char *)"x", why[128];
    char big[JD_CURSOR_MAX + 2];

    (void)state;
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_MISSING);
    assert_null(got);

    write_file(path, "", 0);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);
    assert_string_equal(why, "it is empty");
    write_file(path, "\n", 1);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);
    assert_string_equal(why, "it is empty");

    write_file(path, "not a cursor\n", 13);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);
    assert_string_equal(why, "it does not hold a journal cursor");
    write_file(path, "s=1\0;i=2\n", 9);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);
    write_file(path, "s=1\n\n", 5);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);

    memset(big, 'a', sizeof big);
    write_file(path, big, JD_CURSOR_MAX); /* the longest accepted */
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), 0);
    assert_int_equal(strlen(got), JD_CURSOR_MAX);
    free(got);
    write_file(path, big, JD_CURSOR_MAX + 1);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), JD_CURSOR_INVALID);
    assert_string_equal(why, "it is longer than 1024 bytes");
    assert_null(got);
    free(path);
}

static void test_load_unreadable(void **state)
{
    char *path = path_in("adir"), *got = NULL, why[64];

    (void)state;
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(jd_cursor_load(path, &got, why, sizeof why), -EISDIR);
    assert_null(got);
    free(path);
}

static void test_save_fails_cleanly(void **state)
{
    char *path = path_in("missing/dir/c.cursor"), *adir = path_in("adir2");
    const char *stage = NULL;

    (void)state;
    assert_int_equal(jd_cursor_save(path, CURSOR, &stage), -ENOENT);
    assert_string_equal(stage, "open");
    /* the target is a directory: the rename fails and the temporary file is removed */
    assert_int_equal(mkdir(adir, 0700), 0);
    assert_int_equal(jd_cursor_save(adir, CURSOR, &stage), -EISDIR);
    assert_string_equal(stage, "rename");
    free(path);
    path = path_in("adir2.tmp");
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    free(adir);
}

static void test_default_path_and_mkdir(void **state)
{
    char *p = jd_cursor_default_path("/var/lib/logstream", "apps.journald.0");
    char *nested, *file;
    struct stat sb;
    const char *stage;

    (void)state;
    assert_string_equal(p, "/var/lib/logstream/journald-apps.journald.0.cursor");
    free(p);
    p = jd_cursor_default_path("state/", "we ird/na\xc3\xa9me");
    assert_string_equal(p, "state/journald-we_ird_na__me.cursor");
    free(p);

    nested = path_in("a/b/c");
    file = path_in("a/b/c/j.cursor");
    assert_int_equal(jd_mkdir_parent(file), 0);
    assert_int_equal(stat(nested, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0750);
    assert_int_equal(jd_mkdir_parent(file), 0); /* exists: fine */
    assert_int_equal(jd_cursor_save(file, CURSOR, &stage), 0);
    free(file);
    /* a file in the way */
    file = path_in("a/b/c/j.cursor/x.cursor");
    assert_int_equal(jd_mkdir_parent(file), -ENOTDIR);
    free(file);
    free(nested);
}

static void test_cursor_valid(void **state)
{
    (void)state;
    assert_true(jd_cursor_valid(CURSOR, strlen(CURSOR)));
    assert_false(jd_cursor_valid("", 0));
    assert_false(jd_cursor_valid("a b", 3));
    assert_false(jd_cursor_valid("a\tb", 3));
    assert_false(jd_cursor_valid("a\x7f", 2));
    assert_false(jd_cursor_valid("\xc3\xa9", 2));
}

/* ---- tokens ---- */

static void test_tokens_batches(void **state)
{
    struct jd_tokens t = {0};
    char *c;

    (void)state;
    /* batch A: entries 1..3 */
    assert_int_equal(jd_tokens_add(&t, strdup("c1"), 1), 1);
    assert_int_equal(jd_tokens_add(&t, strdup("c2"), 0), 2);
    assert_int_equal(jd_tokens_add(&t, strdup("c3"), 0), 3);
    assert_int_equal(jd_tokens_inflight(&t), 0);
    /* batch B: entries 4, 5 - A (token 3) is closed */
    assert_int_equal(jd_tokens_add(&t, strdup("c4"), 1), 4);
    assert_int_equal(jd_tokens_inflight(&t), 1);
    assert_int_equal(jd_tokens_add(&t, strdup("c5"), 0), 5);
    /* batch C: entry 6 */
    assert_int_equal(jd_tokens_add(&t, strdup("c6"), 1), 6);
    assert_int_equal(jd_tokens_inflight(&t), 2);

    c = jd_tokens_ack(&t, 3);
    assert_string_equal(c, "c3");
    free(c);
    assert_int_equal(jd_tokens_inflight(&t), 1);
    assert_null(jd_tokens_ack(&t, 3)); /* again: nothing new */
    assert_null(jd_tokens_ack(&t, 2)); /* older: nothing new */
    assert_null(jd_tokens_ack(&t, 7)); /* never given */
    c = jd_tokens_ack(&t, 5);
    assert_string_equal(c, "c5");
    free(c);
    /* C closed by the core's idle timer and acknowledged before the next entry */
    c = jd_tokens_ack(&t, 6);
    assert_string_equal(c, "c6");
    free(c);
    assert_int_equal(jd_tokens_add(&t, strdup("c7"), 1), 7);
    assert_int_equal(jd_tokens_inflight(&t), 0); /* 6 was acknowledged: not kept */
    jd_tokens_release(&t);
}

static void test_tokens_skip_ahead_frees_older(void **state)
{
    struct jd_tokens t = {0};
    char name[16], *c;

    (void)state;
    /* 100 one-entry batches: the ring grows and keeps its order */
    for (int i = 1; i <= 100; i++) {
        snprintf(name, sizeof name, "c%d", i);
        assert_int_equal(jd_tokens_add(&t, strdup(name), 1), (uint64_t)i);
    }
    assert_int_equal(jd_tokens_inflight(&t), 99);
    c = jd_tokens_ack(&t, 40);
    assert_string_equal(c, "c40");
    free(c);
    assert_int_equal(jd_tokens_inflight(&t), 59);
    c = jd_tokens_ack(&t, 99);
    assert_string_equal(c, "c99");
    free(c);
    assert_int_equal(jd_tokens_inflight(&t), 0);
    for (int i = 101; i <= 120; i++) {
        snprintf(name, sizeof name, "c%d", i);
        jd_tokens_add(&t, strdup(name), 1);
    }
    c = jd_tokens_ack(&t, 110);
    assert_string_equal(c, "c110");
    free(c);
    jd_tokens_release(&t); /* frees what is still in flight (checked under ASan) */
}

static void test_tokens_without_cursor(void **state)
{
    struct jd_tokens t = {0};
    char *c;

    (void)state;
    jd_tokens_add(&t, strdup("c1"), 1);
    jd_tokens_add(&t, NULL, 1); /* libsystemd gave no cursor for entry 2 */
    jd_tokens_add(&t, strdup("c3"), 1);
    c = jd_tokens_ack(&t, 1);
    assert_string_equal(c, "c1");
    free(c);
    assert_null(jd_tokens_ack(&t, 2)); /* nothing to write: the file keeps c1 */
    c = jd_tokens_ack(&t, 3);
    assert_string_equal(c, "c3");
    free(c);
    jd_tokens_release(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_then_load),
        cmocka_unit_test(test_load_missing_and_bad),
        cmocka_unit_test(test_load_unreadable),
        cmocka_unit_test(test_save_fails_cleanly),
        cmocka_unit_test(test_default_path_and_mkdir),
        cmocka_unit_test(test_cursor_valid),
        cmocka_unit_test(test_tokens_batches),
        cmocka_unit_test(test_tokens_skip_ahead_frees_older),
        cmocka_unit_test(test_tokens_without_cursor),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
