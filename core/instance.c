/*
 * instance.c - the host services of plugin.h and the per-batch data path: inputs append into
 * an open batch, which closes on count, size, a time limit or when the loop goes idle; closing
 * runs the parser chain and pushes the batch to every route's queue; an output thread pops,
 * writes, retries with backoff, and releases.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "options.h"
#include "runtime.h"
#include "util.h"

#define BACKOFF_MIN   (100LL * 1000000)   /* 100ms */
#define BACKOFF_MAX   (30LL * 1000000000) /* 30s */
#define OUTPUT_BUDGET 64                  /* batches per loop turn */

struct ls_watch {
    struct ls_watch *next, *prev;
    struct ls_instance *ins;
    struct event *ev;
    int fd;
    unsigned events;
    int suspended; /* READ removed for backpressure */
    ls_watch_fn cb;
    void *arg;
};

struct ls_timer {
    struct ls_timer *next, *prev;
    struct ls_instance *ins;
    struct event *ev;
    ls_timer_fn cb;
    void *arg;
};

/* ---- instances ------------------------------------------------------------------------------ */

static char *current_state_dir;

void ls_instance_set_state_dir(const char *dir)
{
    free(current_state_dir);
    current_state_dir = dir ? ls_xstrdup(dir) : NULL;
}

LS_EXPORT const char *ls_state_dir(const struct ls_instance *ins)
{
    return ins->state_dir;
}

void ls_instance_setup(struct ls_instance *ins, int kind, const struct ls_plugin *p,
                       const char *name, const char *pipeline)
{
    struct ls_sbuf sb;

    memset(ins, 0, sizeof *ins);
    ins->kind = kind;
    ins->plugin = p;
    ins->name = ls_xstrdup(name);
    ins->pipeline = pipeline ? ls_xstrdup(pipeline) : NULL;
    ins->prefix = ls_xasprintf("[%s:%s:%s]", ls_kind_name(kind), p->name, name);
    ins->state_dir = ls_xstrdup(current_state_dir ? current_state_dir : "./var/lib/logstream");
    ls_sbuf_init(&sb);
    ls_sbuf_addf(&sb, "kind=\"%s\",plugin=\"%s\",instance=\"", ls_kind_name(kind), p->name);
    ls_metrics_label_escape(&sb, name);
    ls_sbuf_addstr(&sb, "\"");
    ins->labels = ls_sbuf_detach(&sb);
    pthread_mutex_init(&ins->drops_mu, NULL);
}

void ls_instance_release(struct ls_instance *ins)
{
    ls_instance_free_watches(ins);
    if (ins->conf) {
        ls_options_release(ins->plugin->options, ins->conf);
        free(ins->conf);
        ins->conf = NULL;
    }
    for (size_t i = 0; i < ins->ndrops; i++) {
        free(ins->drops[i].reason);
    }
    free(ins->drops);
    pthread_mutex_destroy(&ins->drops_mu);
    free(ins->name);
    free(ins->pipeline);
    free(ins->prefix);
    free(ins->labels);
    free(ins->state_dir);
}

void ls_instance_free_watches(struct ls_instance *ins)
{
    while (ins->watches) {
        ls_watch_free(ins->watches);
    }
    while (ins->timers) {
        ls_timer_free(ins->timers);
    }
}

LS_EXPORT void ls_log(const struct ls_instance *ins, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ls_vlogp(level, ins ? ins->prefix : NULL, fmt, ap);
    va_end(ap);
}

LS_EXPORT const char *ls_instance_name(const struct ls_instance *ins)
{
    return ins->name;
}

LS_EXPORT const char *ls_instance_pipeline(const struct ls_instance *ins)
{
    return ins->pipeline;
}

LS_EXPORT int64_t ls_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timeval ns_to_tv(int64_t ns)
{
    struct timeval tv;

    if (ns < 0) {
        ns = 0;
    }
    tv.tv_sec = (time_t)(ns / 1000000000);
    tv.tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
    return tv;
}

