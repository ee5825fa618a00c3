"""Physical device ids (what ``npu-smi info`` and ``--devices`` use) versus the ids a
process passes to ACL / ``ais_bench --device``.

``ASCEND_RT_VISIBLE_DEVICES=4,5`` makes the runtime of that process see physical devices
4 and 5 as 0 and 1. The suite's xdist workers each set it to their one physical device
(fixtures/ascend.py, before any runtime starts), so inside a worker the device is always
``--device 0`` while ``npu-smi`` idle checks use the physical id.
"""
from __future__ import annotations

import os
from typing import Mapping

VISIBLE_ENV = "ASCEND_RT_VISIBLE_DEVICES"


def visible_devices(environ: Mapping[str, str] = os.environ) -> list[int] | None:
    """The physical ids this process may use, or None when unrestricted."""
    text = environ.get(VISIBLE_ENV, "").strip()
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{VISIBLE_ENV}={text!r} is not a comma-separated list of device ids") from None


def runtime_device_id(physical: int, environ: Mapping[str, str] = os.environ) -> int:
    """The id to pass to ``ais_bench --device`` for a physical device."""
    visible = visible_devices(environ)
    if visible is None:
        return physical
    if physical not in visible:
        raise ValueError(f"device {physical} is not in {VISIBLE_ENV}={','.join(map(str, visible))}; "
                         "the runtime of this process cannot use it")
    return visible.index(physical)
