"""Results history (harness/history.py): SQLite round trip and the `show` command."""
from __future__ import annotations

import pytest

from harness import history
from harness.runs import load_run, write_run
from tests.harness import gate_records as make


def _run(label, top1, fps, toolkit):
    meta = {"label": label, "started": 1_700_000_000.0, "finished": 1_700_000_100.0,
            "provenance": {"git": "abc123", "toolkit": toolkit, "soc": "Ascend310P3"},
            "gate": {"outcome": "pass"}}
    recs = [make.metric(top1, bs=bs, chip="Ascend310P3", backend="ascend") for bs in (1, 16)]
    recs += [make.throughput(bs=bs, median=fps * bs ** 0.2, chip="Ascend310P3", backend="ascend")
             for bs in (1, 16)]
    return meta, recs


def test_sqlite_round_trip_and_show_across_runs(tmp_path):
    db_path = tmp_path / "history.sqlite"
    with history.History(db_path) as db:
        first = db.add_run(*_run("cann-8.0", 79.43, 300.0, "8.0.0"))
        second = db.add_run(*_run("cann-8.1", 79.21, 280.0, "8.1.RC1"))
        assert second == first + 1
        assert [r["label"] for r in db.runs()] == ["cann-8.1", "cann-8.0"]
        assert [r["toolkit"] for r in db.runs()] == ["8.1.RC1", "8.0.0"]
        text = history.show(db, "dpn131", metric="top1")
    assert "dpn131: accuracy across runs" in text and "throughput across runs" in text
    lines = text.splitlines()
    acc = [l for l in lines if "ascend" in l and ("79.4300" in l or "79.2100" in l)]
    assert len(acc) == 4  # two runs x two batch sizes
    thr = [l for l in lines if l.startswith(("1 ", "2 ")) and "±" in l]
    assert len(thr) == 2 and "300.00 ±2.0%" in thr[0] and "280.00 ±2.0%" in thr[1]
    # A fresh connection reads the same file back.
    with history.History(str(db_path)) as db:
        assert len(db.throughput_rows("dpn131")) == 4
        assert db.metric_rows("dpn131", "top5") == []


def test_cli_show_and_add(tmp_path, capsys):
    db = tmp_path / "h.sqlite"
    meta, recs = _run("cann-8.0", 79.43, 300.0, "8.0.0")
    run_file = write_run(tmp_path / "cann-8.0.json", meta, recs)
    assert load_run(run_file).records == recs
    assert history.main(["add", str(run_file), "--db", str(db)]) == 0
    assert "as run 1" in capsys.readouterr().out
    assert history.main(["show", "dpn131", "--metric", "top1", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "79.4300" in out and "bs16" in out and "8.0.0" in out
    assert history.main(["show", "nosuchguide", "--db", str(db)]) == 2
    assert "unknown guide 'nosuchguide'" in capsys.readouterr().err
    assert history.main(["show", "pamtri", "--db", str(db)]) == 1  # a guide with nothing stored
    assert "no accuracy or throughput records for guide 'pamtri'" in capsys.readouterr().err


def test_cli_formats_for_scripts(tmp_path, capsys):
    """--format json|csv for scripts; the tier column keeps synthetic numbers apart."""
    import csv
    import io
    import json

    db = tmp_path / "h.sqlite"
    meta, recs = _run("cann-8.0", 79.43, 300.0, "8.0.0")
    recs[0] = {**recs[0], "details": {**recs[0]["details"], "tier": "real"}}
    history.main(["add", str(write_run(tmp_path / "r.json", meta, recs)), "--db", str(db)])
    capsys.readouterr()
    assert history.main(["show", "dpn131", "--format", "json", "--db", str(db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["tier"] for r in data["accuracy"]} == {"real", "-"} and len(data["throughput"]) == 2
    assert history.main(["show", "dpn131", "--format", "csv", "--db", str(db)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows].count("accuracy") == 2 and [r["kind"] for r in rows].count("throughput") == 2
    assert next(r for r in rows if r["kind"] == "accuracy" and r["bs"] == "1")["tier"] == "real"
    assert history.main(["show", "dpn131", "--db", str(db)]) == 0
    assert " tier " in capsys.readouterr().out
    assert history.main(["list", "--format", "json", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["label"] == "cann-8.0"
    assert history.main(["list", "--format", "csv", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "id,started,label,git,toolkit,soc,outcome"


def test_postgres_url_without_driver_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, *a, **kw):
        if name == "psycopg":
            raise ImportError("no psycopg")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(RuntimeError, match="needs psycopg"):
        history.History("postgresql://user:secret@db.example/suite")


def test_postgresql_round_trip():
    """Against a real server when one is given: SUITE_TEST_POSTGRES_URL=postgresql://..."""
    url = __import__("os").environ.get("SUITE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set SUITE_TEST_POSTGRES_URL=postgresql://user:pw@host/db (and pip install "
                    "'psycopg[binary]') to test the shared PostgreSQL history")
    pytest.importorskip("psycopg", reason="pip install 'psycopg[binary]' for the PostgreSQL history")
    with history.History(url) as db:
        first = db.add_run(*_run("pg-a", 79.43, 300.0, "8.0.0"))
        second = db.add_run(*_run("pg-b", 79.0, 250.0, "8.1.0"))
        assert second > first
        text = history.show(db, "dpn131", metric="top1")
    assert "pg-a" in text and "pg-b" in text and "250.00 ±2.0%" in text
