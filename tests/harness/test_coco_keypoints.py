"""TransPose guide: COCO person sample list, box/affine maths, heatmap decoding, OKS-NMS and
pycocotools AP, checked against worked examples (shared/reference/models_pose_cls.md A.4-A.7)
and a known answer (ideal heatmaps at the ground truth give AP = 1)."""
from __future__ import annotations

import numpy as np
import pytest

from harness.datasets import coco_keypoints as ck
from harness.metrics import MetricError
from harness.metrics import coco_keypoints as metric
from harness.metrics.heatmap_decode import dark_decode, flip_back, max_preds, to_image
from harness.preprocess import transpose as prep


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp("coco") / "coco"
    ck.make_synthetic(root, 6, 0)
    return ck.open_val(root)


# -- boxes and affine maps ---------------------------------------------------------------
def test_box_to_center_scale_worked_example():
    center, scale = prep.box_to_center_scale(100, 50, 60, 200)
    assert center.dtype == scale.dtype == np.float32
    np.testing.assert_array_equal(center, [129.5, 149.5])
    np.testing.assert_array_equal(scale, [0.9375, 1.25])


def test_wide_box_grows_in_height():
    _, scale = prep.box_to_center_scale(0, 0, 200, 100)  # w > 0.75 h: h = w / 0.75
    np.testing.assert_allclose(scale, [1.25, 200 / 0.75 / 200 * 1.25], rtol=1e-6)


def test_crop_affine_worked_example():
    center, scale = prep.box_to_center_scale(100, 50, 60, 200)
    m = prep.affine_matrix(center, scale, prep.IMAGE_SIZE)
    np.testing.assert_allclose(m, [[1.024129, 0, -37.1247], [0, 1.024129, -25.6072]], atol=1e-4)
    # the box centre lands on the crop centre ((192-1)/2, (256-1)/2)
    np.testing.assert_allclose(m @ [129.5, 149.5, 1.0], [95.5, 127.5], atol=1e-4)


def test_heatmap_to_image_worked_example():
    center, scale = prep.box_to_center_scale(100, 50, 60, 200)
    coords = np.array([[0, 0], [10, 20], [47, 63]], dtype=np.float32)
    got = to_image(coords, center, scale)
    want = np.stack([3.968085 * coords[:, 0] + 36.25, 3.968085 * coords[:, 1] + 24.5053], axis=1)
    np.testing.assert_allclose(got, want, atol=2e-4)


@pytest.mark.parametrize("bbox, expected", [
    ((10.5, 20.0, 30.0, 40.0), (10.5, 20.0, 30.0, 40.0)),
    ((-10.0, 5.0, 50.0, 60.0), (0.0, 5.0, 50.0, 60.0)),    # x2 comes from the clamped x1
    ((90.0, 40.0, 30.0, 80.0), (90.0, 40.0, 10.0, 60.0)),  # clamped at W-1 / H-1
    ((120.0, 5.0, 10.0, 10.0), None),                      # entirely right of the image
])
def test_box_sanitising(bbox, expected):
    assert ck.sanitize_box(bbox, 100, 100) == expected


# -- the sample list ----------------------------------------------------------------------
def test_sample_list_order_and_filters(synthetic):
    coco = synthetic.coco()
    image_order = [s.image_id for s in synthetic.samples.values()]
    # json image order (785 before 139), not sorted ids; image 1000 has no usable person
    assert list(dict.fromkeys(image_order)) == [785, 139, 632, 285]
    assert synthetic.sample_ids == ["%012d" % i for i in range(len(synthetic.sample_ids))]
    kept = {s.annotation_id for s in synthetic.samples.values()}
    for ann in coco.dataset["annotations"]:
        dropped = (ann["iscrowd"] or max(ann["keypoints"]) == 0 or ann["area"] <= 0
                   or ann["bbox"][0] >= coco.imgs[ann["image_id"]]["width"])
        assert (ann["id"] in kept) == (not dropped), ann
    assert len(synthetic) == 7 and synthetic.num_images == 5
    over = [s for s in synthetic.samples.values()
            if sum(coco.anns[s.annotation_id]["bbox"][0::2]) > coco.imgs[s.image_id]["width"]]
    assert len(over) == 1  # the person running over the border is kept, its box cut at W-1/H-1
    x, y, w, h = over[0].clean_box
    img = coco.imgs[over[0].image_id]
    assert (x + w - 1, y + h - 1) == pytest.approx((img["width"] - 1, img["height"] - 1))
    assert all(s.image_path.name == "%012d.jpg" % s.image_id for s in synthetic.samples.values())


