/*
 * level.c - the `level` parser: the level word (ERROR, [warn], level=info, glog's E1122) and
 * the service ([payment-service], service=...) of plain text lines.
 *
 * The logic is level_parse.c (pure, fuzzed, allocation-free); this file is the option table
 * and the glue. Nothing it does can fail: a line without a level or service passes through
 * unchanged and unflagged (a plain line without a level is not an error).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <logstream/plugin.h>

#include "level_parse.h"

struct level_conf {
    int override;
    int service;
    int64_t max_offset;
    struct ls_opt_list service_keys;
};

static const struct ls_option level_options[] = {
    {.name = "override",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct level_conf, override),
     .def = "false",
     .doc = "set the severity even when the record already has one (from syslog or json)"},
    {.name = "service",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct level_conf, service),
     .def = "true",
     .doc = "detect the service ([name], service=name) and set app when the record has none"},
    {.name = "max_offset",
     .type = LS_OPT_INT,
     .offset = offsetof(struct level_conf, max_offset),
     .def = "64",
     .min = 1,
     .max = 65536,
     .doc = "a level word or service must start within this many bytes of the message"},
    {.name = "service_keys",
     .type = LS_OPT_LIST,
     .item_type = LS_OPT_STRING,
     .offset = offsetof(struct level_conf, service_keys),
     .def = "[service, svc, app]",
     .doc = "keys whose value names the service: key=value, key:value, \"key\":\"value\""},
    {.name = NULL},
};

struct level_state {
    struct ls_level_opts o;
    struct ls_counter *levels, *services;
};

static int level_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct level_conf *c = conf;
    struct level_state *st = calloc(1, sizeof *st);

    if (!st) {
        fprintf(stderr, "logstream: level: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    st->o.override = c->override;
    st->o.service = c->service;
    st->o.max_offset = (size_t)c->max_offset;
    st->o.service_keys = (const char *const *)c->service_keys.items;
    st->o.nservice_keys = c->service_keys.count;
    st->levels = ls_counter_new(ins, "levels_set", "records whose severity this parser set");
    st->services = ls_counter_new(ins, "apps_set", "records whose app this parser set");
    *state = st;
    return LS_OK;
}

static int level_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    struct level_state *st = state;
    size_t n = ls_batch_count(b);
    uint64_t levels = 0, services = 0;

    (void)ins;
    for (size_t i = first; i < n; i++) {
        struct ls_record *r = ls_batch_record(b, i);
        int sev = r->severity;
        size_t app = r->app.len;

        ls_level_parse_record(&st->o, r);
        levels += r->severity != sev;
        services += r->app.len != app;
    }
    if (st->levels && levels) {
        ls_counter_add(st->levels, levels);
    }
    if (st->services && services) {
        ls_counter_add(st->services, services);
    }
    return LS_OK;
}

static void level_fini(struct ls_instance *ins, void *state)
{
    (void)ins;
    free(state);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = "level",
                 .summary = "Detect the level word and the service of plain text lines",
                 .options = level_options, .config_size = sizeof(struct level_conf),
                 .init = level_init, .parse = level_parse, .fini = level_fini);
