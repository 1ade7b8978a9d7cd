/*
 * jcursor.h - the journald input's resume position: the cursor file, and the tokens that tie
 * a delivery acknowledgement back to the journal cursor it stands for. No libsystemd and no
 * host calls, so both are unit-tested on their own (tests/unit/test_journald_cursor.c).
 *
 * Cursor file: one line, the sd_journal cursor of the newest entry whose delivery was
 * acknowledged, then "\n". Written atomically: a temporary file next to it is written and
 * fsync'ed, renamed over it, and the directory fsync'ed, so after a crash the file holds either
 * the old cursor or the new one, never a mix.
 *
 * Tokens: every appended entry gets a token (1, 2, 3, ...), and the input tags its open batch
 * with the newest one (ls_input_set_token). The core acknowledges a batch with the token it
 * carried, so only the last token of each batch can ever come back. The tracker keeps the
 * cursor of the entry last appended (the open batch's candidate) and, once a batch is known to
 * be closed, the cursor of its last entry until that batch is acknowledged: memory in
 * proportion to the batches in flight, not the entries.
 */
#ifndef LS_JOURNALD_JCURSOR_H
#define LS_JOURNALD_JCURSOR_H

#include <stddef.h>
#include <stdint.h>

#define JD_CURSOR_MAX 1024 /* longest cursor accepted from a file (real ones are ~130 bytes) */

/* Load result codes besides 0 and -errno. */
#define JD_CURSOR_MISSING (-1000) /* the file does not exist */
#define JD_CURSOR_INVALID (-1001) /* the file exists but does not hold a cursor */

/* 1 if s[0..len) can be a cursor: 1..JD_CURSOR_MAX printable ASCII bytes, no spaces. */
int jd_cursor_valid(const char *s, size_t len);

/* Read the cursor in `path` into *out (caller frees). Returns 0, JD_CURSOR_MISSING,
 * JD_CURSOR_INVALID (why says what is wrong: "it is empty", ...), or -errno (unreadable). */
int jd_cursor_load(const char *path, char **out, char *why, size_t whysize);

/* Replace `path` atomically with cursor + "\n" (temporary file path + ".tmp"). Returns 0 or
 * -errno; *stage names the step that failed ("open", "write", "fsync", "rename", ...). */
int jd_cursor_save(const char *path, const char *cursor, const char **stage);

/* "<state_dir>/journald-<instance>.cursor", with any byte of instance outside
 * [A-Za-z0-9._-] written as '_'. Caller frees. */
char *jd_cursor_default_path(const char *state_dir, const char *instance);

/* mkdir -p the directory that holds `path` (mode 0750 for the directories it creates).
 * Returns 0 or -errno. */
int jd_mkdir_parent(const char *path);

/* ---- tokens ---- */

struct jd_pending {
    uint64_t token;
    char *cursor; /* owned; NULL if libsystemd could not give one */
};

/* Zero-initialised is empty. */
struct jd_tokens {
    uint64_t last;           /* the newest token given */
    uint64_t acked;          /* the newest token acknowledged */
    struct jd_pending cur;   /* the entry last appended; token 0 = none */
    struct jd_pending *fifo; /* last entries of closed, unacknowledged batches, oldest first */
    size_t head, count, cap; /* ring */
};

/* An entry was appended: it takes ownership of cursor (may be NULL) and returns the entry's
 * token. new_batch: the entry is the first of a batch (so the previous entry's token was the
 * last one given to a batch that is now closed). */
uint64_t jd_tokens_add(struct jd_tokens *t, char *cursor, int new_batch);

/* The core acknowledged `token`: returns the cursor to persist (caller frees), or NULL when
 * there is nothing newer to write (an older or unknown token, or an entry without cursor). */
char *jd_tokens_ack(struct jd_tokens *t, uint64_t token);

/* Batches in flight whose cursor is kept (for tests and debugging). */
size_t jd_tokens_inflight(const struct jd_tokens *t);

void jd_tokens_release(struct jd_tokens *t);

#endif /* LS_JOURNALD_JCURSOR_H */
