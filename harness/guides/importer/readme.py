"""Reading a ModelZoo README (Markdown, mixed Chinese and English) into located facts.

Every fact keeps the heading of the README section it was read from (``Located``), so the
draft record can cite it. Nothing here guesses: a table whose columns cannot be told apart
yields nothing, and the draft then holds a ``Gap`` for it.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Optional

NUMBER = r"(\d+(?:\.\d+)?)"


@dataclass(frozen=True)
class Located:
    """A value and the README section (its heading text) it came from."""

    value: Any
    section: str
    text: str = ""  # the line or table row, for the reviewer


@dataclass
class Line:
    text: str
    section: str
    in_code: bool


@dataclass
class Readme:
    lines: list[Line] = field(default_factory=list)

    def text_lines(self, code: Optional[bool] = None) -> list[Line]:
        return [ln for ln in self.lines if code is None or ln.in_code == code]


def parse(text: str) -> Readme:
    """Split a README into lines, each tagged with its innermost heading and whether it
    sits in a fenced code block (backslash continuations joined, as a shell would)."""
    out, section, in_code, pending = Readme(), "(before the first heading)", False, ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("```"):
            if pending:  # a continuation that runs into the closing fence still ends there
                out.lines.append(Line(pending.strip(), section, in_code))
                pending = ""
            in_code = not in_code
            continue
        if not in_code:
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", stripped)
            if m:
                heading = re.sub(r"<[^>]*>", "", m.group(1))  # anchors such as <a name="..."></a>
                section = re.sub(r"[*_`]", "", heading).strip() or section
                continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        out.lines.append(Line(pending + stripped, section, in_code))
        pending = ""
    return out


# -- tables ------------------------------------------------------------------------
@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    section: str


def tables(readme: Readme) -> list[Table]:
    """Markdown pipe tables (header row, separator row, body rows)."""
    found, block = [], []
    for ln in readme.lines + [Line("", "", False)]:
        if not ln.in_code and ln.text.startswith("|"):
            block.append(ln)
            continue
        if len(block) >= 3 and re.fullmatch(r"\|?[\s:|-]+\|?", block[1].text):
            cells = [_cells(b.text) for b in block]
            found.append(Table(cells[0], [c for c in cells[2:] if any(c)], block[0].section))
        block = []
    return found


def html_tables(readme: Readme) -> list[Table]:
    """``<table>`` blocks outside code (some guides write their results as HTML), with
    ``rowspan`` cells repeated into the rows they span."""
    found, block, section = [], None, ""
    for ln in readme.lines:
        if ln.in_code:
            continue
        if "<table" in ln.text:
            block, section = [], ln.section
        if block is not None:
            block.append(ln.text)
        if "</table>" in ln.text and block is not None:
            rows = _html_rows(" ".join(block))
            if len(rows) >= 2:
                found.append(Table(rows[0], rows[1:], section))
            block = None
    return found


def _html_rows(html: str) -> list[list[str]]:
    rows, spans = [], {}  # column -> (cell text, rows still to fill)
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S | re.I):
        cells = re.findall(r"<t[hd]([^>]*)>(.*?)</t[hd]>", tr, re.S | re.I)
        row, col = [], 0
        for attrs, text in cells:
            while col in spans:
                row.append(_take_span(spans, col))
                col += 1
            value = re.sub(r"<[^>]+>", "", text).strip()
            span = re.search(r'rowspan\s*=\s*"?(\d+)', attrs)
            if span and int(span.group(1)) > 1:
                spans[col] = (value, int(span.group(1)) - 1)
            row.append(value)
            col += 1
        while col in spans:
            row.append(_take_span(spans, col))
            col += 1
        rows.append(row)
    return rows


def _take_span(spans: dict, col: int) -> str:
    value, left = spans[col]
    if left <= 1:
        del spans[col]
    else:
        spans[col] = (value, left - 1)
    return value


def _cells(row: str) -> list[str]:
    parts = row.strip().strip("|").split("|")
    return [re.sub(r"<br\s*/?>", " ", p).replace("*", "").strip() for p in parts]


# -- atc command lines -------------------------------------------------------------
@dataclass(frozen=True)
class AtcLine:
    flags: dict
    section: str
    text: str


def atc_lines(readme: Readme, extra_texts: dict[str, str] = None) -> list[AtcLine]:
    """Every ``atc`` invocation in the README's code blocks and in the guide's shell
    scripts (``extra_texts``: file name -> text), flags as a dict."""
    sources = [(ln.text, ln.section) for ln in readme.lines if ln.in_code]
    for name, text in (extra_texts or {}).items():
        sources += [(ln.text, name) for ln in parse("```\n" + text + "\n```").text_lines()]
    out = []
    for text, section in sources:
        m = re.search(r"(?:^|[\s;&/])atc\s+(--.*)$", text)
        if m:
            out.append(AtcLine(_flags(m.group(1)), section, text.strip()))
    return out


def _flags(arg_text: str) -> dict:
    try:
        words = shlex.split(arg_text, comments=False)
    except ValueError:
        words = arg_text.split()
    flags, key = {}, None
    for w in words:
        if w.startswith("--"):
            key, _, val = w[2:].partition("=")
            key = key.replace("-", "_")  # some READMEs write --input-shape for atc's --input_shape
            flags[key] = val if _ else ""
        elif key is not None and flags[key] == "":
            flags[key] = w
    return flags


# -- accuracy -----------------------------------------------------------------------
_TOP = {
    "top1": r"(?:top[-\s]?1|acc@1|top1acc|acc1)",
    "top5": r"(?:top[-\s]?5|acc@5|top5@?acc|acc5)",
}
_OFFICIAL = re.compile(r"开源|官网|官方|official|标杆|参考精度|github|paper|论文|pytorch", re.I)


def accuracy(readme: Readme) -> dict[str, dict[str, list[Located]]]:
    """{"npu"|"official": {"top1"|"top5": [Located percent, ...]}} from result.json
    excerpts, ``Acc@1`` style text tables and Markdown tables."""
    found: dict[str, dict[str, list[Located]]] = {"npu": {}, "official": {}}

    def add(kind, metric, value, section, text):
        value = float(value)
        if value <= 1.0:  # a fraction (VGG16's table prints 0.7128): the suite speaks percent
            value, text = round(value * 100, 6), f"{text} (a fraction, read as {value * 100:g}%)"
        found[kind].setdefault(metric, []).append(Located(value, section, text))

    for ln in readme.lines:
        for metric, key in (("top1", "Top1 accuracy"), ("top5", "Top5 accuracy")):
            m = re.search(r'"key":\s*"' + key + r'",\s*"value":\s*"' + NUMBER + '%?"', ln.text)
            if m:
                add("npu", metric, m.group(1), ln.section, _short(ln.text, m))
    for table in tables(readme) + html_tables(readme):
        _table_accuracy(table, add)
    _official_text_tables(readme, add)
    return found


def _table_accuracy(table: Table, add) -> None:
    header = [h.lower() for h in table.header]
    for row in table.rows:
        row_text = " ".join(row)
        kind_of_row = "official" if _OFFICIAL.search(row[0] if row else "") else None
        for i, cell in enumerate(row):
            head = header[i] if i < len(header) else ""
            kind = kind_of_row or ("official" if _OFFICIAL.search(head) else "npu")
            for metric, pattern in _TOP.items():
                for m in re.finditer(pattern + r"\s*[:：=]\s*" + NUMBER, cell, re.I):
                    add(kind, metric, m.group(1), table.section, row_text)
                for m in re.finditer(NUMBER + r"\s*%?\s*/\s*" + pattern, cell, re.I):
                    add(kind, metric, m.group(1), table.section, row_text)
                if re.search(pattern, head, re.I) and not re.search(pattern, cell, re.I):
                    m = re.fullmatch(r"\[?" + NUMBER + r"\s*%?\]?(?:\(.*\))?", cell)
                    if m:
                        add(kind, metric, m.group(1), table.section, row_text)


def _official_text_tables(readme: Readme, add) -> None:
    """torchvision-style listings in code blocks: a header line ``Model Acc@1 Acc@5`` and
    a row ``ResNet-18 69.758 89.078`` (the open-source numbers)."""
    lines = readme.lines
    for i, ln in enumerate(lines[:-1]):
        if ln.in_code and re.search(r"acc@1\s+acc@5", ln.text, re.I) and lines[i + 1].in_code:
            m = re.search(NUMBER + r"%?\s+" + NUMBER + r"%?\s*$", lines[i + 1].text)
            if m:
                add("official", "top1", m.group(1), ln.section, lines[i + 1].text)
                add("official", "top5", m.group(2), ln.section, lines[i + 1].text)


def _short(text: str, m) -> str:
    return text[max(0, m.start() - 10):m.end() + 10]


def accuracy_tolerance(readme: Readme) -> Optional[Located]:
    """The guide's stated accuracy rule, e.g. '精度下降在1%范围之内' -> 1.0 (points)."""
    for ln in readme.lines:
        m = re.search(r"(?:下降|差距|误差|相差)[^0-9。，,]{0,8}" + NUMBER + r"\s*%", ln.text)
        if m:
            return Located(float(m.group(1)), ln.section, ln.text.strip())
    return None


