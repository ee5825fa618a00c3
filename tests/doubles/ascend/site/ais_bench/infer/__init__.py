"""``ais_bench.infer``: present so the harness's presence check (which requires
``ais_bench.infer``, not just any package called ``ais_bench``) succeeds."""
