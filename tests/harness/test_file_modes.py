"""The suite's output files get the mode the umask gives, like any file a tool writes.

Recorded runs used to be ``0600`` (``tempfile.mkstemp``), so another user or CI agent on a
shared host could not read the baseline. Checked under umask 022 and 002 for every writer
a run's outputs pass through, and end to end for ``--record``.
"""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import pytest

from harness.atomic import write_atomic
from harness.results import Record, ResultsWriter
from harness.runs import load_run, write_run
from harness.samples import INLINE_LIMIT, pack_per_sample

pytest_plugins = ["pytester"]
UMASKS = [0o022, 0o002]


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask", UMASKS, ids=oct)
def test_writers_follow_the_umask(tmp_path, mask):
    expected = 0o666 & ~mask
    with umask(mask):
        atomic = write_atomic(tmp_path / "a" / "file.bin", b"data")
        results = tmp_path / "run" / "results.jsonl"
        ResultsWriter(results).write(Record(guide="g", stage="accuracy", check="c", verdict="pass"))
        per_sample = pack_per_sample({f"s{i}": i % 7 for i in range(INLINE_LIMIT + 1)}, results.parent, "top-1")
        record = {"guide": "g", "stage": "accuracy", "check": "c", "verdict": "pass",
                  "details": {"per_sample": per_sample}}
        recorded = write_run(tmp_path / "rec" / "b.json", {"label": "b"}, [record], results.parent)
    sidecar = results.parent / per_sample["file"]
    copied = recorded.parent / per_sample["file"]
    for path in (atomic, results, sidecar, recorded, copied):
        assert mode(path) == expected, f"{path}: {oct(mode(path))}, umask {oct(mask)}"
    assert load_run(recorded).records == [record]
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def test_recorded_run_follows_the_umask(pytester, mask=0o002):
    """End to end under 002 (the writers above are checked under both masks)."""
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate"]\n')
    pytester.makepyfile(test_one=(
        "from harness.checks import Verdict\n"
        "def test_one(record_verdict):\n"
        "    record_verdict(Verdict('c', True, 'm', 1.0, 1.0), guide='g', stage='accuracy')\n"))
    with umask(mask):
        result = pytester.runpytest("-p", "no:cacheprovider", "--record", "out/base.json", "--history", "off")
    assert result.ret == 0
    assert mode(pytester.path / "out" / "base.json") == 0o666 & ~mask
    assert mode(pytester.path / "runs" / "latest" / "results.jsonl") == 0o666 & ~mask
