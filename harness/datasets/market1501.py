"""Market-1501 training images in the ``pytorch/train_all`` layout (DG-Net guide).

Upstream ``prepare-market.py`` copies ``bounding_box_train/*.jpg`` into one folder per
4-digit person id::

    <root>/pytorch/train_all/0002/0002_c1s1_000451_03.jpg ...   (12 936 images, 751 ids)

Read as ``torchvision.datasets.ImageFolder`` reads it (the guide's preprocessing does):
class folders sorted by name -> labels 0..750, files sorted by name within a class, only
files with an image extension. Sample id = the file name without its extension.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.datasets.errors import DatasetError
from harness.datasets.paths import list_files, list_folders
from harness.hashing import json_digest

OFFICIAL_TRAIN_ALL_COUNT = 12_936
OFFICIAL_CLASS_COUNT = 751
# torchvision's IMG_EXTENSIONS (ImageFolder accepts these, case-insensitively).
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
LAYOUT_HELP = ("<data-root>/Market/pytorch/train_all/<4-digit person id>/<image>.jpg "
               "(made by DG-Net's prepare-market.py from Market-1501 bounding_box_train: "
               "12 936 images in 751 folders)")


@dataclass
class MarketTrainAll:
    root: Path  # the dataset root (holding pytorch/train_all)
    classes: list[str]  # folder names, sorted; label = index
    images: list[tuple[Path, int]]  # ImageFolder order: (path, label)

    @property
    def folder(self) -> Path:
        return self.root / "pytorch" / "train_all"

    @property
    def sample_ids(self) -> list[str]:
        return [p.stem for p, _ in self.images]

    def fingerprint(self) -> str:
        # "<class>/<name>" is the path relative to train_all (images sit one level down);
        # one stat per image.
        entries = [(f"{p.parent.name}/{p.name}", st.st_size, st.st_mtime_ns)
                   for p, st in ((p, os.stat(p)) for p, _ in self.images)]
        return json_digest(entries)

    def __len__(self) -> int:
        return len(self.images)


def open_train_all(root: Path) -> MarketTrainAll:
    """The ``train_all`` folder under ``root`` in ImageFolder order; errors name the path."""
    root = Path(root)
    folder = root / "pytorch" / "train_all"
    if not folder.is_dir():
        raise DatasetError(f"Market-1501 train_all folder not found: {folder}; expected {LAYOUT_HELP}")
    # os.scandir: file types come with the listing (no stat per entry).
    classes = sorted(list_folders(folder))
    if not classes:
        raise DatasetError(f"{folder} has no class folders; expected {LAYOUT_HELP}")
    images: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        class_dir = folder / name
        files = [class_dir / n for n in sorted(list_files(
            class_dir, lambda n: os.path.splitext(n)[1].lower() in IMG_EXTENSIONS))]
        if not files:
            # ImageFolder raises for an empty class folder too ("Found no valid file").
            raise DatasetError(f"class folder {folder / name} holds no image files")
        images += [(p, label) for p in files]
    stems = [p.stem for p, _ in images]
    if len(set(stems)) != len(stems):
        dup = sorted({s for s in stems if stems.count(s) > 1})[:3]
        raise DatasetError(f"{folder}: file names repeat across folders (e.g. {dup}); the guide's "
                           "output names would collide")
    return MarketTrainAll(root, classes, images)


def check_official_counts(ds: MarketTrainAll) -> None:
    if len(ds.images) != OFFICIAL_TRAIN_ALL_COUNT or len(ds.classes) != OFFICIAL_CLASS_COUNT:
        raise DatasetError(f"{ds.folder} holds {len(ds.images)} images in {len(ds.classes)} folders; "
                           f"Market-1501 train_all has {OFFICIAL_TRAIN_ALL_COUNT} in {OFFICIAL_CLASS_COUNT}")


def person_crop(rng: np.random.Generator, width: int = 64, height: int = 128) -> np.ndarray:
    """A pedestrian-like crop: textured background, a head, a torso and legs in random
    colours, so generated images and the contact sheet show recognisable structure."""
    from PIL import Image, ImageDraw

    from harness.datasets.synthetic import smooth_image

    img = Image.fromarray(smooth_image(rng, width, height))
    draw = ImageDraw.Draw(img)
    cx = width // 2 + int(rng.integers(-6, 7))
    top, shirt, trousers = (tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(3))
    draw.ellipse([cx - 7, 8, cx + 7, 26], fill=top)
    draw.rectangle([cx - 13, 27, cx + 13, 72], fill=shirt)
    draw.rectangle([cx - 12, 73, cx - 2, 120], fill=trousers)
    draw.rectangle([cx + 2, 73, cx + 12, 120], fill=trousers)
    return np.asarray(img)


def make_synthetic(root: Path, n: int = 4, seed: int = 0) -> None:
    """``n`` 64x128 JPEG crops in the train_all layout, two per person id, Market names
    (``<pid>_c<cam>s<seq>_<frame>_<box>.jpg``)."""
    from harness.datasets.synthetic import save_jpeg

    rng = np.random.default_rng(seed)
    folder = Path(root) / "pytorch" / "train_all"
    pids = sorted(int(p) for p in rng.choice(np.arange(1, 1500), size=max(1, (n + 1) // 2), replace=False))
    for i in range(n):
        pid = pids[i // 2]
        cam, seq, frame = int(rng.integers(1, 7)), int(rng.integers(1, 7)), int(rng.integers(0, 999999))
        name = f"{pid:04d}_c{cam}s{seq}_{frame:06d}_{i % 2 + 1:02d}.jpg"
        save_jpeg(folder / f"{pid:04d}" / name, person_crop(rng))
