"""The vectorised re-id evaluator against plain per-query loops written here, independently
of harness/metrics/reid.py (standard protocol; Centroids-reid's centroid step)."""
from __future__ import annotations

import numpy as np
import pytest

from harness.metrics import MetricError
from harness.metrics.reid import (
    CentroidSettings, build_centroids, camera_membership_rule, centroid_protocol, rank,
    same_id_same_camera, squared_euclidean, standard_protocol,
)


def loop_per_query(dist, q_pids, g_pids, q_cams, g_cams, junk=(), drop=None):
    """One query at a time, as the guides' scripts: ``np.argsort`` of the row (the scripts'
    call, so their order within exact ties), discard, hits. Per query: (first hit, AP) or
    None when skipped; and the top kept item (smallest distance, lowest index; -1 if none)."""
    out, tops = [], []
    for i in range(dist.shape[0]):
        order = np.argsort(dist[i])
        keep = []
        for j in order:
            discard = drop(i, j) if drop else (g_pids[j] == q_pids[i] and g_cams[j] == q_cams[i])
            if not discard and g_pids[j] not in junk:
                keep.append(j)
        tops.append(min(keep, key=lambda j: (dist[i, j], j)) if keep else -1)
        rel = [1 if g_pids[j] == q_pids[i] else 0 for j in keep]
        if not any(rel):
            out.append(None)
            continue
        hits, precisions = 0, []
        for pos, r in enumerate(rel):
            if r:
                hits += 1
                precisions.append(hits / (pos + 1))
        out.append((rel.index(1), sum(precisions) / hits))
    return out, tops


def loop_protocol(dist, q_pids, g_pids, q_cams, g_cams, max_rank=50, junk=(), drop=None):
    """CMC, mAP and the number of valid queries from ``loop_per_query``."""
    max_rank = min(max_rank, dist.shape[1])
    per_query = [r for r in loop_per_query(dist, q_pids, g_pids, q_cams, g_cams, junk, drop)[0] if r]
    if not per_query:
        raise AssertionError("no valid query")
    cmcs = [[1.0 if k >= first else 0.0 for k in range(max_rank)] for first, _ in per_query]
    return np.mean(cmcs, axis=0), float(np.mean([ap for _, ap in per_query])), len(per_query)


def assert_same_as_loop(got, dist, q_pids, g_pids, q_cams, g_cams, junk=(), drop=None):
    """Every per-query number equal to the loop's (AP to summation order), CMC exactly."""
    per_query, tops = loop_per_query(dist, q_pids, g_pids, q_cams, g_cams, junk, drop)
    assert got.top_gallery.tolist() == [int(t) for t in tops]
    assert got.first_hit.tolist() == [r[0] if r else -1 for r in per_query]
    want_ap = np.array([r[1] if r else np.nan for r in per_query])
    np.testing.assert_allclose(got.ap, want_ap, rtol=0, atol=1e-12)
    cmc, mAP, n_valid = loop_protocol(dist, q_pids, g_pids, q_cams, g_cams, junk=junk, drop=drop)
    assert got.num_valid == n_valid
    assert np.array_equal(got.cmc, cmc)
    assert abs(got.mAP - mAP) <= 1e-12


def random_case(seed, nq=15, ng=60, ids=6, cams=3, levels=None):
    rng = np.random.default_rng(seed)
    if levels:  # few distinct distances: many exact ties
        dist = rng.integers(0, levels, size=(nq, ng)).astype(np.float32)
    else:
        dist = rng.random((nq, ng), dtype=np.float32)
    return (dist, rng.integers(0, ids, nq), rng.integers(0, ids + 2, ng),
            rng.integers(0, cams, nq), rng.integers(0, cams, ng))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("levels", [None, 4])
def test_standard_protocol_matches_loop(seed, levels):
    dist, qp, gp, qc, gc = random_case(seed, levels=levels)
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc))
    assert_same_as_loop(got, dist, qp, gp, qc, gc)


def test_junk_ids_are_discarded_for_every_query():
    dist, qp, gp, qc, gc = random_case(11)
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc, gp, junk_pids=(7,)))
    cmc, mAP, _ = loop_protocol(dist, qp, gp, qc, gc, junk=(7,))
    np.testing.assert_allclose(got.cmc, cmc, atol=1e-12)
    assert got.mAP == pytest.approx(mAP, abs=1e-12)


