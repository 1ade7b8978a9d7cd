"""The syslog parser in the real daemon: tcp input -> syslog parser -> file output (json).
Every extracted member and field is asserted, for hand-written lines and for lines sent by
util-linux logger (--rfc5424 and --rfc3164, newline framed over TCP). Malformed syslog passes
unchanged, flagged and counted; plain lines pass untouched and unflagged."""

import datetime
import json
import shutil
import socket
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest

from conftest import count_lines, free_port, read_lines, send_lines, wait_for

BERLIN = ZoneInfo("Europe/Berlin")
BASE_KEYS = ["time", "received", "severity", "facility", "host", "app", "procid", "msgid",
             "message", "raw", "peer", "input", "pipeline"]


def _config(port, out, parser_opts):
    return ("outputs:\n"
            "  archive:\n"
            "    type: file\n"
            f"    path: {out}\n"
            "    format: json\n"
            "pipelines:\n"
            "  apps:\n"
            "    inputs:\n"
            "      - type: tcp\n"
            f"        listen: 127.0.0.1:{port}\n"
            "    parsers:\n"
            "      - type: syslog\n"
            + "".join(f"        {o}\n" for o in parser_opts)
            + "    outputs:\n"
            "      - archive\n")


def _fields(obj):
    keys = list(obj)
    assert keys[:len(BASE_KEYS)] == BASE_KEYS, keys
    return [(k, obj[k]) for k in keys[len(BASE_KEYS):]]


def _metric(metrics, name, **labels):
    want = set(labels.items())
    found = [v for k, v in metrics.items() if k[0] == name and want <= set(k[1])]
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]


def _rfc3339(dt):
    """An aware datetime as the file output writes times: UTC with 9 fraction digits."""
    u = dt.astimezone(datetime.timezone.utc)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond * 1000:09d}Z"


def _bsd(dt):
    """'Mmm dd hh:mm:ss' with the day space-padded, as syslog(3) writes it."""
    return dt.strftime("%b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S")


def _start(daemon, parser_opts):
    d = daemon()
    port = free_port()
    out = d.dir / "out" / "all.log"
    d.start(_config(port, out, parser_opts))
    return d, port, out


def _collect(d, out, n):
    wait_for(lambda: count_lines(out) >= n, 10, msg=lambda: f"{n} lines in {out}")
    metrics = d.metrics()
    d.stop()
    objs = [json.loads(l) for l in read_lines(out)]
    assert len(objs) == n
    return objs, metrics


def test_syslog_lines(daemon):
    d, port, out = _start(daemon, ["timezone: Europe/Berlin", "hostname: testhost",
                                   "keep_time_text: true", "default_facility: daemon",
                                   "default_severity: info"])
    # Local Berlin time an hour ago, whole seconds: BSD timestamps carry no year or zone.
    local = datetime.datetime.now(BERLIN).replace(microsecond=0) - datetime.timedelta(hours=1)
    local = datetime.datetime.fromtimestamp(int(local.timestamp()), BERLIN)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        local -= datetime.timedelta(hours=3)  # the repeated hour when DST ends: avoid it
    bsd = _bsd(local)
    lines = [
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
        b'[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
        b'[examplePriority@32473 class="high" note="say \\"hi\\" \\] ok"] '
        b'\xef\xbb\xbfAn application event log entry...',
        f"<13>{bsd} myapp[123]: hello".encode(),
        f"<38>{bsd} web01 sshd[4242]: Accepted publickey for deploy from 10.0.0.1".encode(),
        f"<189>77: {bsd}.123: %SYS-5-CONFIG_I: Configured from console".encode(),
        f"{bsd} web02 cron[99]: no PRI, the defaults apply".encode(),
        b"<192>Nov 23 10:00:00 h a: PRI too large",
        b"<13>1 2026-11-23T10:00:00 h a - - - no offset in an RFC 5424 timestamp",
        b"just a plain line",
    ]
    send_lines(port, lines)
    objs, metrics = _collect(d, out, len(lines))
    sd, nohost, sshd, cisco, nopri, badpri, bad5424, plain = objs

    assert sd["time"] == "2003-10-11T22:14:15.003000000Z"
    assert (sd["facility"], sd["severity"]) == ("local4", "notice")
    assert (sd["host"], sd["app"], sd["procid"], sd["msgid"]) == \
        ("mymachine.example.com", "evntslog", None, "ID47")
    assert sd["message"] == "An application event log entry..."
    assert sd["raw"] == lines[0].decode()
    assert _fields(sd) == [
        ("time_text", "2003-10-11T22:14:15.003Z"),
        ("sd.exampleSDID@32473.iut", "3"),
        ("sd.exampleSDID@32473.eventSource", "Application"),
        ("sd.exampleSDID@32473.eventID", "1011"),
        ("sd.examplePriority@32473.class", "high"),
        ("sd.examplePriority@32473.note", 'say "hi" ] ok'),
    ]

    # syslog(3) / logger via /dev/log: no hostname in the line -> the configured one.
    assert nohost["time"] == _rfc3339(local)
    assert (nohost["facility"], nohost["severity"]) == ("user", "notice")
    assert (nohost["host"], nohost["app"], nohost["procid"], nohost["msgid"]) == \
        ("testhost", "myapp", "123", None)
    assert nohost["message"] == "hello"
    assert _fields(nohost) == [("time_text", bsd)]

    assert sshd["time"] == _rfc3339(local)
    assert (sshd["facility"], sshd["severity"]) == ("auth", "info")
    assert (sshd["host"], sshd["app"], sshd["procid"]) == ("web01", "sshd", "4242")
    assert sshd["message"] == "Accepted publickey for deploy from 10.0.0.1"

    assert cisco["time"] == _rfc3339(local + datetime.timedelta(milliseconds=123))
    assert (cisco["facility"], cisco["severity"]) == ("local7", "notice")
    assert (cisco["host"], cisco["app"], cisco["procid"]) == ("testhost", "%SYS-5-CONFIG_I", None)
    assert cisco["message"] == "Configured from console"
    assert _fields(cisco) == [("seq", 77), ("time_text", bsd + ".123")]

    assert (nopri["facility"], nopri["severity"]) == ("daemon", "info")
    assert (nopri["host"], nopri["app"], nopri["procid"]) == ("web02", "cron", "99")
    assert nopri["message"] == "no PRI, the defaults apply"
    assert nopri["time"] == _rfc3339(local)

    # Malformed syslog: unchanged, flagged with the parser's name, counted.
    for obj, line in ((badpri, lines[5]), (bad5424, lines[6])):
        assert obj["message"] == line.decode()
        assert obj["raw"] == line.decode()
        assert (obj["severity"], obj["facility"], obj["host"], obj["app"]) == \
            (None, None, None, None)
        assert obj["time"] == obj["received"]
        assert _fields(obj) == [("parse_error", "syslog")]

    # Not syslog at all: untouched and not flagged.
    assert plain["message"] == "just a plain line"
    assert (plain["severity"], plain["facility"], plain["host"], plain["app"]) == \
        (None, None, None, None)
    assert plain["time"] == plain["received"]
    assert _fields(plain) == []

    inst = "apps.syslog.0"
    assert _metric(metrics, "logstream_parse_errors_total", instance=inst) == 2
    assert _metric(metrics, "logstream_syslog_rfc5424_records_total", instance=inst) == 1
    assert _metric(metrics, "logstream_syslog_rfc3164_records_total", instance=inst) == 4


