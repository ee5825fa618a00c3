"""DG-Net's generator path (NVlabs/DG-Net @ c7771598, Market-1501 config ``latest.yaml``).

What the DG-Net guide exports (shared/reference/models_reid.md section 3.1):
``output = gen_a.decode(gen_a.encode(image1), id_a(image2)[0])`` where image1 is the grey
structure image [N,1,256,128], image2 the ImageNet-normalised appearance image
[N,3,256,128], and the output a generated image in ImageNet-normalised space.

Module names equal upstream's, so the two checkpoint files load unchanged:
``gen_00100000.pt`` = ``{'a': gen_a.state_dict()}`` (134 keys) and ``id_00100000.pt`` =
``{'a': id_a.state_dict()}``; here they live under the prefixes ``gen_a.`` and ``id_a.``.

Two numerical forms, switched by ``use_export_form``:

* upstream (default, what ``build_model`` returns): ``nn.ReflectionPad2d``; AdaIN through
  ``F.batch_norm(training=True)`` on the (1, N*C, H, W) view; LayerNorm with the
  *unbiased* ``Tensor.std``.
* the guide's ``DG-net.patch`` (what the guide exports): reflect padding built from slices,
  flips and concatenation (no ONNX ``Pad``), AdaIN statistics written out (mean, biased
  variance, sqrt), LayerNorm with the *biased* std. Same maths except that last point
  (relative effect ~1/(2*C*H*W)); see the guide record's departures.

AdaIN parameters are passed explicitly through the decoder instead of being assigned to
module attributes before each call as upstream does; the values and the order (module
order, 128 per layer, w1..w4 / b1..b4 concatenated) are upstream's.
"""
from __future__ import annotations

import copy
from typing import Iterator, Optional

import torch
import torch.nn.functional as F
from torch import nn

ID_CLASSES = 751  # Market-1501 training identities (config ID_class)
LRELU = 0.2


def reflect_pad_slices(x: torch.Tensor, p: int) -> torch.Tensor:
    """Reflect padding from slices, flips and concatenation (the patch's ``pad_replace``):
    rows first, then columns. Equal to ``nn.ReflectionPad2d(p)``; exports without ``Pad``."""
    if p == 0:
        return x
    top = torch.flip(x[:, :, 1:p + 1], dims=[2])
    bottom = torch.flip(x[:, :, -p - 1:-1], dims=[2])
    x = torch.cat([top, x, bottom], dim=2)
    left = torch.flip(x[:, :, :, 1:p + 1], dims=[3])
    right = torch.flip(x[:, :, :, -p - 1:-1], dims=[3])
    return torch.cat([left, x, right], dim=3)


class AdaptiveInstanceNorm2d(nn.Module):
    """Instance normalisation whose scale and shift come from the appearance code."""

    export_form = False

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        # Upstream's unused buffers: they are in the checkpoint, so they exist here.
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x, weight, bias):
        """``weight``/``bias``: [N, C] from the MLPs."""
        b, c = x.shape[:2]
        if self.export_form:
            mean = x.mean(dim=(2, 3), keepdim=True)
            var = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True)
            normed = (x - mean) / torch.sqrt(var + self.eps)
            return normed * weight.reshape(b, c, 1, 1) + bias.reshape(b, c, 1, 1)
        # Copies of the buffers, as upstream: the training-mode update hits the copies.
        out = F.batch_norm(x.contiguous().view(1, b * c, *x.shape[2:]),
                           self.running_mean.repeat(b).type_as(x), self.running_var.repeat(b).type_as(x),
                           weight.reshape(-1), bias.reshape(-1), True, self.momentum, self.eps)
        return out.view(b, c, *x.shape[2:])


class LayerNorm(nn.Module):
    """DG-Net's LayerNorm: per sample over C*H*W, (x - mean) / (std + eps), per-channel affine."""

    export_form = False

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.gamma = nn.Parameter(torch.empty(num_features).uniform_())
        self.beta = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        shape = [-1] + [1] * (x.dim() - 1)
        flat = x.reshape(x.shape[0], -1)
        mean = flat.mean(1).view(*shape)
        if self.export_form:  # the patch: biased std, written out
            std = torch.sqrt((x - mean).pow(2).reshape(x.shape[0], -1).mean(1)).view(*shape)
        else:  # upstream: Tensor.std, unbiased
            std = flat.std(1).view(*shape)
        x = (x - mean) / (std + self.eps)
        affine = [1, -1] + [1] * (x.dim() - 2)
        return x * self.gamma.view(*affine) + self.beta.view(*affine)


