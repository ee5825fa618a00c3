"""Parsers of the Ascend tools over every transcript in shared/reference/ascend_tools.md
(section 8, and the format variants of 1.2, 3.5, 4.4, 6.1), plus malformed input: each
parser raises its ``ValueError`` subclass instead of returning a plausible wrong number."""
from __future__ import annotations

import math

import pytest

from harness.ascend import atc, benchmark_legacy as legacy, cann, npu_smi
from harness.ascend.ais_bench_summary import (
    AisBenchOutputError, error_lines, output_path_line, parse_files_per_batch, parse_multidevice,
    parse_performance_summaries, parse_performance_summary, parse_summary_json,
)
from harness.ascend.errors import ToolOutputError
from tests.harness import ascend_transcripts as T


# -- CANN version files (1.2) ------------------------------------------------------------------
def test_install_info_version():
    assert cann.parse_install_info(T.INSTALL_INFO_8_0_RC3) == "8.0.RC3"


def test_version_cfg_release_after_colon():
    comps = cann.parse_version_cfg(T.VERSION_CFG_8_0_0)
    assert comps["toolkit"] == ("7.6.0.1.220", "8.0.0")
    assert set(comps) == {"runtime", "compiler", "hccl", "opp", "toolkit"}
    assert cann.toolkit_release_from_cfg(T.VERSION_CFG_8_0_0) == "8.0.0"
    # the older one-line form quoted in 1.2
    assert cann.toolkit_release_from_cfg("runtime_running_version=[1.84.15.1.310:6.0.1]\n") == "6.0.1"


@pytest.mark.parametrize("text", ["", "# version: 1.0\n", "toolkit_running_version=[7.6.0.1.220:]\n"])
def test_version_cfg_rejects_bad(text):
    with pytest.raises(ToolOutputError):
        cann.parse_version_cfg(text)


def test_install_info_rejects_missing_version():
    with pytest.raises(ToolOutputError):
        cann.parse_install_info("package_name=Ascend-cann-toolkit\narch=aarch64\n")


def test_toolkit_version_file_order(tmp_path):
    """install.info wins over version.cfg; without both, compiler/version.info."""
    arch = cann.machine_arch()
    (tmp_path / "compiler").mkdir()
    (tmp_path / "compiler" / "version.info").write_text("Version=7.0.0\n")
    assert cann.toolkit_version(tmp_path)[0] == "7.0.0"
    (tmp_path / "version.cfg").write_text(T.VERSION_CFG_8_0_0)
    assert cann.toolkit_version(tmp_path)[0] == "8.0.0"
    (tmp_path / f"{arch}-linux").mkdir()
    (tmp_path / f"{arch}-linux" / "ascend_toolkit_install.info").write_text(T.INSTALL_INFO_8_0_RC3)
    release, source = cann.toolkit_version(tmp_path)
    assert (release, source.endswith("ascend_toolkit_install.info")) == ("8.0.RC3", True)


# -- atc (8.1, 8.2) ------------------------------------------------------------------------------
def test_atc_success_with_warnings():
    out = atc.parse_atc_output(T.ATC_SUCCESS_WARNINGS, 0)
    assert out.success and out.started and not out.errors
    assert [w.code for w in out.warnings] == ["W11001", "W11001"]
    assert "PartitionedCall_AvgPool_45_2" in out.warnings[0].message


def test_atc_plain_success_needs_exit_zero():
    assert atc.parse_atc_output(T.ATC_SUCCESS_PLAIN, 0).success
    assert not atc.parse_atc_output(T.ATC_SUCCESS_PLAIN, 255).success


@pytest.mark.parametrize("text,code,needle", [
    (T.ATC_E10007_CANN8, "E10007", "[--framework] is required"),
    (T.ATC_E10007_CANN7, "E10007", "[--framework] is required"),
    (T.ATC_E10054, "E10054", "The requied parameter [--model] for ATC is empty"),
    (T.ATC_EZ3003, "EZ3003", "No supported Ops kernel and engine are found for [AddDsl]"),
])
def test_atc_failures(text, code, needle):
    out = atc.parse_atc_output(text, 255)
    assert not out.success and out.started
    assert [d.code for d in out.errors] == [code]
    assert out.errors[0].message.startswith(needle)  # the "[PID: n] <time>" prefix is stripped


