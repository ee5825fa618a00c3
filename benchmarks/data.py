"""Benchmark datasets at realistic sizes, in the real layouts, generated (seeded) on disk."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# ImageNet val: most images are 500 px on the long side (500x375, 375x500, 500x333, ...),
# a few are larger; the mix below averages about 500x390 like the real split.
IMAGENET_SIZES = [((500, 375), 40), ((375, 500), 15), ((500, 333), 15), ((333, 500), 5),
                  ((500, 500), 10), ((500, 400), 5), ((640, 480), 5), ((1024, 768), 5)]


def make_imagenet_val(root: Path, n: int, seed: int = 0) -> Path:
    """``<root>/val/ILSVRC2012_val_*.JPEG`` + ``val_label.txt``; returns ``root``."""
    from PIL import Image

    from harness.datasets.synthetic import smooth_image

    rng = np.random.default_rng(seed)
    sizes = [s for s, weight in IMAGENET_SIZES for _ in range(weight)]
    val = Path(root) / "val"
    val.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(1, n + 1):
        w, h = sizes[int(rng.integers(len(sizes)))]
        name = f"ILSVRC2012_val_{i:08d}.JPEG"
        path = val / name
        if not path.exists():
            Image.fromarray(smooth_image(rng, w, h)).save(path, format="JPEG", quality=92)
        lines.append(f"{name} {int(rng.integers(0, 1000))}")
    (Path(root) / "val_label.txt").write_text("\n".join(lines) + "\n")
    return Path(root)


def reid_structure(n_query: int, n_gallery: int, n_ids: int, n_distractor_ids: int,
                   n_cams: int, dim: int, seed: int = 0):
    """Features with identity structure (id centre + noise), ids and cameras like VeRi/Duke:
    every query id appears in the gallery, on other cameras too; distractor ids only in the
    gallery. Returns (qf, gf, q_pids, g_pids, q_camids, g_camids)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_ids + n_distractor_ids, dim)).astype(np.float32)
    q_pids = np.sort(rng.integers(0, n_ids, n_query))
    g_pids = np.concatenate([np.arange(n_ids),  # every query id has gallery images
                             rng.integers(0, n_ids + n_distractor_ids, n_gallery - n_ids)])
    q_cams = rng.integers(0, n_cams, n_query)
    g_cams = rng.integers(0, n_cams, n_gallery)
    # Identity signal small against per-image noise, so rankings are imperfect like a real
    # model's (rank-1 and mAP well below 100 %), not trivially separable.
    signal = (2.0 * (8.0 / dim) ** 0.5) ** 0.5  # id gap ~ 2 standard deviations of the noise
    qf = signal * centres[q_pids] + rng.standard_normal((n_query, dim)).astype(np.float32)
    gf = signal * centres[g_pids] + rng.standard_normal((n_gallery, dim)).astype(np.float32)
    return qf, gf, q_pids, g_pids, q_cams, g_cams


VERI = dict(n_query=1678, n_gallery=11579, n_ids=200, n_distractor_ids=0, n_cams=20, dim=1024)
DUKE = dict(n_query=2228, n_gallery=17661, n_ids=702, n_distractor_ids=408, n_cams=8, dim=2048)
