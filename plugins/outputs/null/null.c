/*
 * null.c - the `null` output: counts every record and its raw bytes, then discards it.
 * Useful to measure the input and parser side alone, and as a routing target in tests.
 */
#include <stdint.h>
#include <stdlib.h>

#include <logstream/plugin.h>

struct null_state {
    struct ls_counter *records;
    struct ls_counter *bytes;
};

static int null_init(struct ls_instance *ins, const void *conf, void **state)
{
    struct null_state *st = calloc(1, sizeof *st);

    (void)conf;
    if (!st) {
        abort();
    }
    st->records = ls_counter_new(ins, "records", "records discarded");
    st->bytes = ls_counter_new(ins, "bytes", "raw bytes of the records discarded");
    *state = st;
    return LS_OK;
}

static int null_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    struct null_state *st = state;
    size_t count = ls_batch_count(b);
    uint64_t bytes = 0;

    (void)ins;
    for (size_t i = 0; i < count; i++) {
        bytes += ls_batch_record(b, i)->raw.len;
    }
    ls_counter_add(st->records, count);
    ls_counter_add(st->bytes, bytes);
    return LS_OK;
}

static void null_fini(struct ls_instance *ins, void *state)
{
    (void)ins;
    free(state);
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_OUTPUT, .name = "null",
                 .summary = "Count records and discard them", .init = null_init, .fini = null_fini,
                 .write = null_write);
