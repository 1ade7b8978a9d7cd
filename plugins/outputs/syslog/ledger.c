/*
 * ledger.c - held stream bytes and record boundaries of the syslog output (ledger.h).
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPACT_MIN (64u * 1024)       /* dead bytes before the buffer is compacted */
#define BUF_KEEP    (4u * 1024 * 1024) /* a larger empty buffer is freed */
#define ENDS_KEEP   4096u              /* record slots kept when the ledger empties */

void ls_sysout_ledger_init(struct ls_sysout_ledger *l)
{
    memset(l, 0, sizeof *l);
}

void ls_sysout_ledger_release(struct ls_sysout_ledger *l)
{
    ls_fmt_buf_release(&l->buf);
    free(l->ends);
    memset(l, 0, sizeof *l);
}

/* Logical offset -> pointer into the buffer. */
static const char *at(const struct ls_sysout_ledger *l, uint64_t off)
{
    return l->buf.data + l->head + (size_t)(off - l->base);
}

/* Start offset of held record i (an absolute index into ends). */
static uint64_t rec_start(const struct ls_sysout_ledger *l, size_t i)
{
    return i == l->rhead ? l->base : l->ends[i - 1];
}

/* Index of the first held record whose end is beyond off (rhead + rcount if none). */
static size_t first_ending_after(const struct ls_sysout_ledger *l, uint64_t off)
{
    size_t lo = l->rhead, hi = l->rhead + l->rcount;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->ends[mid] <= off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void compact(struct ls_sysout_ledger *l)
{
    size_t live = l->buf.len - l->head;

    if (live == 0) {
        l->buf.len = 0;
        l->head = 0;
        if (l->buf.cap > BUF_KEEP) {
            ls_fmt_buf_release(&l->buf);
        }
        return;
    }
    if (l->head >= COMPACT_MIN && l->head >= live) {
        memmove(l->buf.data, l->buf.data + l->head, live);
        l->buf.len = live;
        l->head = 0;
    }
}

struct ls_fmt_buf *ls_sysout_ledger_buf(struct ls_sysout_ledger *l)
{
    if (!l->appending) {
        compact(l);
        l->open = l->buf.len;
        l->appending = 1;
    }
    return &l->buf;
}

static void push_end(struct ls_sysout_ledger *l, uint64_t end)
{
    if (l->rhead + l->rcount == l->rcap) {
        if (l->rhead > 0) {
            memmove(l->ends, l->ends + l->rhead, l->rcount * sizeof *l->ends);
            l->rhead = 0;
        } else {
            size_t cap = l->rcap ? l->rcap * 2 : 64;
            uint64_t *n = realloc(l->ends, cap * sizeof *n);
            if (!n) {
                fprintf(stderr, "logstream: syslog: out of memory allocating %zu bytes\n",
                        cap * sizeof *n);
                abort();
            }
            l->ends = n;
            l->rcap = cap;
        }
    }
    l->ends[l->rhead + l->rcount++] = end;
}

void ls_sysout_ledger_commit(struct ls_sysout_ledger *l)
{
    size_t len;

    if (!l->appending) {
        return;
    }
    l->appending = 0;
    len = l->buf.len - l->open;
    if (len == 0) {
        return;
    }
    l->end += len;
    push_end(l, l->end);
}

size_t ls_sysout_ledger_unsent(const struct ls_sysout_ledger *l, const char **p)
{
    *p = l->sent < l->end ? at(l, l->sent) : NULL;
    return (size_t)(l->end - l->sent);
}

void ls_sysout_ledger_wrote(struct ls_sysout_ledger *l, size_t n)
{
    if (n > l->end - l->sent) {
        n = (size_t)(l->end - l->sent);
    }
    l->sent += n;
}

size_t ls_sysout_ledger_partial(const struct ls_sysout_ledger *l)
{
    size_t i = first_ending_after(l, l->sent);

    if (i >= l->rhead + l->rcount || rec_start(l, i) >= l->sent) {
        return 0;
    }
    return (size_t)(l->ends[i] - l->sent);
}

size_t ls_sysout_ledger_unsent_record(const struct ls_sysout_ledger *l, size_t k, const char **p)
{
    size_t i = first_ending_after(l, l->sent) + k;
    uint64_t start;

    if (i >= l->rhead + l->rcount) {
        *p = NULL;
        return 0;
    }
    start = rec_start(l, i);
    if (start < l->sent) {
        start = l->sent; /* only k == 0 can straddle `sent` */
    }
    *p = at(l, start);
    return (size_t)(l->ends[i] - start);
}

size_t ls_sysout_ledger_ack(struct ls_sysout_ledger *l, uint64_t unacked)
{
    uint64_t on_conn = l->sent - l->conn_start;
    uint64_t acked;
    uint64_t nbase = l->base;
    size_t n = 0;

    if (unacked > on_conn) {
        unacked = on_conn;
    }
    acked = l->sent - unacked;
    while (l->rcount > 0 && l->ends[l->rhead] <= acked) {
        nbase = l->ends[l->rhead];
        l->rhead++;
        l->rcount--;
        n++;
    }
    if (n == 0) {
        return 0;
    }
    l->head += (size_t)(nbase - l->base);
    l->base = nbase;
    if (l->rcount == 0) {
        l->rhead = 0;
        if (l->rcap > ENDS_KEEP) {
            free(l->ends);
            l->ends = NULL;
            l->rcap = 0;
        }
        if (!l->appending) {
            compact(l);
        }
    }
    return n;
}

size_t ls_sysout_ledger_rewind(struct ls_sysout_ledger *l)
{
    size_t j = first_ending_after(l, l->sent);
    size_t n = j - l->rhead;

    if (j < l->rhead + l->rcount && rec_start(l, j) < l->sent) {
        n++;
    }
    l->sent = l->base;
    l->conn_start = l->base;
    return n;
}

size_t ls_sysout_ledger_records(const struct ls_sysout_ledger *l)
{
    return l->rcount;
}

uint64_t ls_sysout_ledger_bytes(const struct ls_sysout_ledger *l)
{
    return l->end - l->base;
}

uint64_t ls_sysout_ledger_inflight(const struct ls_sysout_ledger *l)
{
    return l->sent - l->base;
}
