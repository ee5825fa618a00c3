"""One nightly run from the runs its hosts recorded: merge, then report and gate once.

A nightly split across hosts (a CI matrix, each host running its share of the selection
with pytest-split's ``--splits N --group K``) leaves one recorded run per host, as files
(``--record``) and/or in the shared history (``--history postgresql://...``). Merged, they
are one recorded run that ``python -m harness.report`` renders and gates like any other::

    python -m harness.merge runs/host1.json runs/host2.json runs/host3.json -o runs/nightly.json
    python -m harness.merge --history 'postgresql:///suite?service=nightly' \
        --label 'nightly-1234-host*' --expect 3 -o runs/nightly.json
    python -m harness.report runs/nightly.json --baseline runs/cann-8.0.json --markdown nightly.md

What the merge refuses (exit status 2, naming the runs): runs of different toolkit (CANN)
versions or git revisions (one gate verdict cannot speak for both), the same verdict
(guide, stage, check, backend, chip, batch size) measured by two runs (the shards
overlapped: a sharding mistake), a history query that finds another number of runs than
``--expect``. Different hosts, devices and chips are what a split is for and are kept,
each host's provenance under ``provenance.hosts``. A host run that was interrupted makes
the merged run interrupted (the report headlines it, ``harness.report`` exits 2). Per-sample
sidecars of every host are copied beside the merged run, so per-sample agreement is still
compared; runs read from the history carry no per-sample lists (the history keeps lean
details), which the merged run states under ``per_sample_missing``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from harness import baseline as bl
from harness.runs import Run, copy_sidecars, load_run, toolkit_of, write_run


class MergeError(ValueError):
    """Runs that cannot honestly be one run; the message names them."""


def source_of(run: Run) -> str:
    """How messages name a run: its file, or where in the history it came from."""
    return str(run.path) if run.path else run.meta.get("source", run.label)


# -- checks -------------------------------------------------------------------------------
def _agreeing(runs: list[Run], what: str, value_of) -> str:
    """The one value every run states for ``what`` (runs stating none are not asked)."""
    seen: dict[str, list[str]] = {}
    for run in runs:
        value = value_of(run)
        if value:
            seen.setdefault(str(value), []).append(source_of(run))
    if len(seen) > 1:
        listing = "; ".join(f"{v}: {', '.join(srcs)}" for v, srcs in sorted(seen.items()))
        raise MergeError(f"runs of different {what} cannot be one run ({listing}); merge the runs "
                         f"of one {what} and gate each separately")
    return next(iter(seen), "")


def _check_no_overlap(runs: list[Run]) -> None:
    """A verdict measured by two runs means the shards overlapped."""
    owner: dict[tuple, Run] = {}
    for run in runs:
        for key in bl.index(run.records):
            if key in owner:
                guide, stage, check, backend, chip, bs = key
                where = " ".join(str(x) for x in (backend, chip, f"bs{bs}" if bs is not None else None) if x)
                raise MergeError(f"{guide} {stage} {where} {check!r} was measured by both "
                                 f"{source_of(owner[key])} and {source_of(run)}: the hosts' shares of "
                                 f"the selection overlap (give each host its own --group of the same "
                                 f"--splits)")
            owner[key] = run


# -- the merged document --------------------------------------------------------------------
def _joined(values) -> str:
    return ",".join(sorted({str(v) for v in values if v}))


def _host_entry(run: Run) -> dict:
    """What the merged run keeps of one host's run."""
    meta = run.meta
    entry = {"source": source_of(run), "label": run.label, "started": meta.get("started"),
             "finished": meta.get("finished"), "exit_status": meta.get("exit_status"),
             "records": len(run.records), "tests": len(meta.get("tests") or []),
             "provenance": meta.get("provenance") or {}}
    for key in ("interrupted", "gate"):
        if meta.get(key):
            entry[key] = meta[key]
    return entry


def _interruption(runs: list[Run]) -> Optional[dict]:
    """The merged run's ``interrupted`` entry: any host cut short cuts the whole run short."""
    cut = [run for run in runs if run.meta.get("interrupted")]
    if not cut:
        return None
    reasons = "; ".join(f"{run.label}: {run.meta['interrupted'].get('reason', 'interrupted')}" for run in cut)
    return {"reason": reasons,
            "finished": sum(int((r.meta.get("interrupted") or {}).get("finished", len(r.meta.get("tests") or [])))
                            for r in runs),
            "selected": sum(int((r.meta.get("interrupted") or {}).get("selected", len(r.meta.get("tests") or [])))
                            for r in runs),
            "hosts": [run.label for run in cut]}


def _selection(runs: list[Run]) -> list[dict]:
    """The union of the hosts' selections (what the whole nightly could produce)."""
    out: list[dict] = []
    for run in runs:
        for scope in run.meta.get("selection") or []:
            if scope not in out:
                out.append(scope)
    return out


