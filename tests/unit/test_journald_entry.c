/* test_journald_entry.c - the journald input's field mapping (plugins/inputs/journald/jentry.c):
 * "NAME=value" data as libsystemd returns them -> record members and fields, with the limits on
 * message size, value size and field count, the `fields` filter, and binary values. Records are
 * made exactly as the plugin makes them: the MESSAGE bytes appended to a real batch, then
 * jd_entry_apply(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/inputs/journald/jentry.h"
#include "batch.h"

#define RECEIVED 1111LL

static const struct jd_limits big = {
    .max_message = 1 << 20, .max_field_size = 1 << 20, .max_fields = 100};
static const struct jd_keep all = {.all = 1};

struct fixture {
    struct jd_entry e;
    struct ls_batch *b;
    struct ls_record *r;
    unsigned dropped;
};

static void add(struct jd_entry *e, const struct jd_limits *lim, const struct jd_keep *keep,
                const char *datum)
{
    jd_entry_add(e, lim, keep, datum, strlen(datum));
}

/* Map the entry the way journald.c does. */
static void make_record(struct fixture *f, const struct jd_keep *keep, size_t max_fields)
{
    size_t len;
    const char *msg = jd_entry_message(&f->e, &len);

    f->b = ls_batch_new("in", "p");
    f->r = ls_batch_append(f->b, msg, len, NULL, RECEIVED);
    f->dropped = jd_entry_apply(&f->e, keep, max_fields, f->b, f->r);
}

static void done(struct fixture *f)
{
    jd_entry_release(&f->e);
    ls_batch_unref(f->b);
}

static void assert_slice(struct ls_slice s, const char *want)
{
    assert_non_null(s.ptr);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.ptr, want, s.len);
}

static void assert_absent(struct ls_slice s)
{
    assert_null(s.ptr);
    assert_int_equal(s.len, 0);
}

/* The fields of r as "KEY=value;KEY=value" (values printable in these tests). */
static void fields_text(const struct ls_record *r, char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (const struct ls_field *f = r->fields; f; f = f->next) {
        assert_int_equal(f->type, LS_FIELD_STRING);
        n += (size_t)snprintf(out + n, size - n, "%s%.*s=%.*s", n ? ";" : "", (int)f->key.len,
                              f->key.ptr, (int)f->v.s.len, f->v.s.ptr);
        assert_true(n < size);
    }
}

static void test_full_entry(void **state)
{
    struct fixture f = {0};
    char text[512];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "_BOOT_ID=6c7c6013a8cb4f4f8c1e4b5c1f3f5d6b");
    add(&f.e, &big, &all, "MESSAGE=Accepted publickey for root");
    add(&f.e, &big, &all, "PRIORITY=6");
    add(&f.e, &big, &all, "SYSLOG_FACILITY=10");
    add(&f.e, &big, &all, "SYSLOG_IDENTIFIER=sshd");
    add(&f.e, &big, &all, "_PID=4242");
    add(&f.e, &big, &all, "_UID=0");
    add(&f.e, &big, &all, "_GID=4");
    add(&f.e, &big, &all, "_COMM=sshd-session");
    add(&f.e, &big, &all, "_HOSTNAME=web1");
    add(&f.e, &big, &all, "_SYSTEMD_UNIT=ssh.service");
    add(&f.e, &big, &all, "_TRANSPORT=syslog");
    f.e.realtime_usec = 1700000000123456LL;
    make_record(&f, &all, 64);

    assert_slice(f.r->raw, "Accepted publickey for root");
    assert_slice(f.r->message, "Accepted publickey for root");
    assert_int_equal(f.r->severity, LS_SEV_INFO);
    assert_int_equal(f.r->facility, 10);
    assert_slice(f.r->app, "sshd");
    assert_slice(f.r->procid, "4242");
    assert_slice(f.r->host, "web1");
    assert_absent(f.r->msgid);
    assert_absent(f.r->peer);
    assert_int_equal(f.r->pid, 4242);
    assert_int_equal(f.r->uid, 0);
    assert_int_equal(f.r->gid, 4);
    assert_int_equal(f.r->time, 1700000000123456000LL);
    assert_int_equal(f.r->received, RECEIVED);
    assert_int_equal(f.r->flags, 0);
    /* mapped fields are not repeated; _COMM did not name the app, so it stays a field */
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "_BOOT_ID=6c7c6013a8cb4f4f8c1e4b5c1f3f5d6b;_COMM=sshd-session;"
                              "_SYSTEMD_UNIT=ssh.service;_TRANSPORT=syslog");
    assert_int_equal(f.r->nfields, 4);
    assert_int_equal(f.dropped, 0);
    assert_int_equal(f.e.malformed, 0);
    done(&f);
}

