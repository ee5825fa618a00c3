"""CPU threads for the in-process runtimes (PyTorch, ONNX Runtime).

Each runtime starts one thread per core. Under ``pytest -n N`` that is N x cores threads
on the cores, and their spin-waiting makes each process several times slower than one
thread would (measured on two cores, two processes running ResNet-18: 90 s with two
threads each, 14 s with one). So a test process gets the cores split between the workers.
"""
from __future__ import annotations

import os
import sys

THREADS_ENV = "OMP_NUM_THREADS"  # read by PyTorch's OpenMP pool when it starts


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """The cores this process may use, split between ``workers`` processes (at least 1)."""
    return max(1, available_cores() // max(1, workers))


def limit_threads(threads: int) -> None:
    """Hold PyTorch to ``threads`` (now if it is loaded, else when it starts) and make the
    number known to ONNX Runtime sessions created later (``session_threads``)."""
    os.environ[THREADS_ENV] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def session_threads() -> int:
    """Intra-op threads for an ONNX Runtime CPU session: the limit set by ``limit_threads``,
    else 0 (ONNX Runtime's own default, one per core)."""
    try:
        return max(0, int(os.environ.get(THREADS_ENV, "0")))
    except ValueError:
        return 0
