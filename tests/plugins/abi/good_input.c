/*
 * good_input.c - a valid input plugin for the loader tests: declared with LS_PLUGIN_DEFINE, an
 * option table of several types, every lifecycle callback. It calls no host service, so the
 * test program can load it without exporting the daemon's symbols.
 */
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

#ifndef GOOD_NAME
#define GOOD_NAME "good"
#endif

struct good_input_conf {
    char *listen;
    int64_t max_connections;
    uint64_t max_line;
    int64_t idle_timeout;
    int framing;
    int keepalive;
};

static const char *const framings[] = {"newline", "octet_counted", NULL};

static const struct ls_option good_input_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct good_input_conf, listen),
     .required = 1,
     .doc = "address to listen on"},
    {.name = "max_connections",
     .type = LS_OPT_INT,
     .offset = offsetof(struct good_input_conf, max_connections),
     .def = "1024",
     .min = 1,
     .max = 65536,
     .doc = "connections accepted at once"},
    {.name = "max_line",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct good_input_conf, max_line),
     .def = "64KiB",
     .doc = "longer lines are cut"},
    {.name = "idle_timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct good_input_conf, idle_timeout),
     .def = "0",
     .doc = "close idle connections after this long; 0 = never"},
    {.name = "framing",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct good_input_conf, framing),
     .def = "newline",
     .enum_values = framings,
     .doc = "how lines are delimited"},
    {.name = "keepalive",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct good_input_conf, keepalive),
     .def = "true",
     .doc = "enable TCP keepalive"},
    {.name = NULL},
};

static int good_input_init(struct ls_instance *ins, const void *conf, void **state)
{
    (void)ins;
    *state = (void *)conf;
    return LS_OK;
}

static int good_input_start(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
    return LS_OK;
}

static void good_input_stop(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
}

static void good_input_fini(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = GOOD_NAME,
                 .summary = "A valid input plugin for the loader tests",
                 .options = good_input_options, .config_size = sizeof(struct good_input_conf),
                 .init = good_input_init, .start = good_input_start, .stop = good_input_stop,
                 .fini = good_input_fini);
