"""The upgrade gate's comparisons (harness/baseline.py) on synthetic records.

Three planted scenarios: an accuracy drop and a throughput regression
fail with the metric/batch size and both values named; planted noise is inconclusive and
names the noisy side. Plus direction and tolerance variants.
"""
from __future__ import annotations

import pytest

from harness import baseline as bl
from tests.harness import gate_records as make

RULES = bl.GateRules({"top1": bl.MetricRule("top1", "higher", 0.5),
                      "loss": bl.MetricRule("loss", "lower", 0.1, relative=True),
                      "fid": bl.MetricRule("fid", "window", 1.0)},
                     throughput_tolerance=0.10, flip_tolerance=0.0)


def rules(_guide):
    return RULES


def only(comparisons, check):
    found = [c for c in comparisons if c.check == check]
    assert len(found) == 1, comparisons
    return found[0]


def test_planted_accuracy_drop_fails_naming_metric_and_values():
    base = [make.metric(79.43), make.throughput()]
    cur = [make.metric(78.10), make.throughput()]
    comps = bl.compare_runs(cur, base, rules)
    c = only(comps, "baseline top1")
    assert c.outcome == "fail"
    assert "top1 dropped" in c.message and "78.1" in c.message and "79.43" in c.message
    assert c.key == "onnxruntime cpu bs1" and c.current == 78.10 and c.baseline == 79.43
    assert bl.gate_outcome(comps) == "fail"


def test_planted_throughput_regression_fails_naming_batch_size_and_medians():
    base = [make.throughput(bs=16, median=400.0, spread=0.02)]
    cur = [make.throughput(bs=16, median=300.0, spread=0.02)]
    c = only(bl.compare_runs(cur, base, rules), "baseline throughput")
    assert c.outcome == "fail" and c.key == "onnxruntime cpu bs16" and c.guide == "dpn131"
    assert "throughput regression" in c.message
    assert "300.00" in c.message and "400.00" in c.message and "-25.0%" in c.message


def test_planted_noise_is_inconclusive_and_names_the_noisy_side():
    base = [make.throughput(median=100.0, spread=0.02)]
    cur = [make.throughput(median=93.0, spread=0.30, seed=1)]
    comps = bl.compare_runs(cur, base, rules)
    c = only(comps, "baseline throughput")
    assert c.outcome == "inconclusive"
    assert "current side (spread 30.0%" in c.message and "baseline side" not in c.message
    assert c.details["noisy"] == ["current"]
    assert bl.gate_outcome(comps) == "inconclusive"


def test_noisy_baseline_is_named_as_the_noisy_side():
    c = bl.compare_throughput(make.throughput(median=95.0, spread=0.01),
                              make.throughput(median=100.0, spread=0.25), RULES)
    assert c.outcome == "inconclusive" and c.details["noisy"] == ["baseline"]
    assert "baseline side (spread 25.0%" in c.message


def test_noise_does_not_hide_a_regression_beyond_the_iqr_bands():
    # 50 % slower: even the kindest reading of a 20 %-spread run is a regression.
    c = bl.compare_throughput(make.throughput(median=50.0, spread=0.20),
                              make.throughput(median=100.0, spread=0.02), RULES)
    assert c.outcome == "fail" and c.details["noisy"] == ["current"]


@pytest.mark.parametrize("median, outcome", [(91.0, "pass"), (89.0, "fail"), (130.0, "pass")])
def test_throughput_tolerance_boundary_with_quiet_runs(median, outcome):
    c = bl.compare_throughput(make.throughput(median=median, spread=0.01),
                              make.throughput(median=100.0, spread=0.01), RULES)
    assert c.outcome == outcome, c.message


