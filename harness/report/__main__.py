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
from harness.runs import load_run

EXIT = {"pass": 0, None: 0, "fail": 1, "inconclusive": 6}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.report", description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="recorded run (.json) or results (.jsonl)")
    parser.add_argument("--baseline", type=Path, default=None, help="recorded run to compare with")
    parser.add_argument("--html", type=Path, default=None, help="write the HTML report here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the markdown summary here")
    parser.add_argument("--title", default="Model-guide conformance report")
    args = parser.parse_args(argv)
    current = load_run(args.run)
    baseline = load_run(args.baseline) if args.baseline else None
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


if __name__ == "__main__":
    sys.exit(main())
