"""The guides' own cross-chip throughput rules (harness/acceptance.py)."""
from __future__ import annotations

import pytest

from harness import acceptance, guides, known_failures
from harness.guides.base import AcceptanceRule, GuideError, Source

SRC = Source("test", "rule")


@pytest.fixture
def dpn():
    return guides.get("dpn131")


def best_rules(guide):
    # PAMTRI's wording: "最优batch：310P大于310的1.2；310P大于T4的1.6"
    return guide.replace(acceptance=(AcceptanceRule("Ascend310P3", "Ascend310", 1.2, SRC),
                                     AcceptanceRule("Ascend310P3", "T4", 1.6, SRC)))


def test_rules_do_not_apply_off_their_chip(dpn):
    assert acceptance.evaluate(best_rules(dpn), "cpu", {1: 5.0, 4: 6.0}) == []


def test_best_batch_size_rule(dpn):
    g = best_rules(dpn)
    # published best: 310 card 160.758 (bs32), T4 299.4 (bs32) -> needs 192.9 and 479.0
    every = {bs: 300.0 for bs in g.batch_sizes}
    every[8] = 500.0
    v310, vt4 = acceptance.evaluate(g, "Ascend310P3", every)
    assert v310.outcome == "pass" and v310.details["best_bs"] == 8 and "bs8" in v310.message
    assert vt4.outcome == "pass" and vt4.reference == pytest.approx(1.6 * 299.4, abs=0.01)
    every[8] = 400.0
    assert [v.outcome for v in acceptance.evaluate(g, "Ascend310P3", every)] == ["pass", "fail"]


def test_best_rule_short_of_target_on_a_subset_is_inconclusive(dpn):
    verdicts = acceptance.evaluate(best_rules(dpn), "Ascend310P3", {1: 158.0, 4: 371.75})
    assert [v.outcome for v in verdicts] == ["pass", "inconclusive"]
    assert "run --batch-sizes all" in verdicts[1].message


def test_dpn131_own_rule_fails_on_its_published_310_numbers_and_is_a_known_failure(dpn):
    published_310 = {f.batch_size: f.fps for f in dpn.floors if f.chip == "Ascend310"}
    verdicts = acceptance.evaluate(dpn, "Ascend310", published_310)
    assert [v.outcome for v in verdicts] == ["fail", "fail"]  # 148.67 < 181.36, 157.56 < 294.93
    records = [{"guide": "dpn131", "stage": "throughput", "check": v.name, "chip": "Ascend310",
                "backend": "ascend", "verdict": v.outcome} for v in verdicts]
    res = known_failures.resolve(records, known_failures.load(), test_failed=True)
    assert res.outcome == "xfail" and "dpn131-310-slower-than-t4" in res.message


def test_rule_against_a_chip_without_published_numbers_is_rejected(dpn):
    with pytest.raises(GuideError, match="no published floors for 'A100'"):
        dpn.replace(acceptance=(AcceptanceRule("Ascend310P3", "A100", 1.2, SRC),))
