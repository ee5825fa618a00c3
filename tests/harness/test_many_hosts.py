"""A nightly split across hosts (harness/merge.py): pytest-split shards, one merged run, one gate.

Three "hosts" run their share of a small planted suite (``--splits 3 --group N``, as the CI
matrix in the README's "Many hosts" does), each recording its run and storing it in a real
PostgreSQL history started for the test. Merged from the files and from the history, the
runs give one report and one gate verdict; the regression planted on host 2 fails it,
named. The refusals (toolkits that differ, shards that overlap, a host missing from the
history) and the carried-over states (an interrupted host, per-sample sidecars) are checked
on hand-made runs.
"""
from __future__ import annotations

import json
import platform
import textwrap
from pathlib import Path

import pytest

from harness import merge
from harness.report.__main__ import main as report_main
from harness.runs import load_run, write_run
from harness.samples import pack_per_sample
from tests.harness import gate_records as make
from tests.harness.postgres_server import start_server

pytest_plugins = ["pytester"]

SIZES = (1, 2, 4, 8, 16, 32)
SLOW_BS = 8  # the planted regression: this batch size measures 30 % slower on host 2

INNER = textwrap.dedent("""
    import os

    import numpy as np
    import pytest
    from harness.checks import Verdict
    from harness.perf import PerfStats


    class TestPlanted:
        guide_name = "dpn131"

        @pytest.mark.parametrize("batch_size", [1, 2, 4, 8, 16, 32])
        def test_throughput(self, record_verdict, batch_size):
            median = 100.0 * (0.7 if str(batch_size) == os.environ.get("PLANTED_SLOW_BS") else 1.0)
            fps = median * (1 + 0.02 * np.random.default_rng(0).permutation(np.linspace(-1, 1, 20)))
            s = PerfStats(batch_size, tuple(1000.0 * batch_size / f for f in fps), 2, "planted")
            record_verdict(Verdict("throughput measured", True, str(s), s.median_fps, outcome="recorded",
                                   details=s.summary()), guide="dpn131", stage="throughput",
                           batch_size=batch_size, backend="onnxruntime", chip="cpu")

        test_throughput.stage = "throughput"

        def test_accuracy(self, record_verdict):
            v = record_verdict(Verdict("top1", True, "top1 = 79.43", 79.43, 79.43, 1.0,
                                       details={"metric": "top1", "samples": 12}),
                               guide="dpn131", stage="accuracy", batch_size=1, backend="onnxruntime",
                               chip="cpu", env_extra={"backend_versions": {"cann": "8.1.RC1"}})
            assert v.passed

        test_accuracy.stage = "accuracy"
""")


def _baseline(path):
    recs = [make.throughput(bs=bs, median=100.0) for bs in SIZES] + [make.metric(79.43, bs=1)]
    return write_run(path, {"label": "cann-8.0", "provenance": {"toolkit": "8.0.0"}}, recs)


@pytest.fixture(scope="module")
def postgres():
    yield from start_server()


def _run_host(pytester, monkeypatch, n: int, history: str):
    """Host ``n``'s share of the nightly: pytest-split group n of 3, recorded and stored."""
    monkeypatch.setattr(platform, "node", lambda: f"host{n}")  # the provenance names the host
    devices = []
    if n == 2:  # the slow device is here, and this host runs one xdist worker per device
        monkeypatch.setenv("PLANTED_SLOW_BS", str(SLOW_BS))
        monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))  # for the workers
        devices = ["-n", "2"]
    else:
        monkeypatch.delenv("PLANTED_SLOW_BS", raising=False)
    p = pytester.path
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest",
                                *devices, "--splits", "3", "--group", str(n), "--durations-path", str(p / ".test_durations"),
                                "--record", str(p / "runs" / f"nightly-7-host{n}.json"),
                                "--results", str(p / f"host{n}" / "results.jsonl"), "--history", history)
    assert result.ret == 0, result.stdout.str()
    assert f"history: run {n} in postgresql:" in result.stdout.str()
    return load_run(p / "runs" / f"nightly-7-host{n}.json")


