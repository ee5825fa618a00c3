"""Root conftest: loads the suite's pytest plugins from ``fixtures/``."""
import os

pytest_plugins = [
    "fixtures.options",
    "fixtures.artifacts",
    "fixtures.results",
    "fixtures.summary",
    "fixtures.selection",
    "fixtures.interrupts",
    "fixtures.gate",
    "fixtures.coverage",
    "fixtures.ascend",
    "fixtures.progress",
    "fixtures.family",
]

# SUITE_ASCEND_DOUBLE=1: run the Ascend path on the test double (tests/doubles/ascend).
if os.environ.get("SUITE_ASCEND_DOUBLE") == "1":
    pytest_plugins.append("tests.doubles.ascend.plugin")
