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


def metric_within_allowance(name: str, metric: str, value: float, expected: float,
                            allowance) -> Verdict:
    """Backend metric vs PyTorch's on the same data, allowed to differ only by what the
    ambiguous samples of ``allowance`` (``harness.metrics.ambiguity``) can explain."""
    from harness.metrics.ambiguity import AGGREGATION_EPS

    slack = allowance.slack(metric)
    diff = abs(value - expected)
    head = f"{metric}: backend {value:.6g} vs PyTorch {expected:.6g} (|diff| {diff:.3g})"
    measured = f"{allowance.measure} {allowance.measured:.3g}"
    if not math.isfinite(value):
        ok, why = False, "not finite"
    elif slack.explained_value is not None:
        residue = abs(value - slack.explained_value)
        ok = residue <= AGGREGATION_EPS * max(1.0, abs(value))
        why = (f"{slack.ambiguous} ambiguous samples ({measured}) explain it: {metric} with only "
               f"those taken from the backend is {slack.explained_value:.6g}"
               + ("" if ok else f"; {residue:.3g} left unexplained by samples whose decisions "
                                "are no near tie"))
    else:
        ok = diff <= slack.amount + AGGREGATION_EPS * max(1.0, abs(expected))
        why = (f"allowed {slack.amount:.3g} for {slack.ambiguous} ambiguous samples: {slack.basis} "
               f"({measured}; decisions within {allowance.margin:.3g} of a tie may flip)"
               + ("" if ok else "; the difference is larger than the ambiguous samples can cause"))
    allowed = abs(slack.explained_value - expected) if slack.explained_value is not None else slack.amount
    return Verdict(name, ok, f"{head}; {why}", value, expected, allowed,
                   details={"allowance": allowance.details()})


def per_sample_within_allowance(name: str, actual: dict, expected: dict, what: str,
                                allowance) -> Verdict:
    """Per-sample results (e.g. top-5 classes) of the backend vs PyTorch: a result may
    change only for a sample ``allowance`` lists as ambiguous; any other change fails."""
    ids = sorted(expected)
    if not ids:
        return Verdict(name, False, "zero samples to compare")
    changed = [s for s in ids if actual.get(s) != expected[s]]
    unexplained = [s for s in changed if s not in allowance.ambiguous]
    explained = len(changed) - len(unexplained)
    msg = (f"{what}: {len(ids) - len(changed)}/{len(ids)} samples agree; {explained} changed among "
           f"{len(allowance.ambiguous)} ambiguous ({allowance.measure} {allowance.measured:.3g}, "
           f"margin {allowance.margin:.3g})")
    if unexplained:
        msg += f"; changed beyond the margin: {unexplained[:10]}"
    elif changed:
        msg += "; e.g. " + "; ".join(f"{s}: {allowance.ambiguous[s]}" for s in changed[:3])
    return Verdict(name, not unexplained, msg, 1.0 - len(changed) / len(ids), 1.0, allowance.margin,
                   details={"changed": changed, "unexplained": unexplained,
                            "allowance": allowance.details()})


def output_sets_close(name: str, ours: dict, ref: dict, atol: float, rtol: float) -> Verdict:
    """Every output of every sample of every input set within |a - e| <= atol + rtol |e|:
    the accuracy stage's guard that the outputs an allowance is derived from are the
    backend's parity tolerance apart, not arbitrarily far (``{set: {sample: [arrays]}}``)."""
    worst, worst_at, bad, compared = 0.0, "", [], 0
    for set_name, samples in ref.items():
        for sid, outs in samples.items():
            got = ours.get(set_name, {}).get(sid)
            if got is None or len(got) != len(outs):
                bad.append(f"{set_name}/{sid}: missing outputs")
                continue
            for i, (a, e) in enumerate(zip(got, outs)):
                a, e = np.asarray(a, np.float64), np.asarray(e, np.float64)
                if a.shape != e.shape or not np.all(np.isfinite(a)):
                    bad.append(f"{set_name}/{sid} output {i}: shape {a.shape} vs {e.shape} or NaN/Inf")
                    continue
                diff = np.abs(a - e)
                compared += 1
                if diff.size and float(diff.max()) > worst:
                    worst, worst_at = float(diff.max()), f"{set_name}/{sid} output {i}"
                if np.any(diff > atol + rtol * np.abs(e)):
                    bad.append(f"{set_name}/{sid} output {i} (max |diff| {float(diff.max()):.3g})")
    ok = compared > 0 and not bad
    msg = (f"{compared} outputs compared, max |diff| {worst:.3g} ({worst_at or 'none'}), "
           f"allowed atol {atol:g} + rtol {rtol:g}")
    if bad:
        msg += f"; {len(bad)} beyond: {bad[:5]}"
    return Verdict(name, ok, msg, worst, 0.0, {"atol": atol, "rtol": rtol},
                   details={"beyond": bad[:50]})


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
