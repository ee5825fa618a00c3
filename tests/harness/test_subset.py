"""The declared subset of a real dataset (harness/datasets/subset.py), the checksum status a
rehearsal records (harness/checkpoints.py), and the options that ask for them."""
from __future__ import annotations

import hashlib
import json
import logging
import textwrap

import numpy as np
import pytest

from harness import guides
from harness.checkpoints import NOT_PUBLISHED, VERIFIED, CheckpointError, verify_checksum
from harness.datasets.errors import DatasetError
from harness.datasets.subset import first_n
from tests.faults.test_usage_errors import usage_error  # noqa: F401 - the fixture, shared

pytest_plugins = ["pytester"]

KINDS = ("dpn131", "centroids_reid", "pamtri", "transpose", "dgnet")


def real_layout(tmp_path, name):
    g = guides.get(name)
    g.dataset.make_synthetic(tmp_path / g.dataset.subdir, g.dataset.synthetic_size, 0)
    return g.dataset.open(tmp_path / g.dataset.subdir)


@pytest.mark.parametrize("name", KINDS)
def test_subset_keeps_the_first_n_in_the_guides_order(tmp_path, name):
    full = real_layout(tmp_path, name)
    kept, note = first_n(full, 2)
    if name in ("centroids_reid", "pamtri"):  # the first queries against the whole gallery
        assert kept.query.file_ids == full.query.file_ids[:2]
        assert kept.gallery.file_ids == full.gallery.file_ids
        assert np.array_equal(kept.query.pids, full.query.pids[:2])
        for key, value in kept.query.extra.items():
            if hasattr(value, "__len__") and len(full.query.extra[key]) == len(full.query):
                assert len(value) == 2, key
        assert kept.sample_ids == full.sample_ids[:2] + full.sample_ids[len(full.query):]
    else:
        assert kept.sample_ids == full.sample_ids[:2]
    assert "first 2 of" in note
    assert kept.fingerprint() != full.fingerprint()  # a cache key of its own
    assert len(full.sample_ids) > len(kept.sample_ids)  # the original is left whole


def test_subset_larger_than_the_dataset_names_it(tmp_path):
    full = real_layout(tmp_path, "dpn131")
    with pytest.raises(DatasetError, match=rf"{full.root}: --subset 99 asks for the first 99 images, "
                                           rf"the dataset has {len(full.sample_ids)}"):
        first_n(full, 99)


def test_a_checksum_mismatch_is_accepted_only_when_asked_and_said(tmp_path, caplog):
    path = tmp_path / "w.pth"
    path.write_bytes(b"weights")
    right = hashlib.md5(b"weights").hexdigest()
    assert verify_checksum(path, md5=right) == VERIFIED
    assert verify_checksum(path) == NOT_PUBLISHED
    with pytest.raises(CheckpointError, match="re-download"):
        verify_checksum(path, md5="0" * 32)
    with caplog.at_level(logging.WARNING, logger="harness.checkpoints"):
        status = verify_checksum(path, md5="0" * 32, accept_unverified=True)
    assert status == f"unverified: md5 {right}, the guide publishes {'0' * 32}"
    assert "UNVERIFIED" in caplog.text


@pytest.mark.parametrize("args, env, message", [
    (("--subset", "0"), None, "--subset 0: must be at least 1"),
    ((), {"SUITE_SUBSET": "few"}, "SUITE_SUBSET=few: must be an integer"),
    (("--weights-checksum", "record"), None, "--weights-checksum record: 'record' needs --subset N"),
    (("--subset", "3", "--weights-checksum", "skip"), None,
     "--weights-checksum skip: must be 'enforce' or 'record'"),
])
def test_bad_subset_options_are_usage_errors(usage_error, args, env, message):  # noqa: F811
    assert message in usage_error(*args, env=env)


SUBSET_RUN = textwrap.dedent("""
    import pytest
    from harness.checks import Verdict


    @pytest.fixture(autouse=True)
    def _stage_properties(request):  # as tests/conformance/conftest.py tags each stage test
        request.node.user_properties += [("guide", "dpn131"), ("stage", "accuracy")]


    @pytest.mark.dataset
    @pytest.mark.weights
    def test_accuracy_real(record_verdict):
        where = dict(guide="dpn131", stage="accuracy", batch_size=1, backend="onnxruntime", chip="cpu")
        record_verdict(Verdict("official split", True, "--subset 3: first 3 of 12 images", 3, 50000,
                               outcome="subset"), **where)
        record_verdict(Verdict("samples evaluated", True, "evaluated 3 samples, dataset has 3", 3, 3), **where)
        record_verdict(Verdict("top1", True, "top1 = 33.3 on a subset: not judged", 33.3, 79.4,
                               outcome="subset"), **where)
""")


@pytest.fixture
def subset_run(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    dataset: real data\n    weights: real checkpoint\n")
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.summary", '
                          '"fixtures.gate", "fixtures.coverage"]\n')
    pytester.makepyfile(test_inner=SUBSET_RUN)
    p = pytester.path
    return lambda *args: pytester.runpytest("-p", "no:cacheprovider", "--results", str(p / "r.jsonl"),
                                            "--record", str(p / "run.json"), "--history", "off",
                                            f"--junitxml={p / 'j.xml'}", *args)


def test_a_subset_run_shows_as_subset_everywhere(subset_run, pytester):
    """Not a pass: the table, the recorded run and JUnit all say "subset"."""
    import xml.etree.ElementTree as ET

    from tests.harness.test_gate_plugin import junit_verdicts

    result = subset_run()
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*guide x stage verdicts*", "dpn131 * subset 1 (not judged)"])
    run = json.loads((pytester.path / "run.json").read_text())["run"]
    assert [t["outcome"] for t in run["tests"]] == ["subset"]
    case = next(ET.parse(pytester.path / "j.xml").iter("testcase"))
    assert junit_verdicts(case)["top1"]["outcome"] == "subset"


def test_a_required_real_tier_fails_on_a_subset(subset_run):
    """``--require real`` asks for the published numbers: a subset run judged none."""
    result = subset_run("--require", "real")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*required coverage (--require dataset,weights): the test ran on a declared "
                                 "subset (--subset), which judges no published number*"])
