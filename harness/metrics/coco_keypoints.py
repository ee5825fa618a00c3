"""COCO keypoint AP as the TransPose guide's ``TransPose_postprocess.py`` computes it.

Per sample (shared/reference/models_pose_cls.md section A.7): un-flip and average the two
heatmap sets, DARK-decode, back to image coordinates (``harness.metrics.heatmap_decode``);
keep (x, y, peak value) per joint and the box record (centre, scale, area of the padded
box = (scale_w*200)*(scale_h*200), score 1 for ground-truth boxes). Per image:

* rescoring: instance score = mean of the joint scores above ``IN_VIS_THRE`` 0.2 (0 if
  none) times the box score;
* OKS-NMS (hard, threshold 0.9, no visibility filter): by descending score, keep an
  instance and drop the others whose OKS with it exceeds 0.9; all kept if none survive.

Then the results json (image_id, category_id 1, keypoints, score, center, scale) is
evaluated by pycocotools ``COCOeval(gt, dt, 'keypoints')``; AP = ``stats[0]``. The suite
reports AP and AR values in percent, as the guide's README quotes them (73.8 %).
"""
from __future__ import annotations

import contextlib
import io
import json
from collections import OrderedDict
from typing import Mapping

import numpy as np

from harness.metrics import MetricError, MetricReport
from harness.metrics.heatmap_decode import NUM_JOINTS, decode_flip_test, to_image
from harness.preprocess.transpose import PIXEL_STD, box_to_center_scale

IN_VIS_THRE = 0.2
OKS_THRE = 0.9
SIGMAS = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07,
                   .87, .87, .89, .89]) / 10.0
# pycocotools' stats order; the names the guide's script prints, and the suite's keys.
STAT_NAMES = ("AP", "Ap .5", "AP .75", "AP (M)", "AP (L)", "AR", "AR .5", "AR .75", "AR (M)", "AR (L)")
STAT_KEYS = ("AP", "AP50", "AP75", "AP_M", "AP_L", "AR", "AR50", "AR75", "AR_M", "AR_L")


def rescore(keypoints: np.ndarray, box_score: float = 1.0, in_vis_thre: float = IN_VIS_THRE) -> float:
    """Mean joint score over joints scoring above ``in_vis_thre``, times the box score.

    Summed left to right in float64 and compared in float64, as the seed-era script did
    with numpy's legacy scalar promotion.
    """
    total, valid = 0.0, 0
    for t in keypoints[:, 2]:
        if float(t) > in_vis_thre:
            total += float(t)
            valid += 1
    return (total / valid if valid else 0.0) * box_score


def oks(reference: np.ndarray, others: np.ndarray, area_ref: float, areas: np.ndarray,
        sigmas: np.ndarray = SIGMAS) -> np.ndarray:
    """OKS of ``reference`` (51 values) with each row of ``others`` over all 17 joints."""
    variances = (sigmas * 2) ** 2
    xg, yg = reference[0::3], reference[1::3]
    out = np.zeros(others.shape[0])
    for n in range(others.shape[0]):
        dx = others[n, 0::3] - xg
        dy = others[n, 1::3] - yg
        e = (dx ** 2 + dy ** 2) / variances / ((area_ref + areas[n]) / 2 + np.spacing(1)) / 2
        out[n] = np.sum(np.exp(-e)) / e.shape[0] if e.shape[0] != 0 else 0.0
    return out


def oks_nms(instances: list[dict], threshold: float = OKS_THRE) -> list[int]:
    """Indices kept by greedy OKS-NMS (highest score first; drop OKS > threshold)."""
    if not instances:
        return []
    scores = np.array([d["score"] for d in instances])
    kpts = np.array([d["keypoints"].flatten() for d in instances])
    areas = np.array([d["area"] for d in instances])
    order = scores.argsort()[::-1]  # numpy's default sort, reversed, as upstream
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        overlap = oks(kpts[i], kpts[order[1:]], areas[i], areas[order[1:]])
        order = order[np.where(overlap <= threshold)[0] + 1]
    return keep


