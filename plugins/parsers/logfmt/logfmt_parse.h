/*
 * logfmt_parse.h - the logfmt parser's logic: `key=value key2="quoted value"` -> record
 * members and string fields. No I/O, so it is unit-tested and fuzzed alone; it changes
 * records only through the batch functions of plugin.h, and allocates no heap memory: values
 * point into the message, except quoted values with escapes, decoded into the batch arena.
 *
 * Syntax. Pairs are separated by spaces or tabs (any byte <= ' '). A key is one or more bytes
 * above ' ' other than '=' and '"', followed by '='. A value is either empty (`key=`), bare
 * (bytes above ' ' up to the next separator, '=' and '"' allowed inside), or quoted: '"', then
 * anything with the escapes \" \\ \/ \b \f \n \r \t \uXXXX (UTF-16 surrogate pairs joined,
 * other code units written as UTF-8) and \xHH decoded (any other backslash is kept as is), then
 * '"' followed by a separator or the end. Anything else - a word without '=', '=' with no key,
 * an unterminated quote, text glued to a closing quote, or a line with no pair at all - means
 * the message is not logfmt.
 *
 * Mapping. As in the json parser (fieldmap.h): the first key that maps to a target and whose
 * value fits sets the record's severity, message, app, time or host; the rest become string
 * fields in line order (logfmt has no types: "200" stays the string "200").
 *
 * On any failure the record is left exactly as it was and a negative LS_LOGFMT_E* code is
 * returned; the caller flags and counts it.
 */
#ifndef LS_LOGFMT_PARSE_H
#define LS_LOGFMT_PARSE_H

#include <stddef.h>

#include <logstream/plugin.h>

#include "../json/fieldmap.h"

enum {
    LS_LOGFMT_ESYNTAX = -1,  /* not logfmt */
    LS_LOGFMT_ETOOMANY = -2, /* more than max_fields fields (or the core's per-record cap) */
};

struct ls_logfmt_opts {
    size_t max_fields; /* fields this parser may add to one record, >= 1 */
    struct ls_fmap map;
};

/* Parse r->message into r. Returns 0, or a negative LS_LOGFMT_E* code with r unchanged. */
int ls_logfmt_parse_record(const struct ls_logfmt_opts *o, struct ls_batch *b, struct ls_record *r);

#endif /* LS_LOGFMT_PARSE_H */
