"""``ais_bench``: building its command lines, running it, finding what it wrote, and
mapping output files back to input samples. Facts: shared/reference/ascend_tools.md
section 3 (options 3.2, batching and padding 3.3, output layout 3.4, exit status 3.6).

The tool is invoked the way its users invoke it, ``python3 -m ais_bench ...``; the
interpreter is configurable (``SUITE_ASCEND_PYTHON``) because the wheels may live in a
virtual environment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from harness.ascend.ais_bench_summary import (
    AisBenchOutputError, PerformanceSummary, SummaryJson, error_lines, parse_performance_summary,
    parse_summary_json,
)
from harness.ascend.errors import AisBenchError
from harness.ascend.proc import ToolResult, run_tool

OUTFMTS = ("BIN", "NPY", "TXT")
TIMESTAMP_DIR = re.compile(r"^\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2}$")


@dataclass(frozen=True)
class AisBenchRun:
    """One ``python3 -m ais_bench`` invocation.

    inputs: files or folders; several are joined with commas (folders: one per model input,
    in model input order). No inputs = pure inference on fake data (throughput).
    """

    model: Union[str, Path]  # paths are kept as given ("./" stays "./", as in the guides)
    inputs: tuple[Union[str, Path], ...] = ()
    output: Optional[Union[str, Path]] = None
    output_dirname: Optional[str] = None
    outfmt: Optional[str] = None
    batchsize: Optional[int] = None
    device: Optional[int] = None
    loop: Optional[int] = None
    warmup_count: Optional[int] = None
    display_all_summary: bool = False
    extra: tuple[str, ...] = ()

    def __post_init__(self):
        if self.output_dirname is not None:
            if self.output is None:
                raise ValueError("ais_bench --output_dirname can only be used with --output")
            if Path(self.output_dirname).is_absolute() or "/" in self.output_dirname:
                raise ValueError(f"ais_bench --output_dirname must be a plain name, got {self.output_dirname!r}")
        if self.outfmt is not None and self.outfmt not in OUTFMTS:
            raise ValueError(f"ais_bench --outfmt must be one of {OUTFMTS}, got {self.outfmt!r}")
        for name in ("loop", "batchsize"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"ais_bench --{name} must be >= 1, got {v}")
        if self.warmup_count is not None and self.warmup_count < 0:
            raise ValueError(f"ais_bench --warmup_count must be >= 0, got {self.warmup_count}")
        if any("," in str(p) for p in self.inputs):
            raise ValueError("ais_bench --input paths cannot contain ',' (it separates inputs)")

    def args(self, python: str = "python3", frontend=None) -> list[str]:
        """The argument list; ``frontend`` (``harness.ascend.runners.Frontend``) gives the
        program words and the model option of msit or ais_infer (default ``python3 -m
        ais_bench --model``)."""
        prefix = list(frontend.prefix) if frontend is not None else [python, "-m", "ais_bench"]
        out = prefix + [frontend.model_flag if frontend is not None else "--model", str(self.model)]
        if self.inputs:
            out += ["--input", ",".join(str(p) for p in self.inputs)]
        if self.output is not None:
            out += ["--output", str(self.output)]
        if self.output_dirname is not None:
            out += ["--output_dirname", self.output_dirname]
        if self.outfmt is not None:
            out += ["--outfmt", self.outfmt]
        if self.loop is not None:
            out += ["--loop", str(self.loop)]
        if self.warmup_count is not None:
            out += ["--warmup_count", str(self.warmup_count)]
        if self.batchsize is not None:
            out += ["--batchsize", str(self.batchsize)]
        if self.device is not None:
            out += ["--device", str(self.device)]
        if self.display_all_summary:
            out += ["--display_all_summary", "1"]
        return out + list(self.extra)


# -- where the results are ------------------------------------------------------------------
def find_result_dir(output: Path, output_dirname: Optional[str] = None,
                    before: Sequence[str] = (), stdout: str = "") -> Path:
    """The sub-folder a run wrote into: ``--output_dirname``, else the one new
    ``YYYY_MM_DD-HH_MM_SS`` folder (``before`` lists the folders that existed already)."""
    output = Path(output)
    if output_dirname:
        folder = output / output_dirname
        if not folder.is_dir():
            raise AisBenchOutputError(f"ais_bench output folder {folder} does not exist")
        return folder
    new = sorted(p for p in output.iterdir() if p.is_dir() and TIMESTAMP_DIR.match(p.name)
                 and p.name not in set(before)) if output.is_dir() else []
    if len(new) == 1:
        return new[0]
    printed = re.findall(r"output path:\s*(\S+)", stdout)
    if printed and Path(printed[-1]).is_dir():
        return Path(printed[-1])
    raise AisBenchOutputError(f"expected one new timestamped folder under {output}, found "
                              f"{[p.name for p in new] or 'none'}")


def summary_json_path(result_dir: Path) -> Optional[Path]:
    """``<output>/<subdir>_summary.json`` (2023+), or ``<subdir>/sumary.json`` (Sep 2022)."""
    for p in (result_dir.with_name(result_dir.name + "_summary.json"), result_dir / "sumary.json"):
        if p.is_file():
            return p
    return None


def output_file_name(input_file: str | Path, index: int, outfmt: str = "BIN") -> str:
    """``<input basename cut at the first '.'>_<output index>.<fmt>`` (reference 3.4)."""
    stem = Path(input_file).name.split(".", 1)[0]
    return f"{stem}_{index}.{outfmt.lower()}"


_ais_output_file_name = output_file_name


def read_sample_outputs(result_dir: Path, first_input_files: Mapping[str, str], specs,
                        outfmt: str = "BIN", name_of=None) -> dict[str, list[np.ndarray]]:
    """Per-sample outputs from the files ais_bench wrote.

    ``first_input_files``: sample id -> the file name it had in the first input folder.
    ``name_of(input file, output index, outfmt)`` names an output (default ais_bench's
    ``output_file_name``; the legacy benchmark numbers outputs from 1).
    Fewer outputs than inputs is an error naming the missing samples; a file of the wrong
    size is an error naming the file (and whether it is truncated).
    """
    output_file_name = name_of or _ais_output_file_name
    if outfmt != "BIN":
        raise ValueError("only BIN outputs are read back (TXT loses precision, as the guides' six decimals)")
    names: dict[str, str] = {}
    for sid, fname in first_input_files.items():
        for k in range(len(specs)):
            out = output_file_name(fname, k, outfmt)
            if out in names:
                raise AisBenchOutputError(f"samples {names[out]!r} and {sid!r} both map to output {out} "
                                          "(ais_bench cuts file names at the first '.')")
            names[out] = sid
    missing = sorted({sid for out, sid in names.items() if not (result_dir / out).is_file()})
    if missing:
        present = len(list(result_dir.glob(f"*.{outfmt.lower()}")))
        raise AisBenchOutputError(
            f"{result_dir}: fewer outputs than inputs - {len(missing)} of {len(first_input_files)} "
            f"samples have no output file (e.g. {missing[:5]}; {present} output files present)")
    result: dict[str, list[np.ndarray]] = {}
    for sid, fname in first_input_files.items():
        arrays = []
        for k, spec in enumerate(specs):
            path = result_dir / output_file_name(fname, k, outfmt)
            expected = spec.sample_bytes
            size = path.stat().st_size
            if size != expected:
                how = "truncated" if size < expected else "too large"
                raise AisBenchOutputError(f"{path}: {size} bytes, expected {expected} "
                                          f"({spec.dtype} {spec.sample_shape}) - {how}")
            arrays.append(np.fromfile(path, dtype=spec.dtype).reshape(spec.sample_shape))
        result[sid] = arrays
    return result


# -- running it ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AisBenchResult:
    run: ToolResult
    result_dir: Optional[Path]
    performance: PerformanceSummary
    summary: Optional[SummaryJson]


def run_ais_bench(spec: AisBenchRun, *, env: Optional[Mapping[str, str]], timeout_s: float,
                  python: str = "python3", cwd: Optional[Path] = None, frontend=None) -> AisBenchResult:
    """Run ais_bench (or the msit / ais_infer ``frontend``); failures (status, timeout, no
    summary, unreadable summary JSON) raise ``AisBenchError`` naming the command and the cause."""
    out_root = None
    if spec.output is not None:
        out_root = Path(spec.output) if cwd is None else Path(cwd) / spec.output
    before = [p.name for p in out_root.iterdir()] if out_root and out_root.is_dir() else []
    cmd = spec.args(python, frontend)
    res = run_tool(cmd, timeout_s=timeout_s, env=env, cwd=cwd, error_class=AisBenchError,
                   error_lines=error_lines)
    try:
        perf = parse_performance_summary(res.stdout)
    except AisBenchOutputError as exc:
        raise AisBenchError(cmd, f"ais_bench exited 0 but its output is unusable: {exc}", 0,
                            error_lines(res.output) or res.output.splitlines()[-10:]) from None
    result_dir, summary = None, None
    if spec.output is not None:
        try:
            result_dir = find_result_dir(out_root, spec.output_dirname, before, res.stdout)
            path = summary_json_path(result_dir)
            summary = parse_summary_json(path.read_text()) if path else None
        except (AisBenchOutputError, OSError) as exc:
            raise AisBenchError(cmd, f"ais_bench's result files are unusable: {exc}", 0,
                                error_lines(res.output)) from None
    return AisBenchResult(res, result_dir, perf, summary)
