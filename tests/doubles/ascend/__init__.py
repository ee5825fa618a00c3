"""A faithful test double of the Ascend toolchain, built from
shared/reference/ascend_tools.md: ``atc`` (atc_double.py), ``python3 -m ais_bench``
(site/ais_bench, with a stub ``aclruntime``; the same program serves ``msit benchmark``,
msit_double.py, and the 2022 ``ais_infer.py``), the legacy ``benchmark.<arch>``
(benchmark_double.py), ``npu-smi`` (npu_smi_double.py) and a fake CANN install tree
(fake_cann.py). plugin.py puts them in place for a pytest run
(``-p tests.doubles.ascend.plugin`` or ``SUITE_ASCEND_DOUBLE=1``).

The om the atc double writes (site/ais_bench/_om.py) records the compile and refers to the
ONNX; the runners run that ONNX with ONNX Runtime at the om's static batch. Numerics are
fp32 (no fp16 emulation); timings are CPU timings, so the double's default chip
(Ascend310B4, npu_smi_double.DEFAULT_NPU_NAME) has no published throughput floor or
acceptance rule and throughput is measured, never judged -
unless a test plants the chip (SUITE_DOUBLE_NPU_NAME) and the NPU time
(SUITE_DOUBLE_NPU_TIME_MS) to judge the guides' floors end to end.
"""
