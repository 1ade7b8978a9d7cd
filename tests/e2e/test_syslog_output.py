"""The syslog output: forwarding over tcp, udp and unix sockets to receivers written here.

The tcp receivers misbehave on purpose: one stops reading until the daemon's buffers fill and
its input pauses, then closes gracefully and comes back a second later (every record must
arrive, duplicates bounded); one resets the connection with unread data in its buffer (only
those records, acknowledged by its kernel and never read, may be lost - everything the
daemon's kernel still held must be sent again)."""

import json
import os
import re
import select
import socket
import subprocess
import threading
import time

import pytest

from conftest import free_port, is_asan, logstream_bin, plugin_dir, run_cli, wait_for

LINE_LEN = 100  # bytes of each record sent to the daemon, '\n' included
BATCH_RECORDS = 1024  # the daemon's default service.batch.max_records
SEQ_RE = re.compile(rb"seq=(\d{9}) ")
# What the output makes of a line from the tcp input (no parser: no host, app, PRI).
MSG_5424_RE = re.compile(
    rb"^<13>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ - - - - (seq=\d{9} p+)$")


def line(seq):
    head = b"seq=%09d " % seq
    return head + b"p" * (LINE_LEN - 1 - len(head)) + b"\n"


def record_count():
    return 30_000 if is_asan() else 100_000


# ---- framing parsers ---------------------------------------------------------------------------


class OctetFrames:
    """RFC 6587 octet counting: "LEN SP MSG". Asserts the stream is well-formed."""

    def __init__(self):
        self.buf = bytearray()
        self.frames = []

    def feed(self, data):
        self.buf += data
        pos = 0
        while True:
            sp = self.buf.find(b" ", pos, pos + 12)
            if sp < 0:
                assert len(self.buf) - pos < 12, f"no octet count at {bytes(self.buf[pos:pos+40])!r}"
                break
            count = bytes(self.buf[pos:sp])
            assert count.isdigit() and not count.startswith(b"0"), f"bad octet count {count!r}"
            n = int(count)
            if len(self.buf) < sp + 1 + n:
                break
            self.frames.append(bytes(self.buf[sp + 1:sp + 1 + n]))
            pos = sp + 1 + n
        del self.buf[:pos]

    def copy(self):
        c = OctetFrames()
        c.buf = bytearray(self.buf)
        return c


class LineFrames:
    def __init__(self):
        self.buf = bytearray()
        self.frames = []

    def feed(self, data):
        self.buf += data
        *whole, rest = bytes(self.buf).split(b"\n")
        self.frames.extend(whole)
        self.buf = bytearray(rest)


def seqs_of(frames):
    out = []
    for f in frames:
        m = MSG_5424_RE.match(f)
        assert m, f"not the expected RFC 5424 message: {f[:200]!r}"
        body = m.group(1)
        seq = int(SEQ_RE.match(body).group(1))
        assert body + b"\n" == line(seq), f"record {seq} altered: {body!r}"
        out.append(seq)
    return out


# ---- helpers -----------------------------------------------------------------------------------


