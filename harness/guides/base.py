"""The guide record: everything that differs between two model guides, as typed data.

A guide (one Ascend ModelZoo README plus its scripts) is described once, here, as a frozen
record. The stage tests in ``tests/conformance`` are written once against this record, so a
new guide costs one module in ``harness/guides`` (plus its model, dataset reader,
preprocessing and metric where those are new), not a copy of the tests.

Records are validated when they are built (``Guide.__post_init__``): a guide with a
reference whose direction is unknown, an input without a batch axis, or a floor for a batch
size the guide does not run fails at import time with a message naming the field.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

ALL_BATCH_SIZES = (1, 4, 8, 16, 32, 64)


from harness.guides.performance import (  # noqa: E402,F401  (re-exported: guide modules import them from here)
    AcceptanceRule, GateSettings, ThroughputFloor, floor_table,
)


class GuideError(ValueError):
    """A guide record is inconsistent (raised at import time, names the guide and field)."""


@dataclass(frozen=True)
class Source:
    """Where a number comes from: the guide (seed file) and the table or section."""

    document: str
    section: str

    def __str__(self) -> str:
        return f"{self.document}, {self.section}"


@dataclass(frozen=True)
class Gap:
    """A value the guide importer (``harness.guides.importer``) could not read from the
    guide: it names what is missing and where to look. A record holding one anywhere fails
    validation, so a draft cannot run until a reviewer has filled every gap."""

    what: str

    def __str__(self) -> str:
        return f"Gap({self.what!r})"


def find_gaps(value: Any, where: str = "") -> list[str]:
    """Every ``Gap`` inside ``value`` (dataclass fields, tuples, lists, mappings), by path."""
    if isinstance(value, Gap):
        return [f"{where or 'value'}: {value.what}"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [g for f in dataclasses.fields(value)
                for g in find_gaps(getattr(value, f.name), f"{where}.{f.name}" if where else f.name)]
    if isinstance(value, (tuple, list)):
        return [g for i, item in enumerate(value) for g in find_gaps(item, f"{where}[{i}]")]
    if isinstance(value, Mapping):
        return [g for k, item in value.items() for g in find_gaps(item, f"{where}[{k!r}]")]
    return []


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output. ``shape`` uses ``"B"`` for the batch axis."""

    name: str
    shape: tuple[Any, ...]
    dtype: str = "float32"
    layout: str = "NCHW"

    def __post_init__(self):
        if "B" not in self.shape:
            raise GuideError(f"tensor {self.name!r}: shape {self.shape} has no batch axis 'B'")

    def concrete(self, batch_size: int) -> tuple[int, ...]:
        return tuple(batch_size if d == "B" else int(d) for d in self.shape)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample (the batch axis removed)."""
        return tuple(int(d) for d in self.shape if d != "B")

    @property
    def sample_bytes(self) -> int:
        import numpy as np

        return int(np.prod(self.sample_shape)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class CheckpointSpec:
    """The upstream checkpoint: its file name under ``--weights-root`` and its checksum.

    ``loader`` turns the file into the state_dict the model factory expects; it must use
    ``torch.load(..., weights_only=True)`` (see ``harness.checkpoints``).
    """

    file_name: str
    md5: Optional[str] = None
    sha256: Optional[str] = None
    url: str = ""
    loader: Optional[Callable[[Path], Mapping[str, Any]]] = None
    note: str = ""
    # Sizes only the checkpoint knows (e.g. PAMTRI's number of training ids): called with
    # the freshly built model and the loaded state_dict before strict loading; it may
    # resize heads to the checkpoint's shapes, never rename or drop keys.
    fit_model: Optional[Callable[[Any, Mapping[str, Any]], None]] = None
    # Files the loader also reads from the checkpoint's folder (DG-Net: the appearance
    # encoder's id_00100000.pt beside gen_00100000.pt): the real tier needs them too, and
    # they are part of the weights' digest.
    companion_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuxiliaryFile:
    """A file besides the checkpoint that a guide's metric needs under ``--weights-root``
    (e.g. the Inception weights FID uses). Verified by checksum where it is used."""

    file_name: str
    purpose: str
    sha256: Optional[str] = None
    md5: Optional[str] = None
    url: str = ""


@dataclass(frozen=True)
class ExportSettings:
    """How the guide's pth2onnx script calls ``torch.onnx.export``."""

    opset: int
    dynamic_batch: bool
    # The symbolic name the guide gives the batch axis (DPN131 literally uses "-1").
    batch_axis_name: str = "bs"
    dummy: str = "randn"  # "randn" or "zeros": what the guide feeds the tracer
    simplify: bool = False  # the guide runs onnx-simplifier afterwards
    # Export parity tolerance: ONNX Runtime vs PyTorch on the same input.
    atol: float = 1e-4
    rtol: float = 1e-3


