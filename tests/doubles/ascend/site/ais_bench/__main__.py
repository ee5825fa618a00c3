"""Test double of ``python3 -m ais_bench`` (ais_bench 0.0.2, 2023 prints), per
shared/reference/ascend_tools.md section 3: the real option names (argparse: unknown
options exit 2), inputs as files or folders (natural sort, files per batch = tensor bytes /
file bytes, the last batch padded with copies of its first file and no outputs written for
the padding), ``<output>/<YYYY_MM_DD-HH_MM_SS or --output_dirname>/<stem>_<k>.bin``, the
``<subdir>_summary.json`` sibling, the 2023 Performance Summary, exit 0 / 1 / 2.
The om (written by the atc double) is run with ONNX Runtime at its static batch.

Lineage (SUITE_DOUBLE_AIS_LINEAGE): "ait" (default; msit always) applies the ait/msit path
checks (_checks.py) and, with SUITE_DOUBLE_AIS_NO_PKG_RESOURCES=1, crashes on start with
UnboundLocalError as the ait frontend does without pkg_resources; "2023" plays the Ascend/tools
frontend, which checks no paths. The same program serves ``msit benchmark`` (msit_double.py:
``-om/--om-model``) and ``ais_infer.py`` (2022: no --warmup_count, ``sumary.json`` inside the
output folder). SUITE_DOUBLE_NPU_TIME_MS reports a planted NPU_compute_time (one value or a
"bs:ms,..." table) instead of the CPU timing, so floors can be judged end to end.

Fault switches (environment): SUITE_DOUBLE_AIS_HANG=1 (hangs after loading, with a child
process, so only a process-group kill ends it), SUITE_DOUBLE_AIS_CRASH=1 (RuntimeError
after loading), SUITE_DOUBLE_AIS_DROP=<stem>[,<stem>] (that sample's outputs not written),
SUITE_DOUBLE_AIS_TRUNCATE=<stem> (its first output cut in half). Devices: 0 ..
SUITE_DOUBLE_NPU_COUNT-1 (default 2), renumbered by ASCEND_RT_VISIBLE_DEVICES.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np

from ais_bench._om import OmError, read_om


def str2bool(v):
    if str(v).lower() in ("1", "true", "yes", "y", "t"):
        return True
    if str(v).lower() in ("0", "false", "no", "n", "f"):
        return False
    raise argparse.ArgumentTypeError(f"Boolean value expected, got {v!r}")


def parser(flavour="ais_bench"):
    p = argparse.ArgumentParser(prog={"msit": "msit benchmark", "ais_infer": "ais_infer.py"}.get(flavour, "ais_bench"))
    if flavour == "msit":
        p.add_argument("--om-model", "-om", dest="model", required=True)
    else:
        p.add_argument("--model", "-m", required=True)
    p.add_argument("--input", "-i", default=None)
    p.add_argument("--output", "-o", default=None)
    p.add_argument("--output_dirname", *(["--output-dirname", "-od"] if flavour == "msit" else []), default=None)
    p.add_argument("--outfmt", default="BIN", choices=["NPY", "BIN", "TXT"])
    p.add_argument("--loop", "-l", type=int, default=1)
    if flavour != "ais_infer":  # the 2022 ais_infer had --infer_queue_count, not --warmup_count
        p.add_argument("--warmup_count", *(["--warmup-count", "-wcount"] if flavour == "msit" else []),
                       type=int, default=1)
    else:
        p.add_argument("--infer_queue_count", type=int, default=20)
    p.add_argument("--batchsize", *(["--batch-size"] if flavour == "msit" else []), type=int, default=None)
    p.add_argument("--device", "-d", default="0")
    p.add_argument("--divide_input", type=str2bool, default=False)
    p.add_argument("--debug", type=str2bool, default=False)
    p.add_argument("--display_all_summary", type=str2bool, default=False)
    p.add_argument("--run_mode", default="array", choices=["array", "files", "tensor", "full"])
    p.add_argument("--pure_data_type", default="zero", choices=["zero", "random"])
    p.add_argument("--dymBatch", type=int, default=0)
    p.add_argument("--dymHW", default=None)
    p.add_argument("--dymDims", default=None)
    p.add_argument("--dymShape", default=None)
    p.add_argument("--outputSize", default=None)
    p.add_argument("--auto_set_dymshape_mode", type=str2bool, default=False)
    p.add_argument("--auto_set_dymdims_mode", type=str2bool, default=False)
    p.add_argument("--dymShape_range", default=None)
    p.add_argument("--output_batchsize_axis", type=int, default=0)
    p.add_argument("--acl_json_path", default=None)
    p.add_argument("--profiler", type=str2bool, default=False)
    p.add_argument("--dump", type=str2bool, default=False)
    return p


def natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def fail(msg):
    print(f"[ERROR] {msg}", flush=True)
    raise RuntimeError(msg)


def stats(values):
    a = np.asarray(values, dtype=np.float64)
    if a.size == 0:
        return {"min": 0.0, "max": 0.0, "mean": 0.0, "median": 0.0, "percentile(99%)": 0.0, "count": 0}
    return {"min": float(a.min()), "max": float(a.max()), "mean": float(a.mean()),
            "median": float(np.median(a)), "percentile(99%)": float(np.percentile(a, 99)), "count": int(a.size)}


def stat_line(name, s):
    return (f"[INFO] {name} (ms): min = {s['min']}, max = {s['max']}, mean = {s['mean']}, "
            f"median = {s['median']}, percentile(99%) = {s['percentile(99%)']}")


def open_device(device_text):
    if "," in device_text:
        fail("the double runs one device per process; give --device N")
    device = int(device_text)
    visible = os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "").strip()
    hosts = [h for h in os.environ.get("SUITE_DOUBLE_NPU_HOST_IDS", "").split(",") if h.strip()]
    present = len(hosts) or int(os.environ.get("SUITE_DOUBLE_NPU_COUNT", "2"))
    wanted = [int(d) for d in visible.split(",") if d.strip()] if visible else []
    # ASCEND_RT_VISIBLE_DEVICES takes logical ids 0..present-1 (a host id copied from the
    # npu-smi table of a container is out of range), as the runtime reports it.
    for bad in [d for d in wanted if not 0 <= d < present]:
        print(f"EE1001: The argument is invalid.Reason: set ASCEND_RT_VISIBLE_DEVICES:{bad} error, "
              f"input data rang[0-{present})")
        print(f"[ERROR] acl open device {device} failed", flush=True)
        sys.exit(1)
    count = len(wanted) if visible else present
    print("[INFO] acl init success", flush=True)
    if not 0 <= device < count:
        print("EL003: The argument is invalid.\n       ...\n"
              f"\t   Failed to open device,retCode=0x7020014,deviceId={device}.[FUNC:Init][FILE:device.cc][LINE:211]\n"
              "\t   ...\n"
              f"\t   open device {device} failed,runtime result = 507033.[FUNC:ReportCallError][FILE:log_inner.cpp][LINE：162]")
        print(f"[ERROR] acl open device {device} failed")
        print("SetDevice failed.ret=507033", flush=True)
        sys.exit(1)
    print(f"[INFO] open device {device} success")
    print("[INFO] create new context")
    return device


def list_input_files(text, n_inputs):
    items = [s for s in text.split(",") if s]
    if all(os.path.isdir(s) for s in items):
        if len(items) != n_inputs:
            fail(f"Invalid args. args input dir num:{len(items)} not equal to model inputs num:{n_inputs}")
        per_input = []
        for d in items:
            names = sorted((f for f in os.listdir(d) if f.lower().endswith((".bin", ".npy"))), key=natural_key)
            per_input.append([os.path.join(d, f) for f in names])
    else:
        for s in items:
            if not os.path.isfile(s):
                fail(f"Invalid args. {s} of --input is invalid")
        if len(items) % n_inputs:
            fail(f"Invalid args. {len(items)} files for {n_inputs} model inputs")
        chunk = len(items) // n_inputs
        per_input = [items[i * chunk:(i + 1) * chunk] for i in range(n_inputs)]
    counts = {len(f) for f in per_input}
    if len(counts) != 1 or 0 in counts:
        fail(f"Invalid args. input file counts differ or are zero: {[len(f) for f in per_input]}")
    return per_input


def load_file(path, dtype):
    return np.load(path).astype(dtype).reshape(-1) if path.lower().endswith(".npy") \
        else np.fromfile(path, dtype=dtype)


def lineage(flavour):
    """Which frontend generation this run plays: "ait" (the ait/msit lineage, with path
    checks; the default for ais_bench and always for msit) or "2023"/"2022" (Ascend/tools)."""
    if flavour == "msit":
        return "ait"
    if flavour == "ais_infer":
        return "2022"
    return os.environ.get("SUITE_DOUBLE_AIS_LINEAGE", "ait")


def aclruntime_version_ait():
    """What the ait frontend's miscellaneous.py does at start: without pkg_resources its
    import fails silently and the name is then used unbound (reference 11)."""
    if os.environ.get("SUITE_DOUBLE_AIS_NO_PKG_RESOURCES") != "1":
        return "0.0.2"
    try:
        raise ImportError("No module named 'pkg_resources'")
        import pkg_resources  # noqa: F401 - never reached; makes the name local, as in the frontend
    except ImportError:
        pass
    return pkg_resources.get_distribution("aclruntime").version


def ort_threads() -> int:
    """The double's ONNX Runtime threads: SUITE_DOUBLE_ORT_THREADS, else the calling test
    process's CPU share (OMP_NUM_THREADS, harness.cpu), else 0 (one per core)."""
    return int(os.environ.get("SUITE_DOUBLE_ORT_THREADS") or os.environ.get("OMP_NUM_THREADS") or "0")


