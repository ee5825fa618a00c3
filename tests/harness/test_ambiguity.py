"""Backend-vs-PyTorch allowances derived from the measured output difference
(harness.metrics.ambiguity and the metric modules' derivations): near ties may flip,
everything else must match, and planted differences beyond the margin fail."""
from __future__ import annotations

import numpy as np
import pytest

from harness import checks
from harness.metrics import MetricError
from harness.metrics.ambiguity import Allowance, Slack, max_abs_diff
from harness.metrics.gan_images import mean_pixel_allowance, recover_image
from harness.metrics.reid import rank, same_id_same_camera, squared_euclidean
from harness.metrics.reid_allowance import ranking_allowance, ranking_near_ties
from harness.metrics.topk import topk_allowance, topk_report

NOISE = 1e-5


def _logits(n=200, classes=50, seed=0):
    rng = np.random.default_rng(seed)
    preds = {f"s{i}": rng.standard_normal(classes).astype(np.float32) * 3 for i in range(n)}
    labels = {f"s{i}": int(rng.integers(0, classes)) for i in range(n)}
    return preds, labels


def _plant_tie(vec: np.ndarray, first: int, second: int, gap: float) -> None:
    """Make ``first`` the top class and ``second`` the runner-up, ``gap`` apart."""
    top = float(vec.max()) + 1.0
    vec[first], vec[second] = top, top - gap


def _noisy(preds, seed=1, scale=NOISE):
    rng = np.random.default_rng(seed)
    return {s: (v + rng.uniform(-scale, scale, v.shape)).astype(np.float32) for s, v in preds.items()}


# -- top-k --------------------------------------------------------------------------------------

def test_identical_outputs_allow_nothing():
    preds, labels = _logits()
    allowance = topk_allowance(preds, preds, labels)
    assert allowance.measured == 0.0 and allowance.margin == 0.0 and not allowance.ambiguous
    assert all(s.amount == 0.0 for s in allowance.metric_slack.values())
    report = topk_report(preds, labels)
    v = checks.metric_within_allowance("top1", "top1", report["top1"], report["top1"], allowance)
    assert v.passed, str(v)


def test_a_flip_at_a_near_tie_is_explained():
    preds, labels = _logits()
    _plant_tie(preds["s3"], 7, 9, 2e-6)  # within 2 x NOISE: may flip
    labels["s3"] = 7
    ours = _noisy(preds)
    ours["s3"][7], ours["s3"][9] = preds["s3"][9], preds["s3"][7]  # the flip (moves each by 2e-6)
    ref_report, our_report = topk_report(preds, labels), topk_report(ours, labels)
    assert our_report.per_sample["s3"][0] == 9 and ref_report.per_sample["s3"][0] == 7
    allowance = topk_allowance(ours, preds, labels)
    assert "s3" in allowance.ambiguous and allowance.metric_slack["top1"].ambiguous >= 1
    metric = checks.metric_within_allowance("top1", "top1", our_report["top1"], ref_report["top1"], allowance)
    assert metric.passed and our_report["top1"] != ref_report["top1"], str(metric)
    assert "ambiguous" in metric.message and "max |logit diff|" in metric.message
    agree = checks.per_sample_within_allowance("agree", our_report.per_sample, ref_report.per_sample,
                                               "top-5", allowance)
    assert agree.passed, str(agree)


def test_a_flipped_top1_with_a_large_margin_fails():
    """The backend reports a changed top-1 where PyTorch's margin is 0.5, far above 2 x the
    measured logit difference: both the per-sample and the metric verdict fail."""
    preds, labels = _logits()
    _plant_tie(preds["s5"], 4, 8, 0.5)
    labels["s5"] = 4
    ours = _noisy(preds)
    allowance = topk_allowance(ours, preds, labels)
    assert allowance.measured <= 2 * NOISE and "s5" not in allowance.ambiguous
    ref_report = topk_report(preds, labels)
    claimed = dict(topk_report(ours, labels).per_sample)
    claimed["s5"] = [8, 4] + claimed["s5"][2:]
    agree = checks.per_sample_within_allowance("agree", claimed, ref_report.per_sample, "top-5", allowance)
    assert not agree.passed and "s5" in agree.message and agree.details["unexplained"] == ["s5"]
    lower = ref_report["top1"] - 100.0 / len(preds)
    metric = checks.metric_within_allowance("top1", "top1", lower, ref_report["top1"], allowance)
    assert not metric.passed and "larger than the ambiguous samples can cause" in metric.message


