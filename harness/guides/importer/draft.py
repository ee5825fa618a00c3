"""From one ModelZoo guide folder to a draft family member, every value located or a gap.

``read_folder`` collects what the README and the scripts state (``harness.guides.importer.
readme`` and ``.scripts``); ``Draft`` holds each field either as a value with the README
section (or script) it came from, or as a ``Gap`` naming what is missing. Choices the
guide leaves open (which table row its command line uses, which of two accuracy numbers is
published) are taken only where the README itself decides them; otherwise a gap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from harness.guides.importer import perf
from harness.guides.importer import readme as rd
from harness.guides.importer import scripts as sc

DEFAULT_BATCH_SIZES = (1, 4, 8, 16, 32, 64)
PASSTHROUGH_ATC = ("op_select_implmode", "optypelist_for_implmode", "enable_small_channel",
                   "op_precision_mode", "out_nodes", "input_fp16_nodes", "output_type")


@dataclass
class Value:
    """A field of the draft: Python source for the value, and where it came from."""

    code: str
    source: str  # README section or script name ("" for the family's own default)


@dataclass
class Draft:
    name: str
    folder: str  # as cited (ACL_PyTorch/...)
    title: str
    fields: dict = field(default_factory=dict)  # field name -> Value | gap text (str)
    references: list = field(default_factory=list)  # Value | gap text
    floors: list = field(default_factory=list)  # Value
    acceptance: list = field(default_factory=list)  # Value
    patches: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def gaps(self) -> list[str]:
        out = [f"{k}: {v}" for k, v in self.fields.items() if isinstance(v, str)]
        out += [f"references: {r}" for r in self.references if isinstance(r, str)]
        out += [f"patches: {p}" for p in self.patches]
        return out


def cited_folder(folder: Path) -> str:
    """The folder as the ModelZoo repository names it (from ``ACL_PyTorch/`` on)."""
    parts = folder.resolve().parts
    if "ACL_PyTorch" in parts:
        return "/".join(parts[parts.index("ACL_PyTorch"):])
    return folder.name


def default_name(folder: Path) -> str:
    name = re.sub(r"_?(for_)?pytorch(_infer)?$", "", folder.name, flags=re.I)
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "guide"


def find_readme(folder: Path) -> Optional[Path]:
    """README.md in any letter case (some guides name it readme.md or ReadMe.md)."""
    found = sorted(p for p in Path(folder).glob("*") if p.is_file() and p.name.lower() == "readme.md")
    return found[0] if found else None


def read_folder(folder: Path, readme_file: Optional[Path] = None, name: str = "",
                cite_as: str = "") -> Draft:
    folder = Path(folder)
    readme_path = readme_file or find_readme(folder) or folder / "README.md"
    text = readme_path.read_text(encoding="utf-8", errors="replace")
    doc = rd.parse(text)
    draft = Draft(name or default_name(folder), cite_as or cited_folder(folder), rd.title(doc, folder.name))
    scripts = {p.name: p.read_text(encoding="utf-8", errors="replace")
               for p in sorted(folder.glob("*.py")) if p.is_file()}
    shells = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.sh"))}
    export = _export_facts(scripts)
    _model(draft, export)
    _checkpoint(draft, doc, export)
    _preprocess(draft, doc, scripts)
    _export(draft, export)
    _atc(draft, doc, shells, folder)
    _runner(draft, doc)
    _references(draft, doc)
    _floors(draft, doc)
    draft.patches = [f"{p.name}: the guide patches its model or export code; say what the suite does "
                     "about it (an export adapter or a departure)"
                     for p in sorted(folder.iterdir()) if p.suffix in (".diff", ".patch")]
    return draft


# -- model and export ----------------------------------------------------------------
def _export_facts(scripts: dict[str, str]) -> Optional[sc.ExportFacts]:
    candidates = [n for n in scripts if re.search(r"onnx|export", n, re.I)]
    found = [sc.read_export(scripts[n], n) for n in candidates]
    with_export = [f for f in found if f.opset is not None]
    return (with_export or found or [None])[0]


def _model(draft: Draft, export: Optional[sc.ExportFacts]) -> None:
    if export is None or export.model is None:
        where = export.script if export else "no export script in the folder"
        draft.fields["model"] = (f"the export script ({where}) builds its model from code outside "
                                 "torchvision/timm/pretrainedmodels: name a library model with the same "
                                 "state_dict keys, or write the model under harness/models")
        return
    lib, ctor = export.model
    kwargs = tuple(sorted((k, v) for k, v in export.model_kwargs.items() if v is not None))
    draft.fields["model"] = Value(f"LibraryModel({lib!r}, {ctor!r}, {kwargs!r})", export.script)


def _export(draft: Draft, export: Optional[sc.ExportFacts]) -> None:
    if export is None or export.opset is None:
        draft.fields["export"] = "; ".join(export.problems) if export else "no export script found"
        return
    names_in, names_out = export.input_names or [], export.output_names or []
    if names_in:
        draft.fields["input_name"] = Value(repr(names_in[0]), export.script)
    else:
        draft.fields["input_name"] = f"{export.script}: no literal input_names"
    if names_out:
        draft.fields["output_name"] = Value(repr(names_out[0]), export.script)
    else:
        draft.fields["output_name"] = f"{export.script}: no literal output_names"
    axes = export.dynamic_axes or {}
    batch_axis = next((v.get(0) for v in axes.values() if isinstance(v, dict) and 0 in v), None)
    stray = sorted(set(axes) - set(names_in) - set(names_out))
    if stray:
        draft.notes.append(f"{export.script}: dynamic_axes names {stray}, which are not export inputs or "
                           "outputs (torch ignores them)")
    dynamic = any(k in axes for k in names_in)
    args = [f"opset={export.opset}", f"dynamic_batch={dynamic}"]
    if dynamic and batch_axis is not None:
        args.append(f"batch_axis_name={str(batch_axis)!r}")
    if export.dummy in ("randn", "zeros"):
        args.append(f"dummy={export.dummy!r}")
    draft.fields["export"] = Value(f"ExportSettings({', '.join(args)})",
                                   f"{export.script} (dummy {export.dummy}{export.dummy_shape})")


# -- checkpoint ----------------------------------------------------------------------
def _checkpoint(draft: Draft, doc: rd.Readme, export: Optional[sc.ExportFacts]) -> None:
    """The file the README's export command loads; its link where the README has one. Without
    such a command, the README's first weights link (a README may link a backbone's
    ImageNet weights first: PAMTRI's, so a file named by the command wins)."""
    found = rd.checkpoint(doc)
    md5 = found.get("md5")
    md5_arg = f", md5={md5.value!r}" if md5 else ""
    md5_src = f"; md5: {md5.section}" if md5 else "; no md5 published"
    named = _exported_file(doc, export)
    if named is not None:
        link = next((u for u in found.get("links", []) if u.value.rsplit("/", 1)[-1] == named.value), None)
        url_arg = f", url={link.value!r}" if link else ""
        draft.fields["checkpoint"] = Value(f"CheckpointSpec(file_name={named.value!r}{md5_arg}{url_arg})",
                                           f"export command in {named.section}" + md5_src)
        return
    url = found.get("url")
    if url is None:
        draft.fields["checkpoint"] = "no checkpoint link (.pth/.pth.tar/.pt/.ckpt) or export command naming one"
        return
    file_name = url.value.rsplit("/", 1)[-1]
    draft.fields["checkpoint"] = Value(f"CheckpointSpec(file_name={file_name!r}{md5_arg}, url={url.value!r})",
                                       url.section + md5_src)


