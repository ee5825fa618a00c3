"""Parsers for what ``ais_bench`` (and ``ais_infer`` before it) reports about timing: the
printed Performance Summary in every format the reference lists (section 3.5, transcripts
8.3-8.8) and the summary JSON (section 3.4; the Sep 2022 ``sumary.json`` too).

All functions are pure. They raise ``AisBenchOutputError`` (a ``ValueError``) when the text
holds no summary, when a statistics line is malformed, or when the numbers contradict each
other (min > max, a throughput line whose mean differs from the NPU_compute_time line,
a throughput that is not 1000 x batch / mean): a transcript is never turned into a
plausible wrong number.
"""
from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass, field
from typing import Optional

from harness.ascend.errors import ToolOutputError


class AisBenchOutputError(ToolOutputError):
    pass


NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf"
STAT_KEYS = ("min", "max", "mean", "median", "percentile(99%)")
BANNER = "-----------------Performance Summary------------------"
_STAT_LINE = re.compile(
    r"(?P<name>H2D_latency|NPU_compute_time|D2H_latency) \(ms\): (?P<body>.*)$")
_FULL_BODY = re.compile(
    rf"^min = (?P<min>{NUM}), max = (?P<max>{NUM}), mean = (?P<mean>{NUM}), "
    rf"median = (?P<median>{NUM}), percentile\(99%\) = (?P<p99>{NUM})\s*$")
_MEAN_BODY = re.compile(rf"^mean = (?P<mean>{NUM})\s*$")
# reference 3.5's regex, anchored on the word "throughput" and the trailing number.
_THROUGHPUT = re.compile(
    r"throughput\s*\(?1000\*batchsize(?:\.mean)?\(?(?P<bs>[\d.]*)\)?/NPU_compute_time"
    rf"(?:\.mean\((?P<mean>{NUM})\))?\)?:\s*(?P<value>{NUM})\s*$")


@dataclass(frozen=True)
class LatencyStats:
    """One ``<name> (ms)`` line: all five statistics, or only ``mean`` (multi-thread form)."""

    mean: float
    min: Optional[float] = None
    max: Optional[float] = None
    median: Optional[float] = None
    p99: Optional[float] = None
    count: Optional[int] = None

    def check(self, what: str) -> "LatencyStats":
        vals = [v for v in (self.mean, self.min, self.max, self.median, self.p99) if v is not None]
        if any(not math.isfinite(v) or v < 0 for v in vals):
            raise AisBenchOutputError(f"{what}: non-finite or negative latency in {vals}")
        if self.min is not None and self.max is not None:
            eps = 1e-9 * max(1.0, abs(self.max))
            for label, v in (("mean", self.mean), ("median", self.median), ("p99", self.p99)):
                if v is not None and not (self.min - eps <= v <= self.max + eps):
                    raise AisBenchOutputError(f"{what}: {label} {v} outside [min {self.min}, max {self.max}]")
        if self.count is not None and self.count < 0:
            raise AisBenchOutputError(f"{what}: negative count {self.count}")
        return self


@dataclass(frozen=True)
class PerformanceSummary:
    npu_compute_time: LatencyStats
    throughput: float
    batch_size: Optional[float] = None  # as printed in the throughput line; None in mid-2022 form
    h2d: Optional[LatencyStats] = None
    d2h: Optional[LatencyStats] = None
    form: str = ""  # "2023+", "late-2022", "mid-2022"


