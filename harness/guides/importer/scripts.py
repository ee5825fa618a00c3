"""Reading a guide's Python scripts without running them (``ast`` only).

* the export script: the ``torch.onnx.export`` call's opset, input and output names,
  dynamic axes and dummy input, and which library builds the model;
* the preprocessing script: its table row (``model_config[<key>]``: resize, centercrop,
  mean, std) or the same recipe restated (``transforms.Resize``/``CenterCrop``/``Normalize``,
  module constants), the resize filter, the crop's offset rounding and the dtype written.

A value that is not a literal (computed, read from argv) is reported as missing, never
evaluated.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class ExportFacts:
    script: str
    opset: Optional[int] = None
    input_names: Optional[list] = None
    output_names: Optional[list] = None
    dynamic_axes: Optional[dict] = None
    dummy: Optional[str] = None  # "randn", "zeros", "ones", "rand"
    dummy_shape: Optional[list] = None
    model: Optional[tuple[str, str]] = None  # (library, constructor name)
    model_kwargs: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


@dataclass
class PreprocessFacts:
    script: str
    configs: dict = field(default_factory=dict)  # table key -> {resize, centercrop, mean, std}
    interpolation: Optional[str] = None
    crop_offsets: Optional[str] = None
    writes: Optional[str] = None  # "float32" or "int8" (raw bytes for AIPP)
    problems: list = field(default_factory=list)


def _literal(node) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _assignments(tree) -> dict[str, ast.AST]:
    """Last literal-looking assignment to each plain name anywhere in the module."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.value
    return out


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _resolve(node, names: dict) -> Any:
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    return _literal(node)


