"""A faithful test double of the Ascend toolchain, built from
shared/reference/ascend_tools.md: ``atc`` (atc_double.py), ``python3 -m ais_bench``
(site/ais_bench, with a stub ``aclruntime``), ``npu-smi`` (npu_smi_double.py) and a fake
CANN install tree (fake_cann.py). plugin.py puts them in place for a pytest run
(``-p tests.doubles.ascend.plugin`` or ``SUITE_ASCEND_DOUBLE=1``).

The om the atc double writes (omfile.py) records the compile and refers to the ONNX; the
ais_bench double runs that ONNX with ONNX Runtime at the om's static batch. Numerics are
fp32 (no fp16 emulation); timings are CPU timings, so the double's chip has no published
throughput floor and throughput is recorded, never judged.
"""
