/*
 * daemon.c - the main thread: load, start, then serve signals and the admin HTTP server.
 * SIGHUP reloads (an invalid configuration is reported and the running one kept), SIGUSR1
 * reopens output files, SIGTERM/SIGINT drain and exit.
 */
#include "daemon.h"

#include <errno.h>
#include <event2/event.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "log.h"
#include "metrics.h"
#include "runtime.h"
#include "util.h"

struct daemon {
    const struct ls_cli *cli;
    struct ls_metric *m_generation, *m_reload_ok, *m_reload_failed;
    struct ls_registry reg;
    struct event_base *base;
    struct ls_status st;
    struct ls_admin *admin;
    char *admin_listen;
    int stopping;
};

static void apply_overrides(const struct ls_cli *cli, struct ls_service_conf *svc)
{
    if (cli->plugin_dir) {
        free(svc->plugin_dir);
        svc->plugin_dir = ls_xstrdup(cli->plugin_dir);
    }
    if (cli->log_level >= 0) {
        svc->log_level = cli->log_level;
    }
    if (cli->log_format >= 0) {
        svc->log_format = cli->log_format;
    }
}

int ls_daemon_load(const struct ls_cli *cli, struct ls_registry *reg, struct ls_doc **doc,
                   struct ls_model **model, struct ls_errors *errs, struct ls_errors *warns)
{
    struct ls_service_conf svc;
    struct ls_doc *d = NULL;
    struct ls_model *m = NULL;
    int rc;

    *doc = NULL;
    *model = NULL;
    rc = ls_conf_load(cli->config, &d, errs);
    if (rc < 0) {
        return rc;
    }
    memset(&svc, 0, sizeof svc);
    rc = ls_service_conf_parse(d, &svc, errs);
    if (rc < 0) {
        goto out_doc;
    }
    apply_overrides(cli, &svc);
    if (!reg->dir) {
        struct ls_errors *dst = warns;
        struct ls_errors found;
        ls_errors_init(&found);
        rc = ls_registry_load_dir(reg, svc.plugin_dir, &found);
        if (rc < 0) {
            dst = errs; /* the directory itself is unusable */
        }
        for (size_t i = 0; i < found.count; i++) {
            ls_errors_add_raw(dst, "%s", found.lines[i]);
        }
        ls_errors_release(&found);
        if (!reg->dir) {
            reg->dir = ls_xstrdup(svc.plugin_dir);
        }
    } else if (strcmp(reg->dir, svc.plugin_dir) != 0) {
        ls_errors_add(errs, ls_node_get(ls_node_get(ls_doc_root(d), "service"), "plugin_dir"),
                      "service",
                      "option 'plugin_dir': cannot change from \"%s\" to \"%s\" "
                      "without a restart",
                      reg->dir, svc.plugin_dir);
        rc = LS_EINVAL;
    }
    ls_service_conf_release(&svc);
    /* Go on after a plugin_dir error too, so that every error is reported at once. */
    if (ls_model_build(d, reg, &m, errs) < 0 || errs->count > 0) {
        ls_model_free(m);
        rc = LS_EINVAL;
        goto out_doc;
    }
    apply_overrides(cli, &m->service);
    *doc = d;
    *model = m;
    return 0;

out_doc:
    ls_doc_free(d);
    return rc < 0 ? rc : LS_EINVAL;
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void count_model(const struct ls_model *m, size_t *ni, size_t *np)
{
    *ni = *np = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        *ni += m->pipelines[i].ninputs;
        *np += m->pipelines[i].nparsers;
    }
}

static void admin_update(struct daemon *d, const struct ls_service_conf *svc)
{
    const char *want = svc->admin_enabled ? svc->admin_listen : NULL;

    if (d->admin && want && d->admin_listen && strcmp(want, d->admin_listen) == 0) {
        return;
    }
    ls_admin_free(d->admin);
    d->admin = NULL;
    free(d->admin_listen);
    d->admin_listen = NULL;
    if (want) {
        d->admin = ls_admin_new(d->base, want, &d->st);
        if (d->admin) {
            d->admin_listen = ls_xstrdup(want);
        }
    }
}

