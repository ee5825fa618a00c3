"""Required coverage (fixtures/coverage.py, harness/plan.py): a job that must measure
something cannot end green having skipped it; local runs keep their skips."""
from __future__ import annotations

import textwrap

import pytest

from harness import plan

pytest_plugins = ["pytester"]

PLAN = textwrap.dedent("""
    [[require]]
    guides = ["dpn131"]
    stages = ["compile"]
    backends = ["ascend", "onnxruntime"]
    batch_sizes = [1, 16]
""")


def test_a_plan_expands_to_every_combination(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(PLAN + '\n[[require]]\nguides = ["transpose"]\nstages = ["export", "accuracy"]\n'
                    'backends = ["ascend"]\nbatch_sizes = [1]\ntiers = ["real"]\n')
    got = {r.describe() for r in plan.load(path)}
    assert got == {"dpn131 compile ascend bs1", "dpn131 compile ascend bs16", "dpn131 compile onnxruntime bs1",
                   "dpn131 compile onnxruntime bs16", "transpose export", "transpose accuracy ascend bs1 real"}


@pytest.mark.parametrize("body, message", [
    ('[[require]]\nguides = ["dpn13"]\nstages = ["export"]', "require[0].guides: unknown guide 'dpn13'"),
    ('[[require]]\nguides = ["dpn131"]\nstages = ["accuracy_real"]',
     "require[0].stages: unknown ['accuracy_real']"),
    ('[[require]]\nguides = ["dpn131"]\nstages = ["compile"]\nbatch_sizes = [1]', "require[0].backends: missing"),
    ('[[require]]\nguides = ["dpn131"]\nstages = ["compile"]\nbackends = ["npu"]\nbatch_sizes = [1]',
     "require[0].backends: unknown ['npu']"),
    ('[[require]]\nguides = ["dpn131"]\nstages = ["compile"]\nbackends = ["ascend"]\nbatch_sizes = [3]',
     "require[0].batch_sizes: [3] not run by guide dpn131"),
    ('[[require]]\nguides = "dpn131"', "require[0].guides: expected a non-empty list of names"),
    ('[[require]]\nguide = ["dpn131"]', "require[0].guide: unknown field"),
    ('requires = 1', "unknown top-level field(s) ['requires']"),
    ('[[require]\n', "not a readable TOML plan"),
])
def test_a_wrong_plan_names_file_and_field(tmp_path, body, message):
    path = tmp_path / "plan.toml"
    path.write_text(body)
    with pytest.raises(plan.PlanError, match=None) as err:
        plan.load(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


INNER = textwrap.dedent("""
    import pytest
    from fixtures.coverage import NOT_APPLICABLE

    NPU = pytest.mark.npu


    class TestPlanted:
        guide_name = "dpn131"

        @pytest.mark.parametrize("batch_size", [1])
        @pytest.mark.parametrize("backend_name", [pytest.param("ascend", marks=NPU), "onnxruntime"])
        def test_compile(self, backend_name, batch_size):
            if backend_name == "ascend":
                pytest.skip("no NPU on this host: install CANN and run on an Ascend host")

        test_compile.stage = "compile"

        @pytest.mark.parametrize("backend_name", [pytest.param("ascend", marks=NPU)])
        def test_throughput_acceptance(self, backend_name):
            pytest.skip(NOT_APPLICABLE + "guide dpn131 states no acceptance rule for chip 'Ascend310P3'")

        test_throughput_acceptance.stage = "throughput"

        @pytest.mark.dataset
        @pytest.mark.parametrize("batch_size", [1])
        @pytest.mark.parametrize("backend_name", ["onnxruntime"])
        def test_accuracy_real(self, backend_name, batch_size):
            pytest.skip("no --data-root: give the folder holding imagenet/")

        test_accuracy_real.stage = "accuracy"
""")


@pytest.fixture
def planted(pytester):
    pytester.makeini("[pytest]\nmarkers =\n    npu: needs an NPU\n    dataset: real data\n"
                     "    weights: real checkpoints\n")
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.gate", '
                          '"fixtures.coverage"]\n')
    pytester.makepyfile(test_inner=INNER)
    return lambda *args: pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly", "-rfs",
                                            "--results", str(pytester.path / "r.jsonl"), *args)


def test_local_runs_keep_their_skips(planted):
    result = planted()
    assert result.ret == 0
    result.assert_outcomes(passed=1, skipped=3)


def test_a_required_test_that_skips_fails_with_the_skip_reason(planted):
    result = planted("--require", "npu")
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1, skipped=2)  # not applicable and the real tier stay skips
    result.stdout.fnmatch_lines(["required coverage (--require npu): the test skipped - "
                                 "no NPU on this host: install CANN*", "FAILED *test_compile[[]ascend-1[]]*"])


