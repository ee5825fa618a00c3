"""The suite's own test run: its longest tests (``slow``: whole suite runs nested in a
subprocess, minutes each) start first, spread over the xdist workers, so that they run
beside the short tests instead of one after another on one worker or alone at the end.

xdist's default (``load``) scheduling sends each of N workers a contiguous first chunk of
``n // N // 4`` tests, then the rest one by one as workers free up. The slow tests are
placed at the heads of those chunks, in turn. Should xdist schedule otherwise, the run is
only slower, never different.
"""
from __future__ import annotations

import os


def pytest_collection_modifyitems(config, items):
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    # The nested runs (tests/harness) take minutes; a conformance stage marked slow skips
    # in a moment without real data. Longest first.
    slow.sort(key=lambda item: item.nodeid.startswith("tests/conformance/"))
    rest = [item for item in items if item.get_closest_marker("slow") is None]
    if workers < 2:
        items[:] = slow + rest
        return
    chunk = max((len(items) // workers) // 4, 2)
    heads: list[list] = [[] for _ in range(workers)]
    for k, item in enumerate(slow):  # snake order: 0, 1, 1, 0, 0, 1, ... for two workers
        turn, pos = divmod(k, workers)
        heads[pos if turn % 2 == 0 else workers - 1 - pos].append(item)
    ordered, rest_iter = [], iter(rest)
    for head in heads:
        ordered += head
        ordered += [item for _, item in zip(range(max(0, chunk - len(head))), rest_iter)]
    items[:] = ordered + list(rest_iter)
