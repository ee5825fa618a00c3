"""The Ascend path through the test double (tests/doubles/ascend) on a tiny model: it
works, and each fault ends in a clear failure naming the command and the cause - atc
failing with an error code, ais_bench hanging past its timeout or crashing, missing or
truncated output files, fewer outputs than inputs, a busy or absent device - and the
``npu`` skip names what is missing."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness import guides
from harness.ascend.errors import AisBenchError, AtcError, DeviceBusyError
from harness.ascend.proc import run_tool
from harness.backends.ascend import PERF_SOURCE, AscendBackend
from harness.backends.base import CompileOptions
from harness.cache import ArtifactCache
from harness.guides.base import TensorSpec
from tests.doubles.ascend import fake_cann
from tests.doubles.ascend.npu_smi_double import DEFAULT_NPU_NAME

DEFAULT_SOC = f"Ascend{DEFAULT_NPU_NAME}"  # the chip the double reports unless a test plants one
SAMPLES = 6  # with batch 4: one full batch and one padded with two copies


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return fake_cann.install(tmp_path_factory.mktemp("cann"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny dynamic-batch ONNX with the guide interface image -> class, and a guide record."""
    import torch

    from harness.export import export_onnx

    folder = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 8 * 8, 5)).eval()
    guide = guides.get("dpn131").replace(
        name="tiny", inputs=(TensorSpec("image", ("B", 3, 8, 8)),),
        outputs=(TensorSpec("class", ("B", 5), layout="NC"),), extra={}, runner="ais_bench")
    path = export_onnx(guide, model, folder / "tiny.onnx", None)
    rng = np.random.default_rng(0)
    data = folder / "bins" / "image"
    data.mkdir(parents=True)
    ids = [f"s{i}" for i in range(SAMPLES)]
    for sid in ids:
        rng.standard_normal((3, 8, 8)).astype(np.float32).tofile(data / f"{sid}.bin")
    return SimpleNamespace(guide=guide, onnx=path, dir=data, ids=ids)


def backend_for(fake, **settings) -> AscendBackend:
    return AscendBackend(environ=fake.environ(**settings))


def compile_tiny(backend, tiny, tmp_path, bs=4, device=0, timeout=60.0, soc=None, **extra):
    options = CompileOptions(soc_version=soc, device_id=device, timeout_s=timeout, extra=dict(extra))
    return backend.compile(tiny.guide, tiny.onnx, bs, tmp_path, options)


def ort_outputs(tiny, feeds):
    import onnxruntime as ort

    return ort.InferenceSession(str(tiny.onnx), providers=["CPUExecutionProvider"]).run(None, feeds)


def test_double_is_available_and_reports_versions(fake):
    b = backend_for(fake)
    assert b.availability().ok, b.availability().reason
    assert b.versions()["cann"] == fake.version and b.versions()["driver"] == "23.0.3"
    assert b.chip(CompileOptions(device_id=1)) == DEFAULT_SOC
    assert b.chip(CompileOptions(soc_version="Ascend310P3")) == "Ascend310P3"


def test_compile_run_samples_benchmark(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake), tiny, tmp_path)
    assert model.path.name == "tiny_bs4.om"
    feeds = {"image": np.random.default_rng(1).standard_normal((4, 3, 8, 8)).astype(np.float32)}
    np.testing.assert_allclose(model.run(feeds)[0], ort_outputs(tiny, feeds)[0], rtol=1e-6, atol=1e-6)
    outs = model.run_samples({"image": tiny.dir}, tiny.ids)
    assert sorted(outs) == sorted(tiny.ids)
    for sid in tiny.ids:
        x = np.fromfile(tiny.dir / f"{sid}.bin", np.float32).reshape(1, 3, 8, 8)
        np.testing.assert_allclose(outs[sid][0], ort_outputs(tiny, {"image": x})[0][0], rtol=1e-5, atol=1e-5)
    stats = model.benchmark(warmup=1, rounds=3)
    assert stats.rounds == 3 and stats.source == PERF_SOURCE and stats.batch_size == 4
    stats.validate()


def test_compiled_model_is_cached_by_toolkit_version(fake, tiny, tmp_path):
    cache = ArtifactCache(tmp_path / "cache")
    first = compile_tiny(backend_for(fake), tiny, tmp_path, cache=cache)
    again = compile_tiny(backend_for(fake), tiny, tmp_path, cache=cache)
    assert again.path == first.path and (first.path.parent / "atc.log").is_file()
    newer = backend_for(fake)
    newer.install().version = "8.1.RC1"
    assert compile_tiny(newer, tiny, tmp_path, cache=cache).path != first.path


def test_om_with_arch_suffix_is_found(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_ATC_ARCH_SUFFIX="1"), tiny, tmp_path, bs=1)
    assert re.fullmatch(r"tiny_bs1_linux_(x86_64|aarch64)\.om", model.path.name)


def test_atc_error_code_in_failure(fake, tiny, tmp_path):
    with pytest.raises(AtcError) as err:
        compile_tiny(backend_for(fake, SUITE_DOUBLE_ATC_FAIL="EZ3003"), tiny, tmp_path)
    msg = str(err.value)
    assert f"--soc_version={DEFAULT_SOC}" in msg and "--input_shape=image:4,3,8,8" in msg
    assert "exit code 255" in msg and "error codes EZ3003" in msg
    assert "EZ3003: No supported Ops kernel and engine are found for [AddDsl]" in msg
    assert "Possible Cause: The operator is not supported" in msg


