"""VeRi-776 in the layout the PAMTRI guide uses (models_reid.md 1.5, 1.8).

    <root>/image_query/ image_test/            # jpgs, e.g. 0002_c002_00030600_0.jpg
    <root>/label_query.csv label_test.csv      # from PAMTRI's MultiTaskNet/data/veri/
    <root>/label_train.csv, image_train/       # training only (not read here)
    <root>/heatmap_{train,query,test}/ segment_{train,query,test}/   # see below

Label CSV: no header, 112 fields per row: image name, vehicle id, colour id, type id, then
36 keypoints x (x, y, confidence). Samples are in CSV row order; file id = row index
(the guide names its bins ``<batch index>.bin`` with batch size 1). vid = column 2, not
relabelled; camid = the three digits after the first 'c' of the name, -1 without a 'c'
(upstream ``DatasetManager._process_dir``).

Heatmaps and segments are side inputs only of PAMTRI's heatmap/segment-aware variants;
the guide's model (``--multitask`` only) never reads them. Upstream's dataset class still
insists the six folders exist (the guide tells users to create them empty), so the reader
reports them in ``side_inputs`` but does not require them.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from harness.datasets.errors import DatasetError
from harness.datasets.paths import check_bare_name, list_files, unreadable
from harness.datasets.reid import ReidDataset, ReidSplit, check_counts, cycle_sizes, \
    synthetic_identities
from harness.datasets.synthetic import save_jpeg, smooth_image

OFFICIAL_COUNTS = {"query": 1678, "gallery": 11579}
LAYOUT = {"query": ("image_query", "label_query.csv"), "gallery": ("image_test", "label_test.csv")}
SIDE_INPUT_DIRS = tuple(f"{kind}_{split}" for kind in ("heatmap", "segment")
                        for split in ("train", "query", "test"))
FIELDS_PER_ROW = 4 + 36 * 3


def camid_of(name: str) -> int:
    """Three digits after the first 'c' (``0002_c002_...`` -> 2); -1 when there is none."""
    idx = name.find("c")
    if idx < 0:
        return -1
    try:
        return int(name[idx + 1:idx + 4])
    except ValueError:
        raise DatasetError(f"{name}: no camera number after the first 'c'") from None


def read_label_csv(path: Path) -> list[tuple[str, int, int, int]]:
    """(image name, vehicle id, colour id, type id) per row, in file order."""
    if not path.is_file():
        raise DatasetError(f"label file not found: {path} (copy it from PAMTRI's "
                           "MultiTaskNet/data/veri/)")
    rows = []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start}) - is this the label CSV?") from None
    for lineno, row in enumerate(_rows(text), start=1):
        if not row:
            continue
        if len(row) < FIELDS_PER_ROW:
            raise DatasetError(f"{path}:{lineno}: {len(row)} fields, expected "
                               f"{FIELDS_PER_ROW} (name, vid, colour, type, 36 keypoints)")
        try:
            if not all(v.strip().isascii() and v.strip().lstrip("-").isdigit() for v in row[1:4]):
                raise ValueError(row[1:4])  # int() would also take '1_0' or non-ASCII digits
            rows.append((row[0], int(row[1]), int(row[2]), int(row[3])))
        except ValueError:
            raise DatasetError(f"{path}:{lineno}: vehicle/colour/type ids must be integers") from None
        check_bare_name(row[0], f"{path}:{lineno}", path.parent / _image_folder_of(path.name))
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


def _image_folder_of(label_name: str) -> str:
    """The image folder a label file names its images in (``label_test.csv`` -> ``image_test``)."""
    return label_name.replace("label_", "image_").rsplit(".", 1)[0]


def _rows(text: str):
    """CSV rows; without any quote character a row is its line split at commas, which is
    what the csv module gives too, at a fraction of the cost (VeRi's label files have 40
    fields per row and no quoting)."""
    if '"' in text:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=",")
        return
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):  # csv's line ends
        yield line.split(",") if line else []


def read_split(root: Path, name: str) -> ReidSplit:
    folder, label_name = LAYOUT[name]
    rows = read_label_csv(root / label_name)
    image_dir = root / folder
    listed = {r[0] for r in rows}
    try:  # one listing (file types included) instead of a stat per listed image
        present = set(list_files(image_dir, listed.__contains__))
    except (FileNotFoundError, NotADirectoryError):
        present = set()
    paths = [image_dir / r[0] for r in rows]
    missing = unreadable(p for p, r in zip(paths, rows) if r[0] not in present)
    if missing:
        raise DatasetError(f"{len(missing)} images listed in {root / label_name} cannot be read "
                           f"(e.g. {missing[:3]})")
    return ReidSplit(name, [str(i) for i in range(len(rows))], paths,
                     np.array([r[1] for r in rows]), np.array([camid_of(r[0]) for r in rows]),
                     extra={"names": [r[0] for r in rows], "colors": np.array([r[2] for r in rows]),
                            "types": np.array([r[3] for r in rows])})


def open_veri(root: Path) -> ReidDataset:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"VeRi folder not found: {root}")
    return ReidDataset(root, read_split(root, "query"), read_split(root, "gallery"),
                       label_files=tuple(root / LAYOUT[s][1] for s in ("query", "gallery")),
                       side_inputs={d: (root / d).is_dir() for d in SIDE_INPUT_DIRS})


def check_official_counts(ds: ReidDataset) -> None:
    check_counts(ds, OFFICIAL_COUNTS, "VeRi-776")


def _csv_row(rng: np.random.Generator, name: str, vid: int, w: int, h: int) -> str:
    keypoints = []
    for _ in range(36):
        keypoints += [f"{rng.uniform(0, w):.3f}", f"{rng.uniform(0, h):.3f}", f"{rng.uniform(0, 1):.3f}"]
    return ",".join([name, str(vid), str(int(rng.integers(1, 11))), str(int(rng.integers(1, 10)))]
                    + keypoints)


def make_synthetic(root: Path, n: int = 18, seed: int = 0) -> None:
    """``n`` images (a third queries) in the real layout: label CSVs with 112 fields, real
    JPEGs of vehicle-crop sizes, VeRi names, and the (empty) side-input folders."""
    rng = np.random.default_rng(seed)
    n_query = max(2, n // 3)
    query, gallery = synthetic_identities(n_query, max(2, n - n_query), 20)
    root = Path(root)
    for split, items in (("query", query), ("gallery", gallery)):
        folder, label_name = LAYOUT[split]
        (root / folder).mkdir(parents=True, exist_ok=True)
        lines = []
        for (vid, cam), (w, h) in zip(items, cycle_sizes(rng, len(items), (90, 420), (80, 330))):
            name = f"{vid:04d}_c{cam:03d}_{int(rng.integers(0, 10**8)):08d}_0.jpg"
            save_jpeg(root / folder / name, smooth_image(rng, w, h))
            lines.append(_csv_row(rng, name, vid, w, h))
        (root / label_name).write_text("\n".join(lines) + "\n")
    (root / "image_train").mkdir(exist_ok=True)
    (root / "label_train.csv").write_text(_csv_row(rng, "0001_c001_00000001_0.jpg", 1, 100, 100) + "\n")
    for d in SIDE_INPUT_DIRS:
        (root / d).mkdir(exist_ok=True)
