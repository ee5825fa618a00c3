"""One self-contained HTML file (Jinja2; inline CSS and inline PNG plots, no external URL)."""
from __future__ import annotations

import datetime as _dt
import json
import math
from collections import Counter
from pathlib import Path

from harness.report import ReportData, comparison_rows, fmt
from harness.secrets import mask_deep

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _pct(v) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.1%}"


def render(data: ReportData) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)
    template = env.get_template("report.html.j2")
    counts = Counter(c.outcome for c in data.comparisons)
    return template.render(
        d=data, prov=data.provenance, comparisons=comparison_rows(data), groups=data.groups,
        counts={k: counts.get(k, 0) for k in ("pass", "fail", "inconclusive", "new", "missing")},
        fmt=fmt, pct=_pct, pretty=lambda o: json.dumps(mask_deep(o), indent=1, sort_keys=True, default=str),
        when=lambda ts: _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S"))


def write(data: ReportData, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data), encoding="utf-8")
    return path
