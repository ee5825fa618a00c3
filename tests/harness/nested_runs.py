"""The environment of a suite run nested in a test (``python -m pytest tests/conformance ...``
in a subprocess): none of this run's ``SUITE_``/``PYTEST_`` settings, this run's artifact
cache (exports are reused), and this process's CPU share, so a nested run beside another
xdist worker does not oversubscribe the cores (harness.cpu)."""
from __future__ import annotations

import os


def nested_env(suite_options, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SUITE_", "PYTEST_")) and k != "ASCEND_RT_VISIBLE_DEVICES"}
    env.update(SUITE_CACHE_DIR=str(suite_options.cache_dir), SUITE_THREADS=str(suite_options.threads))
    env.update(extra)
    return env
