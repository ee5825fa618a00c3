"""Rehearsal of the real tier in CI: every guide's ``test_accuracy_real`` run end to end on
ONNX Runtime and on the Ascend double, past the official-count check, on a declared subset.

The material is what a user would put under ``--data-root`` and ``--weights-root``: the
guide's generated dataset in the real layout and folder names, and a checkpoint in the
upstream file format holding seeded random weights (harness/rehearsal.py), read by the
guide's own loader. Its checksum cannot match the published one, so the run says
``--weights-checksum record``; with ``--subset`` the published numbers are recorded as
"subset", never judged.

DG-Net's real tier is left out of CI for its cost (its generator's real-weights export and
FID: 5.4 min on two loaded cores, ``harness.rehearsal.write_auxiliary_files`` writes the
Inception weights it needs); without them the run shows its skip naming that file.

Kept small for two CPU cores: a few samples, batch size 1, one subprocess for all guides
and both backends, the shared artifact cache.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import guides
from harness.datasets.subset import first_n
from harness.rehearsal import write_checkpoint, write_dataset

from .nested_runs import nested_env

REPO = Path(__file__).resolve().parents[2]
REHEARSED = ("dpn131", "centroids_reid", "pamtri", "transpose")
NOT_REHEARSED = {"dgnet": "pt_inception-2015-12-05-6726825d.pth not found"}
SUBSET = 3
BACKENDS = ("onnxruntime", "ascend")


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """(data root, weights root) holding every guide's rehearsal material."""
    base = tmp_path_factory.mktemp("rehearsal")
    data, weights = base / "data", base / "weights"
    for name in REHEARSED + tuple(NOT_REHEARSED):
        g = guides.get(name)
        write_dataset(g, data, g.dataset.synthetic_size)
        write_checkpoint(g, weights)
    return data, weights


def run_suite(roots, suite_options, tmp_path, *args, names=REHEARSED + tuple(NOT_REHEARSED)
              ) -> tuple[subprocess.CompletedProcess, list[dict], float]:
    """``pytest`` on the real-tier stage of guides ``names`` in a subprocess; (process, records, seconds)."""
    data, weights = roots
    results = tmp_path / "results.jsonl"
    env = nested_env(suite_options)
    env["COLUMNS"] = "1000"  # whole failure messages in the short summary
    files = [f"tests/conformance/test_{name}.py" for name in names]
    cmd = [sys.executable, "-m", "pytest", *files, "-k", "test_accuracy_real", "--data-root", str(data),
           "--weights-root", str(weights), "--batch-sizes", "1", "--results", str(results),
           "-q", "-rA", "-p", "no:randomly", "-p", "no:cacheprovider", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
                          start_new_session=True)
    seconds = time.perf_counter() - t0
    records = ([json.loads(line) for line in results.read_text().splitlines() if line.strip()]
               if results.is_file() else [])
    return proc, records, seconds


def expected_samples(roots, name: str) -> int:
    g = guides.get(name)
    kept, _ = first_n(g.dataset.open(roots[0] / g.dataset.subdir), SUBSET)
    return len(kept.sample_ids)


@pytest.mark.slow
def test_every_real_tier_runs_end_to_end_on_a_subset(roots, suite_options, tmp_path):
    proc, records, seconds = run_suite(roots, suite_options, tmp_path, "-p", "tests.doubles.ascend.plugin",
                                       "--backend", ",".join(BACKENDS), "--subset", str(SUBSET),
                                       "--weights-checksum", "record")
    out = proc.stdout[-6000:] + proc.stderr[-2000:]
    print(f"real-tier rehearsal: {seconds:.0f} s")
    assert proc.returncode == 0, f"exit {proc.returncode} after {seconds:.0f} s:\n{out}"
    assert f"{2 * len(REHEARSED)} passed" in proc.stdout, out
    for name in REHEARSED:
        for backend in BACKENDS:
            mine = {r["check"]: r for r in records if r["guide"] == name and r["backend"] == backend}
            assert mine["official split"]["verdict"] == "subset", (name, backend, mine.get("official split"))
            count = mine["samples evaluated"]
            assert (count["verdict"], count["value"]) == ("pass", expected_samples(roots, name)), count
            for ref in guides.get(name).references:
                v = mine[ref.metric]
                assert v["verdict"] == "subset" and math.isfinite(v["value"]), (name, backend, v)
                assert "not judged" in v["message"], v
                # By default the real tier keeps no .bin files: ONNX Runtime takes the
                # preprocessing's arrays, the Ascend runner takes them in shards.
                assert v["details"]["inputs"] == "streamed", (name, backend, v["details"])
            provenance = mine[guides.get(name).references[0].metric]["environment"]
            status = provenance["weights_checksum"]["real"]
            # DPN131 publishes an md5 the random weights cannot have; the others publish none.
            assert status.startswith("unverified: md5 ") if name == "dpn131" else status == "not published"
            assert provenance["subset"]["real"].startswith(f"first {SUBSET} of")
        assert f"{name:<14}  subset 2 (not judged)" in proc.stdout, out
    for name, reason in NOT_REHEARSED.items():
        assert not [r for r in records if r["guide"] == name]
        assert reason in proc.stdout, out


@pytest.mark.slow
def test_without_a_subset_the_official_count_check_fails(roots, suite_options, tmp_path):
    """The rehearsal's small dataset is not the official split: the same run without
    ``--subset`` fails every guide on the count check, before anything is built."""
    proc, records, _ = run_suite(roots, suite_options, tmp_path, "--backend", "onnxruntime")
    out = proc.stdout[-8000:]
    assert proc.returncode == 1, out
    assert f"{len(REHEARSED)} failed" in proc.stdout, out
    for name in REHEARSED:
        g = guides.get(name)
        assert any(line.startswith("FAILED") and f"test_{name}.py" in line and "test_accuracy_real" in line
                   for line in proc.stdout.splitlines()), out
        # Each guide's own message (the failure's "E" lines: the short summary may trim the
        # middle of a long line): the folder and the official size it falls short of.
        errors = [line for line in proc.stdout.splitlines()
                  if line.startswith("E ") and str(roots[0] / g.dataset.subdir) in line]
        assert errors, f"{name}: no failure line names {roots[0] / g.dataset.subdir}\n{out}"
        assert any(str(n) in line for line in errors for n in g.dataset.expected_counts.values()), errors
    assert not [r for r in records if r["stage"] == "accuracy"]  # nothing measured, nothing recorded

