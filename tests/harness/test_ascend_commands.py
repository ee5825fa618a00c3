"""Command building: the argument lists equal the guides' own commands quoted in
shared/reference/ascend_tools.md (2.1, 3.x, 4.1, 8.x) and the DPN131 guide, split as a
shell would split them (quotes removed: an argument list needs none)."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from harness import guides
from harness.ascend import benchmark_legacy as legacy
from harness.ascend.ais_bench import AisBenchRun, output_file_name
from harness.ascend.atc import AtcCompile, find_om, format_input_shape, parse_input_shape
from harness.ascend.devices import runtime_device_id
from harness.backends.ascend import AscendBackend


def test_dpn131_guide_atc_command():
    guide_cmd = ('atc --framework=5 --model=./dpn131.onnx --output=dpn131_bs1 --input_format=NCHW '
                 '--input_shape="image:1,3,224,224" --log=debug --soc_version=Ascend310P3')
    spec = AtcCompile(model="./dpn131.onnx", output="dpn131_bs1", soc_version="Ascend310P3",
                      input_shapes=(("image", (1, 3, 224, 224)),), log="debug")
    assert spec.args() == shlex.split(guide_cmd)


def test_backend_builds_the_guide_command_from_the_record(tmp_path):
    """The Guide record -> AtcCompile path reproduces the guide's command for bs1."""
    spec = AscendBackend().atc_compile(guides.get("dpn131"), Path("./dpn131.onnx"), 1, tmp_path, "Ascend310P3")
    args = spec.args()
    assert args[1:4] == ["--framework=5", "--model=dpn131.onnx", f"--output={tmp_path}/dpn131_bs1"]
    assert args[4:] == ["--input_format=NCHW", "--input_shape=image:1,3,224,224", "--log=debug",
                        "--soc_version=Ascend310P3"]


def test_multi_input_shape_bertsum():
    cmd = ('atc --input_format=ND --framework=5 --model=./bertsum_13000_9_sim_bs1.onnx '
           '--input_shape="src:1,512;segs:1,512;clss:1,37;mask:1,512;mask_cls:1,37" '
           '--output=bertsum_13000_9_sim_bs1 --log=error --soc_version=Ascend310')
    shapes = (("src", (1, 512)), ("segs", (1, 512)), ("clss", (1, 37)), ("mask", (1, 512)), ("mask_cls", (1, 37)))
    spec = AtcCompile(model="./bertsum_13000_9_sim_bs1.onnx", output="bertsum_13000_9_sim_bs1",
                      soc_version="Ascend310", input_shapes=shapes, input_format="ND")
    assert sorted(spec.args()) == sorted(shlex.split(cmd))  # same flags; the guide orders them differently
    assert parse_input_shape(format_input_shape(shapes)) == list(shapes)


def test_fusion_switch_and_precision_flags():
    cmd = ('atc --framework=5 --model=srflow_df2k_x8_bs1_sim.onnx --output=srflow_df2k_x8_bs1 '
           '--input_format=NCHW --input_shape="input_1:1,3,256,256" --log=debug --soc_version=Ascend310P3 '
           '--fusion_switch_file=./fusion_switch.cfg')
    spec = AtcCompile(model=Path("srflow_df2k_x8_bs1_sim.onnx"), output=Path("srflow_df2k_x8_bs1"),
                      soc_version="Ascend310P3", input_shapes=(("input_1", (1, 3, 256, 256)),), log="debug",
                      fusion_switch_file="./fusion_switch.cfg")
    assert spec.args() == shlex.split(cmd)
    more = AtcCompile(model=Path("m.onnx"), output=Path("m"), soc_version="Ascend310P3",
                      keep_dtype=Path("keep_dtype.cfg"), precision_mode="allow_mix_precision")
    assert more.args()[-2:] == ["--keep_dtype=keep_dtype.cfg", "--precision_mode=allow_mix_precision"]


def test_dynamic_batch_and_ranges():
    spec = AtcCompile(model=Path("./resnet18.onnx"), output=Path("resnet18_dym_batch"), soc_version="Ascend310",
                      input_shapes=(("image", (-1, 3, 224, 224)),), dynamic_batch_size=(1, 2), log=None)
    assert "--input_shape=image:-1,3,224,224" in spec.args() and "--dynamic_batch_size=1,2" in spec.args()
    assert parse_input_shape('"actual_input_1:1,3,128~2048,128~2048"') == [
        ("actual_input_1", (1, 3, "128~2048", "128~2048"))]
    with pytest.raises(ValueError):
        AtcCompile(model=Path("a.onnx"), output=Path("a"), soc_version="Ascend310",
                   input_shapes=(("x", (1, 3)),), dynamic_batch_size=(1, 2))
    with pytest.raises(ValueError):
        AtcCompile(model=Path("a.onnx"), output=Path("a.om"), soc_version="Ascend310")


def test_find_om_plain_and_arch_suffix(tmp_path):
    assert find_om(tmp_path / "db_dym") is None
    (tmp_path / "db_dym_original.om").write_text("x")  # --save_original_model, not the model
    assert find_om(tmp_path / "db_dym") is None
    (tmp_path / "db_dym_linux_aarch64.om").write_text("x")
    assert find_om(tmp_path / "db_dym").name == "db_dym_linux_aarch64.om"
    (tmp_path / "db_dym.om").write_text("x")
    assert find_om(tmp_path / "db_dym").name == "db_dym.om"


def test_ais_bench_accuracy_command_8_3():
    cmd = "python3 -m ais_bench --model ./resnet50_bs64.om --input ./prep_dataset/ --output ./ --output_dirname result --outfmt TXT"
    run = AisBenchRun(model="./resnet50_bs64.om", inputs=("./prep_dataset/",), output="./",
                      output_dirname="result", outfmt="TXT")
    assert run.args() == shlex.split(cmd)


