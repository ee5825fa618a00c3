"""ImageNet val reader, synthetic generator and the DPN131 preprocessing details."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from harness.datasets import imagenet
from harness.datasets.errors import DatasetError
from harness.preprocess.imagenet import center_crop, preprocess_image, resize_shorter


def test_synthetic_set_uses_the_real_layout(tmp_path):
    imagenet.make_synthetic(tmp_path, n=12, seed=0)
    ds = imagenet.open_val(tmp_path)
    assert len(ds) == 12
    assert ds.sample_ids[0] == "ILSVRC2012_val_00000001"
    assert (tmp_path / "val" / "ILSVRC2012_val_00000001.JPEG").is_file()
    modes = {Image.open(p).mode for p in ds.images.values()}
    assert {"RGB", "L", "CMYK"} <= modes
    assert all(0 <= v < 1000 for v in ds.labels.values())


def test_fingerprint_changes_when_an_image_changes(tmp_path):
    imagenet.make_synthetic(tmp_path, n=3, seed=0)
    before = imagenet.open_val(tmp_path).fingerprint()
    p = tmp_path / "val" / "ILSVRC2012_val_00000002.JPEG"
    p.write_bytes(p.read_bytes() + b"\0")
    assert imagenet.open_val(tmp_path).fingerprint() != before


def test_missing_val_folder_names_the_expected_layout(tmp_path):
    with pytest.raises(DatasetError, match="val_label.txt"):
        imagenet.open_val(tmp_path)


def test_label_lines_are_validated(tmp_path):
    f = tmp_path / "val_label.txt"
    f.write_text("ILSVRC2012_val_00000001.JPEG 65\nbroken-line\n")
    with pytest.raises(DatasetError, match=r"val_label.txt:2"):
        imagenet.read_labels(f)


def test_image_without_label_is_named(tmp_path):
    imagenet.make_synthetic(tmp_path, n=2, seed=0)
    (tmp_path / "val_label.txt").write_text("ILSVRC2012_val_00000001.JPEG 1\n")
    with pytest.raises(DatasetError, match="ILSVRC2012_val_00000002"):
        imagenet.open_val(tmp_path)


def test_official_count_check(tmp_path):
    imagenet.make_synthetic(tmp_path, n=2, seed=0)
    with pytest.raises(DatasetError, match="50000"):
        imagenet.check_official_counts(imagenet.open_val(tmp_path))


@pytest.mark.parametrize("size,expected", [
    ((500, 375), (341, 256)),   # landscape: int(256 * 500 / 375) = 341 (truncated)
    ((375, 500), (256, 341)),
    ((256, 300), (256, 300)),   # shorter side already 256: untouched
    ((300, 300), (256, 256)),
])
def test_resize_shorter_side_truncates_like_the_script(size, expected):
    assert resize_shorter(Image.new("RGB", size), 256).size == expected


def test_center_crop_uses_rounded_offsets():
    img = Image.fromarray(np.arange(341 * 256 * 3, dtype=np.uint32).reshape(256, 341, 3).astype(np.uint8))
    out = center_crop(img, 224)
    assert out.size == (224, 224)
    left = int(round((341 - 224) / 2.0))  # 58.5 -> 58 (banker's rounding)
    assert left == 58
    assert np.array_equal(np.array(out), np.array(img)[16:240, 58:282])


def test_preprocessed_tensor_shape_dtype_and_normalisation(tmp_path):
    p = tmp_path / "gray.jpg"
    Image.new("L", (300, 260), color=128).save(p)
    arr = preprocess_image(p)
    assert arr.shape == (3, 224, 224) and arr.dtype == np.float32
    expected = (np.float32(128) / np.float32(255) - np.float32(0.486)) / np.float32(0.235)
    assert arr[0, 100, 100] == pytest.approx(expected, abs=1e-6)


def _sizes(n: int, seed: int = 5) -> list[tuple[int, int]]:
    """Landscape, portrait, square, shorter side at/near 256, large, and just-above-crop."""
    rng = np.random.default_rng(seed)
    fixed = [(500, 375), (375, 500), (500, 500), (256, 300), (300, 256), (257, 900),
             (1024, 768), (225, 640), (640, 225), (4000, 300)]
    return fixed + [tuple(int(v) for v in rng.integers(225, 1400, 2)) for _ in range(n)]


@pytest.mark.parametrize("size", _sizes(30))
def test_two_pass_resize_and_crop_equals_resize_then_crop(size):
    """Width pass, column crop, height pass == the script's one-call resize + crop, byte
    for byte (random pixels, so every weight of both passes shows)."""
    from harness.preprocess.imagenet import resize_and_crop

    w, h = size
    img = Image.fromarray(np.random.default_rng(w * 7919 + h).integers(0, 256, (h, w, 3), dtype=np.uint8))
    want = np.asarray(center_crop(resize_shorter(img, 256), 224))
    new_size = resize_shorter(img, 256).size
    got = resize_and_crop(img, new_size, 224)
    assert got.shape == (224, 224, 3) and np.array_equal(got, want)
