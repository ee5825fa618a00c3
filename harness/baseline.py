"""Upgrade gate: compare the verdict records of this run with a recorded (baseline) run.

Pure functions over record dicts (as ``harness.results.read_records`` returns them); no
I/O except resolving per-sample sidecar files. Three kinds of comparison:

accuracy    per metric that the guide states a ``Reference`` for, with its direction
            and tolerance (``GateRules``): "higher" fails when current < baseline - tol,
            "lower" when current > baseline + tol, "window" when |current - baseline| > tol.
            A relative tolerance is a fraction of the baseline value.
per-sample  where the accuracy records carry per-sample results (top-1 class per image,
            rank-1 gallery id per query): the samples whose result changed are listed;
            more changes than ``flip_tolerance`` (a share of the samples) fails.
throughput  per guide, backend, chip and batch size: the median device throughput of
            the timed rounds (after warm-up) and their spread (relative IQR). The noise
            rule, with tol = ``throughput_tolerance`` and limit = ``noise_limit``:

              * a side is *noisy* when its spread > limit (or unknown);
              * neither side noisy: FAIL iff  m_cur < m_base * (1 - tol), else PASS;
              * a side noisy: judge with the IQR bands (median * (1 +/- spread/2)):
                  best  = cur_hi / base_lo,  worst = cur_lo / base_hi;
                  FAIL if best < 1 - tol (a regression even in the kindest reading),
                  PASS if worst >= 1 - tol (no regression even in the harshest),
                  else INCONCLUSIVE, naming the noisy side(s) and their spreads.

A ``Comparison`` has outcome "pass", "fail" or "inconclusive" (a distinct outcome: the
gate neither passes nor fails it), or "new"/"missing" for records present on one side.
A baseline verdict with no counterpart in this run ("missing") fails the gate: a gate
that compared nothing must not pass. To compare less, narrow the baseline first
(``restrict``: e.g. to what the run's selection could produce).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from harness.samples import load_per_sample

THROUGHPUT_CHECK = "throughput measured"
RUN_STAGE = "run"  # records about the run itself (e.g. "run interrupted"), not measurements


@dataclass(frozen=True)
class MetricRule:
    metric: str
    direction: str  # "higher", "lower", "window"
    tolerance: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        return self.tolerance * abs(baseline) if self.relative else self.tolerance

    def describe(self) -> str:
        rel = " relative" if self.relative else ""
        if self.direction == "window":
            return f"+/- {self.tolerance:g}{rel}"
        return f"{self.tolerance:g}{rel}, {self.direction} is better"


@dataclass(frozen=True)
class GateRules:
    """What the guide record states for run-to-run comparisons."""

    metrics: dict = field(default_factory=dict)  # metric name -> MetricRule
    throughput_tolerance: float = 0.10
    noise_limit: Optional[float] = None  # default: throughput_tolerance / 2
    flip_tolerance: float = 0.01  # share of samples whose per-sample result may change

    @property
    def noise(self) -> float:
        return self.noise_limit if self.noise_limit is not None else self.throughput_tolerance / 2


def rules_from_guide(guide) -> GateRules:
    """Rules from a ``harness.guides.base.Guide`` (its references and ``gate`` settings)."""
    gate = getattr(guide, "gate", None)
    metrics = {}
    for ref in guide.references:
        tol = ref.tolerance
        if gate is not None and ref.metric in gate.metric_tolerances:
            tol = gate.metric_tolerances[ref.metric]
        metrics[ref.metric] = MetricRule(ref.metric, ref.direction, tol, ref.relative)
    if gate is None:
        return GateRules(metrics)
    return GateRules(metrics, gate.throughput_tolerance, gate.noise_limit, gate.flip_tolerance)


def registry_rules(guide_name: str) -> Optional[GateRules]:
    from harness import guides

    try:
        return rules_from_guide(guides.get(guide_name))
    except KeyError:
        return None


@dataclass
class Comparison:
    guide: str
    stage: str
    check: str
    key: str  # "onnxruntime cpu bs4" - which measurement
    outcome: str  # pass, fail, inconclusive, new, missing
    message: str
    current: Any = None
    baseline: Any = None
    tolerance: Any = None
    batch_size: Optional[int] = None
    backend: Optional[str] = None
    chip: Optional[str] = None
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"[{self.outcome.upper()}] {self.guide} {self.key} {self.check}: {self.message}"


# -- matching ------------------------------------------------------------------------
def record_key(rec: dict) -> tuple:
    return (rec.get("guide"), rec.get("stage"), rec.get("check"), rec.get("backend"),
            rec.get("chip"), rec.get("batch_size"))


def is_verdict(rec: dict) -> bool:
    """A record a test measured (not a gate comparison, not a note about the run itself)."""
    return not str(rec.get("check", "")).startswith("baseline") and rec.get("stage") != RUN_STAGE


def index(records: Iterable[dict]) -> dict:
    """Verdict records by key; the last record of a key wins (a re-run test supersedes)."""
    return {record_key(rec): rec for rec in records if is_verdict(rec)}


def restrict(records: Iterable[dict], keep: Callable[[dict], bool]) -> list[dict]:
    """The baseline's verdict records that ``keep`` accepts (e.g. those the run's selection
    could produce); the gate then compares only those."""
    return [rec for rec in records if is_verdict(rec) and keep(rec)]


def _where(rec: dict) -> str:
    parts = [rec.get("backend") or "", rec.get("chip") or ""]
    if rec.get("batch_size") is not None:
        parts.append(f"bs{rec['batch_size']}")
    return " ".join(p for p in parts if p)


def _base(rec: dict, check: str, outcome: str, message: str, **kw) -> Comparison:
    return Comparison(rec.get("guide"), rec.get("stage"), check, _where(rec), outcome, message,
                      batch_size=rec.get("batch_size"), backend=rec.get("backend"),
                      chip=rec.get("chip"), **kw)


# -- accuracy --------------------------------------------------------------------------
def metric_of(rec: dict, rules: GateRules) -> Optional[str]:
    """The metric an accuracy record states, if the guide gives a rule for it."""
    metric = (rec.get("details") or {}).get("metric") or rec.get("check")
    return metric if metric in rules.metrics else None


def compare_metric(cur: dict, base: dict, rule: MetricRule) -> Comparison:
    c, b = _number(cur.get("value")), _number(base.get("value"))
    check = f"baseline {rule.metric}"
    if c is None or b is None:
        return _base(cur, check, "fail", f"{rule.metric}: current {cur.get('value')!r}, baseline "
                     f"{base.get('value')!r}: not comparable numbers", current=c, baseline=b)
    tol = rule.allowed(b)
    delta = c - b
    if rule.direction == "higher":
        ok, need = c >= b - tol, f">= {b - tol:.6g}"
    elif rule.direction == "lower":
        ok, need = c <= b + tol, f"<= {b + tol:.6g}"
    else:
        ok, need = abs(delta) <= tol, f"within {b:.6g} +/- {tol:.6g}"
    samples = (cur.get("details") or {}).get("samples")
    over = f" over {samples} samples" if samples is not None else ""
    msg = (f"{rule.metric} {c:.6g} vs baseline {b:.6g} (change {delta:+.4g}){over}; needs {need} "
           f"(tolerance {rule.describe()})")
    return _base(cur, check, "pass" if ok else "fail",
                 msg if ok else f"{rule.metric} dropped: {msg}" if rule.direction == "higher" else msg,
                 current=c, baseline=b, tolerance=rule.tolerance, details={"delta": delta})


def compare_per_sample(cur: dict, base: dict, rules: GateRules, root_cur=None, root_base=None,
                       what: str = "per-sample result") -> Optional[Comparison]:
    """Samples whose result changed between the runs (top-1 flips, rank-1 changes)."""
    pc = load_per_sample((cur.get("details") or {}).get("per_sample"), root_cur)
    pb = load_per_sample((base.get("details") or {}).get("per_sample"), root_base)
    if pc is None or pb is None:
        return None
    what = (cur.get("details") or {}).get("per_sample", {}).get("kind", what)
    check = "baseline per-sample agreement"
    common = sorted(set(pc) & set(pb))
    only = sorted(set(pc) ^ set(pb))
    if not common:
        return _base(cur, check, "fail", f"{what}: no sample in common with the baseline")
    changed = [s for s in common if pc[s] != pb[s]]
    share = len(changed) / len(common)
    ok = share <= rules.flip_tolerance and not only
    shown = ", ".join(f"{s}: {pb[s]}->{pc[s]}" for s in changed[:10])
    msg = (f"{what}: {len(changed)}/{len(common)} samples changed ({share:.2%}, allowed "
           f"{rules.flip_tolerance:.2%})" + (f": {shown}" + (" ..." if len(changed) > 10 else "")
                                             if changed else "")
           + (f"; {len(only)} samples on one side only, e.g. {only[:5]}" if only else ""))
    return _base(cur, check, "pass" if ok else "fail", msg, current=1.0 - share, baseline=1.0,
                 tolerance=rules.flip_tolerance,
                 details={"changed": {s: [pb[s], pc[s]] for s in changed[:1000]},
                          "n_changed": len(changed), "n_common": len(common)})


# -- throughput -----------------------------------------------------------------------
def perf_of(rec: dict) -> tuple[Optional[float], Optional[float], Optional[int]]:
    d = rec.get("details") or {}
    return _number(d.get("median_fps")), _number(d.get("spread")), d.get("rounds")


def judge_throughput(m_cur: float, s_cur: Optional[float], m_base: float, s_base: Optional[float],
                     tolerance: float, noise_limit: float) -> tuple[str, list[str]]:
    """The noise rule of the module docstring: (outcome, noisy sides)."""
    noisy = [side for side, s in (("current", s_cur), ("baseline", s_base))
             if s is None or not math.isfinite(s) or s > noise_limit]
    floor = 1.0 - tolerance
    if not noisy:
        return ("fail" if m_cur < m_base * floor else "pass"), []
    sc = s_cur if s_cur is not None and math.isfinite(s_cur) else 1.0
    sb = s_base if s_base is not None and math.isfinite(s_base) else 1.0
    best = m_cur * (1 + sc / 2) / max(m_base * (1 - sb / 2), 1e-12)
    worst = m_cur * max(1 - sc / 2, 0.0) / (m_base * (1 + sb / 2))
    if best < floor:
        return "fail", noisy
    if worst >= floor:
        return "pass", noisy
    return "inconclusive", noisy


def compare_throughput(cur: dict, base: dict, rules: GateRules) -> Comparison:
    (mc, sc, rc), (mb, sb, rb) = perf_of(cur), perf_of(base)
    check = "baseline throughput"
    if mc is None or mb is None or mb <= 0:
        return _base(cur, check, "fail", f"median throughput not comparable: current {mc}, baseline {mb}")
    tol, limit = rules.throughput_tolerance, rules.noise
    outcome, noisy = judge_throughput(mc, sc, mb, sb, tol, limit)
    change = mc / mb - 1.0
    msg = (f"median {mc:.2f} vs baseline {mb:.2f} samples/s ({change:+.1%}; fails below "
           f"{mb * (1 - tol):.2f} = -{tol:.0%}); spread current {_pct(sc)} over {rc} rounds, "
           f"baseline {_pct(sb)} over {rb} rounds (noise limit {limit:.1%})")
    if noisy:
        msg += "; noisy: " + ", ".join(f"{side} side (spread {_pct(sc if side == 'current' else sb)}"
                                       f" > {limit:.1%})" for side in noisy)
        if outcome == "inconclusive":
            msg = "too noisy to judge: " + msg + " - re-run on an idle device"
        else:
            msg += f", but the IQR bands still decide ({outcome})"
    if outcome == "fail":
        msg = "throughput regression: " + msg
    return _base(cur, check, outcome, msg, current=mc, baseline=mb, tolerance=tol,
                 details={"current_spread": sc, "baseline_spread": sb, "noisy": noisy,
                          "change": change, "noise_limit": limit})


# -- whole records ----------------------------------------------------------------------
def compare_record(cur: dict, base_index: dict, rules_for: Callable[[str], Optional[GateRules]],
                   root_cur=None, root_base=None) -> list[Comparison]:
    """Comparisons for one current record (what the test that wrote it is judged on)."""
    base = base_index.get(record_key(cur))
    if base is None or str(cur.get("check", "")).startswith("baseline"):
        return []
    rules = rules_for(cur.get("guide")) or GateRules()
    out = []
    if cur.get("stage") == "throughput" and cur.get("check") == THROUGHPUT_CHECK:
        out.append(compare_throughput(cur, base, rules))
    elif cur.get("stage") == "accuracy":
        metric = metric_of(cur, rules)
        if metric:
            out.append(compare_metric(cur, base, rules.metrics[metric]))
        per_sample = compare_per_sample(cur, base, rules, root_cur, root_base)
        if per_sample is not None:
            out.append(per_sample)
    return out


def compare_runs(current: list[dict], baseline: list[dict],
                 rules_for: Callable[[str], Optional[GateRules]] = registry_rules,
                 root_cur=None, root_base=None,
                 explain_missing: Optional[Callable[[dict], str]] = None) -> list[Comparison]:
    """Every comparison between two runs, plus verdict changes, new and missing records.

    Every baseline verdict without a counterpart is "missing" (a gate failure);
    ``explain_missing(baseline_record)`` may say why (e.g. the skip of the test that would
    have measured it)."""
    cur_index, base_index = index(current), index(baseline)
    out: list[Comparison] = []
    for key, cur in cur_index.items():
        comps = compare_record(cur, base_index, rules_for, root_cur, root_base)
        out.extend(comps)
        base = base_index.get(key)
        if base is None:
            if cur.get("stage") in ("accuracy", "throughput"):
                out.append(_base(cur, cur.get("check"), "new", "no baseline record to compare with"))
        elif not comps and base.get("verdict") != cur.get("verdict") and cur.get("verdict") != "recorded":
            bad = cur.get("verdict") == "fail"
            out.append(_base(cur, cur.get("check"), "fail" if bad else "pass",
                             f"verdict {base.get('verdict')} -> {cur.get('verdict')}: {cur.get('message', '')}",
                             current=cur.get("value"), baseline=base.get("value")))
    for key, base in base_index.items():
        if key not in cur_index:
            why = explain_missing(base) if explain_missing else ""
            out.append(_base(base, base.get("check"), "missing",
                             "in the baseline but not measured in this run" + (f": {why}" if why else ""),
                             baseline=base.get("value")))
    return out


def gate_outcome(comparisons: Iterable[Comparison]) -> str:
    """fail if any comparison fails or any baseline verdict is missing, else inconclusive if
    any comparison is, else pass."""
    outcomes = {c.outcome for c in comparisons}
    if outcomes & {"fail", "missing"}:
        return "fail"
    return "inconclusive" if "inconclusive" in outcomes else "pass"


def _number(v) -> Optional[float]:
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _pct(v) -> str:
    return "unknown" if v is None or not math.isfinite(v) else f"{v:.1%}"
