/*
 * plugin_c.c - compiled as C99 and C11 with -pedantic -Werror to prove logstream/plugin.h is
 * portable C, and linked with plain `cc -shared -fPIC -fvisibility=hidden` to prove such a
 * plugin exports exactly one symbol. It touches every kind of declaration the header makes.
 */
#include <logstream/plugin.h>

struct demo_conf {
    char *listen;
    int64_t backlog;
    uint64_t max_line;
    int64_t timeout;
    int mode;
    int verbose;
    char *path;
    struct ls_opt_list tags;
};

static const char *const demo_modes[] = {"a", "b", NULL};

static const struct ls_option demo_options[] = {
    {.name = "listen",
     .type = LS_OPT_ADDRESS,
     .offset = offsetof(struct demo_conf, listen),
     .required = 1,
     .doc = "where"},
    {.name = "backlog",
     .type = LS_OPT_INT,
     .offset = offsetof(struct demo_conf, backlog),
     .def = "16",
     .min = 1,
     .max = 1024,
     .doc = "listen backlog"},
    {.name = "max_line",
     .type = LS_OPT_SIZE,
     .offset = offsetof(struct demo_conf, max_line),
     .def = "64KiB",
     .doc = "cut longer lines"},
    {.name = "timeout",
     .type = LS_OPT_DURATION,
     .offset = offsetof(struct demo_conf, timeout),
     .def = "5s",
     .doc = "idle timeout"},
    {.name = "mode",
     .type = LS_OPT_ENUM,
     .offset = offsetof(struct demo_conf, mode),
     .def = "a",
     .enum_values = demo_modes,
     .doc = "mode"},
    {.name = "verbose",
     .type = LS_OPT_BOOL,
     .offset = offsetof(struct demo_conf, verbose),
     .def = "false",
     .doc = "chatty"},
    {.name = "path", .type = LS_OPT_PATH, .offset = offsetof(struct demo_conf, path), .doc = "p"},
    {.name = "tags",
     .type = LS_OPT_LIST,
     .offset = offsetof(struct demo_conf, tags),
     .item_type = LS_OPT_STRING,
     .doc = "tags"},
    {.name = NULL},
};

struct demo_state {
    struct ls_watch *watch;
    struct ls_timer *timer;
    struct ls_counter *lines;
};

static void demo_on_read(struct ls_watch *w, int fd, unsigned events, void *arg)
{
    struct ls_instance *ins = (struct ls_instance *)arg;
    struct ls_record *rec;

    (void)w;
    (void)fd;
    if (events & LS_WATCH_READ) {
        rec = ls_input_append(ins, "hello", 5, "127.0.0.1:5000", ls_now());
        if (rec) {
            rec->severity = LS_SEV_INFO;
            rec->facility = LS_FAC_UNKNOWN;
            rec->flags |= LS_REC_TRUNCATED;
        }
    }
}

static void demo_on_timer(struct ls_timer *t, void *arg)
{
    (void)arg;
    ls_timer_arm(t, 1000000000);
}

static int demo_init(struct ls_instance *ins, const void *conf, void **state)
{
    const struct demo_conf *c = (const struct demo_conf *)conf;
    static struct demo_state st;

    st.lines = ls_counter_new(ins, "lines", "lines seen");
    if (ls_log_enabled(LS_LOG_DEBUG)) {
        ls_log(ins, LS_LOG_DEBUG, "listen %s backlog %lld in %s", c->listen, (long long)c->backlog,
               ls_instance_name(ins));
    }
    *state = &st;
    return LS_OK;
}

static int demo_start(struct ls_instance *ins, void *state)
{
    struct demo_state *st = (struct demo_state *)state;

    st->watch = ls_watch_new(ins, 0, LS_WATCH_READ, demo_on_read, ins);
    st->timer = ls_timer_new(ins, demo_on_timer, NULL);
    if (!st->watch || !st->timer || ls_timer_arm(st->timer, 0) < 0) {
        return LS_ERROR;
    }
    return ls_input_paused(ins) ? LS_EAGAIN : LS_OK;
}

static void demo_stop(struct ls_instance *ins, void *state)
{
    struct demo_state *st = (struct demo_state *)state;

    ls_watch_set(st->watch, 0);
    ls_watch_free(st->watch);
    ls_timer_cancel(st->timer);
    ls_timer_free(st->timer);
    ls_input_flush(ins);
}

static int demo_parse(struct ls_instance *ins, void *state, struct ls_batch *b, size_t first)
{
    size_t i;

    (void)state;
    for (i = first; i < ls_batch_count(b); i++) {
        struct ls_record *r = ls_batch_record(b, i);
        struct ls_field *f = ls_record_add_field(b, r, "k", 1, LS_FIELD_INT, NULL, 0);
        struct ls_slice s = ls_batch_strdup(b, "x", 1);

        if (f) {
            f->v.i = 1;
        }
        r->app = s;
        if (!ls_record_field(r, "k") || ls_severity_parse("warn", 4) != LS_SEV_WARNING) {
            ls_parse_error(ins, b, r);
        }
    }
    return ls_batch_alloc(b, 8) ? LS_OK : LS_ENOMEM;
}

static int demo_write(struct ls_instance *ins, void *state, struct ls_batch *b)
{
    struct demo_state *st = (struct demo_state *)state;

    ls_counter_add(st->lines, ls_batch_count(b));
    if (ls_batch_input(b) && ls_batch_pipeline(b) && ls_instance_pipeline(ins)) {
        ls_batch_ref(b);
        ls_output_done(ins, b, LS_OK);
        ls_batch_unref(b);
        return LS_PENDING;
    }
    ls_count_drop(ins, "demo", 1);
    return ls_severity_name(LS_SEV_ERR) && ls_facility_name(0) && ls_facility_parse("user", 4) == 1
               ? LS_OK
               : LS_ERROR;
}

LS_PLUGIN_DEFINE(.kind = LS_KIND_INPUT, .name = "demo", .summary = "header compile test",
                 .options = demo_options, .config_size = sizeof(struct demo_conf),
                 .flags = LS_PLUGIN_DATAGRAM, .init = demo_init, .start = demo_start,
                 .stop = demo_stop, .parse = demo_parse, .write = demo_write);