def tcp_listener(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # inherited by accept()
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s


def accept(lst, timeout):
    lst.settimeout(timeout)
    c, _ = lst.accept()
    c.settimeout(None)
    return c


class Receiver(threading.Thread):
    """Reads a connection into a frame parser until EOF, an error, or quit(). Reading can be
    paused (the kernel's buffers then fill and TCP pushes back): by pause(), or by the thread
    itself once it has pause_after frames."""

    def __init__(self, conn, parser, pause_after=None):
        super().__init__(daemon=True)
        self.conn = conn
        self.parser = parser
        self.lock = threading.Lock()
        self.reading = threading.Event()
        self.reading.set()
        self.idle = threading.Event()  # set while paused and not inside recv
        self.eof = threading.Event()
        self.stop_flag = False
        self.error = None
        self.pause_after = pause_after

    def run(self):
        try:
            while not self.stop_flag:
                if not self.reading.is_set():
                    self.idle.set()
                    time.sleep(0.01)
                    continue
                self.idle.clear()
                r, _, _ = select.select([self.conn], [], [], 0.05)
                if not r:
                    continue
                data = self.conn.recv(1 << 16)
                if not data:
                    break
                with self.lock:
                    self.parser.feed(data)
                    if self.pause_after and len(self.parser.frames) >= self.pause_after:
                        self.pause_after = None
                        self.reading.clear()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)
        finally:
            self.eof.set()
            self.idle.set()

    def frames(self):
        with self.lock:
            return list(self.parser.frames)

    def pause(self):
        self.reading.clear()
        self.idle.wait(5)
        time.sleep(0.06)  # a select() in progress finishes
        assert self.idle.is_set()

    def quit(self):
        self.stop_flag = True
        self.join(5)


class Sender(threading.Thread):
    """Sends records [0, n) to the daemon's tcp input, then closes."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.port, self.n = port, n
        self.error = None

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=300)
            for i in range(0, self.n, 1000):
                s.sendall(b"".join(line(q) for q in range(i, min(i + 1000, self.n))))
            s.close()
        except Exception as e:  # noqa: BLE001
            self.error = repr(e)


def config(in_port, out_extra, service_extra=""):
    return ("outputs:\n"
            "  fwd:\n"
            "    type: syslog\n"
            + "".join(f"    {l}\n" for l in out_extra.strip("\n").split("\n"))
            + "pipelines:\n"
            "  apps:\n"
            "    inputs:\n"
            "      - type: tcp\n"
            f"        listen: 127.0.0.1:{in_port}\n"
            "    parsers: []\n"
            "    outputs: [ fwd ]\n")


def metric(d, name):
    return d.metric(name, instance="fwd")


# ---- tcp ---------------------------------------------------------------------------------------


def test_tcp_receiver_stalls_closes_and_comes_back(daemon):
    n = record_count()
    d = daemon()
    in_port, out_port = free_port(), free_port()
    lst = tcp_listener(out_port, rcvbuf=64 * 1024)
    d.start(config(in_port, f"""
