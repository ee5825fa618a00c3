"""A cache that heals itself: artifacts found damaged on reuse (a truncated ONNX or model
file, a deleted or added file, a garbled marker, a preprocessed set missing a sample)
are evicted and rebuilt once with a warning naming them; a rebuild that is damaged
again is an error. Temporaries of builders killed by SIGKILL are swept by the next run,
never those of a live builder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from fixtures.artifacts import GuideSession
from harness import guides
from harness.cache import ArtifactCache, CacheError
from harness.cache_health import MARKER, CacheRepairWarning

from .test_cache import CHILD

pytest_plugins = ["pytester"]


def tiny_onnx(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    onnx.save(helper.make_model(graph), str(path))


class CountingExport:
    """Stands in for the exporter: a small valid ONNX file, and a count of the builds."""

    def __init__(self):
        self.calls = 0

    def __call__(self, guide, model, path: Path, batch):
        self.calls += 1
        tiny_onnx(path)


@pytest.fixture
def onnx_session(tmp_path, monkeypatch):
    """``GuideSession.onnx`` as the suite calls it, with a small model and exporter."""
    import torch

    import fixtures.artifacts as artifacts

    export = CountingExport()
    monkeypatch.setattr(artifacts, "export_onnx", export)
    monkeypatch.setattr(GuideSession, "model", lambda self, tier: torch.nn.Linear(2, 2).requires_grad_(False))
    torch.manual_seed(0)

    def new_session():  # a fresh process's view: nothing memoised
        torch.manual_seed(0)
        return GuideSession(guides.get("transpose"), SimpleNamespace(), ArtifactCache(tmp_path / "cache"))
    return new_session, export


def test_truncated_cached_onnx_is_rebuilt_once_with_a_warning_naming_it(onnx_session):
    new_session, export = onnx_session
    gs = new_session()
    path = gs.onnx(gs.synthetic(), 1)
    good = path.read_bytes()
    path.write_bytes(good[:len(good) // 2])  # a disk error or a killed copy
    gs = new_session()
    with pytest.warns(CacheRepairWarning) as caught:
        again = gs.onnx(gs.synthetic(), 1)
    assert again == path and again.read_bytes() == good and export.calls == 2
    msg = str(caught[0].message)
    assert f"cached onnx artifact {path.parent} is unusable" in msg and "truncated" in msg, msg
    gs = new_session()  # healed: reused quietly from now on
    assert gs.onnx(gs.synthetic(), 1) == path and export.calls == 2


def test_damaged_onnx_from_before_manifests_is_caught_by_parsing_it(onnx_session):
    """Artifacts published by an older suite carry no manifest: the ONNX parse catches them."""
    new_session, export = onnx_session
    gs = new_session()
    path = gs.onnx(gs.synthetic(), 1)
    marker = path.parent / MARKER
    meta = json.loads(marker.read_text())
    del meta["manifest"]
    marker.write_text(json.dumps(meta))
    path.write_bytes(path.read_bytes()[:40])
    gs = new_session()
    with pytest.warns(CacheRepairWarning, match=rf"{path.name} is not a readable ONNX model \(DecodeError"):
        gs.onnx(gs.synthetic(), 1)
    assert export.calls == 2


def _model_artifact(cache: ArtifactCache, log: list, validate=None):
    def build(folder: Path):
        log.append(folder)
        (folder / "model.om").write_bytes(b"om" * 5000)
        (folder / "sub").mkdir()
        (folder / "sub" / "fusion_result.json").write_text("{}")
    return cache.get_or_build("om", {"guide": "g", "bs": 1}, build, validate=validate)


def _truncate(art):
    (art.path / "model.om").write_bytes(b"om" * 100)


def _delete(art):
    (art.path / "sub" / "fusion_result.json").unlink()


def _add(art):
    (art.path / "stray.bin").write_bytes(b"x")


def _garble_marker(art):
    (art.path / MARKER).write_text('{"kind": "om", "ke')


def _empty_marker(art):
    (art.path / MARKER).write_text("")


def _list_marker(art):
    (art.path / MARKER).write_text("[1, 2]")


@pytest.mark.parametrize("damage,reason", [
    (_truncate, "holds 2 files, 202 bytes; it was published with 2 files, 10002 bytes"),
    (_delete, "holds 1 files"),
    (_add, "holds 3 files"),
    (_garble_marker, rf"its metadata .*{MARKER} is not the JSON object"),
    (_empty_marker, rf"its metadata .*{MARKER} is not the JSON object .*0 characters"),
    (_list_marker, rf"its metadata .*{MARKER} is not the JSON object"),
], ids=lambda v: v.__name__.strip("_") if callable(v) else None)
def test_any_damaged_artifact_is_rebuilt_without_a_kind_specific_check(tmp_path, damage, reason):
    """A compiled model or any other artifact without its own check: the manifest
    recorded at publication catches a truncated, deleted or added file; the marker must
    be the JSON object the cache wrote."""
    cache, log = ArtifactCache(tmp_path), []
    art = _model_artifact(cache, log)
    damage(art)
    with pytest.warns(CacheRepairWarning, match=reason):
        again = _model_artifact(ArtifactCache(tmp_path), log)
    assert again.built and len(log) == 2 and (again.path / "model.om").read_bytes() == b"om" * 5000
    assert not _model_artifact(ArtifactCache(tmp_path), log).built  # and reused from then on
    assert [p.name for p in (tmp_path / "om").iterdir() if ".tmp-" in p.name] == []


def test_artifact_unusable_again_after_its_rebuild_is_an_error_naming_it(tmp_path):
    def always_fails(path, meta):
        raise ValueError("model.om was compiled for Ascend310 (the host has Ascend910B3)")

    cache, log = ArtifactCache(tmp_path), []
    art = _model_artifact(cache, log)  # a fresh build is not checked again
    with pytest.warns(CacheRepairWarning), pytest.raises(CacheError) as err:
        _model_artifact(ArtifactCache(tmp_path), log, validate=always_fails)
    msg = str(err.value)
    assert f"cached om artifact {art.path} was unusable and is unusable again after a rebuild" in msg
    assert "compiled for Ascend310" in msg and len(log) == 2
    assert not art.path.exists(), "a known-bad artifact was left published"


def test_preprocessed_set_missing_a_sample_is_rebuilt(tmp_path):
    """Resumable artifacts heal too: the damaged set is evicted whole and built again."""
    from harness.guides.base import TensorSpec
    from harness.preprocess import store

    import numpy as np

    spec = TensorSpec("x", ("B", 4))
    log = []

    def build(folder: Path):
        log.append(1)
        store.run_jobs([store.Job(str(i), (f"x/{i}.bin",), i) for i in range(3)], folder, _sample)
        return {"sample_ids": ["0", "1", "2"]}

    def validate(path, meta):
        store.check_complete(store.Prepared(path, meta["sample_ids"], {"main": {"x": path / "x"}}), [spec])

    def get():
        return ArtifactCache(tmp_path).get_or_build("bins", {"set": 1}, build, resumable=True,
                                                    validate=validate, validate_covers_files=True)
    art = get()
    (art.path / "x" / "1.bin").unlink()
    with pytest.warns(CacheRepairWarning, match=rf"preprocessed file missing: {art.path / 'x' / '1.bin'}"):
        again = get()
    assert again.built and len(log) == 2
    assert np.array_equal(np.fromfile(again.path / "x" / "1.bin", np.float32), _sample(1)[0][1])


def test_suites_preprocessed_set_with_a_truncated_bin_is_rebuilt(tmp_path):
    """Through ``GuideSession.prepared`` as the stages call it."""
    options = SimpleNamespace(synthetic_size=2, workers=0)

    def session():
        return GuideSession(guides.get("dpn131"), options, ArtifactCache(tmp_path / "cache"))
    gs = session()
    prepared = gs.prepared(gs.synthetic())
    victim = prepared.set()["image"] / f"{prepared.sample_ids[1]}.bin"
    good = victim.read_bytes()
    victim.write_bytes(good[:1000])
    gs = session()
    with pytest.warns(CacheRepairWarning, match=rf"{victim}: 1000 bytes, expected {len(good)}"):
        again = gs.prepared(gs.synthetic())
    assert again.root == prepared.root and victim.read_bytes() == good
    assert session().prepared(gs.synthetic()).sample_ids == prepared.sample_ids


def _sample(i):
    import numpy as np

    return [(f"x/{i}.bin", np.full(4, i, np.float32))]


def test_two_processes_finding_one_damaged_artifact_rebuild_it_once(tmp_path):
    """Both see the damage; the first to take the lock rebuilds, the other then finds the
    repaired artifact under the lock and reuses it."""
    go, log = tmp_path / "go", tmp_path / "builds.log"
    go.touch()
    first = subprocess.run([sys.executable, str(CHILD), "build", str(tmp_path / "cache"), str(go), str(log), "0"],
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    artifact = Path(json.loads(first.stdout.strip().splitlines()[-1])["path"])
    (artifact / "model.onnx").write_bytes(b"artifact bu")  # truncated
    go.unlink()
    racers = [subprocess.Popen([sys.executable, str(CHILD), "build", str(tmp_path / "cache"), str(go),
                                str(log), "1.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("go.ready.*"))) < 3 and time.monotonic() < deadline:  # 1 + 2 racers
        time.sleep(0.01)
    go.touch()
    results = [r.communicate(timeout=60) for r in racers]
    assert all(r.returncode == 0 for r in racers), [e for _, e in results]
    infos = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert len(log.read_text().split()) == 2, "the damaged artifact was rebuilt more than once"
    assert sorted(i["built"] for i in infos) == [False, True]
    assert infos[0]["content"] == infos[1]["content"] == f"artifact built by {log.read_text().split()[1]}"
    assert sum("CacheRepairWarning" in err for _, err in results) == 1, [e for _, e in results]


def test_repair_warning_is_shown_in_the_pytest_output(pytester):
    """The warning reaches the run's warnings summary (what a nightly log shows)."""
    pytester.makepyfile(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from harness.cache import ArtifactCache

        def build(folder):
            (folder / "model.onnx").write_bytes(b"0" * 1000)

        def test_reuse(tmp_path):
            ArtifactCache(tmp_path).get_or_build("onnx", {{"g": 1}}, build)
            path = next((tmp_path / "onnx").glob("*/model.onnx"))
            path.write_bytes(b"0" * 10)
            assert ArtifactCache(tmp_path).get_or_build("onnx", {{"g": 1}}, build).built
    """)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*CacheRepairWarning: cached onnx artifact *onnx/* is unusable*"
                                 "evicting it and building it again*"])


# -- temporaries of killed builders ---------------------------------------------------------
def test_generation_killed_by_sigkill_leaves_no_temporary_after_the_next_run(tmp_path):
    killed = subprocess.run([sys.executable, str(CHILD), "killed-build", str(tmp_path), "datasets"],
                            capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = [p for p in (tmp_path / "datasets").iterdir() if ".tmp-" in p.name]
    assert len(leftovers) == 1 and (leftovers[0] / "half.jpg").is_file()  # what kill -9 leaves
    ArtifactCache(tmp_path).get_or_build("datasets", {"another": "set"}, lambda f: (f / "a").touch())
    assert [p for p in (tmp_path / "datasets").iterdir() if ".tmp-" in p.name] == []


def test_stale_temporary_is_gone_after_the_next_synthetic_generation(tmp_path):
    """A planted ``<key>.tmp-*`` folder (its builder gone) under the suite's own dataset
    generation: ``GuideSession.dataset`` sweeps it."""
    stale = tmp_path / "cache" / "datasets" / ("0" * 32 + ".tmp-k1ll3d")
    (stale / "imagenet" / "val").mkdir(parents=True)
    (stale / "imagenet" / "val" / "ILSVRC2012_val_00000001.JPEG").write_bytes(b"\xff\xd8half")
    options = SimpleNamespace(synthetic_size=2)
    gs = GuideSession(guides.get("dpn131"), options, ArtifactCache(tmp_path / "cache"))
    assert len(gs.dataset(gs.synthetic()).sample_ids) == 2
    assert not stale.exists()
    assert [p.name for p in stale.parent.iterdir() if ".tmp-" in p.name] == []


def test_temporary_of_a_live_builder_is_never_swept(tmp_path):
    kind_dir = tmp_path / "datasets"
    live = kind_dir / ("1" * 32 + ".tmp-live")
    live.mkdir(parents=True)
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, str(CHILD), "hold-lock", str(kind_dir / ("1" * 32 + ".lock")),
                               str(ready)], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ready.exists(), "the lock holder did not start"
        ArtifactCache(tmp_path).get_or_build("datasets", {"other": 1}, lambda f: (f / "a").touch())
        assert live.is_dir(), "a live builder's temporary was deleted"
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    ArtifactCache(tmp_path).get_or_build("datasets", {"other": 2}, lambda f: (f / "a").touch())
    assert not live.exists(), "the temporary outlived its builder"
