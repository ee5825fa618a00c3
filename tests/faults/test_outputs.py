"""Output faults at the harness level: missing, truncated or oversized files, fewer
outputs than inputs, wrong shapes, NaN/Inf. Every one fails naming the file or sample."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness.backends.base import CompiledModel
from harness.guides.base import TensorSpec
from harness.io import SampleIOError, check_outputs, read_bin, sample_ids_in

INPUTS = (TensorSpec("x", ("B", 2, 3)),)
OUTPUTS = (TensorSpec("y", ("B", 4), layout="NC"),)
GUIDE = SimpleNamespace(inputs=INPUTS, outputs=OUTPUTS, output_names=lambda: ["y"])


def write_inputs(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"img_{i}" for i in range(n)]
    for i, sid in enumerate(ids):
        np.full((2, 3), i, np.float32).tofile(folder / f"{sid}.bin")
    return ids


class FakeModel(CompiledModel):
    """Returns sum-of-input outputs, broken on purpose according to ``fault``."""

    backend = "fake"

    def __init__(self, batch_size: int, fault: str = ""):
        super().__init__(GUIDE, batch_size, Path("fake.model"))
        self.fault, self.calls = fault, 0

    def run(self, feeds):
        self.calls += 1
        x = feeds["x"]
        y = np.repeat(x.reshape(len(x), -1).sum(axis=1, keepdims=True), 4, axis=1).astype(np.float32)
        if self.fault == "nan" and self.calls == 2:
            y[0, 1] = np.nan
        if self.fault == "inf":
            y[-1, 0] = np.inf
        if self.fault == "short_batch":
            y = y[:-1]
        if self.fault == "no_outputs":
            return []
        return [y]


def test_clean_run_covers_every_sample(tmp_path):
    ids = write_inputs(tmp_path / "x", 5)
    out = FakeModel(2).run_samples({"x": tmp_path / "x"}, ids)
    assert sorted(out) == sorted(ids) and float(out["img_3"][0][0]) == 18.0


@pytest.mark.parametrize("fault,expected", [
    ("nan", r"fake bs2: sample img_2 output 0 has 1 NaN/Inf values"),
    ("inf", r"fake bs2: sample img_(1|3|4) output 0 has 1 NaN/Inf values"),
    ("short_batch", r"output 'y' has shape \(1, 4\), expected \(2, 4\)"),
    ("no_outputs", r"model returned 0 outputs, the guide declares 1"),
])
def test_broken_model_outputs_fail_naming_the_sample(tmp_path, fault, expected):
    ids = write_inputs(tmp_path / "x", 5)
    with pytest.raises(SampleIOError, match=expected):
        FakeModel(2, fault).run_samples({"x": tmp_path / "x"}, ids)


def test_fewer_outputs_than_inputs_and_zero_samples():
    outs = {"a": [np.zeros(4)], "b": [np.zeros(4)]}
    with pytest.raises(SampleIOError, match=r"acc: 2 of 4 samples have no output \(e\.g\. \['c', 'd'\]\)"):
        check_outputs(outs, ["a", "b", "c", "d"], what="acc")
    with pytest.raises(SampleIOError, match="zero samples"):
        check_outputs({}, [], what="acc")


@pytest.mark.parametrize("size,expected", [(23, r"23 bytes, expected 24 .* - truncated"), (0, r"0 bytes, expected 24"),
                                           (28, r"28 bytes, expected 24 \(float32 \(2, 3\)\)$")])
def test_wrong_size_input_files_are_named(tmp_path, size, expected):
    ids = write_inputs(tmp_path / "x", 3)
    bad = tmp_path / "x" / "img_1.bin"
    bad.write_bytes(b"\x01" * size)
    with pytest.raises(SampleIOError, match=expected) as err:
        FakeModel(1).run_samples({"x": tmp_path / "x"}, ids)
    assert str(bad) in str(err.value)


def test_missing_input_file_and_folder(tmp_path):
    ids = write_inputs(tmp_path / "x", 3)
    (tmp_path / "x" / "img_2.bin").unlink()
    with pytest.raises(SampleIOError, match=r"missing file: .*img_2\.bin"):
        FakeModel(4).run_samples({"x": tmp_path / "x"}, ids)
    with pytest.raises(SampleIOError, match=r"input folder not found: .*nothere"):
        sample_ids_in({"x": tmp_path / "nothere"}, INPUTS)
    with pytest.raises(SampleIOError, match=r"missing file: .*\.bin"):
        read_bin(tmp_path / "x" / "img_2.bin", (2, 3))


def test_input_folders_that_disagree(tmp_path):
    two = (TensorSpec("x", ("B", 2, 3)), TensorSpec("z", ("B", 2, 3)))
    write_inputs(tmp_path / "x", 3)
    write_inputs(tmp_path / "z", 2)
    with pytest.raises(SampleIOError, match=r"input folders disagree: .*z lacks \['img_2'\]"):
        sample_ids_in({"x": tmp_path / "x", "z": tmp_path / "z"}, two)


def test_guide_session_refuses_nan_outputs_before_any_metric(tmp_path):
    """The accuracy stage path (GuideSession.outputs -> evaluate) with a model that emits
    NaN for one sample: the error names backend, batch size, set and sample."""
    from fixtures.artifacts import GuideSession, Tier
    from harness import guides
    from harness.cache import ArtifactCache
    from harness.preprocess.store import Prepared

    from .test_datasets import options

    ids = write_inputs(tmp_path / "x", 3)
    gs = GuideSession(guides.get("dpn131"), options(tmp_path), ArtifactCache(tmp_path / "cache"))
    tier = Tier("synthetic")
    gs._memo[("prepared", "synthetic")] = Prepared(tmp_path, ids, {"main": {"x": tmp_path / "x"}})
    model = FakeModel(2, "nan")
    model.guide = GUIDE
    gs._memo[("compiled", "fake", "synthetic", 2)] = model
    with pytest.raises(SampleIOError, match=r"fake bs2: sample img_2 output 0 has 1 NaN/Inf"):
        gs.outputs("fake", tier, 2)
