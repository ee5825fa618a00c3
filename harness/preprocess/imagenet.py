"""``imagenet_torch_preprocess.py`` (DPN131 guide), reproduced exactly.

Per image (shared/reference/models_pose_cls.md section B.6):
PIL open -> convert('RGB') -> shorter side to 256 with PIL BILINEAR (int() truncation of
the longer side; untouched if the shorter side already is 256) -> centre crop 224 with
``int(round((size - 224) / 2))`` offsets -> float32 HWC -> CHW -> /255 -> (x - mean) / std
per channel in float32 -> ``tofile`` as ``<name before first '.'>.bin`` (602 112 bytes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.preprocess import pil_resize
from harness.preprocess.normalise import normalise_chw
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs


@dataclass(frozen=True)
class ClassificationPreprocess:
    resize: int
    crop: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


DPN131 = ClassificationPreprocess(resize=256, crop=224, mean=(0.486, 0.459, 0.408),
                                  std=(0.235, 0.235, 0.235))


def resized_shorter_size(w: int, h: int, size: int) -> tuple[int, int]:
    """The script's target size: shorter side ``size``, the longer one truncated by int()."""
    if (w <= h and w == size) or (h <= w and h == size):
        return w, h
    if w < h:
        return size, int(size * h / w)
    return int(size * w / h), size


def resize_shorter(img, size: int):
    from PIL import Image

    return pil_resize.resize(img, resized_shorter_size(*img.size, size), Image.BILINEAR)


def center_crop(img, size: int):
    w, h = img.size
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def preprocess_image(path: Path, cfg: ClassificationPreprocess = DPN131) -> np.ndarray:
    """One image -> float32 CHW array, exactly as the guide's script computes it."""
    from harness.datasets.images import open_rgb_pil

    img = open_rgb_pil(path)  # Image.open(path).convert('RGB'); a bad file names itself
    size = resized_shorter_size(*img.size, cfg.resize)
    if size[0] < cfg.crop or size[1] < cfg.crop:  # PIL's crop pads with black beyond the image
        return normalise_chw(np.asarray(center_crop(resize_shorter(img, cfg.resize), cfg.crop)),
                             cfg.mean, cfg.std)
    return normalise_chw(resize_and_crop(img, size, cfg.crop), cfg.mean, cfg.std)


def resize_and_crop(img, size: tuple[int, int], crop: int) -> np.ndarray:
    """``center_crop(img.resize(size, BILINEAR), crop)`` as uint8 HWC, computing only what the
    crop keeps.

    Same bytes (``harness.preprocess.pil_resize``): the width pass, then the crop's
    columns, then the height pass over those columns only, which skips the height pass
    over the columns the crop drops (a third of the work for a 4:3 image).
    """
    from PIL import Image

    new_w, new_h = size
    top = int(round((new_h - crop) / 2.0))
    left = int(round((new_w - crop) / 2.0))
    img = pil_resize.resize_width(img, new_w, Image.BILINEAR)
    img = img.crop((left, 0, left + crop, img.size[1]))
    img = pil_resize.resize_height(img, new_h, Image.BILINEAR)
    return np.asarray(img)[top:top + crop]


def preprocess(samples, out_root: Path, workers: int = 0, progress=None,
               cfg: ClassificationPreprocess = DPN131) -> Prepared:
    """Write ``image/<id>.bin`` for every sample (one input set, one model input)."""
    jobs = [Job(sid, (f"image/{sid}.bin",), (sid, samples.images[sid], cfg))
            for sid in samples.sample_ids]
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress,
                   preload=("PIL.Image", "simplejpeg", "cv2"))
    return Prepared(out_root, ids, dirs_for(out_root, {"main": {"image": "image"}}))


def _work(payload):
    sid, path, cfg = payload
    return [(f"image/{sid}.bin", preprocess_image(path, cfg))]
