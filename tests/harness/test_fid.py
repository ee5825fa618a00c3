"""FID as TTUR computes it, checked against independent computations; the Inception port's
input handling and weight checks (no real weights needed)."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from harness.metrics import MetricError
from harness.metrics import fid


def _independent_fid(x: np.ndarray, y: np.ndarray) -> float:
    """|mu1-mu2|^2 + Tr S1 + Tr S2 - 2 sum sqrt(eig(sqrt(S1) S2 sqrt(S1))), by eigh only."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1 = (x - mu1).T @ (x - mu1) / (len(x) - 1)
    s2 = (y - mu2).T @ (y - mu2) / (len(y) - 1)
    vals, vecs = np.linalg.eigh(s1)
    root1 = vecs @ np.diag(np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    inner = np.linalg.eigvalsh(root1 @ s2 @ root1)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(np.clip(inner, 0, None))))


def test_frechet_distance_matches_eigen_formulation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 12)) @ rng.standard_normal((12, 12))
    y = rng.standard_normal((280, 12)) @ rng.standard_normal((12, 12)) + 0.7
    got = fid.frechet_distance(*fid.statistics(x), *fid.statistics(y))
    assert got == pytest.approx(_independent_fid(x, y), rel=1e-8)


def test_frechet_distance_closed_form_for_diagonal_covariances():
    mu1, mu2 = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    a, b = np.array([4.0, 1.0, 9.0]), np.array([1.0, 2.0, 9.0])
    want = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert fid.frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(want, rel=1e-12)
    assert fid.frechet_distance(mu1, np.diag(a), mu1, np.diag(a)) == pytest.approx(0.0, abs=1e-9)


def test_statistics_are_numpy_cov_with_n_minus_1():
    rng = np.random.default_rng(1)
    act = rng.standard_normal((10, 3))
    mu, sigma = fid.statistics(act)
    centred = act - act.mean(0)
    assert np.allclose(mu, act.mean(0)) and np.allclose(sigma, centred.T @ centred / 9)
    with pytest.raises(MetricError, match="at least two"):
        fid.statistics(act[:1])


def test_singular_product_retries_with_offset(monkeypatch):
    from scipy import linalg

    calls = []
    real_sqrtm = linalg.sqrtm

    def flaky(a, *args, **kw):
        calls.append(np.array(a))
        return np.full_like(a, np.nan) if len(calls) == 1 else real_sqrtm(a)

    monkeypatch.setattr(linalg, "sqrtm", flaky)
    s1, s2 = np.diag([1.0, 2.0]), np.diag([3.0, 0.0])
    with pytest.warns(UserWarning, match="singular product"):
        value = fid.frechet_distance(np.zeros(2), s1, np.zeros(2), s2)
    assert len(calls) == 2
    assert np.allclose(calls[1], (s1 + 1e-6 * np.eye(2)) @ (s2 + 1e-6 * np.eye(2)))
    want = 3.0 + 3.0 - 2 * (np.sqrt((1 + 1e-6) * (3 + 1e-6)) + np.sqrt((2 + 1e-6) * 1e-6))
    assert value == pytest.approx(want, rel=1e-9)


def test_imaginary_part_rule(monkeypatch):
    from scipy import linalg

    monkeypatch.setattr(linalg, "sqrtm", lambda a, *k, **kw: np.diag([1.0 + 1e-4j, 1.0]))
    assert fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) == pytest.approx(0.0)
    monkeypatch.setattr(linalg, "sqrtm", lambda a, *k, **kw: np.diag([1.0 + 1e-2j, 1.0]))
    with pytest.raises(MetricError, match="imaginary component"):
        fid.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))


@pytest.mark.parametrize("n, used", [(12936, 12900), (100, 100), (101, 100), (50, 50), (49, 49), (1, 1), (0, 0)])
def test_used_count_whole_batches_of_50(n, used):
    assert fid.used_count(n) == used


