"""Re-id evaluation at VeRi and DukeMTMC-reID sizes: ``harness.metrics.reid`` against a
plain per-query NumPy loop of the standard protocol (benchmarks/baselines.py), on the same
distance matrix (the scripts' float32 ``addmm`` distance, computed once, not timed),
from random features with VeRi/Duke id and camera structure; and on hard problems (a weak
model's features from an independent generator, ``data.reid_hard``) where a fifth to a
half of each row lies before the query's farthest match, at VeRi's gallery size and at
2x and 4x of it (the per-query loop only: the scripts' loop needs the whole matrix's
argsort in memory).

    python -m benchmarks.bench_reid_eval [--sets "VeRi,DukeMTMC-reID,VeRi hard,VeRi hard x4"]
"""
from __future__ import annotations

import argparse

import numpy as np

from benchmarks import baselines, data
from benchmarks.common import Row, table, timed

SETS = {"VeRi": data.VERI, "DukeMTMC-reID": data.DUKE}
# name -> (generator settings, gallery multiple)
HARD_SETS = {"VeRi hard": (data.VERI_HARD, 1), "VeRi harder": (data.VERI_HARDER, 1),
             "VeRi hard x2": (data.VERI_HARD, 2), "VeRi hard x4": (data.VERI_HARD, 4)}


def _compare(ours, cmc, mAP) -> tuple[bool, str]:
    """Identical: the same CMC (as the loops' float32 curve) and mAP to summation order."""
    cmc_diff = float(np.max(np.abs(ours.cmc.astype(np.float32) - cmc)))
    map_diff = abs(ours.mAP - mAP)
    identical = cmc_diff == 0.0 and map_diff <= 1e-12
    return identical, (f"mAP {mAP:.4%} vs suite {ours.mAP:.4%} (|diff| {map_diff:.1e}), rank-1 "
                       f"{cmc[0]:.4%} vs {ours.cmc[0]:.4%} (max |CMC diff| {cmc_diff:.1e})")


def _against_loop(distmat, q_pids, g_pids, q_cams, g_cams, repeat: int):
    """The suite's ranking and the per-query loop, interleaved, fastest of ``repeat`` each
    (the least disturbed by other load). Returns (suite s, loop s, suite result, loop's
    (CMC, mAP))."""
    from harness.metrics import reid

    rule = reid.same_id_same_camera(q_cams, g_cams)
    args = (distmat, q_pids, g_pids, q_cams, g_cams)
    ours = reid.rank(distmat, q_pids, g_pids, rule)  # warm-up (first touch of the matrix)
    t_suite, t_loop, loop_out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t, ours = timed(lambda: reid.rank(distmat, q_pids, g_pids, rule))
        t_suite = min(t_suite, t)
        t, loop_out = timed(lambda: baselines.reid_per_query(*args))
        t_loop = min(t_loop, t)
    return t_suite, t_loop, ours, loop_out


def bench_set(name: str, spec: dict, repeat: int = 3) -> list[Row]:
    from harness.metrics import reid

    qf, gf, q_pids, g_pids, q_cams, g_cams = data.reid_structure(**spec)
    t_dist, distmat = timed(lambda: reid.squared_euclidean(qf, gf))
    args = (distmat, q_pids, g_pids, q_cams, g_cams)
    t_suite, t_loop, ours, loop_out = _against_loop(*args, repeat)
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


def bench_hard_set(name: str, spec: dict, gallery_multiple: int, repeat: int = 3) -> Row:
    """One hard problem against the per-query loop; the notes give the measured share of
    each row before its farthest match and the rows with a match tied to a non-match."""
    from harness.metrics import reid

    spec = dict(spec, n_gallery=spec["n_gallery"] * gallery_multiple)
    qf, gf, q_pids, g_pids, q_cams, g_cams = data.reid_hard(**spec)
    t_dist, distmat = timed(lambda: reid.squared_euclidean(qf, gf))
    del qf, gf
    args = (distmat, q_pids, g_pids, q_cams, g_cams)
    share = data.share_before_last_match(*args)
    tied = data.rows_with_tied_match(*args)
    t_suite, t_loop, ours, (cmc, mAP) = _against_loop(*args, repeat)
    identical, detail = _compare(ours, cmc, mAP)
    shape = f"{spec['n_query']}x{spec['n_gallery']}, {spec['dim']}-d"
    return Row(f"re-id eval {name} ({shape}; {share:.0%} of a row before the last match) vs "
               f"NumPy per-query loop", f"{t_loop:.2f} s", f"{t_suite:.3f} s", t_loop / t_suite,
               ">= 10x, identical", t_loop / t_suite >= 10.0 and identical,
               detail + f"; {tied} of {spec['n_query']} rows with a match at exactly a "
               f"non-match's distance (ranked by np.argsort, as the loop); fastest of {repeat} "
               f"interleaved runs; distance matrix {t_dist:.2f} s, shared, not timed",
               extra={"baseline_s": t_loop, "suite_s": t_suite, "distance_s": t_dist,
                      "identical": identical, "share_before_last_match": share,
                      "rows_with_tied_match": tied})


def run(sets=("VeRi", "DukeMTMC-reID", *HARD_SETS)) -> list[Row]:
    rows = []
    for name in sets:
        if name in HARD_SETS:
            rows.append(bench_hard_set(name, *HARD_SETS[name]))
        else:
            rows += bench_set(name, SETS[name])
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default=",".join(("VeRi", "DukeMTMC-reID", *HARD_SETS)))
    args = ap.parse_args(argv)
    sets = tuple(s.strip() for s in args.sets.split(",") if s.strip())
    unknown = sorted(set(sets) - set(SETS) - set(HARD_SETS))
    if unknown:
        ap.error(f"unknown sets {unknown}; choose from {sorted([*SETS, *HARD_SETS])}")
    print(table(run(sets)))


if __name__ == "__main__":
    main()
