"""The json, level and logfmt parsers in the real daemon: lines in over TCP, records out of the
file output as JSON, every extracted member and field asserted; lines a parser cannot parse
pass through unchanged, flagged and counted."""

import json
import os
from pathlib import Path

import pytest

from conftest import count_lines, free_port, plugin_dir, read_lines, send_lines, wait_for


def _config(port, out, parsers):
    return ("outputs:\n"
            "  archive:\n"
            "    type: file\n"
            f"    path: {out}\n"
            "    format: json\n"
            "pipelines:\n"
            "  apps:\n"
            "    inputs:\n"
            "      - type: tcp\n"
            f"        listen: 127.0.0.1:{port}\n"
            "    parsers:\n"
            + "".join(f"      - {p}\n" for p in parsers)
            + "    outputs:\n"
            "      - archive\n")


def _run(daemon, parsers, lines):
    """Start a daemon with these parsers, send the lines, stop it after they are written;
    return (the JSON objects in order, the metrics taken before stopping)."""
    d = daemon()
    port = free_port()
    out = d.dir / "out" / "all.log"
    d.start(_config(port, out, parsers))
    send_lines(port, lines)
    wait_for(lambda: count_lines(out) >= len(lines), 10, msg=lambda: f"{len(lines)} lines in {out}")
    metrics = d.metrics()
    d.stop()
    objs = [json.loads(l) for l in read_lines(out)]
    assert len(objs) == len(lines)
    return objs, metrics


def _metric(metrics, name, **labels):
    want = set(labels.items())
    found = [v for k, v in metrics.items() if k[0] == name and want <= set(k[1])]
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]


BASE_KEYS = ["time", "received", "severity", "facility", "host", "app", "procid", "msgid",
             "message", "raw", "peer", "input", "pipeline"]


def _fields(obj):
    """The structured fields: every key after the record's own, in order."""
    keys = list(obj)
    assert keys[:len(BASE_KEYS)] == BASE_KEYS, keys
    return [(k, obj[k]) for k in keys[len(BASE_KEYS):]]


def test_json_parser(daemon):
    lines = [
        b'{"level":"error","ts":1700000000.123,"caller":"pay/main.go:12","msg":"payment failed",'
        b'"service":"payment","order_id":1234,"retry":true}',
        b'{"time":"2026-11-23T10:00:00.123456789Z","level":50,"hostname":"web-1","msg":"boom",'
        b'"res":{"statusCode":500},"tags":["a","b"],"ratio":0.5,"err":null}',
        b"plain text, not JSON",
        b'{"level":"info","msg":"truncated',
        b'{"msg":"caf\\u00e9 \\"q\\"","big":18446744073709551616}',
    ]
    objs, metrics = _run(daemon, ["{ type: json }"], lines)

    zap, pino, plain, broken, esc = objs
    assert zap["severity"] == "err"
    assert zap["message"] == "payment failed"
    assert zap["app"] == "payment"
    assert zap["time"] == "2023-11-14T22:13:20.123000000Z"
    assert zap["raw"] == lines[0].decode()
    assert _fields(zap) == [("caller", "pay/main.go:12"), ("order_id", 1234), ("retry", True)]

    assert pino["severity"] == "err"
    assert pino["host"] == "web-1"
    assert pino["message"] == "boom"
    assert pino["time"] == "2026-11-23T10:00:00.123456789Z"
    assert _fields(pino) == [("res", {"statusCode": 500}), ("tags", ["a", "b"]), ("ratio", 0.5),
                             ("err", None)]

    for obj, line in ((plain, lines[2]), (broken, lines[3])):
        assert obj["message"] == line.decode()
        assert obj["raw"] == line.decode()
        assert obj["severity"] is None
        assert obj["app"] is None
        assert _fields(obj) == [("parse_error", "json")]

    assert esc["message"] == 'caf\u00e9 "q"'
    assert _fields(esc) == [("big", 18446744073709551616)]

    assert _metric(metrics, "logstream_parse_errors_total", instance="apps.json.0") == 2
    assert _metric(metrics, "logstream_json_not_object_total", instance="apps.json.0") == 1
    assert _metric(metrics, "logstream_json_invalid_total", instance="apps.json.0") == 1