def test_three_hosts_meet_in_postgres_and_give_one_report_and_one_gate_verdict(pytester, monkeypatch,
                                                                                 postgres, capsys):
    history = postgres.create_database("nightly")
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", '
                          '"fixtures.summary", "fixtures.gate"]\n')
    pytester.makepyfile(test_inner=INNER)
    p = pytester.path
    # Durations as pytest-split's --store-durations writes them: the split is then fixed.
    ids = [f"test_inner.py::TestPlanted::test_throughput[{bs}]" for bs in SIZES]
    (p / ".test_durations").write_text(json.dumps({**{i: 1.0 for i in ids},
                                                   "test_inner.py::TestPlanted::test_accuracy": 1.0}))
    hosts = [_run_host(pytester, monkeypatch, n, history) for n in (1, 2, 3)]
    shares = [{t["nodeid"] for t in run.meta["tests"]} for run in hosts]
    # pytest-split cuts the shares after the suite has read the selection, so every host
    # records the whole nightly's selection: the merged gate requires all of it.
    assert [len(run.meta["selection"]) for run in hosts] == [7, 7, 7]
    assert all(shares) and sum(map(len, shares)) == 7 and not (shares[0] & shares[1] | shares[1] & shares[2])
    assert f"test_inner.py::TestPlanted::test_throughput[{SLOW_BS}]" in shares[1]  # the plant is on host 2

    base = _baseline(p / "cann-8.0.json")
    merged = p / "runs" / "nightly.json"
    assert merge.main([str(r.path) for r in hosts] + ["-o", str(merged)]) == 0
    run = load_run(merged)
    assert [h["provenance"]["host"] for h in run.meta["provenance"]["hosts"]] == ["host1", "host2", "host3"]
    assert run.meta["provenance"]["host"] == "host1,host2,host3"
    assert run.meta["provenance"]["toolkit"] == "8.1.RC1" and len(run.meta["tests"]) == 7
    capsys.readouterr()

    md, html = p / "nightly.md", p / "nightly.html"
    assert report_main([str(merged), "--baseline", str(base), "--markdown", str(md), "--html", str(html)]) == 1
    text = md.read_text()
    assert "**Upgrade gate: FAIL** (vs cann-8.0)" in text
    assert "Merged from 3 runs: nightly-7-host1 (host1), nightly-7-host2 (host2), nightly-7-host3 (host3)" in text
    failing = [l for l in text.splitlines() if l.startswith("| FAIL |")]
    assert len(failing) == 1 and f"onnxruntime cpu bs{SLOW_BS}" in failing[0], text
    assert "throughput regression: median 70.00 vs baseline 100.00" in failing[0]
    assert "| missing |" not in text and "host2" in html.read_text()

    # The same nightly straight from the shared history: the meeting point of the hosts.
    from_db = p / "runs" / "nightly-db.json"
    assert merge.main(["--history", history, "--label", "nightly-7-host*", "--expect", "3",
                       "-o", str(from_db)]) == 0
    assert load_run(from_db).meta["merged_from"][0].startswith("postgresql:///nightly")
    assert report_main([str(from_db), "--baseline", str(base), "--markdown", str(p / "db.md")]) == 1
    db_failing = [l for l in (p / "db.md").read_text().splitlines() if l.startswith("| FAIL |")]
    assert db_failing == failing

    # A host whose run never reached the history must not shrink the nightly unnoticed.
    with pytest.raises(SystemExit) as exc:
        merge.main(["--history", history, "--label", "nightly-7-host*", "--expect", "4", "-o", str(from_db)])
    assert exc.value.code == 2
    assert "3 stored runs match label 'nightly-7-host*', expected 4" in capsys.readouterr().err
    # Merged without host 3's file, the strict gate names what host 3 measured as missing.
    assert merge.main([str(hosts[0].path), str(hosts[1].path), "-o", str(p / "two.json")]) == 0
    assert report_main([str(p / "two.json"), "--baseline", str(base), "--markdown", str(p / "two.md")]) == 1
    assert "| missing |" in (p / "two.md").read_text()


# -- refusals and carried-over states, on hand-made runs ---------------------------------------
def _host(tmp_path, n, records, toolkit="8.1.RC1", **meta):
    prov = {"toolkit": toolkit, "git": "abc123", "host": f"host{n}", "soc": "Ascend310P3"}
    return write_run(tmp_path / f"host{n}" / "run.json", {"label": f"host{n}", "provenance": prov,
                                                          "tests": [], **meta}, records)


