"""The ImageNet classification family's machinery, tested once: the registry lists every
member, names select exactly one guide, the default and nightly selections, the checkpoint
loaders, and the generalised preprocessing against its DPN131 special case."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch

from fixtures.family import selected_members
from harness import guides
from harness.guides import imagenet_family
from harness.models.classification import LibraryModel, ModelLibraryError, build, densenet_state_dict, \
    wrapped_state_dict
from harness.preprocess import imagenet as prep


def test_registry_lists_the_members_beside_the_hand_written_guides():
    names = guides.names()
    members = imagenet_family.member_names()
    assert len(members) >= 20
    assert set(members) <= set(names)
    assert {"dpn131", "pamtri", "transpose", "centroids_reid", "dgnet"} <= set(names)
    assert guides.family_of("resnet18") == imagenet_family.FAMILY and guides.family_of("dpn131") is None
    assert guides.families() == {imagenet_family.FAMILY: members}


def test_every_member_builds_a_valid_record_with_sourced_numbers():
    for name in imagenet_family.member_names():
        g = guides.get(name)
        member = imagenet_family.member(name)
        assert g.extra["family"] == imagenet_family.FAMILY
        for ref in g.references:
            assert ref.source.document == member.readme and ref.source.section, (name, ref)
        for floor in g.floors:
            assert floor.source.document == member.readme and floor.fps > 0, (name, floor)
        assert g.inputs[0].shape == ("B", 3, member.preprocess.crop, member.preprocess.crop)


def _conformance_guide_ids() -> dict[str, set[str]]:
    """guide name -> the names -k matches for it: test class and module names."""
    import tests.conformance as pkg

    ids: dict[str, set[str]] = {}
    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.conformance.{mod.name}")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            guide = getattr(cls, "guide_name", "")
            if guide and cls.__module__ == module.__name__:
                ids.setdefault(guide, set()).update({cls_name.lower(), mod.name.lower()})
    return ids


def test_pytest_k_with_a_guide_name_selects_that_guide_alone():
    """-k matches case-insensitively against class and module names; no guide's name may
    occur in another guide's (a member named resnet10 would select resnet101 as well)."""
    ids = _conformance_guide_ids()
    assert set(ids) == set(guides.names()), "every guide has a conformance test class"
    for name in guides.names():
        matching = {g for g, words in ids.items() if any(name.lower() in w for w in words)}
        assert matching == {name}, f"-k {name} would select {sorted(matching)}"


def test_default_and_nightly_selections():
    assert selected_members("default", "--family-members default") == set(imagenet_family.DEFAULT_MEMBERS)
    assert selected_members("all", "--family-members all") == set(imagenet_family.member_names())
    assert selected_members("resnet34, vgg16", "x") == {"resnet34", "vgg16"}
    with pytest.raises(pytest.UsageError, match="SUITE_FAMILY_MEMBERS=resnet: .*'resnet'.* not a family member"):
        selected_members("resnet", "SUITE_FAMILY_MEMBERS=resnet")
    assert set(imagenet_family.DEFAULT_MEMBERS) <= set(imagenet_family.member_names())


def test_unknown_library_or_model_is_refused_by_name():
    with pytest.raises(ModelLibraryError, match="keras"):
        LibraryModel("keras", "resnet18")
    with pytest.raises(ModelLibraryError, match="no_such_net"):
        build(LibraryModel("torchvision", "no_such_net"))


def test_checkpoint_loaders_take_the_upstream_files_unchanged(tmp_path):
    sd = {"w": torch.ones(2)}
    torch.save({"model": sd}, tmp_path / "deit.pth")
    assert list(wrapped_state_dict("model")(tmp_path / "deit.pth")) == ["w"]
    old = {"features.denseblock1.denselayer1.norm.1.weight": torch.ones(1),
           "features.denseblock1.denselayer1.conv.2.weight": torch.ones(1), "classifier.bias": torch.ones(1)}
    torch.save(old, tmp_path / "densenet.pth")
    assert sorted(densenet_state_dict(tmp_path / "densenet.pth")) == [
        "classifier.bias", "features.denseblock1.denselayer1.conv2.weight",
        "features.denseblock1.denselayer1.norm1.weight"]


