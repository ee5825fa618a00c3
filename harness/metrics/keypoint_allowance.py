"""What TransPose's keypoint AP and per-sample heatmap peaks may differ by between a
backend and PyTorch (``harness.metrics.ambiguity``).

Measured: the largest |heatmap difference| over both input sets; the averaged (flip-test)
heatmaps then differ by at most as much. The discrete decisions of the guide's
post-processing, and when each may flip:

* a joint's integer peak (argmax): where PyTorch's second-highest heatmap value lies within
  twice the measured difference of its maximum, or the maximum within it of 0 (a peak <= 0
  decodes to (0, 0)); the per-sample check accepts a changed peak only there;
* a joint counting in the instance score (score > 0.2): where its score is within the
  measured difference of 0.2;
* the order of two instances by score (OKS-NMS, COCOeval's top-20 per image and its global
  ranking): instance scores are means of joint scores, so within twice the difference;
* OKS decisions (a detection matching a ground truth at 0.50..0.95, the best ground truth
  of a detection, OKS-NMS at 0.9): OKS is continuous in the decoded coordinates, whose
  sub-pixel Newton step has no useful a-priori bound, so these are taken as measured: a
  sample is ambiguous where PyTorch's decode and the backend's fall on different sides.

COCO AP is not a mean of per-sample terms, so its slack is not a sum: the AP recomputed
from PyTorch's outputs with only the ambiguous samples' outputs taken from the backend is
what the backend's AP must equal (``Slack.explained_value``); a difference anywhere else
fails. The keypoint coordinates themselves are held to ``keypoint_agreement``'s tolerance.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from harness.metrics.ambiguity import Allowance, Slack, flip_margin, max_abs_diff, within_margin
from harness.metrics.coco_keypoints import IN_VIS_THRE, OKS_THRE, SIGMAS, evaluate, oks, rescore
from harness.metrics.heatmap_decode import HEATMAP_SIZE, NUM_JOINTS, decode_flip_test, flip_back
from harness.preprocess.transpose import PIXEL_STD, box_to_center_scale

OKS_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def peak_near_ties(averaged: np.ndarray, measured: float) -> dict[int, str]:
    """Joints of one person's averaged heatmaps [J, H, W] whose argmax may move."""
    flat = averaged.reshape(averaged.shape[0], -1).astype(np.float64)
    top2 = -np.partition(-flat, 1, axis=1)[:, :2]
    margin = flip_margin(measured)
    out = {}
    for j in range(flat.shape[0]):
        gap = top2[j, 0] - top2[j, 1]
        if within_margin(gap, margin):
            out[j] = f"joint {j}: top two heatmap values {gap:.3g} apart"
        elif within_margin(abs(top2[j, 0]), measured):
            out[j] = f"joint {j}: heatmap peak {top2[j, 0]:.3g} within {measured:.3g} of 0"
    return out


def gt_oks(keypoints: np.ndarray, gts: list[dict]) -> np.ndarray:
    """COCOeval.computeOks of one detection ([J, 3]) with each ground truth of its image
    (visible joints only; a ground truth without any uses its box's distance)."""
    variances = (SIGMAS * 2) ** 2
    xd, yd = keypoints[:, 0].astype(np.float64), keypoints[:, 1].astype(np.float64)
    out = np.zeros(len(gts))
    for i, gt in enumerate(gts):
        g = np.asarray(gt["keypoints"], dtype=np.float64)
        xg, yg, vg = g[0::3], g[1::3], g[2::3]
        bb = gt["bbox"]
        if np.count_nonzero(vg > 0) > 0:
            dx, dy = xd - xg, yd - yg
        else:
            x0, x1, y0, y1 = bb[0] - bb[2], bb[0] + bb[2] * 2, bb[1] - bb[3], bb[1] + bb[3] * 2
            dx = np.maximum(0, x0 - xd) + np.maximum(0, xd - x1)
            dy = np.maximum(0, y0 - yd) + np.maximum(0, yd - y1)
        e = (dx ** 2 + dy ** 2) / variances / (gt["area"] + np.spacing(1)) / 2
        if np.count_nonzero(vg > 0) > 0:
            e = e[vg > 0]
        out[i] = np.sum(np.exp(-e)) / e.shape[0]
    return out


def _oks_decisions_differ(a: np.ndarray, b: np.ndarray, threshold_values) -> bool:
    """Do two OKS vectors make a different threshold decision or best-match order?"""
    for t in threshold_values:
        if np.any((a >= t) != (b >= t)):
            return True
    relevant = (a >= threshold_values[0]) | (b >= threshold_values[0])
    return bool(relevant.sum() > 1 and
                np.any(np.argsort(-a[relevant], kind="stable") != np.argsort(-b[relevant], kind="stable")))


