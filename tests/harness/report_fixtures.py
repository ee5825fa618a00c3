"""Two recorded runs for the report tests: a baseline and an upgrade with planted problems."""
from __future__ import annotations

from harness.runs import Run
from tests.harness import gate_records as make


def planted_runs():
    """Baseline on 'CANN 8.0', current on '8.1': top1 drop at bs1, bs16 regression, bs4 noise."""
    sizes = (1, 4, 8, 16)
    base_fps = {1: 150.0, 4: 370.0, 8: 378.0, 16: 310.0}
    cur_fps = {1: 149.0, 4: 350.0, 8: 380.0, 16: 240.0}
    cur_spread = {1: 0.02, 4: 0.35, 8: 0.01, 16: 0.02}
    chip, backend = "Ascend310P3", "ascend"
    base = [make.throughput(bs=b, median=base_fps[b], spread=0.02, chip=chip, backend=backend) for b in sizes]
    base += [make.metric(79.43, bs=b, chip=chip, backend=backend, per_sample=make.classes()) for b in (1, 16)]
    cur = [make.throughput(bs=b, median=cur_fps[b], spread=cur_spread[b], chip=chip, backend=backend)
           for b in sizes]
    cur += [make.metric(78.2, bs=1, chip=chip, backend=backend, per_sample=make.classes(flips=("img002",))),
            make.metric(79.40, bs=16, chip=chip, backend=backend, per_sample=make.classes())]
    tests = [{"nodeid": f"t::export[{i}]", "guide": "dpn131", "stage": "export", "outcome": "passed"}
             for i in range(2)]
    tests += [{"nodeid": "t::accuracy", "guide": "dpn131", "stage": "accuracy", "outcome": "failed",
               "message": "top1 dropped"},
              {"nodeid": "t::thr", "guide": "dpn131", "stage": "throughput", "outcome": "inconclusive"},
              {"nodeid": "t::pre", "guide": "transpose", "stage": "preprocess", "outcome": "skipped"}]
    meta = {"label": "cann-8.1", "provenance": {"git": "abc123", "toolkit": "8.1.RC1", "soc": chip},
            "tests": tests}
    return (Run(None, meta, cur),
            Run(None, {"label": "cann-8.0", "provenance": {"git": "abc000", "toolkit": "8.0.0"}}, base))
