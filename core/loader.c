/*
 * loader.c - opening plugin files and checking their descriptors (see loader.h for the order of
 * the checks). Every refusal is exactly one line in `errs`, "<path>: <message>", and the texts are
 * listed in docs/plugin-guide.md ("Loading and ABI"): keep the two in step.
 *
 * Trust. dlopen() runs a plugin's constructors before any check can look at its descriptor, so
 * the only protection against a planted plugin is the ownership/mode check done first: a plugin
 * file, and the directory it is loaded from, must not be writable by group or others and must be
 * owned by root or by the daemon's effective user. stat() follows symlinks on purpose: a symlink
 * is accepted when its target passes.
 */
#define _GNU_SOURCE /* dladdr1(), RTLD_DL_SYMENT */

#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "util.h"

/* The size of the 1.0 descriptor: up to and including `reopen`, its last member. It must not
 * change when members are appended (that is what LS_ABI_MINOR counts), so it is spelled from the
 * 1.0 layout, not as sizeof. */
#define LS_PLUGIN_SIZE_1_0 (offsetof(struct ls_plugin, reopen) + sizeof(void (*)(void)))
_Static_assert(LS_PLUGIN_SIZE_1_0 <= sizeof(struct ls_plugin), "1.0 descriptor grew");
_Static_assert(LS_ABI_MINOR > 0 || LS_PLUGIN_SIZE_1_0 == sizeof(struct ls_plugin),
               "struct ls_plugin changed without an LS_ABI_MINOR bump");

/* abi_major, abi_minor, struct_size: read before anything else is trusted. */
#define LS_PLUGIN_HEADER_SIZE (offsetof(struct ls_plugin, struct_size) + sizeof(uint32_t))
_Static_assert(LS_PLUGIN_HEADER_SIZE == 3 * sizeof(uint32_t), "version fields must come first");

#define LS_PLUGIN_NAME_MAX   32
/* A plugin's config struct is allocated per instance; bound what a descriptor can ask for. */
#define LS_PLUGIN_CONFIG_MAX (1u << 20)

#define ENTRY_SYMBOL "ls_plugin_entry"

/* Under AddressSanitizer, a leak or error inside a plugin is reported with the plugin's frames
 * symbolised only while the plugin is still mapped; once dlclose()d, its frames turn into
 * "<unknown module>" and the report is unreadable. Keep plugins mapped until exit there. */
#if defined(__SANITIZE_ADDRESS__)
#define LS_KEEP_PLUGINS_MAPPED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LS_KEEP_PLUGINS_MAPPED 1
#endif
#endif

const char *ls_kind_name(int kind)
{
    switch (kind) {
    case LS_KIND_INPUT:
        return "input";
    case LS_KIND_PARSER:
        return "parser";
    case LS_KIND_OUTPUT:
        return "output";
    default:
        return "invalid";
    }
}

void ls_registry_init(struct ls_registry *r)
{
    memset(r, 0, sizeof *r);
}

void ls_registry_release(struct ls_registry *r)
{
    for (size_t i = 0; i < r->count; i++) {
#ifndef LS_KEEP_PLUGINS_MAPPED
        dlclose(r->items[i].dl);
#endif
        free(r->items[i].path);
    }
    free(r->items);
    free(r->dir);
    ls_registry_init(r);
}

/* ---- File checks --------------------------------------------------------------------------- */

static const char *file_type_name(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a fifo";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    return "a special file";
}

/* Mode and owner of a plugin file or directory (`what` says which, for the message). */
static int check_trust(const char *path, const struct stat *st, const char *what,
                       struct ls_errors *errs)
{
    uid_t euid = geteuid();

    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        ls_errors_add_raw(errs, "%s: refusing group- or world-writable plugin %s (mode %04o)", path,
                          what, (unsigned)(st->st_mode & 07777));
        return LS_EINVAL;
    }
    if (st->st_uid != 0 && st->st_uid != euid) {
        ls_errors_add_raw(errs, "%s: refusing plugin %s owned by uid %u (expected root or uid %u)",
                          path, what, (unsigned)st->st_uid, (unsigned)euid);
        return LS_EINVAL;
    }
    return LS_OK;
}

