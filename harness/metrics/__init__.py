"""Metrics, each computed as the guide's post-processing script computes it."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from harness.errors import SuiteError


class MetricError(SuiteError):
    """A metric cannot be computed honestly (zero samples, missing outputs, NaN)."""


@dataclass
class MetricReport:
    """Metric values plus what they were computed over.

    ``count``: samples evaluated (a verdict fails when it is not the dataset's count);
    ``per_sample``: per-sample results (e.g. top-5 classes) for agreement checks;
    ``files``: artefacts in the guide's own format (name -> text), e.g. result.json.
    """

    values: dict[str, float]
    count: int
    per_sample: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def check(self) -> None:
        if self.count <= 0:
            raise MetricError("metric computed over zero samples")
        bad = {k: v for k, v in self.values.items() if not math.isfinite(v)}
        if bad:
            raise MetricError(f"non-finite metric values: {bad}")
