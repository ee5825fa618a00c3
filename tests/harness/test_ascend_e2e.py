"""The whole Ascend path in CI, through the test double: ``pytest -m npu -k dpn131`` in a
subprocess with ``-p tests.doubles.ascend.plugin`` compiles DPN131 with ``atc`` per batch
size, runs ``ais_bench`` for the compile, accuracy and throughput stages, and every
stage's records pass (throughput: recorded; the double's chip has no published floor).

Kept small for two CPU cores: 5 synthetic samples (so bs4 runs a padded last batch), two
timed rounds. The ONNX comes from the shared cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_dpn131_through_atc_and_ais_bench_double(tmp_path, suite_options):
    results = tmp_path / "results.jsonl"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SUITE_", "PYTEST_")) and k != "ASCEND_RT_VISIBLE_DEVICES"}
    env["SUITE_CACHE_DIR"] = str(suite_options.cache_dir)
    cmd = [sys.executable, "-m", "pytest", "tests/conformance", "-m", "npu", "-k", "dpn131",
           "-p", "tests.doubles.ascend.plugin", "--batch-sizes", "1,4", "--synthetic-size", "5",
           "--perf-rounds", "2", "--perf-warmup", "1", "--results", str(results), "-q", "-rA"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
                          start_new_session=True)
    tail = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}"
    records = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    ascend = [r for r in records if r["backend"] == "ascend"]
    bad = [(r["stage"], r["check"], r["verdict"], r["message"]) for r in ascend
           if r["verdict"] not in ("pass", "recorded")]
    assert not bad, bad
    seen = {(r["stage"], r["check"].split(" (")[0], r["batch_size"]) for r in ascend}
    for bs in (1, 4):
        for stage, check in [("compile", "ascend vs onnxruntime"), ("accuracy", "samples evaluated"),
                             ("accuracy", "top1 vs pytorch"), ("accuracy", "per-sample agreement"),
                             ("throughput", "throughput measured"), ("throughput", "throughput audit")]:
            assert (stage, check, bs) in seen, f"no {stage}/{check} record at bs{bs}: {sorted(seen)}"
    counts = [r["value"] for r in ascend if r["check"] == "samples evaluated"]
    assert counts == [5, 5]
    measured = [r for r in ascend if r["check"] == "throughput measured"]
    assert all(r["details"]["source"] == "ais_bench NPU_compute_time" and r["details"]["rounds"] == 2
               for r in measured), measured
    assert {r["chip"] for r in ascend} == {"Ascend310B1"}
    assert "No published floor for chip 'Ascend310B1'" in proc.stdout
