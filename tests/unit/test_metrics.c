/* Unit tests for core/metrics.c: get-or-create identity, rendering, label escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static void test_same_labels_same_metric(void **state)
{
    struct ls_metric *a = ls_metric_get("logstream_x_total", LS_METRIC_COUNTER, "X", "i=\"a\"");
    struct ls_metric *b = ls_metric_get("logstream_x_total", LS_METRIC_COUNTER, "X", "i=\"a\"");
    struct ls_metric *c = ls_metric_get("logstream_x_total", LS_METRIC_COUNTER, "X", "i=\"b\"");

    (void)state;
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, c);
    ls_metric_add(a, 2);
    ls_metric_add(b, 3);
    assert_int_equal(ls_metric_value(a), 5);
    assert_int_equal(ls_metric_value(c), 0);
    ls_metrics_shutdown();
}

static void test_render_prometheus_text(void **state)
{
    struct ls_sbuf sb;
    struct ls_metric *m =
        ls_metric_get("logstream_y_total", LS_METRIC_COUNTER, "Things seen", "instance=\"in\"");
    struct ls_metric *g = ls_metric_get("logstream_q_bytes", LS_METRIC_GAUGE, "Queue", NULL);

    (void)state;
    ls_metric_add(m, 7);
    ls_metric_set(g, 99);
    ls_sbuf_init(&sb);
    ls_metrics_render(&sb);
    assert_string_equal(sb.buf, "# HELP logstream_y_total Things seen\n"
                                "# TYPE logstream_y_total counter\n"
                                "logstream_y_total{instance=\"in\"} 7\n"
                                "# HELP logstream_q_bytes Queue\n"
                                "# TYPE logstream_q_bytes gauge\n"
                                "logstream_q_bytes 99\n");
    ls_sbuf_release(&sb);
    ls_metrics_shutdown();
}

static void test_label_escape(void **state)
{
    struct ls_sbuf sb;

    (void)state;
    ls_sbuf_init(&sb);
    ls_metrics_label_escape(&sb, "a\"b\\c\nd");
    assert_string_equal(sb.buf, "a\\\"b\\\\c\\nd");
    ls_sbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_labels_same_metric),
        cmocka_unit_test(test_render_prometheus_text),
        cmocka_unit_test(test_label_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
