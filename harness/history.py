"""Results history: every recorded run kept in a database, and a view across runs.

Default: one SQLite file (stdlib ``sqlite3``), ``runs/history.sqlite``. A
``postgresql://`` URL (or a libpq key/value string: ``service=nightly``) stores into a
shared PostgreSQL instead (``psycopg`` 3, imported only then). Keep the password out of
the URL: libpq reads ``PGPASSWORD``, ``~/.pgpass`` and service files
(``postgresql:///history?service=nightly``); wherever the target is shown, its
credentials are masked (``harness.secrets``). Two tables::

    runs    (id, started, finished, label, git, toolkit, soc, host, outcome, meta JSON)
    records (id, run_id -> runs.id, guide, stage, check_name, backend, chip, batch_size,
             verdict, value REAL (numeric values), value_json, reference_json,
             tolerance_json, median_fps, spread, message, details JSON)

    python -m harness.history show dpn131 [--metric top1] [--format text|json|csv] [--db ...]
    python -m harness.history list [--format text|json|csv] [--db ...]
    python -m harness.history add runs/cann-8.1.json [--db ...]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import fnmatch
import json
import math
import re
import sqlite3
import sys
from pathlib import Path
from typing import Optional

from harness.secrets import mask, mask_deep

DEFAULT_DB = Path(__file__).resolve().parent.parent / "runs" / "history.sqlite"

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS runs (
        id {pk}, started DOUBLE PRECISION, finished DOUBLE PRECISION, label TEXT, git TEXT,
        toolkit TEXT, soc TEXT, host TEXT, outcome TEXT, meta TEXT)""",
    """CREATE TABLE IF NOT EXISTS records (
        id {pk}, run_id INTEGER NOT NULL REFERENCES runs(id), guide TEXT, stage TEXT,
        check_name TEXT, backend TEXT, chip TEXT, batch_size INTEGER, verdict TEXT,
        value DOUBLE PRECISION, value_json TEXT, reference_json TEXT, tolerance_json TEXT,
        median_fps DOUBLE PRECISION, spread DOUBLE PRECISION, message TEXT, details TEXT)""",
    "CREATE INDEX IF NOT EXISTS records_guide ON records (guide, stage)",
]


def is_postgres(target: str) -> bool:
    """A PostgreSQL URL, or a libpq key/value string such as ``service=nightly`` or
    ``host=db dbname=history`` (anything else is a SQLite file)."""
    return target.startswith(("postgresql://", "postgres://")) or bool(re.match(r"\s*[a-z_]+\s*=", target))


