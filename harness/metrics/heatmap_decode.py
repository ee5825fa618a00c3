"""Heatmaps -> image keypoints as the TransPose guide's post-processing computes them.

``TransPose_postprocess.py`` calls upstream ``flip_back`` and ``get_final_preds``
(lib/utils/transforms.py, lib/core/inference.py); the reference
(shared/reference/models_pose_cls.md section A.7) records what they really apply:

* un-flip: reverse the width axis of the flipped-input heatmaps, swap the left/right joint
  pairs, **no one-pixel shift** (the yaml's SHIFT_HEATMAP is never read), then average;
* DARK decoding: argmax per joint (score = the maximum **before** blurring; (0, 0) when it
  is <= 0), an 11x11 Gaussian blur (yaml ``TEST.BLUR_KERNEL: 11``) of each map, rescaled to
  its old maximum, log, and one Newton step (second-order Taylor expansion) where the
  integer peak is at least two pixels from the border;
* the inverse "(size - 1)" affine back to image coordinates.

Floating-point behaviour follows the seed era (numpy 1.21, legacy type promotion): maps
stay float32; the Taylor derivatives mix float32 map values with Python floats, which that
numpy evaluated in float64 (numpy >= 2 would round them to float32). The differences are
at the 1e-6 pixel level, but matching them keeps the decode bit-identical to the guide's.
"""
from __future__ import annotations

import numpy as np

from harness.preprocess.transpose import HEATMAP_SIZE, affine_matrix

NUM_JOINTS = 17
# COCO: 0 nose, 1/2 eyes, 3/4 ears, 5/6 shoulders, 7/8 elbows, 9/10 wrists, 11/12 hips,
# 13/14 knees, 15/16 ankles (left/right).
FLIP_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))
BLUR_KERNEL = 11


def flip_back(flipped: np.ndarray, pairs=FLIP_PAIRS) -> np.ndarray:
    """[N, J, H, W] heatmaps of the flipped input -> heatmaps in the original frame."""
    if flipped.ndim != 4:
        raise ValueError(f"flip_back expects [N, J, H, W] heatmaps, got shape {flipped.shape}")
    out = flipped[:, :, :, ::-1].copy()
    for a, b in pairs:
        out[:, [a, b]] = out[:, [b, a]]
    return out


