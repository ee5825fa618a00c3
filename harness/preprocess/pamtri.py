"""``PAMTRI_preprocess.py`` (PAMTRI guide), reproduced exactly
(shared/reference/models_reid.md 1.5).

Per image, in label-CSV order: ``cv2.imread(path, IMREAD_COLOR)`` (BGR uint8) -> channels
split and re-stacked as R, G, B -> ``cv2.resize(img, (256, 256), INTER_LINEAR)`` (a plain
stretch; OpenCV, which does not antialias) -> ``torchvision.transforms.functional.
to_tensor`` -> ``normalize`` (ImageNet mean/std) -> float32 [3, 256, 256], written as
``<batch index>.bin`` (batch size 1, so the CSV row index) into a query and a gallery
folder, the guide's two input sets.

Fast path, same bits: ``cv2.cvtColor`` BGR->RGB gives the same array as split+restack, and
``normalise_chw`` performs ToTensor/Normalize's float32 operations in NumPy.
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
    import cv2

    rgb = cv2.cvtColor(imread_cv2(path, cv2.IMREAD_COLOR, sample_id), cv2.COLOR_BGR2RGB)
    return normalise_chw(cv2.resize(rgb, dsize=SIZE, interpolation=cv2.INTER_LINEAR), MEAN, STD)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """``<set>/<row index>.bin`` for every query and gallery row (input ``input``)."""
    return preprocess_sets(samples, out_root, preprocess_image, workers=workers, progress=progress)
