"""Throughput statistics: median of timed rounds after warm-up, with the spread.

A round is one batch executed once; its throughput is batch_size / latency. The verdict
value is the median over rounds (robust to a few slow rounds); the spread is the relative
inter-quartile range, which tells whether the number can be trusted at all.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field

from harness.errors import SuiteError


class PerfError(SuiteError, ValueError):
    """A throughput measurement that cannot be judged (zero rounds, invalid latencies)."""


@dataclass(frozen=True)
class PerfStats:
    batch_size: int
    latencies_ms: tuple[float, ...]  # one per timed round (one batch each)
    warmup: int
    source: str  # what measured it: "harness wall clock", "ais_bench NPU_compute_time", ...
    extra: dict = field(default_factory=dict)

    @property
    def rounds(self) -> int:
        return len(self.latencies_ms)

    def throughputs(self) -> list[float]:
        return [1000.0 * self.batch_size / t for t in self.latencies_ms if t > 0]

    @property
    def median_fps(self) -> float:
        t = self.throughputs()
        return statistics.median(t) if t else float("nan")

    @property
    def spread(self) -> float:
        """Relative inter-quartile range of per-round throughput (0.05 = 5 %)."""
        t = sorted(self.throughputs())
        if len(t) < 4:
            return float("nan") if not t else (max(t) - min(t)) / statistics.median(t)
        q = statistics.quantiles(t, n=4, method="inclusive")
        return (q[2] - q[0]) / statistics.median(t)

    def validate(self) -> None:
        """No vacuous measurement: zero rounds or non-finite latencies are errors."""
        if self.rounds == 0:
            raise PerfError(f"throughput run at batch size {self.batch_size} completed zero rounds "
                            f"({self.source}; --perf-rounds must be at least 1)")
        bad = [t for t in self.latencies_ms if not (math.isfinite(t) and t > 0)]
        if bad:
            raise PerfError(f"throughput run at batch size {self.batch_size} has invalid latencies "
                            f"{bad[:3]} ({self.source})")

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("latencies_ms")
        d.update(rounds=self.rounds, median_fps=self.median_fps, spread=self.spread,
                 min_ms=min(self.latencies_ms, default=float("nan")),
                 max_ms=max(self.latencies_ms, default=float("nan")))
        return d

    def __str__(self) -> str:
        return (f"{self.median_fps:.2f} samples/s (median of {self.rounds} rounds at bs{self.batch_size}, "
                f"spread {self.spread:.1%}, {self.source})")
