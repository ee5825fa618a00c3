"""The GPU column: device names -> the guides' chip names, nvidia-smi and trtexec output,
and the TensorRT backend end to end where a GPU and TensorRT exist (skipped, naming what is
missing, elsewhere)."""
from __future__ import annotations

import numpy as np
import pytest

from harness import backends, gpu
from harness.backends import tensorrt as trt_backend


@pytest.mark.parametrize("reported, chip", [
    ("Tesla T4", "T4"), ("NVIDIA T4", "T4"), ("T4", "T4"),
    ("NVIDIA A100-SXM4-80GB", "A100"), ("NVIDIA A10", "A10"), ("NVIDIA A10G", "A10G"),
    ("NVIDIA H200", "H200"), ("NVIDIA H100 80GB HBM3", "H100"), ("NVIDIA L4", "L4"),
    ("NVIDIA L40S", "L40S"), ("Tesla V100-SXM2-16GB", "V100"), ("NVIDIA GeForce RTX 4090", "NVIDIA_GeForce_RTX_4090"),
])
def test_chip_names(reported, chip):
    assert gpu.chip_name(reported) == chip


def test_only_a_t4_borrows_the_t4_floors():
    """A GPU the guides did not measure keeps its own name: no published floor applies."""
    from harness import guides

    for name in ("dpn131", "pamtri"):
        guide = guides.get(name)
        assert guide.floors_for(gpu.chip_name("Tesla T4"), 1), f"{name}: the T4 floors must apply on a T4"
        assert not guide.floors_for(gpu.chip_name("NVIDIA A100-SXM4-40GB"), 1)


def test_nvidia_smi_query_parsed():
    text = ("0, Tesla T4, GPU-5e3a0b9c-0000-1111-2222-333344445555, 535.104.05, 15360\n"
            "1, NVIDIA H200, GPU-aaaa, 570.86.15, 143771\n")
    gpus = gpu.parse_query(text)
    assert [(g.index, g.chip, g.driver, g.memory_mib) for g in gpus] == [
        (0, "T4", "535.104.05", 15360), (1, "H200", "570.86.15", 143771)]


@pytest.mark.parametrize("bad", ["0, Tesla T4", "x, Tesla T4, GPU-1, 535, 1", "0, , GPU-1, 535, 1"])
def test_nvidia_smi_bad_lines_named(bad):
    with pytest.raises(gpu.GpuError, match="line 1"):
        gpu.parse_query(bad)


TRTEXEC = """\
[11/30/2026-10:00:00] [I] === Performance summary ===
[11/30/2026-10:00:00] [I] Throughput: 1454.51 qps
[11/30/2026-10:00:00] [I] Latency: min = 0.74 ms, max = 1.2 ms, mean = 0.80 ms, median = 0.79 ms
[11/30/2026-10:00:00] [I] Enqueue Time: min = 0.01 ms, max = 0.05 ms, mean = 0.02 ms
[11/30/2026-10:00:00] [I] H2D Latency: min = 0.05 ms, max = 0.07 ms, mean = 0.06 ms
[11/30/2026-10:00:00] [I] GPU Compute Time: min = 0.661621 ms, max = 1.05 ms, mean = 0.687524 ms, median = 0.68 ms, percentile(90%) = 0.70 ms
"""


def test_trtexec_gpu_compute_mean():
    assert trt_backend.parse_trtexec_gpu_compute(TRTEXEC) == 0.687524


def test_trtexec_without_summary_is_an_error():
    with pytest.raises(backends.BackendError, match="GPU Compute Time"):
        trt_backend.parse_trtexec_gpu_compute(TRTEXEC.replace("GPU Compute Time", "Compute"))


def test_tensorrt_registered_behind_the_gpu_marker():
    assert "tensorrt" in backends.names()
    assert backends.marker_of("tensorrt") == "gpu"
    avail = backends.get("tensorrt").availability()
    if not avail:
        assert "tensorrt" in avail.reason or "CUDA" in avail.reason, avail.reason


