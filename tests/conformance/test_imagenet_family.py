"""The ImageNet classification family's conformance: the five stages, once per member.

One test class per member of ``harness.guides.imagenet_family`` (``TestMember_<name>``),
all sharing ``FamilyStages``: the family's machinery is one implementation, each member
brings its own numbers. A default run covers the family's default members; ``--family-
members all`` runs every one (fixtures/family.py), ``-k <member>`` exactly that one.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from harness.guides import imagenet_family
from tests.conformance.stages import GuideStages


class FamilyStages(GuideStages):
    """Stages of a family member; the preprocessing recipe is restated here from the
    guides' scripts, independently of harness/preprocess/imagenet.py."""

    per_sample_label = "top-5 classes"

    def reference_preprocess(self, samples, sample_id):
        """The member's preprocessing script, restated: ``imagenet_torch_preprocess.py``
        (PIL resize of the shorter side, PIL crop at rounded offsets, CHW, /255, -mean,
        /std) or the NumPy variant of VGG16's and GoogleNet's scripts (resize to a size or
        a shorter side, float32 HWC crop at truncated offsets, /255, -mean, /std per
        channel, then CHW)."""
        member = imagenet_family.member(self.guide_name)
        cfg, key = member.preprocess, f"main/{member.input_name}"
        resample = Image.BICUBIC if cfg.interpolation == "bicubic" else Image.BILINEAR
        img = Image.open(samples.images[sample_id]).convert("RGB")
        img = _script_resize(img, cfg.resize, resample)
        if cfg.crop_offsets == "floor":
            return {key: _numpy_crop_recipe(img, cfg)}
        w, h = img.size
        top, left = int(round((h - cfg.crop) / 2.)), int(round((w - cfg.crop) / 2.))
        img = img.crop((left, top, left + cfg.crop, top + cfg.crop))
        arr = np.array(img, dtype=np.float32).transpose(2, 0, 1) / 255.
        arr -= np.array(cfg.mean, dtype=np.float32)[:, None, None]
        arr /= np.array(cfg.std, dtype=np.float32)[:, None, None]
        return {key: arr}


def _script_resize(img, size, resample):
    """The scripts' ``resize``: an int is the shorter side (longer side truncated, left
    alone when it already fits), a pair is (height, width)."""
    if not isinstance(size, int):
        return img.resize(tuple(size)[::-1], resample)
    w, h = img.size
    if (w <= h and w == size) or (h <= w and h == size):
        return img
    if w < h:
        return img.resize((size, int(size * h / w)), resample)
    return img.resize((int(size * w / h), size), resample)


def _numpy_crop_recipe(img, cfg):
    arr = np.array(img, dtype=np.float32)
    height, width, _ = arr.shape
    left, top = int((width - cfg.crop) / 2), int((height - cfg.crop) / 2)
    arr = arr[top:top + cfg.crop, left:left + cfg.crop] / 255.
    for c in range(3):
        arr[..., c] -= cfg.mean[c]
        arr[..., c] /= cfg.std[c]
    return arr.transpose(2, 0, 1)


for _name in imagenet_family.member_names():
    _cls = type(f"TestMember_{_name}", (FamilyStages,), {
        "guide_name": _name,
        "__doc__": f"{imagenet_family.member(_name).title} ({imagenet_family.member(_name).folder}).",
        "__module__": __name__,
    })
    globals()[_cls.__name__] = _cls
del _name, _cls
