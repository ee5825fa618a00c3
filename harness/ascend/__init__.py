"""The Ascend tool layer: ``atc``, ``ais_bench``, the legacy ``benchmark``, ``npu-smi`` and
CANN discovery, as command builders, runners (timeouts, process groups) and pure parsers.
Facts come from shared/reference/ascend_tools.md; see each module's docstring.

Modules: errors, proc (running a tool), cann (discovery, set_env.sh, versions), atc
(+ fusion_switch for the two fusion switch file forms), ais_bench (+ ais_bench_summary for
its printed/JSON summaries), benchmark_legacy, runners (which inference runner a host has
and which one runs a guide), ais_runner and legacy_runner (the stages through each),
paths (what the runners' path checks accept), npu_smi, devices
(ASCEND_RT_VISIBLE_DEVICES mapping).
"""
