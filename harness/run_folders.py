"""Run folders: every run writes into a folder of its own; ``runs/latest`` names the last one.

Layout under the runs root (``<rootdir>/runs`` by default)::

    runs/2026-11-30T10-19-08.123456Z-4711/results.jsonl   one folder per run (UTC start, pid)
    runs/2026-11-30T10-19-08.123456Z-4711/samples/...      its per-sample sidecars
    runs/latest -> 2026-11-30T10-19-08.123456Z-4711        the last run that finished

Two runs started together therefore never share a results file. ``latest`` is a relative
symlink, replaced atomically (``os.replace`` of a fresh link) when a run ends, so a reader
of ``runs/latest/results.jsonl`` always sees one whole finished run. Where the file system
has no symlinks, ``runs/latest.txt`` holds the folder's name instead.

A live run holds an exclusive ``flock`` on its results file for its whole life: a second
run given the same ``--results`` is refused, and pruning (keep the newest N folders) never
removes a folder whose run is still going.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Optional

from harness.errors import SuiteError

try:
    import fcntl
except ImportError:  # not POSIX: runs are still separate folders, only not locked
    fcntl = None

LATEST = "latest"
POINTER = "latest.txt"
RESULTS_NAME = "results.jsonl"
_RUN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{6}Z-\d+(-\d+)?")


class ResultsInUse(SuiteError):
    """Another live run holds this results file."""


def new_run_folder(runs_root: Path, pid: Optional[int] = None) -> Path:
    """Create and return a fresh, uniquely named run folder under ``runs_root``."""
    runs_root = Path(runs_root)
    runs_root.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    base = f"{stamp}-{pid if pid is not None else os.getpid()}"
    for n in range(1000):
        folder = runs_root / (base if n == 0 else f"{base}-{n}")
        try:
            folder.mkdir()
            return folder
        except FileExistsError:  # same process, same microsecond (in-process test runs)
            continue
    raise FileExistsError(f"no free run folder name under {runs_root} for {base}")


def is_run_folder(path: Path) -> bool:
    return bool(_RUN_NAME.fullmatch(Path(path).name)) and Path(path).is_dir()


class ResultsHold:
    """The live run's exclusive hold on its results file (released by ``release``)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        if fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self._fd)
                raise ResultsInUse(f"{self.path} is being written by another run that is still "
                                   f"going; give this run another --results file (or none: each "
                                   f"run then gets a folder of its own under runs/)") from None
        if stat.S_ISREG(os.fstat(self._fd).st_mode):  # not /dev/null and the like
            os.ftruncate(self._fd, 0)  # a fresh file for this run: the holder owns it now

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def is_live(folder: Path) -> bool:
    """Whether a run is still writing ``folder/results.jsonl`` (it holds the lock)."""
    path = Path(folder) / RESULTS_NAME
    if fcntl is None or not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def switch_latest(runs_root: Path, folder: Path) -> Path:
    """Point ``runs_root/latest`` at ``folder`` in one atomic rename; return what was written."""
    runs_root, link = Path(runs_root), Path(runs_root) / LATEST
    if link.is_dir() and not link.is_symlink():
        _set_aside(link)  # an older layout's real folder: keep it as a run folder of its own
    tmp = runs_root / f".{LATEST}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.symlink(Path(folder).name, tmp, target_is_directory=True)
    except (OSError, NotImplementedError) as exc:
        if isinstance(exc, OSError) and exc.errno not in _NO_SYMLINKS:
            raise
        from harness.atomic import write_atomic  # no symlinks here: a pointer file instead

        return write_atomic(runs_root / POINTER, (Path(folder).name + "\n").encode())
    os.replace(tmp, link)
    return link


# What os.symlink raises where the file system or platform has no symlinks.
_NO_SYMLINKS = {errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


def _set_aside(folder: Path) -> None:
    stamp = _dt.datetime.fromtimestamp(folder.stat().st_mtime, _dt.timezone.utc)
    name = stamp.strftime("%Y-%m-%dT%H-%M-%S.%fZ") + "-0"
    with contextlib.suppress(OSError):
        folder.rename(folder.parent / name)


def latest_folder(runs_root: Path) -> Optional[Path]:
    """The folder ``latest`` names (symlink or pointer file), or None."""
    link = Path(runs_root) / LATEST
    if link.is_symlink():
        return (Path(runs_root) / os.readlink(link)).resolve()
    pointer = Path(runs_root) / POINTER
    if pointer.is_file():
        return Path(runs_root) / pointer.read_text().strip()
    return None


def prune(runs_root: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` run folders; never ``latest`` or a live run's folder.

    Only names this module gives are touched (``history.sqlite`` and other files stay).
    """
    runs_root = Path(runs_root)
    if not runs_root.is_dir():
        return []
    folders = sorted((p for p in runs_root.iterdir() if is_run_folder(p) and not p.is_symlink()),
                     key=lambda p: p.name)
    current = latest_folder(runs_root)
    removed = []
    for folder in folders[:max(0, len(folders) - keep)]:
        if (current is not None and folder.resolve() == current.resolve()) or is_live(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
