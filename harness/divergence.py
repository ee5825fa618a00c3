"""Where a compiled model departs from its reference: the first ONNX node, in the graph's
order (ONNX requires it topological), whose output differs beyond the compile tolerance.
The compile stage calls this only when its comparison failed, so a passing run pays nothing.

In-process backends (ONNX Runtime, CPU or CUDA): a copy of the ONNX exposing every node
output as a graph output runs twice on the failing batch, once with the candidate's session
settings (its providers and optimisation level) and once as the reference: ONNX Runtime on
CPU with graph optimisations off, so every node runs as written - the closest per-node
reference there is. Outputs are compared node by node with the stage's own rule
(|candidate - reference| <= atol + rtol * |reference|). Exposing an intermediate keeps ONNX
Runtime from fusing across it, so the candidate copy may fuse less than the candidate; a
report that finds no node says so. When the candidate agrees with the reference at every
node, the difference the stage saw lies outside the ONNX graph (for the ONNX Runtime
backend, whose reference is PyTorch: in the export).

Ascend: the node comparison needs the NPU's dumps, which ``msit debug compare`` makes. The
report gives the ready command (``-gm <onnx> -om <om> -i <inputs> -c <toolkit> -o <dir>``,
flags as msit's own documentation gives them) with the failing batch written as ``.bin``
inputs, and runs it when asked and msit is installed. Its result CSV is pointed to, not
parsed: the reference does not document its columns. The paths it is given pass the
ait/msit path checks (harness/ascend/paths.py), as those handed to ais_bench do.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from harness.ascend import paths as ascend_paths
from harness.ascend.errors import ToolError
from harness.ascend.proc import run_tool, tail

REFERENCE_SETTINGS = "ONNX Runtime CPU, graph optimisations off"


@dataclass(frozen=True)
class Divergence:
    """The first node whose output is beyond tolerance."""
    index: int  # position in the graph's node list
    nodes: int  # how many nodes the graph has
    op_type: str
    node: str
    output: str
    max_abs_diff: float
    violations: int
    size: int
    atol: float
    rtol: float

    def message(self) -> str:
        return (f"first diverging ONNX node: {self.op_type} {self.node!r} (node {self.index + 1} of "
                f"{self.nodes}), output {self.output!r}: max |diff| {self.max_abs_diff:.3g}, "
                f"{self.violations} of {self.size} values beyond atol {self.atol:g} + rtol {self.rtol:g}")


@dataclass
class NodeComparison:
    """The outcome of a node-by-node comparison: the first divergence, if any."""
    divergence: Optional[Divergence]
    compared: int  # node outputs compared
    candidate: str  # how the candidate ran
    reference: str = REFERENCE_SETTINGS
    scope: str = ""  # which samples of the batch, when not all
    not_run: str = ""  # why no comparison ran

    def message(self) -> str:
        if self.not_run:
            return f"no node-by-node comparison: {self.not_run}"
        where = (f"({self.candidate} vs {self.reference}, {self.compared} node outputs compared"
                 f"{', ' + self.scope if self.scope else ''})")
        if self.divergence is not None:
            return f"{self.divergence.message()} {where}"
        return (f"no ONNX node differs beyond tolerance {where}: the difference lies outside the "
                "ONNX graph (for ONNX Runtime against PyTorch: the export), or in a fusion the "
                "exposed intermediates prevent")


# -- in-process: every node output, two sessions ------------------------------------------------
def expose_all_outputs(model):
    """A copy of ``model`` (an ``onnx.ModelProto``) whose graph outputs include every node output."""
    import onnx

    exposed = copy.deepcopy(model)
    names = {o.name for o in exposed.graph.output}
    for node in exposed.graph.node:
        for out in node.output:
            if out and out not in names:
                exposed.graph.output.append(onnx.ValueInfoProto(name=out))
                names.add(out)
    return exposed


def run_all_outputs(model, feeds: Mapping[str, np.ndarray], providers: Sequence[str],
                    optimized: bool) -> dict[str, np.ndarray]:
    """Every graph output of ``model`` on ``feeds``, by name."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    session = ort.InferenceSession(model.SerializeToString(), so, providers=list(providers))
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, dict(feeds))))