class Conv2dBlock(nn.Module):
    """reflect pad -> conv (bias) -> norm ("in", "ln", "adain", "none") -> activation."""

    export_form = False

    def __init__(self, in_dim, out_dim, kernel, stride, padding=0, norm="none",
                 activation="lrelu", dilation=1):
        super().__init__()
        self.padding = padding
        self.pad = nn.ReflectionPad2d(padding)
        self.norm = {"in": lambda: nn.InstanceNorm2d(out_dim), "ln": lambda: LayerNorm(out_dim),
                     "adain": lambda: AdaptiveInstanceNorm2d(out_dim), "none": lambda: None}[norm]()
        self.activation = nn.LeakyReLU(LRELU) if activation == "lrelu" else None
        self.conv = nn.Conv2d(in_dim, out_dim, kernel, stride, dilation=dilation, bias=True)

    def forward(self, x, style=None):
        x = reflect_pad_slices(x, self.padding) if self.export_form else self.pad(x)
        x = self.conv(x)
        if isinstance(self.norm, AdaptiveInstanceNorm2d):
            x = self.norm(x, *style)
        elif self.norm is not None:
            x = self.norm(x)
        return self.activation(x) if self.activation is not None else x


class ResBlock(nn.Module):
    def __init__(self, dim, norm):
        super().__init__()
        self.model = nn.Sequential(Conv2dBlock(dim, dim, 3, 1, 1, norm=norm, activation="lrelu"),
                                   Conv2dBlock(dim, dim, 3, 1, 1, norm=norm, activation="none"))

    def forward(self, x, styles: Optional[Iterator] = None):
        out = x
        for block in self.model:
            out = block(out, next(styles) if styles is not None else None)
        return out + x


class ResBlocks(nn.Module):
    def __init__(self, n, dim, norm):
        super().__init__()
        self.model = nn.Sequential(*[ResBlock(dim, norm) for _ in range(n)])

    def forward(self, x, styles: Optional[Iterator] = None):
        for block in self.model:
            x = block(x, styles)
        return x


class ASPP(nn.Module):
    """Atrous pyramid on the 64-channel map: 1x1 branch + three dilated branches, fused."""

    def __init__(self, dim):
        super().__init__()
        half = dim // 2
        self.conv1 = Conv2dBlock(dim, half, 1, 1, 0, norm="in", activation="none")
        for rate in (6, 12, 18):
            d = rate // 2  # upstream names the branches 6/12/18 but dilates by 3/6/9
            setattr(self, f"conv{rate}", nn.Sequential(
                Conv2dBlock(dim, half, 1, 1, 0, norm="in", activation="lrelu"),
                Conv2dBlock(half, half, 3, 1, d, norm="in", activation="none", dilation=d)))
        self.fuse = Conv2dBlock(4 * half, 2 * dim, 1, 1, 0, norm="in", activation="none")

    def forward(self, x):
        return self.fuse(torch.cat([self.conv1(x), self.conv6(x), self.conv12(x), self.conv18(x)], 1))


class ContentEncoder(nn.Module):
    """Structure encoder: 1 -> 16 (s2) -> 32 -> 32 -> 64 (s2), 4 ResBlocks, ASPP -> 128."""

    def __init__(self, in_dim=1, dim=16, n_res=4):
        super().__init__()
        self.model = nn.Sequential(
            Conv2dBlock(in_dim, dim, 3, 2, 1, norm="in"),
            Conv2dBlock(dim, 2 * dim, 3, 1, 1, norm="in"),
            Conv2dBlock(2 * dim, 2 * dim, 3, 1, 1, norm="in"),
            Conv2dBlock(2 * dim, 4 * dim, 3, 2, 1, norm="in"),
            ResBlocks(n_res, 4 * dim, "in"),
            ASPP(4 * dim))
        self.output_dim = 8 * dim

    def forward(self, x):
        return self.model(x)


