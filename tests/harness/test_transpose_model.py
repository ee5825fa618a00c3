"""TransPose-R-A3: state_dict keys and shapes as upstream's, sizes, the sine positional
encoding, the encoder's attention maths, and loading through the guide's entry point
(shared/reference/models_pose_cls.md section A.2)."""
from __future__ import annotations

import math

import pytest
import torch

from harness import guides
from harness.checkpoints import CheckpointError
from harness.models.transpose_r import sine_position_embedding, transpose_r_a3


@pytest.fixture(scope="module")
def model():
    return guides.get("transpose").build_model(seed=0)


def test_state_dict_keys_and_shapes(model):
    sd = model.state_dict()
    assert len(sd) == 190
    assert sum(k.endswith("num_batches_tracked") for k in sd) == 25
    shapes = {
        "pos_embedding": (768, 1, 256),
        "conv1.weight": (64, 3, 7, 7),
        "layer1.0.downsample.0.weight": (256, 64, 1, 1),
        "layer2.0.downsample.0.weight": (512, 256, 1, 1),
        "layer2.3.conv3.weight": (512, 128, 1, 1),
        "reduce.weight": (256, 512, 1, 1),
        "global_encoder.layers.2.self_attn.in_proj_weight": (768, 256),
        "global_encoder.layers.2.self_attn.in_proj_bias": (768,),
        "global_encoder.layers.0.self_attn.out_proj.weight": (256, 256),
        "global_encoder.layers.0.linear1.weight": (1024, 256),
        "global_encoder.layers.0.linear2.weight": (256, 1024),
        "global_encoder.layers.1.norm2.bias": (256,),
        "deconv_layers.0.weight": (256, 256, 4, 4),
        "deconv_layers.1.running_var": (256,),
        "final_layer.weight": (17, 256, 1, 1),
        "final_layer.bias": (17,),
    }
    for key, shape in shapes.items():
        assert tuple(sd[key].shape) == shape, key
    assert not any(k.startswith(("reduce.bias", "deconv_layers.0.bias", "layer3")) for k in sd)
    assert model.layer2[0].conv2.stride == (2, 2) and model.layer2[0].conv1.stride == (1, 1)


def test_parameter_counts(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == 4_998_737
    assert sum(p.numel() for p in model.parameters()) == 5_195_345


def test_sine_position_embedding_values():
    pe = sine_position_embedding(32, 24, 256)
    assert tuple(pe.shape) == (768, 1, 256)
    assert pe[0, 0, :2].tolist() == pytest.approx([math.sin(2 * math.pi / 32), math.cos(2 * math.pi / 32)],
                                                  abs=1e-5)  # (0.1951, 0.9808): row features first
    assert pe[0, 0, 128:130].tolist() == pytest.approx([math.sin(2 * math.pi / 24),
                                                        math.cos(2 * math.pi / 24)], abs=1e-5)
    # position 25 = row 1, column 1 (row-major tokens)
    assert pe[25, 0, 0].item() == pytest.approx(math.sin(2 * 2 * math.pi / 32), abs=1e-5)
    assert pe[25, 0, 128].item() == pytest.approx(math.sin(2 * 2 * math.pi / 24), abs=1e-5)


def test_encoder_layer_is_post_norm_with_positions_on_queries_and_keys(model):
    """One layer restated from scratch: q|k|v rows of in_proj, q scaled by 1/sqrt(32)."""
    layer = model.global_encoder.layers[0]
    torch.manual_seed(3)
    src = torch.randn(768, 1, 256)
    pos = model.pos_embedding
    w, b = layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias
    q = (src + pos) @ w[:256].T + b[:256]
    k = (src + pos) @ w[256:512].T + b[256:512]
    v = src @ w[512:].T + b[512:]

    def heads(t):  # [L, N, 256] -> [N, 8, L, 32]
        return t.reshape(768, 1, 8, 32).permute(1, 2, 0, 3)

    attn = torch.softmax(heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(32), dim=-1) @ heads(v)
    attn = attn.permute(2, 0, 1, 3).reshape(768, 1, 256) @ layer.self_attn.out_proj.weight.T \
        + layer.self_attn.out_proj.bias
    x = layer.norm1(src + attn)
    want = layer.norm2(x + layer.linear2(torch.relu(layer.linear1(x))))
    with torch.no_grad():
        got = layer(src, pos)
    torch.testing.assert_close(got, want.detach(), atol=2e-5, rtol=1e-4)


def test_forward_shape_and_eval_determinism(model):
    x = torch.randn(1, 3, 256, 192, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = model(x), model(x)
    assert tuple(a.shape) == (1, 17, 64, 48)
    assert torch.equal(a, b) and torch.isfinite(a).all() and a.std() > 0


@pytest.mark.parametrize("form", ["plain", "no_num_batches_tracked", "training_checkpoint"])
def test_checkpoint_loads_through_guide_entry_point(model, tmp_path, form):
    sd = model.state_dict()
    if form == "no_num_batches_tracked":
        sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    if form == "training_checkpoint":
        sd = {"state_dict": {f"module.{k}": v for k, v in sd.items()}, "epoch": 230}
    path = tmp_path / "tp_r_256x192_enc3_d256_h1024_mh8.pth"
    torch.save(sd, path)
    loaded = guides.get("transpose").build_model(checkpoint=path).state_dict()
    own = model.state_dict()
    assert list(loaded) == list(own)
    assert all(torch.equal(loaded[k], own[k]) for k in own if not k.endswith("num_batches_tracked"))


def test_checkpoint_missing_a_key_is_refused(model, tmp_path):
    sd = dict(model.state_dict())
    del sd["global_encoder.layers.1.linear1.weight"]
    path = tmp_path / "broken.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError, match="global_encoder.layers.1.linear1.weight"):
        guides.get("transpose").build_model(checkpoint=path)


def test_factory_builds_fresh_modules():
    a, b = transpose_r_a3(), transpose_r_a3()
    assert a.global_encoder.layers[0].self_attn is not b.global_encoder.layers[0].self_attn


def test_guide_record_states_the_seed_settings():
    g = guides.get("transpose")
    assert [(t.name, t.shape) for t in g.inputs] == [("input", ("B", 3, 256, 192))]
    assert [(t.name, t.shape) for t in g.outputs] == [("output", ("B", 17, 64, 48))]
    e = g.export
    assert (e.opset, e.dynamic_batch, e.dummy, e.simplify) == (11, False, "zeros", True)
    assert g.atc.fusion_switch.splitlines() == ["ReshapeTransposeFusionPass:off",
                                                "TransposeReshapeFusionPass:off"]
    assert g.atc.log == "error"
    ap = g.reference("AP")
    assert ap.accepts(73.7) and not ap.accepts(73.69)
    assert g.floors_for("Ascend310P3", 4)[0].fps == 512.22
    assert {f.chip for f in g.floors} == {"Ascend310", "T4", "Ascend310P3"} and len(g.floors) == 18
