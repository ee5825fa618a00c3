"""Which number names which NPU. Four id spaces meet on an Ascend host
(shared/reference/ascend_tools.md 6 and 11):

* host (physical) id - ``/dev/davinci<N>`` on the host; the A3 table's ``Phy-ID`` column,
  and on one-chip cards usually the table's NPU id. A container that mounts host devices
  3-7 still prints these numbers.
* (NPU id, chip id) - what every ``npu-smi`` output prints and ``npu-smi -i N -c M``
  takes; the join key between the table, ``npu-smi info -m`` and the board query.
* logical id - ``npu-smi info -m``'s ``Chip Logic ID``: the process's numbering before any
  filtering, 0..count-1 (host 3-7 are logical 0-4 in that container). ``ASCEND_RT_VISIBLE_DEVICES``
  takes these, and so does ``--devices``.
* runtime id - what ``ais_bench --device`` / ``aclrtSetDevice`` take: the position in
  ``ASCEND_RT_VISIBLE_DEVICES`` when it is set (``=4,6`` makes logical 4 and 6 runtime 0 and 1),
  else the logical id.

The suite's xdist workers each set ``ASCEND_RT_VISIBLE_DEVICES`` to their one logical id
(fixtures/ascend.py, before any runtime starts), so inside a worker the device is always
``--device 0``, while the idle check finds the device's (NPU, chip) row through ``-m``
(harness/ascend/npu_smi.py).
"""
from __future__ import annotations

import os
from typing import Mapping

VISIBLE_ENV = "ASCEND_RT_VISIBLE_DEVICES"


def visible_devices(environ: Mapping[str, str] = os.environ) -> list[int] | None:
    """The logical ids this process may use, or None when unrestricted."""
    text = environ.get(VISIBLE_ENV, "").strip()
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{VISIBLE_ENV}={text!r} is not a comma-separated list of device ids") from None


def runtime_device_id(logical: int, environ: Mapping[str, str] = os.environ) -> int:
    """The id to pass to ``ais_bench --device`` for a logical device."""
    visible = visible_devices(environ)
    if visible is None:
        return logical
    if logical not in visible:
        raise ValueError(f"device {logical} is not in {VISIBLE_ENV}={','.join(map(str, visible))}; "
                         "the runtime of this process cannot use it")
    return visible.index(logical)


def unlisted_reason(wanted: int, info) -> str:
    """Why ``--devices`` id ``wanted`` is not usable, given ``npu_smi.NpuSmiInfo``: a host
    id copied from the table (a container renumbers) gets named as such."""
    logical = info.logical_ids()
    text = f"device {wanted} is not a logical id `npu-smi info -m` lists (logical ids: {logical})"
    # A3 tables print the host id as Phy-ID; 910B tables (no id column) as the NPU id.
    hosts = [d for d in info.devices if d.device_id is not None and (wanted == d.phy_id or (
             info.id_column is None and d.phy_id is None and wanted == d.npu_id))]
    if hosts:
        text += (f"; {wanted} is the host numbering of {hosts[0].where}, which is logical id "
                 f"{hosts[0].device_id}")
    return text + ". --devices and ASCEND_RT_VISIBLE_DEVICES take logical ids"
