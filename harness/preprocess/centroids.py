"""``centroid-reid_preprocess.py`` (Centroids-reid guide), reproduced exactly
(shared/reference/models_reid.md 2.5).

Per image: PIL ``Image.open(...).convert('RGB')`` -> ``torchvision.transforms.Resize([256,
128])`` (PIL bilinear, antialiased, H x W = 256 x 128, no crop) -> ``ToTensor`` ->
``Normalize`` (ImageNet mean/std, from the config's INPUT.PIXEL_MEAN/STD) -> float32
[3, 256, 128] written as ``<stem>.bin``; query and gallery go to two folders, which are
the guide's two input sets.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import open_rgb_pil
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

SIZE = (256, 128)  # (H, W): INPUT.SIZE_TEST
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
SETS = ("query", "gallery")


def preprocess_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """One image -> float32 CHW array, with the library calls the guide's script makes."""
    import torchvision.transforms as T

    transform = T.Compose([T.Resize(list(SIZE)), T.ToTensor(), T.Normalize(MEAN, STD)])
    return transform(open_rgb_pil(path, sample_id)).numpy().astype(np.float32, copy=False)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """``<set>/<stem>.bin`` for every query and gallery image (input ``input``)."""
    jobs, set_ids = [], {}
    for set_name in SETS:
        split = samples.split(set_name)
        set_ids[set_name] = list(split.file_ids)
        jobs += [Job(f"{set_name}/{fid}", (f"{set_name}/{fid}.bin",), (set_name, fid, str(path)))
                 for fid, path in zip(split.file_ids, split.paths)]
    ids = run_jobs(jobs, Path(out_root), _work, workers=workers, progress=progress, threads=True)
    return Prepared(Path(out_root), ids, dirs_for(Path(out_root), {s: {"input": s} for s in SETS}),
                    set_ids=set_ids)


def _work(payload):
    set_name, fid, path = payload
    return [(f"{set_name}/{fid}.bin", preprocess_image(Path(path), f"{set_name}/{fid}"))]
