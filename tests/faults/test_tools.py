"""External-tool faults, through the suite's one runner (harness/ascend/proc.py): a tool
missing from PATH, not executable, failing with its own error lines, hanging past its
timeout (its whole process group killed, grandchildren included), ignoring SIGTERM."""
from __future__ import annotations

import os
import shlex
import stat
import sys
import time
from pathlib import Path

import pytest

from harness.ascend.errors import ToolError
from harness.ascend.proc import run_tool


def script(tmp_path: Path, name: str, body: str) -> Path:
    """An executable Python script standing in for a CANN tool."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def wait_dead(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def test_tool_missing_from_path_names_the_program_and_command(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # a PATH without CANN
    with pytest.raises(ToolError) as err:
        run_tool(["atc", "--model=m.onnx", "--soc_version=Ascend310P3"], timeout_s=10, env=env)
    msg = str(err.value)
    assert "program 'atc' not found on PATH" in msg and "atc --model=m.onnx --soc_version=Ascend310P3" in msg


def test_tool_that_is_not_executable(tmp_path):
    tool = tmp_path / "ais_bench"
    tool.write_text("#!/bin/sh\n")
    with pytest.raises(ToolError, match=r"is not executable"):
        run_tool([str(tool), "--model", "x.om"], timeout_s=10)


def test_failing_tool_shows_command_exit_code_and_its_own_error_lines(tmp_path):
    tool = script(tmp_path, "atc", "import sys\nprint('ATC start working now, please wait for a moment.')\n"
                                   "print('E10001: Value [Ascend999] for parameter [--soc_version] is invalid.',"
                                   " file=sys.stderr)\nsys.exit(1)\n")
    cmd = [str(tool), "--model=with space.onnx", "--soc_version=Ascend999"]
    with pytest.raises(ToolError) as err:
        run_tool(cmd, timeout_s=30)
    msg = str(err.value)
    assert err.value.returncode == 1 and "exit code 1" in msg
    assert shlex.join(cmd) in msg and "E10001: Value [Ascend999]" in msg


def test_hanging_tool_is_killed_with_its_whole_process_group(tmp_path):
    pids = tmp_path / "pids"
    tool = script(tmp_path, "ais_bench", f"""
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
print("[INFO] acl init success", flush=True)
time.sleep(300)
""")
    t0 = time.monotonic()
    with pytest.raises(ToolError) as err:
        run_tool([str(tool), "--model", "m.om", "--loop", "1000"], timeout_s=2.0)
    elapsed = time.monotonic() - t0
    msg = str(err.value)
    assert err.value.timed_out and "timed out" in msg and "2 s timeout" in msg
    assert f"{tool} --model m.om --loop 1000" in msg and "acl init success" in msg
    assert elapsed < 30
    parent, grandchild = map(int, pids.read_text().split())
    assert wait_dead(parent) and wait_dead(grandchild), "a process of the tool's group survived"


def test_tool_ignoring_sigterm_is_still_killed(tmp_path):
    pids = tmp_path / "pid"
    tool = script(tmp_path, "atc", f"""
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open({str(pids)!r}, "w").write(str(os.getpid()))
time.sleep(300)
""")
    with pytest.raises(ToolError, match="timed out"):
        run_tool([str(tool)], timeout_s=1.0)
    assert wait_dead(int(pids.read_text()))


def test_tool_output_that_is_not_utf8_does_not_crash_the_runner(tmp_path):
    tool = script(tmp_path, "npu-smi", "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe bad \\x80 bytes\\n')\n"
                                       "sys.exit(3)\n")
    with pytest.raises(ToolError) as err:
        run_tool([str(tool), "info"], timeout_s=30)
    assert "exit code 3" in str(err.value) and "bad" in str(err.value)