def _logger(port, args, message):
    exe = shutil.which("logger")
    if not exe:
        pytest.skip("util-linux logger not installed (apt-get install bsdutils)")
    env = {"TZ": "Europe/Berlin", "PATH": "/usr/bin:/bin"}
    # No --octet-count: logger then frames TCP messages with "\n", which the tcp input reads.
    subprocess.run([exe, "-n", "127.0.0.1", "-P", str(port), "--tcp"] + args + [message],
                   check=True, env=env, timeout=30)


def _near_now(rfc3339, slack=120):
    t = datetime.datetime.strptime(rfc3339[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return abs(t.timestamp() - time.time()) < slack


def test_util_linux_logger(daemon):
    d, port, out = _start(daemon, ["timezone: Europe/Berlin"])
    _logger(port, ["--rfc5424=notq", "-t", "myapp", "-p", "local3.warning", "--id=4242",
                   "--msgid", "ID7", "--sd-id", "zoo@32473", "--sd-param",
                   'tiger="hungry \\"cat\\""'], "hello 5424")
    wait_for(lambda: count_lines(out) >= 1, 10)
    _logger(port, ["--rfc3164", "-t", "myapp", "-p", "local3.warning", "--id=4242"],
            "hello 3164")
    objs, metrics = _collect(d, out, 2)
    r5424, r3164 = objs
    host = socket.gethostname()

    assert r5424["raw"].startswith("<156>1 ")
    assert (r5424["facility"], r5424["severity"]) == ("local3", "warning")
    assert (r5424["host"], r5424["app"], r5424["procid"], r5424["msgid"]) == \
        (host, "myapp", "4242", "ID7")
    assert r5424["message"] == "hello 5424"
    assert _fields(r5424) == [("sd.zoo@32473.tiger", 'hungry "cat"')]
    assert _near_now(r5424["time"]), r5424

    # logger wrote its local (Berlin) time without a zone; the parser reads it in the
    # configured zone, so it lands near now (an hour off if the zone were ignored).
    assert r3164["raw"].startswith("<156>")
    assert (r3164["facility"], r3164["severity"]) == ("local3", "warning")
    assert (r3164["host"], r3164["app"], r3164["procid"], r3164["msgid"]) == \
        (host.split(".")[0], "myapp", "4242", None)
    assert r3164["message"] == "hello 3164"
    assert _fields(r3164) == []
    assert _near_now(r3164["time"], slack=60), r3164

    assert _metric(metrics, "logstream_parse_errors_total", instance="apps.syslog.0") == 0


def test_bad_timezone_is_a_config_error(daemon, tmp_path):
    from conftest import run_cli

    d = daemon()
    d.write_config(_config(free_port(), d.dir / "out.log", ["timezone: Mars/Olympus"]))
    res = run_cli(["--check", "-c", str(d.confdir)])
    assert res.returncode != 0
    assert ("option 'timezone': unknown time zone \"Mars/Olympus\": "
            "/usr/share/zoneinfo/Mars/Olympus: No such file or directory") in res.stderr, \
        res.stderr
