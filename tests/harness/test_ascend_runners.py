"""The four inference runners through the test double (``python3 -m ais_bench``, ``msit
benchmark``, ``ais_infer.py``, the legacy ``benchmark.{arch}``): the same stages give the
same outputs as ONNX Runtime; each reports its own throughput statistic; ``auto`` takes
the guide's own runner where the host has it; a runner that crashes on start is reported
with its own error; and the paths handed to the ait lineage pass its checks under umask
002, with symlinked inputs and a cache path of unsafe characters."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness import guides
from harness.ascend import paths, runners
from harness.ascend.proc import run_tool
from harness.backends.ascend import AscendBackend
from harness.backends.base import BackendError, CompileOptions
from harness.guides.base import TensorSpec
from tests.doubles.ascend import fake_cann

SAMPLES = 6  # with batch 4: one full batch and one padded


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    return fake_cann.install(tmp_path_factory.mktemp("cann"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    import torch

    from harness.export import export_onnx

    folder = tmp_path_factory.mktemp("tiny")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 8 * 8, 5)).eval()
    guide = guides.get("dpn131").replace(
        name="tiny", inputs=(TensorSpec("image", ("B", 3, 8, 8)),),
        outputs=(TensorSpec("class", ("B", 5), layout="NC"),), extra={})
    onnx = export_onnx(guide, model, folder / "tiny.onnx", None)
    rng = np.random.default_rng(0)
    data = folder / "bins" / "image"
    data.mkdir(parents=True)
    ids = [f"s{i}" for i in range(SAMPLES)]
    for sid in ids:
        rng.standard_normal((3, 8, 8)).astype(np.float32).tofile(data / f"{sid}.bin")
    return SimpleNamespace(guide=guide, onnx=onnx, dir=data, ids=ids)


def compiled(fake, tiny, tmp_path, bs=4, guide=None, **settings):
    backend = AscendBackend(environ=fake.environ(**settings))
    options = CompileOptions(soc_version="Ascend310P3", timeout_s=120, extra={"idle_attempts": 1})
    return backend.compile(guide or tiny.guide, tiny.onnx, bs, tmp_path, options)


def reference(tiny, x):
    import onnxruntime as ort

    return ort.InferenceSession(str(tiny.onnx), providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]


@pytest.mark.parametrize("name, statistic", [("ais_bench", runners.NPU_MEAN), ("msit", runners.NPU_MEAN),
                                             ("ais_infer", runners.NPU_MEAN), ("benchmark", runners.INTERFACE)])
def test_each_runner_runs_the_same_stages(fake, tiny, tmp_path, name, statistic):
    model = compiled(fake, tiny, tmp_path, SUITE_ASCEND_RUNNER=name, SUITE_DOUBLE_NPU_TIME_MS="8.0")
    assert model.runner_name == name and "requested" in model.runner_why
    x = np.random.default_rng(1).standard_normal((4, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(model.run({"image": x})[0], reference(tiny, x), rtol=1e-5, atol=1e-5)
    outs = model.run_samples({"image": tiny.dir}, tiny.ids)
    for sid in tiny.ids:
        x1 = np.fromfile(tiny.dir / f"{sid}.bin", np.float32).reshape(1, 3, 8, 8)
        np.testing.assert_allclose(outs[sid][0], reference(tiny, x1)[0], rtol=1e-5, atol=1e-5)
    stats = model.benchmark(warmup=1, rounds=3)
    stats.validate()
    assert stats.statistic == statistic and stats.extra["runner"] == name
    assert stats.judged_fps == pytest.approx(1000.0 * 4 / 8.0, rel=1e-5)  # the planted 8 ms per batch
    if name == "benchmark":
        assert stats.published[runners.PURE_INFER] == pytest.approx(500.0, rel=1e-5) and stats.rounds == 3
    else:
        assert stats.rounds == (1 if name == "ais_infer" else 3)  # the 2022 summary has no per-round list


def test_auto_prefers_the_guides_own_runner(fake, tiny, tmp_path):
    assert compiled(fake, tiny, tmp_path).runner_name == "benchmark"  # DPN131's runner
    transpose_like = tiny.guide.replace(runner="ais_infer")
    assert compiled(fake, tiny, tmp_path, guide=transpose_like).runner_name == "ais_infer"
    model = compiled(fake, tiny, tmp_path, SUITE_DOUBLE_RUNNERS="msit,ais_infer")
    assert model.runner_name == "msit" and "own runner benchmark is not on this host" in model.runner_why


def test_requested_runner_missing_is_named(fake, tiny, tmp_path):
    backend = AscendBackend(environ=fake.environ(SUITE_DOUBLE_RUNNERS="ais_bench", SUITE_ASCEND_RUNNER="msit"))
    assert not backend.availability()
    assert "runner msit was requested" in backend.availability().reason
    with pytest.raises(BackendError, match="runner msit was requested"):
        backend.compile(tiny.guide, tiny.onnx, 1, tmp_path, CompileOptions(soc_version="Ascend310P3"))


def test_crash_on_start_is_the_skip_reason(fake, tmp_path, monkeypatch):
    """The ait frontend without pkg_resources imports fine and crashes when run; the npu
    skip carries its UnboundLocalError."""
    import fixtures.ascend as plugin
    from harness import backends as registry

    env = fake.environ(SUITE_DOUBLE_RUNNERS="ais_bench", SUITE_DOUBLE_AIS_NO_PKG_RESOURCES="1")
    imported = run_tool([sys.executable, "-c", "import ais_bench.infer, aclruntime"], timeout_s=60, env=env,
                        check=False)
    assert imported.returncode == 0  # the old import probe would have said "usable"
    monkeypatch.setattr(registry, "get", lambda name: AscendBackend(environ=env))
    item = SimpleNamespace(get_closest_marker=lambda name: object() if name == "npu" else None)
    with pytest.raises(pytest.skip.Exception) as skip:
        plugin.pytest_runtest_setup(item)
    assert "UnboundLocalError" in str(skip.value) and "-m ais_bench --help" in str(skip.value)


# -- the ait lineage's path checks ---------------------------------------------------------
def ais(fake, *args, cwd, **settings):
    env = fake.environ(**settings)
    return run_tool([sys.executable, "-m", "ais_bench", *map(str, args)], timeout_s=120, env=env, cwd=cwd,
                    check=False)


def test_double_refuses_what_the_ait_lineage_refuses(fake, tiny, tmp_path):
    model = compiled(fake, tiny, tmp_path, bs=1, SUITE_ASCEND_RUNNER="ais_bench")
    loose = tmp_path / "loose"
    loose.mkdir()
    os.chmod(loose, 0o775)
    (loose / "s0.bin").write_bytes((tiny.dir / "s0.bin").read_bytes())
    out = paths.make_dir(tmp_path / "o")
    res = ais(fake, "--model", model.path, "--input", loose, "--output", out, cwd=out)
    assert res.returncode == 2 and "writable by group or others" in res.stderr
    linked = paths.make_dir(tmp_path / "linked")
    (linked / "s0.bin").symlink_to(tiny.dir / "s0.bin")
    res = ais(fake, "--model", model.path, "--input", linked, "--output", out, cwd=out)
    assert res.returncode == 2 and "soft link" in res.stderr
    res = ais(fake, "--model", model.path, "--output", tmp_path / "o b", cwd=out)
    assert res.returncode == 2 and "outside [_A-Za-z0-9/.-]" in res.stderr
    os.chmod(paths.make_dir(out / "od"), 0o777)  # --output_dirname is checked relative to the cwd
    res = ais(fake, "--model", model.path, "--output", tmp_path / "elsewhere", "--output_dirname", "od", cwd=out)
    assert res.returncode == 2 and "output_dirname path od is writable" in res.stderr
    res = ais(fake, "--model", model.path, "--input", loose, "--output", out, cwd=out, SUITE_DOUBLE_AIS_LINEAGE="2023")
    assert res.returncode == 0, res.output  # the 2023 Ascend/tools frontend checks nothing


@pytest.mark.parametrize("name", ["ais_bench", "msit"])
def test_whole_path_under_umask_002(fake, tiny, tmp_path, name):
    """Under Ubuntu's default umask every folder the suite makes would be group-writable;
    inputs are symlinks in a group-writable folder, and the cache path has a space."""
    old = os.umask(0o002)
    try:
        odd = tmp_path / "cache dir+x"
        src = odd / "image"
        src.mkdir(parents=True)
        for sid in tiny.ids:
            (src / f"{sid}.bin").symlink_to(tiny.dir / f"{sid}.bin")
        assert paths.refusal(src) is not None
        model = compiled(fake, tiny, odd, SUITE_ASCEND_RUNNER=name)
        outs = model.run_samples({"image": src}, tiny.ids)
        assert sorted(outs) == sorted(tiny.ids)
        x = np.random.default_rng(2).standard_normal((4, 3, 8, 8)).astype(np.float32)
        np.testing.assert_allclose(model.run({"image": x})[0], reference(tiny, x), rtol=1e-5, atol=1e-5)
        model.benchmark(warmup=0, rounds=2).validate()
        assert paths.inode_refusal(model.path) is None  # the om was sealed 0640 (and staged: its path has a space)
    finally:
        os.umask(old)


def test_paths_helpers_set_modes_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        d = paths.make_dir(tmp_path / "a" / "b")
        f = paths.write_array(d / "x.bin", np.zeros(3, np.float32))
        assert (d.stat().st_mode & 0o777, f.stat().st_mode & 0o777) == (0o750, 0o640)
        loose = tmp_path / "loose.bin"
        loose.write_bytes(b"1234")
        os.chmod(loose, 0o666)
        placed = paths.place(loose, d / "y.bin")
        assert not placed.is_symlink() and paths.refusal(placed) is None
        assert paths.safe_stem("a.b", 3) == "sample00000003" and paths.safe_stem("ILSVRC2012_val_1", 0) == "ILSVRC2012_val_1"
        assert paths.safe_root(tmp_path / "with space") != tmp_path / "with space"
    finally:
        os.umask(old)


def test_runner_choice_rules():
    ok = runners.Probe("x", True, "runs")
    bad = runners.Probe("ais_bench", False, "UnboundLocalError: ...")
    assert runners.choose("auto", "benchmark", {"ais_bench": ok, "benchmark": ok})[0] == "benchmark"
    assert runners.choose("auto", "benchmark", {"ais_bench": ok})[0] == "ais_bench"
    name, why = runners.choose("auto", "ais_bench", {"ais_bench": bad})
    assert name is None and "UnboundLocalError" in why
    assert runners.choose("msit", "ais_bench", {"ais_bench": ok})[0] is None
    with pytest.raises(ValueError, match="choose one of"):
        runners.requested({runners.RUNNER_ENV: "trtexec"})
    assert Path(runners.frontend("ais_bench", "py", {}, "").prefix[0]) == Path("py")


def test_bad_runner_choice_is_a_usage_error(monkeypatch):
    import fixtures.ascend as plugin

    monkeypatch.setenv(runners.RUNNER_ENV, "trtexec")
    config = SimpleNamespace(getoption=lambda name, default=None: None)
    with pytest.raises(pytest.UsageError, match="SUITE_ASCEND_RUNNER='trtexec': choose one of auto"):
        plugin.pytest_configure(config)
