"""The upgrade gate as a pytest plugin (fixtures/gate.py), run in-process with pytester.

A baseline run is planted; inner tests record measurements the way the stages do. The
regression and the accuracy drop fail the tests that measured them, planted noise gives
the distinct INCONCLUSIVE outcome (exit status 6 when nothing failed), a steady
measurement passes; the run file, the history, the reports and the JUnit properties are
written.
"""
from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET

from harness.runs import load_run, write_run
from tests.harness import gate_records as make

pytest_plugins = ["pytester"]

INNER = textwrap.dedent("""
    import os

    import numpy as np
    import pytest
    from harness.checks import Verdict
    from harness.perf import PerfStats

    CASES = {1: (300.0, 0.02), 4: (93.0, 0.30), 8: (101.0, 0.02)}  # regression, noise, steady


    def _maybe_skip():
        if os.environ.get("PLANTED_SKIP"):
            pytest.skip("no NPU on this host: install CANN and run on an Ascend host")


    class TestPlanted:  # a guide's conformance class: guide name, stages, batch sizes
        guide_name = "dpn131"

        @pytest.mark.parametrize("batch_size", CASES, ids=["regression", "noise", "steady"])
        def test_throughput(self, record_verdict, batch_size):
            _maybe_skip()
            median, spread = CASES[batch_size]
            bs = batch_size
            fps = median * (1 + spread * np.random.default_rng(0).permutation(np.linspace(-1, 1, 20)))
            s = PerfStats(bs, tuple(1000.0 * bs / f for f in fps), 2, "planted",
                          extra={"command": f"ais_bench --batchsize {bs} --loop 20"})
            record_verdict(Verdict("throughput measured", True, str(s), s.median_fps, outcome="recorded",
                                   details=s.summary()),
                           guide="dpn131", stage="throughput", batch_size=bs, backend="onnxruntime", chip="cpu")
            pytest.skip("no published floor for cpu, so not judged")

        test_throughput.stage = "throughput"

        def test_accuracy(self, record_verdict):
            _maybe_skip()
            v = record_verdict(Verdict("top1", True, "top1 = 78.00", 78.0, 79.43, 1.0,
                                       details={"metric": "top1", "samples": 12}),
                               guide="dpn131", stage="accuracy", batch_size=1, backend="onnxruntime", chip="cpu",
                               env_extra={"backend_versions": {"cann": "8.1.RC1", "driver": "24.1.0"}})
            assert v.passed

        test_accuracy.stage = "accuracy"
""")


def junit_verdicts(testcase) -> dict:
    """A test case's verdicts from its ``verdict.<n>.<field>`` properties, by check name."""
    by_index: dict = {}
    for pr in testcase.iter("property"):
        if not pr.get("name").startswith("verdict."):
            continue
        _, n, field = pr.get("name").split(".")
        by_index.setdefault(n, {})[field] = pr.get("value")
    return {v["check"]: v for v in by_index.values()}


def _baseline(path):
    recs = [make.throughput(bs=1, median=400.0), make.throughput(bs=4, median=100.0),
            make.throughput(bs=8, median=100.0), make.metric(79.43, bs=1)]
    return write_run(path, {"label": "cann-8.0", "provenance": {"toolkit": "8.0.0"}}, recs)


def _setup(pytester):
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", '
                          '"fixtures.summary", "fixtures.gate"]\n')
    pytester.makepyfile(test_inner=INNER)
    return _baseline(pytester.path / "cann-8.0.json")


