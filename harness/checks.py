"""Verdicts as small named functions (after MLPerf's ``checks/``).

Each returns a ``Verdict`` carrying the measured value, the reference, the tolerance and a
precise message; tests assert on ``verdict.passed`` and record the verdict as a result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np


@dataclass
class Verdict:
    name: str
    passed: bool
    message: str
    value: Any = None
    reference: Any = None
    tolerance: Any = None
    outcome: str = ""  # "pass", "fail" or "inconclusive"
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.outcome:
            self.outcome = "pass" if self.passed else "fail"

    def __str__(self) -> str:
        return f"[{self.outcome.upper()}] {self.name}: {self.message}"


def arrays_close(name: str, actual: Sequence[np.ndarray], expected: Sequence[np.ndarray],
                 atol: float, rtol: float, labels: Sequence[str] = ()) -> Verdict:
    """Element-wise |a - e| <= atol + rtol * |e| for every output; reports the worst one."""
    if len(actual) != len(expected):
        return Verdict(name, False, f"{len(actual)} outputs vs {len(expected)} expected",
                       len(actual), len(expected))
    worst, worst_label, details = 0.0, "", {}
    for i, (a, e) in enumerate(zip(actual, expected)):
        label = labels[i] if i < len(labels) else f"output {i}"
        a, e = np.asarray(a, np.float64), np.asarray(e, np.float64)
        if a.shape != e.shape:
            return Verdict(name, False, f"{label}: shape {a.shape} vs expected {e.shape}")
        if not np.all(np.isfinite(a)):
            return Verdict(name, False, f"{label}: {int((~np.isfinite(a)).sum())} NaN/Inf values")
        excess = np.abs(a - e) - (atol + rtol * np.abs(e))
        max_abs = float(np.max(np.abs(a - e))) if a.size else 0.0
        details[label] = {"max_abs_diff": max_abs, "violations": int((excess > 0).sum())}
        if float(excess.max(initial=-np.inf)) > worst or not worst_label:
            worst, worst_label = float(excess.max(initial=-np.inf)), label
    ok = all(d["violations"] == 0 for d in details.values())
    max_diff = max(d["max_abs_diff"] for d in details.values()) if details else 0.0
    msg = (f"max |diff| {max_diff:.3g} within atol {atol:g} + rtol {rtol:g}" if ok else
           "; ".join(f"{k}: {d['violations']} values beyond atol {atol:g} + rtol {rtol:g} "
                     f"(max |diff| {d['max_abs_diff']:.3g})" for k, d in details.items() if d["violations"]))
    return Verdict(name, ok, msg, max_diff, 0.0, {"atol": atol, "rtol": rtol}, details=details)


def meets_reference(name: str, value: float, reference) -> Verdict:
    """Accuracy against a guide's published number, honouring its direction."""
    if not math.isfinite(value):
        return Verdict(name, False, f"{reference.metric} is {value}", value, reference.value)
    ok = reference.accepts(value)
    sign = {"higher": ">=", "lower": "<=", "window": "within"}[reference.direction]
    bound = (f"{reference.bound():.4g}" if reference.direction != "window"
             else f"{reference.value:.4g} +/- {reference.abs_tolerance:.4g}")
    return Verdict(name, ok, f"{reference.metric} = {value:.4f}, needs {sign} {bound} "
                             f"(published {reference.value} [{reference.source}], tolerance "
                             f"{reference.tolerance}{' relative' if reference.relative else ''})",
                   value, reference.value, reference.tolerance)


def metric_equal(name: str, metric: str, value: float, expected: float, atol: float) -> Verdict:
    ok = math.isfinite(value) and abs(value - expected) <= atol
    return Verdict(name, ok, f"{metric}: backend {value:.6g} vs PyTorch {expected:.6g} "
                             f"(|diff| {abs(value - expected):.3g}, allowed {atol:g})",
                   value, expected, atol)


def per_sample_agreement(name: str, actual: dict, expected: dict, what: str,
                         min_agreement: float = 1.0) -> Verdict:
    """Share of samples whose per-sample result (e.g. top-1 class) is the same."""
    ids = sorted(expected)
    if not ids:
        return Verdict(name, False, "zero samples to compare")
    changed = [s for s in ids if actual.get(s) != expected[s]]
    share = 1.0 - len(changed) / len(ids)
    ok = share >= min_agreement
    return Verdict(name, ok, f"{what}: {len(ids) - len(changed)}/{len(ids)} samples agree"
                             + (f"; changed: {changed[:10]}" if changed else ""),
                   share, min_agreement, 0.0, details={"changed": changed})


def sample_count(name: str, evaluated: int, expected: int, what: str = "samples") -> Verdict:
    ok = evaluated == expected and expected > 0
    return Verdict(name, ok, f"evaluated {evaluated} {what}, dataset has {expected}",
                   evaluated, expected, 0)


def throughput_floor(name: str, card_fps: float, floor, device_fps: Optional[float] = None) -> Verdict:
    bound = floor.fps * (1.0 - floor.tolerance)
    ok = math.isfinite(card_fps) and card_fps >= bound
    how = f" (device {device_fps:.2f} x devices per card)" if device_fps not in (None, card_fps) else ""
    return Verdict(name, ok, f"{card_fps:.2f} samples/s{how} vs published {floor.fps} on {floor.chip} "
                             f"bs{floor.batch_size} [{floor.source}] minus {floor.tolerance:.0%} = {bound:.2f}",
                   card_fps, floor.fps, floor.tolerance)
