"""Helpers shared by the fault tests: small seeded images and ways to break files."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest


def jpeg_bytes(width: int = 48, height: int = 40, mode: str = "RGB", seed: int = 0, fmt: str = "JPEG") -> bytes:
    from PIL import Image

    from harness.datasets.synthetic import smooth_image

    img = Image.fromarray(smooth_image(np.random.default_rng(seed), width, height), "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def truncate(path: Path, keep: float | int) -> None:
    """Cut ``path`` to ``keep`` bytes (int) or to that share of its size (float)."""
    data = path.read_bytes()
    n = keep if isinstance(keep, int) else int(len(data) * keep)
    path.write_bytes(data[:n])


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def dataset_images(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


@pytest.fixture
def make_image(tmp_path):
    def make(name: str, **kw) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg_bytes(**kw))
        return path
    return make
