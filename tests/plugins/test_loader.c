/*
 * test_loader.c - the plugin loader against real shared objects: every deliberately broken
 * plugin of tests/plugins/abi/ must be refused with its exact error line, the good ones must
 * load and be found, and plugin files and directories writable by others must be refused.
 *
 * The built plugins are first copied, mode 0644, into a private temporary directory (mode 0700):
 * the loader's ownership/mode check must not depend on the umask the build ran with, and the
 * error lines name that directory.
 */
#define _GNU_SOURCE /* nftw() */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

#include "conf.h"
#include "loader.h"
#include "util.h"

#ifndef LS_TEST_ABI_DIR
#error "LS_TEST_ABI_DIR must name the directory the test plugins are built into"
#endif

static char tmp_root[PATH_MAX]; /* private copy of every test plugin, mode 0644 */

/* ---- Fixture helpers ----------------------------------------------------------------------- */

static void copy_file(const char *src, const char *dst, mode_t mode)
{
    char buf[65536];
    int in = open(src, O_RDONLY);
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ssize_t n;

    if (in < 0 || out < 0) {
        fail_msg("copy %s -> %s: %s", src, dst, strerror(errno));
    }
    while ((n = read(in, buf, sizeof buf)) > 0) {
        assert_int_equal(write(out, buf, (size_t)n), n);
    }
    assert_int_equal(n, 0);
    assert_int_equal(fchmod(out, mode), 0);
    close(in);
    close(out);
}

static char *plugin_path(const char *name)
{
    return ls_xasprintf("%s/%s.so", tmp_root, name);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory (mode 0700) under tmp_root; caller frees the path. */
static char *make_dir(const char *name)
{
    char *dir = ls_xasprintf("%s/%s", tmp_root, name);

    rm_tree(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    return dir;
}

static const char *const all_plugins[] = {
    "good_input",      "good_parser",     "good_output",
    "dup_a",           "dup_b",           "no_entry",
    "hidden_entry",    "small_symbol",    "short_symbol",
    "abi_major",       "abi_minor",       "struct_tiny",
    "struct_huge",     "bad_kind",        "input_no_start",
    "parser_no_parse", "output_no_write", "bad_name",
    "long_name",       "null_name",       "no_summary",
    "opt_offset",      "opt_enum",        "config_huge",
    "undefined_ref",   "v1_0_input",      NULL,
};

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "%s/ls_test_loader.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_root)) {
        fprintf(stderr, "mkdtemp %s: %s\n", tmp_root, strerror(errno));
        return -1;
    }
    for (const char *const *p = all_plugins; *p; p++) {
        char *src = ls_xasprintf("%s/%s.so", LS_TEST_ABI_DIR, *p);
        char *dst = plugin_path(*p);
        copy_file(src, dst, 0644);
        free(src);
        free(dst);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    rm_tree(tmp_root);
    return 0;
}

/* ---- Assertions ---------------------------------------------------------------------------- */

/* Load `path` into a fresh registry: it must fail with exactly the line "<path>: <message>". */
static void expect_refused_path(const char *path, const char *fmt, ...) LS_PRINTF(2, 3);
static void expect_refused_path(const char *path, const char *fmt, ...)
{
    struct ls_registry r;
    struct ls_errors errs;
    struct ls_sbuf want;
    va_list ap;

    ls_sbuf_init(&want);
    ls_sbuf_addf(&want, "%s: ", path);
    va_start(ap, fmt);
    ls_sbuf_vaddf(&want, fmt, ap);
    va_end(ap);

    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_file(&r, path, &errs) < 0);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], want.buf);
    assert_int_equal(r.count, 0);
    ls_errors_release(&errs);
    ls_registry_release(&r);
    ls_sbuf_release(&want);
}

#define expect_refused(name, ...)                                                                  \
    do {                                                                                           \
        char *path_ = plugin_path(name);                                                           \
        expect_refused_path(path_, __VA_ARGS__);                                                   \
        free(path_);                                                                               \
    } while (0)

/* ---- Good plugins -------------------------------------------------------------------------- */

static void load_ok(struct ls_registry *r, const char *name)
{
    struct ls_errors errs;
    char *path = plugin_path(name);

    ls_errors_init(&errs);
    assert_int_equal(ls_registry_load_file(r, path, &errs), 0);
    if (errs.count) {
        fail_msg("unexpected error: %s", errs.lines[0]);
    }
    ls_errors_release(&errs);
    free(path);
}

