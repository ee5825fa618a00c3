"""TensorRT: the guides' GPU column (``trtexec --onnx=... --fp16`` on a T4).

The engine is built from the same ONNX the other backends run, in fp16 as the guides'
trtexec runs, one static batch size per engine, and cached like an om file: keyed by the
ONNX digest, the TensorRT version, the GPU (name and compute capability) and the
precision, built once under the artifact cache's file lock.

Throughput is measured as trtexec reports it: the GPU compute time of each timed
inference (CUDA events around the enqueue on one stream, host transfers excluded), and
``1000 * batch / mean(GPU compute ms)`` is the statistic the guides publish
(``trtexec_throughput`` runs trtexec itself on the cached engine for a cross-check).

Buffers live in torch CUDA tensors, so nothing beyond ``tensorrt`` and the CUDA build of
torch the suite already installs is needed.
"""
from __future__ import annotations

import re
import statistics
from pathlib import Path
from typing import Mapping

import numpy as np

from harness.backends.base import Availability, Backend, BackendError, CompiledModel, CompileOptions
from harness.hashing import file_digest
from harness.perf import PerfStats

ENGINE = "model.engine"
PRECISION = "fp16"
# The statistic trtexec prints and the guides' T4 tables were computed from.
TRTEXEC_MEAN = "trtexec GPU compute mean"


def _trt():
    import tensorrt as trt  # optional: only for the GPU column

    return trt


class TensorRTModel(CompiledModel):
    backend = "tensorrt"

    def __init__(self, guide, batch_size: int, path: Path, engine_bytes: bytes, device_id: int):
        super().__init__(guide, batch_size, path)
        import torch

        trt = _trt()
        self._torch = torch
        self.device = torch.device("cuda", device_id)
        self._logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(self._logger)
        self.engine = self._runtime.deserialize_cuda_engine(engine_bytes)
        if self.engine is None:
            raise BackendError(f"{path}: TensorRT could not deserialize the engine (built by "
                               "another TensorRT version or GPU?); delete it to rebuild")
        self.context = self.engine.create_execution_context()
        self.stream = torch.cuda.Stream(device=self.device)
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        is_input = {n: self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT for n in names}
        missing = [n for n in guide.input_names() if not is_input.get(n)]
        missing += [n for n in guide.output_names() if is_input.get(n, True)]
        if missing:
            raise BackendError(f"{path}: engine lacks the guide's tensors {missing}; it has {names}")
        self.buffers, self.dtypes = {}, {}
        for spec in guide.inputs:
            shape = spec.concrete(batch_size)
            self.context.set_input_shape(spec.name, shape)
            self.buffers[spec.name] = self._alloc(spec.name, shape)
        for name in guide.output_names():
            self.buffers[name] = self._alloc(name, tuple(self.context.get_tensor_shape(name)))
        for name, tensor in self.buffers.items():
            self.context.set_tensor_address(name, tensor.data_ptr())

    def _alloc(self, name: str, shape):
        trt, torch = _trt(), self._torch
        np_dtype = np.dtype(trt.nptype(self.engine.get_tensor_dtype(name)))
        self.dtypes[name] = np_dtype
        dtype = torch.from_numpy(np.zeros(0, np_dtype)).dtype
        return torch.empty(tuple(int(d) for d in shape), dtype=dtype, device=self.device)

    def _load(self, feeds: Mapping[str, np.ndarray]) -> None:
        for spec in self.guide.inputs:
            array = np.ascontiguousarray(feeds[spec.name])
            if tuple(array.shape) != spec.concrete(self.batch_size):
                raise ValueError(f"input {spec.name!r} has shape {array.shape}, engine built for "
                                 f"{spec.concrete(self.batch_size)}")
            host = array.astype(self.dtypes[spec.name], copy=False)
            self.buffers[spec.name].copy_(self._torch.from_numpy(host))

    def _execute(self) -> None:
        if not self.context.execute_async_v3(self.stream.cuda_stream):
            raise BackendError(f"{self.path}: TensorRT execute_async_v3 failed")

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        self._load(feeds)
        torch = self._torch
        torch.cuda.current_stream(self.device).synchronize()
        self._execute()
        self.stream.synchronize()
        # fp16 I/O (if the engine chose it) comes back as float32, like every backend's.
        return [self.buffers[n].cpu().numpy().astype(np.float32, copy=False)
                if self.buffers[n].is_floating_point() else self.buffers[n].cpu().numpy()
                for n in self.guide.output_names()]

    def timed_call(self, feeds: Mapping[str, np.ndarray]):
        self._load(feeds)
        self._torch.cuda.current_stream(self.device).synchronize()
        stream = self.stream

        def call():
            self._execute()
            stream.synchronize()
        return call

    def benchmark(self, warmup: int = 2, rounds: int = 10, seed: int = 0) -> PerfStats:
        """GPU compute time per inference (CUDA events on the engine's stream), as trtexec's
        "GPU Compute Time"; the published statistic is ``1000 * batch / mean``."""
        rng = np.random.default_rng(seed)
        feeds = {s.name: rng.standard_normal(s.concrete(self.batch_size)).astype(s.dtype)
                 for s in self.guide.inputs}
        call = self.timed_call(feeds)
        for _ in range(warmup):
            call()
        torch = self._torch
        times = []
        for _ in range(rounds):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record(self.stream)
            self._execute()
            end.record(self.stream)
            end.synchronize()
            times.append(float(start.elapsed_time(end)))
        mean = statistics.fmean(times) if times else float("nan")
        published = {TRTEXEC_MEAN: 1000.0 * self.batch_size / mean} if mean > 0 else {}
        return PerfStats(self.batch_size, tuple(times), warmup,
                         "TensorRT GPU compute time (CUDA events, as trtexec)",
                         extra={"engine": str(self.path), "precision": PRECISION},
                         published=published, statistic=TRTEXEC_MEAN if published else "")