def test_json_flatten_and_caps(daemon):
    lines = [
        b'{"msg":"m","http":{"method":"GET","status":404},"tags":["x"]}',
        b'{"a":{"b":{"c":1}}}',
        b'{"a":1,"b":2,"c":3,"d":4}',
    ]
    objs, metrics = _run(daemon, ["{ type: json, flatten: true, max_depth: 2, max_fields: 3 }"],
                         lines)
    assert objs[0]["message"] == "m"
    assert _fields(objs[0]) == [("http.method", "GET"), ("http.status", 404), ("tags.0", "x")]
    for obj, line in zip(objs[1:], lines[1:]):
        assert obj["message"] == line.decode()
        assert _fields(obj) == [("parse_error", "json")]
    assert _metric(metrics, "logstream_json_too_deep_total", instance="apps.json.0") == 1
    assert _metric(metrics, "logstream_json_too_many_fields_total", instance="apps.json.0") == 1


def test_level_parser(daemon):
    lines = [
        b"ERROR [payment-service] card declined",
        b"2026-11-23 10:00:00,123 WARN retrying",
        b"E1122 10:00:00.123456  1234 server.cc:42] RPC failed",
        b"level=debug msg=x service=orders",
        b"[INFO] [svc-a] started",
        b"terror alert: nothing to see",
        b"no level here",
    ]
    objs, metrics = _run(daemon, ["{ type: level }"], lines)
    got = [(o["severity"], o["app"]) for o in objs]
    assert got == [("err", "payment-service"), ("warning", None), ("err", None),
                   ("debug", "orders"), ("info", "svc-a"), (None, None), (None, None)]
    for obj, line in zip(objs, lines):
        assert obj["message"] == line.decode()  # level never rewrites the message
        assert _fields(obj) == []  # nor adds fields, nor flags anything
    assert _metric(metrics, "logstream_level_levels_set_total", instance="apps.level.0") == 5
    assert _metric(metrics, "logstream_level_apps_set_total", instance="apps.level.0") == 3
    assert _metric(metrics, "logstream_parse_errors_total", instance="apps.level.0") == 0


def test_json_then_level_keeps_the_json_severity(daemon):
    lines = [b'{"level":"info","msg":"ERROR counts: 0"}', b"ERROR plain"]
    objs, _ = _run(daemon, ["{ type: json }", "{ type: level }"], lines)
    assert objs[0]["severity"] == "info"  # level does not override unless told to
    assert objs[0]["message"] == "ERROR counts: 0"
    assert objs[1]["severity"] == "err"
    assert _fields(objs[1]) == [("parse_error", "json")]

    objs, _ = _run(daemon, ["{ type: json }", "{ type: level, override: true }"], lines[:1])
    assert objs[0]["severity"] == "err"


def test_logfmt_parser(daemon):
    lines = [
        b'time="2026-11-23T10:00:00Z" level=error msg="payment failed" service=payment '
        b'order_id=1234 path="C:\\\\tmp"',
        b"at=info method=GET host=myapp.herokuapp.com status=200 empty=",
        b"just some words",
    ]
    objs, metrics = _run(daemon, ["{ type: logfmt }"], lines)
    a, b, c = objs
    assert a["severity"] == "err"
    assert a["message"] == "payment failed"
    assert a["app"] == "payment"
    assert a["time"] == "2026-11-23T10:00:00.000000000Z"
    assert _fields(a) == [("order_id", "1234"), ("path", "C:\\tmp")]
    assert b["host"] == "myapp.herokuapp.com"
    assert b["severity"] is None
    assert _fields(b) == [("at", "info"), ("method", "GET"), ("status", "200"), ("empty", "")]
    assert c["message"] == "just some words"
    assert _fields(c) == [("parse_error", "logfmt")]
    assert _metric(metrics, "logstream_logfmt_not_logfmt_total", instance="apps.logfmt.0") == 1
    assert _metric(metrics, "logstream_parse_errors_total", instance="apps.logfmt.0") == 1


def test_syslog_then_json(daemon):
    """`logger '{"level":"error",...}'`: the syslog parser narrows the message to the JSON
    part, the json parser turns it into fields (only when the syslog plugin is built)."""
    if not (Path(plugin_dir()) / "syslog.so").exists():
        pytest.skip("syslog parser plugin not built")
    line = (b'<13>Nov 23 10:00:00 web1 alice: {"level":"error","msg":"disk full",'
            b'"mount":"/var"}')
    objs, _ = _run(daemon, ["{ type: syslog }", "{ type: json }"], [line])
    obj = objs[0]
    assert obj["severity"] == "err"
    assert obj["facility"] == "user"
    assert obj["host"] == "web1"
    assert obj["app"] == "alice"
    assert obj["message"] == "disk full"
    assert obj["raw"] == line.decode()
    assert _fields(obj) == [("mount", "/var")]
