/*
 * runtime.c - instance lifecycle: threads and loops, start, reload (keep what did not change,
 * swap routes on kept inputs, retire what went away only after it drained), shutdown.
 */
#include "runtime.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "options.h"
#include "util.h"

void ls_output_notify_cb(evutil_socket_t fd, short what, void *arg);
void ls_output_retry_cb(evutil_socket_t fd, short what, void *arg);

int ls_runtime_global_init(void)
{
    if (evthread_use_pthreads() != 0) {
        ls_err("libevent: cannot enable threading");
        return LS_ERROR;
    }
    return 0;
}

/* ---- running a function on an instance loop, synchronously --------------------------------- */

struct loop_call {
    void (*fn)(void *arg);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void loop_call_cb(evutil_socket_t fd, short what, void *arg)
{
    struct loop_call *c = arg;

    (void)fd;
    (void)what;
    c->fn(c->arg);
    pthread_mutex_lock(&c->mu);
    c->done = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void run_on_loop(struct event_base *base, void (*fn)(void *), void *arg)
{
    struct loop_call c = {.fn = fn, .arg = arg, .done = 0};
    struct timeval zero = {0, 0};

    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    if (event_base_once(base, -1, EV_TIMEOUT, loop_call_cb, &c, &zero) != 0) {
        ls_err("libevent: cannot schedule a call on an instance loop");
        abort();
    }
    pthread_mutex_lock(&c.mu);
    while (!c.done) {
        pthread_cond_wait(&c.cv, &c.mu);
    }
    pthread_mutex_unlock(&c.mu);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
}

static void *loop_thread(void *arg)
{
    struct event_base *base = arg;

    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static int start_thread(pthread_t *t, struct event_base *base)
{
    sigset_t all, old;
    int rc;

    /* Signals belong to the main thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(t, NULL, loop_thread, base);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        ls_err("cannot create a thread: %s", strerror(rc));
        return LS_ERROR;
    }
    return 0;
}

static struct event_base *new_base(void)
{
    struct event_base *base = event_base_new();

    if (!base || event_base_priority_init(base, 2) != 0) {
        ls_err("libevent: cannot create an event loop");
        abort();
    }
    return base;
}

/* ---- instance construction ----------------------------------------------------------------- */

static void instance_take_conf(struct ls_instance *ins, struct ls_model_instance *mi)
{
    ins->conf = mi->conf;
    mi->conf = NULL;
}

static int instance_init(struct ls_instance *ins)
{
    int rc = 0;

    if (ins->plugin->init) {
        rc = ins->plugin->init(ins, ins->conf, &ins->state);
    }
    if (rc < 0) {
        ls_log(ins, LS_LOG_ERROR, "init failed");
        return rc;
    }
    ins->inited = 1;
    return 0;
}

static void instance_fini(struct ls_instance *ins)
{
    if (ins->inited && ins->plugin->fini) {
        ins->plugin->fini(ins, ins->state);
    }
    ins->inited = 0;
    ins->state = NULL;
}

static struct ls_instance *parser_new(struct ls_model_instance *mi, const char *pipeline,
                                      struct ls_input *in)
{
    struct ls_instance *p = ls_xcalloc(1, sizeof *p);

    ls_instance_setup(p, LS_KIND_PARSER, mi->plugin, mi->name, pipeline);
    /* Borrowed: every input of the pipeline has its own parser instances, and they share the
     * model's read-only config. The model outlives them (a reload builds new chains). */
    p->conf = mi->conf;
    p->in = in;
    p->base = in->ins.base;
    p->m_parse_errors =
        ls_metric_get("logstream_parse_errors_total", LS_METRIC_COUNTER,
                      "Records a parser could not parse (passed through)", p->labels);
    return p;
}

static void parser_free(struct ls_instance *p)
{
    instance_fini(p);
    p->conf = NULL; /* borrowed from the model */
    ls_instance_release(p);
    free(p);
}

static void routeset_free(struct ls_routeset *rs)
{
    if (!rs) {
        return;
    }
    for (size_t i = 0; i < rs->nparsers; i++) {
        parser_free(rs->parsers[i]);
    }
    free(rs->parsers);
    free(rs->routes);
    free(rs);
}

static void route_wake(struct ls_queue_waiter *w)
{
    struct ls_route *rt = (struct ls_route *)w;
    struct ls_input *in = rt->in;

    if (atomic_fetch_sub(&in->blocked, 1) == 1) {
        event_active(in->resume_ev, EV_TIMEOUT, 0);
    }
}

static void input_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ls_input *in = arg;

    (void)fd;
    (void)what;
    if (atomic_load(&in->blocked) <= 0) {
        ls_input_suspend(in, 0);
    }
}

static void input_ack_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ls_input_deliver_acks(arg);
}

/* Any thread, under the sink's lock. */
static void input_ack_notify(void *arg)
{
    struct ls_input *in = arg;

    event_active(in->ack_ev, EV_TIMEOUT, 0);
}

static void input_flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ls_input_close_batch(arg);
}

/* Build the routeset of a pipeline for input `in`: a fresh parser chain and one route per
 * output reference. Parsers are initialised here (main thread). */
static struct ls_routeset *routeset_new(struct ls_model_pipeline *mp, struct ls_output **outs,
                                        struct ls_input *in)
{
    struct ls_routeset *rs = ls_xcalloc(1, sizeof *rs);