def test_regressions_fail_noise_is_inconclusive_and_everything_is_written(pytester):
    base = _setup(pytester)
    p = pytester.path
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--baseline", str(base), "--record", str(p / "cann-8.1.json"),
        "--history", str(p / "h.sqlite"), "--report-html", str(p / "r.html"), "--report-md", str(p / "r.md"),
        "--results", str(p / "r.jsonl"), f"--junitxml={p / 'junit.xml'}")
    out = result.stdout.str()
    assert result.ret == 1
    result.assert_outcomes(failed=2, passed=1)
    assert "1 inconclusive" in out
    result.stdout.fnmatch_lines([
        "*throughput regression: median 300.00 vs baseline 400.00*",
        "*top1 dropped: top1 78 vs baseline 79.43*",
        "INCONCLUSIVE*test_throughput[[]noise[]]*too noisy to judge*noisy: current side (spread 30.0%*",
        "*upgrade gate vs cann-8.0: FAIL*",
    ])
    run = load_run(p / "cann-8.1.json")
    prov = run.meta["provenance"]
    assert run.meta["gate"]["outcome"] == "fail" and prov["libraries"]["python"] and prov["git"]
    assert prov["toolkit"] == "8.1.RC1" and prov["driver"] == "24.1.0"
    assert "ais_bench --batchsize 4 --loop 20" in prov["tool_commands"]
    assert {t["outcome"] for t in run.meta["tests"]} == {"failed", "inconclusive", "passed"}
    assert any(r["check"] == "baseline throughput" and r["verdict"] == "inconclusive" for r in run.records)
    assert "history: run 1" in out
    assert "Upgrade gate: FAIL" in (p / "r.md").read_text()
    assert "data:image/png;base64," in (p / "r.html").read_text()
    junit = ET.parse(p / "junit.xml")
    names = {pr.get("name") for pr in junit.iter("property")}
    assert names and all(re.fullmatch(r"[A-Za-z0-9_.]+", n) for n in names), sorted(names)[:10]
    accuracy = next(tc for tc in junit.iter("testcase") if tc.get("name") == "test_accuracy")
    top1 = junit_verdicts(accuracy)["baseline top1"]
    assert (json.loads(top1["value"]), json.loads(top1["reference"]), top1["outcome"]) == (78, 79.43, "fail")
    assert top1["guide"] == "dpn131" and json.loads(top1["batch_size"]) == 1
    assert run.meta["gate"]["scope"] == "strict" and run.meta["gate"]["found"] == 4
    skipped = [tc.find("skipped") for tc in ET.parse(p / "junit.xml").iter("testcase")
               if tc.get("name") == "test_throughput[noise]"]
    message = skipped[0].get("message")
    assert message.startswith("INCONCLUSIVE: baseline throughput (") and "[INCONCLUSIVE]" not in message, message


def test_only_noise_exits_with_the_inconclusive_status(pytester):
    """Narrowed explicitly to the selection (--gate-scope selected), the deselected
    baseline verdicts are not required; the noisy one leaves the gate inconclusive."""
    base = _setup(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(base), "-k", "noise or steady",
                                "--gate-scope", "selected", "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 6, result.stdout.str()
    result.stdout.fnmatch_lines(["gate scope selected: 2 of 4 baseline verdicts required, 2 of them measured "
                                 "in this run", "*1 passed*1 inconclusive*"])


def test_a_narrower_selection_fails_the_strict_gate_naming_what_it_did_not_measure(pytester):
    base = _setup(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(base), "-k", "noise or steady",
                                "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 1, result.stdout.str()
    result.stdout.fnmatch_lines([
        "*upgrade gate vs cann-8.0: FAIL*",
        "[[]MISSING[]] dpn131 onnxruntime cpu bs1 throughput measured: in the baseline but not measured in "
        "this run: no test of this run's selection measures it (not selected)",
    ])


def test_without_a_baseline_nothing_is_judged(pytester):
    _setup(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--results", str(pytester.path / "r.jsonl"))
    result.assert_outcomes(passed=1, skipped=3)
    records = [json.loads(l) for l in (pytester.path / "r.jsonl").read_text().splitlines()]
    assert not any(r["check"].startswith("baseline") for r in records)


def test_outcomes_survive_xdist(pytester, monkeypatch):
    """Nightly runs use -n 8: the controller must see INCONCLUSIVE and write the run."""
    from pathlib import Path

    base = _setup(pytester)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    p = pytester.path
    result = pytester.runpytest("-p", "no:cacheprovider", "-n", "2", "--baseline", str(base),
                                "--record", str(p / "run.json"), "--history", "off",
                                "--results", str(p / "r.jsonl"))
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*2 failed*1 passed*1 inconclusive*"])
    outcomes = sorted(t["outcome"] for t in load_run(p / "run.json").meta["tests"])
    assert outcomes == ["failed", "failed", "inconclusive", "passed"]


def test_a_run_that_skipped_everything_fails_the_gate_with_the_skip_reasons(pytester, monkeypatch):
    """Every test skips (no NPU here): nothing was compared, so the gate fails and names
    each baseline verdict with the reason its test gave."""
    base = _setup(pytester)
    monkeypatch.setenv("PLANTED_SKIP", "1")
    p = pytester.path
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(base), "--report-md", str(p / "u.md"),
                                "--results", str(p / "r.jsonl"))
    assert result.ret == 1, result.stdout.str()
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines([
        "*upgrade gate vs cann-8.0: FAIL*",
        "[[]MISSING[]] dpn131 onnxruntime cpu bs1 top1: in the baseline but not measured in this run: "
        "test_inner.py::TestPlanted::test_accuracy skipped: no NPU on this host: install CANN*",
        "4 missing",
        "gate scope strict: 4 of 4 baseline verdicts required, 0 of them measured in this run",
    ])
    md = (p / "u.md").read_text()
    assert "**Upgrade gate: FAIL**" in md and "| missing | dpn131 | onnxruntime cpu bs8 |" in md
    assert "test_throughput[steady] skipped: no NPU on this host" in md


def test_an_empty_baseline_is_a_usage_error_before_any_test(pytester):
    _setup(pytester)
    empty = pytester.path / "empty.json"
    empty.write_text('{"records": []}')
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(empty),
                                "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: --baseline {empty}: holds no verdict records*"])
    assert not (pytester.path / "r.jsonl").read_text()  # nothing ran