def _exported_file(doc: rd.Readme, export: Optional[sc.ExportFacts]) -> Optional[rd.Located]:
    if export is None:
        return None
    cmd = rd.command_args(doc, export.script)
    if cmd is None:
        return None
    for word in cmd.value:
        value = word.split("=", 1)[-1].strip("\"'")
        if re.search(r"\.(pth\.tar|pth|pt|ckpt)$", value):
            return rd.Located(value.rsplit("/", 1)[-1], cmd.section, cmd.text)
    return None


# -- preprocessing ---------------------------------------------------------------------
def _preprocess(draft: Draft, doc: rd.Readme, scripts: dict[str, str]) -> None:
    names = [n for n in scripts if re.search(r"prep|transfer", n, re.I)]
    facts = [sc.read_preprocess(scripts[n], n) for n in names]
    usable = [f for f in facts if f.configs]
    if not usable:
        problems = "; ".join(p for f in facts for p in f.problems) or "no preprocessing script in the folder"
        draft.fields["preprocess"] = problems
        return
    f = usable[0]
    if f.writes == "int8":
        draft.fields["preprocess"] = (f"{f.script} writes raw uint8 HWC bytes for an AIPP-configured model "
                                      "(normalisation on the device): not the family's float32 recipe")
        return
    row, source = _table_row(doc, f)
    if isinstance(row, str):
        draft.fields["preprocess"] = row
        return
    resize = row["resize"]
    resize = tuple(resize) if isinstance(resize, (list, tuple)) else int(resize)
    args = [f"resize={resize!r}", f"crop={int(row['centercrop'])}",
            f"mean={tuple(float(x) for x in row['mean'])!r}", f"std={tuple(float(x) for x in row['std'])!r}"]
    if f.interpolation and f.interpolation != "bilinear":
        args.append(f"interpolation={f.interpolation!r}")
    if f.crop_offsets == "floor":
        args.append("crop_offsets='floor'")
    elif f.crop_offsets is None:
        draft.fields["preprocess"] = f"{f.script}: cannot tell how the centre crop rounds its offsets"
        return
    draft.fields["preprocess"] = Value(f"ClassificationPreprocess({', '.join(args)})", source)


