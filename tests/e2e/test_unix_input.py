"""unix input: real clients nobody here wrote - util-linux logger (datagram, stream, octet
counting), Python's logging.handlers.SysLogHandler, and glibc's syslog(3) itself through
/dev/log in a private mount namespace - produce the exact records; the kernel's credentials
are recorded; the socket file is created, replaced and removed safely; 200,000 datagrams sent
as fast as possible are all either received or counted as dropped."""

import atexit
import grp
import json
import logging
import logging.handlers
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (count_lines, daemon_env, logstream_bin, plugin_dir, read_lines, run_cli,
                      wait_for)


def _sockdir(d):
    """A short directory for the daemon's sockets: a unix socket path must fit in 107 bytes,
    and the test's own temp dir under a build tree may not."""
    if not hasattr(d, "_sockdir"):
        d._sockdir = Path(tempfile.mkdtemp(prefix="lsu-", dir="/tmp"))
        atexit.register(shutil.rmtree, d._sockdir, True)
    return d._sockdir

MONTH_TS = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
HAVE_SYSLOG_PARSER = (Path(plugin_dir()) / "syslog.so").exists()


def _config(inputs, out, fmt="json", parsers="[]", output_extra=""):
    """One pipeline `p`: the given unix inputs (list of dicts) -> file output `out`."""
    lines = ["outputs:", "  out:", "    type: file", f"    path: {out}", f"    format: {fmt}"]
    lines += ["    " + l for l in output_extra.strip("\n").split("\n") if l.strip()]
    lines += ["pipelines:", "  p:", "    inputs:"]
    for i in inputs:
        first = True
        for k, v in i.items():
            lines.append(("      - " if first else "        ") + f"{k}: {v}")
            first = False
    lines += [f"    parsers: {parsers}", "    outputs: [out]"]
    return "\n".join(lines) + "\n"


def _records(out, n, timeout=15):
    wait_for(lambda: count_lines(out) >= n, timeout, msg=lambda: f"{n} lines in {out} "
             f"(have {count_lines(out)})")
    return [json.loads(l) for l in read_lines(out)]


def _logger(*args):
    """Run util-linux logger; return its pid (what the kernel reports as the sender)."""
    p = subprocess.Popen(["logger", "--socket-errors=on"] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 0, f"logger {args} failed ({p.returncode}): {err.decode()}"
    return p.pid


def _start(daemon, inputs, **kw):
    d = daemon()
    out = d.dir / "out.log"
    d.start(_config(inputs, out, **kw))
    return d, out


# ---- logger --------------------------------------------------------------------------------


def test_logger_datagram_rfc3164_and_rfc5424(daemon):
    d = daemon()
    sock = _sockdir(d) / "log.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock}], out))
    pid = _logger("-d", "-u", str(sock), "-t", "lstest", "-i", "-p", "local3.warning",
                  "hello over dgram")
    _logger("-d", "-u", str(sock), "--rfc5424", "--msgid", "M1", "-t", "lstest", "-p",
            "user.err", "five four two four")
    recs = _records(out, 2)
    d.stop()
    assert len(recs) == 2
    a, b = recs
    # local3 = 19, warning = 4 -> 156; user = 1, err = 3 -> 11
    assert re.fullmatch(rf"<156>{MONTH_TS} lstest\[{pid}\]: hello over dgram", a["raw"]), a
    assert re.fullmatch(r"<11>1 \S+ \S+ lstest - M1 \[timeQuality [^\]]*\] five four two four",
                        b["raw"]), b
    for r in recs:
        assert r["peer"] == "unix"
        assert r["message"] == r["raw"]
        assert r["procid"] is None  # no parser, no use_pid_from_credentials


def test_logger_stream_newline_and_octet_counted(daemon):
    d = daemon()
    sock = _sockdir(d) / "stream.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "mode": "stream"}], out))
    _logger("-T", "-u", str(sock), "-t", "nl", "newline framed")
    _logger("-T", "--octet-count", "-u", str(sock), "-t", "oc", "octet\ncounted")
    recs = _records(out, 2)
    assert d.metric("logstream_unix_connections_accepted_total", instance="p.unix.0") == 2
    assert d.metric("logstream_unix_framing_errors_total", instance="p.unix.0") == 0
    d.stop()
    raws = sorted(r["raw"] for r in recs)
    assert len(raws) == 2
    assert re.fullmatch(rf"<13>{MONTH_TS} nl: newline framed", raws[0]), raws
    # octet counting keeps the newline inside the one message
    assert re.fullmatch(rf"<13>{MONTH_TS} oc: octet\ncounted", raws[1]), raws


def test_stream_bad_octet_frame_closes_connection_and_counts(daemon):
    d = daemon()
    sock = _sockdir(d) / "stream.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "mode": "stream",
                      "framing": "octet_counted", "max_message": "1KiB"}], out))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(str(sock))
    c.sendall(b"5 hello9999999 <13>too long")
    c.settimeout(5)
    assert c.recv(1) == b""  # closed by the daemon
    c.close()
    recs = _records(out, 1)
    wait_for(lambda: d.metric("logstream_unix_framing_errors_total", instance="p.unix.0") == 1, 5)
    d.stop()
    assert [r["raw"] for r in recs] == ["hello"]
    assert "frame length 9999999 exceeds max_line (1024)" in d.stderr()


