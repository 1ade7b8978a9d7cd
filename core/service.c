/*
 * service.c - the `service` section: its option table (plugin and state directories, admin
 * server, the daemon's own log, shutdown grace, batch limits, queue defaults, privilege drop),
 * parsed before anything else because the daemon needs plugin_dir and the log settings first.
 */
#include "model.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_internal.h"
#include "options.h"
#include "util.h"

#ifndef LS_PLUGIN_INSTALL_DIR
#define LS_PLUGIN_INSTALL_DIR "/usr/local/lib/logstream/plugins"
#endif

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
const char *const ls_on_full_words[] = {"block", "drop_newest", "drop_oldest", NULL};

#define SVC(m) offsetof(struct ls_service_conf, m)
#define KIB    1024LL
#define MIB    (1024 * KIB)
#define MS     1000000LL
#define SEC    (1000 * MS)

static const struct ls_option admin_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = SVC(admin_listen),
     .def = "127.0.0.1:2020",
     .doc = "address of the admin HTTP server (/health, /metrics)"},
    {.name = "enabled",
     .type = LS_OPT_BOOL,
     .offset = SVC(admin_enabled),
     .def = "true",
     .doc = "serve the admin HTTP server"},
    {0}};

static const struct ls_option log_options[] = {{.name = "level",
                                                .type = LS_OPT_ENUM,
                                                .offset = SVC(log_level),
                                                .def = "info",
                                                .enum_values = log_levels,
                                                .doc = "level of the daemon's own log"},
                                               {.name = "format",
                                                .type = LS_OPT_ENUM,
                                                .offset = SVC(log_format),
                                                .def = "text",
                                                .enum_values = log_formats,
                                                .doc = "format of the daemon's own log on stderr"},
                                               {0}};

static const struct ls_option batch_options[] = {
    {.name = "max_records",
     .type = LS_OPT_INT,
     .offset = SVC(batch_max_records),
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .doc = "a batch closes at this many records"},
    {.name = "max_bytes",
     .type = LS_OPT_SIZE,
     .offset = SVC(batch_max_bytes),
     .def = "1MiB",
     .min = KIB,
     .max = 256 * MIB,
     .doc = "a batch closes at this many bytes"},
    {.name = "timeout",
     .type = LS_OPT_DURATION,
     .offset = SVC(batch_timeout),
     .def = "50ms",
     .min = MS,
     .max = 10 * SEC,
     .doc = "an open batch never waits longer than this"},
    {0}};

static const struct ls_option queue_options[] = {
    {.name = "max_bytes",
     .type = LS_OPT_SIZE,
     .offset = SVC(queue_max_bytes),
     .def = "64MiB",
     .min = LS_QUEUE_SIZE_MIN,
     .max = LS_QUEUE_SIZE_MAX,
     .doc = "queue bound of every output (an output's queue_size overrides it)"},
    {.name = "on_full",
     .type = LS_OPT_ENUM,
     .offset = SVC(queue_on_full),
     .def = "block",
     .enum_values = ls_on_full_words,
     .doc = "what every output does when its queue is full (an output's on_full overrides it)"},
    {0}};

static const struct ls_option service_options[] = {
    {.name = "plugin_dir",
     .type = LS_OPT_PATH,
     .offset = SVC(plugin_dir),
     .doc = "directory of plugin .so files (default: plugins/ beside the binary if it exists, "
            "else the installed directory)"},
    {.name = "state_dir",
     .type = LS_OPT_PATH,
     .offset = SVC(state_dir),
     .def = "./var/lib/logstream",
     .doc = "directory for state kept across restarts"},
    {.name = "admin", .type = LS_OPT_OBJECT, .sub = admin_options, .doc = "admin HTTP server"},
    {.name = "log", .type = LS_OPT_OBJECT, .sub = log_options, .doc = "the daemon's own log"},
    {.name = "shutdown_grace",
     .type = LS_OPT_DURATION,
     .offset = SVC(shutdown_grace),
     .def = "10s",
     .min = 0,
     .max = 24 * 3600 * SEC,
     .doc = "how long SIGTERM waits for queues to drain"},
    {.name = "batch", .type = LS_OPT_OBJECT, .sub = batch_options, .doc = "batch limits"},
    {.name = "queue", .type = LS_OPT_OBJECT, .sub = queue_options, .doc = "output queue defaults"},
    {.name = "user",
     .type = LS_OPT_STRING,
     .offset = SVC(user),
     .doc = "user to switch to after binding, when started as root"},
    {.name = "group",
     .type = LS_OPT_STRING,
     .offset = SVC(group),
     .doc = "group to switch to after binding, when started as root"},
    {0}};

char *ls_default_plugin_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

    if (n > 0) {
        char *slash, *dir;
        struct stat st;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            dir = ls_xasprintf("%s/plugins", exe);
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
                return dir;
            }
            free(dir);
        }
    }
    return ls_xstrdup(LS_PLUGIN_INSTALL_DIR);
}

int ls_service_conf_parse(const struct ls_doc *doc, struct ls_service_conf *svc,
                          struct ls_errors *errs)
{
    struct ls_opt_target t = {service_options, svc};
    const struct ls_node *node = doc ? ls_node_get(ls_doc_root(doc), "service") : NULL;
    int rc;

    memset(svc, 0, sizeof *svc);
    rc = ls_options_apply(&t, 1, node, "service", NULL, errs);
    if (!svc->plugin_dir) {
        svc->plugin_dir = ls_default_plugin_dir();
    }
    return rc < 0 ? LS_EINVAL : LS_OK;
}

void ls_service_conf_release(struct ls_service_conf *svc)
{
    ls_options_release(service_options, svc);
    memset(svc, 0, sizeof *svc);
}
