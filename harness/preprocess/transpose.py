"""``TransPose_preprocess.py`` (TransPose guide), reproduced exactly.

Per ground-truth person box, in the guide's sample order
(shared/reference/models_pose_cls.md sections A.4-A.5):

1. box -> centre/scale: centre = (x + (w-1)/2, y + (h-1)/2); the box is widened or
   heightened to the 192:256 aspect ratio; scale = size / 200 (pixel std), times 1.25;
   float32 as upstream stores them;
2. ``cv2.imread(IMREAD_COLOR | IMREAD_IGNORE_ORIENTATION)`` (EXIF rotation not applied,
   grayscale becomes 3 channels), BGR -> RGB;
3. the "(size - 1)" affine of upstream's ``get_affine_transform`` (box centre -> (95.5,
   127.5), isotropic zoom (192-1)/(scale_w*200-1); only the width sets the zoom), solved by
   ``cv2.getAffineTransform`` on float32 points;
4. ``cv2.warpAffine`` to 192x256, ``INTER_LINEAR``, constant black border;
5. ToTensor (/255) and Normalize with the ImageNet mean/std, RGB, float32;
6. ``prep_data/{i:012d}.bin`` = that tensor ([1,3,256,192] float32, 589 824 bytes) and
   ``prep_data_flip/{i:012d}.bin`` = the same tensor flipped along the width (the guide
   flips the normalised tensor with ``torch.flip``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

IMAGE_SIZE = (192, 256)  # (width, height), the model input
HEATMAP_SIZE = (48, 64)  # (width, height), the model output
ASPECT_RATIO = IMAGE_SIZE[0] * 1.0 / IMAGE_SIZE[1]
PIXEL_STD = 200
BOX_PADDING = 1.25
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
MAIN_DIR, FLIP_DIR = "prep_data", "prep_data_flip"
INPUT_NAME = "input"


def box_to_center_scale(x, y, w, h) -> tuple[np.ndarray, np.ndarray]:
    """Upstream ``_xywh2cs`` for the 192x256 input: float32 centre and padded scale."""
    center = np.zeros(2, dtype=np.float32)
    center[0] = x + (w - 1) * 0.5
    center[1] = y + (h - 1) * 0.5
    if w > ASPECT_RATIO * h:
        h = w * 1.0 / ASPECT_RATIO
    elif w < ASPECT_RATIO * h:
        w = h * ASPECT_RATIO
    scale = np.array([w * 1.0 / PIXEL_STD, h * 1.0 / PIXEL_STD], dtype=np.float32)
    if center[0] != -1:  # upstream's marker for "no box"; always true for GT boxes
        scale = scale * np.float32(BOX_PADDING)
    return center, scale


def affine_matrix(center: np.ndarray, scale: np.ndarray, output_size, inverse: bool = False) -> np.ndarray:
    """The 2x3 float64 matrix of upstream ``get_affine_transform`` (rotation 0, no shift).

    Three point pairs, all float32 like upstream: the box centre and the output centre
    ((size-1)/2); a point half the box width (minus one pixel) above each; and a third
    point at the first plus the second-to-first vector turned by 90 degrees.
    ``inverse`` maps output (heatmap or crop) coordinates back to the image.
    """
    import cv2

    center = np.asarray(center, dtype=np.float32)
    src_w = (np.asarray(scale, dtype=np.float32) * np.float32(200.0))[0]
    dst_w, dst_h = output_size
    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0] = center
    # float64 offset added to the float32 centre, rounded once to float32 (as upstream).
    src[1] = center.astype(np.float64) + np.array([0.0, (float(src_w) - 1) * -0.5])
    dst[0] = [(dst_w - 1) * 0.5, (dst_h - 1) * 0.5]
    dst[1] = np.array([(dst_w - 1) * 0.5, (dst_h - 1) * 0.5]) + np.array([0.0, (dst_w - 1) * -0.5])
    src[2] = _third_point(src[0], src[1])
    dst[2] = _third_point(dst[0], dst[1])
    if inverse:
        return cv2.getAffineTransform(dst, src)
    return cv2.getAffineTransform(src, dst)


def _third_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = a - b
    return b + np.array([-d[1], d[0]], dtype=np.float32)


def read_rgb(path: Path) -> np.ndarray:
    """HxWx3 uint8 RGB exactly as the guide reads it (EXIF orientation ignored)."""
    import cv2

    from harness.datasets.images import imread_cv2

    # cv2.imread as the guide calls it; a corrupt or truncated file is an ImageError naming
    # it (plain cv2.imread returns None, or decodes a truncated JPEG without a word).
    img = imread_cv2(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def crop(rgb: np.ndarray, center: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The 256x192 uint8 crop: affine warp, bilinear, black outside the image."""
    import cv2

    matrix = affine_matrix(center, scale, IMAGE_SIZE)
    return cv2.warpAffine(rgb, matrix, IMAGE_SIZE, flags=cv2.INTER_LINEAR)


def normalize(crop_rgb: np.ndarray) -> np.ndarray:
    """ToTensor + Normalize: CHW float32, /255, minus mean, over std (float32 throughout)."""
    chw = crop_rgb.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    mean = np.asarray(MEAN, dtype=np.float32)[:, None, None]
    std = np.asarray(STD, dtype=np.float32)[:, None, None]
    return ((chw - mean) / std)[None]  # [1, 3, 256, 192]


def flip_width(tensor: np.ndarray) -> np.ndarray:
    """``torch.flip(t, [3])``: reverse the last (width) axis."""
    return np.ascontiguousarray(tensor[..., ::-1])


def preprocess_sample(image_path: Path, clean_box) -> tuple[np.ndarray, np.ndarray]:
    """(main, flipped) float32 [1,3,256,192] tensors for one person box."""
    center, scale = box_to_center_scale(*clean_box)
    main = normalize(crop(read_rgb(image_path), center, scale))
    return main, flip_width(main)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """Write both input sets: ``prep_data/<id>.bin`` and ``prep_data_flip/<id>.bin``."""
    jobs = []
    for sid in samples.sample_ids:
        s = samples.samples[sid]
        jobs.append(Job(sid, (f"{MAIN_DIR}/{sid}.bin", f"{FLIP_DIR}/{sid}.bin"),
                        (sid, s.image_path, s.clean_box)))
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress)
    sets = {"main": {INPUT_NAME: MAIN_DIR}, "flip": {INPUT_NAME: FLIP_DIR}}
    return Prepared(out_root, ids, dirs_for(out_root, sets))


def _work(payload):
    sid, path, box = payload
    main, flipped = preprocess_sample(path, box)
    return [(f"{MAIN_DIR}/{sid}.bin", main), (f"{FLIP_DIR}/{sid}.bin", flipped)]
