"""PyTorch eager execution of the guide's model: the reference every backend is held to."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from harness.backends.base import Availability, Backend, CompiledModel, CompileOptions
from harness.export import torch_outputs


class TorchModel(CompiledModel):
    backend = "torch"

    def __init__(self, guide, batch_size, path, model):
        super().__init__(guide, batch_size, path)
        self.model = model.eval()

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return torch_outputs(self.model, feeds, self.guide.input_names())

    def benchmark(self, warmup: int = 2, rounds: int = 10, seed: int = 0):
        """As every backend; the record names PyTorch's CPU threads (``--threads``)."""
        import torch

        stats = super().benchmark(warmup, rounds, seed)
        stats.extra["intra_op_threads"] = torch.get_num_threads()
        return stats


class TorchBackend(Backend):
    name = "torch"
    description = "PyTorch eager on the CPU (reference)"

    def availability(self) -> Availability:
        try:
            import torch  # noqa: F401
        except ImportError:
            return Availability(False, "torch is not installed: pip install -r requirements.txt")
        return Availability(True)

    def versions(self) -> dict[str, str]:
        import torch

        return {"torch": torch.__version__}

    def compile(self, guide, onnx_path: Path, batch_size: int, work_dir: Path,
                options: CompileOptions, model=None) -> TorchModel:
        if model is None:
            raise ValueError("the torch backend needs the PyTorch model")
        return TorchModel(guide, batch_size, onnx_path, model)