def test_queries_without_a_valid_match_are_skipped():
    # Query 0's only match sits on its own camera: discarded, so the query is skipped.
    dist = np.array([[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], np.float32)
    got = rank(dist, np.array([1, 2]), np.array([1, 2, 3]),
               same_id_same_camera(np.array([0, 0]), np.array([0, 1, 1])))
    assert got.num_valid == 1 and got.first_hit[0] == -1 and np.isnan(got.ap[0])
    assert got.mAP == pytest.approx(1.0 / 2.0)  # query 1's match is second of the kept
    assert got.top_gallery.tolist() == [1, 2]


def test_zero_valid_queries_is_an_error():
    dist = np.zeros((2, 3), np.float32)
    with pytest.raises(MetricError, match="no valid query"):
        rank(dist, np.array([1, 2]), np.array([3, 4, 5]))
    with pytest.raises(MetricError, match="empty"):
        rank(np.zeros((0, 3), np.float32), np.array([]), np.array([1, 2, 3]))
    with pytest.raises(MetricError, match="NaN"):
        rank(np.full((1, 1), np.nan, np.float32), np.array([1]), np.array([1]))


# -- ties, discarded items, junk ids, the blocked fast path --------------------------------

def structured_case(seed, nq=40, ng=700, ids=12, cams=4, levels=None, dtype=np.float32):
    """Distances with identity structure (same id nearer), ids and cameras like a re-id set;
    ``levels``: integer-valued distances, so exact ties everywhere."""
    rng = np.random.default_rng(seed)
    qp, gp = rng.integers(0, ids, nq), rng.integers(0, ids + 3, ng)
    base = rng.random((nq, ng)) + 0.6 * (qp[:, None] != gp[None, :])
    dist = np.floor(base * levels) if levels else base
    return (dist.astype(dtype), qp, gp, rng.integers(0, cams, nq), rng.integers(0, cams, ng))


def test_a_hit_tied_with_a_non_hit_takes_its_place_in_argsort_order():
    # 64 items (past argsort's small-array path) at 3 distances; the hits tie with non-hits.
    rng = np.random.default_rng(5)
    row = rng.integers(0, 3, 64).astype(np.float32)
    gp = np.where(rng.random(64) < 0.2, 1, 2)
    dist, qp = row[None, :], np.array([1])
    got = rank(dist, qp, gp, same_id_same_camera(np.array([0]), np.ones(64, int)))
    order = np.argsort(row)  # what the scripts rank by
    pos = np.flatnonzero(gp[order] == 1)
    assert got.first_hit[0] == pos[0]
    assert got.ap[0] == pytest.approx(np.mean((np.arange(len(pos)) + 1) / (pos + 1)), abs=1e-15)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("levels", [None, 3, 20000])  # no ties / all rows / half the rows
def test_structured_cases_match_the_per_query_loop(seed, levels):
    dist, qp, gp, qc, gc = structured_case(seed, levels=levels)
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc))
    assert_same_as_loop(got, dist, qp, gp, qc, gc)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("levels", [25, 20000])
def test_small_blocks_and_the_per_row_path_agree_with_the_fast_path(seed, levels, monkeypatch):
    """Many exact ties: one-row blocks, the default blocks and the per-row argsort path
    (non-float32 input) give the same numbers."""
    from harness.metrics import reid_rank

    dist, qp, gp, qc, gc = structured_case(seed, levels=levels)
    rule = same_id_same_camera(qc, gc)
    want = rank(dist, qp, gp, rule)
    slow = rank(dist.astype(np.float64), qp, gp, rule)
    monkeypatch.setattr(reid_rank, "_BLOCK", 1)
    small = rank(dist, qp, gp, rule)
    for other in (slow, small):
        for name in ("cmc", "first_hit", "top_gallery", "ap"):
            np.testing.assert_array_equal(getattr(other, name), getattr(want, name), err_msg=name)
        assert other.mAP == want.mAP
    assert_same_as_loop(want, dist, qp, gp, qc, gc)


@pytest.mark.parametrize("levels", [None, 6])
@pytest.mark.parametrize("junk", [(), (4,)])
def test_sorted_rows_for_dense_blocks_agree_with_the_filtered_path(levels, junk, monkeypatch):
    """Blocks where most items are <= their row's cut sort whole rows instead."""
    from harness.metrics import reid_rank

    dist, qp, gp, qc, gc = structured_case(4, nq=30, ng=400, levels=levels)
    dist = dist - np.float32(0.5)  # negative distances too
    rule = same_id_same_camera(qc, gc, gp, junk_pids=junk)
    results = []
    for dense in (2.0, 0.0):  # never / always sort the rows
        monkeypatch.setattr(reid_rank, "_DENSE", dense)
        monkeypatch.setattr(reid_rank, "_BLOCK", 4000)
        results.append(rank(dist, qp, gp, rule))
    for name in ("cmc", "first_hit", "top_gallery", "ap"):
        np.testing.assert_array_equal(getattr(results[1], name), getattr(results[0], name), err_msg=name)
    assert_same_as_loop(results[1], dist, qp, gp, qc, gc, junk=junk)


