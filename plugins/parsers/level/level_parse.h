/*
 * level_parse.h - the level parser's logic: find the level word and the service name of a
 * plain text line. No I/O, no host calls and no allocation: it only reads the message and sets
 * slices that point into it, so it is unit-tested and fuzzed on its own.
 *
 * Level. Only these words count, ASCII case-insensitively, as whole tokens: TRACE and DEBUG
 * (debug), INFO (info), NOTICE (notice), WARN and WARNING (warning), ERROR and ERR (err), CRIT,
 * CRITICAL and FATAL (crit), ALERT (alert), EMERG (emerg). A token is a maximal run of letters,
 * digits and "_-./@", a trailing '.' dropped: "terror", "INFORMATION", "error-prone",
 * "com.error.Handler" and "/api/error" hold no level word. The token must start within the
 * first max_offset bytes of the message and stand where levels stand:
 *   - glog: the message starts with I, W, E or F, four digits, a space and HH:MM
 *     ("E1122 10:00:00.000000 ...": info, warning, err, crit);
 *   - after a level key: level, lvl, severity, loglevel followed by '=' or ':' (quotes and
 *     spaces around allowed: level=error, "level":"warn", severity: info);
 *   - alone in brackets, or after ':' in them: [ERROR], <warn>, (Info), [core:error];
 *   - written in capitals (ERROR, WARN) anywhere before max_offset;
 *   - the first word of the line, any case: only timestamps, numbers, punctuation, bracketed
 *     text and month/weekday names may come before it ("2026-11-23 10:00:00,123 error ...",
 *     "[svc] warning: ...").
 * The first token that qualifies wins.
 *
 * Service (when enabled). The first of:
 *   - a service key (configurable; default service, svc, app) followed by '=' or ':' and a
 *     value (service=payment, svc:payment, "service":"payment", app: "checkout"); a quoted value
 *     is taken between its quotes as written (escapes are not decoded);
 *   - a bracketed name [payment-service] (letters, digits, "_-.", starting with a letter or
 *     digit and holding a letter, not a level word) that is the first word of the line or
 *     comes right after the level word ("ERROR [svc] msg", "[svc] ERROR msg").
 * Service names are at most 128 bytes.
 */
#ifndef LS_LEVEL_PARSE_H
#define LS_LEVEL_PARSE_H

#include <stddef.h>

#include <logstream/plugin.h>

#define LS_LEVEL_MAX_SERVICE 128

struct ls_level_opts {
    int override;      /* set the severity even when the record already has one */
    int service;       /* detect the service and set app when the record has none */
    size_t max_offset; /* a level word, level key, service key or [service] must start before
                        * this byte of the message (a key's value may end after it) */
    const char *const *service_keys; /* borrowed */
    size_t nservice_keys;
};

/* What ls_level_scan found. */
struct ls_level_found {
    int severity;            /* 0..7, or -1 when no level word was found */
    struct ls_slice level;   /* the level token, when found */
    struct ls_slice service; /* points into the scanned text; ptr NULL when none found */
};

/* Scan s[0, len). want_level / want_service: what to look for (the scan stops early once
 * everything wanted is found). */
void ls_level_scan(const struct ls_level_opts *o, const char *s, size_t len, int want_level,
                   int want_service, struct ls_level_found *out);

/* Apply to one record: sets r->severity when a level is found and (override or the record has
 * none), and r->app to a slice of r->message when the service option is on, a service is
 * found and r->app is empty. Returns 1 when r changed, 0 when not. Never fails. */
int ls_level_parse_record(const struct ls_level_opts *o, struct ls_record *r);

#endif /* LS_LEVEL_PARSE_H */
