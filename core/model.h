/*
 * model.h - the validated configuration: what the runtime builds from.
 *
 * ls_model_build() walks the merged YAML document, resolves every `type:` against the plugin
 * registry, validates every mapping against the core's and the plugin's option tables, checks
 * cross references (dangling output names, two listeners on one address), and produces a
 * model in which every plugin config struct is filled. It reports every error it finds.
 *
 * Config shape (docs/configuration.md is the reference):
 *   service:   { plugin_dir, state_dir, admin: { listen, enabled }, log: { level, format },
 *                shutdown_grace, batch: { max_records, max_bytes, timeout },
 *                queue: { max_bytes, on_full } }
 *   outputs:   { <name>: { type: <output plugin>, on_full, queue_size, <plugin options> } }
 *   pipelines: { <name>: { inputs: [ {type, name?, <opts>} ], parsers: [ {type, <opts>} ],
 *                          outputs: [ <output name> | {output: <name>, when: {...}}
 *                                     | {type: <output plugin>, name?, when?, <opts>} ] } }
 *
 * Ownership: the model owns everything it points to except the plugin descriptors (owned by
 * the registry) and the doc nodes (owned by the doc, which must outlive the model).
 */
#ifndef LS_MODEL_H
#define LS_MODEL_H

#include <stdint.h>

#include "conf.h"
#include "loader.h"
#include "logstream/plugin.h"

enum ls_on_full {
    LS_ON_FULL_BLOCK = 0,
    LS_ON_FULL_DROP_NEWEST = 1,
    LS_ON_FULL_DROP_OLDEST = 2,
};

enum ls_log_format {
    LS_LOGFMT_TEXT = 0,
    LS_LOGFMT_JSON = 1,
};

struct ls_service_conf {
    char *plugin_dir;          /* default: the build-tree or installed plugin directory */
    char *state_dir;           /* default "./var/lib/logstream" */
    char *admin_listen;        /* default "127.0.0.1:2020" */
    int admin_enabled;         /* default 1 */
    int log_level;             /* enum ls_log_level, default info */
    int log_format;            /* enum ls_log_format, default text */
    int64_t shutdown_grace;    /* ns, default 10s */
    int64_t batch_max_records; /* default 1024 */
    uint64_t batch_max_bytes;  /* default 1MiB */
    int64_t batch_timeout;     /* ns, default 50ms: an open batch never waits longer */
    uint64_t queue_max_bytes;  /* default per-output queue bound, 64MiB */
    int queue_on_full;         /* default enum ls_on_full block */
    char *user, *group;        /* privilege drop after binding; NULL = stay */
};

/* Routing condition on an output reference: all present parts must hold. */
struct ls_cond {
    int active;        /* 0: no condition, everything passes */
    uint32_t sev_mask; /* bit s set: severity s (0..7) passes; bit 8: unknown passes */
    uint32_t fac_mask; /* bit f set: facility f (0..23) passes; bit 24: unknown passes */
    char **apps;       /* NULL or list of app names */
    size_t napps;
    int apps_not; /* 1: pass when app is NOT in the list */
    char **hosts;
    size_t nhosts;
    int hosts_not;
};

/* One plugin instance as configured. */
struct ls_model_instance {
    const struct ls_plugin *plugin; /* owned by the registry */
    char *name;  /* instance name: the user's `name:`, the shared output's key, or
                  * generated "<pipeline>.<plugin>.<index>" */
    void *conf;  /* plugin config struct, plugin->config_size bytes (may be NULL if 0) */
    char *canon; /* canonical text of the instance's mapping, for reload comparison */
    char *path;  /* config path, e.g. "pipelines.apps.inputs[0]" */
    const struct ls_node *node; /* the mapping, for positions in later messages */
    /* outputs only */
    int on_full;         /* enum ls_on_full */
    uint64_t queue_size; /* bytes */
    /* inputs only: the address or path it listens on, if the plugin has an ADDRESS option
     * named "listen" or a PATH option named "path" (for the duplicate-listener check) */
};

struct ls_model_route {
    size_t output; /* index into model->outputs */
    struct ls_cond cond;
};

struct ls_model_pipeline {
    char *name;
    struct ls_model_instance *inputs;
    size_t ninputs;
    struct ls_model_instance *parsers;
    size_t nparsers;
    struct ls_model_route *routes;
    size_t nroutes;
};

struct ls_model {
    struct ls_service_conf service;
    /* Every output instance: the shared ones (in `outputs:` order) and the inline ones of
     * pipelines (named by their `name:` or "<pipeline>.<plugin>.<index>"). */
    struct ls_model_instance *outputs;
    size_t noutputs;
    struct ls_model_pipeline *pipelines;
    size_t npipelines;
};

/* Parse only the `service` section into *svc (defaults filled for missing keys). The daemon
 * needs plugin_dir before it can load plugins, and the log settings before anything else.
 * Returns 0 or negative with errors added. Release with ls_service_conf_release(). */
int ls_service_conf_parse(const struct ls_doc *doc, struct ls_service_conf *svc,
                          struct ls_errors *errs);
void ls_service_conf_release(struct ls_service_conf *svc);

/* Build the whole model. Returns 0 and *out, or negative with every error added. */
int ls_model_build(const struct ls_doc *doc, const struct ls_registry *reg, struct ls_model **out,
                   struct ls_errors *errs);
void ls_model_free(struct ls_model *m);

/* Does a record with this severity/facility/app/host pass the condition? Hot path: no
 * allocation, no locale. */
int ls_cond_match(const struct ls_cond *c, const struct ls_record *r);

/* Default plugin directory: the build tree's `plugins/` next to the executable when it exists,
 * else the install directory compiled in. Caller frees. */
char *ls_default_plugin_dir(void);

#endif /* LS_MODEL_H */
