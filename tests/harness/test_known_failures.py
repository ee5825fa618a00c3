"""Known failures (harness/known_failures.py): scope, version ranges, expiry, strict xfail."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from harness import known_failures as kf

REGISTRY = textwrap.dedent("""
    [[failure]]
    id = "transpose-bs64-slow"
    guide = "transpose"
    stage = "throughput"
    check = "baseline throughput"
    chip = "Ascend310P3"
    toolkit = ">=8.0.RC1,<8.1"
    reason = "CANN 8.0 picks a slower conv tiling at bs64"
    expires = 2027-01-31
""")
TODAY = dt.date(2026, 11, 23)


def rec(verdict="fail", guide="transpose", check="baseline throughput", chip="Ascend310P3", cann="8.0.RC2",
        stage="throughput"):
    return {"guide": guide, "stage": stage, "check": check, "chip": chip, "verdict": verdict,
            "backend": "ascend", "environment": {"backend_versions": {"cann": cann} if cann else {}}}


@pytest.fixture
def registry():
    return kf.parse(REGISTRY, "test registry")


@pytest.mark.parametrize("changes, matches", [
    ({}, True),
    ({"guide": "dpn131"}, False),
    ({"chip": "Ascend310"}, False),
    ({"cann": "8.1.0"}, False),
    ({"cann": "7.0.0"}, False),
    ({"cann": "8.0.0"}, True),
    ({"cann": None}, False),  # a range never matches a run without a toolkit version
    ({"check": "baseline top1"}, False),
    ({"stage": "accuracy"}, False),
])
def test_scope_by_guide_chip_check_and_toolkit_range(registry, changes, matches):
    assert registry[0].matches(rec(**changes)) is matches


def test_strict_xfail_semantics(registry):
    fail = kf.resolve([rec("fail")], registry, test_failed=True, today=TODAY)
    assert fail.outcome == "xfail" and "transpose-bs64-slow" in fail.message
    fixed = kf.resolve([rec("pass")], registry, test_failed=False, today=TODAY)
    assert fixed.outcome == "xpass" and fixed.message.startswith("[XPASS(strict)]")
    other = kf.resolve([rec("fail"), rec("fail", check="baseline top1")], registry, test_failed=True,
                       today=TODAY)
    assert other.outcome == "unmatched-failure" and "baseline top1" in other.message
    unrelated = kf.resolve([rec("fail", guide="dgnet")], registry, test_failed=True, today=TODAY)
    assert unrelated.outcome == "none"


def test_expired_entry_no_longer_applies_and_says_so(registry):
    later = dt.date(2027, 2, 1)
    res = kf.resolve([rec("fail")], registry, test_failed=True, today=later)
    assert res.outcome == "none" and "EXPIRED" in res.message and "2027-01-31" in res.message
    assert kf.expired_entries(registry, later) == registry


@pytest.mark.parametrize("text, error", [
    ('[[failure]]\nid="a"\nguide="g"\ncheck="c"\nreason="r"\nexpires="soon"\n', "TOML date"),
    ('[[failure]]\nid="a"\nguide="g"\ncheck="c"\nexpires=2027-01-01\n', "missing \\['reason'\\]"),
    ('[[failure]]\nid="a"\nguide="g"\ncheck="c"\nreason="r"\nexpires=2027-01-01\ntoolkit="8.0"\n',
     "not a version range"),
    ('[[failure]]\nid="a"\nguide="g"\ncheck="c"\nreason="r"\nexpires=2027-01-01\nsoc="x"\n', "unknown fields"),
])
def test_malformed_registry_names_the_problem(text, error):
    with pytest.raises(kf.KnownFailureError, match=error):
        kf.parse(text, "bad.toml")


ENTRY = 'id="a"\nguide="g"\ncheck="c"\nreason="r"\nexpires=2027-01-01\n'


@pytest.mark.parametrize("text, error", [
    ("failure = 5\n", "'failure' is an integer \\(5\\); write each entry as a \\[\\[failure\\]\\] table"),
    ("[failure]\n" + ENTRY, "'failure' is a table; write each entry as a \\[\\[failure\\]\\] table"),
    ("failure = [1, 2]\n", "failure #1: is an integer \\(1\\), expected a \\[\\[failure\\]\\] table"),
    ("[[failure]]\n" + ENTRY + "toolkit = 8.0\n", "failure #1 \\(a\\): field 'toolkit' is a float \\(8.0\\), "
                                                 "expected a quoted string such as '>=8.0,<8.1'"),
    ("[[failure]]\n" + ENTRY.replace('guide="g"', "guide=131"), "field 'guide' is an integer \\(131\\)"),
    ("[[failure]]\n" + ENTRY.replace('id="a"', "id=[1]"), "failure #1: field 'id' is an array"),
    ("[[failure]]\n" + ENTRY.replace('reason="r"', "reason=true"), "field 'reason' is a boolean"),
    ("[[failures]]\n" + ENTRY, "unknown top-level keys \\['failures'\\]"),
])
def test_registry_of_the_wrong_types_names_file_entry_and_field(text, error):
    with pytest.raises(kf.KnownFailureError, match="^bad.toml: .*" + error):
        kf.parse(text, "bad.toml")


def test_registry_file_problems_name_the_file(tmp_path):
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(('[[failure]]\n' + ENTRY.replace('reason="r"', 'reason="d\u00e9faut"'))
                       .encode("latin-1"))
    with pytest.raises(kf.KnownFailureError, match=f"^{latin1}: not UTF-8 text"):
        kf.load(latin1)
    with pytest.raises(kf.KnownFailureError, match="missing.toml not found"):
        kf.load(tmp_path / "missing.toml")
    with pytest.raises(kf.KnownFailureError, match="is a folder"):
        kf.load(tmp_path)


def test_the_shipped_registry_parses():
    entries = kf.load()
    assert entries and all(e.reason for e in entries)


pytest_plugins = ["pytester"]

PLUGIN_CONFTEST = 'pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate"]\n'
TEST_FILE = textwrap.dedent("""
    import pytest
    from harness.checks import Verdict

    @pytest.mark.parametrize("cann, passes", [("8.0.RC2", False), ("8.0.RC2", True), ("8.1.0", False)],
                             ids=["known-fails", "known-fixed", "out-of-range"])
    def test_stage(record_verdict, cann, passes):
        v = record_verdict(Verdict("acceptance rule", passes, "measured vs published", 1.0, 2.0),
                           guide="transpose", stage="throughput", chip="Ascend310P3",
                           env_extra={"backend_versions": {"cann": cann}})
        assert v.passed, str(v)
""")


def test_plugin_applies_known_failures_as_strict_xfail(pytester):
    pytester.makeconftest(PLUGIN_CONFTEST)
    pytester.makefile(".toml", known=REGISTRY.replace('"baseline throughput"', '"acceptance *"')
                      .replace("2027-01-31", "2099-01-31"))
    pytester.makepyfile(test_stage=TEST_FILE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--known-failures", "known.toml",
                                "--results", str(pytester.path / "r.jsonl"), "-rxXf")
    result.assert_outcomes(xfailed=1, failed=2)
    result.stdout.fnmatch_lines(["[[]XPASS(strict)[]]*transpose-bs64-slow*remove the entry",
                                 "XFAIL*known-fails*transpose-bs64-slow*",
                                 "FAILED*known-fixed*XPASS(strict)*",
                                 "FAILED*out-of-range*AssertionError*"])