class Decoder(nn.Module):
    """4 AdaIN ResBlocks, two (upsample x2 -> 5x5 conv + LayerNorm), two 3x3, a 1x1 to RGB."""

    def __init__(self, dim=128, n_res=4, out_dim=3):
        super().__init__()
        self.model = nn.Sequential(
            nn.Dropout(p=0.0),
            ResBlocks(n_res, dim, "adain"),
            nn.Upsample(scale_factor=2),
            Conv2dBlock(dim, dim // 2, 5, 1, 2, norm="ln"),
            nn.Upsample(scale_factor=2),
            Conv2dBlock(dim // 2, dim // 4, 5, 1, 2, norm="ln"),
            Conv2dBlock(dim // 4, dim // 4, 3, 1, 1, norm="none"),
            Conv2dBlock(dim // 4, dim // 4, 3, 1, 1, norm="none"),
            Conv2dBlock(dim // 4, out_dim, 1, 1, 0, norm="none", activation="none"))

    def forward(self, x, styles: Iterator):
        for layer in self.model:
            x = layer(x, styles) if isinstance(layer, ResBlocks) else layer(x)
        return x


class LinearBlock(nn.Module):
    def __init__(self, in_dim, out_dim, activation="lrelu"):
        super().__init__()
        self.fc = nn.Linear(in_dim, out_dim)
        self.activation = nn.LeakyReLU(LRELU) if activation == "lrelu" else None

    def forward(self, x):
        x = self.fc(x)
        return self.activation(x) if self.activation is not None else x


class MLP(nn.Module):
    """2048 -> 512 -> 512 -> 256 (lrelu between, none at the end)."""

    def __init__(self, in_dim=2048, out_dim=256, dim=512):
        super().__init__()
        self.model = nn.Sequential(LinearBlock(in_dim, dim), LinearBlock(dim, dim),
                                   LinearBlock(dim, out_dim, activation="none"))

    def forward(self, x):
        return self.model(x.reshape(x.shape[0], -1))


class AdaINGen(nn.Module):
    """``gen_a``: structure encoder, decoder, and the eight MLPs giving AdaIN parameters."""

    def __init__(self, in_dim=1, dim=16, n_res=4, id_dim=2048, mlp_dim=512):
        super().__init__()
        self.enc_content = ContentEncoder(in_dim, dim, n_res)
        self.output_dim = self.enc_content.output_dim
        self.dec = Decoder(self.output_dim, n_res, 3)
        for kind in ("w", "b"):
            for k in range(1, 5):
                setattr(self, f"mlp_{kind}{k}", MLP(id_dim, 2 * self.output_dim, mlp_dim))
        # Upstream's init ('kaiming' in latest.yaml): conv/linear weights kaiming-normal
        # (fan_in), biases zero. Only matters for the random-weight tier: it keeps the
        # generated images varied, as a trained generator's are.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, a=0, mode="fan_in")
                nn.init.zeros_(m.bias)

    def encode(self, x):
        return self.enc_content(x)

    def decode(self, content, appearance):
        parts = [appearance[:, 2048 * k:2048 * (k + 1)] for k in range(4)]
        w = torch.cat([getattr(self, f"mlp_w{k + 1}")(p) for k, p in enumerate(parts)], 1)
        b = torch.cat([getattr(self, f"mlp_b{k + 1}")(p) for k, p in enumerate(parts)], 1)
        dim = self.output_dim
        styles = iter([(w[:, i:i + dim], b[:, i:i + dim]) for i in range(0, w.shape[1], dim)])
        return self.dec(content, styles)


class ClassBlock(nn.Module):
    """Linear 2048 -> 512, BN, dropout, Linear 512 -> classes (training heads; unused here)."""

    def __init__(self, in_dim, classes, droprate, bottleneck=512):
        super().__init__()
        self.add_block = nn.Sequential(nn.Linear(in_dim, bottleneck), nn.BatchNorm1d(bottleneck),
                                       nn.Dropout(p=droprate))
        self.classifier = nn.Sequential(nn.Linear(bottleneck, classes))

    def forward(self, x):
        return self.classifier(self.add_block(x))


class FtNetAB(nn.Module):
    """``id_a`` (upstream ``ft_netAB``): torchvision ResNet-50 with stride-1 layer4, four
    max-pooled horizontal parts, flattened channel-major to 8192 (index = c*4 + part)."""

    parts = 4

    def __init__(self, classes=ID_CLASSES, stride=1):
        super().__init__()
        from torchvision.models import resnet50

        model = resnet50(weights=None)
        model.partpool = nn.AdaptiveMaxPool2d((self.parts, 1))
        model.avgpool = nn.AdaptiveMaxPool2d((1, 1))  # config pool: max
        if stride == 1:
            model.layer4[0].downsample[0].stride = (1, 1)
            model.layer4[0].conv2.stride = (1, 1)
        self.model = model
        self.classifier1 = ClassBlock(2048, classes, 0.5)
        self.classifier2 = ClassBlock(2048, classes, 0.75)

    def backbone(self, x):
        m = self.model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        return m.layer4(m.layer3(m.layer2(m.layer1(x))))

    def appearance(self, x):
        """The appearance code f [N, 8192] (what the generator uses)."""
        f = self.model.partpool(self.backbone(x))
        return f.reshape(f.shape[0], f.shape[1] * self.parts)

    def forward(self, x):
        """Upstream's outputs: (f, [logits1, logits2])."""
        feat = self.backbone(x)
        f = self.model.partpool(feat)
        f = f.reshape(f.shape[0], f.shape[1] * self.parts)
        pooled = self.model.avgpool(feat).flatten(1)
        return f, [self.classifier1(pooled), self.classifier2(pooled)]


class DGNetGenerator(nn.Module):
    """The exported model: forward(structure [N,1,256,128], appearance [N,3,256,128])."""

    def __init__(self):
        super().__init__()
        self.gen_a = AdaINGen()
        self.id_a = FtNetAB()

    def forward(self, x_a, x_b):
        return self.gen_a.decode(self.gen_a.encode(x_a), self.id_a.appearance(x_b))


def dgnet_generator() -> DGNetGenerator:
    return DGNetGenerator()


def use_export_form(model: nn.Module, enabled: bool = True) -> nn.Module:
    """Switch every padding/AdaIN/LayerNorm module of ``model`` (in place) to the patch's form."""
    for m in model.modules():
        if isinstance(m, (Conv2dBlock, AdaptiveInstanceNorm2d, LayerNorm)):
            m.export_form = enabled
    return model


def export_form_copy(model: nn.Module) -> nn.Module:
    """The guide's export adapter: a copy in the patch's form (the original stays upstream's,
    so PyTorch references keep computing what upstream computes)."""
    return use_export_form(copy.deepcopy(model), True).eval()


# -- checkpoint ------------------------------------------------------------------------------
GEN_FILE = "gen_00100000.pt"
ID_FILE = "id_00100000.pt"


def load_checkpoint_pair(gen_path) -> dict:
    """The two files of a DG-Net checkpoint as one state_dict for ``DGNetGenerator``.

    ``gen_path`` is ``.../checkpoints/gen_00100000.pt``; ``id_00100000.pt`` is read from the
    same folder. Each holds ``{'a': state_dict}`` (upstream's trainer saves them so); their
    keys get the ``gen_a.`` / ``id_a.`` prefixes. Loaded with ``weights_only=True``.
    """
    from pathlib import Path

    from harness.checkpoints import CheckpointError, safe_torch_load

    gen_path = Path(gen_path)
    state = {}
    for prefix, path in (("gen_a.", gen_path), ("id_a.", gen_path.parent / ID_FILE)):
        if not path.is_file():
            raise CheckpointError(f"DG-Net checkpoint part not found: {path} (gen_00100000.pt and "
                                  "id_00100000.pt belong in the same checkpoints/ folder)")
        obj = safe_torch_load(path)
        inner = obj.get("a") if isinstance(obj, dict) else None
        if not isinstance(inner, dict):
            raise CheckpointError(f"{path}: expected {{'a': state_dict}} as DG-Net's trainer saves it, "
                                  f"got {type(obj).__name__} with keys {list(obj)[:5] if isinstance(obj, dict) else '-'}")
        state.update({prefix + k: v for k, v in inner.items()})
    return state
