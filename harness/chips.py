"""Chips the guides publish numbers for, and how a device measurement becomes a card number.

An Atlas 300I card carries four Ascend 310 devices; the guides report card throughput as
one device's ``Interface throughputRate`` x 4 (shared/reference/ascend_tools.md 4.5).
310P3 cards, 310B modules (one device: VGG16/VGG19 publish 310B1 tables) and T4 GPUs are
reported as measured.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chip:
    name: str  # as in --soc_version / the guides' tables
    devices_per_card: int
    kind: str  # "npu" or "gpu"


CHIPS = {
    "Ascend310": Chip("Ascend310", 4, "npu"),
    "Ascend310P3": Chip("Ascend310P3", 1, "npu"),
    "Ascend310B1": Chip("Ascend310B1", 1, "npu"),
    "Ascend310B4": Chip("Ascend310B4", 1, "npu"),
    "T4": Chip("T4", 1, "gpu"),
}


def card_throughput(chip: str, device_fps: float) -> float:
    """Per-card throughput from one device's measurement, as the guides compute it."""
    c = CHIPS.get(chip)
    return device_fps * (c.devices_per_card if c else 1)
