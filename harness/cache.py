"""Content-addressed artifact cache shared by pytest-xdist workers.

An artifact (an ONNX file, a compiled model, a folder of preprocessed ``.bin`` files) lives
in ``<root>/<kind>/<key>/`` where ``key`` hashes everything that determines it (weights,
export settings, toolkit version, flags, dataset content). It is

* built once: a file lock (``<key>.lock``) serialises builders, so two workers asking for
  the same artifact get one build and both use it;
* published atomically: a builder writes into a private ``<key>.tmp-*`` folder which is
  renamed into place only when complete, so a crash or full disk never leaves a
  half-written artifact under the final name;
* resumable where that makes sense: preprocessing writes into ``<key>.partial/`` with one
  atomic rename per file, so a run killed half-way reuses the finished files (never a
  half-written one) and does the rest;
* checked on reuse and repaired: a damaged artifact is rebuilt once with a warning, and
  temporaries of killed builders are swept (``harness.cache_health``).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from harness.cache_health import MARKER as _MARKER, Validate, evict, manifest, problem, read_marker, \
    sweep_stale_temporaries, warn_repair
from harness.errors import StorageError, SuiteError, describe_os_error
from harness.hashing import json_digest


log = logging.getLogger(__name__)


class CacheError(SuiteError):
    pass


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with _suppress():
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, SuiteError):
            raise StorageError(exc.errno, describe_os_error(exc, path)) from None
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode())


class _suppress:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return exc[0] is not None and issubclass(exc[0], OSError)


@dataclass(frozen=True)
class Artifact:
    path: Path
    key: str
    built: bool  # True when this call built it, False when it was reused
    seconds: float
    meta: dict


class ArtifactCache:
    def __init__(self, root: Path, lock_timeout: float = 3600.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._swept: set = set()  # kind folders already cleared of killed builders' temporaries

    def key(self, description: Any) -> str:
        return json_digest(description)

    def path_for(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def lookup(self, kind: str, description: Any) -> Optional[Path]:
        final = self.path_for(kind, self.key(description))
        return final if (final / _MARKER).is_file() else None

    def get_or_build(self, kind: str, description: Any,
                     build: Callable[[Path], Optional[dict]],
                     resumable: bool = False, validate: Optional[Validate] = None,
                     validate_covers_files: bool = False) -> Artifact:
        """Return the artifact for ``description``, building it with ``build(dir)`` if needed.

        ``build`` fills the directory it is given and may return extra metadata. With
        ``resumable``, the directory persists across failed attempts (the builder must then
        write each file atomically and skip the ones already there). A reused artifact
        must still match the manifest recorded when it was published and pass
        ``validate(path, meta)``; one that does not is evicted and rebuilt once, with a
        ``CacheRepairWarning`` (``harness.cache_health``). ``validate_covers_files``: the
        check already stats every file (preprocessed sets), so the manifest is not walked.
        """
        from filelock import FileLock, Timeout

        key = self.key(description)
        final = self.path_for(kind, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.parent not in self._swept:
            self._swept.add(final.parent)
            sweep_stale_temporaries(final.parent)
        check = (validate, validate_covers_files)
        found, _ = _existing(key, final, *check)
        if found is not None:
            log.info("cache hit: %s %s", kind, final)
            return found
        log.info("cache miss: %s %s, building", kind, final)
        lock = FileLock(str(final) + ".lock", timeout=self.lock_timeout)
        try:
            with lock:
                found, unusable = _existing(key, final, *check)
                if found is not None:  # another worker built (or repaired) it meanwhile
                    return found
                if unusable is not None:
                    warn_repair(kind, final, unusable)
                    evict(final)
                if final.exists():  # a stale, incomplete leftover under the final name
                    shutil.rmtree(final)
                if resumable:
                    work = final.with_name(key + ".partial")
                    work.mkdir(exist_ok=True)
                    _remove_stale_temporaries(work)  # from a builder killed mid-write
                else:
                    work = Path(tempfile.mkdtemp(prefix=key + ".tmp-", dir=final.parent))
                t0 = time.perf_counter()
                try:
                    meta = build(work) or {}
                    _seal_folders(work)
                    seconds = time.perf_counter() - t0
                    meta = {"kind": kind, "key": key, "description": description,
                            "build_seconds": round(seconds, 3), **meta, "manifest": manifest(work)}
                    write_text_atomic(work / _MARKER, json.dumps(meta, default=str, indent=1))
                    os.replace(work, final)
                    log.info("built %s %s in %.1f s", kind, final, seconds)
                except BaseException as exc:
                    if not resumable:
                        shutil.rmtree(work, ignore_errors=True)
                    if isinstance(exc, OSError) and not isinstance(exc, SuiteError):
                        where = exc.filename or work
                        raise StorageError(exc.errno, f"building {kind} artifact {key}: "
                                                      + describe_os_error(exc, where)) from None
                    raise
                if unusable is not None:  # a repair: the rebuilt artifact must pass too
                    still = problem(final, meta, *check)
                    if still is not None:
                        evict(final)
                        raise CacheError(f"cached {kind} artifact {final} was unusable and is "
                                         f"unusable again after a rebuild - {still}")
                return Artifact(final, key, True, seconds, meta)
        except Timeout:
            raise CacheError(
                f"timed out after {self.lock_timeout:.0f}s waiting for the lock on {final}.lock "
                "(another process is building it, or crashed holding it: delete the .lock file)"
            ) from None


def _seal_folders(root: Path) -> None:
    """No folder of an artifact stays writable by group or others (mode 0750 under any
    umask): runners of the ait/msit lineage refuse such input folders (harness.ascend.paths),
    and nothing but the suite's atomic writes should change a published artifact."""
    for folder, _, _ in os.walk(root):
        mode = os.stat(folder).st_mode & 0o7777
        if mode & 0o022:
            os.chmod(folder, (mode & ~0o022) | 0o750)


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete ``.<name>.*.tmp`` files left by a killed writer (we hold the build lock)."""
    for tmp in folder.rglob(".*.tmp"):
        with _suppress():
            tmp.unlink()


def _existing(key: str, final: Path, validate: Optional[Validate],
              covers_files: bool) -> tuple[Optional[Artifact], Optional[str]]:
    """(the artifact, None) when a usable one is published under ``final``; (None, why it
    is unusable) when a published one fails its checks; (None, None) when there is none."""
    try:
        meta = read_marker(final)
    except ValueError as exc:
        return None, str(exc)
    if meta is None:
        return None, None
    unusable = problem(final, meta, validate, covers_files)
    return (None, unusable) if unusable else (Artifact(final, key, False, 0.0, meta), None)
