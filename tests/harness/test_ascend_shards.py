"""Streamed preprocessing on the Ascend backend (harness/backends/ascend_shards.py), through
the test double: each shard is one runner pass over files written for it and deleted
after it, and the outputs are bit-identical to one ``run_samples`` pass over all the
written files, whatever the shard size (rounded up to whole batches), with a padded last
shard, two input sets (TransPose's main and flipped) or two model inputs (DG-Net's), and
samples that arrive out of the runner's order. At most about one shard is on disk at a
time and nothing is left after a run; a failing shard is named with its samples and only
its own files are kept, for inspection.

Kept small for two CPU cores: a tiny convolutional model, 5-7 samples, 2-3 shards a run
(the double's runner is one process per shard)."""
from __future__ import annotations

import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness import guides
from harness.ascend.errors import AisBenchError
from harness.backends.ascend_shards import DEFAULT_SHARD_SIZE, rounded_shard_size, runner_file_names
from harness.guides.base import TensorSpec
from harness.preprocess.store import Job, Prepared, dirs_for, run_jobs
from harness.preprocess.stream import SampleStream, plan
from tests.harness import test_ascend_runners as runner_tests

# The runner tests' fake CANN install, tiny model and compile helper.
fake, tiny, compiled = runner_tests.fake, runner_tests.tiny, runner_tests.compiled

SHAPE = (3, 8, 8)


# -- a tiny pipeline: any sets, any inputs, ids in any order ----------------------------------
def seeded_arrays(payload):
    sid, files = payload
    rng = np.random.default_rng(zlib.crc32(sid.encode()))
    return [(rel, rng.standard_normal(SHAPE).astype(np.float32)) for rel in files]


def pipeline(ids, sets=("main",), inputs=("image",)):
    """One job per sample writing ``<set>_<input>/<id>.bin`` for every set and input (TransPose's
    main and flipped inputs also come from one job)."""
    def preprocess(samples, out_root, workers=0, progress=None):
        files = {sid: tuple(f"{s}_{i}/{sid}.bin" for s in sets for i in inputs) for sid in ids}
        run_jobs([Job(sid, files[sid], (sid, files[sid])) for sid in ids], out_root, seeded_arrays,
                 workers=workers, progress=progress)
        return Prepared(Path(out_root), list(ids),
                        dirs_for(Path(out_root), {s: {i: f"{s}_{i}" for i in inputs} for s in sets}))
    return preprocess


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory, tiny):
    """A DG-Net-like model: two image inputs, two outputs."""
    import torch

    from harness.export import export_onnx

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(6, 4, 3, padding=1)
            self.head = torch.nn.Linear(4 * 8 * 8, 5)

        def forward(self, image, structure):
            x = torch.relu(self.conv(torch.cat([image, structure], 1)))
            return self.head(x.flatten(1)), x.mean(1)

    torch.manual_seed(0)
    guide = tiny.guide.replace(name="pair", runner="ais_bench",
                               inputs=(TensorSpec("image", ("B",) + SHAPE), TensorSpec("structure", ("B",) + SHAPE)),
                               outputs=(TensorSpec("class", ("B", 5), layout="NC"),
                                        TensorSpec("map", ("B", 8, 8), layout="NHW")))
    onnx = export_onnx(guide, Pair().eval(), tmp_path_factory.mktemp("pair") / "pair.onnx", None)
    return SimpleNamespace(guide=guide, onnx=onnx)


class Observed:
    """The model's runner, counting the input files on disk whenever it runs."""

    def __init__(self, runner, work_dir: Path):
        self.runner, self.work_dir, self.present, self.calls = runner, work_dir, [], []

    def batch_order(self, names):
        return self.runner.batch_order(names)

    def run_folders(self, model, folders, names, specs, batch_size, scratch):
        self.present.append(len([p for p in self.work_dir.rglob("*.bin") if "in" in p.parts]))
        self.calls.append(list(names))
        for folder in folders:  # each shard's folders hold exactly its samples
            assert sorted(p.name for p in Path(folder).iterdir()) == sorted(names.values())
        return self.runner.run_folders(model, folders, names, specs, batch_size, scratch)