def _table_row(doc: rd.Readme, f: sc.PreprocessFacts):
    """The row the README's command line selects (``python <script> <key> ...`` or
    ``--model_name <key>``); a single-row script needs no key."""
    if list(f.configs) == [""]:
        return f.configs[""], f.script
    cmd = rd.command_args(doc, f.script)
    if cmd is not None:
        words = cmd.value
        keys = [w for w in words if w in f.configs]
        for i, w in enumerate(words[:-1]):
            if w.startswith("--model") and words[i + 1] in f.configs:
                keys = [words[i + 1]]
        if keys:
            return f.configs[keys[0]], f"{f.script} model_config[{keys[0]!r}] (README: {cmd.section})"
    if len(f.configs) == 1:
        key = next(iter(f.configs))
        return f.configs[key], f"{f.script} model_config[{key!r}]"
    return (f"{f.script} has rows {sorted(f.configs)} and no README command line selects one", "")


# -- atc, runner -------------------------------------------------------------------------
def _atc(draft: Draft, doc: rd.Readme, shells: dict[str, str], folder: Path) -> None:
    lines = [a for a in rd.atc_lines(doc, shells) if "input_shape" in a.flags]
    if not lines:
        draft.fields["atc"] = "no atc command line with --input_shape in the README or *.sh"
        return
    atc = lines[0]
    flags = atc.flags
    # A flag the guide's line does not pass stays unpassed (None), not the suite's default.
    args = [f"input_format={flags.get('input_format') or None!r}", f"log={flags.get('log') or None!r}"]
    if flags.get("precision_mode"):
        args.append(f"precision_mode={flags['precision_mode']!r}")
    for flag, arg in (("fusion_switch_file", "fusion_switch"), ("keep_dtype", "keep_dtype")):
        if flag in flags:
            path = folder / Path(flags[flag]).name
            if not path.is_file():
                draft.fields["atc"] = f"--{flag}={flags[flag]} ({atc.section}): file not in the guide's folder"
                return
            args.append(f"{arg}={path.read_text(encoding='utf-8')!r}")
    if "insert_op_conf" in flags:
        draft.fields["atc"] = (f"--insert_op_conf={flags['insert_op_conf']} ({atc.section}): the guide compiles "
                               "with AIPP, which the family's float32 input does not use")
        return
    extra = tuple(f"--{k}={flags[k]}" for k in PASSTHROUGH_ATC if k in flags)
    if extra:
        args.append(f"extra={extra!r}")
    draft.fields["atc"] = Value(f"AtcSettings({', '.join(args)})", atc.section)
    draft.notes.append(f"atc ({atc.section}): {atc.text}")
    shape = flags["input_shape"].strip("\"'")
    draft.notes.append(f"atc input shape {shape}; soc_version {flags.get('soc_version', '(none)')}")


