"""Reports for people: the guide x stage table, throughput plots and the upgrade diff.

``build(current, baseline=None)`` gathers everything from recorded runs
(``harness.runs.Run``) into a ``ReportData``; ``html.render`` turns it into one
self-contained HTML file (inline CSS, plots as inline PNG), ``markdown.render`` into a
summary for CI logs. ``python -m harness.report`` renders after the fact.

An interrupted run is headlined as such ("INTERRUPTED after 3 of 10 tests (SIGTERM)"),
from the recorded run's ``interrupted`` entry or, for a results ``.jsonl``, from its
"run interrupted" record. A results ``.jsonl`` has no provenance: the report says so.
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from harness.baseline import RUN_STAGE, Comparison, compare_runs, gate_outcome
from harness.guide_groups import grouped

STAGES = ("export", "compile", "preprocess", "accuracy", "throughput")
# Test outcomes (from a recorded run) and record verdicts map to one vocabulary.
_OUTCOME = {"passed": "pass", "failed": "fail", "skipped": "skip", "xfailed": "xfail",
            "inconclusive": "inconclusive", "measured": "measured", "subset": "subset", "pass": "pass", "fail": "fail"}
# Worst first: a cell shows the status of its worst outcome.
_ORDER = ("fail", "inconclusive", "pass", "measured", "subset", "xfail", "skip")


@dataclass
class Cell:
    counts: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def status(self) -> str:
        for s in _ORDER:
            if self.counts.get(s):
                return s
        return "none"

    def text(self) -> str:
        return ", ".join(f"{s} {self.counts[s]}" for s in _ORDER if self.counts.get(s)) or "-"


@dataclass
class ReportData:
    title: str
    generated: float
    meta: dict
    baseline_meta: Optional[dict]
    guides: list  # in table order: group by group (``groups``)
    stages: list
    cells: dict  # (guide, stage) -> Cell
    problems: list  # records (or test outcomes) that failed or were inconclusive
    comparisons: list  # harness.baseline.Comparison
    gate: Optional[str]  # pass / fail / inconclusive, None without a baseline
    throughput: dict  # (guide, backend, chip) -> {bs: (median, spread, card)}
    baseline_throughput: dict
    floors: dict  # (guide, chip) -> {bs: fps}
    plots: dict = field(default_factory=dict)  # (guide, backend, chip) -> base64 PNG
    interrupted: Optional[str] = None  # the headline of a run cut short

    @property
    def groups(self) -> list:
        """[(title, guides)]: the table's rows by family, failing guides first, as the
        terminal table (harness.guide_groups); a title counts the group's guides and
        failures ("imagenet-classification: 20 guides, 1 failing")."""
        return table_groups(self.guides, self.cells)

    @property
    def provenance(self) -> dict:
        """The run's provenance; empty for a results .jsonl (the report says "unknown")."""
        prov = self.meta.get("provenance")
        return prov if isinstance(prov, dict) else {}


def _table(run) -> tuple[list, list, dict]:
    cells: dict = defaultdict(Cell)
    tests = run.meta.get("tests")
    if tests:  # test outcomes, as the terminal table counts them (skips included)
        for t in tests:
            if t.get("guide") and t.get("stage"):
                cells[(t["guide"], t["stage"])].counts[_OUTCOME.get(t["outcome"], t["outcome"])] += 1
    else:  # records only: count verdicts
        for r in run.records:
            if r.get("verdict") in ("pass", "fail", "inconclusive", "measured", "subset") and r.get("stage") != RUN_STAGE:
                cells[(r["guide"], r["stage"])].counts[r["verdict"]] += 1
    guides = sorted({g for g, _ in cells})
    stages = [s for s in STAGES if any((g, s) in cells for g in guides)]
    stages += sorted({s for _, s in cells} - set(stages))
    return guides, stages, dict(cells)


def table_groups(guides, cells) -> list:
    """The table's rows grouped by family, a guide with a failing cell first in its group."""
    return grouped(guides, lambda g: any(c.status == "fail" for (guide, _), c in cells.items() if guide == g))


def throughput_of(records) -> dict:
    out: dict = defaultdict(dict)
    for r in records:
        if r.get("stage") == "throughput" and r.get("check") == "throughput measured":
            d = r.get("details") or {}
            out[(r["guide"], r.get("backend"), r.get("chip"))][r.get("batch_size")] = (
                d.get("median_fps"), d.get("spread"), r.get("value"))
    return dict(out)


def _floors(keys) -> dict:
    from harness import guides

    out = {}
    for guide, _, chip in keys:
        try:
            g = guides.get(guide)
        except Exception:  # a record of a guide this checkout does not have
            continue
        fl = {f.batch_size: f.fps for f in g.floors if f.chip == chip}
        if fl:
            out[(guide, chip)] = fl
    return out


def build(current, baseline=None, comparisons=None, title: str = "Model-guide conformance report",
          plots: bool = True) -> ReportData:
    if comparisons is None and baseline is not None:
        comparisons = compare_runs(current.records, baseline.records, root_cur=current.root,
                                   root_base=baseline.root)
    comparisons = list(comparisons or [])
    guides, stages, cells = _table(current)
    guides = [g for _, members in table_groups(guides, cells) for g in members]
    problems = [r for r in current.records if r.get("verdict") in ("fail", "inconclusive")]
    problems += [t for t in current.meta.get("tests", []) if t.get("outcome") == "failed"
                 and not any(r.get("test_id") == t.get("nodeid") for r in problems)]
    thr = throughput_of(current.records)
    base_thr = throughput_of(baseline.records) if baseline is not None else {}
    data = ReportData(title, time.time(), current.meta, baseline.meta if baseline else None, guides,
                      stages, cells, problems, comparisons,
                      gate_outcome(comparisons) if baseline is not None else None, thr, base_thr,
                      _floors(set(thr) | set(base_thr)))
    data.interrupted = interrupted_headline(current)
    if plots:
        from harness.report.plots import throughput_plots

        data.plots = throughput_plots(data)
    return data


def interruption_headline(info: dict) -> str:
    """'INTERRUPTED after 3 of 10 tests (SIGTERM)' from a run's ``interrupted`` entry."""
    return (f"INTERRUPTED after {info.get('finished', '?')} of {info.get('selected', '?')} tests "
            f"({info.get('reason', 'unknown reason')})")


def interrupted_headline(run) -> Optional[str]:
    """The headline of an interrupted run (recorded run or results .jsonl), else None."""
    info = run.meta.get("interrupted")
    if isinstance(info, dict):
        return interruption_headline(info)
    for r in run.records:
        if r.get("stage") == RUN_STAGE and r.get("check") == "run interrupted":
            return r.get("message") or "INTERRUPTED"
    return None


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "nan" if not math.isfinite(v) else f"{v:.4g}"
    return str(v)


def comparison_rows(data: ReportData) -> list[Comparison]:
    order = {"fail": 0, "inconclusive": 1, "missing": 2, "new": 3, "pass": 4}
    return sorted(data.comparisons, key=lambda c: (order.get(c.outcome, 5), c.guide or "", c.key, c.check))
