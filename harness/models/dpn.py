"""DPN-131 (Dual Path Networks, Chen et al. 2017) as in Cadene's ``pretrainedmodels``.

Module names equal the upstream state_dict keys, so ``dpn131-7af84be88.pth`` loads
unchanged (``features.conv1_1.conv.weight`` ... ``last_linear.bias``). Written from the
architecture description in ``shared/reference/models_pose_cls.md`` section B.2:

* every 1x1/3x3 unit is pre-activation: BatchNorm(eps=1e-3) -> ReLU -> Conv (no bias);
* a dual-path block keeps a residual path (added) and a densely connected path
  (concatenated); the first block of a stage projects the input ("proj" stride 1 in
  stage 2, "down" stride 2 afterwards);
* the classifier ``last_linear`` is a 1x1 convolution;
* the eval head, with ``test_time_pool`` (upstream default): 7x7 average pool with stride 1,
  the classifier, then the mean of global average and global max pooling. The guide's
  ``dpn.diff`` switches that head off for export (global average pool, then the
  classifier); at 224x224 both heads give the same logits.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3


class BnActConv2d(nn.Module):
    """Pre-activation unit: BN -> ReLU -> conv (no bias)."""

    def __init__(self, in_chs, out_chs, kernel_size, stride, padding=0, groups=1):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_chs, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding, groups=groups, bias=False)

    def forward(self, x):
        return self.conv(self.act(self.bn(x)))


class InputBlock(nn.Module):
    """Stem: 7x7/2 conv -> BN -> ReLU -> 3x3/2 max pool."""

    def __init__(self, num_init_features, kernel_size=7, padding=3):
        super().__init__()
        self.conv = nn.Conv2d(3, num_init_features, kernel_size, stride=2, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(num_init_features, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        return self.pool(self.act(self.bn(self.conv(x))))


class CatBnAct(nn.Module):
    """Concatenate the two paths, then BN -> ReLU (the final ``conv5_bn_ac``)."""

    def __init__(self, in_chs):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_chs, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        if isinstance(x, tuple):
            x = torch.cat(x, dim=1)
        return self.act(self.bn(x))


class DualPathBlock(nn.Module):
    def __init__(self, in_chs, num_1x1_a, num_3x3_b, num_1x1_c, inc, groups, block_type="normal"):
        super().__init__()
        self.num_1x1_c = num_1x1_c
        key_stride = 2 if block_type == "down" else 1
        self.has_proj = block_type in ("proj", "down")
        if block_type == "down":
            self.c1x1_w_s2 = BnActConv2d(in_chs, num_1x1_c + 2 * inc, 1, stride=2)
        elif block_type == "proj":
            self.c1x1_w_s1 = BnActConv2d(in_chs, num_1x1_c + 2 * inc, 1, stride=1)
        self.key_stride = key_stride
        self.c1x1_a = BnActConv2d(in_chs, num_1x1_a, 1, stride=1)
        self.c3x3_b = BnActConv2d(num_1x1_a, num_3x3_b, 3, stride=key_stride, padding=1, groups=groups)
        self.c1x1_c = BnActConv2d(num_3x3_b, num_1x1_c + inc, 1, stride=1)

    def forward(self, x):
        x_in = torch.cat(x, dim=1) if isinstance(x, tuple) else x
        if self.has_proj:
            proj = self.c1x1_w_s2 if self.key_stride == 2 else self.c1x1_w_s1
            x_s = proj(x_in)
            x_s1, x_s2 = x_s[:, : self.num_1x1_c], x_s[:, self.num_1x1_c:]
        else:
            x_s1, x_s2 = x
        out = self.c1x1_c(self.c3x3_b(self.c1x1_a(x_in)))
        out1, out2 = out[:, : self.num_1x1_c], out[:, self.num_1x1_c:]
        return x_s1 + out1, torch.cat([x_s2, out2], dim=1)


class DPN(nn.Module):
    def __init__(self, num_init_features=64, k_r=96, groups=32, k_sec=(3, 4, 20, 3),
                 inc_sec=(16, 32, 24, 128), num_classes=1000, test_time_pool=True):
        super().__init__()
        self.test_time_pool = test_time_pool
        bw_factor = 4  # "small" variants (not DPN-131) use 1
        blocks: "OrderedDict[str, nn.Module]" = OrderedDict()
        blocks["conv1_1"] = InputBlock(num_init_features, kernel_size=7, padding=3)
        in_chs = num_init_features
        for stage, (n_blocks, inc, width) in enumerate(zip(k_sec, inc_sec, (64, 128, 256, 512)), start=2):
            bw = width * bw_factor
            r = (k_r * bw) // (64 * bw_factor)
            first = "proj" if stage == 2 else "down"
            blocks[f"conv{stage}_1"] = DualPathBlock(in_chs, r, r, bw, inc, groups, first)
            in_chs = bw + 3 * inc
            for i in range(2, n_blocks + 1):
                blocks[f"conv{stage}_{i}"] = DualPathBlock(in_chs, r, r, bw, inc, groups, "normal")
                in_chs += inc
        blocks["conv5_bn_ac"] = CatBnAct(in_chs)
        self.features = nn.Sequential(blocks)
        self.last_linear = nn.Conv2d(in_chs, num_classes, kernel_size=1, bias=True)

    def logits(self, features):
        if not self.training and self.test_time_pool:
            x = F.avg_pool2d(features, kernel_size=7, stride=1)
            out = self.last_linear(x)
            out = 0.5 * (F.adaptive_avg_pool2d(out, 1) + F.adaptive_max_pool2d(out, 1))
        else:
            out = self.last_linear(F.adaptive_avg_pool2d(features, 1))
        return out.flatten(1)

    def forward(self, x):
        return self.logits(self.features(x))


def dpn131(num_classes: int = 1000, test_time_pool: bool = True) -> DPN:
    """DPN-131: 128 stem features, k_r 160, 40 groups, blocks (4, 8, 28, 3)."""
    return DPN(num_init_features=128, k_r=160, groups=40, k_sec=(4, 8, 28, 3),
               inc_sec=(16, 32, 32, 128), num_classes=num_classes, test_time_pool=test_time_pool)


def without_test_time_pool(model: DPN) -> DPN:
    """The guide's ``dpn.diff``: eval head = global average pool -> classifier."""
    model.test_time_pool = False
    return model