static void test_good_plugins(void **state)
{
    struct ls_registry r;
    const struct ls_plugin *in, *parser, *out;
    const char **names;

    (void)state;
    ls_registry_init(&r);
    /* One name, three kinds: names are unique per kind only. */
    load_ok(&r, "good_input");
    load_ok(&r, "good_parser");
    load_ok(&r, "good_output");
    assert_int_equal(r.count, 3);

    in = ls_registry_find(&r, LS_KIND_INPUT, "good");
    parser = ls_registry_find(&r, LS_KIND_PARSER, "good");
    out = ls_registry_find(&r, LS_KIND_OUTPUT, "good");
    assert_non_null(in);
    assert_non_null(parser);
    assert_non_null(out);
    assert_true(in != parser && parser != out);

    assert_int_equal(in->kind, LS_KIND_INPUT);
    assert_int_equal(in->abi_major, LS_ABI_MAJOR);
    assert_int_equal(in->struct_size, sizeof(struct ls_plugin));
    assert_string_equal(in->summary, "A valid input plugin for the loader tests");
    assert_non_null(in->start);
    assert_non_null(in->options);
    assert_string_equal(in->options[0].name, "listen");
    assert_null(in->parse);
    assert_non_null(parser->parse);
    assert_null(parser->options);
    assert_non_null(out->write);
    assert_non_null(out->reopen);
    {
        char *want = plugin_path("good_output");
        assert_string_equal(r.items[2].path, want);
        free(want);
    }

    assert_null(ls_registry_find(&r, LS_KIND_INPUT, "goo"));
    assert_null(ls_registry_find(&r, LS_KIND_PARSER, "tcp"));

    names = ls_registry_names(&r, LS_KIND_OUTPUT);
    assert_non_null(names[0]);
    assert_string_equal(names[0], "good");
    assert_null(names[1]);
    free(names);

    ls_registry_release(&r);
    assert_int_equal(r.count, 0);
    assert_null(r.items);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(ls_kind_name(LS_KIND_INPUT), "input");
    assert_string_equal(ls_kind_name(LS_KIND_PARSER), "parser");
    assert_string_equal(ls_kind_name(LS_KIND_OUTPUT), "output");
    assert_string_equal(ls_kind_name(0), "invalid");
    assert_string_equal(ls_kind_name(7), "invalid");
}

static void test_names_sorted(void **state)
{
    struct ls_registry r;
    const char **names;

    (void)state;
    ls_registry_init(&r);
    load_ok(&r, "good_parser");
    load_ok(&r, "dup_a");
    names = ls_registry_names(&r, LS_KIND_PARSER);
    assert_string_equal(names[0], "dup");
    assert_string_equal(names[1], "good");
    assert_null(names[2]);
    free(names);
    names = ls_registry_names(&r, LS_KIND_INPUT);
    assert_null(names[0]);
    free(names);
    ls_registry_release(&r);
}

/* ---- Broken plugins, in the order the loader checks ---------------------------------------- */

static void test_missing_symbol(void **state)
{
    (void)state;
    expect_refused("no_entry", "symbol 'ls_plugin_entry' not found (not a LogStream plugin, or "
                               "built without LS_PLUGIN_DEFINE)");
    expect_refused("hidden_entry", "symbol 'ls_plugin_entry' not found (not a LogStream plugin, "
                                   "or built without LS_PLUGIN_DEFINE)");
}

static void test_symbol_size(void **state)
{
    (void)state;
    expect_refused("small_symbol", "symbol 'ls_plugin_entry' is too small for a plugin "
                                   "descriptor: expected at least 12 bytes, found 8");
    expect_refused("short_symbol",
                   "descriptor size invalid: struct_size is %zu but symbol 'ls_plugin_entry' has "
                   "only 12 bytes",
                   sizeof(struct ls_plugin));
}

static void test_abi_version(void **state)
{
    (void)state;
    expect_refused("abi_major", "ABI major version mismatch: expected 1, found 2");
    expect_refused("abi_minor", "ABI minor version too new: expected at most %d, found %d",
                   LS_ABI_MINOR, LS_ABI_MINOR + 1);
}

