"""The FID Inception network: 2048-d ``pool_3`` features, as TTUR's ``fid.py`` computes them.

TTUR (the DG-Net guide's FID tool) runs TensorFlow's ``classify_image_graph_def.pb``
(inception-2015-12-05). There is no TensorFlow here; the suite runs a PyTorch port of that
graph with the weights pytorch-fid converted from it, ``pt_inception-2015-12-05-6726825d.pth``
(566 state_dict entries, torchvision ``Inception3`` names, 1008 classes).

The graph differs from torchvision's Inception-v3 in three places, reproduced in the
forward functions below: the average pools inside the Mixed_5x/6x/7b blocks do not count
padded zeros (TF ``AVG`` pooling with SAME padding), and the last block (Mixed_7c) pools
its pooling branch with a *max* pool. Parameters live in torchvision's ``Inception3``
modules (so the file's keys load unchanged); the forward pass is this module's own.

Input handling, ``mode``:

* ``"tf-graph"`` (default, what TTUR's graph does): HWC values 0..255 -> TF1 legacy
  bilinear resize to 299x299 (``align_corners=False``, no half-pixel offset) ->
  ``(x - 128) / 128``.
* ``"pytorch-fid"``: x/255 -> PyTorch bilinear (half-pixel centres) -> ``2x - 1``, as
  pytorch-fid / torch-fidelity do. Small FID differences against the TF graph are expected
  (shared/reference/models_reid.md section 3.7).

Weights come from a path the user gives; the file is checked against its published
SHA-256 before it is loaded (``weights_only=True``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = ("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
               "pt_inception-2015-12-05-6726825d.pth")
# Full SHA-256 as published alongside copies of this file (95 628 359 bytes); its first
# eight hex digits are the "6726825d" in the name (torch.hub's naming convention).
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
STATE_DICT_ENTRIES = 566
MODES = ("tf-graph", "pytorch-fid")


def tf_legacy_resize_bilinear(x, out_h: int, out_w: int):
    """TF1 ``ResizeBilinear(align_corners=False, half_pixel_centers=False)`` on NCHW float:
    source coordinate = dst * (in / out), lower = floor, upper = min(lower + 1, in - 1)."""
    import torch

    n, c, in_h, in_w = x.shape

    def axis(out_size, in_size):
        src = torch.arange(out_size, dtype=torch.float32) * (in_size / out_size)
        lower = torch.floor(src).long().clamp(max=in_size - 1)
        upper = torch.clamp(lower + 1, max=in_size - 1)
        return lower, upper, (src - lower.float())

    y0, y1, fy = axis(out_h, in_h)
    x0, x1, fx = axis(out_w, in_w)
    top_left, top_right = x[:, :, y0][:, :, :, x0], x[:, :, y0][:, :, :, x1]
    bottom_left, bottom_right = x[:, :, y1][:, :, :, x0], x[:, :, y1][:, :, :, x1]
    top = top_left + (top_right - top_left) * fx
    bottom = bottom_left + (bottom_right - bottom_left) * fx
    return top + (bottom - top) * fy[:, None]


def _avg_pool_tf(x):
    """3x3 stride-1 average pool that, like TF's, ignores padded positions."""
    import torch.nn.functional as F

    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


def _max_pool_same(x):
    import torch.nn.functional as F

    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


def _mixed_a(b, x):  # Mixed_5b/5c/5d
    import torch

    return torch.cat([b.branch1x1(x),
                      b.branch5x5_2(b.branch5x5_1(x)),
                      b.branch3x3dbl_3(b.branch3x3dbl_2(b.branch3x3dbl_1(x))),
                      b.branch_pool(_avg_pool_tf(x))], 1)


def _mixed_c(b, x):  # Mixed_6b..6e
    import torch

    seven = b.branch7x7_3(b.branch7x7_2(b.branch7x7_1(x)))
    dbl = x
    for k in range(1, 6):
        dbl = getattr(b, f"branch7x7dbl_{k}")(dbl)
    return torch.cat([b.branch1x1(x), seven, dbl, b.branch_pool(_avg_pool_tf(x))], 1)


def _mixed_e(b, x, pool):  # Mixed_7b (average pool) and Mixed_7c (max pool)
    import torch

    three = b.branch3x3_1(x)
    three = torch.cat([b.branch3x3_2a(three), b.branch3x3_2b(three)], 1)
    dbl = b.branch3x3dbl_2(b.branch3x3dbl_1(x))
    dbl = torch.cat([b.branch3x3dbl_3a(dbl), b.branch3x3dbl_3b(dbl)], 1)
    return torch.cat([b.branch1x1(x), three, dbl, b.branch_pool(pool(x))], 1)


class FIDInception:
    """Callable feature extractor: uint8 images [N,H,W,3] -> float64 features [N,2048]."""

    def __init__(self, net, mode: str = "tf-graph", device: str = "cpu"):
        if mode not in MODES:
            raise ValueError(f"unknown Inception input mode {mode!r}; known: {MODES}")
        self.net, self.mode, self.device = net.eval().to(device), mode, device

    def prepare(self, images: np.ndarray):
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
        if self.mode == "tf-graph":
            return (tf_legacy_resize_bilinear(x, 299, 299) - 128.0) / 128.0
        x = F.interpolate(x / 255.0, size=(299, 299), mode="bilinear", align_corners=False)
        return 2.0 * x - 1.0

    def features(self, x):
        """pool_3 of the prepared [N,3,299,299] batch."""
        n = self.net
        for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                     "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2"):
            x = getattr(n, name)(x)
        for name in ("Mixed_5b", "Mixed_5c", "Mixed_5d"):
            x = _mixed_a(getattr(n, name), x)
        x = n.Mixed_6a(x)  # reduction block: max pool, same as TF
        for name in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"):
            x = _mixed_c(getattr(n, name), x)
        x = n.Mixed_7a(x)  # reduction block
        x = _mixed_e(n.Mixed_7b, x, _avg_pool_tf)
        x = _mixed_e(n.Mixed_7c, x, _max_pool_same)
        return x.mean(dim=(2, 3))  # pool_3: 8x8 average -> 2048

    def __call__(self, images: np.ndarray) -> np.ndarray:
        import torch

        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected uint8 images [N,H,W,3], got {images.shape}")
        with torch.no_grad():
            out = self.features(self.prepare(images).to(self.device))
        return out.cpu().numpy().astype(np.float64)


def build_network():
    """torchvision's Inception3 containers with the FID graph's head size (1008 classes)."""
    from torchvision.models.inception import Inception3

    return Inception3(num_classes=1008, aux_logits=False, init_weights=False)


def load_fid_inception(path: Path, mode: str = "tf-graph", device: str = "cpu",
                       sha256: str = WEIGHTS_SHA256, accept_unverified: bool = False) -> FIDInception:
    """Verify ``path`` against the published SHA-256, load it strictly, return the extractor.
    ``accept_unverified``: a mismatch is logged, not fatal (a subset rehearsal; the records'
    provenance says so, fixtures/artifacts.py)."""
    from harness.checkpoints import load_strict, plain_state_dict, verify_checksum

    path = Path(path)
    verify_checksum(path, sha256=sha256, accept_unverified=accept_unverified)
    net = build_network()
    load_strict(net, plain_state_dict(path), origin=str(path))
    return FIDInception(net, mode, device)
