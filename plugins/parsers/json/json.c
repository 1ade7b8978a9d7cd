/*
 * json.c - the `json` parser: messages that are JSON objects become record members and fields.
 *
 * The logic is json_parse.c (pure, fuzzed); this file is the option table and the plugin glue.
 * Each instance (one per input instance, on that input's thread) owns one json-c tokener. A
 * record that is not a JSON object passes through unchanged, flagged with ls_parse_error()
 * and counted by reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <logstream/plugin.h>

#include "fieldmap.h"
#include "json_parse.h"

struct json_conf {
    int flatten;
    int64_t max_depth;
    int64_t max_fields;
    struct ls_opt_list level_keys, message_keys, app_keys, time_keys, host_keys;
};

#define KEY_LIST(kname, kmember, kdef, kwhat)                                                      \
    {                                                                                              \
        .name = kname, .type = LS_OPT_LIST, .item_type = LS_OPT_STRING,                            \
        .offset = offsetof(struct json_conf, kmember), .def = kdef,                                \
        .doc = "top-level keys whose value sets the record's " kwhat "; the first that fits wins"  \
    }

static const struct ls_option json_options[] = {
    {.name = "flatten",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct json_conf, flatten),
     .def = "false",
     .doc = "nested objects and arrays become one field per leaf under dotted keys (a.b, "
            "tags.0) instead of one field holding their JSON text"},
    {.name = "max_depth",
     .type = LS_OPT_INT,
     .offset = offsetof(struct json_conf, max_depth),
     .def = "32",
     .min = 1,
     .max = LS_JSON_MAX_DEPTH_LIMIT,
     .doc = "deepest nesting accepted (the object itself is level 1); deeper lines pass "
            "through flagged"},
    {.name = "max_fields",
     .type = LS_OPT_INT,
     .offset = offsetof(struct json_conf, max_fields),
     .def = "256",
     .min = 1,
     .max = 1024,
     .doc = "most fields one line may add; lines with more pass through flagged"},
    KEY_LIST("level_keys", level_keys, LS_FMAP_DEF_LEVEL, "severity: a level word or number"),
    KEY_LIST("message_keys", message_keys, LS_FMAP_DEF_MESSAGE, "message: a string"),
    KEY_LIST("app_keys", app_keys, LS_FMAP_DEF_APP, "app: a non-empty string"),
    KEY_LIST("time_keys", time_keys, LS_FMAP_DEF_TIME, "time: RFC 3339 text or epoch s/ms/us/ns"),
    KEY_LIST("host_keys", host_keys, LS_FMAP_DEF_HOST, "host: a non-empty string"),
    {.name = NULL},
};

struct json_state {
    struct ls_json_parser parser;
    struct ls_counter *reasons[LS_JSON_NREASONS];
};

static const char *const reason_help[LS_JSON_NREASONS] = {
    "records passed through: the message is not a JSON object",
    "records passed through: invalid JSON, or text after the object",
    "records passed through: nested deeper than max_depth",
    "records passed through: more fields than max_fields",
};

static void set_keys(struct ls_fmap *m, int target, const struct ls_opt_list *l)
{
    ls_fmap_set(m, target, (char *const *)l->items, l->count);
}

static int json_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct json_conf *c = conf;
    struct json_state *st = calloc(1, sizeof *st);
    struct ls_json_opts o = {0};

    if (!st) {
        fprintf(stderr, "logstream: json: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    o.flatten = c->flatten;
    o.max_depth = (int)c->max_depth;
    o.max_fields = (size_t)c->max_fields;
    set_keys(&o.map, LS_FMAP_LEVEL, &c->level_keys);
    set_keys(&o.map, LS_FMAP_MESSAGE, &c->message_keys);
    set_keys(&o.map, LS_FMAP_APP, &c->app_keys);
    set_keys(&o.map, LS_FMAP_TIME, &c->time_keys);
    set_keys(&o.map, LS_FMAP_HOST, &c->host_keys);
    ls_json_parser_init(&st->parser, &o);
    for (int i = 0; i < LS_JSON_NREASONS; i++) {
        st->reasons[i] = ls_counter_new(ins, ls_json_reason(-i - 1), reason_help[i]);
    }
    *state = st;
    return LS_OK;
}

static int json_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    struct json_state *st = state;
    size_t n = ls_batch_count(b);

    for (size_t i = first; i < n; i++) {
        struct ls_record *r = ls_batch_record(b, i);
        int rc = ls_json_parse_record(&st->parser, b, r);

        if (rc < 0) {
            ls_parse_error(ins, b, r);
            if (st->reasons[-rc - 1]) {
                ls_counter_add(st->reasons[-rc - 1], 1);
            }
        }
    }
    return LS_OK;
}

static void json_fini(struct ls_instance *ins, void *state)
{
    struct json_state *st = state;

    (void)ins;
    if (!st) {
        return;
    }
    ls_json_parser_release(&st->parser);
    free(st);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = "json",
                 .summary = "Turn messages that are JSON objects into fields (json-c)",
                 .options = json_options, .config_size = sizeof(struct json_conf),
                 .init = json_init, .parse = json_parse, .fini = json_fini);
