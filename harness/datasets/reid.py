"""What a re-identification evaluation set is: a query split and a gallery split, each an
ordered list of images with an identity and a camera.

Sample ids are ``"query/<file id>"`` and ``"gallery/<file id>"``: the two splits are the
two input sets of a re-id guide (``Prepared.set_ids``), and a file id is what the guide's
preprocessing names the ``.bin`` (an image stem for DukeMTMC-reID, a row index for VeRi).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from harness.datasets.errors import DatasetError
from harness.hashing import json_digest

SPLITS = ("query", "gallery")


@dataclass
class ReidSplit:
    name: str  # "query" or "gallery"
    file_ids: list[str]
    paths: list[Path]
    pids: np.ndarray  # int64, not relabelled (as the guides' scripts)
    camids: np.ndarray  # int64, as the guide's script computes them
    extra: dict = field(default_factory=dict)  # e.g. VeRi colour / type ids

    def __post_init__(self):
        n = len(self.file_ids)
        if not (len(self.paths) == n == len(self.pids) == len(self.camids)):
            raise DatasetError(f"{self.name}: ids, paths, pids and camids differ in length")
        if len(set(self.file_ids)) != n:
            raise DatasetError(f"{self.name}: duplicate file ids")
        self.pids = np.asarray(self.pids, dtype=np.int64)
        self.camids = np.asarray(self.camids, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.file_ids)

    def path_of(self, file_id: str) -> Path:
        return self.paths[self._index()[file_id]]

    def _index(self) -> dict[str, int]:
        if not hasattr(self, "_idx"):
            self._idx = {fid: i for i, fid in enumerate(self.file_ids)}
        return self._idx


@dataclass
class ReidDataset:
    root: Path
    query: ReidSplit
    gallery: ReidSplit
    label_files: tuple[Path, ...] = ()
    side_inputs: dict = field(default_factory=dict)  # folder name -> exists (VeRi)

    @property
    def sample_ids(self) -> list[str]:
        return [f"query/{i}" for i in self.query.file_ids] + \
               [f"gallery/{i}" for i in self.gallery.file_ids]

    def split(self, name: str) -> ReidSplit:
        if name not in SPLITS:
            raise KeyError(f"unknown split {name!r} (have {SPLITS})")
        return self.query if name == "query" else self.gallery

    def locate(self, sample_id: str) -> tuple[ReidSplit, str]:
        """``"query/0005_c2_f0046985"`` -> (query split, ``"0005_c2_f0046985"``)."""
        set_name, _, file_id = sample_id.partition("/")
        return self.split(set_name), file_id

    def path_of(self, sample_id: str) -> Path:
        split, file_id = self.locate(sample_id)
        return split.path_of(file_id)

    def fingerprint(self) -> str:
        """Names, sizes and modification times of every image and label file."""
        entries = []
        for split in (self.query, self.gallery):
            for fid, p in zip(split.file_ids, split.paths):
                st = p.stat()
                entries.append((split.name, fid, p.name, st.st_size, st.st_mtime_ns))
        labels = [(p.name, st.st_size, st.st_mtime_ns) for p, st in ((p, os.stat(p)) for p in self.label_files)]
        return json_digest([entries, labels])

    def __len__(self) -> int:
        return len(self.query) + len(self.gallery)


def check_counts(ds: ReidDataset, expected: dict[str, int], what: str) -> None:
    """Real data must be the official split: one message naming every split that differs."""
    wrong = [f"{name}: {len(ds.split(name))} images, the official {what} split has {n}"
             for name, n in expected.items() if len(ds.split(name)) != n]
    if wrong:
        raise DatasetError(f"{ds.root}: " + "; ".join(wrong))


def cycle_sizes(rng: np.random.Generator, n: int, width: Sequence[int], height: Sequence[int]):
    """Seeded varied image sizes (w, h) within the given ranges."""
    return [(int(rng.integers(width[0], width[1] + 1)), int(rng.integers(height[0], height[1] + 1)))
            for _ in range(n)]


def synthetic_identities(n_query: int, n_gallery: int, n_cams: int):
    """A small re-id layout with every branch of the protocols exercised.

    Returns (query [(pid, cam)], gallery [(pid, cam)]), cameras 1-based. Each query
    identity has two queries on different cameras and gallery images on other cameras
    *and* on a query's own camera (so same-id same-camera removal matters); remaining
    gallery slots are distractor identities that never appear as queries.
    """
    if n_query < 2 or n_gallery < 2:
        raise ValueError("a synthetic re-id set needs at least 2 query and 2 gallery images")
    n_ids = max(1, n_query // 2)
    query, gallery = [], []
    for i in range(n_query):
        pid = 10 + 7 * (i % n_ids)
        cam = 1 + (i // n_ids + i) % n_cams
        query.append((pid, cam))
    per_id = max(1, min(3, (n_gallery - 1) // n_ids))
    for k in range(n_ids):
        pid = 10 + 7 * k
        q_cams = [c for p, c in query if p == pid]
        cams = [q_cams[0]] + [1 + (q_cams[0] + j) % n_cams for j in range(1, per_id)]
        gallery += [(pid, c) for c in cams[:per_id]]
    d = 0
    while len(gallery) < n_gallery:
        gallery.append((500 + d // 2, 1 + d % n_cams))
        d += 1
    return query, gallery[:n_gallery]
