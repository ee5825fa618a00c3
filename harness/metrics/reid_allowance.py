"""What re-id CMC / mAP and each query's top-ranked gallery item may differ by between a
backend and PyTorch (``harness.metrics.ambiguity``).

Measured: the largest |distance difference| between the backend's (query x gallery)
distance matrix and PyTorch's, each computed by the guide's own distance from its own
features. Two gallery items can swap places in a query's ranking only where PyTorch's
distances to them lie within twice that. So:

* a query's AP and first hit can change only if one of its hits and one of its kept
  non-hits lie within that margin (hits among themselves or non-hits among themselves may
  swap without changing anything). With ``n`` kept non-hits within the margin of some
  hit, the j-th hit's rank R_j can move by at most ``n`` (only those non-hits can cross a
  hit), so the query's AP = mean_j j / R_j moves by at most
  mean_j j * max(1/max(j, R_j - n) - 1/R_j, 1/R_j - 1/(R_j + n)), and its first hit can
  cross rank k only if it lies within ``n`` of it; mAP and rank-k may move by those
  bounds summed over the queries, in percent of the valid queries;
* its top-ranked kept item can change only if the two nearest kept items do.

Which items a query keeps and which are hits depend on ids and cameras only, never on the
features, so they are the same on both sides.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from harness.metrics import MetricError
from harness.metrics.ambiguity import Allowance, Slack, flip_margin, mean_slack, within_margin
from harness.metrics.reid_rank import RemoveRule


@dataclass
class RankingNearTies:
    """Near ties of one ranking (one protocol) of PyTorch's distances."""

    measured: float  # max |distance diff|
    margin: float
    top_tied: dict[int, str]  # query index -> why its top-ranked kept item may change
    order_tied: np.ndarray  # (n_query,) bool: a hit and a kept non-hit within the margin
    valid: np.ndarray  # (n_query,) bool: the query has a hit among its kept items
    crossing: np.ndarray  # (n_query,) kept non-hits within the margin of some hit
    first_hit: np.ndarray  # (n_query,) 0-based rank of the first hit among kept items
    ap_bound: np.ndarray  # (n_query,) largest change of the query's AP (fraction)

    def map_slack(self) -> Slack:
        """Slack of mAP (percent): the queries' AP bounds, averaged over valid queries."""
        valid = int(self.valid.sum())
        tied = int(np.count_nonzero(self.order_tied & self.valid))
        return Slack(100.0 * float(self.ap_bound[self.valid].sum()) / max(valid, 1), tied,
                     f"sum of their AP bounds over {valid} valid queries x 100 %")

    def rank_slack(self, k: int) -> Slack:
        """Slack of CMC rank-k (percent): queries whose first hit can cross rank k."""
        f, n = self.first_hit, self.crossing
        can_cross = self.valid & self.order_tied & (f - n < k) & (k <= f + n)
        return mean_slack(int(can_cross.sum()), int(self.valid.sum()), 100.0, " %",
                          f"valid queries whose first hit lies within its crossing non-hits of rank {k}")


def removed_mask(rule: Optional[RemoveRule], q_pids, g_pids) -> np.ndarray:
    """Dense (n_query, n_gallery) mask of the items each query discards under ``rule``
    (``None``: nothing), as ``reid_rank.rank`` applies it."""
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    removed = np.zeros((len(q_pids), len(g_pids)), dtype=bool)
    if rule is None:
        return removed
    if rule.pairs is not None:
        qi, gj = np.nonzero(q_pids[:, None] == g_pids[None, :])
        removed[qi, gj] = np.asarray(rule.pairs(qi, gj), dtype=bool)
    if rule.junk_pids:
        removed[:, np.isin(g_pids, rule.junk_pids)] = True
    return removed


