/*
 * fieldmap.h - what the json and logfmt parsers share: the key lists that map a line's keys
 * onto the record's own members (severity, message, app, time, host), the words and numbers
 * that name a severity, time values (RFC 3339 text, epoch numbers), and a snapshot that puts a
 * record back exactly as it was when a parse fails half way. No I/O and no host calls, so it is
 * unit-tested and fuzzed with the parsers. (The logfmt plugin compiles this file too.)
 *
 * Ownership: a keymap borrows the key strings it is given (the plugin's config); it must not
 * outlive them. Nothing here allocates.
 */
#ifndef LS_PARSERS_FIELDMAP_H
#define LS_PARSERS_FIELDMAP_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

/* What a key of the line sets. */
enum ls_fmap_target {
    LS_FMAP_NONE = -1, /* an ordinary field */
    LS_FMAP_LEVEL = 0, /* r->severity */
    LS_FMAP_MESSAGE,   /* r->message */
    LS_FMAP_APP,       /* r->app */
    LS_FMAP_TIME,      /* r->time */
    LS_FMAP_HOST,      /* r->host */
    LS_FMAP_NTARGETS,
};

/* Keys of up to 8 bytes are compared as one integer (see ls_fmap_set); this many per target. */
#define LS_FMAP_PACKED 8

/* The keys of each target, compared ASCII case-insensitively. */
struct ls_fmap {
    const char *const *keys[LS_FMAP_NTARGETS];
    size_t nkeys[LS_FMAP_NTARGETS];
    /* The first LS_FMAP_PACKED keys of up to 8 bytes of each target, lowercased and packed
     * little-endian into an integer, with their lengths; the other keys are compared byte by
     * byte (slow[t] says target t has some). */
    uint64_t pk[LS_FMAP_NTARGETS][LS_FMAP_PACKED];
    unsigned char pklen[LS_FMAP_NTARGETS][LS_FMAP_PACKED];
    unsigned char npk[LS_FMAP_NTARGETS];
    unsigned char slow[LS_FMAP_NTARGETS];
};

/* Default key lists (the same text is the option tables' defaults). */
#define LS_FMAP_DEF_LEVEL   "[level, severity, lvl]"
#define LS_FMAP_DEF_MESSAGE "[msg, message]"
#define LS_FMAP_DEF_APP     "[service, app, logger]"
#define LS_FMAP_DEF_TIME    "[time, timestamp, ts]"
#define LS_FMAP_DEF_HOST    "[host, hostname]"

/* Set target t's keys (borrowed: `count` NUL-terminated strings; count 0 = none). */
void ls_fmap_set(struct ls_fmap *m, int target, char *const *keys, size_t count);

/* The target of key[0, len), or LS_FMAP_NONE. */
int ls_fmap_lookup(const struct ls_fmap *m, const char *key, size_t len);

/* A severity word, case-insensitive: the syslog names and aliases ls_severity_parse() knows
 * (emerg, panic, alert, crit, critical, err, error, warn, warning, notice, info, information,
 * informational, debug, emergency) and trace/verbose -> debug, fatal -> crit, severe -> err;
 * also a decimal number (ls_fmap_severity_number). Returns 0..7 or -1. */
int ls_fmap_severity_word(const char *s, size_t len);

/* A numeric level: 0..7 are syslog severities; 10, 20, 30, 40, 50, 60 are the pino/bunyan
 * levels trace, debug, info, warn, error, fatal. Returns 0..7 or -1. */
int ls_fmap_severity_number(int64_t n);

/* RFC 3339: YYYY-MM-DD(T|t| )HH:MM:SS[.frac](Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM). Fraction digits
 * past nanoseconds are ignored; second 60 (leap) is accepted. Returns 0 and *ns, or -1 (also
 * when the time is outside what int64 ns can hold: 1677..2262). */
int ls_fmap_time_rfc3339(const char *s, size_t len, int64_t *ns);

/* Epoch time as an integer, its unit chosen by magnitude: below 1e11 seconds, below 1e14
 * milliseconds, below 1e17 microseconds, else nanoseconds. Negative values are refused.
 * Returns 0 and *ns, or -1. */
int ls_fmap_time_epoch_int(int64_t v, int64_t *ns);
/* The same for a number with a fraction (1700000000.25 s), rounded to the microsecond (a
 * double holds about 16 digits) unless it is in nanoseconds; NaN and infinities are refused. */
int ls_fmap_time_epoch_double(double v, int64_t *ns);

/* A time value given as text: RFC 3339, or an epoch number written as digits with an
 * optional fraction ("1700000000", "1700000000.123", "1700000000123"). Returns 0 or -1. */
int ls_fmap_time_text(const char *s, size_t len, int64_t *ns);

/* The members of a record a parser may change, taken before parsing so that a failure half
 * way can put the record back exactly as it was (fields added since are unlinked; their arena
 * bytes stay until the batch is freed). */
struct ls_fmap_snap {
    int64_t time;
    int severity;
    uint32_t flags, nfields;
    struct ls_slice host, app, message;
    struct ls_field *tail;
};

void ls_fmap_snap_take(struct ls_fmap_snap *s, const struct ls_record *r);
void ls_fmap_snap_restore(const struct ls_fmap_snap *s, struct ls_record *r);

#endif /* LS_PARSERS_FIELDMAP_H */