@dataclass(frozen=True)
class AtcSettings:
    """The guide's extra ``atc`` flags (the common ones are derived from inputs)."""

    input_format: str = "NCHW"
    log: str = "error"
    fusion_switch: Optional[str] = None  # file contents; written next to the model
    keep_dtype: Optional[str] = None  # file contents
    precision_mode: Optional[str] = None
    extra: tuple[str, ...] = ()
    # Compile parity: compiled model vs ONNX Runtime (fp16 on the NPU, hence loose).
    atol: float = 5e-2
    rtol: float = 5e-2


@dataclass(frozen=True)
class Reference:
    """A published accuracy number and how the suite judges against it.

    direction: "higher" (value >= target - tolerance), "lower" (value <= target +
    tolerance) or "window" (|value - target| <= tolerance). Tolerance is absolute in the
    metric's unit unless ``relative`` is set.
    """

    metric: str
    value: float
    direction: str
    tolerance: float
    source: Source
    relative: bool = False
    note: str = ""

    def __post_init__(self):
        if self.direction not in ("higher", "lower", "window"):
            raise GuideError(f"reference {self.metric!r}: unknown direction {self.direction!r}")
        if not math.isfinite(self.value) or self.tolerance < 0:
            raise GuideError(f"reference {self.metric!r}: bad value/tolerance")

    @property
    def abs_tolerance(self) -> float:
        return self.tolerance * abs(self.value) if self.relative else self.tolerance

    def bound(self) -> float:
        if self.direction == "higher":
            return self.value - self.abs_tolerance
        if self.direction == "lower":
            return self.value + self.abs_tolerance
        return self.value

    def accepts(self, measured: float) -> bool:
        if not math.isfinite(measured):
            return False
        if self.direction == "higher":
            return measured >= self.bound()
        if self.direction == "lower":
            return measured <= self.bound()
        return abs(measured - self.value) <= self.abs_tolerance


@dataclass(frozen=True)
class DatasetSpec:
    """The dataset a guide evaluates on.

    ``subdir`` is where it lives under ``--data-root``; ``expected_counts`` are the official
    split sizes, checked when real data is given; ``open`` reads the real layout (and the
    synthetic copy, which uses the same layout); ``make_synthetic`` writes a small copy.
    """

    kind: str
    subdir: str
    expected_counts: Mapping[str, int]
    open: Callable[[Path], "SampleSet"]
    make_synthetic: Callable[[Path, int, int], None]  # (root, n_samples, seed)
    synthetic_size: int = 12
    layout_help: str = ""


class SampleSet(Protocol):
    """What the stages need from a dataset: ordered sample ids and a fingerprint."""

    root: Path

    @property
    def sample_ids(self) -> Sequence[str]: ...

    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class Pipeline:
    """The guide's own data processing, each a plain function.

    preprocess(samples, out_root, workers=0, progress=None) -> ``harness.preprocess.store.
        Prepared``: sample order plus, per input set ("main", "flip", ...), one folder per
        model input holding ``<sample id>.bin`` files named as the guide's script names them.
    evaluate(samples, outputs_by_set: {set name: {sample id: [output arrays]}}) ->
        ``harness.metrics.MetricReport``.
    version: bump when preprocessing changes, so cached bins are rebuilt.
    evaluate_context: when True, evaluate is also given ``context=EvalContext(...)``
        (tier, the guide's auxiliary files, a work folder for files it writes).
    """

    preprocess: Callable[..., Sequence[str]]
    evaluate: Callable[..., Any]
    version: str = "1"
    evaluate_context: bool = False


@dataclass(frozen=True)
class EvalContext:
    """What an evaluate function that writes files or needs extra weights is given."""

    tier: str  # "synthetic" or "real"
    aux_files: Mapping[str, Path]  # AuxiliaryFile.file_name -> path (real tier only)
    work_dir: Path  # a folder of its own for this backend / batch size / tier
    # --weights-checksum record (a subset rehearsal): an auxiliary file whose checksum
    # differs is used and reported as unverified instead of failing.
    accept_unverified: bool = False


