"""pytest plugin for tests/harness/test_divergence.py: the ONNX Runtime backend compiles a
copy of the guide's ONNX with one planted fault - the weights of its Conv number
``SUITE_PLANT_CONV`` scaled by 1.05 - and writes that Conv's node and output name to
``SUITE_PLANT_REPORT``. Load with ``-p tests.harness.divergence_plant``."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from harness.backends import onnxruntime as ort_backend

_compile = ort_backend.OnnxRuntimeBackend.compile


def _planted(onnx_path: Path, folder: Path) -> Path:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    conv = [n for n in model.graph.node if n.op_type == "Conv"][int(os.environ.get("SUITE_PLANT_CONV", "3"))]
    weights = next(i for i in model.graph.initializer if i.name == conv.input[1])
    weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) * np.float32(1.05), weights.name))
    out = Path(folder) / f"planted_{Path(onnx_path).name}"
    onnx.save(model, str(out))
    Path(os.environ["SUITE_PLANT_REPORT"]).write_text(f"{conv.name}\n{conv.output[0]}\n")
    return out


def compile_planted(self, guide, onnx_path, batch_size, work_dir, options, model=None):
    return _compile(self, guide, _planted(onnx_path, work_dir), batch_size, work_dir, options, model)


ort_backend.OnnxRuntimeBackend.compile = compile_planted