# ---- Python's SysLogHandler ----------------------------------------------------------------


def _python_log(address, socktype, messages):
    h = logging.handlers.SysLogHandler(address=address, socktype=socktype)
    lg = logging.Logger("lstest-python")
    lg.addHandler(h)
    for m in messages:
        lg.warning(m)
    h.close()


def test_python_sysloghandler_dgram_and_stream(daemon):
    d = daemon()
    dsock, ssock = _sockdir(d) / "d.sock", _sockdir(d) / "s.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": dsock, "name": "dg"},
                     {"type": "unix", "path": ssock, "mode": "stream", "name": "st"}], out))
    # SysLogHandler ends every message with a NUL: stripped; over a stream it is the delimiter.
    _python_log(str(dsock), socket.SOCK_DGRAM, [f"python dgram {i}" for i in range(3)])
    _python_log(str(ssock), socket.SOCK_STREAM, [f"python stream {i}" for i in range(3)])
    recs = _records(out, 6)
    d.stop()
    by_input = {}
    for r in recs:
        by_input.setdefault(r["input"], []).append(r["raw"])
    # user.warning = 8 + 4
    assert by_input["dg"] == [f"<12>python dgram {i}" for i in range(3)]
    assert by_input["st"] == [f"<12>python stream {i}" for i in range(3)]


# ---- trusted credentials -------------------------------------------------------------------


def _send_raw(sock, payloads):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for p in payloads:
        c.sendto(p, str(sock))
    c.close()


def test_use_pid_from_credentials_replaces_claimed_pid(daemon):
    d = daemon()
    sock, plain = _sockdir(d) / "trusted.sock", _sockdir(d) / "plain.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "use_pid_from_credentials": "true",
                      "name": "trusted"},
                     {"type": "unix", "path": plain, "name": "plain"}], out))
    me = os.getpid()
    # Claims written in the text by this process (pid `me`). (logger --id=N would not do: as
    # root it also forges the SCM_CREDENTIALS pid, which the kernel allows root to do.)
    _send_raw(sock, [b"<13>Nov 23 10:00:00 spoof[1]: claims pid 1",
                     b"<13>1 2026-11-23T10:00:00Z host spoof5424 1 - - 5424 claim",
                     b"<13>no syslog header here"])
    p2 = _logger("-d", "-u", str(sock), "-t", "nopid", "claims no pid")
    _send_raw(plain, [b"<13>Nov 23 10:00:00 spoof[1]: kept as claimed"])
    recs = _records(out, 5)
    assert d.metric("logstream_unix_pid_rewrite_skipped_total", instance="trusted") == 1
    d.stop()
    assert len(recs) == 5
    by_end = {r["raw"].rsplit(" ", 1)[-1]: r for r in recs}
    r1, r3, r5 = by_end["1"], by_end["claim"], by_end["here"]
    r2, r4 = by_end["pid"], by_end["claimed"]
    assert r1["raw"] == f"<13>Nov 23 10:00:00 spoof[{me}]: claims pid 1"
    assert r1["procid"] == str(me)
    assert re.fullmatch(rf"<13>{MONTH_TS} nopid\[{p2}\]: claims no pid", r2["raw"]), r2
    assert r2["procid"] == str(p2)
    assert r3["raw"] == f"<13>1 2026-11-23T10:00:00Z host spoof5424 {me} - - 5424 claim"
    assert r3["procid"] == str(me)
    assert r4["raw"] == "<13>Nov 23 10:00:00 spoof[1]: kept as claimed"
    assert r4["procid"] is None
    assert r5["raw"] == "<13>no syslog header here"  # nowhere to put a pid: unchanged
    assert r5["procid"] is None