def test_negative_distances_and_signed_zeros():
    rng = np.random.default_rng(3)
    dist = rng.choice(np.array([-2.5, -1.0, -0.0, 0.0, 1e-30, 3.0], np.float32), size=(12, 90))
    qp, gp = rng.integers(0, 4, 12), rng.integers(0, 5, 90)
    qc, gc = rng.integers(0, 2, 12), rng.integers(0, 2, 90)
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc))
    assert_same_as_loop(got, dist, qp, gp, qc, gc)


def test_a_row_with_every_item_discarded():
    # Query 0: every gallery item is its id on its camera -> skipped, nothing kept at all.
    dist = np.array([[0.3, 0.1, 0.2], [0.3, 0.1, 0.2]], np.float32)
    got = rank(dist, np.array([1, 1]), np.array([1, 1, 1]),
               same_id_same_camera(np.array([0, 1]), np.array([0, 0, 0])))
    assert got.first_hit.tolist() == [-1, 0] and got.top_gallery.tolist() == [-1, 1]
    assert np.isnan(got.ap[0]) and got.num_valid == 1 and got.mAP == 1.0


def test_a_query_id_absent_from_the_gallery_is_skipped():
    dist, qp, gp, qc, gc = structured_case(7, nq=10, ng=80)
    qp = qp.copy()
    qp[[2, 5]] = 99
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc))
    assert got.first_hit[2] == got.first_hit[5] == -1
    assert_same_as_loop(got, dist, qp, gp, qc, gc)


@pytest.mark.parametrize("levels", [None, 4])
def test_junk_ids_leave_every_ranking(levels):
    dist, qp, gp, qc, gc = structured_case(2, nq=30, ng=300, levels=levels)
    junk = (int(gp[0]), 13)  # one id that queries have, one only in the gallery
    got = rank(dist, qp, gp, same_id_same_camera(qc, gc, gp, junk_pids=junk))
    assert not np.isin(got.top_gallery, np.flatnonzero(np.isin(gp, junk))).any()
    assert_same_as_loop(got, dist, qp, gp, qc, gc, junk=junk)