/* ---- watches and timers --------------------------------------------------------------------- */

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ls_watch *w = arg;
    unsigned ev = 0;

    if (what & EV_READ) {
        ev |= LS_WATCH_READ;
    }
    if (what & EV_WRITE) {
        ev |= LS_WATCH_WRITE;
    }
    w->cb(w, (int)fd, ev, w->arg);
}

/* (Re)arm w's event with its events minus READ while suspended. */
static int watch_arm(struct ls_watch *w)
{
    unsigned want = w->events;
    short what = EV_PERSIST;

    if (w->suspended) {
        want &= ~LS_WATCH_READ;
    }
    if (w->ev) {
        event_free(w->ev);
        w->ev = NULL;
    }
    if (!want) {
        return 0;
    }
    if (want & LS_WATCH_READ) {
        what |= EV_READ;
    }
    if (want & LS_WATCH_WRITE) {
        what |= EV_WRITE;
    }
    w->ev = event_new(w->ins->base, w->fd, what, watch_cb, w);
    if (!w->ev) {
        return LS_ERROR;
    }
    event_priority_set(w->ev, 0);
    return event_add(w->ev, NULL) == 0 ? 0 : LS_ERROR;
}

LS_EXPORT struct ls_watch *ls_watch_new(struct ls_instance *ins, int fd, unsigned events,
                                        ls_watch_fn cb, void *arg)
{
    struct ls_watch *w;

    if (!ins->base || fd < 0 || !cb) {
        return NULL;
    }
    w = ls_xcalloc(1, sizeof *w);
    w->ins = ins;
    w->fd = fd;
    w->events = events;
    w->cb = cb;
    w->arg = arg;
    w->suspended = ins->in && ins->in->paused;
    if (watch_arm(w) != 0) {
        free(w);
        return NULL;
    }
    w->next = ins->watches;
    if (ins->watches) {
        ins->watches->prev = w;
    }
    ins->watches = w;
    return w;
}

LS_EXPORT int ls_watch_set(struct ls_watch *w, unsigned events)
{
    if (w->events == events) {
        return 0;
    }
    w->events = events;
    return watch_arm(w);
}

LS_EXPORT void ls_watch_free(struct ls_watch *w)
{
    if (!w) {
        return;
    }
    if (w->ev) {
        event_free(w->ev);
    }
    if (w->prev) {
        w->prev->next = w->next;
    } else {
        w->ins->watches = w->next;
    }
    if (w->next) {
        w->next->prev = w->prev;
    }
    free(w);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ls_timer *t = arg;

    (void)fd;
    (void)what;
    t->cb(t, t->arg);
}