    rs->parsers = ls_xcalloc(mp->nparsers ? mp->nparsers : 1, sizeof *rs->parsers);
    for (size_t i = 0; i < mp->nparsers; i++) {
        struct ls_model_instance *mi = &mp->parsers[i];
        struct ls_instance *p = parser_new(mi, mp->name, in);
        rs->parsers[rs->nparsers++] = p;
        if (instance_init(p) < 0) {
            routeset_free(rs);
            return NULL;
        }
    }
    rs->routes = ls_xcalloc(mp->nroutes ? mp->nroutes : 1, sizeof *rs->routes);
    for (size_t i = 0; i < mp->nroutes; i++) {
        struct ls_route *rt = &rs->routes[i];
        rt->waiter.wake = route_wake;
        rt->out = outs[mp->routes[i].output];
        rt->cond = &mp->routes[i].cond;
        rt->in = in;
    }
    rs->nroutes = mp->nroutes;
    return rs;
}

static struct ls_input *input_new(struct ls_model_instance *mi, const char *pipeline,
                                  const struct ls_service_conf *svc)
{
    struct ls_input *in = ls_xcalloc(1, sizeof *in);
    struct ls_instance *ins = &in->ins;

    ls_instance_setup(ins, LS_KIND_INPUT, mi->plugin, mi->name, pipeline);
    instance_take_conf(ins, mi);
    ins->in = in;
    ins->base = new_base();
    atomic_init(&in->blocked, 0);
    in->datagram = (mi->plugin->flags & LS_PLUGIN_DATAGRAM) != 0;
    in->batch_records = (size_t)svc->batch_max_records;
    in->batch_bytes = (size_t)svc->batch_max_bytes;
    in->batch_timeout = svc->batch_timeout;
    in->sel_scratch = ls_xmalloc((in->batch_records + 1) * sizeof *in->sel_scratch);
    in->idle_ev = event_new(ins->base, -1, 0, input_flush_cb, in);
    in->timeout_ev = evtimer_new(ins->base, input_flush_cb, in);
    in->resume_ev = event_new(ins->base, -1, 0, input_resume_cb, in);
    event_priority_set(in->idle_ev, 1); /* runs only when nothing else is ready */
    event_priority_set(in->timeout_ev, 0);
    event_priority_set(in->resume_ev, 0);
    if (mi->plugin->ack) {
        in->sink = ls_ack_sink_new(input_ack_notify, in);
        in->ack_ev = event_new(ins->base, -1, 0, input_ack_cb, in);
        event_priority_set(in->ack_ev, 0);
    }
    in->m_records = ls_metric_get("logstream_records_in_total", LS_METRIC_COUNTER,
                                  "Records read by an input", ins->labels);
    in->m_bytes = ls_metric_get("logstream_bytes_in_total", LS_METRIC_COUNTER,
                                "Raw bytes of the records read by an input", ins->labels);
    in->m_paused = ls_metric_get("logstream_input_paused", LS_METRIC_GAUGE,
                                 "1 while the input is paused by backpressure", ins->labels);
    ls_metric_set(in->m_paused, 0);
    return in;
}

static void input_start_fn(void *arg)
{
    struct ls_input *in = arg;
    struct ls_instance *ins = &in->ins;

    in->started = ins->plugin->start(ins, ins->state) == 0;
    if (!in->started) {
        ls_instance_free_watches(ins);
    }
}

static int input_start(struct ls_input *in)
{
    if (start_thread(&in->thread, in->ins.base) < 0) {
        return LS_ERROR;
    }
    in->thread_running = 1;
    run_on_loop(in->ins.base, input_start_fn, in);
    if (!in->started) {
        ls_log(&in->ins, LS_LOG_ERROR, "start failed");
        return LS_ERROR;
    }
    return 0;
}

static void input_stop_fn(void *arg)
{
    struct ls_input *in = arg;
    struct ls_instance *ins = &in->ins;

    if (in->started && ins->plugin->stop) {
        ins->plugin->stop(ins, ins->state);
    }
    ls_instance_free_watches(ins);
    ls_input_close_batch(in); /* everything read goes to the queues: nothing is lost */
    in->started = 0;
    event_base_loopbreak(ins->base);
}

static void input_forget_waiters(struct ls_input *in)
{
    struct ls_routeset *rs = in->rs;

    for (size_t i = 0; rs && i < rs->nroutes; i++) {
        if (ls_queue_forget(&rs->routes[i].out->q, &rs->routes[i].waiter)) {
            atomic_fetch_sub(&in->blocked, 1);
        }
    }
}

/* Stop the plugin, flush the open batch, stop the thread. */
static void input_stop(struct ls_input *in)
{
    if (in->thread_running) {
        run_on_loop(in->ins.base, input_stop_fn, in);
        pthread_join(in->thread, NULL);
        in->thread_running = 0;
    }
    input_forget_waiters(in);
}

static void input_free(struct ls_input *in)
{
    if (!in) {
        return;
    }
    input_stop(in);
    if (in->sink) {
        /* the thread is gone: batches that finished while outputs drained ack from here */
        ls_input_deliver_acks(in);
        ls_ack_sink_detach(in->sink);
        event_free(in->ack_ev);
        ls_ack_tracker_release(&in->acks);
    }
    instance_fini(&in->ins);
    routeset_free(in->rs);
    if (in->cur) {
        ls_batch_unref(in->cur);
    }
    event_free(in->idle_ev);
    event_free(in->timeout_ev);
    event_free(in->resume_ev);
    event_base_free(in->ins.base);
    free(in->sel_scratch);
    ls_instance_release(&in->ins);
    free(in);
}

struct swap_args {
    struct ls_input *in;
    struct ls_routeset *rs;
};

static void input_swap_fn(void *arg)
{
    struct swap_args *a = arg;
    struct ls_input *in = a->in;
    struct ls_routeset *old = in->rs;

    ls_input_close_batch(in); /* the last batch under the old configuration */
    input_forget_waiters(in);
    in->rs = a->rs;
    a->rs = old;
    if (atomic_load(&in->blocked) <= 0) {
        ls_input_suspend(in, 0);
    }
}

static void output_queue_notify(void *arg)
{
    struct ls_output *out = arg;

    event_active(out->notify_ev, EV_TIMEOUT, 0);
}

static struct ls_output *output_new(struct ls_model_instance *mi)
{
    struct ls_output *out = ls_xcalloc(1, sizeof *out);
    struct ls_instance *ins = &out->ins;

