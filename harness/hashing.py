"""Content hashes for cache keys and provenance."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def file_digest(path: Path, algo: str = "blake2b") -> str:
    h = hashlib.new(algo) if algo != "blake2b" else hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def json_digest(obj: Any) -> str:
    """Digest of a JSON-able description (keys sorted, so order does not matter)."""
    blob = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":")).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def tree_digest(root: Path, pattern: str = "**/*") -> str:
    """Digest of every file under ``root``: relative names and contents."""
    h = hashlib.blake2b(digest_size=16)
    for p in sorted(root.glob(pattern)):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(file_digest(p).encode())
    return h.hexdigest()
