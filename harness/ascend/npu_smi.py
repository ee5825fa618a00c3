"""``npu-smi``: the devices, their chip names (-> ``atc --soc_version``), the ids that
address them, and whether a device is idle before a throughput run. Facts:
shared/reference/ascend_tools.md sections 6 and 11, transcript 8.12; row patterns from 9.

Three ``npu-smi`` outputs, three jobs (harness/ascend/devices.py explains the id spaces):

* ``npu-smi info`` - the table: health, load, memory and processes per (NPU id, chip id).
  Its second row's number is the logical ``Device`` id on 310-class tables, the host's
  ``Phy-ID`` on A3 tables, and absent on 910B tables, so it is not an id to address with.
* ``npu-smi info -m`` - NPU id, chip id and ``Chip Logic ID`` (the id ACL,
  ``ASCEND_RT_VISIBLE_DEVICES`` and ``ais_bench --device`` take) per chip.
* ``npu-smi info -t board -i <npu> -c <chip>`` - ``Chip Name`` (and ``Chip Type`` on A2,
  ``NPU Name`` on A3), which names the chip when the table's Name does not (A3: ``Ascend910``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Optional

from harness.ascend.errors import DeviceBusyError, ToolError, ToolOutputError
from harness.ascend.proc import run_tool


class NpuSmiOutputError(ToolOutputError):
    pass


HEALTH = ("OK", "Warning", "Alarm", "Critical", "UNKNOWN")
_HEADER = re.compile(r"^\|\s*npu-smi\s+(?P<tool>\S+)\s+Version:\s*(?P<driver>\S+)\s*\|")
# The second header row names the second row's number: Device (310 class), Phy-ID (A3) or nothing (910B).
_CHIP_HEADER = re.compile(r"^\|\s*Chip\s*(?P<column>Device|Phy-ID)?\s*\|\s*Bus-Id")
_ROW1 = re.compile(r"^\|\s*(?P<npu>\d+)\s+(?P<name>\S+)\s*\|\s*(?P<health>OK|Warning|Alarm|Critical|UNKNOWN)\s*\|")
_ROW2 = re.compile(r"^\|\s*(?P<chip>\d+)\s+(?P<device>\d+)?\s*\|\s*(?P<bus>\S+)\s*\|\s*(?P<aicore>\d+)\s+"
                   r"(?P<used>\d+)\s*/\s*(?P<total>\d+)(?:\s+(?P<hbm_used>\d+)\s*/\s*(?P<hbm_total>\d+))?")
_PROC_HEADER = re.compile(r"Process id\s*\|\s*Process name")
_PROC_ROW = re.compile(r"^\|\s*(?P<npu>\d+)\s+(?P<chip>\d+)\s*\|\s*(?P<pid>\d+)\s*\|\s*(?P<name>[^|]*?)\s*\|\s*(?P<mem>\d+)")
_NO_PROC = re.compile(r"No running processes found in NPU (?P<npu>\d+)")
# A table Name that is a family, not a chip: A3 tables (and first-generation 910) print it.
_FAMILY_ONLY = re.compile(r"(Ascend)?910")
_SOC = re.compile(r"Ascend\d{3}[A-Za-z0-9_]*")


@dataclass(frozen=True)
class NpuDevice:
    npu_id: int
    name: str  # as printed: "310P3", "310", "910B3", "Ascend910"
    health: str
    chip_id: int
    device_id: Optional[int]  # logical id (ACL / ais_bench); None when nothing states it
    bus_id: str
    aicore_percent: int
    memory_used_mb: int
    memory_total_mb: int
    hbm_used_mb: Optional[int] = None
    hbm_total_mb: Optional[int] = None
    phy_id: Optional[int] = None  # host numbering (A3 tables' Phy-ID column)
    board_soc: Optional[str] = None  # from `npu-smi info -t board`, when the Name is only a family
    board_error: Optional[str] = None  # why that query gave no name

    @property
    def soc_version(self) -> str:
        if self.board_soc:
            return self.board_soc
        try:
            return soc_version(self.name)
        except NpuSmiOutputError as exc:
            detail = f"; the board query failed: {self.board_error}" if self.board_error else ""
            raise NpuSmiOutputError(f"{self.where}: {exc}{detail}; or pass --soc-version") from None

    @property
    def where(self) -> str:
        phy = f" (Phy-ID {self.phy_id})" if self.phy_id is not None else ""
        return f"NPU {self.npu_id} chip {self.chip_id}{phy}"


@dataclass(frozen=True)
class NpuProcess:
    npu_id: int
    chip_id: int
    pid: int
    name: str
    memory_mb: int


@dataclass(frozen=True)
class ChipIds:
    """One row of ``npu-smi info -m``."""
    npu_id: int
    chip_id: int
    logical_id: Optional[int]  # None for chips that are no compute device (Mcu)
    phy_id: Optional[int]
    name: str  # "Ascend 310P3", "Ascend 910B3", "Mcu"


@dataclass
class NpuSmiInfo:
    devices: list[NpuDevice]
    tool_version: Optional[str] = None
    driver_version: Optional[str] = None
    processes: list[NpuProcess] = field(default_factory=list)
    has_process_table: bool = False
    id_column: Optional[str] = None  # "Device", "Phy-ID" or None (the table's second header row)

    def device(self, device_id: int) -> NpuDevice:
        """The device with this logical id."""
        for d in self.devices:
            if d.device_id == device_id:
                return d
        raise KeyError(f"npu-smi lists no device with logical id {device_id} (logical ids: "
                       f"{self.logical_ids()})")

    def logical_ids(self) -> list[int]:
        return [d.device_id for d in self.devices if d.device_id is not None]


def soc_version(name: str) -> str:
    """npu-smi Name -> ``--soc_version``: ``310P3`` -> ``Ascend310P3``; never doubled.
    A bare ``910``/``Ascend910`` names a family, not a chip atc compiles for."""
    name = name.strip().replace("Ascend ", "Ascend")
    if not re.fullmatch(r"(Ascend)?\d{3}[A-Z0-9_]*", name):
        raise NpuSmiOutputError(f"{name!r} is not an Ascend chip name")
    if _FAMILY_ONLY.fullmatch(name):
        raise NpuSmiOutputError(f"npu-smi names the chip {name!r}, a family rather than an atc --soc_version "
                                "(A3 tables print it); `npu-smi info -t board -i <npu> -c <chip>` names the chip")
    return name if name.startswith("Ascend") else "Ascend" + name


def needs_board_query(name: str) -> bool:
    """True when the table's Name does not name a ``--soc_version`` by itself."""
    try:
        soc_version(name)
    except NpuSmiOutputError:
        return True
    return False


