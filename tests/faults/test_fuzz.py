"""Property-based fuzzing of every parser and reader the suite trusts with outside text.

Inputs: random text, and real transcripts (shared/reference/ascend_tools.md section 8,
ModelZoo label files) mutated by deleting, duplicating, truncating, swapping lines and
replacing numbers with hostile tokens ("nan", "1e999", "-3", "１２", "1_0", "../../bin/bash",
...). The dataset readers' fuzzers are in ``test_fuzz_datasets.py``.

Properties, for every parser:
* it returns, or raises the suite's own clear error (a ``SuiteError``: ``DatasetError``,
  ``ToolOutputError``, ``MetricError``, ``SampleIOError``...) - never IndexError,
  KeyError, ZeroDivisionError, UnicodeDecodeError, a regex or JSON error from inside;
* every number it returns appears in the input (a parser may reject, never invent).

Settings are modest (``max_examples`` 120, no deadline) so the whole file runs in seconds.
"""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import SuiteError

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# -- seeds: verbatim transcripts (reference section numbers in comments) -------------------
AIS_2024 = """[INFO] output path:./result
[INFO] get filesperbatch files0 size:196608 tensor0size:12582912 filesperbatch:64 runcount:782
[INFO] -----------------Performance Summary------------------
[INFO] NPU_compute_time (ms): min = 13.384765625, max = 13.640625, mean = 13.476432624680307, median = 13.4765625, percentile(99%) = 13.55142578125
[INFO] throughput 1000*batchsize.mean(64)/NPU_compute_time.mean(13.476432624680307): 4749.03127425521
[INFO] ------------------------------------------------------
"""  # 8.3
AIS_LATE_2022 = """[INFO] -----------------Performance Summary------------------
[INFO] H2D_latency (ms): min = 0.4661083221435547, max = 0.4661083221435547, mean = 0.4661083221435547, median = 0.4661083221435547, percentile(99%) = 0.4661083221435547
[INFO] NPU_compute_time (ms): min = 31.332000732421875, max = 32.96500015258789, mean = 31.739540023803713, median = 31.685500144958496, percentile(99%) = 32.188839759826664
[INFO] D2H_latency (ms): min = 0.2899169921875, max = 0.2899169921875, mean = 0.2899169921875, median = 0.2899169921875, percentile(99%) = 0.2899169921875
[INFO] throughput 1000*batchsize(1)/NPU_compute_time.mean(31.739540023803713): 31.506442728849557
[INFO] ------------------------------------------------------
"""  # 8.6
AIS_MID_2022 = """[INFO] -----------------Performance Summary------------------
[INFO] NPU_compute_time (ms): min = 5.828554630279541, max = 5.828554630279541, mean = 5.828554630279541, median = 5.828554630279541, percentile(99%) = 5.828554630279541
[INFO] throughput (1000*batchsize/NPU_compute_time): 171.5691219234638
"""  # 8.7
AIS_MULTI = """[INFO] -----------------Performance Summary------------------
[INFO] NPU_compute_time (ms): min = 2.4769999980926514, max = 3.937000036239624, mean = 3.5538000106811523, median = 3.7230000495910645, percentile(99%) = 3.936680030822754
[INFO] throughput 1000*batchsize.mean(1)/NPU_compute_time.mean(3.5538000106811523): 281.38893494131406
[INFO] ------------------------------------------------------
i:0 device_1 throughput:281.38893494131406 start_time:1676875630.804429 end_time:1676875630.8303885
i:1 device_2 throughput:276.54867008654026 start_time:1676875630.8043878 end_time:1676875630.8326817
[INFO] summary throughput:557.9376050278543
"""  # 8.8
SUMMARY_JSON = ('{"NPU_compute_time": {"min": 2.4385452270507812, "max": 2.587556838989258, '
                '"mean": 2.5239520602756076, "median": 2.529621124267578, "percentile(99%)": 2.585916519165039}, '
                '"H2D_latency": {"min": 0.51, "max": 1.03, "mean": 0.66, "median": 0.62, "percentile(99%)": 1.0}, '
                '"D2H_latency": {"min": 0.02, "max": 0.05, "mean": 0.04, "median": 0.04, "percentile(99%)": 0.05}, '
                '"throughput": 396.2040387925606, "npu_compute_time_list": [2.4385452270507812, 2.587556838989258]}')
