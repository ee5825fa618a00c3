"""uint8 HWC RGB -> normalised float32 CHW, float32 at every step.

Bit-identical to ``torchvision.transforms.ToTensor`` + ``Normalize`` and to the guides'
NumPy scripts: each step (``/ 255``, ``- mean``, ``/ std``) is one correctly rounded
float32 operation in all of them; doing it in place on one contiguous array avoids the
element-by-element passes a non-contiguous transpose causes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def normalise_chw(hwc: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    mean32 = np.asarray(mean, dtype=np.float32).reshape(3, 1, 1)
    std32 = np.asarray(std, dtype=np.float32).reshape(3, 1, 1)
    out = np.empty((3,) + hwc.shape[:2], dtype=np.float32)
    out[...] = hwc.transpose(2, 0, 1)
    np.divide(out, np.float32(255.0), out=out)
    np.subtract(out, mean32, out=out)
    np.divide(out, std32, out=out)
    return out
