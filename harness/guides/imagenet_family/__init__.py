"""The ImageNet classification family: ModelZoo guides that share DPN131's machinery.

About thirty ModelZoo classification guides carry the same ``imagenet_torch_preprocess.py``
(or restate its recipe) and the same top-k evaluation; they differ in the model, its
checkpoint, one row of the preprocessing table and their published numbers. Each member is
one small data module in ``members/`` defining ``MEMBER`` (``member.Member``), as the guide
importer drafts it (``python -m harness.guides.importer``) and a reviewer completes it.

    >>> from harness.guides import imagenet_family
    >>> imagenet_family.guide("resnet18").title
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from harness.guides.base import Guide, GuideError
from harness.guides.imagenet_family import members as _members_pkg
from harness.guides.imagenet_family.member import FAMILY, Member, build_guide  # noqa: F401

# What a default run covers: the two members cheapest on two CPU cores (fewest
# multiply-adds per image). ``--family-members all`` (nightly) runs every member.
DEFAULT_MEMBERS = ("mnasnet1_0", "resnet18")


def member_names() -> list[str]:
    """Every member module in ``members/``, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(_members_pkg.__path__) if not m.name.startswith("_"))


@lru_cache(maxsize=None)
def member(name: str) -> Member:
    if name not in member_names():
        raise KeyError(f"no member {name!r} in the {FAMILY} family; members: {', '.join(member_names())}")
    module = importlib.import_module(f"{_members_pkg.__name__}.{name}")
    found = getattr(module, "MEMBER", None)
    if not isinstance(found, Member):
        raise GuideError(f"module {module.__name__} defines no MEMBER")
    if found.name != name:
        raise GuideError(f"{module.__name__}: MEMBER.name is {found.name!r}, expected {name!r}")
    return found


@lru_cache(maxsize=None)
def guide(name: str) -> Guide:
    """The member's validated guide record."""
    return build_guide(member(name))