LEGACY_PERF = """[e2e] throughputRate: 170.628, latency: 293035
[data read] throughputRate: 181.571, moduleLatency: 5.50749
[preprocess] throughputRate: 180.466, moduleLatency: 5.5412
[infer] throughputRate: 171.595, Interface throughputRate: 247.898, moduleLatency: 5.12562
[post] throughputRate: 171.595, moduleLatency: 5.82768
"""  # 4.4
LEGACY_PURE = """[INFO] Dataset number: 19 finished cost 25.448ms
-----------------PureInfer Performance Summary------------------
[INFO] ave_throughputRate: 38.4344samples/s, ave_latency: 26.1589ms
"""  # 4.4
INFO_FILE = "0 ./bin_save/000000184384.bin 1536 1536\n1 ./bin_save/000000182805.bin 1536 1536\n"  # 4.2
NPU_SMI = """+-------------------+-----------------+------------------------------------------------------+
| npu-smi 23.0.rc3                 Version: 23.0.rc3                                           |
+-------------------+-----------------+------------------------------------------------------+
| NPU     Name      | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |
| Chip    Device    | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |
+===================+=================+======================================================+
| 0       310P3     | OK              | 15.8         42                0    / 0              |
| 0       0         | 0000:82:00.0    | 0            1074 / 21534                            |
+===================+=================+======================================================+
| 1       310P3     | OK              | 15.4         43                0    / 0              |
| 0       1         | 0000:89:00.0    | 0            1070 / 21534                            |
+===================+=================+======================================================+
"""  # 8.12 (+ the 6.1 version header)
ATC_OUT = """ATC start working now, please wait for a moment.
ATC run failed, Please check the detail log, Try 'atc --help' for more information
E10001: Value [Ascend999] for parameter [--soc_version] is invalid.
        Solution: try again with a valid --soc_version.
W11001: High-priority service of op[PartitionedCall_AvgPool_45_2] is invalid
"""  # 8.1/8.2
LABELS = "ILSVRC2012_val_00000001.JPEG 65\nILSVRC2012_val_00000002.JPEG 970\nILSVRC2012_val_00000003.JPEG 230\n"
RESULT_JSON = ('{"title": "Overall statistical evaluation", "value": [{"key": "Number of images", "value": "3"}, '
               '{"key": "Number of classes", "value": "1000"}, {"key": "Top1 accuracy", "value": "33.33%"}, '
               '{"key": "Top5 accuracy", "value": "66.67%"}]}')
VERSION_CFG = "runtime_running_version=[7.0.0.5.242:8.0.RC3]\ncompiler_running_version=[7.0.0.5.242:8.0.RC3]\n"
INSTALL_INFO = "package_name=Ascend-cann-toolkit\nversion=8.0.RC3\ninnerversion=V100R001C19SPC001B128\n"

# -- mutations ----------------------------------------------------------------------------
HOSTILE = ["", " ", "-1", "-0.0", "0", "nan", "NaN", "inf", "-inf", "1e999", "1e-999", "1_0", "１２",
           "٣", "+5", "0x1f", "1.2.3", "99999999999999999999999", "None", "null", "[]", "{}", "\"",
           "\x00", "\ufffd", "|", ":", "=", ",", "(", ")", "%", "../../bin/bash", "/etc/passwd", "..",
           "a/b.jpg", "..\\x.jpg"]
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@st.composite
def mutated(draw, seeds: list[str]) -> str:
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["number", "number", "delete", "insert", "truncate", "dup_line",
                                   "drop_line", "swap_lines"]))
        lines = text.splitlines(keepends=True)
        if op == "number":
            spans = [m.span() for m in NUMBER.finditer(text)]
            if spans:
                a, b = draw(st.sampled_from(spans))
                text = text[:a] + draw(st.sampled_from(HOSTILE) | st.text(max_size=6)) + text[b:]
        elif op == "delete" and text:
            a = draw(st.integers(0, len(text) - 1))
            text = text[:a] + text[a + draw(st.integers(1, 20)):]
        elif op == "insert":
            a = draw(st.integers(0, len(text)))
            text = text[:a] + draw(st.text(max_size=12) | st.sampled_from(HOSTILE)) + text[a:]
        elif op == "truncate" and text:
            text = text[:draw(st.integers(0, len(text)))]
        elif op in ("dup_line", "drop_line", "swap_lines") and lines:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "dup_line":
                lines.insert(j, lines[i])
            elif op == "drop_line":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
    return text


