"""Re-id ranking: CMC, mAP, first hit and top item of a (query x gallery) distance matrix,
with the positions the guides' scripts get, without argsorting the rows.

The scripts argsort every row (``np.argsort``, default kind), drop the discarded items and
read the positions of the hits. A hit's position among the kept items only needs the number
of items below it, so only the items at most as far as the row's farthest hit matter (a few
per cent with a good model, a fifth to a half with a weak one). In cache-sized blocks of
rows: one compare pass keeps them, each row's kept distances are sorted on their own
(float32 ``np.sort``, several times cheaper than an argsort), and one ``searchsorted`` of
(row, distance) keys counts the items below every hit at once; the hits and discarded
items below it come from the same-id pairs, built per id from the gallery sorted by id.
A block where most items pass sorts its whole rows instead. Large matrices run their
blocks on every core (NumPy releases the GIL in the sorts and array passes).

Ties: the order within a tie of equal distances only matters when a hit ties with a kept
non-matching item. Those rows are ranked by ``np.argsort(row)``, the scripts' own call, so
every position -- and CMC and AP -- is what the scripts compute. They cost what the
scripts pay per row, and their share grows with the gallery (more matches, more items per
float32 step): a handful at VeRi size with a good model, most rows of a weak model's
4x gallery. Non-float32 matrices take that per-row path for every row.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from harness.metrics import MetricError

MAX_RANK = 50
_BLOCK = 1 << 19  # matrix elements per block of rows (the block's mask stays in cache)
_DENSE = 0.6  # share of a block's items <= their row's cut above which its rows are
#   sorted whole instead (measured crossover of the two ways on VeRi-size rows)
_BYTES = 0.1  # share of passing items above which the mask is read byte by byte
_THREADED = 1 << 22  # matrix elements from which blocks and tie rows run on every core


@dataclass
class Ranking:
    """One evaluation: CMC curve, mAP (fractions, not percent) and per-query results."""

    cmc: np.ndarray  # (max_rank,) share of valid queries with a hit within rank k+1
    mAP: float
    num_valid: int
    ap: np.ndarray  # (n_query,), NaN for skipped queries
    first_hit: np.ndarray  # (n_query,) 0-based rank of the first hit among kept items; -1 if skipped
    top_gallery: np.ndarray  # (n_query,) kept gallery item at the smallest distance (lowest
    #   index among equal distances); -1 if none kept

    def topk(self, k: int) -> float:
        """Share of valid queries whose first hit is within the first k kept items."""
        valid = self.first_hit >= 0
        return float(np.mean(self.first_hit[valid] < k))


@dataclass(frozen=True)
class RemoveRule:
    """What each query discards before ranking: those of its same-id gallery items that
    ``pairs(query_index, gallery_index)`` flags (index arrays of same-id pairs -> bool array),
    and, for every query, the gallery items whose id is in ``junk_pids``."""

    pairs: Optional[Callable[[np.ndarray, np.ndarray], np.ndarray]] = None
    junk_pids: tuple = ()


def same_id_same_camera(q_camids, g_camids, g_pids=None, junk_pids: Sequence = ()) -> RemoveRule:
    """The standard rule: discard same id AND same camera, plus gallery junk ids.
    (``g_pids`` is accepted for compatibility; ``rank`` knows the gallery ids.)"""
    q_camids, g_camids = np.asarray(q_camids), np.asarray(g_camids)
    return RemoveRule(lambda qi, gj: q_camids[qi] == g_camids[gj], tuple(junk_pids))


# -- helpers ------------------------------------------------------------------------------

def _same_id_pairs(q_pids: np.ndarray, g_pids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (query, gallery) index pairs with equal ids, grouped by query, via the gallery
    sorted by id once."""
    order = np.argsort(g_pids, kind="stable")
    sorted_pids = g_pids[order]
    lo = np.searchsorted(sorted_pids, q_pids, "left")
    n = np.searchsorted(sorted_pids, q_pids, "right") - lo
    qi = np.repeat(np.arange(len(q_pids)), n)
    starts = np.cumsum(n) - n
    gj = order[np.arange(int(n.sum())) - np.repeat(starts - lo, n)]
    return qi, gj


