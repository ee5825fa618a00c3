"""The compact cache of preprocessed inputs (harness/preprocess/compact.py): 8-bit arrays
kept once, expanded at feed time into exactly the bytes of the ``.bin`` files, about a quarter of
their size or less; a damaged file is an error naming it and its sample."""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from harness import guides
from harness.errors import PreprocessError
from harness.preprocess import compact
from harness.preprocess.store import Job
from harness.preprocess.stream import SampleStream, plan

from tests.harness.test_stream import synthetic, tiny_preprocess

GUIDES = [pytest.param(n, id=n) for n in guides.representatives()]
MAX_SIZE_RATIO = 1 / 3.5  # compact bytes / float32 bytes


def folder_bytes(folder: Path, suffix: str) -> int:
    return sum(p.stat().st_size for p in folder.rglob(f"*{suffix}"))


def streamed_from_compact(g, samples, folder: Path, tmp_path: Path, workers: int = 0):
    prepared, plans = plan(g.pipeline.preprocess, samples, tmp_path / "layout")
    compact.build(plans, folder, workers=workers)
    stream = SampleStream(prepared, compact.from_compact(plans, folder), g.inputs, workers=workers)
    return [(s, fid, {k: v.tobytes() for k, v in arrays.items()}) for s, fid, arrays in stream]


def assert_same_as_files(g, got, written) -> None:
    """Every streamed array equals its written ``.bin`` file byte for byte, all present."""
    want = {s: list(written.ids_of(s)) for s in written.input_sets}
    assert {s: [fid for ss, fid, _ in got if ss == s] for s in want} == want
    for set_name, fid, arrays in got:
        for input_name, data in arrays.items():
            path = written.set(set_name)[input_name] / f"{fid}.bin"
            assert data == path.read_bytes(), f"{g.name} {set_name}/{fid} {input_name}: differs from {path}"


@pytest.mark.parametrize("guide_name", GUIDES)
def test_compact_cache_streams_the_files_bytes_in_a_quarter_of_the_space(tmp_path, guide_name):
    g = guides.get(guide_name)
    samples = synthetic(g, tmp_path, 5)
    written = g.pipeline.preprocess(samples, tmp_path / "files", workers=0)
    got = streamed_from_compact(g, samples, tmp_path / "compact", tmp_path)
    assert_same_as_files(g, got, written)
    ratio = folder_bytes(tmp_path / "compact", compact.SUFFIX) / folder_bytes(tmp_path / "files", ".bin")
    assert 0 < ratio <= MAX_SIZE_RATIO, f"{guide_name}: compact/float32 = {ratio:.3f}"


def test_worker_processes_build_and_stream_the_same_bytes(tmp_path):
    g = guides.get("pamtri")
    samples = synthetic(g, tmp_path, 5)
    written = g.pipeline.preprocess(samples, tmp_path / "files", workers=0)
    pooled = streamed_from_compact(g, samples, tmp_path / "pooled", tmp_path, workers=2)
    alone = streamed_from_compact(g, samples, tmp_path / "alone", tmp_path, workers=0)
    assert pooled == alone
    assert_same_as_files(g, pooled, written)


@pytest.fixture
def built(tmp_path):
    """DPN131, three samples: its layout, plans and a built compact folder."""
    g = guides.get("dpn131")
    prepared, plans = plan(g.pipeline.preprocess, synthetic(g, tmp_path, 3), tmp_path / "layout")
    folder = tmp_path / "compact"
    compact.build(plans, folder)
    first = plans[0].jobs[1]
    return g, prepared, plans, folder, first, folder / compact.compact_name(first)


def stream_all(g, prepared, plans, folder):
    return list(SampleStream(prepared, compact.from_compact(plans, folder), g.inputs))