def merge_runs(runs: list[Run], label: str) -> tuple[dict, list]:
    """The merged run's meta and records; MergeError when the runs cannot be one run."""
    if not runs:
        raise MergeError("no recorded runs to merge")
    toolkit = _agreeing(runs, "toolkit (CANN) versions", lambda r: toolkit_of(r.meta, r.records))
    git = _agreeing(runs, "git revisions", lambda r: (r.meta.get("provenance") or {}).get("git"))
    _check_no_overlap(runs)
    provs = [run.meta.get("provenance") or {} for run in runs]
    meta = {"label": label,
            "started": min((r.meta["started"] for r in runs if r.meta.get("started")), default=None),
            "finished": max((r.meta["finished"] for r in runs if r.meta.get("finished")), default=None),
            "provenance": {"toolkit": toolkit, "git": git, "soc": _joined(p.get("soc") for p in provs),
                           "host": _joined(p.get("host") for p in provs),
                           "driver": _joined(p.get("driver") for p in provs),
                           "hosts": [_host_entry(run) for run in runs]},
            "tests": [{**t, "host": run.label} for run in runs for t in run.meta.get("tests") or []],
            "selection": _selection(runs),
            "merged_from": [source_of(run) for run in runs]}
    interrupted = _interruption(runs)
    if interrupted:
        meta["interrupted"] = interrupted
    lacking = sorted({source_of(r) for r in runs if r.meta.get("per_sample_missing")})
    if lacking:
        meta["per_sample_missing"] = lacking
    return meta, [rec for run in runs for rec in run.records]


def write_merged(path: Path, runs: list[Run], label: Optional[str] = None) -> Path:
    """Merge ``runs`` into the recorded run ``path``, with every host's per-sample sidecars."""
    path = Path(path)
    meta, records = merge_runs(runs, label or path.stem)
    for run in runs:
        if run.root is not None:
            missing = copy_sidecars(run.records, run.root, path.parent)
            if missing:
                raise MergeError(f"{source_of(run)}: per-sample file {missing[0]} is missing beside it "
                                 f"(copy the run's samples/ folder with it)")
    return write_run(path, meta, records)


# -- reading from the history ---------------------------------------------------------------
def runs_from_history(target: str, label_glob: Optional[str], run_ids: list[int],
                      expect: Optional[int]) -> list[Run]:
    """The stored runs chosen by label pattern or ids; MergeError when the count is not ``expect``."""
    from harness.history import History
    from harness.secrets import mask

    try:
        db = History(target)
    except RuntimeError:
        raise
    except Exception as exc:  # the driver's own errors (server down, no such database)
        raise MergeError(mask(f"history {target}: {type(exc).__name__}: {exc}")) from None
    with db:
        ids = list(run_ids) or db.run_ids(label_glob)
        if expect is not None and len(ids) != expect:
            chosen = f"label {label_glob!r}" if label_glob else f"ids {ids}"
            raise MergeError(f"{db.label}: {len(ids)} stored runs match {chosen}, expected {expect} (one per "
                             f"host): a host whose run is not stored would leave its share unjudged")
        runs = []
        for run_id in ids:
            try:
                meta, records = db.load(run_id)
            except KeyError as exc:
                raise MergeError(exc.args[0]) from None
            meta["source"] = f"{db.label} run {run_id} ({meta.get('label', '')})"
            runs.append(Run(None, meta, records))
    return runs


# -- the command line -------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.merge", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", type=Path, help="recorded runs (--record output), one per host")
    parser.add_argument("-o", "--output", type=Path, required=True, help="write the merged run here")
    parser.add_argument("--name", default=None, help="label of the merged run (default: the output's stem)")
    parser.add_argument("--history", default=None, metavar="DB",
                        help="read the host runs from this history (SQLite file or postgresql:// URL)")
    parser.add_argument("--label", default=None, metavar="PATTERN",
                        help="with --history: runs whose label matches (shell pattern, e.g. 'nightly-42-host*')")
    parser.add_argument("--run-id", type=int, action="append", default=[], help="with --history: a stored run id")
    parser.add_argument("--expect", type=int, default=None, help="number of host runs there must be")
    return parser


def _chosen_runs(parser, args) -> list[Run]:
    if args.history is None:
        if args.label or args.run_id:
            parser.error("--label and --run-id choose runs from a history: give --history DB")
        if not args.runs:
            parser.error("give the hosts' recorded runs, or --history DB with --label or --run-id")
        if args.expect is not None and len(args.runs) != args.expect:
            parser.error(f"{len(args.runs)} recorded runs given, --expect {args.expect}")
        return [load_run(p) for p in args.runs]
    if args.runs:
        parser.error("give recorded run files or --history, not both")
    if bool(args.label) == bool(args.run_id):
        parser.error("--history needs --label PATTERN or --run-id (one of them)")
    if args.label and args.expect is None:
        parser.error("--label needs --expect N (the number of hosts): a host whose run never reached "
                     "the history must not shrink the nightly unnoticed")
    return runs_from_history(args.history, args.label, args.run_id, args.expect)


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        runs = _chosen_runs(parser, args)
        path = write_merged(args.output, runs, args.name)
    except (OSError, ValueError, RuntimeError) as exc:
        parser.error(str(exc))
    meta = load_run(path).meta
    print(f"merged {len(runs)} runs ({', '.join(source_of(r) for r in runs)}) into {path}: "
          f"{sum(len(r.records) for r in runs)} records, {len(meta['tests'])} tests")
    if meta.get("interrupted"):
        print(f"INTERRUPTED: {meta['interrupted']['reason']}")
    if meta.get("per_sample_missing"):
        print("per-sample results are not in the history, so per-sample agreement is not compared; merge "
              "the recorded run files for it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
