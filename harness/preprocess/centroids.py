"""``centroid-reid_preprocess.py`` (Centroids-reid guide), reproduced exactly
(shared/reference/models_reid.md 2.5).

Per image: PIL ``Image.open(...).convert('RGB')`` -> ``torchvision.transforms.Resize([256,
128])`` (PIL bilinear, antialiased, H x W = 256 x 128, no crop) -> ``ToTensor`` ->
``Normalize`` (ImageNet mean/std, from the config's INPUT.PIXEL_MEAN/STD) -> float32
[3, 256, 128] written as ``<stem>.bin``; query and gallery go to two folders, which are
the guide's two input sets.

Fast path, same bits: the JPEG is decoded by libjpeg-turbo as PIL does it
(``open_rgb_pil``, checked against PIL), torchvision's Resize on a PIL image is
``img.resize((W, H), BILINEAR)``, run in the pass order of the guide's Pillow
(``pil_resize``), and ``normalise_chw`` gives ToTensor/Normalize's float32
results (per-channel tables).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import open_rgb_pil
from harness.preprocess import pil_resize
from harness.preprocess.normalise import normalise_chw
from harness.preprocess.query_gallery import SETS, preprocess_sets  # noqa: F401  (SETS re-exported)
from harness.preprocess.store import Prepared

SIZE = (256, 128)  # (H, W): INPUT.SIZE_TEST
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def preprocess_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """One image -> float32 CHW array, bit-identical to the guide script's calls."""
    return tensor(pixels(path, sample_id))


def pixels(path: Path, sample_id: str | None = None) -> np.ndarray:
    """The resized uint8 RGB image (Resize on the decoded JPEG)."""
    from PIL import Image

    return np.asarray(pil_resize.resize(open_rgb_pil(path, sample_id), (SIZE[1], SIZE[0]), Image.BILINEAR))


def tensor(resized_rgb: np.ndarray) -> np.ndarray:
    """The resized image -> the float32 CHW tensor (ToTensor + Normalize)."""
    return normalise_chw(resized_rgb, MEAN, STD)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """``<set>/<stem>.bin`` for every query and gallery image (input ``input``)."""
    return preprocess_sets(samples, out_root, pixels, tensor, workers=workers, progress=progress)
