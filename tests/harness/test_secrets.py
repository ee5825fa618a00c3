"""Credentials never reach an output: the masking function, and a whole run given a
PostgreSQL history URL with a password (no server needed: the store fails, and says so
without the password in the terminal, the recorded run or the HTML report)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness.secrets import mask, mask_all, mask_deep

pytest_plugins = ["pytester"]
PASSWORD = "S3cret-Pw"


@pytest.mark.parametrize("text, masked", [
    (f"postgresql://nightly:{PASSWORD}@db.example:5432/history",
     "postgresql://nightly:***@db.example:5432/history"),
    (f"--history=postgres://nightly:p@ss:{PASSWORD}@host/db", "--history=postgres://nightly:***@host/db"),
    (f"history NOT stored (postgresql://u:{PASSWORD}@h/db): OperationalError",
     "history NOT stored (postgresql://u:***@h/db): OperationalError"),
    (f"host=db.example password={PASSWORD} dbname=history", "host=db.example password=*** dbname=history"),
    (f"host=db password='{PASSWORD} x' user=n", "host=db password=*** user=n"),
    (f"postgresql://db/history?user=n&password={PASSWORD}&sslmode=require",
     "postgresql://db/history?user=n&password=***&sslmode=require"),
    # nothing secret: unchanged
    ("postgresql://nightly@db.example/history", "postgresql://nightly@db.example/history"),
    ("postgresql:///history?service=nightly", "postgresql:///history?service=nightly"),
    ("http://localhost:8080/path", "http://localhost:8080/path"),
])
def test_mask(text, masked):
    assert mask(text) == masked


def test_mask_argv_and_nested_structures():
    argv = ["pytest", "--history", f"postgresql://n:{PASSWORD}@h/db", "-k", "dpn131"]
    assert mask_all(argv)[2] == "postgresql://n:***@h/db"
    doc = mask_deep({"command": argv, "n": 3, "nested": [{"m": f"password={PASSWORD}"}]})
    assert PASSWORD not in json.dumps(doc) and doc["n"] == 3


def test_history_without_a_password_in_the_url_is_left_to_libpq(monkeypatch):
    """A URL without a password (PGPASSWORD, ~/.pgpass or a service file supply it) goes to
    the driver unchanged; messages show it as it is (nothing to hide)."""
    import sys
    import types

    from harness.history import History

    seen = []

    class Refused(Exception):
        pass

    def connect(url):
        seen.append(url)
        raise Refused("no server")

    fake = types.SimpleNamespace(connect=connect)
    monkeypatch.setitem(sys.modules, "psycopg", fake)
    targets = ["postgresql:///history?service=nightly", "postgresql://nightly@db.example/history",
               "service=nightly", "host=db.example dbname=history user=nightly"]
    for target in targets:
        with pytest.raises(Refused):
            History(target)
    assert seen == targets


INNER = textwrap.dedent("""
    from harness.checks import Verdict

    def test_accuracy(record_verdict):
        record_verdict(Verdict("top1", True, "top1 = 79.4", 79.4, 79.43, 1.0, details={"metric": "top1"}),
                       guide="dpn131", stage="accuracy", batch_size=1, backend="onnxruntime", chip="cpu")
""")


def test_a_password_in_the_history_url_appears_in_no_output(pytester, monkeypatch):
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate"]\n')
    pytester.makepyfile(test_inner=INNER)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    p = pytester.path
    url = f"postgresql://nightly:{PASSWORD}@127.0.0.1:9/history"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--history={url}", "--record", str(p / "run.json"),
        "--report-html", str(p / "r.html"), "--report-md", str(p / "r.md"), "--results", str(p / "r.jsonl"))
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, out
    assert "history NOT stored (postgresql://nightly:***@127.0.0.1:9/history)" in out
    run = json.loads((p / "run.json").read_text())
    assert "--history=postgresql://nightly:***@127.0.0.1:9/history" in run["run"]["provenance"]["command"]
    for name, text in (("terminal", out), ("run", (p / "run.json").read_text()),
                       ("html", (p / "r.html").read_text()), ("markdown", (p / "r.md").read_text())):
        assert PASSWORD not in text, name