@pytest.mark.skipif(not HAVE_SYSLOG_PARSER, reason="the syslog parser (build/plugins/syslog.so) "
                    "is not built")
def test_trusted_pid_survives_the_syslog_parser(daemon):
    d = daemon()
    sock = _sockdir(d) / "trusted.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "use_pid_from_credentials": "true"}], out,
                    parsers="[{type: syslog}]"))
    pid = _logger("-d", "-u", str(sock), "-t", "spoof[1]", "-p", "auth.notice", "hi")
    (r,) = _records(out, 1)
    d.stop()
    assert r["procid"] == str(pid)
    assert r["app"] == "spoof"
    assert r["message"] == "hi"
    assert r["facility"] == "auth" and r["severity"] == "notice"
    assert r["host"] == socket.gethostname()  # syslog(3)-style lines name no host


def test_trusted_uid_gid_pid_in_json_output(daemon):
    d = daemon()
    sock = _sockdir(d) / "d.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock}], out))
    _python_log(str(sock), socket.SOCK_DGRAM, ["whoami"])
    (r,) = _records(out, 1)
    d.stop()
    assert (r["pid"], r["uid"], r["gid"]) == (os.getpid(), os.getuid(), os.getgid())


# ---- glibc syslog(3) through /dev/log --------------------------------------------------------