def test_densenet_file_in_its_published_key_names_loads_strictly(tmp_path):
    """A file written with torchvision's pre-0.3 names (``norm.1``, ``conv.2``; no
    ``num_batches_tracked``, as the 2017 release) loads strictly after the loader's rename."""
    import re

    from harness.checkpoints import load_strict

    model = build(LibraryModel("torchvision", "densenet121"))
    old_name = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))([12])\.(.*)$")
    published = {old_name.sub(r"\1.\2.\3", k): v.clone() + 1 for k, v in model.state_dict().items()
                 if not k.endswith("num_batches_tracked")}
    assert "features.denseblock1.denselayer1.norm.1.weight" in published
    torch.save(published, tmp_path / "densenet121-a639ec97.pth")
    fresh = build(LibraryModel("torchvision", "densenet121"))
    load_strict(fresh, densenet_state_dict(tmp_path / "densenet121-a639ec97.pth"), "densenet121-a639ec97.pth")
    assert torch.equal(fresh.features.denseblock1.denselayer1.norm1.weight,
                       published["features.denseblock1.denselayer1.norm.1.weight"])


@pytest.mark.parametrize("variant", [
    prep.ClassificationPreprocess((256, 256), 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), crop_offsets="floor"),
    prep.ClassificationPreprocess(248, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), interpolation="bicubic"),
    prep.ClassificationPreprocess(363, 331, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), interpolation="bicubic"),
])
def test_two_pass_resize_and_crop_equals_full_resize_then_crop_for_every_variant(variant):
    from PIL import Image

    rng = np.random.default_rng(3)
    img = Image.fromarray(rng.integers(0, 256, (333, 501, 3), dtype=np.uint8))
    size = variant.target_size(*img.size)
    full = img.resize(size, variant.resample)
    top, left = variant.offset(size[1]), variant.offset(size[0])
    want = np.asarray(full)[top:top + variant.crop, left:left + variant.crop]
    got = prep.resize_and_crop(img, size, variant.crop, variant.resample, variant.offset)
    assert got.shape == (variant.crop, variant.crop, 3)
    assert np.array_equal(got, want)


def test_floor_offsets_differ_from_rounded_ones_where_the_scripts_do():
    floor = prep.ClassificationPreprocess(256, 224, (0.5,) * 3, (0.5,) * 3, crop_offsets="floor")
    assert floor.offset(257) == 16 and prep.DPN131.offset(257) == 16
    assert floor.offset(259) == 17 and prep.DPN131.offset(259) == 18  # round(17.5) = 18
    with pytest.raises(ValueError, match="crop_offsets"):
        prep.ClassificationPreprocess(256, 224, (0.5,) * 3, (0.5,) * 3, crop_offsets="ceil")


def test_table_groups_by_family_with_failures_first():
    from harness.guide_groups import grouped

    failing = {"vgg16", "pamtri"}
    groups = grouped(["resnet18", "dpn131", "vgg16", "pamtri", "alexnet", "no_such_guide"],
                     lambda n: n in failing)
    assert groups == [("guides: 3 guides, 1 failing", ["pamtri", "dpn131", "no_such_guide"]),
                      (f"{imagenet_family.FAMILY}: 3 guides, 1 failing", ["vgg16", "alexnet", "resnet18"])]


class _Config:
    """What fixtures.family reads from pytest's config: -k and the command-line arguments."""

    def __init__(self, keyword="", args=()):
        self.keyword, self.args = keyword, list(args)

    def getoption(self, name, default=None):
        return self.keyword if name == "keyword" else default