static void test_struct_size(void **state)
{
    (void)state;
    /* Valid sizes run from the 1.0 descriptor's to today's. */
    size_t size_1_0 = offsetof(struct ls_plugin, reopen) + sizeof(void (*)(void));
    assert_true(LS_ABI_MINOR > 0);
    expect_refused("struct_tiny", "descriptor size invalid: expected %zu to %zu bytes, found 4",
                   size_1_0, sizeof(struct ls_plugin));
    expect_refused("struct_huge", "descriptor size invalid: expected %zu to %zu bytes, found %zu",
                   size_1_0, sizeof(struct ls_plugin), sizeof(struct ls_plugin) + 8);
}

/* A plugin built against the frozen 1.0 header loads; members added since read as NULL. */
static void test_frozen_1_0_plugin_loads(void **state)
{
    struct ls_registry r;
    const struct ls_plugin *p;

    (void)state;
    ls_registry_init(&r);
    load_ok(&r, "v1_0_input");
    p = ls_registry_find(&r, LS_KIND_INPUT, "v1_0");
    assert_non_null(p);
    assert_int_equal(p->abi_minor, 0);
    assert_int_equal(p->struct_size, offsetof(struct ls_plugin, reopen) + sizeof(void (*)(void)));
    assert_non_null(p->start);
    assert_null(p->ack); /* appended in 1.1: zero for a 1.0 plugin */
    ls_registry_release(&r);
}

static void test_kind_and_callbacks(void **state)
{
    (void)state;
    expect_refused("bad_kind",
                   "invalid plugin kind: expected 1 (input), 2 (parser) or 3 (output), found 7");
    expect_refused("input_no_start",
                   "input plugin has no 'start' callback: expected a function, found NULL");
    expect_refused("parser_no_parse",
                   "parser plugin has no 'parse' callback: expected a function, found NULL");
    expect_refused("output_no_write",
                   "output plugin has no 'write' callback: expected a function, found NULL");
}

static void test_names(void **state)
{
    (void)state;
    expect_refused("bad_name", "invalid plugin name: expected 1 to 32 characters of [a-z0-9_], "
                               "found \"Bad-Name\"");
    expect_refused("long_name", "invalid plugin name: expected 1 to 32 characters of [a-z0-9_], "
                                "found \"abcdefghijklmnopqrstuvwxyz0123456\"");
    expect_refused("null_name", "invalid plugin name: expected 1 to 32 characters of [a-z0-9_], "
                                "found NULL");
}

static void test_duplicate_name(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *a = plugin_path("dup_a"), *b = plugin_path("dup_b");
    char *want =
        ls_xasprintf("%s: duplicate plugin name: parser 'dup' is already loaded from %s", b, a);

    (void)state;
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_int_equal(ls_registry_load_file(&r, a, &errs), 0);
    assert_true(ls_registry_load_file(&r, b, &errs) < 0);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], want);
    /* The first one stays registered. */
    assert_int_equal(r.count, 1);
    assert_string_equal(r.items[0].path, a);
    assert_non_null(ls_registry_find(&r, LS_KIND_PARSER, "dup"));
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(want);
    free(a);
    free(b);
}

static void test_summary(void **state)
{
    (void)state;
    expect_refused("no_summary",
                   "plugin 'no_summary' has no summary: expected a one-line string, found NULL");
}

static void test_option_tables(void **state)
{
    (void)state;
    /* The reason after "invalid option table: " is ls_option_table_check()'s (core/options.c). */
    expect_refused("opt_offset", "invalid option table: option 'port': offset 64 + 8 bytes is past "
                                 "config_size 8");
    expect_refused("opt_enum", "invalid option table: option 'format': enum without enum_values");
    expect_refused("config_huge",
                   "config_size too large: expected at most 1048576 bytes, found 2097152");
}

/* ---- Files the loader cannot open ---------------------------------------------------------- */

static void test_undefined_symbol(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *path = plugin_path("undefined_ref");
    char *prefix = ls_xasprintf("%s: cannot load: ", path);

    (void)state;
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_file(&r, path, &errs) < 0);
    assert_int_equal(errs.count, 1);
    /* The rest is dlerror()'s text, which glibc words. */
    assert_memory_equal(errs.lines[0], prefix, strlen(prefix));
    assert_non_null(strstr(errs.lines[0], "undefined symbol: ls_test_no_such_function"));
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(prefix);
    free(path);
}

static void test_not_elf(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *dir = make_dir("not_elf");
    char *path = ls_xasprintf("%s/text.so", dir);
    char *prefix = ls_xasprintf("%s: cannot load: ", path);
    FILE *f = fopen(path, "w");

    (void)state;
    assert_non_null(f);
    fputs("this is not a shared object\n", f);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_file(&r, path, &errs) < 0);
    assert_int_equal(errs.count, 1);
    assert_memory_equal(errs.lines[0], prefix, strlen(prefix));
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(prefix);
    free(path);
    free(dir);
}