address: 127.0.0.1:{out_port}
transport: tcp
send_buffer: 64KiB
backoff_max: 1s
queue_size: 1MiB
"""), service_extra="shutdown_grace: 30s")
    # Read for a while, then stop reading: the daemon's socket and queue fill, its input pauses.
    rx1 = Receiver(accept(lst, 10), OctetFrames(), pause_after=2000)
    rx1.start()
    snd = Sender(in_port, n)
    snd.start()
    wait_for(lambda: len(rx1.frames()) >= 2000, 30, msg="2000 records on the first connection")
    rx1.pause()
    wait_for(lambda: d.metric("logstream_input_paused", instance="apps.tcp.0") == 1, 30,
             msg="the tcp input paused by backpressure from the stalled receiver")
    assert metric(d, "logstream_queue_bytes") > 0
    time.sleep(1.0)
    stalled_at = len(rx1.frames())

    # Drain what was sent and close: shut our side, read until the daemon's EOF.
    rx1.conn.shutdown(socket.SHUT_WR)
    rx1.reading.set()
    assert rx1.eof.wait(30), "the daemon never closed the first connection"
    assert rx1.error is None, rx1.error
    rx1.conn.close()
    lst.close()
    assert rx1.parser.buf == b"", "the first connection ended inside a frame"
    first = seqs_of(rx1.frames())
    assert first == list(range(len(first))), "first connection: records out of order"
    assert len(first) > stalled_at

    # Come back a second later.
    time.sleep(1.0)
    lst = tcp_listener(out_port)
    rx2 = Receiver(accept(lst, 15), OctetFrames())
    rx2.start()
    wait_for(lambda: len(set(first) | set(seqs_of(rx2.frames()))) >= n, 240,
             msg=lambda: f"all {n} records; have {len(set(first) | set(seqs_of(rx2.frames())))}")
    snd.join(60)
    assert snd.error is None, snd.error
    m = d.metrics()
    d.stop()
    assert rx2.eof.wait(15)
    lst.close()

    second = seqs_of(rx2.frames())
    got = first + second
    dups = len(got) - len(set(got))
    reconnects = m[("logstream_syslog_reconnects_total", frozenset({("instance", "fwd")}))]
    print(f"{n} records: {len(first)} on the first connection, {len(second)} on the second, "
          f"{dups} duplicates, {reconnects:.0f} reconnects")
    assert set(got) == set(range(n)), f"lost: {sorted(set(range(n)) - set(got))[:20]}"
    assert reconnects >= 1
    assert dups <= BATCH_RECORDS * reconnects
    # Each connection delivers in order; the second starts where the first stopped.
    assert second == sorted(second)
    assert second[0] <= first[-1] + 1

    def val(name):
        return m.get((name, frozenset({("instance", "fwd")})))

    assert val("logstream_syslog_records_sent_total") == n
    assert val("logstream_syslog_bytes_sent_total") >= n * (LINE_LEN + 40)
    assert val("logstream_syslog_connect_failures_total") >= 1
    assert val("logstream_syslog_retried_records_total") is not None
    assert val("logstream_syslog_truncated_records_total") == 0
    err = d.stderr()
    target = f"tcp 127.0.0.1:{out_port}"
    assert f"[output:syslog:fwd] connected to {target}\n" in err
    assert f"[output:syslog:fwd] {target} closed the connection\n" in err
    assert f"[output:syslog:fwd] connect {target}: Connection refused; retrying with backoff " \
           f"up to 1s\n" in err
    assert re.search(rf"\[output:syslog:fwd\] connected to {target} again after \d+ failed "
                     rf"attempts\n", err), err[-3000:]


def test_tcp_reset_loses_only_what_the_receiver_never_read(daemon):
    """The receiver resets the connection with data unread in its buffer. Those records were
    acknowledged by its kernel: they are the only ones that may be lost. Everything else - in
    flight, in the daemon's socket buffer, not yet written - arrives on the next connection."""
    n = record_count()
    d = daemon()
    in_port, out_port = free_port(), free_port()
    lst = tcp_listener(out_port, rcvbuf=64 * 1024)
    d.start(config(in_port, f"""
address: 127.0.0.1:{out_port}
transport: tcp
send_buffer: 256KiB
backoff_max: 1s
queue_size: 1MiB
"""), service_extra="shutdown_grace: 30s")
    rx1 = Receiver(accept(lst, 10), OctetFrames(), pause_after=2000)
    rx1.start()
    snd = Sender(in_port, n)
    snd.start()
    wait_for(lambda: len(rx1.frames()) >= 2000, 30, msg="2000 records on the first connection")
    rx1.pause()
    wait_for(lambda: d.metric("logstream_input_paused", instance="apps.tcp.0") == 1, 30,
             msg="the tcp input paused by backpressure from the stalled receiver")

    # What sits unread in our receive buffer, once nothing more comes in (window closed).
    conn = rx1.conn
    peeked, last = b"", -1
    deadline = time.monotonic() + 20
    while len(peeked) != last:
        assert time.monotonic() < deadline, "the receive buffer never stopped growing"
        last = len(peeked)
        time.sleep(0.3)
        peeked = conn.recv(1 << 24, socket.MSG_PEEK)
    assert len(peeked) > 0
    unread = rx1.parser.copy()
    unread.feed(peeked)
    never_read = set(seqs_of(unread.frames))
    rx1.quit()
    read_before = seqs_of(rx1.frames())
    # Reset: close with unread data and SO_LINGER 0.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()
    lst.close()

    time.sleep(1.0)
    lst = tcp_listener(out_port)
    rx2 = Receiver(accept(lst, 15), OctetFrames())
    rx2.start()
    expect = set(range(n)) - never_read
    wait_for(lambda: expect <= set(read_before) | set(seqs_of(rx2.frames())), 240,
             msg=lambda: f"{len(expect)} records; have "
                         f"{len(expect & (set(read_before) | set(seqs_of(rx2.frames()))))}")
    snd.join(60)
    assert snd.error is None, snd.error
    m = d.metrics()
    d.stop()
    assert rx2.eof.wait(15)
    lst.close()

    second = seqs_of(rx2.frames())
    got = read_before + second
    lost = set(range(n)) - set(got)
    dups = len(got) - len(set(got))
    retried = m[("logstream_syslog_retried_records_total", frozenset({("instance", "fwd")}))]
    print(f"{n} records: {len(read_before)} read before the reset, {len(never_read)} unread in "
          f"the receiver's buffer, {len(lost)} lost, {retried:.0f} sent again, {dups} duplicates")
    assert lost <= never_read, f"lost records the receiver's kernel never acknowledged: " \
                               f"{sorted(lost - never_read)[:20]}"
    assert retried > 0, "nothing was sent again: the daemon's socket buffer was empty?"
    assert dups <= BATCH_RECORDS
    assert second == sorted(second)
    assert "[output:syslog:fwd] connection to tcp 127.0.0.1:%d lost: Connection reset by peer; " \
           % out_port in d.stderr()


