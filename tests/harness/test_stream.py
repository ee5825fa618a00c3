"""Preprocessing streamed into inference (harness/preprocess/stream.py): the model gets the
very arrays and batches the ``.bin`` path would give it, memory stays bounded, the next
batch is prepared while the current one runs, and failures name their sample."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from harness import guides
from harness.errors import PreprocessError
from harness.guides.base import TensorSpec
from harness.io import SampleIOError, batches
from harness.preprocess import store
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs
from harness.preprocess.stream import SampleStream, plan, stream_batches

GUIDES = [pytest.param(n, id=n) for n in guides.representatives()]


def synthetic(guide, tmp_path: Path, n: int):
    folder = tmp_path / "data" / guide.dataset.subdir
    guide.dataset.make_synthetic(folder, n, 0)
    return guide.dataset.open(folder)


def as_bytes(feeds) -> dict:
    return {k: np.ascontiguousarray(v).tobytes() for k, v in feeds.items()}


@pytest.mark.parametrize("guide_name", GUIDES)
@pytest.mark.parametrize("batch_size", [1, 4])
def test_streamed_batches_are_the_file_path_batches_byte_for_byte(tmp_path, guide_name, batch_size):
    """Every set's batches from the stream equal ``harness.io.batches`` over the written
    files: same sample ids, same padding, same bytes in every input."""
    g = guides.get(guide_name)
    samples = synthetic(g, tmp_path, 6)
    written = g.pipeline.preprocess(samples, tmp_path / "files", workers=0)
    prepared, plans = plan(g.pipeline.preprocess, samples, tmp_path / "stream")
    assert not (tmp_path / "stream").exists(), "planning wrote files"
    assert prepared.sample_ids == written.sample_ids and prepared.set_ids == written.set_ids
    stream = SampleStream(prepared, plans, g.inputs)
    got: dict[str, list] = {s: [] for s in prepared.input_sets}
    for set_name, batch in stream_batches(stream, batch_size):
        got[set_name].append((batch.sample_ids, batch.padded, as_bytes(batch.feeds)))
    for set_name, dirs in written.input_sets.items():
        want = [(b.sample_ids, b.padded, as_bytes(b.feeds))
                for b in batches(dirs, g.inputs, batch_size, written.ids_of(set_name))]
        assert len(got[set_name]) == len(want), set_name
        for k, (a, b) in enumerate(zip(got[set_name], want)):
            assert a[:2] == b[:2], (set_name, k, a[:2], b[:2])
            assert a[2] == b[2], f"{guide_name} {set_name} batch {k}: streamed bytes differ from the files"


def test_worker_processes_stream_the_same_arrays(tmp_path):
    g = guides.get("pamtri")
    samples = synthetic(g, tmp_path, 5)
    prepared, plans = plan(g.pipeline.preprocess, samples, tmp_path / "stream")
    alone = [(s, fid, as_bytes(a)) for s, fid, a in SampleStream(prepared, plans, g.inputs)]
    pooled = [(s, fid, as_bytes(a)) for s, fid, a in SampleStream(prepared, plans, g.inputs, workers=2)]
    assert pooled == alone and len(alone) == len(prepared.sample_ids)


# -- a tiny pipeline whose jobs are observable ------------------------------------------------
SPEC = (TensorSpec("x", ("B", 2, 3)),)
STARTED: list[str] = []


def counting_work(payload):
    sid, fail = payload
    STARTED.append(sid)
    if sid == fail:
        raise ValueError("unreadable pixels")
    return [(f"x/{sid}.bin", np.full((2, 3), float(sid.split("_")[1]), np.float32))]


def tiny_preprocess(n: int, fail: str = ""):
    def preprocess(samples, out_root, workers=0, progress=None):
        ids = [f"s_{i}" for i in range(n)]
        run_jobs([Job(sid, (f"x/{sid}.bin",), (sid, fail)) for sid in ids], out_root, counting_work,
                 workers=workers, progress=progress)
        return Prepared(Path(out_root), ids, dirs_for(Path(out_root), {"main": {"x": "x"}}))
    return preprocess


class EchoModel:
    """Outputs each sample's first value: enough to see which sample went where."""

    def __init__(self, bs: int, fail_at: int = -1):
        self.batch_size, self.calls, self.fail_at = bs, 0, fail_at

    def run(self, feeds):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("device lost")
        return [feeds["x"][:, :1, 0]]


def run_stream(model, stream):
    from harness.backends.base import CompiledModel

    class Wrapped(CompiledModel):
        backend = "echo"

        def run(self, feeds):
            return model.run(feeds)

    guide = type("G", (), {"outputs": (TensorSpec("y", ("B", 1)),), "inputs": SPEC})()
    return Wrapped(guide, model.batch_size, Path("echo")).run_stream(stream)


def test_outputs_are_keyed_by_sample_and_padding_is_dropped(tmp_path):
    STARTED.clear()
    prepared, plans = plan(tiny_preprocess(7), None, tmp_path)
    outs = run_stream(EchoModel(3), SampleStream(prepared, plans, SPEC))
    assert {k: float(v[0][0]) for k, v in outs["main"].items()} == {f"s_{i}": float(i) for i in range(7)}