    ls_instance_setup(ins, LS_KIND_OUTPUT, mi->plugin, mi->name, NULL);
    instance_take_conf(ins, mi);
    ins->out = out;
    ins->base = new_base();
    ls_queue_init(&out->q, (size_t)mi->queue_size, mi->on_full);
    out->q.notify = output_queue_notify;
    out->q.notify_arg = out;
    out->notify_ev = event_new(ins->base, -1, 0, ls_output_notify_cb, out);
    out->retry_ev = evtimer_new(ins->base, ls_output_retry_cb, out);
    event_priority_set(out->notify_ev, 0);
    event_priority_set(out->retry_ev, 0);
    atomic_init(&out->draining, 0);
    atomic_init(&out->cur_records, 0);
    pthread_mutex_init(&out->done_mu, NULL);
    pthread_cond_init(&out->done_cv, NULL);
    out->m_records = ls_metric_get("logstream_records_out_total", LS_METRIC_COUNTER,
                                   "Records delivered by an output", ins->labels);
    out->m_bytes = ls_metric_get("logstream_bytes_out_total", LS_METRIC_COUNTER,
                                 "Raw bytes of the records delivered by an output", ins->labels);
    out->m_retries =
        ls_metric_get("logstream_output_retries_total", LS_METRIC_COUNTER,
                      "Batches an output retried after a temporary failure", ins->labels);
    {
        char *l = ls_xasprintf("instance=\"%s\"", mi->name);
        out->m_qbytes = ls_metric_get("logstream_queue_bytes", LS_METRIC_GAUGE,
                                      "Bytes queued for an output, including in flight", l);
        out->m_qbatches = ls_metric_get("logstream_queue_batches", LS_METRIC_GAUGE,
                                        "Batches queued for an output, including in flight", l);
        out->m_qmax = ls_metric_get("logstream_queue_max_bytes", LS_METRIC_GAUGE,
                                    "Bound of an output's queue in bytes", l);
        ls_metric_set(out->m_qmax, mi->queue_size);
        free(l);
    }
    return out;
}

static void output_start_fn(void *arg)
{
    struct ls_output *out = arg;
    struct ls_instance *ins = &out->ins;

    out->started = !ins->plugin->start || ins->plugin->start(ins, ins->state) == 0;
    if (!out->started) {
        ls_instance_free_watches(ins);
    }
}

static int output_start(struct ls_output *out)
{
    if (start_thread(&out->thread, out->ins.base) < 0) {
        return LS_ERROR;
    }
    out->thread_running = 1;
    run_on_loop(out->ins.base, output_start_fn, out);
    if (!out->started) {
        ls_log(&out->ins, LS_LOG_ERROR, "start failed");
        return LS_ERROR;
    }
    return 0;
}

/* Never waits for the output's loop: its thread may be stuck in a blocking write, and the
 * shutdown grace period must still hold. */
static void output_drain_begin(struct ls_output *out)
{
    if (out->thread_running) {
        atomic_store(&out->draining, 1);
        event_active(out->notify_ev, EV_TIMEOUT, 0);
    }
}

/* Wait until the output drained, at most until `deadline` (monotonic ns; 0 = forever).
 * Returns 0 when it finished, else the number of records still undelivered. */
static int64_t output_drain_wait(struct ls_output *out, int64_t deadline)
{
    int64_t lost = 0;

    if (!out->thread_running) {
        return 0;
    }
    pthread_mutex_lock(&out->done_mu);
    while (!out->finished) {
        struct timespec ts;
        int64_t now = ls_mono_now();
        if (deadline && now >= deadline) {
            break;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&out->done_cv, &out->done_mu, &ts);
    }
    if (!out->finished) {
        /* Racy read of the queue is fine: the count is only reported. */
        pthread_mutex_lock(&out->q.mu);
        for (size_t i = 0; i < out->q.count; i++) {
            lost += (int64_t)out->q.ring[(out->q.head + i) % out->q.cap]->count;
        }
        pthread_mutex_unlock(&out->q.mu);
        pthread_mutex_unlock(&out->done_mu);
        lost += (int64_t)atomic_load(&out->cur_records);
        return lost ? lost : 1;
    }
    pthread_mutex_unlock(&out->done_mu);
    pthread_join(out->thread, NULL);
    out->thread_running = 0;
    return 0;
}

static void output_free(struct ls_output *out)
{
    if (!out) {
        return;
    }
    if (out->thread_running) {
        output_drain_begin(out);
        output_drain_wait(out, 0);
    }
    instance_fini(&out->ins);
    ls_queue_release(&out->q);
    event_free(out->notify_ev);
    event_free(out->retry_ev);
    event_base_free(out->ins.base);
    pthread_cond_destroy(&out->done_cv);
    pthread_mutex_destroy(&out->done_mu);
    ls_instance_release(&out->ins);
    free(out);
}

/* ---- apply a model ------------------------------------------------------------------------- */

static int same_instance(const struct ls_instance *ins, const struct ls_model_instance *mi,
                         const char *canon_old)
{
    return ins->plugin == mi->plugin && strcmp(ins->name, mi->name) == 0 && canon_old &&
           mi->canon && strcmp(canon_old, mi->canon) == 0;
}

/* canon text of an old instance is kept in its runtime's model */
static const char *old_output_canon(const struct ls_runtime *old, size_t i)
{
    return old->model->outputs[i].canon;
}

struct input_slot {
    struct ls_model_pipeline *mp;
    struct ls_model_instance *mi;
    struct ls_input *kept; /* from old runtime, or NULL */
    struct ls_input *in;   /* the runtime's input */
    struct ls_routeset *rs;
};

static const char *old_input_canon(const struct ls_runtime *old, const struct ls_input *in)
{
    for (size_t p = 0; p < old->model->npipelines; p++) {
        struct ls_model_pipeline *mp = &old->model->pipelines[p];
        if (strcmp(mp->name, in->ins.pipeline) != 0) {
            continue;
        }
        for (size_t i = 0; i < mp->ninputs; i++) {
            if (strcmp(mp->inputs[i].name, in->ins.name) == 0) {
                return mp->inputs[i].canon;
            }
        }
    }
    return NULL;
}

int ls_runtime_apply(struct ls_runtime *old, struct ls_model *m, struct ls_doc *doc,
                     struct ls_runtime **out)
{
    struct ls_runtime *rt = ls_xcalloc(1, sizeof *rt);
    struct input_slot *slots = NULL;
    size_t nslots = 0;
    char *out_kept = old ? ls_xcalloc(old->noutputs + 1, 1) : NULL;
    char *in_kept = old ? ls_xcalloc(old->ninputs + 1, 1) : NULL;
    int rc = 0;