def test_k_naming_a_member_lifts_the_default_selection_other_k_does_not():
    from fixtures.family import _named_on_command_line

    members = set(imagenet_family.member_names())
    assert _named_on_command_line(_Config("resnet101"), members)
    assert _named_on_command_line(_Config("VGG16 and export"), members)
    assert _named_on_command_line(_Config(args=["tests/conformance/test_imagenet_family.py::TestMember_vgg19"]), members)
    assert not _named_on_command_line(_Config("export"), members)
    assert not _named_on_command_line(_Config(args=["tests/conformance"]), members)


def test_verdict_table_prints_groups_with_failing_guides_first():
    from fixtures.summary import SummaryTable

    class Reporter:
        config = object()

        def __init__(self):
            self.lines = []

        def write_sep(self, sep, title):
            self.lines.append(title)

        def write_line(self, line):
            self.lines.append(line.rstrip())

    table = SummaryTable()
    for guide, outcome in (("resnet18", "passed"), ("vgg16", "failed"), ("dpn131", "passed"), ("alexnet", "passed")):
        table.cells[(guide, "export")][outcome] += 1
    tr = Reporter()
    table.pytest_terminal_summary(tr)
    assert tr.lines[1:] == [
        "guide     export", "--------  --------",
        "[guides: 1 guide]", "dpn131    pass 1",
        f"[{imagenet_family.FAMILY}: 3 guides, 1 failing]", "vgg16     FAIL 1/1", "alexnet   pass 1",
        "resnet18  pass 1"]


def test_module_versions_of_a_state_dict_reach_the_model(tmp_path):
    """torchvision's MNASNet reads each module's version from the state dict's
    ``_metadata`` and refuses a state dict without it; a file saved by torchvision, and
    the same file saved from DataParallel ("module." keys), load and reproduce the model."""
    from collections import OrderedDict

    import torch
    import torchvision

    reference = torchvision.models.mnasnet1_0().eval()
    state = reference.state_dict()
    plain, wrapped = tmp_path / "plain.pth", tmp_path / "wrapped.pth"
    torch.save(state, plain)
    prefixed = OrderedDict(("module." + k, v) for k, v in state.items())
    prefixed._metadata = OrderedDict(("module" if k == "" else "module." + k, v)
                                     for k, v in state._metadata.items())
    torch.save(prefixed, wrapped)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        want = reference(x)
        for path in (plain, wrapped):
            model = guides.get("mnasnet1_0").build_model(path, accept_unverified=True).eval()
            assert torch.equal(model(x), want), path.name


@pytest.mark.parametrize("name", ["mnasnet1_0", "densenet121", "deit_small", "se_resnet50", "spnasnet_100"])
def test_a_checkpoint_in_the_members_upstream_format_loads_and_reproduces_the_model(tmp_path, name):
    """One member per library and checkpoint loader: the rehearsal's file in the upstream
    format (harness.rehearsal) loads through the guide and gives the seeded model's outputs."""
    from harness.rehearsal import write_checkpoint

    guide = guides.get(name)
    write_checkpoint(guide, tmp_path, seed=3)
    side = guide.preprocess_config.crop if hasattr(guide, "preprocess_config") else 224
    x = torch.randn(1, 3, side, side)
    with torch.no_grad():
        want = guide.build_model(seed=3).eval()(x)
        got = guide.build_model(tmp_path / guide.checkpoint.file_name, accept_unverified=True).eval()(x)
    assert torch.equal(got, want)


def test_seeded_weights_do_not_depend_on_a_first_library_import():
    """In a fresh process (pretrainedmodels not yet imported), the seeded model equals the
    same seed's model built next: importing the library draws nothing from the seed."""
    import subprocess
    import sys

    code = ("import torch\nfrom harness import guides\nfrom harness.checkpoints import state_dict_digest\n"
            "g = guides.get('se_resnet50')\n"
            "print(state_dict_digest(g.build_model(seed=3)) == state_dict_digest(g.build_model(seed=3)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=str(guides.__file__).rsplit("/harness/", 1)[0], start_new_session=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "True", proc.stdout
