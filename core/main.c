/* main.c - command line: run, --check, --list-plugins, --plugin-help. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "options.h"
#include "runtime.h"
#include "util.h"

#define DEFAULT_CONFIG "/etc/logstream/conf.d"

static void usage(FILE *f)
{
    fprintf(f, "usage: logstream [options]\n"
               "\n"
               "A plugin-based log router: inputs -> parsers -> outputs, from YAML pipelines.\n"
               "\n"
               "  -c, --config PATH      configuration file or directory of *.yaml files\n"
               "                         (default " DEFAULT_CONFIG ")\n"
               "      --check            validate the configuration and exit (0 = valid)\n"
               "      --list-plugins     list the available plugins and exit\n"
               "      --plugin-help NAME print a plugin's options and exit\n"
               "      --plugin-dir DIR   load plugins from DIR (overrides service.plugin_dir)\n"
               "      --log-level LEVEL  error, warn, info or debug (overrides service.log.level)\n"
               "      --log-format FMT   text or json (overrides service.log.format)\n"
               "  -V, --version          print the version and exit\n"
               "  -h, --help             print this help and exit\n"
               "\n"
               "Signals: SIGHUP reloads the configuration, SIGUSR1 reopens output files,\n"
               "SIGTERM/SIGINT stop after delivering what was accepted.\n"
               "Exit codes: 0 ok, 1 invalid configuration (or records lost at shutdown),\n"
               "2 usage error, 3 start-up failure.\n");
}

static int parse_level(const char *s)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Load only the plugins (for --list-plugins / --plugin-help): from --plugin-dir, else the
 * configuration's service.plugin_dir if a configuration is readable, else the default. */
static int load_plugins(const struct ls_cli *cli, struct ls_registry *reg)
{
    struct ls_errors errs;
    struct ls_service_conf svc;
    struct ls_doc *doc = NULL;
    char *dir = NULL;

    ls_errors_init(&errs);
    memset(&svc, 0, sizeof svc);
    if (cli->plugin_dir) {
        dir = ls_xstrdup(cli->plugin_dir);
    } else if (ls_conf_load(cli->config, &doc, &errs) == 0 &&
               ls_service_conf_parse(doc, &svc, &errs) == 0 && svc.plugin_dir) {
        dir = ls_xstrdup(svc.plugin_dir);
    } else {
        dir = ls_default_plugin_dir();
    }
    ls_service_conf_release(&svc);
    ls_doc_free(doc);
    ls_errors_release(&errs);
    ls_errors_init(&errs);
    ls_registry_load_dir(reg, dir, &errs);
    ls_errors_print(&errs, stderr);
    ls_errors_release(&errs);
    free(dir);
    return 0;
}

static int kind_order(const void *a, const void *b)
{
    const struct ls_plugin_entry_rec *x = a, *y = b;

    if (x->desc.kind != y->desc.kind) {
        return x->desc.kind - y->desc.kind;
    }
    return strcmp(x->desc.name, y->desc.name);
}

static int list_plugins(const struct ls_cli *cli)
{
    struct ls_registry reg;

    ls_registry_init(&reg);
    load_plugins(cli, &reg);
    qsort(reg.items, reg.count, sizeof *reg.items, kind_order);
    for (size_t i = 0; i < reg.count; i++) {
        printf("%s %s - %s\n", ls_kind_name(reg.items[i].desc.kind), reg.items[i].desc.name,
               reg.items[i].desc.summary);
    }
    ls_registry_release(&reg);
    return LS_EXIT_OK;
}

static int plugin_help(const struct ls_cli *cli, const char *name)
{
    struct ls_registry reg;
    int found = 0;

    ls_registry_init(&reg);
    load_plugins(cli, &reg);
    for (size_t i = 0; i < reg.count; i++) {
        const struct ls_plugin *p = &reg.items[i].desc;
        if (strcmp(p->name, name) != 0) {
            continue;
        }
        printf("%s%s %s - %s\n", found ? "\n" : "", ls_kind_name(p->kind), p->name, p->summary);
        printf("file: %s\n", reg.items[i].path);
        if (p->options && p->options[0].name) {
            printf("options:\n");
            ls_options_help(stdout, p->options, 2);
        } else {
            printf("options: none\n");
        }
        found = 1;
    }
    ls_registry_release(&reg);
    if (!found) {
        fprintf(stderr, "logstream: no plugin named '%s' (see --list-plugins)\n", name);
        return LS_EXIT_USAGE;
    }
    return LS_EXIT_OK;
}

