"""DukeMTMC-reID in the layout the Centroids-reid guide uses (models_reid.md 2.5-2.7).

    <root>/query/              2228 jpgs, e.g. 0005_c2_f0046985.jpg  (pid_c<cam>_f<frame>)
    <root>/bounding_box_test/  17661 jpgs (the gallery; 702 test ids + 408 distractors)

Labels come from the file names with the guide's regex ``([-\\d]+)_c(\\d)``: pid = group 1
(not relabelled), camid = camera - 1, camera 1..8. File id = name up to the first '.'
(``<stem>.bin``, as ``centroid-reid_preprocess.py`` names its bins).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from harness.datasets.errors import DatasetError
from harness.datasets.paths import list_files
from harness.datasets.reid import ReidDataset, ReidSplit, check_counts, cycle_sizes, \
    synthetic_identities
from harness.datasets.synthetic import save_jpeg, smooth_image

OFFICIAL_COUNTS = {"query": 2228, "gallery": 17661}
FOLDERS = {"query": "query", "gallery": "bounding_box_test"}
NAME_PATTERN = re.compile(r"([-\d]+)_c(\d)")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
NUM_CAMERAS = 8


def parse_name(name: str) -> tuple[int, int]:
    """``0005_c2_f0046985.jpg`` -> (pid 5, camid 1), as the guide's post-processing."""
    m = NAME_PATTERN.search(name)
    if m is None:
        raise DatasetError(f"{name}: no '<pid>_c<camera>' in the file name")
    try:
        pid, cam = int(m.group(1)), int(m.group(2))
    except ValueError:  # the guide's [-\d]+ also matches '-' or '1-2'
        raise DatasetError(f"{name}: person id {m.group(1)!r} is not a number") from None
    if not 1 <= cam <= NUM_CAMERAS:
        raise DatasetError(f"{name}: camera {cam} outside 1..{NUM_CAMERAS}")
    return pid, cam - 1


def read_split(folder: Path, name: str) -> ReidSplit:
    if not folder.is_dir():
        raise DatasetError(f"DukeMTMC-reID folder not found: {folder} (expected "
                           "<data-root>/DukeMTMC-reID/{query,bounding_box_test}/*.jpg)")
    files = [folder / n for n in sorted(list_files(
        folder, lambda n: os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES))]
    if not files:
        raise DatasetError(f"no images in {folder}")
    labels = [parse_name(p.name) for p in files]
    return ReidSplit(name, [p.name.split(".")[0] for p in files], files,
                     np.array([pid for pid, _ in labels]), np.array([cam for _, cam in labels]))


def open_dukemtmc(root: Path) -> ReidDataset:
    root = Path(root)
    return ReidDataset(root, read_split(root / FOLDERS["query"], "query"),
                       read_split(root / FOLDERS["gallery"], "gallery"))


def check_official_counts(ds: ReidDataset) -> None:
    check_counts(ds, OFFICIAL_COUNTS, "DukeMTMC-reID")


def make_synthetic(root: Path, n: int = 18, seed: int = 0) -> None:
    """``n`` images (a third queries) in the real layout and naming, real JPEGs of
    pedestrian-crop sizes; identities and cameras as ``synthetic_identities``."""
    rng = np.random.default_rng(seed)
    n_query = max(2, n // 3)
    query, gallery = synthetic_identities(n_query, max(2, n - n_query), NUM_CAMERAS)
    root = Path(root)
    for split, items in (("query", query), ("gallery", gallery)):
        folder = root / FOLDERS[split]
        folder.mkdir(parents=True, exist_ok=True)
        for k, ((pid, cam), (w, h)) in enumerate(zip(items, cycle_sizes(rng, len(items),
                                                                         (48, 140), (110, 300)))):
            frame = int(rng.integers(0, 10**7))
            save_jpeg(folder / f"{pid:04d}_c{cam}_f{frame:07d}.jpg", smooth_image(rng, w, h))