class TensorRTBackend(Backend):
    name = "tensorrt"
    marker = "gpu"
    description = "TensorRT engine (fp16, as the guides' trtexec runs)"

    def availability(self) -> Availability:
        try:
            trt = _trt()
        except ImportError as exc:
            return Availability(False, f"tensorrt is not importable ({exc}): pip install -e '.[gpu]' "
                                       "(tensorrt) on a host with an NVIDIA GPU")
        try:
            import torch
        except ImportError:
            return Availability(False, "torch is not installed (pip install -r requirements.txt)")
        if not torch.cuda.is_available():
            return Availability(False, f"tensorrt {trt.__version__} is installed but torch sees no CUDA "
                                       "device (no NVIDIA GPU, driver or CUDA_VISIBLE_DEVICES)")
        return Availability(True)

    def versions(self) -> dict[str, str]:
        import torch

        from harness import gpu

        dev = gpu.device(0)
        return {"tensorrt": _trt().__version__, "cuda": str(torch.version.cuda),
                "gpu": dev.name if dev else "unknown", "driver": dev.driver if dev else "unknown",
                "precision": PRECISION}

    def chip(self, options: CompileOptions) -> str:
        from harness import gpu

        dev = gpu.device(options.device_id)
        if dev is None:
            raise BackendError(f"no GPU {options.device_id} (nvidia-smi and torch list none)")
        return dev.chip

    def cache_identity(self, options: CompileOptions) -> dict:
        return {"backend": self.name, "tensorrt": _trt().__version__, "gpu": _gpu_identity(options.device_id),
                "precision": PRECISION}

    def compile(self, guide, onnx_path: Path, batch_size: int, work_dir: Path,
                options: CompileOptions, model=None) -> TensorRTModel:
        onnx_path = Path(onnx_path).resolve()
        description = {"onnx": file_digest(onnx_path), "batch_size": batch_size, "guide": guide.name,
                       "inputs": [(s.name, s.concrete(batch_size)) for s in guide.inputs],
                       **self.cache_identity(options)}

        def build(folder: Path) -> dict:
            (folder / ENGINE).write_bytes(build_engine(onnx_path, guide, batch_size))
            return {"engine": ENGINE}

        cache = options.extra.get("cache")
        if cache is None:
            folder = Path(work_dir) / f"{guide.name}_bs{batch_size}_trt"
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
        else:
            folder = cache.get_or_build("trt", description, build).path
        engine = folder / ENGINE
        if not engine.is_file() or engine.stat().st_size == 0:
            raise BackendError(f"cached TensorRT build {folder} holds no engine; delete it to rebuild")
        return TensorRTModel(guide, batch_size, engine, engine.read_bytes(), options.device_id)


def build_engine(onnx_path: Path, guide, batch_size: int) -> bytes:
    """fp16 engine for one static batch size (dynamic ONNX axes fixed by a one-point
    optimisation profile); parser errors name the node."""
    trt = _trt()
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if hasattr(trt.NetworkDefinitionCreationFlag, "EXPLICIT_BATCH"):  # TensorRT < 10
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(Path(onnx_path).read_bytes(), str(onnx_path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise BackendError(f"TensorRT cannot parse {onnx_path}: " + "; ".join(errors[:5]))
    config = builder.create_builder_config()
    config.set_flag(trt.BuilderFlag.FP16)
    profile = builder.create_optimization_profile()
    for spec in guide.inputs:
        shape = spec.concrete(batch_size)
        profile.set_shape(spec.name, shape, shape, shape)
    config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise BackendError(f"TensorRT could not build an fp16 engine from {onnx_path} at bs{batch_size} "
                           "(see the TensorRT log above)")
    return bytes(serialized)


_GPU_COMPUTE = re.compile(r"GPU Compute Time:\s*min = ([\d.]+) ms, max = ([\d.]+) ms, mean = ([\d.]+) ms")


def parse_trtexec_gpu_compute(output: str) -> float:
    """Mean GPU compute time (ms) from trtexec's performance summary."""
    match = _GPU_COMPUTE.search(output)
    if not match:
        raise BackendError("trtexec printed no 'GPU Compute Time: min = ..., mean = ...' line")
    return float(match.group(3))


def trtexec_throughput(engine: Path, batch_size: int, timeout_s: float = 600.0,
                       program: str = "trtexec") -> float:
    """trtexec's own figure for a cached engine: ``1000 * batch / mean GPU compute ms``."""
    from harness.ascend.proc import run_tool

    result = run_tool([program, f"--loadEngine={engine}", "--iterations=200", "--warmUp=500",
                       "--duration=0"], timeout_s=timeout_s)
    return 1000.0 * batch_size / parse_trtexec_gpu_compute(result.output)


def _gpu_identity(device_id: int) -> str:
    import torch

    from harness import gpu

    dev = gpu.device(device_id)
    major, minor = torch.cuda.get_device_capability(device_id)
    return f"{dev.name if dev else 'cuda'} sm_{major}{minor}"


