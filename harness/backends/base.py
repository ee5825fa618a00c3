"""What every backend provides (Polygraphy-style runners: one job each).

A ``Backend`` says whether it can run here (and if not, exactly what is missing), which
versions it runs, and compiles an ONNX file for one batch size into a ``CompiledModel``.
A ``CompiledModel`` runs one batch, runs a whole folder of samples, and measures
throughput. The default ``run_samples`` groups inputs exactly like ``ais_bench`` does, so
accuracy results are comparable across backends.
"""
from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from harness.io import SampleOutputs, batches, check_outputs, split_outputs
from harness.errors import SuiteError
from harness.perf import PerfStats


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""  # when not ok: what to install / set / provide

    def __bool__(self) -> bool:
        return self.ok


class BackendError(SuiteError):
    pass


@dataclass
class CompileOptions:
    """Per-run settings a backend may need (from the command line)."""

    soc_version: Optional[str] = None
    device_id: int = 0
    timeout_s: float = 3600.0
    extra: dict = field(default_factory=dict)


class CompiledModel(abc.ABC):
    backend: str
    # Runs batches in this process: streamed preprocessing feeds it directly. A backend
    # whose runner reads files (Ascend) streams in shards of files instead.
    in_process: bool = True
    batch_size: int
    path: Path

    def __init__(self, guide, batch_size: int, path: Path):
        self.guide = guide
        self.batch_size = batch_size
        self.path = path

    @abc.abstractmethod
    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Run one batch of exactly ``batch_size`` samples; outputs in guide order."""

    def run_samples(self, input_dirs: Mapping[str, Path], sample_ids: Sequence[str],
                    work_dir: Optional[Path] = None, progress=None) -> SampleOutputs:
        """Run every sample (``<input dir>/<id>.bin``); outputs keyed by sample id."""
        results: SampleOutputs = {}
        for batch in batches(input_dirs, self.guide.inputs, self.batch_size, sample_ids):
            results.update(split_outputs(batch, self.run(batch.feeds), self.guide.outputs))
            if progress is not None:
                progress(len(batch.sample_ids))
        check_outputs(results, sample_ids, what=f"{self.backend} bs{self.batch_size}")
        return results

    def run_stream(self, stream, progress=None) -> dict[str, SampleOutputs]:
        """Every sample of a ``harness.preprocess.stream.SampleStream``, batch by batch as
        preprocessing produces them (nothing written to disk): {set name: outputs keyed by
        file id}, the same batches and outputs as ``run_samples`` over the files."""
        from harness.preprocess.stream import stream_batches

        results: dict[str, SampleOutputs] = {s: {} for s in stream.set_ids}
        for set_name, batch in stream_batches(stream, self.batch_size):
            results[set_name].update(split_outputs(batch, self.run(batch.feeds), self.guide.outputs))
            if progress is not None:
                progress(len(batch.sample_ids))
        for set_name, ids in stream.set_ids.items():
            check_outputs(results[set_name], ids, what=f"{self.backend} bs{self.batch_size} {set_name}")
        return results

    def timed_call(self, feeds: Mapping[str, np.ndarray]):
        """A zero-argument callable that runs one batch on ``feeds``.

        Backends override it to check and bind the inputs once, so the timed loop holds
        nothing but the execution itself (benchmarks/bench_harness_overhead.py compares it
        with a bare runtime loop).
        """
        return lambda: self.run(feeds)

    def benchmark(self, warmup: int = 2, rounds: int = 10, seed: int = 0) -> PerfStats:
        """Wall-clock latency of one batch on fixed random inputs, ``rounds`` times."""
        rng = np.random.default_rng(seed)
        feeds = {s.name: rng.standard_normal(s.concrete(self.batch_size)).astype(s.dtype)
                 for s in self.guide.inputs}
        call = self.timed_call(feeds)
        for _ in range(warmup):
            call()
        clock = time.perf_counter
        seconds = []
        record = seconds.append
        for _ in range(rounds):
            t0 = clock()
            call()
            record(clock() - t0)
        return PerfStats(self.batch_size, tuple(s * 1000.0 for s in seconds), warmup,
                         "harness wall clock")


class Backend(abc.ABC):
    name: str = ""
    marker: Optional[str] = None  # pytest marker its tests need ("npu", "gpu")
    description: str = ""

    @abc.abstractmethod
    def availability(self) -> Availability: ...

    @abc.abstractmethod
    def versions(self) -> dict[str, str]:
        """Library/toolkit versions that determine its results (for records and cache keys)."""

    def chip(self, options: CompileOptions) -> str:
        """The chip name floors are keyed by (e.g. ``Ascend310P3``, ``T4``, ``cpu``)."""
        return "cpu"

    def cache_identity(self, options: CompileOptions) -> dict:
        """Everything besides the ONNX that determines a compiled artifact."""
        return {"backend": self.name, "versions": self.versions()}

    @abc.abstractmethod
    def compile(self, guide, onnx_path: Path, batch_size: int, work_dir: Path,
                options: CompileOptions, model=None) -> CompiledModel: ...
