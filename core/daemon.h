/*
 * daemon.h - loading a configuration end to end (doc, service section, plugins, model) and
 * running the daemon: signals, reload, reopen, graceful shutdown.
 */
#ifndef LS_DAEMON_H
#define LS_DAEMON_H

#include "conf.h"
#include "loader.h"
#include "model.h"

/* Exit codes. */
enum {
    LS_EXIT_OK = 0,
    LS_EXIT_CONFIG = 1, /* configuration invalid; also: records lost at shutdown */
    LS_EXIT_USAGE = 2,
    LS_EXIT_RUNTIME = 3, /* could not start (bind failed, ...) */
};

struct ls_cli {
    const char *config;     /* -c */
    const char *plugin_dir; /* --plugin-dir, or NULL */
    int log_level;          /* --log-level, or -1 */
    int log_format;         /* --log-format, or -1 */
};

/* Load `cli->config`, parse the service section, apply the CLI overrides to it, and load the
 * plugin directory into `reg` unless reg->dir is already set (reload: plugins are loaded once;
 * a changed plugin_dir is then an error). Builds the model. On failure every error is in errs
 * and nothing is returned.
 *
 * A plugin file that fails the loader's checks is reported in `warns`, not `errs`: one broken
 * file in the plugin directory must not stop the daemon from logging. A configuration that
 * uses a type no loaded plugin provides is still an error (the model reports it). */
int ls_daemon_load(const struct ls_cli *cli, struct ls_registry *reg, struct ls_doc **doc,
                   struct ls_model **model, struct ls_errors *errs, struct ls_errors *warns);

/* Run until SIGTERM/SIGINT. Returns the process exit code. */
int ls_daemon_run(const struct ls_cli *cli);

#endif /* LS_DAEMON_H */
