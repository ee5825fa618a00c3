"""Progress bars for long work (preprocessing, inference over a dataset).

Drawn on the controlling terminal (``/dev/tty``), so they show even while pytest captures
the test's output; silent in CI (``CI`` set) or without a terminal, so logs stay readable.
``SUITE_PROGRESS=0`` turns them off.
"""
from __future__ import annotations

import os
from contextlib import contextmanager


def _terminal():
    if os.environ.get("SUITE_PROGRESS", "1") in ("0", "false", "no") or os.environ.get("CI"):
        return None
    try:
        return open("/dev/tty", "w")
    except OSError:
        return None


@contextmanager
def progress_bar(total: int, description: str):
    """Yield ``tick(n)``; draws a tqdm bar when enabled, does nothing otherwise."""
    tty = _terminal() if total > 1 else None
    if tty is None:
        yield lambda n=1: None
        return
    from tqdm import tqdm

    try:
        with tqdm(total=total, desc=description, unit="sample", leave=False, file=tty,
                  dynamic_ncols=True, mininterval=0.5) as bar:
            yield lambda n=1: bar.update(n)
    finally:
        tty.close()
