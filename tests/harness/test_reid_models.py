"""Re-id models: upstream key layout, output shapes, and strict loading of synthetic
checkpoints written in the upstream formats (PAMTRI's tar dict, a Lightning .ckpt)."""
from __future__ import annotations

import sys
import types
from collections import Counter

import pytest
import torch

from harness import guides
from harness.checkpoints import CheckpointError
from harness.models.centroids_resnet import centroids_resnet50, read_lightning_checkpoint, \
    stored_hyper_parameters
from harness.models.pamtri_densenet import pamtri_densenet121


def test_pamtri_key_layout():
    sd = pamtri_densenet121().state_dict()
    assert len(sd) == 737  # 575 ids, as the reference counts the real checkpoint
    assert sd["base.conv0.weight"].shape == (64, 3, 7, 7)
    assert "base.denseblock1.denselayer1.norm1.running_var" in sd
    assert "base.transition3.conv.weight" in sd and sd["base.norm5.weight"].shape == (1024,)
    shapes = {k: tuple(sd[k].shape) for k in ("fc_vid.weight", "fc_vcolor.weight", "fc_vtype.weight",
                                               "classifier_vid.weight", "classifier_vcolor.weight",
                                               "classifier_vtype.weight")}
    assert shapes == {"fc_vid.weight": (1024, 1024), "fc_vcolor.weight": (512, 1024),
                      "fc_vtype.weight": (512, 1024), "classifier_vid.weight": (575, 1024),
                      "classifier_vcolor.weight": (10, 512), "classifier_vtype.weight": (9, 512)}