def test_synthetic_images_exercise_exif_and_grayscale(synthetic):
    import cv2

    coco = synthetic.coco()
    path = synthetic.image_dir / "000000000632.jpg"  # EXIF orientation 6
    info = coco.imgs[632]
    assert prep.read_rgb(path).shape == (info["height"], info["width"], 3)
    assert cv2.imread(str(path), cv2.IMREAD_COLOR).shape[:2] == (info["width"], info["height"])
    gray = prep.read_rgb(synthetic.image_dir / "000000000139.jpg")
    assert gray.shape[2] == 3 and np.array_equal(gray[..., 0], gray[..., 2])


def test_preprocess_writes_both_sets_named_by_index(synthetic, tmp_path):
    prepared = prep.preprocess(synthetic, tmp_path)
    assert prepared.sample_ids == synthetic.sample_ids
    for set_name, folder in (("main", "prep_data"), ("flip", "prep_data_flip")):
        d = prepared.input_sets[set_name]["input"]
        assert d == tmp_path / folder
        assert sorted(p.name for p in d.iterdir()) == [f"{s}.bin" for s in synthetic.sample_ids]
        assert {p.stat().st_size for p in d.iterdir()} == {589_824}
    black = np.fromfile(tmp_path / "prep_data" / "000000000000.bin", np.float32).reshape(3, 256, 192)
    assert black.min() >= -2.1179 - 1e-4  # black padding = (0 - mean) / std


def _script_tensors(rgb, box):
    """The guide's per-box steps on an RGB image (cvtColor done), with its library calls:
    warpAffine of the RGB image, torchvision ToTensor + Normalize, torch.flip."""
    import cv2
    import torch
    from torchvision import transforms

    center, scale = prep.box_to_center_scale(*box)
    crop = cv2.warpAffine(rgb, prep.affine_matrix(center, scale, prep.IMAGE_SIZE), (192, 256),
                          flags=cv2.INTER_LINEAR)
    image = transforms.Normalize(prep.MEAN, prep.STD)(transforms.ToTensor()(crop)).unsqueeze(0)
    return image.numpy(), torch.flip(image, [3]).numpy()


