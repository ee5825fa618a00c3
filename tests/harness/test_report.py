"""Reports (harness/report): the HTML holds the table, the plots and the diff; markdown too."""
from __future__ import annotations

import base64
import re

from harness.report import build, html, markdown
from tests.harness.report_fixtures import planted_runs


def test_html_report_is_self_contained_with_table_plots_and_diff():
    current, baseline = planted_runs()
    data = build(current, baseline)
    assert data.gate == "fail"
    text = html.render(data)
    assert 'id="guide-stage"' in text and "<th>dpn131</th>" in text and "<th>transpose</th>" in text
    assert re.search(r'<td class="fail">fail 1</td>', text)
    assert re.search(r'<td class="inconclusive">inconclusive 1</td>', text)
    assert "gate: FAIL" in text
    # the diff names the regression, the accuracy drop, the flip and the noisy side
    assert "throughput regression: median 240.00 vs baseline 310.00" in text
    assert "top1 dropped: top1 78.2 vs baseline 79.43" in text
    assert "img002" in text and "current side (spread 35.0%" in text
    # one throughput plot, embedded as a real PNG; nothing loaded from elsewhere
    pngs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(pngs) == 1 and base64.b64decode(pngs[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r'(src|href)="(https?:)?//', text)


def test_markdown_summary_for_ci_logs():
    current, baseline = planted_runs()
    text = markdown.render(build(current, baseline, plots=False))
    assert "**Upgrade gate: FAIL** (vs cann-8.0)" in text
    assert "| dpn131 | pass 2 | - | **fail 1** | **inconclusive 1** |" in text
    assert "| FAIL | dpn131 | ascend Ascend310P3 bs16 | baseline throughput | 240 | 310 |" in text
    assert "| INCONCLUSIVE | dpn131 | ascend Ascend310P3 bs4 | baseline throughput |" in text


def test_report_cli_renders_after_the_fact(tmp_path, capsys):
    from harness.report.__main__ import main
    from harness.runs import write_run

    current, baseline = planted_runs()
    cur = write_run(tmp_path / "cann-8.1.json", current.meta, current.records)
    base = write_run(tmp_path / "cann-8.0.json", baseline.meta, baseline.records)
    status = main([str(cur), "--baseline", str(base), "--html", str(tmp_path / "r.html"),
                   "--markdown", str(tmp_path / "r.md")])
    assert status == 1  # the gate fails
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert "Upgrade gate: FAIL" in (tmp_path / "r.md").read_text()
    assert main([str(cur)]) == 0 and "Guide x stage" in capsys.readouterr().out


def _results_jsonl(path, records):
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_a_results_jsonl_renders_with_provenance_unknown(tmp_path):
    """A plain results file has records but no provenance: the report says so (it used
    to stop on the missing git revision)."""
    from harness.report.__main__ import main
    from tests.harness import gate_records as make

    current, _ = planted_runs()
    jsonl = _results_jsonl(tmp_path / "results.jsonl", current.records)
    assert main([str(jsonl), "--html", str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md")]) == 0
    text = (tmp_path / "r.html").read_text()
    assert "provenance unknown" in text and 'id="guide-stage"' in text and "data:image/png;base64," in text
    assert "Provenance unknown" in (tmp_path / "r.md").read_text()
    # a baseline given as .jsonl renders too
    base = _results_jsonl(tmp_path / "base.jsonl", [make.throughput(bs=1, median=150.0, chip="Ascend310P3",
                                                                    backend="ascend")])
    assert main([str(jsonl), "--baseline", str(base), "--html", str(tmp_path / "u.html"), "--markdown",
                 str(tmp_path / "u.md")]) == 0


def test_measured_throughput_is_its_own_cell_not_a_skip():
    from harness.runs import Run
    from tests.harness import gate_records as make

    measured = dict(make.throughput(bs=1), check="throughput floor cpu", verdict="measured")
    tests = [{"nodeid": "t::thr[bs1]", "guide": "dpn131", "stage": "throughput", "outcome": "measured"},
             {"nodeid": "t::acc", "guide": "dpn131", "stage": "throughput", "outcome": "skipped"}]
    data = build(Run(None, {"label": "cpu", "tests": tests}, [make.throughput(bs=1), measured]), plots=False)
    assert data.cells[("dpn131", "throughput")].text() == "measured 1, skip 1"
    assert '<td class="measured">measured 1, skip 1</td>' in html.render(data)
    assert "| dpn131 | measured 1, skip 1 |" in markdown.render(data)
    records_only = build(Run(None, {"label": "cpu"}, [make.throughput(bs=1), measured]), plots=False)
    assert records_only.cells[("dpn131", "throughput")].text() == "measured 1"


def test_an_interrupted_run_is_headlined(tmp_path):
    from harness.runs import Run

    current, _ = planted_runs()
    meta = dict(current.meta, interrupted={"reason": "SIGTERM", "finished": 3, "selected": 10})
    data = build(Run(None, meta, current.records), plots=False)
    assert "**INTERRUPTED after 3 of 10 tests (SIGTERM)**" in markdown.render(data)
    assert "INTERRUPTED after 3 of 10 tests (SIGTERM)" in html.render(data)
    # from a results file alone: its "run interrupted" record
    note = {"guide": "", "stage": "run", "check": "run interrupted", "verdict": "fail",
            "message": "INTERRUPTED after 1 of 4 tests (SIGINT (Ctrl-C))"}
    jsonl = _results_jsonl(tmp_path / "results.jsonl", current.records + [note])
    from harness.report.__main__ import main

    assert main([str(jsonl), "--markdown", str(tmp_path / "r.md")]) == 2
    text = (tmp_path / "r.md").read_text()
    assert text.count("INTERRUPTED after 1 of 4 tests") == 2  # headline and the failures list
    assert "| run |" not in text  # a note about the run is no guide row
    # interrupted before any test finished: no table, a sentence
    empty = markdown.render(build(Run(None, {"label": "x", "interrupted": {"reason": "SIGTERM", "finished": 0,
                                                                          "selected": 4}}, [note]), plots=False))
    assert "no test of a guide finished" in empty and "| guide |" not in empty


def test_rendered_later_the_gate_keeps_the_scope_the_run_was_gated_with(tmp_path):
    """A run gated with --gate-scope selected records its selection; the report rendered
    from it narrows the baseline the same way (strict on request: the missing verdict fails)."""
    from harness.report.__main__ import main
    from harness.runs import write_run
    from tests.harness import gate_records as make

    base = write_run(tmp_path / "base.json", {"label": "8.0"}, [make.throughput(bs=1), make.throughput(bs=8)])
    meta = {"label": "8.1", "gate": {"scope": "selected"},
            "selection": [{"guide": "dpn131", "stage": "throughput", "backend": "onnxruntime", "batch_size": 1,
                           "tier": "synthetic"}]}
    cur = write_run(tmp_path / "cur.json", meta, [make.throughput(bs=1)])
    assert main([str(cur), "--baseline", str(base), "--markdown", str(tmp_path / "r.md")]) == 0
    assert main([str(cur), "--baseline", str(base), "--gate-scope", "strict", "--markdown",
                 str(tmp_path / "s.md")]) == 1
    assert "| missing | dpn131 | onnxruntime cpu bs8 |" in (tmp_path / "s.md").read_text()


def _outcomes_run(names, failing: set):
    """A recorded run's test outcomes for ``names``: export passes, accuracy fails for ``failing``."""
    from harness.runs import Run

    tests = []
    for name in names:
        tests += [{"nodeid": f"{name}::export", "guide": name, "stage": "export", "outcome": "passed"},
                  {"nodeid": f"{name}::accuracy", "guide": name, "stage": "accuracy",
                   "outcome": "failed" if name in failing else "passed"}]
    return Run(None, {"label": "nightly", "tests": tests}, [])


def test_reports_group_rows_by_family_with_failing_guides_first():
    """With 25+ guides the HTML and markdown tables order rows as the terminal table does
    (harness.guide_groups): hand-written guides, then each family under a heading that
    counts guides and failures, failing guides first within a group."""
    from harness import guides
    from harness.guides import imagenet_family

    failing = {"vgg19", "resnet101", "transpose"}
    data = build(_outcomes_run(guides.names(), failing), plots=False)  # every registered guide
    hand, family = sorted(guides.hand_written_names()), sorted(guides.families()[imagenet_family.FAMILY])
    assert len(data.guides) >= 25 and len(family) >= 20
    expected = [(f"guides: {len(hand)} guides, 1 failing", ["transpose"] + [g for g in hand if g != "transpose"]),
                (f"{imagenet_family.FAMILY}: {len(family)} guides, 2 failing",
                 ["resnet101", "vgg19"] + [g for g in family if g not in failing])]
    assert data.groups == expected
    assert data.guides == expected[0][1] + expected[1][1]

    md = markdown.render(data)
    headings = [line for line in md.splitlines() if line.startswith("### ")]
    assert headings == [f"### {title}" for title, _ in expected]
    md_rows = [line.split(" | ")[0][2:] for line in md.splitlines() if line.startswith("| ")
               and not line.startswith("| guide |")]
    assert md_rows == data.guides
    assert "| resnet101 | pass 1 | **fail 1** |" in md

    text = html.render(data)
    heads = re.findall(r'<tr class="group"><th colspan="3">([^<]+)</th></tr>', text)
    assert heads == [title for title, _ in expected]
    table = text[text.index('id="guide-stage"'):text.index("</table>", text.index('id="guide-stage"'))]
    assert re.findall(r"<tr><th>([a-z0-9_]+)</th>", table) == ["guide"] + data.guides


def test_one_group_needs_no_heading():
    """As in the terminal table, a run of one group shows its rows without a title."""
    data = build(_outcomes_run(["pamtri", "dpn131"], {"pamtri"}), plots=False)
    assert data.groups == [("guides: 2 guides, 1 failing", ["pamtri", "dpn131"])]
    assert "###" not in markdown.render(data) and 'class="group"' not in html.render(data)
