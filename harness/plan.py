"""A coverage plan: which guides x stages x backends x batch sizes (x tiers) a run must measure.

A nightly or upgrade job names what it exists to measure; a test of the plan that skips
then fails, and a combination that no test of the selection covers fails the run::

    # nightly-310p.toml: every combination of each entry's lists is required
    [[require]]
    guides = ["dpn131", "transpose"]        # or ["*"]: every guide the suite knows
    stages = ["compile", "accuracy", "throughput"]   # default: all five
    backends = ["ascend"]                   # for compile, accuracy, throughput
    batch_sizes = [1, 16]                   # for compile, accuracy, throughput
    tiers = ["synthetic", "real"]           # accuracy only; default both

Pure parsing and validation (no pytest): a wrong plan raises ``PlanError`` naming the
file and the field (``plan.toml: require[0].guides: unknown guide 'dpn13'``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

STAGES = ("export", "compile", "preprocess", "accuracy", "throughput")
PER_BACKEND = ("compile", "accuracy", "throughput")  # stages run per backend and batch size
TIERS = ("synthetic", "real")
FIELDS = ("guides", "stages", "backends", "batch_sizes", "tiers")


class PlanError(ValueError):
    """The plan file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Requirement:
    guide: str
    stage: str
    backend: Optional[str] = None
    batch_size: Optional[int] = None
    tier: Optional[str] = None  # accuracy only

    def describe(self) -> str:
        return " ".join(str(x) for x in (self.guide, self.stage, self.backend,
                                          f"bs{self.batch_size}" if self.batch_size is not None else None,
                                          self.tier) if x)


def load(path: Path) -> list[Requirement]:
    """Every required combination of the plan at ``path``."""
    import tomllib

    path = Path(path)
    try:
        doc = tomllib.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PlanError(f"{path}: not a readable TOML plan ({exc})") from None
    unknown = sorted(set(doc) - {"require"})
    entries = doc.get("require")
    if unknown:
        raise PlanError(f"{path}: unknown top-level field(s) {unknown}; a plan holds [[require]] tables")
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise PlanError(f"{path}: require: expected one or more [[require]] tables")
    out: list[Requirement] = []
    for i, entry in enumerate(entries):
        out.extend(_expand(_Field(path, i), entry))
    return list(dict.fromkeys(out))


class _Field:
    """Names a field of one entry in messages: 'plan.toml: require[0].guides'."""

    def __init__(self, path: Path, index: int):
        self.path, self.index = path, index

    def error(self, field: str, message: str) -> PlanError:
        return PlanError(f"{self.path}: require[{self.index}].{field}: {message}")


def _expand(where: _Field, entry: dict) -> list[Requirement]:
    from harness import backends, guides

    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise where.error(unknown[0], f"unknown field; known: {', '.join(FIELDS)}")
    names = _strings(where, entry, "guides", required=True)
    known_guides = list(guides.names())
    names = known_guides if names == ["*"] else names
    for name in names:
        if name not in known_guides:
            raise where.error("guides", f"unknown guide {name!r}; known: {', '.join(known_guides)}")
    stages = _strings(where, entry, "stages") or list(STAGES)
    _known(where, "stages", stages, STAGES)
    per_backend = [s for s in stages if s in PER_BACKEND]
    tiers = _strings(where, entry, "tiers") or list(TIERS)
    _known(where, "tiers", tiers, TIERS)
    chosen = _strings(where, entry, "backends", required=bool(per_backend))
    _known(where, "backends", chosen, tuple(backends.names()))
    sizes = _sizes(where, entry, required=bool(per_backend))
    out = []
    for name in names:
        guide = guides.get(name)
        bad = [b for b in sizes if b not in guide.batch_sizes]
        if bad:
            raise where.error("batch_sizes", f"{bad} not run by guide {name} (it runs {list(guide.batch_sizes)})")
        for stage in stages:
            if stage not in PER_BACKEND:
                out.append(Requirement(name, stage))
                continue
            for backend in chosen:
                for bs in sizes:
                    for tier in (tiers if stage == "accuracy" else [None]):
                        out.append(Requirement(name, stage, backend, bs, tier))
    return out


def _strings(where: _Field, entry: dict, field: str, required: bool = False) -> list[str]:
    value = entry.get(field)
    if value is None:
        if required:
            raise where.error(field, "missing; give a list of names")
        return []
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise where.error(field, f"expected a non-empty list of names, got {value!r}")
    return value


def _sizes(where: _Field, entry: dict, required: bool) -> list[int]:
    value = entry.get("batch_sizes")
    if value is None:
        if required:
            raise where.error("batch_sizes", "missing; give a list such as [1, 16]")
        return []
    if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise where.error("batch_sizes", f"expected a non-empty list of positive integers, got {value!r}")
    return value


def _known(where: _Field, field: str, values: list, known: tuple) -> None:
    bad = [v for v in values if v not in known]
    if bad:
        raise where.error(field, f"unknown {bad}; known: {', '.join(known)}")
