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
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from harness.atomic import write_atomic
from harness.results import _jsonable, check_record, json_kind, read_records
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
    """Read a recorded run or a results ``.jsonl``; ValueError names the file and field."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"recorded run {path} is a folder, not a file")
    if not path.is_file():
        raise FileNotFoundError(f"recorded run {path} not found")
    if path.suffix == ".jsonl":
        return Run(path, {"label": path.name, "source": str(path)}, read_records(path))
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a recorded run (not UTF-8 text: {exc.reason} at byte "
                         f"{exc.start})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not a recorded run (JSON: {exc})") from None
    return Run(path, *_check_document(doc, path))


def _check_document(doc, path: Path) -> tuple[dict, list]:
    """The run's ``run`` and ``records`` fields, after checking the document's shape."""
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a recorded run (the top level is {json_kind(doc)}, expected an "
                         f"object with 'records'); write one with --record")
    if "records" not in doc:
        raise ValueError(f"{path}: not a recorded run (no 'records'); write one with --record")
    schema = doc.get("schema", RUN_SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise ValueError(f"{path}: field 'schema' is {json_kind(schema)}, expected an integer")
    if schema > RUN_SCHEMA:
        raise ValueError(f"{path}: run schema {schema} is newer than this suite's {RUN_SCHEMA}")
    meta = doc.get("run", {})
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: field 'run' is {json_kind(meta)}, expected an object")
    records = doc["records"]
    if not isinstance(records, list):
        raise ValueError(f"{path}: field 'records' is {json_kind(records)}, expected a list of "
                         f"verdict records")
    for i, rec in enumerate(records):
        check_record(rec, f"{path}: records[{i}]")
    return meta, records


def write_run(path: Path, meta: dict, records: list, sidecar_root: Optional[Path] = None) -> Path:
    """Atomically write the run document; copy the per-sample sidecars it references."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sidecar_root is not None:
        copy_sidecars(records, Path(sidecar_root), path.parent)
    doc = {"schema": RUN_SCHEMA, "run": meta, "records": records}
    text = json.dumps(_jsonable(doc), ensure_ascii=False, indent=1, sort_keys=True)
    return write_atomic(path, text.encode("utf-8"))


def copy_sidecars(records: list, src_root: Path, dst_root: Path) -> list[str]:
    """Copy the per-sample sidecars ``records`` reference from ``src_root`` to ``dst_root``
    (content-addressed: one already there is the same file); returns those not found."""
    if Path(src_root).resolve() == Path(dst_root).resolve():
        return [rel for rel in sidecars(records) if not (Path(src_root) / rel).exists()]
    missing = []
    for rel in sidecars(records):
        src, dst = Path(src_root) / rel, Path(dst_root) / rel
        if not src.exists():
            missing.append(rel)
        elif not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    return missing


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
