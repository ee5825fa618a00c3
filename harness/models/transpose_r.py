"""TransPose-R-A3 (Yang et al., "TransPose: Keypoint Localization via Transformer", 2021).

Module names equal the upstream state_dict keys (yangsenius/TransPose
``lib/models/transpose_r.py``), so ``tp_r_256x192_enc3_d256_h1024_mh8.pth`` loads unchanged.
Written from the description in ``shared/reference/models_pose_cls.md`` section A.2:

* stem: 7x7/2 conv, BN, ReLU, 3x3/2 max pool (256x192 -> 64x48);
* the first two ResNet-50 stages (Bottleneck x [3, 4], stride on the 3x3 conv) -> 512x32x24;
* ``reduce``: 1x1 conv 512 -> 256 (no bias), flattened row-major into 768 tokens,
  sequence-first ``[768, bs, 256]``;
* a fixed 2-D sine positional encoding ``pos_embedding`` [768, 1, 256] (channels 0..127
  encode the row, 128..255 the column), added to queries and keys in every layer;
* 3 post-norm DETR encoder layers (8 heads, FFN 1024, ReLU, LayerNorm eps 1e-5);
* back to ``[bs, 256, 32, 24]``, one 4x4/2 transposed conv + BN + ReLU -> 64x48, and a
  1x1 conv to 17 raw heatmaps (no sigmoid).

Dropout modules hold no parameters and are inactive in eval mode, so they are left out.
"""
from __future__ import annotations

import math

import torch
from torch import nn

BN_MOMENTUM = 0.1


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1 -> 3x3 (carries the stride) -> 1x1 (x4), residual add."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(out + residual)


class EncoderLayer(nn.Module):
    """DETR's post-norm encoder layer: positions are added to queries and keys only."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int):
        super().__init__()
        # dropout=0.1 as upstream: it only matters in training, but keeps the module identical.
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.1)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.activation = nn.ReLU()

    def forward(self, src, pos):
        q = k = src + pos
        attended = self.self_attn(q, k, value=src)[0]
        src = self.norm1(src + attended)
        return self.norm2(src + self.linear2(self.activation(self.linear1(src))))


class Encoder(nn.Module):
    """A stack of encoder layers without a final norm; ``pos`` enters every layer."""

    def __init__(self, num_layers: int, d_model: int, nhead: int, dim_feedforward: int):
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(d_model, nhead, dim_feedforward)
                                    for _ in range(num_layers))

    def forward(self, src, pos):
        for layer in self.layers:
            src = layer(src, pos)
        return src


def sine_position_embedding(height: int, width: int, d_model: int,
                            temperature: float = 10000.0, scale: float = 2 * math.pi) -> torch.Tensor:
    """The fixed 2-D sine encoding, ``[height * width, 1, d_model]`` (row-major positions).

    Row and column indices 1..n are normalised to (0, 2*pi]; each axis gets d_model/2
    features sin(p / t_0), cos(p / t_1), sin(p / t_2), ... with t_i = T^(2*floor(i/2)/(d/2));
    the row features come first. Computed in float32 in the order upstream computes it,
    so it equals the checkpoint's stored tensor.
    """
    feats = d_model // 2
    ones = torch.ones(1, height, width)
    y = ones.cumsum(1, dtype=torch.float32)
    x = ones.cumsum(2, dtype=torch.float32)
    eps = 1e-6
    y = y / (y[:, -1:, :] + eps) * scale
    x = x / (x[:, :, -1:] + eps) * scale
    dim_t = torch.arange(feats, dtype=torch.float32)
    dim_t = temperature ** (2 * (dim_t // 2) / feats)

    def encode(p):
        p = p[:, :, :, None] / dim_t
        return torch.stack((p[..., 0::2].sin(), p[..., 1::2].cos()), dim=4).flatten(3)

    pos = torch.cat((encode(y), encode(x)), dim=3).permute(0, 3, 1, 2)  # [1, d, h, w]
    return pos.flatten(2).permute(2, 0, 1)  # [h*w, 1, d]


class TransPoseR(nn.Module):
    """TransPose-R: ResNet-S features, a Transformer encoder, a deconvolution head."""

    def __init__(self, layers=(3, 4), d_model: int = 256, nhead: int = 8, dim_feedforward: int = 1024,
                 encoder_layers: int = 3, num_joints: int = 17, image_size=(192, 256)):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.reduce = nn.Conv2d(self.inplanes, d_model, 1, bias=False)
        width, height = image_size
        self.pe_h, self.pe_w = height // 8, width // 8
        # A Parameter (not a buffer) because the checkpoint stores it as one.
        self.pos_embedding = nn.Parameter(
            sine_position_embedding(self.pe_h, self.pe_w, d_model), requires_grad=False)
        self.global_encoder = Encoder(encoder_layers, d_model, nhead, dim_feedforward)
        self.deconv_layers = nn.Sequential(
            nn.ConvTranspose2d(d_model, d_model, 4, stride=2, padding=1, output_padding=0, bias=False),
            nn.BatchNorm2d(d_model, momentum=BN_MOMENTUM),
            nn.ReLU(inplace=True),
        )
        self.final_layer = nn.Conv2d(d_model, num_joints, 1, stride=1, padding=0)
        self._init_encoder()

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion, momentum=BN_MOMENTUM),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def _init_encoder(self):
        # Upstream initialises every matrix of the encoder with Xavier-uniform; only matters
        # for random weights (it keeps attention logits in a sane range).
        for p in self.global_encoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.reduce(self.layer2(self.layer1(x)))
        bs, c, h, w = x.shape
        tokens = x.flatten(2).permute(2, 0, 1)  # [h*w, bs, c], token = row * w + col
        tokens = self.global_encoder(tokens, self.pos_embedding)
        x = tokens.permute(1, 2, 0).contiguous().view(bs, c, h, w)
        return self.final_layer(self.deconv_layers(x))


def transpose_r_a3() -> TransPoseR:
    """TransPose-R-A3 at 256x192: d_model 256, 8 heads, FFN 1024, 3 encoder layers."""
    return TransPoseR(layers=(3, 4), d_model=256, nhead=8, dim_feedforward=1024, encoder_layers=3)
