"""DG-Net data path: Market train_all reader and synthetic copy, the guide's preprocessing
(pairing, names, grey structure), post-processing to uint8/JPEG, and the contact sheet."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image

from harness.datasets import market1501
from harness.datasets.errors import DatasetError
from harness.metrics import gan_images
from harness.preprocess import dgnet as prep


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    root = tmp_path_factory.mktemp("market")
    market1501.make_synthetic(root, n=5, seed=3)
    return market1501.open_train_all(root)


def test_reader_follows_imagefolder_order(market):
    from torchvision import datasets

    folder = datasets.ImageFolder(str(market.folder))
    assert market.classes == folder.classes
    assert [(str(p), label) for p, label in market.images] == folder.imgs
    assert all(len(c) == 4 and c.isdigit() for c in market.classes)
    with Image.open(market.images[0][0]) as im:
        assert im.size == (64, 128) and im.format == "JPEG"


def test_reader_errors_name_the_path(tmp_path):
    with pytest.raises(DatasetError, match="train_all"):
        market1501.open_train_all(tmp_path)
    (tmp_path / "pytorch" / "train_all" / "0001").mkdir(parents=True)
    with pytest.raises(DatasetError, match="0001"):
        market1501.open_train_all(tmp_path)
    with pytest.raises(DatasetError, match="12936"):
        market1501.check_official_counts(market1501.MarketTrainAll(tmp_path, ["0001"], []))


def test_preprocess_names_pairing_and_grey_structure(market, tmp_path):
    prepared = prep.preprocess(market, tmp_path)
    perm = prep.pairing(len(market.images))
    assert sorted(perm) == list(range(len(market.images)))
    expected = {"%03d_%03d_gan%s" % (market.images[perm[i]][1], label, path.name[:-4])
                for i, (path, label) in enumerate(market.images)}
    assert set(prepared.sample_ids) == expected
    dirs = prepared.input_sets["main"]
    assert dirs["image1"].name == "bin_path2" and dirs["image2"].name == "bin_path1"
    sid = prepared.sample_ids[0]
    content = next(p for p, _ in market.images if sid.endswith("gan" + p.name[:-4]))
    image2 = np.fromfile(dirs["image2"] / f"{sid}.bin", np.float32).reshape(3, 256, 128)
    assert np.array_equal(image2, prep.normalised_image(content))
    image1 = np.fromfile(dirs["image1"] / f"{sid}.bin", np.float32).reshape(1, 256, 128)
    structure = market.images[perm[[p for p, _ in market.images].index(content)]][0]
    assert np.allclose(image1[0], prep.normalised_image(structure).mean(0), atol=1e-6)


def test_to_gray_equals_torch_mean_for_every_pixel_value():
    """``to_gray`` is NumPy's ((c0 + c1) + c2) / 3; torch.mean over the channels of the
    [1,3,256,128] tensor, for all 2**24 (c0, c1, c2) values a normalised pixel can take."""
    import torch

    from harness.preprocess.normalise import channel_tables

    tables = channel_tables(prep.MEAN, prep.STD)
    block = 256 * 128
    for k in range((1 << 24) // block):
        u = np.arange(k * block, (k + 1) * block, dtype=np.uint32)
        x = np.stack([tables[0][u >> 16], tables[1][(u >> 8) & 255], tables[2][u & 255]])
        x = x.reshape(3, 256, 128)
        want = torch.mean(torch.from_numpy(x).unsqueeze(0), dim=1, keepdim=True).numpy()
        assert prep.to_gray(x).tobytes() == want.tobytes(), f"block {k}"


def test_preprocess_matches_the_script_bit_for_bit(market, tmp_path):
    """Against the script's own library calls (ImageFolder + torchvision transforms,
    torch.mean), every image decoded twice as its two loaders do; workers and resume too."""
    import torch
    from torchvision import datasets, transforms

    data = datasets.ImageFolder(str(market.folder), transforms.Compose([
        transforms.Resize((256, 128), interpolation=3), transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]))
    perm = prep.pairing(len(data))
    want = {}
    for i, (path, label) in enumerate(data.imgs):
        bg, label2 = data[perm[i]]
        name = "%03d_%03d_gan%s" % (label2, label, os.path.basename(path)[:-4])
        want[f"bin_path1/{name}.bin"] = data[i][0].unsqueeze(0).numpy().tobytes()
        want[f"bin_path2/{name}.bin"] = torch.mean(bg.unsqueeze(0), dim=1, keepdim=True).numpy().tobytes()
    for out, workers in ((tmp_path / "one", 0), (tmp_path / "two", 2)):
        prep.preprocess(market, out, workers=workers)
        got = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.bin")}
        assert got == want
    (tmp_path / "two" / next(iter(want))).unlink()
    prep.preprocess(market, tmp_path / "two")
    assert (tmp_path / "two" / next(iter(want))).read_bytes() == want[next(iter(want))]


def test_recover_image_truncates_like_the_script():
    # 0.5 in normalised units on channel 0 -> (0.229*0.5+0.485)*255 = 152.87 -> 152 (not 153)
    out = np.zeros((3, 2, 2), np.float32)
    out[0] = 0.5
    out[1, 0, 0], out[2, 0, 0] = 10.0, -10.0  # clipped to 255 / 0
    img = gan_images.recover_image(out)
    assert img.dtype == np.uint8 and img.shape == (2, 2, 3)
    assert img[0, 0, 0] == 152 and img[0, 0, 1] == 255 and img[0, 0, 2] == 0
    assert img[1, 1, 1] == int(0.456 * 255.0) and img[1, 1, 2] == int(0.406 * 255.0)


def test_output_names_follow_the_postprocess_script():
    assert gan_images.off_gan_path("001_000_gan0002_c1s1_000451_03") == (
        "001", "000_001_gangan0002_c1s1_000451_03.jpg")
    with pytest.raises(ValueError, match="too few"):
        gan_images.off_gan_path("001_000_ganx")


def test_generated_images_are_pil_default_jpegs(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (256, 128, 3), dtype=np.uint8)
    sid = "004_002_gan0007_c2s3_000123_01"
    (path,) = gan_images.write_generated({sid: pixels}, tmp_path / "off-gan_id")
    assert path == tmp_path / "off-gan_id" / "004" / "002_004_gangan0007_c2s3_000123_01.jpg"
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=75)
    assert path.read_bytes() == buf.getvalue()
    assert list(path.parent.iterdir()) == [path]  # no temporary files left


def test_psnr_and_max_error():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    assert gan_images.psnr(a, b) == float("inf") and gan_images.max_abs_error(a, b) == 0
    b[0, 0, 0] = 255
    assert gan_images.max_abs_error(a, b) == 255
    assert gan_images.psnr(a, b) == pytest.approx(10 * np.log10(48), rel=1e-9)


def test_contact_sheet_layout(tmp_path):
    grey = gan_images.structure_for_display(np.zeros((1, 256, 128), np.float32))
    assert grey.shape == (256, 128, 3)
    rgb = np.full((256, 128, 3), 200, np.uint8)
    path = gan_images.contact_sheet([(grey, rgb, rgb)] * 2, tmp_path / "sheet.png")
    with Image.open(path) as im:
        assert im.size == gan_images.contact_sheet_size(2) == (3 * 128 + 16, 16 + 2 * 256 + 12)
        assert im.getpixel((4 + 128 + 4 + 10, 16 + 4 + 10)) == (200, 200, 200)
    with pytest.raises(ValueError, match="zero rows"):
        gan_images.contact_sheet([], tmp_path / "empty.png")


def test_real_tier_evaluate_writes_off_gan_id_and_computes_fid(market, tmp_path, monkeypatch):
    """The guide's evaluate on the real-tier path, with a stand-in feature extractor (the
    Inception weights are not available here): off-gan_id layout, FID, counts, fid.txt."""
    from harness.guides import dgnet as guide_module
    from harness.guides.base import EvalContext
    from harness.metrics import inception
    from harness.metrics.fid import frechet_distance, list_images, load_image, statistics

    def extract(batch):
        m = batch.reshape(len(batch), -1, 3).mean(1) / 255.0
        return np.concatenate([m, m ** 2], 1)

    seen = {}

    def fake_loader(path, **kw):
        seen["path"] = path
        return extract

    monkeypatch.setattr(inception, "load_fid_inception", fake_loader)
    rng = np.random.default_rng(1)
    outputs = {"%03d_%03d_gan%s" % (label, label, p.name[:-4]): [rng.standard_normal((3, 256, 128)).astype(np.float32)]
               for p, label in market.images}
    weights = tmp_path / inception.WEIGHTS_FILE
    context = EvalContext("real", {inception.WEIGHTS_FILE: weights}, tmp_path / "work")
    report = guide_module.evaluate(market, {"main": outputs}, context=context)
    assert seen["path"] == weights
    folder = tmp_path / "work" / "off-gan_id"
    written = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*.jpg"))
    assert written == sorted("/".join(gan_images.off_gan_path(s)) for s in outputs)
    real = np.stack([load_image(p) for p in list_images(market.folder)])
    fake = np.stack([load_image(p) for p in list_images(folder)])
    want = frechet_distance(*statistics(extract(real)), *statistics(extract(fake)))
    assert report["fid"] == pytest.approx(want, rel=1e-9)
    assert report.count == len(outputs) and report.files["fid.txt"].startswith("FID:  ")
    synthetic = guide_module.evaluate(market, {"main": outputs}, context=None)
    assert "fid" not in synthetic.values and synthetic["mean_pixel"] == report["mean_pixel"]
