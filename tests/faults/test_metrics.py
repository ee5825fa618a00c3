"""Metric faults: zero samples, NaN/Inf predictions, missing labels. A metric over nothing
is an error, never 0 % or 100 %; a NaN never becomes a plausible number."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from harness import guides
from harness.errors import SuiteError
from harness.metrics import MetricError, MetricReport
from harness.metrics.topk import topk_report


def test_topk_over_zero_predictions():
    with pytest.raises(MetricError, match="top-k over zero predictions"):
        topk_report({}, {"a": 1})


def test_topk_nan_prediction_names_the_sample():
    preds = {"ILSVRC2012_val_00000001": np.arange(1000, dtype=np.float32),
             "ILSVRC2012_val_00000002": np.full(1000, np.nan, np.float32)}
    with pytest.raises(MetricError, match=r"sample ILSVRC2012_val_00000002: prediction has NaN/Inf"):
        topk_report(preds, {"ILSVRC2012_val_00000001": 1, "ILSVRC2012_val_00000002": 2})


def test_topk_prediction_without_label_names_it():
    with pytest.raises(MetricError, match=r"1 predictions have no label \(e\.g\. \['x9'\]\)"):
        topk_report({"x9": np.zeros(1000, np.float32)}, {"x1": 0})


@pytest.mark.parametrize("count,values,expected", [
    (0, {"top1": 0.0}, "zero samples"),
    (5, {"mAP": float("nan"), "rank1": 90.0}, r"non-finite metric values: \{'mAP': nan\}"),
    (5, {"AP": float("inf")}, "non-finite"),
])
def test_report_check_refuses_vacuous_or_nonfinite(count, values, expected):
    with pytest.raises(MetricError, match=expected):
        MetricReport(values=values, count=count).check()


def _synthetic(g, tmp_path):
    root = tmp_path / g.dataset.subdir
    g.dataset.make_synthetic(root, min(4, g.dataset.synthetic_size), 0)
    samples = g.dataset.open(root)
    prepared = g.pipeline.preprocess(samples, tmp_path / "bins", workers=0)
    return samples, prepared


def _evaluate(g, samples, outputs, tmp_path):
    kwargs = {}
    if getattr(g.pipeline, "evaluate_context", False):
        from harness.guides.base import EvalContext

        kwargs["context"] = EvalContext("synthetic", {}, tmp_path / "eval")
    report = g.pipeline.evaluate(samples, outputs, **kwargs)
    report.check()  # what GuideSession.evaluate does with every report
    return report


def _ids(prepared, set_name):
    ids_of = getattr(prepared, "ids_of", None)
    return list(ids_of(set_name)) if ids_of else list(prepared.sample_ids)


# One member per guide family: its members share the code under test.
GUIDES = [pytest.param(n, id=n) for n in guides.representatives()]


@pytest.mark.parametrize("guide_name", GUIDES)
def test_every_guides_metric_over_zero_samples_fails(tmp_path, guide_name):
    g = guides.get(guide_name)
    samples, prepared = _synthetic(g, tmp_path)
    with pytest.raises(SuiteError) as err:
        report = _evaluate(g, samples, {s: {} for s in prepared.input_sets}, tmp_path)
        pytest.fail(f"{guide_name}: metric over zero outputs returned {report.values} (count {report.count})")
    assert re.search(r"zero|no output|missing|have no|0 of", str(err.value), re.I), str(err.value)


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("guide_name", GUIDES)
def test_every_guides_metric_refuses_non_finite_outputs(tmp_path, guide_name, value):
    """All outputs non-finite: an error, never a finite metric computed from NaN."""
    g = guides.get(guide_name)
    samples, prepared = _synthetic(g, tmp_path)
    outputs = {s: {sid: [np.full(o.sample_shape, value, np.float32) for o in g.outputs]
                   for sid in _ids(prepared, s)} for s in prepared.input_sets}
    try:
        report = _evaluate(g, samples, outputs, tmp_path)
    except SuiteError as exc:
        assert re.search(r"nan|inf|non-finite", str(exc), re.I), str(exc)
        return
    finite = {k: v for k, v in report.values.items() if math.isfinite(v)}
    pytest.fail(f"{guide_name}: metric from all-{value} outputs gave finite values {finite}")
