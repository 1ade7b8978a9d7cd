/*
 * parsebench - parser micro-benchmark: records per second of one parser plugin on a fixed mix
 * of lines, through the real loader and the real batch code.
 *
 *   parsebench --plugin-dir build/plugins --parser json [--records N] [--runs K] [--baseline]
 *              [--expect-no-errors]
 *
 * The plugin (<dir>/<parser>.so) is loaded with the daemon's loader (every ABI and option
 * table check), configured with its defaults, and init'ed on an instance like the daemon's.
 * Each run builds batches of 1024 records (the daemon's default batch size) from the parser's
 * line mix, generated here so every run sees the same bytes, and times only the parse calls
 * (each batch right after it is built, as the daemon parses a batch when it closes).
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so records/s means records per
 * CPU-second of one core; the figure is the median of the runs. `--baseline` (json only) also
 * times json-c alone on the same lines - json_tokener_parse_ex + json_object_put, the floor
 * under any json-c parser.
 *
 * Output: one line per run and a summary line:
 *   json: 1234567 records/s (810 ns/record, 185.2 MB/s), median of 3 runs of 2000000 records
 *   of 150 B; parse errors 0
 * Exit status: 0; 1 when the plugin cannot be loaded or initialised; 2 on usage errors; 3 with
 * --expect-no-errors when the parser flagged any record of its mix (every line of the json,
 * level, logfmt and syslog mixes is meant to parse).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "conf.h"
#include "loader.h"
#include "options.h"
#include "runtime.h"

#define BATCH     1024
#define LINE_SIZE 150
#define MAX_RUNS  15

struct bench_opts {
    const char *plugin_dir;
    const char *parser;
    long records;
    int runs;
    int baseline;
    int expect_no_errors;
};

/* The thread's CPU time: parsing is single-threaded CPU work, and this clock does not count
 * the time other processes on a busy machine take the CPU away. */
static int64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- line mixes ----------------------------------------------------------------------------- */

/* Replace the marker "@PAD@" in the NUL-terminated line with as many 'x' as make the line
 * LINE_SIZE bytes long (none if it is already longer). Returns the length. */
static size_t pad_line(char *line, size_t cap)
{
    char *m = strstr(line, "@PAD@");
    size_t n = strlen(line), want;

    if (!m) {
        return n;
    }
    want = n - 5 < LINE_SIZE ? LINE_SIZE - (n - 5) : 0;
    if (n - 5 + want >= cap) {
        want = 0;
    }
    memmove(m + want, m + 5, strlen(m + 5) + 1);
    memset(m, 'x', want);
    return strlen(line);
}

/* JSON objects of 150 bytes in four shapes: zap, pino, bunyan-like, nested. */
static size_t line_json(char *b, size_t cap, long i)
{
    static const char *const lv[] = {"info", "warn", "error", "debug"};

    switch (i % 4) {
    case 0:
        snprintf(b, cap,
                 "{\"level\":\"%s\",\"ts\":1700000000.%03ld,\"caller\":\"pay/main.go:%ld\",\"msg\":"
                 "\"payment failed\",\"service\":\"payment\",\"order\":%ld,\"p\":\"@PAD@\"}",
                 lv[i % 4], i % 1000, i % 500, i);
        break;
    case 1:
        snprintf(b, cap,
                 "{\"level\":30,\"time\":%lld,\"pid\":4242,\"hostname\":\"web-%ld\",\"msg\":"
                 "\"request completed\",\"res\":{\"statusCode\":200},\"p\":\"@PAD@\"}",
                 1700000000000LL + i, i % 16);
        break;
    case 2:
        snprintf(b, cap,
                 "{\"time\":\"2026-11-23T10:%02ld:%02ld.%03ldZ\",\"level\":\"warn\",\"app\":"
                 "\"checkout\",\"msg\":\"cart %ld slow\",\"ms\":%ld.5,\"ok\":true,\"p\":\"@PAD@\"}",
                 i % 60, i / 60 % 60, i % 1000, i, i % 900);
        break;
    default:
        snprintf(b, cap,
                 "{\"message\":\"user %ld logged in\",\"severity\":\"notice\",\"user\":{\"id\":%ld,"
                 "\"name\":\"u%ld\"},\"tags\":[\"a\",\"b\"],\"p\":\"@PAD@\"}",
                 i, i, i % 977);
        break;
    }
    return pad_line(b, cap);
}

