"""PyTorch -> ONNX exactly as a guide's pth2onnx script does it, then checked.

The guides export with opset 10-11, which ``atc`` accepts; torch's TorchScript exporter
(``dynamo=False``) is the one that produces those opsets. Names, opset, dummy input and
dynamic axes come from the guide record, so the ONNX graph has the guide's interface.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from harness.errors import SuiteError


class ExportError(SuiteError):
    pass


@dataclass(frozen=True)
class OnnxInterface:
    """What an ONNX file exposes: names, shapes (symbolic dims as strings), opset."""

    inputs: tuple[tuple[str, tuple], ...]
    outputs: tuple[tuple[str, tuple], ...]
    opset: int


def export_onnx(guide, model, out_path: Path, batch_size: Optional[int]) -> Path:
    """Export ``model`` for ``guide``; ``batch_size`` None means the dynamic-batch export."""
    import torch

    settings = guide.export
    adapter = guide.extra.get("export_adapter")
    if adapter is not None:
        model = adapter(model)
    model = model.eval()
    bs = batch_size or 1
    gen = torch.Generator().manual_seed(0)
    dummies = tuple(
        (torch.zeros(spec.concrete(bs)) if settings.dummy == "zeros"
         else torch.randn(spec.concrete(bs), generator=gen))
        for spec in guide.inputs
    )
    dynamic_axes = None
    if batch_size is None:
        if not settings.dynamic_batch:
            raise ExportError(f"guide {guide.name} exports a fixed batch: give a batch size")
        dynamic_axes = {t.name: {0: settings.batch_axis_name} for t in guide.inputs + guide.outputs}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                model, dummies, buf,
                input_names=guide.input_names(), output_names=guide.output_names(),
                opset_version=settings.opset, dynamic_axes=dynamic_axes,
                do_constant_folding=True, dynamo=False,
            )
    data = buf.getvalue()
    if settings.simplify:
        data = _simplify(data)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    check_onnx(out_path)
    return out_path


def _simplify(data: bytes) -> bytes:
    """onnx-simplifier when installed (the guide runs it); otherwise the graph as is.

    Simplification only folds constants and removes no-ops, so ONNX Runtime's numbers do
    not depend on it; ``atc`` compiles either form.
    """
    try:
        import onnx
        import onnxsim  # optional dependency
    except ImportError:
        return data
    model, ok = onnxsim.simplify(onnx.load_from_string(data))
    if not ok:
        raise ExportError("onnx-simplifier could not validate the simplified model")
    return model.SerializeToString()


def check_onnx(path: Path) -> None:
    import onnx

    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:  # onnx raises several types; all mean "invalid model"
        raise ExportError(f"onnx.checker rejected {path}: {exc}") from None


def read_interface(path: Path) -> OnnxInterface:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    init_names = {i.name for i in model.graph.initializer}

    def dims(value_info):
        return tuple(
            d.dim_param if d.dim_param else d.dim_value
            for d in value_info.type.tensor_type.shape.dim
        )

    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    return OnnxInterface(
        inputs=tuple((i.name, dims(i)) for i in model.graph.input if i.name not in init_names),
        outputs=tuple((o.name, dims(o)) for o in model.graph.output),
        opset=opset,
    )


def torch_outputs(model, feeds: dict[str, np.ndarray], input_names: list[str]) -> list[np.ndarray]:
    """Run the PyTorch model on numpy feeds; outputs as a list of float32 arrays."""
    import torch

    with torch.no_grad():
        out = model(*[torch.from_numpy(np.ascontiguousarray(feeds[n])) for n in input_names])
    if isinstance(out, torch.Tensor):
        out = (out,)
    return [o.detach().cpu().numpy() for o in out]


def check_onnx_file(path: Path) -> None:
    """A cached ONNX file must parse (a truncated one raises protobuf's DecodeError)."""
    import onnx

    if not path.is_file():
        raise FileNotFoundError(f"{path.name} is missing")
    try:
        onnx.load_model(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends
        raise ValueError(f"{path.name} is not a readable ONNX model ({type(exc).__name__}: {exc})") from None


def onnx_simplifier_version() -> Optional[str]:
    from importlib import metadata

    try:
        return metadata.version("onnxsim")
    except metadata.PackageNotFoundError:
        return None
