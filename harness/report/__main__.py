"""Render a report after the fact.

    python -m harness.report runs/cann-8.1.json --baseline runs/cann-8.0.json \
        --html reports/upgrade.html --markdown reports/upgrade.md

The input is a recorded run (``--record`` output) or a results ``.jsonl``. Exit status:
0 when the gate passes (or without a baseline), 1 when it fails, 6 when inconclusive;
2 for a run that was interrupted (and whose gate did not fail).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.report import build, html, markdown
from harness.runs import Run, load_run
from harness.scope import GATE_SCOPES, from_dicts, in_scope

EXIT = {"pass": 0, None: 0, "fail": 1, "inconclusive": 6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="recorded run (.json) or results (.jsonl)")
    parser.add_argument("--baseline", type=Path, default=None, help="recorded run to compare with")
    parser.add_argument("--html", type=Path, default=None, help="write the HTML report here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the markdown summary here")
    parser.add_argument("--gate-scope", choices=GATE_SCOPES, default=None,
                        help="strict: every baseline verdict must be in the run; selected: only those "
                             "the run's recorded selection could produce (default: as the run was gated)")
    parser.add_argument("--title", default="Model-guide conformance report")
    args = parser.parse_args(argv)
    current = load_run(args.run)
    baseline = load_run(args.baseline) if args.baseline else None
    if baseline is not None:
        baseline = _narrowed(parser, current, baseline, args.gate_scope)
    data = build(current, baseline, title=args.title, plots=args.html is not None)
    if args.html:
        print(f"HTML report: {html.write(data, args.html)}")
    text = markdown.render(data)
    if args.markdown:
        markdown.write(data, args.markdown)
        print(f"markdown summary: {args.markdown}")
    else:
        print(text)
    status = EXIT[data.gate]
    return 2 if data.interrupted and status != 1 else status


def _narrowed(parser, current: Run, baseline: Run, gate_scope) -> Run:
    """The baseline as the gate compares it: narrowed to the run's selection under
    ``selected`` (the scope the run itself was gated with, unless given)."""
    gate_scope = gate_scope or (current.meta.get("gate") or {}).get("scope") or "strict"
    if gate_scope == "strict":
        return baseline
    selection = from_dicts(current.meta.get("selection") or [])
    if not selection:
        parser.error(f"--gate-scope selected: {current.path} records no selection (a results .jsonl "
                     f"has none); render with --gate-scope strict or from the recorded run")
    return Run(baseline.path, baseline.meta, in_scope(baseline.records, "selected", selection))


if __name__ == "__main__":
    sys.exit(main())
