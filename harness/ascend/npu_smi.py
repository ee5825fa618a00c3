"""``npu-smi info``: the devices, their chip names (-> ``atc --soc_version``), and whether
a device is idle before a throughput run. Facts: shared/reference/ascend_tools.md
section 6 and transcript 8.12; row patterns from section 9.

Ids: ``device_id`` is the Device column of the second row (the logical id that ACL and
ais_bench take); 910B single-chip rows have none, and the NPU id stands in for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional

from harness.ascend.errors import DeviceBusyError, ToolOutputError
from harness.ascend.proc import run_tool


class NpuSmiOutputError(ToolOutputError):
    pass


HEALTH = ("OK", "Warning", "Alarm", "Critical", "UNKNOWN")
_HEADER = re.compile(r"^\|\s*npu-smi\s+(?P<tool>\S+)\s+Version:\s*(?P<driver>\S+)\s*\|")
_ROW1 = re.compile(r"^\|\s*(?P<npu>\d+)\s+(?P<name>\S+)\s*\|\s*(?P<health>OK|Warning|Alarm|Critical|UNKNOWN)\s*\|")
_ROW2 = re.compile(r"^\|\s*(?P<chip>\d+)\s+(?P<device>\d+)?\s*\|\s*(?P<bus>\S+)\s*\|\s*(?P<aicore>\d+)\s+"
                   r"(?P<used>\d+)\s*/\s*(?P<total>\d+)(?:\s+(?P<hbm_used>\d+)\s*/\s*(?P<hbm_total>\d+))?")
_PROC_HEADER = re.compile(r"Process id\s*\|\s*Process name")
_PROC_ROW = re.compile(r"^\|\s*(?P<npu>\d+)\s+(?P<chip>\d+)\s*\|\s*(?P<pid>\d+)\s*\|\s*(?P<name>[^|]*?)\s*\|\s*(?P<mem>\d+)")
_NO_PROC = re.compile(r"No running processes found in NPU (?P<npu>\d+)")


@dataclass(frozen=True)
class NpuDevice:
    npu_id: int
    name: str  # as printed: "310P3", "310", "910B3"
    health: str
    chip_id: int
    device_id: int  # logical id (ACL / ais_bench)
    bus_id: str
    aicore_percent: int
    memory_used_mb: int
    memory_total_mb: int
    hbm_used_mb: Optional[int] = None
    hbm_total_mb: Optional[int] = None

    @property
    def soc_version(self) -> str:
        return soc_version(self.name)


@dataclass(frozen=True)
class NpuProcess:
    npu_id: int
    chip_id: int
    pid: int
    name: str
    memory_mb: int


@dataclass
class NpuSmiInfo:
    devices: list[NpuDevice]
    tool_version: Optional[str] = None
    driver_version: Optional[str] = None
    processes: list[NpuProcess] = field(default_factory=list)
    has_process_table: bool = False

    def device(self, device_id: int) -> NpuDevice:
        for d in self.devices:
            if d.device_id == device_id:
                return d
        raise KeyError(f"npu-smi info lists no device {device_id} (devices: "
                       f"{[d.device_id for d in self.devices]})")


def soc_version(name: str) -> str:
    """npu-smi Name -> ``--soc_version``: ``310P3`` -> ``Ascend310P3``; never doubled."""
    name = name.strip().replace("Ascend ", "Ascend")
    if not re.fullmatch(r"(Ascend)?\d{3}[A-Z0-9_]*", name):
        raise NpuSmiOutputError(f"{name!r} is not an Ascend chip name")
    return name if name.startswith("Ascend") else "Ascend" + name


def parse_npu_smi_info(text: str) -> NpuSmiInfo:
    """Parse the ``npu-smi info`` table (every driver generation in the reference)."""
    if not isinstance(text, str):
        raise NpuSmiOutputError(f"expected text, got {type(text).__name__}")
    devices: list[NpuDevice] = []
    processes: list[NpuProcess] = []
    pending = None
    tool = driver = None
    in_procs = False
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _HEADER.match(line)
        if m:
            tool, driver = m["tool"], m["driver"]
            continue
        if _PROC_HEADER.search(line):
            in_procs = True
            continue
        if in_procs:
            m = _PROC_ROW.match(line)
            if m:
                processes.append(NpuProcess(int(m["npu"]), int(m["chip"]), int(m["pid"]), m["name"], int(m["mem"])))
            continue
        m = _ROW1.match(line)
        if m:
            if pending is not None:
                raise NpuSmiOutputError(f"NPU {pending['npu']} has no second (chip/device) row")
            pending = m.groupdict()
            continue
        m = _ROW2.match(line)
        if m and pending is not None:
            g = m.groupdict()
            used, total = int(g["used"]), int(g["total"])
            if used > total:
                raise NpuSmiOutputError(f"NPU {pending['npu']}: memory used {used} > total {total}")
            devices.append(NpuDevice(
                npu_id=int(pending["npu"]), name=pending["name"], health=pending["health"],
                chip_id=int(g["chip"]),
                device_id=int(g["device"]) if g["device"] is not None else int(pending["npu"]),
                bus_id=g["bus"], aicore_percent=int(g["aicore"]), memory_used_mb=used,
                memory_total_mb=total,
                hbm_used_mb=int(g["hbm_used"]) if g["hbm_used"] else None,
                hbm_total_mb=int(g["hbm_total"]) if g["hbm_total"] else None))
            pending = None
    if pending is not None:
        raise NpuSmiOutputError(f"NPU {pending['npu']} has no second (chip/device) row (truncated table?)")
    if not devices:
        raise NpuSmiOutputError("npu-smi info lists no device rows")
    ids = [d.device_id for d in devices]
    if len(set(ids)) != len(ids):
        raise NpuSmiOutputError(f"duplicate device ids {ids}")
    has_table = bool(_NO_PROC.search(text)) or bool(processes) or bool(_PROC_HEADER.search(text))
    return NpuSmiInfo(devices, tool, driver, processes, has_table)


def busy_reasons(info: NpuSmiInfo, device_id: int) -> list[str]:
    """Why a device is not idle (empty when idle): AICore load or processes on it.
    Memory-Usage is not a criterion: an idle device holds ~1-3 GB (reference 6.2)."""
    dev = info.device(device_id)
    reasons = []
    if dev.aicore_percent != 0:
        reasons.append(f"AICore {dev.aicore_percent}%")
    procs = [p for p in info.processes if p.npu_id == dev.npu_id and p.chip_id == dev.chip_id]
    if procs:
        reasons.append("processes " + ", ".join(f"{p.pid} ({p.name}, {p.memory_mb} MB)" for p in procs))
    if dev.health != "OK":
        reasons.append(f"health {dev.health}")
    return reasons


def query(env: Optional[Mapping[str, str]] = None, timeout_s: float = 60.0,
          program: str = "npu-smi") -> NpuSmiInfo:
    res = run_tool([program, "info"], timeout_s=timeout_s, env=env)
    try:
        return parse_npu_smi_info(res.stdout)
    except NpuSmiOutputError as exc:
        raise DeviceBusyError(list(res.command), f"cannot read `npu-smi info`: {exc}", res.returncode,
                              res.stdout.splitlines()[-10:]) from None


def require_idle(device_id: int, env: Optional[Mapping[str, str]] = None, program: str = "npu-smi",
                 attempts: int = 3, interval_s: float = 2.0) -> NpuDevice:
    """Raise ``DeviceBusyError`` unless the device is idle (polled a few times, so a run
    that is just finishing does not fail the check)."""
    import time

    reasons: list[str] = []
    for i in range(max(1, attempts)):
        info = query(env, program=program)
        try:
            reasons = busy_reasons(info, device_id)
        except KeyError as exc:
            raise DeviceBusyError([program, "info"], str(exc.args[0])) from None
        if not reasons:
            return info.device(device_id)
        if i + 1 < attempts:
            time.sleep(interval_s)
    raise DeviceBusyError([program, "info"], f"device {device_id} is busy ({'; '.join(reasons)}): a "
                          "throughput run now would measure contention, not the model. Stop the other "
                          "work on it or choose another device with --devices")
