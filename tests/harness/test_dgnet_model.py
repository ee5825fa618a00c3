"""DG-Net generator path: checkpoint keys, shapes, the patch's export forms, the two-file
checkpoint, and an ONNX export free of ``Pad``."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from harness.models import dgnet as m


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return m.DGNetGenerator().eval()


def test_gen_state_dict_has_upstreams_134_keys(model):
    keys = set(model.gen_a.state_dict())
    assert len(keys) == 134
    expected = {f"enc_content.model.{i}.conv.{p}" for i in range(4) for p in ("weight", "bias")}
    expected |= {f"enc_content.model.4.model.{r}.model.{j}.conv.{p}"
                 for r in range(4) for j in range(2) for p in ("weight", "bias")}
    expected |= {f"enc_content.model.5.{b}.conv.{p}" for p in ("weight", "bias")
                 for b in ("conv1", "conv6.0", "conv6.1", "conv12.0", "conv12.1", "conv18.0", "conv18.1", "fuse")}
    expected |= {f"dec.model.1.model.{r}.model.{j}.{k}" for r in range(4) for j in range(2)
                 for k in ("conv.weight", "conv.bias", "norm.running_mean", "norm.running_var")}
    expected |= {f"dec.model.{i}.{k}" for i in (3, 5) for k in ("norm.gamma", "norm.beta", "conv.weight", "conv.bias")}
    expected |= {f"dec.model.{i}.conv.{p}" for i in (6, 7, 8) for p in ("weight", "bias")}
    expected |= {f"mlp_{t}{k}.model.{j}.fc.{p}" for t in "wb" for k in range(1, 5) for j in range(3)
                 for p in ("weight", "bias")}
    assert keys == expected


def test_id_state_dict_names_and_shapes(model):
    sd = model.id_a.state_dict()
    assert sd["model.conv1.weight"].shape == (64, 3, 7, 7)
    assert sd["model.fc.weight"].shape == (1000, 2048)
    assert sd["classifier1.add_block.0.weight"].shape == (512, 2048)
    assert sd["classifier1.add_block.1.running_var"].shape == (512,)
    assert sd["classifier2.classifier.0.weight"].shape == (751, 512)
    assert model.id_a.model.layer4[0].conv2.stride == (1, 1)
    assert model.id_a.model.layer4[0].downsample[0].stride == (1, 1)


def test_shapes_and_channel_major_appearance_code(model):
    torch.manual_seed(1)
    xa, xb = torch.randn(2, 1, 256, 128), torch.randn(2, 3, 256, 128)
    with torch.no_grad():
        content = model.gen_a.encode(xa)
        feat = model.id_a.backbone(xb)
        code = model.id_a.appearance(xb)
        out = model(xa, xb)
    assert content.shape == (2, 128, 64, 32)
    assert feat.shape == (2, 2048, 16, 8)
    assert code.shape == (2, 8192)
    parts = nn.AdaptiveMaxPool2d((4, 1))(feat)  # [2, 2048, 4, 1]
    assert torch.equal(code[:, 5 * 4 + 2], parts[:, 5, 2, 0])  # index = channel * 4 + part
    assert torch.equal(code, m.FtNetAB.forward(model.id_a, xb)[0])
    assert out.shape == (2, 3, 256, 128) and torch.isfinite(out).all()


@pytest.mark.parametrize("p", [1, 2, 3, 6, 9])
def test_reflect_pad_slices_equals_reflection_pad(p):
    x = torch.randn(2, 3, 20, 17)
    assert torch.equal(m.reflect_pad_slices(x, p), nn.ReflectionPad2d(p)(x))


def test_adain_export_form_equals_batch_norm_form():
    torch.manual_seed(2)
    norm = m.AdaptiveInstanceNorm2d(8)
    x, w, b = torch.randn(3, 8, 10, 6) * 3 + 1, torch.randn(3, 8), torch.randn(3, 8)
    upstream = norm(x, w, b)
    norm.export_form = True
    patched = norm(x, w, b)
    mean = x.mean((2, 3), keepdim=True)
    var = x.var((2, 3), unbiased=False, keepdim=True)
    by_hand = (x - mean) / torch.sqrt(var + 1e-5) * w[:, :, None, None] + b[:, :, None, None]
    assert torch.allclose(upstream, by_hand, atol=1e-5) and torch.allclose(patched, by_hand, atol=1e-5)
    assert torch.equal(norm.running_mean, torch.zeros(8))  # upstream's buffers stay untouched


def test_layernorm_upstream_unbiased_patch_biased():
    torch.manual_seed(3)
    ln = m.LayerNorm(4)
    x = torch.randn(2, 4, 5, 3)
    flat = x.reshape(2, -1)
    g, b = ln.gamma.view(1, -1, 1, 1), ln.beta.view(1, -1, 1, 1)
    for export_form, unbiased in ((False, True), (True, False)):
        ln.export_form = export_form
        std = flat.std(1, unbiased=unbiased).view(-1, 1, 1, 1)
        want = (x - flat.mean(1).view(-1, 1, 1, 1)) / (std + 1e-5) * g + b
        assert torch.allclose(ln(x), want, atol=1e-6)


def test_export_form_copy_leaves_the_original_upstream(model):
    patched = m.export_form_copy(model)
    assert all(not getattr(x, "export_form", False) for x in model.modules())
    assert any(getattr(x, "export_form", False) for x in patched.modules())


class _SmallGenerator(nn.Module):
    """Encoder + decoder at reduced size (every padding, IN, AdaIN and LayerNorm kind)."""

    def __init__(self):
        super().__init__()
        self.enc = m.ContentEncoder(1, 4, 1)
        self.dec = m.Decoder(32, 1, 3)

    def forward(self, x, w, b):
        styles = iter([(w[:, 32 * i:32 * (i + 1)], b[:, 32 * i:32 * (i + 1)]) for i in range(2)])
        return self.dec(self.enc(x), styles)


def test_export_has_no_pad_and_matches_pytorch():
    import onnx
    import onnxruntime as ort

    torch.manual_seed(4)
    net = _SmallGenerator().eval()
    x, w, b = torch.randn(1, 1, 128, 64), torch.randn(1, 64), torch.randn(1, 64)  # dilation 9 needs > 9 px
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(m.export_form_copy(net), (x, w, b), buf, input_names=["x", "w", "b"],
                          output_names=["out"], opset_version=10, dynamo=False)
    ops = {n.op_type for n in onnx.load_from_string(buf.getvalue()).graph.node}
    assert "Pad" not in ops
    assert {"Slice", "InstanceNormalization", "Pow", "ReduceMean", "Resize"} <= ops
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": x.numpy(), "w": w.numpy(), "b": b.numpy()})[0]
    with torch.no_grad():
        want = net(x, w, b).numpy()  # upstream form
    assert np.max(np.abs(got - want)) < 1e-4


def test_two_file_checkpoint_loads_through_the_guide(model, tmp_path):
    from harness import guides
    from harness.checkpoints import CheckpointError

    folder = tmp_path / "checkpoints"
    folder.mkdir()
    torch.save({"a": model.gen_a.state_dict()}, folder / m.GEN_FILE)
    torch.save({"a": model.id_a.state_dict()}, folder / m.ID_FILE)
    loaded = guides.get("dgnet").build_model(checkpoint=folder / m.GEN_FILE, seed=7)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v), k
    (folder / m.ID_FILE).unlink()
    with pytest.raises(CheckpointError, match="id_00100000.pt"):
        m.load_checkpoint_pair(folder / m.GEN_FILE)
    torch.save(model.id_a.state_dict(), folder / m.ID_FILE)  # not wrapped in {'a': ...}
    with pytest.raises(CheckpointError, match=r"expected \{'a': state_dict\}"):
        m.load_checkpoint_pair(folder / m.GEN_FILE)
