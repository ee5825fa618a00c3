"""ImageNet classifiers from the libraries the ModelZoo guides name, under the guides' names.

A guide's pth2onnx script builds its model from torchvision (``models.resnet18()``),
timm (``timm.create_model('spnasnet_100')``) or Cadene's pretrainedmodels
(``pretrainedmodels.__dict__['se_resnet50']``) and loads the upstream checkpoint into it.
``LibraryModel`` names one such constructor; ``build`` calls it with the library's own
module names, so the upstream state_dict loads unchanged (strictly, through
``harness.checkpoints``). The library versions are pinned in requirements.txt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

LIBRARIES = ("torchvision", "timm", "pretrainedmodels")


class ModelLibraryError(ValueError):
    """A member names a library or constructor that does not exist."""


@dataclass(frozen=True)
class LibraryModel:
    """``library``'s constructor ``name`` called with ``kwargs`` (never with pretrained
    weights: the suite loads the checkpoint itself, verified by checksum)."""

    library: str
    name: str
    kwargs: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self):
        if self.library not in LIBRARIES:
            raise ModelLibraryError(f"model library {self.library!r}: expected one of {LIBRARIES}")

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs)
        return f"{self.library} {self.name}({args})"


def build(ref: LibraryModel):
    """A freshly initialised ``torch.nn.Module`` (train mode, as the constructor returns it)."""
    kwargs = dict(ref.kwargs)
    if ref.library == "torchvision":
        import torchvision.models as tv

        ctor = getattr(tv, ref.name, None)
        if ctor is None:
            raise ModelLibraryError(f"torchvision.models has no {ref.name!r}")
        return ctor(weights=None, **kwargs)
    if ref.library == "timm":
        import timm

        if ref.name not in timm.list_models():
            raise ModelLibraryError(f"timm has no model {ref.name!r}")
        return without_fused_attention(timm.create_model(ref.name, pretrained=False, **kwargs))
    pretrainedmodels = _import_keeping_rng("pretrainedmodels")
    ctor = pretrainedmodels.__dict__.get(ref.name)
    if ctor is None:
        raise ModelLibraryError(f"pretrainedmodels has no {ref.name!r}")
    return ctor(num_classes=kwargs.pop("num_classes", 1000), pretrained=None, **kwargs)


def _import_keeping_rng(name: str):
    """Import ``name`` without touching PyTorch's random state: importing pretrainedmodels
    draws from it, so a model seeded right before its first import would get other weights
    than the same seed gives afterwards (the synthetic tier's weights must be a function of
    the seed alone)."""
    import importlib

    import torch

    state = torch.random.get_rng_state()
    module = importlib.import_module(name)
    torch.random.set_rng_state(state)
    return module


def without_fused_attention(model):
    """timm 1.0 computes attention with ``scaled_dot_product_attention``, which ONNX opset 11
    (the guides' opset) cannot express; the timm releases the guides pin (0.3-0.4) computed
    it explicitly (matmul, softmax, matmul), as timm 1.0 still does with ``fused_attn`` off.
    Same weights, same graph shape as the guides exported."""
    for module in model.modules():
        if hasattr(module, "fused_attn"):
            module.fused_attn = False
    return model


def wrapped_state_dict(key: str):
    """A checkpoint loader for files that keep the state_dict under ``key`` (the DeiT
    release's ``{'model': ...}``); plain state_dicts pass through unchanged."""
    def load(path: Path) -> Mapping[str, Any]:
        from harness.checkpoints import CheckpointError, safe_torch_load, strip_prefix

        obj = safe_torch_load(path)
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
        if not isinstance(obj, Mapping):
            raise CheckpointError(f"{path}: expected a state_dict (or one under {key!r}), "
                                  f"got {type(obj).__name__}")
        return strip_prefix(obj, "module.")
    load.__name__ = f"state_dict_under_{key}"
    return load


_OLD_DENSENET_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def densenet_state_dict(path: Path) -> Mapping[str, Any]:
    """torchvision's published DenseNet files (``densenet121-a639ec97.pth``) predate the
    module names torchvision uses now: ``...denselayer1.norm.1.weight`` is today's
    ``...denselayer1.norm1.weight``. torchvision renames them when it loads its own
    weights, and so does the guide's pth2onnx script; so does this loader."""
    from harness.checkpoints import plain_state_dict

    state = plain_state_dict(path)
    renamed = {}
    for key, value in state.items():
        m = _OLD_DENSENET_KEY.match(key)
        renamed[m.group(1) + m.group(2) if m else key] = value
    return renamed
