"""Where a compiled model diverges (harness/divergence.py): a divergence planted in one
layer of an exported model is named - op type, node, output, size of the difference - and
the name reaches the failing compile verdict; the Ascend report is the ready
``msit debug compare`` command on inputs msit's path checks accept, run when asked."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness import checks, divergence
from harness.ascend.paths import refusal

from .nested_runs import nested_env

ATOL, RTOL = 1e-4, 1e-3


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small exported CNN (Conv, Relu, Conv, Relu, Flatten, Gemm) and one batch."""
    import torch

    from harness.export import export_onnx
    from harness import guides
    from harness.guides.base import TensorSpec

    folder = tmp_path_factory.mktemp("divergence")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(8 * 8 * 8, 5)).eval()
    guide = guides.get("dpn131").replace(name="tiny", inputs=(TensorSpec("image", ("B", 3, 8, 8)),),
                                         outputs=(TensorSpec("class", ("B", 5), layout="NC"),), extra={})
    path = export_onnx(guide, net, folder / "tiny.onnx", None)
    feeds = {"image": np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)}
    return SimpleNamespace(path=path, feeds=feeds, folder=folder, guide=guide)


def perturbed_copy(path: Path, conv_index: int, folder: Path):
    """The ONNX with the weights of its ``conv_index``-th Conv scaled by 1.05; saved beside it."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    conv = [n for n in model.graph.node if n.op_type == "Conv"][conv_index]
    init = next(i for i in model.graph.initializer if i.name == conv.input[1])
    init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init) * np.float32(1.05), init.name))
    out = folder / f"perturbed_conv{conv_index}.onnx"
    onnx.save(model, str(out))
    return model, conv, out


def test_planted_divergence_in_one_conv_is_the_first_node_named(exported):
    model, conv, _ = perturbed_copy(exported.path, 1, exported.folder)
    found = divergence.compare_nodes(exported.path, exported.feeds, ATOL, RTOL, candidate_model=model)
    d = found.divergence
    assert d is not None and (d.op_type, d.node, d.output) == ("Conv", conv.name, conv.output[0])
    names = [n.name for n in model.graph.node]
    assert d.index == names.index(conv.name) and d.index > 0  # the nodes before it agreed
    assert d.max_abs_diff > ATOL and 0 < d.violations <= d.size
    assert f"first diverging ONNX node: Conv {conv.name!r}" in found.message()


def test_planted_divergence_in_the_first_layer(exported):
    model, conv, _ = perturbed_copy(exported.path, 0, exported.folder)
    d = divergence.compare_nodes(exported.path, exported.feeds, ATOL, RTOL, candidate_model=model).divergence
    assert (d.index, d.node) == (0, conv.name)


def test_no_divergence_says_where_the_difference_lies(exported):
    found = divergence.compare_nodes(exported.path, exported.feeds, ATOL, RTOL)
    assert found.divergence is None and found.compared >= 6
    assert "no ONNX node differs beyond tolerance" in found.message() and "the export" in found.message()


def test_shape_and_nan_count_as_divergence():
    assert divergence._beyond(np.zeros((2, 3)), np.zeros((3, 2)), 0.1, 0.0) == (6, float("inf"))
    assert divergence._beyond(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), 0.1, 0.0) == (1, float("inf"))
    assert divergence._beyond(np.array([np.nan, 1.5]), np.array([np.nan, 1.0]), 0.1, 0.0) == (1, 0.5)
    assert divergence._beyond(np.array([1.0, 2.0]), np.array([1.0, 2.05]), 0.1, 0.0) == (0, pytest.approx(0.05))


def test_failing_compile_verdict_names_the_node(exported):
    """An ONNX Runtime backend whose model carries the planted fault: the compile verdict's
    message names the Conv (the same call test_compile makes on failure)."""
    import onnxruntime as ort

    from harness.backends.onnxruntime import OrtModel

    _, conv, bad_path = perturbed_copy(exported.path, 1, exported.folder)
    session = ort.InferenceSession(str(bad_path), providers=["CPUExecutionProvider"])
    candidate = OrtModel(exported.guide, 2, bad_path, session)
    reference = ort.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    v = checks.arrays_close("onnxruntime vs reference (bs2)", candidate.run(exported.feeds),
                            reference.run(None, exported.feeds), ATOL, RTOL, ["class"])
    assert not v.passed
    v = divergence.explain(v, backend_name="onnxruntime", model=candidate, onnx_path=exported.path,
                           feeds=exported.feeds, input_names=["image"], atol=ATOL, rtol=RTOL)
    assert not v.passed and f"first diverging ONNX node: Conv {conv.name!r}" in str(v)
    assert v.details["divergence"]["divergence"]["output"] == conv.output[0]


def fake_install(tmp_path, with_msit: bool):
    """An install whose PATH holds (or lacks) a stand-in ``msit`` that records its arguments
    and writes a result CSV where msit does (``<output>/<timestamp>/result_<timestamp>.csv``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    if with_msit:
        script = bin_dir / "msit"
        script.write_text(f"#!{sys.executable}\n"
                          "import sys, pathlib\n"
                          "out = pathlib.Path(sys.argv[sys.argv.index('-o') + 1]) / '20261130102900'\n"
                          "out.mkdir(parents=True)\n"
                          "(out / 'result_20261130102900.csv').write_text('stand-in\\n')\n"
                          "(out / 'argv.txt').write_text('\\n'.join(sys.argv[1:]))\n"
                          "print('[INFO] Analyser call parameter strategy=FIRST_INVALID_OVERALL')\n")
        script.chmod(0o755)
    return SimpleNamespace(env={"PATH": str(bin_dir)}, home=tmp_path / "toolkit")


def ascend_model(tmp_path, exported):
    om = tmp_path / "tiny_bs2.om"
    om.write_bytes(b"om")
    return SimpleNamespace(path=om, work_dir=tmp_path / "work", options=SimpleNamespace(timeout_s=60.0))


def test_ascend_prints_the_msit_command_on_inputs_msit_accepts(tmp_path, exported):
    old = os.umask(0o002)  # Ubuntu's default for ordinary users
    try:
        v = divergence.explain(checks.Verdict("ascend vs onnxruntime (bs2)", False, "1 values beyond"),
                               backend_name="ascend", model=ascend_model(tmp_path, exported),
                               onnx_path=exported.path, feeds=exported.feeds, input_names=["image"],
                               atol=ATOL, rtol=RTOL, ascend_install=fake_install(tmp_path, False), run_msit=False)
    finally:
        os.umask(old)
    cmd = v.details["divergence"]["command"]
    assert cmd[:4] == ["msit", "debug", "compare", "-gm"] and cmd[5] == "-om"
    assert cmd[cmd.index("-c") + 1] == str(tmp_path / "toolkit") and "-o" in cmd
    onnx_file, om_file = Path(cmd[4]), Path(cmd[6])
    assert onnx_file.read_bytes() == exported.path.read_bytes()
    # The om was written under umask 002 (group-writable): msit would refuse it, so it is staged.
    assert om_file != tmp_path / "tiny_bs2.om" and om_file.read_bytes() == b"om"
    (bin_file,) = [Path(p) for p in cmd[cmd.index("-i") + 1].split(",")]
    assert np.array_equal(np.fromfile(bin_file, np.float32).reshape(2, 3, 8, 8), exported.feeds["image"])
    for path, mode in ((bin_file, 0o640), (bin_file.parent, 0o750)):
        assert stat.S_IMODE(path.stat().st_mode) == mode, path
    assert [refusal(p) for p in (onnx_file, om_file, bin_file, bin_file.parent)] == [None] * 4
    assert "locate the diverging node with: msit debug compare -gm" in str(v) and "--ascend-compare" in str(v)
    assert not v.details["divergence"]["ran"]


def test_ascend_runs_msit_when_asked(tmp_path, exported):
    def explain(install):
        return divergence.explain(checks.Verdict("ascend vs onnxruntime (bs2)", False, "1 values beyond"),
                                  backend_name="ascend", model=ascend_model(tmp_path, exported),
                                  onnx_path=exported.path, feeds=exported.feeds, input_names=["image"],
                                  atol=ATOL, rtol=RTOL, ascend_install=install, run_msit=True)

    missing = explain(fake_install(tmp_path / "none", False))
    assert "no `msit` is on PATH" in str(missing) and not missing.details["divergence"]["ran"]
    v = explain(fake_install(tmp_path, True))
    info = v.details["divergence"]
    assert info["ran"] and info["returncode"] == 0
    (csv,) = info["result_csvs"]
    assert csv.endswith("result_20261130102900.csv") and f"per-node results: {csv}" in str(v)
    argv = (Path(csv).parent / "argv.txt").read_text().splitlines()
    assert argv[:3] == ["debug", "compare", "-gm"] and argv[argv.index("-om") + 1].endswith("tiny_bs2.om")


@pytest.mark.slow
def test_compile_stage_reports_planted_divergences(tmp_path, suite_options):
    """The real compile stage (TransPose, bs1), with one Conv's weights scaled in the ONNX
    the ONNX Runtime backend runs (x1.05, beyond the export tolerance) and in the one the
    Ascend double compiles (its last Conv x20, beyond the atc tolerance of 0.05 + 5 %): both
    stages fail; the ONNX Runtime verdict names that Conv, the Ascend verdict carries the
    msit command on the stage's ONNX and the om, which ``--ascend-compare`` runs (here the
    double's msit, which implements only ``msit benchmark``: the run and its refusal are
    reported as they are)."""
    import json
    import shlex
    import subprocess

    repo = Path(__file__).resolve().parents[2]
    results, ort_report, npu_report = tmp_path / "results.jsonl", tmp_path / "ort.txt", tmp_path / "npu.txt"
    env = nested_env(suite_options, SUITE_PLANT_CONV="3", SUITE_PLANT_REPORT=str(ort_report),
               SUITE_PLANT_ASCEND_CONV="-1:20", SUITE_PLANT_ASCEND_REPORT=str(npu_report))
    cmd = [sys.executable, "-m", "pytest", "tests/conformance/test_transpose.py", "-k", "compile and bs1",
           "--backend", "onnxruntime,ascend", "-p", "tests.doubles.ascend.plugin", "--ascend-compare",
           "-p", "tests.harness.divergence_plant", "-p", "no:randomly", "--results", str(results), "-q"]
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=900,
                          start_new_session=True)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    records = {r["backend"]: r for r in map(json.loads, results.read_text().splitlines()) if r["stage"] == "compile"}
    assert {b: r["verdict"] for b, r in records.items()} == {"onnxruntime": "fail", "ascend": "fail"}, \
        [(b, r["message"][:300]) for b, r in records.items()]
    node, output, _ = ort_report.read_text().splitlines()
    message = records["onnxruntime"]["message"]
    assert f"first diverging ONNX node: Conv {node!r}" in message and f"output {output!r}" in message, message
    npu = records["ascend"]
    report = npu["details"]["divergence"]
    command = report["command"]
    assert command[1:4] == ["debug", "compare", "-gm"] and command[5] == "-om", command
    assert Path(command[4]).parent.parent.name == "onnx" and command[6].endswith("transpose_bs1.om")
    assert f"locate the diverging node with: {shlex.join(command)}" in npu["message"]
    assert report["ran"] and report["returncode"] != 0 and f"exit code {report['returncode']}" in npu["message"]


def test_a_batch_too_large_for_memory_is_cut_to_the_samples_that_fit(exported, monkeypatch):
    import onnx

    model, conv, _ = perturbed_copy(exported.path, 1, exported.folder)
    per_run = divergence.intermediate_bytes(onnx.load(str(exported.path)), exported.feeds)
    assert per_run >= 2 * 4 * (8 * 8 * 8) * 4  # bs2: at least the four 8x8x8 float maps
    monkeypatch.setattr(divergence, "INTERMEDIATE_BUDGET_BYTES", per_run // 2 + 1)
    found = divergence.compare_nodes(exported.path, exported.feeds, ATOL, RTOL, candidate_model=model)
    assert found.divergence.node == conv.name and "first 1 of the batch's 2 samples" in found.message()
    monkeypatch.setattr(divergence, "INTERMEDIATE_BUDGET_BYTES", 10)
    none = divergence.compare_nodes(exported.path, exported.feeds, ATOL, RTOL, candidate_model=model)
    assert none.divergence is None and none.message().startswith("no node-by-node comparison: the node outputs")