def _runner(draft: Draft, doc: rd.Readme) -> None:
    found = rd.runner(doc)
    if found is None:
        draft.fields["runner"] = "no inference tool command (ais_bench, benchmark, ais_infer, msit) in the README"
    else:
        draft.fields["runner"] = Value(repr(found.value), found.section)


# -- published numbers ----------------------------------------------------------------------
def _references(draft: Draft, doc: rd.Readme) -> None:
    acc = rd.accuracy(doc)
    rule = rd.accuracy_tolerance(doc)
    for metric in ("top1", "top5"):
        npu, official = acc["npu"].get(metric, []), acc["official"].get(metric, [])
        if not npu and not official:
            if metric == "top1":
                draft.references.append("top1: no accuracy found in the README")
            continue
        described = "; ".join([f"NPU {v.value} ({v.section})" for v in _distinct(npu)]
                              + [f"open source {v.value} ({v.section})" for v in _distinct(official)])
        if official and rule is not None:
            ref = official[0]
            note = f"open source {ref.value}; NPU {npu[0].value}" if npu else f"open source {ref.value}"
            draft.references.append(Value(
                f"Reference({metric!r}, {ref.value!r}, 'higher', {rule.value!r}, "
                f"Source(README, {ref.section + '; rule: ' + rule.section!r}), "
                f"note={note + '; the guide accepts a drop within ' + format(rule.value, 'g') + ' points'!r})",
                ref.section))
        elif npu and len({v.value for v in npu}) == 1:
            ref = npu[0]
            draft.references.append(
                f"{metric}: the README publishes {described} but states no accepted drop; "
                f"choose a tolerance for {ref.value}")
        else:
            draft.references.append(f"{metric}: {described}: which one is the published figure?")


def _distinct(values: list) -> list:
    seen, out = set(), []
    for v in values:
        if v.value not in seen:
            seen.add(v.value)
            out.append(v)
    return out


def _floors(draft: Draft, doc: rd.Readme) -> None:
    seen = set()
    for t in perf.throughput(doc):
        key = (t.chip, t.batch_size)
        if key in seen:
            draft.notes.append(f"second throughput figure for {t.chip} bs{t.batch_size} ({t.fps}, {t.section}) "
                               "ignored; the first one is kept")
            continue
        seen.add(key)
        stat = {"interface": "INTERFACE", "pure_infer": "PURE_INFER"}.get(t.statistic, "STATISTIC[RUNNER]")
        draft.floors.append(Value(
            f"ThroughputFloor({t.chip!r}, {t.batch_size}, {t.fps!r}, Source(README, {t.section!r}), "
            f"{t.measured_as!r}, statistic={stat})", t.section))
    if not draft.floors:
        draft.notes.append("no throughput figures found in the README: the member has no floors")
    rule = perf.chip_comparison(doc)
    if rule is not None:
        sizes, section, text = rule
        if {("Ascend310", b) for b in sizes} | {("T4", b) for b in sizes} <= seen:
            draft.acceptance.append(Value(f"AcceptanceRule('Ascend310', 'T4', 1.0, Source(README, {section!r}), "
                                          f"at={sizes!r})", f"{section}: {text}"))
        else:
            draft.notes.append(f"{section} compares 310 and T4 at {sizes}, but not every figure it compares "
                               "was read: no acceptance rule drafted")


def batch_sizes(draft: Draft) -> tuple[int, ...]:
    found = {int(m.group(1)) for v in draft.floors for m in [re.search(r", (\d+), ", v.code)] if m}
    return tuple(sorted(set(DEFAULT_BATCH_SIZES) | found))
