"""tcp input limits: max_connections refuses extra connections (and counts them); max_line cuts
long lines at exactly max_line bytes and keeps the framing of the lines after them."""

import socket
import time

from conftest import (connect, count_lines, free_port, read_lines, send_lines, simple_config,
                      wait_for)


def _closed_by_peer(s, timeout=5.0):
    """True when the daemon closed s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_max_connections(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(simple_config(port, out, input_extra="max_connections: 2"))
    a = connect(port)
    b = connect(port)
    a.sendall(b"from a 1\n")
    b.sendall(b"from b 1\n")
    # Both are read, so both are accepted and counted before the third arrives.
    wait_for(lambda: count_lines(out) >= 2, 10)
    c = connect(port)  # accepted by the kernel, then closed at once by the daemon
    assert _closed_by_peer(c), "third connection was not closed by the daemon"
    c.close()
    wait_for(lambda: d.metric("logstream_tcp_refused_connections_total",
                              instance="apps.tcp.0") == 1, 5,
             msg=lambda: "logstream_tcp_refused_connections_total == 1, is "
                         f"{d.metric('logstream_tcp_refused_connections_total', instance='apps.tcp.0')}")
    # The first two keep working.
    a.sendall(b"from a 2\n")
    b.sendall(b"from b 2\n")
    wait_for(lambda: count_lines(out) >= 4, 10)
    # A freed slot can be used again.
    a.close()
    time.sleep(0.5)
    e = connect(port)
    e.sendall(b"from e 1\n")
    wait_for(lambda: count_lines(out) >= 5, 10, msg="line from a connection made after one closed")
    e.close()
    b.close()
    assert d.metric("logstream_tcp_refused_connections_total", instance="apps.tcp.0") == 1
    d.stop()
    assert sorted(read_lines(out)) == sorted([b"from a 1", b"from b 1", b"from a 2", b"from b 2",
                                              b"from e 1"])


def test_max_line_truncates_and_keeps_framing(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(simple_config(port, out, input_extra="max_line: 1KiB"))
    exact = b"E" * 1024
    long_line = b"L" + b"".join(b"%09d," % i for i in range(1024))[:10 * 1024 - 1]
    assert len(long_line) == 10 * 1024
    over_by_one = b"O" * 1025
    lines = [b"first", exact, long_line, b"next line intact", over_by_one, b"last"]
    send_lines(port, lines)
    wait_for(lambda: count_lines(out) >= 6, 10, msg=lambda: f"6 lines in {out}")
    time.sleep(0.3)
    m_trunc = d.metric("logstream_tcp_truncated_lines_total", instance="apps.tcp.0")
    d.stop()
    got = read_lines(out)
    assert got == [b"first", exact, long_line[:1024], b"next line intact", b"O" * 1024, b"last"]
    assert m_trunc == 2


def test_max_line_long_line_split_across_sends(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(simple_config(port, out, input_extra="max_line: 1KiB"))
    s = connect(port)
    part = b"p" * 700
    for _ in range(20):  # 14000 bytes of one line, in pieces
        s.sendall(part)
        time.sleep(0.01)
    s.sendall(b"\nafter\n")
    s.close()
    wait_for(lambda: count_lines(out) >= 2, 10)
    time.sleep(0.3)
    d.stop()
    assert read_lines(out) == [b"p" * 1024, b"after"]
