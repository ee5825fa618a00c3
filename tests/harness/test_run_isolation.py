"""Run folders (harness/run_folders.py, fixtures/run_folder.py): runs never mix.

Two real pytest processes started together with ``--record`` on the default results each
keep exactly their own records (one of them under xdist, whose workers must write into
their controller's folder); ``runs/latest`` ends up naming one whole finished run; a
``--results`` file a live run holds is refused; collect-only writes nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness import run_folders

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
PLUGINS = 'pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate"]\n'
TAGGED_TESTS = textwrap.dedent("""
    import os, time
    import pytest
    from harness.checks import Verdict

    @pytest.mark.parametrize("i", range(4))
    def test_stage(record_verdict, i):
        time.sleep(0.25)  # long enough for the two runs to overlap
        record_verdict(Verdict(f"check {i}", True, os.environ["RUN_TAG"], 1.0, 1.0),
                       guide="g", stage="accuracy")
""")


def _suite_root(root: Path) -> Path:
    """A tiny rootdir that loads the suite's own plugins from this repository."""
    (root / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(REPO)!r})\n" + PLUGINS)
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    (root / "test_stage.py").write_text(TAGGED_TESTS)
    return root


def test_two_runs_started_together_keep_their_own_records(tmp_path):
    root = _suite_root(tmp_path)
    env = {k: v for k, v in os.environ.items()  # this run's own settings must not leak in
           if not k.startswith(("SUITE_", "PYTEST_XDIST", "PYTEST_ADDOPTS"))}
    runs = {}
    for tag, extra in (("a", ["-n", "2"]), ("b", [])):  # a: xdist workers share a's folder
        runs[tag] = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", f"--record={tag}.json", *extra], cwd=root,
            env={**env, "RUN_TAG": tag}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = {tag: proc.communicate(timeout=240)[0] for tag, proc in runs.items()}
    for tag, proc in runs.items():
        assert proc.returncode == 0, outputs[tag]
    folders = set()
    for tag in runs:
        doc = json.loads((root / f"{tag}.json").read_text())
        assert sorted(r["check"] for r in doc["records"]) == [f"check {i}" for i in range(4)]
        assert {r["message"] for r in doc["records"]} == {tag}, f"run {tag} holds another run's records"
        results = Path(doc["run"]["provenance"]["results"])
        assert run_folders.is_run_folder(results.parent) and results.parent.parent == root / "runs"
        assert len(results.read_text().splitlines()) == 4
        folders.add(results.parent)
    assert len(folders) == 2
    latest = root / "runs" / "latest"
    assert latest.is_symlink() and latest.resolve() in folders
    assert len((latest / "results.jsonl").read_text().splitlines()) == 4


def test_collect_only_writes_nothing(pytester):
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_stage=TAGGED_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--co", "--record", "r.json",
                                "--report-md", "out/r.md")
    assert result.ret == 0
    written = {p.name for p in pytester.path.iterdir()} - {".benchmarks"}  # pytest-benchmark's own
    assert sorted(written) == ["conftest.py", "test_stage.py"]


def test_a_run_refused_when_collection_ends_leaves_no_run_folder(pytester):
    pytester.makeconftest(PLUGINS + textwrap.dedent("""
        import pytest

        def pytest_collection_modifyitems(items):
            raise pytest.UsageError("this selection is refused")
    """))
    pytester.makepyfile(test_stage=TAGGED_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [p.name for p in (pytester.path / "runs").iterdir()] == []  # no folder, no latest


def test_a_results_file_held_by_a_live_run_is_refused(pytester, monkeypatch):
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_stage=TAGGED_TESTS)
    monkeypatch.setenv("RUN_TAG", "x")
    held = pytester.path / "shared.jsonl"
    hold = run_folders.ResultsHold(held)  # what a live run holds for its whole life
    try:
        result = pytester.runpytest("-p", "no:cacheprovider", "--results", str(held))
    finally:
        hold.release()
    out = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert f"--results {held}: {held} is being written by another run that is still going" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out
    result = pytester.runpytest("-p", "no:cacheprovider", "--results", str(held), "-k", "0")
    assert result.ret == 0 and len(held.read_text().splitlines()) == 1  # free again: usable


def test_new_run_folders_are_unique_and_sort_by_start(tmp_path):
    folders = [run_folders.new_run_folder(tmp_path, pid=7) for _ in range(5)]
    assert len(set(folders)) == 5 and all(run_folders.is_run_folder(f) for f in folders)
    assert sorted(folders, key=lambda p: p.name) == folders


def test_latest_switches_atomically_and_replaces_an_old_real_folder(tmp_path):
    (tmp_path / "latest").mkdir()  # the layout before run folders: a real folder
    (tmp_path / "latest" / "results.jsonl").write_text("{}\n")
    first, second = (run_folders.new_run_folder(tmp_path) for _ in range(2))
    run_folders.switch_latest(tmp_path, first)
    assert os.readlink(tmp_path / "latest") == first.name  # relative: the tree can move
    run_folders.switch_latest(tmp_path, second)
    assert run_folders.latest_folder(tmp_path) == second.resolve()
    kept_aside = [p for p in tmp_path.iterdir() if (p / "results.jsonl").exists()]
    assert len(kept_aside) == 1 and run_folders.is_run_folder(kept_aside[0])
    assert not list(tmp_path.glob(".latest*"))


def test_prune_keeps_the_newest_and_never_latest_or_a_live_run(tmp_path):
    folders = [run_folders.new_run_folder(tmp_path) for _ in range(6)]
    for f in folders:
        (f / "results.jsonl").write_text("")
    (tmp_path / "history.sqlite").write_text("db")
    run_folders.switch_latest(tmp_path, folders[0])
    live = run_folders.ResultsHold(folders[1] / "results.jsonl")
    try:
        removed = run_folders.prune(tmp_path, keep=2)
    finally:
        live.release()
    assert removed == folders[2:4]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f.name for f in folders[:2] + folders[4:]] + ["history.sqlite", "latest"])