def _beyond(candidate: np.ndarray, reference: np.ndarray, atol: float, rtol: float) -> tuple[int, float]:
    """(values beyond atol + rtol * |reference|, max |diff|); non-finite candidate values
    where the reference is finite count as beyond."""
    c, r = np.asarray(candidate, np.float64), np.asarray(reference, np.float64)
    if c.shape != r.shape:
        return max(c.size, r.size, 1), float("inf")
    if c.size == 0:
        return 0, 0.0
    diff = np.abs(c - r)
    lost = ~np.isfinite(c) & np.isfinite(r)  # NaN/Inf where the reference has a number
    bad = (diff > atol + rtol * np.abs(r)) | lost
    finite = np.isfinite(diff)
    worst = float("inf") if lost.any() else float(diff[finite].max()) if finite.any() else 0.0
    return int(bad.sum()), worst


def first_divergence(model, candidate: Mapping[str, np.ndarray], reference: Mapping[str, np.ndarray],
                     atol: float, rtol: float, candidate_label: str) -> NodeComparison:
    """Compare node outputs in graph order; the first beyond tolerance is the divergence."""
    nodes = list(model.graph.node)
    compared = 0
    for i, node in enumerate(nodes):
        for out in node.output:
            if not out or out not in candidate or out not in reference:
                continue
            compared += 1
            violations, max_diff = _beyond(candidate[out], reference[out], atol, rtol)
            if violations:
                size = int(np.asarray(reference[out]).size)
                return NodeComparison(Divergence(i, len(nodes), node.op_type, node.name or f"#{i}", out,
                                                 max_diff, violations, size, atol, rtol),
                                      compared, candidate_label)
    return NodeComparison(None, compared, candidate_label)


def compare_nodes(onnx_path: Path, feeds: Mapping[str, np.ndarray], atol: float, rtol: float,
                  providers: Sequence[str] = ("CPUExecutionProvider",), optimized: bool = True,
                  candidate_model=None) -> NodeComparison:
    """Node-by-node comparison of a candidate run of ``onnx_path`` (``candidate_model``: a
    different ``ModelProto`` with the same node outputs, e.g. a modified copy) against the
    reference run of ``onnx_path`` itself."""
    import onnx

    reference_model = onnx.load(str(onnx_path))
    label = f"ONNX Runtime {','.join(providers)}, graph optimisations {'on' if optimized else 'off'}"
    feeds, scope, not_run = fit_batch(reference_model, feeds)
    if not_run:
        return NodeComparison(None, 0, label, not_run=not_run)
    exposed = expose_all_outputs(reference_model)
    candidate_exposed = exposed if candidate_model is None else expose_all_outputs(candidate_model)
    reference = run_all_outputs(exposed, feeds, ("CPUExecutionProvider",), optimized=False)
    candidate = run_all_outputs(candidate_exposed, feeds, providers, optimized)
    found = first_divergence(reference_model, candidate, reference, atol, rtol, label)
    found.scope = scope
    return found


# Each run holds every node output at once; past this many bytes per run the batch is cut to
# the samples that fit (dynamic-batch graphs), so locating cannot exhaust the host's memory.
INTERMEDIATE_BUDGET_BYTES = 2 << 30


def intermediate_bytes(model, feeds: Mapping[str, np.ndarray]) -> int:
    """Estimated bytes of all node outputs on ``feeds`` (ONNX shape inference with the
    feeds' shapes; an output whose shape stays unknown counts zero)."""
    import onnx

    fixed = copy.deepcopy(model)
    for graph_input in fixed.graph.input:
        if graph_input.name in feeds:
            for dim, size in zip(graph_input.type.tensor_type.shape.dim, feeds[graph_input.name].shape):
                dim.Clear()
                dim.dim_value = int(size)
    inferred = onnx.shape_inference.infer_shapes(fixed)
    infos = {v.name: v.type.tensor_type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    total = 0
    for node in model.graph.node:
        for out in node.output:
            t = infos.get(out)
            if t is None or not t.HasField("shape") or not all(d.HasField("dim_value") for d in t.shape.dim):
                continue
            itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)).itemsize
            total += int(np.prod([d.dim_value for d in t.shape.dim], dtype=np.int64)) * itemsize
    return total


