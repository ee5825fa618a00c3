"""Registry of guide records: one module per guide in this package, each defining ``GUIDE``.

    >>> from harness import guides
    >>> guides.get("dpn131").title

Adding a guide means adding a module here; nothing else needs editing.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from harness.guides.base import (  # noqa: F401  (re-exported)
    Guide, GuideError, Reference, Source, TensorSpec, ThroughputFloor,
)

_NOT_GUIDES = {"base"}


def names() -> list[str]:
    """Names of every guide module in this package, sorted."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__)
        if not m.name.startswith("_") and m.name not in _NOT_GUIDES
    )


@lru_cache(maxsize=None)
def get(name: str) -> Guide:
    """The guide record called ``name`` (validated on import)."""
    if name not in names():
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
