"""The file output: rotation under load with gzip / lz4, retention, time rotation, path templates
with hostile values, every format keeping the seq token, a bounded number of descriptors,
crash leftovers cleaned at start, a deleted directory and a full disk (a real small tmpfs)
recovered without loss.

Record variables are written ${app} in YAML: the configuration loader expands only ${NAME} with
an uppercase first letter from the environment. One test keeps the escaped form ${app}."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import count_lines, free_port, read_lines, scale, send_lines, wait_for

ROTATED = re.compile(r"^(?P<base>.+)\.(?P<stamp>\d{8}T\d{6})(?:\.(?P<n>[1-9]\d*))?"
                     r"(?P<suffix>\.gz|\.lz4)?$")


def pipeline(port, outputs, parsers="[]"):
    """One pipeline `apps`: tcp input on port -> the given shared outputs (YAML text)."""
    names = re.findall(r"^  (\w+):$", outputs, re.M)
    return ("outputs:\n" + outputs + "pipelines:\n  apps:\n    inputs:\n"
            f"      - {{ type: tcp, listen: 127.0.0.1:{port} }}\n"
            f"    parsers: {parsers}\n    outputs: [{', '.join(names)}]\n")


def file_output(name, path, extra=""):
    text = f"  {name}:\n    type: file\n    path: {path}\n"
    for line in extra.strip("\n").split("\n"):
        if line.strip():
            text += "    " + line + "\n"
    return text


def seq_line(i, width=7):
    return b"seq=%0*d payload-abcdefghijklmnopqrstuvwxyz-0123456789" % (width, i)


def send_many(port, lines, chunk=20000):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        for i in range(0, len(lines), chunk):
            s.sendall(b"".join(l + b"\n" for l in lines[i:i + chunk]))
    finally:
        s.close()


def wait_delivered(d, n, instance="archive", timeout=120):
    wait_for(lambda: d.metric("logstream_records_out_total", instance=instance) == n, timeout,
             msg=lambda: f"records_out{{{instance}}} == {n}: "
                         f"{d.metric('logstream_records_out_total', instance=instance)}; "
                         f"stderr:\n{d.stderr()[-3000:]}")


def rotated_files(live):
    """The rotated files of live path, oldest first: [(path, n, suffix)]."""
    live = Path(live)
    found = []
    for p in live.parent.iterdir():
        m = ROTATED.match(p.name)
        if m and m.group("base") == live.name:
            found.append((m.group("stamp"), int(m.group("n") or 0), p, m.group("suffix") or ""))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(p, n, suffix) for _, n, p, suffix in found]


def decompress(path, suffix):
    if suffix == ".gz":
        cmd = ["gzip", "-dc", str(path)]
    elif suffix == ".lz4":
        cmd = ["lz4", "-dc", str(path)]
    else:
        return Path(path).read_bytes()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, f"{cmd}: {r.stderr.decode(errors='replace')}"
    return r.stdout


def leftovers(live):
    """Rotated files still uncompressed, and temp files, of live path."""
    live = Path(live)
    out = [p for p, _, suffix in rotated_files(live) if suffix == ""]
    out += [p for p in live.parent.iterdir() if p.name.endswith(".tmp")]
    return out


def check_exactly_once(data, lines):
    """data (the concatenation of every file) is exactly the lines sent, in order."""
    want = b"".join(l + b"\n" for l in lines)
    if data == want:
        return
    got = data.split(b"\n")[:-1]
    seen = {}
    for l in got:
        seen[l] = seen.get(l, 0) + 1
    missing = [l for l in lines if l not in seen]
    dups = [l for l, c in seen.items() if c > 1]
    raise AssertionError(f"{len(got)} lines for {len(lines)} sent: {len(missing)} missing "
                         f"(first {missing[:3]}), {len(dups)} duplicated (first {dups[:3]}), "
                         "or out of order")


# ---- rotation by size under load, compressed ------------------------------------------------


def _rotate_under_load(daemon, compress, nlines, size, tester):
    d = daemon()
    port = free_port()
    out = d.dir / "logs" / "out.log"
    d.start(pipeline(port, file_output("archive", out,
                                       f"rotate: {{ size: {size}, compress: {compress} }}")),
            service_extra="shutdown_grace: 60s")
    lines = [seq_line(i) for i in range(nlines)]
    t0 = time.monotonic()
    send_many(port, lines)
    wait_delivered(d, nlines, timeout=300)
    took = time.monotonic() - t0
    # Compression runs in the background: wait until every rotated file is compressed.
    wait_for(lambda: not leftovers(out), 300,
             msg=lambda: f"rotated files still uncompressed: {leftovers(out)[:5]}")
    m = d.metrics()
    d.stop()
    rot = rotated_files(out)
    assert len(rot) >= 5, f"only {len(rot)} rotations for {nlines} lines at size {size}"
    suffix = ".gz" if compress == "gzip" else ".lz4"
    data = bytearray()
    limit = int(size[:-3]) * (1 << 20) + (1 << 20)  # size + one batch (batch.max_bytes 1MiB)
    for p, _, sfx in rot:
        assert sfx == suffix, f"{p} not compressed"
        t = subprocess.run(tester + [str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert t.returncode == 0, f"{tester} {p}: {t.stderr.decode(errors='replace')}"
        part = decompress(p, sfx)
        assert 0 < len(part) <= limit, f"{p}: {len(part)} bytes"
        assert part.endswith(b"\n"), f"{p} ends inside a line"
        data += part
    data += out.read_bytes()
    check_exactly_once(bytes(data), lines)
    key = lambda name: next(v for k, v in m.items()
                            if k[0] == name and ("instance", "archive") in k[1])
    assert key("logstream_file_rotations_total") == len(rot)
    assert key("logstream_file_compressed_files_total") == len(rot)
    assert key("logstream_file_compress_errors_total") == 0
    print(f"{compress}: {nlines} lines in {took:.1f}s, {len(rot)} rotated files")


def test_rotation_by_size_under_load_gzip(daemon):
    _rotate_under_load(daemon, "gzip", int(1_000_000 * scale()), "2MiB", ["gzip", "-t"])


def test_rotation_by_size_under_load_lz4(daemon):
    _rotate_under_load(daemon, "lz4", int(300_000 * scale()), "1MiB", ["lz4", "-t"])


# ---- retention ------------------------------------------------------------------------------


def _batches(d, port, out, nbatches, per, start=0):
    """Send nbatches of `per` 100-byte lines, each after the previous one was written. With
    per * 100 <= rotate.size < 2 * per * 100, each rotated file holds exactly one of them, even
    when the daemon reads a batch in two parts."""
    sent = []
    for b in range(nbatches):
        lines = [b"batch %03d line %04d " % (start + b, i) + b"x" * 79 for i in range(per)]
        send_lines(port, lines)
        sent.append(lines)
        total = sum(len(x) for x in sent)
        wait_delivered(d, total)
    return sent


def test_retention_keep_deletes_oldest(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(pipeline(port, file_output("archive", out, "rotate: { size: 4KiB, keep: 3 }")))
    sent = _batches(d, port, out, 10, 40)  # 4,000 bytes per batch: each rotates the file
    wait_for(lambda: len(rotated_files(out)) == 3, 20,
             msg=lambda: f"3 rotated files kept: {rotated_files(out)}")
    assert d.metric("logstream_file_rotations_total", instance="archive") == 9
    wait_for(lambda: d.metric("logstream_file_retention_deleted_total", instance="archive") == 6,
             10)
    d.stop()
    # The newest three rotated files and the live one hold the last four batches, in order.
    data = b"".join(p.read_bytes() for p, _, _ in rotated_files(out)) + out.read_bytes()
    check_exactly_once(data, [l for b in sent[-4:] for l in b])


def test_retention_max_total_size(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(pipeline(port, file_output("archive", out,
                                       "rotate: { size: 4KiB, max_total_size: 11KiB }")))
    sent = _batches(d, port, out, 6, 40)  # rotated files of 4,000 bytes: two fit in 11 KiB
    wait_for(lambda: len(rotated_files(out)) == 2, 20,
             msg=lambda: f"2 rotated files kept: {rotated_files(out)}")
    d.stop()
    data = b"".join(p.read_bytes() for p, _, _ in rotated_files(out)) + out.read_bytes()
    check_exactly_once(data, [l for b in sent[-3:] for l in b])


def test_retention_max_age_and_crash_leftovers_at_start(daemon):
    """At start the output cleans what a crash may leave and applies retention: an unfinished
    compression is removed, a rotated file whose compressed twin is complete is removed, a
    rotated file left uncompressed is compressed, and rotated files past max_age go. Files
    that are not this output's rotated files are never touched."""
    d = daemon()
    port = free_port()
    logs = d.dir / "logs"
    logs.mkdir()
    out = logs / "out.log"
    now = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() - 60))
    old = "20200101T000000"
    (logs / f"out.log.{now}.gz.tmp").write_bytes(b"half a gzip stream")
    (logs / f"out.log.{now}").write_bytes(b"rotated but not compressed\n")
    twin = f"out.log.{now}.1"
    (logs / twin).write_bytes(b"compressed twin exists\n")
    subprocess.run(["gzip", "-k", str(logs / twin)], check=True)
    (logs / f"out.log.{old}.gz").write_bytes(b"too old")
    (logs / f"out.log.{old}.1").write_bytes(b"too old as well\n")
    untouched = ["out.log.1", "other.log.20200101T000000", f"out.log.{old}.zst", "notes.txt"]
    for name in untouched:
        (logs / name).write_bytes(b"not ours\n")
    d.start(pipeline(port, file_output("archive", out,
                                       "rotate: { size: 1MiB, max_age: 30d, compress: gzip }")))
    want = {f"out.log.{now}.gz", f"{twin}.gz", "out.log", *untouched}
    wait_for(lambda: {p.name for p in logs.iterdir()} == want, 20,
             msg=lambda: f"files {sorted(p.name for p in logs.iterdir())} == {sorted(want)}")
    assert decompress(logs / f"out.log.{now}.gz", ".gz") == b"rotated but not compressed\n"
    assert decompress(logs / f"{twin}.gz", ".gz") == b"compressed twin exists\n"
    assert "removed unfinished compression" in d.stderr()
    d.stop()