static char *join_errors(const struct ls_errors *errs)
{
    struct ls_sbuf sb;

    ls_sbuf_init(&sb);
    for (size_t i = 0; i < errs->count; i++) {
        ls_sbuf_addf(&sb, "%s%s", i ? "\n" : "", errs->lines[i]);
    }
    return ls_sbuf_detach(&sb);
}

static void reload(struct daemon *d)
{
    struct ls_errors errs;
    struct ls_doc *doc;
    struct ls_model *m;
    struct ls_runtime *rt;
    unsigned long gen = d->st.generation + 1;
    int rc;

    ls_info("reload %lu: reading %s", gen, d->cli->config);
    ls_errors_init(&errs);
    if (ls_daemon_load(d->cli, &d->reg, &doc, &m, &errs, &errs) < 0) {
        for (size_t i = 0; i < errs.count; i++) {
            ls_err("%s", errs.lines[i]);
        }
        ls_err("reload %lu failed: %zu %s; keeping the running configuration", gen, errs.count,
               plural(errs.count, "error", "errors"));
        free(d->st.last_reload_error);
        d->st.last_reload_error = join_errors(&errs);
        ls_metric_add(d->m_reload_failed, 1);
        ls_errors_release(&errs);
        return;
    }
    ls_errors_release(&errs);
    rc = ls_runtime_apply(d->st.rt, m, doc, &rt);
    if (!rt) {
        ls_err("reload %lu failed: an instance could not start; keeping the running "
               "configuration",
               gen);
        free(d->st.last_reload_error);
        d->st.last_reload_error = ls_xstrdup("an instance could not start (see the log)");
        ls_metric_add(d->m_reload_failed, 1);
        return;
    }
    ls_runtime_free(d->st.rt);
    d->st.rt = rt;
    d->st.generation = gen;
    ls_metric_set(d->m_generation, gen);
    ls_metric_add(d->m_reload_ok, 1);
    free(d->st.last_reload_error);
    d->st.last_reload_error = NULL;
    ls_log_setup(rt->model->service.log_level, rt->model->service.log_format);
    admin_update(d, &rt->model->service);
    if (rc == 0) {
        ls_info("reload %lu: ok", gen);
    } else {
        ls_warn("reload %lu: applied, but some inputs failed to start", gen);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;

    (void)what;
    switch (sig) {
    case SIGHUP:
        if (!d->stopping) {
            reload(d);
        }
        break;
    case SIGUSR1:
        ls_info("reopening output files");
        ls_runtime_reopen(d->st.rt);
        break;
    default:
        ls_info("received %s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        d->stopping = 1;
        event_base_loopbreak(d->base);
        break;
    }
}

/* Drop root after every listener is bound. */
static int drop_privileges(const struct ls_service_conf *svc)
{
    struct passwd *pw = NULL;
    struct group *gr = NULL;
    gid_t gid;

    if (!svc->user && !svc->group) {
        return 0;
    }
    if (svc->user && !(pw = getpwnam(svc->user))) {
        ls_err("service.user: no such user '%s'", svc->user);
        return LS_ERROR;
    }
    if (svc->group && !(gr = getgrnam(svc->group))) {
        ls_err("service.group: no such group '%s'", svc->group);
        return LS_ERROR;
    }
    gid = gr ? gr->gr_gid : pw->pw_gid;
    if (geteuid() != 0) {
        ls_warn("service.user/group set but not running as root: privileges unchanged");
        return 0;
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || (pw && setuid(pw->pw_uid) != 0)) {
        ls_err("dropping privileges: %s", strerror(errno));
        return LS_ERROR;
    }
    if (pw && setuid(0) == 0) {
        ls_err("dropping privileges: could regain root; refusing to run");
        return LS_ERROR;
    }
    ls_info("running as %s:%s", pw ? pw->pw_name : "-", gr ? gr->gr_name : "-");
    return 0;
}

int ls_daemon_run(const struct ls_cli *cli)
{
    struct daemon d;
    struct ls_errors errs, warns;
    struct ls_doc *doc;
    struct ls_model *m;
    struct event *sigs[5];
    const int signums[5] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0};
    size_t ni, np;
    int64_t lost;
    int code = LS_EXIT_OK;
    int rc;

    memset(&d, 0, sizeof d);
    d.cli = cli;
    ls_registry_init(&d.reg);
    signal(SIGPIPE, SIG_IGN);
    ls_errors_init(&errs);
    ls_errors_init(&warns);
    rc = ls_daemon_load(cli, &d.reg, &doc, &m, &errs, &warns);
    for (size_t i = 0; i < warns.count; i++) {
        ls_warn("plugin not loaded: %s", warns.lines[i]);
    }
    ls_errors_release(&warns);
    if (rc < 0) {
        ls_errors_print(&errs, stderr);
        fprintf(stderr, "logstream: %zu %s in configuration\n", errs.count,
                plural(errs.count, "error", "errors"));
        ls_errors_release(&errs);
        ls_registry_release(&d.reg);
        return LS_EXIT_CONFIG;
    }
    ls_errors_release(&errs);
    ls_log_setup(m->service.log_level, m->service.log_format);
    if (ls_runtime_global_init() < 0) {
        return LS_EXIT_RUNTIME;
    }
    d.base = event_base_new();
    for (int i = 0; signums[i]; i++) {
        sigs[i] = evsignal_new(d.base, signums[i], on_signal, &d);
        event_add(sigs[i], NULL);
    }
    count_model(m, &ni, &np);
    d.st.generation = 1;
    d.m_generation =
        ls_metric_get("logstream_config_generation", LS_METRIC_GAUGE,
                      "Configuration generation: 1 at start, +1 per good reload", NULL);
    d.m_reload_ok = ls_metric_get("logstream_reloads_total", LS_METRIC_COUNTER, "Reloads by result",
                                  "result=\"ok\"");
    d.m_reload_failed = ls_metric_get("logstream_reloads_total", LS_METRIC_COUNTER,
                                      "Reloads by result", "result=\"failed\"");
    ls_metric_set(d.m_generation, 1);
    rc = ls_runtime_apply(NULL, m, doc, &d.st.rt);
    if (!d.st.rt) {
        ls_err("start failed");
        code = LS_EXIT_RUNTIME;
        goto out_free;
    }
    if (rc != 0) {
        ls_err("start failed: some inputs could not start");
        code = LS_EXIT_RUNTIME;
        goto out_stop;
    }
    admin_update(&d, &d.st.rt->model->service);
    if (d.st.rt->model->service.admin_enabled && !d.admin) {
        code = LS_EXIT_RUNTIME;
        goto out_stop;
    }
    if (drop_privileges(&d.st.rt->model->service) < 0) {
        code = LS_EXIT_RUNTIME;
        goto out_stop;
    }
    ls_info("logstream %s running: %zu %s, %zu %s, %zu %s; admin on %s", LS_VERSION,
            d.st.rt->model->npipelines, plural(d.st.rt->model->npipelines, "pipeline", "pipelines"),
            ni, plural(ni, "input", "inputs"), d.st.rt->noutputs,
            plural(d.st.rt->noutputs, "output", "outputs"),
            d.admin_listen ? d.admin_listen : "(disabled)");

    event_base_dispatch(d.base);

out_stop:
    lost = ls_runtime_stop(d.st.rt, d.st.rt->model->service.shutdown_grace);
    if (lost) {
        ls_err("stopped with %lld records undelivered", (long long)lost);
        ls_log_flush();
        _exit(LS_EXIT_CONFIG); /* output threads still hold state: no orderly free */
    }
    ls_info("stopped: every accepted record delivered");
out_free:
    ls_runtime_free(d.st.rt);
    ls_admin_free(d.admin);
    free(d.admin_listen);
    free(d.st.last_reload_error);
    for (int i = 0; signums[i]; i++) {
        event_free(sigs[i]);
    }
    event_base_free(d.base);
    ls_registry_release(&d.reg);
    ls_metrics_shutdown();
    ls_instance_set_state_dir(NULL);
    ls_log_flush();
    return code;
}
