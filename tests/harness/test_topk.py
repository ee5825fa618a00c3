"""Top-k as imagenet_acc_eval.py computes it, and its result.json."""
from __future__ import annotations

import json

import numpy as np
import pytest

from harness.metrics import MetricError
from harness.metrics.topk import parse_result_json, topk_report


def _onehot(cls, n=1000, second=None):
    v = np.zeros(n, np.float32)
    v[cls] = 10.0
    if second is not None:
        v[second] = 5.0
    return v


def test_hits_counted_at_first_matching_rank():
    preds = {"a": _onehot(1), "b": _onehot(2, second=7), "c": _onehot(3)}
    labels = {"a": 1, "b": 7, "c": 999}
    r = topk_report(preds, labels)
    assert r.count == 3
    assert r["top1"] == pytest.approx(100 / 3)
    assert r["top2"] == pytest.approx(200 / 3)
    assert r["top5"] == pytest.approx(200 / 3)
    assert r.per_sample["b"][:2] == [2, 7]


def test_result_json_has_the_scripts_structure():
    preds = {f"s{i}": _onehot(i) for i in range(4)}
    labels = {"s0": 0, "s1": 1, "s2": 5, "s3": 3}
    text = topk_report(preds, labels).files["result.json"]
    obj = json.loads(text)
    assert obj["title"] == "Overall statistical evaluation"
    assert obj["value"][0] == {"key": "Number of images", "value": "4"}
    assert obj["value"][1] == {"key": "Number of classes", "value": "1000"}
    assert obj["value"][2] == {"key": "Top1 accuracy", "value": "75.0%"}
    assert [e["key"] for e in obj["value"][2:]] == [f"Top{k} accuracy" for k in range(1, 6)]
    assert parse_result_json(text)["top1"] == 75.0
    # json.dump default separators, as the script writes it
    assert ', "value": [{"key": ' in text


def test_1001_classes_shift_labels_for_background():
    r = topk_report({"a": _onehot(6, n=1001)}, {"a": 5})
    assert r["top1"] == 100.0


def test_six_decimal_rounding_like_txt_outputs():
    v = np.zeros(1000, np.float32)
    v[3] = 0.1234564
    v[4] = 0.1234561  # equal after %f printing: the tie is broken stably (lower index first)
    assert topk_report({"a": v}, {"a": 3})["top1"] == 100.0
    assert topk_report({"a": v}, {"a": 3}, decimals=None)["top1"] == 100.0


def test_zero_predictions_and_nan_fail():
    with pytest.raises(MetricError, match="zero"):
        topk_report({}, {})
    bad = _onehot(1)
    bad[5] = np.nan
    with pytest.raises(MetricError, match="sample x"):
        topk_report({"x": bad}, {"x": 1})


def test_prediction_without_label_is_named():
    with pytest.raises(MetricError, match="no label"):
        topk_report({"ghost": _onehot(1)}, {"a": 1})
