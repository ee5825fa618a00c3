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


def loop_protocol(dist, q_pids, g_pids, q_cams, g_cams, max_rank=50, junk=(), drop=None):
    """One query at a time, as the guides' scripts: stable argsort, discard, CMC, AP."""
    num_g = dist.shape[1]
    max_rank = min(max_rank, num_g)
    cmcs, aps, firsts = [], [], []
    for i in range(dist.shape[0]):
        order = np.argsort(dist[i], kind="stable")
        keep = []
        for j in order:
            discard = drop(i, j) if drop else (g_pids[j] == q_pids[i] and g_cams[j] == q_cams[i])
            if not discard and g_pids[j] not in junk:
                keep.append(j)
        rel = [1 if g_pids[j] == q_pids[i] else 0 for j in keep]
        if not any(rel):
            continue
        first = rel.index(1)
        cmcs.append([1.0 if k >= first else 0.0 for k in range(max_rank)])
        hits, precisions = 0, []
        for pos, r in enumerate(rel):
            if r:
                hits += 1
                precisions.append(hits / (pos + 1))
        aps.append(sum(precisions) / hits)
        firsts.append(first)
    if not aps:
        raise AssertionError("no valid query")
    return np.mean(cmcs, axis=0), float(np.mean(aps)), len(aps)


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
    cmc, mAP, n_valid = loop_protocol(dist, qp, gp, qc, gc)
    assert got.num_valid == n_valid
    np.testing.assert_allclose(got.cmc, cmc, rtol=0, atol=1e-12)
    assert got.mAP == pytest.approx(mAP, abs=1e-12)


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
    removed = rule(np.array([[True, True], [True, False]]))
    assert removed.tolist() == [[False, True], [True, False]]


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
