"""Dataset files that cannot be trusted: COCO annotations with missing or mistyped fields,
label entries naming files outside the dataset folder, and symbolic links that never
reach a file. Each is a ``DatasetError`` naming the file and the entry, before any image
is decoded; symlinks to real images elsewhere are followed (harness/datasets/paths.py)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from harness import guides
from harness.datasets import coco_keypoints, imagenet, veri
from harness.datasets.errors import DatasetError

from .conftest import dataset_images


# One member per guide family: its members share the reader under test.
GUIDES = [pytest.param(n, id=n) for n in guides.representatives()]


@pytest.fixture(scope="module")
def coco_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coco")
    coco_keypoints.make_synthetic(root, 6, 0)
    return root


def coco_copy(coco_root: Path, tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "coco"
    shutil.copytree(coco_root, root)
    return root, json.loads((root / coco_keypoints.ANNOTATION_FILE).read_text())


def first_person(data: dict) -> dict:
    return next(a for a in data["annotations"] if a["num_keypoints"] > 0)


def _set(field, value):
    def edit(ann):
        ann[field] = value
    return edit


def _delete(field):
    def edit(ann):
        del ann[field]
    return edit


def _set_item(field, index, value):
    def edit(ann):
        ann[field][index] = value
    return edit


@pytest.mark.parametrize("edit,expected", [
    (_delete("bbox"), "no 'bbox'"),
    (_set("bbox", None), "'bbox' must be a list of 4 numbers, found null"),
    (_set("bbox", [1, 2, 3]), "'bbox' holds 3 values, expected 4 numbers"),
    (_set_item("bbox", 2, "12"), r"'bbox\[2\]' must be a finite number, found a string"),
    (_set_item("bbox", 0, None), r"'bbox\[0\]' must be a finite number, found null"),
    (_set("keypoints", []), "'keypoints' is empty, expected 51 numbers"),
    (_set_item("keypoints", 4, "7"), r"'keypoints\[4\]' must be a finite number, found a string"),
    (_set_item("keypoints", 0, float("nan")), r"'keypoints\[0\]' must be a finite number, found nan"),
    (_set("area", "big"), "'area' must be a finite number, found a string"),
    (_set("area", None), "'area' must be a finite number, found null"),
    (_set("image_id", "139"), "'image_id' must be an integer, found a string"),
    (_set("image_id", 139.5), "'image_id' must be an integer, found 139.5"),
    (_set("image_id", 4242), "image_id 4242 is not in 'images'"),
    (_set("category_id", None), "'category_id' must be an integer, found null"),
    (_set("iscrowd", True), "'iscrowd' must be an integer, found a boolean"),
    (_delete("num_keypoints"), "no 'num_keypoints'"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_coco_annotation_fields_that_cannot_be_trusted_name_file_and_annotation(coco_root, tmp_path, edit, expected):
    root, data = coco_copy(coco_root, tmp_path)
    ann = first_person(data)
    edit(ann)
    (root / coco_keypoints.ANNOTATION_FILE).write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=expected) as err:
        coco_keypoints.open_val(root)
    assert f"{root / coco_keypoints.ANNOTATION_FILE}: annotation {ann['id']}: " in str(err.value)


@pytest.mark.parametrize("edit,expected", [
    (_set("id", 139.0), r"images\[\d\]: 'id' must be an integer, found 139.0"),
    (_set("id", "000000000139"), r"images\[\d\]: 'id' must be an integer, found a string"),
    (_set("width", 0), r"image 139: 'width' must be positive"),
    (_set("height", None), r"image 139: 'height' must be an integer, found null"),
    (_set("file_name", "../../bin/bash"), r"image 139: file_name '../../bin/bash' is a path"),
    (_set("file_name", "/etc/passwd"), r"image 139: file_name '/etc/passwd' is a path"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_coco_images_with_bad_ids_or_names_are_refused(coco_root, tmp_path, edit, expected):
    root, data = coco_copy(coco_root, tmp_path)
    edit(next(i for i in data["images"] if i["id"] == 139))
    (root / coco_keypoints.ANNOTATION_FILE).write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=expected) as err:
        coco_keypoints.open_val(root)
    assert str(root / coco_keypoints.ANNOTATION_FILE) in str(err.value)


def test_coco_annotation_ids_must_be_integers_and_the_index_is_named(coco_root, tmp_path):
    root, data = coco_copy(coco_root, tmp_path)
    data["annotations"][3]["id"] = None
    (root / coco_keypoints.ANNOTATION_FILE).write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"annotations\[3\]: 'id' must be an integer, found null"):
        coco_keypoints.open_val(root)


@pytest.mark.parametrize("name", ["../../bin/bash", "/bin/bash", "..", "sub/0002_c002_00030600_0.jpg",
                                  "..\\..\\x.jpg"])
def test_veri_label_naming_a_file_outside_the_image_folder_is_refused(tmp_path, name):
    veri.make_synthetic(tmp_path, 6, 0)
    label = tmp_path / "label_test.csv"
    lines = label.read_text().splitlines()
    lines[1] = ",".join([name] + lines[1].split(",")[1:])
    label.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as err:
        veri.open_veri(tmp_path)
    msg = str(err.value)
    assert f"{label}:2: file name {name!r}" in msg and str(tmp_path / "image_test") in msg, msg


@pytest.mark.parametrize("name", ["../val/ILSVRC2012_val_00000001.JPEG", "/etc/passwd",
                                  "val/ILSVRC2012_val_00000001.JPEG"])
def test_imagenet_label_naming_a_path_is_refused(tmp_path, name):
    imagenet.make_synthetic(tmp_path, 3, 0)
    label = tmp_path / "val_label.txt"
    label.write_text(label.read_text() + f"{name} 7\n")
    with pytest.raises(DatasetError, match=rf"{label}:4: file name {name!r} is a path"):
        imagenet.open_val(tmp_path)


def _one_image(g, root: Path) -> Path:
    return dataset_images(root)[0]


@pytest.mark.parametrize("guide_name", GUIDES)
@pytest.mark.parametrize("link", ["self", "pair", "dangling"])
def test_image_that_is_a_broken_symlink_is_a_dataset_error_naming_it(tmp_path, guide_name, link):
    g = guides.get(guide_name)
    root = tmp_path / g.dataset.subdir
    g.dataset.make_synthetic(root, min(4, g.dataset.synthetic_size), 0)
    image = _one_image(g, root)
    image.unlink()
    named = [str(image)]
    if link == "self":
        os.symlink(image.name, image)
    elif link == "pair":
        partner = image.with_name("partner" + image.suffix)  # never listed in a label file
        os.symlink(partner.name, image)
        os.symlink(image.name, partner)
        named.append(str(partner))  # the listing may meet either end of the loop first
    else:
        os.symlink("gone" + image.suffix, image)
    with pytest.raises(DatasetError) as err:
        g.dataset.open(root)
    msg = str(err.value)
    wanted = "dangling symbolic link" if link == "dangling" else "symbolic link loop"
    assert any(name in msg for name in named) and wanted in msg, msg


@pytest.mark.parametrize("guide_name", GUIDES)
def test_image_symlinked_from_outside_the_dataset_is_followed(tmp_path, guide_name):
    """The documented decision: links are the folder owner's choice and are followed."""
    g = guides.get(guide_name)
    root = tmp_path / g.dataset.subdir
    g.dataset.make_synthetic(root, min(4, g.dataset.synthetic_size), 0)
    image = _one_image(g, root)
    store = tmp_path / "shared-store"
    store.mkdir()
    shutil.move(image, store / image.name)
    os.symlink(store / image.name, image)
    samples = g.dataset.open(root)
    assert len(samples.sample_ids) > 0
    samples.fingerprint()


def test_market_class_folder_that_is_a_symlink_loop_is_named(tmp_path):
    from harness.datasets import market1501

    market1501.make_synthetic(tmp_path, 4, 0)
    loop = tmp_path / "pytorch" / "train_all" / "9999"
    os.symlink(loop.name, loop)
    with pytest.raises(DatasetError, match=rf"{loop} is a symbolic link loop"):
        market1501.open_train_all(tmp_path)
