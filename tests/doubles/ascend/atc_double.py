"""Test double of ``atc`` (mode 0, ONNX only), per shared/reference/ascend_tools.md section 2.

Accepts the real command lines (gflags style ``--name=value`` or ``--name value``, one or
two dashes), rejects what the real front end rejects, prints the real transcripts (8.1,
8.2) and exits 255 on failure. Messages quoted in the reference are reproduced verbatim
(E10007, E10054, EZ3003, E19010's prefix); where the reference quotes no text (unknown
option, bad soc, input_shape name mismatch) the E10001 wording here is inferred.

Fault switches (environment): SUITE_DOUBLE_ATC_FAIL=EZ3003 (unsupported-operator failure),
SUITE_DOUBLE_ATC_HANG=1 (never finishes), SUITE_DOUBLE_ATC_ARCH_SUFFIX=1 (write
``<output>_linux_<arch>.om`` as CANN 7+ may), SUITE_DOUBLE_ATC_MAX_OPSET (default 18).
What it accepts follows SUITE_DOUBLE_CANN_VERSION (the fake toolkit's release): fusion
switch line files before 6, NCDHW for ONNX from 8.
"""
from __future__ import annotations

import json
import os
import platform
import re
import sys
import time
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from ais_bench._om import write_om  # noqa: E402

START = "ATC start working now, please wait for a moment."
SUCCESS = "ATC run success, welcome to the next use."
FAILED = "ATC run failed, Please check the detail log, Try 'atc --help' for more information"
KNOWN = {"mode", "model", "framework", "weight", "output", "soc_version", "input_format", "input_shape",
         "dynamic_batch_size", "dynamic_image_size", "dynamic_dims", "out_nodes", "output_type",
         "precision_mode", "precision_mode_v2", "keep_dtype", "modify_mixlist", "customize_dtypes",
         "op_precision_mode", "fusion_switch_file", "insert_op_conf", "enable_small_channel",
         "op_select_implmode", "optypelist_for_implmode", "log", "check_report", "host_env_os",
         "host_env_cpu", "op_compiler_cache_dir", "op_compiler_cache_mode", "debug_dir",
         "display_model_info", "om", "json", "singleop", "input_shape_range", "save_original_model"}
SOC = re.compile(r"^Ascend(310|310P[1-5]|310B[1-4]|910|910A|910B|910B[1-4]|910B2C|910_93\d*)$")
PRECISION = {"force_fp16", "force_fp32", "cube_fp16in_fp32out", "allow_mix_precision",
             "allow_fp32_to_fp16", "must_keep_origin_dtype", "allow_mix_precision_fp16",
             "allow_mix_precision_bf16", "allow_fp32_to_bf16"}
LOGS = {"debug", "info", "warning", "error", "null"}
EZ3003 = ["EZ3003: No supported Ops kernel and engine are found for [AddDsl], optype [AddDsl].",
          "        Possible Cause: The operator is not supported by the system. Therefore, no hit is found in any operator information library.",
          "        Solution: 1. Check that the OPP component is installed properly. 2. Submit an issue to request for the support of this operator type.",
          "        TraceBack (most recent call last):",
          "        build graph failed, graph id:0, ret:-1[FUNC:BuildModel][FILE:ge_generator.cc][LINE:148"]


class Failure(Exception):
    def __init__(self, code: str, message: str, detail=()):
        super().__init__(message)
        self.code, self.message, self.detail = code, message, list(detail)


def cann_major() -> int:
    m = re.match(r"(\d+)", os.environ.get("SUITE_DOUBLE_CANN_VERSION", "8.0.RC3"))
    return int(m.group(1)) if m else 8


def onnx_input_formats() -> tuple[str, ...]:
    """The old front end takes NCHW and ND for ONNX; current atc also NCDHW (reference 2.1,
    11). The release that added NCDHW is not known; the double gives it to 8.x."""
    return ("NCHW", "ND", "NCDHW") if cann_major() >= 8 else ("NCHW", "ND")


