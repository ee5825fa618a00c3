"""Re-id ranking on hard problems -- a weak model, where a large share of each row lies
before the query's farthest match, and galleries several times the query count -- against
the per-query loop of test_reid_metric.py (``np.argsort`` per row, the scripts' order
within ties): the same first hits, AP, CMC, mAP and top items on every way the ranking
takes (rows' passing items sorted, whole rows sorted, the mask read word- or byte-wise,
blocks and tie rows on threads)."""
from __future__ import annotations

import numpy as np
import pytest

from harness.metrics import reid_rank
from harness.metrics.reid import rank, same_id_same_camera
from tests.harness.test_reid_metric import assert_same_as_loop


def weak_model_case(seed, nq=30, ng=900, ids=10, cams=4, dim=32, strength=0.35, grid=None):
    """Features of a weak model (id direction of length ``strength`` under unit noise),
    squared distances in float32; ``grid``: distances rounded to multiples of it, so many
    matches tie exactly with non-matches (as float32 distances do in large galleries)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((ids, dim))
    centres *= strength / np.linalg.norm(centres, axis=1, keepdims=True)
    qp = rng.integers(0, ids, nq)
    gp = np.concatenate([np.arange(ids), rng.integers(0, ids, ng - ids)])
    noise = 1.0 / np.sqrt(dim)
    qf = centres[qp] + rng.standard_normal((nq, dim)) * noise
    gf = centres[gp] + rng.standard_normal((ng, dim)) * noise
    dist = ((qf[:, None, :] - gf[None, :, :]) ** 2).sum(-1)
    if grid:
        dist = np.round(dist / grid) * grid
    return dist.astype(np.float32), qp, gp, rng.integers(0, cams, nq), rng.integers(0, cams, ng)


def share_before_last_match(dist, qp, gp, qc, gc) -> float:
    """Mean share of a row at most as far as its farthest kept match."""
    match = (gp[None, :] == qp[:, None]) & (gc[None, :] != qc[:, None])
    last = np.where(match, dist, -np.inf).max(axis=1)
    ok = match.any(axis=1)
    return float((dist[ok] <= last[ok, None]).mean())


def tied_rows(dist, qp, gp, qc, gc) -> int:
    """Rows where a kept match has exactly a non-match's distance."""
    count = 0
    for i in range(len(qp)):
        hits = dist[i, (gp == qp[i]) & (gc != qc[i])]
        count += bool(np.isin(hits, dist[i, gp != qp[i]]).any())
    return count


WAYS = {  # monkeypatched settings -> the way the ranking takes
    "rows' passing items sorted, mask bytewise": dict(_DENSE=2.0, _BYTES=0.0),
    "rows' passing items sorted, mask wordwise": dict(_DENSE=2.0, _BYTES=2.0),
    "whole rows sorted": dict(_DENSE=0.0),
    "threads, small blocks": dict(_THREADED=0, _BLOCK=3000),
    "defaults": {},
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("strength, min_share", [(0.35, 0.2), (0.2, 0.5)])
def test_weak_model_rows_match_the_loop(way, strength, min_share, monkeypatch):
    case = weak_model_case(7, strength=strength)
    assert share_before_last_match(*case) >= min_share  # the hard problem it claims to be
    for name, value in WAYS[way].items():
        monkeypatch.setattr(reid_rank, name, value)
    got = rank(case[0], case[1], case[2], same_id_same_camera(case[3], case[4]))
    assert_same_as_loop(got, *case)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("gallery_multiple", [2, 4])
def test_larger_galleries_with_matches_tied_to_non_matches(way, gallery_multiple, monkeypatch):
    """Ties between a match and a non-match become common as the gallery grows: those rows
    take the scripts' argsort order, the rest the fast ways; every number as the loop."""
    case = weak_model_case(11, ng=400 * gallery_multiple, strength=0.3, grid=2e-3)
    assert share_before_last_match(*case) >= 0.2
    assert tied_rows(*case) >= len(case[1]) // 3  # most of the ranking is about ties
    for name, value in WAYS[way].items():
        monkeypatch.setattr(reid_rank, name, value)
    got = rank(case[0], case[1], case[2], same_id_same_camera(case[3], case[4]))
    assert_same_as_loop(got, *case)


@pytest.mark.parametrize("way", WAYS)
def test_junk_ids_and_negative_distances_in_dense_rows(way, monkeypatch):
    dist, qp, gp, qc, gc = weak_model_case(3, strength=0.2, grid=5e-3)
    dist = dist - np.float32(np.median(dist))  # half the distances negative, zeros of both signs
    dist[dist == 0] = np.float32(-0.0)
    dist[:, ::7][dist[:, ::7] == 0] = np.float32(0.0)
    junk = (int(gp[5]),)
    for name, value in WAYS[way].items():
        monkeypatch.setattr(reid_rank, name, value)
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc, gp, junk_pids=junk))
    assert_same_as_loop(got, dist, qp, gp, qc, gc, junk=junk)


def test_nan_or_inf_in_a_dense_row_is_an_error(monkeypatch):
    from harness.metrics import MetricError

    dist, qp, gp, qc, gc = weak_model_case(5, strength=0.2)
    monkeypatch.setattr(reid_rank, "_THREADED", 0)
    for bad in (np.nan, np.inf, -np.inf):
        broken = dist.copy()
        broken[7, 123] = bad
        for dense in (0.0, 2.0):
            monkeypatch.setattr(reid_rank, "_DENSE", dense)
            with pytest.raises(MetricError, match="NaN/Inf"):
                rank(broken, qp, gp, same_id_same_camera(qc, gc))