def test_atc_ez3003_keeps_cause_and_solution():
    err = atc.parse_atc_output(T.ATC_EZ3003, 255).errors[0]
    assert err.detail[0].startswith("Possible Cause: The operator is not supported")
    assert err.detail[1].startswith("Solution: 1. Check that the OPP component")
    assert "build graph failed" in err.detail[-1]
    lines = atc.parse_atc_output(T.ATC_EZ3003, 255).error_lines()
    assert lines[0].startswith("EZ3003: No supported Ops") and "Possible Cause" in lines[1]


def test_atc_library_missing_is_a_failure_before_start():
    out = atc.parse_atc_output(T.ATC_LIBRARY_MISSING, 127)
    assert not out.success and not out.started
    assert "libascend_hal.so" in out.other_errors[0]


def test_atc_contradictory_output_rejected():
    with pytest.raises(ToolOutputError):
        atc.parse_atc_output(atc.SUCCESS_LINE + "\n" + atc.FAILED_PREFIX + ", Please check\n", 0)


def test_atc_tolerates_interleaved_log_lines():
    text = ("ATC start working now, please wait for a moment.\n"
            "[INFO] GE(30741,atc.bin):2021-12-09-16:10:22.539.201 [main.cc:1]30741 something\n"
            + T.ATC_SUCCESS_PLAIN.splitlines()[1] + "\n")
    assert atc.parse_atc_output(text, 0).success


# -- ais_bench Performance Summary (3.5, 8.3-8.8) --------------------------------------------------
def test_ais_resnet50_bs64_2024():
    s = parse_performance_summary(T.AIS_RESNET50_BS64)
    assert s.form == "2023+" and s.batch_size == 64
    assert s.npu_compute_time.mean == 13.476432624680307
    assert s.npu_compute_time.p99 == 13.55142578125
    assert s.throughput == 4749.03127425521
    fpb = parse_files_per_batch(T.AIS_RESNET50_BS64)
    assert (fpb.file_bytes, fpb.tensor_bytes, fpb.files_per_batch, fpb.runcount) == (196608, 12582912, 64, 782)
    assert output_path_line(T.AIS_RESNET50_BS64) == "./result"


def test_ais_loop_310b1():
    s = parse_performance_summary(T.AIS_LOOP_310B1)
    assert (s.batch_size, s.npu_compute_time.median, s.throughput) == (1, 13.670999526977539, 73.07201342826471)


def test_ais_display_all_summary():
    s = parse_performance_summary(T.AIS_DISPLAY_ALL)
    assert s.h2d.mean == 0.05700000002980232 and s.d2h.mean == 0.014999999664723873
    assert s.npu_compute_time.mean == 0.6650000214576721 and s.throughput == 1503.759349974173


def test_ais_late_2022_forms():
    a = parse_performance_summary(T.AIS_LATE_2022_H2D)
    assert (a.form, a.batch_size, a.throughput) == ("late-2022", 1, 31.506442728849557)
    assert a.h2d is not None and a.d2h.max == 0.2899169921875
    b = parse_performance_summary(T.AIS_LATE_2022)
    assert (b.form, b.batch_size, b.throughput, b.h2d) == ("late-2022", 64, 148.1286544184991, None)


def test_ais_infer_mid_2022():
    s = parse_performance_summary(T.AIS_INFER_MID_2022)
    assert (s.form, s.batch_size, s.throughput) == ("mid-2022", None, 171.5691219234638)
    assert s.npu_compute_time.mean == 5.828554630279541


def test_ais_multidevice():
    blocks = parse_performance_summaries(T.AIS_MULTIDEVICE)
    assert [b.throughput for b in blocks] == [281.38893494131406, 276.54867008654026]
    with pytest.raises(AisBenchOutputError, match="found 2"):
        parse_performance_summary(T.AIS_MULTIDEVICE)
    per_device, total = parse_multidevice(T.AIS_MULTIDEVICE)
    assert per_device == {1: 281.38893494131406, 2: 276.54867008654026} and total == 557.9376050278543