def test_the_slack_counts_only_samples_whose_label_sits_at_the_boundary():
    preds, labels = _logits(n=10)
    _plant_tie(preds["s0"], 1, 2, 1e-6)
    labels["s0"] = 30  # the tie is not the label's: top-1 hit cannot change
    allowance = topk_allowance(_noisy(preds), preds, labels)
    assert "s0" in allowance.ambiguous  # its class list may change
    labels_hit = dict(labels, s0=2)
    assert topk_allowance(_noisy(preds), preds, labels_hit).metric_slack["top1"].ambiguous >= 1


def test_topk_allowance_sees_the_txt_rounding():
    """Values equal after six-decimal rounding are a tie; a difference below the rounding
    step on both sides leaves the rounded values, and the allowance, unchanged."""
    preds = {"a": np.array([0.1234564, 0.1234561, 0.0], np.float32)}
    same = {"a": np.array([0.12345641, 0.1234561, 0.0], np.float32)}
    allowance = topk_allowance(same, preds, {"a": 0}, k_max=2)
    assert allowance.measured == 0.0 and not allowance.ambiguous


def test_max_abs_diff_names_a_missing_sample():
    with pytest.raises(MetricError, match="sample b has no backend output"):
        max_abs_diff({"a": [np.zeros(3)]}, {"a": [np.zeros(3)], "b": [np.zeros(3)]})


# -- re-id ---------------------------------------------------------------------------------------

def _reid_case(seed=0, nq=30, ng=240, ids=10, cams=4, dim=16):
    rng = np.random.default_rng(seed)
    q_pids, g_pids = rng.integers(0, ids, nq), rng.integers(0, ids, ng)
    q_cams, g_cams = rng.integers(0, cams, nq), rng.integers(0, cams, ng)
    centres = rng.standard_normal((ids, dim)) * 2
    qf = (centres[q_pids] + rng.standard_normal((nq, dim))).astype(np.float32)
    gf = (centres[g_pids] + rng.standard_normal((ng, dim))).astype(np.float32)
    return qf, gf, q_pids, g_pids, q_cams, g_cams


def _evaluate(qf, gf, q_pids, g_pids, q_cams, g_cams):
    d = squared_euclidean(qf, gf)
    return d, rank(d, q_pids, g_pids, same_id_same_camera(q_cams, g_cams))


def test_reid_noise_is_explained_by_near_ties():
    qf, gf, q_pids, g_pids, q_cams, g_cams = _reid_case()
    rng = np.random.default_rng(3)
    qf2 = (qf + rng.uniform(-1e-3, 1e-3, qf.shape)).astype(np.float32)
    d_ref, r_ref = _evaluate(qf, gf, q_pids, g_pids, q_cams, g_cams)
    d_ours, r_ours = _evaluate(qf2, gf, q_pids, g_pids, q_cams, g_cams)
    ties = ranking_near_ties(d_ours, d_ref, q_pids, g_pids, same_id_same_camera(q_cams, g_cams))
    allowance = ranking_allowance([ties], [f"q{i}" for i in range(len(q_pids))], {"mAP": ties.map_slack()})
    assert allowance.measured > 0
    changed_ap = np.nonzero(np.nan_to_num(r_ours.ap) != np.nan_to_num(r_ref.ap))[0]
    assert set(changed_ap) <= set(np.nonzero(ties.order_tied)[0])  # only near-tie queries moved
    assert np.all(np.abs(np.nan_to_num(r_ours.ap) - np.nan_to_num(r_ref.ap)) <= ties.ap_bound + 1e-12)
    v = checks.metric_within_allowance("mAP", "mAP", 100 * r_ours.mAP, 100 * r_ref.mAP, allowance)
    assert v.passed, str(v)


def test_a_ranking_change_beyond_the_bound_fails():
    """A query whose hit is 1.0 nearer than its nearest non-hit, with distances measured
    1e-6 apart: a backend ranking that swaps them is not explained."""
    q_pids, g_pids = np.array([0, 1]), np.array([0, 1, 1, 2])
    q_cams, g_cams = np.array([0, 0]), np.array([1, 1, 1, 1])
    d_ref = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 1.0, 1.0 + 1e-6, 3.0]], np.float32)
    d_ours = d_ref + np.float32(1e-6)
    rule = same_id_same_camera(q_cams, g_cams)
    ties = ranking_near_ties(d_ours, d_ref, q_pids, g_pids, rule)
    assert not ties.order_tied[0] and 0 not in ties.top_tied  # query 0: gaps of 1.0
    assert 1 in ties.top_tied and not ties.order_tied[1]  # query 1: two hits 1e-6 apart
    allowance = ranking_allowance([ties], ["q0", "q1"], {"mAP": ties.map_slack()})
    swapped = d_ref.copy()
    swapped[0, :2] = [2.0, 1.0]  # query 0's hit falls behind a non-hit
    r_ref = rank(d_ref, q_pids, g_pids, rule)
    r_bad = rank(swapped, q_pids, g_pids, rule)
    v = checks.metric_within_allowance("mAP", "mAP", 100 * r_bad.mAP, 100 * r_ref.mAP, allowance)
    assert not v.passed and "larger than the ambiguous samples can cause" in v.message
    agree = checks.per_sample_within_allowance(
        "agree", {"q0": int(r_bad.top_gallery[0]), "q1": 3},
        {"q0": int(r_ref.top_gallery[0]), "q1": int(r_ref.top_gallery[1])}, "top row", allowance)
    assert not agree.passed and agree.details["unexplained"] == ["q0"]


