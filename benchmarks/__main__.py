"""``python -m benchmarks``: every speed benchmark, one table of ratios.

    python -m benchmarks                      # every part but realtier (about 10 minutes on 2 cores)
    python -m benchmarks --only preprocess,reid,overhead
    python -m benchmarks --quick              # smaller sizes, no suite run (about 2 minutes)
    python -m benchmarks --only realtier      # the real tier at real size (5000 images: about 20 minutes)
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks import bench_harness_overhead, bench_preprocess, bench_real_tier, bench_reid_eval, bench_suite_time
from benchmarks.common import conditions, markdown, table

PARTS = ("preprocess", "reid", "overhead", "suite", "realtier")
DEFAULT_PARTS = PARTS[:4]  # realtier takes about 20 minutes: asked for by name


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(DEFAULT_PARTS),
                    help=f"comma-separated subset of {PARTS} (default: {','.join(DEFAULT_PARTS)})")
    ap.add_argument("--quick", action="store_true",
                    help="300 images, VeRi only, no suite run, the real tier on 200 images")
    ap.add_argument("--images", type=int, default=2000, help="images per preprocessing dataset")
    ap.add_argument("--realtier-images", type=int, default=5000,
                    help="ImageNet-size JPEGs for the real-tier part (bench_real_tier --images)")
    ap.add_argument("--work", type=Path, default=Path(".cache/bench"), help="scratch folder")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown too")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown parts {unknown}; choose from {PARTS}")
    if args.quick and "suite" in parts:
        parts.remove("suite")
    print(f"conditions: {conditions()}", flush=True)
    rows = []
    if "preprocess" in parts:
        rows += bench_preprocess.run(300 if args.quick else args.images, args.work)
    if "reid" in parts:
        rows += bench_reid_eval.run(("VeRi",) if args.quick
                                    else ("VeRi", "DukeMTMC-reID", *bench_reid_eval.HARD_SETS))
    if "overhead" in parts:
        rows += bench_harness_overhead.run(rounds=6 if args.quick else 12)
    if "suite" in parts:
        rows += bench_suite_time.run()
    if "realtier" in parts:
        rows += bench_real_tier.run(200 if args.quick else args.realtier_images, args.work)
    print(table(rows))
    if args.markdown:
        print("\n" + markdown(rows))
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=1, default=str))


if __name__ == "__main__":
    main()
