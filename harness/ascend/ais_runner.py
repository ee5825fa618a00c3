"""Running a compiled model with an ais_bench-family frontend (``python3 -m ais_bench``,
``msit benchmark``, ``python3 ais_infer.py``): one batch of files, whole input folders,
and pure inference for throughput. The same stages for each; only the invocation
(``harness.ascend.runners.Frontend``) differs.

Every run gets an absolute ``--output`` and runs with that folder as its working
directory, so a relative ``--output_dirname`` (which the ait lineage checks relative to
the working directory, reference 11) names the very folder the results go to.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from harness.ascend.ais_bench import AisBenchResult, AisBenchRun, read_sample_outputs, run_ais_bench
from harness.ascend.ais_bench_summary import AisBenchOutputError, error_lines, parse_files_per_batch
from harness.ascend.errors import AisBenchError
from harness.ascend.runners import Frontend
from harness.io import natural_key
from harness.perf import PerfStats

RESULT_DIRNAME = "out"


@dataclass(frozen=True)
class AisFamilyRunner:
    frontend: Frontend
    env: Mapping[str, str]
    timeout_s: float
    device: int

    @property
    def source(self) -> str:
        return f"{self.frontend.name} NPU_compute_time"

    def _spec(self, model: Path, scratch: Path, **kw) -> AisBenchRun:
        dirname = RESULT_DIRNAME if self.frontend.output_dirname else None
        return AisBenchRun(model=model, output=Path(scratch).absolute(), output_dirname=dirname,
                           device=self.device, **kw)

    def _run(self, spec: AisBenchRun, scratch: Path) -> AisBenchResult:
        return run_ais_bench(spec, env=self.env, timeout_s=self.timeout_s, cwd=Path(scratch).absolute(),
                             frontend=self.frontend)

    def command(self, spec: AisBenchRun) -> list[str]:
        return spec.args(frontend=self.frontend)

    def run_files(self, model: Path, files: Sequence[Path], n_outputs: int,
                  scratch: Path) -> tuple[list[str], list[Path]]:
        """One batch given as one file per input: (command, where its outputs are,
        ``<stem>_<k>.bin``, each to be checked by the caller)."""
        spec = self._spec(model, scratch, inputs=tuple(files), outfmt="BIN")
        folder = self._run(spec, scratch).result_dir
        stem = Path(files[0]).name.split(".", 1)[0]
        return self.command(spec), [folder / f"{stem}_{k}.bin" for k in range(n_outputs)]

    def batch_order(self, names: Mapping[str, str]) -> list[str]:
        """Sample ids in the order this runner batches their files: each input folder is
        listed in natural order of file names (reference 3.3)."""
        return sorted(names, key=lambda sid: natural_key(names[sid]))

    def run_folders(self, model: Path, folders: Sequence[Path], names: Mapping[str, str], specs,
                    batch_size: int, scratch: Path) -> dict:
        """ONE run over the input folders (comma-separated, in model input order); outputs
        ``<stem>_<k>.bin`` mapped back through ``names`` (sample id -> file name)."""
        spec = self._spec(model, scratch, inputs=tuple(folders), outfmt="BIN")
        result = self._run(spec, scratch)
        try:
            outputs = read_sample_outputs(result.result_dir, names, specs)
            check_batching(result, len(names), batch_size)
        except AisBenchOutputError as exc:
            raise AisBenchError(self.command(spec), str(exc), 0, error_lines(result.run.output)) from None
        return outputs

    def benchmark(self, model: Path, batch_size: int, rounds: int, warmup: int, scratch: Path) -> PerfStats:
        """Pure inference ``--loop rounds`` (``--warmup_count warmup`` where the frontend has
        it); per-round NPU_compute_time from the summary JSON, else the printed mean. The
        statistic of record is the printed throughput, 1000 * batch / mean."""
        spec = self._spec(model, scratch, loop=rounds, batchsize=batch_size,
                          warmup_count=warmup if self.frontend.warmup else None)
        result = self._run(spec, scratch)
        npu = result.performance.npu_compute_time
        extra = {"ais_bench_throughput": result.performance.throughput, "npu_compute_time_mean_ms": npu.mean,
                 "runner": self.frontend.name, "command": " ".join(self.command(spec))}
        if not self.frontend.warmup:
            extra["warmup_note"] = f"{self.frontend.name} has no --warmup_count; its own warm-up applies"
        times = result.summary.npu_compute_time_list if result.summary else ()
        if times:
            if len(times) != rounds:
                raise AisBenchError(self.command(spec),
                                    f"summary has {len(times)} NPU_compute_time entries for --loop {rounds}", 0)
            latencies = tuple(times)
        else:
            extra["note"] = "no per-round list in the summary; one value: the printed mean"
            latencies = (npu.mean,)
        return PerfStats(batch_size, latencies, warmup, self.source, extra,
                         published={self.frontend.statistic: result.performance.throughput},
                         statistic=self.frontend.statistic)


def check_batching(result: AisBenchResult, n: int, batch_size: int) -> None:
    """ais_bench grouped the files as the om's batch (reference 3.3) and ran every batch."""
    fpb = parse_files_per_batch(result.run.stdout)
    runs = math.ceil(n / batch_size)
    if fpb is not None and (fpb.files_per_batch != batch_size or fpb.runcount != runs):
        raise AisBenchOutputError(f"ais_bench grouped {fpb.files_per_batch} files per batch in "
                                  f"{fpb.runcount} runs; expected {batch_size} per batch in {runs}")
    s = result.summary
    if s is not None and s.filesinfo and len(s.filesinfo) != n:
        raise AisBenchOutputError(f"ais_bench summary lists {len(s.filesinfo)} samples, {n} were given")

