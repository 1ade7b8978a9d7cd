"""Fixtures and helpers for the LogStream end-to-end tests.

Every test starts the real binary (LOGSTREAM_BIN, default build/logstream) with a real conf.d
written into its own tmp_path, on free loopback ports, and talks to it over real sockets.
Nothing is written outside tmp_path (run with -p no:cacheprovider and PYTHONDONTWRITEBYTECODE=1).

The Daemon class:
  d = daemon()                      # from the `daemon` fixture factory
  d.start(body_yaml)                # writes conf.d/10-test.yaml = service section + body
  d.metrics() / d.metric(name, instance="archive") / d.health()
  d.stop()                          # SIGTERM, asserts exit 0 and a sanitizer-clean stderr
Daemons still running at teardown are stopped the same way (and the same assertions apply).
"""

import functools
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


# ---- environment -----------------------------------------------------------------------------


def logstream_bin():
    return os.environ.get("LOGSTREAM_BIN") or str(REPO / "build" / "logstream")


def plugin_dir():
    return os.environ.get("LOGSTREAM_PLUGIN_DIR") or str(Path(logstream_bin()).parent / "plugins")


@functools.lru_cache(maxsize=None)
def is_asan():
    """True when the binary under test was built with AddressSanitizer."""
    try:
        with open(logstream_bin(), "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"libasan.so" in data


def scale():
    """LS_E2E_SCALE multiplies the volume of the load tests (default 1)."""
    return float(os.environ.get("LS_E2E_SCALE") or 1.0)


def daemon_env(extra=None):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run_cli(args, cwd=None, env=None, timeout=30):
    """Run the binary with args (no daemon), return CompletedProcess with text stdout/stderr."""
    return subprocess.run([logstream_bin()] + list(args), cwd=cwd, env=daemon_env(env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          stdin=subprocess.DEVNULL, errors="replace", text=True)


def assert_sanitizer_clean(text, what="stderr"):
    for m in SANITIZER_MARKERS:
        assert m not in text, f"sanitizer report ({m!r}) in {what}:\n{text[-6000:]}"


# ---- small helpers ---------------------------------------------------------------------------


def free_port():
    """A free TCP port on 127.0.0.1: bind port 0, read it, close."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(cond, timeout=10.0, interval=0.05, msg=None):
    """Poll cond() until it returns a truthy value (returned). On timeout raise AssertionError
    with msg (a string or a callable returning one)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            text = msg() if callable(msg) else msg
            raise AssertionError(f"timed out after {timeout}s waiting for {text or cond}")
        time.sleep(interval)


def connect(port, host="127.0.0.1", timeout=10.0):
    return socket.create_connection((host, port), timeout=timeout)


def send_lines(port, lines, host="127.0.0.1", eol=b"\n"):
    """Connect, send every line followed by eol, close."""
    s = connect(port, host)
    try:
        s.sendall(b"".join(bytes(l) + eol for l in lines))
    finally:
        s.close()


def read_lines(path):
    """The lines of a file (bytes, without their '\\n'); the file must end with '\\n'."""
    data = Path(path).read_bytes()
    if not data:
        return []
    assert data.endswith(b"\n"), f"{path} does not end with a newline: ...{data[-80:]!r}"
    return data[:-1].split(b"\n")


def file_size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


_SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$")
_LABEL_RE = re.compile(r'[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\]|\\.)*)"[ \t]*(,|$)')


def _unescape_label(v):
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels.items())): float}. Asserts every sample line
    is well-formed and no series appears twice."""
    out = {}
    for line in text.split("\n"):
        if not line.strip() or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        assert m, f"malformed metrics line: {line!r}"
        name, lbl, val = m.groups()
        labels = {}
        if lbl:
            body = lbl[1:-1]
            pos = 0
            while pos < len(body):
                lm = _LABEL_RE.match(body, pos)
                assert lm and lm.end() > pos, f"malformed labels in metrics line: {line!r}"
                labels[lm.group(1)] = _unescape_label(lm.group(2))
                pos = lm.end()
        key = (name, frozenset(labels.items()))
        assert key not in out, f"series appears twice on /metrics: {line!r}"
        out[key] = float(val)
    return out


def find_metric(metrics, name, **labels):
    """The value of the one series `name` whose labels include `labels`; None if none.
    Asserts the match is unique."""
    want = set(labels.items())
    found = [(k, v) for k, v in metrics.items() if k[0] == name and want <= set(k[1])]
    assert len(found) <= 1, f"{name}{labels} matches several series: {found}"
    return found[0][1] if found else None


# ---- the daemon ------------------------------------------------------------------------------


class Daemon:
    """One logstream process with its own directory, conf.d and admin port."""

    CONF_NAME = "10-test.yaml"

    def __init__(self, base, name="d"):
        self.dir = Path(base) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.confdir = self.dir / "conf.d"
        self.confdir.mkdir(exist_ok=True)
        self.state_dir = self.dir / "state"
        self.admin_port = free_port()
        self.stderr_path = self.dir / "stderr.log"
        self.stdout_path = self.dir / "stdout.log"
        self.proc = None
        self.rc = None
        self.header_lines = 0
        self.grace = 10.0

    # -- configuration

    def service_yaml(self, service_extra=""):
        lines = [
            "service:",
            f"  plugin_dir: {plugin_dir()}",
            f"  state_dir: {self.state_dir}",
            "  admin:",
            f"    listen: 127.0.0.1:{self.admin_port}",
            "  log:",
            "    level: info",
        ]
        for l in service_extra.strip("\n").split("\n"):
            if l.strip():
                lines.append("  " + l)
        return "\n".join(lines) + "\n"

    def write_config(self, body, service_extra="", name=None, raw=False):
        """Write conf.d/<name> atomically: the service section + body (unless raw). Returns
        the path. self.header_lines is the number of lines before body."""
        text = body if raw else self.service_yaml(service_extra) + body
        if not raw:
            self.header_lines = self.service_yaml(service_extra).count("\n")
        path = self.confdir / (name or self.CONF_NAME)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        m = re.search(r"shutdown_grace:\s*(\d+)s", service_extra)
        if m:
            self.grace = float(m.group(1))
        return path

    # -- lifecycle

    def start(self, body=None, service_extra="", args=(), wait=True, env=None):
        if body is not None:
            self.write_config(body, service_extra)
        binary = logstream_bin()
        assert os.access(binary, os.X_OK), f"logstream binary not found or not executable: {binary}"
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen([binary, "-c", str(self.confdir)] + list(args),
                                     cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=daemon_env(env))
        self.pid = self.proc.pid
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise AssertionError(f"logstream exited with {rc} during start-up; stderr:\n"
                                     f"{self.stderr()[-6000:]}")
            try:
                status, body = self.http_get("/health", timeout=1.0)
                if status == 200:
                    return json.loads(body)
                last = (status, body)
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise AssertionError(f"/health not 200 within {timeout}s (last: {last!r}); stderr:\n"
                             f"{self.stderr()[-6000:]}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        assert self.running(), f"logstream is not running (rc {self.proc.poll()}); stderr:\n" \
                               f"{self.stderr()[-4000:]}"
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout=None):
        timeout = timeout if timeout is not None else self.grace + 20
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            raise AssertionError(f"logstream did not exit within {timeout}s (killed); stderr:\n"
                                 f"{self.stderr()[-6000:]}")
        self._close_files()
        return self.rc

    def stop(self, sig=signal.SIGTERM, expect_rc=0, timeout=None, send=True):
        """Send sig (unless send is False: already sent), wait for the exit, assert the exit
        code and a sanitizer-clean stderr."""
        if send and self.running():
            os.kill(self.proc.pid, sig)
        rc = self.wait_exit(timeout)
        err = self.stderr()
        assert_sanitizer_clean(err)
        if expect_rc is not None:
            assert rc == expect_rc, f"logstream exit code {rc}, expected {expect_rc}; stderr:\n" \
                                    f"{err[-6000:]}"
        return rc

    def _close_files(self):
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f and not f.closed:
                f.close()

    # -- observation

    def stderr(self):
        try:
            return self.stderr_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def http_get(self, path, timeout=5.0):
        c = http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            c.close()

    def health(self):
        status, body = self.http_get("/health")
        try:
            doc = json.loads(body)
        except ValueError:
            raise AssertionError(f"/health is not JSON (status {status}): {body!r}")
        return status, doc

    def metrics(self):
        status, body = self.http_get("/metrics")
        assert status == 200, f"/metrics returned {status}: {body[:500]!r}"
        return parse_metrics(body)

    def metric(self, name, **labels):
        return find_metric(self.metrics(), name, **labels)

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc/PID/status")


@pytest.fixture
def daemon(tmp_path):
    """Factory: daemon() -> a new Daemon under tmp_path (not started). Every daemon still running
    at teardown gets SIGTERM; its exit code must be 0 and its stderr sanitizer-clean."""
    made = []

    def make(name=None):
        d = Daemon(tmp_path, name or f"d{len(made)}")
        made.append(d)
        return d

    yield make
    problems = []
    for d in made:
        if d.proc is None:
            continue
        if d.rc is None:
            try:
                d.stop()
            except AssertionError as e:
                problems.append(str(e))
            continue
        try:
            assert_sanitizer_clean(d.stderr())
        except AssertionError as e:
            problems.append(str(e))
    assert not problems, "\n\n".join(problems)


def indent(text, n):
    pad = " " * n
    return "".join(pad + l + "\n" for l in text.strip("\n").split("\n") if l.strip())


def simple_config(port, path, fmt="raw", output_extra="", input_extra="", extra_routes=""):
    """One pipeline `apps`: a tcp input on 127.0.0.1:port -> the shared file output `archive`
    at path (plus extra_routes, YAML list items indented for the outputs list)."""
    text = ("outputs:\n"
            "  archive:\n"
            "    type: file\n"
            f"    path: {path}\n"
            f"    format: {fmt}\n"
            + (indent(output_extra, 4) if output_extra else "")
            + "pipelines:\n"
            "  apps:\n"
            "    inputs:\n"
            "      - type: tcp\n"
            f"        listen: 127.0.0.1:{port}\n"
            + (indent(input_extra, 8) if input_extra else "")
            + "    parsers: []\n"
            "    outputs:\n"
            "      - archive\n"
            + (indent(extra_routes, 6) if extra_routes else ""))
    return text