def test_distance_matrices_of_different_shapes_are_an_error():
    with pytest.raises(MetricError, match="shape"):
        ranking_near_ties(np.zeros((2, 3)), np.zeros((2, 4)), [0, 1], [0, 1, 2, 3], None)


# -- DG-Net mean pixel ---------------------------------------------------------------------------

def _mean_pixel(outputs):
    return sum(float(recover_image(o[0]).mean()) for o in outputs.values()) / len(outputs)


@pytest.mark.parametrize("noise", [0.0, 1e-6, 1e-3])
def test_mean_pixel_difference_is_within_the_derived_bound(noise):
    rng = np.random.default_rng(4)
    ref = {f"s{i}": [rng.standard_normal((3, 16, 8)).astype(np.float32)] for i in range(20)}
    ours = {s: [(o[0] + rng.uniform(-noise, noise, o[0].shape)).astype(np.float32)] for s, o in ref.items()}
    allowance = mean_pixel_allowance(ours, ref)
    assert allowance.measured <= noise * 1.1
    diff = abs(_mean_pixel(ours) - _mean_pixel(ref))
    assert diff <= allowance.metric_slack["mean_pixel"].amount + 1e-12
    if noise == 0.0:
        assert allowance.metric_slack["mean_pixel"].amount < 1e-6 and not allowance.ambiguous
    v = checks.metric_within_allowance("mean_pixel", "mean_pixel", _mean_pixel(ours), _mean_pixel(ref), allowance)
    assert v.passed, str(v)


def test_a_mean_pixel_shift_beyond_the_bound_fails():
    rng = np.random.default_rng(5)
    ref = {f"s{i}": [rng.standard_normal((3, 16, 8)).astype(np.float32)] for i in range(20)}
    ours = {s: [(o[0] + np.float32(1e-6)).astype(np.float32)] for s, o in ref.items()}
    allowance = mean_pixel_allowance(ours, ref)
    v = checks.metric_within_allowance("mean_pixel", "mean_pixel", _mean_pixel(ref) + 0.5, _mean_pixel(ref),
                                       allowance)
    assert not v.passed


# -- the verdicts themselves ---------------------------------------------------------------------

def test_an_explained_value_must_be_met_exactly():
    allowance = Allowance("max |heatmap diff|", 1e-7, 2e-7, 10, {"a": "tie"},
                          {"AP": Slack(0.0, 1, "1 of 10 samples", explained_value=40.0)})
    assert checks.metric_within_allowance("AP", "AP", 40.0, 41.0, allowance).passed
    v = checks.metric_within_allowance("AP", "AP", 40.5, 41.0, allowance)
    assert not v.passed and "left unexplained" in v.message


def test_a_metric_without_a_derived_allowance_is_an_error():
    allowance = Allowance("m", 0.0, 0.0, 1)
    with pytest.raises(MetricError, match="no allowance derived for metric 'top1'"):
        checks.metric_within_allowance("top1", "top1", 1.0, 1.0, allowance)


def test_zero_samples_fail_the_per_sample_verdict():
    assert not checks.per_sample_within_allowance("a", {}, {}, "x", Allowance("m", 0.0, 0.0, 0)).passed


def test_output_sets_close_guards_the_measurement():
    ref = {"main": {"a": [np.zeros(4, np.float32)], "b": [np.ones(4, np.float32)]}}
    near = {"main": {"a": [np.full(4, 1e-5, np.float32)], "b": [np.ones(4, np.float32)]}}
    far = {"main": {"a": [np.full(4, 0.5, np.float32)], "b": [np.ones(4, np.float32)]}}
    assert checks.output_sets_close("p", near, ref, 1e-4, 1e-3).passed
    v = checks.output_sets_close("p", far, ref, 1e-4, 1e-3)
    assert not v.passed and "main/a output 0" in v.message
    missing = checks.output_sets_close("p", {"main": {"a": near["main"]["a"]}}, ref, 1e-4, 1e-3)
    assert not missing.passed and "main/b: missing outputs" in missing.message


