/*
 * format.h - record formatting shared by output plugins (file, syslog, ...), with no I/O and no
 * host calls, so it can be unit-tested and fuzzed on its own. Built as the static library
 * ls_plugin_common that plugins link; it is plugin-side code, not part of the core.
 *
 * JSON strings: '"' and '\\' are escaped, control characters (0x00-0x1f and 0x7f) are written
 * as \u00xx, valid UTF-8 passes through unchanged, and each maximal ill-formed subsequence
 * (stray continuation bytes, overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences; Unicode 15 §3.9 "U+FFFD substitution of maximal subparts") becomes one U+FFFD. The
 * output is therefore always valid UTF-8 and valid JSON, whatever bytes came in.
 *
 * Times are RFC 3339 UTC with nanoseconds: "2026-11-23T10:00:00.123456789Z".
 *
 * Memory: struct ls_fmt_buf is embedded by its user (zero-initialised is empty) and owns its
 * bytes; ls_fmt_buf_release() frees them. Growth aborts with the size if malloc fails.
 */
#ifndef LS_PLUGIN_FORMAT_H
#define LS_PLUGIN_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

/* A growable byte buffer (not NUL-terminated). */
struct ls_fmt_buf {
    char *data;
    size_t len, cap;
};

void ls_fmt_buf_release(struct ls_fmt_buf *b);
/* Make room for `more` bytes after len. */
void ls_fmt_buf_reserve(struct ls_fmt_buf *b, size_t more);
void ls_fmt_buf_add(struct ls_fmt_buf *b, const void *data, size_t len);

/* Append `len` bytes of `s` as a JSON string, quotes included. s may be NULL when len is 0. */
void ls_fmt_json_string(struct ls_fmt_buf *b, const char *s, size_t len);

/* Length of the RFC 3339 text for any int64 ns time, plus the NUL. */
#define LS_FMT_TIME_SIZE 32
/* Write `ns` (since the epoch, may be negative) into out, NUL-terminated; returns the length
 * (always 30: the years of an int64 ns time are 1677..2262). */
size_t ls_fmt_time(char out[LS_FMT_TIME_SIZE], int64_t ns);

/* Deepest nesting of arrays and objects ls_json_valid() accepts. */
#define LS_JSON_MAX_DEPTH 64
/* 1 if s[0, len) is exactly one JSON value (RFC 8259; surrounding whitespace allowed) whose
 * strings are valid UTF-8 and whose nesting is at most LS_JSON_MAX_DEPTH; else 0. */
int ls_json_valid(const char *s, size_t len);
/* Append a value ls_json_valid() accepted, without the whitespace outside strings (so it fits
 * on one line). */
void ls_fmt_json_compact(struct ls_fmt_buf *b, const char *s, size_t len);

/* What a record line needs besides the record. Names: NULL when unknown (written as null). */
struct ls_fmt_ctx {
    const char *input;    /* ls_batch_input(); may be NULL */
    const char *pipeline; /* ls_batch_pipeline(); may be NULL */
    const char *(*severity_name)(int severity);
    const char *(*facility_name)(int facility);
};

/* raw: the record's raw bytes and "\n". */
void ls_fmt_record_raw(struct ls_fmt_buf *b, const struct ls_record *r);

/* json: one object and "\n": time, received, severity, facility, host, app, procid, msgid,
 * message, raw, peer, input, pipeline, the trusted pid, uid, gid (only those the kernel gave
 * the input), then every field by key, in order. Absent slices are
 * null; non-finite doubles are null; a JSON field is written as is (compacted) only when it is
 * valid JSON, otherwise as a string. */
void ls_fmt_record_json(struct ls_fmt_buf *b, const struct ls_record *r,
                        const struct ls_fmt_ctx *ctx);

#endif /* LS_PLUGIN_FORMAT_H */