@pytest.mark.parametrize("rule, base, cur, outcome", [
    (bl.MetricRule("top1", "higher", 0.5), 79.0, 78.6, "pass"),
    (bl.MetricRule("top1", "higher", 0.5), 79.0, 78.4, "fail"),
    (bl.MetricRule("top1", "higher", 0.5), 79.0, 90.0, "pass"),
    (bl.MetricRule("loss", "lower", 0.1, relative=True), 2.0, 2.19, "pass"),
    (bl.MetricRule("loss", "lower", 0.1, relative=True), 2.0, 2.21, "fail"),
    (bl.MetricRule("loss", "lower", 0.1, relative=True), 2.0, 1.0, "pass"),
    (bl.MetricRule("fid", "window", 1.0), 18.12, 19.0, "pass"),
    (bl.MetricRule("fid", "window", 1.0), 18.12, 16.9, "fail"),
    (bl.MetricRule("fid", "window", 1.0), 18.12, 19.2, "fail"),
])
def test_metric_direction_and_tolerance(rule, base, cur, outcome):
    c = bl.compare_metric(make.metric(cur, metric_name=rule.metric), make.metric(base, metric_name=rule.metric),
                          rule)
    assert c.outcome == outcome, c.message


def test_top1_flips_are_reported_with_the_samples_that_changed():
    base = [make.metric(50.0, per_sample=make.classes())]
    cur = [make.metric(50.0, per_sample=make.classes(flips=("img003", "img007")))]
    c = only(bl.compare_runs(cur, base, rules), "baseline per-sample agreement")
    assert c.outcome == "fail"
    assert "2/12 samples changed" in c.message and "img003" in c.message and "img007" in c.message
    assert set(c.details["changed"]) == {"img003", "img007"}


def test_flips_within_the_guides_flip_tolerance_pass():
    lenient = bl.GateRules(RULES.metrics, flip_tolerance=0.10)
    c = bl.compare_per_sample(make.metric(50.0, per_sample=make.classes(flips=("img003",))),
                              make.metric(50.0, per_sample=make.classes()), lenient)
    assert c.outcome == "pass" and "1/12 samples changed" in c.message


def test_large_per_sample_lists_go_to_a_checksummed_sidecar(tmp_path):
    from harness.samples import INLINE_LIMIT, load_per_sample, pack_per_sample

    per_sample = make.classes(n=INLINE_LIMIT + 5)
    entry = pack_per_sample(per_sample, tmp_path, "top-1 class")
    assert "ids" not in entry and (tmp_path / entry["file"]).is_file()
    assert load_per_sample(entry, tmp_path) == {k: v[0] for k, v in per_sample.items()}
    (tmp_path / entry["file"]).write_bytes(__import__("gzip").compress(b'{"ids":[],"values":[]}'))
    with pytest.raises(ValueError, match="checksum"):
        load_per_sample(entry, tmp_path)


def test_a_new_measurement_is_listed_and_a_missing_one_fails_the_gate():
    base = [make.throughput(bs=1), make.throughput(bs=8)]
    cur = [make.throughput(bs=1), make.throughput(bs=4)]
    comps = bl.compare_runs(cur, base, rules, explain_missing=lambda rec: f"bs{rec['batch_size']} skipped")
    assert {(c.outcome, c.batch_size) for c in comps} == {("pass", 1), ("new", 4), ("missing", 8)}
    missing = next(c for c in comps if c.outcome == "missing")
    assert missing.message == "in the baseline but not measured in this run: bs8 skipped"
    assert bl.gate_outcome(comps) == "fail"
    # narrowed explicitly to what this run measures, the gate passes
    narrowed = bl.restrict(base, lambda rec: rec["batch_size"] != 8)
    assert bl.gate_outcome(bl.compare_runs(cur, narrowed, rules)) == "pass"


def test_a_gate_that_compared_nothing_fails():
    base = [make.metric(79.4, bs=1), make.throughput(bs=1)]
    comps = bl.compare_runs([], base, rules)
    assert [c.outcome for c in comps] == ["missing", "missing"]
    assert bl.gate_outcome(comps) == "fail"


def test_every_stage_counts_and_notes_about_the_run_are_not_verdicts():
    compile_rec = dict(make.metric(1.0, bs=1), stage="compile", check="ascend vs onnxruntime (bs1)")
    note = {"guide": "", "stage": bl.RUN_STAGE, "check": "run interrupted", "verdict": "fail"}
    comps = bl.compare_runs([note], [compile_rec, note], rules)
    assert [(c.outcome, c.stage) for c in comps] == [("missing", "compile")]


def test_rules_come_from_the_guide_record():
    from harness import guides

    r = bl.rules_from_guide(guides.get("dpn131"))
    assert r.metrics["top1"].direction == "higher" and r.metrics["top1"].tolerance == 1.0
    assert r.throughput_tolerance == 0.10 and r.noise == 0.05