def check_fusion_switch(path):
    """JSON ``{"Switch": {"GraphFusion"|"UBFusion": {pass: on|off}}}`` for every release (the
    documented form); ``<Pass>:on|off`` lines only for releases before 6, the guides' era in
    which that form is seen working (reference 11: later support is not established, so
    the double refuses it there and the suite must translate)."""
    text = open(path).read()
    if text.strip().startswith("{"):
        try:
            sw = json.loads(text)["Switch"]
            ok = bool(sw) and all(k in ("GraphFusion", "UBFusion") and isinstance(d, dict)
                                  and all(v in ("on", "off") for v in d.values()) for k, d in sw.items())
        except (ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            raise invalid(path, "fusion_switch_file", "not a fusion switch JSON")
        return
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if cann_major() >= 6:
        raise invalid(path, "fusion_switch_file", "not a fusion switch JSON")
    if not lines or not all(re.fullmatch(r"\w+\s*:\s*(on|off)", ln) for ln in lines):
        raise invalid(path, "fusion_switch_file", "lines must read <PassName>:on|off")


def invalid(value, param, reason=""):
    return Failure("E10001", f"Value [{value}] for parameter [--{param}] is invalid."
                   + (f" Reason: {reason}" if reason else ""))


def parse_flags(argv):
    flags, i = {}, 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            raise invalid(arg, "?", "arguments must be --name=value")
        name, eq, value = arg.lstrip("-").partition("=")
        if not eq:
            if i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                value, i = argv[i + 1], i + 1
        if name in ("auto_tune_mode",):
            raise Failure("E10001", "The Auto Tune function has been deprecated. Please use the AOE tool for tuning.")
        if name not in KNOWN:
            raise invalid(name, name, "unknown option")
        flags[name] = value
        i += 1
    return flags


def parse_shape(text):
    shapes = {}
    for part in text.strip('"').split(";"):
        if not part:
            continue
        name, sep, dims = part.rpartition(":")
        if not sep or not name:
            raise invalid(text, "input_shape", "expected name:dims;name2:dims")
        out = []
        for d in dims.split(","):
            if re.fullmatch(r"-1|\d+", d):
                out.append(int(d))
            elif re.fullmatch(r"\d+~\d+", d):
                out.append(d)
            else:
                raise invalid(text, "input_shape", f"bad dimension [{d}]")
        shapes[name] = out
    return shapes


def compile_model(flags):
    mode = flags.get("mode", "0")
    if mode != "0":
        raise invalid(mode, "mode", "the double supports only --mode=0")
    framework = flags.get("framework", "")
    if framework not in ("0", "1", "3", "5"):
        raise Failure("E10007", "[--framework] is required. The value must be [0(Caffe) or 1(MindSpore) "
                                "or 3(TensorFlow) or 5(Onnx)].")
    if not flags.get("model"):
        raise Failure("E10054", "The requied parameter [--model] for ATC is empty. Another possible reason is "
                                "that the value of some parameter is not enclosed by quotation marks (\"\").")
    if framework != "5":
        raise invalid(framework, "framework", "the double converts ONNX (5) only")
    if not flags.get("output"):
        raise Failure("E10004", "Value for [--output] is empty.")
    soc = flags.get("soc_version", "")
    if not SOC.match(soc):
        raise invalid(soc, "soc_version", "unknown chip")
    fmt = flags.get("input_format", "NCHW")
    formats = onnx_input_formats()
    if fmt not in formats:
        raise invalid(fmt, "input_format", f"ONNX models accept {' or '.join(formats)}")
    if flags.get("log", "null") not in LOGS:
        raise Failure("E10010", f"Value [{flags['log']}] for parameter [--log] is invalid. The value must be "
                                "[debug, info, warning, error, null].")
    if "precision_mode" in flags and flags["precision_mode"] not in PRECISION:
        raise invalid(flags["precision_mode"], "precision_mode")
    for key in ("fusion_switch_file", "keep_dtype"):
        if key in flags and not os.path.isfile(flags[key]):
            raise invalid(flags[key], key, "the file does not exist")
    if "fusion_switch_file" in flags:
        check_fusion_switch(flags["fusion_switch_file"])
    model_path = flags["model"]
    if not os.path.isfile(model_path):
        raise invalid(model_path, "model", "the file does not exist")
    import onnx
    from onnx import helper

    try:
        model = onnx.load(model_path, load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad model
        raise invalid(model_path, "model", f"not an ONNX model ({type(exc).__name__})")
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset > int(os.environ.get("SUITE_DOUBLE_ATC_MAX_OPSET", "18")):
        node = model.graph.node[0] if model.graph.node else None
        raise Failure("E19010", f"No parser is registered for Op [{node.name if node else '?'}, optype "
                                f"[ai.onnx::{opset}::{node.op_type if node else '?'}]].")
    inits = {i.name for i in model.graph.initializer}
    graph_inputs = [i for i in model.graph.input if i.name not in inits]
    shapes = parse_shape(flags.get("input_shape", ""))
    names = [i.name for i in graph_inputs]
    for name in shapes:
        if name not in names:
            raise invalid(flags["input_shape"], "input_shape", f"input [{name}] does not exist in the model "
                                                               f"(inputs: {', '.join(names)})")
    dyn = [int(b) for b in flags["dynamic_batch_size"].strip('"').split(",")] if flags.get("dynamic_batch_size") else []
    inputs, ranged = [], False
    for gi in graph_inputs:
        tt = gi.type.tensor_type
        onnx_dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        dims = shapes.get(gi.name)
        if dims is None:
            if any(d is None for d in onnx_dims):
                raise invalid(gi.name, "input_shape", f"input [{gi.name}] has a dynamic shape; give it")
            dims = onnx_dims
        if len(dims) != len(onnx_dims):
            raise invalid(flags["input_shape"], "input_shape", f"input [{gi.name}] has rank {len(onnx_dims)}")
        for d, od in zip(dims, onnx_dims):
            if isinstance(d, int) and d > 0 and od is not None and od != d:
                raise invalid(flags["input_shape"], "input_shape", f"input [{gi.name}] dim {d} != model's {od}")
        if -1 in dims and not dyn:
            raise invalid(flags["input_shape"], "input_shape", "-1 needs --dynamic_batch_size")
        ranged = ranged or any(isinstance(d, str) for d in dims)
        inputs.append({"name": gi.name, "shape": dims,
                       "dtype": str(helper.tensor_dtype_to_np_dtype(tt.elem_type))})
    outputs = [{"name": o.name, "dtype": str(helper.tensor_dtype_to_np_dtype(o.type.tensor_type.elem_type))}
               for o in model.graph.output]
    if os.environ.get("SUITE_DOUBLE_ATC_FAIL") == "EZ3003":
        raise Failure("EZ3003", EZ3003[0].split(": ", 1)[1], [ln.strip() for ln in EZ3003[1:]])
    if os.environ.get("SUITE_DOUBLE_ATC_HANG") == "1":
        time.sleep(3600)
    st = os.stat(model_path)
    arch = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())
    suffix = f"_linux_{arch}" if ranged or os.environ.get("SUITE_DOUBLE_ATC_ARCH_SUFFIX") == "1" else ""
    out = flags["output"] + suffix + ".om"
    if os.path.dirname(out) and not os.path.isdir(os.path.dirname(out)):
        raise Failure("E10001", f"Value [{flags['output']}] for parameter [--output] is invalid. "
                                "Reason: the directory does not exist.")
    write_om(out, {"onnx": os.path.abspath(model_path), "onnx_size": st.st_size,
                   "onnx_mtime_ns": st.st_mtime_ns, "soc_version": soc, "inputs": inputs,
                   "outputs": outputs, "dynamic_batch": dyn, "input_format": fmt,
                   "precision_mode": flags.get("precision_mode", "force_fp16"),
                   "atc_cmdline": " ".join(sys.argv[1:])})
    return []


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(START, flush=True)
    major = cann_major()
    try:
        warnings = compile_model(parse_flags(argv))
    except Failure as f:
        if major >= 7:
            print("...")
        print(FAILED)
        prefix = ""
        if major >= 8:
            now = datetime.now()
            stamp = f"{now:%Y-%m-%d-%H:%M:%S}.{now.microsecond // 1000:03d}.{now.microsecond % 1000:03d}"
            prefix = f"[PID: {os.getpid()}] {stamp} "
        print(f"{f.code}: {prefix}{f.message}")
        for line in f.detail:
            print("        " + line)
        sys.stdout.flush()
        return 255
    if major >= 7:
        print("...")
    print(SUCCESS)
    for w in warnings:
        print(w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
