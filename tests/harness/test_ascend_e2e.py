"""The whole Ascend path in CI, through the test double: every guide's ``pytest -m npu``
stages in one subprocess with ``-p tests.doubles.ascend.plugin``. Each guide compiles with
``atc`` (TransPose with its fusion switches, in the form the double's 8.0 toolkit takes)
and runs with its own runner - the legacy ``benchmark.x86_64`` (DPN131, PAMTRI),
``ais_infer.py`` (TransPose), ``python -m ais_bench`` (Centroids-reid, DG-Net) - for the
compile, accuracy and throughput stages, and every stage's records pass (throughput:
measured; the double's chip has no published floor, see test_ascend_floors_e2e.py).

Kept small for two CPU cores: batch size 1, 4 synthetic samples, two timed rounds, no
warm-up; ONNX exports and prepared data come from the shared cache."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import guides
from harness.ascend import runners

from .nested_runs import nested_env
from tests.doubles.ascend.npu_smi_double import DEFAULT_NPU_NAME

REPO = Path(__file__).resolve().parents[2]
# The five hand-written guides and one ImageNet family member (the family's members share
# their code path; each of the others has been run on the double once, README).
GUIDES = ("dpn131", "pamtri", "transpose", "centroids_reid", "dgnet", "mnasnet1_0")


@pytest.mark.slow
def test_every_guide_through_atc_and_its_own_runner_on_the_double(tmp_path, suite_options):
    results = tmp_path / "results.jsonl"
    env = nested_env(suite_options)
    cmd = [sys.executable, "-m", "pytest", "tests/conformance", "-m", "npu",
           "-p", "tests.doubles.ascend.plugin", "--batch-sizes", "1", "--synthetic-size", "4",
           "--family-members", "mnasnet1_0",
           "--perf-rounds", "2", "--perf-warmup", "0", "--results", str(results), "-q", "-rA",
           "-p", "no:randomly"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
                          start_new_session=True)
    seconds = time.perf_counter() - t0
    tail = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode} after {seconds:.0f} s:\n{tail}"
    records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    ascend = [r for r in records if r["backend"] == "ascend"]
    bad = [(r["guide"], r["stage"], r["check"], r["verdict"], r["message"][:300]) for r in ascend
           if r["verdict"] not in ("pass", "recorded", "measured")]
    assert not bad, bad
    for name in GUIDES:
        mine = [r for r in ascend if r["guide"] == name]
        stages = {r["stage"] for r in mine}
        assert {"compile", "accuracy", "throughput"} <= stages, (name, sorted(stages))
        (measured,) = [r for r in mine if r["check"] == "throughput measured"]
        extra = measured["details"]["extra"]
        assert extra["runner"] == guides.get(name).runner, (name, extra)
        assert "(the guide's own runner)" in extra["runner_choice"]
        assert measured["details"]["judged_as"] == runners.STATISTIC[extra["runner"]], measured["details"]
    assert {r["chip"] for r in ascend if r["chip"]} == {f"Ascend{DEFAULT_NPU_NAME}"}  # chip-free checks carry none
