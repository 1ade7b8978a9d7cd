/* Unit tests for core/batch.c: arena slices stay valid, records and fields, views, refs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"

static void check_invariants(const struct ls_batch *b)
{
    size_t raw = 0;

    for (size_t i = 0; i < ls_batch_count(b); i++) {
        const struct ls_record *r = ls_batch_record(b, i);
        raw += r->raw.len;
        assert_true(r->raw.len == 0 || r->raw.ptr != NULL);
    }
    assert_int_equal(raw, ls_batch_raw_bytes(b));
}

static void test_append_copies_and_slices_survive_growth(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "pipe");
    char line[3000];

    (void)state;
    for (int i = 0; i < 500; i++) {
        int n = snprintf(line, sizeof line, "line %d ", i);
        memset(line + n, 'a' + i % 26, (size_t)(i * 5));
        struct ls_record *r = ls_batch_append(b, line, (size_t)n + (size_t)i * 5, NULL, 42);
        assert_non_null(r);
        memset(line, 'X', sizeof line); /* the batch must hold its own copy */
        check_invariants(b);
    }
    assert_int_equal(ls_batch_count(b), 500);
    for (int i = 0; i < 500; i++) {
        const struct ls_record *r = ls_batch_record(b, (size_t)i);
        int n = snprintf(line, sizeof line, "line %d ", i);
        memset(line + n, 'a' + i % 26, (size_t)(i * 5));
        assert_int_equal(r->raw.len, (size_t)n + (size_t)i * 5);
        assert_memory_equal(r->raw.ptr, line, r->raw.len);
        assert_ptr_equal(r->message.ptr, r->raw.ptr);
        assert_int_equal(r->time, 42);
        assert_int_equal(r->received, 42);
        assert_int_equal(r->severity, LS_SEV_UNKNOWN);
        assert_int_equal(r->facility, LS_FAC_UNKNOWN);
        assert_int_equal(r->pid, -1);
    }
    assert_string_equal(ls_batch_input(b), "in");
    assert_string_equal(ls_batch_pipeline(b), "pipe");
    assert_true(b->mem > b->raw_bytes);
    ls_batch_unref(b);
}

static void test_empty_record_and_binary_bytes(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    const char bin[] = {'a', '\0', 'b', '\xff'};

    (void)state;
    struct ls_record *r = ls_batch_append(b, "", 0, NULL, 1);
    assert_int_equal(r->raw.len, 0);
    r = ls_batch_append(b, bin, sizeof bin, NULL, 1);
    assert_int_equal(r->raw.len, 4);
    assert_memory_equal(r->raw.ptr, bin, 4);
    check_invariants(b);
    ls_batch_unref(b);
}

static void test_peer_is_copied_once_per_batch(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    char peer[32] = "127.0.0.1:1000";

    (void)state;
    struct ls_record *r1 = ls_batch_append(b, "a", 1, peer, 1);
    struct ls_record *r2 = ls_batch_append(b, "b", 1, peer, 1);
    /* r1 may move when the record array grows; re-read it */
    r1 = ls_batch_record(b, 0);
    assert_ptr_equal(r1->peer.ptr, r2->peer.ptr);
    assert_int_equal(r1->peer.len, strlen("127.0.0.1:1000"));
    /* same buffer, new contents: a reused connection slot gets its own copy */
    strcpy(peer, "10.0.0.1:2");
    struct ls_record *r3 = ls_batch_append(b, "c", 1, peer, 1);
    assert_int_equal(r3->peer.len, strlen("10.0.0.1:2"));
    assert_memory_equal(r3->peer.ptr, "10.0.0.1:2", r3->peer.len);
    r1 = ls_batch_record(b, 0);
    assert_memory_equal(r1->peer.ptr, "127.0.0.1:1000", r1->peer.len);
    struct ls_record *r4 = ls_batch_append(b, "d", 1, NULL, 1);
    assert_null(r4->peer.ptr);
    ls_batch_unref(b);
}

static void test_fields_in_order_and_capped(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_record *r;
    struct ls_field *f;
    const struct ls_field *g;

    (void)state;
    ls_batch_append(b, "x", 1, NULL, 1);
    r = ls_batch_record(b, 0);
    f = ls_record_add_field(b, r, "user", 4, LS_FIELD_STRING, "alice", 5);
    assert_non_null(f);
    f = ls_record_add_field(b, r, "n", 1, LS_FIELD_INT, NULL, 0);
    f->v.i = -7;
    g = ls_record_field(r, "user");
    assert_non_null(g);
    assert_int_equal(g->v.s.len, 5);
    assert_memory_equal(g->v.s.ptr, "alice", 5);
    g = ls_record_field(r, "n");
    assert_int_equal(g->type, LS_FIELD_INT);
    assert_int_equal(g->v.i, -7);
    assert_null(ls_record_field(r, "use"));
    assert_ptr_equal(r->fields->next, r->fields_tail);
    for (int i = 2; i < LS_MAX_FIELDS_PER_RECORD; i++) {
        assert_non_null(ls_record_add_field(b, r, "k", 1, LS_FIELD_NULL, NULL, 0));
    }
    assert_int_equal(r->nfields, LS_MAX_FIELDS_PER_RECORD);
    assert_null(ls_record_add_field(b, r, "k", 1, LS_FIELD_NULL, NULL, 0));
    ls_batch_unref(b);
}

static void test_view_selects_and_holds_base(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");
    struct ls_batch *v;
    uint32_t *sel = malloc(2 * sizeof *sel);

    (void)state;
    ls_batch_append(b, "zero", 4, NULL, 1);
    ls_batch_append(b, "one", 3, NULL, 1);
    ls_batch_append(b, "two", 3, NULL, 1);
    sel[0] = 0;
    sel[1] = 2;
    v = ls_batch_view(b, sel, 2);
    ls_batch_unref(b); /* the view keeps the base alive */
    assert_int_equal(ls_batch_count(v), 2);
    assert_memory_equal(ls_batch_record(v, 0)->raw.ptr, "zero", 4);
    assert_memory_equal(ls_batch_record(v, 1)->raw.ptr, "two", 3);
    assert_int_equal(ls_batch_raw_bytes(v), 7);
    assert_string_equal(ls_batch_input(v), "in");
    check_invariants(v);
    ls_batch_unref(v);
}

static void test_refcount(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");

    (void)state;
    ls_batch_ref(b);
    ls_batch_ref(b);
    ls_batch_unref(b);
    ls_batch_unref(b);
    assert_int_equal(atomic_load(&b->refs), 1);
    ls_batch_unref(b);
    ls_batch_unref(NULL);
}

static void test_alloc_alignment_and_large(void **state)
{
    struct ls_batch *b = ls_batch_new("in", "p");

    (void)state;
    for (int i = 1; i < 100; i++) {
        void *p = ls_batch_alloc(b, (size_t)i);
        assert_int_equal((uintptr_t)p % 8, 0);
        memset(p, 1, (size_t)i);
    }
    char *big = ls_batch_alloc(b, 1 << 20);
    memset(big, 2, 1 << 20);
    struct ls_slice s = ls_batch_strdup(b, "abc", 3);
    assert_memory_equal(s.ptr, "abc", 3);
    ls_batch_unref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_copies_and_slices_survive_growth),
        cmocka_unit_test(test_empty_record_and_binary_bytes),
        cmocka_unit_test(test_peer_is_copied_once_per_batch),
        cmocka_unit_test(test_fields_in_order_and_capped),
        cmocka_unit_test(test_view_selects_and_holds_base),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_alloc_alignment_and_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
