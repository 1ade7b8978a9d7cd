"""The journald input reads journal files built by systemd-journal-remote from export-format
text (no running systemd needed): journal fields become the right record members and fields,
the cursor file makes a restart resume exactly after the last delivered entry (a clean stop:
no duplicates; kill -9: duplicates only of the unacknowledged tail, never a gap), entries
written while it runs show up, filters select, a bad cursor file is reported and handled per
`on_bad_cursor`, and a stalled output pauses it without losing or repeating anything."""

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import time

import pytest

from conftest import wait_for

JREMOTE = "/lib/systemd/systemd-journal-remote"
JOURNALCTL = shutil.which("journalctl") or "/usr/bin/journalctl"
BOOT_ID = "6c7c6013a8cb4f4f8c1e4b5c1f3f5d6b"
T0_USEC = 1_700_000_000_000_000  # 2023-11-14T22:13:20Z
MiB = 1 << 20

pytestmark = pytest.mark.skipif(
    not os.access(JREMOTE, os.X_OK),
    reason=f"{JREMOTE} missing: apt-get install systemd-journal-remote (scripts/install-deps.sh)")


# ---- building journals ----------------------------------------------------------------------


def _export_field(key, value):
    if isinstance(value, str):
        value = value.encode()
    if b"\n" in value or any(c < 0x20 or c >= 0x7f for c in value):
        return key.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return key.encode() + b"=" + value + b"\n"


def export_text(entries):
    """entries: [(seq, [(key, value), ...])]. Entry seq is written at T0 + seq ms, monotonic
    1000 + seq us, in one boot: later seqs sort after earlier ones across files."""
    out = []
    for seq, fields in entries:
        out.append(b"__REALTIME_TIMESTAMP=%d\n" % (T0_USEC + seq * 1000))
        out.append(b"__MONOTONIC_TIMESTAMP=%d\n" % (1000 + seq))
        out.append(b"_BOOT_ID=" + BOOT_ID.encode() + b"\n")
        out.extend(_export_field(k, v) for k, v in fields)
        out.append(b"\n")
    return b"".join(out)


