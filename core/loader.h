/*
 * loader.h - finding, dlopen()ing and checking plugins; the registry of loaded plugins.
 *
 * Every `*.so` in the plugin directory is opened with RTLD_NOW | RTLD_LOCAL and checked, in
 * order: file and directory not group/world-writable (nor owned by another non-root user),
 * `ls_plugin_entry` present, abi_major equal, abi_minor not newer than the core's, struct_size
 * sane, kind valid, required callbacks present, name well-formed, name unique within its kind,
 * option table sane. Each failure is one error line naming the file, what was expected and
 * what was found; the plugin is then not registered.
 *
 * The registry owns the dlopen handles and the copied descriptors; it lives for the process.
 */
#ifndef LS_LOADER_H
#define LS_LOADER_H

#include "conf.h"
#include "logstream/plugin.h"

struct ls_plugin_entry_rec {
    struct ls_plugin desc; /* zeroed, then min(struct_size, sizeof) bytes of the plugin's */
    char *path;            /* the .so file */
    void *dl;
};

struct ls_registry {
    struct ls_plugin_entry_rec *items;
    size_t count, cap;
    char *dir;
};

void ls_registry_init(struct ls_registry *r);
/* dlclose() everything. */
void ls_registry_release(struct ls_registry *r);

/* Load every plugin of `dir`. Errors for individual plugins are added to errs and loading
 * goes on; returns 0 when the directory could be read (even if some plugins failed), negative
 * when it could not (error added). */
int ls_registry_load_dir(struct ls_registry *r, const char *dir, struct ls_errors *errs);
/* Load one file (also used by tests). Returns 0 or negative with one error added. */
int ls_registry_load_file(struct ls_registry *r, const char *path, struct ls_errors *errs);

/* The plugin of `kind` named `name`, or NULL. */
const struct ls_plugin *ls_registry_find(const struct ls_registry *r, int kind, const char *name);
/* NULL-terminated array of the names of one kind (for "did you mean"); caller frees the array
 * only. */
const char **ls_registry_names(const struct ls_registry *r, int kind);

const char *ls_kind_name(int kind); /* "input", "parser", "output", or "invalid" */

#endif /* LS_LOADER_H */
