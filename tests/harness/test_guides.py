"""The guide registry and record validation."""
from __future__ import annotations

import dataclasses

import pytest

from harness import guides
from harness.guides.base import GuideError, Reference, Source, TensorSpec, ThroughputFloor

SRC = Source("test", "none")


def test_registry_lists_and_returns_dpn131():
    assert "dpn131" in guides.names()
    g = guides.get("dpn131")
    assert g.name == "dpn131"
    assert g.input_names() == ["image"] and g.output_names() == ["class"]


def test_unknown_guide_names_the_known_ones():
    with pytest.raises(KeyError, match="dpn131"):
        guides.get("no-such-guide")


def test_every_registered_guide_is_valid():
    for g in guides.all_guides():
        assert g.references, g.name
        assert set(g.fast_batch_sizes) <= set(g.batch_sizes)


def test_tensor_without_batch_axis_is_rejected():
    with pytest.raises(GuideError, match="no batch axis"):
        TensorSpec("x", (3, 224, 224))


def test_reference_direction_is_validated():
    with pytest.raises(GuideError, match="unknown direction"):
        Reference("top1", 79.0, "up", 1.0, SRC)


@pytest.mark.parametrize("direction,value,ok", [
    ("higher", 78.43, True), ("higher", 78.42, False),
    ("lower", 80.43, True), ("lower", 80.44, False),
    ("window", 80.43, True), ("window", 78.40, False),
])
def test_reference_directions(direction, value, ok):
    ref = Reference("m", 79.43, direction, 1.0, SRC)
    assert ref.accepts(value) is ok


def test_relative_tolerance_and_nan():
    ref = Reference("fid", 18.12, "lower", 0.1, SRC, relative=True)
    assert ref.bound() == pytest.approx(18.12 * 1.1)
    assert not ref.accepts(float("nan"))


def test_floor_for_a_batch_size_the_guide_does_not_run_is_rejected():
    g = guides.get("dpn131")
    with pytest.raises(GuideError, match="batch size 3"):
        dataclasses.replace(g, floors=(ThroughputFloor("Ascend310P3", 3, 100.0, SRC),))


def test_dpn131_record_matches_the_guide():
    g = guides.get("dpn131")
    assert g.export.opset == 11 and g.export.dynamic_batch and g.export.batch_axis_name == "-1"
    assert g.checkpoint.md5 == "71e7844aa8646dc75494976c7c86241a"
    assert g.reference("top1").value == 79.43 and g.reference("top5").value == 94.58
    # 310 numbers are per card: device Interface throughputRate x 4.
    f = g.floors_for("Ascend310", 1)[0]
    assert f.fps == pytest.approx(37.1687 * 4)
    assert g.floors_for("Ascend310P3", 64)[0].fps == 355.648
    assert g.floors_for("T4", 16)[0].fps == pytest.approx(1000 * 16 / 54.2503, abs=0.01)
