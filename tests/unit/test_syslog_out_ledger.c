/* test_syslog_out_ledger.c - the syslog output's ack ledger and reconnect backoff
 * (plugins/outputs/syslog/ledger.c, backoff.c), alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/outputs/syslog/backoff.h"
#include "../../plugins/outputs/syslog/ledger.h"

#define MS 1000000LL
#define S  1000000000LL

/* Append one record of `len` bytes, each byte `fill`. */
static void add(struct ls_sysout_ledger *l, size_t len, char fill)
{
    struct ls_fmt_buf *b = ls_sysout_ledger_buf(l);
    char *tmp = malloc(len ? len : 1);

    assert_non_null(tmp);
    memset(tmp, fill, len);
    ls_fmt_buf_add(b, tmp, len);
    free(tmp);
    ls_sysout_ledger_commit(l);
}

static void add_str(struct ls_sysout_ledger *l, const char *s)
{
    ls_fmt_buf_add(ls_sysout_ledger_buf(l), s, strlen(s));
    ls_sysout_ledger_commit(l);
}

static void check_invariants(const struct ls_sysout_ledger *l)
{
    assert_true(l->base <= l->sent);
    assert_true(l->sent <= l->end);
    assert_true(l->conn_start <= l->sent);
    assert_int_equal(l->end - l->base, l->buf.len - l->head);
    if (l->rcount > 0) {
        assert_true(l->ends[l->rhead] > l->base);
        assert_int_equal(l->ends[l->rhead + l->rcount - 1], l->end);
        for (size_t i = 1; i < l->rcount; i++) {
            assert_true(l->ends[l->rhead + i] > l->ends[l->rhead + i - 1]);
        }
    } else {
        assert_int_equal(l->base, l->end);
    }
}

static void assert_unsent(const struct ls_sysout_ledger *l, const char *want)
{
    const char *p;
    size_t n = ls_sysout_ledger_unsent(l, &p);

    assert_int_equal(n, strlen(want));
    if (n) {
        assert_memory_equal(p, want, n);
    }
}

/* ---- ledger --------------------------------------------------------------------------- */

static void test_append_write_ack(void **state)
{
    struct ls_sysout_ledger l;

    (void)state;
    ls_sysout_ledger_init(&l);
    add_str(&l, "aaaa");
    add_str(&l, "bbbbbb");
    add_str(&l, "cc");
    check_invariants(&l);
    assert_int_equal(ls_sysout_ledger_records(&l), 3);
    assert_int_equal(ls_sysout_ledger_bytes(&l), 12);
    assert_unsent(&l, "aaaabbbbbbcc");
    assert_int_equal(ls_sysout_ledger_partial(&l), 0);

    ls_sysout_ledger_wrote(&l, 7); /* "aaaabbb" */
    check_invariants(&l);
    assert_unsent(&l, "bbbcc");
    assert_int_equal(ls_sysout_ledger_partial(&l), 3);
    assert_int_equal(ls_sysout_ledger_inflight(&l), 7);

    /* The kernel holds all 7 unacknowledged: nothing leaves. */
    assert_int_equal(ls_sysout_ledger_ack(&l, 7), 0);
    /* 3 acknowledged: still no whole record. */
    assert_int_equal(ls_sysout_ledger_ack(&l, 4), 0);
    assert_int_equal(ls_sysout_ledger_records(&l), 3);
    /* 4 acknowledged: "aaaa" is complete and leaves; "bbb" of "bbbbbb" is not enough. */
    assert_int_equal(ls_sysout_ledger_ack(&l, 3), 1);
    check_invariants(&l);
    assert_int_equal(ls_sysout_ledger_records(&l), 2);
    assert_int_equal(ls_sysout_ledger_bytes(&l), 8);
    assert_int_equal(ls_sysout_ledger_inflight(&l), 3);
    assert_unsent(&l, "bbbcc");

    ls_sysout_ledger_wrote(&l, 5);
    assert_unsent(&l, "");
    assert_int_equal(ls_sysout_ledger_ack(&l, 0), 2);
    check_invariants(&l);
    assert_int_equal(ls_sysout_ledger_records(&l), 0);
    assert_int_equal(ls_sysout_ledger_bytes(&l), 0);
    ls_sysout_ledger_release(&l);
}

/* The SIOCOUTQ case: a connection wrote everything, the peer's TCP acknowledged only part of
 * it, the connection resets. The next one starts at the first record not wholly
 * acknowledged, and that record is sent whole. */