    rt->model = m;
    rt->doc = doc;
    ls_instance_set_state_dir(m->service.state_dir);

    /* 1. Outputs: keep unchanged ones, create the rest. */
    rt->noutputs = m->noutputs;
    rt->outputs = ls_xcalloc(m->noutputs ? m->noutputs : 1, sizeof *rt->outputs);
    for (size_t i = 0; i < m->noutputs; i++) {
        struct ls_model_instance *mi = &m->outputs[i];
        for (size_t j = 0; old && j < old->noutputs; j++) {
            if (!out_kept[j] && old->outputs[j] &&
                same_instance(&old->outputs[j]->ins, mi, old_output_canon(old, j))) {
                out_kept[j] = 1;
                rt->outputs[i] = old->outputs[j];
                break;
            }
        }
        if (rt->outputs[i]) {
            continue;
        }
        rt->outputs[i] = output_new(mi);
        if (instance_init(&rt->outputs[i]->ins) < 0 || output_start(rt->outputs[i]) < 0) {
            rc = LS_ERROR;
            goto out_rollback;
        }
    }

    /* 2. Inputs: find kept ones; build every routeset (parsers init here). */
    for (size_t p = 0; p < m->npipelines; p++) {
        nslots += m->pipelines[p].ninputs;
    }
    slots = ls_xcalloc(nslots ? nslots : 1, sizeof *slots);
    nslots = 0;
    for (size_t p = 0; p < m->npipelines; p++) {
        struct ls_model_pipeline *mp = &m->pipelines[p];
        for (size_t i = 0; i < mp->ninputs; i++) {
            struct input_slot *s = &slots[nslots++];
            s->mp = mp;
            s->mi = &mp->inputs[i];
            for (size_t j = 0; old && j < old->ninputs; j++) {
                struct ls_input *oi = old->inputs[j];
                if (!in_kept[j] && strcmp(oi->ins.pipeline, mp->name) == 0 &&
                    same_instance(&oi->ins, s->mi, old_input_canon(old, oi))) {
                    in_kept[j] = 1;
                    s->kept = oi;
                    break;
                }
            }
            s->in = s->kept ? s->kept : input_new(s->mi, mp->name, &m->service);
            s->rs = routeset_new(mp, rt->outputs, s->in);
            if (!s->rs) {
                rc = LS_ERROR;
                goto out_rollback;
            }
            if (!s->kept && instance_init(&s->in->ins) < 0) {
                rc = LS_ERROR;
                goto out_rollback;
            }
        }
    }