def test_bgr_warp_and_lookup_normalise_equal_the_script_bit_for_bit():
    """The suite warps the BGR image and normalises with channels reversed; random images
    and boxes (inside, across and beyond the border, tiny and huge) give the script's bytes."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        h, w = int(rng.integers(20, 700)), int(rng.integers(20, 700))
        bgr = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        box = (float(rng.uniform(-0.3 * w, w)), float(rng.uniform(-0.3 * h, h)),
               float(rng.uniform(1, 1.5 * w)), float(rng.uniform(1, 1.5 * h)))
        main, flipped = prep.tensors(bgr, box)
        want_main, want_flip = _script_tensors(bgr[..., ::-1].copy(), box)
        assert main.dtype == np.float32 and main.shape == (1, 3, 256, 192)
        assert main.tobytes() == want_main.tobytes() and flipped.tobytes() == want_flip.tobytes()


def test_each_image_is_decoded_once_and_files_match_per_box(synthetic, tmp_path, monkeypatch):
    reads = []
    real = prep.read_bgr
    monkeypatch.setattr(prep, "read_bgr", lambda path, sample_id=None: reads.append(path) or real(path, sample_id))
    ticks = []
    prepared = prep.preprocess(synthetic, tmp_path, progress=ticks.append)
    images = {s.image_path for s in synthetic.samples.values()}
    assert len(synthetic.sample_ids) > len(images) and sorted(reads) == sorted(images)
    assert sum(ticks) == len(synthetic.sample_ids)  # progress counts samples, not images
    for sid in prepared.sample_ids:
        s = synthetic.samples[sid]
        main, flipped = prep.preprocess_sample(s.image_path, s.clean_box)
        assert (tmp_path / "prep_data" / f"{sid}.bin").read_bytes() == main.tobytes()
        assert (tmp_path / "prep_data_flip" / f"{sid}.bin").read_bytes() == flipped.tobytes()


def test_workers_and_resume_give_the_same_files(synthetic, tmp_path):
    one = prep.preprocess(synthetic, tmp_path / "one")
    two = prep.preprocess(synthetic, tmp_path / "two", workers=2)
    assert one.sample_ids == two.sample_ids
    (tmp_path / "two" / "prep_data_flip" / f"{synthetic.sample_ids[-1]}.bin").unlink()
    prep.preprocess(synthetic, tmp_path / "two")  # resumes: only that image's job again
    for sub in ("prep_data", "prep_data_flip"):
        for p in (tmp_path / "one" / sub).iterdir():
            assert (tmp_path / "two" / sub / p.name).read_bytes() == p.read_bytes()


def test_per_sample_progress_scales_job_ticks():
    told = []
    tick = prep.per_sample_progress(told.append, [3, 1, 2])
    tick(1)
    tick(2)
    assert sum(told) == 6 and all(n > 0 for n in told)
    assert prep.per_sample_progress(None, [1]) is None


# -- decoding -----------------------------------------------------------------------------
def _gaussian(x, y, w=48, h=64, sigma=2.0, peak=1.0):
    ys, xs = np.mgrid[0:h, 0:w]
    return (peak * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2))).astype(np.float32)


def test_flip_back_mirrors_and_swaps_pairs_without_shift():
    flipped = np.zeros((1, 17, 64, 48), np.float32)
    flipped[0, 1, 30, 10] = 1.0  # left eye seen in the mirrored crop
    out = flip_back(flipped)
    assert out[0, 2, 30, 48 - 1 - 10] == 1.0 and out.sum() == 1.0
    np.testing.assert_array_equal(flip_back(out), flipped)


def test_dark_refines_to_subpixel_and_scores_unblurred_max():
    hm = np.zeros((1, 3, 64, 48), np.float32)
    hm[0, 0] = _gaussian(20.3, 30.6, peak=0.8)
    hm[0, 1] = _gaussian(1.2, 30.0)            # integer peak at x=1: too near the border
    hm[0, 2] = -np.abs(_gaussian(20, 20))      # maximum <= 0: (0, 0)
    coords, maxvals = dark_decode(hm)
    np.testing.assert_allclose(coords[0, 0], [20.3, 30.6], atol=0.01)
    assert maxvals[0, 0, 0] == hm[0, 0].max()
    np.testing.assert_array_equal(coords[0, 1], [1.0, 30.0])
    np.testing.assert_array_equal(coords[0, 2], [0.0, 0.0])
    np.testing.assert_array_equal(max_preds(hm)[0][0, 0], [20, 31])


# -- rescoring, OKS-NMS -------------------------------------------------------------------
def _record(points, score_values, area=10000.0):
    kpts = np.zeros((17, 3), np.float32)
    kpts[:, :2] = points
    kpts[:, 2] = score_values
    return {"keypoints": kpts, "area": area, "score": metric.rescore(kpts)}


def test_rescore_averages_joints_above_threshold():
    kpts = np.zeros((17, 3), np.float32)
    kpts[:4, 2] = [0.9, 0.5, 0.2, 0.1]  # 0.2 itself (as float32) counts, as in float64
    assert metric.rescore(kpts) == pytest.approx((0.9 + 0.5 + float(np.float32(0.2))) / 3)
    assert metric.rescore(np.zeros((17, 3), np.float32)) == 0.0


def test_oks_nms_drops_near_duplicates_and_keeps_distinct_people():
    rng = np.random.default_rng(0)
    base = rng.uniform(100, 200, (17, 2))
    people = [_record(base, 0.9), _record(base + 0.5, 0.6), _record(base + 60, 0.7)]
    assert metric.oks_nms(people) == [0, 2]
    assert metric.oks(people[0]["keypoints"].reshape(-1), people[1]["keypoints"].reshape(1, -1),
                      1e4, np.array([1e4]))[0] > 0.9


# -- the whole chain: known answer --------------------------------------------------------
def _ideal_heatmaps(samples, sample_id, offset=(0.0, 0.0)):
    """Gaussians (sigma 2) at the GT keypoints mapped into the sample's heatmap frame."""
    s = samples.samples[sample_id]
    ann = samples.coco().anns[s.annotation_id]
    kp = np.array(ann["keypoints"], float).reshape(17, 3)
    center, scale = prep.box_to_center_scale(*s.clean_box)
    m = prep.affine_matrix(center, scale, prep.HEATMAP_SIZE)
    hm = np.zeros((17, 64, 48), np.float32)
    for j in range(17):
        x, y = kp[j, :2] if kp[j, 2] > 0 else center  # unlabelled joints: anything finite
        hx, hy = m @ [x + offset[0], y + offset[1], 1.0]
        hm[j] = _gaussian(hx, hy, peak=0.9)
    return hm


def _outputs(samples, **kw):
    main = {sid: [_ideal_heatmaps(samples, sid, **kw)] for sid in samples.sample_ids}
    flip = {sid: [flip_back(v[0][None])[0]] for sid, v in main.items()}
    return {"main": main, "flip": flip}


def test_ideal_heatmaps_decode_to_ground_truth_and_ap_1(synthetic):
    report = metric.evaluate(synthetic, _outputs(synthetic))
    assert report.count == len(synthetic)
    worst = 0.0
    for sid in synthetic.sample_ids:
        ann = synthetic.coco().anns[synthetic.samples[sid].annotation_id]
        gt = np.array(ann["keypoints"], float).reshape(17, 3)
        got = np.array(report.per_sample[sid][1])
        labelled = gt[:, 2] > 0
        worst = max(worst, float(np.abs(got[labelled, :2] - gt[labelled, :2]).max()))
    assert worst < 0.05, f"decoded keypoints {worst:.3g} px from the ground truth"
    assert report["AP"] == 100.0 and report["AR"] == 100.0
    assert "Average Precision" in report.files["coco_eval.txt"]


