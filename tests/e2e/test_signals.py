"""SIGTERM / SIGINT drain everything accepted and exit 0; SIGUSR1 reopens output files."""

import os
import re
import select
import signal
import socket
import threading
import time

from conftest import (connect, count_lines, free_port, read_lines, scale, send_lines,
                      simple_config, wait_for)


def line_for(conn, i):
    return b"conn=%d i=%07d %s" % (conn, i, b"s" * (40 + i % 60))


def _blast(port, conn, n, errors):
    try:
        s = connect(port, timeout=60)
        for start in range(0, n, 5000):
            s.sendall(b"".join(line_for(conn, i) + b"\n" for i in range(start, min(n, start + 5000))))
        s.close()
    except Exception as e:
        errors.append(f"connection {conn}: {e!r}")


def _check_complete(out, conns, n):
    got = read_lines(out)
    per = {c: [] for c in range(conns)}
    for l in got:
        c = int(l.split(b" ", 1)[0][5:])
        per[c].append(l)
    for c in range(conns):
        expected = [line_for(c, i) for i in range(n)]
        if per[c] != expected:
            have = set(per[c])
            lost = sum(1 for e in expected if e not in have)
            raise AssertionError(f"connection {c}: {len(per[c])} lines, expected {n}; "
                                 f"{lost} lost, {len(per[c]) - len(have)} duplicated, "
                                 f"order kept: {sorted(per[c]) == per[c]}")
    assert len(got) == conns * n


