"""The guides' own cross-chip throughput rules (``Guide.acceptance``), as verdicts.

A guide such as PAMTRI states "最优batch：310P大于310的1.2；310P大于T4的1.6，性能达标": at the
best batch size, the 310P card must reach 1.2 x the 310 card (310 = one device x 4) and
1.6 x the T4. DPN131's section 7.3 compares the 310 card with the T4 at bs1 and bs16.

A rule applies only when the chip being measured is the rule's ``chip``; elsewhere (CPU,
another chip) ``evaluate`` returns no verdict at all, so nothing pretends to pass. The
other side always comes from the guide's published floors for ``versus``.

"best" rules compare the best card throughput over the batch sizes measured in this run
with the best published number of ``versus``. When the run measured only some of the
guide's batch sizes, a pass is still a pass (the true best is at least as high), but a
shortfall is *inconclusive* (the best batch size may not have been measured).
"""
from __future__ import annotations

import math
from typing import Mapping

from harness.checks import Verdict


def applicable(guide, chip: str) -> list:
    return [r for r in getattr(guide, "acceptance", ()) if r.chip == chip]


def evaluate(guide, chip: str, card_fps: Mapping[int, float]) -> list[Verdict]:
    """Verdicts of every rule for ``chip``; ``card_fps``: measured card throughput per bs."""
    out = []
    for rule in applicable(guide, chip):
        published = {f.batch_size: f.fps for f in guide.floors if f.chip == rule.versus}
        if rule.at == "best":
            out.append(_best(guide, rule, card_fps, published))
        else:
            out.extend(_at(rule, bs, card_fps, published) for bs in rule.at)
    return out


def _best(guide, rule, card_fps, published) -> Verdict:
    measured = {bs: v for bs, v in card_fps.items() if math.isfinite(v)}
    if not measured:
        return Verdict(rule.name, False, "no finite throughput measured", None, None, rule.factor)
    best_bs = max(measured, key=measured.get)
    theirs_bs = max(published, key=published.get)
    need = rule.factor * published[theirs_bs]
    mine = measured[best_bs]
    ok = mine >= need
    missing = sorted(set(guide.batch_sizes) - set(measured))
    msg = (f"best {rule.chip} card {mine:.2f} samples/s (bs{best_bs} of measured {sorted(measured)}) "
           f"vs {rule.factor:g} x best published {rule.versus} {published[theirs_bs]:g} "
           f"(bs{theirs_bs}) = {need:.2f} [{rule.source}]")
    outcome = "pass" if ok else "fail"
    if not ok and missing:
        outcome = "inconclusive"
        msg += (f"; batch sizes {missing} were not measured, so the best batch size is not "
                f"established: run --batch-sizes all")
    return Verdict(rule.name, ok, msg, mine, need, rule.factor, outcome=outcome,
                   details={"best_bs": best_bs, "versus_best_bs": theirs_bs, "measured": measured})


def _at(rule, bs, card_fps, published) -> Verdict:
    name = f"{rule.name} bs{bs}"
    if bs not in card_fps:
        return Verdict(name, False, f"bs{bs} was not measured in this run; run --batch-sizes "
                                    f"including {bs}", None, None, rule.factor, outcome="inconclusive")
    if bs not in published:
        return Verdict(name, False, f"the guide publishes no {rule.versus} number at bs{bs}",
                       card_fps[bs], None, rule.factor)
    need = rule.factor * published[bs]
    mine = card_fps[bs]
    ok = math.isfinite(mine) and mine >= need
    return Verdict(name, ok, f"{rule.chip} card {mine:.2f} samples/s vs {rule.factor:g} x published "
                             f"{rule.versus} {published[bs]:g} = {need:.2f} at bs{bs} [{rule.source}]",
                   mine, need, rule.factor)
