"""tcp input framing (newline | octet_counted | auto, RFC 6587) with util-linux `logger` and raw
peers, framing errors (disconnect + counter + rate-limited warning), and systemd socket
activation (systemd-socket-activate, and a wrapper of our own that passes fds the same way)."""

import json
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import (connect, count_lines, free_port, logstream_bin, wait_for)

INSTANCE = "apps.tcp.0"
HOST = socket.gethostname().split(".")[0]


def _config(out, inputs):
    """inputs: list of (listen, extra-yaml-lines) for tcp inputs of pipeline `apps`; json out."""
    text = ("outputs:\n"
            "  archive:\n"
            "    type: file\n"
            f"    path: {out}\n"
            "    format: json\n"
            "pipelines:\n"
            "  apps:\n"
            "    inputs:\n")
    for listen, extra in inputs:
        text += f"      - type: tcp\n        listen: \"{listen}\"\n"
        for line in extra:
            text += f"        {line}\n"
    text += "    parsers: []\n    outputs:\n      - archive\n"
    return text


def _start(daemon, framing=None, extra=()):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    lines = ([f"framing: {framing}"] if framing else []) + list(extra)
    d.start(_config(out, [(f"127.0.0.1:{port}", lines)]))
    return d, port, out


def _records(out, n, timeout=10):
    wait_for(lambda: count_lines(out) >= n, timeout, msg=lambda: f"{n} records in {out}")
    time.sleep(0.2)  # nothing more may come
    recs = [json.loads(l) for l in out.read_bytes().splitlines()]
    assert len(recs) == n, recs
    return recs


def _logger(port, *args, stdin=None):
    subprocess.run(["logger", "--tcp", "-n", "127.0.0.1", "-P", str(port), "-t", "e2etag",
                    *args], input=stdin, check=True, timeout=20, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)


