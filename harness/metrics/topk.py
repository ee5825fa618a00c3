"""Top-1..top-5 accuracy as ``imagenet_acc_eval.py`` (DPN131 guide) computes it.

For each prediction vector: rank classes by ``argsort(-pred)``; the first of the top-5
ranks whose class equals the label counts a hit at that rank; accuracy_k is the cumulative
hit count up to rank k over the number of prediction files; a 1001-class output shifts
labels by one (background class). ``result.json`` is written in the script's structure.

Departure (recorded in the guide): the guide reads TXT outputs, i.e. values printed with
six decimals; we round to six decimals the same way, and break exact ties with a stable
sort where the script's quicksort breaks them arbitrarily.
"""
from __future__ import annotations

import json
import re
from typing import Mapping, Sequence

import numpy as np

from harness.metrics import MetricError, MetricReport
from harness.metrics.ambiguity import Allowance, flip_margin, max_abs_diff, mean_slack, within_margin


def txt_round(pred: np.ndarray, decimals: int = 6) -> np.ndarray:
    """What a value looks like after ``%f`` printing and float32 parsing."""
    return np.round(pred.astype(np.float64), decimals).astype(np.float32)


def topk_report(predictions: Mapping[str, np.ndarray], labels: Mapping[str, int],
                k_max: int = 5, decimals: int | None = 6) -> MetricReport:
    if not predictions:
        raise MetricError("top-k over zero predictions")
    missing = [s for s in predictions if s not in labels]
    if missing:
        raise MetricError(f"{len(missing)} predictions have no label (e.g. {missing[:3]})")
    count_hit = np.zeros(k_max, dtype=np.int64)
    per_sample = {}
    n_labels = 0
    for sid, pred in predictions.items():
        vec = np.asarray(pred, dtype=np.float32).reshape(-1)
        if not np.all(np.isfinite(vec)):
            raise MetricError(f"sample {sid}: prediction has NaN/Inf")
        if decimals is not None:
            vec = txt_round(vec, decimals)
        n_labels = vec.size
        gt = int(labels[sid]) + (1 if n_labels == 1001 else 0)
        ranked = np.argsort(-vec, kind="stable")[:k_max]
        hits = np.nonzero(ranked == gt)[0]
        if hits.size:
            count_hit[hits[0]] += 1
        per_sample[sid] = [int(c) for c in ranked]
    n = len(predictions)
    acc = np.cumsum(count_hit) / n
    values = {f"top{k + 1}": float(acc[k] * 100.0) for k in range(k_max)}
    report = MetricReport(values=values, count=n, per_sample=per_sample)
    report.files["result.json"] = result_json(n, n_labels, acc)
    return report


def topk_allowance(ours: Mapping[str, np.ndarray], ref: Mapping[str, np.ndarray],
                   labels: Mapping[str, int], k_max: int = 5, decimals: int | None = 6) -> Allowance:
    """What top-1..top-k may differ by between a backend's predictions and PyTorch's.

    Measured: the largest |logit difference| of the values ranked (after the TXT rounding).
    A sample's top-k hit can change only where the label's logit lies within twice that of
    the k-th / (k+1)-th ranked logit of PyTorch's prediction; its top-k class list only where
    two of PyTorch's first k+1 ranked logits do. Each such sample moves top-k by 100/n %.
    """
    rounded = {s: [_ranked_values(p, decimals)] for s, p in ref.items()}
    delta = max_abs_diff({s: [_ranked_values(p, decimals)] for s, p in ours.items()}, rounded,
                         what="top-k predictions")
    margin = flip_margin(delta)
    hit_ambiguous = np.zeros(k_max, dtype=np.int64)
    ambiguous = {}
    for sid, (vec,) in rounded.items():
        order = np.argsort(-vec, kind="stable")[:k_max + 1]
        top = vec[order]
        gaps = top[:-1] - top[1:]
        near = np.nonzero(within_margin(gaps, margin))[0]
        if near.size:
            r = int(near[0])
            ambiguous[sid] = (f"ranks {r + 1} and {r + 2} logits {gaps[r]:.3g} apart "
                              f"(<= 2 x max |logit diff| {delta:.3g})")
        gt = int(labels[sid]) + (1 if vec.size == 1001 else 0)
        v_label = vec[gt] if 0 <= gt < vec.size else -np.inf
        for k in range(1, min(k_max, vec.size - 1) + 1):
            boundary = top[k] if v_label >= top[k - 1] else top[k - 1]  # the value it must cross
            if within_margin(abs(v_label - boundary), margin):
                hit_ambiguous[k - 1] += 1
    n = len(rounded)
    slack = {f"top{k}": mean_slack(int(hit_ambiguous[k - 1]), n, 100.0, " %",
                                   f"images with the label's logit within the margin of the top-{k} boundary")
             for k in range(1, k_max + 1)}
    return Allowance("max |logit diff|", delta, margin, n, ambiguous, slack)


def _ranked_values(pred: np.ndarray, decimals: int | None) -> np.ndarray:
    """The values ``topk_report`` ranks: flattened, float32, TXT-rounded."""
    vec = np.asarray(pred, dtype=np.float32).reshape(-1)
    return txt_round(vec, decimals) if decimals is not None else vec


def result_json(n_images: int, n_classes: int, acc: Sequence[float]) -> str:
    """The exact JSON text ``imagenet_acc_eval.py`` writes (json.dump defaults)."""
    value = [{"key": "Number of images", "value": str(n_images)},
             {"key": "Number of classes", "value": str(n_classes)}]
    for k, a in enumerate(acc, start=1):
        value.append({"key": f"Top{k} accuracy", "value": str(round(float(a) * 100, 2)) + "%"})
    return json.dumps({"title": "Overall statistical evaluation", "value": value})


def parse_result_json(text: str) -> dict[str, float]:
    """Read a result.json back into {"top1": 79.43, ...} (for comparing with a guide run).

    Anything that is not the script's structure is a ``MetricError`` naming what is wrong,
    never a KeyError deep in here or a number the file does not hold.
    """
    try:
        obj = json.loads(text)
    except (ValueError, TypeError) as exc:  # JSONDecodeError, bytes that are not UTF-8
        raise MetricError(f"result.json is not JSON: {exc}") from None
    entries = obj.get("value") if isinstance(obj, dict) else None
    if not isinstance(entries, list):
        raise MetricError("result.json has no 'value' list (not imagenet_acc_eval.py output)")
    out = {}
    for entry in entries:
        key = entry.get("key") if isinstance(entry, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not isinstance(value, str):
            raise MetricError(f"result.json entry {entry!r} is not {{'key': str, 'value': str}}")
        found = re.fullmatch(r"Top([0-9]+) accuracy", key)
        if not found:
            continue
        number = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)%", value.strip())
        if number is None:
            raise MetricError(f"result.json: {key} is {value!r}, expected a percentage like '79.43%'")
        name = "top" + str(int(found.group(1)))
        if name in out:
            raise MetricError(f"result.json lists {key} twice")
        out[name] = float(number.group(1))
    if not out:
        raise MetricError("result.json holds no 'Top<k> accuracy' entry")
    return out
