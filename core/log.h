/*
 * log.h - the daemon's own log: stderr, text or JSON, with a level. Lines are lowercase and
 * say what failed on which object; plugin lines carry the `[kind:plugin:instance]` prefix.
 * Identical consecutive messages within a short window are folded into one line plus a
 * "message repeated N times" count. Thread-safe.
 */
#ifndef LS_LOG_H
#define LS_LOG_H

#include <stdarg.h>

#include "logstream/plugin.h"

/* Configure (main thread, before threads start; may be called again on reload). */
void ls_log_setup(int level, int json);
int ls_log_level(void);

/* Core messages. `prefix` may be NULL; otherwise "[input:tcp:name]"-style, printed first. */
void ls_logp(int level, const char *prefix, const char *fmt, ...) LS_PRINTF(3, 4);
void ls_vlogp(int level, const char *prefix, const char *fmt, va_list ap) LS_PRINTF(3, 0);

#define ls_err(...)  ls_logp(LS_LOG_ERROR, NULL, __VA_ARGS__)
#define ls_warn(...) ls_logp(LS_LOG_WARN, NULL, __VA_ARGS__)
#define ls_info(...) ls_logp(LS_LOG_INFO, NULL, __VA_ARGS__)
#define ls_debug(...)                                                                              \
    do {                                                                                           \
        if (ls_log_level() >= LS_LOG_DEBUG)                                                        \
            ls_logp(LS_LOG_DEBUG, NULL, __VA_ARGS__);                                              \
    } while (0)

/* Flush a pending "repeated N times" line (at exit). */
void ls_log_flush(void);

#endif /* LS_LOG_H */
