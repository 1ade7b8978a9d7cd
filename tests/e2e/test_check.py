"""--check: a valid configuration prints the one-line summary and exits 0; every kind of error
is printed in the one shape "file:line:col: path: message", all of them, then the count line,
and the exit code is 1. The configuration is run from its directory as `-c conf.d`, so the
file names in messages are "conf.d/10-a.yaml"."""

import re
import socket
import time

import pytest

from conftest import logstream_bin, plugin_dir, run_cli

VALID = """\
outputs:
  archive:
    type: file
    path: ./var/out.log
pipelines:
  apps:
    inputs:
      - type: tcp
        listen: 127.0.0.1:{port}
    parsers: []
    outputs:
      - archive
      - type: null
"""

# The same with the inline output's type quoted, so the error cases below depend on nothing else.
BASE = VALID.replace("type: null", 'type: "null"')


def check(tmp_path, files, env=None, extra_args=()):
    conf = tmp_path / "conf.d"
    conf.mkdir(exist_ok=True)
    for name, text in files.items():
        (conf / name).write_text(text)
    r = run_cli(["--check", "-c", "conf.d", "--plugin-dir", plugin_dir()] + list(extra_args),
                cwd=tmp_path, env=env)
    return r


def error_lines(r):
    """stderr lines that are not the daemon's own timestamped log lines."""
    return [l for l in r.stderr.rstrip("\n").split("\n")
            if l and not re.match(r"^\d{4}-\d\d-\d\dT\S+ (error|warn|info|debug) ", l)]


def test_valid_summary(tmp_path):
    r = check(tmp_path, {"10-a.yaml": BASE.format(port=9001)})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration ok: 1 pipeline, 1 input, 0 parsers, 2 outputs\n"
    assert error_lines(r) == []


def test_spec_example_inline_null_output_unquoted(tmp_path):
    # The spec's own example writes the inline output as `{ type: null }`: the plain word
    # `null` names the null plugin there, it does not mean "no type".
    r = check(tmp_path, {"10-a.yaml": VALID.format(port=9001)})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration ok: 1 pipeline, 1 input, 0 parsers, 2 outputs\n"
    flow = VALID.format(port=9001).replace("      - type: null\n", "      - { type: null }\n")
    r = check(tmp_path, {"10-a.yaml": flow})
    assert r.returncode == 0, r.stderr


def test_valid_summary_plurals_and_merge(tmp_path):
    files = {
        "10-outputs.yaml": "outputs:\n  archive:\n    type: file\n    path: ./var/a.log\n",
        "20-apps.yaml": ("pipelines:\n"
                         "  apps:\n"
                         "    inputs:\n"
                         "      - { type: tcp, listen: 127.0.0.1:9001 }\n"
                         "      - { type: tcp, listen: 127.0.0.1:9002, name: second }\n"
                         "    outputs: [ archive ]\n"),
        "30-sys.yaml": ("pipelines:\n"
                        "  sys:\n"
                        "    inputs: [ { type: tcp, listen: '127.0.0.1:9003' } ]\n"
                        "    parsers: []\n"
                        "    outputs: [ archive, { type: \"null\" }, { type: 'null', name: n2 } ]\n"),
        "ignored.txt": "this: is not yaml: at all: [",
    }
    r = check(tmp_path, files)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration ok: 2 pipelines, 3 inputs, 0 parsers, 3 outputs\n"