GLIBC_PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* argv[1]: how many messages; then one raw message claiming pid 1, written to /dev/log the way
 * syslog(3) does (datagram, or NUL-terminated on a stream socket). Prints our pid first. */
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    const char spoof[] = "<13>Jan  2 03:04:05 spoof[1]: not really pid 1";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd, stream = 0;

    printf("%d\n", (int)getpid());
    fflush(stdout);
    openlog("glibctest", LOG_PID | LOG_NDELAY, LOG_LOCAL3);
    for (int i = 0; i < n; i++) {
        syslog(LOG_WARNING, "glibc message %d", i);
    }
    closelog();
    strcpy(sa.sun_path, "/dev/log");
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        stream = 1;
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            perror("connect /dev/log");
            return 1;
        }
    }
    if (send(fd, spoof, sizeof spoof - (stream ? 0 : 1), 0) < 0) {
        perror("send");
        return 1;
    }
    close(fd);
    return 0;
}
"""


def _build_glibc_prog(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler (cc) to build the syslog(3) client")
    src = tmp_path / "glibc_syslog.c"
    src.write_text(GLIBC_PROG)
    exe = tmp_path / "glibc_syslog"
    subprocess.run([cc, "-std=c11", "-D_DEFAULT_SOURCE", "-o", str(exe), str(src)], check=True,
                   timeout=60)
    return exe


def _run_with_dev_log(sock, exe, n):
    """Run exe in a private mount namespace where /dev/log is `sock`; return its pid. Skips
    (never passes) when this machine does not allow the namespace or the mount."""
    if not shutil.which("unshare"):
        pytest.skip("unshare(1) is not installed: cannot give syslog(3) a private /dev/log")
    if os.path.lexists("/dev/log"):
        setup = 'mount --bind "$1" /dev/log'
    else:  # no /dev/log to bind over: a private /dev holding just a link to the socket
        setup = 'mount -t tmpfs -o mode=0755 logstream-test /dev && ln -s "$1" /dev/log'
    script = setup + ' || exit 97; exec "$2" "$3"'
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                        "sh", str(sock), str(exe), str(n)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, text=True)
    if p.returncode == 97 or (p.returncode != 0 and ("Operation not permitted" in p.stderr or
                                                     "unshare failed" in p.stderr)):
        pytest.skip("this machine does not allow a private mount namespace with a bind mount "
                    f"(unshare -m / mount): {p.stderr.strip()}")
    assert p.returncode == 0, f"syslog(3) client failed ({p.returncode}): {p.stderr}"
    return int(p.stdout.split()[0])


@pytest.mark.parametrize("mode", ["dgram", "stream"])
def test_glibc_syslog_through_dev_log(daemon, tmp_path, mode):
    exe = _build_glibc_prog(tmp_path)
    d = daemon()
    sock = d.dir / "dev-log.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "mode": mode,
                      "use_pid_from_credentials": "true"}], out))
    pid = _run_with_dev_log(sock, exe, 3)
    recs = _records(out, 4)
    d.stop()
    raws = [r["raw"] for r in recs]
    assert len(raws) == 4, raws
    for i in range(3):  # local3.warning = 19 * 8 + 4
        assert re.fullmatch(rf"<156>{MONTH_TS} glibctest\[{pid}\]: glibc message {i}",
                            raws[i]), raws
        assert recs[i]["procid"] == str(pid)
    # the claimed pid 1 is replaced by the sender's, as the kernel reported it
    assert raws[3] == f"<13>Jan  2 03:04:05 spoof[{pid}]: not really pid 1"
    assert recs[3]["procid"] == str(pid)


@pytest.mark.skipif(not HAVE_SYSLOG_PARSER, reason="the syslog parser (build/plugins/syslog.so) "
                    "is not built")
def test_glibc_syslog_parsed_host_is_local_hostname(daemon, tmp_path):
    exe = _build_glibc_prog(tmp_path)
    d = daemon()
    sock = d.dir / "dev-log.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock}], out, parsers="[{type: syslog}]"))
    pid = _run_with_dev_log(sock, exe, 1)
    recs = _records(out, 2)
    d.stop()
    r = recs[0]
    assert (r["host"], r["app"], r["procid"], r["message"]) == \
        (socket.gethostname(), "glibctest", str(pid), "glibc message 0")
    assert (r["facility"], r["severity"]) == ("local3", "warning")
    assert recs[1]["procid"] == "1"  # without use_pid_from_credentials the claim stands


# ---- the socket file -----------------------------------------------------------------------


def test_socket_file_mode_group_and_removal(daemon):
    d = daemon()
    sock = _sockdir(d) / "perm.sock"
    out = d.dir / "out.log"
    old = os.umask(0o077)  # the daemon inherits it; the configured mode must still win
    try:
        d.start(_config([{"type": "unix", "path": sock, "socket_mode": '"0620"',
                          "group": "nogroup"}], out))
    finally:
        os.umask(old)
    st = os.lstat(sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o620
    assert st.st_gid == int(subprocess.check_output(["getent", "group", "nogroup"],
                                                    text=True).split(":")[2])
    d.stop()
    assert not os.path.lexists(sock), "socket file left behind after stop"


def test_default_mode_is_world_writable_like_dev_log(daemon):
    d = daemon()
    sock = _sockdir(d) / "d.sock"
    old = os.umask(0o022)
    try:
        d.start(_config([{"type": "unix", "path": sock}], d.dir / "out.log"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.lstat(sock).st_mode) == 0o666
    d.stop()


def test_stale_socket_is_replaced(daemon):
    d = daemon()
    sock = _sockdir(d) / "stale.sock"
    out = d.dir / "out.log"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(sock))
    s.close()  # the file stays; nobody listens: stale
    d.start(_config([{"type": "unix", "path": sock}], out))
    assert f"[input:unix:p.unix.0] replaced stale socket {sock}" in d.stderr()
    _python_log(str(sock), socket.SOCK_DGRAM, ["after replace"])
    (r,) = _records(out, 1)
    assert r["raw"] == "<12>after replace"
    d.stop()


@pytest.mark.parametrize("mode", ["dgram", "stream"])
def test_live_listener_is_an_error(daemon, mode):
    d = daemon()
    sock = _sockdir(d) / "live.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(sock))
    try:
        d.start(_config([{"type": "unix", "path": sock, "mode": mode}], d.dir / "out.log"),
                wait=False)
        rc = d.wait_exit(30)
    finally:
        s.close()
    assert rc != 0
    assert (f"error [input:unix:p.unix.0] socket {sock}: path held by a running listener"
            in d.stderr()), d.stderr()
    assert os.path.lexists(sock) and stat.S_ISSOCK(os.lstat(sock).st_mode)  # left alone


def test_path_that_is_not_a_socket_is_left_alone(daemon):
    d = daemon()
    path = d.dir / "notasocket"
    path.write_text("precious\n")
    d.start(_config([{"type": "unix", "path": path}], d.dir / "out.log"), wait=False)
    rc = d.wait_exit(30)
    assert rc != 0
    assert (f"error [input:unix:p.unix.0] socket {path}: the path exists and is not a socket; "
            "not replacing it") in d.stderr()
    assert path.read_text() == "precious\n"


@pytest.mark.parametrize("option,value,message", [
    ("socket_mode", "rw-rw-rw-",
     "option 'socket_mode': expected octal permissions like \"0660\", got \"rw-rw-rw-\""),
    ("socket_mode", '"01777"',
     "option 'socket_mode': expected octal permissions like \"0660\", got \"01777\""),
    ("owner", "no-such-user-xyz", "option 'owner': no such user \"no-such-user-xyz\""),
    ("group", "no-such-group-xyz", "option 'group': no such group \"no-such-group-xyz\""),
])
def test_bad_socket_file_options_are_reported(daemon, option, value, message):
    d = daemon()
    sock = _sockdir(d) / "a.sock"
    d.start(_config([{"type": "unix", "path": sock, option: value}], d.dir / "out.log"),
            wait=False)
    rc = d.wait_exit(30)
    assert rc != 0
    assert f"error [input:unix:p.unix.0] {message}" in d.stderr(), d.stderr()
    assert not os.path.lexists(sock)


def test_truncated_datagram_is_cut_and_counted(daemon):
    d = daemon()
    sock = _sockdir(d) / "d.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "max_message": 100}], out, fmt="raw"))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.sendto(b"A" * 60 + b"B" * 240, str(sock))
    c.sendto(b"short\n", str(sock))
    c.close()
    wait_for(lambda: count_lines(out) >= 2, 10)
    wait_for(lambda: d.metric("logstream_unix_truncated_messages_total",
                              instance="p.unix.0") == 1, 5)
    d.stop()
    assert read_lines(out) == [b"A" * 60 + b"B" * 40, b"short"]


# ---- volume: nothing lost silently ---------------------------------------------------------

N_FLOOD = 200_000


def _flood(sock, n):
    """Send n datagrams as fast as one blocking sender can (blocking: the kernel never drops
    unix datagrams, it makes the sender wait)."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.connect(str(sock))
    send = c.send
    for i in range(n):
        send(b"<14>flood %06d" % i)
    c.close()


