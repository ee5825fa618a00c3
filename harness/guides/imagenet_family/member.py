"""One member of the ImageNet classification family, as data, and the guide record it makes.

A member is what differs between two ModelZoo classification guides that share DPN131's
machinery (ImageNet val reader, table-driven preprocessing, top-k evaluation): the model's
library and constructor, its checkpoint, its row of the preprocessing table, the export
and atc settings, and the published accuracy and throughput, each number with the README
section it came from. ``build_guide`` turns a member into a validated ``Guide``; a member
still holding a ``Gap`` (an importer draft nobody has reviewed) is refused, naming every
gap.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Union

from harness.guides.base import (
    AcceptanceRule, AtcSettings, CheckpointSpec, ExportSettings, Gap, Guide, GuideError, Pipeline,
    Reference, ThroughputFloor, TensorSpec, find_gaps,
)
from harness.guides.dpn131 import GUIDE as DPN131_GUIDE, evaluate, synthetic_allowance
from harness.hashing import json_digest
from harness.models.classification import LibraryModel, build
from harness.preprocess import imagenet as prep

FAMILY = "imagenet-classification"
TOP_K = ("top1", "top2", "top3", "top4", "top5")


@dataclass(frozen=True)
class Member:
    """A classification guide of the family (one ModelZoo folder)."""

    name: str  # the guide's name in the suite (pytest -k <name> selects it alone)
    title: str
    folder: str  # the guide's folder in Ascend/ModelZoo-PyTorch
    model: Union[LibraryModel, Gap]
    checkpoint: Union[CheckpointSpec, Gap]
    preprocess: Union[prep.ClassificationPreprocess, Gap]
    export: Union[ExportSettings, Gap]
    atc: Union[AtcSettings, Gap]
    references: tuple[Union[Reference, Gap], ...]
    floors: tuple[Union[ThroughputFloor, Gap], ...] = ()
    acceptance: tuple[Union[AcceptanceRule, Gap], ...] = ()  # the guide's own cross-chip rules
    input_name: str = "image"
    output_name: str = "class"
    num_classes: int = 1000
    runner: str = "ais_bench"
    batch_sizes: tuple[int, ...] = (1, 4, 8, 16, 32, 64)
    # Files in the guide's folder that patch its model or export script (e.g. dpn.diff);
    # each must be answered by a departure or an export adapter before the member runs.
    patches: tuple[str, ...] = ()
    departures: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def readme(self) -> str:
        return f"{self.folder}/README.md"


def build_guide(member: Member) -> Guide:
    """The member's guide record: the family's dataset, preprocessing and metric with the
    member's own configuration and numbers."""
    gaps = find_gaps(member)
    if gaps:
        raise GuideError(f"guide {member.name!r}: {len(gaps)} unfilled gaps from the importer: "
                         + "; ".join(gaps))
    cfg = member.preprocess
    crop = cfg.crop
    return Guide(
        name=member.name,
        title=member.title,
        seed=member.readme,
        runner=member.runner,
        model_factory=functools.partial(build, member.model),
        checkpoint=member.checkpoint,
        inputs=(TensorSpec(member.input_name, ("B", 3, crop, crop)),),
        outputs=(TensorSpec(member.output_name, ("B", member.num_classes), layout="NC"),),
        export=member.export,
        atc=member.atc,
        dataset=DATASET,
        pipeline=Pipeline(preprocess=functools.partial(prep.preprocess, cfg=cfg, input_name=member.input_name),
                          evaluate=evaluate,
                          version="imagenet-family-prep-2-" + json_digest(repr(cfg))[:12]),
        references=member.references,
        floors=member.floors,
        acceptance=member.acceptance,
        batch_sizes=member.batch_sizes,
        fast_batch_sizes=tuple(b for b in (1, 4) if b in member.batch_sizes),
        synthetic_metric="top1",
        synthetic_allowance=synthetic_allowance,
        departures=member.departures + (
            "Accuracy rounds outputs to six decimals as the guide's TXT outputs are, and breaks "
            "exact ties with a stable sort (the script's quicksort breaks them arbitrarily).",
            "The suite fails on the first bad image; the guide's process pool swallows worker errors.",
        ),
        notes=member.notes + (f"family: {FAMILY}", f"model: {member.model.describe()}",
                              f"preprocessing: {cfg}"),
        extra={"report_metrics": TOP_K, "family": FAMILY, "folder": member.folder},
    )


# The family evaluates on DPN131's ImageNet val (same reader, layout and counts).
DATASET = DPN131_GUIDE.dataset
