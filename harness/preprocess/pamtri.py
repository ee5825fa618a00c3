"""``PAMTRI_preprocess.py`` (PAMTRI guide), reproduced exactly
(shared/reference/models_reid.md 1.5).

Per image, in label-CSV order: ``cv2.imread(path, IMREAD_COLOR)`` (BGR uint8) -> channels
split and re-stacked as R, G, B -> ``cv2.resize(img, (256, 256), INTER_LINEAR)`` (a plain
stretch; OpenCV, which does not antialias) -> ``torchvision.transforms.functional.
to_tensor`` -> ``normalize`` (ImageNet mean/std) -> float32 [3, 256, 256], written as
``<batch index>.bin`` (batch size 1, so the CSV row index) into a query and a gallery
folder, the guide's two input sets.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.datasets.images import imread_cv2
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

SIZE = (256, 256)  # (W, H) for cv2.resize
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SETS = ("query", "gallery")


def preprocess_image(path: Path, sample_id: str | None = None) -> np.ndarray:
    """One image -> float32 CHW array, with the library calls the guide's script makes."""
    import cv2
    import torchvision.transforms.functional as TF

    bgr = imread_cv2(path, cv2.IMREAD_COLOR, sample_id)
    b, g, r = cv2.split(bgr)
    rgb = np.stack([r, g, b], axis=2)
    resized = cv2.resize(rgb, dsize=SIZE, interpolation=cv2.INTER_LINEAR)
    tensor = TF.normalize(TF.to_tensor(resized), MEAN, STD)
    return tensor.numpy().astype(np.float32, copy=False)


def preprocess(samples, out_root: Path, workers: int = 0, progress=None) -> Prepared:
    """``<set>/<row index>.bin`` for every query and gallery row (input ``input``)."""
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