def _f(text: str, what: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise AisBenchOutputError(f"{what}: {text!r} is not a number") from None


def _stats_from_body(name: str, body: str) -> LatencyStats:
    m = _FULL_BODY.match(body.strip())
    if m:
        return LatencyStats(mean=_f(m["mean"], name), min=_f(m["min"], name), max=_f(m["max"], name),
                            median=_f(m["median"], name), p99=_f(m["p99"], name)).check(name)
    m = _MEAN_BODY.match(body.strip())
    if m:
        return LatencyStats(mean=_f(m["mean"], name)).check(name)
    raise AisBenchOutputError(f"{name} line not in a known format: {body.strip()!r}")


def _strip_prefix(line: str) -> str:
    line = line.strip()
    return line[len("[INFO]"):].strip() if line.startswith("[INFO]") else line


def _blocks(text: str) -> list[list[str]]:
    """Split the text into summary blocks: each starts at an NPU_compute_time or H2D line
    (after a banner, or alone in the oldest transcripts) and ends after its throughput line."""
    blocks, current = [], None
    for raw in text.splitlines():
        line = _strip_prefix(raw)
        if not line:
            continue
        if BANNER in line and "dyshape_range" not in line:
            current = []
            blocks.append(current)
            continue
        if _STAT_LINE.match(line) or line.startswith("throughput"):
            if current is None:
                current = []
                blocks.append(current)
            current.append(line)
            if line.startswith("throughput"):
                current = None
    return [b for b in blocks if b]


def _parse_block(lines: list[str]) -> PerformanceSummary:
    stats: dict[str, LatencyStats] = {}
    throughput_line = None
    for line in lines:
        m = _STAT_LINE.match(line)
        if m:
            if m["name"] in stats:
                raise AisBenchOutputError(f"two {m['name']} lines in one Performance Summary")
            stats[m["name"]] = _stats_from_body(m["name"], m["body"])
        elif line.startswith("throughput"):
            throughput_line = line
    if "NPU_compute_time" not in stats:
        raise AisBenchOutputError("Performance Summary without an NPU_compute_time (ms) line")
    if throughput_line is None:
        raise AisBenchOutputError("Performance Summary without a throughput line")
    t = _THROUGHPUT.search(throughput_line)
    if not t:
        raise AisBenchOutputError(f"throughput line not in a known format: {throughput_line!r}")
    npu = stats["NPU_compute_time"]
    value = _f(t["value"], "throughput")
    bs = _f(t["bs"], "batchsize") if t["bs"] else None
    if not math.isfinite(value) or value < 0:
        raise AisBenchOutputError(f"throughput {value} is not a finite non-negative number")
    if t["mean"] is not None and not math.isclose(_f(t["mean"], "mean"), npu.mean, rel_tol=1e-9, abs_tol=1e-12):
        raise AisBenchOutputError(f"throughput line's mean {t['mean']} differs from NPU_compute_time "
                                  f"mean {npu.mean}")
    if bs is not None and npu.mean > 0 and not math.isclose(value, 1000.0 * bs / npu.mean, rel_tol=1e-6):
        raise AisBenchOutputError(f"throughput {value} is not 1000*{bs}/{npu.mean}")
    form = ("mid-2022" if "(1000*batchsize/" in throughput_line.replace(" ", "")
            else "2023+" if "batchsize.mean(" in throughput_line else "late-2022")
    return PerformanceSummary(npu, value, bs, stats.get("H2D_latency"), stats.get("D2H_latency"), form)


def parse_performance_summaries(text: str) -> list[PerformanceSummary]:
    """Every Performance Summary block in ``text`` (several for a multi-device run)."""
    if not isinstance(text, str):
        raise AisBenchOutputError(f"expected text, got {type(text).__name__}")
    blocks = _blocks(text)
    if not blocks:
        raise AisBenchOutputError("no ais_bench Performance Summary (no NPU_compute_time/throughput "
                                  "lines) in the output")
    return [_parse_block(b) for b in blocks]


def parse_performance_summary(text: str) -> PerformanceSummary:
    """The one Performance Summary of a single-device run."""
    found = parse_performance_summaries(text)
    if len(found) != 1:
        raise AisBenchOutputError(f"expected one Performance Summary, found {len(found)} "
                                  "(a multi-device run: use parse_performance_summaries)")
    return found[0]


_DEVICE_LINE = re.compile(rf"i:(?P<i>\d+)\s+device_(?P<dev>\d+)\s+throughput:(?P<tp>{NUM})\s+"
                          rf"start_time:(?P<start>{NUM})\s+end_time:(?P<end>{NUM})")
_SUMMARY_TP = re.compile(rf"summary throughput:(?P<tp>{NUM})\s*$")


def parse_multidevice(text: str) -> tuple[dict[int, float], Optional[float]]:
    """Multi-device end lines: {device: throughput}, and the printed summary throughput."""
    per_device: dict[int, float] = {}
    total = None
    for raw in text.splitlines():
        m = _DEVICE_LINE.search(raw)
        if m:
            per_device[int(m["dev"])] = _f(m["tp"], "device throughput")
        m = _SUMMARY_TP.search(raw)
        if m:
            total = _f(m["tp"], "summary throughput")
    if not per_device:
        raise AisBenchOutputError("no 'i:<n> device_<id> throughput:' lines in the output")
    return per_device, total


# -- summary JSON -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SummaryJson:
    npu_compute_time: LatencyStats
    throughput: float
    npu_compute_time_list: tuple[float, ...] = ()
    h2d: Optional[LatencyStats] = None
    d2h: Optional[LatencyStats] = None
    filesinfo: dict = field(default_factory=dict)  # sample id -> {"infiles": [...], "outfiles": [...]}
    args: tuple[str, ...] = ()


def _stats_from_dict(d, what: str) -> LatencyStats:
    if not isinstance(d, dict) or "mean" not in d:
        raise AisBenchOutputError(f"summary {what} is not a statistics object with a mean")
    def num(key):
        v = d.get(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise AisBenchOutputError(f"summary {what}.{key} is {v!r}, not a number")
        return float(v)
    count = d.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise AisBenchOutputError(f"summary {what}.count is {count!r}, not an integer")
    return LatencyStats(num("mean"), num("min"), num("max"), num("median"), num("percentile(99%)"),
                        count).check(f"summary {what}")


def parse_summary_json(text: str) -> SummaryJson:
    """``<output>/<subdir>_summary.json`` (2023+) or ``sumary.json`` (Sep 2022). The printed
    ``sumary:{...}`` form (a Python dict repr) is accepted too."""
    if not isinstance(text, str):
        raise AisBenchOutputError(f"expected text, got {type(text).__name__}")
    body = text.strip()
    if body.startswith(("sumary:", "summary:")):
        body = body.split(":", 1)[1].strip()
    try:
        data = json.loads(body)
    except ValueError:
        try:
            data = ast.literal_eval(body)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise AisBenchOutputError("summary is neither JSON nor a printed dict") from None
    if not isinstance(data, dict):
        raise AisBenchOutputError("summary JSON is not an object")
    npu = _stats_from_dict(data.get("NPU_compute_time"), "NPU_compute_time")
    tp = data.get("throughput")
    if isinstance(tp, bool) or not isinstance(tp, (int, float)) or not math.isfinite(tp) or tp < 0:
        raise AisBenchOutputError(f"summary throughput is {tp!r}, not a finite non-negative number")
    raw_list = data.get("npu_compute_time_list", [])
    if not isinstance(raw_list, list) or any(isinstance(v, bool) or not isinstance(v, (int, float))
                                             for v in raw_list):
        raise AisBenchOutputError("summary npu_compute_time_list is not a list of numbers")
    times = tuple(float(v) for v in raw_list)
    if any(not math.isfinite(v) or v < 0 for v in times):
        raise AisBenchOutputError("summary npu_compute_time_list has non-finite or negative values")
    if times and npu.count is not None and npu.count != len(times):
        raise AisBenchOutputError(f"summary NPU_compute_time.count {npu.count} != "
                                  f"{len(times)} entries in npu_compute_time_list")
    if times and not math.isclose(sum(times) / len(times), npu.mean, rel_tol=1e-6, abs_tol=1e-9):
        raise AisBenchOutputError("summary npu_compute_time_list does not average to NPU_compute_time.mean")
    filesinfo = data.get("filesinfo", {})
    if not isinstance(filesinfo, dict):
        raise AisBenchOutputError("summary filesinfo is not an object")
    args = data.get("args", [])
    return SummaryJson(npu, float(tp), times,
                       _stats_from_dict(data["H2D_latency"], "H2D_latency") if isinstance(data.get("H2D_latency"), dict) else None,
                       _stats_from_dict(data["D2H_latency"], "D2H_latency") if isinstance(data.get("D2H_latency"), dict) else None,
                       filesinfo, tuple(str(a) for a in args) if isinstance(args, list) else ())


# -- other informative lines ----------------------------------------------------------------------
_FILES_PER_BATCH = re.compile(r"get filesperbatch files0 size:(?P<fsize>\d+) tensor0size:(?P<tsize>\d+) "
                              r"filesperbatch:(?P<k>\d+) runcount:(?P<runs>\d+)")


@dataclass(frozen=True)
class FilesPerBatch:
    file_bytes: int
    tensor_bytes: int
    files_per_batch: int
    runcount: int


def parse_files_per_batch(text: str) -> Optional[FilesPerBatch]:
    """The ``get filesperbatch ...`` INFO line (absent in pure inference)."""
    m = _FILES_PER_BATCH.search(text)
    if not m:
        return None
    v = FilesPerBatch(int(m["fsize"]), int(m["tsize"]), int(m["k"]), int(m["runs"]))
    if v.file_bytes <= 0 or v.files_per_batch <= 0 or v.file_bytes * v.files_per_batch != v.tensor_bytes:
        raise AisBenchOutputError(f"inconsistent filesperbatch line: {m.group(0)!r}")
    return v


def output_path_line(text: str) -> Optional[str]:
    """The folder of ``[INFO] output path:<dir>`` (the last one printed)."""
    found = re.findall(r"output path:\s*(\S.*?)\s*$", text, flags=re.M)
    return found[-1] if found else None


def error_lines(text: str) -> list[str]:
    """The tool's own error lines: ``[ERROR] ...``, ``EL003:``-style blocks, and the last
    line of a Python traceback."""
    out, lines = [], text.splitlines()
    for i, raw in enumerate(lines):
        s = raw.strip()
        if s.startswith("[ERROR]") or re.match(r"^E[A-Z0-9]{4,5}:", s) or s.startswith("SetDevice failed"):
            out.append(s)
        elif re.match(r"^\w*(Error|Exception):", s) and any("Traceback" in ln for ln in lines[:i]):
            out.append(s)
    return out
