/*
 * log.c - the daemon's own log. One mutex serialises lines so threads never interleave; the
 * repeat folding keeps a hostile peer from flooding stderr with one message.
 */
#include "log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define REPEAT_WINDOW_NS (10LL * 1000000000LL)

static atomic_int log_level = LS_LOG_INFO;
static int log_json;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

/* The last line written, for folding identical repeats. */
static char *last_line;
static int last_level;
static char *last_prefix;
static unsigned long repeats;
static int64_t last_time;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void ls_log_setup(int level, int json)
{
    atomic_store(&log_level, level);
    log_json = json;
}

int ls_log_level(void)
{
    return atomic_load_explicit(&log_level, memory_order_relaxed);
}

LS_EXPORT int ls_log_enabled(int level)
{
    return level <= ls_log_level();
}

static void emit(int level, const char *prefix, const char *msg)
{
    struct ls_sbuf sb;
    char ts[40];
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);

    ls_sbuf_init(&sb);
    if (log_json) {
        ls_sbuf_addf(&sb, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\"", ts, now.tv_nsec / 1000000,
                     level_names[level]);
        if (prefix) {
            ls_sbuf_addstr(&sb, ",\"instance\":");
            ls_sbuf_add_json_string(&sb, prefix);
        }
        ls_sbuf_addstr(&sb, ",\"msg\":");
        ls_sbuf_add_json_string(&sb, msg);
        ls_sbuf_addstr(&sb, "}\n");
    } else {
        ls_sbuf_addf(&sb, "%s.%03ldZ %s %s%s%s\n", ts, now.tv_nsec / 1000000, level_names[level],
                     prefix ? prefix : "", prefix ? " " : "", msg);
    }
    fwrite(sb.buf, 1, sb.len, stderr);
    ls_sbuf_release(&sb);
}

static void flush_repeats_locked(void)
{
    if (repeats > 0 && last_line) {
        char *m = ls_xasprintf("last message repeated %lu times", repeats);
        emit(last_level, last_prefix, m);
        free(m);
    }
    repeats = 0;
}

static int same_str(const char *a, const char *b)
{
    if (!a || !b) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

void ls_vlogp(int level, const char *prefix, const char *fmt, va_list ap)
{
    char *msg;
    int64_t now;

    if (level < LS_LOG_ERROR) {
        level = LS_LOG_ERROR;
    }
    if (level > LS_LOG_DEBUG) {
        level = LS_LOG_DEBUG;
    }
    if (level > ls_log_level()) {
        return;
    }
    {
        struct ls_sbuf sb;
        ls_sbuf_init(&sb);
        ls_sbuf_vaddf(&sb, fmt, ap);
        msg = ls_sbuf_detach(&sb);
    }
    now = ls_mono_now();

    pthread_mutex_lock(&log_mu);
    if (last_line && level == last_level && same_str(prefix, last_prefix) &&
        strcmp(msg, last_line) == 0 && now - last_time < REPEAT_WINDOW_NS) {
        repeats++;
        pthread_mutex_unlock(&log_mu);
        free(msg);
        return;
    }
    flush_repeats_locked();
    emit(level, prefix, msg);
    free(last_line);
    free(last_prefix);
    last_line = msg;
    last_prefix = prefix ? ls_xstrdup(prefix) : NULL;
    last_level = level;
    last_time = now;
    pthread_mutex_unlock(&log_mu);
}

void ls_logp(int level, const char *prefix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ls_vlogp(level, prefix, fmt, ap);
    va_end(ap);
}

void ls_log_flush(void)
{
    pthread_mutex_lock(&log_mu);
    flush_repeats_locked();
    free(last_line);
    free(last_prefix);
    last_line = NULL;
    last_prefix = NULL;
    pthread_mutex_unlock(&log_mu);
    fflush(stderr);
}