def _key32(values: np.ndarray, check: bool = False) -> np.ndarray:
    """float32 -> order-preserving int32 image (-0.0 taken as +0.0); for values >= +0.0 it
    is the bit pattern itself. ``check``: -Inf is an error."""
    bits = values.view(np.int32)
    if len(bits) and bits.min() >= 0:  # no negative value, no -0.0
        return bits
    if check and np.isneginf(values).any():
        raise MetricError("distance matrix has NaN/Inf")
    bits = (values + np.float32(0.0)).view(np.int32)
    return bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))


def _starts(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=out[1:])
    return out


@dataclass
class _Pairs:
    """Hits (sorted by distance within their row) and discarded same-id items of the valid
    rows, in row order."""

    h_start: np.ndarray
    h_k: np.ndarray  # ``_key32`` of the hit's distance
    n_tied: np.ndarray  # per hit: same-id items (hits and discarded) at the same distance
    r_flat: np.ndarray  # sorted flat (row-major) indices of the discarded items


def _value32(keys: np.ndarray) -> np.ndarray:
    """``_key32``'s inverse: the float32 distances of int32 keys."""
    keys = keys.astype(np.int32)
    return (keys ^ ((keys >> 31) & np.int32(0x7FFFFFFF))).view(np.float32)


def _row_sorted_keys(values: np.ndarray, f_start: np.ndarray) -> np.ndarray:
    """(row, distance) keys of a block's kept items (``values``, row after row from
    ``f_start``), ascending: ``(row << 32) + _key32(distance)``. Each row's values are
    sorted on their own: float32 ``np.sort`` of a few thousand items costs several times
    less per item than one sort of the whole block's keys."""
    srt = values.copy()
    for a, b in zip(f_start[:-1].tolist(), f_start[1:].tolist()):
        srt[a:b].sort()
    rows = np.repeat(np.arange(len(f_start) - 1, dtype=np.int64) << 32, np.diff(f_start))
    rows += _key32(srt)
    return rows


