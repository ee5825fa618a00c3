"""The suite's PIL resizes equal the resampling of the Pillow releases the guides pinned.

``reference_resize`` restates Pillow 7.2-12.x's 8-bit resampling in NumPy, from its C
source (``precompute_coeffs``, ``normalize_coeffs_8bpc``, the horizontal then vertical
passes with 22-bit fixed-point weights, rounding and clipping): the guides' Pillow 7.2.0 /
8.4.0 compute exactly this. The suite must match it under whatever Pillow is installed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from harness.preprocess import pil_resize

PRECISION_BITS = 32 - 8 - 2


def _bilinear(x: float) -> float:
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


def _bicubic(x: float, a: float = -0.5) -> float:
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


FILTERS = {Image.BILINEAR: (_bilinear, 1.0), Image.BICUBIC: (_bicubic, 2.0)}


def _coefficients(in_size: int, out_size: int, resample) -> tuple[np.ndarray, np.ndarray]:
    """(bounds (out, 2): first input index and tap count, weights (out, taps) int)."""
    filt, filt_support = FILTERS[resample]
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = filt_support * filterscale
    ksize = int(math.ceil(support)) * 2 + 1
    bounds = np.zeros((out_size, 2), dtype=np.int64)
    weights = np.zeros((out_size, ksize), dtype=np.int64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        k = [filt((x + xmin - center + 0.5) * (1.0 / filterscale)) for x in range(xmax)]
        ww = sum(k)
        k = [v / ww for v in k] if ww != 0.0 else k
        for x, v in enumerate(k):  # normalize_coeffs_8bpc: round half away from zero
            weights[xx, x] = int(0.5 + v * (1 << PRECISION_BITS)) if v >= 0 else \
                int(-0.5 + v * (1 << PRECISION_BITS))
        bounds[xx] = (xmin, xmax)
    return bounds, weights


def _pass(pixels: np.ndarray, out_size: int, resample, axis: int) -> np.ndarray:
    bounds, weights = _coefficients(pixels.shape[axis], out_size, resample)
    src = np.moveaxis(pixels, axis, 0).astype(np.int64)
    out = np.empty((out_size,) + src.shape[1:], dtype=np.uint8)
    for i, (xmin, taps) in enumerate(bounds):
        acc = np.full(src.shape[1:], 1 << (PRECISION_BITS - 1), dtype=np.int64)
        for t in range(taps):
            acc += src[xmin + t] * weights[i, t]
        out[i] = np.clip(acc >> PRECISION_BITS, 0, 255)
    return np.moveaxis(out, 0, axis)


def reference_resize(pixels: np.ndarray, size: tuple[int, int], resample) -> np.ndarray:
    """Pillow 7.2-12.x ``resize(size, resample)`` of an (H, W, 3) uint8 image."""
    out = pixels
    if size[0] != pixels.shape[1]:
        out = _pass(out, size[0], resample, axis=1)
    if size[1] != pixels.shape[0]:
        out = _pass(out, size[1], resample, axis=0)
    return out


CASES = [  # (input w, h) -> (output w, h): the guides' resizes, both pass orders of Pillow 13
    ((500, 375), (341, 256), Image.BILINEAR),   # DPN131 landscape
    ((300, 900), (256, 768), Image.BILINEAR),   # DPN131 tall portrait: Pillow 13 goes height first
    ((150, 400), (128, 256), Image.BILINEAR),   # Centroids large Duke crop: same
    ((61, 143), (128, 256), Image.BILINEAR),    # Centroids small crop, upscaled
    ((64, 128), (128, 256), Image.BICUBIC),     # DG-Net / FID Market crop
    ((256, 512), (128, 256), Image.BICUBIC),    # FID of a large image
]


@pytest.mark.parametrize("src,size,resample", CASES)
def test_suite_resize_is_the_guides_pillow(src, size, resample):
    rng = np.random.default_rng(src[0] * 1000 + src[1])
    pixels = rng.integers(0, 256, (src[1], src[0], 3), dtype=np.uint8)
    want = reference_resize(pixels, size, resample)
    got = np.asarray(pil_resize.resize(Image.fromarray(pixels), size, resample))
    assert got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.parametrize("src,size,resample", CASES)
def test_pinned_pillow_one_call_resize_is_the_guides_too(src, size, resample):
    """requirements.txt pins a Pillow (12.x) whose one-call resize is the guides' as well,
    so a plain restatement of a script run in this environment agrees with the suite."""
    rng = np.random.default_rng(src[0] * 1000 + src[1])
    pixels = rng.integers(0, 256, (src[1], src[0], 3), dtype=np.uint8)
    got = np.asarray(Image.fromarray(pixels).resize(size, resample))
    assert np.array_equal(got, reference_resize(pixels, size, resample)), \
        f"Pillow {Image.__version__} resizes {src}->{size} differently from Pillow 7.2-12.x"