static void test_rewind_after_reset(void **state)
{
    struct ls_sysout_ledger l;
    const char *p;

    (void)state;
    ls_sysout_ledger_init(&l);
    add_str(&l, "r1-");
    add_str(&l, "r2--");
    add_str(&l, "r3---");
    add_str(&l, "r4----");
    ls_sysout_ledger_wrote(&l, 18); /* all */
    /* 10 of 18 unacknowledged: acked "r1-r2--r" -> r1 and r2 are delivered. */
    assert_int_equal(ls_sysout_ledger_ack(&l, 10), 2);
    assert_int_equal(ls_sysout_ledger_rewind(&l), 2); /* r3 (in part) and r4 again */
    check_invariants(&l);
    assert_unsent(&l, "r3---r4----");
    assert_int_equal(l.conn_start, l.sent);

    /* The new connection writes 3 bytes and resets with all 3 unacknowledged. */
    ls_sysout_ledger_wrote(&l, 3);
    assert_int_equal(ls_sysout_ledger_ack(&l, 3), 0);
    assert_int_equal(ls_sysout_ledger_rewind(&l), 1);
    assert_unsent(&l, "r3---r4----");

    /* A count larger than what this connection was sent means nothing is acknowledged:
     * bytes of an earlier connection are never taken as acknowledged by this one. */
    ls_sysout_ledger_wrote(&l, 5);
    assert_int_equal(ls_sysout_ledger_ack(&l, 1000), 0);
    assert_int_equal(ls_sysout_ledger_records(&l), 2);
    assert_int_equal(ls_sysout_ledger_ack(&l, 0), 1);
    assert_int_equal(ls_sysout_ledger_records(&l), 1);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 0, &p), 6);
    assert_memory_equal(p, "r4----", 6);
    /* Nothing of r4 written: a rewind sends nothing again. */
    assert_int_equal(ls_sysout_ledger_rewind(&l), 0);
    assert_unsent(&l, "r4----");
    check_invariants(&l);
    ls_sysout_ledger_release(&l);
}

static void test_unsent_records_and_empty_commit(void **state)
{
    struct ls_sysout_ledger l;
    const char *p;

    (void)state;
    ls_sysout_ledger_init(&l);
    add_str(&l, "one");
    ls_sysout_ledger_buf(&l);
    ls_sysout_ledger_commit(&l); /* zero bytes: no record */
    add_str(&l, "two!");
    add_str(&l, "three");
    assert_int_equal(ls_sysout_ledger_records(&l), 3);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 0, &p), 3);
    assert_memory_equal(p, "one", 3);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 1, &p), 4);
    assert_memory_equal(p, "two!", 4);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 2, &p), 5);
    assert_memory_equal(p, "three", 5);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 3, &p), 0);
    assert_null(p);

    /* Datagrams: each leaves as soon as it is sent. */
    ls_sysout_ledger_wrote(&l, 3);
    assert_int_equal(ls_sysout_ledger_ack(&l, 0), 1);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 0, &p), 4);
    assert_memory_equal(p, "two!", 4);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 1, &p), 5);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 2, &p), 0);
    /* Within a record (streams): record 0 is the rest of it. */
    ls_sysout_ledger_wrote(&l, 1);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 0, &p), 3);
    assert_memory_equal(p, "wo!", 3);
    assert_int_equal(ls_sysout_ledger_unsent_record(&l, 1, &p), 5);
    assert_memory_equal(p, "three", 5);
    ls_sysout_ledger_release(&l);
}

/* A large ledger frees its buffer once everything is acknowledged. */
static void test_memory_released(void **state)
{
    struct ls_sysout_ledger l;

    (void)state;
    ls_sysout_ledger_init(&l);
    for (int i = 0; i < 100; i++) {
        add(&l, 64 * 1024, (char)('a' + i % 26));
    }
    assert_true(l.buf.cap >= 100 * 64 * 1024);
    ls_sysout_ledger_wrote(&l, 100 * 64 * 1024);
    assert_int_equal(ls_sysout_ledger_ack(&l, 0), 100);
    assert_int_equal(l.buf.cap, 0);
    assert_null(l.buf.data);
    check_invariants(&l);
    /* And it works again after that. */
    add_str(&l, "again");
    assert_unsent(&l, "again");
    ls_sysout_ledger_release(&l);
}

/* A model of the stream: every record ever appended, by number, with its bytes. The ledger
 * must always hold exactly the records from the first one not acknowledged, and its unsent
 * bytes must be exactly the model's bytes from `sent`. */
struct model {
    char *bytes; /* record i is bytes[starts[i], starts[i + 1]) */
    size_t len, cap;
    size_t *starts;
    size_t n, ncap;
};