def test_producer_stays_within_prefetch_of_the_model(tmp_path):
    """Bounded memory: at each batch the producer has started at most ``prefetch`` jobs
    beyond what the model has consumed (plus the one in its hands)."""
    STARTED.clear()
    prefetch, bs = 4, 2
    prepared, plans = plan(tiny_preprocess(60), None, tmp_path)
    stream = SampleStream(prepared, plans, SPEC, prefetch=prefetch)
    consumed, ahead = 0, []
    for _, batch in stream_batches(stream, bs):
        consumed += len(batch.sample_ids)
        threading.Event().wait(0.01)  # let the producer run as far as it may
        ahead.append(len(STARTED) - consumed)
    assert consumed == 60
    assert max(ahead) <= prefetch + 2, ahead
    assert stream.peak_buffered <= 1, stream.peak_buffered


def test_next_batch_is_prepared_while_the_model_runs(tmp_path):
    """While the model holds batch 1, the producer prepares batch 2 without being asked."""
    STARTED.clear()
    prepared, plans = plan(tiny_preprocess(8), None, tmp_path)
    stream = SampleStream(prepared, plans, SPEC, prefetch=4)
    it = stream_batches(stream, 2)
    first = next(it)[1]
    deadline = threading.Event()
    for _ in range(500):  # up to 5 s for a thread that needs microseconds
        if len(STARTED) >= 4:
            break
        deadline.wait(0.01)
    assert len(STARTED) >= 4, f"only {STARTED} prepared while batch {first.sample_ids} was held"
    assert sum(len(b.sample_ids) for _, b in it) == 6


def test_a_failing_sample_stops_the_stream_naming_it(tmp_path):
    STARTED.clear()
    prepared, plans = plan(tiny_preprocess(40, fail="s_5"), None, tmp_path)
    with pytest.raises(PreprocessError, match=r"preprocessing sample s_5 failed: ValueError: unreadable pixels"):
        run_stream(EchoModel(2), SampleStream(prepared, plans, SPEC, prefetch=4))
    assert len(STARTED) <= 6 + 1, "the producer went on after the failure"


def test_a_failing_model_stops_the_producer(tmp_path):
    STARTED.clear()
    prepared, plans = plan(tiny_preprocess(200), None, tmp_path)
    with pytest.raises(RuntimeError, match="device lost"):
        run_stream(EchoModel(2, fail_at=2), SampleStream(prepared, plans, SPEC, prefetch=4))
    threading.Event().wait(0.2)
    settled = len(STARTED)
    threading.Event().wait(0.2)
    assert settled == len(STARTED) <= 4 + 4 + 2, STARTED[-3:]
    assert not [t for t in threading.enumerate() if t.name == "preprocess-stream"]


def test_a_wrongly_sized_array_names_the_file(tmp_path):
    def bad(samples, out_root, workers=0, progress=None):
        run_jobs([Job("s_0", ("x/s_0.bin",), ("s_0", ""))], out_root, counting_work)
        return Prepared(Path(out_root), ["s_0"], dirs_for(Path(out_root), {"main": {"x": "x"}}))

    prepared, plans = plan(bad, None, tmp_path)
    wide = (TensorSpec("x", ("B", 2, 4)),)
    with pytest.raises(SampleIOError, match=r"x/s_0.bin: 6 values, input 'x' takes 8"):
        list(SampleStream(prepared, plans, wide))


def test_planning_runs_nothing(tmp_path):
    STARTED.clear()
    prepared, plans = plan(tiny_preprocess(5), None, tmp_path / "p")
    assert STARTED == [] and not (tmp_path / "p").exists()
    assert [j.sample_id for j in plans[0].jobs] == prepared.sample_ids
    assert store._PLANNING.get() is None  # the context ends with the call


def test_guide_session_streams_the_real_tier_with_the_files_outputs(tmp_path):
    """GuideSession.outputs through ONNX Runtime: streamed (``--prepared-data stream``)
    and from the cached files (``cache``), bit-identical outputs for every sample."""
    from fixtures.artifacts import GuideSession, Tier
    from harness.cache import ArtifactCache

    from tests.faults.test_datasets import options

    g = guides.get("resnet18")
    cache = ArtifactCache(tmp_path / "cache")
    tier = Tier("synthetic")
    outs = {}
    for mode in ("cache", "stream"):
        gs = GuideSession(g, options(tmp_path, prepared_data=mode, synthetic_size=5), cache)
        assert gs.streams(tier) == (mode == "stream")
        outs[mode] = gs.outputs("onnxruntime", tier, 4)["main"]
    assert sorted(outs["stream"]) == sorted(outs["cache"]) and len(outs["cache"]) == 5
    for sid, arrays in outs["cache"].items():
        for a, b in zip(arrays, outs["stream"][sid]):
            assert a.tobytes() == b.tobytes(), sid