def texts(*seeds: str):
    """Random text, and mutations of the given real transcripts."""
    return st.one_of(st.text(max_size=200), mutated(list(seeds)))


def numbers_in(text: str) -> list[float]:
    """Every number the text holds: float tokens, and the digit runs inside them (a
    regex such as the re-id guides' ``([-\\d]+)_c(\\d)`` reads '0E2_c1' as pid 2)."""
    found = [float(d) for d in re.findall(r"-?\d+", text)]
    for token in NUMBER.findall(text):
        try:
            found.append(float(token))
        except ValueError:
            pass
    return found


def assert_in_text(value, text: str, what: str) -> None:
    """``value`` (a number the parser returned) is one of the numbers the text holds."""
    if value is None:
        return
    v = float(value)
    if math.isnan(v):
        assert re.search(r"nan", text, re.I), f"{what}: NaN not in the input"
        return
    if math.isinf(v):
        assert re.search(r"inf|e\+?\d{3}", text, re.I), f"{what}: {v} not in the input"
        return
    candidates = numbers_in(text)
    assert any(math.isclose(v, c, rel_tol=1e-9, abs_tol=1e-12) for c in candidates), \
        f"{what}: {v} does not appear in the input {text!r}"


def call(parser, *args):
    """Run ``parser``; a SuiteError is an accepted rejection (returns None)."""
    try:
        return parser(*args)
    except SuiteError as exc:
        assert str(exc).strip(), f"{parser.__name__} raised {type(exc).__name__} with an empty message"
        return None


# -- ais_bench ------------------------------------------------------------------------------
ais = pytest.importorskip("harness.ascend.ais_bench_summary")


def _check_stats(stats, text, what):
    if stats is None:
        return
    for name in ("mean", "min", "max", "median", "p99"):
        assert_in_text(getattr(stats, name), text, f"{what}.{name}")


@FUZZ
@given(texts(AIS_2024, AIS_LATE_2022, AIS_MID_2022, AIS_MULTI))
def test_ais_bench_performance_summary(text):
    summaries = call(ais.parse_performance_summaries, text) or []
    for s in summaries:
        assert_in_text(s.throughput, text, "throughput")
        assert s.throughput >= 0
        assert_in_text(s.batch_size, text, "batch size")
        for part in ("npu_compute_time", "h2d", "d2h"):
            _check_stats(getattr(s, part), text, part)
    single = call(ais.parse_performance_summary, text)
    if single is not None:
        assert_in_text(single.throughput, text, "throughput")


@FUZZ
@given(texts(AIS_MULTI, AIS_2024))
def test_ais_bench_multidevice_files_per_batch_and_error_lines(text):
    result = call(ais.parse_multidevice, text)
    if result is not None:
        per_device, total = result
        for device, value in per_device.items():
            assert_in_text(device, text, "device id")
            assert_in_text(value, text, "device throughput")
        assert_in_text(total, text, "summary throughput")
    fpb = call(ais.parse_files_per_batch, text)
    if fpb is not None:
        for name in ("file_bytes", "tensor_bytes", "files_per_batch", "runcount"):
            assert_in_text(getattr(fpb, name), text, name)
    lines = call(ais.error_lines, text)
    assert lines is None or all(isinstance(ln, str) and ln.strip() in text for ln in lines)