def test_tcp_receiver_shuts_its_side_and_stops_reading(daemon):
    """The receiver shuts its writing side but never reads on: after close_timeout the output
    resets the connection and sends again, on a new one, whatever the receiver's kernel had not
    acknowledged. What it had acknowledged is still readable on the old connection."""
    n = 20_000
    d = daemon()
    in_port, out_port = free_port(), free_port()
    lst = tcp_listener(out_port, rcvbuf=64 * 1024)
    d.start(config(in_port, f"""
address: 127.0.0.1:{out_port}
send_buffer: 64KiB
close_timeout: 1s
backoff_max: 1s
"""))
    rx1 = Receiver(accept(lst, 10), OctetFrames(), pause_after=2000)
    rx1.start()
    snd = Sender(in_port, n)
    snd.start()
    wait_for(lambda: len(rx1.frames()) >= 2000, 30, msg="2000 records on the first connection")
    rx1.pause()
    time.sleep(0.5)
    rx1.conn.shutdown(socket.SHUT_WR)
    rx2 = Receiver(accept(lst, 15), OctetFrames())
    rx2.start()
    rx1.reading.set()  # what its kernel acknowledged, then the reset
    assert rx1.eof.wait(10)
    first = seqs_of(rx1.frames())
    wait_for(lambda: len(set(first) | set(seqs_of(rx2.frames()))) >= n, 120,
             msg=lambda: f"all {n} records; have {len(set(first) | set(seqs_of(rx2.frames())))}")
    snd.join(30)
    d.stop()
    second = seqs_of(rx2.frames())
    got = first + second
    assert set(got) == set(range(n))
    assert len(got) - len(set(got)) <= BATCH_RECORDS
    err = d.stderr()
    assert f"[output:syslog:fwd] tcp 127.0.0.1:{out_port} closed the connection\n" in err
    assert (f"[output:syslog:fwd] tcp 127.0.0.1:{out_port} did not acknowledge what was written "
            f"within close_timeout (1s)\n") in err
    assert f"[output:syslog:fwd] connection to tcp 127.0.0.1:{out_port} lost: Connection timed " \
           f"out; " in err