# -- npu-smi info: the table -------------------------------------------------------------------
def _device_row(pending: dict, g: dict, id_column: Optional[str]) -> NpuDevice:
    used, total = int(g["used"]), int(g["total"])
    if used > total:
        raise NpuSmiOutputError(f"NPU {pending['npu']}: memory used {used} > total {total}")
    number = int(g["device"]) if g["device"] is not None else None
    return NpuDevice(
        npu_id=int(pending["npu"]), name=pending["name"], health=pending["health"], chip_id=int(g["chip"]),
        device_id=number if id_column != "Phy-ID" else None, bus_id=g["bus"],
        aicore_percent=int(g["aicore"]), memory_used_mb=used, memory_total_mb=total,
        hbm_used_mb=int(g["hbm_used"]) if g["hbm_used"] else None,
        hbm_total_mb=int(g["hbm_total"]) if g["hbm_total"] else None,
        phy_id=number if id_column == "Phy-ID" else None)


def _check_unique(devices: list[NpuDevice]) -> None:
    places = [(d.npu_id, d.chip_id) for d in devices]
    if len(set(places)) != len(places):
        raise NpuSmiOutputError(f"duplicate (NPU, chip) rows {places}")
    ids = [d.device_id for d in devices if d.device_id is not None]
    if len(set(ids)) != len(ids):
        raise NpuSmiOutputError(f"duplicate device ids {ids}")


def parse_npu_smi_info(text: str) -> NpuSmiInfo:
    """Parse the ``npu-smi info`` table (every driver generation in the reference, the
    910B and A3 layouts of section 11). ``device_id`` is the Device column where the table
    has one; 910B and A3 tables leave it to ``npu-smi info -m`` (``with_logical_ids``)."""
    if not isinstance(text, str):
        raise NpuSmiOutputError(f"expected text, got {type(text).__name__}")
    devices: list[NpuDevice] = []
    processes: list[NpuProcess] = []
    pending = None
    tool = driver = id_column = None
    in_procs = False
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _HEADER.match(line)
        if m:
            tool, driver = m["tool"], m["driver"]
            continue
        m = _CHIP_HEADER.match(line)
        if m:
            id_column = m["column"] or "none"
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
            devices.append(_device_row(pending, m.groupdict(), id_column))
            pending = None
    if pending is not None:
        raise NpuSmiOutputError(f"NPU {pending['npu']} has no second (chip/device) row (truncated table?)")
    if not devices:
        raise NpuSmiOutputError("npu-smi info lists no device rows")
    _check_unique(devices)
    has_table = bool(_NO_PROC.search(text)) or bool(processes) or bool(_PROC_HEADER.search(text))
    column = None if id_column == "none" else id_column
    return NpuSmiInfo(devices, tool, driver, processes, has_table, column)