    /* Nothing can fail from here on that would require going back. */
    rt->ninputs = nslots;
    rt->inputs = ls_xcalloc(nslots ? nslots : 1, sizeof *rt->inputs);

    /* 3. Kept inputs switch to the new routes (their last old batch goes the old way). */
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i].kept) {
            struct swap_args a = {.in = slots[i].kept, .rs = slots[i].rs};
            run_on_loop(a.in->ins.base, input_swap_fn, &a);
            slots[i].rs = NULL;
            routeset_free(a.rs); /* the old one, now unused */
        }
    }
    /* 4. Inputs that went away stop (flushing into their old routes). */
    for (size_t j = 0; old && j < old->ninputs; j++) {
        if (!in_kept[j]) {
            input_free(old->inputs[j]);
        }
        old->inputs[j] = NULL;
    }
    /* 5. Outputs that went away drain what they were sent, then stop. */
    for (size_t j = 0; old && j < old->noutputs; j++) {
        if (!out_kept[j] && old->outputs[j]) {
            output_free(old->outputs[j]);
        }
        old->outputs[j] = NULL;
    }
    /* 6. New inputs start. A failure here (say, an address in use) degrades the runtime. */
    for (size_t i = 0; i < nslots; i++) {
        struct input_slot *s = &slots[i];
        rt->inputs[i] = s->in;
        if (!s->kept) {
            s->in->rs = s->rs;
            s->rs = NULL;
            if (input_start(s->in) < 0) {
                rt->degraded = 1;
            }
        }
    }
    free(slots);
    free(out_kept);
    free(in_kept);
    *out = rt;
    return rt->degraded ? LS_EAGAIN : 0;

