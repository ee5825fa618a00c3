"""Test double of the legacy ``benchmark.x86_64`` / ``.aarch64`` (reference section 4).

gflags-style ``-name=value`` options (one or two dashes); ``-version`` prints
``benchmark_version = 1.0.1`` (the string [BIN] holds; that the flag prints it is
inferred). Dataset mode reads the info file (``<index> <path> <width> <height>``), runs the
om (from the atc double) with ONNX Runtime in batches of ``-batch_size`` (which must equal
the om's batch), writes ``./result/dumpOutput_device{N}/<input stem>_<k>.bin`` (k from 1;
``.txt`` with ``-output_binary=False``) and ``./result/perf_{model_type}_batchsize_{B}_device_{N}.txt``
in the ``[infer]`` generation, and prints the Performance Summary. A last batch short of
``-batch_size`` is padded with copies of its first sample and no outputs are written for
the padding (what the real tool does there is not documented; this mirrors ais_bench).
Pure-inference mode (``-round=R``) prints one ``Dataset number: <i> finished cost <ms>ms``
line per round (ms per sample), the PureInfer summary (``:`` form) and writes the file
(``=`` form). No path checks: the legacy tool has none.

SUITE_DOUBLE_NPU_TIME_MS (one value or a "bs:ms,..." table) plants the time of one batch
on the NPU, from which Interface throughputRate, ave_throughputRate and the per-round
lines are derived; otherwise they come from CPU timings.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
import numpy as np  # noqa: E402

from ais_bench.__main__ import ort_threads, planted_npu_time  # noqa: E402
from ais_bench._om import OmError, read_om  # noqa: E402

OPTIONS = {"model_type", "device_id", "batch_size", "om_path", "input_text_path", "input_width",
           "input_height", "output_binary", "useDvpp", "round", "version", "help"}


def parse(argv):
    flags = {}
    for arg in argv:
        name, eq, value = arg.lstrip("-").partition("=")
        if not arg.startswith("-") or name not in OPTIONS:
            print(f"ERROR: unknown command line flag '{name}'", file=sys.stderr)
            sys.exit(1)
        flags[name] = value if eq else "true"
    return flags


def session_for(flags):
    try:
        om = read_om(flags["om_path"])
    except (OmError, KeyError) as exc:
        print(f"[ERROR] load model failed: {exc}")
        sys.exit(1)
    batch = int(flags.get("batch_size", "1"))
    if om["inputs"][0]["shape"][0] != batch:
        print("[ERROR] The batchsize of om model does not match the user inputs!")
        sys.exit(1)
    if len(om["inputs"]) != 1:
        print("[ERROR] the double runs single-input models only")
        sys.exit(1)
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = ort_threads()
    return om, ort.InferenceSession(om["onnx"], so, providers=["CPUExecutionProvider"]), batch


_LAST = {}  # with a planted time: the outputs of the last inputs, reused for the same inputs


def timed(session, names, feeds, batch, model, key=None, keep=True):
    """(outputs, ms): a planted time skips re-running inputs just run (``key`` names them),
    and any run whose outputs are not kept (``keep=False``, pure inference)."""
    planted = planted_npu_time(batch, model)
    if planted is not None and not keep:
        return None, planted
    if planted is not None and key is not None and _LAST.get("key") == key:
        return _LAST["outs"], planted
    t0 = time.perf_counter()
    outs = session.run(names, feeds)
    ms = (time.perf_counter() - t0) * 1000.0
    _LAST.update(key=key, outs=outs)
    return outs, planted if planted is not None else ms


def dataset_mode(flags, device):
    om, session, batch = session_for(flags)
    spec = om["inputs"][0]
    dtype, shape = np.dtype(spec["dtype"]), spec["shape"]
    rows = [line.split() for line in open(flags["input_text_path"]) if line.strip()]
    files = [r[1] for r in rows]
    out_dir = os.path.join("result", f"dumpOutput_device{device}")
    os.makedirs(out_dir, exist_ok=True)
    binary = flags.get("output_binary", "false").lower() == "true"
    names = [o["name"] for o in om["outputs"]]
    times, t_start = [], time.perf_counter()
    for start in range(0, len(files), batch):
        real = files[start:start + batch]
        group = real + [real[0]] * (batch - len(real))
        data = np.concatenate([np.fromfile(f, dtype=dtype) for f in group]).reshape(shape)
        outs, ms = timed(session, names, {spec["name"]: data}, batch, flags["om_path"], tuple(group))
        times.append(ms)
        for j, f in enumerate(real):
            stem = os.path.splitext(os.path.basename(f))[0]
            for k, arr in enumerate(outs, start=1):
                piece = np.split(arr, batch, axis=0)[j]
                path = os.path.join(out_dir, f"{stem}_{k}.{'bin' if binary else 'txt'}")
                if binary:
                    piece.tofile(path)
                else:
                    with open(path, "w") as fh:
                        fh.write(" ".join(str(float(v)) for v in piece.reshape(-1)) + " \n")
    wall = (time.perf_counter() - t_start) * 1000.0
    n = len(files)
    interface = 1000.0 * batch * len(times) / sum(times) if times and sum(times) else 0.0
    e2e = 1000.0 * n / wall if wall else 0.0
    g = lambda v: f"{v:.6g}"  # noqa: E731 - C++ stream formatting, 6 significant digits
    lines = [f"[e2e] throughputRate: {g(e2e)}, latency: {g(wall)}",
             f"[data read] throughputRate: {g(e2e)}, moduleLatency: {g(1000.0 / e2e if e2e else 0)}",
             f"[preprocess] throughputRate: {g(e2e)}, moduleLatency: {g(1000.0 / e2e if e2e else 0)}",
             f"[infer] throughputRate: {g(e2e)}, Interface throughputRate: {g(interface)}, "
             f"moduleLatency: {g(1000.0 / interface if interface else 0)}",
             f"[post] throughputRate: {g(e2e)}, moduleLatency: {g(1000.0 / e2e if e2e else 0)}"]
    perf = os.path.join("result", f"perf_{flags.get('model_type', 'vision')}_batchsize_{batch}_device_{device}.txt")
    with open(perf, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("-----------------Performance Summary------------------")
    print("\n".join(lines))
    print("\n-----------------------------------------------------------")
    return 0


def pure_mode(flags, device):
    om, session, batch = session_for(flags)
    rounds = int(flags["round"])
    if not 0 < rounds <= 1024:
        print("[ERROR] round must be in (0, 1024]")
        return 1
    spec = om["inputs"][0]
    data = np.zeros(spec["shape"], np.dtype(spec["dtype"]))
    names = [o["name"] for o in om["outputs"]]
    total = 0.0
    for i in range(rounds):
        _, ms = timed(session, names, {spec["name"]: data}, batch, flags["om_path"], "zeros", keep=False)
        total += ms
        print(f"[INFO] Dataset number: {i} finished cost {ms / batch:.6g}ms")
    per_sample = total / (rounds * batch)
    tp = 1000.0 / per_sample if per_sample else 0.0
    stem = os.path.splitext(os.path.basename(flags["om_path"]))[0]
    path = os.path.join("result", f"PureInfer_perf_of_{stem}_in_device_{device}.txt")
    os.makedirs("result", exist_ok=True)
    with open(path, "w") as fh:
        fh.write(f"ave_throughputRate = {tp:.6g}samples/s, ave_latency = {per_sample:.6g}ms\n")
    print(f"[INFO] PureInfer result saved in ./{path}")
    print("-----------------PureInfer Performance Summary------------------")
    print(f"[INFO] ave_throughputRate: {tp:.6g}samples/s, ave_latency: {per_sample:.6g}ms")
    print("----------------------------------------------------------------")
    return 0


def main(argv=None) -> int:
    flags = parse(sys.argv[1:] if argv is None else argv)
    if "version" in flags:
        print("benchmark_version = 1.0.1")
        return 0
    device = int(flags.get("device_id", "0"))
    visible = [d for d in os.environ.get("ASCEND_RT_VISIBLE_DEVICES", "").split(",") if d.strip()]
    count = len(visible) if visible else int(os.environ.get("SUITE_DOUBLE_NPU_COUNT", "2"))
    if not 0 <= device < count:
        print(f"[ERROR] open device {device} failed")
        return 1
    if "round" in flags:
        return pure_mode(flags, device)
    if "input_text_path" not in flags:
        print("[ERROR] -input_text_path is required in dataset mode (or give -round for pure inference)")
        return 1
    return dataset_mode(flags, device)


if __name__ == "__main__":
    sys.exit(main())
