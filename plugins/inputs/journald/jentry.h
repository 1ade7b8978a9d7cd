/*
 * jentry.h - one journal entry, copied out of libsystemd field by field, and its mapping onto a
 * record. Pure: no libsystemd, no I/O, no host calls other than the batch functions the mapping
 * writes through, so it is unit-tested on its own (tests/unit/test_journald_entry.c).
 *
 * Why copy: the data pointers sd_journal_enumerate_data() returns are only valid until the next
 * call, so every field is copied into the entry's scratch buffer as it is enumerated. The buffer
 * is reused from entry to entry; its size is bounded by the limits: at most max_message bytes of
 * MESSAGE, max_field_size bytes of any other value (longer values are cut and counted), and
 * max_fields extra fields (further ones are dropped and counted). Values are binary-safe.
 *
 * Mapping (jd_entry_apply): MESSAGE -> raw and message (given to ls_input_append by the caller),
 * PRIORITY -> severity, SYSLOG_FACILITY -> facility, SYSLOG_IDENTIFIER (else _COMM) -> app,
 * _PID -> procid and the trusted pid, _UID/_GID -> uid/gid, _HOSTNAME -> host, the entry's
 * realtime timestamp -> time. A field that set a member is not repeated as a field (the first
 * of each name does; a value that does not parse, such as PRIORITY=x, stays a field). Every
 * other field becomes a string field named as in the journal, in journal order, if `keep`
 * accepts its name.
 */
#ifndef LS_JOURNALD_JENTRY_H
#define LS_JOURNALD_JENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <logstream/plugin.h>

#define JD_KEY_MAX 64 /* longest field name accepted (journald's own limit) */

struct jd_limits {
    size_t max_message;    /* MESSAGE bytes kept */
    size_t max_field_size; /* bytes kept of every other value */
    size_t max_fields;     /* extra (unmapped) fields kept per entry */
};

/* Which extra fields to keep: all, or those named in names[0..n). Borrowed. */
struct jd_keep {
    int all;
    const char *const *names;
    size_t n;
};

/* The member a field may set. */
enum jd_role {
    JD_EXTRA = 0,
    JD_MESSAGE,
    JD_PRIORITY,
    JD_FACILITY,
    JD_IDENTIFIER,
    JD_COMM,
    JD_PID,
    JD_UID,
    JD_GID,
    JD_HOSTNAME,
    JD_NROLES
};

struct jd_kv {
    size_t key_off, key_len; /* in bytes */
    size_t val_off, val_len;
    int role; /* enum jd_role; JD_EXTRA unless it is the first of its name */
};

/* Zero-initialised is empty. Owns its buffers; release with jd_entry_release(). */
struct jd_entry {
    char *bytes;
    size_t len, cap;
    struct jd_kv *kv;
    size_t nkv, kvcap;
    size_t nextra;         /* extra fields stored */
    int found[JD_NROLES];  /* index into kv + 1 of the first field of each role; 0 = none */
    int64_t realtime_usec; /* the entry's __REALTIME_TIMESTAMP; -1 if unknown */
    unsigned truncated;    /* values cut at their limit */
    unsigned dropped;      /* fields not kept: beyond max_fields */
    unsigned malformed;    /* data without '=' or with an invalid name: skipped */
};

/* Forget the previous entry, keep the buffers. */
void jd_entry_reset(struct jd_entry *e);
void jd_entry_release(struct jd_entry *e);

/* Add one "NAME=value" datum as libsystemd returns it (len bytes, not NUL-terminated). Fields
 * `keep` rejects are skipped unless they map to a member. */
void jd_entry_add(struct jd_entry *e, const struct jd_limits *lim, const struct jd_keep *keep,
                  const void *data, size_t len);

/* The MESSAGE bytes (NULL, 0 when the entry has none): the record's raw. */
const char *jd_entry_message(const struct jd_entry *e, size_t *len);

/* Set r's members and add its fields (bytes copied into b). r was made from
 * jd_entry_message(). Flags r truncated when any value was cut. Returns the number of fields
 * dropped here: extras beyond max_fields (a _COMM that did not become app is an extra too), or
 * refused by the core's per-record cap. */
unsigned jd_entry_apply(const struct jd_entry *e, const struct jd_keep *keep, size_t max_fields,
                        struct ls_batch *b, struct ls_record *r);

/* 1 if keep accepts the field name key[0..len). */
int jd_keep_match(const struct jd_keep *keep, const char *key, size_t len);

#endif /* LS_JOURNALD_JENTRY_H */
