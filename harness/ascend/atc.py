"""``atc``: ONNX -> ``.om``. A typed compile description, its argument list, the run,
and reading the verdict. Facts: shared/reference/ascend_tools.md section 2.

Success is judged as the reference's section 9 says: exit status 0 **and** the line
``ATC run success, welcome to the next use.``, **and** an ``.om`` on disk (``<output>.om``
or the ``<output>_<os>_<arch>.om`` variant of section 2.5). Anything else is an
``AtcError`` whose message holds the command line, the exit status and the tool's
``E.....``/``EZ....`` blocks with their indented ``Possible Cause``/``Solution`` lines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

from harness.ascend.errors import AtcError, ToolOutputError
from harness.ascend.proc import ToolResult, run_tool, tail

START_LINE = "ATC start working now, please wait for a moment."
SUCCESS_LINE = "ATC run success, welcome to the next use."
FAILED_PREFIX = "ATC run failed"
LOG_LEVELS = ("debug", "info", "warning", "error", "null")
FRAMEWORKS = {0: "Caffe", 1: "MindSpore", 3: "TensorFlow", 5: "ONNX"}

Dim = Union[int, str]  # an int, -1, or a "a~b" range


@dataclass(frozen=True)
class AtcCompile:
    """One ``atc`` conversion (mode 0). Paths may be relative to the run's cwd."""

    model: Union[str, Path]  # kept as given ("./x.onnx" stays "./x.onnx", as in the guides)
    output: Union[str, Path]  # without ".om": atc appends it
    soc_version: str
    input_shapes: tuple[tuple[str, tuple[Dim, ...]], ...] = ()
    framework: int = 5
    input_format: Optional[str] = "NCHW"
    log: Optional[str] = "error"
    fusion_switch_file: Optional[Union[str, Path]] = None
    keep_dtype: Optional[Union[str, Path]] = None
    precision_mode: Optional[str] = None
    dynamic_batch_size: tuple[int, ...] = ()
    extra: tuple[str, ...] = ()  # further "--name=value" flags, passed through verbatim

    def __post_init__(self):
        if str(self.output).endswith(".om"):
            raise ValueError(f"atc --output {self.output}: give the name without .om (atc appends it)")
        if self.log is not None and self.log not in LOG_LEVELS:
            raise ValueError(f"atc --log must be one of {LOG_LEVELS}, got {self.log!r}")
        if self.dynamic_batch_size and not any(-1 in [d for d in dims] for _, dims in self.input_shapes):
            raise ValueError("atc --dynamic_batch_size needs a -1 batch dim in --input_shape")

    def args(self, atc: str = "atc") -> list[str]:
        """The argument list, in the order the guides write their commands."""
        out = [atc, f"--framework={self.framework}", f"--model={self.model}", f"--output={self.output}"]
        if self.input_format:
            out.append(f"--input_format={self.input_format}")
        if self.input_shapes:
            out.append(f"--input_shape={format_input_shape(self.input_shapes)}")
        if self.dynamic_batch_size:
            out.append("--dynamic_batch_size=" + ",".join(str(b) for b in self.dynamic_batch_size))
        if self.log:
            out.append(f"--log={self.log}")
        out.append(f"--soc_version={self.soc_version}")
        if self.fusion_switch_file:
            out.append(f"--fusion_switch_file={self.fusion_switch_file}")
        if self.keep_dtype:
            out.append(f"--keep_dtype={self.keep_dtype}")
        if self.precision_mode:
            out.append(f"--precision_mode={self.precision_mode}")
        return out + list(self.extra)

    def identity(self) -> dict:
        """What determines the produced om, without machine-specific paths."""
        args = self.args()[1:]
        drop = ("--model=", "--output=", "--fusion_switch_file=", "--keep_dtype=")
        return {"args": [a for a in args if not a.startswith(drop)],
                "fusion_switch": _read(self.fusion_switch_file),
                "keep_dtype": _read(self.keep_dtype)}


def _read(path: Optional[Path]) -> Optional[str]:
    return Path(path).read_text() if path else None


def format_input_shape(shapes: Sequence[tuple[str, Sequence[Dim]]]) -> str:
    """``name:1,3,224,224;name2:1,512`` (one string: an argument list needs no quotes)."""
    parts = []
    for name, dims in shapes:
        if not name or ":" in name or ";" in name:
            raise ValueError(f"input name {name!r} cannot be written into --input_shape")
        parts.append(f"{name}:" + ",".join(str(d) for d in dims))
    return ";".join(parts)


def parse_input_shape(text: str) -> list[tuple[str, tuple[Dim, ...]]]:
    """Inverse of ``format_input_shape``; names may contain ':' (the last one splits)."""
    out = []
    for part in text.strip().strip('"').split(";"):
        if not part.strip():
            continue
        name, sep, dims = part.rpartition(":")
        if not sep or not name:
            raise ToolOutputError(f"--input_shape item {part!r} is not name:dims")
        parsed: list[Dim] = []
        for d in dims.split(","):
            d = d.strip()
            if re.fullmatch(r"-1|\d+", d):
                parsed.append(int(d))
            elif re.fullmatch(r"\d+~\d+", d):
                parsed.append(d)
            else:
                raise ToolOutputError(f"--input_shape {name}: bad dimension {d!r}")
        out.append((name, tuple(parsed)))
    if not out:
        raise ToolOutputError("--input_shape is empty")
    return out


