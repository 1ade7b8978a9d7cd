"""Backpressure: the file output writes into a FIFO nobody reads, so its thread blocks in
write(2). The 1 MiB queue fills, the tcp input pauses, the kernel pushes back on the sender,
and the daemon's memory stays bounded. Then the FIFO is drained and every line arrives once."""

import os
import select
import socket
import threading
import time

from conftest import find_metric, free_port, is_asan, simple_config, wait_for

MiB = 1 << 20
LINE_LEN = 100  # bytes including '\n'
TARGET = 200 * MiB  # what the sender tries to push while the output is stalled
STALL_S = 6.0
QUEUE = 1 * MiB


def line(seq):
    head = b"seq=%09d " % seq
    return head + b"p" * (LINE_LEN - 1 - len(head)) + b"\n"


class StallSender(threading.Thread):
    """Sends fixed-length lines until TARGET bytes or the stall deadline, counting exactly how
    many bytes the kernel accepted; then, once told to, completes the partial line and closes."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.deadline = time.monotonic() + STALL_S
        self.stalled = threading.Event()
        self.drain = threading.Event()
        self.sent_at_deadline = 0
        self.total = 0
        self.error = None

    def run(self):
        try:
            self._run()
        except Exception as e:
            self.error = repr(e)
            self.stalled.set()

    def _run(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.settimeout(0.2)
        seq, buf, pos, sent = 0, b"", 0, 0
        while sent < TARGET and time.monotonic() < self.deadline:
            if pos == len(buf):
                buf = b"".join(line(q) for q in range(seq, seq + 2000))
                seq += 2000
                pos = 0
            try:
                n = s.send(buf[pos:pos + 65536])
            except socket.timeout:
                continue
            pos += n
            sent += n
        self.sent_at_deadline = sent
        self.stalled.set()
        self.drain.wait(120)
        rem = (LINE_LEN - sent % LINE_LEN) % LINE_LEN
        s.settimeout(120)
        s.sendall(buf[pos:pos + rem])
        sent += rem
        s.close()
        self.total = sent


def test_stalled_output_pauses_input_and_bounds_memory(daemon):
    d = daemon()
    port = free_port()
    fifo = d.dir / "out.fifo"
    os.mkfifo(fifo)
    # The read end exists before the daemon opens the write end, so its open() never blocks;
    # nobody reads until the drain phase.
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        d.start(simple_config(port, fifo, output_extra="queue_size: 1MiB"),
                service_extra="shutdown_grace: 30s")
        base_rss = d.rss_bytes()
        snd = StallSender(port)
        snd.start()
        max_rss = 0
        while not snd.stalled.wait(0.1):
            max_rss = max(max_rss, d.rss_bytes())
        assert snd.error is None, snd.error
        max_rss = max(max_rss, d.rss_bytes())
        m = d.metrics()
        paused = find_metric(m, "logstream_input_paused", instance="apps.tcp.0")
        qbytes = find_metric(m, "logstream_queue_bytes", instance="archive")
        qmax = find_metric(m, "logstream_queue_max_bytes", instance="archive")

        sent = snd.sent_at_deadline
        print(f"stalled: sender pushed {sent / MiB:.1f} MiB of {TARGET / MiB:.0f} MiB; "
              f"rss {base_rss / MiB:.1f} -> max {max_rss / MiB:.1f} MiB; queue {qbytes}")
        assert paused == 1, f"logstream_input_paused{{instance=apps.tcp.0}} = {paused}"
        assert qmax == QUEUE
        assert qbytes is not None and 0 < qbytes <= 2 * QUEUE, qbytes
        # Kernel socket buffers on loopback hold a few MiB; anything near TARGET means the
        # daemon kept reading into memory instead of pushing back.
        assert sent < 48 * MiB, f"sender pushed {sent} bytes into a stalled daemon"
        bound = (64 * MiB + QUEUE) if not is_asan() else (128 * MiB + QUEUE)
        assert max_rss < bound, f"RSS {max_rss} while stalled (bound {bound})"

        # Drain: read everything the sender sent, exactly.
        snd.drain.set()
        got = bytearray()
        deadline = time.monotonic() + 120
        while True:
            if snd.total and len(got) >= snd.total:
                break
            assert time.monotonic() < deadline, \
                f"drained {len(got)} bytes of {snd.total or '?'}; stderr:\n{d.stderr()[-3000:]}"
            r, _, _ = select.select([rfd], [], [], 0.2)
            if r:
                chunk = os.read(rfd, MiB)
                got += chunk
        snd.join(10)
        assert snd.error is None, snd.error
        # Nothing more may arrive.
        time.sleep(0.5)
        try:
            extra = os.read(rfd, MiB)
        except BlockingIOError:
            extra = b""
        assert extra == b"", f"extra bytes after everything arrived: {extra[:200]!r}"
        wait_for(lambda: d.metric("logstream_input_paused", instance="apps.tcp.0") == 0, 5,
                 msg="input resumed after the drain")
        d.stop()
    finally:
        os.close(rfd)

    total_lines = snd.total // LINE_LEN
    assert len(got) == snd.total
    lines = bytes(got).split(b"\n")
    assert lines[-1] == b""
    lines = lines[:-1]
    assert len(lines) == total_lines
    for i, l in enumerate(lines):
        if l + b"\n" != line(i):
            raise AssertionError(f"line {i}: expected {line(i)!r}, got {l!r}")


def _drop_policy_run(daemon, policy):
    """A stalled output with on_full=policy: the input never pauses, the sender is never
    blocked, drops are counted, and delivered + dropped == sent, each delivered line once."""
    d = daemon()
    port = free_port()
    fifo = d.dir / "out.fifo"
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    n = 200_000  # 20 MB, far beyond the 1 MiB queue
    try:
        d.start(simple_config(port, fifo, output_extra=f"queue_size: 1MiB\non_full: {policy}"),
                service_extra="shutdown_grace: 30s")
        t0 = time.monotonic()
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        for i in range(0, n, 10_000):
            s.sendall(b"".join(line(q) for q in range(i, i + 10_000)))
        s.close()
        send_s = time.monotonic() - t0
        wait_for(lambda: d.metric("logstream_records_in_total", instance="apps.tcp.0") == n, 30,
                 msg=lambda: "records_in == n: "
                             f"{d.metric('logstream_records_in_total', instance='apps.tcp.0')}")
        assert d.metric("logstream_input_paused", instance="apps.tcp.0") == 0

        def dropped():
            m = d.metrics()
            return sum(v for k, v in m.items() if k[0] == "logstream_dropped_records_total"
                       and ("instance", "archive") in k[1])

        got = bytearray()
        deadline = time.monotonic() + 60
        nl = b"\n"
        while got.count(nl) + dropped() < n:
            assert time.monotonic() < deadline, \
                f"{got.count(nl)} delivered + {dropped()} dropped < {n}"
            r, _, _ = select.select([rfd], [], [], 0.1)
            if r:
                got += os.read(rfd, MiB)
        time.sleep(0.5)
        try:
            extra = os.read(rfd, MiB)
        except BlockingIOError:
            extra = b""
        assert extra == b""
        m = d.metrics()
        d.stop()
    finally:
        os.close(rfd)
    lines = bytes(got).split(b"\n")
    assert lines[-1] == b""
    lines = lines[:-1]
    seqs = [int(l[4:13]) for l in lines]
    for l, q in zip(lines, seqs):
        assert l + b"\n" == line(q), l[:120]
    assert seqs == sorted(set(seqs)), "delivered lines duplicated or out of order"
    ndropped = n - len(lines)
    assert ndropped > n // 2, f"only {ndropped} dropped: was the output really stalled?"
    assert find_metric(m, "logstream_records_out_total", instance="archive") == len(lines)
    print(f"{policy}: sent in {send_s:.2f}s, {len(lines)} delivered, {ndropped} dropped")
    return m, seqs, ndropped, n


def test_on_full_drop_newest(daemon):
    m, seqs, ndropped, n = _drop_policy_run(daemon, "drop_newest")
    assert find_metric(m, "logstream_dropped_records_total", instance="archive",
                       reason="queue_full") == ndropped
    assert seqs[0] == 0, "drop_newest dropped the oldest line"
    assert seqs[-1] != n - 1, "drop_newest delivered the newest line of a full queue"


def test_on_full_drop_oldest(daemon):
    m, seqs, ndropped, n = _drop_policy_run(daemon, "drop_oldest")
    assert find_metric(m, "logstream_dropped_records_total", instance="archive",
                       reason="evicted") == ndropped
    assert seqs[-1] == n - 1, "drop_oldest did not deliver the newest line"