class History:
    """A connection to the history database (SQLite path or PostgreSQL URL)."""

    def __init__(self, target: Optional[str | Path] = None):
        target = str(target or DEFAULT_DB)
        self.target = target
        self.label = mask(target)  # what messages show: never the password
        if is_postgres(target):
            try:
                import psycopg  # optional: only for a shared PostgreSQL history
            except ImportError:
                raise RuntimeError(f"history {self.label}: a PostgreSQL URL needs "
                                   f"psycopg (pip install 'psycopg[binary]')") from None
            self.conn = psycopg.connect(target)
            self.mark, pk = "%s", "SERIAL PRIMARY KEY"
            self._tx = self.conn.transaction  # psycopg's ``with conn`` would close it
        else:
            path = Path(target.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(str(path), timeout=60)
            self.mark, pk = "?", "INTEGER PRIMARY KEY AUTOINCREMENT"
            self._tx = lambda: self.conn  # sqlite3: ``with conn`` commits or rolls back
        with self._tx():
            cur = self.conn.cursor()
            for stmt in _SCHEMA:
                cur.execute(stmt.format(pk=pk))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _q(self, sql: str) -> str:
        return sql.replace("?", self.mark)

    # -- writing ------------------------------------------------------------------------
    def add_run(self, meta: dict, records: list) -> int:
        """Store one run and its records; returns the run id."""
        from harness.runs import toolkit_of

        prov = meta.get("provenance") or {}
        with self._tx():
            cur = self.conn.cursor()
            cur.execute(self._q("INSERT INTO runs (started, finished, label, git, toolkit, soc, host, "
                                "outcome, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                        (meta.get("started"), meta.get("finished"), meta.get("label", ""),
                         prov.get("git", ""), toolkit_of(meta, records), prov.get("soc", ""),
                         prov.get("host", ""), run_outcome(meta),
                         json.dumps(mask_deep(meta), default=str)))
            run_id = cur.fetchone()[0]
            rows = [(run_id, r.get("guide"), r.get("stage"), r.get("check"), r.get("backend"),
                     r.get("chip"), r.get("batch_size"), r.get("verdict"), _num(r.get("value")),
                     json.dumps(r.get("value"), default=str), json.dumps(r.get("reference"), default=str),
                     json.dumps(r.get("tolerance"), default=str),
                     _num((r.get("details") or {}).get("median_fps")),
                     _num((r.get("details") or {}).get("spread")), r.get("message", ""),
                     json.dumps(_lean(r.get("details") or {}), default=str)) for r in records]
            cur.executemany(self._q("INSERT INTO records (run_id, guide, stage, check_name, backend, chip, "
                                    "batch_size, verdict, value, value_json, reference_json, tolerance_json, "
                                    "median_fps, spread, message, details) VALUES "
                                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), rows)
        return run_id

    # -- reading ------------------------------------------------------------------------
    def runs(self, limit: int = 50) -> list[dict]:
        cur = self.conn.cursor()
        cur.execute(self._q("SELECT id, started, label, git, toolkit, soc, outcome FROM runs "
                            "ORDER BY id DESC LIMIT ?"), (limit,))
        keys = ("id", "started", "label", "git", "toolkit", "soc", "outcome")
        return [dict(zip(keys, row)) for row in cur.fetchall()]

    def metric_rows(self, guide: str, metric: Optional[str] = None, limit: int = 20) -> list[dict]:
        """Accuracy values per run, backend, chip, batch size and metric."""
        cur = self.conn.cursor()
        cur.execute(self._q(
            "SELECT r.run_id, u.started, u.label, u.git, u.toolkit, r.backend, r.chip, r.batch_size, "
            "r.check_name, r.details, r.value, r.verdict FROM records r JOIN runs u ON u.id = r.run_id "
            "WHERE r.guide = ? AND r.stage = 'accuracy' AND r.value IS NOT NULL "
            "AND r.check_name NOT LIKE ? ORDER BY r.run_id"), (guide, "baseline%"))
        out = []
        for run_id, started, label, git, toolkit, backend, chip, bs, check, details, value, verdict in cur:
            name = json.loads(details or "{}").get("metric")
            if not name or (metric and name != metric):
                continue
            tier = json.loads(details or "{}").get("tier") or "-"
            out.append({"run": run_id, "started": started, "label": label, "git": git,
                        "toolkit": toolkit, "backend": backend, "chip": chip, "bs": bs, "tier": tier,
                        "metric": name, "check": check, "value": value, "verdict": verdict})
        return _last_runs(out, limit)

    def throughput_rows(self, guide: str, limit: int = 20) -> list[dict]:
        cur = self.conn.cursor()
        cur.execute(self._q(
            "SELECT r.run_id, u.started, u.label, u.git, u.toolkit, r.backend, r.chip, r.batch_size, "
            "r.median_fps, r.spread, r.value FROM records r JOIN runs u ON u.id = r.run_id "
            "WHERE r.guide = ? AND r.stage = 'throughput' AND r.check_name = 'throughput measured' "
            "ORDER BY r.run_id"), (guide,))
        keys = ("run", "started", "label", "git", "toolkit", "backend", "chip", "bs", "median_fps",
                "spread", "card_fps")
        return _last_runs([dict(zip(keys, row)) for row in cur], limit)

    def guides(self) -> list[str]:
        """Guides that have records stored."""
        cur = self.conn.cursor()
        cur.execute("SELECT DISTINCT guide FROM records WHERE guide IS NOT NULL ORDER BY guide")
        return [row[0] for row in cur.fetchall()]

    def run_ids(self, label_glob: str) -> list[int]:
        """Ids of the stored runs whose label matches a shell pattern (``nightly-42-host*``),
        oldest first."""
        cur = self.conn.cursor()
        cur.execute("SELECT id, label FROM runs ORDER BY id")
        return [run_id for run_id, label in cur.fetchall() if fnmatch.fnmatchcase(label or "", label_glob)]

    def load(self, run_id: int) -> tuple[dict, list[dict]]:
        """A stored run's meta and records, as far as the history keeps them: no environment
        and no per-sample lists (``meta["per_sample_missing"]`` counts the records that had
        them); KeyError when no run has this id."""
        cur = self.conn.cursor()
        cur.execute(self._q("SELECT meta FROM runs WHERE id = ?"), (run_id,))
        row = cur.fetchone()
        if row is None:
            raise KeyError(f"{self.label}: no stored run {run_id}")
        meta = json.loads(row[0] or "{}")
        cur.execute(self._q("SELECT guide, stage, check_name, backend, chip, batch_size, verdict, value_json, "
                            "reference_json, tolerance_json, message, details FROM records WHERE run_id = ? "
                            "ORDER BY id"), (run_id,))
        records, lean = [], 0
        for guide, stage, check, backend, chip, bs, verdict, value, ref, tol, message, details in cur:
            details = json.loads(details or "{}")
            if isinstance(details.get("per_sample"), dict) and "ids" not in details["per_sample"]:
                details.pop("per_sample")  # only its summary was stored: nothing to compare
                lean += 1
            records.append({"guide": guide, "stage": stage, "check": check, "backend": backend, "chip": chip,
                            "batch_size": bs, "verdict": verdict, "value": json.loads(value or "null"),
                            "reference": json.loads(ref or "null"), "tolerance": json.loads(tol or "null"),
                            "message": message or "", "details": details})
        if lean:
            meta["per_sample_missing"] = lean
        return meta, records


def run_outcome(meta: dict) -> str:
    """What the history lists for a run: "interrupted" for a run cut short, else the gate's
    outcome ("" without a baseline)."""
    if meta.get("interrupted"):
        return "interrupted"
    return (meta.get("gate") or {}).get("outcome", "")


def _last_runs(rows: list[dict], limit: int) -> list[dict]:
    keep = sorted({r["run"] for r in rows})[-limit:]
    return [r for r in rows if r["run"] in keep]


def _num(v) -> Optional[float]:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _lean(details: dict) -> dict:
    """Details without bulky per-sample lists (the run file keeps those)."""
    out = dict(details)
    ps = out.get("per_sample")
    if isinstance(ps, dict) and "ids" in ps:
        out["per_sample"] = {k: v for k, v in ps.items() if k not in ("ids", "values")}
    return out


# -- the command line --------------------------------------------------------------------
def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _when(ts) -> str:
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def show(db: History, guide: str, metric: Optional[str] = None, limit: int = 20) -> str:
    parts = []
    acc = db.metric_rows(guide, metric, limit)
    if acc:
        metrics = sorted({r["metric"] for r in acc})
        cells: dict = {}
        for r in acc:
            key = (r["run"], _when(r["started"]), r["label"], (r["git"] or "")[:12], r["toolkit"] or "-",
                   r["backend"] or "-", r["chip"] or "-", str(r["bs"]), r["tier"])
            cells.setdefault(key, {})[r["metric"]] = f"{r['value']:.4f}" + ("" if r["verdict"] != "fail" else " FAIL")
        # tier: synthetic numbers (random weights) never read as if beside real ones
        table = [["run", "time", "label", "git", "toolkit", "backend", "chip", "bs", "tier"] + metrics]
        table += [[str(k[0]), *k[1:]] + [v.get(m, "-") for m in metrics] for k, v in cells.items()]
        parts.append(f"{guide}: accuracy across runs\n" + format_table(table))
    thr = db.throughput_rows(guide, limit)
    if thr:
        sizes = sorted({r["bs"] for r in thr if r["bs"] is not None})
        cells = {}
        for r in thr:
            key = (r["run"], _when(r["started"]), r["label"], (r["git"] or "")[:12], r["toolkit"] or "-",
                   r["backend"] or "-", r["chip"] or "-")
            spread = f" ±{r['spread']:.1%}" if r["spread"] is not None else ""
            cells.setdefault(key, {})[r["bs"]] = (f"{r['median_fps']:.2f}{spread}"
                                                  if r["median_fps"] is not None else "-")
        table = [["run", "time", "label", "git", "toolkit", "backend", "chip"] + [f"bs{b}" for b in sizes]]
        table += [[str(k[0]), *k[1:]] + [v.get(b, "-") for b in sizes] for k, v in cells.items()]
        parts.append(f"{guide}: throughput across runs (median samples/s per device ±spread)\n"
                     + format_table(table))
    if not parts:
        what = f"metric {metric!r}" if metric else "accuracy or throughput"
        return f"no {what} records for guide {guide!r} in {db.label}"
    return "\n\n".join(parts)


CSV_COLUMNS = ("kind", "run", "started", "label", "git", "toolkit", "backend", "chip", "bs", "tier",
               "metric", "value", "verdict", "median_fps", "spread")


def show_data(db: History, guide: str, metric: Optional[str] = None, limit: int = 20) -> dict:
    """What ``show`` prints, as data: accuracy and throughput rows across runs."""
    return {"guide": guide, "history": db.label, "accuracy": db.metric_rows(guide, metric, limit),
            "throughput": db.throughput_rows(guide, limit)}


def write_csv(rows: list[dict], columns, out) -> None:
    import csv

    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def _show(db: History, args) -> int:
    """Exit 0 with rows, 1 when the guide has none stored, 2 for a guide nobody knows."""
    from harness import guides

    data = show_data(db, args.guide, args.metric, args.limit)
    if not (data["accuracy"] or data["throughput"]):
        stored = db.guides()
        if args.guide not in guides.names() and args.guide not in stored:
            print(f"unknown guide {args.guide!r}: not a guide of this suite and not in {db.label} "
                  f"(stored: {', '.join(stored) or 'none'})", file=sys.stderr)
            return 2
        print(show(db, args.guide, args.metric, args.limit), file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(data, default=str, indent=1))
    elif args.format == "csv":
        write_csv([{"kind": "accuracy", **r} for r in data["accuracy"]]
                  + [{"kind": "throughput", "tier": "synthetic", **r} for r in data["throughput"]],
                  CSV_COLUMNS, sys.stdout)
    else:
        print(show(db, args.guide, args.metric, args.limit))
    return 0


def _list(db: History, args) -> int:
    runs = db.runs()
    if args.format == "json":
        print(json.dumps(runs, default=str, indent=1))
    elif args.format == "csv":
        write_csv(runs, ("id", "started", "label", "git", "toolkit", "soc", "outcome"), sys.stdout)
    else:
        rows = [["id", "time", "label", "git", "toolkit", "soc", "gate"]]
        rows += [[str(r["id"]), _when(r["started"]), r["label"] or "", (r["git"] or "")[:12],
                  r["toolkit"] or "-", r["soc"] or "-", r["outcome"] or "-"] for r in runs]
        print(format_table(rows))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.history", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_show = sub.add_parser("show", help="a guide's metric and throughput across runs")
    p_show.add_argument("guide")
    p_show.add_argument("--metric", default=None, help="only this accuracy metric (e.g. top1)")
    p_show.add_argument("--limit", type=int, default=20, help="last N runs")
    p_list = sub.add_parser("list", help="recorded runs")
    p_add = sub.add_parser("add", help="store a recorded run file (--record output)")
    p_add.add_argument("run_file", type=Path)
    for p in (p_show, p_list, p_add):
        p.add_argument("--db", default=None, help=f"SQLite file or postgresql:// URL (default {DEFAULT_DB})")
    for p in (p_show, p_list):
        p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                       help="text tables (default), JSON or CSV (one row per value, a kind column)")
    args = parser.parse_args(argv)
    with History(args.db) as db:
        if args.command == "show":
            return _show(db, args)
        elif args.command == "list":
            return _list(db, args)
        else:
            from harness.runs import load_run

            run = load_run(args.run_file)
            print(f"stored {args.run_file} as run {db.add_run(run.meta, run.records)} in {db.label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
