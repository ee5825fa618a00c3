"""The Ascend tool layer: ``atc``, ``ais_bench``, the legacy ``benchmark``, ``npu-smi`` and
CANN discovery, as command builders, runners (timeouts, process groups) and pure parsers.
Facts come from shared/reference/ascend_tools.md; see each module's docstring.

Modules: errors, proc (running a tool), cann (discovery, set_env.sh, versions), atc,
ais_bench (+ ais_bench_summary for its printed/JSON summaries), benchmark_legacy,
npu_smi, devices (ASCEND_RT_VISIBLE_DEVICES mapping).
"""