# -- other facts --------------------------------------------------------------------
def checkpoint(readme: Readme) -> dict[str, Located]:
    """The weights links in the README (``url``: the first, ``links``: all) and an MD5."""
    out = {}
    for ln in readme.lines:
        for m in re.finditer(r"(https?://[^\s)\"'>]+?\.(?:pth\.tar|pth|pt|tar|ckpt))(?=[\s)\"'>]|$)", ln.text):
            link = Located(_unwrap_link(m.group(1)), ln.section, ln.text.strip())
            out.setdefault("url", link)
            out.setdefault("links", []).append(link)
        if "md5" not in out:
            m = re.search(r"md5[^0-9a-f]{0,12}([0-9a-f]{32})\b", ln.text, re.I)
            if m:
                out["md5"] = Located(m.group(1), ln.section, ln.text.strip())
    return out


def _unwrap_link(url: str) -> str:
    """Gitee wraps outside links as ``https://gitee.com/link?target=<quoted url>``."""
    from urllib.parse import parse_qs, urlparse

    parsed = urlparse(url)
    target = parse_qs(parsed.query).get("target") if parsed.path.endswith("/link") else None
    return target[0] if target else url


def command_args(readme: Readme, script: str) -> Optional[Located]:
    """The arguments of the first ``python ... <script>`` command in a code block."""
    for ln in readme.lines:
        m = re.search(r"python[\d.]*\s+(?:\S*/)?" + re.escape(script) + r"\s+(.*)$", ln.text)
        if m and ln.in_code:
            return Located(m.group(1).split(), ln.section, ln.text.strip())
    return None


def runner(readme: Readme) -> Optional[Located]:
    """Which inference tool the guide runs (the first one its code blocks call)."""
    for ln in readme.text_lines(code=True):
        for pattern, name in ((r"benchmark\.(?:x86_64|aarch64)", "benchmark"), (r"-m\s+ais_bench", "ais_bench"),
                              (r"ais_infer\.py", "ais_infer"), (r"msit\s+benchmark", "msit")):
            if re.search(pattern, ln.text):
                return Located(name, ln.section, ln.text.strip())
    return None


def title(readme: Readme, fallback: str) -> str:
    """The README's first heading (e.g. 'ResNet18 Onnx模型端到端推理指导')."""
    return next((ln.section for ln in readme.lines if ln.section != "(before the first heading)"), fallback)
