"""Writing a ``Draft`` as a member module of the ImageNet classification family.

The module has the shape of ``harness/guides/imagenet_family/members/*.py``: one ``MEMBER``
whose every value carries a comment naming the README section or script it came from;
what the importer could not read is a ``Gap("...")`` (the record refuses to build while
one remains).
"""
from __future__ import annotations

from harness.guides.importer.draft import Draft, Value, batch_sizes

HEADER = '''"""DRAFT guide record imported from {folder} by harness.guides.importer.

{title}

Review every value against the guide's README and scripts before use; each comment names
the README section (or script) the value was read from. Every Gap("...") must be filled:
the record refuses to build while one remains.{notes}
"""
from harness.ascend.runners import INTERFACE, PURE_INFER, STATISTIC  # noqa: F401
from harness.guides.base import (  # noqa: F401
    AcceptanceRule, AtcSettings, CheckpointSpec, ExportSettings, Gap, Reference, Source, ThroughputFloor,
)
from harness.guides.imagenet_family.member import Member
from harness.models.classification import LibraryModel  # noqa: F401
from harness.preprocess.imagenet import ClassificationPreprocess  # noqa: F401

README = {readme!r}

'''


def render(draft: Draft) -> str:
    notes = "".join(f"\n\n- {n}" for n in draft.notes) if draft.notes else ""
    if notes:
        notes = "\n\nFrom the import:" + notes
    out = [HEADER.format(folder=draft.folder, title=draft.title, notes=notes.replace('"""', "'''"),
                         readme=f"{draft.folder}/README.md")]
    runner = draft.fields.get("runner")
    out.append("MEMBER = Member(\n")
    out.append(f"    name={draft.name!r},\n    title={draft.title!r},\n    folder={draft.folder!r},\n")
    for key in ("model", "checkpoint", "preprocess", "export", "input_name", "output_name", "atc", "runner"):
        out.append(_field(key, draft.fields.get(key, f"{key}: not read")))
    out.append(f"    batch_sizes={batch_sizes(draft)!r},\n")
    out.append("    references=(\n")
    for ref in draft.references or ["no accuracy found in the README"]:
        out.append(_item(ref))
    out.append("    ),\n    floors=(\n")
    statistic = f"STATISTIC[{runner.code}]" if isinstance(runner, Value) else \
        "Gap('statistic: which runner published this figure?')"
    for floor in draft.floors:
        npu = floor.code.startswith("ThroughputFloor('Ascend")
        out.append(_item(Value(floor.code.replace("STATISTIC[RUNNER]", statistic if npu else "''"), floor.source)))
    out.append("    ),\n")
    if draft.acceptance:
        out.append("    acceptance=(\n")
        out += [_item(rule) for rule in draft.acceptance]
        out.append("    ),\n")
    if draft.patches:
        names = tuple(p.split(":", 1)[0] for p in draft.patches)
        out.append(f"    patches={names!r},\n    departures=(\n")
        for p in draft.patches:
            out.append(f"        Gap({p!r}),\n")
        out.append("    ),\n")
    out.append(")\n")
    return "".join(out)


def _field(key: str, value) -> str:
    if isinstance(value, Value):
        comment = f"  # {value.source}" if value.source else ""
        return f"    {key}={value.code},{comment}\n"
    return f"    {key}=Gap({value!r}),\n"


def _item(value) -> str:
    if isinstance(value, Value):
        return f"        {value.code},  # {value.source}\n"
    return f"        Gap({value!r}),\n"
