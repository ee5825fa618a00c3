"""COCO val2017 person keypoints in the layout the TransPose guide uses, and a small
synthetic copy in the same layout.

    <root>/annotations/person_keypoints_val2017.json
    <root>/images/val2017/000000000139.jpg ...        (file = '%012d.jpg' % image_id)

The guide evaluates with **ground-truth person boxes** (yaml ``TEST.USE_GT_BBOX: true``);
the sample list is built as upstream's ``COCODataset`` builds it
(shared/reference/models_pose_cls.md section A.4):

1. images in ``COCO.getImgIds()`` order, i.e. the order of the json ``images`` array;
2. per image the non-crowd annotations (``getAnnIds(imgIds=id, iscrowd=False)``), in the
   order of the json ``annotations`` array;
3. box sanitising: x1 = max(0, x), y1 = max(0, y), x2 = min(W-1, x1 + max(0, w-1)),
   y2 = min(H-1, y1 + max(0, h-1)); kept if area > 0 and x2 >= x1 and y2 >= y1; the clean
   box is (x1, y1, x2-x1+1, y2-y1+1) (x2 uses the clamped x1);
4. annotations whose keypoint list is all zero are dropped.

Sample id = ``'%012d' % i`` with i the position in that list: the guide names its ``.bin``
files by this index, not by the COCO image id. On val2017 this gives 6352 samples from
5000 images.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from harness.datasets.coco_annotations import coco_from, read_annotation_file
from harness.datasets.errors import DatasetError
from harness.datasets.paths import unreadable
from harness.datasets.synthetic import smooth_image
from harness.hashing import json_digest

OFFICIAL_SAMPLES = 6352
OFFICIAL_IMAGES = 5000
ANNOTATION_FILE = Path("annotations") / "person_keypoints_val2017.json"
IMAGE_DIR = Path("images") / "val2017"
KEYPOINT_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                  "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                  "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7], [6, 8],
            [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]


@dataclass(frozen=True)
class PersonSample:
    """One ground-truth person box to evaluate (a row of upstream's ``db``)."""

    image_id: int
    image_path: Path
    clean_box: tuple[float, float, float, float]  # x, y, w, h after sanitising
    annotation_id: int


@dataclass
class CocoKeypoints:
    root: Path
    samples: dict[str, PersonSample]
    num_images: int
    _ids: list[str] = field(default_factory=list)
    _coco: Optional[object] = field(default=None, repr=False)

    @property
    def sample_ids(self) -> list[str]:
        return self._ids

    @property
    def annotation_file(self) -> Path:
        return self.root / ANNOTATION_FILE

    @property
    def image_dir(self) -> Path:
        return self.root / IMAGE_DIR

    def coco(self):
        """The pycocotools ground truth (loaded once, quietly)."""
        if self._coco is None:
            self._coco = load_coco(self.annotation_file)
        return self._coco

    def fingerprint(self) -> str:
        """Annotation file plus name, size and mtime of every image a sample reads."""
        ann = self.annotation_file.stat()
        images = sorted({s.image_path for s in self.samples.values()})
        entries = [(p.name, st.st_size, st.st_mtime_ns) for p, st in ((p, os.stat(p)) for p in images)]
        return json_digest([ann.st_size, ann.st_mtime_ns, entries])

    def __len__(self) -> int:
        return len(self._ids)

    def __getstate__(self):  # the COCO index is rebuilt on demand, never pickled to workers
        state = dict(self.__dict__)
        state["_coco"] = None
        return state


def load_coco(path: Path):
    """pycocotools' index of ``path``, after every field it relies on has been checked
    (``harness.datasets.coco_annotations``)."""
    if not path.is_file():
        raise DatasetError(f"COCO annotation file not found: {path} (expected "
                           "<data-root>/coco/annotations/person_keypoints_val2017.json)")
    return coco_from(read_annotation_file(path))


def sanitize_box(bbox, width: int, height: int) -> Optional[tuple]:
    """Upstream's box clean-up; None when the box is dropped (area is checked separately)."""
    x, y, w, h = bbox
    # Upstream writes np.max((0, x)) etc.; on the finite numbers a box holds, Python's
    # max/min pick the same values, at a fraction of the cost per box.
    x1 = max(0, x)
    y1 = max(0, y)
    x2 = min(width - 1, x1 + max(0, w - 1))
    y2 = min(height - 1, y1 + max(0, h - 1))
    if x2 >= x1 and y2 >= y1:
        return (x1, y1, x2 - x1 + 1, y2 - y1 + 1)
    return None


def person_samples(coco, image_dir: Path) -> list[PersonSample]:
    """The guide's sample list, in its order (see the module docstring)."""
    person_ids = [c["id"] for c in coco.loadCats(coco.getCatIds()) if c["name"] == "person"]
    if not person_ids:
        raise DatasetError("annotation file has no 'person' category")
    out = []
    for image_id in coco.getImgIds():
        info = coco.loadImgs(image_id)[0]
        for ann in coco.loadAnns(coco.getAnnIds(imgIds=image_id, iscrowd=False)):
            box = sanitize_box(ann["bbox"], info["width"], info["height"])
            if not (ann["area"] > 0 and box is not None):
                continue
            if ann["category_id"] not in person_ids or max(ann["keypoints"]) == 0:
                continue
            out.append(PersonSample(int(image_id), image_dir / ("%012d.jpg" % image_id),
                                    tuple(float(v) for v in box), int(ann["id"])))
    return out


def open_val(root: Path) -> CocoKeypoints:
    """Read ``<root>`` (= ``<data-root>/coco``): the sample list, with every image checked."""
    root = Path(root)
    coco = load_coco(root / ANNOTATION_FILE)
    image_dir = root / IMAGE_DIR
    if not image_dir.is_dir():
        raise DatasetError(f"COCO image folder not found: {image_dir} (expected "
                           "<data-root>/coco/images/val2017/000000000139.jpg ...)")
    listed = person_samples(coco, image_dir)
    if not listed:
        raise DatasetError(f"{root / ANNOTATION_FILE}: no person annotations with keypoints")
    missing = unreadable(sorted({s.image_path for s in listed}))
    if missing:
        raise DatasetError(f"{len(missing)} images referenced by person annotations cannot be read "
                           f"(e.g. {missing[:3]})")
    ids = ["%012d" % i for i in range(len(listed))]
    ds = CocoKeypoints(root, dict(zip(ids, listed)), num_images=len(coco.getImgIds()), _ids=ids)
    ds._coco = coco
    return ds


# -- synthetic copy ---------------------------------------------------------------------
# (image id, width, height, JPEG mode, EXIF orientation). Ids are out of order in the json
# (the sample order must follow the json, not the ids); one grayscale JPEG; one JPEG with
# EXIF orientation 6, which the guide's IMREAD_IGNORE_ORIENTATION must not apply; one image
# whose only annotation is unusable, so it contributes no sample.
_IMAGES = [(785, 400, 300, "RGB", None), (139, 280, 420, "L", None),
           (632, 360, 270, "RGB", 6), (285, 240, 360, "RGB", None), (1000, 320, 240, "RGB", None)]
_PERSON_IMAGES = (785, 139, 632, 285)
# Keypoint template in box-relative coordinates (x, y), COCO joint order.
_TEMPLATE = np.array([[.50, .08], [.54, .05], [.46, .05], [.58, .07], [.42, .07], [.64, .22],
                      [.36, .22], [.70, .38], [.30, .38], [.72, .52], [.28, .52], [.58, .55],
                      [.42, .55], [.60, .75], [.40, .75], [.60, .94], [.40, .94]])


def make_synthetic(root: Path, n: int = 8, seed: int = 0) -> None:
    """A small COCO-format person-keypoints set that pycocotools accepts.

    ``n`` valid person samples spread over four images (side by side, so OKS-NMS keeps
    them all), plus annotations the guide's filters must drop: a crowd region, a person
    without keypoints, a zero-area box and a box entirely outside its image; one person
    box runs over the image border and is clamped. Keypoints carry visibility 0/1/2.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    (root / ANNOTATION_FILE).parent.mkdir(parents=True, exist_ok=True)
    per_image = {i: 0 for i in _PERSON_IMAGES}
    for k in range(max(1, n)):
        per_image[_PERSON_IMAGES[k % len(_PERSON_IMAGES)]] += 1
    images, anns = [], []

    def add(image_id, bbox, keypoints, iscrowd=0, area=None):
        x, y, w, h = bbox
        kp = [float(v) if j % 3 < 2 else int(v) for j, v in enumerate(keypoints)]
        anns.append({"id": 900000 + len(anns), "image_id": image_id, "category_id": 1,
                     "iscrowd": iscrowd, "bbox": [float(v) for v in bbox],
                     "area": float(w * h * 0.55) if area is None else float(area),
                     "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]],
                     "num_keypoints": int(sum(1 for v in kp[2::3] if v > 0)), "keypoints": kp})

    for image_id, width, height, mode, orientation in _IMAGES:
        images.append({"id": image_id, "file_name": "%012d.jpg" % image_id, "width": width,
                       "height": height})
        _save_jpeg(root / IMAGE_DIR / ("%012d.jpg" % image_id), smooth_image(rng, width, height),
                   mode, orientation)
        count = per_image.get(image_id, 0)
        for slot in range(count):
            bbox = _person_box(rng, width, height, slot, count)
            add(image_id, bbox, _keypoints(rng, bbox, width, height))
        if image_id == 139:
            add(image_id, (5.0, 5.0, 60.0, 50.0), [0] * 51, iscrowd=1)
        if image_id == 632:  # a person without keypoints: dropped, and ignored by COCOeval
            add(image_id, (10.5, 20.25, 40.0, 90.0), [0] * 51)
        if image_id == 285:  # runs over the right/bottom border: clamped, kept
            bbox = (width - 70.3, height - 150.6, 95.0, 180.0)
            add(image_id, bbox, _keypoints(rng, (width - 70.3, height - 150.6, 65.0, 145.0),
                                           width, height))
        if image_id == 1000:  # zero area and a box outside the image: both dropped. Their
            # keypoints carry coordinates but no labelled joint, so only the box filters drop
            # them, and COCOeval ignores them (num_keypoints 0) as it would any unmatched GT.
            add(image_id, (30.0, 30.0, 50.0, 120.0), [55.0, 40.0, 0] + [0] * 48, area=0.0)
            add(image_id, (width + 5.0, 10.0, 40.0, 80.0), [width + 20.0, 30.0, 0] + [0] * 48)
    data = {"info": {"description": "synthetic person keypoints (seeded)"}, "licenses": [],
            "images": images, "annotations": anns,
            "categories": [{"supercategory": "person", "id": 1, "name": "person",
                            "keypoints": list(KEYPOINT_NAMES), "skeleton": SKELETON}]}
    (root / ANNOTATION_FILE).write_text(json.dumps(data))


def _person_box(rng, width, height, slot, count):
    """A box inside slot ``slot`` of ``count`` equal vertical strips; varied aspect ratios."""
    strip = width / count
    w = strip * rng.uniform(0.45, 0.8)
    h = min(height * rng.uniform(0.5, 0.9), w * rng.uniform(0.9, 2.6))
    x = slot * strip + rng.uniform(0.05, 0.95) * (strip - w)
    y = rng.uniform(0.02, 0.98) * (height - h)
    return tuple(round(float(v), 2) for v in (x, y, w, h))


def _keypoints(rng, bbox, width, height):
    x, y, w, h = bbox
    pts = _TEMPLATE * (w, h) + (x, y) + rng.normal(0, 0.02, _TEMPLATE.shape) * (w, h)
    vis = rng.choice([0, 1, 2], size=len(pts), p=[0.15, 0.25, 0.6])
    vis[0] = 2  # at least one labelled joint
    out = []
    for (px, py), v in zip(pts, vis):
        inside = 0 <= px < width and 0 <= py < height
        if v == 0 or not inside:
            out += [0, 0, 0]
        else:
            out += [round(float(px), 2), round(float(py), 2), int(v)]
    return out


def _save_jpeg(path: Path, pixels: np.ndarray, mode: str, orientation: Optional[int]) -> None:
    from PIL import Image

    img = Image.fromarray(pixels, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    kwargs = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation  # Orientation tag
        kwargs["exif"] = exif.tobytes()
    img.save(path, format="JPEG", quality=90, **kwargs)
