"""The legacy ``benchmark.x86_64`` / ``benchmark.aarch64`` (CANN 20.x-5.x era) that older
guides (DPN131's among them) use: dataset info files, command lines, the
``result/dumpOutput_device{N}`` outputs (output index from 1) and the perf files.
Facts: shared/reference/ascend_tools.md section 4 and transcript 8.10.

Command builders and pure parsers; ``harness.ascend.legacy_runner`` runs the tool with
them when a guide's runner is the legacy benchmark.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from harness.ascend.errors import ToolOutputError
from harness.chips import card_throughput

MODEL_TYPES = ("vision", "nmt", "widedeep", "nlp", "yolocaffe", "bert", "deepfm")


class LegacyBenchmarkOutputError(ToolOutputError):
    pass


def program_name(arch: str) -> str:
    if arch not in ("x86_64", "aarch64"):
        raise ValueError(f"benchmark ships for x86_64 and aarch64, not {arch!r}")
    return f"./benchmark.{arch}"


# -- info files ------------------------------------------------------------------------------
def info_lines(files: Sequence[str | Path], width: int, height: int) -> str:
    """``<index> <path> <width> <height>`` per sample (get_info.py, bin mode: width first)."""
    out = []
    for i, f in enumerate(files):
        if " " in str(f):
            raise ValueError(f"benchmark info files are space-separated; path has a space: {f}")
        out.append(f"{i} {f} {width} {height}")
    return "\n".join(out) + ("\n" if out else "")


def parse_info(text: str) -> list[tuple[int, str, int, int]]:
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or not (parts[0].isdigit() and parts[2].isdigit() and parts[3].isdigit()):
            raise LegacyBenchmarkOutputError(f"info line {n} is not '<index> <path> <width> <height>': {line!r}")
        rows.append((int(parts[0]), parts[1], int(parts[2]), int(parts[3])))
    return rows


# -- commands --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkDatasetRun:
    om_path: str
    input_text_path: str
    batch_size: int
    input_width: int
    input_height: int
    device_id: int = 0
    model_type: str = "vision"
    output_binary: bool = False
    use_dvpp: bool = False

    def args(self, program: str = "./benchmark.x86_64") -> list[str]:
        if self.model_type not in MODEL_TYPES:
            raise ValueError(f"-model_type must be one of {MODEL_TYPES}")
        return [program, f"-model_type={self.model_type}", f"-device_id={self.device_id}",
                f"-batch_size={self.batch_size}", f"-om_path={self.om_path}",
                f"-input_text_path={self.input_text_path}", f"-input_width={self.input_width}",
                f"-input_height={self.input_height}", f"-output_binary={self.output_binary}",
                f"-useDvpp={self.use_dvpp}"]


@dataclass(frozen=True)
class BenchmarkPureRun:
    om_path: str
    batch_size: int
    round: int = 20
    device_id: int = 0

    def args(self, program: str = "./benchmark.x86_64") -> list[str]:
        if not 0 < self.round <= 1024:
            raise ValueError(f"-round must be in 1..1024, got {self.round}")
        return [program, f"-round={self.round}", f"-om_path={self.om_path}",
                f"-device_id={self.device_id}", f"-batch_size={self.batch_size}"]


# -- outputs and perf files ------------------------------------------------------------------
def dump_dir(result_root: Path, device_id: int) -> Path:
    return Path(result_root) / f"dumpOutput_device{device_id}"


def output_file(result_root: Path, device_id: int, input_file: str | Path, output_index: int,
                binary: bool = True) -> Path:
    """``dumpOutput_device{N}/<input stem>_<k>.bin|txt``, k = 1 for the first output."""
    if output_index < 1:
        raise ValueError("benchmark numbers outputs from 1 (_1 = first output)")
    return dump_dir(result_root, device_id) / f"{Path(input_file).stem}_{output_index}.{'bin' if binary else 'txt'}"


def perf_file(result_root: Path, model_type: str, batch_size: int, device_id: int) -> Path:
    return Path(result_root) / f"perf_{model_type}_batchsize_{batch_size}_device_{device_id}.txt"


def pure_infer_file(result_root: Path, om_path: str | Path, device_id: int) -> Path:
    return Path(result_root) / f"PureInfer_perf_of_{Path(om_path).stem}_in_device_{device_id}.txt"


_NUM = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
# Any run of blanks may follow a colon or comma: real perf files pad fields (the ModelZoo
# ICNet README has ~100 spaces after "moduleLatency:"), and a padded field with no value
# still leaves the line's Interface throughputRate readable.
_INFER = re.compile(rf"^\[(?:infer|inference)\]\s+throughputRate:\s*({_NUM}),\s*Interface throughputRate:\s*"
                    rf"({_NUM}),\s*moduleLatency:\s*({_NUM})?\s*$")
_E2E = re.compile(rf"^\[e2e\]\s+throughputRate:\s*({_NUM}),\s*latency:\s*({_NUM})\s*$")
_PURE = re.compile(rf"ave_throughputRate\s*[:=]\s*({_NUM})samples/s, ave_latency\s*[:=]\s*({_NUM})ms")


@dataclass(frozen=True)
class DatasetPerf:
    interface_throughput: float  # the metric of record (samples/s, one device)
    infer_throughput: float
    module_latency_ms: Optional[float]  # None when the file leaves the field blank
    e2e_throughput: Optional[float]
    e2e_latency_ms: Optional[float]

    def card_throughput(self, chip: str) -> float:
        """Per card as the guides report it (x4 on Ascend310, reference 4.5)."""
        return card_throughput(chip, self.interface_throughput)


def _num(text: str, what: str) -> float:
    v = float(text)
    if v < 0:
        raise LegacyBenchmarkOutputError(f"{what} is negative: {text}")
    return v


def parse_dataset_perf(text: str) -> DatasetPerf:
    """A dataset-mode perf file or stdout summary (``[infer]``/``[inference]`` generations)."""
    infer = e2e = None
    for raw in str(text).splitlines():
        line = raw.strip()
        m = _INFER.match(line)
        if m:
            if infer is not None:
                raise LegacyBenchmarkOutputError("two [infer] lines in one perf file")
            infer = m
        m = _E2E.match(line)
        if m:
            e2e = m
    if infer is None:
        raise LegacyBenchmarkOutputError("no '[infer]/[inference] throughputRate: ..., Interface "
                                         "throughputRate: ..., moduleLatency: ...' line")
    return DatasetPerf(_num(infer.group(2), "Interface throughputRate"), _num(infer.group(1), "throughputRate"),
                       _num(infer.group(3), "moduleLatency") if infer.group(3) else None,
                       _num(e2e.group(1), "e2e throughputRate") if e2e else None,
                       _num(e2e.group(2), "e2e latency") if e2e else None)


@dataclass(frozen=True)
class PureInferPerf:
    throughput: float  # ave_throughputRate, samples/s, one device
    latency_ms: float

    def card_throughput(self, chip: str) -> float:
        return card_throughput(chip, self.throughput)


def parse_pure_infer(text: str) -> PureInferPerf:
    """PureInfer summary: stdout (``ave_throughputRate: X samples/s``) or file (``=``) form."""
    found = _PURE.findall(str(text))
    if len(found) != 1:
        raise LegacyBenchmarkOutputError(f"expected one ave_throughputRate/ave_latency line, found {len(found)}")
    tp, lat = (_num(v, "PureInfer value") for v in found[0])
    if tp == 0 or lat == 0:
        raise LegacyBenchmarkOutputError("PureInfer reports zero throughput or latency")
    return PureInferPerf(tp, lat)
