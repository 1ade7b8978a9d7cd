"""SIGHUP reload: valid configs swap in under load without losing or duplicating a line and
without refusing a connection; an invalid config is reported and the old one keeps running."""

import re
import signal
import threading
import time

from conftest import (connect, count_lines, find_metric, free_port, read_lines, send_lines,
                      simple_config, wait_for)


class LongLived(threading.Thread):
    """One connection, open for the whole test, sending numbered lines at a steady pace."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.sent = 0
        self.error = None

    def run(self):
        try:
            s = connect(self.port)
            while not self.stop.is_set():
                s.sendall(b"".join(b"L seq=%08d\n" % (self.sent + i) for i in range(20)))
                self.sent += 20
                time.sleep(0.005)
            s.close()
        except Exception as e:
            self.error = repr(e)


class Churn(threading.Thread):
    """New short connections, one after another, each sending a few lines."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.conns = 0
        self.refused = []
        self.errors = []

    def run(self):
        while not self.stop.is_set():
            c = self.conns
            try:
                send_lines(self.port, [b"S conn=%06d i=%02d" % (c, i) for i in range(10)])
                self.conns += 1
            except ConnectionRefusedError as e:
                self.refused.append(repr(e))
                time.sleep(0.01)
            except OSError as e:
                self.errors.append(repr(e))
            time.sleep(0.01)


def _config(port, out, with_null):
    routes = "- type: \"null\"\n" if with_null else ""
    return simple_config(port, out, extra_routes=routes)


def test_reload_under_load(daemon):
    d = daemon()
    port = free_port()
    outs = [d.dir / f"out{i}.log" for i in range(5)]
    d.start(_config(port, outs[0], False))
    status, h = d.health()
    assert status == 200 and h["generation"] == 1, h

    ll = LongLived(port)
    churn = Churn(port)
    ll.start()
    churn.start()
    time.sleep(0.5)
    # Each reload changes the shared output's path; two of them add or remove a null output.
    plan = [(outs[1], False), (outs[2], True), (outs[3], True), (outs[4], False)]
    for k, (path, with_null) in enumerate(plan, start=2):
        d.write_config(_config(port, path, with_null))
        d.send_signal(signal.SIGHUP)
        wait_for(lambda: d.health()[1].get("generation") == k, 10,
                 msg=lambda: f"generation {k}; health {d.health()}; stderr:\n{d.stderr()[-3000:]}")
        wait_for(lambda: count_lines(path) > 0, 10, msg=f"lines in {path} after reload {k}")
        time.sleep(0.3)
        assert ll.error is None, f"long-lived connection failed after reload {k}: {ll.error}"
    # The long-lived connection still delivers after the last reload.
    before = count_lines(outs[4])
    time.sleep(0.5)
    ll.stop.set()
    churn.stop.set()
    ll.join(10)
    churn.join(10)
    assert ll.error is None, ll.error
    assert not churn.refused, f"connections refused during reloads: {churn.refused[:3]}"
    assert not churn.errors, churn.errors[:3]

    expected = ll.sent + churn.conns * 10
    wait_for(lambda: sum(count_lines(p) for p in outs) >= expected, 20,
             msg=lambda: f"{expected} lines across {[count_lines(p) for p in outs]}")
    status, h = d.health()
    assert status == 200
    assert h["generation"] == 5
    assert h["last_reload_error"] is None
    m = d.metrics()
    assert find_metric(m, "logstream_config_generation") == 5
    assert find_metric(m, "logstream_reloads_total", result="ok") == 4
    assert find_metric(m, "logstream_reloads_total", result="failed") in (None, 0)
    d.stop()

    assert count_lines(outs[4]) > before, "the long-lived connection stopped delivering"
    all_lines = []
    for p in outs:
        lines = read_lines(p)
        assert lines, f"{p} is empty"
        ll_seqs = [int(l[6:]) for l in lines if l.startswith(b"L seq=")]
        assert ll_seqs == sorted(ll_seqs), f"long-lived lines out of order in {p}"
        all_lines += lines
    expected_set = {b"L seq=%08d" % i for i in range(ll.sent)}
    expected_set |= {b"S conn=%06d i=%02d" % (c, i) for c in range(churn.conns) for i in range(10)}
    dup = len(all_lines) - len(set(all_lines))
    assert dup == 0, f"{dup} duplicated lines"
    lost = expected_set - set(all_lines)
    assert not lost, f"{len(lost)} lines lost, e.g. {sorted(lost)[:5]}"
    assert set(all_lines) == expected_set
    log = d.stderr()
    for k in range(2, 6):
        assert re.search(rf"^\S+ info reload {k}: ok$", log, re.M), f"no 'reload {k}: ok' line:\n{log}"


