"""Published throughput in a ModelZoo README, per chip and batch size, with where it was read.

Markdown and HTML results tables (one fps column, or one column per chip), and the 2021
template's performance sections as printed (``harness.guides.importer.readme`` splits the
README into located lines and tables).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from harness.guides.importer.readme import NUMBER, Readme, Table, html_tables, tables

@dataclass(frozen=True)
class Throughput:
    chip: str
    batch_size: int
    fps: float
    section: str
    measured_as: str
    statistic: str = ""  # "interface" for the legacy benchmark's Interface throughputRate


_CHIP = re.compile(r"(?:ascend)?\s*(310P3|310P|310B\d?|310|910B\d?|910|T4|A10|V100|A100)", re.I)
_PERF_HEAD = re.compile(r"性能|fps|吞吐|throughput", re.I)
_BS_HEAD = re.compile(r"batch|bs", re.I)


def throughput(readme: Readme) -> list[Throughput]:
    """Published throughput: Markdown tables (chip, batch size, fps columns) and the
    legacy benchmark's logs (``Interface throughputRate: v``, x4 per 310 card as the
    guides multiply it)."""
    return _table_throughput(readme) + _benchmark_logs(readme)


def _table_throughput(readme: Readme) -> list[Throughput]:
    out = []
    for table in tables(readme) + html_tables(readme):
        header = table.header
        perf = [i for i, h in enumerate(header) if _PERF_HEAD.search(h) and not re.search("精度|acc", h, re.I)]
        bs = [i for i, h in enumerate(header) if _BS_HEAD.search(h)]
        chip_col = next((i for i, h in enumerate(header) if re.search("芯片|chip|device|硬件", h, re.I)), None)
        if len(perf) != 1 or len(bs) != 1:
            out += _chip_column_table(table)
            continue
        for row in table.rows:
            if max(perf[0], bs[0]) >= len(row):
                continue
            b = re.match(r"\s*(\d+)", row[bs[0]])
            v = re.search(NUMBER, row[perf[0]].replace(",", ""))
            chip = _chip(row[chip_col]) if chip_col is not None and chip_col < len(row) else None
            if b and v and chip:
                out.append(Throughput(chip, int(b.group(1)), float(v.group(1)), table.section,
                                      f"README table: {header[perf[0]]}"))
    return out


def _chip_column_table(table: Table) -> list[Throughput]:
    """Tables with one column per chip and one row per batch size (``| Batch Size | 310 |
    310P | T4 | 310P/310 |`` or ``| | 310*4 | 310P |`` with rows ``bs1``...). Ratio columns
    (a '/' in the header) are not chips. ``310*4`` is already per card."""
    chips = {i: _chip(h) for i, h in enumerate(table.header)
             if "/" not in h and not re.search(r"精度|acc|top|\bAP\b|map", h, re.I) and _chip(h)}
    bs_col = next((i for i, h in enumerate(table.header) if _BS_HEAD.search(h)), 0)
    if not chips or bs_col in chips:
        return []
    out = []
    for row in table.rows:
        b = re.fullmatch(r"\s*(?:bs|batch\s*size\s*)?(\d+)\s*", row[bs_col], re.I) if len(row) > bs_col else None
        if not b:
            continue
        for i, chip in chips.items():
            v = re.fullmatch(r"\s*" + NUMBER + r"\s*(?:fps)?\s*", row[i]) if i < len(row) else None
            if v:
                out.append(Throughput(chip, int(b.group(1)), float(v.group(1)), table.section,
                                      f"README table: column {table.header[i]}"))
    return out


def _chip(cell: str) -> Optional[str]:
    m = _CHIP.search(cell.replace(" ", ""))
    if not m:
        return None
    name = m.group(1).upper()
    if name == "310P":  # the 310P series' inference chip; the suite names it Ascend310P3
        name = "310P3"
    return name if name in ("T4", "A10", "V100", "A100") else "Ascend" + name


def _benchmark_logs(readme: Readme) -> list[Throughput]:
    """The 2021 template's performance sections, as printed: the legacy benchmark's
    ``Interface throughputRate: v`` (dataset mode) and PureInfer ``ave_throughputRate: v``
    (x4 per 310 card, as the guides multiply them), trtexec's ``mean: t ms`` under a T4
    heading (1000 x batch / t), and ``batchN: v`` lists under a 310P heading. The batch size
    comes from the nearest preceding text naming one (``batch16的性能``, ``bs4``, a perf
    file name ``perf_vision_batchsize_16_device_1.txt``); the chip from the section heading."""
    out, batch, seen = [], None, set()
    interface_sections = {ln.section for ln in readme.lines if "Interface throughputRate" in ln.text}
    for ln in readme.lines:
        text = ln.text.strip()
        m = re.search(r"(?:batch[\s_]*size[\s_:=]*|batch|bs)\s*(\d+)", text, re.I)
        if m and not text.startswith("["):
            batch = int(m.group(1))
        found = _perf_figure(text, ln.section, batch, ln.section in interface_sections)
        if found is None or (found.chip, found.batch_size) in seen:
            continue
        seen.add((found.chip, found.batch_size))
        out.append(found)
    return out


def _section_chip(section: str) -> str:
    if re.search("310P", section, re.I):
        return "Ascend310P3"
    if re.search(r"(?<![A-Za-z0-9])T4(?![0-9])", section):  # also '7.2 T4性能数据'
        return "T4"
    return "Ascend310"


def _perf_figure(text: str, section: str, batch, interface_section: bool):
    """One published figure on this line, or None."""
    chip = _section_chip(section)
    listed = re.fullmatch(r"batch\s*(\d+)\s*[:：]\s*" + NUMBER + r"\s*(?:fps)?", text, re.I)
    if listed and chip == "Ascend310P3":
        stat = "interface" if interface_section else ""
        return Throughput(chip, int(listed.group(1)), float(listed.group(2)), section,
                          "benchmark Interface throughputRate" if stat else "README list", stat)
    if batch is None:
        return None
    m = re.search(r"Interface throughputRate:\s*" + NUMBER, text)
    if m and chip != "T4":
        return _npu_figure(chip, batch, float(m.group(1)), section, "benchmark Interface throughputRate", "interface")
    m = re.search(r"ave_throughputRate:\s*" + NUMBER, text)
    if m and chip != "T4":
        return _npu_figure(chip, batch, float(m.group(1)), section, "benchmark PureInfer ave_throughputRate",
                           "pure_infer")
    m = re.fullmatch(r"mean:\s*" + NUMBER + r"\s*ms", text)
    if m and chip == "T4":
        ms = float(m.group(1))
        return Throughput(chip, batch, round(1000.0 * batch / ms, 2), section, f"trtexec mean {ms:g} ms")
    return None


def _npu_figure(chip, batch, value, section, what, stat) -> Throughput:
    factor = 4 if chip == "Ascend310" else 1  # the guides report four 310 devices per card
    return Throughput(chip, batch, round(value * factor, 4), section,
                      f"{what} {value:g}" + (" x4" if factor == 4 else ""), stat)


def chip_comparison(readme: Readme):
    """The 2021 template's '性能对比' section: ``batch1：37.3972x4=149.5888 < 1000/(5.51384/1)``
    lines compare the 310 card with the T4 at those batch sizes (the template's rule: the 310
    card must not be slower). Returns (batch sizes, section, text) or None."""
    sizes, section, text = [], "", []
    for ln in readme.lines:
        if "性能对比" not in ln.section:
            continue
        m = re.match(r"batch\s*(\d+)\s*[:：].*[<>]", ln.text.strip(), re.I)
        if m:
            sizes.append(int(m.group(1)))
            section = ln.section
            text.append(ln.text.strip())
    return (tuple(sizes), section, "; ".join(text)) if sizes else None