def test_ais_multithread_mean_only_variant():
    text = ("[INFO] -----------------Performance Summary------------------\n"
            "[INFO] NPU_compute_time (ms): mean = 2.5\n"
            "[INFO] throughput 1000*batchsize.mean(4)/NPU_compute_time.mean(2.5): 1600.0\n")
    s = parse_performance_summary(text)
    assert s.npu_compute_time.min is None and s.npu_compute_time.mean == 2.5 and s.throughput == 1600.0


def test_ais_current_form_template_is_not_numbers():
    with pytest.raises(AisBenchOutputError):
        parse_performance_summary(T.AIS_SUMMARY_CURRENT_FORM)


@pytest.mark.parametrize("text", [
    "",
    "[INFO] acl init success\n",
    T.AIS_LOOP_310B1.replace("[INFO] throughput", "[INFO] thruput"),          # no throughput line
    "\n".join(l for l in T.AIS_LOOP_310B1.splitlines() if "NPU_compute_time (ms)" not in l),
    T.AIS_LOOP_310B1.replace("mean = 13.685129957199097", "mean = 99.0"),    # mean outside min..max
    T.AIS_LOOP_310B1.replace("): 73.07201342826471", "): 7.307201342826471"),  # not 1000*bs/mean
    T.AIS_LOOP_310B1.replace("NPU_compute_time.mean(13.685129957199097)", "NPU_compute_time.mean(12.5)"),
    T.AIS_LOOP_310B1.replace("min = 13.479999542236328", "min = abc"),
    T.AIS_LOOP_310B1.replace("median = 13.670999526977539, ", ""),
])
def test_ais_summary_rejects_malformed(text):
    with pytest.raises(AisBenchOutputError):
        parse_performance_summary(text)


def test_ais_errors_are_collected():
    assert error_lines(T.AIS_ERR_SIZE) == ["[ERROR] arg0 tensorsize: 196608 filesize: 602112 not match"]
    lines = error_lines(T.AIS_ERR_DEVICE)
    assert lines[0] == "EL003: The argument is invalid."
    assert "[ERROR] acl open device 0 failed" in lines and "SetDevice failed.ret=507033" in lines
    with pytest.raises(AisBenchOutputError):
        parse_performance_summary(T.AIS_ERR_DEVICE)


# -- summary JSON (3.4, 8.7) -------------------------------------------------------------------
def test_sumary_sep_2022_printed_form():
    s = parse_summary_json(T.AIS_SUMARY_SEP_2022)
    assert s.throughput == 396.2040387925606 and s.npu_compute_time.mean == 2.5239520602756076
    assert s.h2d.max == 1.0373592376708984 and s.npu_compute_time_list == ()


def test_summary_json_2023():
    import json
    times = [1.0, 2.0, 3.0]
    data = {"filesinfo": {"0": {"infiles": ["a.bin"], "outfiles": ["r/a_0.bin"]}}, "args": ["ais_bench"],
            "NPU_compute_time": {"min": 1.0, "max": 3.0, "mean": 2.0, "median": 2.0, "percentile(99%)": 2.98,
                                 "count": 3},
            "throughput": 500.0, "npu_compute_time_list": times, "pid": 7}
    s = parse_summary_json(json.dumps(data))
    assert s.npu_compute_time_list == (1.0, 2.0, 3.0) and s.filesinfo["0"]["infiles"] == ["a.bin"]
    for broken in ({**data, "npu_compute_time_list": [1.0, 2.0]},            # count mismatch
                   {**data, "npu_compute_time_list": [1.0, 1.0, 1.0]},       # does not average to mean
                   {**data, "throughput": "fast"}, {**data, "NPU_compute_time": {}},
                   {**data, "npu_compute_time_list": [1.0, None, 3.0]}):
        with pytest.raises(AisBenchOutputError):
            parse_summary_json(json.dumps(broken))
    for junk in ("", "[]", "{", "sumary:{'x': __import__('os')}"):
        with pytest.raises(AisBenchOutputError):
            parse_summary_json(junk)