static void test_comm_is_app_without_identifier(void **state)
{
    struct fixture f = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "_COMM=cron");
    add(&f.e, &big, &all, "MESSAGE=job done");
    make_record(&f, &all, 64);
    assert_slice(f.r->app, "cron");
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "");
    /* no timestamp, pid, priority: the input's defaults stay */
    assert_int_equal(f.r->time, RECEIVED);
    assert_int_equal(f.r->pid, -1);
    assert_int_equal(f.r->uid, -1);
    assert_int_equal(f.r->severity, LS_SEV_UNKNOWN);
    assert_int_equal(f.r->facility, LS_FAC_UNKNOWN);
    assert_absent(f.r->host);
    assert_absent(f.r->procid);
    done(&f);
}

static void test_unparsable_values_stay_fields(void **state)
{
    struct fixture f = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "MESSAGE=m");
    add(&f.e, &big, &all, "PRIORITY=8");
    add(&f.e, &big, &all, "SYSLOG_FACILITY=24");
    add(&f.e, &big, &all, "_UID=-1");
    add(&f.e, &big, &all, "_GID=4294967296");
    add(&f.e, &big, &all, "_PID=12x");
    make_record(&f, &all, 64);
    assert_int_equal(f.r->severity, LS_SEV_UNKNOWN);
    assert_int_equal(f.r->facility, LS_FAC_UNKNOWN);
    assert_int_equal(f.r->uid, -1);
    assert_int_equal(f.r->gid, -1);
    /* procid keeps what the journal said; the trusted pid only takes a number */
    assert_slice(f.r->procid, "12x");
    assert_int_equal(f.r->pid, -1);
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "PRIORITY=8;SYSLOG_FACILITY=24;_UID=-1;_GID=4294967296");
    done(&f);
}

static void test_repeated_names(void **state)
{
    struct fixture f = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "MESSAGE=first");
    add(&f.e, &big, &all, "MESSAGE=second");
    add(&f.e, &big, &all, "TAG=a");
    add(&f.e, &big, &all, "TAG=b");
    make_record(&f, &all, 64);
    assert_slice(f.r->raw, "first");
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "MESSAGE=second;TAG=a;TAG=b");
    done(&f);
}

static void test_binary_values(void **state)
{
    static const char msg[] = "MESSAGE=a\0b\nc\xff";
    static const char val[] = "BLOB=\x00\x01\x02=\n";
    struct fixture f = {0};
    const struct ls_field *blob;

    (void)state;
    jd_entry_reset(&f.e);
    jd_entry_add(&f.e, &big, &all, msg, sizeof msg - 1);
    jd_entry_add(&f.e, &big, &all, val, sizeof val - 1);
    make_record(&f, &all, 64);
    assert_int_equal(f.r->raw.len, 6);
    assert_memory_equal(f.r->raw.ptr, "a\0b\nc\xff", 6);
    blob = ls_record_field(f.r, "BLOB");
    assert_non_null(blob);
    assert_int_equal(blob->v.s.len, 5);
    assert_memory_equal(blob->v.s.ptr, "\x00\x01\x02=\n", 5);
    done(&f);
}

static void test_limits_cut_and_drop(void **state)
{
    struct jd_limits lim = {.max_message = 5, .max_field_size = 3, .max_fields = 2};
    struct fixture f = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &lim, &all, "MESSAGE=0123456789");
    add(&f.e, &lim, &all, "A=abcdef");
    add(&f.e, &lim, &all, "B=xy");
    add(&f.e, &lim, &all, "C=dropped");
    add(&f.e, &lim, &all, "_HOSTNAME=longhost");
    make_record(&f, &all, lim.max_fields);
    assert_slice(f.r->raw, "01234");
    assert_slice(f.r->host, "lon");
    assert_true(f.r->flags & LS_REC_TRUNCATED);
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "A=abc;B=xy");
    assert_int_equal(f.e.truncated, 3); /* MESSAGE, A, _HOSTNAME */
    assert_int_equal(f.e.dropped, 1);   /* C */
    assert_int_equal(f.dropped, 0);
    done(&f);
}

