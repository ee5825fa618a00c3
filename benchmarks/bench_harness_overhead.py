"""Harness overhead: throughput measured by ``CompiledModel.benchmark`` against a bare ONNX
Runtime loop (``session.run`` on a pre-built feed dict) on the same session and batch,
interleaved round by round so both see the same machine load.

    python -m benchmarks.bench_harness_overhead [--rounds 20]

Two models: DPN131 (the wired guide, seeded weights; one batch takes ~0.1-1 s on a CPU)
and a tiny convolution (sub-millisecond batches, where per-call overhead would show).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import types
from pathlib import Path

import numpy as np

from benchmarks.common import Row, table


def _bare_fps(session, names, feeds, batch: int, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        session.run(names, feeds)
        out.append(batch / (time.perf_counter() - t0))
    return out


def compare(model, label: str, rounds: int, blocks: int = 5) -> Row:
    """Alternate blocks of harness and bare rounds; ratio of the medians."""
    rng = np.random.default_rng(0)
    feeds = {s.name: rng.standard_normal(s.concrete(model.batch_size)).astype(s.dtype)
             for s in model.guide.inputs}
    names = model.guide.output_names()
    harness, bare = [], []
    per_block = max(2, rounds // blocks)
    for _ in range(blocks):
        stats = model.benchmark(warmup=1, rounds=per_block)
        harness += stats.throughputs()
        _bare_fps(model.session, names, feeds, model.batch_size, 1)  # warm-up
        bare += _bare_fps(model.session, names, feeds, model.batch_size, per_block)
    h, b = statistics.median(harness), statistics.median(bare)
    return Row(f"harness overhead {label} bs{model.batch_size}", f"{b:.1f} samples/s",
               f"{h:.1f} samples/s", h / b, ">= 0.98", h / b >= 0.98,
               f"median of {len(harness)} interleaved rounds each; same session, same inputs",
               extra={"harness_fps": h, "bare_fps": b})


def _dpn131_model(batch: int, cache_dir: Path):
    from fixtures.artifacts import GuideSession
    from harness import guides
    from harness.backends.base import CompileOptions
    from harness.backends.onnxruntime import OnnxRuntimeBackend
    from harness.cache import ArtifactCache

    guide = guides.get("dpn131")
    gs = GuideSession(guide, types.SimpleNamespace(), ArtifactCache(cache_dir))
    onnx_path = gs.onnx(gs.synthetic(), batch)
    return OnnxRuntimeBackend().compile(guide, onnx_path, batch, Path(tempfile.gettempdir()),
                                        CompileOptions())


def _tiny_model(batch: int, folder: Path):
    """A 3->8 channel 3x3 convolution on 3x32x32: a batch runs in microseconds."""
    import dataclasses

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from harness import guides
    from harness.backends.base import CompileOptions
    from harness.backends.onnxruntime import OnnxRuntimeBackend
    from harness.guides.base import TensorSpec

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((8, 3, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w"], ["class"], pads=[1, 1, 1, 1])], "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["B", 3, 32, 32])],
        [helper.make_tensor_value_info("class", TensorProto.FLOAT, ["B", 8, 32, 32])], [w])
    path = folder / "tiny.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), path)
    guide = dataclasses.replace(guides.get("dpn131"), name="tiny-conv",
                                inputs=(TensorSpec("image", ("B", 3, 32, 32)),),
                                outputs=(TensorSpec("class", ("B", 8, 32, 32)),))
    return OnnxRuntimeBackend().compile(guide, path, batch, folder, CompileOptions())


def run(rounds: int = 20, cache_dir: Path = Path(".cache/suite")) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(compare(_tiny_model(1, Path(tmp)), "tiny conv", max(rounds * 50, 500)))
    rows.append(compare(_dpn131_model(1, cache_dir), "dpn131", rounds))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--cache-dir", type=Path, default=Path(".cache/suite"))
    args = ap.parse_args(argv)
    print(table(run(args.rounds, args.cache_dir)))


if __name__ == "__main__":
    main()
