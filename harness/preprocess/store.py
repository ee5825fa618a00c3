"""Writing preprocessed samples: one headerless float32 ``.bin`` per sample and input set,
each written atomically, so the folder can be fed to ``ais_bench`` as it is and a killed
run can resume without ever reusing a half-written file.

A preprocessing function turns one job into ``[(relative path, array), ...]``; jobs whose
files all exist already are skipped (a file only exists once it is complete).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Job:
    sample_id: str
    files: tuple[str, ...]  # relative paths this job writes
    payload: Any  # what the worker function needs (e.g. an image path and a box)


@dataclass
class Prepared:
    """The result of a guide's preprocessing: sample order and where each input set lives.

    ``input_sets`` maps a set name ("main", "flip", ...) to {model input name: folder}.
    Most guides have one set; TransPose runs the model twice (original and flipped).
    """

    root: Path
    sample_ids: list[str]
    input_sets: dict[str, dict[str, Path]]
    meta: dict = field(default_factory=dict)

    def set(self, name: str = "main") -> dict[str, Path]:
        return self.input_sets[name]


def save_array_atomic(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.ascontiguousarray(array).tofile(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run_jobs(jobs: Sequence[Job], out_root: Path,
             work: Callable[[Any], Iterable[tuple[str, np.ndarray]]],
             workers: int = 0, progress: Callable[[int], None] | None = None) -> list[str]:
    """Run every job not yet done; return all sample ids in job order.

    ``work(payload)`` returns (relative path, array) pairs; it must be a module-level
    function when ``workers`` > 0 (it runs in worker processes).
    """
    pending = [j for j in jobs if not all((out_root / f).is_file() for f in j.files)]
    if progress is not None and len(jobs) > len(pending):
        progress(len(jobs) - len(pending))
    if workers and workers > 1 and len(pending) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("forkserver")
        chunk = max(1, min(64, len(pending) // (workers * 4)))
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for job, result in zip(pending, pool.map(_call, [(work, j.payload) for j in pending],
                                                     chunksize=chunk)):
                _store(out_root, job, result)
                if progress is not None:
                    progress(1)
    else:
        for job in pending:
            _store(out_root, job, list(work(job.payload)))
            if progress is not None:
                progress(1)
    return [j.sample_id for j in jobs]


def _call(args):
    work, payload = args
    return list(work(payload))


def _store(out_root: Path, job: Job, result: list[tuple[str, np.ndarray]]) -> None:
    produced = {rel for rel, _ in result}
    if produced != set(job.files):
        raise RuntimeError(f"preprocessing of sample {job.sample_id} produced {sorted(produced)}, "
                           f"expected {sorted(job.files)}")
    for rel, array in result:
        if array.dtype != np.float32:
            raise RuntimeError(f"sample {job.sample_id}: {rel} is {array.dtype}, expected float32")
        if not np.all(np.isfinite(array)):
            raise RuntimeError(f"sample {job.sample_id}: {rel} contains NaN/Inf")
        save_array_atomic(out_root / rel, array)


def check_complete(prepared: Prepared, inputs) -> None:
    """Every set has every sample's file, of exactly the input's byte size."""
    if not prepared.sample_ids:
        raise RuntimeError(f"preprocessing produced zero samples in {prepared.root}")
    for set_name, dirs in prepared.input_sets.items():
        for spec in inputs:
            folder = dirs[spec.name]
            for sid in prepared.sample_ids:
                p = folder / f"{sid}.bin"
                if not p.is_file():
                    raise RuntimeError(f"preprocessed file missing: {p}")
                if p.stat().st_size != spec.sample_bytes:
                    raise RuntimeError(f"{p}: {p.stat().st_size} bytes, expected {spec.sample_bytes}")


def dirs_for(out_root: Path, sets: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, Path]]:
    return {s: {inp: out_root / sub for inp, sub in m.items()} for s, m in sets.items()}