# -- legacy benchmark (4.4, 8.10) -----------------------------------------------------------------
def test_legacy_dpn131_perf_file_times_four():
    p = legacy.parse_dataset_perf(T.LEGACY_PERF_FILE_DPN131)
    assert p.interface_throughput == 37.1687 and p.e2e_latency_ms == 1.45105e+06
    assert math.isclose(p.card_throughput("Ascend310"), 148.6748)  # the guide's 37.1687x4
    assert p.card_throughput("Ascend310P3") == 37.1687


def test_legacy_both_generations():
    a = legacy.parse_dataset_perf(T.LEGACY_DATASET_STDOUT_INFERENCE)
    b = legacy.parse_dataset_perf(T.LEGACY_PERF_FILE_INFER)
    assert (a.interface_throughput, a.infer_throughput, a.module_latency_ms) == (3275.55, 182.0, 0.561457)
    assert (b.interface_throughput, b.e2e_throughput) == (247.898, 170.628)


def test_legacy_perf_line_padded_after_a_colon():
    """ModelZoo ICNet README: ~100 spaces after ``moduleLatency:`` (reference 11)."""
    padded = legacy.parse_dataset_perf(T.LEGACY_PERF_ICNET_PADDED)
    assert (padded.interface_throughput, padded.module_latency_ms) == (1.22385, 817.09)
    blank = legacy.parse_dataset_perf(T.LEGACY_PERF_ICNET_BLANK)
    assert (blank.interface_throughput, blank.infer_throughput, blank.module_latency_ms) == (1.22385, 1.17, None)
    spaced = legacy.parse_dataset_perf(T.LEGACY_PERF_FILE_DPN131.replace(": ", ":      "))
    assert spaced.interface_throughput == 37.1687 and spaced.e2e_latency_ms == 1.45105e+06


def test_legacy_pure_infer_forms():
    assert legacy.parse_pure_infer(T.LEGACY_PURE_STDOUT_DPN131) == legacy.PureInferPerf(38.4344, 26.1589)
    assert legacy.parse_pure_infer(T.LEGACY_PURE_STDOUT_ICNET).throughput == 1.86946
    assert legacy.parse_pure_infer(T.LEGACY_PURE_FILE) == legacy.PureInferPerf(167.46, 6.02002)


@pytest.mark.parametrize("text", ["", T.LEGACY_PERF_FILE_DPN131.replace("Interface throughputRate", "Iface"),
                                  T.LEGACY_PERF_FILE_DPN131 + T.LEGACY_PERF_FILE_DPN131])
def test_legacy_perf_rejects(text):
    with pytest.raises(ToolOutputError):
        legacy.parse_dataset_perf(text)


def test_legacy_pure_rejects_zero_and_missing():
    for text in ("", "ave_throughputRate = 0samples/s, ave_latency = 0ms"):
        with pytest.raises(ToolOutputError):
            legacy.parse_pure_infer(text)


# -- npu-smi (6.1, 8.12) -----------------------------------------------------------------------------
def test_npu_smi_310p3_with_header():
    info = npu_smi.parse_npu_smi_info(T.NPU_SMI_310P3_HEADER)
    assert (info.tool_version, info.driver_version) == ("22.0.0", "22.0.2")
    (d,) = info.devices
    assert (d.name, d.soc_version, d.device_id, d.bus_id, d.aicore_percent, d.memory_used_mb,
            d.memory_total_mb) == ("310P3", "Ascend310P3", 0, "0000:5E:00.0", 0, 931, 21534)
    assert npu_smi.busy_reasons(info, 0) == []


def test_npu_smi_two_310p3_template():
    info = npu_smi.parse_npu_smi_info(T.NPU_SMI_TWO_310P3)
    assert [(d.npu_id, d.device_id, d.bus_id) for d in info.devices] == [(0, 0, "0000:82:00.0"), (1, 1, "0000:89:00.0")]
    assert info.tool_version is None


