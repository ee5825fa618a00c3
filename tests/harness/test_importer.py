"""The guide importer (harness.guides.importer) on constructed guide folders in the real
ModelZoo formats (tests/harness/importer_guides): every number read with its section, what
it cannot read left as a Gap that fails validation, the draft module importable as it is."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from harness.ascend.runners import INTERFACE, NPU_MEAN, PURE_INFER
from harness.guides.base import Gap, GuideError, find_gaps
from harness.guides.imagenet_family.member import build_guide
from harness.guides.importer import readme as rd
from harness.guides.importer import scripts as sc
from harness.guides.importer.__main__ import main
from harness.guides.importer.draft import read_folder
from harness.preprocess.imagenet import ClassificationPreprocess

GUIDES = Path(__file__).parent / "importer_guides"


def draft_member(tmp_path, folder: str, name: str):
    """Run the command line on a fixture folder and import the module it writes."""
    out = tmp_path / f"{name}.py"
    assert main([str(GUIDES / folder), "--output", str(out), "--name", name,
                 "--cite-as", f"ACL_PyTorch/fake/{folder}"]) == 0
    spec = importlib.util.spec_from_file_location(f"draft_{name}", out)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module.MEMBER, out.read_text(encoding="utf-8")


def test_benchmark_era_guide_is_read_completely(tmp_path):
    member, text = draft_member(tmp_path, "tv_benchmark", "fakenet18")
    assert find_gaps(member) == []
    assert (member.model.library, member.model.name) == ("torchvision", "resnet18")
    assert member.checkpoint.file_name == "resnet18-f37072fd.pth"
    assert member.checkpoint.md5 == "0123456789abcdef0123456789abcdef"
    # The README's command line picks the 'fakenet' row of the two-row table.
    assert member.preprocess == ClassificationPreprocess(240, 200, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert (member.export.opset, member.export.dynamic_batch, member.export.batch_axis_name,
            member.export.dummy) == (11, True, "-1", "randn")
    assert (member.input_name, member.output_name, member.runner) == ("image", "class", "benchmark")
    assert member.atc.log == "debug" and member.atc.input_format == "NCHW"
    # Open-source numbers (6.2) with the guide's own 1 % rule (6.3), as DPN131's record.
    top1, top5 = member.references
    assert (top1.metric, top1.value, top1.tolerance, top1.direction) == ("top1", 60.123, 1.0, "higher")
    assert top5.value == 80.234
    assert top1.source.section == "6.2 开源TopN精度; rule: 6.3 精度对比"
    assert "NPU 60.11" in top1.note
    # Benchmark logs: Interface throughputRate x4 per 310 card, batch size from the text above.
    # PureInfer's ave_throughputRate is its own statistic; T4 from trtexec's mean latency
    # (1000 x batch / ms); the 310P list is Interface throughputRate as its section says.
    floors = {(f.chip, f.batch_size): (f.fps, f.statistic, f.source.section) for f in member.floors}
    assert floors == {("Ascend310", 1): (1001.0, INTERFACE, "7.1 npu性能数据"),
                      ("Ascend310", 16): (2002.0, INTERFACE, "7.1 npu性能数据"),
                      ("Ascend310", 4): (1600.5, INTERFACE, "7.1 npu性能数据"),
                      ("Ascend310", 8): (1802.0, PURE_INFER, "7.1 npu性能数据"),
                      ("T4", 1): (400.0, "", "7.2 T4性能数据"),
                      ("T4", 16): (800.0, "", "7.2 T4性能数据"),
                      ("Ascend310P3", 1): (1500.5, INTERFACE, "7.4 npu性能数据-Ascend310P性能数据"),
                      ("Ascend310P3", 64): (3000.0, INTERFACE, "7.4 npu性能数据-Ascend310P性能数据")}
    # 7.3 compares the 310 card with the T4 at bs1: the template's rule, as DPN131's record has it.
    (rule,) = member.acceptance
    assert (rule.chip, rule.versus, rule.factor, rule.at, rule.source.section) == ("Ascend310", "T4", 1.0, (1,),
                                                                                   "7.3 性能对比")
    guide = build_guide(member)
    assert guide.inputs[0].shape == ("B", 3, 200, 200) and guide.acceptance == (rule,)
    assert "# export command in 3.1 pth转onnx模型; md5: 3.1 pth转onnx模型" in text  # each value says where


def test_table_era_guide_reads_tables_atc_continuations_and_the_numpy_recipe(tmp_path):
    member, _ = draft_member(tmp_path, "table_ais_bench", "fakevgg")
    # 'acc-Top1:71.25' in the results table; the fraction table (0.7125) agrees.
    gaps = find_gaps(member)
    assert len(gaps) == 2 and all("states no accepted drop" in g for g in gaps), gaps
    assert "71.25" in gaps[0] and "90.5" in gaps[1]
    assert member.model.name == "vgg16"
    # Gitee's link wrapper is unwrapped to the real file name.
    assert member.checkpoint.file_name == "vgg16-397923af.pth"
    assert member.preprocess == ClassificationPreprocess(
        (256, 256), 224, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25), interpolation="bicubic", crop_offsets="floor")
    assert (member.export.opset, member.export.batch_axis_name, member.export.dummy) == (13, "bs", "zeros")
    assert member.input_name == "actual_input_1" and member.runner == "ais_bench"
    # The atc line runs over continuation lines into the closing fence; --input-shape is read
    # as --input_shape; the fusion switch file's contents travel with the record.
    assert '"ConvToFullyConnectionFusionPass": "off"' in member.atc.fusion_switch
    floors = {(f.chip, f.batch_size): (f.fps, f.statistic) for f in member.floors}
    assert floors[("Ascend310P3", 1)] == (455.5, NPU_MEAN)
    assert floors[("Ascend310P3", 4)] == (1050.25, NPU_MEAN)
    # The transposed table: one column per chip, the ratio column is not a chip, 310P is 310P3,
    # a GPU's figure carries no NPU runner statistic.
    assert floors[("Ascend310", 8)] == (800.5, NPU_MEAN)
    assert floors[("Ascend310P3", 16)] == (1200.0, NPU_MEAN)
    assert floors[("T4", 8)] == (300.25, "")
    assert not any(chip.startswith("Ascend310P3/") for chip, _ in floors)
    with pytest.raises(GuideError, match="2 unfilled gaps"):
        build_guide(member)


def test_what_cannot_be_read_stays_a_gap_and_fails_validation(tmp_path):
    member, text = draft_member(tmp_path, "unreadable", "ownnet")
    assert isinstance(member.model, Gap) and "ownnet_pth2onnx.py" in member.model.what
    assert isinstance(member.preprocess, Gap) and "AIPP" in member.preprocess.what
    assert isinstance(member.atc, Gap) and "--insert_op_conf" in member.atc.what
    assert isinstance(member.checkpoint, Gap)
    assert member.patches == ("ownnet.patch",)
    assert any(isinstance(d, Gap) and "ownnet.patch" in d.what for d in member.departures)
    assert isinstance(member.references[0], Gap)
    with pytest.raises(GuideError) as err:
        build_guide(member)
    for field in ("model", "preprocess", "atc", "checkpoint", "references[0]", "departures[0]"):
        assert field in str(err.value), field
    assert "Gap(" in text


def test_a_guide_record_holding_a_gap_fails_validation():
    from harness import guides

    with pytest.raises(GuideError, match=r"export: opset: not read"):
        guides.get("dpn131").replace(export=Gap("opset: not read"))


def test_sections_drop_anchors_and_tables_split_cells():
    doc = rd.parse('# 模型推理性能&精度<a name="ZH-CN_TOPIC_1"></a>\n\n| a | b |\n| - | - |\n| 1<br>2 | **3** |\n')
    (table,) = rd.tables(doc)
    assert table.section == "模型推理性能&精度"
    assert table.rows == [["1 2", "3"]]


def test_labelled_accuracy_cells_in_their_published_forms():
    text = ("# 精度\n\n| 芯片 | 精度 |\n| - | - |\n| 310P3 | 76.51/Top1 93.22/Top5 |\n"
            "| 310P3 | Acc@1:77.64%; Acc@5:93.74% |\n| 310P3 | Top1Acc=72.15% Top5@Acc=90.4% |\n")
    acc = rd.accuracy(rd.parse(text))["npu"]
    assert [v.value for v in acc["top1"]] == [76.51, 77.64, 72.15]
    assert [v.value for v in acc["top5"]] == [93.22, 93.74, 90.4]


def test_export_script_values_that_are_not_literals_are_not_guessed():
    facts = sc.read_export("import torch\nopset = int(input())\n"
                           "torch.onnx.export(m, x, 'o.onnx', opset_version=opset)\n", "e.py")
    assert facts.opset is None


def test_timm_eval_transform_defaults_give_the_table_row():
    src = ("def transforms_imagenet_eval(img_size=331, crop_pct=0.911, interpolation='bicubic',\n"
           "        mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)):\n    pass\n")
    facts = sc.read_preprocess(src, "p.py")
    assert facts.configs[""] == {"resize": 363, "centercrop": 331, "mean": [0.5] * 3, "std": [0.5] * 3}
    assert facts.interpolation == "bicubic"


def test_command_line_refuses_a_folder_without_readme(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path), "--output", str(tmp_path / "x.py")])
    assert exit_.value.code == 2
    assert "no README" in capsys.readouterr().err


def test_html_results_table_with_rowspans_gives_floors_per_chip():
    """TransPose's README writes its results as HTML; the model and accuracy cells span rows."""
    from harness.guides.importer import perf

    html = """# 性能
<table>
<tr><th>模型</th><th>batch_size</th><th>310P精度</th><th>310性能</th><th>T4性能</th><th>310P性能</th><th>310P/310</th></tr>
<tr><td rowspan="2">Net</td><td>1</td><td rowspan="2">AP: 73.7%</td><td>210.43 fps</td><td>497.47 fps</td><td>449.29 fps</td><td>2.14</td></tr>
<tr><td>4</td><td>206.03 fps</td><td>405.03 fps</td><td>512.22 fps</td><td>2.49</td></tr>
</table>
"""
    found = {(t.chip, t.batch_size): t.fps for t in perf.throughput(rd.parse(html))}
    assert found == {("Ascend310", 1): 210.43, ("T4", 1): 497.47, ("Ascend310P3", 1): 449.29,
                     ("Ascend310", 4): 206.03, ("T4", 4): 405.03, ("Ascend310P3", 4): 512.22}


def test_checkpoint_is_the_file_the_export_command_loads(tmp_path):
    """A README that links a backbone's ImageNet weights first (PAMTRI) still names the
    checkpoint its export command loads."""
    folder = tmp_path / "guide"
    folder.mkdir()
    (folder / "README.md").write_text(
        "# G\n\n## 权重\n[densenet121](https://download.pytorch.org/models/densenet121-a639ec97.pth)\n\n"
        "## 导出\n```\npython3 net_pth2onnx.py --input_path=./models/model_best.pth.tar --output_path=net.onnx\n```\n",
        encoding="utf-8")
    (folder / "net_pth2onnx.py").write_text("import torch\ntorch.onnx.export(m, x, 'n.onnx', opset_version=11)\n")
    draft = read_folder(folder)
    assert draft.fields["checkpoint"].code == "CheckpointSpec(file_name='model_best.pth.tar')"
    assert draft.fields["checkpoint"].source.startswith("export command in 导出")