LS_EXPORT struct ls_timer *ls_timer_new(struct ls_instance *ins, ls_timer_fn cb, void *arg)
{
    struct ls_timer *t;

    if (!ins->base || !cb) {
        return NULL;
    }
    t = ls_xcalloc(1, sizeof *t);
    t->ins = ins;
    t->cb = cb;
    t->arg = arg;
    t->ev = evtimer_new(ins->base, timer_cb, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    event_priority_set(t->ev, 0);
    t->next = ins->timers;
    if (ins->timers) {
        ins->timers->prev = t;
    }
    ins->timers = t;
    return t;
}

LS_EXPORT int ls_timer_arm(struct ls_timer *t, int64_t after_ns)
{
    struct timeval tv = ns_to_tv(after_ns);

    return evtimer_add(t->ev, &tv) == 0 ? 0 : LS_ERROR;
}

LS_EXPORT void ls_timer_cancel(struct ls_timer *t)
{
    evtimer_del(t->ev);
}

LS_EXPORT void ls_timer_free(struct ls_timer *t)
{
    if (!t) {
        return;
    }
    event_free(t->ev);
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        t->ins->timers = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
    free(t);
}

/* ---- metrics for plugins -------------------------------------------------------------------- */

LS_EXPORT struct ls_counter *ls_counter_new(struct ls_instance *ins, const char *name,
                                            const char *help)
{
    char *family = ls_xasprintf("logstream_%s_%s_total", ins->plugin->name, name);
    struct ls_sbuf sb;
    struct ls_metric *m;

    ls_sbuf_init(&sb);
    ls_sbuf_addstr(&sb, "instance=\"");
    ls_metrics_label_escape(&sb, ins->name);
    ls_sbuf_addstr(&sb, "\"");
    m = ls_metric_get(family, LS_METRIC_COUNTER, help, sb.buf);
    ls_sbuf_release(&sb);
    free(family);
    return (struct ls_counter *)m;
}

LS_EXPORT void ls_counter_add(struct ls_counter *c, uint64_t n)
{
    if (c) {
        ls_metric_add((struct ls_metric *)c, n);
    }
}

LS_EXPORT void ls_count_drop(struct ls_instance *ins, const char *reason, uint64_t n)
{
    struct ls_metric *m = NULL;

    pthread_mutex_lock(&ins->drops_mu);
    for (size_t i = 0; i < ins->ndrops; i++) {
        if (strcmp(ins->drops[i].reason, reason) == 0) {
            m = ins->drops[i].m;
            break;
        }
    }
    if (!m) {
        struct ls_sbuf sb;
        ls_sbuf_init(&sb);
        ls_sbuf_addf(&sb, "%s,reason=\"", ins->labels);
        ls_metrics_label_escape(&sb, reason);
        ls_sbuf_addstr(&sb, "\"");
        m = ls_metric_get("logstream_dropped_records_total", LS_METRIC_COUNTER,
                          "Records dropped, by instance and reason", sb.buf);
        ls_sbuf_release(&sb);
        ins->drops = ls_xrealloc(ins->drops, (ins->ndrops + 1) * sizeof *ins->drops);
        ins->drops[ins->ndrops].reason = ls_xstrdup(reason);
        ins->drops[ins->ndrops].m = m;
        ins->ndrops++;
    }
    pthread_mutex_unlock(&ins->drops_mu);
    ls_metric_add(m, n);
}

LS_EXPORT void ls_parse_error(struct ls_instance *ins, struct ls_batch *b, struct ls_record *r)
{
    const char *name = ins->plugin->name;

    r->flags |= LS_REC_PARSE_ERROR;
    ls_record_add_field(b, r, "parse_error", strlen("parse_error"), LS_FIELD_STRING, name,
                        strlen(name));
    if (ins->m_parse_errors) {
        ls_metric_add(ins->m_parse_errors, 1);
    }
}

/* ---- inputs --------------------------------------------------------------------------------- */

void ls_input_suspend(struct ls_input *in, int suspend)
{
    if (in->paused == suspend) {
        return;
    }
    in->paused = suspend;
    ls_metric_set(in->m_paused, (uint64_t)suspend);
    for (struct ls_watch *w = in->ins.watches; w; w = w->next) {
        if (w->events & LS_WATCH_READ) {
            w->suspended = suspend;
            watch_arm(w);
        }
    }
}

static void route_batch(struct ls_input *in, struct ls_batch *b)
{
    struct ls_routeset *rs = in->rs;
    size_t n = ls_batch_count(b);

    for (size_t i = 0; i < rs->nroutes; i++) {
        struct ls_route *rt = &rs->routes[i];
        struct ls_batch *send = b;
        size_t evicted = 0;
        int res;

        if (rt->cond && rt->cond->active) {
            size_t k = 0;
            for (size_t j = 0; j < n; j++) {
                if (ls_cond_match(rt->cond, &b->recs[j])) {
                    in->sel_scratch[k++] = (uint32_t)j;
                }
            }
            if (k == 0) {
                continue;
            }
            if (k < n) {
                uint32_t *sel = ls_xmalloc(k * sizeof *sel);
                memcpy(sel, in->sel_scratch, k * sizeof *sel);
                send = ls_batch_view(b, sel, k);
            } else {
                ls_batch_ref(b);
            }
        } else {
            ls_batch_ref(b);
        }
        res = ls_queue_push(&rt->out->q, send, in->datagram ? NULL : &rt->waiter, &evicted);
        if (evicted) {
            ls_count_drop(&rt->out->ins, "evicted", evicted);
        }
        if (res == LS_PUSH_DROPPED) {
            ls_count_drop(&rt->out->ins, "queue_full", send->count);
            ls_batch_unref(send);
        } else if (res == LS_PUSH_FULL) {
            atomic_fetch_add(&in->blocked, 1);
        }
    }
}

void ls_input_close_batch(struct ls_input *in)
{
    struct ls_batch *b = in->cur;
    struct ls_routeset *rs = in->rs;

    if (!b) {
        return;
    }
    in->cur = NULL;
    event_del(in->idle_ev);
    event_del(in->timeout_ev);
    ls_metric_add(in->m_records, b->count);
    ls_metric_add(in->m_bytes, b->raw_bytes);
    if (in->sink) {
        uint64_t seq = ls_ack_tracker_add(&in->acks, b->has_token, b->token);
        ls_ack_sink_attach(in->sink, b, seq);
    }
    for (size_t i = 0; i < rs->nparsers; i++) {
        struct ls_instance *p = rs->parsers[i];
        if (p->plugin->parse(p, p->state, b, 0) < 0) {
            ls_log(p, LS_LOG_WARN, "parser failed on a batch of %zu records; passed through",
                   b->count);
        }
    }
    route_batch(in, b);
    ls_batch_unref(b);
    if (atomic_load(&in->blocked) > 0) {
        ls_input_suspend(in, 1);
    }
}

LS_EXPORT struct ls_record *ls_input_append(struct ls_instance *ins, const void *data, size_t len,
                                            const char *peer, int64_t received)
{
    struct ls_input *in = ins->in;
    struct ls_record *r;

    /* Close a full batch before appending, not after: the record returned must stay in an
     * open batch the plugin may still modify, never in one already shared with outputs. */
    if (in->cur && (in->cur->count >= in->batch_records || in->cur->mem >= in->batch_bytes)) {
        ls_input_close_batch(in);
    }
    if (!in->cur) {
        struct timeval tv = ns_to_tv(in->batch_timeout);
        in->cur = ls_batch_new(ins->name, ins->pipeline);
        event_active(in->idle_ev, EV_TIMEOUT, 0);
        evtimer_add(in->timeout_ev, &tv);
    }
    r = ls_batch_append(in->cur, data, len, peer, received);
    return r;
}

LS_EXPORT struct ls_batch *ls_input_batch(struct ls_instance *ins)
{
    return ins->in ? ins->in->cur : NULL;
}

LS_EXPORT void ls_input_set_datagram(struct ls_instance *ins, int datagram)
{
    if (ins->in) { /* NULL under --check, where nothing runs */
        ins->in->datagram = datagram != 0;
    }
}

LS_EXPORT void ls_input_set_token(struct ls_instance *ins, uint64_t token)
{
    struct ls_input *in = ins->in;

    if (!in) {
        return;
    }
    if (in->cur) {
        in->cur->token = token;
        in->cur->has_token = 1;
    } else {
        /* nothing open: the next batch inherits it */
        in->acks.last_token = token;
        in->acks.have_token = 1;
    }
}

void ls_input_deliver_acks(struct ls_input *in)
{
    struct ls_instance *ins = &in->ins;
    uint64_t *seqs;
    uint64_t token;
    size_t n;

    if (!in->sink) {
        return;
    }
    n = ls_ack_sink_take(in->sink, &seqs);
    if (n && ls_ack_tracker_done(&in->acks, seqs, n, &token) && ins->inited) {
        ins->plugin->ack(ins, ins->state, token);
    }
    free(seqs);
}

LS_EXPORT void ls_input_flush(struct ls_instance *ins)
{
    if (ins->in) {
        ls_input_close_batch(ins->in);
    }
}

LS_EXPORT int ls_input_paused(const struct ls_instance *ins)
{
    return ins->in && ins->in->paused;
}

/* ---- outputs -------------------------------------------------------------------------------- */

static void output_finish(struct ls_output *out, int status);

static void output_attempt(struct ls_output *out)
{
    struct ls_instance *ins = &out->ins;
    int rc = ins->plugin->write(ins, ins->state, out->cur);

    if (rc == LS_PENDING) {
        out->pending = 1;
        return;
    }
    output_finish(out, rc);
}

static void output_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ls_output *out = arg;

    (void)fd;
    (void)what;
    if (out->cur && !out->pending) {
        ls_metric_add(out->m_retries, 1);
        output_attempt(out);
        if (!out->cur) {
            event_active(out->notify_ev, EV_TIMEOUT, 0);
        }
    }
}