/* Plain lines with a level in six common places, and one with none. */
static size_t line_level(char *b, size_t cap, long i)
{
    switch (i % 7) {
    case 0:
        snprintf(
            b, cap,
            "2026-11-23 10:00:%02ld,%03ld [main] INFO  com.shop.App - request %ld handled @PAD@",
            i % 60, i % 1000, i);
        break;
    case 1:
        snprintf(b, cap, "ERROR [payment-service] card declined for order %ld @PAD@", i);
        break;
    case 2:
        snprintf(b, cap, "E1122 10:00:00.%06ld  1234 server.cc:42] RPC to backend failed @PAD@",
                 i % 1000000);
        break;
    case 3:
        snprintf(b, cap, "2026/11/23 10:00:00 [error] 1234#0: *%ld open() \"/x\" failed @PAD@", i);
        break;
    case 4:
        snprintf(b, cap,
                 "time=\"2026-11-23T10:00:00Z\" level=warning msg=\"disk %ld%%\" app=storage @PAD@",
                 i % 100);
        break;
    case 5:
        snprintf(b, cap, "WARNING:urllib3.connectionpool:Retrying (total=%ld) @PAD@", i % 5);
        break;
    default:
        snprintf(b, cap, "request %ld finished in 12 ms for user 4242 from 10.0.0.1 @PAD@", i);
        break;
    }
    return pad_line(b, cap);
}

/* logfmt lines of 150 bytes: logrus, go-kit, Heroku router, escapes. */
static size_t line_logfmt(char *b, size_t cap, long i)
{
    switch (i % 4) {
    case 0:
        snprintf(b, cap,
                 "time=\"2026-11-23T10:00:00Z\" level=error msg=\"payment failed\" service=payment "
                 "order_id=%ld p=@PAD@",
                 i);
        break;
    case 1:
        snprintf(b, cap,
                 "ts=2026-11-23T10:00:00.%06ldZ caller=head.go:42 level=warn component=tsdb "
                 "msg=\"WAL segment loaded\" segment=%ld p=@PAD@",
                 i % 1000000, i % 100);
        break;
    case 2:
        snprintf(b, cap,
                 "at=info method=GET path=\"/api/%ld\" host=myapp.herokuapp.com dyno=web.1 "
                 "connect=1ms status=200 bytes=%ld p=@PAD@",
                 i % 1000, i % 5000);
        break;
    default:
        snprintf(b, cap,
                 "level=info msg=\"he said \\\"hi\\\" to %ld\" user=\"caf\\u00e9\" ts=%ld p=@PAD@",
                 i, 1700000000L + i);
        break;
    }
    return pad_line(b, cap);
}

/* RFC 3164 and RFC 5424 lines (for the syslog parser, and any other parser). */
static size_t line_syslog(char *b, size_t cap, long i)
{
    if (i % 2) {
        snprintf(b, cap,
                 "<34>Oct 11 22:14:%02ld mymachine su[%ld]: 'su root' failed on /dev/pts/8 "
                 "@PAD@",
                 i % 60, 100 + i % 900);
    } else {
        snprintf(b, cap,
                 "<165>1 2026-11-23T10:00:00.%03ldZ host%ld app 1234 ID47 [ex@32473 iut=\"3\"] "
                 "event %ld @PAD@",
                 i % 1000, i % 8, i);
    }
    return pad_line(b, cap);
}

typedef size_t (*line_fn)(char *b, size_t cap, long i);