@dataclass(frozen=True)
class Guide:
    name: str
    title: str
    seed: str  # which file in shared/seeds
    model_factory: Callable[[], Any]
    checkpoint: CheckpointSpec
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    export: ExportSettings
    atc: AtcSettings
    dataset: DatasetSpec
    pipeline: Pipeline
    references: tuple[Reference, ...]
    floors: tuple[ThroughputFloor, ...] = ()
    batch_sizes: tuple[int, ...] = ALL_BATCH_SIZES
    fast_batch_sizes: tuple[int, ...] = (1, 4)
    # Metric compared between backend and PyTorch on the synthetic tier, and what may differ:
    # synthetic_allowance(samples, backend outputs, PyTorch outputs) ->
    # harness.metrics.ambiguity.Allowance, derived from the outputs' measured difference
    # (outputs as {input set: {sample id: [arrays]}}).
    synthetic_metric: str = ""
    synthetic_allowance: Optional[Callable[[Any, Mapping, Mapping], Any]] = None
    departures: tuple[str, ...] = ()  # where the suite departs from the guide, and why
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The guide's cross-chip throughput rules and the upgrade gate's settings (optional).
    acceptance: tuple[AcceptanceRule, ...] = ()
    gate: GateSettings = field(default_factory=GateSettings)
    # Files besides the checkpoint that the real tier needs under --weights-root.
    real_tier_files: tuple[AuxiliaryFile, ...] = ()
    # The inference runner the guide itself uses on Ascend (harness.ascend.runners):
    # "ais_bench", "ais_infer", "benchmark" (the legacy benchmark.{arch}) or "msit".
    # Per-backend (atol, rtol) of the compile-stage comparison, where a guide needs other
    # than the defaults of ``backend_tolerance`` (e.g. {"tensorrt": (0.1, 0.05)}).
    backend_tolerances: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    runner: str = "ais_bench"

    def __post_init__(self):
        def fail(msg: str):
            raise GuideError(f"guide {self.name!r}: {msg}")

        gaps = find_gaps(self)
        if gaps:
            fail(f"{len(gaps)} unfilled gaps from the importer: " + "; ".join(gaps))
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            fail("name must be a plain identifier")
        if not self.inputs or not self.outputs:
            fail("needs at least one input and one output")
        names = [t.name for t in self.inputs + self.outputs]
        if len(set(names)) != len(names):
            fail(f"duplicate tensor names {names}")
        if not set(self.fast_batch_sizes) <= set(self.batch_sizes):
            fail(f"fast_batch_sizes {self.fast_batch_sizes} not within {self.batch_sizes}")
        for f in self.floors:
            if f.batch_size not in self.batch_sizes:
                fail(f"floor for batch size {f.batch_size} which the guide does not run")
            if f.fps <= 0:
                fail(f"floor {f.chip}/bs{f.batch_size} has non-positive fps")
        if not self.references:
            fail("needs at least one accuracy reference")
        for rule in self.acceptance:
            if not any(f.chip == rule.versus for f in self.floors):
                fail(f"acceptance rule {rule.name!r}: no published floors for {rule.versus!r}")
            if rule.at != "best" and not set(rule.at) <= set(self.batch_sizes):
                fail(f"acceptance rule {rule.name!r}: batch sizes {rule.at} not run by the guide")
        if self.synthetic_metric and self.synthetic_metric not in {
            r.metric for r in self.references
        } | set(self.extra.get("report_metrics", ())):
            fail(f"synthetic_metric {self.synthetic_metric!r} is not a reference metric")
        if self.synthetic_metric and self.synthetic_allowance is None:
            fail("synthetic_metric needs a synthetic_allowance (what may differ from PyTorch)")

    # -- convenience -----------------------------------------------------------------
    def build_model(self, checkpoint: Optional[Path | str] = None, seed: int = 0,
                    accept_unverified: bool = False):
        """An eval-mode ``torch.nn.Module``: seeded random weights, or the checkpoint's.
        ``accept_unverified``: a checksum mismatch is logged and the model's
        ``checksum_status`` says so, instead of raising (a rehearsal's own weights)."""
        from harness.checkpoints import load_into

        import torch

        torch.manual_seed(seed)
        model = self.model_factory()
        if checkpoint is not None:
            model.checksum_status = load_into(model, Path(checkpoint), self.checkpoint, accept_unverified)
        else:
            _seeded_init(model, seed)
        return model.eval()

    def reference(self, metric: str) -> Reference:
        for r in self.references:
            if r.metric == metric:
                return r
        raise KeyError(f"guide {self.name!r} has no reference for {metric!r}")

    def floors_for(self, chip: str, batch_size: int) -> list[ThroughputFloor]:
        return [f for f in self.floors if f.chip == chip and f.batch_size == batch_size]

    def backend_tolerance(self, backend: str) -> tuple[float, float]:
        """(atol, rtol) of a backend's outputs against the fp32 reference. A guide may set
        its own per backend (``backend_tolerances``); otherwise: the export's for fp32 CPU
        runtimes (ONNX Runtime, PyTorch), the export's x10 for ONNX Runtime on CUDA (cuDNN
        picks other convolution algorithms, TF32 on Ampere and newer), and the compile
        stage's for fp16 compilers (atc, TensorRT in fp16 as the guides' trtexec)."""
        if backend in self.backend_tolerances:
            return tuple(self.backend_tolerances[backend])
        if backend in ("onnxruntime", "torch"):
            return self.export.atol, self.export.rtol
        if backend == "onnxruntime-cuda":
            return self.export.atol * 10, self.export.rtol * 10
        return self.atc.atol, self.atc.rtol

    def input_names(self) -> list[str]:
        return [t.name for t in self.inputs]

    def output_names(self) -> list[str]:
        return [t.name for t in self.outputs]

    def replace(self, **changes) -> "Guide":
        return dataclasses.replace(self, **changes)


def _seeded_init(model, seed: int) -> None:
    """Deterministic weights that keep activations in a sane range.

    PyTorch's default init already is seeded by ``torch.manual_seed``; BatchNorm running
    statistics, however, stay at mean 0 / var 1, which makes deep random networks blow up
    or collapse in eval mode. We give them mild seeded values so outputs stay finite and
    varied (a synthetic-tier comparison on all-equal logits would prove nothing).
    """
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(1.0 + torch.rand(m.running_var.shape, generator=g))
