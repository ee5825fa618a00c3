"""Generated images as the DG-Net guide's ``DGnet_postprocess.py`` makes them, image
agreement measures, and a contact sheet for people to look at.

Post-processing (shared/reference/models_reid.md section 3.6), per output [3,256,128]:
CHW -> HWC, x std + mean (ImageNet, float64 as NumPy promotes it), x 255, clip to
[0, 255], ``astype(uint8)`` (truncation, no rounding), ``Image.fromarray``, saved as JPEG
with PIL's defaults (quality 75) to ``off-gan_id/<label>/<label2>_<label>_gan<name>.jpg``
where, for the ais_bench output ``<sample id>_0.bin``, ``label``/``label2`` are its first
two ``_`` fields and ``name`` joins fields 2..5 (so names carry "gan" twice, as the
script's do). The script saves the same image under ``off-gan_bg/<label2>/`` too; FID
reads only ``off-gan_id``, so the suite writes only that folder.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from harness.metrics.ambiguity import Allowance, Slack, max_abs_diff

MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])


def recover_image(output: np.ndarray) -> np.ndarray:
    """One generated [3,H,W] float output -> HxWx3 uint8, exactly as the script's ``recover``."""
    arr = np.asarray(output, dtype=np.float32)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[0] != 3:
        raise ValueError(f"expected a [3,H,W] generated image, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):  # astype(uint8) would turn NaN into a plausible pixel
        from harness.metrics import MetricError

        raise MetricError(f"generated image has {int(arr.size - np.isfinite(arr).sum())} NaN/Inf values")
    inp = arr.transpose((1, 2, 0))
    inp = STD * inp + MEAN
    inp = inp * 255.0
    inp = np.clip(inp, 0, 255)
    return inp.astype("uint8")


def mean_pixel_allowance(ours: Mapping[str, list], ref: Mapping[str, list]) -> Allowance:
    """What ``mean_pixel`` may differ by between a backend's generated images and PyTorch's.

    Measured: the largest |output difference| d (normalised units). A grey level is
    ``clip(255 (std_c x + mean_c))`` truncated, so the backend's value lies within
    255 std_c d of PyTorch's and its level can only differ where that interval reaches
    another integer: per pixel, the largest level change inside the interval. mean_pixel is
    the mean over images of their mean level, so it may move by the mean over images of
    (sum of those changes / values per image) -- a bound, not an estimate.
    """
    delta = max_abs_diff(ours, ref, 0, "generated images")
    from harness.metrics.ambiguity import AGGREGATION_EPS

    spread = 255.0 * STD * delta + AGGREGATION_EPS  # per channel, grey levels
    ambiguous, total = {}, 0.0
    for sid, outs in ref.items():
        arr = np.asarray(outs[0], dtype=np.float32)
        level = (STD * arr.reshape(arr.shape[-3:]).transpose((1, 2, 0)) + MEAN) * 255.0
        now = np.floor(np.clip(level, 0, 255))
        change = np.maximum(np.floor(np.clip(level + spread, 0, 255)) - now,
                            now - np.floor(np.clip(level - spread, 0, 255)))
        moved = int(np.count_nonzero(change))
        if moved:
            ambiguous[sid] = (f"{moved} values within {float(spread.max()):.3g} grey levels of a "
                              f"level boundary (255 x std x max |output diff| {delta:.3g})")
        total += float(change.sum()) / change.size
    n = len(ref)
    slack = Slack(total / n, len(ambiguous),
                  f"mean over {n} images of their possible level changes per value "
                  f"({len(ambiguous)} images have values near a level boundary)")
    return Allowance("max |output diff|", delta, float(spread.max()), n, ambiguous,
                     {"mean_pixel": slack})


def off_gan_path(sample_id: str) -> tuple[str, str]:
    """(label folder, file name) the script derives from the output file ``<id>_0.bin``."""
    fields = f"{sample_id}_0.bin".split("_")
    if len(fields) < 6:
        raise ValueError(f"output name {sample_id}_0.bin has too few '_' fields for the guide's "
                         "'<L2>_<L1>_gan<pid>_<cam>_<frame>_<box>' pattern")
    label, label2, name = fields[0], fields[1], "_".join(fields[2:6])
    return label, "%s_%s_gan%s.jpg" % (label2, label, name)


def write_generated(images: Mapping[str, np.ndarray], folder: Path) -> list[Path]:
    """Save each uint8 image under ``folder/<label>/<name>.jpg`` (PIL JPEG defaults),
    atomically, so a concurrent or interrupted run never leaves a half-written file."""
    from PIL import Image

    written = []
    for sid, pixels in images.items():
        label, name = off_gan_path(sid)
        path = Path(folder) / label / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            Image.fromarray(pixels).save(tmp, format="JPEG")  # PIL defaults = quality 75
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        written.append(path)
    return written


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two uint8 images in dB (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def max_abs_error(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.max(np.abs(a.astype(np.int16) - b.astype(np.int16))))


# -- contact sheet -------------------------------------------------------------------------
GUTTER = 4
HEADER = 16
COLUMNS = ("structure", "appearance", "generated")


def structure_for_display(structure: np.ndarray) -> np.ndarray:
    """A grey [1,H,W] structure input as uint8 HxWx3. The input is the channel mean of
    ImageNet-normalised RGB; undoing it with the mean std/mean is close enough to look at
    (display only, no metric uses it)."""
    grey = np.asarray(structure, dtype=np.float64).reshape(structure.shape[-2:])
    pixels = np.clip((grey * STD.mean() + MEAN.mean()) * 255.0, 0, 255).astype(np.uint8)
    return np.repeat(pixels[:, :, None], 3, axis=2)


def contact_sheet_size(rows: int, height: int = 256, width: int = 128) -> tuple[int, int]:
    """(width, height) in pixels of a sheet with ``rows`` rows of three images."""
    return (len(COLUMNS) * width + (len(COLUMNS) + 1) * GUTTER,
            HEADER + rows * height + (rows + 1) * GUTTER)


def contact_sheet(rows: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], path: Path) -> Path:
    """Write a PNG grid, one row per sample: structure | appearance | generated (uint8 HxWx3
    each, equal sizes), with column titles. Returns the path."""
    from PIL import Image, ImageDraw

    if not rows:
        raise ValueError("contact sheet with zero rows")
    h, w = rows[0][0].shape[:2]
    size = contact_sheet_size(len(rows), h, w)
    sheet = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for c, title in enumerate(COLUMNS):
        draw.text((GUTTER + c * (w + GUTTER) + 4, 2), title, fill=(0, 0, 0))
    for r, images in enumerate(rows):
        for c, pixels in enumerate(images):
            if pixels.shape != (h, w, 3) or pixels.dtype != np.uint8:
                raise ValueError(f"contact sheet row {r} column {COLUMNS[c]}: {pixels.shape} "
                                 f"{pixels.dtype}, expected ({h}, {w}, 3) uint8")
            sheet.paste(Image.fromarray(pixels), (GUTTER + c * (w + GUTTER), HEADER + GUTTER + r * (h + GUTTER)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG")
    return path
