/*
 * runtime.h - running instances: one thread and event loop per input and per output, the
 * parser chain on each input's thread, routes from inputs to output queues, and the reload
 * that swaps one configuration for the next without losing an accepted record.
 *
 * Ownership: a runtime owns its instances, the model and the doc it was built from. An
 * instance owns its plugin config struct (taken out of the model, so that an instance kept
 * across a reload keeps its config while the old model is freed).
 *
 * Threads: everything here is called on the main thread, except the static callbacks that run
 * on instance loops. Calls into an instance's loop are synchronous (run_on_loop).
 */
#ifndef LS_RUNTIME_H
#define LS_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>

#include "ack.h"
#include "batch.h"
#include "conf.h"
#include "metrics.h"
#include "model.h"
#include "queue.h"

struct event_base;
struct event;

struct ls_drop_metric {
    char *reason;
    struct ls_metric *m;
};

struct ls_instance {
    int kind; /* enum ls_kind */
    const struct ls_plugin *plugin;
    char *name;
    char *pipeline;  /* NULL for shared outputs */
    char *prefix;    /* "[input:tcp:apps.tcp.0]" */
    char *labels;    /* kind="input",plugin="tcp",instance="apps.tcp.0" */
    char *state_dir; /* service.state_dir when the instance was made */
    void *conf;      /* owned: ls_options_release(plugin->options) + free */
    void *state;
    int inited;
    struct event_base *base; /* the thread loop it runs on (parsers: their input's) */
    struct ls_input *in;     /* inputs and parsers */
    struct ls_output *out;   /* outputs */
    struct ls_watch *watches;
    struct ls_timer *timers;
    pthread_mutex_t drops_mu;
    struct ls_drop_metric *drops;
    size_t ndrops;
    struct ls_metric *m_parse_errors; /* parsers */
};

struct ls_route {
    struct ls_queue_waiter waiter; /* first: the queue hands it back to route_wake */
    struct ls_output *out;
    const struct ls_cond *cond; /* borrowed from the model the routeset was built from */
    struct ls_input *in;
};

/* What an input sends its records through; replaced as a whole on reload. */
struct ls_routeset {
    struct ls_instance **parsers;
    size_t nparsers;
    struct ls_route *routes;
    size_t nroutes;
};

struct ls_input {
    struct ls_instance ins;
    pthread_t thread;
    int thread_running;
    struct ls_routeset *rs;
    struct ls_batch *cur;
    struct event *idle_ev, *timeout_ev, *resume_ev;
    atomic_int blocked; /* queues this input waits on */
    int paused;         /* READ watches suspended */
    int datagram;       /* cannot push back: drop on a full queue (plugin flag or per instance) */
    int started;
    size_t batch_records, batch_bytes;
    int64_t batch_timeout;
    struct ls_metric *m_records, *m_bytes, *m_paused;
    uint32_t *sel_scratch; /* routing condition selection, batch_records long */
    /* delivery acknowledgement, only for plugins with an `ack` callback */
    struct ls_ack_sink *sink;
    struct ls_ack_tracker acks;
    struct event *ack_ev;
};

struct ls_output {
    struct ls_instance ins;
    pthread_t thread;
    int thread_running;
    struct ls_queue q;
    struct event *notify_ev, *retry_ev;
    struct ls_batch *cur;      /* in flight */
    int pending;               /* write answered LS_PENDING */
    int dirty;                 /* written since the last flush */
    int64_t backoff;           /* ns, current retry delay */
    atomic_int draining;       /* set by the main thread without waiting for the loop */
    atomic_size_t cur_records; /* records of the batch in flight, for the shutdown report */
    int started;
    pthread_mutex_t done_mu;
    pthread_cond_t done_cv;
    int finished; /* drained and stopped */
    int64_t lost;
    struct ls_metric *m_records, *m_bytes, *m_qbytes, *m_qbatches, *m_qmax, *m_retries;
};

struct ls_runtime {
    struct ls_model *model;
    struct ls_doc *doc;
    struct ls_input **inputs;
    size_t ninputs;
    struct ls_output **outputs; /* parallel to model->outputs */
    size_t noutputs;
    int degraded; /* an instance failed to start */
};

/* One-time process set-up: libevent threading. */
int ls_runtime_global_init(void);

/* Build and start the runtime for `m` (consumed, with doc, on success and failure), reusing
 * from `old` (may be NULL) every instance whose configuration did not change. On success
 * *out is the new runtime and `old` has been taken apart (caller frees it with
 * ls_runtime_free); on failure the old runtime is untouched and still running. */
int ls_runtime_apply(struct ls_runtime *old, struct ls_model *m, struct ls_doc *doc,
                     struct ls_runtime **out);

/* Stop inputs, drain outputs within `grace` ns. Returns the number of records that could not
 * be delivered in time (0 = everything delivered). After a non-zero return some output
 * threads may still be running: the caller must exit without freeing. */
int64_t ls_runtime_stop(struct ls_runtime *rt, int64_t grace);
void ls_runtime_free(struct ls_runtime *rt);

/* SIGUSR1: ask every output to reopen its files. */
void ls_runtime_reopen(struct ls_runtime *rt);

/* Refresh gauges (queue depth etc.) before /metrics renders. Main thread. */
void ls_runtime_update_gauges(struct ls_runtime *rt);

/* --check: init + fini every instance of the model without starting anything. Returns the
 * number of instances whose init failed (each logged by the plugin). */
int ls_runtime_check(const struct ls_model *m);

/* Instance plumbing shared by runtime.c and instance.c. Instances made after
 * ls_instance_set_state_dir() see that directory in ls_state_dir(). Main thread. */
void ls_instance_set_state_dir(const char *dir);
void ls_instance_setup(struct ls_instance *ins, int kind, const struct ls_plugin *p,
                       const char *name, const char *pipeline);
void ls_instance_release(struct ls_instance *ins);
void ls_instance_free_watches(struct ls_instance *ins);
void ls_input_close_batch(struct ls_input *in);
/* Deliver finished acknowledgements to the plugin (input thread, or main after stop). */
void ls_input_deliver_acks(struct ls_input *in);
void ls_input_suspend(struct ls_input *in, int suspend);

#endif /* LS_RUNTIME_H */
