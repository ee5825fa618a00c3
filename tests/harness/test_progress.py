"""Progress where CI can see it: without a terminal, a long test prints a heartbeat line
every interval past pytest's capture (with the current activity's count); short work
prints nothing."""
from __future__ import annotations

import textwrap

from pathlib import Path

from harness import progress

ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]

INNER = textwrap.dedent("""
    import time
    from harness.progress import progress_bar

    def test_long():
        with progress_bar(10, "guide: preprocessing") as tick:
            for _ in range(10):
                time.sleep(0.25)
                tick()

    def test_short():
        time.sleep(0.1)
""")


def test_heartbeat_lines_reach_the_log_past_capture(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("SUITE_PROGRESS_INTERVAL", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the subprocess imports the project's plugins
    pytester.makeconftest('pytest_plugins = ["fixtures.progress"]\n')
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=2)
    lines = [ln for ln in result.errlines if "still running" in ln]
    assert lines, f"no heartbeat line in the log:\n{result.stderr.str()}"
    assert all("test_long" in ln for ln in lines), lines
    assert any("guide: preprocessing" in ln and "/10 (" in ln for ln in lines), lines


def test_heartbeat_line_names_activity_and_count(monkeypatch):
    monkeypatch.setenv("CI", "true")
    lines = []
    monkeypatch.setattr(progress, "_sink", lines.append)
    with progress.progress_bar(4, "dpn131: preprocessing") as tick:
        tick(2)
        line = progress.Heartbeat("test_x", interval=60).line()
        assert "still running test_x: dpn131: preprocessing 2/4 (50 %" in line, line
    assert not lines, "work shorter than the interval printed a line"


def test_progress_off(monkeypatch):
    monkeypatch.setenv("SUITE_PROGRESS", "0")
    lines = []
    monkeypatch.setattr(progress, "_sink", lines.append)
    with progress.heartbeat("x"):
        pass
    assert not progress.enabled() and not lines