# ---- time rotation --------------------------------------------------------------------------


def test_time_rotation_by_age(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    d.start(pipeline(port, file_output("archive", out, "rotate: { age: 1s }")))
    first = [b"first %d" % i for i in range(100)]
    send_lines(port, first)
    wait_delivered(d, 100)
    # Idle files rotate too (the timer checks every second); the fixed path is reopened.
    wait_for(lambda: len(rotated_files(out)) == 1, 10,
             msg=lambda: f"one rotated file: {rotated_files(out)}")
    rot = rotated_files(out)[0][0]
    assert ROTATED.match(rot.name)
    assert read_lines(rot) == first
    wait_for(lambda: out.exists(), 5)
    assert out.read_bytes() == b""
    second = [b"second %d" % i for i in range(100)]
    send_lines(port, second)
    wait_delivered(d, 200)
    wait_for(lambda: len(rotated_files(out)) == 2, 10)
    d.stop()
    assert read_lines(rotated_files(out)[1][0]) == second
    # An empty live file does not rotate: no third file however long it waited.
    assert len(rotated_files(out)) == 2


# ---- path templates -------------------------------------------------------------------------


def clean(value, host=False):
    """Mirror of fo_sanitize for ASCII values; an empty host is the local host's short name."""
    if host and value == "":
        return socket.gethostname().split(".")[0]
    b = value.encode()[:128]
    b = bytes(ord("_") if c == ord("/") or c < 0x20 or c == 0x7f else c for c in b)
    return "_" if b in (b"", b".", b"..") else b.decode()


def test_path_templates_with_hostile_values(daemon):
    d = daemon()
    port = free_port()
    base = d.dir / "logs"
    hostile = ["../../etc/evil", "..", ".", "a/b/../../c", "", "x\u0000y", "\u0001ctl",
               "web", "/abs", "a" * 300]
    d.start(pipeline(port, file_output("archive", f"{base}/$${{app}}/$${{host}}-%Y.log",
                                       "mkdir: true\ntimezone: utc"),
                     parsers="[{ type: json }]"))
    lines = []
    for i in range(len(hostile) * 20):
        app, host = hostile[i % len(hostile)], hostile[(i // 3) % len(hostile)]
        lines.append(json.dumps({"app": app, "host": host, "msg": f"seq={i}"}).encode())
    send_lines(port, lines)
    wait_delivered(d, len(lines))
    d.stop()
    year = time.strftime("%Y", time.gmtime())
    want = {}
    for i in range(len(lines)):
        app, host = hostile[i % len(hostile)], hostile[(i // 3) % len(hostile)]
        key = f"{clean(app)}/{clean(host, host=True)}-{year}.log"
        want.setdefault(key, []).append(lines[i])
    got = {}
    for root, dirs, files in os.walk(base):
        for f in files:
            p = Path(root) / f
            got[str(p.relative_to(base))] = read_lines(p)
    assert sorted(got) == sorted(want)
    for k in want:
        assert got[k] == want[k], k
    # Nothing was created outside the configured directory.
    assert {p.name for p in d.dir.iterdir()} - {"state"} == \
        {"conf.d", "logs", "stderr.log", "stdout.log"}
    assert not (d.dir.parent / "etc").exists()


def test_max_open_files_bounds_descriptors(daemon):
    d = daemon()
    port = free_port()
    base = d.dir / "logs"
    # fsync: never, so that no descriptor is lent to the worker for an interval sync.
    d.start(pipeline(port, file_output("archive", f"{base}/${{app}}.log",
                                       "max_open_files: 4\nfsync: never"),
                     parsers="[{ type: json }]"))
    lines = [json.dumps({"app": f"app{i % 25}", "msg": f"seq={i}"}).encode() for i in range(5000)]
    send_lines(port, lines)
    wait_delivered(d, len(lines))
    held = [os.readlink(f"/proc/{d.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{d.pid}/fd")]
    under = [p for p in held if p.startswith(str(base))]
    assert 0 < len(under) <= 4, under
    d.stop()
    for a in range(25):
        assert read_lines(base / f"app{a}.log") == \
            [l for i, l in enumerate(lines) if i % 25 == a]


# ---- formats --------------------------------------------------------------------------------


def test_every_format_keeps_the_seq_token(daemon):
    d = daemon()
    port = free_port()
    fmts = {"raw": "", "json": "", "traditional": "timezone: utc", "rfc5424": "",
            "template": 'template: "${host}|${app}|${severity}|${message}|${field.user}"'}
    outputs = "".join(file_output(f, d.dir / f"{f}.log", f"format: {f}\n{extra}")
                      for f, extra in fmts.items())
    d.start(pipeline(port, outputs, parsers="[{ type: json }]"))
    n = 2000
    lines = [json.dumps({"app": "sshd", "host": "h1", "level": "warning", "user": "root",
                         "msg": f"seq={i} hello"}).encode() for i in range(n)]
    t0 = time.time()
    send_lines(port, lines)
    for f in fmts:
        wait_delivered(d, n, instance=f)
    d.stop()
    got = {f: read_lines(d.dir / f"{f}.log") for f in fmts}
    for f, ls in got.items():
        seqs = [int(re.search(rb"seq=(\d+) ", l).group(1)) for l in ls]
        assert seqs == list(range(n)), f"{f}: seq tokens not each once in order"
    assert got["raw"] == lines
    for i, l in enumerate(got["json"]):
        o = json.loads(l)
        assert (o["app"], o["host"], o["severity"], o["message"], o["user"]) == \
            ("sshd", "h1", "warning", f"seq={i} hello", "root")
    trad = re.compile(rb"^([A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d) h1 sshd: seq=(\d+) hello$")
    for l in got["traditional"]:
        m = trad.match(l)
        assert m, l
        stamp = time.strptime(time.strftime("%Y ", time.gmtime(t0)) + m.group(1).decode(),
                              "%Y %b %d %H:%M:%S")
        assert abs(time.mktime(stamp) - time.mktime(time.gmtime(t0))) < 120, l
    r5424 = re.compile(rb"^<12>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z h1 sshd - - - "
                       rb"seq=(\d+) hello$")
    for l in got["rfc5424"]:
        assert r5424.match(l), l
    assert got["template"] == [b"h1|sshd|warning|seq=%d hello|root" % i for i in range(n)]


def test_bad_templates_are_config_errors(tmp_path):
    conf = tmp_path / "conf.d"
    conf.mkdir()
    (conf / "10-a.yaml").write_text(
        "outputs:\n"
        "  a: { type: file, path: './x/${nope}.log' }\n"
        "  b: { type: file, path: ./y.log, format: template }\n"
        "  c: { type: file, path: ./z.log, format: template, template: '$${app' }\n"
        "pipelines:\n  p:\n    inputs: [{ type: tcp, listen: 127.0.0.1:9 }]\n"
        "    outputs: [a, b, c]\n")
    from conftest import plugin_dir, run_cli
    r = run_cli(["--check", "-c", "conf.d", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 1
    assert ("[output:file:a] option 'path': unknown variable '${nope}' (known: time, received, "
            "timestamp, host, app, procid, msgid, severity, facility, pri, message, raw, peer, "
            "input, pipeline, field.NAME)") in r.stderr
    assert "[output:file:b] option 'template': required with format: template" in r.stderr
    assert "[output:file:c] option 'template': unterminated '${' in \"${app\"" in r.stderr


# ---- failures -------------------------------------------------------------------------------


def test_deleted_directory_is_recreated(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "logs" / "sub" / "out.log"
    d.start(pipeline(port, file_output("archive", out)))
    first = [b"first %d" % i for i in range(100)]
    send_lines(port, first)
    wait_delivered(d, 100)
    shutil.rmtree(d.dir / "logs")
    second = [b"second %d" % i for i in range(100)]
    send_lines(port, second)
    wait_delivered(d, 200)
    d.stop()
    assert read_lines(out) == second
    assert f"{out} was moved or removed; opening it again" in d.stderr()


def test_missing_directory_without_mkdir_waits_and_recovers(daemon):
    d = daemon()
    port = free_port()
    logs = d.dir / "logs"
    logs.mkdir()
    out = logs / "out.log"
    d.start(pipeline(port, file_output("archive", out, "mkdir: false")))
    first = [b"first %d" % i for i in range(100)]
    send_lines(port, first)
    wait_delivered(d, 100)
    shutil.rmtree(logs)
    second = [b"second %d" % i for i in range(100)]
    send_lines(port, second)
    msg = f"open {out}: No such file or directory; retrying"
    wait_for(lambda: msg in d.stderr(), 10, msg=lambda: f"{msg!r} in:\n{d.stderr()[-2000:]}")
    time.sleep(1.0)
    assert d.metric("logstream_records_out_total", instance="archive") == 100
    assert d.metric("logstream_file_write_errors_total", instance="archive") >= 2  # retried
    logs.mkdir()
    wait_delivered(d, 200, timeout=60)
    d.stop()
    assert read_lines(out) == second
    err = d.stderr()
    assert err.count(msg) == 1, "the failure must be logged once"
    assert f"writing to {out} again" in err


@pytest.fixture
def small_tmpfs(tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a 1 MiB tmpfs for the ENOSPC test (needs root or "
                    f"CAP_SYS_ADMIN): {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], stderr=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)])


def test_disk_full_recovers_without_loss(daemon, small_tmpfs):
    d = daemon()
    port = free_port()
    out = small_tmpfs / "out.log"
    filler = small_tmpfs / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * (1024 * 1024 - 64 * 1024))  # leave 64 KiB
    d.start(pipeline(port, file_output("archive", out)), service_extra="shutdown_grace: 30s")
    lines = [seq_line(i) for i in range(5000)]  # 300 KB: the disk fills on the way
    send_lines(port, lines)
    msg = f"write {out}: No space left on device; retrying"
    wait_for(lambda: msg in d.stderr(), 20, msg=lambda: f"{msg!r} in:\n{d.stderr()[-2000:]}")
    time.sleep(1.0)
    assert d.metric("logstream_records_out_total", instance="archive") < len(lines)
    assert d.metric("logstream_file_write_errors_total", instance="archive") >= 1
    assert d.running()
    filler.unlink()
    wait_delivered(d, len(lines), timeout=60)
    d.stop()
    check_exactly_once(out.read_bytes(), lines)
    err = d.stderr()
    assert err.count("No space left on device") == 1, "the failure must be logged once"
    assert f"writing to {out} again" in err