def observe(model, monkeypatch) -> Observed:
    observed = Observed(model._runner(), model.work_dir)
    monkeypatch.setattr(model, "_runner", lambda: observed)
    return observed


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def by_set_from_files(model, prepared):
    return {s: model.run_samples(dirs, prepared.ids_of(s)) for s, dirs in prepared.input_sets.items()}


def assert_bit_identical(got: dict, want: dict):
    assert sorted(got) == sorted(want)
    for set_name in want:
        assert sorted(got[set_name]) == sorted(want[set_name]), set_name
        for sid, arrays in want[set_name].items():
            assert len(got[set_name][sid]) == len(arrays)
            for a, b in zip(got[set_name][sid], arrays):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (set_name, sid)


CASES = {
    # name: (runner, batch size, ids in run order, sets, inputs, --shard-size, shard sizes per set)
    "bs1-three-shards": ("ais_bench", 1, [f"{i:04d}" for i in range(5)], ("main",), ("image",), 2, [2, 2, 1]),
    "legacy-benchmark": ("benchmark", 4, [f"{i:04d}" for i in range(7)], ("main",), ("image",), 3, [4, 3]),
    "main-and-flip": ("ais_infer", 4, [f"{i:012d}" for i in range(7)], ("main", "flip"), ("image",), 4, [4, 3]),
    "reversed-ids": ("ais_bench", 4, [str(i) for i in reversed(range(7))], ("main",), ("image",), 3, [3, 4]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_sharded_stream_equals_one_run_over_the_files(fake, tiny, tmp_path, monkeypatch, case):
    """Per case: the outputs of every set bit-identical to run_samples, each shard a whole
    number of batches (rounded up), the last one short; nothing left on disk."""
    runner, bs, ids, sets, inputs, requested, sizes = CASES[case]
    model = compiled(fake, tiny, tmp_path, bs=bs, SUITE_ASCEND_RUNNER=runner)
    model.options.extra["shard_size"] = requested
    assert model.shard_size == rounded_shard_size(requested, bs) and model.shard_size % bs == 0
    preprocess = pipeline(ids, sets, inputs)
    want = by_set_from_files(model, preprocess(None, tmp_path / "files"))
    observed = observe(model, monkeypatch)
    ticks = []
    got = model.run_stream(SampleStream(*plan(preprocess, None, tmp_path / "stream"), model.guide.inputs),
                           progress=ticks.append)
    assert_bit_identical(got, want)
    per_set = len(sizes)
    # Each shard is a run of consecutive files in the runner's own order: the batches of one full run.
    order = observed.batch_order(runner_file_names(ids))
    runs = [order[k:k + model.shard_size] for k in range(0, len(order), model.shard_size)]
    assert sorted(observed.calls) == sorted(runs * len(sets)) and sorted(map(len, runs)) == sorted(sizes)
    assert ticks and sorted(ticks) == sorted(sizes * len(sets)), "progress ticks once per shard"
    assert model.last_feed["shards"] == per_set * len(sets) and model.last_feed["shard_size"] == model.shard_size
    # Peak disk: the shards being filled, never more than one per set.
    assert max(observed.present) <= model.shard_size * len(sets) * len(inputs), observed.present
    assert model.last_feed["peak_input_files"] == max(observed.present)
    assert not files_under(model.work_dir), files_under(model.work_dir)


def test_two_model_inputs_stream_like_their_files(fake, tiny, two_inputs, tmp_path, monkeypatch):
    model = compiled(fake, SimpleNamespace(onnx=two_inputs.onnx), tmp_path, bs=1, guide=two_inputs.guide)
    model.options.extra["shard_size"] = 2
    preprocess = pipeline([f"{i:03d}_gan{i}" for i in range(3)], inputs=("image", "structure"))
    want = by_set_from_files(model, preprocess(None, tmp_path / "files"))
    observed = observe(model, monkeypatch)
    got = model.run_stream(SampleStream(*plan(preprocess, None, tmp_path / "stream"), model.guide.inputs))
    assert_bit_identical(got, want)
    assert [len(c) for c in observed.calls] == [2, 1] and max(observed.present) == 2 * 2
    assert not files_under(model.work_dir)


def test_a_failing_shard_is_named_and_only_its_files_are_kept(fake, tiny, tmp_path, monkeypatch):
    """The double writes no output for sample 0005 (shard 2 of 2): the error names the
    shard, its samples and the command; that shard's folder is kept, nothing else."""
    model = compiled(fake, tiny, tmp_path, bs=4, SUITE_ASCEND_RUNNER="ais_bench", SUITE_DOUBLE_AIS_DROP="0005")
    model.options.extra["shard_size"] = 4
    preprocess = pipeline([f"{i:04d}" for i in range(7)])
    ticks = []
    with pytest.raises(AisBenchError) as failed:
        model.run_stream(SampleStream(*plan(preprocess, None, tmp_path / "stream"), model.guide.inputs),
                         progress=ticks.append)
    message = str(failed.value)
    assert "shard 2 of 2 of set 'main' (samples 4-6 in run order: 0004 .. 0006) failed" in message, message
    assert "-m ais_bench" in message and "0005" in message and "fewer outputs than inputs" in message
    (kept,) = model.work_dir.rglob("*.shard*")
    assert f"its input and output files are kept in {kept}" in message
    assert sorted(p.name for p in files_under(kept / "in")) == ["0004.bin", "0005.bin", "0006.bin"]
    assert all(p.is_relative_to(kept) for p in files_under(model.work_dir)), "only the failed shard remains"
    assert ticks == [4], "the first shard ran and was counted"


def test_shard_size_rounds_up_to_whole_batches():
    assert [rounded_shard_size(n, 4) for n in (1, 3, 4, 5, 1024)] == [4, 4, 4, 8, 1024]
    assert [rounded_shard_size(n, 64) for n in (1, 1000, 1024)] == [64, 1024, 1024]
    assert rounded_shard_size(7, 1) == 7


# -- the option ---------------------------------------------------------------------------------
@pytest.mark.parametrize("given, expected", [({"--shard-size": "0"}, r"--shard-size 0: must be at least 1"),
                                             ({"--shard-size": "many"}, r"--shard-size many: must be an integer")])
def test_bad_shard_size_is_a_usage_error_naming_the_flag(tmp_path, monkeypatch, given, expected):
    from fixtures import options as suite_options
    from tests.faults.test_perf import _Config

    for env, _, _ in suite_options.OPTIONS.values():
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(pytest.UsageError, match=expected):
        suite_options.parse(_Config(tmp_path, **given))
    monkeypatch.setenv("SUITE_SHARD_SIZE", "-3")
    with pytest.raises(pytest.UsageError, match=r"SUITE_SHARD_SIZE=-3: must be at least 1"):
        suite_options.parse(_Config(tmp_path))


def test_shard_size_reaches_the_backend(tmp_path, monkeypatch):
    from fixtures import options as suite_options
    from fixtures.artifacts import GuideSession
    from harness.cache import ArtifactCache
    from tests.faults.test_datasets import options
    from tests.faults.test_perf import _Config

    for env, _, _ in suite_options.OPTIONS.values():
        monkeypatch.delenv(env, raising=False)
    assert suite_options.parse(_Config(tmp_path)).shard_size == DEFAULT_SHARD_SIZE
    monkeypatch.setenv("SUITE_SHARD_SIZE", "96")
    assert suite_options.parse(_Config(tmp_path)).shard_size == 96
    assert suite_options.parse(_Config(tmp_path, **{"--shard-size": "12"})).shard_size == 12
    gs = GuideSession(guides.get("dpn131"), options(tmp_path, shard_size=96), ArtifactCache(tmp_path / "cache"))
    assert gs.compile_options().extra["shard_size"] == 96
