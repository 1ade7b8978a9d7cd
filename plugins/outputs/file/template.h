/*
 * template.h - `${name}` templates over a record, for the file output's `path` and its
 * `template` line format. Pure: no I/O, no host calls (names come through struct ls_fmt_ctx),
 * so it is unit-tested (tests/unit/test_file_path.c) and fuzzed (tests/fuzz/fuzz_file_path.c).
 *
 * Variables: time, received (RFC 3339 UTC, ns), timestamp ("Mmm dd hh:mm:ss" in the clock's
 * zone), host (the record's, else the local host name), app, procid, msgid, severity,
 * facility (names), pri (facility * 8 + severity, syslog defaults), message, raw, peer, input,
 * pipeline, and field.KEY (the first structured field named KEY). "${" always starts a
 * variable; any other '$' is literal. An unknown name or an unterminated "${" is a compile
 * error.
 *
 * Paths: every substituted value is sanitised to one harmless path component (fo_sanitize):
 * '/', NUL and control bytes become '_', it is cut to FO_VALUE_MAX bytes on a UTF-8 boundary,
 * and "", "." and ".." become "_"; absent values are "_". So no record can make a path leave
 * the directory the configuration names. '%' sequences in the literal parts are strftime(3)
 * conversions of the record's arrival time (`received`, not the time the message claims, so a
 * sender cannot pick dates), in UTC or local time, computed once per second.
 *
 * Lines: absent values are written as "-"; '\n' and NUL inside values become a space, so a
 * record is one line. The literal parts are written as configured.
 *
 * Memory: a compiled template owns its segments; fo_template_release / fo_path_release free
 * them. Rendering allocates nothing except growing the caller's ls_fmt_buf.
 */
#ifndef LS_FILE_TEMPLATE_H
#define LS_FILE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

#include "format.h"
#include "syslogfmt.h"

#define FO_VALUE_MAX 128  /* bytes of one substituted path value */
#define FO_PATH_MAX  4096 /* bytes of a rendered path, NUL included */

enum fo_var {
    FO_VAR_LITERAL = 0,
    FO_VAR_TIME,
    FO_VAR_RECEIVED,
    FO_VAR_TIMESTAMP,
    FO_VAR_HOST,
    FO_VAR_APP,
    FO_VAR_PROCID,
    FO_VAR_MSGID,
    FO_VAR_SEVERITY,
    FO_VAR_FACILITY,
    FO_VAR_PRI,
    FO_VAR_MESSAGE,
    FO_VAR_RAW,
    FO_VAR_PEER,
    FO_VAR_INPUT,
    FO_VAR_PIPELINE,
    FO_VAR_FIELD,
};

struct fo_seg {
    int var;    /* enum fo_var */
    char *text; /* LITERAL: the text; FIELD: the key. NUL-terminated, owned */
    size_t len;
};

struct fo_template {
    struct fo_seg *segs;
    size_t nsegs;
    size_t nvars;    /* segments that are variables */
    int has_percent; /* some literal contains '%' */
};

/* What rendering needs besides the record. All borrowed. */
struct fo_render_ctx {
    const struct ls_fmt_ctx *fmt;           /* input, pipeline, severity/facility names */
    const char *hostname;                   /* host of records that have none; may be NULL */
    struct ls_fmt_clock *clk;               /* ${timestamp}; per thread */
    const struct ls_fmt_syslog_opts *sopts; /* ${pri} defaults */
};

/* Compile src. Returns 0, or -1 with a one-line reason in err ("unknown variable '${foo}'"). */
int fo_template_compile(struct fo_template *t, const char *src, char *err, size_t errlen);
void fo_template_release(struct fo_template *t);

/* Append the line for r and "\n". */
void fo_template_line(struct ls_fmt_buf *b, const struct fo_template *t, const struct ls_record *r,
                      const struct fo_render_ctx *c);

/* Sanitise s[0, len) into out (at least FO_VALUE_MAX bytes); returns the length (>= 1). */
size_t fo_sanitize(const char *s, size_t len, char *out);

/* A compiled path template with its per-second strftime cache. */
struct fo_path {
    struct fo_template t;
    int utc;  /* strftime in UTC (else local time) */
    int have; /* the cache holds second `sec` */
    int64_t sec;
    char **lit; /* per segment: the literal after strftime (NULL for variables) */
    size_t *litlen;
};

int fo_path_init(struct fo_path *p, const char *src, int utc, char *err, size_t errlen);
void fo_path_release(struct fo_path *p);

/* 1 when the path has neither variables nor '%': every record goes to the same file. */
int fo_path_is_static(const struct fo_path *p);

/* Render the path for r into out[cap] (NUL-terminated). Returns the length, or -1 when it
 * would not fit in cap bytes. */
int fo_path_render(struct fo_path *p, const struct ls_record *r, const struct fo_render_ctx *c,
                   char *out, size_t cap);

/* The directory part of src before its first variable or '%' (the directory every rendered
 * path lies in): "/var/log/${app}/x.log" -> "/var/log", "app-${app}.log" -> ".". Caller frees. */
char *fo_path_static_dir(const char *src);

#endif /* LS_FILE_TEMPLATE_H */
