"""The re-id guides' preprocessing driver: one ``.bin`` per query and gallery image.

Both re-id guides write the query and the gallery images as two input sets of the one
model input ``input`` (``<set>/<file id>.bin``); only the per-image functions differ
(PAMTRI: OpenCV; Centroids-reid: PIL). Each guide splits its recipe in two: ``pixels_fn``
(decode and resize: the uint8 image a compact cache keeps, ``harness.preprocess.compact``)
and ``tensor_fn`` (uint8 -> the float32 file). Both must be module-level: they travel to
worker processes by reference.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs

SETS = ("query", "gallery")


def preprocess_sets(samples, out_root: Path, pixels_fn: Callable[[Path, str], np.ndarray],
                    tensor_fn: Callable[[np.ndarray], np.ndarray],
                    workers: int = 0, progress=None) -> Prepared:
    out_root = Path(out_root)
    jobs, set_ids = [], {}
    for set_name in SETS:
        split = samples.split(set_name)
        set_ids[set_name] = list(split.file_ids)
        jobs += [Job(f"{set_name}/{fid}", (f"{set_name}/{fid}.bin",),
                     (set_name, fid, str(path), pixels_fn, tensor_fn))
                 for fid, path in zip(split.file_ids, split.paths)]
    ids = run_jobs(jobs, out_root, _work, workers=workers, progress=progress,
                   preload=("PIL.Image", "simplejpeg", "cv2"))
    return Prepared(out_root, ids, dirs_for(out_root, {s: {"input": s} for s in SETS}), set_ids=set_ids)


def compact(payload) -> dict[str, np.ndarray]:
    """A job's 8-bit form (``harness.preprocess.compact``): the decoded, resized image."""
    set_name, fid, path, pixels_fn, _ = payload
    return {"image": pixels_fn(Path(path), f"{set_name}/{fid}")}


def expand(payload, arrays) -> list[tuple[str, np.ndarray]]:
    set_name, fid, _, _, tensor_fn = payload
    return [(f"{set_name}/{fid}.bin", tensor_fn(arrays["image"]))]


def _work(payload):
    return expand(payload, compact(payload))