/* The batch in flight is done with `status`; schedule a retry for LS_EAGAIN. */
static void output_finish(struct ls_output *out, int status)
{
    struct ls_batch *b = out->cur;

    out->pending = 0;
    if (status == LS_EAGAIN) {
        struct timeval tv;
        out->backoff = out->backoff ? out->backoff * 2 : BACKOFF_MIN;
        if (out->backoff > BACKOFF_MAX) {
            out->backoff = BACKOFF_MAX;
        }
        tv = ns_to_tv(out->backoff);
        evtimer_add(out->retry_ev, &tv);
        return;
    }
    out->backoff = 0;
    out->cur = NULL;
    atomic_store_explicit(&out->cur_records, 0, memory_order_relaxed);
    if (status == 0) {
        ls_metric_add(out->m_records, b->count);
        ls_metric_add(out->m_bytes, b->raw_bytes);
        out->dirty = 1;
    } else {
        ls_count_drop(&out->ins, "output_error", b->count);
    }
    ls_queue_done(&out->q, b->mem);
    ls_batch_unref(b);
}

static void output_maybe_finish(struct ls_output *out)
{
    struct ls_instance *ins = &out->ins;

    if (!atomic_load(&out->draining) || out->cur || ls_queue_count(&out->q) > 0) {
        return;
    }
    if (ins->plugin->stop) {
        ins->plugin->stop(ins, ins->state);
    }
    ls_instance_free_watches(ins);
    event_base_loopbreak(ins->base);
    pthread_mutex_lock(&out->done_mu);
    out->finished = 1;
    pthread_cond_broadcast(&out->done_cv);
    pthread_mutex_unlock(&out->done_mu);
}