def test_tcp_stop_delivers_what_is_in_flight(daemon):
    """SIGTERM right after the records arrive: the output drains, waits for the receiver's
    acknowledgement, and exits 0 with every record delivered."""
    d = daemon()
    in_port, out_port = free_port(), free_port()
    lst = tcp_listener(out_port)
    d.start(config(in_port, f"address: 127.0.0.1:{out_port}\nframing: newline"))
    rx = Receiver(accept(lst, 10), LineFrames())
    rx.start()
    snd = Sender(in_port, 5000)
    snd.start()
    snd.join(30)
    assert snd.error is None
    wait_for(lambda: d.metric("logstream_records_in_total", instance="apps.tcp.0") == 5000, 20)
    d.stop()
    assert rx.eof.wait(10)
    assert seqs_of(rx.frames()) == list(range(5000))
    assert rx.parser.buf == b""


# ---- udp ---------------------------------------------------------------------------------------


def test_udp_one_datagram_per_record_and_truncation(daemon):
    d = daemon()
    in_port, out_port = free_port(), free_port()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    rx.bind(("127.0.0.1", out_port))
    rx.settimeout(0.2)
    d.start(config(in_port, f"address: 127.0.0.1:{out_port}\ntransport: udp\nmax_message: 300"))
    n = 2000
    lines = [line(i) for i in range(n)]
    long_msg = b"seq=%09d " % n + "\u00e9".encode() * 500 + b"\n"
    s = socket.create_connection(("127.0.0.1", in_port))
    s.sendall(b"".join(lines) + long_msg)
    s.close()
    got = []
    deadline = time.monotonic() + 30
    while len(got) < n + 1 and time.monotonic() < deadline:
        try:
            got.append(rx.recv(70000))
        except socket.timeout:
            pass
    wait_for(lambda: metric(d, "logstream_syslog_records_sent_total") == n + 1, 10)
    m_trunc = metric(d, "logstream_syslog_truncated_records_total")
    d.stop()
    rx.close()
    assert len(got) == n + 1, f"{len(got)} datagrams of {n + 1}"
    short, long_ = got[:n], got[n]
    assert seqs_of(short) == list(range(n))  # one record per datagram, no framing
    assert len(long_) <= 300 and len(long_) >= 299, len(long_)
    assert re.match(rb"^<13>1 \S+ \S+ - - - - seq=%09d (\xc3\xa9)+$" % n, long_), long_[:80]
    assert m_trunc == 1


def test_udp_datagram_too_large_for_the_kernel_is_cut(daemon):
    """max_message above what UDP can carry: the kernel refuses (EMSGSIZE) and the output sends
    the longest prefix it takes, halving, and counts it as truncated."""
    d = daemon()
    in_port, out_port = free_port(), free_port()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", out_port))
    rx.settimeout(10)
    d.start(f"""
outputs:
  fwd: {{ type: syslog, address: "127.0.0.1:{out_port}", transport: udp, max_message: 1MiB }}
pipelines:
  apps:
    inputs: [ {{ type: tcp, listen: "127.0.0.1:{in_port}", max_line: 128KiB }} ]
    outputs: [ fwd ]
""")
    s = socket.create_connection(("127.0.0.1", in_port))
    s.sendall(b"big " + b"z" * 70_000 + b"\n" + line(1))
    s.close()
    big, small = rx.recv(1 << 17), rx.recv(1 << 17)
    wait_for(lambda: metric(d, "logstream_syslog_records_sent_total") == 2, 10)
    trunc = metric(d, "logstream_syslog_truncated_records_total")
    d.stop()
    rx.close()
    assert re.match(rb"^<13>1 \S+ \S+ - - - - big z+$", big), big[:80]
    full = len(big) * 2  # one halving: 70000-odd bytes do not fit, half of them do
    assert 480 <= len(big) <= 65507
    assert seqs_of([small]) == [1]
    assert trunc == 1
    m = re.search(rb"a (\d+)-byte datagram is too large for udp 127\.0\.0\.1:%d; sent its first "
                  rb"(\d+) bytes \(lower max_message\)\n" % out_port, d.stderr().encode())
    assert m, d.stderr()[-2000:]
    assert int(m.group(2)) == len(big) and int(m.group(1)) in (full, full + 1)