def max_preds(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer peak (x, y) per joint as float32 [N, J, 2] and its value [N, J, 1].

    Ties go to the first maximum in row-major order; a peak value <= 0 gives (0, 0).
    """
    n, j, _, width = heatmaps.shape
    flat = heatmaps.reshape(n, j, -1)
    idx = np.argmax(flat, 2).reshape(n, j, 1)
    maxvals = np.amax(flat, 2).reshape(n, j, 1)
    preds = np.tile(idx, (1, 1, 2)).astype(np.float32)
    preds[:, :, 0] = preds[:, :, 0] % width
    preds[:, :, 1] = np.floor(preds[:, :, 1] / width)
    preds *= np.tile(np.greater(maxvals, 0.0), (1, 1, 2)).astype(np.float32)
    return preds, maxvals


def gaussian_blur(heatmaps: np.ndarray, kernel: int = BLUR_KERNEL) -> np.ndarray:
    """Blur every map (float64, zero padding of (kernel-1)/2), keep its maximum; float32 result."""
    import cv2

    border = (kernel - 1) // 2
    out = heatmaps.astype(np.float32, copy=True)
    n, j, height, width = out.shape
    for i in range(n):
        for k in range(j):
            origin_max = np.max(out[i, k])
            padded = np.zeros((height + 2 * border, width + 2 * border))
            padded[border:-border, border:-border] = out[i, k]
            padded = cv2.GaussianBlur(padded, (kernel, kernel), 0)
            out[i, k] = padded[border:-border, border:-border]
            with np.errstate(divide="ignore", invalid="ignore"):
                # An all-zero map gives 0/0 as upstream does; its peak is (0, 0) and no
                # Taylor step reads it.
                out[i, k] *= origin_max / np.max(out[i, k])
    return out


def taylor_step(log_hm: np.ndarray, coord: np.ndarray) -> None:
    """Refine ``coord`` (float32 [2], in place) by one Newton step on the log-heatmap."""
    height, width = log_hm.shape
    px, py = int(coord[0]), int(coord[1])
    if not (1 < px < width - 2 and 1 < py < height - 2):
        return
    h = log_hm
    f = float  # a float32 map value used in float64 arithmetic (legacy promotion)
    dx = 0.5 * f(h[py, px + 1] - h[py, px - 1])
    dy = 0.5 * f(h[py + 1, px] - h[py - 1, px])
    dxx = 0.25 * ((f(h[py, px + 2]) - 2 * f(h[py, px])) + f(h[py, px - 2]))
    dxy = 0.25 * f(h[py + 1, px + 1] - h[py - 1, px + 1] - h[py + 1, px - 1] + h[py - 1, px - 1])
    dyy = 0.25 * ((f(h[py + 2, px]) - 2 * f(h[py, px])) + f(h[py - 2, px]))
    if dxx * dyy - dxy ** 2 != 0:
        hessian_inv = np.linalg.inv(np.array([[dxx, dxy], [dxy, dyy]]))
        offset = np.dot(-hessian_inv, np.array([[dx], [dy]]))
        coord += offset[:, 0]


def dark_decode(heatmaps: np.ndarray, kernel: int = BLUR_KERNEL) -> tuple[np.ndarray, np.ndarray]:
    """Sub-pixel heatmap coordinates [N, J, 2] (float32) and unblurred peak values [N, J, 1]."""
    coords, maxvals = max_preds(heatmaps)
    log_hm = np.log(np.maximum(gaussian_blur(heatmaps, kernel), 1e-10))
    for n in range(coords.shape[0]):
        for p in range(coords.shape[1]):
            taylor_step(log_hm[n, p], coords[n, p])
    return coords, maxvals


def to_image(coords: np.ndarray, center, scale, heatmap_size=HEATMAP_SIZE) -> np.ndarray:
    """[J, 2] heatmap coordinates -> float32 image coordinates (inverse affine)."""
    trans = affine_matrix(center, scale, heatmap_size, inverse=True)
    out = np.zeros(coords.shape, dtype=np.float32)
    for p in range(coords.shape[0]):
        out[p] = np.dot(trans, np.array([coords[p, 0], coords[p, 1], 1.0]))[:2]
    return out


def final_preds(heatmaps: np.ndarray, centers, scales, kernel: int = BLUR_KERNEL):
    """Upstream ``get_final_preds``: image keypoints [N, J, 2] and scores [N, J, 1]."""
    coords, maxvals = dark_decode(heatmaps, kernel)
    preds = np.stack([to_image(coords[i], centers[i], scales[i]) for i in range(coords.shape[0])])
    return preds, maxvals


def decode_flip_test(main: np.ndarray, flipped: np.ndarray, center, scale) -> tuple[np.ndarray, np.ndarray]:
    """One person: heatmaps of the input and of its flip -> keypoints [J, 3] (x, y, score)
    and the integer peaks [J, 2] of the averaged heatmaps (before the sub-pixel step)."""
    main = np.asarray(main, dtype=np.float32).reshape(1, NUM_JOINTS, HEATMAP_SIZE[1], HEATMAP_SIZE[0])
    flipped = np.asarray(flipped, dtype=np.float32).reshape(main.shape)
    averaged = (main + flip_back(flipped)) * 0.5
    peaks = max_preds(averaged)[0][0].astype(np.int64)
    preds, maxvals = final_preds(averaged, [center], [scale])
    out = np.zeros((NUM_JOINTS, 3), dtype=np.float32)
    out[:, 0:2] = preds[0]
    out[:, 2] = maxvals[0, :, 0]
    return out, peaks