def fit_batch(model, feeds: Mapping[str, np.ndarray], budget: Optional[int] = None):
    """(feeds, scope, why not): the whole batch when its node outputs fit ``budget``; else
    its first samples when every input's batch dimension is dynamic; else nothing, and why."""
    budget = INTERMEDIATE_BUDGET_BYTES if budget is None else budget
    need = intermediate_bytes(model, feeds)
    if need <= budget:
        return dict(feeds), "", ""
    batch = int(next(iter(feeds.values())).shape[0])
    dynamic = all(not i.type.tensor_type.shape.dim or not i.type.tensor_type.shape.dim[0].HasField("dim_value")
                  for i in model.graph.input if i.name in feeds)
    keep = int(budget // max(1, need // max(1, batch)))
    if not dynamic or keep < 1:
        return {}, "", (f"the node outputs of this batch need ~{need / 2**30:.1f} GiB per run (budget "
                        f"{budget / 2**30:.1f} GiB) and the graph's batch is "
                        f"{'static' if not dynamic else 'one sample already'}")
    keep = min(keep, batch)
    return ({k: v[:keep] for k, v in feeds.items()}, f"first {keep} of the batch's {batch} samples "
            f"(all {batch} need ~{need / 2**30:.1f} GiB of node outputs per run)", "")


def session_settings(session) -> tuple[list[str], bool]:
    """(providers, optimised?) of an ``onnxruntime.InferenceSession`` - the candidate's settings."""
    import onnxruntime as ort

    level = session.get_session_options().graph_optimization_level
    return list(session.get_providers()), level != ort.GraphOptimizationLevel.ORT_DISABLE_ALL


# -- Ascend: msit debug compare --------------------------------------------------------------------
@dataclass
class MsitCompare:
    """The ready ``msit debug compare`` command for a failing batch, and its run if any."""
    command: list[str]
    inputs: list[Path]
    output_dir: Path
    ran: bool = False
    returncode: Optional[int] = None
    result_csvs: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the tool's last output lines
    why_not_run: str = ""

    def message(self) -> str:
        text = f"locate the diverging node with: {shlex.join(self.command)}"
        if not self.ran:
            return text + (f" ({self.why_not_run})" if self.why_not_run else "")
        status = "finished" if self.returncode == 0 else f"failed (exit code {self.returncode})"
        found = (f"; per-node results: {', '.join(map(str, self.result_csvs))}" if self.result_csvs
                 else "; it wrote no result_*.csv")
        return f"{text}; msit {status}{found}; its last lines: {' | '.join(self.lines[-4:])}"


def write_compare_inputs(feeds: Mapping[str, np.ndarray], input_names: Sequence[str], root: Path) -> list[Path]:
    """The batch as one raw ``.bin`` per model input (input order), in a folder named by the
    batch's digest, made so msit's path checks pass (harness/ascend/paths.py: folders 0750,
    files 0640 whatever the umask). Each file is written whole, then renamed into place."""
    digest = hashlib.sha256()
    for name in input_names:
        arr = np.ascontiguousarray(feeds[name])
        digest.update(f"{name}:{arr.dtype}:{arr.shape}".encode())
        digest.update(arr.tobytes())
    folder = ascend_paths.make_dir(ascend_paths.make_dir(root) / digest.hexdigest()[:16])
    files = []
    for name in input_names:
        target = folder / f"{ascend_paths.safe_stem(name, len(files))}.bin"
        if not target.is_file():
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
            os.close(fd)
            os.replace(ascend_paths.write_array(Path(tmp), feeds[name]), target)
        files.append(target)
    return files


def msit_compare_command(msit: str, onnx_path: Path, om_path: Path, inputs: Sequence[Path],
                         output_dir: Path, cann_path: Optional[Path]) -> list[str]:
    """``msit debug compare -gm <onnx> -om <om> -i <in1,in2> [-c <toolkit>] -o <dir>``."""
    cmd = [msit, "debug", "compare", "-gm", str(onnx_path), "-om", str(om_path),
           "-i", ",".join(str(p) for p in inputs)]
    if cann_path is not None:
        cmd += ["-c", str(cann_path)]
    return cmd + ["-o", str(output_dir)]


def ascend_compare(onnx_path: Path, om_path: Path, feeds: Mapping[str, np.ndarray], input_names: Sequence[str],
                   work_dir: Path, env: Mapping[str, str], cann_path: Optional[Path], run: bool,
                   timeout_s: float = 3600.0) -> MsitCompare:
    """Write the batch, build the command; run it when ``run`` and msit is on PATH. Every
    path handed to msit passes its checks: the work folder has safe characters, the ONNX and
    om are staged (hard link or copy) when theirs would be refused."""
    root = ascend_paths.safe_root(Path(work_dir))
    inputs = write_compare_inputs(feeds, input_names, root / "inputs")
    staged = root / "staged" / inputs[0].parent.name
    onnx_file, om_file = (ascend_paths.ready_file(Path(p).absolute(), staged) for p in (onnx_path, om_path))
    output_dir = root / "msit" / inputs[0].parent.name
    found = shutil.which("msit", path=env.get("PATH", ""))
    report = MsitCompare(msit_compare_command(found or "msit", onnx_file, om_file, inputs, output_dir, cann_path),
                         inputs, output_dir)
    if not run:
        report.why_not_run = "pass --ascend-compare to run it"
        return report
    if found is None:
        report.why_not_run = "--ascend-compare asked for it, but no `msit` is on PATH (pip install msit)"
        return report
    ascend_paths.make_dir(output_dir)
    try:
        res = run_tool(report.command, timeout_s=timeout_s, env=env, check=False)
    except ToolError as exc:
        report.why_not_run = str(exc).splitlines()[0]
        return report
    report.ran, report.returncode, report.lines = True, res.returncode, tail(res.output, 8)
    report.result_csvs = sorted(output_dir.rglob("result_*.csv"))
    return report


# -- the compile verdict ----------------------------------------------------------------------------
def with_report(verdict, text: str, details: dict):
    """The failing verdict with the location appended to its message and kept in its details."""
    return dataclasses.replace(verdict, message=f"{verdict.message}; {text}",
                               details={**verdict.details, "divergence": details})


def explain(verdict, *, backend_name: str, model, onnx_path: Path, feeds: Mapping[str, np.ndarray],
            input_names: Sequence[str], atol: float, rtol: float, ascend_install=None,
            run_msit: bool = False):
    """The failing compile verdict, with where the compiled model diverges: the first node
    found in process, or for Ascend the ``msit debug compare`` command (run when asked)."""
    if backend_name == "ascend":
        report = ascend_compare(onnx_path, model.path, feeds, input_names, Path(model.work_dir) / "compare",
                                ascend_install.env, ascend_install.home, run_msit, model.options.timeout_s)
        return with_report(verdict, report.message(), {
            "command": report.command, "ran": report.ran, "returncode": report.returncode,
            "result_csvs": [str(p) for p in report.result_csvs]})
    session = getattr(model, "session", None)
    if session is None:
        return with_report(verdict, f"no node-by-node comparison for backend {backend_name}: it does not "
                                    "run the ONNX", {})
    providers, optimized = session_settings(session)
    try:
        import onnx

        # The candidate runs the ONNX it was built from; usually the very file of the stage.
        ran = Path(model.path)
        candidate = None if ran.resolve() == Path(onnx_path).resolve() else onnx.load(str(ran))
        found = compare_nodes(onnx_path, feeds, atol, rtol, providers, optimized, candidate)
    except Exception as exc:  # locating must never replace the failure it explains
        return with_report(verdict, f"the node-by-node comparison could not run: {type(exc).__name__}: {exc}", {})
    return with_report(verdict, found.message(), dataclasses.asdict(found))
