"""Per-sample results in verdict records, compact enough for 50 000-image runs.

The upgrade gate compares per-sample results across runs (top-1 flips for classification,
rank-1 changes for re-identification). A record keeps the *primary* result of each sample
(the first element when the metric gives a ranking, e.g. the top-1 of a top-5 list):

* up to ``INLINE_LIMIT`` samples: inline in the record's details, ``{"ids": [...],
  "values": [...]}``;
* more: a gzip'd JSON sidecar named by its SHA-256 under ``<results dir>/samples/``
  (content-addressed, so xdist workers and several runs share the folder safely); the
  record holds ``{"file": "samples/<sha>.json.gz", "sha256": ...}`` and the loader checks
  the checksum.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any, Mapping, Optional

from harness.atomic import write_atomic

INLINE_LIMIT = 2000


def primary(value: Any) -> Any:
    """The sample's headline result: first of a ranking, else the value itself."""
    if isinstance(value, (list, tuple)):
        return primary(value[0]) if value else None
    if hasattr(value, "item") and callable(value.item) and getattr(value, "size", 1) == 1:
        return value.item()
    return value


def pack_per_sample(per_sample: Mapping[str, Any], folder: Optional[Path], kind: str) -> dict:
    """Details entry for a record; writes a sidecar under ``folder/samples`` when large."""
    ids = sorted(per_sample)
    values = [primary(per_sample[s]) for s in ids]
    if any(isinstance(per_sample[s], (list, tuple)) for s in ids):
        kind = f"{kind} (first of each)"  # e.g. top-5 classes -> the top-1 is compared
    body = {"ids": ids, "values": values}
    if len(ids) <= INLINE_LIMIT or folder is None:
        return {"kind": kind, "count": len(ids), **body}
    blob = json.dumps(body, separators=(",", ":")).encode()
    sha = hashlib.sha256(blob).hexdigest()
    rel = f"samples/{sha}.json.gz"
    path = Path(folder) / rel
    if not path.exists():  # atomic: a reader never sees half a file
        write_atomic(path, gzip.compress(blob, mtime=0))
    return {"kind": kind, "count": len(ids), "file": rel, "sha256": sha}


def load_per_sample(entry: Optional[dict], root: Optional[Path]) -> Optional[dict]:
    """{sample id: primary result} from a details entry, or None when there is none."""
    if not entry:
        return None
    if "ids" in entry:
        return dict(zip(entry["ids"], entry["values"]))
    if root is None:
        raise FileNotFoundError(f"per-sample sidecar {entry.get('file')}: no folder to resolve it in")
    path = Path(root) / entry["file"]
    blob = gzip.decompress(path.read_bytes())
    if hashlib.sha256(blob).hexdigest() != entry["sha256"]:
        raise ValueError(f"{path}: checksum differs from the record's {entry['sha256']}")
    body = json.loads(blob)
    return dict(zip(body["ids"], body["values"]))


def sidecars(records) -> list[str]:
    """Relative paths of every sidecar the records reference (to copy with a run)."""
    out = []
    for rec in records:
        entry = (rec.get("details") or {}).get("per_sample")
        if isinstance(entry, dict) and entry.get("file"):
            out.append(entry["file"])
    return sorted(set(out))
