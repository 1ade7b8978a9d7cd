/*
 * logfmt.c - the `logfmt` parser: `key=value key2="quoted value"` lines become record members
 * and string fields, with the json parser's key mapping (level, msg, time, service, host).
 *
 * The logic is logfmt_parse.c (pure, fuzzed, no heap allocation per record); this file is the
 * option table and the glue. A message that is not logfmt passes through unchanged, flagged
 * with ls_parse_error() and counted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <logstream/plugin.h>

#include "../json/fieldmap.h"
#include "logfmt_parse.h"

struct logfmt_conf {
    int64_t max_fields;
    struct ls_opt_list level_keys, message_keys, app_keys, time_keys, host_keys;
};

#define KEY_LIST(kname, kmember, kdef, kwhat)                                                      \
    {                                                                                              \
        .name = kname, .type = LS_OPT_LIST, .item_type = LS_OPT_STRING,                            \
        .offset = offsetof(struct logfmt_conf, kmember), .def = kdef,                              \
        .doc = "keys whose value sets the record's " kwhat "; the first that fits wins"            \
    }

static const struct ls_option logfmt_options[] = {
    {.name = "max_fields",
     .type = LS_OPT_INT,
     .offset = offsetof(struct logfmt_conf, max_fields),
     .def = "256",
     .min = 1,
     .max = 1024,
     .doc = "most fields one line may add; lines with more pass through flagged"},
    KEY_LIST("level_keys", level_keys, LS_FMAP_DEF_LEVEL, "severity: a level word or number"),
    KEY_LIST("message_keys", message_keys, LS_FMAP_DEF_MESSAGE, "message"),
    KEY_LIST("app_keys", app_keys, LS_FMAP_DEF_APP, "app: a non-empty string"),
    KEY_LIST("time_keys", time_keys, LS_FMAP_DEF_TIME, "time: RFC 3339 text or epoch s/ms/us/ns"),
    KEY_LIST("host_keys", host_keys, LS_FMAP_DEF_HOST, "host: a non-empty string"),
    {.name = NULL},
};

struct logfmt_state {
    struct ls_logfmt_opts o;
    struct ls_counter *syntax, *toomany;
};

static void set_keys(struct ls_fmap *m, int target, const struct ls_opt_list *l)
{
    ls_fmap_set(m, target, (char *const *)l->items, l->count);
}

static int logfmt_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct logfmt_conf *c = conf;
    struct logfmt_state *st = calloc(1, sizeof *st);

    if (!st) {
        fprintf(stderr, "logstream: logfmt: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    st->o.max_fields = (size_t)c->max_fields;
    set_keys(&st->o.map, LS_FMAP_LEVEL, &c->level_keys);
    set_keys(&st->o.map, LS_FMAP_MESSAGE, &c->message_keys);
    set_keys(&st->o.map, LS_FMAP_APP, &c->app_keys);
    set_keys(&st->o.map, LS_FMAP_TIME, &c->time_keys);
    set_keys(&st->o.map, LS_FMAP_HOST, &c->host_keys);
    st->syntax = ls_counter_new(ins, "not_logfmt", "records passed through: not logfmt");
    st->toomany = ls_counter_new(ins, "too_many_fields",
                                 "records passed through: more fields than max_fields");
    *state = st;
    return LS_OK;
}

static int logfmt_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    struct logfmt_state *st = state;
    size_t n = ls_batch_count(b);

    for (size_t i = first; i < n; i++) {
        struct ls_record *r = ls_batch_record(b, i);
        int rc = ls_logfmt_parse_record(&st->o, b, r);
        struct ls_counter *c = rc == LS_LOGFMT_ESYNTAX ? st->syntax : st->toomany;

        if (rc < 0) {
            ls_parse_error(ins, b, r);
            if (c) {
                ls_counter_add(c, 1);
            }
        }
    }
    return LS_OK;
}

static void logfmt_fini(struct ls_instance *ins, void *state)
{
    (void)ins;
    free(state);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = "logfmt",
                 .summary = "Turn key=value (logfmt) lines into fields", .options = logfmt_options,
                 .config_size = sizeof(struct logfmt_conf), .init = logfmt_init,
                 .parse = logfmt_parse, .fini = logfmt_fini);