def test_shifted_heatmaps_lower_ap(synthetic):
    report = metric.evaluate(synthetic, _outputs(synthetic, offset=(6.0, -4.0)))
    assert 0.0 <= report["AP"] < 90.0


def test_missing_flip_set_or_nan_is_an_error(synthetic):
    outs = _outputs(synthetic)
    with pytest.raises(MetricError, match="flip"):
        metric.evaluate(synthetic, {"main": outs["main"]})
    sid = synthetic.sample_ids[0]
    outs["flip"][sid] = [np.full((17, 64, 48), np.nan, np.float32)]
    with pytest.raises(MetricError, match="NaN"):
        metric.evaluate(synthetic, outs)


def test_keypoint_agreement_fails_on_swapped_samples(synthetic):
    ref = metric.evaluate(synthetic, _outputs(synthetic)).per_sample
    tol = {"px": 0.05, "rtol": 0.01, "score": 1e-4, "min_share": 0.98, "min_sample_share": 0.75}
    assert metric.keypoint_agreement(ref, ref, **tol).passed
    a, b = synthetic.sample_ids[:2]
    swapped = {**ref, a: ref[b], b: ref[a]}
    verdict = metric.keypoint_agreement(swapped, ref, **tol)
    assert not verdict.passed and a in verdict.message


# -- backend vs PyTorch allowance (harness.metrics.keypoint_allowance) ------------------------------
def _moved_peak(per_sample, sid, joint=0):
    peaks = per_sample[sid][0].split()
    x, y = (int(v) for v in peaks[joint].split(","))
    peaks[joint] = f"{x + 3},{y}"
    return {**per_sample, sid: [" ".join(peaks)] + per_sample[sid][1:]}


def test_a_moved_peak_passes_only_at_a_near_tie(synthetic):
    ref = metric.evaluate(synthetic, _outputs(synthetic)).per_sample
    tol = {"px": 0.05, "rtol": 0.01, "score": 1e-4, "min_share": 0.5, "min_sample_share": 0.5}
    sid = synthetic.sample_ids[0]
    moved = _moved_peak(ref, sid)
    verdict = metric.keypoint_agreement(moved, ref, **tol)
    assert not verdict.passed and f"{sid} joint 0" in verdict.message
    explained = metric.keypoint_agreement(moved, ref, **tol, ambiguous_joints={sid: frozenset({0})})
    assert explained.passed and "1 joints moved peak at a heatmap near tie" in explained.message
    elsewhere = metric.keypoint_agreement(moved, ref, **tol, ambiguous_joints={sid: frozenset({5})})
    assert not elsewhere.passed


def test_peak_near_ties_find_close_maxima_and_peaks_near_zero():
    from harness.metrics.keypoint_allowance import peak_near_ties

    maps = np.zeros((3, 4, 4), np.float32)
    maps[0, 1, 1], maps[0, 2, 2] = 0.5, 0.5 - 1e-7  # two maxima 1e-7 apart
    maps[1, 1, 1], maps[1, 2, 2] = 0.5, 0.3  # a clear peak
    maps[2] -= 1.0
    maps[2, 0, 0] = 5e-8  # the peak itself is within the difference of 0
    ties = peak_near_ties(maps, 1e-7)
    assert set(ties) == {0, 2} and "apart" in ties[0] and "of 0" in ties[2]
    assert peak_near_ties(maps, 0.0) == {}


def test_keypoint_allowance_of_identical_and_of_noisy_outputs(synthetic):
    from harness import checks
    from harness.metrics.keypoint_allowance import keypoint_allowance

    outs = _outputs(synthetic)
    report = metric.evaluate(synthetic, outs)
    same = keypoint_allowance(synthetic, outs, outs)
    assert same.measured == 0.0 and not same.ambiguous and same.slack("AP").explained_value == report["AP"]
    rng = np.random.default_rng(0)
    noisy = {s: {sid: [(v[0] + rng.uniform(-1e-6, 1e-6, v[0].shape)).astype(np.float32)]
                 for sid, v in outs[s].items()} for s in outs}
    allowance = keypoint_allowance(synthetic, noisy, outs)
    assert 0 < allowance.measured <= 1.1e-6
    ours = metric.evaluate(synthetic, noisy)
    assert checks.metric_within_allowance("AP", "AP", ours["AP"], report["AP"], allowance).passed
    # An AP that the ambiguous samples cannot explain fails.
    assert not checks.metric_within_allowance("AP", "AP", ours["AP"] - 5.0, report["AP"], allowance).passed