def write_journal(path, entries):
    """Create (or append to) the journal file `path` with systemd-journal-remote."""
    r = subprocess.run([JREMOTE, f"--output={path}", "-"], input=export_text(entries),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 0, f"systemd-journal-remote failed: {r.stderr.decode()[-2000:]}"


def msg(seq):
    return "entry %06d" % seq


def plain(seqs):
    return [(s, [("MESSAGE", msg(s)), ("PRIORITY", "6"), ("SYSLOG_IDENTIFIER", "t")])
            for s in seqs]


def journal_entries(journal_file):
    """[(cursor, MESSAGE or None)] of every entry of a journal file, in order (journalctl)."""
    r = subprocess.run([JOURNALCTL, f"--file={journal_file}", "-o", "export", "--no-pager"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    out = []
    for line in r.stdout.split(b"\n"):
        if line.startswith(b"__CURSOR="):
            out.append([line[9:].decode(), None])
        elif line.startswith(b"MESSAGE=") and out:
            out[-1][1] = line[8:].decode()
    return [tuple(e) for e in out]


def cursors_by_message(journal_file):
    return dict(journal_entries(journal_file))


# ---- configuration and output ---------------------------------------------------------------


def config(path, out, fmt="raw", name="j", input_extra="", output_extra="", raw_out=None):
    text = ("outputs:\n"
            "  out:\n"
            "    type: file\n"
            f"    path: {out}\n"
            f"    format: {fmt}\n")
    text += "".join(f"    {l}\n" for l in output_extra.split("\n") if l.strip())
    if raw_out:
        text += f"  rawout:\n    type: file\n    path: {raw_out}\n    format: raw\n"
    text += ("pipelines:\n"
             "  p:\n"
             "    inputs:\n"
             "      - type: journald\n"
             f"        name: {name}\n"
             f"        path: {path}\n")
    text += "".join(f"        {l}\n" for l in input_extra.split("\n") if l.strip())
    text += "    outputs:\n      - out\n" + ("      - rawout\n" if raw_out else "")
    return text


def complete_lines(path):
    """The complete lines of a file (a partial last line, cut by kill -9, is left out)."""
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        return []
    return data.split(b"\n")[:-1]


def seqs_of(path):
    return [int(l.split(b" ")[1]) for l in complete_lines(path)]


def wait_lines(path, n, timeout=30, d=None):
    return wait_for(lambda: len(complete_lines(path)) >= n, timeout,
                    msg=lambda: f"{n} lines in {path} (have {len(complete_lines(path))}); "
                                f"stderr:\n{d.stderr()[-3000:] if d else ''}")


def read_cursor(path):
    data = open(path, "rb").read()
    assert data.endswith(b"\n") and data.count(b"\n") == 1, data
    return data[:-1].decode()


# ---- tests ----------------------------------------------------------------------------------


def test_fields_become_record_members_and_fields(daemon):
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    binary = b"multi\nline \x00 nul \xff end"
    write_journal(jdir / "a.journal", [
        (0, [("MESSAGE", "Accepted publickey for root from 10.0.0.1"), ("PRIORITY", "6"),
             ("SYSLOG_FACILITY", "10"), ("SYSLOG_IDENTIFIER", "sshd"), ("_PID", "4242"),
             ("_UID", "0"), ("_GID", "0"), ("_COMM", "sshd"), ("_HOSTNAME", "web1"),
             ("_SYSTEMD_UNIT", "ssh.service"), ("_TRANSPORT", "syslog")]),
        (1, [("MESSAGE", "job done"), ("PRIORITY", "5"), ("_COMM", "cron"), ("_PID", "77"),
             ("_HOSTNAME", "web1"), ("_SYSTEMD_UNIT", "cron.service")]),
        (2, [("MESSAGE", binary), ("PRIORITY", "3"), ("SYSLOG_IDENTIFIER", "app"),
             ("BLOB", b"\x01\x02\x03")]),
        (3, [("CODE_FILE", "x.c"), ("PRIORITY", "7")]),
    ])
    out, raw = d.dir / "out.json", d.dir / "out.raw"
    d.start(config(jdir, out, fmt="json", raw_out=raw,
                   input_extra=""))
    wait_lines(out, 4, d=d)
    wait_for(lambda: os.path.exists(raw) and open(raw, "rb").read().endswith(b"end\n\n"), 10)
    d.stop()

    recs = [json.loads(l) for l in complete_lines(out)]
    assert len(recs) == 4
    base = {"msgid": None, "peer": None, "input": "j", "pipeline": "p", "_BOOT_ID": BOOT_ID}

    def expect(rec, seq, **want):
        assert rec["time"] == "2023-11-14T22:13:20.%09dZ" % (seq * 1_000_000)
        got = {k: v for k, v in rec.items() if k not in ("time", "received")}
        assert got == dict(base, **want), rec

    expect(recs[0], 0, severity="info", facility="authpriv", host="web1", app="sshd",
           procid="4242", message="Accepted publickey for root from 10.0.0.1",
           raw="Accepted publickey for root from 10.0.0.1", _COMM="sshd",
           _SYSTEMD_UNIT="ssh.service", _TRANSPORT="syslog", pid=4242, uid=0, gid=0)
    expect(recs[1], 1, severity="notice", facility=None, host="web1", app="cron", procid="77",
           message="job done", raw="job done", _SYSTEMD_UNIT="cron.service", pid=77)
    text = binary.decode("utf-8", "replace")
    expect(recs[2], 2, severity="err", facility=None, host=None, app="app", procid=None,
           message=text, raw=text, BLOB="\x01\x02\x03")
    expect(recs[3], 3, severity="debug", facility=None, host=None, app=None, procid=None,
           message="", raw="", CODE_FILE="x.c")
    # raw is the MESSAGE bytes, exactly
    assert open(raw, "rb").read() == (b"Accepted publickey for root from 10.0.0.1\n"
                                      b"job done\n" + binary + b"\n\n")
    # the default cursor file: <state_dir>/journald-<instance>.cursor, the last entry's cursor
    entries = journal_entries(jdir / "a.journal")
    assert len(entries) == 4 and entries[3][1] is None
    assert read_cursor(d.state_dir / "journald-j.cursor") == entries[3][0]
    assert "no cursor file" in d.stderr()


def test_filters_and_field_selection(daemon):
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    entries = []
    for i in range(40):
        unit = ["a.service", "b.service", "c.service"][i % 3]
        entries.append((i, [("MESSAGE", msg(i)), ("PRIORITY", str(i % 8)),
                            ("SYSLOG_IDENTIFIER", "id%d" % (i % 4)), ("_SYSTEMD_UNIT", unit),
                            ("_TRANSPORT", "journal")]))
    write_journal(jdir / "a.journal", entries)
    out = d.dir / "out.json"
    d.start(config(jdir, out, fmt="json",
                   input_extra=f"units: [a, c.service]\n"
                               "identifiers: [id0, id1, id2]\npriority: warning\n"
                               "fields: [_SYSTEMD_UNIT]"))
    want = [i for i in range(40) if i % 3 in (0, 2) and i % 4 != 3 and i % 8 <= 4]
    wait_lines(out, len(want), d=d)
    time.sleep(0.5)
    d.stop()
    recs = [json.loads(l) for l in complete_lines(out)]
    assert [r["message"] for r in recs] == [msg(i) for i in want]
    for r in recs:
        extras = {k for k in r if k.startswith("_") or k.isupper()}
        assert extras == {"_SYSTEMD_UNIT"}, r


def test_clean_restart_resumes_without_duplicates(daemon):
    jdir = daemon("journal").dir
    cursor = jdir / "state" / "j.cursor"
    write_journal(jdir / "a.journal", plain(range(200)))
    extra = f"cursor_file: {cursor}"

    d1 = daemon("run1")
    out1 = d1.dir / "out.raw"
    d1.start(config(jdir, out1, input_extra=extra))
    wait_lines(out1, 200, d=d1)
    time.sleep(0.3)
    d1.stop()
    assert seqs_of(out1) == list(range(200))
    assert cursors_by_message(jdir / "a.journal")[read_cursor(cursor)] == msg(199)

    # written while the daemon was down: a second file and an append to the first
    write_journal(jdir / "b.journal", plain(range(200, 250)))
    write_journal(jdir / "a.journal", plain(range(250, 300)))
    d2 = daemon("run2")
    out2 = d2.dir / "out.raw"
    d2.start(config(jdir, out2, input_extra=extra))
    wait_lines(out2, 100, d=d2)
    time.sleep(0.5)
    d2.stop()
    assert seqs_of(out2) == list(range(200, 300))
    assert f"[input:journald:j] resuming after the cursor in {cursor}" in d2.stderr()
    assert cursors_by_message(jdir / "a.journal")[read_cursor(cursor)] == msg(299)


def test_kill9_resumes_without_gap(daemon):
    n = 30000
    jdir = daemon("journal").dir
    cursor = jdir / "j.cursor"
    write_journal(jdir / "a.journal", plain(range(n)))
    extra = f"cursor_file: {cursor}"

    d1 = daemon("run1")
    out1 = d1.dir / "out.raw"
    d1.start(config(jdir, out1, input_extra=extra))
    wait_for(lambda: cursor.exists(), 20, msg="the first cursor file write")
    first = read_cursor(cursor)
    # let a later (coalesced) write happen too, unless everything is done by then
    wait_for(lambda: read_cursor(cursor) != first or len(complete_lines(out1)) == n, 20,
             msg="a second cursor file write")
    d1.stop(sig=signal.SIGKILL, expect_rc=-signal.SIGKILL)
    saved = read_cursor(cursor)
    got1 = seqs_of(out1)
    k = len(got1)
    assert got1 == list(range(k)), "the first run wrote entries out of order or twice"
    c = int(cursors_by_message(jdir / "a.journal")[saved].split()[1])
    # the persisted cursor never runs ahead of what the output wrote
    assert c < k, f"cursor at entry {c} but only {k} entries were written"

    d2 = daemon("run2")
    out2 = d2.dir / "out.raw"
    d2.start(config(jdir, out2, input_extra=extra))
    wait_lines(out2, n - c - 1, timeout=120, d=d2)
    time.sleep(0.5)
    d2.stop()
    got2 = seqs_of(out2)
    # resumed right after the persisted cursor: no gap; duplicates only of [c+1, k)
    assert got2 == list(range(c + 1, n)), (got2[:5], got2[-5:], c, k)
    print(f"kill -9 after {k} of {n} entries written, cursor at {c}: {k - c - 1} duplicates")


def test_entries_written_while_running_show_up(daemon):
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    write_journal(jdir / "a.journal", plain(range(3)))
    out = d.dir / "out.raw"
    # poll_interval 1h: only the change notification can bring the new entries in time
    d.start(config(jdir, out, input_extra=f"poll_interval: 1h"))
    wait_lines(out, 3, d=d)
    write_journal(jdir / "b.journal", plain(range(3, 5)))  # a new file in the directory
    wait_lines(out, 5, timeout=10, d=d)
    write_journal(jdir / "a.journal", plain(range(5, 8)))  # appended to an open file
    wait_lines(out, 8, timeout=10, d=d)
    time.sleep(0.3)
    d.stop()
    assert seqs_of(out) == list(range(8))


def test_file_list_and_tail(daemon):
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    write_journal(jdir / "a.journal", plain(range(10)))
    out = d.dir / "out.raw"
    d.start(config(jdir / "a.journal", out,
                   input_extra=f"read_from: tail"))
    # tail: the existing entries are skipped, and the position is saved at once
    wait_for(lambda: (d.state_dir / "journald-j.cursor").exists(), 10)
    write_journal(jdir / "a.journal", plain(range(10, 12)))
    wait_lines(out, 2, timeout=10, d=d)
    time.sleep(0.3)
    d.stop()
    assert seqs_of(out) == [10, 11]
    assert "no cursor file" in d.stderr() and "reading from the tail of the journal" in d.stderr()


def _bad_cursor_run(daemon, content, policy, reason):
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    write_journal(jdir / "a.journal", plain(range(5)))
    cursor = d.dir / "state" / "j.cursor"
    cursor.parent.mkdir()
    if content is None:
        cursor.mkdir()  # unreadable as a file
    else:
        cursor.write_bytes(content)
    out = d.dir / "out.raw"
    extra = f"cursor_file: {cursor}" + (f"\non_bad_cursor: {policy}" if policy else "")
    d.start(config(jdir, out, input_extra=extra))
    where = policy or "head"
    line = (f"warn [input:journald:j] cursor file {cursor}: {reason}; reading from the "
            f"{where} of the journal (on_bad_cursor: {where})")
    wait_for(lambda: line in d.stderr(), 10, msg=lambda: f"{line!r} in:\n{d.stderr()}")
    return d, jdir, out, cursor


def test_bad_cursor_reads_from_head_by_default(daemon):
    d, jdir, out, cursor = _bad_cursor_run(daemon, b"garbage cursor\n", None,
                                           "it does not hold a journal cursor")
    wait_lines(out, 5, d=d)
    time.sleep(0.5)
    d.stop()
    assert seqs_of(out) == list(range(5))
    assert cursors_by_message(jdir / "a.journal")[read_cursor(cursor)] == msg(4)


def test_rejected_cursor_with_tail_policy(daemon):
    d, jdir, out, cursor = _bad_cursor_run(daemon, b"s=nothex;i=zz\n", "tail",
                                           "the journal rejects its cursor (Invalid argument)")
    # replaced at once by the tail position
    wait_for(lambda: cursors_by_message(jdir / "a.journal").get(read_cursor(cursor)) == msg(4),
             10)
    write_journal(jdir / "b.journal", plain(range(5, 7)))
    wait_lines(out, 2, d=d)
    time.sleep(0.3)
    d.stop()
    assert seqs_of(out) == [5, 6]


def test_unreadable_cursor_file_is_reported_not_fatal(daemon):
    d, jdir, out, cursor = _bad_cursor_run(daemon, None, None, "Is a directory")
    wait_lines(out, 5, d=d)
    # it cannot be replaced either: counted and logged, reading goes on
    wait_for(lambda: (d.metric("logstream_journald_cursor_save_errors_total", instance="j") or 0)
             >= 1, 10)
    d.stop()
    assert f"cursor file {cursor}: rename: Is a directory; will retry" in d.stderr()
    assert seqs_of(out) == list(range(5))


def test_stalled_output_pauses_and_resumes(daemon):
    n = 40000
    d = daemon()
    jdir = d.dir / "journal"
    jdir.mkdir()
    pad = "p" * 180
    write_journal(jdir / "a.journal", [(s, [("MESSAGE", f"{msg(s)} {pad}")]) for s in range(n)])
    fifo = d.dir / "out.fifo"
    os.mkfifo(fifo)
    rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    got = bytearray()
    try:
        d.start(config(jdir, fifo, output_extra="queue_size: 1MiB",
                       input_extra=f"fields: []"),
                service_extra="shutdown_grace: 30s")
        wait_for(lambda: d.metric("logstream_input_paused", instance="j") == 1, 20,
                 msg="the input paused by the stalled output")
        time.sleep(1.0)
        stalled_in = d.metric("logstream_records_in_total", instance="j")
        assert 0 < stalled_in < n, stalled_in
        time.sleep(0.5)
        assert d.metric("logstream_records_in_total", instance="j") == stalled_in, \
            "the input kept reading while paused"
        deadline = time.monotonic() + 120
        want = n * (len(msg(0)) + 1 + len(pad) + 1)
        while len(got) < want:
            assert time.monotonic() < deadline, f"drained {len(got)} of {want} bytes"
            r, _, _ = select.select([rfd], [], [], 0.2)
            if r:
                got += os.read(rfd, MiB)
        wait_for(lambda: d.metric("logstream_input_paused", instance="j") == 0, 5)
        d.stop()
    finally:
        os.close(rfd)
    lines = bytes(got).split(b"\n")
    assert lines[-1] == b""
    assert [int(l.split(b" ")[1]) for l in lines[:-1]] == list(range(n))


def test_missing_path_fails_start_with_a_clear_error(daemon):
    d = daemon()
    missing = d.dir / "no-such-journal"
    d.start(config(missing, d.dir / "out.raw", input_extra=""),
            wait=False)
    rc = d.stop(send=False, expect_rc=None)
    assert rc != 0
    assert f"error [input:journald:j] path {missing}: No such file or directory\n" in d.stderr()
