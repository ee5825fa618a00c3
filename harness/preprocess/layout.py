"""A ``Prepared`` layout recorded with a cached set of ``.bin`` files, so a cache hit is
rebuilt without running the pipeline, and a set built in a temporary folder is moved to
its final one."""
from __future__ import annotations

from pathlib import Path

from harness.preprocess.store import Prepared


def layout_of(prepared: Prepared) -> dict:
    """What a cache hit needs to rebuild ``prepared`` without re-running the pipeline:
    folders relative to the root, per-set sample lists, the pipeline's notes."""
    root = prepared.root
    return {"input_sets": {s: {k: Path(v).relative_to(root).as_posix() for k, v in d.items()}
                           for s, d in prepared.input_sets.items()},
            "set_ids": prepared.set_ids, "meta": prepared.meta}


def from_layout(root: Path, sample_ids: list, layout: dict) -> Prepared:
    sets = {s: {k: root / v for k, v in d.items()} for s, d in layout["input_sets"].items()}
    return Prepared(root, list(sample_ids), sets, dict(layout["meta"]),
                    {k: list(v) for k, v in layout["set_ids"].items()})


def rebased(prepared: Prepared, new_root: Path) -> Prepared:
    """Paths of a Prepared built in a temporary folder, moved to the cache's final folder."""
    old = prepared.root
    sets = {s: {k: new_root / Path(v).relative_to(old) for k, v in d.items()}
            for s, d in prepared.input_sets.items()}
    return Prepared(new_root, prepared.sample_ids, sets, prepared.meta, prepared.set_ids)
