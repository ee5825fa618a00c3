"""Nothing left behind after ``kill -9`` of the process running the suite: its
preprocessing workers, their fork server and any other helper process exit within
seconds (workers would otherwise wait forever on a queue nobody writes to, and the fork
server lives as long as a worker does), and no stale builder temporaries survive the
next run (tests/faults/test_cache_repair.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("pool_child.py")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def running(pid: int) -> bool:
    """Alive and not a zombie (an exited process its new parent has not reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _stat_fields(pid) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def parent_of(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def session_members(sid: int) -> list[int]:
    """Every process of session ``sid`` (the owner started one: workers, fork server,
    multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat_fields(entry.name)[3]) == sid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def test_workers_and_fork_server_exit_after_sigkill_of_their_owner(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    owner = subprocess.Popen([sys.executable, str(CHILD), str(pids), str(tmp_path / "out")],
                             stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline and owner.poll() is None:
            time.sleep(0.05)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2, (owner.poll(), owner.stderr.read1() if owner.poll() is not None else "")
        fork_server = parent_of(workers[0])
        assert fork_server != owner.pid and parent_of(fork_server) == owner.pid  # the layout
        helpers = [pid for pid in session_members(owner.pid) if pid != owner.pid]
        assert set(workers + [fork_server]) <= set(helpers)
        os.kill(owner.pid, signal.SIGKILL)  # kill -9 of the owner alone, not its group
        owner.wait(timeout=10)
        deadline = time.monotonic() + 5
        survivors = helpers
        while survivors and time.monotonic() < deadline:
            survivors = [pid for pid in survivors if running(pid)]
            time.sleep(0.1)
        assert survivors == [], f"still running 5 s after the owner was killed: {survivors}"
    finally:
        try:
            os.killpg(owner.pid, signal.SIGKILL)  # whatever is left of the group
        except ProcessLookupError:
            pass
        owner.wait(timeout=10)
        owner.stderr.close()
