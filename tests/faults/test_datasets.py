"""Dataset faults: a missing root, a split with the wrong count, label/annotation files
that do not parse. Each names the path (and line) involved; a run that simply lacks the
real data is a skip saying what to provide."""
from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.artifacts import GuideSession
from fixtures.options import SuiteOptions
from harness import guides
from harness.cache import ArtifactCache
from harness.datasets import imagenet
from harness.datasets.errors import DatasetError
from harness.errors import SuiteError

from .conftest import IMAGE_SUFFIXES


def options(tmp_path: Path, **kw) -> SuiteOptions:
    base = dict(backends=("onnxruntime",), devices=(0,), soc_version="", data_root=None,
                weights_root=None, cache_dir=tmp_path / "cache", batch_sizes="fast",
                results=tmp_path / "r.jsonl", results_given=True, runs_root=tmp_path / "runs",
                keep_runs=5, synthetic_size=None, perf_rounds=3, perf_warmup=1,
                tool_timeout=60.0, stage_timeout=180.0, workers=0)
    base.update(kw)
    return SuiteOptions(**base)


# One member per guide family: its members share the code under test.
GUIDES = [pytest.param(n, id=n) for n in guides.representatives()]


@pytest.mark.parametrize("guide_name", GUIDES)
def test_missing_dataset_root_names_the_path(tmp_path, guide_name):
    g = guides.get(guide_name)
    missing = tmp_path / "nowhere" / g.dataset.subdir
    with pytest.raises(SuiteError) as err:
        g.dataset.open(missing)
    assert str(missing) in str(err.value), str(err.value)


@pytest.mark.parametrize("guide_name", GUIDES)
def test_real_tier_without_data_is_a_skip_naming_what_to_provide(tmp_path, guide_name):
    g = guides.get(guide_name)
    weights = tmp_path / "weights"
    weights.mkdir()
    gs = GuideSession(g, options(tmp_path), ArtifactCache(tmp_path / "cache"))
    with pytest.raises(pytest.skip.Exception, match="--weights-root"):
        gs.real()
    gs = GuideSession(g, options(tmp_path, weights_root=weights), ArtifactCache(tmp_path / "cache"))
    with pytest.raises(pytest.skip.Exception) as skip:
        gs.real()
    assert str(weights / g.checkpoint.file_name) in skip.value.msg
    (weights / g.checkpoint.file_name).parent.mkdir(parents=True, exist_ok=True)
    (weights / g.checkpoint.file_name).write_bytes(b"x")
    for name in getattr(g.checkpoint, "companion_files", ()):
        (weights / g.checkpoint.file_name).parent.joinpath(name).write_bytes(b"x")
    for aux in getattr(g, "real_tier_files", ()):
        (weights / aux.file_name).parent.mkdir(parents=True, exist_ok=True)
        (weights / aux.file_name).write_bytes(b"x")
    data = tmp_path / "data"
    data.mkdir()
    gs = GuideSession(g, options(tmp_path, weights_root=weights, data_root=data), ArtifactCache(tmp_path / "cache"))
    with pytest.raises(pytest.skip.Exception) as skip:
        gs.real()
    assert str(data / g.dataset.subdir) in skip.value.msg and g.dataset.layout_help in skip.value.msg


@pytest.mark.parametrize("guide_name", GUIDES)
def test_split_with_the_wrong_count_fails_naming_the_folder(tmp_path, guide_name):
    """A real-tier run on an incomplete copy (here: the small synthetic one) must fail."""
    from tests.conformance.stages import GuideStages

    g = guides.get(guide_name)
    g.dataset.make_synthetic(tmp_path / g.dataset.subdir, min(4, g.dataset.synthetic_size), 0)
    samples = g.dataset.open(tmp_path / g.dataset.subdir)
    stages = type("Stages", (GuideStages,), {"guide_name": guide_name})()
    with pytest.raises(AssertionError) as err:
        stages.check_official_counts(samples)
    msg = str(err.value)
    assert str(samples.root) in msg and str(len(samples.sample_ids)) in msg, msg


def test_imagenet_counts_and_unlabelled_images(tmp_path):
    imagenet.make_synthetic(tmp_path, n=3)
    ds = imagenet.open_val(tmp_path)
    with pytest.raises(DatasetError, match=r"val holds 3 images; the ImageNet-1k validation split has 50000"):
        imagenet.check_official_counts(ds)
    (tmp_path / "val" / "ILSVRC2012_val_00000099.JPEG").write_bytes(
        (tmp_path / "val" / "ILSVRC2012_val_00000001.JPEG").read_bytes())
    with pytest.raises(DatasetError, match=r"1 images in .*val have no line in val_label.txt .*00000099"):
        imagenet.open_val(tmp_path)


@pytest.mark.parametrize("content,expected", [
    (b"ILSVRC2012_val_00000001.JPEG\n", r":1: expected '<file name> <label>'"),
    (b"a.JPEG 1\nb.JPEG seven\n", r":2: label 'seven' is not an integer"),
    (b"a.JPEG 1_0\n", r":1: label '1_0' is not an integer"),
    (b"a.JPEG \xd9\xa3\n", r"not UTF-8 text|label .* is not an integer"),
    (b"a.JPEG 5000\n", r":1: label 5000 out of range"),
    (b"a.JPEG 1\na.JPEG 2\n", r":2: a labelled 2, an earlier line says 1"),
    (b"\xff\xfe\x00garbage", r"not UTF-8 text"),
    (b"\n\n", r"no labels"),
])
def test_label_file_that_does_not_parse_names_file_and_line(tmp_path, content, expected):
    path = tmp_path / "val_label.txt"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=expected) as err:
        imagenet.read_labels(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("guide_name", GUIDES)
def test_every_guides_annotation_files_that_do_not_parse_are_named(tmp_path, guide_name):
    """Replace every non-image file of a guide's dataset (labels, JSON, lists) with junk:
    opening, preprocessing or evaluating must fail naming one of them."""
    import numpy as np

    g = guides.get(guide_name)
    root = tmp_path / g.dataset.subdir
    g.dataset.make_synthetic(root, min(4, g.dataset.synthetic_size), 0)
    annotations = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() not in IMAGE_SUFFIXES)
    if not annotations:
        pytest.skip(f"{guide_name}: the layout has no annotation files (labels are in file names)")
    for p in annotations:
        p.write_bytes(b"\xff\xfe{{ not: [valid\x00 annotation 3.5e+99 \n" + bytes(range(128, 160)))
    with pytest.raises(SuiteError) as err:
        samples = g.dataset.open(root)
        prepared = g.pipeline.preprocess(samples, tmp_path / "bins", workers=0)
        outputs = {s: {sid: [np.zeros(o.sample_shape, np.float32) for o in g.outputs]
                       for sid in prepared.sample_ids} for s in prepared.input_sets}
        g.pipeline.evaluate(samples, outputs)
    msg = str(err.value)
    assert any(p.name in msg for p in annotations), f"{guide_name}: names none of {annotations}: {msg}"