def _block_ranks(d, r0, r1, cut, keep_cols, p: _Pairs, buf):
    """Rows r0:r1 (a cache-sized block): keep the items <= the row's cut and sort them by
    (row, distance). Returns, for each hit of these rows, the number of items in its row at
    a smaller distance and whether a non-matching item ties with it; and each row's top
    kept item (smallest distance, then column)."""
    ng = d.shape[1]
    block = d[r0:r1]
    n = block.size
    mask = buf[:n].reshape(block.shape)
    buf[n:n + 8] = False  # the last word's padding
    np.less_equal(block, cut[r0:r1, None], out=mask)
    if not block.max() < np.inf:  # NaN or +Inf (-Inf is <= every cut: checked in _key32)
        raise MetricError("distance matrix has NaN/Inf")
    if keep_cols is not None:
        np.logical_and(mask, keep_cols[None, :], out=mask)
    n_pass = np.count_nonzero(mask)
    if n_pass > _DENSE * n:  # most items pass (a weak model): sort the rows
        return _dense_block_ranks(block, r0, r1, keep_cols, p)
    if n_pass > _BYTES * n:
        flat = np.flatnonzero(mask)
    else:  # few items pass: find the non-zero 8-byte words first, then the bytes inside
        words = buf[:-(-n // 8) * 8].view(np.uint64)
        nz = np.flatnonzero(words != 0)
        inner = np.flatnonzero(words[nz].view(np.bool_))
        flat = (nz[inner >> 3] << 3) | (inner & 7)  # row-major: columns ascending in a row
    f_start = np.searchsorted(flat, np.arange(r1 - r0 + 1, dtype=np.int64) * ng)
    counts = np.diff(f_start)
    values = np.take(block.reshape(-1), flat)
    k = _key32(values, check=True)
    ha, hb = p.h_start[r0], p.h_start[r1]
    h_row = np.repeat(np.arange(r1 - r0, dtype=np.int64), np.diff(p.h_start[r0:r1 + 1]))
    keys = _row_sorted_keys(values, f_start)
    needle = (h_row << 32) + p.h_k[ha:hb]
    lo = np.searchsorted(keys, needle)
    nxt = lo + p.n_tied[ha:hb]  # the item after the same-id ones at the hit's distance
    nxt_ok = nxt < len(keys)
    tied = nxt_ok & (keys[np.where(nxt_ok, nxt, 0)] == needle)

    # Top: in column order, the first kept item at the row's smallest kept distance.
    has = np.flatnonzero(counts)
    r_flat = p.r_flat[np.searchsorted(p.r_flat, r0 * ng):np.searchsorted(p.r_flat, r1 * ng)]
    if len(r_flat) and len(flat):
        at = np.minimum(np.searchsorted(flat, r_flat - r0 * ng), len(flat) - 1)
        k = k.copy()
        k[at[flat[at] == r_flat - r0 * ng]] = np.iinfo(np.int32).max  # above any finite value
    top = np.full(r1 - r0, -1, np.int64)
    if len(has):
        at_min = np.flatnonzero(k == np.repeat(np.minimum.reduceat(k, f_start[has]), counts[has]))
        top[has] = flat[at_min[np.searchsorted(at_min, f_start[has])]] - has * ng
    return lo - f_start[h_row], tied, top


def _dense_block_ranks(block, r0, r1, keep_cols, p: _Pairs):
    """``_block_ranks`` by sorting every row of the block (float32 ``np.sort``)."""
    ng = block.shape[1]
    rows = block if keep_cols is None else block[:, keep_cols]
    srt = np.sort(rows, axis=1)
    if len(srt) and srt.shape[1] and srt[:, 0].min() == -np.inf:
        raise MetricError("distance matrix has NaN/Inf")
    ha, hb = p.h_start[r0], p.h_start[r1]
    hv = _value32(p.h_k[ha:hb])
    less, tied = np.zeros(hb - ha, np.int64), np.zeros(hb - ha, bool)
    for i in np.flatnonzero(np.diff(p.h_start[r0:r1 + 1])):  # rows with hits
        a, b = p.h_start[r0 + i] - ha, p.h_start[r0 + i + 1] - ha
        less[a:b] = np.searchsorted(srt[i], hv[a:b])
        nxt = less[a:b] + p.n_tied[ha + a:ha + b]  # the item after the same-id ones
        ok = nxt < srt.shape[1]
        tied[a:b] = ok & (srt[i, np.where(ok, nxt, 0)] == hv[a:b])
    gone = block.copy()
    if keep_cols is not None:
        gone[:, ~keep_cols] = np.inf
    r_flat = p.r_flat[np.searchsorted(p.r_flat, r0 * ng):np.searchsorted(p.r_flat, r1 * ng)]
    gone.reshape(-1)[r_flat - r0 * ng] = np.inf
    top = np.argmin(gone, axis=1)
    top[np.isinf(gone[np.arange(len(top)), top])] = -1
    return less, tied, top


def _workers(n_items: int) -> int:
    """Threads for a matrix of ``n_items``: one per usable core (at most 8) for a large one,
    else 1. NumPy releases the GIL in the sorts, searches and array passes that make up
    a block's work, so blocks run in parallel."""
    if n_items < _THREADED:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _in_parallel(fn, tasks, workers: int) -> list:
    """``[fn(t) for t in tasks]``, on ``workers`` threads when more than one."""
    if workers <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, tasks))