@pytest.mark.parametrize("damage", ["truncated", "empty", "bit flipped"])
def test_a_damaged_compact_file_names_itself_and_its_sample(built, damage):
    g, prepared, plans, folder, job, path = built
    data = path.read_bytes()
    flipped = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]
    path.write_bytes({"truncated": data[:len(data) // 2], "empty": b"", "bit flipped": flipped}[damage])
    with pytest.raises(PreprocessError) as err:
        stream_all(g, prepared, plans, folder)
    message = str(err.value)
    assert str(path) in message and f"sample {job.sample_id}" in message and "truncated or damaged" in message


def test_a_missing_compact_file_or_array_is_named(built):
    g, prepared, plans, folder, job, path = built
    named, sid = re.escape(str(path)), job.sample_id
    np.savez(path.with_suffix(".tmp.npz"), pixels=np.zeros((2, 2, 3), np.uint8))
    os.replace(path.with_suffix(".tmp.npz"), path)
    with pytest.raises(PreprocessError, match=rf"{named}: compact file of sample {sid} holds \['pixels'\], not 'image'"):
        stream_all(g, prepared, plans, folder)
    path.unlink()
    with pytest.raises(PreprocessError, match=rf"compact file missing: {named} \(sample {sid}\)"):
        stream_all(g, prepared, plans, folder)
    with pytest.raises(PreprocessError, match=rf"compact file missing: {named} \(sample {sid}; 1 missing"):
        compact.check_complete(plans, folder)


def test_only_uint8_arrays_are_written_or_read(built, tmp_path):
    g, prepared, plans, folder, job, path = built
    floats = [("image", np.zeros((2, 2), np.float32))]
    with pytest.raises(PreprocessError, match=r"sample s7: compact array 'image' is float32 .*expected non-empty uint8"):
        compact._save_compact(tmp_path, Job("s7", ("x/s7.npz",), None), floats)
    np.savez(path.with_suffix(".tmp.npz"), image=np.zeros((224, 224, 3), np.int16))
    os.replace(path.with_suffix(".tmp.npz"), path)
    named = re.escape(str(path))
    with pytest.raises(PreprocessError, match=rf"{named}: compact array 'image' of sample {job.sample_id} is int16"):
        stream_all(g, prepared, plans, folder)


def test_building_resumes_with_the_files_already_written(built):
    g, prepared, plans, folder, job, path = built
    others = [p for p in folder.rglob(f"*{compact.SUFFIX}") if p != path]
    before = {p: p.stat().st_mtime_ns for p in others}
    path.unlink()
    compact.build(plans, folder)
    assert path.is_file() and {p: p.stat().st_mtime_ns for p in others} == before
    compact.check_complete(plans, folder)


def test_a_pipeline_without_a_compact_form_is_told(tmp_path):
    _, plans = plan(tiny_preprocess(3), None, tmp_path / "layout")
    assert not compact.has_compact_form(plans)
    assert compact.cached(None, {}, plans, "tiny") is None  # the cache is never asked
    with pytest.raises(PreprocessError, match="counting_work has no compact form"):
        compact.build(plans, tmp_path / "compact")


def test_guide_session_streams_from_the_compact_cache_with_the_files_outputs(tmp_path):
    """GuideSession.outputs through ONNX Runtime: from the compact cache (``--prepared-data
    compact``) and from the cached files (``cache``), bit-identical outputs for every sample;
    a second session reuses the compact folder, and a damaged one is rebuilt with a warning."""
    from fixtures.artifacts import GuideSession, Tier
    from harness.cache import ArtifactCache
    from harness.cache_health import CacheRepairWarning

    from tests.faults.test_datasets import options

    g = guides.get("resnet18")
    cache = ArtifactCache(tmp_path / "cache")
    tier = Tier("synthetic")
    outs, folders = {}, []
    for mode in ("cache", "compact", "compact"):
        gs = GuideSession(g, options(tmp_path, prepared_data=mode, synthetic_size=5), cache)
        assert gs.streams(tier) == (mode == "compact")
        outs[mode] = gs.outputs("onnxruntime", tier, 4)["main"]
        if mode == "compact":
            folders.append(gs.compact(tier))
    assert folders[0] == folders[1] and folders[0].parent == cache.root / "compact"
    assert len(list(folders[0].rglob(f"*{compact.SUFFIX}"))) == 5
    assert sorted(outs["compact"]) == sorted(outs["cache"]) and len(outs["cache"]) == 5
    for sid, arrays in outs["cache"].items():
        for a, b in zip(arrays, outs["compact"][sid]):
            assert a.tobytes() == b.tobytes(), sid
    damaged = next(folders[0].rglob(f"*{compact.SUFFIX}"))
    damaged.write_bytes(damaged.read_bytes()[:100])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gs = GuideSession(g, options(tmp_path, prepared_data="compact", synthetic_size=5), cache)
        assert gs.compact(tier) == folders[0]
    assert any(issubclass(w.category, CacheRepairWarning) for w in caught)
    assert damaged.stat().st_size > 100


def test_prepared_data_option_takes_compact():
    from fixtures.options import _prepared_data

    assert _prepared_data("--prepared-data", " Compact ") == "compact"
    with pytest.raises(pytest.UsageError, match="must be one of auto, cache, stream, compact"):
        _prepared_data("--prepared-data", "bytes")
