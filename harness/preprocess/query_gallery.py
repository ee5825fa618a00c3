"""The re-id guides' preprocessing driver: one ``.bin`` per query and gallery image.

Both re-id guides write the query and the gallery images as two input sets of the one
model input ``input`` (``<set>/<file id>.bin``); only the per-image function differs
(PAMTRI: OpenCV; Centroids-reid: PIL). The function must be module-level: it travels to
worker processes by reference.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

SETS = ("query", "gallery")


def preprocess_sets(samples, out_root: Path, image_fn: Callable[[Path, str], np.ndarray],
                    workers: int = 0, progress=None) -> Prepared:
    out_root = Path(out_root)
    jobs, set_ids = [], {}
    for set_name in SETS:
        split = samples.split(set_name)
        set_ids[set_name] = list(split.file_ids)
        jobs += [Job(f"{set_name}/{fid}", (f"{set_name}/{fid}.bin",), (set_name, fid, str(path), image_fn))
                 for fid, path in zip(split.file_ids, split.paths)]
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress,
                   preload=("PIL.Image", "simplejpeg", "cv2"))
    return Prepared(out_root, ids, dirs_for(out_root, {s: {"input": s} for s in SETS}), set_ids=set_ids)


def _work(payload):
    set_name, fid, path, image_fn = payload
    return [(f"{set_name}/{fid}.bin", image_fn(Path(path), f"{set_name}/{fid}"))]