def _ranks_below(d, cut, keep_cols, p: _Pairs):
    """``_block_ranks`` over all rows, in blocks of about ``_BLOCK`` items."""
    nq, ng = d.shape
    step = max(1, _BLOCK // ng)

    def one_block(r0: int):
        buf = np.empty(min(nq - r0, step) * ng + 8, bool)  # per block: blocks may run at once
        return _block_ranks(d, r0, min(r0 + step, nq), cut, keep_cols, p, buf)

    parts = _in_parallel(one_block, list(range(0, nq, step)), _workers(d.size))
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(3))


def _argsort_positions(row: np.ndarray, hit_cols: np.ndarray, drop_cols: np.ndarray) -> np.ndarray:
    """0-based positions of the hits among the kept items, in the scripts' ``np.argsort``
    order of the row."""
    status = np.zeros(len(row), np.int8)
    status[hit_cols] = 1
    status[drop_cols] = 2
    ranked = status[np.argsort(row)]
    return np.flatnonzero(ranked[ranked < 2] == 1)


# -- ranking ------------------------------------------------------------------------------

def rank(distmat: np.ndarray, q_pids, g_pids, remove: Optional[RemoveRule] = None,
         max_rank: int = MAX_RANK) -> Ranking:
    """CMC and mAP of a (query x gallery) distance matrix; ``remove`` says what each query
    discards (``RemoveRule``; None: nothing). Positions are the scripts' (``np.argsort``)."""
    distmat = np.asarray(distmat)
    q_pids, g_pids = np.asarray(q_pids), np.asarray(g_pids)
    nq, ng = distmat.shape if distmat.ndim == 2 else (0, 0)
    if nq == 0 or ng == 0:
        raise MetricError(f"re-id ranking over an empty distance matrix {distmat.shape}")
    if len(q_pids) != nq or len(g_pids) != ng:
        raise MetricError(f"{len(q_pids)} query / {len(g_pids)} gallery labels for a "
                          f"{nq} x {ng} distance matrix")
    fast = distmat.dtype == np.float32  # float32: checked for NaN/Inf block by block
    d = np.ascontiguousarray(distmat) if fast else distmat
    if not fast and d.dtype.kind == "f" and not np.isfinite(d).all():
        raise MetricError("distance matrix has NaN/Inf")
    max_rank = min(max_rank, ng)
    remove = remove or RemoveRule()
    if not isinstance(remove, RemoveRule):
        raise TypeError(f"remove must be a RemoveRule, not {type(remove).__name__}")

    # Same-id pairs; junk gallery items leave every ranking (they are not "kept" anywhere).
    junk = np.isin(g_pids, np.asarray(remove.junk_pids)) if len(remove.junk_pids) else None
    qi, gj = _same_id_pairs(q_pids, g_pids)
    if junk is not None:
        qi, gj = qi[~junk[gj]], gj[~junk[gj]]
        if fast and np.isneginf(d[:, junk]).any():  # the blocks see no junk item below a cut
            raise MetricError("distance matrix has NaN/Inf")
    dropped = np.asarray(remove.pairs(qi, gj), bool) if remove.pairs is not None and len(qi) \
        else np.zeros(len(qi), bool)
    hq, hg, rq, rg = qi[~dropped], gj[~dropped], qi[dropped], gj[dropped]
    n_hits = np.bincount(hq, minlength=nq)
    valid = n_hits > 0
    if not valid.any():
        raise MetricError(f"no valid query: none of the {nq} queries has a gallery match left "
                          "after removing same-id same-camera items")
    h_start, r_start = _starts(n_hits), _starts(np.bincount(rq, minlength=nq))
    hv = d.reshape(-1)[hq * ng + hg] if fast else d[hq, hg]

    top = np.full(nq, -1, np.int64)
    if fast:
        pos, tie_rows = _positions_filtered(d, hq, hv, rq, rg, h_start, r_start, valid, junk, top)
    else:
        pos, tie_rows = np.zeros(len(hq), np.int64), np.nonzero(valid)[0]
    drop_cols = np.flatnonzero(junk) if junk is not None else np.zeros(0, np.int64)

    def by_argsort(i: int) -> None:  # ties between a hit and a kept item: the scripts' argsort
        a, b = h_start[i], h_start[i + 1]
        removed_i = np.concatenate([rg[r_start[i]:r_start[i + 1]], drop_cols])
        pos[a:b] = _argsort_positions(d[i], hg[a:b], removed_i)

    _in_parallel(by_argsort, list(tie_rows), _workers(len(tie_rows) * ng))
    _top_of_rows(d, np.nonzero(~valid if fast else np.ones(nq, bool))[0], rq, rg, r_start, junk, top)

    t = np.arange(len(hq)) - np.repeat(h_start[:-1], n_hits)  # index of the hit in its row
    ap = np.full(nq, np.nan)
    ap[valid] = np.add.reduceat((t + 1.0) / (pos + 1.0), h_start[:-1][valid]) / n_hits[valid]
    first_hit = np.full(nq, -1, np.int64)
    first_hit[valid] = pos[h_start[:-1][valid]]
    counts = np.bincount(np.minimum(first_hit[valid], max_rank), minlength=max_rank + 1)
    cmc = np.cumsum(counts)[:max_rank] / float(valid.sum())
    return Ranking(cmc, float(np.mean(ap[valid])), int(valid.sum()), ap, first_hit, top)


