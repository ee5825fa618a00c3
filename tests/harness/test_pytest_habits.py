"""pytest's own habits work under the project's pytest.ini: ``--lf``/``--ff`` need the cache
provider, which the ini keeps (its cache lives under ``.cache/pytest``)."""
from __future__ import annotations

import configparser
import textwrap
from pathlib import Path

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]


def _project_ini(pytester) -> None:
    """The project's pytest.ini as it is, minus testpaths (the inner run has its own files)."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "pytest.ini")
    ini.remove_option("pytest", "testpaths")
    with open(pytester.path / "pytest.ini", "w") as f:
        ini.write(f)


def test_last_failed_reruns_only_the_planted_failure(pytester):
    _project_ini(pytester)
    pytester.makepyfile(test_inner=textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_numbers(n):
            assert n != 2, "planted failure"
    """))
    first = pytester.runpytest()
    first.assert_outcomes(passed=3, failed=1)
    assert (pytester.path / ".cache" / "pytest").is_dir(), "the cache was not written under .cache/pytest"
    again = pytester.runpytest("--lf")
    again.assert_outcomes(failed=1, passed=0)
    again.stdout.fnmatch_lines(["*run-last-failure*"])
    ordered = pytester.runpytest("--ff", "-v")
    ordered.assert_outcomes(passed=3, failed=1)
    first_run = [line for line in ordered.outlines if "::test_numbers[" in line][0]
    assert "test_numbers[2]" in first_run, f"--ff did not run the failure first: {first_run}"
