"""Running an external tool the one safe way: an argument list, a timeout, its own process
group, captured output.

``run_tool`` never uses a shell. The child starts a new session (``start_new_session``),
so on a timeout the whole group (``atc`` -> ``atc.bin`` -> TBE compiler workers, or
``ais_bench`` -> its backend) is killed with ``killpg``, not just the direct child.
"""
from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from harness.ascend.errors import ToolError

log = logging.getLogger(__name__)

# How many trailing output lines a failure message shows when the tool printed no
# recognisable error line (enough for a Python traceback's last frames).
TAIL_LINES = 15


@dataclass(frozen=True)
class ToolResult:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        """stdout then stderr: the tools print their verdict lines on stdout, tracebacks
        and loader errors on stderr; parsers look at both."""
        return self.stdout + ("\n" + self.stderr if self.stderr else "")


def tail(text: str, n: int = TAIL_LINES) -> list[str]:
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    return lines[-n:]


def _kill_group(proc: subprocess.Popen, grace_s: float = 2.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after ``grace_s``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=grace_s)
            if sig == signal.SIGTERM:
                # The direct child is gone; make sure no grandchild survives either.
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            return
        except subprocess.TimeoutExpired:
            continue


def run_tool(command: Sequence[str | Path], *, timeout_s: float,
             env: Optional[Mapping[str, str]] = None, cwd: Optional[Path] = None,
             check: bool = True, error_class: type[ToolError] = ToolError,
             error_lines: Optional[Callable[[str], list[str]]] = None) -> ToolResult:
    """Run ``command``; raise ``error_class`` on a timeout, a missing program, or (with
    ``check``) a non-zero exit. ``error_lines(output)`` picks the tool's own error lines
    for the message (default: the last lines of its output)."""
    cmd = [str(c) for c in command]
    pick = error_lines or tail
    log.info("run: %s%s", shlex.join(cmd), f"  (in {cwd})" if cwd else "")
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=dict(env) if env is not None else None,
                                cwd=str(cwd) if cwd else None, start_new_session=True,
                                text=True, errors="replace")
    except FileNotFoundError:
        raise error_class(cmd, f"program {cmd[0]!r} not found on PATH") from None
    except PermissionError:
        raise error_class(cmd, f"program {cmd[0]!r} is not executable") from None
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        log.warning("timed out after %g s, process group %d killed: %s", timeout_s, proc.pid, shlex.join(cmd))
        raise error_class(cmd, f"no result after the {timeout_s:g} s timeout; killed its process "
                               f"group {proc.pid}", proc.returncode, tail(stdout + "\n" + stderr),
                          timed_out=True) from None
    except BaseException:  # KeyboardInterrupt, pytest timeout: never leave the group running
        _kill_group(proc)
        proc.communicate()
        raise
    result = ToolResult(tuple(cmd), proc.returncode, stdout, stderr, time.perf_counter() - t0)
    log.info("exit %d after %.1f s: %s", proc.returncode, result.seconds, Path(cmd[0]).name)
    if check and proc.returncode != 0:
        lines = pick(result.output) or tail(result.output)
        raise error_class(cmd, f"{Path(cmd[0]).name} exited with status {proc.returncode}",
                          proc.returncode, lines)
    return result