def _dropped_total(d):
    return sum(v for (name, _), v in d.metrics().items()
               if name == "logstream_dropped_records_total")


@pytest.mark.parametrize("policy", ["drop", "block"])
def test_200k_datagrams_received_or_counted(daemon, policy):
    d = daemon()
    sock = _sockdir(d) / "flood.sock"
    out = d.dir / "out.log"
    # A small output queue, so the datagram policy is exercised, not just the happy path.
    d.start(_config([{"type": "unix", "path": sock, "on_queue_full": policy}], out, fmt="raw",
                    output_extra="queue_size: 256KiB"))
    t0 = time.monotonic()
    _flood(sock, N_FLOOD)
    elapsed = time.monotonic() - t0

    def settled():
        got = count_lines(out)
        return got + _dropped_total(d) >= N_FLOOD and got
    wait_for(settled, 120, interval=0.2,
             msg=lambda: f"{N_FLOOD} received + dropped (have {count_lines(out)} + "
                         f"{_dropped_total(d)})")
    dropped = _dropped_total(d)
    d.stop()
    lines = read_lines(out)
    print(f"\n{policy}: sent {N_FLOOD} in {elapsed:.2f}s; received {len(lines)}, "
          f"dropped {dropped:.0f}")
    assert len(lines) + dropped == N_FLOOD
    assert len(set(lines)) == len(lines), "a datagram was recorded twice"
    assert all(re.fullmatch(rb"<14>flood \d{6}", l) for l in lines)
    if policy == "block":
        assert dropped == 0 and len(lines) == N_FLOOD
    else:
        # drop: the socket is never left to fill: 200k datagrams into a 256 KiB queue overflow it
        assert dropped > 0