def _term_under_load(daemon, sig):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(simple_config(port, out), service_extra="shutdown_grace: 30s")
    n = max(20_000, int(100_000 * scale()))
    errors = []
    threads = [threading.Thread(target=_blast, args=(port, c, n, errors)) for c in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every socket is written and closed: stop the daemon at once. (The full-queue test below
    # makes sure records are still in flight when the signal arrives.)
    os.kill(d.pid, sig)
    assert not errors, errors
    done_before = count_lines(out)
    d.stop(send=False)
    print(f"{done_before} of {2 * n} lines were written when the signal was sent")
    _check_complete(out, 2, n)


def test_sigterm_under_load_delivers_everything(daemon):
    _term_under_load(daemon, signal.SIGTERM)


def test_sigint_under_load_delivers_everything(daemon):
    _term_under_load(daemon, signal.SIGINT)


def test_sigterm_with_full_queue_and_socket_buffers(daemon):
    """The output is slowed (a FIFO read at a limited pace), so when the sender has written and
    closed its connection, the queue is full and megabytes still sit in socket buffers. After
    SIGTERM, everything the sender wrote must still come out, and the exit code is 0."""
    d = daemon()
    port = free_port()
    fifo = d.dir / "out.fifo"
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    got = bytearray()
    try:
        d.start(simple_config(port, fifo, output_extra="queue_size: 1MiB"),
                service_extra="shutdown_grace: 30s")
        n = 200_000  # about 20 MB
        errors = []
        t = threading.Thread(target=_blast, args=(port, 0, n, errors))
        t.start()
        # Read slowly (about 16 MB/s) until the sender has written and closed everything.
        while t.is_alive():
            time.sleep(0.004)
            try:
                got += os.read(rfd, 64 * 1024)
            except BlockingIOError:
                pass
        os.kill(d.pid, signal.SIGTERM)
        assert not errors, errors
        at_signal = got.count(b"\n")
        # Drain until the daemon has exited and closed the write end.
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "FIFO not closed 60s after SIGTERM"
            r, _, _ = select.select([rfd], [], [], 0.2)
            if not r:
                continue
            chunk = os.read(rfd, 1 << 20)
            if not chunk and d.proc.poll() is not None:
                break
            got += chunk
        d.stop(send=False)
    finally:
        os.close(rfd)
    print(f"{at_signal} of {n} lines had come out when SIGTERM was sent")
    assert at_signal < n, "the test did not stop the daemon mid-stream"
    lines = bytes(got).split(b"\n")
    assert lines[-1] == b""
    lines = lines[:-1]
    expected = [line_for(0, i) for i in range(n)]
    if lines != expected:
        have = set(lines)
        lost = [i for i, e in enumerate(expected) if e not in have]
        sent = set(expected)
        bad = [l[:80] for l in lines if l not in sent]
        raise AssertionError(f"{len(lines)} lines out of {n}; {len(lost)} lost (first lost "
                             f"#{lost[0] if lost else None}, last lost #{lost[-1] if lost else None})"
                             f"; {len(bad)} lines not sent as such: {bad[:3]}")


def _grace_exceeded(daemon, close_reader):
    """An output that cannot deliver holds records past shutdown_grace: the daemon must still
    exit in time, with code 1, and log how many records it could not deliver. The output writes
    into a FIFO that nobody reads (its write(2) blocks), or whose reader went away (EPIPE, so
    the output retries)."""
    d = daemon()
    port = free_port()
    fifo = d.dir / "out.fifo"
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        d.start(simple_config(port, fifo, output_extra="queue_size: 1MiB"),
                service_extra="shutdown_grace: 2s")
        s = connect(port)
        s.settimeout(0.1)
        payload = b"".join(line_for(0, i) + b"\n" for i in range(50_000))
        sent = 0
        try:
            while sent < len(payload):
                sent += s.send(payload[sent:sent + 65536])
        except socket.timeout:
            pass
        # Wait for the input to stall, so the counters are final.
        wait_for(lambda: d.metric("logstream_input_paused", instance="apps.tcp.0") == 1, 10)
        if close_reader:
            os.close(rfd)
            rfd = -1
        time.sleep(0.5)
        n_in = d.metric("logstream_records_in_total", instance="apps.tcp.0")
        n_out = d.metric("logstream_records_out_total", instance="archive")
        t0 = time.monotonic()
        d.stop(expect_rc=1, timeout=15)
        took = time.monotonic() - t0
        s.close()
    finally:
        if rfd >= 0:
            os.close(rfd)
    assert took < 2 + 5, f"exit took {took:.1f}s with a 2s grace"
    # The daemon may read more of what sits in socket buffers after the signal, so the count it
    # logs lies between what it had read when stalled and what the sender wrote.
    complete_lines = payload[:sent].count(b"\n")
    # A last line cut off mid-way by the send timeout still becomes one record at close.
    records_sent = complete_lines + (0 if payload[:sent].endswith(b"\n") else 1)
    log = d.stderr()
    m = re.search(r"^\S+ error \[output:file:archive\] (\d+) records not delivered within "
                  r"the shutdown grace period$", log, re.M)
    assert m, log
    lost = int(m.group(1))
    assert n_in - n_out <= lost <= records_sent - n_out, \
        f"logged {lost} lost; read {n_in}, delivered {n_out}, sent {records_sent}"
    assert re.search(rf"^\S+ error stopped with {lost} records undelivered$", log, re.M), log


def test_grace_exceeded_blocked_write_exits_1(daemon):
    _grace_exceeded(daemon, close_reader=False)


def test_grace_exceeded_failing_write_exits_1(daemon):
    _grace_exceeded(daemon, close_reader=True)


def test_sigusr1_reopens_output_file(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    rotated = d.dir / "out.log.1"
    d.start(simple_config(port, out))
    first = [b"before rotation %d" % i for i in range(100)]
    send_lines(port, first)
    wait_for(lambda: count_lines(out) >= len(first), 10)
    os.rename(out, rotated)
    d.send_signal(signal.SIGUSR1)
    # The output reopens the configured path: a new file appears there.
    wait_for(lambda: out.exists(), 10, msg=f"{out} re-created after SIGUSR1")
    second = [b"after rotation %d" % i for i in range(100)]
    send_lines(port, second)
    wait_for(lambda: count_lines(out) >= len(second), 10,
             msg=lambda: f"{len(second)} lines in the new {out}")
    # A second rotation works too.
    os.rename(out, d.dir / "out.log.2")
    d.send_signal(signal.SIGUSR1)
    wait_for(lambda: out.exists(), 10)
    third = [b"after second rotation %d" % i for i in range(10)]
    send_lines(port, third)
    wait_for(lambda: count_lines(out) >= len(third), 10)
    d.stop()
    assert read_lines(rotated) == first
    assert read_lines(d.dir / "out.log.2") == second
    assert read_lines(out) == third
