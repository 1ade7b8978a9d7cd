/*
 * broken.c - deliberately broken plugins, one per loader check. The build compiles this file
 * once per case with -DBROKEN_<CASE>, giving <case>.so; test_loader.c asserts the exact error
 * line the loader writes for each. Cases that need wrong version fields or a wrong symbol
 * cannot use LS_PLUGIN_DEFINE (it fills those fields correctly), so they spell the descriptor
 * out by hand, exactly as the macro would except for the one fault.
 */
#include <stddef.h>
#include <stdint.h>

#include "logstream/plugin.h"

/* Unused by the cases whose fault is a missing callback or a malformed symbol. */
__attribute__((unused)) static int broken_write(struct ls_instance *ins, void *state,
                                                struct ls_batch *b)
{
    (void)ins;
    (void)state;
    (void)b;
    return LS_OK;
}

#if defined(BROKEN_NO_ENTRY)
/* The symbol is misspelt: the loader finds no ls_plugin_entry. */
LS_EXPORT const struct ls_plugin ls_plugin_entyr = {.abi_major = LS_ABI_MAJOR,
                                                    .abi_minor = LS_ABI_MINOR,
                                                    .struct_size = sizeof(struct ls_plugin),
                                                    .kind = LS_KIND_OUTPUT,
                                                    .name = "no_entry",
                                                    .summary = "misspelt symbol",
                                                    .write = broken_write};

#elif defined(BROKEN_HIDDEN_ENTRY)
/* Defined without LS_EXPORT and built with -fvisibility=hidden: not in the dynamic symbol table. */
const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR,
                                          .abi_minor = LS_ABI_MINOR,
                                          .struct_size = sizeof(struct ls_plugin),
                                          .kind = LS_KIND_OUTPUT,
                                          .name = "hidden_entry",
                                          .summary = "hidden symbol",
                                          .write = broken_write};

#elif defined(BROKEN_SMALL_SYMBOL)
/* Too small to hold even the version fields. */
LS_EXPORT const uint32_t ls_plugin_entry[2] = {LS_ABI_MAJOR, LS_ABI_MINOR};

#elif defined(BROKEN_SHORT_SYMBOL)
/* Version fields claim a full descriptor, but the symbol is only those three fields. */
LS_EXPORT const uint32_t ls_plugin_entry[3] = {LS_ABI_MAJOR, LS_ABI_MINOR,
                                               (uint32_t)sizeof(struct ls_plugin)};

#elif defined(BROKEN_ABI_MAJOR)
/* Built against an incompatible ABI. */
LS_EXPORT const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR + 1,
                                                    .abi_minor = LS_ABI_MINOR,
                                                    .struct_size = sizeof(struct ls_plugin),
                                                    .kind = LS_KIND_OUTPUT,
                                                    .name = "abi_major",
                                                    .summary = "ABI major version 2",
                                                    .write = broken_write};

#elif defined(BROKEN_ABI_MINOR)
/* Built against a newer core than this one: it may use members or host functions we lack. */
LS_EXPORT const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR,
                                                    .abi_minor = LS_ABI_MINOR + 1,
                                                    .struct_size = sizeof(struct ls_plugin),
                                                    .kind = LS_KIND_OUTPUT,
                                                    .name = "abi_minor",
                                                    .summary = "ABI minor version too new",
                                                    .write = broken_write};

#elif defined(BROKEN_STRUCT_TINY)
LS_EXPORT const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR,
                                                    .abi_minor = LS_ABI_MINOR,
                                                    .struct_size = 4,
                                                    .kind = LS_KIND_OUTPUT,
                                                    .name = "struct_tiny",
                                                    .summary = "struct_size 4",
                                                    .write = broken_write};

#elif defined(BROKEN_STRUCT_HUGE)
LS_EXPORT const struct ls_plugin ls_plugin_entry = {.abi_major = LS_ABI_MAJOR,
                                                    .abi_minor = LS_ABI_MINOR,
                                                    .struct_size = sizeof(struct ls_plugin) + 8,
                                                    .kind = LS_KIND_OUTPUT,
                                                    .name = "struct_huge",
                                                    .summary = "struct_size too large",
                                                    .write = broken_write};

#elif defined(BROKEN_BAD_KIND)
LS_PLUGIN_DEFINE(.kind = 7, .name = "bad_kind", .summary = "kind 7", .write = broken_write);

#elif defined(BROKEN_INPUT_NO_START)
LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "input_no_start", .summary = "no start");

#elif defined(BROKEN_PARSER_NO_PARSE)
/* `write` is no substitute for `parse`. */
LS_PLUGIN_DEFINE(.kind = LS_KIND_PARSER, .name = "parser_no_parse", .summary = "no parse",
                 .write = broken_write);

#elif defined(BROKEN_OUTPUT_NO_WRITE)
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "output_no_write", .summary = "no write");

#elif defined(BROKEN_BAD_NAME)
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "Bad-Name", .summary = "bad name",
                 .write = broken_write);

#elif defined(BROKEN_LONG_NAME)
/* 33 characters: one too many. */
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "abcdefghijklmnopqrstuvwxyz0123456",
                 .summary = "long name", .write = broken_write);

#elif defined(BROKEN_NULL_NAME)
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .summary = "no name", .write = broken_write);

#elif defined(BROKEN_NO_SUMMARY)
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "no_summary", .write = broken_write);

#elif defined(BROKEN_OPT_OFFSET)
struct opt_offset_conf {
    int64_t port;
};

/* `port` points past the end of the config struct the core will allocate. */
static const struct ls_option opt_offset_options[] = {
    {.name = "port", .type = LS_OPT_INT, .offset = 64, .def = "514", .doc = "port"},
    {.name = NULL},
};

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "opt_offset", .summary = "option past the end",
                 .options = opt_offset_options, .config_size = sizeof(struct opt_offset_conf),
                 .write = broken_write);

#elif defined(BROKEN_OPT_ENUM)
struct opt_enum_conf {
    int format;
};

/* An enum option without its list of words. */
static const struct ls_option opt_enum_options[] = {
    {.name = "format",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct opt_enum_conf, format),
     .doc = "format"},
    {.name = NULL},
};

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "opt_enum", .summary = "enum without values",
                 .options = opt_enum_options, .config_size = sizeof(struct opt_enum_conf),
                 .write = broken_write);

#elif defined(BROKEN_CONFIG_HUGE)
/* The core allocates config_size bytes per instance: 2 MiB is past the loader's bound. */
LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "config_huge", .summary = "config_size 2 MiB",
                 .config_size = (size_t)2 << 20, .write = broken_write);

#elif defined(BROKEN_UNDEFINED_REF)
/* Calls a function nothing defines: dlopen(RTLD_NOW) fails before any check. */
void ls_test_no_such_function(void);

static int undefined_ref_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    (void)ins;
    (void)state;
    (void)b;
    ls_test_no_such_function();
    return LS_OK;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "undefined_ref", .summary = "undefined symbol",
                 .write = undefined_ref_write);

#else
#error "define one BROKEN_<CASE>"
#endif
