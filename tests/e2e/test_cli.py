"""Command line: --list-plugins, --plugin-help, --version, --help, usage errors, exit codes,
and the daemon's ready line in text and JSON log formats."""

import json
import re
import socket
from pathlib import Path

import pytest

from conftest import free_port, logstream_bin, plugin_dir, run_cli, simple_config

KIND_ORDER = {"input": 0, "parser": 1, "output": 2}


def _plugin_lines(stdout):
    lines = stdout.rstrip("\n").split("\n")
    for l in lines:
        assert re.match(r"^(input|parser|output) [a-z0-9_]+ - \S.*$", l), \
            f"--list-plugins line {l!r} is not '<kind> <name> - <summary>'"
    return lines


def test_list_plugins(tmp_path):
    r = run_cli(["--list-plugins", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = _plugin_lines(r.stdout)
    pairs = [tuple(l.split(" ", 2)[:2]) for l in lines]
    for p in [("input", "tcp"), ("output", "file"), ("output", "null")]:
        assert p in pairs, f"{p} not in {lines}"
    assert pairs == sorted(pairs, key=lambda p: (KIND_ORDER[p[0]], p[1])), \
        f"not sorted by kind, name: {pairs}"
    assert len(set(pairs)) == len(pairs)


def test_list_plugins_default_dir_beside_binary(tmp_path):
    beside = Path(logstream_bin()).parent / "plugins"
    if not beside.is_dir():
        pytest.skip(f"no {beside}: the binary is not in a build tree")
    r = run_cli(["--list-plugins"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r2 = run_cli(["--list-plugins", "--plugin-dir", str(beside)], cwd=tmp_path)
    assert r.stdout == r2.stdout


def test_plugin_help_tcp(tmp_path):
    r = run_cli(["--plugin-help", "tcp", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    listing = run_cli(["--list-plugins", "--plugin-dir", plugin_dir()]).stdout.split("\n")
    tcp = [l.split(None, 2) for l in listing if l.split(None, 2)[:2] == ["input", "tcp"]]
    assert len(tcp) == 1, listing
    summary = tcp[0][2].removeprefix("- ")
    assert summary in out
    for opt in ("listen", "max_line", "max_connections", "idle_timeout"):
        assert re.search(rf"\b{opt}\b", out), f"option {opt} not in --plugin-help tcp:\n{out}"
    for word in ("address", "size", "int", "duration", "64KiB", "1024", "required"):
        assert word in out, f"{word!r} not in --plugin-help tcp:\n{out}"


def test_plugin_help_file(tmp_path):
    r = run_cli(["--plugin-help", "file", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for opt in ("path", "format", "mode", "mkdir"):
        assert re.search(rf"\b{opt}\b", r.stdout), f"{opt} not in --plugin-help file"
    assert "raw" in r.stdout and "json" in r.stdout


def test_plugin_help_unknown(tmp_path):
    r = run_cli(["--plugin-help", "tcpp", "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == "logstream: no plugin named 'tcpp' (see --list-plugins)\n"


def test_version_and_help(tmp_path):
    r = run_cli(["--version"], cwd=tmp_path)
    assert r.returncode == 0
    assert "0.1.0" in r.stdout
    assert run_cli(["-V"], cwd=tmp_path).stdout == r.stdout
    h = run_cli(["--help"], cwd=tmp_path)
    assert h.returncode == 0
    for opt in ("--config", "--check", "--list-plugins", "--plugin-help", "--plugin-dir",
                "--log-level", "--log-format", "--version", "--help"):
        assert opt in h.stdout, f"{opt} not in --help"
    assert run_cli(["-h"], cwd=tmp_path).stdout == h.stdout


def test_usage_errors_exit_2(tmp_path):
    for args in (["--no-such-option"], ["--log-level", "loud"], ["--log-format", "xml"],
                 ["--plugin-help"], ["-c"]):
        r = run_cli(args, cwd=tmp_path)
        assert r.returncode == 2, f"{args}: exit {r.returncode}, stderr {r.stderr!r}"
        assert r.stderr.strip(), f"{args}: no message on stderr"
        assert r.stdout == "", args


def test_missing_config_exit_1(tmp_path):
    r = run_cli(["--check", "-c", str(tmp_path / "nope"), "--plugin-dir", plugin_dir()],
                cwd=tmp_path)
    assert r.returncode == 1
    assert str(tmp_path / "nope") in r.stderr
    r = run_cli(["-c", str(tmp_path / "nope"), "--plugin-dir", plugin_dir()], cwd=tmp_path)
    assert r.returncode == 1
    assert str(tmp_path / "nope") in r.stderr


def test_cannot_bind_exit_3(daemon):
    d = daemon()
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        d.start(simple_config(port, d.dir / "out.log"), wait=False)
        rc = d.wait_exit(20)
    finally:
        blocker.close()
    assert rc == 3, f"exit {rc}; stderr:\n{d.stderr()}"
    assert f"127.0.0.1:{port}" in d.stderr()


TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn|info|debug) \S")


def test_ready_line_text(daemon):
    d = daemon()
    port = free_port()
    d.start(simple_config(port, d.dir / "out.log", extra_routes="- type: \"null\"\n"))
    log = d.stderr()
    want = (f" info logstream 0.1.0 running: 1 pipeline, 1 input, 2 outputs; "
            f"admin on 127.0.0.1:{d.admin_port}")
    assert any(l.endswith(want) and TEXT_LINE.match(l) for l in log.split("\n")), log
    assert re.search(rf"^\S+ info \[input:tcp:apps\.tcp\.0\] listening on 127\.0\.0\.1:{port}$",
                     log, re.M), log
    for l in log.rstrip("\n").split("\n"):
        assert TEXT_LINE.match(l), f"log line not in the text format: {l!r}"
    d.stop()


def test_ready_line_json(daemon):
    d = daemon()
    port = free_port()
    d.start(simple_config(port, d.dir / "out.log"), args=["--log-format", "json"])
    d.stop()
    recs = []
    for l in d.stderr().rstrip("\n").split("\n"):
        obj = json.loads(l)
        assert {"time", "level", "msg"} <= set(obj), obj
        recs.append(obj)
    ready = [r for r in recs if r["msg"].startswith("logstream 0.1.0 running:")]
    assert len(ready) == 1
    assert ready[0]["msg"] == (f"logstream 0.1.0 running: 1 pipeline, 1 input, 1 output; "
                               f"admin on 127.0.0.1:{d.admin_port}")
    assert ready[0]["level"] == "info"
    tcp = [r for r in recs if r.get("instance") and "listening on" in r["msg"]]
    assert tcp and tcp[0]["msg"] == f"listening on 127.0.0.1:{port}", recs


def test_log_level_error_is_quiet(daemon):
    d = daemon()
    port = free_port()
    d.start(simple_config(port, d.dir / "out.log"), args=["--log-level", "error"])
    d.stop()
    assert d.stderr() == ""
