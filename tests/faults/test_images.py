"""Bad image files: corrupt, truncated, empty, odd modes, a PNG named .jpg.

Decisions (see harness/datasets/images.py): what the guide's own script would crash on
(corrupt, truncated) fails naming the file and sample; what it accepts (grayscale, CMYK,
a PNG under a .jpg name) the suite accepts too, with the same pixels.
"""
from __future__ import annotations

import numpy as np
import pytest

from harness import guides
from harness.datasets.errors import DatasetError
from harness.datasets.images import ImageError, imread_cv2, open_rgb_pil
from harness.errors import SuiteError

from .conftest import dataset_images, jpeg_bytes, truncate

cv2 = pytest.importorskip("cv2")


@pytest.mark.parametrize("reader", ["pil", "cv2"])
@pytest.mark.parametrize("damage", ["garbage", "empty", "cut_half", "cut_header", "no_eoi", "png_cut"])
def test_corrupt_or_truncated_image_names_file_and_sample(make_image, reader, damage):
    path = make_image("0001_c1s1_000151_00.jpg", fmt="PNG" if damage == "png_cut" else "JPEG")
    if damage == "garbage":
        path.write_bytes(b"\x00GIF89?" + bytes(range(256)) * 4)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "cut_half":
        truncate(path, 0.5)
    elif damage == "cut_header":
        truncate(path, 20)
    elif damage == "no_eoi":  # only the final end-of-image marker missing
        truncate(path, path.stat().st_size - 2)
    elif damage == "png_cut":
        truncate(path, 0.6)
    with pytest.raises(ImageError) as err:
        if reader == "pil":
            open_rgb_pil(path, sample_id="0001_c1s1_000151_00")
        else:
            imread_cv2(path, cv2.IMREAD_COLOR, sample_id="0001_c1s1_000151_00")
    assert str(path) in str(err.value) and "sample 0001_c1s1_000151_00" in str(err.value)
    assert isinstance(err.value, DatasetError)


def test_missing_image_names_the_path(tmp_path):
    with pytest.raises(ImageError, match=r"image not found: .*nope\.jpg \(sample 7\)"):
        open_rgb_pil(tmp_path / "nope.jpg", sample_id="7")


@pytest.mark.parametrize("mode", ["L", "CMYK", "P"])
def test_odd_modes_are_converted_as_the_guides_do(make_image, mode):
    """The guides' scripts call convert('RGB') (PIL) / decode to BGR (cv2): accepted."""
    from PIL import Image

    fmt = "PNG" if mode == "P" else "JPEG"
    path = make_image(f"odd_{mode}.jpg", mode=mode, fmt=fmt)
    got = open_rgb_pil(path)
    with Image.open(path) as im:
        assert im.mode == mode
        want = im.convert("RGB")
    assert got.mode == "RGB" and np.array_equal(np.asarray(got), np.asarray(want))
    bgr = imread_cv2(path, cv2.IMREAD_COLOR)
    assert bgr.shape == (40, 48, 3) and np.array_equal(bgr, cv2.imread(str(path), cv2.IMREAD_COLOR))


def test_png_inside_jpg_is_accepted_like_the_guides_script(make_image):
    """PIL and OpenCV decode by content, so the guide's script reads it: so does the suite."""
    from PIL import Image

    path = make_image("000000000139.jpg", fmt="PNG")
    assert path.read_bytes().startswith(b"\x89PNG")
    rgb = np.asarray(open_rgb_pil(path))
    with Image.open(path) as im:
        assert np.array_equal(rgb, np.asarray(im.convert("RGB")))
    assert np.array_equal(imread_cv2(path), rgb[:, :, ::-1])  # lossless: BGR == RGB reversed


def test_dpn131_preprocessing_names_the_bad_image_and_sample(tmp_path):
    from harness.datasets import imagenet
    from harness.preprocess import imagenet as prep

    imagenet.make_synthetic(tmp_path / "imagenet", n=3, seed=0)
    bad = tmp_path / "imagenet/val/ILSVRC2012_val_00000002.JPEG"
    truncate(bad, 0.4)
    samples = imagenet.open_val(tmp_path / "imagenet")
    with pytest.raises(SuiteError) as err:
        prep.preprocess(samples, tmp_path / "bins")
    msg = str(err.value)
    assert "sample ILSVRC2012_val_00000002" in msg and str(bad) in msg, msg
    assert not (tmp_path / "bins/image/ILSVRC2012_val_00000002.bin").exists()
    assert not list((tmp_path / "bins").rglob("*.tmp"))


def _guide_fault_params():
    return [pytest.param(n, id=n) for n in guides.representatives()]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
@pytest.mark.parametrize("guide_name", _guide_fault_params())
def test_every_guides_preprocessing_refuses_bad_images(tmp_path, guide_name, damage):
    """Break every image of a guide's synthetic dataset (ways the guide-specific tests do
    not name): opening + preprocessing must fail with a suite error naming an image."""
    g = guides.get(guide_name)
    root = tmp_path / g.dataset.subdir
    g.dataset.make_synthetic(root, min(4, g.dataset.synthetic_size), 0)
    images = dataset_images(root)
    if not images:
        pytest.skip(f"{guide_name}: synthetic dataset has no image files")
    for i, p in enumerate(images):
        if damage == "garbage":
            p.write_bytes(b"not an image " + bytes([i % 256]) * 64)
        else:
            truncate(p, 0.5)
    with pytest.raises(SuiteError) as err:
        samples = g.dataset.open(root)
        g.pipeline.preprocess(samples, tmp_path / "bins", workers=0)
    msg = str(err.value)
    assert any(p.name in msg for p in images), f"{guide_name}: message names no image: {msg}"
