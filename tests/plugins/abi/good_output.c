/*
 * good_output.c - a valid output plugin for the loader tests: a string, a list and a nested
 * object option, `write` plus the optional output callbacks.
 */
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

#ifndef GOOD_NAME
#define GOOD_NAME "good"
#endif

struct good_output_conf {
    char *path;
    struct ls_opt_list hosts;
    uint64_t rotate_size;
    int rotate_keep;
};

static const struct ls_option good_output_rotate[] = {
    {.name = "size",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct good_output_conf, rotate_size),
     .def = "100MiB",
     .doc = "rotate past this size"},
    {.name = "keep",
     .type = LS_OPT_INT,
     .offset = offsetof(struct good_output_conf, rotate_keep),
     .def = "7",
     .min = 0,
     .max = 1000,
     .doc = "rotated files kept"},
    {.name = NULL},
};

static const struct ls_option good_output_options[] = {
    {.name = "path",
     .type = LS_OPT_PATH,
     .offset = offsetof(struct good_output_conf, path),
     .required = 1,
     .doc = "file to append to"},
    {.name = "hosts",
     .type = LS_OPT_LIST,
     .offset = offsetof(struct good_output_conf, hosts),
     .item_type = LS_OPT_STRING,
     .doc = "only these hosts"},
    {.name = "rotate", .type = LS_OPT_OBJECT, .sub = good_output_rotate, .doc = "rotation"},
    {.name = NULL},
};

static int good_output_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    (void)ins;
    (void)state;
    (void)b;
    return LS_OK;
}

static int good_output_flush(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
    return LS_OK;
}

static void good_output_reopen(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = GOOD_NAME,
                 .summary = "A valid output plugin for the loader tests",
                 .options = good_output_options, .config_size = sizeof(struct good_output_conf),
                 .write = good_output_write, .flush = good_output_flush,
                 .reopen = good_output_reopen);
