/*
 * json_parse.h - the json parser's logic: a record whose message is one JSON object becomes
 * the record's own members plus typed fields. No I/O, so it is unit-tested and fuzzed alone;
 * it changes records only through the batch functions of plugin.h (arena and fields).
 *
 * The message (after leading and trailing whitespace) must be exactly one JSON object, nested
 * at most max_depth levels deep (the object itself is level 1). Its top-level keys are looked
 * up in the keymap: the first key of the line that maps to a target and whose value fits it
 * sets that member (level: a severity word or number; message, app, host: a string, app and
 * host non-empty; time: RFC 3339 text or an epoch number); every other key becomes a field, in
 * the object's order: strings, ints, doubles, booleans and null by type, nested objects and
 * arrays as JSON text - or, with flatten, one field per leaf under a dotted key ("a.b",
 * "tags.0"), empty objects and arrays as the JSON text "{}" / "[]". Integers beyond int64 are
 * kept as JSON text with their digits.
 *
 * Strings written without escapes and nested JSON text are slices of the message (no copy):
 * JSON text exactly as written, whitespace included. Escaped strings are decoded into the
 * arena. Where the text cannot be used - duplicate keys, json-c
 * leniencies (single quotes, NaN, Infinity) inside a nested value, more than LS_JSON_RAW_MAX
 * keys - json-c's values are copied and nested values serialised compactly by json-c.
 *
 * On any failure the record is left exactly as it was (nothing added, nothing changed) and a
 * negative LS_JSON_E* code is returned; the caller flags and counts it.
 *
 * Ownership: the parser owns one json-c tokener and a scratch buffer for flattened keys; it
 * borrows the keymap's strings. One parser per thread (the plugin keeps one per instance).
 *
 * While it parses a record, ls_json_parse_record makes the C locale the calling thread's own
 * (uselocale) and puts the thread's locale back before it returns. json-c 0.16 switches to the
 * C numeric locale around every parse, copying the thread's locale to do so (duplocale +
 * newlocale + freelocale, about 150 ns); when the thread already uses glibc's static C locale
 * object, that copy is nearly free. Numbers are read and written in the C locale either way.
 */
#ifndef LS_JSON_PARSE_H
#define LS_JSON_PARSE_H

#include <locale.h>
#include <stddef.h>

#include <logstream/plugin.h>

#include "fieldmap.h"

/* Why a record was not parsed. */
enum {
    LS_JSON_ENOTOBJECT = -1, /* valid JSON, but not an object (or not JSON at all) */
    LS_JSON_EINVALID = -2,   /* not valid JSON, or something after the object */
    LS_JSON_EDEPTH = -3,     /* nested deeper than max_depth */
    LS_JSON_ETOOMANY = -4,   /* more than max_fields fields (or the core's per-record cap) */
    LS_JSON_NREASONS = 4,    /* -code - 1 indexes ls_json_reason() names */
};

#define LS_JSON_MAX_DEPTH_LIMIT 1000

struct ls_json_opts {
    int flatten;       /* 1: nested values become dotted-key fields */
    int max_depth;     /* 1..LS_JSON_MAX_DEPTH_LIMIT */
    size_t max_fields; /* fields this parser may add to one record, >= 1 */
    struct ls_fmap map;
};

struct json_tokener;
struct ls_json_raw;

/* Members of one line whose text positions are remembered (see json_parse.c); lines with
 * more take json-c's values for everything. */
#define LS_JSON_RAW_MAX 128

struct ls_json_parser {
    struct ls_json_opts o;
    struct json_tokener *tok;
    struct ls_json_raw *raw; /* LS_JSON_RAW_MAX slots, allocated once */
    char *key;               /* flattened key being built */
    size_t key_cap;
    locale_t c_locale; /* the C locale, made the thread's own while a record is parsed */
};

/* Copies *o (the keymap's strings stay borrowed). Aborts only if malloc fails. */
void ls_json_parser_init(struct ls_json_parser *p, const struct ls_json_opts *o);
void ls_json_parser_release(struct ls_json_parser *p);

/* Parse r->message into r. Returns 0, or a negative LS_JSON_E* code with r unchanged. */
int ls_json_parse_record(struct ls_json_parser *p, struct ls_batch *b, struct ls_record *r);

/* "not_object", "invalid", "too_deep", "too_many_fields" for a LS_JSON_E* code; NULL else. */
const char *ls_json_reason(int code);

#endif /* LS_JSON_PARSE_H */
