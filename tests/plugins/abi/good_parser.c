/*
 * good_parser.c - a valid parser plugin for the loader tests: no options, only `parse`. Built
 * three times: as "good", and as two different files that both claim the name "dup".
 */
#include <stddef.h>

#include "logstream/plugin.h"

#ifndef GOOD_NAME
#define GOOD_NAME "good"
#endif

static int good_parser_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    (void)ins;
    (void)state;
    (void)b;
    (void)first;
    return LS_OK;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = GOOD_NAME,
                 .summary = "A valid parser plugin for the loader tests",
                 .parse = good_parser_parse);