out_rollback:
    for (size_t i = 0; i < nslots; i++) {
        routeset_free(slots[i].rs);
        if (!slots[i].kept) {
            input_free(slots[i].in);
        }
    }
    for (size_t i = 0; i < rt->noutputs; i++) {
        int kept = 0;
        for (size_t j = 0; old && j < old->noutputs; j++) {
            kept |= old->outputs[j] == rt->outputs[i];
        }
        if (!kept) {
            output_free(rt->outputs[i]);
        }
    }
    free(rt->outputs);
    free(rt->inputs);
    free(rt);
    free(slots);
    free(out_kept);
    free(in_kept);
    ls_model_free(m);
    ls_doc_free(doc);
    *out = NULL;
    return rc;
}

int64_t ls_runtime_stop(struct ls_runtime *rt, int64_t grace)
{
    int64_t deadline = ls_mono_now() + grace;
    int64_t lost = 0;

    for (size_t i = 0; i < rt->ninputs; i++) {
        if (rt->inputs[i]) {
            input_stop(rt->inputs[i]);
        }
    }
    for (size_t i = 0; i < rt->noutputs; i++) {
        if (rt->outputs[i]) {
            output_drain_begin(rt->outputs[i]);
        }
    }
    for (size_t i = 0; i < rt->noutputs; i++) {
        if (rt->outputs[i]) {
            int64_t l = output_drain_wait(rt->outputs[i], deadline);
            if (l) {
                ls_log(&rt->outputs[i]->ins, LS_LOG_ERROR,
                       "%lld records not delivered within the shutdown grace period", (long long)l);
            }
            lost += l;
        }
    }
    return lost;
}

