"""What a backend's evaluation may legitimately differ from PyTorch's by, derived from how
much their outputs measurably differ.

Two correct implementations of one network (ONNX Runtime and PyTorch, or an NPU) give
outputs that differ in the last bits. A metric built from discrete decisions (a top-1
class, a ranking, a heatmap peak, a truncated pixel) then changes only where the
reference's decision is a near tie: two logits, two distances or two heatmap values that
lie within the measured difference of each other. Everywhere else the decision, and its
contribution to the metric, must be exactly PyTorch's.

An ``Allowance`` states that: what was measured (``measure`` = ``measured``), the margin
within which a decision may flip (twice the measured bound: each of the two values can
move by it), which samples are ambiguous and why, and per metric the largest change those
samples alone can cause (``Slack``). ``harness.checks.metric_within_allowance`` and
``per_sample_within_allowance`` turn it into verdicts that fail on any difference beyond
it. Each metric module derives its own allowance (``topk.topk_allowance``,
``reid_allowance``, ``gan_images.mean_pixel_allowance``, ``keypoint_allowance``); the
guides wire them to their outputs (``Guide.synthetic_allowance``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np

from harness.metrics import MetricError

# Float noise of aggregating the same per-sample numbers in another order (a metric is a
# mean over at most millions of samples): far below one sample's contribution.
AGGREGATION_EPS = 1e-9


@dataclass(frozen=True)
class Slack:
    """How far one metric may move: ``amount`` (metric units) caused by ``ambiguous``
    samples at most, with ``basis`` saying how the amount follows from them.

    ``explained_value``: for a metric that is not a mean of per-sample terms (COCO AP), the
    metric recomputed from PyTorch's outputs with only the ambiguous samples' outputs taken
    from the backend; the backend's value must then equal it (nothing else may move), and
    ``amount`` is unused."""

    amount: float
    ambiguous: int
    basis: str
    explained_value: Optional[float] = None


@dataclass
class Allowance:
    """The derived allowance of one backend-vs-PyTorch comparison (see the module doc)."""

    measure: str  # what was measured, e.g. "max |logit diff|"
    measured: float
    margin: float  # reference decisions closer than this may flip
    samples: int  # samples the comparison covers
    ambiguous: dict[str, str] = field(default_factory=dict)  # sample -> why its result may change
    metric_slack: dict[str, Slack] = field(default_factory=dict)
    # Which parts of an ambiguous sample's result may change (e.g. joint indices), where a
    # per-sample check looks finer than the whole sample.
    parts: dict[str, frozenset] = field(default_factory=dict)

    def slack(self, metric: str) -> Slack:
        if metric not in self.metric_slack:
            raise MetricError(f"no allowance derived for metric {metric!r} "
                              f"(have {sorted(self.metric_slack)})")
        return self.metric_slack[metric]

    def describe(self) -> str:
        return (f"{self.measure} {self.measured:.3g} (decisions within {self.margin:.3g} may flip), "
                f"{len(self.ambiguous)} of {self.samples} samples ambiguous")

    def details(self, limit: int = 20) -> dict:
        """A compact, JSON-ready summary for the results record."""
        ids = sorted(self.ambiguous)
        return {"measure": self.measure, "measured": self.measured, "margin": self.margin,
                "samples": self.samples, "ambiguous_count": len(ids),
                "ambiguous": {s: self.ambiguous[s] for s in ids[:limit]},
                "metric_slack": {m: {"amount": s.amount, "ambiguous": s.ambiguous, "basis": s.basis,
                                     **({"explained_value": s.explained_value}
                                        if s.explained_value is not None else {})}
                                 for m, s in self.metric_slack.items()}}


def flip_margin(measured: float) -> float:
    """Two reference values closer than this may swap order: each can move by ``measured``."""
    return 2.0 * float(measured)


def within_margin(gap, margin: float):
    """``gap <= margin`` where a flip is possible at all (a zero margin flips nothing, even
    an exact tie: both sides then compute identical values and break it the same way)."""
    return np.logical_and(np.asarray(gap) <= margin, margin > 0)


def max_abs_diff(ours: Mapping[str, Sequence[np.ndarray]], ref: Mapping[str, Sequence[np.ndarray]],
                 output_index: int = 0, what: str = "outputs") -> float:
    """Largest |ours - ref| of one output over every sample of ``ref`` (sample -> outputs).
    A sample missing from ``ours``, a shape mismatch or NaN/Inf is a ``MetricError``."""
    worst = 0.0
    for sid, outs in ref.items():
        if sid not in ours:
            raise MetricError(f"{what}: sample {sid} has no backend output")
        a = np.asarray(ours[sid][output_index], dtype=np.float64)
        e = np.asarray(outs[output_index], dtype=np.float64)
        if a.shape != e.shape:
            raise MetricError(f"{what}: sample {sid}: shape {a.shape} vs PyTorch {e.shape}")
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))):
            raise MetricError(f"{what}: sample {sid} has NaN/Inf values")
        if a.size:
            worst = max(worst, float(np.max(np.abs(a - e))))
    return worst


def mean_slack(ambiguous: int, total: int, per_sample: float, unit: str, what: str) -> Slack:
    """A metric that is a mean over ``total`` samples of terms in [0, ``per_sample``]: each
    ambiguous sample moves it by at most ``per_sample / total``."""
    if total <= 0:
        raise MetricError(f"no {what} to derive an allowance over")
    amount = ambiguous * per_sample / total
    return Slack(amount, ambiguous, f"{ambiguous} of {total} {what} x {per_sample:g}{unit}/{total}")
