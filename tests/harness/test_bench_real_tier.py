"""The real-tier benchmark's own checks (benchmarks/bench_real_tier.py), without its runs:
the disk sampler sees a file that exists only for a moment, and the table fails a run whose
outputs differ, a slow stream and a default mode over its disk target."""
from __future__ import annotations

import time

import numpy as np

from benchmarks.bench_real_tier import FULL_SIZE, GB, DiskPeak, Run, differences, folder_bytes, rows


def test_folder_bytes_counts_nested_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.bin").write_bytes(b"\0" * 10_000)
    (tmp_path / "y.bin").write_bytes(b"\0" * 5_000)
    assert folder_bytes(tmp_path) >= 15_000
    assert folder_bytes(tmp_path / "missing") == 0


def test_disk_peak_sees_a_file_written_and_deleted_during_the_run(tmp_path):
    with DiskPeak(tmp_path, interval=0.01) as disk:
        f = tmp_path / "shard.bin"
        f.write_bytes(b"\1" * 200_000)
        time.sleep(0.2)
        f.unlink()
    assert disk.peak >= 200_000 and disk.samples >= 2
    assert folder_bytes(tmp_path) == 0


def _run(mode, workers, seconds, peak, outputs, values=None, label=None):
    return Run(label or f"{mode}, {workers}", mode, workers, seconds, 100, peak, 0,
               values or {"top1": 1.0, "top5": 5.0}, outputs)


def _outputs(shift=0.0):
    return {"main": {f"s{i}": [np.full(4, i + (shift if i == 3 else 0.0), np.float32)] for i in range(5)}}


def test_identical_runs_pass_and_a_changed_sample_fails():
    same = [_run("cache", 1, 10.0, 3 * GB, _outputs()), _run("stream", 1, 10.0, 0, _outputs()),
            _run("compact", 1, 10.0, GB // 4, _outputs())]
    table = {r.what: r for r in rows(same, 5000, 1024)}
    assert table["metric outputs identical across 3 runs"].met is True
    changed = same[:2] + [_run("compact", 1, 10.0, GB // 4, _outputs(shift=1e-6))]
    assert differences(same[0], changed[2]) == ["set main: 1 samples' outputs differ (e.g. ['s3'])"]
    verdict = rows(changed, 5000, 1024)[-1]
    assert verdict.met is False and "s3" in verdict.notes


def test_a_changed_metric_is_a_difference():
    a = _run("cache", 1, 10.0, 0, _outputs())
    b = _run("stream", 1, 10.0, 0, _outputs(), values={"top1": 1.2, "top5": 5.0})
    assert differences(a, b) and "metric" in differences(a, b)[0]


def test_speed_and_disk_verdicts():
    runs = [_run("cache", 1, 10.0, 3 * GB, _outputs()), _run("stream", 1, 11.0, 6 * GB, _outputs())]
    table = {r.what: r for r in rows(runs, 5000, 1024)}
    speed = table["real tier spnasnet_100 5000 images, cache vs stream (1 worker)"]
    assert speed.met is False and abs(speed.ratio - 10 / 11) < 1e-9
    # Cache mode is opt-in: extrapolated (x10) and shown, not judged; the default stream is.
    cache_disk = table["peak disk, cache (spnasnet_100)"]
    assert cache_disk.met is None and f"{30.0:.2f} GB at {FULL_SIZE}" in cache_disk.notes
    assert table["peak disk, stream (spnasnet_100)"].met is False