def keypoint_allowance(samples, ours: Mapping[str, Mapping], ref: Mapping[str, Mapping]) -> Allowance:
    """The allowance of one backend's outputs (``{"main"|"flip": {sample: [heatmaps]}}``)
    against PyTorch's; see the module doc."""
    measured = max(max_abs_diff(ours["main"], ref["main"], 0, "main-set heatmaps"),
                   max_abs_diff(ours["flip"], ref["flip"], 0, "flip-set heatmaps"))
    margin = flip_margin(measured)
    shape = (1, NUM_JOINTS, HEATMAP_SIZE[1], HEATMAP_SIZE[0])
    ambiguous, parts, for_ap, decoded = {}, {}, {}, {}
    for sid in samples.sample_ids:
        main, flip = (np.asarray(ref[s][sid][0], np.float32).reshape(shape) for s in ("main", "flip"))
        ties = peak_near_ties(((main + flip_back(flip)) * 0.5)[0], measured)
        if ties:
            ambiguous[sid], parts[sid] = "; ".join(ties.values()), frozenset(ties)
            for_ap[sid] = ambiguous[sid]
        center, scale = box_to_center_scale(*samples.samples[sid].clean_box)
        decoded[sid] = tuple(decode_flip_test(o["main"][sid][0], o["flip"][sid][0], center, scale)[0]
                             for o in (ref, ours))
        scores = decoded[sid][0][:, 2].astype(np.float64)
        if np.any(within_margin(np.abs(scores - IN_VIS_THRE), measured)):
            for_ap.setdefault(sid, f"a joint score within {measured:.3g} of {IN_VIS_THRE}")
    _score_near_ties(samples, decoded, margin, for_ap)
    _oks_flips(samples, decoded, for_ap)
    hybrid = {s: {sid: (ours if sid in for_ap else ref)[s][sid] for sid in ref[s]} for s in ("main", "flip")}
    explained = evaluate(samples, hybrid)["AP"]
    slack = Slack(0.0, len(for_ap),
                  f"{len(for_ap)} of {len(decoded)} samples with a near-tie decision", explained)
    return Allowance("max |heatmap diff|", measured, margin, len(decoded), ambiguous, {"AP": slack},
                     parts)


def _score_near_ties(samples, decoded, margin: float, for_ap: dict) -> None:
    """Instances whose (rescored) score lies within the margin of another's."""
    ids = list(decoded)
    scores = np.array([rescore(decoded[s][0]) for s in ids])
    order = np.argsort(scores, kind="stable")
    close = within_margin(np.diff(scores[order]), margin)
    for k in np.nonzero(close)[0]:
        for sid in (ids[order[k]], ids[order[k + 1]]):
            for_ap.setdefault(sid, f"instance score within {margin:.3g} of another's")


def _oks_flips(samples, decoded, for_ap: dict) -> None:
    """Samples whose OKS decisions (ground-truth matching, OKS-NMS) differ between the two
    decodes, per image."""
    coco = samples.coco()
    by_image: dict[int, list[str]] = {}
    for sid in decoded:
        by_image.setdefault(samples.samples[sid].image_id, []).append(sid)
    for image_id, sids in by_image.items():
        gts = [a for a in coco.loadAnns(coco.getAnnIds(imgIds=image_id, catIds=[1])) if not a.get("iscrowd")]
        areas = np.array([_area(samples.samples[s].clean_box) for s in sids])
        flat = [np.array([decoded[s][side].reshape(-1) for s in sids]) for side in (0, 1)]
        for i, sid in enumerate(sids):
            if gts and _oks_decisions_differ(gt_oks(decoded[sid][0], gts), gt_oks(decoded[sid][1], gts),
                                             OKS_THRESHOLDS):
                for_ap.setdefault(sid, "OKS with a ground truth crosses a threshold between the decodes")
            pair = [oks(flat[side][i], flat[side], areas[i], areas) for side in (0, 1)]
            if np.any((pair[0] > OKS_THRE) != (pair[1] > OKS_THRE)):
                for_ap.setdefault(sid, f"OKS-NMS overlap crosses {OKS_THRE} between the decodes")


def _area(clean_box) -> float:
    _, scale = box_to_center_scale(*clean_box)
    return float(np.prod(scale * np.float32(PIXEL_STD)))
