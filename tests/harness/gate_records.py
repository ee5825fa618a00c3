"""Synthetic verdict records for the upgrade-gate tests (seeded, small, no model runs)."""
from __future__ import annotations

import numpy as np

from harness.perf import PerfStats
from harness.results import Record
from harness.samples import pack_per_sample


def throughput(guide="dpn131", bs=4, median=100.0, spread=0.02, rounds=20, backend="onnxruntime",
               chip="cpu", seed=0) -> dict:
    """A 'throughput measured' record whose PerfStats really have this median and spread."""
    rng = np.random.default_rng(seed)
    # Per-round throughput symmetric around the median with the requested relative IQR
    # (the IQR of a uniform distribution is half its width).
    fps = median * (1 + spread * (rng.permutation(np.linspace(-1, 1, rounds))))
    stats = PerfStats(bs, tuple(1000.0 * bs / f for f in fps), 2, "synthetic")
    return _dict(Record(guide=guide, stage="throughput", check="throughput measured", verdict="recorded",
                        value=stats.median_fps, batch_size=bs, backend=backend, chip=chip,
                        details=stats.summary()))


def metric(value, guide="dpn131", metric_name="top1", bs=1, backend="onnxruntime", chip="cpu",
           per_sample=None, samples=12) -> dict:
    details = {"metric": metric_name, "samples": samples}
    if per_sample is not None:
        details["per_sample"] = pack_per_sample(per_sample, None, "top-1 class")
    return _dict(Record(guide=guide, stage="accuracy", check=metric_name, verdict="pass", value=value,
                        batch_size=bs, backend=backend, chip=chip, details=details))


def classes(n=12, seed=0, flips=()):
    rng = np.random.default_rng(seed)
    top = {f"img{i:03d}": [int(c) for c in rng.integers(0, 1000, 5)] for i in range(n)}
    for sid in flips:
        top[sid] = [top[sid][0] + 1] + top[sid][1:]
    return top


def _dict(rec: Record) -> dict:
    import json

    return json.loads(rec.to_json())
