"""pytest plugin for tests/harness/test_divergence.py: a backend compiles a copy of the
guide's ONNX with one planted fault - the weights of its Conv number k scaled (by 1.05
unless given) - and writes that Conv's node and output name to a report file.
``SUITE_PLANT_CONV=<k>[:<scale>]`` plants it in the ONNX Runtime backend (report
``SUITE_PLANT_REPORT``), ``SUITE_PLANT_ASCEND_CONV=<k>[:<scale>]`` in the Ascend backend
(report ``SUITE_PLANT_ASCEND_REPORT``). Load with
``-p tests.harness.divergence_plant``."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from harness.backends import ascend as ascend_backend
from harness.backends import onnxruntime as ort_backend


def _planted(onnx_path: Path, folder: Path, plan: str, report: Path) -> Path:
    import onnx
    from onnx import numpy_helper

    conv_index, _, scale = plan.partition(":")
    model = onnx.load(str(onnx_path))
    conv = [n for n in model.graph.node if n.op_type == "Conv"][int(conv_index)]
    weights = next(i for i in model.graph.initializer if i.name == conv.input[1])
    factor = np.float32(scale or 1.05)
    weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) * factor, weights.name))
    data = model.SerializeToString()
    # Named by content and never rewritten: a cached om compiled from it stays valid.
    out = Path(folder) / f"planted_{hashlib.sha256(data).hexdigest()[:16]}_{Path(onnx_path).name}"
    if not out.is_file():
        tmp = out.with_suffix(f".{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, out)
    report.write_text(f"{conv.name}\n{conv.output[0]}\n{out}\n")
    return out


def _plant(backend_class, conv_env: str, report_env: str) -> None:
    if conv_env not in os.environ:
        return
    original = backend_class.compile

    def compile_planted(self, guide, onnx_path, batch_size, work_dir, options, model=None):
        planted = _planted(onnx_path, work_dir, os.environ[conv_env], Path(os.environ[report_env]))
        return original(self, guide, planted, batch_size, work_dir, options, model)

    backend_class.compile = compile_planted


_plant(ort_backend.OnnxRuntimeBackend, "SUITE_PLANT_CONV", "SUITE_PLANT_REPORT")
_plant(ascend_backend.AscendBackend, "SUITE_PLANT_ASCEND_CONV", "SUITE_PLANT_ASCEND_REPORT")
