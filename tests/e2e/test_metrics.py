"""/metrics counts exactly what went through; /health and unknown paths answer per the spec."""

import json

from conftest import (count_lines, file_size, find_metric, free_port, send_lines, simple_config,
                      wait_for)

INPUT = dict(kind="input", plugin="tcp", instance="apps.tcp.0")
FILE_OUT = dict(kind="output", plugin="file", instance="archive")
NULL_OUT = dict(kind="output", plugin="null", instance="apps.null.1")


def test_counters_match_exactly(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(simple_config(port, out, output_extra="queue_size: 4MiB",
                          extra_routes="- type: \"null\"\n"))
    assert d.metric("logstream_records_in_total", **INPUT) == 0
    assert d.metric("logstream_records_out_total", **FILE_OUT) == 0

    lines_a = [b"metrics line %d %s" % (i, b"m" * (i % 97)) for i in range(1234)]
    lines_b = ["unicode \u00e9\u00e8 %d" % i for i in range(766)]
    lines_b = [s.encode() for s in lines_b]
    send_lines(port, lines_a)
    send_lines(port, lines_b, eol=b"\r\n")
    n = len(lines_a) + len(lines_b)
    raw_bytes = sum(len(l) for l in lines_a + lines_b)
    wire_bytes = raw_bytes + len(lines_a) + 2 * len(lines_b)
    wait_for(lambda: count_lines(out) >= n, 10)
    wait_for(lambda: d.metric("logstream_records_out_total", **NULL_OUT) == n, 5,
             msg=lambda: f"null output count {d.metric('logstream_records_out_total', **NULL_OUT)}")
    m = d.metrics()

    def val(name, **labels):
        v = find_metric(m, name, **labels)
        assert v is not None, f"{name}{labels} missing from /metrics"
        return v

    assert val("logstream_records_in_total", **INPUT) == n
    # bytes_in counts the bytes of the records (raw, without the line delimiters).
    assert val("logstream_bytes_in_total", **INPUT) == raw_bytes, \
        f"bytes_in: raw {raw_bytes}, on the wire {wire_bytes}"
    assert val("logstream_records_out_total", **FILE_OUT) == n
    # bytes_out counts the same record bytes as bytes_in (not the formatted bytes written).
    assert val("logstream_bytes_out_total", **FILE_OUT) == raw_bytes
    assert file_size(out) == wire_bytes - len(lines_b)
    assert val("logstream_records_out_total", **NULL_OUT) == n
    for inst in ("archive", "apps.null.1"):
        assert val("logstream_queue_bytes", instance=inst) == 0
        assert val("logstream_queue_batches", instance=inst) == 0
    assert val("logstream_queue_max_bytes", instance="archive") == 4 << 20
    assert val("logstream_queue_max_bytes", instance="apps.null.1") == 64 << 20
    assert val("logstream_input_paused", instance="apps.tcp.0") == 0
    assert val("logstream_process_resident_memory_bytes") > 1 << 20
    assert val("logstream_process_cpu_seconds_total") >= 0
    assert val("logstream_config_generation") == 1
    assert val("logstream_tcp_refused_connections_total", instance="apps.tcp.0") == 0
    assert val("logstream_tcp_truncated_lines_total", instance="apps.tcp.0") == 0
    drops = [v for k, v in m.items() if k[0] == "logstream_dropped_records_total" and v != 0]
    assert drops == []
    d.stop()


def test_health_document_and_404(daemon):
    d = daemon()
    port = free_port()
    d.start(simple_config(port, d.dir / "out.log"))
    status, body = d.http_get("/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "generation": 1, "last_reload_error": None,
                                "pipelines": {"apps": "running"}}
    for path in ("/", "/nope", "/metricsx", "/health/x"):
        status, _ = d.http_get(path)
        assert status == 404, path
    d.stop()


def test_named_instances_label_metrics(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    body = ("outputs:\n"
            "  archive:\n"
            "    type: file\n"
            f"    path: {out}\n"
            "pipelines:\n"
            "  edge:\n"
            "    inputs:\n"
            f"      - {{ type: tcp, name: front, listen: 127.0.0.1:{port} }}\n"
            "    parsers: []\n"
            "    outputs:\n"
            "      - archive\n"
            "      - { type: \"null\", name: sink }\n")
    d.start(body)
    send_lines(port, [b"one", b"two", b"three"])
    wait_for(lambda: d.metric("logstream_records_out_total", instance="sink") == 3, 10,
             msg=lambda: f"sink count; metrics instances "
                         f"{sorted({dict(k[1]).get('instance') for k in d.metrics()})}")
    m = d.metrics()
    assert find_metric(m, "logstream_records_in_total", kind="input", plugin="tcp",
                       instance="front") == 3
    assert find_metric(m, "logstream_records_out_total", kind="output", plugin="file",
                       instance="archive") == 3
    instances = {dict(k[1]).get("instance") for k in m}
    assert "edge.tcp.0" not in instances and "edge.null.1" not in instances
    status, h = d.health()
    assert h["pipelines"] == {"edge": "running"}
    d.stop()