def test_centroids_key_layout():
    sd = centroids_resnet50().state_dict()
    assert sum(k.startswith("backbone.base.") for k in sd) == 318
    assert {k for k in sd if not k.startswith("backbone.base.")} == {
        "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
    assert sd["backbone.base.layer4.0.downsample.0.weight"].shape == (2048, 1024, 1, 1)
    assert "backbone.base.fc.weight" not in sd


def test_output_shapes_and_last_stride():
    with torch.no_grad():
        outs = pamtri_densenet121().eval()(torch.randn(2, 3, 256, 256))
        model = centroids_resnet50().eval()
        emb = model(torch.randn(2, 3, 256, 128))
        fmap = model.backbone.base(torch.randn(1, 3, 256, 128))
    assert [tuple(o.shape) for o in outs] == [(2, 575), (2, 10), (2, 9), (2, 1024)]
    assert tuple(emb.shape) == (2, 2048)
    assert tuple(fmap.shape) == (1, 2048, 16, 8)  # last stride 1


def test_pamtri_checkpoint_loads_strictly_and_takes_its_id_count(tmp_path):
    source = pamtri_densenet121(num_vids=576)
    torch.manual_seed(1)
    for p in source.parameters():
        torch.nn.init.normal_(p, std=0.01)
    path = tmp_path / "model_best.pth.tar"
    torch.save({"state_dict": source.state_dict(), "rank1": 0.9, "epoch": 7}, path)
    model = guides.get("pamtri").build_model(checkpoint=path)
    assert model.classifier_vid.out_features == 576
    for k, v in source.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    broken = dict(source.state_dict())
    broken.pop("fc_vid.bias")
    torch.save({"state_dict": broken}, path)
    with pytest.raises(CheckpointError, match="fc_vid.bias"):
        guides.get("pamtri").build_model(checkpoint=path)


@pytest.fixture
def lightning_modules(monkeypatch):
    """Stand-ins for yacs / pytorch_lightning classes, importable while a test checkpoint
    is written, so the file pickles exactly the globals a real Lightning 1.1 file does."""
    made = {}
    for mod, cls, base in (("yacs.config", "CfgNode", dict),
                           ("pytorch_lightning.utilities.parsing", "AttributeDict", dict),
                           ("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint", object)):
        parts = mod.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name not in sys.modules or name in made:
                made.setdefault(name, types.ModuleType(name))
                monkeypatch.setitem(sys.modules, name, made[name])
        klass = type(cls, (base,), {"__module__": mod})
        setattr(made[mod], cls, klass)
    return {n: getattr(m, c) for n, m, c in (
        ("CfgNode", made["yacs.config"], "CfgNode"),
        ("AttributeDict", made["pytorch_lightning.utilities.parsing"], "AttributeDict"),
        ("ModelCheckpoint", made["pytorch_lightning.callbacks.model_checkpoint"], "ModelCheckpoint"))}


def write_lightning_ckpt(path, classes, state, extra_global=None):
    cfg_node = classes["CfgNode"]

    def node(**items):
        n = cfg_node(items)
        n.__dict__["__immutable__"] = True  # yacs keeps flags in the instance dict
        return n

    hparams = classes["AttributeDict"](
        MODEL=node(USE_CENTROIDS=False, KEEP_CAMID_CENTROIDS=True, LAST_STRIDE=1, NAME="resnet50"),
        TEST=node(FEAT_NORM=True), SOLVER=node(DISTANCE_FUNC="euclidean", LR_STEPS=[40, 70]),
        num_query=2228, num_classes=702)
    ckpt = {"epoch": 119, "global_step": 1, "pytorch-lightning_version": "1.1.4",
            "state_dict": state, "hyper_parameters": hparams,
            "callbacks": {classes["ModelCheckpoint"]: {"best_model_score": torch.tensor(0.9)}},
            "lr_schedulers": [{"milestones": Counter({40: 1, 70: 1}), "gamma": 0.1}],
            "optimizer_states": [{"state": {}, "param_groups": [{"lr": 1e-4}]}]}
    if extra_global is not None:
        ckpt["extra"] = extra_global
    torch.save(ckpt, path)


def test_lightning_checkpoint_loads_inference_weights_only(tmp_path, lightning_modules):
    source = centroids_resnet50()
    for p in source.parameters():
        torch.nn.init.normal_(p, std=0.01)
    state = dict(source.state_dict())
    state["fc_query.weight"] = torch.randn(702, 2048)
    state["center_loss.centers"] = torch.randn(702, 2048)
    path = tmp_path / "dukemtmcreid_resnet50_256_128_epoch_120.ckpt"
    write_lightning_ckpt(path, lightning_modules, state)
    model = guides.get("centroids_reid").build_model(checkpoint=path)
    for k, v in source.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    hp = stored_hyper_parameters(read_lightning_checkpoint(path))
    assert hp["MODEL.KEEP_CAMID_CENTROIDS"] is True and hp["MODEL.USE_CENTROIDS"] is False
    assert hp["num_query"] == 2228 and hp["SOLVER.DISTANCE_FUNC"] == "euclidean"
    assert hp["TEST.FEAT_NORM"] is True


def test_lightning_checkpoint_with_unknown_globals_is_refused(tmp_path, lightning_modules):
    path = tmp_path / "evil.ckpt"
    write_lightning_ckpt(path, lightning_modules, dict(centroids_resnet50().state_dict()),
                         extra_global=Counter)  # fine: torch allows Counter
    read_lightning_checkpoint(path)
    write_lightning_ckpt(path, lightning_modules, {}, extra_global=__import__("os").getcwd)
    with pytest.raises(CheckpointError, match="refused"):
        read_lightning_checkpoint(path)


def test_lightning_checkpoint_with_unexpected_tensors_fails_by_name(tmp_path, lightning_modules):
    state = dict(centroids_resnet50().state_dict())
    state["backbone.extra.weight"] = torch.zeros(1)
    path = tmp_path / "dukemtmcreid_resnet50_256_128_epoch_120.ckpt"
    write_lightning_ckpt(path, lightning_modules, state)
    with pytest.raises(CheckpointError, match="backbone.extra.weight"):
        guides.get("centroids_reid").build_model(checkpoint=path)
