/*
 * plugin_cxx.cpp - logstream/plugin.h compiled as C++ with -pedantic -Werror.
 *
 * LS_PLUGIN_DEFINE expands to a designated initializer, which C++ has only since C++20 (and
 * there only in declaration order, without skipping back). So under C++11/14/17 this file checks
 * that the declarations compile and can be used; under C++20 it also defines a descriptor with
 * LS_PLUGIN_DEFINE, members given in the order struct ls_plugin declares them.
 */
#include <logstream/plugin.h>

namespace
{

struct demo_conf {
    char *path;
    int64_t keep;
};

const ls_option demo_options[] = {
    {"path", LS_OPT_PATH, offsetof(demo_conf, path), nullptr, 1, 0, 0, nullptr, 0, nullptr,
     "file to write"},
    {"keep", LS_OPT_INT, offsetof(demo_conf, keep), "7", 0, 0, 100, nullptr, 0, nullptr,
     "rotated files kept"},
    {nullptr, 0, 0, nullptr, 0, 0, 0, nullptr, 0, nullptr, nullptr},
};

int demo_write(ls_instance *ins, void *state, ls_batch *b)
{
    (void)state;
    for (size_t i = 0; i < ls_batch_count(b); i++) {
        const ls_record *r = ls_batch_record(b, i);
        if (r->flags & LS_REC_PARSE_ERROR) {
            ls_log(ins, LS_LOG_WARN, "record %zu: %s", i, ls_severity_name(r->severity));
        }
    }
    return LS_OK;
}

} // namespace

#if __cplusplus >= 202002L
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "demo_cxx", .summary = "C++ header test",
                 .options = demo_options, .config_size = sizeof(demo_conf), .write = demo_write);
#else
/* What LS_PLUGIN_DEFINE would give, written positionally. */
LS_EXPORT extern const ls_plugin ls_plugin_entry;
const ls_plugin ls_plugin_entry = {LS_ABI_MAJOR,
                                   LS_ABI_MINOR,
                                   sizeof(ls_plugin),
                                   LS_KIND_OUTPUT,
                                   "demo_cxx",
                                   "C++ header test",
                                   demo_options,
                                   sizeof(demo_conf),
                                   0,
                                   nullptr,
                                   nullptr,
                                   nullptr,
                                   nullptr,
                                   nullptr,
                                   demo_write,
                                   nullptr,
                                   nullptr};
#endif
