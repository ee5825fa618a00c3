"""Property-based fuzzing of the dataset readers (the parsers of outside text are in
``test_fuzz.py``, whose mutations and properties these share): ImageNet's
``val_label.txt``, re-id file names, the VeRi label CSV, and COCO annotation JSON both as
mutated text and with any field of any entry set to a hostile JSON value. A reader
returns, or raises the suite's own error; it never returns a path for a file name, and
every number it returns appears in the input."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .test_fuzz import FUZZ, LABELS, assert_in_text, call, numbers_in, texts


# -- ImageNet labels -------------------------------------------------------------------------
@FUZZ
@given(texts(LABELS) | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
def test_imagenet_label_file(tmp_path_factory, text):
    from harness.datasets.imagenet import read_labels

    path = tmp_path_factory.mktemp("labels") / "val_label.txt"
    path.write_bytes(text.encode("utf-8", "surrogatepass") if text.isascii() else text.encode("latin-1", "replace"))
    raw = path.read_bytes().decode("utf-8", "replace")
    labels = call(read_labels, path) or {}
    for key, value in labels.items():
        assert key and key in raw and "/" not in key and "\\" not in key, key
        assert re.search(rf"(^|\s){value}(\s|$)", raw), f"label {value} for {key} not in the file"
        assert 0 <= value <= 1000


# -- re-id names and label files (when those guides are present) -----------------------------
@FUZZ
@given(texts("0005_c2_f0046985.jpg", "0001_c1s1_001051_00.jpg", "-1_c3s2_000000_01.jpg", "0002_c002_00030600_0.jpg"))
def test_reid_file_names(text):
    for module, fn in (("harness.datasets.dukemtmc", "parse_name"), ("harness.datasets.veri", "camid_of"),
                       ("harness.datasets.market1501", "parse_name")):
        try:
            parser = getattr(__import__(module, fromlist=[fn]), fn)
        except (ImportError, AttributeError):
            continue
        result = call(parser, text)
        for v in (result if isinstance(result, tuple) else (result,)):
            if isinstance(v, int) and v not in (-1,):
                # camera ids may be stored 0-based (c1 -> 0): the printed number or one more
                assert any(math.isclose(v, c) or math.isclose(v + 1, c) for c in numbers_in(text)), \
                    f"{module}.{fn}({text!r}) -> {result}"


VERI_ROW = "0002_c002_00030600_0.jpg,2,1,3," + ",".join(["10.5", "20.25", "0.9"] * 12) + "\n"


@FUZZ
@given(texts(VERI_ROW * 2, VERI_ROW.replace("0002_c002_00030600_0.jpg", "../../bin/bash"))
       | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
def test_veri_label_csv(tmp_path_factory, text):
    veri = pytest.importorskip("harness.datasets.veri")
    path = tmp_path_factory.mktemp("veri") / "label_test.csv"
    path.write_bytes(text.encode("latin-1", "replace") if not text.isascii() else text.encode())
    raw = path.read_bytes().decode("utf-8", "replace")
    rows = call(veri.read_label_csv, path) or []
    for name, vid, colour, kind in rows:
        assert name in raw and "/" not in name and "\\" not in name and name not in (".", ".."), name
        for v in (vid, colour, kind):
            assert_in_text(v, raw, "veri label id")


@FUZZ
@given(texts('{"images": [{"id": 1, "file_name": "000000000139.jpg", "width": 64, "height": 48}], '
             '"annotations": [], "categories": [{"id": 1, "name": "person", "keypoints": [], "skeleton": []}]}'))
def test_coco_annotation_file(tmp_path_factory, text):
    coco_mod = pytest.importorskip("harness.datasets.coco_keypoints")
    path = tmp_path_factory.mktemp("coco") / "person_keypoints_val2017.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    call(coco_mod.load_coco, Path(path))


JSON_HOSTILE = [None, "", "12", "../../bin/bash", [], {}, [1, 2], True, -1, 0, 1.5, 139.0, 1e308,
                float("nan"), float("inf"), 2 ** 63]
COCO_FIELDS = {"images": ["id", "width", "height", "file_name"],
               "annotations": ["id", "image_id", "category_id", "iscrowd", "bbox", "area", "keypoints",
                               "num_keypoints"],
               "categories": ["id", "name"]}


@pytest.fixture(scope="module")
def coco_copy(tmp_path_factory):
    coco_mod = pytest.importorskip("harness.datasets.coco_keypoints")
    root = tmp_path_factory.mktemp("coco-set")
    coco_mod.make_synthetic(root, 4, 0)
    return root, (root / coco_mod.ANNOTATION_FILE).read_text()


@FUZZ
@given(st.data())
def test_coco_annotation_fields(coco_copy, data):
    """Any field of any entry set to a hostile JSON value (or removed, or an element of a
    list replaced): the reader refuses it with a DatasetError, or reads a sample list
    whose image ids are integers and boxes finite numbers."""
    import json

    from harness.datasets import coco_keypoints as coco_mod

    root, original = coco_copy
    doc = json.loads(original)
    section = data.draw(st.sampled_from(sorted(COCO_FIELDS)))
    entry = doc[section][data.draw(st.integers(0, len(doc[section]) - 1))]
    field = data.draw(st.sampled_from(COCO_FIELDS[section]))
    value = data.draw(st.sampled_from(JSON_HOSTILE + ["<delete>", "<element>"]))
    if value == "<delete>":
        entry.pop(field, None)
    elif value == "<element>" and isinstance(entry.get(field), list) and entry[field]:
        entry[field][data.draw(st.integers(0, len(entry[field]) - 1))] = data.draw(st.sampled_from(JSON_HOSTILE))
    elif value != "<element>":
        entry[field] = value
    (root / coco_mod.ANNOTATION_FILE).write_text(json.dumps(doc))
    samples = call(coco_mod.open_val, root)
    if samples is not None:
        for s in samples.samples.values():
            assert type(s.image_id) is int and s.image_path.parent == root / coco_mod.IMAGE_DIR
            assert all(math.isfinite(v) for v in s.clean_box)


@FUZZ
@given(st.text(alphabet=",\n\r a1_\t\x0c\x85\u2028", max_size=80))
def test_veri_fast_row_split_equals_the_csv_module(text):
    """Without quotes, the label reader's line split gives csv.reader's rows (blank rows
    aside, which the reader skips), whatever the line endings and odd whitespace."""
    import csv
    import io

    from harness.datasets.veri import _rows

    want = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=",") if r]
    assert [r for r in _rows(text) if r] == want
