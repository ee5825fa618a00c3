"""Root conftest: loads the suite's pytest plugins from ``fixtures/``."""
pytest_plugins = [
    "fixtures.options",
    "fixtures.artifacts",
    "fixtures.results",
    "fixtures.summary",
]