@pytest.mark.parametrize("where", ["valid", "skipped", "junk"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dense", [False, True])
def test_nan_and_inf_anywhere_are_errors(where, bad, dense, monkeypatch):
    from harness.metrics import reid_rank

    monkeypatch.setattr(reid_rank, "_DENSE", 0.0 if dense else 2.0)
    dist, qp, gp, qc, gc = structured_case(1, nq=8, ng=50)
    qp = qp.copy()
    qp[3] = 99  # query 3 has no match: skipped
    dist = dist.copy()
    dist[0 if where == "valid" else 3, 17] = bad
    junk = (int(gp[17]),) if where == "junk" else ()
    with pytest.raises(MetricError, match="NaN/Inf"):
        rank(dist, qp, gp, same_id_same_camera(qc, gc, gp, junk_pids=junk))


def test_a_remove_rule_must_be_a_remove_rule():
    with pytest.raises(TypeError, match="RemoveRule"):
        rank(np.zeros((1, 2), np.float32), np.array([1]), np.array([1, 2]), lambda m: m)


def test_distance_is_squared_euclidean():
    rng = np.random.default_rng(0)
    q, g = rng.standard_normal((4, 8)).astype(np.float32), rng.standard_normal((5, 8)).astype(np.float32)
    want = ((q[:, None, :].astype(np.float64) - g[None]) ** 2).sum(-1)
    np.testing.assert_allclose(squared_euclidean(q, g), want, rtol=1e-5, atol=1e-5)


# -- Centroids-reid ------------------------------------------------------------------------

def loop_centroids(q_pids, q_cams, gf, g_pids, g_cams, respect):
    """validation_create_centroids restated: gallery cameras read at gallery positions of
    the query+gallery camera list (upstream's bug)."""
    all_cams = list(q_cams) + list(g_cams)
    feats, pids, cam_sets = [], [], []
    for pid in sorted(set(g_pids.tolist())):
        inds = [i for i, p in enumerate(g_pids) if p == pid]
        if not respect:
            feats.append(np.mean(gf[inds].astype(np.float64), axis=0))
            pids.append(pid)
            continue
        cams_g = [all_cams[i] for i in inds]  # the bug: i is a gallery position
        done = set()
        for cam in sorted(set(c for p, c in zip(q_pids, q_cams) if p == pid)):
            chosen = [i for i, c in zip(inds, cams_g) if c != cam]
            if not chosen:
                continue
            used = tuple(sorted(set(c for c in cams_g if c != cam)))
            if used in done:
                continue
            done.add(used)
            feats.append(np.mean(gf[chosen].astype(np.float64), axis=0))
            pids.append(pid)
            cam_sets.append(used)
    return np.array(feats, np.float32), np.array(pids), cam_sets


def centroid_case(seed, nq=10, ng=40):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((nq, 16)).astype(np.float32), rng.integers(0, 5, nq),
            rng.integers(0, 4, nq), rng.standard_normal((ng, 16)).astype(np.float32),
            rng.integers(0, 7, ng), rng.integers(0, 4, ng))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("respect", [False, True])
def test_centroids_match_loop_with_camid_bug(seed, respect):
    qf, qp, qc, gf, gp, gc = centroid_case(seed)
    cen = build_centroids(qp, qc, gf, gp, gc, respect_camids=respect)
    feats, pids, cam_sets = loop_centroids(qp, qc, gf, gp, gc, respect)
    assert cen.pids.tolist() == pids.tolist()
    np.testing.assert_allclose(cen.feats, feats, rtol=1e-6, atol=1e-6)
    assert (cen.camid_sets or []) == cam_sets
    if respect:  # distractor ids (no query) get no centroid
        assert set(cen.pids.tolist()) <= set(qp.tolist())


def test_the_camid_bug_changes_the_centroids():
    qf, qp, qc, gf, gp, gc = centroid_case(3)
    bugged = build_centroids(qp, qc, gf, gp, gc, True, reproduce_camid_bug=True)
    intended = build_centroids(qp, qc, gf, gp, gc, True, reproduce_camid_bug=False)
    assert bugged.camid_sets != intended.camid_sets


@pytest.mark.parametrize("seed", range(5))
def test_centroid_protocol_respecting_cameras_matches_loop(seed):
    qf, qp, qc, gf, gp, gc = centroid_case(seed)
    settings = CentroidSettings(use_centroids=True, keep_camid_centroids=True)
    got = centroid_protocol(qf, qp, qc, gf, gp, gc, settings)
    feats, pids, cam_sets = loop_centroids(qp, qc, gf, gp, gc, True)
    norm = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    dist = squared_euclidean(norm(qf), norm(feats))
    cmc, mAP, _ = loop_protocol(dist, qp, pids, qc, None,
                                drop=lambda i, j: pids[j] == qp[i] and qc[i] in cam_sets[j])
    assert got.ranking.mAP == pytest.approx(mAP, abs=1e-9)
    np.testing.assert_allclose(got.ranking.cmc, cmc, atol=1e-12)


@pytest.mark.parametrize("keep", [False, True])
def test_centroid_protocol_without_use_centroids_discards_nothing(keep):
    qf, qp, qc, gf, gp, gc = centroid_case(2)
    got = centroid_protocol(qf, qp, qc, gf, gp, gc, CentroidSettings(use_centroids=False,
                                                                     keep_camid_centroids=keep))
    feats, pids, _ = loop_centroids(qp, qc, gf, gp, gc, keep)
    norm = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    cmc, mAP, _ = loop_protocol(squared_euclidean(norm(qf), norm(feats)), qp, pids, qc, None,
                                drop=lambda i, j: False)
    assert got.ranking.mAP == pytest.approx(mAP, abs=1e-9)


def test_membership_rule_uses_the_query_camera():
    rule = camera_membership_rule(np.array([0, 2]), [(1, 2), (0,)])
    # same-id pairs (query, centroid): (0, 0), (0, 1), (1, 0)
    removed = rule.pairs(np.array([0, 0, 1]), np.array([0, 1, 0]))
    assert removed.tolist() == [False, True, True]


@pytest.mark.perf
@pytest.mark.parametrize("size", [(1678, 11579, 200, 20), (2228, 17661, 1110, 8)], ids=["veri", "duke"])
def test_evaluator_speed_at_real_sizes(benchmark, size):
    """Benchmark (not a timed assert): the ranking at VeRi and DukeMTMC-reID sizes."""
    nq, ng, ids, cams = size
    rng = np.random.default_rng(0)
    dist = rng.random((nq, ng), dtype=np.float32)
    qp, gp = rng.integers(0, ids, nq), rng.integers(0, ids, ng)
    rule = same_id_same_camera(rng.integers(0, cams, nq), rng.integers(0, cams, ng))
    result = benchmark.pedantic(rank, args=(dist, qp, gp, rule), rounds=1, iterations=1)
    assert result.num_valid > 0 and 0.0 < result.mAP < 1.0