@FUZZ
@given(texts(SUMMARY_JSON) | st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_ais_bench_summary_json(text):
    s = call(ais.parse_summary_json, text)
    if s is not None:
        assert_in_text(s.throughput, text, "throughput")
        _check_stats(s.npu_compute_time, text, "NPU_compute_time")
        for t in s.npu_compute_time_list:
            assert_in_text(t, text, "npu_compute_time_list")


# -- legacy benchmark -----------------------------------------------------------------------
legacy = pytest.importorskip("harness.ascend.benchmark_legacy")


@FUZZ
@given(texts(LEGACY_PERF, LEGACY_PURE, INFO_FILE))
def test_legacy_benchmark_perf_and_info_files(text):
    perf = call(legacy.parse_dataset_perf, text)
    if perf is not None:
        for name in ("interface_throughput", "infer_throughput", "module_latency_ms", "e2e_throughput",
                     "e2e_latency_ms"):
            assert_in_text(getattr(perf, name), text, name)
    pure = call(legacy.parse_pure_infer, text)
    if pure is not None:
        assert_in_text(pure.throughput, text, "ave_throughputRate")
        assert_in_text(pure.latency_ms, text, "ave_latency")
    rows = call(legacy.parse_info, text) or []
    for index, path, width, height in rows:
        assert path in text
        for v in (index, width, height):
            assert_in_text(v, text, "info field")


# -- npu-smi, atc, CANN version files -------------------------------------------------------
npu_smi = pytest.importorskip("harness.ascend.npu_smi")
atc = pytest.importorskip("harness.ascend.atc")
cann = pytest.importorskip("harness.ascend.cann")


@FUZZ
@given(texts(NPU_SMI))
def test_npu_smi_info_table(text):
    info = call(npu_smi.parse_npu_smi_info, text)
    if info is not None:
        assert info.devices
        for d in info.devices:
            for v in (d.npu_id, d.chip_id, d.device_id, d.aicore_percent, d.memory_used_mb, d.memory_total_mb):
                assert_in_text(v, text, "npu-smi field")
            assert d.name in text and d.bus_id in text


@FUZZ
@given(texts(ATC_OUT), st.integers(-9, 255))
def test_atc_output(text, returncode):
    outcome = call(atc.parse_atc_output, text, returncode)
    if outcome is not None:
        assert not (outcome.success and returncode != 0)
        for d in outcome.diagnostics:
            assert d.code in text
        for line in outcome.error_lines():
            assert line.strip().split(": ", 1)[-1] in text


@FUZZ
@given(texts("image:1,3,224,224", "input:-1,3,256,192;mask:-1,1"))
def test_atc_input_shape(text):
    shapes = call(atc.parse_input_shape, text) or []
    for name, dims in shapes:
        assert name in text
        for d in dims:
            if isinstance(d, (int, float)):
                assert_in_text(d, text, "dimension")


@FUZZ
@given(texts(VERSION_CFG, INSTALL_INFO, "Version=7.0.0\n"))
def test_cann_version_files(text):
    for parser in (cann.parse_install_info, cann.parse_version_info, cann.toolkit_release_from_cfg):
        version = call(parser, text)
        assert version is None or (isinstance(version, str) and version in text)
    cfg = call(cann.parse_version_cfg, text) or {}
    for component, (inner, release) in cfg.items():
        assert component in text and inner in text and release in text
    kv = call(cann.parse_key_values, text) or {}
    for key, value in kv.items():
        assert key in text and value in text


# -- label files, result.json, .bin files ---------------------------------------------------
@FUZZ
@given(texts(RESULT_JSON))
def test_result_json(text):
    from harness.metrics.topk import parse_result_json

    values = call(parse_result_json, text) or {}
    for name, value in values.items():
        assert re.fullmatch(r"top\d+", name)
        assert_in_text(value, text, name)


@FUZZ
@given(st.binary(max_size=64), st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.sampled_from(["float32", "float16", "int64", "uint8"]))
def test_read_bin(tmp_path_factory, data, shape, dtype):
    from harness.io import read_bin

    path = tmp_path_factory.mktemp("bins") / "sample.bin"
    path.write_bytes(data)
    array = call(read_bin, path, shape, dtype)
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if len(data) == expected:
        assert array is not None and array.shape == tuple(shape) and array.tobytes() == data
    else:
        assert array is None