# -- reading what atc printed ---------------------------------------------------------------
_CODE = re.compile(r"^(?P<code>[EW][A-Z0-9]{4,5}):\s?(?:\[PID: (?P<pid>\d+)\]\s+(?P<ts>\S+)\s+)?(?P<msg>.*)$")


@dataclass(frozen=True)
class Diagnostic:
    code: str  # "E10007", "EZ3003", "W11001"
    message: str  # first line, without the optional "[PID: n] <timestamp>" prefix
    detail: tuple[str, ...] = ()  # indented continuation lines (Possible Cause, Solution, ...)

    @property
    def is_error(self) -> bool:
        return self.code.startswith("E")

    def lines(self) -> list[str]:
        return [f"{self.code}: {self.message}"] + ["    " + d for d in self.detail]


@dataclass(frozen=True)
class AtcOutcome:
    success: bool
    started: bool  # the start line was printed (False: atc.bin did not even start)
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)
    other_errors: tuple[str, ...] = ()  # e.g. the loader's "error while loading shared libraries"

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    def error_lines(self) -> list[str]:
        out = [ln for d in self.errors for ln in d.lines()] + list(self.other_errors)
        return out


def parse_atc_output(text: str, returncode: int) -> AtcOutcome:
    """Verdict and diagnostics of one atc run (pure; tolerant of interleaved log lines)."""
    if not isinstance(text, str):
        raise ToolOutputError(f"atc output must be text, got {type(text).__name__}")
    lines = text.splitlines()
    stripped = [ln.strip() for ln in lines]
    ok_line = SUCCESS_LINE in stripped
    failed_line = any(s.startswith(FAILED_PREFIX) for s in stripped)
    if ok_line and failed_line:
        raise ToolOutputError("atc output has both the success and the failure line")
    diags: list[Diagnostic] = []
    current: Optional[list] = None
    other: list[str] = []
    for raw in lines:
        m = _CODE.match(raw.rstrip())
        if m:
            current = [m.group("code"), m.group("msg").strip(), []]
            diags.append(current)
        elif current is not None and raw[:1] in (" ", "\t") and raw.strip():
            current[2].append(raw.strip())
        else:
            current = None
            low = raw.lower()
            if raw.strip() and ("error while loading shared libraries" in low
                                or raw.startswith("[ERROR]") or "Traceback" in raw):
                other.append(raw.strip())
    return AtcOutcome(success=returncode == 0 and ok_line and not failed_line,
                      started=START_LINE in stripped,
                      diagnostics=tuple(Diagnostic(c, m, tuple(d)) for c, m, d in diags),
                      other_errors=tuple(other))


_ARCH_SUFFIX = re.compile(r"_(?P<os>[a-z]+)_(?P<arch>x86_64|aarch64|arm64)\.om$")


def find_om(output: Path) -> Optional[Path]:
    """``<output>.om``, else ``<output>_<os>_<arch>.om`` (reference 2.5)."""
    output = Path(output)
    plain = output.with_name(output.name + ".om")
    if plain.is_file():
        return plain
    if not output.parent.is_dir():
        return None
    candidates = sorted(p for p in output.parent.glob(output.name + "_*_*.om")
                        if _ARCH_SUFFIX.search(p.name[len(output.name):]))
    return candidates[0] if candidates else None


@dataclass(frozen=True)
class AtcResult:
    om: Path
    outcome: AtcOutcome
    run: ToolResult


def run_atc(compile_: AtcCompile, *, env: Optional[Mapping[str, str]], timeout_s: float,
            cwd: Optional[Path] = None, atc: str = "atc") -> AtcResult:
    """Run atc; return the produced om or raise ``AtcError`` naming command, status, cause."""
    cmd = compile_.args(atc)
    res = run_tool(cmd, timeout_s=timeout_s, env=env, cwd=cwd, check=False, error_class=AtcError)
    outcome = parse_atc_output(res.output, res.returncode)
    lines = outcome.error_lines() or tail(res.output)
    if not outcome.success:
        if res.returncode != 0:
            cause = f"atc exited with status {res.returncode}"
        else:
            cause = f"atc exited 0 but never printed {SUCCESS_LINE!r}"
        codes = [d.code for d in outcome.errors]
        if codes:
            cause += f" (error codes {', '.join(codes)})"
        elif not outcome.started:
            cause += " before starting (the toolkit environment or libraries are broken)"
        raise AtcError(cmd, cause, res.returncode, lines)
    output = compile_.output if cwd is None or Path(compile_.output).is_absolute() \
        else Path(cwd) / compile_.output
    om = find_om(output)
    if om is None:
        raise AtcError(cmd, f"atc reported success but wrote neither {output}.om nor "
                            f"{output}_<os>_<arch>.om", res.returncode, tail(res.output))
    return AtcResult(om, outcome, res)