def _closed_by_peer(s, timeout=5.0):
    """True when the daemon closed s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            b = s.recv(4096)
            if b == b"":
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


RFC5424 = r'<13>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d ' + re.escape(HOST) + \
    r' e2etag - - \[timeQuality tzKnown="1" isSynced="[01]"( syncAccuracy="\d+")?\] '
RFC3164 = r'<13>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ' + re.escape(HOST) + r' e2etag: '


def _assert_logger_records(recs, kinds_and_texts):
    assert len(recs) == len(kinds_and_texts)
    for rec, (kind, text) in zip(recs, kinds_and_texts):
        pattern = (RFC5424 if kind == "5424" else RFC3164) + re.escape(text)
        assert re.fullmatch(pattern, rec["raw"]), (pattern, rec["raw"])
        assert rec["message"] == rec["raw"]
        assert re.fullmatch(r"127\.0\.0\.1:\d+", rec["peer"]), rec["peer"]


@pytest.mark.parametrize("framing", ["octet_counted", "auto"])
def test_logger_octet_count_rfc5424_and_rfc3164(daemon, framing):
    d, port, out = _start(daemon, framing)
    # stdin: one message per line, all in one octet-counted stream per logger run
    _logger(port, "--octet-count", "--rfc5424", stdin=b"first 5424\nsecond 5424 with \\n \"q\"\n")
    _logger(port, "--octet-count", "--rfc3164", "only 3164 message")
    # a message containing digits and spaces like a header must not matter inside a frame
    _logger(port, "--octet-count", "--rfc5424", "12 <13> inner header-like text")
    recs = _records(out, 4)
    _assert_logger_records(recs, [("5424", "first 5424"),
                                  ("5424", 'second 5424 with \\n "q"'),
                                  ("3164", "only 3164 message"),
                                  ("5424", "12 <13> inner header-like text")])
    assert d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 0
    assert d.metric("logstream_tcp_connections_accepted_total", instance=INSTANCE) == 3
    d.stop()


def test_auto_is_the_default_and_tells_peers_apart(daemon):
    d, port, out = _start(daemon)  # no framing option: auto
    _logger(port, "--octet-count", "--rfc5424", "octet peer")
    _logger(port, "--rfc3164", "newline peer 3164")  # "<13>..." + "\n"
    _logger(port, "--rfc5424", "newline peer 5424")
    # plain lines that start with digits, on connections of their own (the decision is made
    # from a connection's first bytes)
    plain = [b"2026-11-23 10:00 started", b"123 apples", b"42 <html> is not a PRI",
             b"7 <13", b"1234567890 <13>ten digits are not a length"]
    for line in plain:
        s = connect(port)
        s.sendall(line + b"\nsecond line of " + line[:4] + b"\n")
        s.close()
    recs = _records(out, 3 + 2 * len(plain))
    _assert_logger_records(recs[:3], [("5424", "octet peer"), ("3164", "newline peer 3164"),
                                      ("5424", "newline peer 5424")])
    got_plain = [r["raw"].encode() for r in recs[3:]]
    want_plain = []
    for line in plain:
        want_plain += [line, b"second line of " + line[:4]]
    assert got_plain == want_plain
    assert d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 0
    d.stop()


def _warnings(d):
    return [l for l in d.stderr().splitlines() if "framing error" in l]


@pytest.mark.parametrize("framing,payload,good,reason", [
    ("octet_counted", b"6 <13>ok999999999 <13>x", ["<13>ok"],
     "frame length 999999999 exceeds max_line (65536)"),
    ("auto", b"6 <13>ok65537 " + b"A" * 100, ["<13>ok"],
     "frame length 65537 exceeds max_line (65536)"),
    ("octet_counted", b"hello world\n", [], "expected a frame length, got 'h'"),
    ("auto", b"6 <13>ok\n6 <13>no", ["<13>ok"], "expected a frame length, got byte 0x0a"),
    ("octet_counted", b"1234567890 x", [], "frame length has more than 9 digits"),
])
def test_absurd_length_or_garbage_disconnects_and_counts(daemon, framing, payload, good,
                                                         reason):
    d, port, out = _start(daemon, framing)
    s = connect(port)
    s.sendall(payload)
    assert _closed_by_peer(s), "the daemon did not close the connection"
    s.close()
    wait_for(lambda: d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 1, 5)
    # the input keeps serving other connections
    ok = connect(port)
    ok.sendall(b"5 <13>y" if framing == "octet_counted" else b"next line\n")
    ok.close()
    recs = _records(out, len(good) + 1)
    assert [r["raw"] for r in recs] == good + ["<13>y" if framing == "octet_counted"
                                               else "next line"]
    warns = _warnings(d)
    assert len(warns) == 1, warns
    assert re.search(r"\[input:tcp:[^\]]+\] closing connection from 127\.0\.0\.1:\d+: "
                     r"framing error: " + re.escape(reason) + "$", warns[0]), warns[0]
    d.stop()


def test_peer_closing_inside_a_frame_keeps_the_bytes_and_counts(daemon):
    d, port, out = _start(daemon, "octet_counted")
    s = connect(port)
    s.sendall(b"5 <13>a20 <13>partial")
    s.close()
    recs = _records(out, 2)
    assert [r["raw"] for r in recs] == ["<13>a", "<13>partial"]
    wait_for(lambda: d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 1, 5)
    assert d.metric("logstream_tcp_truncated_lines_total", instance=INSTANCE) == 1
    warns = _warnings(d)
    assert len(warns) == 1 and warns[0].endswith(
        ": framing error: stream ended inside a frame (11 of 20 bytes)"), warns
    assert "closed connection from 127.0.0.1:" in warns[0]
    d.stop()


def test_framing_warnings_are_rate_limited(daemon):
    d, port, out = _start(daemon, "octet_counted")
    for i in range(5):
        s = connect(port)
        s.sendall(b"garbage %d\n" % i)
        assert _closed_by_peer(s)
        s.close()
    wait_for(lambda: d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 5, 5)
    assert len(_warnings(d)) == 1, _warnings(d)
    assert _warnings(d)[0].endswith("framing error: expected a frame length, got 'g'")
    # after the 10 s window, the next warning says how many were held back
    time.sleep(10.2)
    s = connect(port)
    s.sendall(b"0 zero")
    assert _closed_by_peer(s)
    s.close()
    wait_for(lambda: len(_warnings(d)) == 2, 5)
    assert _warnings(d)[1].endswith(
        "framing error: frame length starts with '0' "
        "(4 more framing errors since the last warning)"), _warnings(d)
    assert d.metric("logstream_tcp_framing_errors_total", instance=INSTANCE) == 6
    d.stop()


# ---- socket activation --------------------------------------------------------------------

# Pass the listed fds as systemd does: at 3, 4, ... with LISTEN_FDS and LISTEN_PID (the pid
# stays the same across exec), then exec the daemon.
WRAPPER = r"""
import os, sys
fds = [int(x) for x in sys.argv[1].split(",")]
high = [os.dup2(fd, 200 + i) for i, fd in enumerate(fds)]
for i, h in enumerate(high):
    os.dup2(h, 3 + i)
    os.close(h)