static int check(const struct ls_cli *cli)
{
    struct ls_registry reg;
    struct ls_errors errs, warns;
    struct ls_doc *doc;
    struct ls_model *m;
    size_t ni, np;
    int failed, rc;

    ls_registry_init(&reg);
    ls_errors_init(&errs);
    ls_errors_init(&warns);
    rc = ls_daemon_load(cli, &reg, &doc, &m, &errs, &warns);
    for (size_t i = 0; i < warns.count; i++) {
        fprintf(stderr, "warning: plugin not loaded: %s\n", warns.lines[i]);
    }
    ls_errors_release(&warns);
    if (rc < 0) {
        ls_errors_print(&errs, stderr);
        fprintf(stderr, "logstream: %zu %s in configuration\n", errs.count,
                errs.count == 1 ? "error" : "errors");
        ls_errors_release(&errs);
        ls_registry_release(&reg);
        return LS_EXIT_CONFIG;
    }
    ls_errors_release(&errs);
    ls_log_setup(m->service.log_level, m->service.log_format);
    failed = ls_runtime_check(m);
    ls_instance_set_state_dir(NULL);
    ni = np = 0;
    for (size_t i = 0; i < m->npipelines; i++) {
        ni += m->pipelines[i].ninputs;
        np += m->pipelines[i].nparsers;
    }
    if (failed) {
        fprintf(stderr, "logstream: %d %s failed to initialise\n", failed,
                failed == 1 ? "instance" : "instances");
    } else {
        printf("configuration ok: %zu %s, %zu %s, %zu %s, %zu %s\n", m->npipelines,
               m->npipelines == 1 ? "pipeline" : "pipelines", ni, ni == 1 ? "input" : "inputs", np,
               np == 1 ? "parser" : "parsers", m->noutputs,
               m->noutputs == 1 ? "output" : "outputs");
    }
    ls_model_free(m);
    ls_doc_free(doc);
    ls_registry_release(&reg);
    return failed ? LS_EXIT_CONFIG : LS_EXIT_OK;
}

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256, OPT_LIST, OPT_HELP_PLUGIN, OPT_PLUGIN_DIR, OPT_LEVEL, OPT_FORMAT };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, OPT_CHECK},
        {"list-plugins", no_argument, NULL, OPT_LIST},
        {"plugin-help", required_argument, NULL, OPT_HELP_PLUGIN},
        {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
        {"log-level", required_argument, NULL, OPT_LEVEL},
        {"log-format", required_argument, NULL, OPT_FORMAT},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ls_cli cli = {.config = DEFAULT_CONFIG, .log_level = -1, .log_format = -1};
    const char *help_name = NULL;
    int mode_check = 0, mode_list = 0;
    int c;

    while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cli.config = optarg;
            break;
        case OPT_CHECK:
            mode_check = 1;
            break;
        case OPT_LIST:
            mode_list = 1;
            break;
        case OPT_HELP_PLUGIN:
            help_name = optarg;
            break;
        case OPT_PLUGIN_DIR:
            cli.plugin_dir = optarg;
            break;
        case OPT_LEVEL:
            cli.log_level = parse_level(optarg);
            if (cli.log_level < 0) {
                fprintf(stderr,
                        "logstream: --log-level: expected error, warn, info or debug, "
                        "got \"%s\"\n",
                        optarg);
                return LS_EXIT_USAGE;
            }
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0) {
                cli.log_format = 0;
            } else if (strcmp(optarg, "json") == 0) {
                cli.log_format = 1;
            } else {
                fprintf(stderr, "logstream: --log-format: expected text or json, got \"%s\"\n",
                        optarg);
                return LS_EXIT_USAGE;
            }
            break;
        case 'V':
            printf("logstream %s (plugin ABI %d.%d)\n", LS_VERSION, LS_ABI_MAJOR, LS_ABI_MINOR);
            return LS_EXIT_OK;
        case 'h':
            usage(stdout);
            return LS_EXIT_OK;
        default:
            usage(stderr);
            return LS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "logstream: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return LS_EXIT_USAGE;
    }
    if (cli.log_level >= 0 || cli.log_format >= 0) {
        ls_log_setup(cli.log_level >= 0 ? cli.log_level : LS_LOG_INFO, cli.log_format == 1);
    }
    if (mode_list) {
        return list_plugins(&cli);
    }
    if (help_name) {
        return plugin_help(&cli, help_name);
    }
    if (mode_check) {
        return check(&cli);
    }
    return ls_daemon_run(&cli);
}
