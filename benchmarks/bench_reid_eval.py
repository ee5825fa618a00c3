"""Re-id evaluation at VeRi and DukeMTMC-reID sizes: ``harness.metrics.reid`` against a
plain per-query NumPy loop of the standard protocol (benchmarks/baselines.py), on the same
distance matrix (the scripts' float32 ``addmm`` distance, computed once, not timed),
from random features with VeRi/Duke id and camera structure.

    python -m benchmarks.bench_reid_eval [--sets veri,duke]
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks import baselines, data
from benchmarks.common import Row, table, timed

SETS = {"VeRi": data.VERI, "DukeMTMC-reID": data.DUKE}


def _compare(ours, cmc, mAP) -> tuple[bool, str]:
    """Identical: the same CMC (as the loops' float32 curve) and mAP to summation order."""
    cmc_diff = float(np.max(np.abs(ours.cmc.astype(np.float32) - cmc)))
    map_diff = abs(ours.mAP - mAP)
    identical = cmc_diff == 0.0 and map_diff <= 1e-12
    return identical, (f"mAP {mAP:.4%} vs suite {ours.mAP:.4%} (|diff| {map_diff:.1e}), rank-1 "
                       f"{cmc[0]:.4%} vs {ours.cmc[0]:.4%} (max |CMC diff| {cmc_diff:.1e})")


def bench_set(name: str, spec: dict, repeat: int = 3) -> list[Row]:
    from harness.metrics import reid

    qf, gf, q_pids, g_pids, q_cams, g_cams = data.reid_structure(**spec)
    t_dist, distmat = timed(lambda: reid.squared_euclidean(qf, gf))
    rule = reid.same_id_same_camera(q_cams, g_cams)
    args = (distmat, q_pids, g_pids, q_cams, g_cams)
    ours = reid.rank(distmat, q_pids, g_pids, rule)  # warm-up (first touch of the matrix)
    # Suite and per-query loop interleaved, fastest of each: the least disturbed by other load.
    t_suite, t_loop, loop_out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, ours = timed(lambda: reid.rank(distmat, q_pids, g_pids, rule))
        t_suite = min(t_suite, t)
        t, loop_out = timed(lambda: baselines.reid_per_query(*args))
        t_loop = min(t_loop, t)
    t_script, script_out = timed(lambda: baselines.reid_script_loop(*args))  # tens of seconds: once
    shape = f"{spec['n_query']}x{spec['n_gallery']}, {spec['dim']}-d"
    rows = []
    for label, t_base, (cmc, mAP), runs in (("scripts' loop", t_script, script_out, "1 run"),
                                            ("NumPy per-query loop", t_loop, loop_out,
                                             f"fastest of {repeat} interleaved runs")):
        identical, detail = _compare(ours, cmc, mAP)
        rows.append(Row(f"re-id eval {name} ({shape}) vs {label}", f"{t_base:.2f} s",
                        f"{t_suite:.3f} s", t_base / t_suite, ">= 10x, identical",
                        t_base / t_suite >= 10.0 and identical,
                        detail + f"; baseline {runs}, suite fastest of {repeat}; distance matrix "
                        f"{t_dist:.2f} s, shared, not timed",
                        extra={"baseline_s": t_base, "suite_s": t_suite, "distance_s": t_dist,
                               "identical": identical}))
    return rows


def run(sets=("VeRi", "DukeMTMC-reID")) -> list[Row]:
    return [row for name in sets for row in bench_set(name, SETS[name])]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="VeRi,DukeMTMC-reID")
    args = ap.parse_args(argv)
    print(table(run(tuple(s.strip() for s in args.sets.split(",")))))


if __name__ == "__main__":
    main()
