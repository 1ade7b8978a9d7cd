/*
 * model_internal.h - private to the model builder: model.c (shared outputs, pipelines, routes,
 * the entry points), modelinst.c (one instance from its mapping, and the checks across
 * instances), cond.c (`when:` conditions) and service.c (the service section).
 *
 * Invariants: a build reports every error it finds and goes on; an instance always gets a name
 * and a path, even when its mapping is bad, so that later checks and messages can name it.
 *
 * Ownership: struct ls_model_build borrows the model, registry and error list it is given; it
 * owns only its listener array (freed by ls_model_build()). Instance names, paths, canonical
 * texts, plugin configs and condition lists belong to the model (ls_model_free()).
 */
#ifndef LS_MODEL_INTERNAL_H
#define LS_MODEL_INTERNAL_H

#include <stddef.h>

#include "conf.h"
#include "loader.h"
#include "logstream/plugin.h"
#include "model.h"

/* Bounds of an output queue in bytes, for service.queue.max_bytes and an output's queue_size. */
#define LS_QUEUE_SIZE_MIN 1024LL
#define LS_QUEUE_SIZE_MAX (1024LL * 1024 * 1024 * 1024)

/* Instance, output and pipeline names: ls_model_name_ok() and the rule its errors quote. */
#define LS_NAME_RULE "may only contain letters, digits, '_', '-' and '.' (at most 128)"

/* The words of enum ls_on_full, NULL-terminated (defined in service.c). */
extern const char *const ls_on_full_words[];

struct ls_model_listener; /* an input's listen address or path (modelinst.c) */

/* The state of one ls_model_build() run. */
struct ls_model_build {
    struct ls_model *m;
    const struct ls_registry *reg;
    struct ls_errors *errs;
    size_t outputs_cap, nshared;
    struct ls_model_listener *listeners;
    size_t nlisteners, listeners_cap;
    struct ls_option out_table[3]; /* on_full, queue_size with defaults from service.queue */
    char queue_def[32];
};

/* Zero b and set it up for m, whose service section must already be parsed. */
void ls_model_build_init(struct ls_model_build *b, struct ls_model *m,
                         const struct ls_registry *reg, struct ls_errors *errs);

/* Fill `ins` from its mapping: resolve `type:`, name it (shared: the shared output's key, else
 * the user's `name:` or "<pipeline>.<plugin>.<index>"), apply the plugin's options (and the
 * core's per-output ones for outputs), and check an input's listener against earlier ones. */
void ls_model_build_instance(struct ls_model_build *b, struct ls_model_instance *ins, int kind,
                             const struct ls_node *map, const char *path, const char *pipeline,
                             size_t index, const char *shared);

/* Report instance names used twice among inputs, among parsers and among outputs. */
void ls_model_check_names(struct ls_model_build *b);

/* 1 to 128 of letters, digits, '_', '-' and '.'. */
int ls_model_name_ok(const char *s);

/* "pipelines.apps.inputs[0] (tcp)": the instance's path with its plugin. Caller frees. */
char *ls_model_display_path(const struct ls_model_instance *ins);

/* Parse a `when:` mapping (NULL or null: no condition) into *c, errors added under `path`.
 * *c is always initialised; release it with ls_cond_release(). */
void ls_cond_parse(const struct ls_node *when, const char *path, struct ls_cond *c,
                   struct ls_errors *errs);
void ls_cond_release(struct ls_cond *c);

#endif /* LS_MODEL_INTERNAL_H */
