"""The performance half of a guide record: published throughput floors, the guide's own
cross-chip rules, and the upgrade gate's run-to-run settings (re-exported by
``harness.guides.base``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:  # a type only: base imports this module
    from harness.guides.base import Source


@dataclass(frozen=True)
class ThroughputFloor:
    """Published throughput for one chip and batch size (samples/s, per card).

    ``measured_as`` records how the guide measured it (e.g. "benchmark Interface
    throughputRate x4"). The suite compares a device measurement times the chip's devices
    per card (see ``harness.chips``) with ``fps * (1 - tolerance)``.
    """

    chip: str
    batch_size: int
    fps: float
    source: Source
    measured_as: str = ""
    tolerance: float = 0.10
    # The runner statistic the number was published with (harness.ascend.runners NPU_MEAN,
    # INTERFACE, PURE_INFER); the floor is judged with the same one. "" = not an NPU runner's.
    statistic: str = ""


def floor_table(chip: str, fps_by_batch: Mapping[int, float], source: Source,
                measured_as: str, statistic: str = "") -> tuple[ThroughputFloor, ...]:
    """One chip's column of a guide's throughput table, taken as printed."""
    return tuple(ThroughputFloor(chip, bs, float(fps), source, measured_as, statistic=statistic)
                 for bs, fps in fps_by_batch.items())


@dataclass(frozen=True)
class AcceptanceRule:
    """A guide's own cross-chip performance rule (evaluated by ``harness.acceptance``).

    ``chip`` (the chip being measured) must reach ``factor`` x the published throughput of
    ``versus`` (from this guide's floors). ``at="best"``: each chip's best batch size (the
    measured best over the batch sizes run vs the published best); ``at=(1, 16)``: at each
    of those batch sizes. E.g. PAMTRI: "最优batch：310P大于310的1.2；310P大于T4的1.6".
    A rule only applies when the chip being measured is ``chip``.
    """

    chip: str
    versus: str
    factor: float
    source: Source
    at: Any = "best"  # "best" or a tuple of batch sizes

    @property
    def name(self) -> str:
        where = "best bs" if self.at == "best" else "bs" + ",".join(str(b) for b in self.at)
        return f"acceptance {self.chip} >= {self.factor:g} x {self.versus} ({where})"


@dataclass(frozen=True)
class GateSettings:
    """Run-to-run comparison settings for the upgrade gate (``harness.baseline``).

    metric_tolerances: per metric, overrides the reference's tolerance for baseline
    comparisons (direction and relativeness still come from the reference).
    throughput_tolerance: a median below baseline x (1 - this) is a regression.
    noise_limit: spread (relative IQR) above which a side is noisy; None = tolerance / 2.
    flip_tolerance: share of samples whose per-sample result may change between runs.
    """

    metric_tolerances: Mapping[str, float] = field(default_factory=dict)
    throughput_tolerance: float = 0.10
    noise_limit: Optional[float] = None
    flip_tolerance: float = 0.01