BROKEN_OPTION = """\
outputs:
  archive:
    type: file
    path: {out}
    formt: raw
pipelines:
  apps:
    inputs:
      - type: tcp
        listen: 127.0.0.1:{port}
    parsers: []
    outputs:
      - archive
"""

BROKEN_YAML = """\
outputs:
  archive:
    type: file
     path: {out}
pipelines:
  apps:
    inputs:
      - type: tcp
        listen: 127.0.0.1:{port}
    parsers: []
    outputs:
      - archive
"""


def _invalid_reload(daemon, broken, marker):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    other = d.dir / "other.log"
    conf = d.start(simple_config(port, out)).confdir / d.CONF_NAME
    send_lines(port, [b"before"])
    wait_for(lambda: count_lines(out) >= 1, 10)

    # Keep a connection open across the failed reload.
    s = connect(port)
    d.write_config(broken.format(out=other, port=port))
    text = conf.read_text()
    line_no = text.split("\n").index(next(l for l in text.split("\n") if marker in l)) + 1
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.health()[1].get("last_reload_error"), 10,
             msg=lambda: f"last_reload_error set; health {d.health()}; stderr:\n{d.stderr()}")
    status, h = d.health()
    assert status == 200, h
    assert h["generation"] == 1
    assert h["status"] == "ok"
    err = h["last_reload_error"]
    assert isinstance(err, str)
    assert re.search(rf"10-test\.yaml:{line_no}:\d+: ", err), \
        f"last_reload_error {err!r} lacks 10-test.yaml:{line_no}:col"
    assert re.search(r"^\S+ (error|warn) reload 2 failed: 1 error; keeping the running configuration$",
                     d.stderr(), re.M), d.stderr()
    m = d.metrics()
    assert find_metric(m, "logstream_reloads_total", result="failed") == 1
    assert find_metric(m, "logstream_config_generation") == 1

    # The old configuration still runs: old and new connections deliver to the old file.
    s.sendall(b"kept connection\n")
    s.close()
    send_lines(port, [b"after"])
    wait_for(lambda: count_lines(out) >= 3, 10)
    assert not other.exists()
    d.stop()
    assert sorted(read_lines(out)) == sorted([b"before", b"kept connection", b"after"])
    return d, err


def test_invalid_reload_unknown_option_keeps_running(daemon):
    d, err = _invalid_reload(daemon, BROKEN_OPTION, "formt:")
    assert "option 'formt': unknown option (did you mean 'format'?)" in err


def test_invalid_reload_yaml_syntax_keeps_running(daemon):
    _invalid_reload(daemon, BROKEN_YAML, "     path:")


def test_reload_after_failed_reload_succeeds(daemon):
    d = daemon()
    port = free_port()
    out = d.dir / "out.log"
    out2 = d.dir / "out2.log"
    d.start(simple_config(port, out))
    d.write_config(BROKEN_OPTION.format(out=out2, port=port))
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.health()[1].get("last_reload_error"), 10)
    d.write_config(simple_config(port, out2))
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.health()[1].get("generation") == 2, 10,
             msg=lambda: f"generation 2; stderr:\n{d.stderr()}")
    send_lines(port, [b"to the new file"])
    wait_for(lambda: count_lines(out2) >= 1, 10)
    d.stop()
    assert read_lines(out2) == [b"to the new file"]
    assert re.search(r"^\S+ info reload [23]: ok$", d.stderr(), re.M), d.stderr()
