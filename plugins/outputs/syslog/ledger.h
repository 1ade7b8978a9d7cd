/*
 * ledger.h - the syslog output's record of what it wrote to a stream and what the peer's
 * kernel has acknowledged, so that a lost connection re-sends exactly the records that may
 * not have arrived. Pure: no I/O, no host calls; unit-tested on its own.
 *
 * Every framed record is appended once and gets a place in one logical byte stream that runs
 * across connections: offsets [base, end) are held, in order, record by record. Of those,
 * [base, sent) was handed to the current connection's socket, [sent, end) was not yet.
 * conn_start is the logical offset of the current connection's first byte.
 *
 * Invariants, after every call: base <= sent <= end and conn_start <= sent; base is a record
 * boundary; every held record ends in (base, end]; held bytes are end - base.
 *
 * A record leaves the ledger only when ls_sysout_ledger_ack() learns that every one of its
 * bytes was acknowledged (the caller reads the kernel's count of unacknowledged bytes, Linux
 * SIOCOUTQ). When the connection is lost, ls_sysout_ledger_rewind() makes every held record
 * unsent again, so the next connection starts with the first record not wholly acknowledged.
 *
 * Memory: the ledger owns its buffers (ls_sysout_ledger_release frees them). They hold the
 * held bytes plus compaction slack; a large buffer is freed once the ledger is empty.
 */
#ifndef LS_SYSOUT_LEDGER_H
#define LS_SYSOUT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"

struct ls_sysout_ledger {
    struct ls_fmt_buf buf; /* held bytes are buf.data[head, buf.len) */
    size_t head;
    uint64_t base, end;  /* logical offsets of the held bytes */
    uint64_t sent;       /* written to the current connection up to here */
    uint64_t conn_start; /* the current connection's byte 0 */
    uint64_t *ends;      /* end offset of each held record: ends[rhead, rhead + rcount) */
    size_t rhead, rcount, rcap;
    size_t open;   /* buf.len when the record being appended began */
    int appending; /* between ls_sysout_ledger_buf() and _commit() */
};

/* Zero-initialised is empty too. */
void ls_sysout_ledger_init(struct ls_sysout_ledger *l);
void ls_sysout_ledger_release(struct ls_sysout_ledger *l);

/* Append one record: write its frame to the returned buffer (append only), then commit. A
 * commit of zero bytes adds no record. */
struct ls_fmt_buf *ls_sysout_ledger_buf(struct ls_sysout_ledger *l);
void ls_sysout_ledger_commit(struct ls_sysout_ledger *l);

/* The bytes not yet written to the current connection: *p and the returned length. */
size_t ls_sysout_ledger_unsent(const struct ls_sysout_ledger *l, const char **p);
/* n more bytes were written (n <= the unsent length). */
void ls_sysout_ledger_wrote(struct ls_sysout_ledger *l, size_t n);

/* Bytes from `sent` to the end of the record it falls in: 0 when `sent` is a record boundary.
 * Writing them first lets a connection be closed without a record cut in two. */
size_t ls_sysout_ledger_partial(const struct ls_sysout_ledger *l);

/* The k-th unsent record (k = 0 is the one at `sent`; `sent` must be a record boundary, as it
 * always is when whole records are written, e.g. as datagrams). Returns its length and sets
 * *p, or returns 0 when there is no such record. */
size_t ls_sysout_ledger_unsent_record(const struct ls_sysout_ledger *l, size_t k, const char **p);

/* The kernel still holds `unacked` bytes of this connection unacknowledged. Releases every
 * record all of whose bytes were acknowledged; returns how many. An `unacked` larger than
 * what this connection was sent counts as all of it (nothing is released). */
size_t ls_sysout_ledger_ack(struct ls_sysout_ledger *l, uint64_t unacked);

/* The connection is gone: everything held becomes unsent, and the next connection starts at
 * base. Returns the number of held records that had been written in part or in whole (they
 * will be written again). */
size_t ls_sysout_ledger_rewind(struct ls_sysout_ledger *l);

/* Records and bytes held (written but not acknowledged, or not yet written). */
size_t ls_sysout_ledger_records(const struct ls_sysout_ledger *l);
uint64_t ls_sysout_ledger_bytes(const struct ls_sysout_ledger *l);
/* Bytes of held records written to this connection (sent - base): zero when there is nothing
 * to learn from the kernel's acknowledgement count. */
uint64_t ls_sysout_ledger_inflight(const struct ls_sysout_ledger *l);

#endif /* LS_SYSOUT_LEDGER_H */
