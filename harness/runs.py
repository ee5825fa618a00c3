"""A recorded run: every verdict record of one suite run plus its provenance, one file.

``--record PATH`` writes it (JSON): ``{"schema": 1, "run": {...}, "records": [...]}``
where ``run`` holds the provenance (toolkit, driver and library versions, soc, git
revision, the command line, tool command lines seen, dataset/checkpoint digests), the
start/end time, the test outcomes and the gate's outcome. Per-sample sidecar files that
records reference are copied to ``<PATH's folder>/samples/`` (content-addressed).

``load_run`` reads such a file, or a plain results ``.jsonl`` (records only), so a
baseline can be either.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from harness.results import _jsonable, read_records
from harness.samples import sidecars

RUN_SCHEMA = 1


@dataclass
class Run:
    path: Optional[Path]
    meta: dict
    records: list = field(default_factory=list)

    @property
    def root(self) -> Optional[Path]:
        """Folder that per-sample sidecar paths are relative to."""
        return self.path.parent if self.path else None

    @property
    def label(self) -> str:
        return self.meta.get("label") or (self.path.name if self.path else "run")


def load_run(path: Path) -> Run:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"recorded run {path} not found")
    if path.suffix == ".jsonl":
        return Run(path, {"label": path.name, "source": str(path)}, read_records(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not a recorded run (JSON: {exc})") from None
    if not isinstance(doc, dict) or "records" not in doc:
        raise ValueError(f"{path}: not a recorded run (no 'records'); write one with --record")
    if doc.get("schema", RUN_SCHEMA) > RUN_SCHEMA:
        raise ValueError(f"{path}: run schema {doc['schema']} is newer than this suite's {RUN_SCHEMA}")
    return Run(path, doc.get("run", {}), doc["records"])


def write_run(path: Path, meta: dict, records: list, sidecar_root: Optional[Path] = None) -> Path:
    """Atomically write the run document; copy the per-sample sidecars it references."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sidecar_root is not None and Path(sidecar_root).resolve() != path.parent.resolve():
        for rel in sidecars(records):
            src, dst = Path(sidecar_root) / rel, path.parent / rel
            if src.exists() and not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    doc = {"schema": RUN_SCHEMA, "run": meta, "records": records}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(_jsonable(doc), f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)
    return path


def toolkit_of(meta: dict, records: list) -> str:
    """The toolkit (CANN) version a run used, or "" when none (e.g. a CPU-only run)."""
    from harness.known_failures import toolkit_version

    prov = meta.get("provenance") or {}
    if prov.get("toolkit"):
        return str(prov["toolkit"])
    for rec in records:
        v = toolkit_version(rec)
        if v:
            return v
    return ""
