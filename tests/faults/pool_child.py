"""A separate process for tests/faults/test_leftover_processes.py (run as a script): it
preprocesses through ``store.run_jobs`` with two worker processes, each job recording its
worker's pid and then taking long, so the test can SIGKILL this process mid-run.

    python pool_child.py <pid folder> <output folder>
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def slow_work(payload):
    pid_dir, i = payload
    (Path(pid_dir) / str(os.getpid())).touch()
    time.sleep(60)
    return [(f"x/{i}.bin", np.zeros(4, np.float32))]


if __name__ == "__main__":
    from harness.preprocess import store  # noqa: E402
    from tests.faults.pool_child import slow_work as work  # importable by the workers

    pid_dir, out = sys.argv[1:3]
    jobs = [store.Job(str(i), (f"x/{i}.bin",), (pid_dir, i)) for i in range(64)]
    store.run_jobs(jobs, Path(out), work, workers=2)
