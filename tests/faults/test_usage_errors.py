"""Configuration faults are usage errors (exit 4) naming file and field, option or variable.

Each case runs pytest in-process on a tiny rootdir with the suite's own plugins (options,
results, gate), collect-only where the fault is found before collection, and checks the
exit status, the message, and that no traceback or INTERNALERROR reached the user.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PLUGINS = 'pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate"]\n'
RECORD = {"guide": "dpn131", "stage": "accuracy", "check": "top1", "verdict": "pass"}
ENTRY = 'id="a"\nguide="g"\ncheck="c"\nreason="r"\nexpires=2099-01-01\n'


@pytest.fixture
def usage_error(pytester, monkeypatch):
    """Run pytest (collect-only unless told) and return its output, asserting a clean exit 4."""
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    for name in list(os.environ):
        if name.startswith("SUITE_"):
            monkeypatch.delenv(name)

    def run(*args, env=None, collect_only=True):
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            result = pytester.runpytest("-p", "no:cacheprovider", *(["--co"] if collect_only else []), *args)
        finally:  # each call sees only its own variables
            for name in env or {}:
                monkeypatch.delenv(name)
        out = "\n".join(result.outlines + result.errlines)
        assert result.ret == pytest.ExitCode.USAGE_ERROR, out
        assert "Traceback" not in out and "INTERNALERROR" not in out, out
        return out
    return run


@pytest.mark.parametrize("content, message", [
    ('{"records": 5}', r"b\.json: field 'records' is int 5, expected a list of verdict records"),
    ("[1, 2]", r"b\.json: not a recorded run \(the top level is list \[1, 2\]"),
    ('{"records": [1]}', r"b\.json: records\[0\]: is int 1, expected an object"),
    (json.dumps({"records": [RECORD, {**RECORD, "guide": 5}]}), r"records\[1\]: field 'guide' is int 5"),
    (json.dumps({"records": [{**RECORD, "details": []}]}), r"records\[0\]: field 'details' is list"),
    (json.dumps({"records": [{**RECORD, "batch_size": "8"}]}), r"field 'batch_size' is str \"8\""),
    (json.dumps({"schema": "1", "records": []}), r"b\.json: field 'schema' is str"),
    (json.dumps({"run": [], "records": []}), r"b\.json: field 'run' is list"),
    ("{not json", r"b\.json: not a recorded run \(JSON: "),
])
def test_baseline_of_the_wrong_shape(pytester, usage_error, content, message):
    (pytester.path / "b.json").write_text(content)
    out = usage_error("--baseline", "b.json")
    assert __import__("re").search(message, out), out


def test_baseline_files_that_cannot_be_read_as_text_or_lines(pytester, usage_error):
    (pytester.path / "latin1.json").write_bytes('{"records": [], "run": {"label": "d\u00e9j\u00e0"}}'
                                                .encode("latin-1"))
    assert "latin1.json: not a recorded run (not UTF-8 text" in usage_error("--baseline", "latin1.json")
    (pytester.path / "r.jsonl").write_text(json.dumps(RECORD) + "\n[1]\n")
    assert "r.jsonl:2: is list [1], expected an object" in usage_error("--baseline", "r.jsonl")
    (pytester.path / "folder.json").mkdir()
    assert "folder.json is a folder" in usage_error("--baseline", "folder.json")
    assert "--baseline gone.json: recorded run " in usage_error("--baseline", "gone.json")
    assert "SUITE_BASELINE=gone.json: recorded run " in usage_error(env={"SUITE_BASELINE": "gone.json"})


@pytest.mark.parametrize("text, message", [
    ("failure = 5\n", "'failure' is an integer (5); write each entry as a [[failure]] table"),
    ("[failure]\n" + ENTRY, "'failure' is a table; write each entry as a [[failure]] table"),
    ("[[failure]]\n" + ENTRY + "toolkit = 8.0\n", "failure #1 (a): field 'toolkit' is a float (8.0)"),
    ("[[failure]]\n" + ENTRY.replace('check="c"', "check=5"), "failure #1 (a): field 'check' is an integer"),
    ("failure = [[1]]\n", "failure #1: is an array, expected a [[failure]] table"),
])
def test_known_failures_of_the_wrong_types(pytester, usage_error, text, message):
    (pytester.path / "kf.toml").write_text(text)
    out = usage_error("--known-failures", "kf.toml")
    assert f"{pytester.path / 'kf.toml'}: " in out and message in out, out


def test_known_failures_file_missing_or_not_utf8(pytester, usage_error):
    assert f"registry {pytester.path / 'nope.toml'} not found" in usage_error("--known-failures", "nope.toml")
    (pytester.path / "kf.toml").write_bytes(("[[failure]]\n" + ENTRY.replace('"r"', '"d\u00e9faut"'))
                                            .encode("latin-1"))
    out = usage_error(env={"SUITE_KNOWN_FAILURES": "kf.toml"})
    assert f"SUITE_KNOWN_FAILURES=kf.toml: {pytester.path / 'kf.toml'}: not UTF-8 text" in out


@pytest.mark.parametrize("flag", ["--results", "--record", "--report-html", "--report-md", "--history"])
def test_output_path_that_is_a_folder_or_under_a_file(pytester, usage_error, flag):
    (pytester.path / "folder").mkdir()
    (pytester.path / "file").write_text("x")
    out = usage_error(flag, "folder", collect_only=False)
    assert f"{flag} folder: {pytester.path / 'folder'} is a folder; give the path of a file" in out
    out = usage_error(f"{flag}=file/sub/out.txt", collect_only=False)
    assert f"cannot create {pytester.path / 'file/sub/out.txt'}: {pytester.path / 'file'} is a file" in out
    assert not (pytester.path / "runs").exists()  # refused before the run: no run folder


def test_output_path_named_by_a_variable_names_the_variable(pytester, usage_error):
    (pytester.path / "folder").mkdir()
    out = usage_error(env={"SUITE_RECORD": "folder"})
    assert f"SUITE_RECORD=folder: {pytester.path / 'folder'} is a folder" in out
    (pytester.path / "cache").write_text("x")
    out = usage_error(env={"SUITE_CACHE_DIR": "cache"})
    assert f"SUITE_CACHE_DIR=cache: {pytester.path / 'cache'} is a file, not a folder" in out
    assert "--cache-dir cache: " in usage_error("--cache-dir", "cache")


def test_results_may_not_overwrite_an_earlier_run(pytester, usage_error):
    from harness import run_folders

    earlier = run_folders.new_run_folder(pytester.path / "runs")
    (earlier / "results.jsonl").write_text("")
    run_folders.switch_latest(pytester.path / "runs", earlier)
    for given in (earlier / "results.jsonl", "runs/latest/results.jsonl"):
        out = usage_error("--results", str(given), collect_only=False)
        assert "holds the records of an earlier run; leave --results unset" in out


def test_record_named_like_a_results_file(usage_error):
    assert "--record r.jsonl: a recorded run is one JSON document" in usage_error("--record", "r.jsonl")


def test_runs_root_that_is_a_file(pytester, usage_error):
    (pytester.path / "runs").write_text("not a folder")
    out = usage_error(collect_only=False)
    assert f"--results (default: a run folder under {pytester.path / 'runs'}): " in out
    assert "is a file, not a folder" in out


def test_unwritable_output_path_is_named(tmp_path, monkeypatch):
    """The check itself, for hosts where the suite runs as root (which writes anywhere)."""
    from fixtures import preflight

    real_access = os.access
    monkeypatch.setattr(preflight.os, "access", lambda p, mode: Path(p) != tmp_path and real_access(p, mode))
    with pytest.raises(pytest.UsageError, match=f"--report-md x: cannot create {tmp_path}/r.md: "
                                                f"{tmp_path} is not writable"):
        preflight.check_file("--report-md x", tmp_path / "r.md")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.md").write_text("")
    monkeypatch.setattr(preflight.os, "access", lambda p, mode: False)
    with pytest.raises(pytest.UsageError, match="r.md is not writable"):
        preflight.check_file("--report-md x", tmp_path / "sub" / "r.md")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; run the suite as a normal user")
def test_output_path_in_a_read_only_folder(pytester, usage_error):
    locked = pytester.path / "locked"
    locked.mkdir(mode=0o555)
    assert f"{locked} is not writable" in usage_error("--report-md", "locked/r.md")


@pytest.mark.parametrize("value", ["0", "-1", "1,,2", "abc", "3", "1,1", ""])
def test_bad_batch_sizes_reported_once(usage_error, value):
    out = usage_error(f"--batch-sizes={value}")
    assert out.count("must be 'fast', 'all' or a comma-separated list") == 1, out


@pytest.mark.parametrize("env, message", [
    ({"SUITE_BATCH_SIZES": "abc"}, "SUITE_BATCH_SIZES=abc: must be 'fast', 'all'"),
    ({"SUITE_PERF_ROUNDS": "0"}, "SUITE_PERF_ROUNDS=0: must be at least 1"),
    ({"SUITE_TOOL_TIMEOUT": "soon"}, "SUITE_TOOL_TIMEOUT=soon: must be a number of seconds"),
    ({"SUITE_WORKERS": "-2"}, "SUITE_WORKERS=-2: must be 'auto' or a number >= 0"),
    ({"SUITE_KEEP_RUNS": "0"}, "SUITE_KEEP_RUNS=0: must be at least 1"),
    ({"SUITE_THREADS": "0"}, "SUITE_THREADS=0: must be at least 1"),
    ({"SUITE_THREADS": "many"}, "SUITE_THREADS=many: must be an integer"),
    ({"SUITE_BACKEND": "onnxrt"}, "SUITE_BACKEND=onnxrt: unknown ['onnxrt']"),
    ({"SUITE_DATA_ROOT": "/nonexistent"}, "SUITE_DATA_ROOT=/nonexistent: not a folder"),
])
def test_a_bad_value_from_a_variable_names_the_variable(usage_error, env, message):
    assert message in usage_error(env=env)


def test_the_command_line_wins_and_is_named(usage_error):
    out = usage_error("--perf-rounds", "0", env={"SUITE_PERF_ROUNDS": "5"})
    assert "--perf-rounds 0: must be at least 1" in out and "SUITE_PERF_ROUNDS" not in out


def test_batch_sizes_accepted_are_those_the_guides_run():
    """The option is checked once against ALL_BATCH_SIZES (no torch import at start-up);
    that must stay the union of the guides' own batch sizes."""
    from harness import guides
    from harness.guides.base import ALL_BATCH_SIZES

    run = set().union(*(guides.get(name).batch_sizes for name in guides.names()))
    assert run == set(ALL_BATCH_SIZES)
