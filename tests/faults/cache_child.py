"""A separate process for tests/faults/test_cache.py (run as a script, never imported by
pytest): builds an artifact through ``ArtifactCache`` the way the suite does, so the test
can kill it half-way or race two of them.

    python cache_child.py preprocess <cache root> <n samples> <delay s> [--kill-at K]
    python cache_child.py build <cache root> <go file> <log file> <seconds>
    python cache_child.py killed-build <cache root> <kind>
    python cache_child.py hold-lock <lock file> <ready file>

Prints one JSON line: {"path": ..., "built": ...}.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.cache import ArtifactCache  # noqa: E402
from harness.preprocess import store  # noqa: E402

SHAPE = (64, 64, 4)  # 64 KiB per sample: large enough for a write to be cut half-way


def sample_array(i: int) -> np.ndarray:
    return np.random.default_rng(i).standard_normal(SHAPE).astype(np.float32)


DELAY = 0.0


def work(i: int):
    time.sleep(DELAY)
    return [(f"x/{i}.bin", sample_array(i))]


def die_mid_write_at(k: int) -> None:
    """On the k-th file, truncate the temporary file to half and SIGKILL ourselves before
    the rename: exactly what a kill during ``tofile`` leaves on disk."""
    real_replace = os.replace
    count = {"n": 0}

    def replace(src, dst):
        count["n"] += 1
        if count["n"] == k:
            with open(src, "r+b") as f:
                f.truncate(os.path.getsize(src) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst)

    store.os.replace = replace  # the module's os: only writes made through store are affected


def preprocess(root: str, n: str, delay: str, *rest: str) -> None:
    global DELAY
    DELAY = float(delay)
    if rest and rest[0] == "--kill-at":
        die_mid_write_at(int(rest[1]))
    jobs = [store.Job(str(i), (f"x/{i}.bin",), i) for i in range(int(n))]

    def build(folder: Path):
        store.run_jobs(jobs, folder, work, workers=0)
        return {"samples": len(jobs)}

    art = ArtifactCache(Path(root)).get_or_build("bins", {"fault-test": "preprocess", "n": n}, build,
                                                 resumable=True)
    print(json.dumps({"path": str(art.path), "built": art.built}), flush=True)


def build(root: str, go: str, log: str, seconds: str) -> None:
    Path(f"{go}.ready.{os.getpid()}").touch()
    while not Path(go).exists():  # start both racers at the same moment
        time.sleep(0.005)

    def builder(folder: Path):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(float(seconds))
        (folder / "model.onnx").write_bytes(b"artifact built by %d" % os.getpid())

    art = ArtifactCache(Path(root)).get_or_build("onnx", {"fault-test": "race"}, builder)
    print(json.dumps({"path": str(art.path), "built": art.built,
                      "content": (art.path / "model.onnx").read_text()}), flush=True)


def killed_build(root: str, kind: str) -> None:
    """Start building an artifact and SIGKILL ourselves half-way: the private temporary
    folder a builder writes into stays behind, as after ``kill -9`` of pytest."""
    def builder(folder: Path):
        (folder / "half.jpg").write_bytes(b"\xff\xd8" + b"x" * 1000)
        os.kill(os.getpid(), signal.SIGKILL)

    ArtifactCache(Path(root)).get_or_build(kind, {"fault-test": "killed"}, builder)


def hold_lock(lock: str, ready: str) -> None:
    """Hold ``lock`` (as a live builder does) until killed."""
    from filelock import FileLock

    with FileLock(lock):
        Path(ready).touch()
        time.sleep(600)


if __name__ == "__main__":
    {"preprocess": preprocess, "build": build, "killed-build": killed_build,
     "hold-lock": hold_lock}[sys.argv[1]](*sys.argv[2:])
