/*
 * v1_0_input.c - an input plugin compiled against the frozen 1.0 header
 * (tests/plugins/abi/frozen-1.0/logstream/plugin.h, a verbatim copy of the header as ABI 1.0
 * shipped). It must keep loading as LS_ABI_MINOR grows, with every member added since 1.0
 * reading as NULL/0. Never edit the frozen header.
 */
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

#if LS_ABI_MAJOR != 1 || LS_ABI_MINOR != 0
#error "v1_0_input.c must be compiled against the frozen 1.0 header"
#endif

static int v10_start(struct ls_instance *ins, void *state)
{
    (void)ins;
    (void)state;
    return 0;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "v1_0", .summary = "built against ABI 1.0",
                 .start = v10_start);