def _tensorrt_or_skip():
    avail = backends.get("tensorrt").availability()
    if not avail:
        pytest.skip(f"TensorRT backend unavailable: {avail.reason}")


@pytest.mark.gpu
def test_tensorrt_engine_matches_onnxruntime_and_reports_gpu_compute(tmp_path):
    """A tiny conv net: fp16 engine outputs within fp16 tolerance of ONNX Runtime; the
    throughput statistic is 1000 * batch / mean GPU compute ms."""
    _tensorrt_or_skip()
    import torch

    from harness import guides
    from harness.backends.base import CompileOptions
    from harness.export import export_onnx
    from harness.guides.base import TensorSpec

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 16 * 16, 5)).eval()
    guide = guides.get("dpn131").replace(
        name="tiny", inputs=(TensorSpec("image", ("B", 3, 16, 16)),),
        outputs=(TensorSpec("class", ("B", 5), layout="NC"),), extra={})
    onnx_path = export_onnx(guide, net, tmp_path / "tiny.onnx", None)
    feeds = {guide.inputs[0].name: np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)}
    want = backends.get("onnxruntime").compile(guide, onnx_path, 2, tmp_path, CompileOptions()).run(feeds)
    model = backends.get("tensorrt").compile(guide, onnx_path, 2, tmp_path, CompileOptions())
    got = model.run(feeds)
    np.testing.assert_allclose(got[0], want[0], atol=5e-2, rtol=5e-2)
    stats = model.benchmark(warmup=5, rounds=50)
    mean = sum(stats.latencies_ms) / stats.rounds
    assert stats.judged_fps == pytest.approx(1000.0 * 2 / mean)
    assert torch.cuda.is_available()


def test_backend_tolerances_per_backend():
    """fp16 TensorRT is judged like atc's fp16, not like fp32 ONNX Runtime; a guide's own
    setting wins."""
    from harness import guides

    g = guides.get("dpn131")
    assert g.backend_tolerance("onnxruntime") == (g.export.atol, g.export.rtol)
    assert g.backend_tolerance("tensorrt") == (g.atc.atol, g.atc.rtol)
    assert g.backend_tolerance("onnxruntime-cuda") == (g.export.atol * 10, g.export.rtol * 10)
    own = g.replace(backend_tolerances={"tensorrt": (0.2, 0.1)})
    assert own.backend_tolerance("tensorrt") == (0.2, 0.1)


@pytest.mark.gpu
def test_tensorrt_throughput_within_3_percent_of_trtexec(tmp_path):
    """The suite's GPU-compute statistic on a cached engine agrees with trtexec's own figure
    for the same engine (where trtexec is installed)."""
    import shutil

    _tensorrt_or_skip()
    if shutil.which("trtexec") is None:
        pytest.skip("trtexec is not on PATH (TensorRT's bin/ folder): nothing to compare with")
    import torch

    from harness import guides
    from harness.backends.base import CompileOptions
    from harness.export import export_onnx
    from harness.guides.base import TensorSpec

    torch.manual_seed(0)
    net = torch.nn.Sequential(*[m for _ in range(8) for m in (torch.nn.Conv2d(32, 32, 3, padding=1),
                                                              torch.nn.ReLU())]).eval()
    guide = guides.get("dpn131").replace(
        name="tiny", inputs=(TensorSpec("image", ("B", 32, 64, 64)),),
        outputs=(TensorSpec("class", ("B", 32, 64, 64)),), extra={})
    onnx_path = export_onnx(guide, net, tmp_path / "tiny.onnx", None)
    model = backends.get("tensorrt").compile(guide, onnx_path, 8, tmp_path, CompileOptions())
    ours = model.benchmark(warmup=200, rounds=500).judged_fps
    theirs = trt_backend.trtexec_throughput(model.path, 8)
    assert abs(ours / theirs - 1.0) <= 0.03, f"suite {ours:.1f} vs trtexec {theirs:.1f} samples/s"