os.environ["LISTEN_FDS"] = str(len(fds))
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"""


def _adopted(d, listen):
    return f"adopted socket from systemd for {listen}" in d.stderr()


def test_socket_activation_passed_fds(daemon):
    d = daemon()
    out = d.dir / "out.log"
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    passed_port = lst.getsockname()[1]
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # passed, matches no input
    other.bind(("127.0.0.1", 0))
    bound_port = free_port()
    d.write_config(_config(out, [(f"127.0.0.1:{passed_port}", []),
                                 (f"127.0.0.1:{bound_port}", [])]))
    # A peer that connects and sends before the daemon even runs is served from the backlog.
    early = connect(passed_port)
    early.sendall(b"sent before the daemon started\n")
    early.close()
    err = open(d.stderr_path, "wb")
    d.proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, f"{lst.fileno()},{other.fileno()}", logstream_bin(),
         "-c", str(d.confdir)],
        pass_fds=(lst.fileno(), other.fileno()), cwd=d.dir, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=err)
    d._err = err
    lst.close()  # only the daemon holds it now
    other.close()
    d.wait_healthy()
    assert _adopted(d, f"127.0.0.1:{passed_port}"), d.stderr()
    assert not _adopted(d, f"127.0.0.1:{bound_port}"), d.stderr()
    for port, text in ((passed_port, b"adopted"), (bound_port, b"bound")):
        s = connect(port)
        s.sendall(text + b"\n")
        s.close()
    recs = _records(out, 3)
    assert sorted(r["raw"] for r in recs) == ["adopted", "bound",
                                              "sent before the daemon started"]
    d.stop()


def test_socket_activation_systemd_socket_activate(daemon):
    tool = shutil.which("systemd-socket-activate")
    if not tool:
        pytest.skip("systemd-socket-activate not installed (package systemd)")
    d = daemon()
    out = d.dir / "out.log"
    port = free_port()
    listen = f"*:{port}"  # systemd-socket-activate -l PORT binds the wildcard, dual-stack
    d.write_config(_config(out, [(listen, [])]))
    err = open(d.stderr_path, "wb")
    d._err = err
    d.proc = subprocess.Popen([tool, "-l", str(port), logstream_bin(), "-c", str(d.confdir)],
                              cwd=d.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=err)
    # The tool listens first and execs the daemon (same pid) on the first connection.
    s = wait_for(lambda: _try_connect(port), 10, msg="systemd-socket-activate listening")
    body = b"<13>first, activating frame"
    s.sendall(b"%d %s" % (len(body), body))
    s.close()
    d.wait_healthy()
    assert _adopted(d, listen), d.stderr()
    _logger(port, "--octet-count", "--rfc3164", "after activation")
    recs = _records(out, 2)
    assert recs[0]["raw"] == "<13>first, activating frame"
    _assert_logger_records(recs[1:], [("3164", "after activation")])
    d.stop()


def _try_connect(port):
    try:
        return connect(port, timeout=1.0)
    except OSError:
        return None
