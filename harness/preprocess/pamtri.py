"""``PAMTRI_preprocess.py`` (PAMTRI guide), reproduced exactly
(shared/reference/models_reid.md 1.5).

Per image, in label-CSV order: ``cv2.imread(path, IMREAD_COLOR)`` (BGR uint8) -> channels
split and re-stacked as R, G, B -> ``cv2.resize(img, (256, 256), INTER_LINEAR)`` (a plain
stretch; OpenCV, which does not antialias) -> ``torchvision.transforms.functional.
to_tensor`` -> ``normalize`` (ImageNet mean/std) -> float32 [3, 256, 256], written as
``<batch index>.bin`` (batch size 1, so the CSV row index) into a query and a gallery
folder, the guide's two input sets.

Fast path, same bits: ``cv2.resize`` treats the channels independently, so resizing the
BGR image and reading its channels in R, G, B order equals split+restack then resize; and
``normalise_chw`` gives ToTensor/Normalize's float32 results (per-channel tables).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import imread_cv2
from harness.preprocess.normalise import normalise_chw
from harness.preprocess.query_gallery import SETS, preprocess_sets  # noqa: F401  (SETS re-exported)
from harness.preprocess.store import Prepared

SIZE = (256, 256)  # (W, H) for cv2.resize
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def preprocess_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """One image -> float32 CHW array, bit-identical to the guide script's calls."""
    return tensor(pixels(path, sample_id))


def pixels(path: Path, sample_id: str | None = None) -> np.ndarray:
    """The resized uint8 image, still in OpenCV's BGR order."""
    import cv2

    bgr = imread_cv2(path, cv2.IMREAD_COLOR, sample_id)
    return cv2.resize(bgr, dsize=SIZE, interpolation=cv2.INTER_LINEAR)


def tensor(resized_bgr: np.ndarray) -> np.ndarray:
    """The resized BGR image -> the float32 RGB CHW tensor (to_tensor + normalize)."""
    return normalise_chw(resized_bgr, MEAN, STD, bgr=True)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """``<set>/<row index>.bin`` for every query and gallery row (input ``input``)."""
    return preprocess_sets(samples, out_root, pixels, tensor, workers=workers, progress=progress)