static void test_comm_counts_against_max_fields(void **state)
{
    struct jd_limits lim = {.max_message = 100, .max_field_size = 100, .max_fields = 1};
    struct fixture f = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &lim, &all, "_COMM=bash");
    add(&f.e, &lim, &all, "SYSLOG_IDENTIFIER=myapp");
    add(&f.e, &lim, &all, "X=1");
    make_record(&f, &all, lim.max_fields);
    assert_slice(f.r->app, "myapp");
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "_COMM=bash");
    assert_int_equal(f.dropped, 1); /* X: the one extra slot went to _COMM */
    done(&f);
}

static void test_keep_filter(void **state)
{
    static const char *const names[] = {"_SYSTEMD_UNIT", "_COMM"};
    const struct jd_keep some = {.all = 0, .names = names, .n = 2};
    const struct jd_keep none = {.all = 0, .names = NULL, .n = 0};
    struct fixture f = {0}, g = {0};
    char text[256];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &some, "MESSAGE=hi");
    add(&f.e, &big, &some, "_SYSTEMD_UNIT=cron.service");
    add(&f.e, &big, &some, "_TRANSPORT=journal");
    add(&f.e, &big, &some, "_COMM=cron");
    add(&f.e, &big, &some, "SYSLOG_IDENTIFIER=CRON");
    add(&f.e, &big, &some, "_PID=7");
    make_record(&f, &some, 64);
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "_SYSTEMD_UNIT=cron.service;_COMM=cron");
    assert_slice(f.r->app, "CRON");
    assert_int_equal(f.r->pid, 7);
    assert_int_equal(f.e.dropped, 0); /* filtered out is not dropped */

    jd_entry_reset(&g.e);
    add(&g.e, &big, &none, "MESSAGE=hi");
    add(&g.e, &big, &none, "_SYSTEMD_UNIT=cron.service");
    add(&g.e, &big, &none, "_HOSTNAME=h");
    make_record(&g, &none, 64);
    assert_null(g.r->fields);
    assert_slice(g.r->host, "h"); /* members are set whatever the filter */
    done(&f);
    done(&g);
}

static void test_malformed_data_skipped(void **state)
{
    struct fixture f = {0};
    char key65[80];

    (void)state;
    memset(key65, 'K', 65);
    strcpy(key65 + 65, "=v");
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "no equals sign");
    add(&f.e, &big, &all, "lower=case");
    add(&f.e, &big, &all, "=empty name");
    add(&f.e, &big, &all, "1DIGIT=first");
    add(&f.e, &big, &all, key65);
    add(&f.e, &big, &all, "EMPTY=");
    make_record(&f, &all, 64);
    assert_int_equal(f.e.malformed, 5);
    assert_int_equal(f.r->nfields, 1);
    assert_non_null(ls_record_field(f.r, "EMPTY"));
    assert_int_equal(ls_record_field(f.r, "EMPTY")->v.s.len, 0);
    assert_int_equal(f.r->raw.len, 0); /* no MESSAGE: an empty raw */
    done(&f);
}

static void test_reset_reuses_buffers(void **state)
{
    struct fixture f = {0};
    char text[128];

    (void)state;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "MESSAGE=one");
    add(&f.e, &big, &all, "PRIORITY=3");
    add(&f.e, &big, &all, "A=1");
    f.e.realtime_usec = 5;
    jd_entry_reset(&f.e);
    add(&f.e, &big, &all, "MESSAGE=two");
    make_record(&f, &all, 64);
    assert_slice(f.r->raw, "two");
    assert_int_equal(f.r->severity, LS_SEV_UNKNOWN);
    assert_int_equal(f.r->time, RECEIVED);
    fields_text(f.r, text, sizeof text);
    assert_string_equal(text, "");
    done(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_entry),
        cmocka_unit_test(test_comm_is_app_without_identifier),
        cmocka_unit_test(test_unparsable_values_stay_fields),
        cmocka_unit_test(test_repeated_names),
        cmocka_unit_test(test_binary_values),
        cmocka_unit_test(test_limits_cut_and_drop),
        cmocka_unit_test(test_comm_counts_against_max_fields),
        cmocka_unit_test(test_keep_filter),
        cmocka_unit_test(test_malformed_data_skipped),
        cmocka_unit_test(test_reset_reuses_buffers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
