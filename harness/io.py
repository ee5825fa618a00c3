"""Sample files on disk: ``.bin`` inputs grouped into batches, outputs mapped back.

The grouping follows ``ais_bench`` (shared/reference/ascend_tools.md section 3.3) so every
backend sees the same batches: input files sorted naturally, B consecutive files per
batch, the last batch padded with copies of its first file, and no outputs kept for the
padded slots. A missing, truncated or oversized file is an error naming the file.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from harness.errors import SuiteError

SampleOutputs = dict  # sample id -> list of output arrays (per-sample shape, no batch axis)


class SampleIOError(SuiteError):
    pass


def natural_key(name: str):
    """Sort key that orders numeric runs by value ("2.bin" before "10.bin")."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def list_bins(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SampleIOError(f"input folder not found: {directory}")
    return sorted((p for p in directory.iterdir() if p.suffix.lower() in (".bin",)),
                  key=lambda p: natural_key(p.name))


def read_bin(path: Path, shape: Sequence[int], dtype: str = "float32") -> np.ndarray:
    """Read a headerless ``tofile`` array, checking its exact byte size."""
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SampleIOError(f"missing file: {path}") from None
    if size != expected:
        raise SampleIOError(
            f"{path}: {size} bytes, expected {expected} ({dtype} {tuple(shape)})"
            + (" - truncated" if size < expected else "")
        )
    return np.fromfile(path, dtype=dtype).reshape(shape)


@dataclass(frozen=True)
class Batch:
    sample_ids: tuple[str, ...]  # real samples only
    feeds: Mapping[str, np.ndarray]  # input name -> array with the full batch (padded)
    padded: int  # how many trailing slots are padding


def sample_ids_in(input_dirs: Mapping[str, Path], inputs) -> list[str]:
    """Sample ids present in every input folder, in natural order; mismatches are errors."""
    names = [spec.name for spec in inputs]
    per_input = {n: [p.stem for p in list_bins(input_dirs[n])] for n in names}
    first = per_input[names[0]]
    if not first:
        raise SampleIOError(f"no .bin files in {input_dirs[names[0]]}")
    for n in names[1:]:
        if set(per_input[n]) != set(first):
            missing = sorted(set(first) - set(per_input[n]))[:5]
            extra = sorted(set(per_input[n]) - set(first))[:5]
            raise SampleIOError(
                f"input folders disagree: {input_dirs[n]} lacks {missing} / has extra {extra} "
                f"compared with {input_dirs[names[0]]}"
            )
    return first


def batches(input_dirs: Mapping[str, Path], inputs, batch_size: int,
            sample_ids: Sequence[str] | None = None) -> Iterator[Batch]:
    """Yield batches of ``batch_size`` samples, padding the last one like ais_bench."""
    ids = list(sample_ids) if sample_ids is not None else sample_ids_in(input_dirs, inputs)
    if not ids:
        raise SampleIOError("zero samples to run")
    for start in range(0, len(ids), batch_size):
        yield padded_batch(ids[start:start + batch_size], batch_size, inputs, lambda sid, spec: read_bin(
            input_dirs[spec.name] / f"{sid}.bin", spec.sample_shape, spec.dtype))


def padded_batch(chunk: Sequence[str], batch_size: int, inputs, array_of) -> Batch:
    """One batch of the samples ``chunk`` (at most ``batch_size``), padded like ais_bench
    with copies of its first sample; ``array_of(sample id, input spec)`` gives one sample's
    array (read from its file, or handed over by a stream)."""
    padded = batch_size - len(chunk)
    slots = list(chunk) + [chunk[0]] * padded
    feeds = {spec.name: np.stack([array_of(sid, spec) for sid in slots]) for spec in inputs}
    return Batch(tuple(chunk), feeds, padded)


def split_outputs(batch: Batch, outputs: Sequence[np.ndarray], specs) -> SampleOutputs:
    """Per-sample outputs of one batch (padded slots dropped), checked for shape."""
    result: SampleOutputs = {}
    n = len(batch.sample_ids) + batch.padded
    if len(outputs) != len(specs):
        raise SampleIOError(f"model returned {len(outputs)} outputs, the guide declares {len(specs)}")
    for out, spec in zip(outputs, specs):
        expected = (n,) + spec.sample_shape
        if tuple(out.shape) != expected:
            raise SampleIOError(f"output {spec.name!r} has shape {tuple(out.shape)}, expected {expected}")
    for i, sid in enumerate(batch.sample_ids):
        result[sid] = [np.asarray(out[i]) for out in outputs]
    return result


def check_outputs(outputs: SampleOutputs, sample_ids: Sequence[str], what: str = "outputs") -> None:
    """No vacuous result: every input has outputs, and every value is finite."""
    if not sample_ids:
        raise SampleIOError(f"{what}: zero samples")
    missing = [s for s in sample_ids if s not in outputs]
    if missing:
        raise SampleIOError(
            f"{what}: {len(missing)} of {len(sample_ids)} samples have no output (e.g. {missing[:5]})")
    for sid in sample_ids:
        for k, arr in enumerate(outputs[sid]):
            if not np.all(np.isfinite(arr)):
                bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
                raise SampleIOError(f"{what}: sample {sid} output {k} has {bad} NaN/Inf values")


def runcount(n_samples: int, batch_size: int) -> int:
    return math.ceil(n_samples / batch_size)
