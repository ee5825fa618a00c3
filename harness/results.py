"""Verdict records: one JSON line per verdict, with the environment that produced it.

Record fields: guide, stage, check, batch_size, backend, chip, value, reference,
tolerance, verdict ("pass" / "fail" / "inconclusive" / "recorded"), message, details,
environment (library versions, git revision, toolkit version when known), time.
Several pytest-xdist workers append to one file: each line is written with one
``write`` on an ``O_APPEND`` descriptor under a file lock, so lines never interleave.
"""
from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

SCHEMA_VERSION = 1


@dataclass
class Record:
    guide: str
    stage: str
    check: str
    verdict: str
    value: Any = None
    reference: Any = None
    tolerance: Any = None
    batch_size: Optional[int] = None
    backend: Optional[str] = None
    chip: Optional[str] = None
    message: str = ""
    details: dict = field(default_factory=dict)
    environment: dict = field(default_factory=dict)
    test_id: str = ""
    time: float = field(default_factory=time.time)
    schema: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(_jsonable(asdict(self)), sort_keys=True, ensure_ascii=False)


def _jsonable(obj):
    """JSON has no NaN/Inf: write them as strings rather than produce invalid JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return _jsonable(obj.item())
    return obj


class ResultsWriter:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, record: Record) -> None:
        from filelock import FileLock

        line = (record.to_json() + "\n").encode()
        with FileLock(str(self.path) + ".lock", timeout=60):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # umask decides
            try:
                os.write(fd, line)
            finally:
                os.close(fd)


def read_records(path: Path) -> list[dict]:
    """Verdict records of a results ``.jsonl``; ValueError names the file, line and field."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    records = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not a JSON record ({exc})") from None
            records.append(check_record(record, f"{path}:{lineno}"))
    return records


# Fields a verdict record must hold, and what each must be: readers index and compare on them.
_TEXT_FIELDS = ("guide", "stage", "check", "verdict")
_OBJECT_FIELDS = ("details", "environment")


def check_record(record, where: str) -> dict:
    """``record`` if it has a verdict record's shape, else ValueError naming ``where`` and field."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: is {json_kind(record)}, expected an object (a verdict record)")
    for name in _TEXT_FIELDS:
        if not isinstance(record.get(name), str):
            raise ValueError(f"{where}: field {name!r} is {json_kind(record.get(name))}, expected text")
    for name in _OBJECT_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], dict):
            raise ValueError(f"{where}: field {name!r} is {json_kind(record[name])}, expected an object")
    size = record.get("batch_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
        raise ValueError(f"{where}: field 'batch_size' is {json_kind(size)}, expected an integer")
    return record


def json_kind(value) -> str:
    """How a JSON value reads in an error message: its type and the start of its text."""
    if value is None:
        return "missing or null"
    return f"{type(value).__name__} {json.dumps(value, default=str)[:40]}"


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("torch", "torchvision", "onnx", "onnxruntime", "numpy", "scipy", "pillow",
                 "opencv-python-headless", "pycocotools"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


@lru_cache(maxsize=1)
def git_revision(repo: Optional[str] = None) -> str:
    root = repo or str(Path(__file__).resolve().parent.parent)
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (rev or "unknown") + ("+dirty" if dirty else "")


def environment(extra: Optional[dict] = None) -> dict:
    env = {"libraries": library_versions(), "git": git_revision(),
           "host": platform.node(), "platform": platform.platform()}
    if extra:
        env.update(extra)
    return env
