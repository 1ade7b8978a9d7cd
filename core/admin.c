/* admin.c - /metrics and /health over libevent's evhttp; see admin.h. */
#include "admin.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "util.h"

struct ls_admin {
    struct evhttp *http;
    struct ls_status *st;
};

/* A pipeline runs when every one of its inputs started. */
static int pipeline_running(const struct ls_runtime *rt, const char *name)
{
    for (size_t i = 0; i < rt->ninputs; i++) {
        const struct ls_input *in = rt->inputs[i];
        if (in && strcmp(in->ins.pipeline, name) == 0 && !in->started) {
            return 0;
        }
    }
    return 1;
}

char *ls_admin_health(const struct ls_status *st, int *code)
{
    struct ls_sbuf sb;
    int ok = 1;
    const struct ls_runtime *rt = st->rt;

    ls_sbuf_init(&sb);
    for (size_t p = 0; rt && p < rt->model->npipelines; p++) {
        ok &= pipeline_running(rt, rt->model->pipelines[p].name);
    }
    for (size_t i = 0; rt && i < rt->noutputs; i++) {
        ok &= rt->outputs[i] && rt->outputs[i]->started;
    }
    ok &= rt != NULL;
    ls_sbuf_addf(&sb, "{\"status\":\"%s\",\"generation\":%lu,\"last_reload_error\":",
                 ok ? "ok" : "degraded", st->generation);
    if (st->last_reload_error) {
        ls_sbuf_add_json_string(&sb, st->last_reload_error);
    } else {
        ls_sbuf_addstr(&sb, "null");
    }
    ls_sbuf_addstr(&sb, ",\"pipelines\":{");
    for (size_t p = 0; rt && p < rt->model->npipelines; p++) {
        const char *name = rt->model->pipelines[p].name;
        ls_sbuf_addstr(&sb, p ? "," : "");
        ls_sbuf_add_json_string(&sb, name);
        ls_sbuf_addf(&sb, ":\"%s\"", pipeline_running(rt, name) ? "running" : "failed");
    }
    ls_sbuf_addstr(&sb, "}}\n");
    *code = ok ? 200 : 503;
    return ls_sbuf_detach(&sb);
}

static void add_process_metrics(struct ls_sbuf *sb)
{
    struct rusage ru;
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        fclose(f);
    }
    getrusage(RUSAGE_SELF, &ru);
    ls_sbuf_addf(sb,
                 "# HELP logstream_process_resident_memory_bytes Resident set size\n"
                 "# TYPE logstream_process_resident_memory_bytes gauge\n"
                 "logstream_process_resident_memory_bytes %lld\n"
                 "# HELP logstream_process_cpu_seconds_total User and system CPU time\n"
                 "# TYPE logstream_process_cpu_seconds_total counter\n"
                 "logstream_process_cpu_seconds_total %.6f\n",
                 (long long)resident * sysconf(_SC_PAGESIZE),
                 (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

static void send_text(struct evhttp_request *req, int code, const char *reason, const char *ctype,
                      const char *body, size_t len)
{
    struct evbuffer *buf = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evbuffer_add(buf, body, len);
    evhttp_send_reply(req, code, reason, buf);
    evbuffer_free(buf);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct ls_admin *a = arg;
    const char *uri = evhttp_request_get_uri(req);
    size_t plen = strcspn(uri, "?");

    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
        evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        send_text(req, 405, "Method Not Allowed", "text/plain", "method not allowed\n", 19);
        return;
    }
    if (plen == 8 && strncmp(uri, "/metrics", 8) == 0) {
        struct ls_sbuf sb;
        ls_sbuf_init(&sb);
        if (a->st->rt) {
            ls_runtime_update_gauges(a->st->rt);
        }
        ls_metrics_render(&sb);
        add_process_metrics(&sb);
        send_text(req, 200, "OK", "text/plain; version=0.0.4", sb.buf, sb.len);
        ls_sbuf_release(&sb);
    } else if (plen == 7 && strncmp(uri, "/health", 7) == 0) {
        int code;
        char *body = ls_admin_health(a->st, &code);
        send_text(req, code, code == 200 ? "OK" : "Service Unavailable", "application/json", body,
                  strlen(body));
        free(body);
    } else {
        send_text(req, 404, "Not Found", "text/plain", "not found\n", 10);
    }
}

struct ls_admin *ls_admin_new(struct event_base *base, const char *addr, struct ls_status *st)
{
    struct ls_admin *a;
    char host[256];
    int port;

    if (ls_parse_address(addr, host, sizeof host, &port, 0) != 0) {
        ls_err("admin: invalid listen address \"%s\"", addr);
        return NULL;
    }
    a = ls_xcalloc(1, sizeof *a);
    a->st = st;
    a->http = evhttp_new(base);
    if (!a->http) {
        free(a);
        return NULL;
    }
    evhttp_set_max_headers_size(a->http, 8192);
    evhttp_set_max_body_size(a->http, 4096);
    evhttp_set_timeout(a->http, 10);
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(a->http, handle, a);
    if (!evhttp_bind_socket_with_handle(a->http, host[0] ? host : "0.0.0.0", (uint16_t)port)) {
        ls_err("admin: cannot listen on %s: %s", addr, strerror(errno));
        evhttp_free(a->http);
        free(a);
        return NULL;
    }
    return a;
}

void ls_admin_free(struct ls_admin *a)
{
    if (!a) {
        return;
    }
    evhttp_free(a->http);
    free(a);
}