def test_check_does_not_bind(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        r = check(tmp_path, {"10-a.yaml": BASE.format(port=s.getsockname()[1])})
    finally:
        s.close()
    assert r.returncode == 0, r.stderr


def test_env_expansion(tmp_path):
    text = BASE.replace("127.0.0.1:{port}", "${LS_E2E_HOST:-127.0.0.1}:${LS_E2E_PORT}")
    r = check(tmp_path, {"10-a.yaml": text}, env={"LS_E2E_PORT": "9011"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("configuration ok: ")


# (name, yaml text of conf.d/10-a.yaml, exact error lines before the count line)
ERRORS = [
    ("yaml_syntax",
     "pipelines:\n"
     "  apps:\n"
     "    inputs:\n"
     "      - type: tcp\n"
     "       listen: 127.0.0.1:9001\n",
     ["conf.d/10-a.yaml:5:8: syntax error: did not find expected '-' indicator while parsing a "
      "block collection"]),
    ("unknown_option",
     BASE.format(port=9001).replace("        listen: 127.0.0.1:9001\n",
                                     "        listen: 127.0.0.1:9001\n        max_lin: 1KiB\n"),
     ["conf.d/10-a.yaml:10:9: pipelines.apps.inputs[0] (tcp): option 'max_lin': unknown option "
      "(did you mean 'max_line'?)"]),
    ("duplicate_key",
     BASE.format(port=9001).replace("        listen: 127.0.0.1:9001\n",
                                     "        listen: 127.0.0.1:9001\n        listen: 127.0.0.1:9002\n"),
     ["conf.d/10-a.yaml:10:9: pipelines.apps.inputs[0]: duplicate key 'listen' "
      "(first at conf.d/10-a.yaml:9:9)"]),
    ("wrong_type_size",
     BASE.format(port=9001).replace("        listen: 127.0.0.1:9001\n",
                                     "        listen: 127.0.0.1:9001\n        max_line: lots\n"),
     ["conf.d/10-a.yaml:10:19: pipelines.apps.inputs[0] (tcp): option 'max_line': expected a size "
      "like 64MiB, got \"lots\""]),
    ("int_out_of_range",
     BASE.format(port=9001).replace("        listen: 127.0.0.1:9001\n",
                                     "        listen: 127.0.0.1:9001\n        max_connections: -5\n"),
     ["conf.d/10-a.yaml:10:26: pipelines.apps.inputs[0] (tcp): option 'max_connections': must be "
      "between 1 and 1000000, got -5"]),
    ("missing_required",
     BASE.format(port=9001).replace("        listen: 127.0.0.1:9001\n", "        max_line: 1KiB\n"),
     ["conf.d/10-a.yaml:8:9: pipelines.apps.inputs[0] (tcp): missing required option 'listen'"]),
    ("unknown_plugin",
     BASE.format(port=9001).replace("      - type: tcp\n", "      - type: tcpp\n"),
     ["conf.d/10-a.yaml:8:15: pipelines.apps.inputs[0]: unknown input type 'tcpp' (did you mean "
      "'tcp'?)"]),
    ("dangling_output",
     BASE.format(port=9001).replace("      - archive\n", "      - archve\n"),
     ["conf.d/10-a.yaml:12:9: pipelines.apps.outputs[0]: unknown output 'archve' (did you mean "
      "'archive'?)"]),
    ("two_listeners",
     BASE.format(port=9001).replace("    parsers: []\n",
                                     "      - type: tcp\n        listen: 127.0.0.1:9001\n"
                                     "    parsers: []\n"),
     ["conf.d/10-a.yaml:11:17: pipelines.apps.inputs[1] (tcp): option 'listen': address "
      "127.0.0.1:9001 is already used by pipelines.apps.inputs[0]"]),
    ("env_unset",
     BASE.format(port=9001).replace("127.0.0.1:9001", "127.0.0.1:${LS_E2E_UNSET_VAR}"),
     ["conf.d/10-a.yaml:9:17: pipelines.apps.inputs[0].listen: environment variable "
      "'LS_E2E_UNSET_VAR' is not set"]),
]


@pytest.mark.parametrize("name,text,expected", ERRORS, ids=[e[0] for e in ERRORS])
def test_error(tmp_path, name, text, expected):
    r = check(tmp_path, {"10-a.yaml": text}, env={"LS_E2E_UNSET_VAR": None})
    assert r.returncode == 1, f"exit {r.returncode}; stdout {r.stdout!r}; stderr {r.stderr!r}"
    assert r.stdout == ""
    n = len(expected)
    count = f"logstream: {n} error{'s' if n != 1 else ''} in configuration"
    assert error_lines(r) == expected + [count]


def test_several_errors_all_listed(tmp_path):
    text = (BASE.format(port=9001)
            .replace("    path: ./var/out.log\n", "    path: ./var/out.log\n    formt: raw\n")
            .replace("        listen: 127.0.0.1:9001\n",
                     "        listen: 127.0.0.1:9001\n        max_line: lots\n")
            .replace("      - archive\n", "      - archve\n"))
    r = check(tmp_path, {"10-a.yaml": text})
    assert r.returncode == 1
    assert error_lines(r) == [
        "conf.d/10-a.yaml:5:5: outputs.archive (file): option 'formt': unknown option "
        "(did you mean 'format'?)",
        "conf.d/10-a.yaml:11:19: pipelines.apps.inputs[0] (tcp): option 'max_line': expected a "
        "size like 64MiB, got \"lots\"",
        "conf.d/10-a.yaml:14:9: pipelines.apps.outputs[0]: unknown output 'archve' "
        "(did you mean 'archive'?)",
        "logstream: 3 errors in configuration"]


OUTPUTS_FILE = "outputs:\n  archive:\n    type: file\n    path: ./var/a.log\n"


def test_error_names_the_right_file(tmp_path):
    files = {
        "10-outputs.yaml": OUTPUTS_FILE,
        "20-apps.yaml": ("pipelines:\n"
                         "  apps:\n"
                         "    inputs: [ { type: tcp, listen: 127.0.0.1:9001 } ]\n"
                         "    outputs: [ archive, archve ]\n"),
    }
    r = check(tmp_path, files)
    assert r.returncode == 1
    assert error_lines(r) == [
        "conf.d/20-apps.yaml:4:25: pipelines.apps.outputs[1]: unknown output 'archve' "
        "(did you mean 'archive'?)",
        "logstream: 1 error in configuration"]


def test_duplicate_across_files_names_both(tmp_path):
    files = {
        "10-outputs.yaml": OUTPUTS_FILE,
        "20-apps.yaml": ("pipelines:\n"
                         "  apps:\n"
                         "    inputs: [ { type: tcp, listen: 127.0.0.1:9001 } ]\n"
                         "    outputs: [ archive ]\n"),
        "30-dup.yaml": "outputs:\n  archive:\n    type: \"null\"\n",
    }
    r = check(tmp_path, files)
    assert r.returncode == 1
    assert error_lines(r) == [
        "conf.d/30-dup.yaml:2:3: outputs: duplicate key 'archive' "
        "(first at conf.d/10-outputs.yaml:2:3)",
        "logstream: 1 error in configuration"]


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
pipelines: *i
"""


def test_billion_laughs_rejected_fast(tmp_path):
    t0 = time.monotonic()
    r = check(tmp_path, {"10-a.yaml": BILLION_LAUGHS})
    elapsed = time.monotonic() - t0
    assert r.returncode == 1, r.stderr[-2000:]
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    assert error_lines(r) == [
        "conf.d/10-a.yaml:6:4: f: too many nodes after alias expansion (limit 100000)",
        "logstream: 1 error in configuration"]


def test_deep_nesting_rejected(tmp_path):
    text = "pipelines: " + "[" * 10000 + "]" * 10000 + "\n"
    t0 = time.monotonic()
    r = check(tmp_path, {"10-a.yaml": text})
    assert r.returncode == 1
    assert time.monotonic() - t0 < 2.0
    assert error_lines(r) == ["conf.d/10-a.yaml:1:75: nested deeper than 64 levels",
                              "logstream: 1 error in configuration"]


def _plugin_dir_with_broken(tmp_path):
    """A private plugin directory: the real plugins plus one that fails the ABI check."""
    from pathlib import Path
    import shutil
    broken = Path(logstream_bin()).parent / "tests" / "plugins" / "abi" / "abi_major.so"
    if not broken.exists():
        pytest.skip(f"{broken} not built (tests/plugins builds it)")
    d = tmp_path / "plugins"
    d.mkdir(mode=0o700)
    for name in ("tcp.so", "file.so", "null.so"):
        shutil.copy(Path(plugin_dir()) / name, d / name)
    shutil.copy(broken, d / "abi_major.so")
    return d


def test_broken_unused_plugin_is_a_warning(tmp_path):
    # One bad file in the plugin directory must not stop the daemon from logging.
    d = _plugin_dir_with_broken(tmp_path)
    r = check(tmp_path, {"10-a.yaml": BASE.format(port=9001)},
              extra_args=["--plugin-dir", str(d)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration ok: 1 pipeline, 1 input, 0 parsers, 2 outputs\n"
    assert error_lines(r) == [f"warning: plugin not loaded: {d}/abi_major.so: ABI major version "
                              "mismatch: expected 1, found 2"]


def test_type_of_a_broken_plugin_is_an_error(tmp_path):
    # The broken plugin declares the output type "abi_major": using it is a configuration error.
    d = _plugin_dir_with_broken(tmp_path)
    text = BASE.format(port=9001).replace('type: "null"', "type: abi_major")
    r = check(tmp_path, {"10-a.yaml": text}, extra_args=["--plugin-dir", str(d)])
    assert r.returncode == 1
    lines = error_lines(r)
    assert lines[0].startswith("warning: plugin not loaded: ")
    assert re.search(r"unknown output type 'abi_major'", r.stderr), r.stderr
    assert lines[-1] == "logstream: 1 error in configuration"
