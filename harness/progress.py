"""Progress for long work (preprocessing, inference over a dataset, a long test).

With a terminal: tqdm bars drawn on the controlling terminal (``/dev/tty``), so they show
even while pytest captures the test's output. Without one (CI, ``CI`` set, output piped):
a plain line every ``SUITE_PROGRESS_INTERVAL`` seconds (default 30) while the work lasts,
saying what is running, how far it is and how long it has taken, so a CI log never sits
silent for minutes. Work shorter than the interval prints nothing. ``SUITE_PROGRESS=0``
turns both off.

Lines go to a sink: ``sys.stderr`` by default; the pytest plugin (``fixtures/progress.py``)
installs one that writes past pytest's output capture.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Optional

_sink: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
_lock = threading.Lock()
# What the current process is doing, for the heartbeat line: (description, done, total).
_activity: list = []


def enabled() -> bool:
    return os.environ.get("SUITE_PROGRESS", "1").lower() not in ("0", "false", "no")


def interval_s() -> float:
    try:
        value = float(os.environ.get("SUITE_PROGRESS_INTERVAL", "30"))
    except ValueError:
        value = 30.0
    return value if value > 0 else 30.0


def set_sink(sink: Callable[[str], None]) -> None:
    """Where heartbeat lines go (the pytest plugin writes them past output capture)."""
    global _sink
    _sink = sink


def _terminal():
    if not enabled() or os.environ.get("CI"):
        return None
    try:
        return open("/dev/tty", "w")
    except OSError:
        return None


def has_terminal() -> bool:
    tty = _terminal()
    if tty is None:
        return False
    tty.close()
    return True


class Heartbeat:
    """A daemon thread that emits one line every ``interval`` seconds until stopped:
    ``[<elapsed>] <label>: <current activity>``. Nothing is printed for work shorter
    than one interval."""

    def __init__(self, label: str, interval: Optional[float] = None):
        self.label = label
        self.interval = interval or interval_s()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="suite-heartbeat", daemon=True)
        self.started = time.monotonic()

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        with _lock:
            now = list(_activity[-1]) if _activity else None
        what = ""
        if now:
            description, done, total, since = now
            rate = done / max(time.monotonic() - since, 1e-9)
            left = f", about {(total - done) / rate:.0f} s left" if rate > 0 and total > done else ""
            what = f": {description} {done}/{total} ({100.0 * done / max(total, 1):.0f} %{left})"
        return f"[{elapsed:5.0f} s] still running {self.label}{what}"

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                _sink(self.line())
            except Exception:  # a closed stream must not kill the work it reports on
                return


_beating = threading.local()


@contextmanager
def heartbeat(label: str):
    """Heartbeat lines for ``label`` while the block runs (no terminal only; not nested)."""
    if not enabled() or getattr(_beating, "on", False) or has_terminal():
        yield
        return
    _beating.on = True
    try:
        with Heartbeat(label):
            yield
    finally:
        _beating.on = False


@contextmanager
def progress_bar(total: int, description: str):
    """Yield ``tick(n)``: a tqdm bar with a terminal; without one, the count feeds the
    heartbeat line (started here unless a test's heartbeat already runs)."""
    tty = _terminal() if total > 1 else None
    if tty is not None:
        from tqdm import tqdm

        try:
            with tqdm(total=total, desc=description, unit="sample", leave=False, file=tty,
                      dynamic_ncols=True, mininterval=0.5) as bar:
                yield lambda n=1: bar.update(n)
        finally:
            tty.close()
        return
    entry = [description, 0, total, time.monotonic()]
    with _lock:
        _activity.append(entry)

    def tick(n: int = 1) -> None:
        entry[1] += n
    try:
        with heartbeat(description):
            yield tick
    finally:
        with _lock:
            _activity[:] = [e for e in _activity if e is not entry]
