"""Parametrisation of the stage tests: backends (with their markers) and batch sizes."""
from __future__ import annotations

import pytest

from harness import backends as backend_registry
from harness import guides as guide_registry


def pytest_generate_tests(metafunc):
    cls = metafunc.cls
    guide_name = getattr(cls, "guide_name", "") if cls else ""
    if not guide_name:
        return
    opts = metafunc.config.suite_options
    if "backend_name" in metafunc.fixturenames:
        params = []
        for name in opts.backends:
            marker = backend_registry.marker_of(name)
            marks = [getattr(pytest.mark, marker)] if marker else []
            params.append(pytest.param(name, marks=marks, id=name))
        metafunc.parametrize("backend_name", params)
    if "batch_size" in metafunc.fixturenames:
        guide = guide_registry.get(guide_name)
        sizes = opts.batch_sizes_for(guide)
        bad = [b for b in sizes if b not in guide.batch_sizes]
        if bad:
            raise pytest.UsageError(f"--batch-sizes {bad} not run by guide {guide_name} "
                                    f"(it runs {list(guide.batch_sizes)})")
        metafunc.parametrize("batch_size", sizes, ids=[f"bs{b}" for b in sizes])


def pytest_collection_modifyitems(config, items):
    # A stage stuck past --stage-timeout (a hung worker pool, a tool that ignores its own
    # timeout) fails with pytest-timeout's stack dump and the run goes on (signal method).
    guard = pytest.mark.timeout(config.suite_options.stage_timeout, method="signal")
    for item in items:
        if getattr(item.cls, "guide_name", ""):
            item.add_marker(pytest.mark.conformance)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(guard)


@pytest.fixture(autouse=True)
def _stage_properties(request):
    """Tag each stage test with its guide and stage (summary table, JUnit properties)."""
    guide_name = getattr(request.cls, "guide_name", "") if request.cls else ""
    stage = getattr(request.function, "stage", None)
    if guide_name and stage:
        request.node.user_properties.append(("guide", guide_name))
        request.node.user_properties.append(("stage", stage))


@pytest.fixture
def perf_lock(artifact_cache, device_id):
    """Throughput runs on one device never overlap (xdist workers share the lock file)."""
    from filelock import FileLock

    path = artifact_cache.root / "locks" / f"perf-device{device_id}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path), timeout=7200)