def test_udp_to_a_closed_port_counts_and_warns(daemon):
    """UDP cannot tell whether anything arrives: records count as sent; the ICMP reports that
    come back are counted and warned about."""
    d = daemon()
    in_port, out_port = free_port(), free_port()  # nothing listens on out_port
    d.start(config(in_port, f"address: 127.0.0.1:{out_port}\ntransport: udp"))
    s = socket.create_connection(("127.0.0.1", in_port))
    for i in range(5):
        s.sendall(b"".join(line(q) for q in range(i * 100, i * 100 + 100)))
        time.sleep(0.1)
    s.close()
    wait_for(lambda: metric(d, "logstream_syslog_records_sent_total") == 500, 10)
    wait_for(lambda: (metric(d, "logstream_syslog_port_unreachable_total") or 0) >= 1, 10,
             msg="a port unreachable report counted")
    d.stop()
    assert (f"[output:syslog:fwd] udp 127.0.0.1:{out_port}: port unreachable (nothing listens "
            f"there?); datagrams sent meanwhile are lost\n") in d.stderr()


# ---- unix sockets ------------------------------------------------------------------------------


def test_unix_dgram_rfc3164_keeps_records_while_receiver_is_away(daemon):
    """Like another daemon's /dev/log. While the socket is gone the records wait (a unix
    datagram socket refuses rather than loses); when it is back they all arrive."""
    d = daemon()
    in_port = free_port()
    path = str(d.dir / "log.sock")

    def bind():
        r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        r.bind(path)
        r.settimeout(0.2)
        return r

    def recv_n(r, count, timeout=20):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            try:
                out.append(r.recv(70000))
            except socket.timeout:
                pass
        return out

    rx = bind()
    d.start(config(in_port, f"path: {path}\ntransport: unix_dgram\nformat: rfc3164\n"
                            "app: myapp\nfacility: local3\nseverity: warning"))
    s = socket.create_connection(("127.0.0.1", in_port))
    s.sendall(b"".join(line(i) for i in range(100)))
    got = recv_n(rx, 100)
    assert len(got) == 100
    rx.close()
    os.unlink(path)
    s.sendall(b"".join(line(i) for i in range(100, 200)))
    wait_for(lambda: (metric(d, "logstream_syslog_connect_failures_total") or 0) >= 1, 10,
             msg="a failed connect while the receiver is away")
    time.sleep(0.5)
    rx = bind()
    got += recv_n(rx, 100)
    s.close()
    d.stop()
    rx.close()
    assert len(got) == 200
    pat = re.compile(rb"^<156>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \S+ myapp: (seq=(\d{9}) p+)$")
    for i, g in enumerate(got):
        mm = pat.match(g)
        assert mm, g
        assert int(mm.group(2)) == i and mm.group(1) + b"\n" == line(i)


def test_unix_stream_newline(daemon):
    d = daemon()
    in_port = free_port()
    path = str(d.dir / "stream.sock")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path)
    lst.listen(4)
    d.start(config(in_port, f"path: {path}\ntransport: unix_stream\nframing: newline\n"
                            "hostname: relay-1"))
    rx = Receiver(accept(lst, 10), LineFrames())
    rx.start()
    s = socket.create_connection(("127.0.0.1", in_port))
    s.sendall(b"".join(line(i) for i in range(3000)))
    s.close()
    wait_for(lambda: len(rx.frames()) >= 3000, 20)
    d.stop()
    assert rx.eof.wait(10)
    frames = rx.frames()
    assert len(frames) == 3000
    assert all(f.split(b" ")[2] == b"relay-1" for f in frames)
    assert seqs_of(frames) == list(range(3000))


