"""Keeping the artifact cache usable without manual wiping (``harness.cache`` uses these).

* **A cached artifact is checked on reuse.** When it is published, its marker records a
  manifest (how many files, how many bytes); on reuse the folder must still match it, and
  the artifact kind's own ``validate`` callable (an ONNX file must parse, preprocessed
  ``.bin`` files must have their input's size) must pass. A truncated file, a deleted
  file, an unreadable marker or a failing check makes the artifact *unusable*: it is
  evicted under its build lock and rebuilt once, with a ``CacheRepairWarning`` naming it.
* **Temporaries of killed builders are swept.** A builder killed by SIGKILL cannot remove
  its private ``<key>.tmp-*`` folder. Any process that can take ``<key>.lock`` without
  waiting knows that nobody is building ``<key>`` now, so every ``<key>.tmp-*`` folder is a
  leftover and is deleted; a live builder holds its lock, so its folder is never touched.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Optional

MARKER = ".complete.json"
TMP_INFIX = ".tmp-"

Validate = Callable[[Path, dict], None]  # raises (any Exception) when the artifact is unusable


class CacheRepairWarning(UserWarning):
    """A cached artifact was found unusable and is being rebuilt."""


def manifest(folder: Path) -> dict:
    """{"files": count, "bytes": total size} of every regular file under ``folder`` except
    the marker; one listing per folder and one stat per file (symlinks not followed)."""
    files = total = 0
    stack = [os.fspath(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name != MARKER:
                    files += 1
                    total += entry.stat(follow_symlinks=False).st_size
    return {"files": files, "bytes": total}


def read_marker(final: Path) -> Optional[dict]:
    """The marker's metadata; None when it is missing (an incomplete leftover). Raises
    ``ValueError`` naming the marker when it exists but is not a JSON object."""
    path = final / MARKER
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"its metadata {path} cannot be read ({exc})") from None
    try:
        meta = json.loads(text)
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise ValueError(f"its metadata {path} is not the JSON object the cache wrote "
                         f"({len(text)} characters: truncated or overwritten)")
    return meta


def problem(final: Path, meta: dict, validate: Optional[Validate],
            validate_covers_files: bool = False) -> Optional[str]:
    """Why the published artifact ``final`` cannot be reused (None when it can). The
    manifest walk is skipped when ``validate`` checks every file itself."""
    recorded = meta.get("manifest")
    if isinstance(recorded, dict) and not (validate is not None and validate_covers_files):
        try:
            found = manifest(final)
        except OSError as exc:
            return f"it cannot be listed ({exc})"
        if found != recorded:
            return (f"it holds {found['files']} files, {found['bytes']} bytes; it was published "
                    f"with {recorded.get('files')} files, {recorded.get('bytes')} bytes "
                    "(a file was truncated, deleted or added)")
    if validate is not None:
        try:
            validate(final, meta)
        except Exception as exc:  # noqa: BLE001 - any failure of the check means "unusable"
            return f"its check failed: {exc}" if str(exc) else f"its check failed ({type(exc).__name__})"
    return None


def warn_repair(kind: str, final: Path, reason: str) -> None:
    warnings.warn(CacheRepairWarning(f"cached {kind} artifact {final} is unusable - {reason}; "
                                     "evicting it and building it again"), stacklevel=3)


def evict(final: Path) -> None:
    """Remove a published artifact (caller holds its lock): first renamed to a temporary
    name, so the final name is gone at once and a kill mid-removal leaves only a
    temporary the next sweep deletes."""
    trash = Path(tempfile.mkdtemp(prefix=final.name + TMP_INFIX, dir=final.parent))
    os.replace(final, trash / "evicted")
    shutil.rmtree(trash, ignore_errors=True)


def sweep_stale_temporaries(kind_dir: Path) -> list[Path]:
    """Delete the ``<key>.tmp-*`` folders under ``kind_dir`` whose ``<key>.lock`` is free
    (taken without waiting, held while deleting); return the folders removed."""
    from filelock import FileLock, Timeout

    removed = []
    try:
        names = os.listdir(kind_dir)
    except (FileNotFoundError, NotADirectoryError):
        return removed
    by_key: dict[str, list[str]] = {}
    for name in names:
        key, infix, _ = name.partition(TMP_INFIX)
        if infix and key and not key.startswith("."):
            by_key.setdefault(key, []).append(name)
    for key, leftovers in sorted(by_key.items()):
        try:
            with FileLock(str(kind_dir / f"{key}.lock"), timeout=0):
                for name in leftovers:
                    path = kind_dir / name
                    shutil.rmtree(path, ignore_errors=True)
                    if not path.exists():
                        removed.append(path)
        except Timeout:
            continue  # a live builder holds the lock: its temporary is in use
    return removed
