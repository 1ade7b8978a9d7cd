"""Lines in over TCP come out of the file output byte for byte (raw) or as valid JSON."""

import json
import re
import threading

from conftest import (connect, free_port, read_lines, send_lines, simple_config, wait_for,
                      count_lines)

# Every byte value except '\n' (the frame delimiter) appears somewhere in these lines.
RAW_LINES_A = [
    b"plain ascii line 1",
    b"tab\there and trailing space ",
    b"quotes \" and 'single' and backslash \\ and \\n literal",
    "utf-8: h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \U0001F600".encode(),
    b"invalid utf-8: \xff\xfe \xc0\xaf \xed\xa0\x80 \xe2\x82 end",
    b"embedded \r carriage return in the middle",
    bytes(range(0x01, 0x0a)) + bytes(range(0x0b, 0x20)) + b"\x7f control bytes",
    bytes(range(0x80, 0x100)),
    b"nul \x00 inside",
    b"x" * 4000,
]
RAW_LINES_B = [b"conn-b line %d %s" % (i, b"y" * (i * 7 % 300)) for i in range(500)]


def _start(daemon, fmt):
    d = daemon()
    port = free_port()
    out = d.dir / "out" / "all.log"
    d.start(simple_config(port, out, fmt=fmt))
    return d, port, out


def test_raw_byte_exact_and_ordered_per_connection(daemon):
    d, port, out = _start(daemon, "raw")
    # Two connections at once; each keeps its own order.
    a = connect(port)
    b = connect(port)
    t = threading.Thread(target=lambda: b.sendall(b"".join(l + b"\n" for l in RAW_LINES_B)))
    t.start()
    a.sendall(b"".join(l + b"\n" for l in RAW_LINES_A))
    t.join()
    a.close()
    b.close()
    total = len(RAW_LINES_A) + len(RAW_LINES_B)
    wait_for(lambda: count_lines(out) >= total, 10, msg=lambda: f"{total} lines in {out}")
    d.stop()
    got = read_lines(out)
    assert len(got) == total
    got_b = [l for l in got if l.startswith(b"conn-b ")]
    got_a = [l for l in got if not l.startswith(b"conn-b ")]
    assert got_a == RAW_LINES_A
    assert got_b == RAW_LINES_B


def test_crlf_endings_are_stripped(daemon):
    d, port, out = _start(daemon, "raw")
    # "\r\n" is one delimiter; only that one '\r' goes, others are data.
    send_lines(port, [b"crlf one", b"crlf two", b"cr kept\r"], eol=b"\r\n")
    send_lines(port, [b"lf only"])
    wait_for(lambda: count_lines(out) >= 4, 10)
    d.stop()
    got = read_lines(out)
    assert sorted(got) == sorted([b"crlf one", b"crlf two", b"cr kept\r", b"lf only"])


RFC3339_NS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$")
JSON_KEYS = {"time", "received", "severity", "facility", "host", "app", "procid", "msgid",
             "message", "raw", "peer", "input", "pipeline"}


def _collapse_fffd(s):
    return re.sub("\ufffd+", "\ufffd", s)


def test_json_format_round_trip(daemon):
    d, port, out = _start(daemon, "json")
    lines = list(RAW_LINES_A)
    send_lines(port, lines)
    wait_for(lambda: count_lines(out) >= len(lines), 10)
    d.stop()
    data = out.read_bytes()
    # The file itself is valid UTF-8 and every line one JSON object.
    text = data.decode("utf-8")
    assert text.endswith("\n")
    objs = []
    for jl in text[:-1].split("\n"):
        assert not any(ord(c) < 0x20 for c in jl), f"raw control char in JSON line: {jl!r}"
        objs.append(json.loads(jl))
    assert len(objs) == len(lines)
    for sent, obj in zip(lines, objs):
        assert isinstance(obj, dict)
        missing = JSON_KEYS - set(obj)
        assert not missing, f"keys missing from {obj}: {missing}"
        expected = sent.decode("utf-8", "replace")
        for key in ("message", "raw"):
            val = obj[key]
            assert not any(0xD800 <= ord(c) <= 0xDFFF for c in val), f"surrogate in {val!r}"
            assert _collapse_fffd(val) == _collapse_fffd(expected), key
        assert RFC3339_NS.match(obj["time"]), obj["time"]
        assert RFC3339_NS.match(obj["received"]), obj["received"]
        assert obj["severity"] is None
        assert obj["facility"] is None
        assert obj["input"] == "apps.tcp.0"
        assert obj["pipeline"] == "apps"
        assert re.match(r"^127\.0\.0\.1:\d+$", obj["peer"]), obj["peer"]
    # Valid lines round-trip exactly, not just modulo U+FFFD runs.
    for sent, obj in zip(lines, objs):
        try:
            exact = sent.decode("utf-8")
        except UnicodeDecodeError:
            continue
        assert obj["message"] == exact
        assert obj["raw"] == exact
    # A single invalid byte between valid characters becomes exactly one U+FFFD.
    assert objs[4]["message"].startswith("invalid utf-8: \ufffd\ufffd ")
    # Control characters are written as \u00XX escapes (\t, \n etc. may use short forms).
    ctl_line = text.split("\n")[6]
    for c in (1, 2, 0x0b, 0x0e, 0x1f):
        assert "\\u%04x" % c in ctl_line.lower(), f"\\u{c:04x} not in {ctl_line!r}"
    assert "\\u0000" in text.split("\n")[8].lower()


def test_json_single_invalid_byte_is_one_replacement(daemon):
    d, port, out = _start(daemon, "json")
    send_lines(port, [b"a\xffb", b"\x80", b"ok \xf0\x9f\x98\x80 ok"])
    wait_for(lambda: count_lines(out) >= 3, 10)
    d.stop()
    objs = [json.loads(l) for l in read_lines(out)]
    assert [o["message"] for o in objs] == ["a\ufffdb", "\ufffd", "ok \U0001F600 ok"]
    assert [o["raw"] for o in objs] == ["a\ufffdb", "\ufffd", "ok \U0001F600 ok"]