def _write(path, w=64, h=128, value=0, fmt="JPEG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(path, format=fmt)


def test_list_images_is_ttur_glob_and_random_subset(tmp_path):
    _write(tmp_path / "0002" / "b.jpg")
    _write(tmp_path / "0001" / "a.png", fmt="PNG")
    _write(tmp_path / "0001" / "c.jpg")
    _write(tmp_path / "0001" / "d.jpeg")  # not matched by TTUR's patterns
    _write(tmp_path / "top.jpg")  # not one level down
    _write(tmp_path / "0001" / "deep" / "e.jpg")  # two levels down
    files = fid.list_images(tmp_path)
    assert {p.name for p in files} == {"a.png", "b.jpg", "c.jpg"}
    assert files[-1].name == "a.png"  # all jpgs first, then pngs
    subset = fid.list_images(tmp_path, max_images=2)
    np.random.seed(7)
    assert subset == [files[i] for i in np.random.permutation(3)[:2]]


def test_load_image_resizes_bicubic_to_128x256(tmp_path):
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (128, 64, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "x.png")
    got = fid.load_image(tmp_path / "x.png")
    want = np.array(Image.fromarray(pixels).resize((128, 256), Image.BICUBIC))
    assert got.shape == (256, 128, 3) and np.array_equal(got, want)
    Image.fromarray(pixels[:, :, 0]).save(tmp_path / "grey.png")
    with pytest.raises(MetricError, match="grey.png"):
        fid.load_image(tmp_path / "grey.png")


def test_fid_of_folders_uses_ttur_batches(tmp_path):
    """End to end with a stand-in feature extractor: 60 images per side, 50 used."""
    rng = np.random.default_rng(3)
    for side in ("real", "gen"):
        for i in range(60):
            _write(tmp_path / side / f"{i % 3:04d}" / f"{i:03d}.png", value=int(rng.integers(0, 256)), fmt="PNG")

    def extract(batch):  # per-channel means and a squared term: a 4-d "feature"
        m = batch.reshape(len(batch), -1, 3).mean(1) / 255.0
        return np.concatenate([m, (m[:, :1] ** 2)], 1)

    result = fid.fid_of_folders(tmp_path / "real", tmp_path / "gen", extract)
    assert (result["real_files"], result["real_used"], result["generated_used"]) == (60, 50, 50)
    x = extract(np.stack([fid.load_image(p) for p in fid.list_images(tmp_path / "real")[:50]]))
    y = extract(np.stack([fid.load_image(p) for p in fid.list_images(tmp_path / "gen")[:50]]))
    assert result["fid"] == pytest.approx(_independent_fid(x, y), rel=1e-6, abs=1e-9)


# -- Inception port (architecture and input handling; weights are not available here) --------
def test_tf_legacy_resize_matches_per_pixel_definition():
    import torch

    from harness.metrics.inception import tf_legacy_resize_bilinear

    rng = np.random.default_rng(4)
    img = rng.uniform(0, 255, (5, 7)).astype(np.float32)
    out_h, out_w = 11, 4
    got = tf_legacy_resize_bilinear(torch.from_numpy(img)[None, None], out_h, out_w)[0, 0].numpy()
    want = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            sy, sx = i * 5 / out_h, j * 7 / out_w
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, 4), min(x0 + 1, 6)
            fy, fx = sy - y0, sx - x0
            top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
            bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
            want[i, j] = top * (1 - fy) + bottom * fy
    assert np.allclose(got, want, atol=1e-3)


def test_inception_port_shapes_and_modes():
    import torch

    from harness.metrics import inception

    torch.manual_seed(0)
    net = inception.build_network()
    assert len(net.state_dict()) == inception.STATE_DICT_ENTRIES
    images = np.random.default_rng(5).integers(0, 256, (1, 256, 128, 3), dtype=np.uint8)
    tf_mode = inception.FIDInception(net, "tf-graph")
    x = tf_mode.prepare(images)
    assert x.shape == (1, 3, 299, 299) and float(x.min()) >= -1.0 and float(x.max()) < 1.0
    # The first output row of the legacy resize is the first input row, exactly.
    first = (torch.from_numpy(images[0, 0].astype(np.float32)).T - 128.0) / 128.0
    assert torch.allclose(x[0, :, 0, 0], first[:, 0])
    feats = tf_mode(images)
    assert feats.shape == (1, 2048) and feats.dtype == np.float64 and np.isfinite(feats).all()
    assert inception.FIDInception(net, "pytorch-fid").prepare(images).shape == (1, 3, 299, 299)
    with pytest.raises(ValueError, match="unknown Inception input mode"):
        inception.FIDInception(net, "tf")


def test_inception_weights_checksum_is_verified(tmp_path):
    from harness.checkpoints import CheckpointError
    from harness.metrics import inception

    fake = tmp_path / inception.WEIGHTS_FILE
    fake.write_bytes(b"not the weights")
    with pytest.raises(CheckpointError, match="sha256"):
        inception.load_fid_inception(fake)
    assert inception.WEIGHTS_SHA256.startswith("6726825d")  # the prefix in the file's name
    assert hashlib.sha256(b"not the weights").hexdigest() != inception.WEIGHTS_SHA256