# -- npu-smi info -m: the ids ------------------------------------------------------------------
_MAP_COLUMNS = re.compile(r"NPU ID|Slot ID|Chip Logic ID|Chip Phy-ID|Chip ID|Chip Name")


def _map_id(token: str, column: str, line: str) -> Optional[int]:
    if token == "-":
        return None
    if not token.isdigit():
        raise NpuSmiOutputError(f"npu-smi info -m: {column} {token!r} is not a number in {line.strip()!r}")
    return int(token)


def parse_npu_smi_map(text: str) -> list[ChipIds]:
    """Parse ``npu-smi info -m`` (columns found by their header names, so the newer
    ``Chip Phy-ID``/``Slot ID`` columns are read where present). Rows without a logical id
    (the Mcu of each card) are kept with ``logical_id=None``."""
    if not isinstance(text, str):
        raise NpuSmiOutputError(f"expected text, got {type(text).__name__}")
    columns: list[str] = []
    rows: list[ChipIds] = []
    for line in text.splitlines():
        if not columns:
            found = _MAP_COLUMNS.findall(line)
            if {"NPU ID", "Chip ID", "Chip Logic ID"} <= set(found) and found[-1] == "Chip Name":
                columns = found
            continue
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) < len(columns):
            raise NpuSmiOutputError(f"npu-smi info -m: row {line.strip()!r} has fewer fields than {columns}")
        fields = dict(zip(columns[:-1], tokens))
        name = " ".join(tokens[len(columns) - 1:])
        ids = {c: _map_id(fields[c], c, line) for c in columns[:-1]}
        if ids["NPU ID"] is None or ids["Chip ID"] is None:
            raise NpuSmiOutputError(f"npu-smi info -m: row {line.strip()!r} has no NPU/chip id")
        rows.append(ChipIds(ids["NPU ID"], ids["Chip ID"], ids["Chip Logic ID"], ids.get("Chip Phy-ID"), name))
    if not columns:
        raise NpuSmiOutputError("npu-smi info -m: no `NPU ID  Chip ID  Chip Logic ID ... Chip Name` header")
    logical = [r.logical_id for r in rows if r.logical_id is not None]
    if not logical:
        raise NpuSmiOutputError("npu-smi info -m lists no chip with a logical id")
    if len(set(logical)) != len(logical):
        raise NpuSmiOutputError(f"npu-smi info -m: duplicate logical ids {logical}")
    return rows


def with_logical_ids(info: NpuSmiInfo, chips: list[ChipIds]) -> NpuSmiInfo:
    """The table with each device's logical id (and Phy-ID) taken from ``npu-smi info -m``,
    joined on (NPU id, chip id), the pair both outputs print the same way."""
    by_place = {(c.npu_id, c.chip_id): c for c in chips}
    devices = []
    for d in info.devices:
        c = by_place.get((d.npu_id, d.chip_id))
        devices.append(replace(d, device_id=c.logical_id if c else None,
                               phy_id=d.phy_id if d.phy_id is not None or c is None else c.phy_id))
    return replace(info, devices=devices)