static int check_file(const char *path, struct ls_errors *errs)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        ls_errors_add_raw(errs, "%s: cannot stat plugin file: %s", path, strerror(errno));
        return LS_ERROR;
    }
    if (!S_ISREG(st.st_mode)) {
        ls_errors_add_raw(errs, "%s: not a plugin file: expected a regular file, found %s", path,
                          file_type_name(st.st_mode));
        return LS_EINVAL;
    }
    return check_trust(path, &st, "file", errs);
}

/* ---- Descriptor checks --------------------------------------------------------------------- */

/* The ELF size (st_size) of the symbol at `sym`, or 0 when it cannot be told. */
static size_t symbol_size(const void *sym)
{
    Dl_info info;
    const ElfW(Sym) *elf = NULL;

    if (!dladdr1(sym, &info, (void **)&elf, RTLD_DL_SYMENT) || !elf || info.dli_saddr != sym) {
        return 0;
    }
    return (size_t)elf->st_size;
}

/* `s` for a message: quoted, at most 40 bytes, bytes outside printable ASCII as \xNN. */
static char *quote_name(const char *s)
{
    struct ls_sbuf sb;
    size_t i;

    if (!s) {
        return ls_xstrdup("NULL");
    }
    ls_sbuf_init(&sb);
    ls_sbuf_addstr(&sb, "\"");
    for (i = 0; s[i] && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            ls_sbuf_addf(&sb, "\\x%02x", c);
        } else {
            ls_sbuf_add(&sb, &s[i], 1);
        }
    }
    ls_sbuf_addstr(&sb, s[i] ? "\"..." : "\"");
    return ls_sbuf_detach(&sb);
}