def test_the_environment_twin_and_the_real_tier_alias(planted, monkeypatch):
    monkeypatch.setenv("SUITE_REQUIRE", "real")
    result = planted()
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines(["required coverage (--require dataset): the test skipped - "
                                 "no --data-root: give the folder holding imagenet/"])


def test_a_plan_fails_skipped_and_uncollected_combinations(planted, pytester):
    (pytester.path / "plan.toml").write_text(PLAN)
    result = planted("--require-plan", str(pytester.path / "plan.toml"))
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines([
        "required coverage (plan.toml: dpn131 compile ascend bs1): the test skipped - no NPU*",
        "*required coverage: not collected*",
        "2 required item(s) not collected by this selection: dpn131 compile ascend bs16, "
        "dpn131 compile onnxruntime bs16",
    ])
    assert '"check": "required coverage"' in (pytester.path / "r.jsonl").read_text()


def test_required_coverage_holds_under_xdist(planted, pytester, monkeypatch):
    """Nightly jobs run -n 8: the workers fail required skips, the controller names what no
    worker collected (one worker is enough to split controller and worker; cheaper in CI)."""
    from pathlib import Path

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    (pytester.path / "plan.toml").write_text(PLAN)
    result = planted("-n", "1", "--require", "npu", "--require-plan", str(pytester.path / "plan.toml"))
    assert result.ret == 1
    result.assert_outcomes(passed=1, failed=1, skipped=2)
    result.stdout.fnmatch_lines(["2 required item(s) not collected by this selection: dpn131 compile ascend bs16, "
                                 "dpn131 compile onnxruntime bs16"])


def test_a_required_marker_no_selected_test_carries_fails_the_run(planted):
    result = planted("--require", "npu", "-k", "onnxruntime")
    assert result.ret == 1
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["1 required item(s) not collected by this selection: a test marked npu "
                                 "(--require npu)"])


@pytest.mark.parametrize("args, message", [
    (("--require", "npu,nightly"), "ERROR: --require: unknown 'nightly'; use markers*"),
    (("--require-plan", "missing.toml"), "ERROR: --require-plan: *missing.toml: no such plan file"),
])
def test_wrong_requirements_are_usage_errors(planted, args, message):
    result = planted(*args)
    assert result.ret == 4
    result.stderr.fnmatch_lines([message])


MEASURED = textwrap.dedent("""
    import pytest
    from harness.checks import Verdict


    @pytest.fixture(autouse=True)
    def _stage_properties(request):  # as tests/conformance/conftest.py tags each stage test
        request.node.user_properties += [("guide", "dpn131"), ("stage", "throughput")]


    class TestPlanted:
        guide_name = "dpn131"

        @pytest.mark.perf
        @pytest.mark.parametrize("batch_size", [1])
        def test_throughput(self, record_verdict, batch_size):
            record_verdict(Verdict("throughput floor cpu", True, "no published floor for cpu: measured only",
                                   412.0, outcome="measured"),
                           guide="dpn131", stage="throughput", batch_size=batch_size, backend="onnxruntime",
                           chip="cpu")

        test_throughput.stage = "throughput"
""")


def test_a_measured_throughput_is_measured_not_skipped(pytester):
    """Dashboards count skips as "did not run": a throughput measured without a published
    floor passes, shows as "measured" in the table, the recorded run and JUnit, and
    satisfies a required-coverage run."""
    import json
    import xml.etree.ElementTree as ET

    pytester.makeini("[pytest]\nmarkers =\n    perf: throughput\n")
    pytester.makeconftest('pytest_plugins = ["fixtures.options", "fixtures.results", "fixtures.summary", '
                          '"fixtures.gate", "fixtures.coverage"]\n')
    pytester.makepyfile(test_inner=MEASURED)
    p = pytester.path
    result = pytester.runpytest("-p", "no:cacheprovider", "--require", "perf", "--results", str(p / "r.jsonl"),
                                "--record", str(p / "run.json"), "--history", "off", f"--junitxml={p / 'j.xml'}")
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*guide x stage verdicts*", "guide * throughput", "dpn131 * measured 1"])
    assert [t["outcome"] for t in json.loads((p / "run.json").read_text())["run"]["tests"]] == ["measured"]
    case = next(ET.parse(p / "j.xml").iter("testcase"))
    assert case.find("skipped") is None
    from tests.harness.test_gate_plugin import junit_verdicts

    assert junit_verdicts(case)["throughput floor cpu"]["outcome"] == "measured"


def test_the_shipped_nightly_plan_parses():
    from pathlib import Path

    reqs = plan.load(Path(__file__).resolve().parents[2] / "plans" / "nightly-npu.toml")
    assert {r.backend for r in reqs} == {"ascend"} and {r.batch_size for r in reqs} == {1, 16}
    assert {r.guide for r in reqs} == {"dpn131", "pamtri", "transpose", "centroids_reid", "dgnet"}
