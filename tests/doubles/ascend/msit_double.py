"""Test double of ``msit`` (msit 8.2.0, reference 11): only ``msit benchmark``, which
parses ais_bench's options with ``-om/--om-model`` for the model and runs the same engine
(the ais_bench double, ait lineage: its path checks apply)."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "site"))
from ais_bench.__main__ import main as ais_bench_main  # noqa: E402


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["benchmark"]:
        print("usage: msit {benchmark,...} (the double implements `msit benchmark` only)", file=sys.stderr)
        return 2
    return ais_bench_main(argv[1:], flavour="msit")


if __name__ == "__main__":
    sys.exit(main())
