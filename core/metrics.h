/*
 * metrics.h - the process-wide registry behind /metrics.
 *
 * A metric is identified by (family name, label text). ls_metric_get() returns the existing
 * one or creates it, so an instance that survives a reload - or is recreated with the same
 * name - keeps counting where it left off. Metrics are never freed before exit: label sets
 * are bounded by the configuration (instance names, drop reasons), never by peers.
 * Updates are relaxed atomics; registration takes a mutex.
 */
#ifndef LS_METRICS_H
#define LS_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "util.h"

enum ls_metric_type {
    LS_METRIC_COUNTER = 0,
    LS_METRIC_GAUGE = 1,
};

struct ls_metric {
    struct ls_metric *next;
    char *family; /* logstream_records_in_total */
    char *labels; /* kind="input",plugin="tcp",instance="apps.tcp.0" (may be "") */
    int type;
    _Atomic uint64_t value;
};

/* Get or create. `help` is recorded once per family. */
struct ls_metric *ls_metric_get(const char *family, int type, const char *help, const char *labels);

static inline void ls_metric_add(struct ls_metric *m, uint64_t n)
{
    atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed);
}

static inline void ls_metric_set(struct ls_metric *m, uint64_t v)
{
    atomic_store_explicit(&m->value, v, memory_order_relaxed);
}

static inline uint64_t ls_metric_value(const struct ls_metric *m)
{
    return atomic_load_explicit(&m->value, memory_order_relaxed);
}

/* Render every family in the Prometheus text format (HELP, TYPE, samples). */
void ls_metrics_render(struct ls_sbuf *out);

/* Escape a label value for the text format into sb (\\, \", \n). */
void ls_metrics_label_escape(struct ls_sbuf *sb, const char *v);

/* Free everything (exit). */
void ls_metrics_shutdown(void);

#endif /* LS_METRICS_H */