static void model_add(struct model *m, struct ls_sysout_ledger *l, size_t len, unsigned seq)
{
    char *rec = malloc(len);

    assert_non_null(rec);
    for (size_t i = 0; i < len; i++) {
        rec[i] = (char)('A' + (seq + i) % 26);
    }
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->bytes = realloc(m->bytes, m->cap);
        assert_non_null(m->bytes);
    }
    if (m->n + 2 > m->ncap) {
        m->ncap = (m->n + 2) * 2;
        m->starts = realloc(m->starts, m->ncap * sizeof *m->starts);
        assert_non_null(m->starts);
    }
    memcpy(m->bytes + m->len, rec, len);
    m->starts[m->n] = m->len;
    m->len += len;
    m->n++;
    m->starts[m->n] = m->len;
    ls_fmt_buf_add(ls_sysout_ledger_buf(l), rec, len);
    ls_sysout_ledger_commit(l);
    free(rec);
}

static void test_random_against_model(void **state)
{
    struct ls_sysout_ledger l;
    struct model m = {0};
    uint64_t rng = 12345;
    uint64_t resent = 0;

    (void)state;
    ls_sysout_ledger_init(&l);
    for (int step = 0; step < 50000; step++) {
        uint64_t r = ls_sysout_rand(&rng);
        unsigned op = (unsigned)(r % 100);
        const char *p;
        size_t unsent = ls_sysout_ledger_unsent(&l, &p);

        if (op < 30) {
            model_add(&m, &l, 1 + (size_t)((r >> 8) % 3000), (unsigned)step);
        } else if (op < 70 && unsent > 0) {
            ls_sysout_ledger_wrote(&l, 1 + (size_t)((r >> 8) % unsent));
        } else if (op < 95) {
            uint64_t on_conn = l.sent - l.conn_start;
            uint64_t unacked = on_conn ? (r >> 8) % (on_conn + 1) : 0;
            uint64_t acked = l.sent - unacked;
            size_t before = ls_sysout_ledger_records(&l);
            size_t released = ls_sysout_ledger_ack(&l, unacked);
            /* exactly the records wholly below `acked` left */
            size_t first = m.n - before, k = 0;
            while (first + k < m.n && m.starts[first + k + 1] <= acked) {
                k++;
            }
            assert_int_equal(released, k);
        } else {
            resent += ls_sysout_ledger_rewind(&l);
        }
        check_invariants(&l);
        /* The held records are the model's last `records`, byte for byte. */
        {
            size_t held = ls_sysout_ledger_records(&l);
            size_t first = m.n - held;
            assert_int_equal(l.base, m.starts[first]);
            assert_int_equal(l.end, m.len);
            unsent = ls_sysout_ledger_unsent(&l, &p);
            assert_int_equal(unsent, m.len - l.sent);
            if (unsent) {
                assert_memory_equal(p, m.bytes + l.sent, unsent);
            }
        }
    }
    assert_true(resent > 0);
    free(m.bytes);
    free(m.starts);
    ls_sysout_ledger_release(&l);
}

/* ---- backoff --------------------------------------------------------------------------- */

static void test_backoff(void **state)
{
    int64_t d = 0;
    int64_t want[] = {100 * MS,  200 * MS,   400 * MS,   800 * MS, 1600 * MS, 3200 * MS,
                      6400 * MS, 12800 * MS, 25600 * MS, 30 * S,   30 * S};
    uint64_t rng = 0;

    (void)state;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        d = ls_sysout_backoff_next(d, 30 * S);
        assert_int_equal(d, want[i]);
    }
    /* A maximum below the minimum is the minimum. */
    assert_int_equal(ls_sysout_backoff_next(0, 1 * MS), 100 * MS);
    assert_int_equal(ls_sysout_backoff_next(100 * MS, 1 * MS), 100 * MS);
    /* Jitter stays in [d/2, d] and actually varies. */
    {
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = 0; i < 10000; i++) {
            int64_t j = ls_sysout_backoff_jitter(1000 * MS, ls_sysout_rand(&rng));
            assert_true(j >= 500 * MS && j <= 1000 * MS);
            lo = j < lo ? j : lo;
            hi = j > hi ? j : hi;
        }
        assert_true(lo < 550 * MS);
        assert_true(hi > 950 * MS);
    }
    assert_int_equal(ls_sysout_backoff_jitter(0, 77), 0);
    assert_int_equal(ls_sysout_backoff_jitter(1, 0), 0);
    assert_int_equal(ls_sysout_backoff_jitter(1, 1), 1);
    assert_int_equal(ls_sysout_backoff_jitter(1000, UINT64_MAX), 500 + (int64_t)(UINT64_MAX % 501));
    rng = 0;
    assert_true(ls_sysout_rand(&rng) != 0);
    assert_true(rng != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_write_ack),
        cmocka_unit_test(test_rewind_after_reset),
        cmocka_unit_test(test_unsent_records_and_empty_commit),
        cmocka_unit_test(test_memory_released),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