def test_npu_smi_old_310_bus_na():
    (d,) = npu_smi.parse_npu_smi_info(T.NPU_SMI_310_OLD).devices
    assert (d.soc_version, d.bus_id, d.memory_used_mb, d.memory_total_mb) == ("Ascend310", "NA", 5324, 8192)


def test_npu_smi_process_table_busy():
    idle = T.NPU_SMI_310P3_HEADER + T.NPU_SMI_PROCESS_TABLE.replace("32896", "0")
    info = npu_smi.parse_npu_smi_info(idle)
    assert info.has_process_table and npu_smi.busy_reasons(info, 0) == []
    busy_row = "| 0       0                 | 190611        | /usr/bin/python          | 113                     |"
    busy = T.NPU_SMI_310P3_HEADER + "\n".join(T.NPU_SMI_PROCESS_TABLE.splitlines()[:3]) + "\n" + busy_row + "\n"
    reasons = npu_smi.busy_reasons(npu_smi.parse_npu_smi_info(busy), 0)
    assert reasons == ["processes 190611 (/usr/bin/python, 113 MB)"]
    loaded = T.NPU_SMI_310P3_HEADER.replace("| 0            931  / 21534", "| 35           931  / 21534")
    assert npu_smi.busy_reasons(npu_smi.parse_npu_smi_info(loaded), 0) == ["AICore 35%"]


def test_npu_smi_910b_rows_without_device_and_with_hbm():
    text = ("| 0     910B3               | OK            | 93.6        40                0    / 0             |\n"
            "| 0                         | 0000:C1:00.0  | 0           0    / 0          3381 / 65536         |\n")
    (d,) = npu_smi.parse_npu_smi_info(text).devices
    # No id column on 910B rows: the logical id comes from `npu-smi info -m`, never from the NPU id.
    assert (d.soc_version, d.device_id, d.hbm_used_mb, d.hbm_total_mb) == ("Ascend910B3", None, 3381, 65536)


@pytest.mark.parametrize("name,soc", [("310P3", "Ascend310P3"), ("310", "Ascend310"), ("910B3", "Ascend910B3"),
                                      ("310B1", "Ascend310B1"), ("Ascend910B", "Ascend910B"),
                                      ("Ascend 310P3", "Ascend310P3")])
def test_soc_version(name, soc):
    assert npu_smi.soc_version(name) == soc


@pytest.mark.parametrize("text", ["", "no table here",
                                  "\n".join(T.NPU_SMI_310P3_HEADER.splitlines()[:7]),  # row 1 without row 2
                                  T.NPU_SMI_310_OLD.replace("5324 / 8192", "9324 / 8192")])
def test_npu_smi_rejects_malformed(text):
    with pytest.raises(ToolOutputError):
        npu_smi.parse_npu_smi_info(text)


# -- robustness: any text either parses or raises the parser's ValueError subclass --------------
from hypothesis import given, settings, strategies as st  # noqa: E402

_PARSERS = [parse_performance_summary, parse_summary_json, npu_smi.parse_npu_smi_info,
            legacy.parse_dataset_perf, legacy.parse_pure_infer, cann.parse_version_cfg,
            cann.parse_install_info, parse_files_per_batch, lambda t: atc.parse_atc_output(t, 0)]
_SEEDS = [T.AIS_RESNET50_BS64, T.AIS_SUMARY_SEP_2022, T.NPU_SMI_310P3_HEADER, T.LEGACY_PERF_FILE_DPN131,
          T.LEGACY_PURE_FILE, T.VERSION_CFG_8_0_0, T.INSTALL_INFO_8_0_RC3, T.AIS_RESNET50_BS64, T.ATC_EZ3003]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_parsers_fail_only_with_their_error(data):
    i = data.draw(st.integers(0, len(_PARSERS) - 1))
    seed = _SEEDS[i]
    a = data.draw(st.integers(0, len(seed)))
    b = data.draw(st.integers(a, len(seed)))
    junk = data.draw(st.text(max_size=20))
    text = seed[:a] + junk + seed[b:]  # a transcript with a slice replaced by arbitrary text
    try:
        _PARSERS[i](text)
    except ToolOutputError:
        pass
