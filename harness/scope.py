"""What a test can measure (its *scope*), and which baseline verdicts a selection could produce.

A conformance test's scope is its guide, stage, backend, batch size and tier; a field the
test leaves open (export runs no backend of its own; the cross-chip acceptance test runs
every batch size) is ``None`` and constrains nothing. The upgrade gate uses scopes to
narrow a baseline to the selection (``--gate-scope selected``) and to refuse a baseline
the selection shares nothing with; a recorded run stores its selection's scopes, so a
report rendered later narrows the same way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Optional

from harness import baseline as bl

GATE_SCOPES = ("strict", "selected")


@dataclass(frozen=True)
class Scope:
    guide: str
    stage: str
    backend: Optional[str] = None  # None: the test chooses (or has none)
    batch_size: Optional[int] = None
    tier: str = "synthetic"

    def covers(self, guide, stage, backend=None, batch_size=None) -> bool:
        """True when a record (or a plan entry) of these fields could come from this test;
        a field that is None on either side is not a constraint."""
        return (self.guide == guide and self.stage == stage
                and _agrees(self.backend, backend) and _agrees(self.batch_size, batch_size))

    def describe(self) -> str:
        return " ".join(str(x) for x in (self.guide, self.stage, self.backend,
                                          f"bs{self.batch_size}" if self.batch_size is not None else None,
                                          self.tier if self.stage == "accuracy" else None) if x)

    def to_dict(self) -> dict:
        return asdict(self)


def _agrees(a, b) -> bool:
    return a is None or b is None or a == b


def from_dicts(rows: Iterable[dict]) -> list[Scope]:
    """Scopes as a recorded run stores them (``run.selection``); other entries are skipped."""
    fields = set(Scope.__dataclass_fields__)
    return [Scope(**{k: v for k, v in row.items() if k in fields}) for row in rows
            if isinstance(row, dict) and row.get("guide") and row.get("stage")]


def producible(rec: dict, scopes: Iterable[Scope]) -> bool:
    """A test of these scopes could have written this baseline record."""
    tier = (rec.get("details") or {}).get("tier")
    return any(s.covers(rec.get("guide"), rec.get("stage"), rec.get("backend"), rec.get("batch_size"))
               and (tier is None or s.tier == tier) for s in scopes)


def in_scope(records: list, gate_scope: str, scopes: Iterable[Scope]) -> list:
    """The baseline verdicts the gate compares: all (strict), or those the selection could
    produce (selected)."""
    scopes = list(scopes)
    return bl.restrict(records, lambda rec: gate_scope == "strict" or producible(rec, scopes))