def person_record(keypoints: np.ndarray, clean_box, image_id: int, box_score: float = 1.0) -> dict:
    """One instance as upstream's evaluate() holds it (before rescoring)."""
    center, scale = box_to_center_scale(*clean_box)
    return {"keypoints": keypoints, "center": center, "scale": scale,
            "area": float(np.prod(scale * np.float32(PIXEL_STD))), "score": box_score,
            "image": int(image_id)}


def select_and_format(records: list[dict]) -> list[dict]:
    """Rescoring and OKS-NMS per image (images in first-seen order), as result dicts."""
    by_image: "OrderedDict[int, list[dict]]" = OrderedDict()
    for r in records:
        by_image.setdefault(r["image"], []).append(r)
    results = []
    for image_id, instances in by_image.items():
        for r in instances:
            r["score"] = rescore(r["keypoints"], r["score"])
        keep = oks_nms(instances, OKS_THRE)
        kept = [instances[k] for k in keep] if keep else instances
        for r in kept:
            results.append({
                "image_id": image_id, "category_id": 1,
                "keypoints": [float(v) for v in r["keypoints"].astype(np.float64).reshape(-1)],
                "score": float(r["score"]),
                "center": [float(v) for v in r["center"]],
                "scale": [float(v) for v in r["scale"]],
            })
    return results


def coco_eval(coco_gt, results: list[dict]) -> tuple[list[float], str]:
    """pycocotools keypoint evaluation: the 10 stats (fractions) and its printed table."""
    from pycocotools.cocoeval import COCOeval

    if not results:
        raise MetricError("no keypoint results to evaluate")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        dt = coco_gt.loadRes(json.loads(json.dumps(results)))
        ev = COCOeval(coco_gt, dt, "keypoints")
        ev.params.useSegm = None
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(s) for s in ev.stats], printed.getvalue()


def evaluate(samples, outputs_by_set: Mapping[str, Mapping[str, list]]) -> MetricReport:
    """The guide's post-processing over both output sets -> AP etc. in percent.

    ``per_sample``: per sample ``[peaks, keypoints, steps]``: ``peaks`` a string of the 17
    integer heatmap peaks ("x,y x,y ..."), the discrete result a run-to-run gate compares
    (like a top-1 class); ``keypoints`` the decoded [[x, y, score] x 17] in image pixels;
    ``steps`` how far (image pixels) DARK's Newton step moved each joint from its integer
    peak. The accuracy stage compares keypoints between backends within a tolerance that
    grows with the step (``keypoint_agreement``).
    """
    missing_sets = {"main", "flip"} - set(outputs_by_set)
    if missing_sets:
        raise MetricError(f"TransPose needs outputs of both input sets; missing {sorted(missing_sets)}")
    main, flip = outputs_by_set["main"], outputs_by_set["flip"]
    if not samples.sample_ids:
        raise MetricError("keypoint AP over zero samples")
    records, per_sample = [], {}
    for sid in samples.sample_ids:
        if sid not in main or sid not in flip:
            raise MetricError(f"sample {sid}: output missing from "
                              f"{'main' if sid not in main else 'flip'} set")
        m, f = np.asarray(main[sid][0]), np.asarray(flip[sid][0])
        for name, arr in (("main", m), ("flip", f)):
            if not np.all(np.isfinite(arr)):
                raise MetricError(f"sample {sid}: {name} heatmaps contain NaN/Inf")
        s = samples.samples[sid]
        center, scale = box_to_center_scale(*s.clean_box)
        kpts, peaks = decode_flip_test(m, f, center, scale)
        steps = np.abs(kpts[:, :2] - to_image(peaks.astype(np.float32), center, scale)).max(axis=1)
        per_sample[sid] = [peak_code(peaks), kpts.astype(np.float64).tolist(),
                           steps.astype(np.float64).tolist()]
        records.append(person_record(kpts, s.clean_box, s.image_id))
    results = select_and_format(records)
    stats, printed = coco_eval(samples.coco(), results)
    values = {k: v * 100.0 for k, v in zip(STAT_KEYS, stats)}
    report = MetricReport(values=values, count=len(records), per_sample=per_sample)
    report.files["keypoints_val2017_results_0.json"] = json.dumps(results, sort_keys=True, indent=4)
    report.files["coco_eval.txt"] = printed + "".join(
        f"{name}: {value:.4f}\n" for name, value in zip(STAT_NAMES, stats))
    report.notes.append(f"{len(results)} instances kept by OKS-NMS out of {len(records)}")
    return report