def test_ais_bench_two_inputs_comma_separated_and_device():
    run = AisBenchRun(model=Path("m.om"), inputs=(Path("in/src"), Path("in/mask")), output=Path("out"),
                      outfmt="BIN", device=3, batchsize=4)
    assert run.args(python="/venv/bin/python") == [
        "/venv/bin/python", "-m", "ais_bench", "--model", "m.om", "--input", "in/src,in/mask",
        "--output", "out", "--outfmt", "BIN", "--batchsize", "4", "--device", "3"]


def test_ais_bench_pure_inference_8_6():
    cmd = "python3 -m ais_bench --model satrn/satrn_sim.om --loop 100 --batchsize 1"
    assert AisBenchRun(model=Path("satrn/satrn_sim.om"), loop=100, batchsize=1).args() == shlex.split(cmd)
    warm = AisBenchRun(model=Path("m.om"), loop=10, warmup_count=2).args()
    assert warm[-4:] == ["--loop", "10", "--warmup_count", "2"]


@pytest.mark.parametrize("kwargs", [dict(output_dirname="result"), dict(output=Path("o"), output_dirname="/abs"),
                                    dict(outfmt="JSON"), dict(loop=0), dict(warmup_count=-1),
                                    dict(inputs=(Path("a,b"),))])
def test_ais_bench_rejects_what_the_tool_rejects(kwargs):
    with pytest.raises(ValueError):
        AisBenchRun(model=Path("m.om"), **kwargs)


def test_output_names_cut_at_first_dot():
    assert output_file_name("196608-0.bin", 0) == "196608-0_0.bin"
    assert output_file_name("dir/ILSVRC2012_val_00000001.bin", 1) == "ILSVRC2012_val_00000001_1.bin"
    assert output_file_name("a.b.bin", 0, "NPY") == "a_0.npy"


def test_legacy_dpn131_commands():
    dataset = ("./benchmark.x86_64 -model_type=vision -device_id=0 -batch_size=1 -om_path=dpn131_bs1.om "
               "-input_text_path=./dpn131_prep_bin.info -input_width=224 -input_height=224 "
               "-output_binary=False -useDvpp=False")
    run = legacy.BenchmarkDatasetRun("dpn131_bs1.om", "./dpn131_prep_bin.info", 1, 224, 224)
    assert run.args(legacy.program_name("x86_64")) == dataset.split()
    pure = "./benchmark.x86_64 -round=20 -om_path=inceptionresnetv2-b0_bs4.om -device_id=0 -batch_size=4"
    assert legacy.BenchmarkPureRun("inceptionresnetv2-b0_bs4.om", 4).args() == pure.split()
    with pytest.raises(ValueError):
        legacy.BenchmarkPureRun("x.om", 4, round=2000).args()


def test_legacy_info_file_and_outputs(tmp_path):
    text = legacy.info_lines(["./bin_save/000000184384.bin", "./bin_save/000000182805.bin"], 1536, 1536)
    assert text == "0 ./bin_save/000000184384.bin 1536 1536\n1 ./bin_save/000000182805.bin 1536 1536\n"
    assert legacy.parse_info(text)[1] == (1, "./bin_save/000000182805.bin", 1536, 1536)
    out = legacy.output_file(tmp_path / "result", 0, "prep/ILSVRC2012_val_00000001.bin", 1, binary=False)
    assert out == tmp_path / "result" / "dumpOutput_device0" / "ILSVRC2012_val_00000001_1.txt"
    with pytest.raises(ValueError):
        legacy.output_file(tmp_path, 0, "x.bin", 0)
    assert legacy.perf_file(Path("result"), "vision", 16, 1).name == "perf_vision_batchsize_16_device_1.txt"
    assert legacy.pure_infer_file(Path("result"), "dpn131_bs4.om", 3).name == "PureInfer_perf_of_dpn131_bs4_in_device_3.txt"


def test_runtime_device_ids():
    assert runtime_device_id(5, {}) == 5
    assert runtime_device_id(5, {"ASCEND_RT_VISIBLE_DEVICES": "5"}) == 0
    assert runtime_device_id(6, {"ASCEND_RT_VISIBLE_DEVICES": "4,6"}) == 1
    with pytest.raises(ValueError):
        runtime_device_id(2, {"ASCEND_RT_VISIBLE_DEVICES": "4,6"})


def test_result_folder_and_summary_json_locations(tmp_path):
    from harness.ascend.ais_bench import find_result_dir, summary_json_path
    from harness.ascend.ais_bench_summary import AisBenchOutputError

    (tmp_path / "2022_12_17-07_37_18").mkdir()  # an earlier run
    before = [p.name for p in tmp_path.iterdir()]
    new = tmp_path / "2023_01_03-06_35_53"
    new.mkdir()
    assert find_result_dir(tmp_path, None, before) == new
    with pytest.raises(AisBenchOutputError, match="expected one new timestamped folder"):
        find_result_dir(tmp_path, None, [])  # two candidates and no printed path: ambiguous
    assert find_result_dir(tmp_path, None, [], stdout=f"[INFO] output path:{new}\n") == new
    assert summary_json_path(new) is None
    (tmp_path / "2023_01_03-06_35_53_summary.json").write_text("{}")  # sibling, 2023+
    assert summary_json_path(new).name == "2023_01_03-06_35_53_summary.json"
    old = tmp_path / "result"
    old.mkdir()
    (old / "sumary.json").write_text("{}")  # inside, Sep 2022
    assert find_result_dir(tmp_path, "result") == old and summary_json_path(old).name == "sumary.json"
    with pytest.raises(AisBenchOutputError):
        find_result_dir(tmp_path, "missing")