def _merge_error(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as exc:
        merge.main([str(a) for a in argv])
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_runs_of_different_toolkits_are_refused_naming_the_files(tmp_path, capsys):
    a = _host(tmp_path, 1, [make.throughput(bs=1)])
    b = _host(tmp_path, 2, [make.throughput(bs=4)], toolkit="8.0.0")
    err = _merge_error(capsys, a, b, "-o", tmp_path / "m.json")
    assert f"runs of different toolkit (CANN) versions cannot be one run (8.0.0: {b}; 8.1.RC1: {a})" in err
    assert not (tmp_path / "m.json").exists()


def test_a_verdict_measured_on_two_hosts_is_a_sharding_mistake(tmp_path, capsys):
    a = _host(tmp_path, 1, [make.throughput(bs=1), make.throughput(bs=4)])
    b = _host(tmp_path, 2, [make.throughput(bs=4, median=90.0)])
    err = _merge_error(capsys, a, b, "-o", tmp_path / "m.json")
    assert f"dpn131 throughput onnxruntime cpu bs4 'throughput measured' was measured by both {a} and {b}" in err


def test_an_interrupted_host_makes_the_merged_run_interrupted(tmp_path, capsys):
    a = _host(tmp_path, 1, [make.throughput(bs=1)], tests=[{"nodeid": "t1", "outcome": "passed"}])
    b = _host(tmp_path, 2, [make.throughput(bs=4)], tests=[{"nodeid": "t2", "outcome": "passed"}],
              interrupted={"reason": "SIGTERM", "finished": 1, "selected": 3})
    out = tmp_path / "m.json"
    assert merge.main([str(a), str(b), "-o", str(out)]) == 0
    assert "INTERRUPTED: host2: SIGTERM" in capsys.readouterr().out
    meta = load_run(out).meta
    assert meta["interrupted"] == {"reason": "host2: SIGTERM", "finished": 2, "selected": 4, "hosts": ["host2"]}
    base = write_run(tmp_path / "base.json", {"label": "base"}, [make.throughput(bs=1), make.throughput(bs=4)])
    assert report_main([str(out), "--baseline", str(base), "--markdown", str(tmp_path / "m.md")]) == 2
    assert "**INTERRUPTED after 2 of 4 tests (host2: SIGTERM)**" in (tmp_path / "m.md").read_text()


def test_per_sample_sidecars_travel_with_the_merged_run(tmp_path):
    """Large per-sample lists live in samples/ beside each host's run; merged elsewhere, the
    per-sample comparison still finds them and names the changed sample."""
    top = {f"img{i:04d}": i % 1000 for i in range(2500)}
    flipped = {**top, "img0007": 999}

    def record(per_sample, folder):
        rec = make.metric(79.43, bs=1)
        rec["details"]["per_sample"] = pack_per_sample(per_sample, folder, "top-1 class")
        assert "file" in rec["details"]["per_sample"]  # a sidecar, not inline
        return rec

    a = _host(tmp_path, 1, [record(flipped, tmp_path / "host1")])
    b = _host(tmp_path, 2, [make.throughput(bs=4)])
    base = write_run(tmp_path / "b" / "base.json", {"label": "base"},
                     [record(top, tmp_path / "b"), make.throughput(bs=4)])
    out = tmp_path / "nightly" / "m.json"
    assert merge.main([str(a), str(b), "-o", str(out)]) == 0
    assert report_main([str(out), "--baseline", str(base), "--markdown", str(tmp_path / "m.md")]) == 0
    assert "top-1 class: 1/2500 samples changed (0.04%, allowed 1.00%): img0007: 7->999" in (
        tmp_path / "m.md").read_text()


def test_a_missing_sidecar_is_named(tmp_path, capsys):
    rec = make.metric(79.43)
    rec["details"]["per_sample"] = {"kind": "top-1 class", "count": 2500, "file": "samples/abc.json.gz",
                                    "sha256": "abc"}
    a = _host(tmp_path, 1, [rec])
    err = _merge_error(capsys, a, "-o", tmp_path / "out" / "m.json")
    assert f"{a}: per-sample file samples/abc.json.gz is missing beside it" in err


def test_history_options_are_checked(tmp_path, capsys):
    assert "--label needs --expect N" in _merge_error(capsys, "--history", tmp_path / "h.sqlite", "--label",
                                                       "x*", "-o", tmp_path / "m.json")
    assert "give --history DB" in _merge_error(capsys, "--label", "x*", "-o", tmp_path / "m.json")


def test_runs_read_back_from_a_sqlite_history_merge_and_say_what_the_history_lacks(tmp_path, capsys):
    """The history keeps lean details: per-sample lists are dropped, and the merged run says so."""
    from harness.history import History

    flipped = make.metric(79.43, bs=1, per_sample=make.classes(flips=["img003"]))
    a = load_run(_host(tmp_path, 1, [flipped, make.throughput(bs=1)]))
    b = load_run(_host(tmp_path, 2, [make.throughput(bs=4, median=80.0)]))
    db = tmp_path / "h.sqlite"
    with History(db) as hist:
        ids = [hist.add_run(r.meta, r.records) for r in (a, b)]
    out = tmp_path / "m.json"
    assert merge.main(["--history", str(db), "--run-id", str(ids[0]), "--run-id", str(ids[1]), "-o", str(out)]) == 0
    assert "per-sample agreement is not compared" in capsys.readouterr().out
    run = load_run(out)
    assert run.meta["per_sample_missing"] == [f"{db} run {ids[0]} (host1)"]
    assert [r["value"] for r in run.records] == [79.43, a.records[1]["value"], b.records[0]["value"]]
    base = write_run(tmp_path / "base.json", {"label": "base"},
                     [make.metric(79.43, bs=1, per_sample=make.classes()), make.throughput(bs=1),
                      make.throughput(bs=4)])
    assert report_main([str(out), "--baseline", str(base), "--markdown", str(tmp_path / "m.md")]) == 1
    failing = [l for l in (tmp_path / "m.md").read_text().splitlines() if l.startswith("| FAIL |")]
    assert len(failing) == 1 and "bs4" in failing[0] and "throughput regression" in failing[0]
    assert "no stored run 99" in _merge_error(capsys, "--history", db, "--run-id", "99", "-o", out)