# -- npu-smi info -t board: the chip's name ------------------------------------------------------
def parse_board(text: str) -> dict[str, str]:
    """``key : value`` lines of ``npu-smi info -t board -i N [-c M]``."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            fields.setdefault(key.strip(), value.strip())
    if "Chip Name" not in fields:
        raise NpuSmiOutputError("npu-smi info -t board printed no `Chip Name`")
    return fields


def board_soc_version(fields: Mapping[str, str]) -> str:
    """``--soc_version`` from the board query: A3 prints ``Chip Name : Ascend910`` and
    ``NPU Name : 9392`` (-> ``Ascend910_9392``); A2 prints ``Chip Type : Ascend`` and
    ``Chip Name : 910B4`` (-> ``Ascend910B4``); other chips name themselves."""
    chip = fields["Chip Name"].replace("Ascend ", "Ascend")
    npu_name = fields.get("NPU Name", "")
    if _FAMILY_ONLY.fullmatch(chip) and re.fullmatch(r"\d+", npu_name):
        soc = f"{'' if chip.startswith('Ascend') else 'Ascend'}{chip}_{npu_name}"
    elif fields.get("Chip Type") and not chip.startswith(fields["Chip Type"]):
        soc = fields["Chip Type"] + chip
    else:
        soc = soc_version(chip)
    if not _SOC.fullmatch(soc):
        raise NpuSmiOutputError(f"npu-smi info -t board: {dict(fields)} gives no chip name ({soc!r})")
    return soc


# -- running npu-smi -----------------------------------------------------------------------------
def _read(command: list[str], parse, env, timeout_s: float):
    """Run one npu-smi query and parse it; unreadable output is a ``ToolError`` naming the command."""
    res = run_tool(command, timeout_s=timeout_s, env=env)
    try:
        return parse(res.stdout)
    except NpuSmiOutputError as exc:
        raise ToolError(command, f"cannot read `{' '.join(command[1:])}`: {exc}", res.returncode,
                        res.stdout.splitlines()[-10:]) from None


def _logical_ids(info: NpuSmiInfo, program: str, env, timeout_s: float) -> NpuSmiInfo:
    """Logical ids from ``npu-smi info -m``; a 310-class table's Device column stands in
    only when that query fails (910B tables have no id column, A3 tables print Phy-IDs)."""
    try:
        chips = _read([program, "info", "-m"], parse_npu_smi_map, env, timeout_s)
    except ToolError as exc:
        if info.id_column == "Device":
            return info
        raise ToolError(exc.command, "cannot tell the devices' logical ids: the `npu-smi info` table "
                        f"has {'Phy-ID (host) numbers' if info.id_column == 'Phy-ID' else 'no device id column'} "
                        f"and `npu-smi info -m` failed ({exc.cause})", exc.returncode, exc.error_lines) from None
    return with_logical_ids(info, chips)


def _board_names(info: NpuSmiInfo, program: str, env, timeout_s: float,
                 only: Optional[int] = None) -> NpuSmiInfo:
    """Chip names from the board query for the addressable devices (or just logical id
    ``only``) whose table Name is only a family (A3's ``Ascend910``)."""
    devices = []
    for d in info.devices:
        wanted = d.device_id is not None and (only is None or d.device_id == only)
        if wanted and needs_board_query(d.name):
            command = [program, "info", "-t", "board", "-i", str(d.npu_id), "-c", str(d.chip_id)]
            try:
                d = replace(d, board_soc=_read(command, lambda t: board_soc_version(parse_board(t)), env, timeout_s))
            except (ToolError, NpuSmiOutputError) as exc:
                d = replace(d, board_error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        devices.append(d)
    return replace(info, devices=devices)


def query(env: Optional[Mapping[str, str]] = None, timeout_s: float = 60.0,
          program: str = "npu-smi", names: bool = True) -> NpuSmiInfo:
    """The table, with logical ids (``-m``) and, with ``names``, chip names (``-t board``)
    where the table's Name is only a family."""
    info = _logical_ids(_read([program, "info"], parse_npu_smi_info, env, timeout_s), program, env, timeout_s)
    return _board_names(info, program, env, timeout_s) if names else info


def busy_reasons(info: NpuSmiInfo, device_id: int) -> list[str]:
    """Why a device (by logical id) is not idle (empty when idle): AICore load or processes
    on its (NPU, chip). Memory-Usage is not a criterion: an idle device holds ~1-3 GB (reference 6.2)."""
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


def require_idle(device_id: int, env: Optional[Mapping[str, str]] = None, program: str = "npu-smi",
                 attempts: int = 3, interval_s: float = 2.0) -> NpuDevice:
    """Raise ``DeviceBusyError`` unless the device (logical id) is idle (polled a few
    times, so a run that is just finishing does not fail the check)."""
    import time

    reasons: list[str] = []
    dev = None
    for i in range(max(1, attempts)):
        info = query(env, program=program, names=False)  # polled: the chip's name is asked once, below
        try:
            reasons = busy_reasons(info, device_id)
            dev = info.device(device_id)
        except KeyError as exc:
            raise DeviceBusyError([program, "info", "-m"], str(exc.args[0])) from None
        if not reasons:
            return _board_names(info, program, env, 60.0, only=device_id).device(device_id)
        if i + 1 < attempts:
            time.sleep(interval_s)
    raise DeviceBusyError([program, "info"], f"device {device_id} is busy ({'; '.join(reasons)}) on "
                          f"{dev.where}: a throughput run now would measure contention, not the model. "
                          "Stop the other work on it or choose another device with --devices")
