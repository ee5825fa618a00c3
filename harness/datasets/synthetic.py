"""Seeded synthetic images that exercise real decoders: smooth structure plus noise (so
JPEG compression behaves as on photos), varied sizes, and the odd modes real datasets
contain (grayscale, CMYK)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def smooth_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """An HxWx3 uint8 image: random low-frequency colour field plus mild noise."""
    gh, gw = max(2, height // 32), max(2, width // 32)
    grid = rng.uniform(0, 255, size=(gh, gw, 3))
    ys = np.linspace(0, gh - 1, height)
    xs = np.linspace(0, gw - 1, width)
    y0 = np.floor(ys).astype(int).clip(0, gh - 2)
    x0 = np.floor(xs).astype(int).clip(0, gw - 2)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    img = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    img += rng.normal(0, 12, size=img.shape)
    return img.clip(0, 255).astype(np.uint8)


def save_jpeg(path: Path, pixels: np.ndarray, mode: str = "RGB", quality: int = 90) -> None:
    """Save as a real JPEG in ``mode`` ("RGB", "L" or "CMYK")."""
    from PIL import Image

    img = Image.fromarray(pixels, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="JPEG", quality=quality)
