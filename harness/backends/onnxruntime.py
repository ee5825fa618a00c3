"""ONNX Runtime: the default backend (CPU), and its CUDA variant where a GPU exists."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from harness import cpu
from harness.backends.base import Availability, Backend, CompiledModel, CompileOptions


class OrtModel(CompiledModel):
    backend = "onnxruntime"

    def __init__(self, guide, batch_size, path, session):
        super().__init__(guide, batch_size, path)
        self.session = session
        self._out_names = [o.name for o in session.get_outputs()]
        missing = set(guide.output_names()) - set(self._out_names)
        if missing:
            raise RuntimeError(f"{path}: ONNX lacks the guide's outputs {sorted(missing)}")

    def _check_shapes(self, feeds: Mapping[str, np.ndarray]) -> None:
        for spec in self.guide.inputs:
            shape = tuple(feeds[spec.name].shape)
            if shape != spec.concrete(self.batch_size):
                raise ValueError(f"input {spec.name!r} has shape {shape}, model compiled for "
                                 f"{spec.concrete(self.batch_size)}")

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        self._check_shapes(feeds)
        return self.session.run(self.guide.output_names(), dict(feeds))

    def benchmark(self, warmup: int = 2, rounds: int = 10, seed: int = 0):
        """As every backend; the record names the session's CPU threads (``--threads``),
        which a CPU figure depends on."""
        stats = super().benchmark(warmup, rounds, seed)
        stats.extra["intra_op_threads"] = self.session.get_session_options().intra_op_num_threads or "default"
        return stats

    def timed_call(self, feeds: Mapping[str, np.ndarray]):
        """Inputs checked once and bound once (IOBinding); each call only executes."""
        self._check_shapes(feeds)
        binding = self.session.io_binding()
        # The binding holds raw pointers: keep the bound arrays alive with the callable.
        bound = {name: np.ascontiguousarray(array) for name, array in feeds.items()}
        for name, array in bound.items():
            binding.bind_cpu_input(name, array)
        for name in self.guide.output_names():
            binding.bind_output(name)
        run, options = self.session.run_with_iobinding, None
        return lambda: (run(binding, options), bound)[0]


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    description = "ONNX Runtime, CPU execution provider"
    providers = ("CPUExecutionProvider",)

    def availability(self) -> Availability:
        try:
            import onnxruntime as ort
        except ImportError:
            return Availability(False, "onnxruntime is not installed: pip install -r requirements.txt")
        missing = [p for p in self.providers if p not in ort.get_available_providers()]
        if missing:
            return Availability(False, f"onnxruntime {ort.__version__} lacks {missing} "
                                       "(install onnxruntime-gpu for CUDA)")
        return Availability(True)

    def versions(self) -> dict[str, str]:
        import onnxruntime as ort

        return {"onnxruntime": ort.__version__, "providers": ",".join(self.providers)}

    def compile(self, guide, onnx_path: Path, batch_size: int, work_dir: Path,
                options: CompileOptions, model=None) -> OrtModel:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The process's CPU share (harness.cpu: the cores split between xdist workers).
        threads = options.extra.get("intra_op_threads") or cpu.session_threads()
        if threads:
            so.intra_op_num_threads = int(threads)
        session = ort.InferenceSession(str(onnx_path), so, providers=list(self.providers))
        return OrtModel(guide, batch_size, onnx_path, session)


class OnnxRuntimeCudaBackend(OnnxRuntimeBackend):
    name = "onnxruntime-cuda"
    marker = "gpu"
    description = "ONNX Runtime, CUDA execution provider"
    providers = ("CUDAExecutionProvider",)

    def chip(self, options: CompileOptions) -> str:
        """The guides' name for this GPU ("Tesla T4" -> "T4"), so published T4 floors and
        cross-chip rules apply on a T4 and nowhere else."""
        from harness import gpu

        dev = gpu.device(options.device_id)
        return dev.chip if dev is not None else "cuda"

    def versions(self) -> dict[str, str]:
        from harness import gpu

        dev = gpu.device(0)
        return {**super().versions(), "gpu": dev.name if dev else "unknown",
                "driver": dev.driver if dev else "unknown"}
