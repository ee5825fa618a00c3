"""Running a compiled model with the legacy ``benchmark.{arch}`` (PAMTRI's and DPN131's
runner), with the same stages as the ais_bench family. Facts: reference section 4.

* Samples: dataset mode over an info file (``<index> <path> <width> <height>``, width
  first), outputs ``result/dumpOutput_device{N}/<input stem>_<k>.bin`` with k from 1, the
  perf file ``result/perf_vision_batchsize_{B}_device_{N}.txt``; everything relative to
  the working directory, which is the run's own scratch folder.
* Throughput: the statistic the guides publish is the dataset mode's ``Interface
  throughputRate`` (one device), so the timed run is a dataset-mode run over
  ``rounds x batch`` copies of one zero-filled sample (one file, listed repeatedly: the
  tool reads it per line); a pure-inference run (``-round=rounds``) adds
  ``ave_throughputRate``, the statistic of DPN131's bs4/8/32 floors, and per-round times.
  The tool has no warm-up option. The guides measured over their real datasets; zero data
  can run faster on some models (DPN131 7.1 warns that pure inference is approximate).
* One input per sample: the info file has one path per line, so guides with several model
  inputs cannot use this runner.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from harness.ascend import benchmark_legacy as legacy, paths
from harness.ascend.ais_bench import read_sample_outputs
from harness.ascend.ais_bench_summary import AisBenchOutputError
from harness.ascend.errors import ToolError, ToolOutputError
from harness.ascend.proc import run_tool
from harness.ascend.runners import INTERFACE, PURE_INFER, Frontend
from harness.perf import PerfStats

_ROUND_LINE = re.compile(r"Dataset number:\s*(\d+)\s+finished cost\s*([\d.]+)\s*ms")


class LegacyBenchmarkError(ToolError):
    pass


def legacy_output_name(input_file: str, index: int, outfmt: str = "BIN") -> str:
    """``<input stem>_<k>.bin``, k = 1 for the first output (reference 4.3)."""
    return f"{Path(input_file).stem}_{index + 1}.{outfmt.lower()}"


@dataclass(frozen=True)
class LegacyRunner:
    frontend: Frontend
    env: Mapping[str, str]
    timeout_s: float
    device: int
    guide: object

    source = "benchmark Interface throughputRate"

    def _geometry(self) -> tuple[int, int]:
        if len(self.guide.inputs) != 1:
            raise LegacyBenchmarkError(list(self.frontend.prefix), (
                f"the legacy benchmark takes one input per sample (an info file of paths); guide "
                f"{self.guide.name} has {len(self.guide.inputs)} inputs: use --ascend-runner ais_bench"))
        shape = self.guide.inputs[0].sample_shape
        return int(shape[-1]), int(shape[-2])  # width, height (bin mode takes them from the CLI)

    def _dataset(self, model: Path, files: Sequence[Path], batch_size: int, scratch: Path):
        width, height = self._geometry()
        info = Path(scratch) / "input.info"
        info.write_text(legacy.info_lines([str(f) for f in files], width, height))
        paths.seal(info)
        spec = legacy.BenchmarkDatasetRun(om_path=str(model), input_text_path=str(info), batch_size=batch_size,
                                          input_width=width, input_height=height, device_id=self.device,
                                          output_binary=True)
        cmd = spec.args(self.frontend.prefix[0])
        res = run_tool(cmd, timeout_s=self.timeout_s, env=self.env, cwd=scratch, error_class=LegacyBenchmarkError)
        result = Path(scratch) / "result"
        perf_path = legacy.perf_file(result, "vision", batch_size, self.device)
        try:
            perf = legacy.parse_dataset_perf(perf_path.read_text())
        except (OSError, ToolOutputError) as exc:
            raise LegacyBenchmarkError(cmd, f"benchmark exited 0 but its perf file is unusable: {exc}", 0,
                                       res.output.splitlines()[-10:]) from None
        return cmd, legacy.dump_dir(result, self.device), perf

    def run_files(self, model: Path, files: Sequence[Path], n_outputs: int,
                  scratch: Path) -> tuple[list[str], list[Path]]:
        """One batch: the batch file split into per-sample files (the tool reads one sample
        per info line), its outputs joined back into one file per model output; (command,
        those files)."""
        self._geometry()
        spec = self.guide.inputs[0]
        batch = np.fromfile(files[0], dtype=spec.dtype)
        n = batch.size // int(np.prod(spec.sample_shape))
        folder = paths.make_dir(Path(scratch) / "split")
        samples = [paths.write_array(folder / f"s{j:06d}.bin", part) for j, part in enumerate(np.split(batch, n))]
        cmd, dump, _ = self._dataset(model, samples, n, scratch)
        joined = []
        for k in range(n_outputs):
            parts = [dump / legacy_output_name(s.name, k) for s in samples]
            target = Path(scratch) / f"batch_{k}.bin"
            if all(p.is_file() for p in parts):
                target.write_bytes(b"".join(p.read_bytes() for p in parts))
            joined.append(target)
        return cmd, joined

    def batch_order(self, names: Mapping[str, str]) -> list[str]:
        """Sample ids in the order this runner batches them: the info file's, which lists
        the files in the order given."""
        return list(names)

    def run_folders(self, model: Path, folders: Sequence[Path], names: Mapping[str, str], specs,
                    batch_size: int, scratch: Path) -> dict:
        files = [Path(folders[0]) / names[sid] for sid in names]
        cmd, dump, _ = self._dataset(model, files, batch_size, scratch)
        try:
            return read_sample_outputs(dump, names, specs, name_of=legacy_output_name)
        except AisBenchOutputError as exc:
            raise LegacyBenchmarkError(cmd, str(exc).replace("ais_bench", "benchmark"), 0) from None

    def benchmark(self, model: Path, batch_size: int, rounds: int, warmup: int, scratch: Path) -> PerfStats:
        zero = paths.write_array(paths.make_dir(Path(scratch) / "zero") / "zero.bin",
                                 np.zeros(self.guide.inputs[0].sample_shape, self.guide.inputs[0].dtype))
        cmd, _, perf = self._dataset(model, [zero] * (rounds * batch_size), batch_size, scratch)
        pure_spec = legacy.BenchmarkPureRun(om_path=str(model), batch_size=batch_size, round=rounds,
                                            device_id=self.device)
        pure_cmd = pure_spec.args(self.frontend.prefix[0])
        res = run_tool(pure_cmd, timeout_s=self.timeout_s, env=self.env, cwd=scratch,
                       error_class=LegacyBenchmarkError)
        try:
            pure = legacy.parse_pure_infer(res.stdout)
        except ToolOutputError as exc:
            raise LegacyBenchmarkError(pure_cmd, f"benchmark exited 0 but printed no usable PureInfer "
                                                 f"summary: {exc}", 0, res.output.splitlines()[-10:]) from None
        latencies, note = round_latencies(res.stdout, rounds, batch_size, pure.latency_ms)
        extra = {"runner": "benchmark", "command": " ".join(cmd), "pure_command": " ".join(pure_cmd),
                 "interface_throughput": perf.interface_throughput, "ave_throughput": pure.throughput,
                 "warmup_note": "the legacy benchmark has no warm-up option", "data": "zero-filled samples"}
        if note:
            extra["note"] = note
        return PerfStats(batch_size, latencies, 0, self.source, extra,
                         published={INTERFACE: perf.interface_throughput, PURE_INFER: pure.throughput},
                         statistic=INTERFACE)


def round_latencies(stdout: str, rounds: int, batch_size: int, ave_latency_ms: float) -> tuple[tuple, str]:
    """Per-round batch latencies from the ``Dataset number: <i> finished cost <ms>ms`` lines.
    Those times read as per sample (DPN131 bs4: 25.4 ms beside 38.4 samples/s), so a batch
    takes ``batch x`` that; the reference leaves the per-round print uncertain, so with any
    other count of lines the one value is ``batch x ave_latency``."""
    costs = [float(ms) for _, ms in _ROUND_LINE.findall(stdout)]
    if len(costs) == rounds:
        return tuple(c * batch_size for c in costs), ""
    return (ave_latency_ms * batch_size,), (f"{len(costs)} per-round lines for -round={rounds}; one value: "
                                           "batch x ave_latency")
