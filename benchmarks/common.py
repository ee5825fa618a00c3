"""Shared pieces of the benchmarks: timing, the result row, the table, the conditions."""
from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Row:
    """One line of the results table: what was compared, the ratio, and the target."""

    what: str
    baseline: str  # e.g. "1200 img/s" (the straightforward way)
    suite: str  # the suite's way
    ratio: float  # suite / baseline in speed (higher is better)
    target: str  # e.g. ">= 4x"
    met: Optional[bool]
    notes: str = ""
    extra: dict = field(default_factory=dict)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` runs: the least disturbed by other load on a shared machine."""
    return min(timed(fn)[0] for _ in range(max(1, repeat)))


def median(values) -> float:
    return statistics.median(values)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def conditions() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{datetime.date.today().isoformat()}, {cores()} cores ({platform.processor() or platform.machine()}), "
            f"load average {load:.1f} at start, Python {platform.python_version()}")


def table(rows: list[Row]) -> str:
    head = ("what", "straightforward", "suite", "ratio", "target", "met")
    body = [(r.what, r.baseline, r.suite, f"{r.ratio:.2f}x" if r.ratio == r.ratio else "n/a",
             r.target, {True: "yes", False: "NO", None: "-"}[r.met]) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(head), line(["-" * w for w in widths])] + [line(b) for b in body]
    notes = [f"  {r.what}: {r.notes}" for r in rows if r.notes]
    return "\n".join(out + (["", "notes:"] + notes if notes else []))


def markdown(rows: list[Row]) -> str:
    out = ["| what | straightforward | suite | ratio | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = f"{r.ratio:.2f}×" if r.ratio == r.ratio else "n/a"
        out.append(f"| {r.what} | {r.baseline} | {r.suite} | {ratio} | {r.target} | "
                   f"{ {True: 'yes', False: 'no', None: '-'}[r.met]} |")
    return "\n".join(out)