static int name_ok(const char *name)
{
    size_t len;

    if (!name) {
        return 0;
    }
    len = strnlen(name, LS_PLUGIN_NAME_MAX + 1);
    if (len == 0 || len > LS_PLUGIN_NAME_MAX) {
        return 0;
    }
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* abi_major, abi_minor, struct_size; on success copies the descriptor into *desc. */
static int check_header(const char *path, const void *sym, struct ls_plugin *desc,
                        struct ls_errors *errs)
{
    size_t symsize = symbol_size(sym);
    uint32_t hdr[3];

    if (symsize && symsize < LS_PLUGIN_HEADER_SIZE) {
        ls_errors_add_raw(errs,
                          "%s: symbol '" ENTRY_SYMBOL "' is too small for a plugin descriptor: "
                          "expected at least %zu bytes, found %zu",
                          path, LS_PLUGIN_HEADER_SIZE, symsize);
        return LS_EINVAL;
    }
    memcpy(hdr, sym, sizeof hdr);
    if (hdr[0] != LS_ABI_MAJOR) {
        ls_errors_add_raw(errs, "%s: ABI major version mismatch: expected %d, found %u", path,
                          LS_ABI_MAJOR, hdr[0]);
        return LS_EINVAL;
    }
    if (hdr[1] > LS_ABI_MINOR) {
        ls_errors_add_raw(errs, "%s: ABI minor version too new: expected at most %d, found %u",
                          path, LS_ABI_MINOR, hdr[1]);
        return LS_EINVAL;
    }
    if (hdr[2] < LS_PLUGIN_SIZE_1_0 || hdr[2] > sizeof(struct ls_plugin)) {
        if (LS_PLUGIN_SIZE_1_0 == sizeof(struct ls_plugin)) {
            ls_errors_add_raw(errs, "%s: descriptor size invalid: expected %zu bytes, found %u",
                              path, sizeof(struct ls_plugin), hdr[2]);
        } else {
            ls_errors_add_raw(errs,
                              "%s: descriptor size invalid: expected %zu to %zu bytes, found %u",
                              path, LS_PLUGIN_SIZE_1_0, sizeof(struct ls_plugin), hdr[2]);
        }
        return LS_EINVAL;
    }
    if (symsize && symsize < hdr[2]) {
        ls_errors_add_raw(errs,
                          "%s: descriptor size invalid: struct_size is %u but symbol '" ENTRY_SYMBOL
                          "' has only %zu bytes",
                          path, hdr[2], symsize);
        return LS_EINVAL;
    }
    memset(desc, 0, sizeof *desc);
    memcpy(desc, sym, hdr[2]);
    return LS_OK;
}

static int check_callbacks(const char *path, const struct ls_plugin *d, struct ls_errors *errs)
{
    const char *missing = NULL;

    switch (d->kind) {
    case LS_KIND_INPUT:
        missing = d->start ? NULL : "start";
        break;
    case LS_KIND_PARSER:
        missing = d->parse ? NULL : "parse";
        break;
    case LS_KIND_OUTPUT:
        missing = d->write ? NULL : "write";
        break;
    default:
        ls_errors_add_raw(errs,
                          "%s: invalid plugin kind: expected 1 (input), 2 (parser) or 3 (output), "
                          "found %d",
                          path, d->kind);
        return LS_EINVAL;
    }
    if (missing) {
        ls_errors_add_raw(errs,
                          "%s: %s plugin has no '%s' callback: expected a function, found NULL",
                          path, ls_kind_name(d->kind), missing);
        return LS_EINVAL;
    }
    return LS_OK;
}

static const struct ls_plugin_entry_rec *find_rec(const struct ls_registry *r, int kind,
                                                  const char *name)
{
    for (size_t i = 0; i < r->count; i++) {
        if (r->items[i].desc.kind == kind && strcmp(r->items[i].desc.name, name) == 0) {
            return &r->items[i];
        }
    }
    return NULL;
}

static int check_name(const struct ls_registry *r, const char *path, const struct ls_plugin *d,
                      struct ls_errors *errs)
{
    const struct ls_plugin_entry_rec *other;

    if (!name_ok(d->name)) {
        char *q = quote_name(d->name);
        ls_errors_add_raw(errs,
                          "%s: invalid plugin name: expected 1 to %d characters of [a-z0-9_], "
                          "found %s",
                          path, LS_PLUGIN_NAME_MAX, q);
        free(q);
        return LS_EINVAL;
    }
    other = find_rec(r, d->kind, d->name);
    if (other) {
        ls_errors_add_raw(errs, "%s: duplicate plugin name: %s '%s' is already loaded from %s",
                          path, ls_kind_name(d->kind), d->name, other->path);
        return LS_EINVAL;
    }
    if (!d->summary) {
        ls_errors_add_raw(errs,
                          "%s: plugin '%s' has no summary: expected a one-line string, found NULL",
                          path, d->name);
        return LS_EINVAL;
    }
    return LS_OK;
}

static int check_options(const char *path, const struct ls_plugin *d, struct ls_errors *errs)
{
    char why[256];

    if (d->config_size > LS_PLUGIN_CONFIG_MAX) {
        ls_errors_add_raw(errs, "%s: config_size too large: expected at most %u bytes, found %zu",
                          path, LS_PLUGIN_CONFIG_MAX, d->config_size);
        return LS_EINVAL;
    }
    if (!d->options) {
        return LS_OK;
    }
    why[0] = '\0';
    if (ls_option_table_check(d->options, d->config_size, why, sizeof why) < 0) {
        ls_errors_add_raw(errs, "%s: invalid option table: %s", path, why);
        return LS_EINVAL;
    }
    return LS_OK;
}

/* Every check after dlopen(), in the order loader.h gives. Fills *desc on success. */
static int check_plugin(const struct ls_registry *r, const char *path, void *dl,
                        struct ls_plugin *desc, struct ls_errors *errs)
{
    const void *sym;

    dlerror();
    sym = dlsym(dl, ENTRY_SYMBOL);
    if (!sym) {
        ls_errors_add_raw(errs,
                          "%s: symbol '" ENTRY_SYMBOL "' not found (not a LogStream plugin, or "
                          "built without LS_PLUGIN_DEFINE)",
                          path);
        return LS_EINVAL;
    }
    if (check_header(path, sym, desc, errs) < 0 || check_callbacks(path, desc, errs) < 0 ||
        check_name(r, path, desc, errs) < 0 || check_options(path, desc, errs) < 0) {
        return LS_EINVAL;
    }
    return LS_OK;
}

/* ---- Loading ------------------------------------------------------------------------------- */

static void *open_plugin(const char *path, struct ls_errors *errs)
{
    /* Without a slash dlopen() would search the library path instead of opening the file. */
    char *open_path = strchr(path, '/') ? ls_xstrdup(path) : ls_xasprintf("./%s", path);
    void *dl = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);

    if (!dl) {
        const char *why = dlerror();
        ls_errors_add_raw(errs, "%s: cannot load: %s", path, why ? why : "unknown dlopen error");
    }
    free(open_path);
    return dl;
}

