"""Atomic file writes that leave the file with the mode ``open()`` would give it.

``tempfile.mkstemp`` creates its file ``0600`` whatever the umask says, and ``os.replace``
keeps that mode: a recorded run or a per-sample sidecar written that way cannot be read by
another user or CI agent on a shared host. Here the temporary file is created with
``0666`` and the process umask applied by the kernel (``0644`` under umask 022, ``0664``
under 002), then renamed over the target, so a reader never sees half a file.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a sibling temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _create_sibling(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _create_sibling(path: Path) -> tuple[Path, int]:
    """A new, uniquely named temporary file beside ``path`` (umask-governed mode)."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # 48 random bits: practically never, but never clobber
            continue
