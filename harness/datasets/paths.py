"""Which files a dataset may name, and listing image folders without being led astray.

Two rules, applied by every reader:

* **A name written in a label, CSV or annotation file is a bare file name** inside the
  folder the layout gives it. Absolute paths, ``..``, and any path separator are refused
  with a ``DatasetError`` naming the file and line (or entry): a downloaded or hand-edited
  list must never make the suite read ``../../bin/bash`` or ``/etc/shadow`` as an image.
  The real label files hold bare names only, so nothing legitimate is refused.
* **Symbolic links among images are followed**, wherever they point: linking a dataset's
  images from a shared store is a deliberate act of whoever owns the folder, unlike a name
  in a text file. A link that cannot be followed - a loop (``a -> b -> a``, a link to
  itself) or a link to nothing - is a ``DatasetError`` naming the link, never a hang, an
  ``OSError`` traceback, or an image that silently goes missing.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Callable, Iterable

from harness.datasets.errors import DatasetError


def bare_name_problem(name: str) -> str | None:
    """Why ``name`` is not a bare file name (None when it is one)."""
    if not name.strip():
        return "is empty"
    if name in (".", ".."):
        return "names a folder, not a file"
    if "/" in name or "\\" in name or "\0" in name:
        return "is a path, not a file name (absolute paths, '..' and folders are refused)"
    return None


def check_bare_name(name: str, where: str, folder: Path) -> None:
    """Refuse ``name`` unless it is a bare file name; ``where`` is "<file>:<line>" or
    "<file>: <entry>", ``folder`` the folder it must lie in."""
    problem = bare_name_problem(name)
    if problem is not None:
        raise DatasetError(f"{where}: file name {name!r} {problem}; the dataset may only name "
                           f"files inside {folder}")


def link_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a file: a symlink loop, a dangling symlink, a
    folder, missing; None when it is a readable regular file (symlinks followed)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop (it never reaches a file)"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return f"is a dangling symbolic link (to {os.readlink(path)!r}, which does not exist)"
        if exc.errno == errno.ENOENT:
            return "is missing"
        return f"cannot be read ({exc.strerror or exc})"
    return None if stat.S_ISREG(st.st_mode) else "is not a regular file"


def _refuse(path: Path, problem: str) -> DatasetError:
    return DatasetError(f"{path} {problem}")


def list_files(folder: Path, wanted: Callable[[str], bool]) -> list[str]:
    """Names of the regular files in ``folder`` whose name ``wanted`` accepts, from one
    listing (file types come with it; only symlinks cost a stat). An accepted name that is
    a symlink loop, a dangling link or a folder is a ``DatasetError`` naming it."""
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not wanted(entry.name):
                continue
            try:
                regular = entry.is_file()
            except OSError:  # ELOOP: DirEntry.is_file raises where Path.is_file says False
                regular = False
            if not regular:
                raise _refuse(Path(entry.path), link_problem(Path(entry.path)) or "is not a regular file")
            names.append(entry.name)
    return names


def list_folders(folder: Path) -> list[str]:
    """Names of the sub-folders of ``folder`` (symlinks followed); a symlink loop among
    them is a ``DatasetError`` naming it."""
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                raise _refuse(Path(entry.path), link_problem(Path(entry.path)) or "cannot be read") from None
            if is_dir:
                names.append(entry.name)
            elif entry.is_symlink() and not os.path.exists(entry.path):
                raise _refuse(Path(entry.path), link_problem(Path(entry.path)) or "cannot be read")
    return names


def unreadable(paths: Iterable[Path]) -> list[str]:
    """``"<path> <problem>"`` for each path that is not a readable regular file."""
    out = []
    for p in paths:
        problem = link_problem(p)
        if problem is not None:
            out.append(f"{p} {problem}")
    return out
