"""A markdown summary for CI logs: gate outcome, guide x stage table, diff, failures."""
from __future__ import annotations

from pathlib import Path

from harness.report import ReportData, comparison_rows, fmt


def _esc(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _guide_stage_row(data: ReportData, guide: str) -> str:
    row = []
    for s in data.stages:
        c = data.cells.get((guide, s))
        text = c.text() if c else "-"
        row.append(f"**{text}**" if c and c.status in ("fail", "inconclusive") else text)
    return f"| {guide} | " + " | ".join(row) + " |"


def _guide_stage_table(data: ReportData) -> list[str]:
    """One table, or with several families one per family under a heading that counts its
    guides and failures (``### imagenet-classification: 20 guides, 1 failing``), failing
    guides first: a failure among twenty members stays in sight."""
    header = ["| guide | " + " | ".join(data.stages) + " |", "|---|" + "---|" * len(data.stages)]
    out: list[str] = []
    for title, members in data.groups:
        if len(data.groups) > 1:
            out += ([""] if out else []) + [f"### {title}", ""]
        out += header + [_guide_stage_row(data, g) for g in members]
    return out


def render(data: ReportData, max_rows: int = 200) -> str:
    out = [f"# {data.title}", ""]
    if data.interrupted:
        out += [f"**{data.interrupted}**: the verdicts below are partial.", ""]
    if not data.provenance:
        out += ["Provenance unknown (rendered from a results file).", ""]
    hosts = data.provenance.get("hosts")
    if hosts:  # a run merged from the runs of several hosts (harness.merge)
        out += [f"Merged from {len(hosts)} runs: " + ", ".join(
            f"{h.get('label')} ({(h.get('provenance') or {}).get('host') or 'host unknown'})" for h in hosts), ""]
    if data.gate:
        label = (data.baseline_meta or {}).get("label", "baseline")
        out += [f"**Upgrade gate: {data.gate.upper()}** (vs {label})", ""]
    out += ["## Guide x stage", ""]
    out += _guide_stage_table(data) if data.guides else ["no test of a guide finished"]
    if data.gate:
        out += ["", "## Upgrade diff", "", "| outcome | guide | where | check | current | baseline | message |",
                "|---|---|---|---|---|---|---|"]
        rows = [c for c in comparison_rows(data) if c.outcome != "pass"] or comparison_rows(data)
        for c in rows[:max_rows]:
            out.append(f"| {c.outcome.upper() if c.outcome in ('fail', 'inconclusive') else c.outcome} | "
                       f"{c.guide} | {c.key} | {_esc(c.check)} | {fmt(c.current)} | {fmt(c.baseline)} | "
                       f"{_esc(c.message)} |")
        passed = sum(1 for c in data.comparisons if c.outcome == "pass")
        if rows is not comparison_rows(data) and passed:
            out.append(f"\n{passed} comparisons passed (listed in the HTML report).")
    if data.throughput:
        out += ["", "## Throughput (median samples/s per device, spread)", ""]
        for (guide, backend, chip), pts in sorted(data.throughput.items(), key=lambda kv: str(kv[0])):
            cells = ", ".join(f"bs{bs} {fmt(p[0])} ±{(p[1] or 0):.1%}" for bs, p in sorted(pts.items()))
            out.append(f"- {guide} {backend} {chip}: {cells}")
    out += ["", "## Failures and inconclusive verdicts", ""]
    if not data.problems:
        out.append("none")
    for p in data.problems[:max_rows]:
        where = " ".join(str(x) for x in (p.get("backend"), p.get("chip"),
                                          f"bs{p['batch_size']}" if p.get("batch_size") else None) if x)
        out.append(f"- **{(p.get('verdict') or p.get('outcome', '')).upper()}** {p.get('guide', '')} "
                   f"{p.get('stage', '')} {p.get('check') or p.get('nodeid', '')} {where}: "
                   f"{_esc(p.get('message', ''))}")
    return "\n".join(out) + "\n"


def write(data: ReportData, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return path