def _other_guide_baseline(path):
    recs = [make.throughput(guide="pamtri", bs=1), make.metric(0.7, guide="pamtri", metric_name="mAP")]
    return write_run(path, {"label": "pamtri-8.0"}, recs)


def test_a_baseline_that_shares_nothing_with_the_selection_is_a_usage_error(pytester):
    _setup(pytester)
    other = _other_guide_baseline(pytester.path / "pamtri.json")
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(other),
                                "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: --baseline {other}: shares nothing with this selection*"
                                 "baseline holds guides pamtri*the selection runs guides dpn131*"])
    assert not (pytester.path / "r.jsonl").read_text()


def test_the_unrelated_baseline_is_refused_under_xdist_too(pytester, monkeypatch):
    from pathlib import Path

    _setup(pytester)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    other = _other_guide_baseline(pytester.path / "pamtri.json")
    result = pytester.runpytest("-p", "no:cacheprovider", "-n", "1", "--baseline", str(other),
                                "--record", str(pytester.path / "run.json"),
                                "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 4, result.stdout.str()
    result.stdout.fnmatch_lines(["ERROR: --baseline*shares nothing with this selection*"])
    assert "INTERNALERROR" not in result.stdout.str() and not (pytester.path / "run.json").exists()


def test_an_unknown_gate_scope_is_a_usage_error(pytester, monkeypatch):
    base = _setup(pytester)
    monkeypatch.setenv("SUITE_GATE_SCOPE", "loose")
    result = pytester.runpytest("-p", "no:cacheprovider", "--baseline", str(base),
                                "--results", str(pytester.path / "r.jsonl"))
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: SUITE_GATE_SCOPE=loose: must be one of strict, selected"])


def test_a_baseline_of_another_chip_is_missing_with_the_chips_named():
    """Unit check of the explanation: same measurement, other chip."""
    from fixtures.gate_scope import MissingExplainer

    base = make.throughput(bs=1, chip="Ascend310P3", backend="ascend")
    cur = make.throughput(bs=1, chip="Ascend310B1", backend="ascend")
    why = MissingExplainer([], {}, [cur])(base)
    assert why == ("measured on chip Ascend310B1 in this run, on Ascend310P3 in the baseline: "
                   "gate runs of the same chip")
