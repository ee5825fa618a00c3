"""Throughput statistics: median of timed rounds after warm-up, with the spread, and the
statistic a guide published.

A round is one batch executed once; its throughput is batch_size / latency. The median
over rounds (robust to a few slow rounds) and the spread (relative inter-quartile range,
which tells whether the number can be trusted at all) are what run-to-run comparisons use.

A guide's floor, however, was published with its runner's own statistic: ais_bench prints
``1000 * batch / mean(NPU_compute_time)``, the legacy benchmark its ``Interface
throughputRate`` (or ``ave_throughputRate`` in pure-inference mode). A measurement carries
the statistics its runner printed (``published``) and which one is its own
(``statistic``); a floor is judged with the statistic it was published with
(``value_for``), the median, spread and latency percentiles reported beside it.
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
    # Device samples/s as the runner printed them, by statistic (harness.ascend.runners
    # NPU_MEAN, INTERFACE, PURE_INFER); and which of them is the runner's own ("" = none:
    # the median of rounds is the measurement).
    published: dict = field(default_factory=dict)
    statistic: str = ""

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

    @property
    def judged_fps(self) -> float:
        """The runner's own statistic (what its guides publish), else the median of rounds."""
        return self.published[self.statistic] if self.statistic else self.median_fps

    @property
    def judged_as(self) -> str:
        return self.statistic or "median of rounds"

    def value_for(self, statistic: str) -> tuple[float, str]:
        """(device samples/s, how measured) to judge a floor published as ``statistic``: that
        statistic when this run printed it, else the runner's own, named as a substitute."""
        if statistic and statistic in self.published:
            return self.published[statistic], statistic
        if statistic and statistic != self.judged_as:
            return self.judged_fps, f"{self.judged_as} (this runner does not print {statistic})"
        return self.judged_fps, self.judged_as

    def percentile_ms(self, q: float) -> float:
        """Latency percentile of the timed rounds (linear interpolation, as numpy's default)."""
        t = sorted(self.latencies_ms)
        if not t:
            return float("nan")
        pos = (len(t) - 1) * q / 100.0
        lo = math.floor(pos)
        hi = min(lo + 1, len(t) - 1)
        return t[lo] + (t[hi] - t[lo]) * (pos - lo)

    def validate(self) -> None:
        """No vacuous measurement: zero rounds or non-finite latencies are errors."""
        if self.rounds == 0:
            raise PerfError(f"throughput run at batch size {self.batch_size} completed zero rounds "
                            f"({self.source}; --perf-rounds must be at least 1)")
        bad = [t for t in self.latencies_ms if not (math.isfinite(t) and t > 0)]
        if bad:
            raise PerfError(f"throughput run at batch size {self.batch_size} has invalid latencies "
                            f"{bad[:3]} ({self.source})")
        bad_stats = {k: v for k, v in self.published.items() if not (math.isfinite(v) and v > 0)}
        if bad_stats or (self.statistic and self.statistic not in self.published):
            raise PerfError(f"throughput run at batch size {self.batch_size}: the runner's statistics "
                            f"{bad_stats or self.statistic + ' missing'} are not usable ({self.source})")

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("latencies_ms")
        d.update(rounds=self.rounds, median_fps=self.median_fps, spread=self.spread,
                 judged_fps=self.judged_fps, judged_as=self.judged_as,
                 min_ms=min(self.latencies_ms, default=float("nan")),
                 max_ms=max(self.latencies_ms, default=float("nan")),
                 p50_ms=self.percentile_ms(50), p90_ms=self.percentile_ms(90), p99_ms=self.percentile_ms(99))
        return d

    def __str__(self) -> str:
        head = f"{self.judged_fps:.2f} samples/s ({self.judged_as}); " if self.statistic else ""
        return (f"{head}{self.median_fps:.2f} samples/s median of {self.rounds} rounds at bs{self.batch_size}, "
                f"spread {self.spread:.1%}, latency p50/p90/p99 {self.percentile_ms(50):.3f}/"
                f"{self.percentile_ms(90):.3f}/{self.percentile_ms(99):.3f} ms ({self.source})")


def floor_verdict(floor, stats: PerfStats, chip: str):
    """A published floor judged with the statistic it was published with (``value_for``),
    per card (``harness.chips``); the message names the floor, its source, the measurement
    and how it was taken, and gives the median, spread and latency percentiles beside it."""
    from harness.checks import throughput_floor
    from harness.chips import card_throughput

    device, how = stats.value_for(floor.statistic)
    v = throughput_floor(f"throughput floor {floor.chip}", card_throughput(chip, device), floor, device)
    v.message = (f"{v.message}; floor published as {floor.measured_as or floor.statistic or 'tabulated'}, "
                 f"measured as {how}; beside it: {stats.median_fps:.2f} samples/s median of "
                 f"{stats.rounds} rounds, spread {stats.spread:.1%}, latency p50/p90/p99 "
                 f"{stats.percentile_ms(50):.3f}/{stats.percentile_ms(90):.3f}/{stats.percentile_ms(99):.3f} ms")
    v.details = {**(v.details or {}), **stats.summary(), "floor_statistic": floor.statistic, "measured_as": how}
    return v