def test_unix_stream_receiver_closing_with_unread_data_loses_nothing(daemon):
    """On a unix stream socket the kernel's count is of bytes the receiver has not *read*: a
    receiver that closes with data unread in its socket loses nothing, it is sent again."""
    n = record_count()
    d = daemon()
    in_port = free_port()
    path = str(d.dir / "stream.sock")

    def listen():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(4)
        return s

    lst = listen()
    d.start(config(in_port, f"path: {path}\ntransport: unix_stream\nbackoff_max: 1s\n"
                            "queue_size: 1MiB"), service_extra="shutdown_grace: 30s")
    rx1 = Receiver(accept(lst, 10), OctetFrames(), pause_after=2000)
    rx1.start()
    snd = Sender(in_port, n)
    snd.start()
    wait_for(lambda: len(rx1.frames()) >= 2000, 30, msg="2000 records on the first connection")
    rx1.pause()
    wait_for(lambda: d.metric("logstream_input_paused", instance="apps.tcp.0") == 1, 30,
             msg="the tcp input paused by backpressure from the stalled receiver")
    rx1.quit()
    unread = rx1.conn.recv(1 << 24, socket.MSG_PEEK)
    assert len(unread) > 0
    rx1.conn.close()
    lst.close()
    os.unlink(path)
    first = seqs_of(rx1.frames())

    time.sleep(1.0)
    lst = listen()
    rx2 = Receiver(accept(lst, 15), OctetFrames())
    rx2.start()
    wait_for(lambda: len(set(first) | set(seqs_of(rx2.frames()))) >= n, 240,
             msg=lambda: f"all {n} records; have {len(set(first) | set(seqs_of(rx2.frames())))}")
    snd.join(60)
    assert snd.error is None, snd.error
    retried = metric(d, "logstream_syslog_retried_records_total")
    d.stop()
    assert rx2.eof.wait(15)
    second = seqs_of(rx2.frames())
    got = first + second
    dups = len(got) - len(set(got))
    print(f"{n} records: {len(first)} read before the close, {len(unread)} bytes left unread, "
          f"{retried:.0f} sent again, {dups} duplicates")
    assert set(got) == set(range(n))
    assert retried > 0
    # The kernel's count includes buffer overhead, so a few records the receiver did read are
    # sent again: never more than the socket's send buffer (default 208 KiB) holds.
    assert dups * (LINE_LEN + 40) <= 256 * 1024
    assert second == sorted(second)
    assert f"[output:syslog:fwd] connection to unix_stream {path} lost: " in d.stderr()


# ---- RFC 5424 round trip through the syslog parser ---------------------------------------------

ROUND_TRIP_LINES = [
    '<165>1 2026-11-23T10:00:00.123456Z mymachine.example.com evntslog 4321 ID47 '
    '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][origin ip="192.0.2.1"] '
    'An application event log entry \u00fcn\u00efc\u00f6d\u00e9',
    '<34>1 2026-11-23T12:00:01.000001+02:00 host-2 su - ID1 - \'su root\' failed on /dev/pts/8',
    '<13>1 2026-11-23T10:00:02.5Z h3 app 77 - [x@1 q="a\\"b\\\\c\\]d" empty=""] escaped values',
    '<191>1 2026-11-23T10:00:03Z h4 a4 p4 m4 - debug from local7',
    '<0>1 2026-11-23T10:00:04.000100Z h5 kern - - - emergency',
]
COMPARED_KEYS_SKIP = {"received", "raw", "peer", "input", "pipeline"}


def syslog_parser_available():
    r = run_cli(["--list-plugins", "--plugin-dir", plugin_dir()])
    return r.returncode == 0 and re.search(r"^parser syslog ", r.stdout, re.M) is not None


