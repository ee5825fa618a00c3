"""Interrupted runs stay visible: a real pytest run in a subprocess, stopped by SIGINT or
SIGTERM while a test sleeps, exits non-zero and leaves the run recorded as interrupted
(recorded run, history, results file) with reports that headline it."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INNER = textwrap.dedent("""
    import time
    from pathlib import Path

    from harness.checks import Verdict

    def test_first(record_verdict):
        record_verdict(Verdict("top1", True, "top1 = 79.4", 79.4, 79.43, 1.0), guide="dpn131",
                       stage="accuracy", batch_size=1, backend="onnxruntime", chip="cpu")

    def test_slow(tmp_path_factory):
        Path(__file__).with_name("started").write_text("1")
        time.sleep(60)

    def test_never():
        pass
""")


def _start(tmp_path: Path, *extra: str) -> subprocess.Popen:
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.summary", "fixtures.gate"]\n')
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "test_inner.py",
           "--record=run.json", "--report-md=r.md", "--report-html=r.html", "--history=h.sqlite",
           "--results=r.jsonl", *extra]
    return subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _interrupt(proc: subprocess.Popen, tmp_path: Path, sig: int, group: bool = False) -> str:
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.1)
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return out


@pytest.mark.parametrize("sig, reason", [(signal.SIGINT, "SIGINT (Ctrl-C)"), (signal.SIGTERM, "SIGTERM")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_leaves_the_run_recorded_as_interrupted(tmp_path, sig, reason):
    out = _interrupt(_start(tmp_path), tmp_path, sig)
    headline = f"INTERRUPTED after 1 of 3 tests ({reason})"
    assert headline in out
    run = json.loads((tmp_path / "run.json").read_text())["run"]
    assert run["exit_status"] == 2
    assert run["interrupted"] == {"reason": reason, "finished": 1, "selected": 3}
    assert f"**{headline}**" in (tmp_path / "r.md").read_text()
    assert headline in (tmp_path / "r.html").read_text()
    records = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert records[-1]["check"] == "run interrupted" and records[-1]["message"] == headline
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        assert db.execute("SELECT outcome FROM runs").fetchall() == [("interrupted",)]


def test_sigterm_to_an_xdist_process_group_stops_every_process_cleanly(tmp_path):
    """A CI runner stops the whole process group: the controller and its workers each take
    the interrupt path; the run is still recorded as interrupted, and no worker is left
    (one xdist worker: enough to have a worker to stop, cheaper in CI)."""
    proc = _start(tmp_path, "-n", "1")
    out = _interrupt(proc, tmp_path, signal.SIGTERM, group=True)
    assert proc.returncode == 2, out
    assert "INTERRUPTED after" in out and "Traceback" not in out
    run = json.loads((tmp_path / "run.json").read_text())["run"]
    assert run["interrupted"]["selected"] == 3
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of the group is left
