"""Centroids-reid's CTL model at inference (mikwieczorek/centroids-reid, ResNet-50 on
DukeMTMC-reID), as the ModelZoo guide exports it (shared/reference/models_reid.md 2.1-2.4).

The export forward is the guide's patched ``validation_step``: ``bn(gap(base(x)))``, the
2048-d BNNeck feature, unnormalised. Module names follow the LightningModule's attribute
paths, so the checkpoint's ``backbone.base.*`` and ``bn.*`` keys load unchanged:

* ``backbone.base``: the reid-strong-baseline ResNet-50 -- Bottleneck [3, 4, 6, 3], stride
  on the 3x3 conv, **no ReLU after the stem bn1** (upstream comments it out), **last
  stride 1** (``MODEL.LAST_STRIDE``), no fc;
* ``backbone.gap``: global average pool; ``bn``: BatchNorm1d(2048) (bias frozen in
  training, still in the state dict).

The checkpoint ``dukemtmcreid_resnet50_256_128_epoch_120.ckpt`` is a PyTorch-Lightning
file: ``load_lightning_checkpoint`` reads it with ``torch.load(weights_only=True)`` and keeps
what inference needs (training-only ``fc_query`` and ``center_loss.centers`` are dropped)
plus the evaluation settings stored in ``hyper_parameters``.
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any, Mapping

from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ReidResNet(nn.Module):
    """ResNet without the stem ReLU and with a configurable last stride."""

    def __init__(self, last_stride: int = 1, layers=(3, 4, 6, 3)):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=last_stride)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, kernel_size=1,
                          stride=stride, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.bn1(self.conv1(x)))  # no ReLU here: upstream's quirk
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class Baseline(nn.Module):
    """Upstream ``Baseline``: ``base`` + global average pooling."""

    in_planes = 2048

    def __init__(self, last_stride: int = 1):
        super().__init__()
        self.base = ReidResNet(last_stride=last_stride)
        self.gap = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        base_out = self.base(x)
        return base_out, self.gap(base_out).flatten(1)


class CentroidsReidEmbedder(nn.Module):
    """The exported network: image batch -> BNNeck embedding (N x 2048)."""

    def __init__(self, last_stride: int = 1, emb_size: int = 2048):
        super().__init__()
        self.backbone = Baseline(last_stride=last_stride)
        self.bn = nn.BatchNorm1d(emb_size)

    def forward(self, x):
        _, global_feat = self.backbone(x)
        return self.bn(global_feat)


def centroids_resnet50() -> CentroidsReidEmbedder:
    """ResNet-50, last stride 1, 2048-d BNNeck (configs/256_resnet50.yml)."""
    return CentroidsReidEmbedder(last_stride=1)


# -- the Lightning checkpoint ------------------------------------------------------------
#
# A Lightning 1.1 checkpoint pickles more than tensors: ``hyper_parameters`` holds the yacs
# config (``yacs.config.CfgNode``, a dict subclass, possibly inside Lightning's
# ``AttributeDict``), and ``callbacks`` is keyed by callback *classes*. ``weights_only=True``
# refuses those globals. Instead of ever unpickling them for real, each is allow-listed
# under its name as an inert stand-in: a config node becomes a plain ``OrderedDict`` (its
# items and attributes are data; no yacs code runs) and a callback class becomes a marker
# used only as a dictionary key. Anything else outside torch's safe set is still refused,
# with a message naming it.

class _ConfigNodeStandIn:
    """Pickled config mappings rebuild as plain ``OrderedDict`` (the weights-only unpickler
    fills OrderedDicts item by item and their ``__dict__`` from BUILD, and runs nothing)."""

    def __new__(cls, *args, **kwargs):
        return OrderedDict()


class _OpaqueClassStandIn:
    """Stands in for a class that is only referenced (a dict key), never instantiated."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("an opaque stand-in is never instantiated")


LIGHTNING_STAND_INS = (
    (_ConfigNodeStandIn, "yacs.config.CfgNode"),
    (_ConfigNodeStandIn, "pytorch_lightning.utilities.parsing.AttributeDict"),
    (_OpaqueClassStandIn, "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint"),
    (_OpaqueClassStandIn, "pytorch_lightning.callbacks.early_stopping.EarlyStopping"),
    (_OpaqueClassStandIn, "pytorch_lightning.callbacks.lr_monitor.LearningRateMonitor"),
)
TRAINING_ONLY_PREFIXES = ("fc_query.", "center_loss.")


def read_lightning_checkpoint(path: Path) -> Mapping[str, Any]:
    """The whole checkpoint dict, loaded weights-only with the stand-ins above."""
    import torch

    from harness.checkpoints import CheckpointError, safe_torch_load

    with torch.serialization.safe_globals(list(LIGHTNING_STAND_INS)):
        obj = safe_torch_load(Path(path))
    if not isinstance(obj, Mapping) or not isinstance(obj.get("state_dict"), Mapping):
        raise CheckpointError(f"{path}: not a Lightning checkpoint (no 'state_dict' mapping)")
    return obj


def inference_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """``state_dict`` without the training-only heads; every other key is kept, so strict
    loading still names anything unexpected."""
    return {k: v for k, v in checkpoint["state_dict"].items()
            if not k.startswith(TRAINING_ONLY_PREFIXES)}


def load_lightning_checkpoint(path: Path) -> dict[str, Any]:
    """CheckpointSpec.loader: the inference tensors of the Lightning file."""
    return inference_state_dict(read_lightning_checkpoint(path))


def stored_hyper_parameters(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """What the guide's post-processing reads from ``hyper_parameters`` (None if absent)."""
    hp = checkpoint.get("hyper_parameters") or {}

    def get(*keys):
        node = hp
        for k in keys:
            if not isinstance(node, Mapping) or k not in node:
                return None
            node = node[k]
        return node

    return {
        "num_query": get("num_query"),
        "num_classes": get("num_classes"),
        "MODEL.USE_CENTROIDS": get("MODEL", "USE_CENTROIDS"),
        "MODEL.KEEP_CAMID_CENTROIDS": get("MODEL", "KEEP_CAMID_CENTROIDS"),
        "TEST.FEAT_NORM": get("TEST", "FEAT_NORM"),
        "SOLVER.DISTANCE_FUNC": get("SOLVER", "DISTANCE_FUNC"),
        "MODEL.LAST_STRIDE": get("MODEL", "LAST_STRIDE"),
        "MODEL.NAME": get("MODEL", "NAME"),
    }
