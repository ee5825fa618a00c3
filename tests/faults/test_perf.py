"""Throughput faults: zero completed rounds, invalid latencies, and option values that
would make a measurement vacuous (named by their option)."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures import options as suite_options
from harness import checks
from harness.guides.base import ThroughputFloor, Source
from harness.perf import PerfError, PerfStats

from .test_outputs import FakeModel


def test_zero_rounds_is_an_error_naming_the_batch_size():
    stats = PerfStats(8, (), 2, "ais_bench NPU_compute_time")
    with pytest.raises(PerfError, match=r"batch size 8 completed zero rounds \(ais_bench NPU_compute_time"):
        stats.validate()


def test_benchmark_with_zero_rounds_cannot_pass():
    stats = FakeModel(2).benchmark(warmup=0, rounds=0)
    assert stats.rounds == 0
    with pytest.raises(PerfError, match="completed zero rounds"):
        stats.validate()
    floor = ThroughputFloor("cpu", 2, 1.0, Source("test", "none"))
    verdict = checks.throughput_floor("floor", stats.median_fps, floor)
    assert not verdict.passed and "nan samples/s" in verdict.message


@pytest.mark.parametrize("latencies,shown", [((1.0, float("nan")), "nan"), ((0.0, 2.0), "0.0"),
                                              ((-1.0,), "-1.0"), ((float("inf"),), "inf")])
def test_invalid_latencies_are_named(latencies, shown):
    with pytest.raises(PerfError, match=rf"batch size 4 has invalid latencies \[{shown}"):
        PerfStats(4, latencies, 1, "harness wall clock").validate()


class _Config:
    """The few pytest.Config attributes ``fixtures.options.parse`` reads."""

    def __init__(self, root: Path, **values):
        self.rootpath = root
        self.values = values

    def getoption(self, name, default=None):
        if name == "markexpr":
            return ""
        return self.values.get(name)


@pytest.mark.parametrize("flag,value,expected", [
    ("--perf-rounds", "0", r"--perf-rounds 0: must be at least 1"),
    ("--perf-rounds", "ten", r"--perf-rounds ten: must be an integer"),
    ("--perf-warmup", "-1", r"--perf-warmup -1: must be at least 0"),
    ("--synthetic-size", "0", r"--synthetic-size 0: must be at least 1"),
    ("--tool-timeout", "soon", r"--tool-timeout soon: must be a number of seconds"),
    ("--tool-timeout", "0", r"--tool-timeout 0: must be a positive number of seconds"),
    ("--tool-timeout", "nan", r"--tool-timeout nan: must be a positive number of seconds"),
    ("--batch-sizes", "1,x", r"--batch-sizes 1,x: must be 'fast', 'all' or a comma-separated list"),
    ("--backend", "onnxrt", r"--backend onnxrt: unknown \['onnxrt'\]"),
])
def test_bad_option_values_name_the_option(tmp_path, monkeypatch, flag, value, expected):
    for env, _, _ in suite_options.OPTIONS.values():
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(pytest.UsageError, match=expected):
        suite_options.parse(_Config(tmp_path, **{flag: value}))


def test_missing_data_root_option_names_the_path(tmp_path, monkeypatch):
    for env, _, _ in suite_options.OPTIONS.values():
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(pytest.UsageError, match=rf"--data-root {tmp_path / 'gone'}: not a folder"):
        suite_options.parse(_Config(tmp_path, **{"--data-root": str(tmp_path / "gone")}))
