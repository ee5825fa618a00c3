"""What ``atc`` accepts by toolkit release, and what the suite writes for it: the fusion
switch file's two ModelZoo forms (``<Pass>:off`` lines, the JSON ``Switch`` object) and
ONNX input formats (reference 2.1, 2.2, 11). The pure translation is checked directly;
the double's ``atc`` of a 5.x and an 8.x toolkit checks the files the backend writes."""
from __future__ import annotations

import json

import pytest

from harness import guides
from harness.ascend import fusion_switch
from harness.ascend.atc import AtcCompile, run_atc
from harness.ascend.errors import AtcError
from harness.backends.ascend import AscendBackend
from harness.backends.base import CompileOptions
from harness.guides.base import TensorSpec
from tests.doubles.ascend import fake_cann

TRANSPOSE_LINES = guides.get("transpose").atc.fusion_switch
RAWNET2_JSON = '{"Switch":{"UBFusion":{"TbeEltwiseFusionPass":"off"}}}'  # reference 2.2


def test_transpose_lines_parse_into_graph_fusion():
    assert fusion_switch.parse(TRANSPOSE_LINES) == {
        "GraphFusion": {"ReshapeTransposeFusionPass": "off", "TransposeReshapeFusionPass": "off"}}
    assert fusion_switch.parse(RAWNET2_JSON) == {"UBFusion": {"TbeEltwiseFusionPass": "off"}}


@pytest.mark.parametrize("version, translated", [("5.1.RC2", False), ("5.0.4", False), ("6.0.1", True),
                                                 ("8.0.RC3", True), (None, True)])
def test_lines_kept_for_the_guides_era_translated_after(version, translated):
    text, did = fusion_switch.for_toolkit(TRANSPOSE_LINES, version)
    assert did is translated
    if translated:
        assert json.loads(text) == {"Switch": {"GraphFusion": {"ReshapeTransposeFusionPass": "off",
                                                                "TransposeReshapeFusionPass": "off"}}}
    else:
        assert text == TRANSPOSE_LINES


def test_json_written_as_the_guide_wrote_it():
    assert fusion_switch.for_toolkit(RAWNET2_JSON, "8.0.RC3") == (RAWNET2_JSON, False)


@pytest.mark.parametrize("bad", ["", "ReshapeTransposeFusionPass off", "Pass:maybe",
                                 '{"Switch":{"Other":{"P":"off"}}}', '{"Switch":{"GraphFusion":{"P":"no"}}}',
                                 '{"NoSwitch":1}', "{"])
def test_malformed_switch_files_fail_naming_the_problem(bad):
    with pytest.raises(fusion_switch.FusionSwitchError):
        fusion_switch.for_toolkit(bad, "8.0.RC3")


# -- the double's atc, by release ---------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A one-conv ONNX with TransPose's fusion switches in its guide record."""
    import torch

    from harness.export import export_onnx

    folder = tmp_path_factory.mktemp("tiny")
    guide = guides.get("transpose").replace(
        name="tinyfs", inputs=(TensorSpec("input", ("B", 3, 8, 8)),),
        outputs=(TensorSpec("output", ("B", 2, 8, 8)),), extra={})
    model = torch.nn.Conv2d(3, 2, 3, padding=1).eval()
    return guide, export_onnx(guide, model, folder / "tiny.onnx", 1)


@pytest.fixture(scope="module", params=["5.1.RC2", "8.0.RC3"])
def fake(request, tmp_path_factory):
    return fake_cann.install(tmp_path_factory.mktemp("cann"), version=request.param)


def atc_of(fake):
    return str(fake.home / "bin" / "atc")


def test_double_takes_line_files_only_before_6(fake, tiny, tmp_path):
    _, onnx = tiny
    cfg = tmp_path / "fusion_switch.cfg"
    cfg.write_text(TRANSPOSE_LINES)
    spec = AtcCompile(model=onnx, output=tmp_path / "m", soc_version="Ascend310P3",
                      input_shapes=(("input", (1, 3, 8, 8)),), fusion_switch_file=cfg)
    if fake.version.startswith("5."):
        assert run_atc(spec, env=fake.environ(), timeout_s=60, atc=atc_of(fake)).om.is_file()
    else:
        with pytest.raises(AtcError, match=r"E10001: .*fusion_switch_file.*not a fusion switch JSON"):
            run_atc(spec, env=fake.environ(), timeout_s=60, atc=atc_of(fake))
    cfg.write_text(json.dumps({"Switch": {"GraphFusion": {"ReshapeTransposeFusionPass": "off"}}}))
    assert run_atc(spec, env=fake.environ(), timeout_s=60, atc=atc_of(fake)).om.is_file()


def test_backend_writes_what_the_toolkit_takes(fake, tiny, tmp_path):
    guide, onnx = tiny
    backend = AscendBackend(environ=fake.environ())
    model = backend.compile(guide, onnx, 1, tmp_path, CompileOptions(soc_version="Ascend310P3", timeout_s=60))
    written = (model.path.parent / "fusion_switch.cfg").read_text()
    if fake.version.startswith("5."):
        assert written == TRANSPOSE_LINES
    else:
        assert json.loads(written)["Switch"]["GraphFusion"]["TransposeReshapeFusionPass"] == "off"


def test_double_takes_ncdhw_for_onnx_from_8(fake, tiny, tmp_path):
    _, onnx = tiny
    spec = AtcCompile(model=onnx, output=tmp_path / "m", soc_version="Ascend310P3", input_format="NCDHW",
                      input_shapes=(("input", (1, 3, 8, 8)),))
    if fake.version.startswith("8."):
        assert run_atc(spec, env=fake.environ(), timeout_s=60, atc=atc_of(fake)).om.is_file()
    else:
        with pytest.raises(AtcError, match=r"input_format.*ONNX models accept NCHW or ND"):
            run_atc(spec, env=fake.environ(), timeout_s=60, atc=atc_of(fake))
