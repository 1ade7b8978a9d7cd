/* metrics.c - metric registry and Prometheus text rendering; see metrics.h. */
#include "metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct family {
    struct family *next;
    char *name;
    char *help;
    int type;
    struct ls_metric *first, *last;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct family *families, *families_last;

struct ls_metric *ls_metric_get(const char *family, int type, const char *help, const char *labels)
{
    struct family *f;
    struct ls_metric *m;

    if (!labels) {
        labels = "";
    }
    pthread_mutex_lock(&reg_mu);
    for (f = families; f; f = f->next) {
        if (strcmp(f->name, family) == 0) {
            break;
        }
    }
    if (!f) {
        f = ls_xcalloc(1, sizeof *f);
        f->name = ls_xstrdup(family);
        f->help = ls_xstrdup(help ? help : "");
        f->type = type;
        if (families_last) {
            families_last->next = f;
        } else {
            families = f;
        }
        families_last = f;
    }
    for (m = f->first; m; m = m->next) {
        if (strcmp(m->labels, labels) == 0) {
            pthread_mutex_unlock(&reg_mu);
            return m;
        }
    }
    m = ls_xcalloc(1, sizeof *m);
    m->family = f->name;
    m->labels = ls_xstrdup(labels);
    m->type = type;
    atomic_init(&m->value, 0);
    if (f->last) {
        f->last->next = m;
    } else {
        f->first = m;
    }
    f->last = m;
    pthread_mutex_unlock(&reg_mu);
    return m;
}

void ls_metrics_label_escape(struct ls_sbuf *sb, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            ls_sbuf_addf(sb, "\\%c", *v);
        } else if (*v == '\n') {
            ls_sbuf_addstr(sb, "\\n");
        } else {
            ls_sbuf_add(sb, v, 1);
        }
    }
}

void ls_metrics_render(struct ls_sbuf *out)
{
    pthread_mutex_lock(&reg_mu);
    for (struct family *f = families; f; f = f->next) {
        ls_sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
                     f->type == LS_METRIC_GAUGE ? "gauge" : "counter");
        for (struct ls_metric *m = f->first; m; m = m->next) {
            if (m->labels[0]) {
                ls_sbuf_addf(out, "%s{%s} %llu\n", f->name, m->labels,
                             (unsigned long long)ls_metric_value(m));
            } else {
                ls_sbuf_addf(out, "%s %llu\n", f->name, (unsigned long long)ls_metric_value(m));
            }
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

void ls_metrics_shutdown(void)
{
    struct family *f, *fn;
    struct ls_metric *m, *mn;

    pthread_mutex_lock(&reg_mu);
    for (f = families; f; f = fn) {
        fn = f->next;
        for (m = f->first; m; m = mn) {
            mn = m->next;
            free(m->labels);
            free(m);
        }
        free(f->name);
        free(f->help);
        free(f);
    }
    families = families_last = NULL;
    pthread_mutex_unlock(&reg_mu);
}