# ---- systemd socket activation and reload --------------------------------------------------


def start_socket_activated(d, body, listen, trigger):
    """Start the daemon under systemd-socket-activate listening (datagram) on `listen`; it
    execs the daemon once `trigger()` sends the first datagram. Skips if the tool is absent."""
    tool = shutil.which("systemd-socket-activate")
    if not tool:
        pytest.skip("systemd-socket-activate is not installed")
    d.write_config(body)
    d._err = open(d.stderr_path, "wb")
    d._out = open(d.stdout_path, "wb")
    args = [tool, "--datagram"]
    for l in listen:
        args += ["--listen", str(l)]
    d.proc = subprocess.Popen(args + [logstream_bin(), "-c", str(d.confdir)], cwd=d.dir,
                              stdin=subprocess.DEVNULL, stdout=d._out, stderr=d._err,
                              env=daemon_env())
    d.pid = d.proc.pid
    wait_for(lambda: "Listening on" in d.stderr(), 10, msg="systemd-socket-activate listening")
    trigger()
    d.wait_healthy()


def test_socket_activation_adopts_the_passed_socket(daemon):
    d = daemon()
    sock = _sockdir(d) / "activated.sock"
    out = d.dir / "out.log"
    body = _config([{"type": "unix", "path": sock}], out, fmt="raw")
    start_socket_activated(d, body, [sock],
                           lambda: _send_raw(sock, [b"<13>sent before the daemon ran"]))
    assert f"[input:unix:p.unix.0] adopted socket from systemd for {sock}" in d.stderr()
    _send_raw(sock, [b"<13>sent after"])
    wait_for(lambda: count_lines(out) >= 2, 10)
    # A reload that recreates the input adopts the same socket again: nothing is refused.
    d.write_config(_config([{"type": "unix", "path": sock, "max_message": "32KiB"}], out,
                           fmt="raw"))
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.health()[1].get("generation") == 2, 10, msg="reload to generation 2")
    _send_raw(sock, [b"<13>sent after reload"])
    wait_for(lambda: count_lines(out) >= 3, 10)
    d.stop()
    assert read_lines(out) == [b"<13>sent before the daemon ran", b"<13>sent after",
                               b"<13>sent after reload"]
    assert d.stderr().count("adopted socket from systemd for") == 2
    # systemd's socket file is systemd's: left in place
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)


@pytest.mark.parametrize("mode", ["dgram", "stream"])
def test_reload_recreating_the_input_rebinds_the_path(daemon, mode):
    d = daemon()
    sock = _sockdir(d) / "r.sock"
    out = d.dir / "out.log"
    d.start(_config([{"type": "unix", "path": sock, "mode": mode}], out, fmt="raw"))
    typ = socket.SOCK_DGRAM if mode == "dgram" else socket.SOCK_STREAM

    def send(payload):
        c = socket.socket(socket.AF_UNIX, typ)
        c.connect(str(sock))
        c.sendall(payload + (b"\n" if mode == "stream" else b""))
        c.close()
    send(b"before reload")
    wait_for(lambda: count_lines(out) >= 1, 10)
    d.write_config(_config([{"type": "unix", "path": sock, "mode": mode, "max_message": "8KiB"}],
                           out, fmt="raw"))
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: d.health()[1].get("generation") == 2, 10, msg="reload to generation 2")
    # The old instance unlinked its file and the new one bound the path again (the inode
    # number itself may be reused by the filesystem, so count the binds in the log).
    listening = f"listening on {sock} ({mode})"
    assert d.stderr().count(listening) == 2, d.stderr()
    assert stat.S_ISSOCK(os.lstat(sock).st_mode)
    send(b"after reload")
    wait_for(lambda: count_lines(out) >= 2, 10)
    d.stop()
    assert read_lines(out) == [b"before reload", b"after reload"]
    assert "stale" not in d.stderr()  # the old instance removed its file at stop
    assert not os.path.lexists(sock)