static void test_not_a_file(void **state)
{
    char *dir = make_dir("not_a_file");
    char *sub = ls_xasprintf("%s/sub.so", dir);
    char *missing = ls_xasprintf("%s/missing.so", dir);

    (void)state;
    assert_int_equal(mkdir(sub, 0755), 0);
    expect_refused_path(sub, "not a plugin file: expected a regular file, found a directory");
    expect_refused_path(missing, "cannot stat plugin file: No such file or directory");
    free(missing);
    free(sub);
    free(dir);
}

/* A bare file name must be opened in the current directory, never searched for on the library
 * path: the refusal below names the file relative to the current directory. */
static void test_relative_path(void **state)
{
    char cwd[PATH_MAX];
    struct ls_registry r;
    struct ls_errors errs;

    (void)state;
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmp_root), 0);
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_int_equal(ls_registry_load_file(&r, "good_output.so", &errs), 0);
    assert_int_equal(errs.count, 0);
    assert_string_equal(r.items[0].path, "good_output.so");
    assert_true(ls_registry_load_file(&r, "abi_major.so", &errs) < 0);
    assert_string_equal(errs.lines[0],
                        "abi_major.so: ABI major version mismatch: expected 1, found 2");
    ls_errors_release(&errs);
    ls_registry_release(&r);
    assert_int_equal(chdir(cwd), 0);
}

/* ---- Ownership and mode -------------------------------------------------------------------- */

static void test_writable_file(void **state)
{
    char *dir = make_dir("writable_file");
    char *src = plugin_path("good_output");
    char *path = ls_xasprintf("%s/good_output.so", dir);

    (void)state;
    copy_file(src, path, 0666);
    expect_refused_path(path, "refusing group- or world-writable plugin file (mode 0666)");
    assert_int_equal(chmod(path, 0620), 0);
    expect_refused_path(path, "refusing group- or world-writable plugin file (mode 0620)");
    assert_int_equal(chmod(path, 0602), 0);
    expect_refused_path(path, "refusing group- or world-writable plugin file (mode 0602)");
    free(path);
    free(src);
    free(dir);
}

static void test_writable_dir(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *dir = make_dir("writable_dir");
    char *src = plugin_path("good_output");
    char *path = ls_xasprintf("%s/good_output.so", dir);
    char *want =
        ls_xasprintf("%s: refusing group- or world-writable plugin directory (mode 0777)", dir);

    (void)state;
    copy_file(src, path, 0644);
    assert_int_equal(chmod(dir, 0777), 0);
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_dir(&r, dir, &errs) < 0);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], want);
    assert_int_equal(r.count, 0);

    /* The same directory, once fixed, loads. */
    ls_errors_release(&errs);
    ls_errors_init(&errs);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(ls_registry_load_dir(&r, dir, &errs), 0);
    assert_int_equal(errs.count, 0);
    assert_int_equal(r.count, 1);
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(want);
    free(path);
    free(src);
    free(dir);
}

static void test_foreign_owner(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *dir = make_dir("foreign_owner");
    char *src = plugin_path("good_output");
    char *path = ls_xasprintf("%s/good_output.so", dir);
    uid_t other = geteuid() == 4242 ? 4243 : 4242;
    char *want;

    (void)state;
    if (geteuid() != 0) {
        skip(); /* only root can give a file away */
    }
    copy_file(src, path, 0644);
    assert_int_equal(chown(path, other, (gid_t)-1), 0);
    expect_refused_path(path, "refusing plugin file owned by uid %u (expected root or uid %u)",
                        (unsigned)other, (unsigned)geteuid());

    assert_int_equal(chown(path, 0, (gid_t)-1), 0);
    assert_int_equal(chown(dir, other, (gid_t)-1), 0);
    want = ls_xasprintf("%s: refusing plugin directory owned by uid %u (expected root or uid %u)",
                        dir, (unsigned)other, (unsigned)geteuid());
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_dir(&r, dir, &errs) < 0);
    assert_int_equal(errs.count, 1);
    assert_string_equal(errs.lines[0], want);
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(want);
    free(path);
    free(src);
    free(dir);
}

/* ---- Directories --------------------------------------------------------------------------- */