def ranking_near_ties(d_ours: np.ndarray, d_ref: np.ndarray, q_pids, g_pids,
                      rule: Optional[RemoveRule]) -> RankingNearTies:
    """Near ties of PyTorch's ranking ``d_ref`` within twice max |d_ours - d_ref|."""
    d_ours, d_ref = np.asarray(d_ours, np.float64), np.asarray(d_ref, np.float64)
    if d_ours.shape != d_ref.shape:
        raise MetricError(f"distance matrices differ in shape: {d_ours.shape} vs PyTorch {d_ref.shape}")
    if not (np.all(np.isfinite(d_ours)) and np.all(np.isfinite(d_ref))):
        raise MetricError("distance matrix has NaN/Inf")
    measured = float(np.max(np.abs(d_ours - d_ref))) if d_ref.size else 0.0
    margin = flip_margin(measured)
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    removed = removed_mask(rule, q_pids, g_pids)
    n = len(q_pids)
    top_tied, order_tied, valid = {}, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    crossing, first_hit, ap_bound = np.zeros(n, np.int64), np.full(n, -1, np.int64), np.zeros(n)
    for i in range(n):
        kept = ~removed[i]
        dist, hit = d_ref[i, kept], g_pids[kept] == q_pids[i]
        order = np.argsort(dist, kind="stable")
        dist, hit = dist[order], hit[order]
        if dist.size >= 2 and within_margin(dist[1] - dist[0], margin):
            top_tied[i] = (f"two nearest gallery items {dist[1] - dist[0]:.3g} apart "
                           f"(<= 2 x max |distance diff| {measured:.3g})")
        valid[i] = bool(hit.any())
        mixed = hit[1:] != hit[:-1]  # adjacent hit / non-hit pairs: the closest such pair is adjacent
        if valid[i] and mixed.any():
            order_tied[i] = bool(within_margin(np.min(np.diff(dist)[mixed]), margin))
        if valid[i]:
            ranks = np.nonzero(hit)[0] + 1  # R_j, 1-based
            first_hit[i] = ranks[0] - 1
            if order_tied[i]:
                crossing[i] = _crossing_non_hits(dist, hit, margin)
                ap_bound[i] = _ap_bound(ranks, int(crossing[i]))
    return RankingNearTies(measured, margin, top_tied, order_tied, valid, crossing, first_hit, ap_bound)


def _crossing_non_hits(dist: np.ndarray, hit: np.ndarray, margin: float) -> int:
    """Kept non-hits within the margin of the nearest hit (sorted distances)."""
    hits = dist[hit]
    others = dist[~hit]
    pos = np.clip(np.searchsorted(hits, others), 1, len(hits)) - 1
    nearest = np.minimum(np.abs(others - hits[pos]), np.abs(others - hits[np.minimum(pos + 1, len(hits) - 1)]))
    return int(np.count_nonzero(within_margin(nearest, margin)))


def _ap_bound(ranks: np.ndarray, n: int) -> float:
    """Largest change of mean_j j / R_j when every R_j may move by up to ``n``."""
    j = np.arange(1, len(ranks) + 1, dtype=np.float64)
    r = ranks.astype(np.float64)
    up = 1.0 / np.maximum(j, r - n) - 1.0 / r
    down = 1.0 / r - 1.0 / (r + n)
    return float(np.mean(j * np.maximum(up, down)))


def ranking_allowance(ties: Sequence[RankingNearTies], query_ids: Sequence[str],
                      metric_slack: Mapping[str, Slack]) -> Allowance:
    """One allowance over one or more rankings of the same queries: a query's per-sample
    result may change if its top item may change in any of them; each metric takes the
    slack of the ranking it is computed from (``RankingNearTies.map_slack`` / ``rank_slack``)."""
    worst = max(ties, key=lambda t: t.measured)
    ambiguous = {}
    for t in ties:
        for i, why in t.top_tied.items():
            ambiguous.setdefault(query_ids[i], why)
    return Allowance("max |distance diff|", worst.measured, worst.margin, len(query_ids),
                     ambiguous, dict(metric_slack))
