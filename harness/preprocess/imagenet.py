"""The ImageNet classification guides' preprocessing, driven by each guide's own table.

``imagenet_torch_preprocess.py`` (DPN131 and about thirty other ModelZoo guides) keeps a
per-model table of resize, centre crop, mean and std; per image
(shared/reference/models_pose_cls.md section B.6):
PIL open -> convert('RGB') -> shorter side to ``resize`` with PIL BILINEAR (int()
truncation of the longer side; untouched if the shorter side already is ``resize``) ->
centre crop with ``int(round((size - crop) / 2))`` offsets -> float32 HWC -> CHW -> /255 ->
(x - mean) / std per channel in float32 -> ``tofile`` as ``<name before first '.'>.bin``.

Other guides restate the same recipe with small variations, each a field of
``ClassificationPreprocess`` so that one implementation stays bit-exact with all of them:
``interpolation`` (ViT_base resizes with BICUBIC), ``resize`` as a fixed (height, width)
(VGG16's ``resize(img, (256, 256))`` ignores the aspect ratio), ``crop_offsets="floor"``
(the NumPy ``center_crop`` of the VGG16/GoogleNet scripts truncates ``(size - crop) / 2``).
Normalising before or after the HWC->CHW transpose, or with ``torchvision.transforms``,
gives the same float32 bits (``harness.preprocess.normalise``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from harness.preprocess import pil_resize
from harness.preprocess.normalise import normalise_chw
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

INTERPOLATIONS = ("bilinear", "bicubic")
CROP_OFFSETS = ("round", "floor")


@dataclass(frozen=True)
class ClassificationPreprocess:
    """One row of a guide's preprocessing table.

    resize: shorter side (int) or a fixed (height, width) pair; crop: centre crop side.
    """

    resize: Union[int, tuple[int, int]]
    crop: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bilinear"
    crop_offsets: str = "round"

    def __post_init__(self):
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation {self.interpolation!r}: expected one of {INTERPOLATIONS}")
        if self.crop_offsets not in CROP_OFFSETS:
            raise ValueError(f"crop_offsets {self.crop_offsets!r}: expected one of {CROP_OFFSETS}")
        if len(self.mean) != 3 or len(self.std) != 3 or not all(s > 0 for s in self.std):
            raise ValueError(f"mean {self.mean} / std {self.std}: three values each, std > 0")

    @property
    def resample(self):
        from PIL import Image

        return Image.BICUBIC if self.interpolation == "bicubic" else Image.BILINEAR

    def target_size(self, w: int, h: int) -> tuple[int, int]:
        """(width, height) the script resizes a w x h image to."""
        if isinstance(self.resize, int):
            return resized_shorter_size(w, h, self.resize)
        height, width = self.resize  # the script calls img.resize(size[::-1])
        return width, height

    def offset(self, size: int) -> int:
        if self.crop_offsets == "floor":
            return int((size - self.crop) / 2)
        return int(round((size - self.crop) / 2.0))


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
    return normalise_chw(cropped_image(path, cfg), cfg.mean, cfg.std)


def cropped_image(path: Path, cfg: ClassificationPreprocess = DPN131) -> np.ndarray:
    """The resized, centre-cropped uint8 HWC RGB pixels the script normalises."""
    from harness.datasets.images import open_rgb_pil

    img = open_rgb_pil(path)  # Image.open(path).convert('RGB'); a bad file names itself
    size = cfg.target_size(*img.size)
    if size[0] < cfg.crop or size[1] < cfg.crop:
        return _pad_crop(img, size, cfg)
    return resize_and_crop(img, size, cfg.crop, cfg.resample, cfg.offset)


def _pad_crop(img, size: tuple[int, int], cfg: ClassificationPreprocess) -> np.ndarray:
    """An image smaller than the crop after resizing: PIL's crop pads with black beyond
    the image (the NumPy crop of the floor-offset scripts would return a smaller array,
    which their fixed-size model input then refuses; we keep PIL's result for both)."""
    img = pil_resize.resize(img, size, cfg.resample)
    w, h = img.size
    top, left = cfg.offset(h), cfg.offset(w)
    return np.asarray(img.crop((left, top, left + cfg.crop, top + cfg.crop)))


def resize_and_crop(img, size: tuple[int, int], crop: int, resample=None, offset=None) -> np.ndarray:
    """``center_crop(img.resize(size, resample), crop)`` as uint8 HWC, computing only what
    the crop keeps.

    Same bytes (``harness.preprocess.pil_resize``): the width pass, then the crop's
    columns, then the height pass over those columns only, which skips the height pass
    over the columns the crop drops (a third of the work for a 4:3 image). Both filters
    the guides use (bilinear, bicubic) are separable, so columns stay independent.
    ``offset(size)`` is the crop's start along one axis (default: rounded, as the table
    script's ``center_crop``).
    """
    from PIL import Image

    resample = Image.BILINEAR if resample is None else resample
    offset = offset or (lambda n: int(round((n - crop) / 2.0)))
    new_w, new_h = size
    top, left = offset(new_h), offset(new_w)
    img = pil_resize.resize_width(img, new_w, resample)
    img = img.crop((left, 0, left + crop, img.size[1]))
    img = pil_resize.resize_height(img, new_h, resample)
    return np.asarray(img)[top:top + crop]


def preprocess(samples, out_root: Path, workers: int = 0, progress=None,
               cfg: ClassificationPreprocess = DPN131, input_name: str = "image") -> Prepared:
    """Write ``image/<id>.bin`` for every sample (one input set, one model input, called
    ``input_name`` as the guide's export names it)."""
    jobs = [Job(sid, (f"image/{sid}.bin",), (sid, samples.images[sid], cfg))
            for sid in samples.sample_ids]
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress,
                   preload=("PIL.Image", "simplejpeg", "cv2"))
    return Prepared(out_root, ids, dirs_for(out_root, {"main": {input_name: "image"}}))


def compact(payload) -> dict[str, np.ndarray]:
    """A job's 8-bit form (``harness.preprocess.compact``): the cropped pixels."""
    _, path, cfg = payload
    return {"image": cropped_image(path, cfg)}


def expand(payload, arrays) -> list[tuple[str, np.ndarray]]:
    """A job's files from its 8-bit form: the normalisation alone depends on nothing else."""
    sid, _, cfg = payload
    return [(f"image/{sid}.bin", normalise_chw(arrays["image"], cfg.mean, cfg.std))]


def _work(payload):
    return expand(payload, compact(payload))
