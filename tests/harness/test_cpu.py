"""CPU threads per test process (harness/cpu.py): the cores split between xdist workers,
held by PyTorch and by every ONNX Runtime session the suite creates."""
from __future__ import annotations

import pytest

from harness import cpu


@pytest.mark.parametrize("cores, workers, want", [(2, 1, 2), (2, 2, 1), (16, 8, 2), (16, 3, 5), (2, 8, 1)])
def test_cores_are_split_between_workers(monkeypatch, cores, workers, want):
    monkeypatch.setattr(cpu, "available_cores", lambda: cores)
    assert cpu.threads_per_worker(workers) == want


def test_limit_reaches_torch_and_onnxruntime_sessions(monkeypatch, tmp_path):
    import torch

    from harness import guides
    from harness.backends import onnxruntime as ort_backend
    from harness.backends.base import CompileOptions

    before = torch.get_num_threads()
    monkeypatch.setenv(cpu.THREADS_ENV, str(before))
    try:
        cpu.limit_threads(1)
        assert torch.get_num_threads() == 1 and cpu.session_threads() == 1
        from tests.faults.test_cache_repair import tiny_onnx

        onnx = tmp_path / "tiny.onnx"
        tiny_onnx(onnx)
        from harness.guides.base import TensorSpec

        guide = guides.get("dpn131").replace(name="tiny", inputs=(TensorSpec("x", ("B", 64)),),
                                             outputs=(TensorSpec("y", ("B", 64)),))
        model = ort_backend.OnnxRuntimeBackend().compile(guide, onnx, 1, tmp_path, CompileOptions())
        assert model.session.get_session_options().intra_op_num_threads == 1
        assert model.benchmark(warmup=0, rounds=1).extra["intra_op_threads"] == 1
    finally:
        torch.set_num_threads(before)


def test_the_run_resolves_its_share(suite_options):
    """This very run: its threads are its cores split between its xdist workers."""
    import os

    import torch

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if os.environ.get("SUITE_THREADS"):
        pytest.skip("SUITE_THREADS fixes the share for this run")
    assert suite_options.threads == cpu.threads_per_worker(workers)
    assert torch.get_num_threads() == suite_options.threads

