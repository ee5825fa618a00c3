"""ImageNet-1k validation in the layout the DPN131 guide uses.

    <root>/val/ILSVRC2012_val_00000001.JPEG ...   (flat: 50 000 images)
    <root>/val_label.txt                           ("<file name> <label 0..999>" per line)

Sample id = file name up to the first '.', as ``imagenet_acc_eval.py`` and the
preprocessing script name their files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.datasets.errors import DatasetError
from harness.datasets.paths import check_bare_name, list_files
from harness.datasets.synthetic import save_jpeg, smooth_image
from harness.hashing import json_digest

OFFICIAL_VAL_COUNT = 50_000
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


@dataclass
class ImageNetVal:
    root: Path
    images: dict[str, Path]  # sample id -> image path
    labels: dict[str, int]  # sample id -> label
    num_classes: int = 1000
    _ids: list[str] = field(default_factory=list)

    @property
    def sample_ids(self) -> list[str]:
        return self._ids

    @property
    def val_dir(self) -> Path:
        return self.root / "val"

    @property
    def label_file(self) -> Path:
        return self.root / "val_label.txt"

    def fingerprint(self) -> str:
        """Names, sizes and modification times of every image plus the label file."""
        entries = [(p.name, st.st_size, st.st_mtime_ns)
                   for p, st in ((p, os.stat(p)) for p in self.images.values())]
        lab = self.label_file.stat()
        return json_digest([sorted(entries), lab.st_size, lab.st_mtime_ns])

    def __len__(self) -> int:
        return len(self._ids)


def read_labels(label_file: Path) -> dict[str, int]:
    """``val_label.txt``: one ``<file name> <label>`` per line, split on one space."""
    if not label_file.is_file():
        raise DatasetError(f"label file not found: {label_file}")
    labels: dict[str, int] = {}
    raw = label_file.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{label_file}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 4]!r})"
                           " - is this the right file?") from None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(" ")
        if len(parts) == 2:
            check_bare_name(parts[0], f"{label_file}:{lineno}", label_file.parent / "val")
        if len(parts) != 2 or not parts[0].split(".")[0]:
            raise DatasetError(f"{label_file}:{lineno}: expected '<file name> <label>', got {line!r}")
        name, label = parts
        # ASCII digits only: int() would also take '1_0', '+3' or Arabic-Indic digits,
        # none of which a real label file holds; better refused than read as a class.
        if not (label.isascii() and label.isdigit()):
            raise DatasetError(f"{label_file}:{lineno}: label {label!r} is not an integer")
        value = int(label)
        if not 0 <= value < 1001:
            raise DatasetError(f"{label_file}:{lineno}: label {value} out of range 0..1000")
        key = name.split(".")[0]
        if labels.get(key, value) != value:
            raise DatasetError(f"{label_file}:{lineno}: {key} labelled {value}, an earlier line "
                               f"says {labels[key]}")
        labels[key] = value
    if not labels:
        raise DatasetError(f"{label_file}: no labels")
    return labels


def open_val(root: Path) -> ImageNetVal:
    root = Path(root)
    val = root / "val"
    if not val.is_dir():
        raise DatasetError(
            f"ImageNet val folder not found: {val} (expected <data-root>/imagenet/val/ with the "
            "50 000 ILSVRC2012_val_*.JPEG files, flat, and <data-root>/imagenet/val_label.txt)")
    labels = read_labels(root / "val_label.txt")
    images = {name.split(".")[0]: val / name
              for name in list_files(val, lambda n: os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES)}
    if not images:
        raise DatasetError(f"no images in {val}")
    unlabeled = sorted(set(images) - set(labels))
    if unlabeled:
        raise DatasetError(f"{len(unlabeled)} images in {val} have no line in val_label.txt "
                           f"(e.g. {unlabeled[:3]})")
    ids = sorted(images)
    return ImageNetVal(root, images, {k: labels[k] for k in ids}, _ids=ids)


def check_official_counts(ds: ImageNetVal) -> None:
    if len(ds) != OFFICIAL_VAL_COUNT:
        raise DatasetError(f"{ds.val_dir} holds {len(ds)} images; the ImageNet-1k validation "
                           f"split has {OFFICIAL_VAL_COUNT}")


# Sizes and modes chosen to hit every branch of the guide's resize/crop:
# landscape, portrait, square, shorter side exactly 256, smaller than the crop, odd sizes,
# grayscale and CMYK JPEGs.
_SHAPES = [(500, 375, "RGB"), (375, 500, "RGB"), (256, 256, "RGB"), (256, 341, "L"),
           (200, 180, "RGB"), (333, 257, "CMYK"), (640, 480, "RGB"), (301, 449, "RGB"),
           (256, 300, "RGB"), (420, 420, "L"), (257, 511, "RGB"), (1024, 683, "RGB")]


def make_synthetic(root: Path, n: int = 12, seed: int = 0) -> None:
    """A small validation set in the real layout: real JPEGs, random labels 0..999."""
    rng = np.random.default_rng(seed)
    val = Path(root) / "val"
    val.mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(1, n + 1):
        w, h, mode = _SHAPES[(i - 1) % len(_SHAPES)]
        name = f"ILSVRC2012_val_{i:08d}.JPEG"
        save_jpeg(val / name, smooth_image(rng, w, h), mode=mode)
        lines.append(f"{name} {int(rng.integers(0, 1000))}")
    (Path(root) / "val_label.txt").write_text("\n".join(lines) + "\n")
