"""Registry of guide records: the hand-written guides (one module per guide in this
package, each defining ``GUIDE``) and the members of each guide family (a package of small
data modules, e.g. ``imagenet_family``).

    >>> from harness import guides
    >>> guides.get("dpn131").title
    >>> guides.family_of("resnet18")
    'imagenet-classification'

Adding a hand-written guide means adding a module here; adding a family member means
adding a data module to its family's ``members/`` (``python -m harness.guides.importer``
drafts one from the guide's ModelZoo folder).
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Optional

from harness.guides.base import (  # noqa: F401  (re-exported)
    Gap, Guide, GuideError, Reference, Source, TensorSpec, ThroughputFloor,
)

_NOT_GUIDES = {"base", "performance", "importer"}
# Family packages: name -> module exposing FAMILY, member_names() and guide(name).
_FAMILIES = ("imagenet_family",)


def _family_modules():
    return [importlib.import_module(f"{__name__}.{f}") for f in _FAMILIES]


def hand_written_names() -> list[str]:
    """Names of the guide modules in this package (not family members), sorted."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_") and m.name not in _NOT_GUIDES and not m.ispkg
    )


def names() -> list[str]:
    """Every guide: the hand-written ones and every family's members, sorted."""
    found = hand_written_names() + [n for fam in _family_modules() for n in fam.member_names()]
    dupes = sorted({n for n in found if found.count(n) > 1})
    if dupes:
        raise GuideError(f"guide names used twice: {dupes}")
    return sorted(found)


def family_of(name: str) -> Optional[str]:
    """The family a guide belongs to, or None for a hand-written guide."""
    for fam in _family_modules():
        if name in fam.member_names():
            return fam.FAMILY
    return None


def families() -> dict[str, list[str]]:
    """Family name -> its members' guide names."""
    return {fam.FAMILY: fam.member_names() for fam in _family_modules()}


def representatives() -> list[str]:
    """The hand-written guides plus one member per family (its first default member):
    for tests of code that every member of a family shares (dataset reader, preprocessing
    and metric faults), where running each member would repeat the same test."""
    return sorted(hand_written_names() + [fam.DEFAULT_MEMBERS[0] for fam in _family_modules()])


@lru_cache(maxsize=None)
def get(name: str) -> Guide:
    """The guide record called ``name`` (validated on import)."""
    for fam in _family_modules():
        if name in fam.member_names():
            return fam.guide(name)
    if name not in hand_written_names():
        raise KeyError(f"unknown guide {name!r}; known: {', '.join(names())}")
    module = importlib.import_module(f"{__name__}.{name}")
    guide = getattr(module, "GUIDE", None)
    if not isinstance(guide, Guide):
        raise GuideError(f"module harness.guides.{name} defines no GUIDE record")
    if guide.name != name:
        raise GuideError(f"harness.guides.{name}: GUIDE.name is {guide.name!r}")
    return guide


def all_guides() -> list[Guide]:
    return [get(n) for n in names()]