static void add_copy(const char *dir, const char *name)
{
    char *src = plugin_path(name);
    char *dst = ls_xasprintf("%s/%s.so", dir, name);

    copy_file(src, dst, 0644);
    free(src);
    free(dst);
}

static void test_load_dir(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *dir = make_dir("load_dir");
    char *link = ls_xasprintf("%s/link.so", dir);
    char *target = plugin_path("good_output");
    char *other = ls_xasprintf("%s/notes.txt", dir);
    char *sub = ls_xasprintf("%s/sub.so", dir);
    char *want0, *want1;
    FILE *f;

    (void)state;
    add_copy(dir, "good_input");
    add_copy(dir, "dup_b");
    add_copy(dir, "dup_a");
    add_copy(dir, "abi_major");
    assert_int_equal(symlink(target, link), 0); /* a symlink to a trusted file is fine */
    assert_int_equal(mkdir(sub, 0755), 0);      /* not a regular file: skipped */
    f = fopen(other, "w");                      /* not a .so: skipped */
    assert_non_null(f);
    fclose(f);

    ls_registry_init(&r);
    ls_errors_init(&errs);
    /* A trailing slash does not double the separator in the paths. */
    want0 = ls_xasprintf("%s/abi_major.so: ABI major version mismatch: expected 1, found 2", dir);
    want1 = ls_xasprintf("%s/dup_b.so: duplicate plugin name: parser 'dup' is already loaded "
                         "from %s/dup_a.so",
                         dir, dir);
    {
        char *slash = ls_xasprintf("%s/", dir);
        assert_int_equal(ls_registry_load_dir(&r, slash, &errs), 0);
        assert_string_equal(r.dir, slash);
        free(slash);
    }
    /* Files are loaded in name order: dup_a before dup_b, so dup_b is the duplicate. */
    assert_int_equal(errs.count, 2);
    assert_string_equal(errs.lines[0], want0);
    assert_string_equal(errs.lines[1], want1);
    assert_int_equal(r.count, 3);
    assert_non_null(ls_registry_find(&r, LS_KIND_PARSER, "dup"));
    assert_non_null(ls_registry_find(&r, LS_KIND_INPUT, "good"));
    assert_non_null(ls_registry_find(&r, LS_KIND_OUTPUT, "good"));
    /* The registry keeps the path it opened, not the symlink's target. */
    for (size_t i = 0; i < r.count; i++) {
        if (r.items[i].desc.kind == LS_KIND_OUTPUT) {
            assert_string_equal(r.items[i].path, link);
        }
    }
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(want0);
    free(want1);
    free(sub);
    free(other);
    free(target);
    free(link);
    free(dir);
}

static void test_load_dir_missing(void **state)
{
    struct ls_registry r;
    struct ls_errors errs;
    char *missing = ls_xasprintf("%s/no_such_dir", tmp_root);
    char *file = plugin_path("good_input");
    char *want_missing =
        ls_xasprintf("%s: cannot open plugin directory: No such file or directory", missing);
    char *want_file = ls_xasprintf("%s: cannot open plugin directory: Not a directory", file);

    (void)state;
    ls_registry_init(&r);
    ls_errors_init(&errs);
    assert_true(ls_registry_load_dir(&r, missing, &errs) < 0);
    assert_true(ls_registry_load_dir(&r, file, &errs) < 0);
    assert_int_equal(errs.count, 2);
    assert_string_equal(errs.lines[0], want_missing);
    assert_string_equal(errs.lines[1], want_file);
    assert_int_equal(r.count, 0);
    ls_errors_release(&errs);
    ls_registry_release(&r);
    free(want_file);
    free(want_missing);
    free(file);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_plugins),
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_names_sorted),
        cmocka_unit_test(test_missing_symbol),
        cmocka_unit_test(test_symbol_size),
        cmocka_unit_test(test_abi_version),
        cmocka_unit_test(test_struct_size),
        cmocka_unit_test(test_frozen_1_0_plugin_loads),
        cmocka_unit_test(test_kind_and_callbacks),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_option_tables),
        cmocka_unit_test(test_undefined_symbol),
        cmocka_unit_test(test_not_elf),
        cmocka_unit_test(test_not_a_file),
        cmocka_unit_test(test_relative_path),
        cmocka_unit_test(test_writable_file),
        cmocka_unit_test(test_writable_dir),
        cmocka_unit_test(test_foreign_owner),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_load_dir_missing),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
