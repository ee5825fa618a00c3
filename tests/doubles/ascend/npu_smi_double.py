"""Test double of ``npu-smi``: ``info`` (the table, driver 23.x+ layout with the process
table), ``info -m`` (NPU id / chip id / logical id) and ``info -t board -i N -c M``
(shared/reference/ascend_tools.md 6.1 and 11; the 910B and A3 layouts follow the public
tables quoted in tests/harness/test_npu_smi_910.py).

Environment:

* SUITE_DOUBLE_NPU_NAME - the chip. ``310B4`` (default, DEFAULT_NPU_NAME: a chip no guide
  publishes a floor or an acceptance rule for, because the double's timings are CPU timings;
  tests/harness/test_ascend_floors.py keeps it so), ``310``/``310P3``/``310B1`` (310-class table:
  ``Chip Device`` rows), ``910B3`` or any ``910B*`` (910B table: no id column, HBM),
  ``Ascend910_9392`` or any ``[Ascend]910_<NPU Name>`` (A3 table: Name ``Ascend910``, two
  chips per NPU, ``Chip Phy-ID`` rows; the board query names ``Ascend910_<NPU Name>``).
* SUITE_DOUBLE_NPU_COUNT - chips this process sees (default 2).
* SUITE_DOUBLE_NPU_HOST_IDS=3,4,5,6,7 - host (physical) ids of those chips, as in a
  container that mounts only some of the host's devices: the table prints host numbering,
  ``info -m`` numbers them 0.. as logical ids (default 0..COUNT-1).
* SUITE_DOUBLE_NPU_BUSY=<logical id>[,...] - those chips show AICore load and a process.
* SUITE_DOUBLE_NPU_BOARD_FAIL=1 - the board query fails (exit 2).
* SUITE_DOUBLE_DRIVER_VERSION.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass

W1, W2, W3 = 19, 17, 54
# The chip when SUITE_DOUBLE_NPU_NAME is unset. Not 310B1: VGG16 and VGG19 publish 310B1 floors.
DEFAULT_NPU_NAME = "310B4"


@dataclass(frozen=True)
class Chip:
    logical: int
    host: int  # physical id (/dev/davinci<host> on the host)
    npu: int
    chip: int


def _ids(name: str) -> list[int]:
    return [int(x) for x in os.environ.get(name, "").split(",") if x.strip()]


def family(name: str) -> str:
    if re.fullmatch(r"(Ascend)?910_\d+", name):
        return "a3"
    return "910b" if name.startswith("910B") else "310"


def chips(name: str) -> list[Chip]:
    hosts = _ids("SUITE_DOUBLE_NPU_HOST_IDS") or list(range(int(os.environ.get("SUITE_DOUBLE_NPU_COUNT", "2"))))
    if family(name) == "a3":  # two dies per NPU: Phy-ID p is NPU p // 2, chip p % 2
        return [Chip(i, h, h // 2, h % 2) for i, h in enumerate(hosts)]
    return [Chip(i, h, h, 0) for i, h in enumerate(hosts)]


def row(a, b, c):
    return f"|{a:<{W1}}|{b:<{W2}}|{c:<{W3}}|"


def table(name: str, driver: str, busy: set[int]) -> str:
    kind = family(name)
    shown = "Ascend910" if kind == "a3" else name
    id_header = {"310": "Device", "910b": "", "a3": "Phy-ID"}[kind]
    sep = "+" + "-" * W1 + "+" + "-" * W2 + "+" + "-" * W3 + "+"
    dsep = "+" + "=" * W1 + "+" + "=" * W2 + "+" + "=" * W3 + "+"
    width = W1 + W2 + W3 + 2
    memory_header = " AICore(%)    Memory-Usage(MB)" + ("  HBM-Usage(MB)" if kind != "310" else "")
    lines = ["+" + "-" * width + "+",
             f"| {'npu-smi ' + driver:<37}{'Version: ' + driver:<{width - 38}}|",
             sep,
             row(" NPU     Name", " Health", " Power(W)     Temp(C)           Hugepages-Usage(page)"),
             row(f" Chip    {id_header}", " Bus-Id", memory_header),
             dsep]
    for c in chips(name):
        load = 57 if c.logical in busy else 0
        second = {"310": str(c.logical), "910b": "", "a3": str(c.host)}[kind]
        memory = (f"{1074 + 900 * (c.logical in busy)} / 21534" if kind == "310"
                  else f"0    / 0          {3400 + 9000 * (c.logical in busy)} / 65536")
        lines += [row(f" {c.npu:<8}{shown}", " OK", " 15.8         42                0    / 0"),
                  row(f" {c.chip:<8}{second}", f" 0000:{0x82 + 7 * c.host:02X}:00.0", f" {load:<13}{memory}"),
                  dsep]
    pw1 = W1 + 12
    psep = "+" + "-" * pw1 + "+" + "-" * W2 + "+" + "-" * W3 + "+"
    bar = "+" + "=" * pw1 + "+" + "=" * W2 + "+" + "=" * W3 + "+"
    lines += [psep, f"| {'NPU     Chip':<{pw1 - 1}}| {'Process id':<{W2 - 1}}| {'Process name':<25}| "
                    f"{'Process memory(MB)':<{W3 - 28}}|", bar]
    for npu in sorted({c.npu for c in chips(name)}):  # one block per NPU, as the real table
        running = [c for c in chips(name) if c.npu == npu and c.logical in busy]
        for c in running:
            lines.append(f"| {c.npu:<8}{c.chip:<{pw1 - 9}}| {4242 + c.logical:<{W2 - 1}}| {'/usr/bin/python':<25}| "
                         f"{113:<{W3 - 28}}|")
        if not running:
            lines.append(f"| {'No running processes found in NPU ' + str(npu):<{pw1 + W2 + W3 + 1}}|")
        lines.append(bar)
    return "\n".join(lines)


def chip_map(name: str) -> str:
    """``npu-smi info -m``: the A3 layout adds ``Chip Phy-ID``; every NPU has an Mcu row."""
    a3 = family(name) == "a3"
    label = "Ascend " + ("910" if a3 else name)
    cols = ["NPU ID", "Chip ID", "Chip Logic ID"] + (["Chip Phy-ID"] if a3 else []) + ["Chip Name"]
    lines = ["\t" + "".join(f"{c:<31}" for c in cols)]
    listed = chips(name)
    for c in listed:
        lines.append("\t" + "".join(f"{v:<31}" for v in [c.npu, c.chip, c.logical] + ([c.host] if a3 else []))
                     + label)
        if c is listed[-1] or listed[listed.index(c) + 1].npu != c.npu:
            mcu_chip = 2 if a3 else 1
            lines.append("\t" + "".join(f"{v:<31}" for v in [c.npu, mcu_chip, "-"] + (["-"] if a3 else [])) + "Mcu")
    return "\n".join(lines)


def board(name: str, npu: int, chip: int) -> str | None:
    """``npu-smi info -t board -i N -c M``: A2/310 print ``Chip Type`` + ``Chip Name``,
    A3 ``NPU Name`` + ``Chip Name : Ascend910``."""
    if not any(c.npu == npu and c.chip == chip for c in chips(name)):
        return None
    fields = [("NPU ID", npu)]
    if family(name) == "a3":
        fields += [("NPU Name", name.split("_")[1]), ("Chip ID", chip), ("Chip Name", "Ascend910")]
    else:
        fields += [("Chip ID", chip), ("Chip Type", "Ascend"), ("Chip Name", name)]
    return "\n".join(f"        {k:<31}: {v}" for k, v in fields)


def _option(argv: list[str], flag: str) -> int | None:
    if flag in argv and argv.index(flag) + 1 < len(argv) and argv[argv.index(flag) + 1].isdigit():
        return int(argv[argv.index(flag) + 1])
    return None


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name = os.environ.get("SUITE_DOUBLE_NPU_NAME", DEFAULT_NPU_NAME)
    if argv == ["info"]:
        busy = set(_ids("SUITE_DOUBLE_NPU_BUSY"))
        print(table(name, os.environ.get("SUITE_DOUBLE_DRIVER_VERSION", "23.0.3"), busy))
        return 0
    if argv == ["info", "-m"]:
        print(chip_map(name))
        return 0
    if argv[:3] == ["info", "-t", "board"]:
        npu, chip = _option(argv, "-i"), _option(argv, "-c")
        text = board(name, npu, chip) if npu is not None and chip is not None else None
        if os.environ.get("SUITE_DOUBLE_NPU_BOARD_FAIL"):
            print("dcmi get board info failed, ret = -8005", file=sys.stderr)
            return 2
        if text is None:
            print(f"The device or chip does not exist: -i {npu} -c {chip}", file=sys.stderr)
            return 2
        print(text)
        return 0
    print("Usage: npu-smi info [-m | -t board -i <npu> -c <chip>] (the subcommands the double implements)",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