def _positions_filtered(d, hq, hv, rq, rg, h_start, r_start, valid, junk, top):
    """Positions of the hits (per row, in ascending distance) among the kept items, from the
    items no farther than each row's farthest hit; also fills ``top`` for the valid rows.
    Returns the positions and the rows with a hit tied to a kept non-matching item."""
    nq = d.shape[0]
    cut = np.full(nq, -np.inf, np.float32)
    cut[valid] = np.maximum.reduceat(hv, h_start[:-1][valid])
    h_keys = np.sort((hq.astype(np.int64) << 32) + _key32(hv))  # hq is sorted: rows stay put
    r_keys = (rq.astype(np.int64) << 32) + _key32(d.reshape(-1)[rq * d.shape[1] + rg])
    # Per hit (sorted): first / one-past-last index of its equal keys among the hits, and
    # the number of discarded keys below / at most it.
    first = np.ones(len(h_keys), bool)
    np.not_equal(h_keys[1:], h_keys[:-1], out=first[1:])
    run = np.flatnonzero(first)
    run_of = np.cumsum(first) - 1
    lo_h, hi_h = run[run_of], np.append(run[1:], len(h_keys))[run_of]
    nh = len(h_keys) + 1
    lo_r = np.cumsum(np.bincount(np.searchsorted(h_keys, r_keys, "right"), minlength=nh))[:-1]
    hi_r = np.cumsum(np.bincount(np.searchsorted(h_keys, r_keys, "left"), minlength=nh))[:-1]
    pairs = _Pairs(h_start, h_keys - (hq.astype(np.int64) << 32), (hi_h - lo_h) + (hi_r - lo_r),
                   np.sort(rq.astype(np.int64) * d.shape[1] + rg))
    less, tied, top_rows = _ranks_below(d, cut, None if junk is None else ~junk, pairs)
    top[valid] = top_rows[valid]
    # Below a hit: kept non-matching items = all - hits - discarded; plus the hits before it.
    pos = less - (lo_r - r_start[hq]) - lo_h + np.arange(len(hq))
    return pos, np.unique(hq[tied])


def _top_of_rows(d, rows, rq, rg, r_start, junk, top) -> None:
    """``top`` for ``rows``: argmin over the row's kept items (first index on ties), -1 if
    every item is discarded."""
    if not len(rows):
        return
    sub = d[rows].astype(np.float64)
    if junk is not None:
        sub[:, junk] = np.inf
    for k, i in enumerate(rows):
        sub[k, rg[r_start[i]:r_start[i + 1]]] = np.inf
    best = np.argmin(sub, axis=1)
    top[rows] = np.where(np.isinf(sub[np.arange(len(rows)), best]), -1, best)
