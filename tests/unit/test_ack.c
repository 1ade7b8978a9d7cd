/* Unit tests for core/ack.c: in-order acknowledgement from out-of-order completions, token
 * inheritance, and the sink outliving its input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ack.h"

static void test_prefix_only(void **state)
{
    struct ls_ack_tracker t = {0};
    uint64_t tok = 0, s[3];

    (void)state;
    for (int i = 0; i < 3; i++) {
        s[i] = ls_ack_tracker_add(&t, 1, 100 + (uint64_t)i);
    }
    assert_int_equal(s[0], 0);
    assert_int_equal(s[2], 2);
    /* batch 2 and 1 finish first: nothing may be acked while batch 0 is out */
    assert_int_equal(ls_ack_tracker_done(&t, &s[2], 1, &tok), 0);
    assert_int_equal(ls_ack_tracker_done(&t, &s[1], 1, &tok), 0);
    assert_int_equal(t.count, 3);
    /* batch 0 finishes: the whole prefix goes, with the newest token */
    assert_int_equal(ls_ack_tracker_done(&t, &s[0], 1, &tok), 1);
    assert_int_equal(tok, 102);
    assert_int_equal(t.count, 0);
    /* the sequence goes on after the tracker emptied */
    assert_int_equal(ls_ack_tracker_add(&t, 1, 7), 3);
    assert_int_equal(ls_ack_tracker_done(&t, (uint64_t[]){3}, 1, &tok), 1);
    assert_int_equal(tok, 7);
    /* unknown and repeated seqs are ignored */
    assert_int_equal(ls_ack_tracker_done(&t, (uint64_t[]){3, 99}, 2, &tok), 0);
    ls_ack_tracker_release(&t);
}

static void test_token_inheritance(void **state)
{
    struct ls_ack_tracker t = {0};
    uint64_t tok = 0;

    (void)state;
    uint64_t a = ls_ack_tracker_add(&t, 0, 0); /* no token yet anywhere */
    assert_int_equal(ls_ack_tracker_done(&t, &a, 1, &tok), 0);
    uint64_t b = ls_ack_tracker_add(&t, 1, 50);
    uint64_t c = ls_ack_tracker_add(&t, 0, 0); /* inherits 50 */
    assert_int_equal(ls_ack_tracker_done(&t, (uint64_t[]){c, b}, 2, &tok), 1);
    assert_int_equal(tok, 50);
    ls_ack_tracker_release(&t);
}

static int notified;

static void on_notify(void *arg)
{
    (void)arg;
    notified++;
}

static void test_sink_reports_released_batches(void **state)
{
    struct ls_ack_sink *s = ls_ack_sink_new(on_notify, NULL);
    struct ls_batch *b1 = ls_batch_new("in", "p"), *b2 = ls_batch_new("in", "p");
    uint64_t *seqs;
    size_t n;

    (void)state;
    notified = 0;
    ls_ack_sink_attach(s, b1, 10);
    ls_ack_sink_attach(s, b2, 11);
    ls_batch_ref(b2);
    ls_batch_unref(b2); /* still referenced: not finished */
    assert_int_equal(notified, 0);
    ls_batch_unref(b2);
    assert_int_equal(notified, 1);
    n = ls_ack_sink_take(s, &seqs);
    assert_int_equal(n, 1);
    assert_int_equal(seqs[0], 11);
    free(seqs);
    /* the input goes away first; the batch finishing later must be harmless (ASan checks) */
    ls_ack_sink_detach(s);
    ls_batch_unref(b1);
    assert_int_equal(notified, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix_only),
        cmocka_unit_test(test_token_inheritance),
        cmocka_unit_test(test_sink_reports_released_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
