"""The DPN131 definition: upstream key layout, heads, and checkpoint loading."""
from __future__ import annotations

import hashlib

import pytest
import torch

from harness import guides
from harness.checkpoints import CheckpointError
from harness.models.dpn import dpn131


@pytest.fixture(scope="module")
def model():
    return dpn131().eval()


def test_state_dict_layout_matches_upstream(model):
    sd = model.state_dict()
    assert len(sd) == 811
    assert sum(p.numel() for p in model.parameters()) == 79_254_504
    shapes = {
        "features.conv1_1.conv.weight": (128, 3, 7, 7),
        "features.conv2_1.c1x1_w_s1.conv.weight": (288, 128, 1, 1),
        "features.conv2_1.c3x3_b.conv.weight": (160, 4, 3, 3),
        "features.conv2_1.c1x1_c.conv.weight": (272, 160, 1, 1),
        "features.conv3_1.c1x1_w_s2.conv.weight": (576, 352, 1, 1),
        "features.conv5_bn_ac.bn.weight": (2688,),
        "last_linear.weight": (1000, 2688, 1, 1),
    }
    for k, shape in shapes.items():
        assert tuple(sd[k].shape) == shape, k
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(m.eps == 1e-3 for m in bns)


def test_test_time_pool_head_equals_patched_head_at_224_only(model):
    torch.manual_seed(0)
    x224, x320 = torch.randn(1, 3, 224, 224), torch.randn(1, 3, 320, 320)
    with torch.no_grad():
        a224, a320 = model(x224), model(x320)
        model.test_time_pool = False
        b224, b320 = model(x224), model(x320)
        model.test_time_pool = True
    assert (a224 - b224).abs().max() < 1e-6
    assert (a320 - b320).abs().max() > 1e-6  # the heads really differ off 224


def _save(tmp_path, state, name="dpn131-7af84be88.pth"):
    p = tmp_path / name
    torch.save(state, p)
    return p


def test_build_model_loads_upstream_state_dict_after_checksum(tmp_path, model):
    g = guides.get("dpn131")
    p = _save(tmp_path, model.state_dict())
    md5 = hashlib.md5(p.read_bytes()).hexdigest()
    spec = type(g.checkpoint)(file_name=p.name, md5=md5)
    loaded = g.replace(checkpoint=spec).build_model(checkpoint=p)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    assert not loaded.training


def test_checksum_mismatch_fails_clearly(tmp_path, model):
    g = guides.get("dpn131")
    p = _save(tmp_path, {"last_linear.bias": torch.zeros(1000)})
    with pytest.raises(CheckpointError, match="71e7844aa8646dc75494976c7c86241a"):
        g.build_model(checkpoint=p)


def test_wrong_keys_and_shapes_are_all_named(tmp_path, model):
    g = guides.get("dpn131")
    sd = dict(model.state_dict())
    sd.pop("last_linear.bias")
    sd["extra.weight"] = torch.zeros(1)
    sd["last_linear.weight"] = torch.zeros(10, 2688, 1, 1)
    p = _save(tmp_path, sd)
    spec = type(g.checkpoint)(file_name=p.name)
    with pytest.raises(CheckpointError) as exc:
        g.replace(checkpoint=spec).build_model(checkpoint=p)
    msg = str(exc.value)
    assert "last_linear.bias" in msg and "extra.weight" in msg and "(10, 2688, 1, 1)" in msg


def test_pickled_objects_are_refused(tmp_path):
    g = guides.get("dpn131")

    import argparse

    p = tmp_path / "evil.pth"
    # A module-level, importable object that is not on the weights_only allow-list.
    torch.save({"state_dict": {"x": argparse.Namespace(a=1)}}, p)
    spec = type(g.checkpoint)(file_name=p.name)
    with pytest.raises(CheckpointError, match="refused"):
        g.replace(checkpoint=spec).build_model(checkpoint=p)
