"""Reading a COCO person-keypoints annotation file and refusing what cannot be trusted.

pycocotools indexes whatever JSON it is given: a missing ``bbox`` surfaces as a
``KeyError`` deep inside the sample list, ``"12"`` or ``null`` where a number belongs as
a ``TypeError`` in box clean-up or in ``COCOeval``, and a float image id is silently
formatted into another image's file name (``'%012d' % 139.7`` is ``000000000139``). The
checks here run before pycocotools sees the file, and each refusal is a ``DatasetError``
naming the file and the annotation (or image) id and field.

What a usable file holds (as val2017's ``person_keypoints_val2017.json`` does):

* ``images``: ``id`` an integer, unique; ``width``/``height`` positive integers;
  ``file_name``, when present, a bare file name (the reader opens ``'%012d.jpg' % id``,
  as the guide does, but a name pointing elsewhere is a sign of a tampered file);
* ``annotations``: integer ``id``, ``image_id`` (of a listed image) and ``category_id``;
  ``iscrowd`` 0 or 1; ``bbox`` four finite numbers; ``area`` a finite number;
  ``keypoints`` 17 x (x, y, visibility) finite numbers; ``num_keypoints`` an integer
  (``COCOeval`` ignores annotations whose count is 0);
* ``categories``: integer ``id`` and a ``name``.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

from harness.datasets.errors import DatasetError
from harness.datasets.paths import bare_name_problem

NUM_KEYPOINTS = 17


def read_annotation_file(path: Path) -> dict:
    """The parsed, checked JSON of a COCO keypoints annotation file."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start}) - is this the annotation file?") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DatasetError(f"{path}: not a COCO annotation file (invalid JSON: {exc})") from None
    check_annotation_data(data, path)
    return data


def coco_from(data: dict):
    """A pycocotools ``COCO`` over already checked data (its index lines kept quiet)."""
    from pycocotools.coco import COCO

    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def check_annotation_data(data, path: Path) -> None:
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: not a COCO annotation file (a JSON {type(data).__name__}, "
                           "expected an object with images, annotations and categories)")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise DatasetError(f"{path}: not a COCO annotation file ('{key}' must be a list, "
                               f"found {_kind(data.get(key))})")
    for index, cat in enumerate(data["categories"]):
        where = f"{path}: categories[{index}]"
        _require_dict(cat, where)
        _require_int(cat, "id", where)
        if not isinstance(cat.get("name"), str):
            raise DatasetError(f"{where}: 'name' must be a string, found {_kind(cat.get('name'))}")
    image_ids = _check_images(data["images"], path)
    for index, ann in enumerate(data["annotations"]):
        _check_annotation(ann, index, image_ids, path)


def _check_images(images: list, path: Path) -> set:
    seen: set = set()
    for index, img in enumerate(images):
        _require_dict(img, f"{path}: images[{index}]")
        image_id = _require_int(img, "id", f"{path}: images[{index}]")
        where = f"{path}: image {image_id}"
        if image_id in seen:
            raise DatasetError(f"{where}: id listed twice in 'images'")
        seen.add(image_id)
        for key in ("width", "height"):
            if _require_int(img, key, where) <= 0:
                raise DatasetError(f"{where}: '{key}' must be positive, found {img[key]}")
        name = img.get("file_name")
        if name is not None:
            problem = "is not a string" if not isinstance(name, str) else bare_name_problem(name)
            if problem is not None:
                raise DatasetError(f"{where}: file_name {name!r} {problem}; the dataset may only "
                                   "name files inside its images/val2017 folder")
    return seen


def _check_annotation(ann, index: int, image_ids: set, path: Path) -> None:
    _require_dict(ann, f"{path}: annotations[{index}]")
    ann_id = _require_int(ann, "id", f"{path}: annotations[{index}]")
    where = f"{path}: annotation {ann_id}"
    if _require_int(ann, "image_id", where) not in image_ids:
        raise DatasetError(f"{where}: image_id {ann['image_id']} is not in 'images'")
    _require_int(ann, "category_id", where)
    if _require_int(ann, "iscrowd", where) not in (0, 1):
        raise DatasetError(f"{where}: 'iscrowd' must be 0 or 1, found {ann['iscrowd']}")
    _require_numbers(ann, "bbox", where, 4)
    _require_number(ann.get("area"), "area", where)
    _require_numbers(ann, "keypoints", where, 3 * NUM_KEYPOINTS)
    if _require_int(ann, "num_keypoints", where) < 0:
        raise DatasetError(f"{where}: 'num_keypoints' must not be negative, found {ann['num_keypoints']}")


def _kind(value) -> str:
    if value is None:
        return "null"
    return {str: "a string", bool: "a boolean", list: "a list", dict: "an object"}.get(
        type(value), repr(value))


def _require_dict(value, where: str) -> None:
    if not isinstance(value, dict):
        raise DatasetError(f"{where}: expected an object, found {_kind(value)}")


def _require_int(obj: dict, key: str, where: str) -> int:
    if key not in obj:
        raise DatasetError(f"{where}: no '{key}'")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DatasetError(f"{where}: '{key}' must be an integer, found {_kind(value)}")
    return value


def _require_number(value, key: str, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DatasetError(f"{where}: '{key}' must be a finite number, found {_kind(value)}")


def _require_numbers(obj: dict, key: str, where: str, count: int) -> None:
    if key not in obj:
        raise DatasetError(f"{where}: no '{key}'")
    values = obj[key]
    if not isinstance(values, list):
        raise DatasetError(f"{where}: '{key}' must be a list of {count} numbers, found {_kind(values)}")
    if len(values) != count:
        what = "is empty" if not values else f"holds {len(values)} values"
        raise DatasetError(f"{where}: '{key}' {what}, expected {count} numbers")
    # Fast path (val2017 has 11 004 annotations of 51 keypoints): only ints and floats,
    # and a finite sum means no NaN/Inf among them; otherwise find the culprit.
    if all(type(v) is float or type(v) is int for v in values) and math.isfinite(sum(values)):
        return
    for i, v in enumerate(values):
        _require_number(v, f"{key}[{i}]", where)
