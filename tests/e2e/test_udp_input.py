"""udp input: util-linux logger (--udp, --rfc3164, --rfc5424) and Python's SysLogHandler produce
the exact records with the sender's address, over IPv4 and IPv6; one record per datagram with
one trailing newline stripped; long datagrams are cut and counted; what the kernel drops on a
full receive buffer is counted (SO_RXQ_OVFL), so received + counted == sent."""

import json
import logging
import logging.handlers
import re
import signal
import socket
import subprocess

import pytest

from conftest import count_lines, read_lines, wait_for

MONTH_TS = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"


def _free_udp_port(host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def _config(listen, out, fmt="json", extra="", output_extra="", name=None):
    text = ("outputs:\n"
            "  out:\n"
            "    type: file\n"
            f"    path: {out}\n"
            f"    format: {fmt}\n"
            + "".join(f"    {l}\n" for l in output_extra.split("\n") if l.strip())
            + "pipelines:\n"
            "  p:\n"
            "    inputs:\n"
            "      - type: udp\n"
            f"        listen: \"{listen}\"\n"
            + (f"        name: {name}\n" if name else "")
            + "".join(f"        {l}\n" for l in extra.split("\n") if l.strip())
            + "    parsers: []\n"
            "    outputs: [out]\n")
    return text


def _records(out, n, timeout=15):
    wait_for(lambda: count_lines(out) >= n, timeout,
             msg=lambda: f"{n} lines in {out} (have {count_lines(out)})")
    return [json.loads(l) for l in read_lines(out)]


def _logger(*args):
    p = subprocess.run(["logger"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    assert p.returncode == 0, f"logger {args} failed: {p.stderr.decode()}"


def _start(daemon, listen, **kw):
    d = daemon()
    out = d.dir / "out.log"
    d.start(_config(listen, out, **kw))
    return d, out


def test_logger_rfc3164_and_rfc5424(daemon):
    port = _free_udp_port()
    d, out = _start(daemon, f"127.0.0.1:{port}")
    _logger("--udp", "-n", "127.0.0.1", "-P", str(port), "--rfc3164", "-t", "lsudp",
            "-p", "daemon.notice", "hello rfc3164")
    _logger("--udp", "-n", "127.0.0.1", "-P", str(port), "--rfc5424", "--msgid", "ID7",
            "-t", "lsudp", "-p", "local7.debug", "hello rfc5424")
    recs = _records(out, 2)
    d.stop()
    a, b = recs
    # daemon.notice = 3 * 8 + 5; local7.debug = 23 * 8 + 7
    assert re.fullmatch(rf"<29>{MONTH_TS} \S+ lsudp: hello rfc3164", a["raw"]), a
    assert re.fullmatch(r"<191>1 \S+ \S+ lsudp - ID7 \[timeQuality [^\]]*\] hello rfc5424",
                        b["raw"]), b
    for r in recs:
        assert re.fullmatch(r"127\.0\.0\.1:\d+", r["peer"]), r
        assert r["message"] == r["raw"]


def test_python_sysloghandler_udp(daemon):
    port = _free_udp_port()
    d, out = _start(daemon, f"127.0.0.1:{port}")
    h = logging.handlers.SysLogHandler(address=("127.0.0.1", port))
    lg = logging.Logger("lstest-udp")
    lg.addHandler(h)
    for i in range(3):
        lg.error("python udp %d", i)
    h.close()
    recs = _records(out, 3)
    d.stop()
    # user.err = 8 + 3; SysLogHandler's trailing NUL is stripped
    assert [r["raw"] for r in recs] == [f"<11>python udp {i}" for i in range(3)]


def test_one_record_per_datagram_exact_peer_and_newline(daemon):
    port = _free_udp_port()
    d, out = _start(daemon, f"127.0.0.1:{port}")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    src = s.getsockname()[1]
    for p in (b"one\n", b"two", b"three\n\n", b"", b"\n", b"four\r\n", b"five\nsix"):
        s.sendto(p, ("127.0.0.1", port))
    s.close()
    recs = _records(out, 5)
    d.stop()
    assert [r["raw"] for r in recs] == ["one", "two", "three\n", "four\r", "five\nsix"]
    assert {r["peer"] for r in recs} == {f"127.0.0.1:{src}"}


@pytest.mark.skipif(not _have_ipv6(), reason="no IPv6 loopback on this machine")
def test_ipv6_and_dual_stack(daemon):
    port = _free_udp_port("::1", socket.AF_INET6)
    d, out = _start(daemon, f"[::1]:{port}")
    _logger("--udp", "-n", "::1", "-P", str(port), "--rfc3164", "-t", "v6", "over ipv6")
    recs = _records(out, 1)
    d.stop()
    assert re.fullmatch(rf"<13>{MONTH_TS} \S+ v6: over ipv6", recs[0]["raw"]), recs
    assert re.fullmatch(r"\[::1\]:\d+", recs[0]["peer"]), recs

    port = _free_udp_port("::", socket.AF_INET6)
    d2 = daemon()
    out2 = d2.dir / "out.log"
    d2.start(_config(f"*:{port}", out2))
    for host, fam in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.sendto(f"via {host}".encode(), (host, port))
        s.close()
    recs = _records(out2, 2)
    d2.stop()
    peers = {r["raw"]: r["peer"] for r in recs}
    assert re.fullmatch(r"127\.0\.0\.1:\d+", peers["via 127.0.0.1"]), peers  # not ::ffff:
    assert re.fullmatch(r"\[::1\]:\d+", peers["via ::1"]), peers


def test_long_datagram_is_cut_and_counted(daemon):
    port = _free_udp_port()
    d, out = _start(daemon, f"127.0.0.1:{port}", fmt="raw", extra="max_message: 64")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x" * 50 + b"y" * 100, ("127.0.0.1", port))
    s.sendto(b"z" * 64 + b"\n", ("127.0.0.1", port))  # 65 bytes: cut, newline and all
    s.sendto(b"short", ("127.0.0.1", port))
    s.close()
    wait_for(lambda: count_lines(out) >= 3, 10)
    wait_for(lambda: d.metric("logstream_udp_truncated_messages_total", instance="p.udp.0") == 2,
             5)
    d.stop()
    assert read_lines(out) == [b"x" * 50 + b"y" * 14, b"z" * 64, b"short"]


def _dropped_total(d):
    return sum(v for (name, _), v in d.metrics().items()
               if name == "logstream_dropped_records_total")


def test_kernel_drops_are_counted(daemon):
    port = _free_udp_port()
    d, out = _start(daemon, f"127.0.0.1:{port}", fmt="raw", extra="rcvbuf: 16KiB",
                    name="net")
    assert d.metric("logstream_udp_kernel_drops_total", instance="net") == 0
    n = 3000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # With the daemon stopped its 16 KiB receive buffer overflows: the kernel drops the rest.
    d.send_signal(signal.SIGSTOP)
    try:
        for i in range(n):
            s.sendto(b"dgram %05d " % i + b"." * 200, ("127.0.0.1", port))
    finally:
        d.send_signal(signal.SIGCONT)
    # Drops are reported with the next datagram queued after them.
    wait_for(lambda: count_lines(out) > 0, 10)
    s.sendto(b"probe", ("127.0.0.1", port))
    s.close()
    total = n + 1

    def settled():
        return count_lines(out) + d.metric("logstream_udp_kernel_drops_total",
                                           instance="net") + _dropped_total(d) >= total
    wait_for(settled, 20, msg=lambda: f"received + dropped == {total}")
    drops = d.metric("logstream_udp_kernel_drops_total", instance="net")
    queue_drops = _dropped_total(d)
    d.stop()
    lines = read_lines(out)
    assert drops > 0, "the kernel dropped nothing: the test did not overflow the buffer"
    assert len(lines) + drops + queue_drops == total
    assert lines[-1] == b"probe"
    assert len(set(lines)) == len(lines)


def test_socket_activation_adopts_the_passed_socket(daemon):
    from test_unix_input import start_socket_activated

    port = _free_udp_port()
    d = daemon()
    out = d.dir / "out.log"

    def send(payload):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(payload, ("127.0.0.1", port))
        s.close()
    start_socket_activated(d, _config(f"127.0.0.1:{port}", out, fmt="raw"),
                           [f"127.0.0.1:{port}"], lambda: send(b"first, before the daemon ran"))
    assert f"[input:udp:p.udp.0] adopted socket from systemd for 127.0.0.1:{port}" in d.stderr()
    send(b"second")
    wait_for(lambda: count_lines(out) >= 2, 10)
    d.stop()
    assert read_lines(out) == [b"first, before the daemon ran", b"second"]