# ---- the shipped syslog-replacement example ------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/syslog-replacement/conf.d/10-syslog.yaml"


@pytest.mark.skipif(not HAVE_SYSLOG_PARSER, reason="the syslog parser (build/plugins/syslog.so) "
                    "is not built")
def test_syslog_replacement_example_routes_like_debian(daemon):
    """examples/syslog-replacement runs as shipped, with /var/log and the socket moved into the
    test's directory: every message lands in the files Debian's rsyslog rules name, as
    traditional lines."""
    d = daemon()
    sock = d.dir / "journal-syslog.sock"
    logdir = d.dir / "log"
    text = EXAMPLE.read_text()
    text = text[text.index("\noutputs:") + 1:]  # the test's own service section instead
    text = text.replace("/var/log/", f"{logdir}/").replace("/run/systemd/journal/syslog",
                                                           str(sock))
    try:
        adm_gid = grp.getgrnam("adm").gr_gid
        have_adm = os.getuid() == 0
    except KeyError:
        have_adm = False
    if not have_adm:  # chown to root:adm needs root and the group
        text = re.sub(r"\n\s+(owner: root|group: adm)", "", text)
    d.write_config(d.service_yaml() + text, raw=True)
    d.start()
    host = re.escape(socket.gethostname())
    line = {}
    for prio in ("auth.info", "authpriv.notice", "cron.info", "mail.err", "user.notice",
                 "daemon.info", "local0.debug"):
        tag = prio.replace(".", "_")
        pid = _logger("-d", "-u", str(sock), "-i", "-t", tag, "-p", prio, f"via {prio}")
        line[prio] = rf"{MONTH_TS} {host} {tag}\[{pid}\]: via {prio}"
    # what journald forwards from the kernel, and a line that is not syslog at all
    _send_raw(sock, [b"<4>Nov 23 10:00:00 kernel: via kern.warning", b"no pri at all"])
    line["kern.warning"] = rf"Nov 23 10:00:00 {host} kernel: via kern.warning"
    line["none"] = rf"{MONTH_TS} {host} .*no pri at all"
    want = {
        "syslog": ["cron.info", "mail.err", "user.notice", "daemon.info", "local0.debug",
                   "kern.warning", "none"],
        "auth.log": ["auth.info", "authpriv.notice"],
        "cron.log": ["cron.info"], "kern.log": ["kern.warning"], "mail.log": ["mail.err"],
        "user.log": ["user.notice"],
    }
    for name, prios in want.items():
        wait_for(lambda: count_lines(logdir / name) >= len(prios), 10,
                 msg=f"{len(prios)} lines in {name}")
    d.stop()
    for name, prios in want.items():
        lines = [l.decode() for l in read_lines(logdir / name)]
        assert len(lines) == len(prios), (name, lines)
        for got, prio in zip(lines, prios):
            assert re.fullmatch(line[prio], got), (name, got, line[prio])
        if have_adm:
            st = os.stat(logdir / name)
            assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_gid == adm_gid


def test_abstract_namespace_socket(daemon):
    d = daemon()
    out = d.dir / "out.log"
    name = f"logstream-test-{os.getpid()}-{time.monotonic_ns()}"
    d.start(_config([{"type": "unix", "path": f"'@{name}'"}], out, fmt="raw"))
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.sendto(b"<13>abstract", "\0" + name)
    c.close()
    wait_for(lambda: count_lines(out) >= 1, 10)
    assert not os.path.lexists(d.dir / f"@{name}")  # no file anywhere
    d.stop()
    assert read_lines(out) == [b"<13>abstract"]


def test_check_reports_bad_socket_mode_without_creating_anything(daemon):
    d = daemon()
    sock = _sockdir(d) / "c.sock"
    d.write_config(_config([{"type": "unix", "path": sock, "socket_mode": '"0866"'}],
                           d.dir / "out.log"))
    p = run_cli(["--check", "-c", str(d.confdir)], cwd=d.dir)
    assert p.returncode == 1, p.stderr
    assert ("error [input:unix:p.unix.0] option 'socket_mode': expected octal permissions like "
            "\"0660\", got \"0866\"") in p.stderr, p.stderr
    assert not os.path.lexists(sock)