void ls_output_notify_cb(evutil_socket_t fd, short what, void *arg);
void ls_output_notify_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ls_output *out = arg;
    struct ls_instance *ins = &out->ins;
    int budget = OUTPUT_BUDGET;

    (void)fd;
    (void)what;
    while (!out->cur && budget-- > 0) {
        out->cur = ls_queue_pop(&out->q);
        if (!out->cur) {
            break;
        }
        atomic_store_explicit(&out->cur_records, out->cur->count, memory_order_relaxed);
        output_attempt(out);
    }
    if (!out->cur && budget <= 0) {
        event_active(out->notify_ev, EV_TIMEOUT, 0); /* more queued: yield, then continue */
        return;
    }
    if (!out->cur && out->dirty && ins->plugin->flush) {
        out->dirty = 0;
        ins->plugin->flush(ins, ins->state);
    }
    output_maybe_finish(out);
}

LS_EXPORT void ls_output_done(struct ls_instance *ins, struct ls_batch *b, int status)
{
    struct ls_output *out = ins->out;

    if (!out || out->cur != b || !out->pending) {
        ls_log(ins, LS_LOG_ERROR, "ls_output_done for a batch that is not in flight; ignored");
        return;
    }
    output_finish(out, status);
    event_active(out->notify_ev, EV_TIMEOUT, 0);
}

void ls_output_retry_cb(evutil_socket_t fd, short what, void *arg);
void ls_output_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    output_retry_cb(fd, what, arg);
}