static line_fn mix_for(const char *parser, const char **name)
{
    if (strcmp(parser, "json") == 0) {
        *name = "json objects (zap, pino, bunyan, nested)";
        return line_json;
    }
    if (strcmp(parser, "level") == 0) {
        *name = "plain lines (log4j, [svc], glog, nginx, key=value, python, none)";
        return line_level;
    }
    if (strcmp(parser, "logfmt") == 0) {
        *name = "logfmt (logrus, go-kit, heroku, escapes)";
        return line_logfmt;
    }
    *name = "syslog (RFC 3164, RFC 5424)";
    return line_syslog;
}

/* ---- running -------------------------------------------------------------------------------- */

struct bench {
    const struct ls_plugin *plugin;
    struct ls_instance ins;
    void *state;
    line_fn gen;
};

/* One batch of up to BATCH records starting at line number *next. */
static struct ls_batch *build_batch(struct bench *bn, long *next, long last, uint64_t *bytes)
{
    struct ls_batch *b = ls_batch_new("bench.in", "bench");
    char line[512];

    for (int j = 0; j < BATCH && *next < last; j++, (*next)++) {
        size_t n = bn->gen(line, sizeof line, *next);
        ls_batch_append(b, line, n, "127.0.0.1:5000", 1);
        *bytes += n;
    }
    return b;
}

/* One run over `records` records: returns the ns spent inside parse. Each batch is parsed
 * right after it is built, as the daemon does when a batch closes (its lines are still in
 * the cache). */
static int64_t run_once(struct bench *bn, long records, uint64_t *errors, uint64_t *bytes)
{
    long next = 0;
    int64_t spent = 0;

    while (next < records) {
        struct ls_batch *b = build_batch(bn, &next, records, bytes);
        int64_t t0 = cpu_ns();
        if (bn->plugin->parse(&bn->ins, bn->state, b, 0) < 0) {
            fprintf(stderr, "parsebench: parse returned an error\n");
        }
        spent += cpu_ns() - t0;
        for (size_t r = 0; r < ls_batch_count(b); r++) {
            *errors += (ls_batch_record(b, r)->flags & LS_REC_PARSE_ERROR) != 0;
        }
        ls_batch_unref(b);
    }
    return spent;
}

/* json-c alone on the json mix: tokener reset + parse + put, nothing else. */
static int64_t run_json_c(long records)
{
    static char lines[BATCH][512];
    static size_t lens[BATCH];
    struct json_tokener *tok = json_tokener_new_ex(33);
    int64_t spent = 0;
    long i = 0;

    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    while (i < records) {
        int n = 0;
        int64_t t0;
        for (; n < BATCH && i < records; n++, i++) {
            lens[n] = line_json(lines[n], sizeof lines[n], i);
        }
        t0 = cpu_ns();
        for (int k = 0; k < n; k++) {
            json_tokener_reset(tok);
            json_object_put(json_tokener_parse_ex(tok, lines[k], (int)lens[k]));
        }
        spent += cpu_ns() - t0;
    }
    json_tokener_free(tok);
    return spent;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, const int64_t *ns, int runs, long records, uint64_t bytes,
                   uint64_t errors, int show_errors)
{
    int64_t sorted[MAX_RUNS], med;
    double rate;

    memcpy(sorted, ns, sizeof *ns * (size_t)runs);
    qsort(sorted, (size_t)runs, sizeof *sorted, cmp_i64);
    med = sorted[runs / 2];
    rate = (double)records * 1e9 / (double)(med ? med : 1);
    printf("%s: %.0f records/s (%.0f ns/record, %.1f MB/s), median of %d runs of %ld records of "
           "%.0f B",
           what, rate, (double)med / (double)records, rate * (double)bytes / (double)records / 1e6,
           runs, records, (double)bytes / (double)records);
    if (show_errors) {
        printf("; parse errors %llu", (unsigned long long)errors);
    }
    printf("\n");
}

