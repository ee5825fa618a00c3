"""Every published floor and cross-chip rule of every guide, judged as the throughput stage
judges them (``harness.perf.floor_verdict``, ``harness.acceptance``), with measurements
planted the way the Ascend runners report them: the statistic the floor was published
with, per device (x4 per Ascend 310 card). A fast chip passes all, a slow one fails each,
and every message names the floor, its source and the measurement.
(tests/harness/test_ascend_floors_e2e.py drives a selection of them through the stages.)"""
from __future__ import annotations

import pytest

from harness import acceptance, guides
from harness.ascend import runners
from harness.chips import CHIPS
from harness.perf import PerfStats, floor_verdict

GUIDES = ("dpn131", "pamtri", "transpose", "centroids_reid", "dgnet")
NPU_CHIPS = ("Ascend310", "Ascend310P3")


def planted(floor, factor: float) -> PerfStats:
    """A measurement ``factor`` x the floor (per card), reported with the floor's statistic
    alongside the runner's own (so a floor published as ave_throughputRate is judged with
    it, not with Interface throughputRate)."""
    device = factor * floor.fps / CHIPS[floor.chip].devices_per_card
    own = runners.INTERFACE if floor.statistic in (runners.INTERFACE, runners.PURE_INFER) else runners.NPU_MEAN
    published = {own: device * 0.5, floor.statistic: device}  # the own statistic alone would fail
    latency = 1000.0 * floor.batch_size / device
    return PerfStats(floor.batch_size, (latency,) * 4, 1, "planted", published=published, statistic=own)


def npu_floors():
    return [(name, f) for name in GUIDES for f in guides.get(name).floors if f.chip in NPU_CHIPS]


@pytest.mark.parametrize("name, floor", npu_floors(), ids=lambda v: v if isinstance(v, str) else
                         f"{v.chip}-bs{v.batch_size}")
def test_fast_passes_and_slow_fails_every_floor(name, floor):
    assert floor.statistic, f"{name} {floor.chip} bs{floor.batch_size}: floor without its runner statistic"
    fast = floor_verdict(floor, planted(floor, 1.5), floor.chip)
    slow = floor_verdict(floor, planted(floor, 0.8), floor.chip)
    assert fast.passed and not slow.passed, (str(fast), str(slow))
    for v in (fast, slow):
        assert f"published {floor.fps} on {floor.chip} bs{floor.batch_size}" in v.message
        assert str(floor.source) in v.message and f"measured as {floor.statistic}" in v.message
        assert "median of 4 rounds" in v.message and "p50/p90/p99" in v.message
    assert slow.value == pytest.approx(0.8 * floor.fps)


def test_a_floor_the_runner_cannot_print_is_judged_with_its_own_statistic_and_says_so():
    floor = next(f for f in guides.get("dpn131").floors if f.statistic == runners.PURE_INFER)
    stats = PerfStats(floor.batch_size, (10.0,), 0, "ais_bench", published={runners.NPU_MEAN: 400.0},
                      statistic=runners.NPU_MEAN)
    v = floor_verdict(floor, stats, "Ascend310")
    assert v.value == pytest.approx(1600.0)
    assert f"measured as {runners.NPU_MEAN} (this runner does not print {runners.PURE_INFER})" in v.message


@pytest.mark.parametrize("name", [n for n in GUIDES if guides.get(n).acceptance])
def test_every_cross_chip_rule_passes_fast_and_fails_slow(name):
    guide = guides.get(name)
    for chip in {r.chip for r in guide.acceptance}:
        published_best = max(f.fps for f in guide.floors if f.chip in {r.versus for r in guide.acceptance})
        need = max(r.factor for r in guide.acceptance) * published_best
        fast = {bs: 1.5 * need for bs in guide.batch_sizes}
        slow = {bs: 0.5 * min(f.fps for f in guide.floors if f.chip != chip) for bs in guide.batch_sizes}
        assert all(v.outcome == "pass" for v in acceptance.evaluate(guide, chip, fast))
        verdicts = acceptance.evaluate(guide, chip, slow)
        assert verdicts and all(v.outcome == "fail" for v in verdicts), [str(v) for v in verdicts]
        assert all(any(str(r.source) in str(v) for r in guide.acceptance) for v in verdicts)


def test_no_guide_publishes_a_floor_or_rule_for_the_doubles_default_chip():
    """The Ascend double's timings are CPU timings, so its default chip must stay one that
    every registered guide (hand-written and family members) leaves unjudged: its
    throughput is measured, never compared with a real chip's published numbers. A guide
    that publishes for it needs the double's default moved (npu_smi_double.DEFAULT_NPU_NAME)."""
    from harness.ascend import npu_smi
    from tests.doubles.ascend.atc_double import SOC
    from tests.doubles.ascend.npu_smi_double import DEFAULT_NPU_NAME

    chip = npu_smi.soc_version(DEFAULT_NPU_NAME)
    assert chip in CHIPS and SOC.match(chip), f"{chip}: unknown to harness.chips or to the double's atc"
    judged = [(g.name, what) for g in guides.all_guides()
              for what in [f"floor bs{f.batch_size}" for f in g.floors if f.chip == chip]
              + [r.name for r in g.acceptance if chip in (r.chip, r.versus)]]
    assert len(guides.all_guides()) >= 25 and not judged, judged