def peak_code(peaks: np.ndarray) -> str:
    """The 17 integer heatmap peaks as one comparable string, "x,y x,y ..."."""
    return " ".join(f"{int(x)},{int(y)}" for x, y in peaks)


def keypoint_agreement(actual: Mapping[str, list], expected: Mapping[str, list], px: float,
                       rtol: float, score: float, min_share: float, min_sample_share: float,
                       ambiguous_joints: Mapping[str, frozenset] | None = None):
    """Per-sample decoded keypoints (``evaluate``'s per_sample) of a backend vs the reference.

    A joint agrees when its integer heatmap peak is the same, its score is within
    ``score`` and its image coordinates are within ``px + rtol * step`` pixels, ``step``
    being the reference's Newton-step length. On random-weight heatmaps DARK's Hessian is
    often nearly singular: the step then flies hundreds of pixels and a 1e-7 heatmap
    difference moves the result by ~0.1 % of the step, which ``rtol`` allows; well
    conditioned joints (steps below a pixel) are held to ``px``. The verdict needs
    ``min_share`` of all joints and ``min_sample_share`` of every sample's joints to agree,
    so swapped, shifted or garbage outputs fail. A joint whose peak moved is left out of
    the count where ``ambiguous_joints`` (``keypoint_allowance``: PyTorch's top two heatmap
    values within twice the measured heatmap difference) lists it, and fails the verdict
    everywhere else. Returns a ``Verdict``.
    """
    from harness.checks import Verdict

    ids = sorted(expected)
    if not ids:
        return Verdict("per-sample keypoints", False, "zero samples to compare")
    agreeing, total, worst_px, low, moved, unexplained = 0, 0, 0.0, [], 0, []
    for sid in ids:
        if sid not in actual:
            low.append(f"{sid} (missing)")
            total += NUM_JOINTS
            continue
        a = np.asarray(actual[sid][1], dtype=np.float64).reshape(NUM_JOINTS, 3)
        e = np.asarray(expected[sid][1], dtype=np.float64).reshape(NUM_JOINTS, 3)
        same_peak = np.array(actual[sid][0].split()) == np.array(expected[sid][0].split())
        dxy = np.max(np.abs(a[:, :2] - e[:, :2]), axis=1)
        allowed = px + rtol * np.asarray(expected[sid][2], dtype=np.float64)
        ok = same_peak & (dxy <= allowed) & (np.abs(a[:, 2] - e[:, 2]) <= score)
        tied = np.isin(np.arange(NUM_JOINTS), sorted((ambiguous_joints or {}).get(sid, ())))
        explained = ~same_peak & tied
        moved += int(explained.sum())
        unexplained += [f"{sid} joint {j}" for j in np.nonzero(~same_peak & ~tied)[0]]
        counted = ~explained
        worst_px = max(worst_px, float(dxy[counted].max(initial=0.0)))
        agreeing += int(ok[counted].sum())
        total += int(counted.sum())
        if counted.any() and ok[counted].mean() < min_sample_share:
            low.append(f"{sid} ({int(ok[counted].sum())}/{int(counted.sum())} joints, "
                       f"max |dxy| {dxy[counted].max():.3g} px)")
    share = agreeing / total if total else 0.0
    passed = share >= min_share and not low and not unexplained
    return Verdict("per-sample keypoints", passed,
                   f"{agreeing}/{total} joints agree (same peak, within {px:g} px + {rtol:g} x Newton "
                   f"step and score {score:g}), "
                   f"{share:.2%} (needs {min_share:.0%}, and {min_sample_share:.0%} of each sample's); "
                   f"worst |dxy| {worst_px:.3g} px; {moved} joints moved peak at a heatmap near tie"
                   + (f"; peaks moved with no near tie: {unexplained[:10]}" if unexplained else "")
                   + (f"; samples below: {low[:10]}" if low else ""),
                   share, min_share, {"px": px, "rtol": rtol, "score": score,
                                      "min_sample_share": min_sample_share},
                   details={"samples_below": low, "worst_px": worst_px, "moved_at_near_tie": moved,
                            "unexplained_peaks": unexplained[:50]})