def test_atc_double_prints_the_reference_transcript_for_missing_framework(fake, tiny):
    env = fake.environ()
    atc = fake.home / "bin" / "atc"
    res = run_tool([atc, f"--model={tiny.onnx}", "--output=x", "--soc_version=Ascend310"], timeout_s=60,
                   env=env, check=False)
    lines = res.stdout.splitlines()
    assert res.returncode == 255
    assert lines[:3] == ["ATC start working now, please wait for a moment.", "...",
                         "ATC run failed, Please check the detail log, Try 'atc --help' for more information"]
    assert re.fullmatch(r"E10007: \[PID: \d+\] \d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.\d{3}\.\d{3} \[--framework\] is "
                        r"required\. The value must be \[0\(Caffe\) or 1\(MindSpore\) or 3\(TensorFlow\) or "
                        r"5\(Onnx\)\]\.", lines[3])


def test_atc_rejects_unknown_input_name(fake, tiny, tmp_path):
    from harness.ascend.atc import AtcCompile, run_atc

    spec = AtcCompile(model=tiny.onnx, output=tmp_path / "x", soc_version="Ascend310",
                      input_shapes=(("input", (1, 3, 8, 8)),))
    with pytest.raises(AtcError, match=r"E10001: .*input \[input\] does not exist"):
        run_atc(spec, env=fake.environ(), timeout_s=60, atc=str(fake.home / "bin" / "atc"))


def test_ais_bench_hang_is_killed_with_its_process_group(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_AIS_HANG="1"), tiny, tmp_path, timeout=8.0)
    with pytest.raises(AisBenchError) as err:
        model.run_samples({"image": tiny.dir}, tiny.ids)
    e = err.value
    assert e.timed_out and "-m ais_bench --model" in str(e) and "timeout" in str(e)
    pgid = int(re.search(r"process group (\d+)", e.cause).group(1))
    assert live_members(pgid) == []  # the hanging child (sleep) is gone too


def live_members(pgid: int) -> list[int]:
    """Processes of a group that are still running (zombies awaiting a reaper do not count)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def test_ais_bench_crash(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_AIS_CRASH="1"), tiny, tmp_path)
    with pytest.raises(AisBenchError, match=r"exit code 1[\s\S]*RuntimeError: double: simulated crash"):
        model.run_samples({"image": tiny.dir}, tiny.ids)


def test_fewer_outputs_than_inputs(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_AIS_DROP="s3,s5"), tiny, tmp_path)
    with pytest.raises(AisBenchError) as err:
        model.run_samples({"image": tiny.dir}, tiny.ids)
    assert "fewer outputs than inputs - 2 of 6 samples" in str(err.value) and "['s3', 's5']" in str(err.value)
    assert "python" in err.value.command[0] and "ais_bench" in err.value.command


def test_truncated_output_file(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_AIS_TRUNCATE="s2"), tiny, tmp_path)
    with pytest.raises(AisBenchError, match=r"s2_0\.bin: 10 bytes, expected 20 .* truncated"):
        model.run_samples({"image": tiny.dir}, tiny.ids)


def test_input_file_of_wrong_size(fake, tiny, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for sid in tiny.ids:
        np.zeros(100, np.float32).tofile(bad / f"{sid}.bin")
    model = compile_tiny(backend_for(fake), tiny, tmp_path)
    with pytest.raises(AisBenchError, match=r"\[ERROR\] arg0 tensorsize: 3072 filesize: 400 not match"):
        model.run_samples({"image": bad}, tiny.ids)


def test_busy_device_fails_the_throughput_run(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake, SUITE_DOUBLE_NPU_BUSY="0"), tiny, tmp_path, idle_attempts=1)
    with pytest.raises(DeviceBusyError) as err:
        model.benchmark(warmup=0, rounds=1)
    msg = str(err.value)
    assert "npu-smi info" in msg and "device 0 is busy (AICore 57%; processes 4242" in msg


def test_absent_device(fake, tiny, tmp_path):
    model = compile_tiny(backend_for(fake), tiny, tmp_path, device=5, soc=DEFAULT_SOC)
    with pytest.raises(AisBenchError, match=r"acl open device 5 failed"):
        model.run_samples({"image": tiny.dir}, tiny.ids)


def test_npu_skip_names_what_is_missing(tmp_path, monkeypatch):
    """No CANN at all: the npu marker skips (never errors), naming set_env.sh, atc, ais_bench, npu-smi."""
    import fixtures.ascend as plugin
    from harness import backends as registry

    empty = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SUITE_ASCEND_ROOT": str(tmp_path / "none"),
             "SUITE_ASCEND_PYTHON": sys.executable}
    monkeypatch.setattr(registry, "get", lambda name: AscendBackend(environ=empty))
    item = SimpleNamespace(get_closest_marker=lambda name: object() if name == "npu" else None)
    with pytest.raises(pytest.skip.Exception) as skip:
        plugin.pytest_runtest_setup(item)
    reason = str(skip.value)
    for needle in ("no CANN set_env.sh found", "no `atc` on PATH", "ais_bench is not usable", "npu-smi"):
        assert needle in reason


def test_xdist_worker_takes_its_own_device(monkeypatch):
    import fixtures.ascend as plugin

    # setenv first, so the value pytest_configure writes is undone after the test (a plain
    # delenv of an unset variable records nothing to restore).
    monkeypatch.setenv("ASCEND_RT_VISIBLE_DEVICES", "")
    monkeypatch.delenv("ASCEND_RT_VISIBLE_DEVICES")
    opts = SimpleNamespace(devices=(4, 6), backends=("onnxruntime", "ascend"))
    plugin.pytest_configure(SimpleNamespace(suite_options=opts, workerinput={"workerid": "gw1"},
                                            getoption=lambda name, default=None: default))
    assert os.environ["ASCEND_RT_VISIBLE_DEVICES"] == "6"