def read_export(source: str, script: str) -> ExportFacts:
    facts = ExportFacts(script)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        facts.problems.append(f"{script}: not Python ({exc.msg}, line {exc.lineno})")
        return facts
    names = _assignments(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = _dotted(node.func)
        if func.endswith("onnx.export"):
            _export_call(node, names, facts)
        _model_call(node, func, facts)
    if facts.opset is None:
        facts.problems.append(f"{script}: no torch.onnx.export call with a literal opset_version")
    return facts


def _export_call(node: ast.Call, names: dict, facts: ExportFacts) -> None:
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    facts.opset = _resolve(kw["opset_version"], names) if "opset_version" in kw else facts.opset
    for key, attr in (("input_names", "input_names"), ("output_names", "output_names"),
                      ("dynamic_axes", "dynamic_axes")):
        if key in kw:
            setattr(facts, attr, _resolve(kw[key], names))
    if len(node.args) >= 2:
        dummy = node.args[1]
        if isinstance(dummy, ast.Name) and dummy.id in names:
            dummy = names[dummy.id]
        if isinstance(dummy, ast.Call):
            fn = _dotted(dummy.func).rsplit(".", 1)[-1]
            if fn in ("randn", "rand", "zeros", "ones"):
                facts.dummy = fn
                facts.dummy_shape = [_literal(a) for a in dummy.args]


def _model_call(node: ast.Call, func: str, facts: ExportFacts) -> None:
    """``models.resnet18(...)``, ``models.mnasnet.mnasnet1_0(...)``, ``timm.create_model('x')``,
    ``pretrainedmodels.__dict__['x'](...)``."""
    if facts.model is not None:
        return
    kwargs = {k.arg: _literal(k.value) for k in node.keywords
              if k.arg and k.arg not in ("pretrained", "weights", "progress")}
    if func.endswith("create_model") and node.args and isinstance(_literal(node.args[0]), str):
        facts.model, facts.model_kwargs = ("timm", _literal(node.args[0])), kwargs
    elif func.startswith(("models.", "torchvision.models.")) and func.count(".") >= 1:
        facts.model, facts.model_kwargs = ("torchvision", func.rsplit(".", 1)[-1]), kwargs
    elif isinstance(node.func, ast.Subscript) and _dotted(node.func.value) == "pretrainedmodels.__dict__":
        name = _literal(node.func.slice)
        if isinstance(name, str):
            kwargs.pop("num_classes", None)
            facts.model, facts.model_kwargs = ("pretrainedmodels", name), kwargs


# -- preprocessing -------------------------------------------------------------------
_TABLE_KEYS = {"resize", "centercrop", "mean", "std"}


def read_preprocess(source: str, script: str) -> PreprocessFacts:
    facts = PreprocessFacts(script)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        facts.problems.append(f"{script}: not Python ({exc.msg}, line {exc.lineno})")
        return facts
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            value = _literal(node.value)
            if isinstance(value, dict) and _TABLE_KEYS <= set(value):
                facts.configs[""] = value  # a single flat row (RepVGG's script)
            elif isinstance(value, dict) and value and all(isinstance(v, dict) and _TABLE_KEYS <= set(v)
                                                          for v in value.values()):
                facts.configs.update(value)
    if not facts.configs:
        _timm_eval_defaults(tree, facts)
    if not facts.configs:
        _restated_recipe(tree, facts)
    facts.interpolation = _interpolation(source)
    facts.crop_offsets = "round" if "round(" in _function_source(source, tree, "center_crop") else (
        "floor" if "def center_crop" in source else ("round" if "CenterCrop" in source else None))
    facts.writes = "int8" if ("np.int8" in source or "np.uint8" in source) and "float32" not in source \
        else ("float32" if "float32" in source else None)
    if not facts.configs:
        facts.problems.append(f"{script}: no preprocessing table (resize, centercrop, mean, std) found")
    return facts


def _restated_recipe(tree, facts: PreprocessFacts) -> None:
    """The recipe without a table: ``transforms.Resize(256)``/``CenterCrop(224)``/
    ``Normalize(mean, std)`` calls, or a NumPy script's ``resize(img, input_size)`` with
    module constants and ``center_crop(img, 224, 224)``."""
    names = _assignments(tree)
    row = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fn = _dotted(node.func).rsplit(".", 1)[-1]
        args = [_resolve(a, names) for a in node.args]
        kw = {k.arg: _resolve(k.value, names) for k in node.keywords if k.arg}
        size = args[0] if fn == "Resize" and args else (args[1] if fn == "resize" and len(args) > 1 else None)
        if isinstance(size, (int, tuple, list)):
            row.setdefault("resize", list(size) if isinstance(size, (tuple, list)) else size)
        elif fn in ("CenterCrop",) and args and isinstance(args[0], int):
            row.setdefault("centercrop", args[0])
        elif fn == "center_crop" and len(args) >= 2 and isinstance(args[1], int):
            row.setdefault("centercrop", args[1])
        elif fn == "Normalize":
            mean, std = kw.get("mean", args[0] if args else None), kw.get("std", args[1] if len(args) > 1 else None)
            if mean and std:
                row.setdefault("mean", list(mean))
                row.setdefault("std", list(std))
    for key in ("mean", "std"):
        if key not in row and isinstance(_literal(names.get(key)), (list, tuple)):
            row[key] = list(_literal(names[key]))
    if _TABLE_KEYS <= set(row):
        facts.configs[""] = row


def _timm_eval_defaults(tree, facts: PreprocessFacts) -> None:
    """timm's ``transforms_imagenet_eval`` restated in the script, configured by its own
    defaults (img_size, crop_pct, mean, std): Resize(floor(img_size / crop_pct)),
    CenterCrop(img_size), ToTensor, Normalize. Only a square ``img_size`` is read."""
    import math

    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        args = node.args.args[len(node.args.args) - len(node.args.defaults):]
        defaults = {a.arg: _literal(d) for a, d in zip(args, node.args.defaults)}
        size, pct = defaults.get("img_size"), defaults.get("crop_pct")
        if isinstance(size, int) and isinstance(pct, float) and defaults.get("mean") and defaults.get("std"):
            facts.configs[""] = {"resize": int(math.floor(size / pct)), "centercrop": size,
                                 "mean": list(defaults["mean"]), "std": list(defaults["std"])}
            return


def _function_source(source: str, tree, name: str) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node) or ""
    return ""


def _interpolation(source: str) -> Optional[str]:
    lowered = source.lower()
    if "bicubic" in lowered:
        return "bicubic"
    if "bilinear" in lowered or "transforms.resize" in lowered:
        return "bilinear"  # torchvision's Resize defaults to bilinear
    return None