# -- at sizes in the thousands --------------------------------------------------------------------
# Last-bit differences (relative 1e-6, as ONNX Runtime vs PyTorch give) flip some near ties
# once there are thousands of samples: exact equality then fails by chance, the derived
# allowance explains every flip and nothing else.

def _relative_noise(x: np.ndarray, rng, rel=1e-6) -> np.ndarray:
    return (x * (1 + rng.uniform(-rel, rel, x.shape))).astype(np.float32)


def test_topk_at_2000_images_flips_only_near_ties():
    rng = np.random.default_rng(11)
    n, classes = 2000, 1000
    logits = rng.standard_normal((n, classes)).astype(np.float32)
    preds = {f"s{i}": logits[i] for i in range(n)}
    labels = {f"s{i}": int(np.argsort(-logits[i])[int(rng.integers(0, 2))]) for i in range(n)}
    ours = {s: _relative_noise(v, rng, 1e-5) for s, v in preds.items()}
    ref_r, our_r = topk_report(preds, labels), topk_report(ours, labels)
    allowance = topk_allowance(ours, preds, labels)
    changed = [s for s in preds if our_r.per_sample[s] != ref_r.per_sample[s]]
    assert changed, "the noise should flip some near ties at this size"
    assert set(changed) <= set(allowance.ambiguous)
    for k in (1, 5):
        assert checks.metric_within_allowance("t", f"top{k}", our_r[f"top{k}"], ref_r[f"top{k}"], allowance).passed
    agree = checks.per_sample_within_allowance("a", our_r.per_sample, ref_r.per_sample, "top-5", allowance)
    assert agree.passed and len(allowance.ambiguous) < n // 10, str(agree)


def test_reid_at_1500_images_flips_only_near_ties():
    """PAMTRI-like: 300 queries, 1200 gallery images, 1024-d features that are nearly the
    same for every image (a random-weight network's), so distances crowd together."""
    rng = np.random.default_rng(12)
    nq, ng, ids, dim = 300, 1200, 60, 1024
    q_pids, g_pids = rng.integers(0, ids, nq), rng.integers(0, ids, ng)
    q_cams, g_cams = rng.integers(0, 20, nq), rng.integers(0, 20, ng)
    base = rng.uniform(0, 1, dim)
    qf = (base + 1e-3 * rng.standard_normal((nq, dim))).astype(np.float32)
    gf = (base + 1e-3 * rng.standard_normal((ng, dim))).astype(np.float32)
    rule = same_id_same_camera(q_cams, g_cams)
    d_ref = squared_euclidean(qf, gf)
    d_ours = squared_euclidean(_relative_noise(qf, rng), _relative_noise(gf, rng))
    r_ref, r_ours = rank(d_ref, q_pids, g_pids, rule), rank(d_ours, q_pids, g_pids, rule)
    ties = ranking_near_ties(d_ours, d_ref, q_pids, g_pids, rule)
    allowance = ranking_allowance([ties], [f"q{i}" for i in range(nq)], {"mAP": ties.map_slack(), "rank1": ties.rank_slack(1)})
    moved = np.nonzero(np.nan_to_num(r_ours.ap, nan=-1) != np.nan_to_num(r_ref.ap, nan=-1))[0]
    assert moved.size, "the noise should reorder some near ties at this size"
    assert set(moved) <= set(np.nonzero(ties.order_tied)[0])
    assert np.all(np.abs(np.nan_to_num(r_ours.ap) - np.nan_to_num(r_ref.ap)) <= ties.ap_bound + 1e-12)
    assert allowance.slack("mAP").amount < 100.0 * ties.order_tied.sum() / ties.valid.sum()  # tighter than 1/query
    v = checks.metric_within_allowance("mAP", "mAP", 100 * r_ours.mAP, 100 * r_ref.mAP, allowance)
    assert v.passed and r_ours.mAP != r_ref.mAP, str(v)
    top_ref = {f"q{i}": int(t) for i, t in enumerate(r_ref.top_gallery)}
    top_ours = {f"q{i}": int(t) for i, t in enumerate(r_ours.top_gallery)}
    assert checks.per_sample_within_allowance("a", top_ours, top_ref, "top row", allowance).passed


def test_mean_pixel_at_2000_images_within_the_bound():
    rng = np.random.default_rng(13)
    ref = {f"s{i}": [rng.standard_normal((3, 16, 8)).astype(np.float32)] for i in range(2000)}
    ours = {s: [_relative_noise(o[0], rng, 1e-5)] for s, o in ref.items()}
    allowance = mean_pixel_allowance(ours, ref)
    assert _mean_pixel(ours) != _mean_pixel(ref)
    assert checks.metric_within_allowance("m", "mean_pixel", _mean_pixel(ours), _mean_pixel(ref), allowance).passed
