"""Re-identification metrics (CMC / mAP), vectorised, as the re-id guides compute them.

Standard protocol (Market-1501 style; PAMTRI ``eval_metrics.eval_market1501`` and
Centroids-reid ``utils/eval_reid.eval_func``, models_reid.md 1.7 and 2.6): per query, rank
the gallery by ascending distance; discard gallery items with the query's id **and** camera
(and any junk id the dataset defines -- none for DukeMTMC-reID and VeRi); skip queries with
no remaining match; CMC = first-hit curve (first ``max_rank`` = min(50, gallery) ranks)
averaged over valid queries; AP = sum over hits of precision@hit / number of hits.

Ranking lives in ``reid_rank``: no full sort, only the items up to each row's farthest hit
are ordered, so VeRi's 1 678 x 11 579 evaluation takes a few hundredths of a second. Exact
ties that change a hit's position are ranked by the scripts' own ``np.argsort``, so CMC
and AP are the scripts' numbers, ties included.

Centroids-reid's post-processing (``centroid_protocol``) first replaces the gallery by
per-identity centroids, reproducing upstream's camera-id indexing bug, then evaluates with
the removal rule its flags select; see ``build_centroids``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from harness.metrics import MetricError
from harness.metrics.reid_rank import (  # noqa: F401  (re-exported: the guides import them here)
    MAX_RANK, Ranking, RemoveRule, rank, same_id_same_camera,
)


# -- distances (torch float32, exactly the scripts' expressions) --------------------------

def squared_euclidean(q: np.ndarray, g: np.ndarray) -> np.ndarray:
    """||q||^2 + ||g||^2 - 2 q.g in float32 via ``addmm`` (both guides' distance)."""
    import torch

    x, y = torch.as_tensor(np.asarray(q, np.float32)), torch.as_tensor(np.asarray(g, np.float32))
    m, n = x.shape[0], y.shape[0]
    dist = torch.pow(x, 2).sum(dim=1, keepdim=True).expand(m, n) + \
        torch.pow(y, 2).sum(dim=1, keepdim=True).expand(n, m).t()
    dist = torch.addmm(dist, x, y.t(), beta=1, alpha=-2)
    return dist.numpy()


def cosine_distance(q: np.ndarray, g: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Centroids-reid ``get_cosine``: |1 - cos|, clamped below at eps."""
    import torch

    x, y = torch.as_tensor(np.asarray(q, np.float32)), torch.as_tensor(np.asarray(g, np.float32))
    xn, yn = x.norm(dim=1)[:, None], y.norm(dim=1)[:, None]
    x = x / torch.max(xn, eps * torch.ones_like(xn))
    y = y / torch.max(yn, eps * torch.ones_like(yn))
    return torch.abs(1 - torch.mm(x, y.t())).clamp(min=eps).numpy()


DISTANCES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "euclidean": squared_euclidean, "cosine": cosine_distance}


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """``torch.nn.functional.normalize(x, dim=1, p=2)`` (TEST.FEAT_NORM)."""
    import torch

    return torch.nn.functional.normalize(torch.as_tensor(np.asarray(x, np.float32)), dim=1, p=2).numpy()


def standard_protocol(qf: np.ndarray, q_pids, q_camids, gf: np.ndarray, g_pids, g_camids,
                      distance: str = "euclidean", feat_norm: bool = False,
                      junk_pids: Sequence[int] = (), max_rank: int = MAX_RANK) -> Ranking:
    """Every gallery image ranked; same id + same camera (and junk ids) discarded."""
    distmat = protocol_distances(qf, gf, distance, feat_norm)
    return rank(distmat, q_pids, g_pids,
                same_id_same_camera(q_camids, g_camids, g_pids, junk_pids), max_rank)


def protocol_distances(qf: np.ndarray, gf: np.ndarray, distance: str, feat_norm: bool) -> np.ndarray:
    """The (query x gallery) distances a protocol ranks: optional L2 normalisation, then
    the named distance."""
    if distance not in DISTANCES:
        raise MetricError(f"unknown SOLVER.DISTANCE_FUNC {distance!r}")
    if feat_norm:
        qf, gf = l2_normalize(qf), l2_normalize(gf)
    return DISTANCES[distance](qf, gf)


# -- Centroids-reid: centroid gallery ----------------------------------------------------

@dataclass(frozen=True)
class CentroidSettings:
    """The checkpoint's ``hyper_parameters`` the guide's post-processing reads."""

    use_centroids: bool = False  # MODEL.USE_CENTROIDS
    keep_camid_centroids: bool = True  # MODEL.KEEP_CAMID_CENTROIDS
    feat_norm: bool = True  # TEST.FEAT_NORM
    distance: str = "euclidean"  # SOLVER.DISTANCE_FUNC
    reproduce_camid_bug: bool = True  # upstream issues #21/#41; False = the intended code

    @property
    def respect_camids_in_eval(self) -> bool:
        return self.keep_camid_centroids and self.use_centroids


@dataclass
class Centroids:
    feats: np.ndarray  # (n_centroids, d) float32
    pids: np.ndarray  # (n_centroids,)
    camid_sets: Optional[list[tuple[int, ...]]]  # cameras averaged over (respect mode) or None


def build_centroids(q_pids, q_camids, gf: np.ndarray, g_pids, g_camids, respect_camids: bool,
                    reproduce_camid_bug: bool = True) -> Centroids:
    """``ModelBase.validation_create_centroids`` (models_reid.md 2.6 step 3).

    Without ``respect_camids``: one centroid per gallery id (plain mean, ids sorted).
    With it: per gallery id (sorted) and per distinct camera among *that id's queries*
    (sorted), the mean of the id's gallery images from other cameras; empty -> skipped;
    duplicates by camera tuple dropped; gallery ids without a query get none.
    Upstream reads the gallery cameras as ``camids[inds]`` with gallery positions into the
    query+gallery array, i.e. shifted by the number of queries; ``reproduce_camid_bug``
    reproduces that (the guide's numbers depend on it).
    Each centroid is averaged as the script does: its features are float32 (``np.loadtxt(...,
    dtype=np.float32)``), the id's gallery rows in listing order, ``torch.sum(rows, 0) /
    len(rows)`` (``ModelBase._calculate_centroids``), so the centroids are the script's bit
    for bit.
    """
    q_pids, q_camids = np.asarray(q_pids), np.asarray(q_camids)
    g_pids, g_camids = np.asarray(g_pids), np.asarray(g_camids)
    gallery = _float32_tensor(gf)
    seen_camids = np.concatenate([q_camids, g_camids])[:len(g_pids)] if reproduce_camid_bug else g_camids
    feats, pids, camid_sets = [], [], []
    for pid in np.unique(g_pids):
        inds = np.nonzero(g_pids == pid)[0]
        if not respect_camids:
            feats.append(_mean_rows(gallery, inds))
            pids.append(pid)
            continue
        cams_g = seen_camids[inds]
        used_combinations = set()
        for cam in np.unique(q_camids[q_pids == pid]):
            sel = cams_g != cam
            if not sel.any():
                continue
            used = tuple(int(c) for c in np.unique(cams_g[sel]))
            if used in used_combinations:
                continue
            used_combinations.add(used)
            feats.append(_mean_rows(gallery, inds[sel]))
            pids.append(pid)
            camid_sets.append(used)
    if not feats:
        raise MetricError("no gallery centroid could be built (no gallery id has a query)")
    return Centroids(np.stack(feats), np.asarray(pids), camid_sets if respect_camids else None)


def _float32_tensor(x: np.ndarray):
    import torch

    return torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))


def _mean_rows(features, rows: np.ndarray) -> np.ndarray:
    """``_calculate_centroids(embeddings_gallery[rows], dim=0)``: float32 ``torch.sum`` over
    the rows in the order given, divided by their count."""
    import torch

    vecs = features[torch.as_tensor(np.asarray(rows, dtype=np.int64))]
    return (torch.sum(vecs, 0) / vecs.shape[0]).numpy()


def camera_membership_rule(q_camids: np.ndarray, camid_sets: list[tuple[int, ...]]) -> RemoveRule:
    """respect_camids in ``eval_func``: discard same id when the query camera is among the
    cameras a centroid was built from."""
    cams = sorted({int(c) for s in camid_sets for c in s} | {int(c) for c in q_camids})
    col = {c: i for i, c in enumerate(cams)}
    member = np.zeros((len(camid_sets), len(cams)), dtype=bool)
    for j, s in enumerate(camid_sets):
        member[j, [col[int(c)] for c in s]] = True
    q_col = np.array([col[int(c)] for c in q_camids])
    return RemoveRule(lambda qi, gj: member[gj, q_col[qi]])


@dataclass
class CentroidResult:
    ranking: Ranking
    centroids: Centroids
    notes: list[str] = field(default_factory=list)
    distmat: Optional[np.ndarray] = None  # (query x centroid) distances ranked
    rule: Optional[RemoveRule] = None  # what each query discarded


def centroid_protocol(qf: np.ndarray, q_pids, q_camids, gf: np.ndarray, g_pids, g_camids,
                      settings: CentroidSettings = CentroidSettings(),
                      max_rank: int = MAX_RANK) -> CentroidResult:
    """The guide's ``centroid-reid_postprocess.py``: always build centroids (respecting
    cameras as KEEP_CAMID_CENTROIDS says), then ``R1_mAP`` with FEAT_NORM / DISTANCE_FUNC and
    ``eval_func(respect_camids = KEEP and USE)`` (models_reid.md 2.6 steps 3-4)."""
    q_pids, q_camids = np.asarray(q_pids), np.asarray(q_camids)
    cen = build_centroids(q_pids, q_camids, gf, g_pids, g_camids,
                          settings.keep_camid_centroids, settings.reproduce_camid_bug)
    qf = np.asarray(qf, dtype=np.float32)  # np.loadtxt(..., dtype=np.float32); .float() keeps it
    distmat = protocol_distances(qf, cen.feats, settings.distance, settings.feat_norm)
    notes = []
    if settings.respect_camids_in_eval:
        rule = camera_membership_rule(q_camids, cen.camid_sets)
    elif settings.keep_camid_centroids:
        # Camera lists compared with '==' against a one-element array: never equal under
        # the numpy the guide ran (numpy >= 1.24 raises instead), so nothing is discarded.
        rule = None
        notes.append("KEEP_CAMID_CENTROIDS without USE_CENTROIDS: no same-camera removal "
                     "(the guide's list-vs-array comparison is never true)")
    else:
        # Dummy cameras: queries 0, centroids 1 -> the standard rule never discards.
        rule = same_id_same_camera(np.zeros(len(q_pids), np.int64), np.ones(len(cen.pids), np.int64))
    return CentroidResult(rank(distmat, q_pids, cen.pids, rule, max_rank), cen, notes, distmat, rule)


# -- helpers for the guides' evaluate functions --------------------------------------------

def gather_features(outputs_by_set, set_name: str, file_ids: Sequence[str], output_index: int) -> np.ndarray:
    """Stack one output of every sample of a set, in the split's order (the order the
    guide's post-processing reads its files in); a missing sample is an error naming it."""
    outputs = outputs_by_set.get(set_name)
    if outputs is None:
        raise MetricError(f"no outputs for input set {set_name!r} (have {sorted(outputs_by_set)})")
    missing = [f for f in file_ids if f not in outputs]
    if missing:
        raise MetricError(f"{len(missing)} {set_name} samples have no output (e.g. {missing[:5]})")
    if not file_ids:
        raise MetricError(f"zero {set_name} samples")
    feats = np.stack([np.asarray(outputs[f][output_index], dtype=np.float32).reshape(-1) for f in file_ids])
    if not np.all(np.isfinite(feats)):
        raise MetricError(f"{set_name} features contain NaN/Inf")
    return feats


def cmc_values(ranking: Ranking, ks: Sequence[int], prefix: str = "rank") -> dict[str, float]:
    """{"rank1": percent, ...}: share of valid queries with the first hit within k."""
    return {f"{prefix}{k}": 100.0 * ranking.topk(k) for k in ks}