def planted_npu_time(batchsize, model=""):
    """SUITE_DOUBLE_NPU_TIME_MS: the NPU_compute_time (ms per batch) to report instead of
    the CPU timing: one number, or a table "1:5.0,dpn131_bs4:17.5" keyed by batch size or by
    the om's name (without .om; it wins over the batch size). An om and batch size missing
    from the table keep their CPU timing."""
    text = os.environ.get("SUITE_DOUBLE_NPU_TIME_MS", "").strip()
    if not text:
        return None
    if ":" not in text:
        return float(text)
    table = dict(item.strip().rsplit(":", 1) for item in text.split(",") if item.strip())
    stem = os.path.basename(str(model))
    stem = stem[:-3] if stem.endswith(".om") else stem
    for key in (stem, re.sub(r"_linux_(x86_64|aarch64)$", "", stem), str(batchsize)):
        if key in table:
            return float(table[key])
    return None


def main(argv=None, flavour="ais_bench"):
    lin = lineage(flavour)
    if lin == "ait":
        aclruntime_version_ait()
    p = parser(flavour)
    args = p.parse_args(argv)
    if lin == "ait":
        from ais_bench._checks import PathRefused, check_args

        try:
            check_args(args)
        except PathRefused as exc:
            p.error(str(exc))
    if not hasattr(args, "warmup_count"):
        args.warmup_count = 1
    if args.output_dirname and not args.output:
        fail("parameter --output_dirname cann't be used alone. Please use it together with the parameter --output!")
    for name in ("dymHW", "dymDims", "dymShape", "dymShape_range", "acl_json_path"):
        if getattr(args, name):
            fail(f"the test double does not implement --{name}")
    device = open_device(args.device)
    try:
        om = read_om(args.model)
    except OmError as exc:
        print(f"[ERROR] load model from file failed, model file is {args.model}", flush=True)
        raise RuntimeError(str(exc)) from None
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = ort_threads()
    session = ort.InferenceSession(om["onnx"], so, providers=["CPUExecutionProvider"])
    print(f"[INFO] load model {args.model} success")
    print("[INFO] create model description success", flush=True)
    if os.environ.get("SUITE_DOUBLE_AIS_CRASH") == "1":
        raise RuntimeError("double: simulated crash after model load")
    shapes = [list(i["shape"]) for i in om["inputs"]]
    if om.get("dynamic_batch"):
        if args.dymBatch not in om["dynamic_batch"]:
            fail(f"dymBatch {args.dymBatch} is not one of the om's gears {om['dynamic_batch']}")
        shapes = [[args.dymBatch if d == -1 else d for d in s] for s in shapes]
    if any(not isinstance(d, int) or d < 0 for s in shapes for d in s):
        fail("the test double runs static shapes only")
    dtypes = [np.dtype(i["dtype"]) for i in om["inputs"]]
    tensor_bytes = [int(np.prod(s)) * dt.itemsize for s, dt in zip(shapes, dtypes)]
    batchsize = args.batchsize or shapes[0][0]
    print(f"[INFO] try get model batchsize:{batchsize}")
    out_dir = None
    if args.output:
        sub = args.output_dirname or time.strftime("%Y_%m_%d-%H_%M_%S")
        out_dir = os.path.join(args.output, sub)
        os.makedirs(out_dir, mode=0o750, exist_ok=True)
        print(f"[INFO] output path:{out_dir}", flush=True)

    if args.input:
        per_input = list_input_files(args.input, len(om["inputs"]))
        for i, files in enumerate(per_input):
            fsize = os.path.getsize(files[0])
            if fsize == 0 or tensor_bytes[i] % fsize:
                fail(f"arg{i} tensorsize: {tensor_bytes[i]} filesize: {fsize} not match")
        k = tensor_bytes[0] // os.path.getsize(per_input[0][0])
        n = len(per_input[0])
        runcount = math.ceil(n / k)
        print(f"[INFO] get filesperbatch files0 size:{os.path.getsize(per_input[0][0])} "
              f"tensor0size:{tensor_bytes[0]} filesperbatch:{k} runcount:{runcount}", flush=True)
        groups = []
        for r in range(runcount):
            real = [files[r * k:(r + 1) * k] for files in per_input]
            groups.append((real, k - len(real[0])))
    else:
        k, rng = 1, np.random.default_rng(0)
        fake = [np.zeros(s, dt) if args.pure_data_type == "zero" else rng.random(s).astype(dt)
                for s, dt in zip(shapes, dtypes)]
        groups = [(None, 0)]

    def feeds_of(group):
        real, padding = group
        if real is None:
            return {i["name"]: a for i, a in zip(om["inputs"], fake)}
        feeds = {}
        for spec, files, shape, dt, tb in zip(om["inputs"], real, shapes, dtypes, tensor_bytes):
            parts = []
            for f in files + [files[0]] * padding:  # padding_infer_fake_file: a copy of the first file
                a = load_file(f, dt)
                if a.nbytes * k != tb:
                    fail(f"arg{om['inputs'].index(spec)} tensorsize: {tb} filesize: {a.nbytes} not match")
                parts.append(a)
            feeds[spec["name"]] = np.concatenate(parts).reshape(shape)
        return feeds

    out_names = [o["name"] for o in om["outputs"]]
    for w in range(args.warmup_count if planted_npu_time(batchsize, args.model) is None else 0):
        session.run(out_names, feeds_of(groups[0]))  # with a planted time, warm-up changes nothing
    print(f"[INFO] warm up {args.warmup_count} done", flush=True)
    if os.environ.get("SUITE_DOUBLE_AIS_HANG") == "1":
        subprocess.Popen(["sleep", "3600"])  # a child in the same process group
        time.sleep(3600)
    drop = set(filter(None, os.environ.get("SUITE_DOUBLE_AIS_DROP", "").split(",")))
    truncate = set(filter(None, os.environ.get("SUITE_DOUBLE_AIS_TRUNCATE", "").split(",")))
    times, filesinfo, index = [], {}, 0
    planted = planted_npu_time(batchsize, args.model)
    for g in groups:
        feeds, outs = feeds_of(g), []
        for i in range(args.loop):
            # With a planted time nothing observable needs the computation beyond the first
            # loop's outputs (same feeds), nor any computation when no output is kept.
            if planted is not None and (i or not out_dir):
                times.append(planted)
                continue
            t0 = time.perf_counter()
            outs = session.run(out_names, feeds)
            times.append((time.perf_counter() - t0) * 1000.0 if planted is None else planted)
        if args.loop > 1:
            print(f"loop inference exec: ({args.loop}/{args.loop})")
        real, _ = g
        stems = [os.path.basename(f).split(".", 1)[0] for f in real[0]] if real else ["pure_infer_data"]
        for j, stem in enumerate(stems):
            outfiles = []
            for oi, arr in enumerate(outs):
                piece = np.split(arr, k, axis=args.output_batchsize_axis)[j] if real else arr
                path = os.path.join(out_dir, f"{stem}_{oi}.{args.outfmt.lower()}") if out_dir else None
                if path is None or stem in drop:
                    continue
                if args.outfmt == "NPY":
                    np.save(path, piece)
                elif args.outfmt == "TXT":
                    a2 = piece.reshape(-1, piece.shape[-1]) if piece.ndim else piece.reshape(1, 1)
                    np.savetxt(path, a2, fmt="%f" if piece.dtype.kind == "f" else "%d")
                else:
                    data = piece.tobytes()
                    with open(path, "wb") as f:
                        f.write(data[:len(data) // 2] if stem in truncate and oi == 0 else data)
                outfiles.append(path)
            filesinfo[str(index)] = {"infiles": [files[j] for files in real] if real else [],
                                     "outfiles": outfiles}
            index += 1
    print(f"Inference array Processing: 100%|##########| {len(groups)}/{len(groups)}", flush=True)
    npu = stats(times)
    throughput = 1000.0 * batchsize / npu["mean"] if npu["mean"] else 0
    print("[INFO] -----------------Performance Summary------------------")
    zero = stats([0.0] * len(times))
    if args.display_all_summary:
        print(stat_line("H2D_latency", zero))
    print(stat_line("NPU_compute_time", npu))
    if args.display_all_summary:
        print(stat_line("D2H_latency", zero))
    print(f"[INFO] throughput 1000*batchsize.mean({batchsize})/NPU_compute_time.mean({npu['mean']}): {throughput}")
    print("[INFO] ------------------------------------------------------", flush=True)
    if out_dir and lin == "2022":  # Sep 2022: sumary.json inside the folder, fewer keys
        with open(os.path.join(out_dir, "sumary.json"), "w") as f:
            json.dump({"NPU_compute_time": {k: v for k, v in npu.items() if k != "count"},
                       "H2D_latency": zero, "D2H_latency": zero, "throughput": throughput}, f)
    elif out_dir:
        summary = {"filesinfo": filesinfo, "args": sys.argv, "NPU_compute_time": npu, "H2D_latency": zero,
                   "D2H_latency": zero, "throughput": throughput, "npu_compute_time_list": times,
                   "pid": os.getpid()}
        with open(out_dir.rstrip("/") + "_summary.json", "w") as f:
            json.dump(summary, f)
    print("[INFO] unload model success, model Id is 1")
    print(f"[INFO] end to reset device {device}")
    print("[INFO] end to finalize acl", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
