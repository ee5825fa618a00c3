"""NVIDIA GPUs: which one this host has, and the chip name the guides publish numbers for.

The guides' GPU column is a Tesla T4 measured with ``trtexec --fp16``; floors and cross-chip
rules are keyed by the chip name ``T4``. A device is named by what the driver reports
(``nvidia-smi --query-gpu=name``, or torch's ``get_device_name``): "Tesla T4", "NVIDIA T4",
"NVIDIA A100-SXM4-80GB", ... ``chip_name`` maps those to the guides' short names, so a
T4 host is judged against the T4 floors and any other GPU is recorded under its own name
(never under a published chip it is not).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from harness.ascend.proc import run_tool
from harness.errors import SuiteError

# Model families, longest first so "A100" is not read as "A10" and "L40S" not as "L4".
_FAMILIES = ("GH200", "H200", "H100", "H800", "H20", "B200", "B100", "GB200",
             "A100", "A800", "A40", "A30", "A16", "A10G", "A10", "A2",
             "L40S", "L40", "L20", "L4", "T4", "V100", "P100", "P40", "P4")


class GpuError(SuiteError):
    """nvidia-smi ran but its answer could not be read."""


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str  # as the driver reports it, e.g. "Tesla T4"
    uuid: str
    driver: str
    memory_mib: Optional[int]

    @property
    def chip(self) -> str:
        return chip_name(self.name)


def chip_name(device_name: str) -> str:
    """The guides' chip name for a reported device name: "Tesla T4" -> "T4",
    "NVIDIA A100-SXM4-80GB" -> "A100". A device no family matches keeps its reported name
    with spaces replaced, so it never borrows another chip's floors."""
    text = device_name.upper().replace("NVIDIA", " ").replace("TESLA", " ")
    tokens = re.split(r"[\s_/-]+", text.strip())
    for family in _FAMILIES:
        if family in tokens:
            return family
    return re.sub(r"\s+", "_", device_name.strip()) or "cuda"


def parse_query(text: str) -> list[Gpu]:
    """``nvidia-smi --query-gpu=index,name,uuid,driver_version,memory.total
    --format=csv,noheader,nounits`` output -> GPUs. A line that does not have five fields
    or a non-integer index is an error naming the line."""
    gpus = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 5 or not fields[0].isdigit() or not fields[1]:
            raise GpuError(f"nvidia-smi line {n}: expected 'index, name, uuid, driver, memory', "
                           f"got {line!r}")
        memory = int(fields[4]) if fields[4].isdigit() else None
        gpus.append(Gpu(int(fields[0]), fields[1], fields[2], fields[3], memory))
    return gpus


QUERY = ("nvidia-smi", "--query-gpu=index,name,uuid,driver_version,memory.total",
         "--format=csv,noheader,nounits")


@lru_cache(maxsize=1)
def detect(timeout_s: float = 30.0) -> tuple[Gpu, ...]:
    """The host's GPUs from nvidia-smi; empty when nvidia-smi is missing or fails (the
    backends then say what is missing)."""
    from harness.ascend.errors import ToolError

    try:
        result = run_tool(QUERY, timeout_s=timeout_s)
    except ToolError:
        return ()
    return tuple(parse_query(result.stdout))


def device(index: int = 0) -> Optional[Gpu]:
    """GPU ``index`` as CUDA numbers it (CUDA_VISIBLE_DEVICES respected through torch when
    it is importable; nvidia-smi's own numbering otherwise)."""
    name = _torch_name(index)
    gpus = detect()
    if name is not None:
        match = [g for g in gpus if g.name == name]
        return match[0] if len(match) == 1 else Gpu(index, name, "", gpus[0].driver if gpus else "", None)
    return next((g for g in gpus if g.index == index), None)


def _torch_name(index: int) -> Optional[str]:
    try:
        import torch
    except ImportError:
        return None
    try:
        if torch.cuda.is_available() and index < torch.cuda.device_count():
            return torch.cuda.get_device_name(index)
    except RuntimeError:  # a broken driver install: nvidia-smi decides
        return None
    return None
