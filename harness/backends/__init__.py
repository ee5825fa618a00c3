"""Backend registry. Backends are imported lazily, so a missing optional dependency
(CANN's Python packages, onnxruntime-gpu, tensorrt) only matters when that backend is asked for.

    >>> from harness import backends
    >>> backends.get("onnxruntime").availability()
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from harness.backends.base import (  # noqa: F401  (re-exported)
    Availability, Backend, BackendError, CompiledModel, CompileOptions,
)

# name -> "module:Class"; add a line to register a backend.
_REGISTRY = {
    "onnxruntime": "harness.backends.onnxruntime:OnnxRuntimeBackend",
    "onnxruntime-cuda": "harness.backends.onnxruntime:OnnxRuntimeCudaBackend",
    "torch": "harness.backends.torch_eager:TorchBackend",
    "ascend": "harness.backends.ascend:AscendBackend",
    "tensorrt": "harness.backends.tensorrt:TensorRTBackend",
}


def names() -> list[str]:
    return list(_REGISTRY)


@lru_cache(maxsize=None)
def get(name: str) -> Backend:
    try:
        target = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown backend {name!r}; known: {', '.join(_REGISTRY)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def marker_of(name: str) -> str | None:
    """The pytest marker a backend's tests carry, without importing the backend."""
    return {"ascend": "npu", "onnxruntime-cuda": "gpu", "tensorrt": "gpu"}.get(name)
