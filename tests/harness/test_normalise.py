"""The NumPy fast paths equal the torchvision calls the guides' scripts make, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

from harness.preprocess.normalise import normalise_chw

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
DPN = ((0.486, 0.459, 0.408), (0.235, 0.235, 0.235))


@pytest.mark.parametrize("mean,std", [IMAGENET, DPN])
def test_normalise_equals_to_tensor_and_normalize(mean, std):
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, size=(37, 29, 3), dtype=np.uint8)
    hwc[0, :3] = [[0, 0, 0], [255, 255, 255], [1, 128, 254]]
    want = TF.normalize(TF.to_tensor(hwc), list(mean), list(std)).numpy()
    got = normalise_chw(hwc, mean, std)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_every_byte_value_maps_identically():
    hwc = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    want = TF.normalize(TF.to_tensor(hwc), *map(list, IMAGENET)).numpy()
    assert np.array_equal(normalise_chw(hwc, *IMAGENET), want)


def test_torchvision_resize_on_pil_is_pil_bilinear():
    """Centroids-reid's Resize([256, 128]) equals PIL's own bilinear resize to (128, 256)."""
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, size=(90, 41, 3), dtype=np.uint8))
    a = np.asarray(T.Resize([256, 128])(img))
    b = np.asarray(img.resize((128, 256), Image.BILINEAR))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("shape", [(1, 1, 3), (37, 29, 3), (256, 128, 3)])
def test_table_lookup_equals_the_arithmetic(shape):
    """The per-channel tables give exactly the float32 arithmetic, views included."""
    from harness.preprocess.normalise import normalise_chw_reference

    rng = np.random.default_rng(2)
    big = rng.integers(0, 256, size=(shape[0] + 5, shape[1] + 7, 3), dtype=np.uint8)
    view = big[2:2 + shape[0], 3:3 + shape[1]]  # a crop, as DPN131 passes it
    for mean, std in (IMAGENET, DPN):
        want = normalise_chw_reference(view, mean, std)
        got = normalise_chw(view, mean, std)
        assert got.shape == want.shape and got.flags.c_contiguous
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