void ls_runtime_free(struct ls_runtime *rt)
{
    if (!rt) {
        return;
    }
    for (size_t i = 0; i < rt->ninputs; i++) {
        input_free(rt->inputs[i]);
    }
    for (size_t i = 0; i < rt->noutputs; i++) {
        output_free(rt->outputs[i]);
    }
    free(rt->inputs);
    free(rt->outputs);
    ls_model_free(rt->model);
    ls_doc_free(rt->doc);
    free(rt);
}

static void output_reopen_fn(void *arg)
{
    struct ls_output *out = arg;

    if (out->ins.plugin->reopen) {
        out->ins.plugin->reopen(&out->ins, out->ins.state);
    }
}

void ls_runtime_reopen(struct ls_runtime *rt)
{
    for (size_t i = 0; i < rt->noutputs; i++) {
        struct ls_output *out = rt->outputs[i];
        if (out && out->thread_running && out->ins.plugin->reopen) {
            run_on_loop(out->ins.base, output_reopen_fn, out);
        }
    }
}

void ls_runtime_update_gauges(struct ls_runtime *rt)
{
    for (size_t i = 0; i < rt->noutputs; i++) {
        struct ls_output *out = rt->outputs[i];
        if (out) {
            ls_metric_set(out->m_qbytes, ls_queue_bytes(&out->q));
            ls_metric_set(out->m_qbatches, ls_queue_count(&out->q));
        }
    }
}

static int check_one(struct ls_model_instance *mi, int kind, const char *pipeline)
{
    struct ls_instance ins;
    int failed;

    ls_instance_setup(&ins, kind, mi->plugin, mi->name, pipeline);
    ins.conf = mi->conf; /* borrowed: the model frees it */
    failed = instance_init(&ins) < 0;
    instance_fini(&ins);
    ins.conf = NULL;
    ls_instance_release(&ins);
    return failed;
}

int ls_runtime_check(const struct ls_model *m)
{
    int failed = 0;

    ls_instance_set_state_dir(m->service.state_dir);
    for (size_t i = 0; i < m->noutputs; i++) {
        failed += check_one(&m->outputs[i], LS_KIND_OUTPUT, NULL);
    }
    for (size_t p = 0; p < m->npipelines; p++) {
        struct ls_model_pipeline *mp = &m->pipelines[p];
        for (size_t i = 0; i < mp->ninputs; i++) {
            failed += check_one(&mp->inputs[i], LS_KIND_INPUT, mp->name);
        }
        for (size_t i = 0; i < mp->nparsers; i++) {
            failed += check_one(&mp->parsers[i], LS_KIND_PARSER, mp->name);
        }
    }
    return failed;
}
