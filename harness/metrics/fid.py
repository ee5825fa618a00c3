"""Fréchet Inception Distance exactly as TTUR's ``fid.py`` computes it (layumi/TTUR @ c7e49cc,
the DG-Net guide's tool: ``python fid.py <Market/pytorch/train_all> <off-gan_id>``).

Per folder (shared/reference/models_reid.md section 3.7):

* files = ``glob('*/*.jpg') + glob('*/*.png')`` (one sub-folder level, filesystem order);
  more than 12 936 files -> ``np.random.seed(7)``, keep ``permutation(n)[:12936]``;
* each image: PIL open -> ``resize((128, 256), BICUBIC)`` (w x h) -> uint8 array;
* activations in batches of 50 and only ``n // 50`` whole batches (the last n % 50 images
  are dropped); fewer than 50 images -> one batch of all of them;
* mu = mean, sigma = ``np.cov(rowvar=False)``;
* FID = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 S2)); if sqrtm is not finite, add
  1e-6 * I to both covariances and retry; drop the imaginary part when its diagonal is
  within 1e-3 of zero, else raise.

The script holds every image in memory; the suite streams the same batches (identical
numbers). ``scipy.linalg.sqrtm`` is called without the deprecated ``disp=False`` (it only
chose between printing and returning the error estimate; the root is the same).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from harness.metrics import MetricError
from harness.preprocess import pil_resize

TTUR_MAX_IMAGES = 12_936
TTUR_SELECTION_SEED = 7
TTUR_BATCH = 50
TTUR_SIZE_WH = (128, 256)


def list_images(folder: Path, max_images: int = TTUR_MAX_IMAGES) -> list[Path]:
    """TTUR's file list for one folder (its order, its random subset above ``max_images``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MetricError(f"FID: folder not found: {folder}")
    files = list(folder.glob("*/*.jpg")) + list(folder.glob("*/*.png"))
    if len(files) > max_images:
        np.random.seed(TTUR_SELECTION_SEED)
        index = np.random.permutation(len(files))[0:max_images]
        files = [files[i] for i in index]
    return files


def used_count(n: int, batch_size: int = TTUR_BATCH) -> int:
    """How many of ``n`` images TTUR's batching actually uses."""
    if n <= 0:
        return 0
    batch_size = min(batch_size, n)
    return (n // batch_size) * batch_size


def load_image(path: Path) -> np.ndarray:
    """``np.array(Image.open(path).resize((128, 256), BICUBIC))`` (no colour conversion,
    as the script; a non-RGB file is refused by name, where the script would crash)."""
    import io

    from PIL import Image, UnidentifiedImageError

    from harness.datasets.images import read_complete

    data = read_complete(Path(path), None)  # a truncated JPEG/PNG is refused by name
    try:
        with Image.open(io.BytesIO(data)) as im:
            arr = np.array(pil_resize.resize(im, TTUR_SIZE_WH, Image.BICUBIC))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise MetricError(f"FID: cannot decode image {path}: {exc}") from None
    if arr.shape != (TTUR_SIZE_WH[1], TTUR_SIZE_WH[0], 3):
        raise MetricError(f"FID: {path} gives an array of shape {arr.shape} (mode {im.mode}); "
                          "TTUR needs RGB images")
    return arr


def activations(files: Sequence[Path], extract: Callable[[np.ndarray], np.ndarray],
                batch_size: int = TTUR_BATCH) -> np.ndarray:
    """Features of the images TTUR uses, batch by batch: [used_count(n), D] float64."""
    n = used_count(len(files), batch_size)
    if n == 0:
        raise MetricError("FID over zero images")
    step = min(batch_size, len(files))
    parts = []
    for start in range(0, n, step):
        batch = np.stack([load_image(p) for p in files[start:start + step]])
        feats = np.asarray(extract(batch), dtype=np.float64).reshape(len(batch), -1)
        if not np.all(np.isfinite(feats)):
            raise MetricError(f"FID: non-finite Inception features for {files[start]} ...")
        parts.append(feats)
    return np.concatenate(parts)


def statistics(act: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) as TTUR: mean over samples, ``np.cov(act, rowvar=False)``."""
    if act.ndim != 2 or act.shape[0] < 2:
        raise MetricError(f"FID statistics need at least two feature rows, got shape {act.shape}")
    return np.mean(act, axis=0), np.cov(act, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """TTUR's ``calculate_frechet_distance`` (Dougal Sutherland's stable version)."""
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise MetricError(f"FID: statistics of different sizes {mu1.shape}/{sigma1.shape} vs "
                          f"{mu2.shape}/{sigma2.shape}")
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        warnings.warn(f"fid calculation produces singular product; adding {eps} to diagonal of "
                      "cov estimates")
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise MetricError(f"FID: imaginary component {np.max(np.abs(covmean.imag))} in sqrtm")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid_of_folders(real: Path, generated: Path, extract: Callable[[np.ndarray], np.ndarray],
                   max_images: int = TTUR_MAX_IMAGES) -> dict:
    """FID between two folders as ``fid.py real generated`` computes it, plus the counts."""
    sides = {}
    for key, folder in (("real", real), ("generated", generated)):
        files = list_images(folder, max_images)
        act = activations(files, extract)
        sides[key] = {"files": len(files), "used": act.shape[0], "stats": statistics(act)}
    (m1, s1), (m2, s2) = sides["real"]["stats"], sides["generated"]["stats"]
    return {"fid": frechet_distance(m1, s1, m2, s2),
            "real_files": sides["real"]["files"], "real_used": sides["real"]["used"],
            "generated_files": sides["generated"]["files"], "generated_used": sides["generated"]["used"]}