/* Load <dir>/<parser>.so through the loader and init an instance with default options. */
static int bench_open(struct bench *bn, struct ls_registry *reg, const struct bench_opts *o,
                      void **conf)
{
    struct ls_errors errs;
    char *path = NULL;
    int rc = -1;

    ls_errors_init(&errs);
    if (asprintf(&path, "%s/%s.so", o->plugin_dir, o->parser) < 0) {
        path = NULL;
        goto out;
    }
    if (ls_registry_load_file(reg, path, &errs) < 0 ||
        !(bn->plugin = ls_registry_find(reg, LS_KIND_PARSER, o->parser))) {
        ls_errors_print(&errs, stderr);
        fprintf(stderr, "parsebench: no parser plugin '%s' in %s\n", o->parser, path);
        goto out;
    }
    *conf = calloc(1, bn->plugin->config_size ? bn->plugin->config_size : 1);
    if (!*conf || ls_options_defaults(bn->plugin->options, *conf, &errs) < 0) {
        ls_errors_print(&errs, stderr);
        goto out;
    }
    ls_instance_setup(&bn->ins, LS_KIND_PARSER, bn->plugin, "bench", "bench");
    bn->ins.conf = *conf; /* released with the instance */
    if (bn->plugin->init && bn->plugin->init(&bn->ins, *conf, &bn->state) < 0) {
        fprintf(stderr, "parsebench: %s: init failed\n", o->parser);
        goto out;
    }
    rc = 0;
out:
    free(path);
    ls_errors_release(&errs);
    return rc;
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
    static const struct option longopts[] = {
        {"plugin-dir", required_argument, NULL, 'd'},
        {"parser", required_argument, NULL, 'p'},
        {"records", required_argument, NULL, 'n'},
        {"runs", required_argument, NULL, 'r'},
        {"baseline", no_argument, NULL, 'b'},
        {"expect-no-errors", no_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "d:p:n:r:be", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->plugin_dir = optarg;
            break;
        case 'p':
            o->parser = optarg;
            break;
        case 'n':
            o->records = strtol(optarg, NULL, 10);
            break;
        case 'r':
            o->runs = atoi(optarg);
            break;
        case 'b':
            o->baseline = 1;
            break;
        case 'e':
            o->expect_no_errors = 1;
            break;
        default:
            return -1;
        }
    }
    if (!o->parser || o->records <= 0 || o->runs < 1 || o->runs > MAX_RUNS) {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_opts o = {"build/plugins", NULL, 2000000, 3, 0, 0};
    struct ls_registry reg;
    struct bench bn;
    const char *mix;
    void *conf = NULL;
    int64_t ns[MAX_RUNS];
    uint64_t errors = 0, bytes = 0;

    if (parse_args(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: parsebench --plugin-dir DIR --parser NAME [--records N] "
                        "[--runs K (1..15)] [--baseline] [--expect-no-errors]\n");
        return 2;
    }
    memset(&bn, 0, sizeof bn);
    ls_registry_init(&reg);
    if (bench_open(&bn, &reg, &o, &conf) < 0) {
        return 1;
    }
    bn.gen = mix_for(o.parser, &mix);
    printf("parser %s, mix: %s\n", o.parser, mix);
    for (int k = 0; k < o.runs; k++) {
        errors = bytes = 0;
        ns[k] = run_once(&bn, o.records, &errors, &bytes);
        printf("  run %d: %.0f records/s\n", k + 1, (double)o.records * 1e9 / (double)ns[k]);
    }
    report(o.parser, ns, o.runs, o.records, bytes, errors, 1);
    if (o.baseline && strcmp(o.parser, "json") == 0) {
        for (int k = 0; k < o.runs; k++) {
            ns[k] = run_json_c(o.records);
        }
        report("json-c alone", ns, o.runs, o.records, bytes, 0, 0);
    }
    if (bn.plugin->fini) {
        bn.plugin->fini(&bn.ins, bn.state);
    }
    ls_instance_release(&bn.ins);
    ls_registry_release(&reg);
    fflush(stdout);
    return o.expect_no_errors && errors > 0 ? 3 : 0;
}
