"""Centroids-reid's gallery centroids exactly as the guide's script computes them, and the
dependence of its numbers on the order the script lists its files in.

The script (``centroid-reid_postprocess.py``) reads every TXT output with
``np.loadtxt(path, dtype=np.float32)``, concatenates query then gallery in ``glob`` order and
calls upstream ``ModelBase.validation_create_centroids``, which averages with
``torch.sum(rows, 0) / len(rows)``. ``script_centroids`` below restates that code path
line by line; the suite's ``build_centroids`` must give the same float32 values bit for bit.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from harness.datasets.reid import ReidSplit
from harness.guides import centroids_reid
from harness.metrics.reid import build_centroids, centroid_protocol


def script_centroids(embeddings: torch.Tensor, labels: np.ndarray, camids: np.ndarray, num_query: int,
                     respect_camids: bool):
    """Upstream validation_create_centroids, restated (camid indexing bug included)."""
    labels_query, labels_gallery = labels[:num_query], labels[num_query:]
    embeddings_gallery = embeddings[num_query:]
    labels2idx, labels2idx_q = defaultdict(list), defaultdict(list)
    for idx, label in enumerate(labels_gallery):
        labels2idx[label].append(idx)
    for idx, label in enumerate(labels_query):
        labels2idx_q[label].append(idx)
    feats, pids, cams = [], [], []
    for label in sorted(np.unique(list(labels2idx.keys()))):
        combinations = set()
        inds, inds_q = labels2idx[label], labels2idx_q[label]
        if respect_camids:
            selected_camids_g = camids[inds]  # the bug: gallery positions into query+gallery
            for current_camid in sorted(np.unique(camids[inds_q])):
                camid_inds = np.where(selected_camids_g != current_camid)[0]
                if camid_inds.shape[0] == 0:
                    continue
                used = sorted(np.unique([c for c in selected_camids_g if c != current_camid]))
                if tuple(used) not in combinations:
                    combinations.add(tuple(used))
                    rows = embeddings_gallery[inds][camid_inds]
                    feats.append(torch.sum(rows, 0) / rows.shape[0])
                    pids.append(label)
                    cams.append(tuple(int(c) for c in used))
        else:
            rows = embeddings_gallery[inds]
            feats.append(torch.sum(rows, 0) / rows.shape[0])
            pids.append(label)
    return torch.stack(feats).numpy(), np.array(pids), cams


def _listing(seed: int, nq: int = 40, ng: int = 400, ids: int = 8, dim: int = 256):
    """Features as float32 TXT values, many gallery rows per id (so summation order shows)."""
    rng = np.random.default_rng(seed)
    q_pids, g_pids = rng.integers(0, ids, nq), rng.integers(0, ids, ng)
    q_cams, g_cams = rng.integers(0, 8, nq), rng.integers(0, 8, ng)
    qf = rng.standard_normal((nq, dim)).astype(np.float32)
    gf = (rng.standard_normal((ng, dim)) * rng.uniform(0.1, 50.0, (ng, 1))).astype(np.float32)
    return qf, gf, q_pids, g_pids, q_cams, g_cams


@pytest.mark.parametrize("respect", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_centroids_equal_the_scripts_bit_for_bit(seed, respect):
    qf, gf, q_pids, g_pids, q_cams, g_cams = _listing(seed)
    embeddings = torch.from_numpy(np.concatenate([qf, gf]))
    want_feats, want_pids, want_cams = script_centroids(
        embeddings, np.concatenate([q_pids, g_pids]), np.concatenate([q_cams, g_cams]), len(qf), respect)
    got = build_centroids(q_pids, q_cams, gf, g_pids, g_cams, respect, reproduce_camid_bug=True)
    assert got.feats.dtype == np.float32
    assert np.array_equal(got.pids, want_pids)
    assert np.array_equal(got.feats.view(np.int32), want_feats.view(np.int32))  # bit for bit
    if respect:
        assert got.camid_sets == want_cams


def test_averaging_in_float64_would_not_be_the_scripts():
    """The restatement is sensitive to the averaging precision: a float64 mean cast to
    float32 (what the suite did before) differs from the script's float32 sum."""
    qf, gf, q_pids, g_pids, q_cams, g_cams = _listing(0)
    cen = build_centroids(q_pids, q_cams, gf, g_pids, g_cams, False)
    float64 = np.stack([gf[g_pids == p].astype(np.float64).mean(axis=0) for p in cen.pids]).astype(np.float32)
    assert not np.array_equal(cen.feats, float64)
    assert np.allclose(cen.feats, float64, rtol=1e-5, atol=1e-5)


def _bug_sensitive_case():
    """Queries on cameras 0/1 and a gallery whose ids span several cameras: under the camid
    bug, which query cameras line up with which gallery rows depends on the listing order."""
    q_pids = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    q_cams = np.array([0, 1, 0, 2, 1, 3, 0, 1])
    g_pids = np.repeat(np.arange(4), 6)
    g_cams = np.tile(np.arange(6), 4)
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((4, 32))
    qf = (centres[q_pids] + rng.standard_normal((8, 32))).astype(np.float32)
    gf = (centres[g_pids] + rng.standard_normal((24, 32))).astype(np.float32)
    return qf, gf, q_pids, q_cams, g_pids, g_cams


def _reversed(*arrays):
    return [np.ascontiguousarray(a[::-1]) for a in arrays]


def test_the_listing_order_changes_the_centroids_through_the_camid_bug():
    qf, gf, q_pids, q_cams, g_pids, g_cams = _bug_sensitive_case()
    settings = centroids_reid.CENTROID_SETTINGS
    named = centroid_protocol(qf, q_pids, q_cams, gf, g_pids, g_cams, settings)
    listed = centroid_protocol(*_reversed(qf, q_pids, q_cams, gf, g_pids, g_cams), settings)
    assert named.centroids.camid_sets != listed.centroids.camid_sets


def test_evaluation_reports_the_reversed_listing_beside_the_gated_number():
    qf, gf, q_pids, q_cams, g_pids, g_cams = _bug_sensitive_case()
    q = ReidSplit("query", [f"q{i}" for i in range(8)], [Path(f"q{i}.jpg") for i in range(8)], q_pids, q_cams)
    g = ReidSplit("gallery", [f"g{i}" for i in range(24)], [Path(f"g{i}.jpg") for i in range(24)], g_pids, g_cams)
    outputs = {"query": {f"q{i}": [qf[i]] for i in range(len(qf))},
               "gallery": {f"g{i}": [gf[i]] for i in range(len(gf))}}
    report = centroids_reid.evaluate(SimpleNamespace(query=q, gallery=g), outputs)
    listed = centroid_protocol(*_reversed(qf, q_pids, q_cams, gf, g_pids, g_cams),
                               centroids_reid.CENTROID_SETTINGS)
    assert report["rank1_reversed_listing"] == pytest.approx(100.0 * listed.ranking.topk(1))
    assert report["mAP_reversed_listing"] == pytest.approx(100.0 * listed.ranking.mAP)
    note = next(n for n in report.notes if n.startswith("listing order"))
    assert f"{report['rank1']:.2f} with files in name order (gated)" in note
    assert f"{report['rank1_reversed_listing'] - report['rank1']:+.2f}" in note