def test_rfc5424_round_trip_through_the_syslog_parser(daemon):
    if not syslog_parser_available():
        pytest.skip("no `syslog` parser plugin in " + plugin_dir())
    # Forwarded with the default framing (octet counting), read by a tcp input (framing: auto).
    d = daemon()
    p1, p2 = free_port(), free_port()
    first, second = d.dir / "first.jsonl", d.dir / "second.jsonl"
    d.start(f"""
outputs:
  first: {{ type: file, path: {first}, format: json }}
  second: {{ type: file, path: {second}, format: json }}
  fwd: {{ type: syslog, address: "127.0.0.1:{p2}", transport: tcp }}
pipelines:
  src:
    inputs: [ {{ type: tcp, listen: "127.0.0.1:{p1}" }} ]
    parsers: [ {{ type: syslog }} ]
    outputs: [ first, fwd ]
  back:
    inputs: [ {{ type: tcp, listen: "127.0.0.1:{p2}" }} ]
    parsers: [ {{ type: syslog }} ]
    outputs: [ second ]
""")
    s = socket.create_connection(("127.0.0.1", p1))
    s.sendall("".join(l + "\n" for l in ROUND_TRIP_LINES).encode())
    s.close()

    def lines_of(p):
        try:
            return [json.loads(l) for l in p.read_text().splitlines()]
        except FileNotFoundError:
            return []

    k = len(ROUND_TRIP_LINES)
    wait_for(lambda: len(lines_of(first)) == k and len(lines_of(second)) == k, 20,
             msg="both files complete")
    d.stop()
    a, b = lines_of(first), lines_of(second)
    for x, y, src in zip(a, b, ROUND_TRIP_LINES):
        assert "parse_error" not in x, (src, x)
        assert "parse_error" not in y, (src, y)
        want = {key: v for key, v in x.items() if key not in COMPARED_KEYS_SKIP}
        got = {key: v for key, v in y.items() if key not in COMPARED_KEYS_SKIP}
        assert got == want, f"{src}\nfirst:  {x}\nsecond: {y}"
    # The fields the first line carries, as the parser saw them.
    assert a[0]["host"] == "mymachine.example.com" and a[0]["app"] == "evntslog"
    assert a[0]["procid"] == "4321" and a[0]["msgid"] == "ID47"
    assert a[0]["facility"] == "local4" and a[0]["severity"] == "notice"
    assert a[0]["sd.exampleSDID@32473.eventSource"] == "Application"
    assert a[0]["sd.origin.ip"] == "192.0.2.1"
    assert a[2]["sd.x@1.q"] == 'a"b\\c]d'
    assert a[1]["time"] == "2026-11-23T10:00:01.000001000Z"


# ---- configuration errors ----------------------------------------------------------------------


@pytest.mark.parametrize("opts,message", [
    ("path: /dev/log\ntransport: tcp",
     "option 'path' does not apply to transport tcp: set 'address' instead"),
    ("transport: udp", "option 'address' is required with transport udp"),
    ("transport: unix_dgram\naddress: 127.0.0.1:514",
     "option 'address' does not apply to transport unix_dgram: set 'path' instead"),
    ("transport: unix_stream", "option 'path' is required with transport unix_stream"),
    ("address: 127.0.0.1:514\ntransport: udp\nframing: newline",
     "option 'framing' applies to stream transports only (tcp, unix_stream), not udp"),
    ("address: 127.0.0.1:514\nmax_message: 10",
     "option 'max_message': expected 0 (automatic) or at least 64 bytes, got 10"),
    ("address: 127.0.0.1:514\nhostname: \"a b\"",
     "option 'hostname': \"a b\" has a space or a character outside printable ASCII"),
    ("address: \"*:514\"", "option 'address': *:514 names no host to send to"),
    ("transport: unix_dgram\npath: /" + "x" * 120,
     "option 'path': /" + "x" * 120 + " is too long for a unix socket (121 bytes, at most 107)"),
])
def test_config_errors(tmp_path, opts, message):
    conf = tmp_path / "conf.d"
    conf.mkdir()
    (conf / "10-a.yaml").write_text(config(9, opts))
    r = run_cli(["--check", "-c", "conf.d", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert f" error [output:syslog:fwd] {message}\n" in r.stderr, r.stderr