int ls_registry_load_file(struct ls_registry *r, const char *path, struct ls_errors *errs)
{
    struct ls_plugin_entry_rec *rec;
    struct ls_plugin desc;
    void *dl;
    int rc;

    rc = check_file(path, errs);
    if (rc < 0) {
        return rc;
    }
    dl = open_plugin(path, errs);
    if (!dl) {
        return LS_ERROR;
    }
    rc = check_plugin(r, path, dl, &desc, errs);
    if (rc < 0) {
        goto out_close;
    }
    ls_grow((void **)&r->items, &r->cap, r->count + 1, sizeof *r->items);
    rec = &r->items[r->count++];
    rec->desc = desc;
    rec->path = ls_xstrdup(path);
    rec->dl = dl;
    return LS_OK;

out_close:
    dlclose(dl);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_so_suffix(const char *name)
{
    size_t len = strlen(name);

    return len > 3 && strcmp(name + len - 3, ".so") == 0;
}

/* The names of dir's entries ending in ".so", sorted; NULL with an error added on failure. */
static char **list_so_files(const char *dir, size_t *count, struct ls_errors *errs)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;

    if (!d) {
        ls_errors_add_raw(errs, "%s: cannot open plugin directory: %s", dir, strerror(errno));
        return NULL;
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (has_so_suffix(de->d_name)) {
            ls_grow((void **)&names, &cap, n + 1, sizeof *names);
            names[n++] = ls_xstrdup(de->d_name);
        }
        errno = 0;
    }
    if (errno != 0) {
        ls_errors_add_raw(errs, "%s: cannot read plugin directory: %s", dir, strerror(errno));
        while (n > 0) {
            free(names[--n]);
        }
        free(names);
        closedir(d);
        return NULL;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof *names, cmp_str);
    }
    *count = n;
    return names ? names : ls_xcalloc(1, sizeof *names);
}

static int check_dir(const char *dir, struct ls_errors *errs)
{
    struct stat st;

    if (stat(dir, &st) < 0) {
        ls_errors_add_raw(errs, "%s: cannot open plugin directory: %s", dir, strerror(errno));
        return LS_ERROR;
    }
    if (!S_ISDIR(st.st_mode)) {
        ls_errors_add_raw(errs, "%s: cannot open plugin directory: %s", dir, strerror(ENOTDIR));
        return LS_ERROR;
    }
    return check_trust(dir, &st, "directory", errs);
}

int ls_registry_load_dir(struct ls_registry *r, const char *dir, struct ls_errors *errs)
{
    size_t len = strlen(dir), n = 0;
    const char *sep = len > 0 && dir[len - 1] == '/' ? "" : "/";
    char **names;
    int rc;

    rc = check_dir(dir, errs);
    if (rc < 0) {
        return rc;
    }
    names = list_so_files(dir, &n, errs);
    if (!names) {
        return LS_ERROR;
    }
    free(r->dir);
    r->dir = ls_xstrdup(dir);
    for (size_t i = 0; i < n; i++) {
        char *path = ls_xasprintf("%s%s%s", dir, sep, names[i]);
        struct stat st;

        /* Only regular files (or symlinks to them) are plugins; a name that cannot be stat()ed
         * goes on to load_file, which reports why. */
        if (stat(path, &st) < 0 || S_ISREG(st.st_mode)) {
            ls_registry_load_file(r, path, errs);
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return LS_OK;
}

/* ---- Queries ------------------------------------------------------------------------------- */

const struct ls_plugin *ls_registry_find(const struct ls_registry *r, int kind, const char *name)
{
    const struct ls_plugin_entry_rec *rec = find_rec(r, kind, name);

    return rec ? &rec->desc : NULL;
}

const char **ls_registry_names(const struct ls_registry *r, int kind)
{
    const char **names = ls_xcalloc(r->count + 1, sizeof *names);
    size_t n = 0;

    for (size_t i = 0; i < r->count; i++) {
        if (r->items[i].desc.kind == kind) {
            names[n++] = r->items[i].desc.name;
        }
    }
    if (n > 0) {
        qsort(names, n, sizeof *names, cmp_str);
    }
    return names;
}
