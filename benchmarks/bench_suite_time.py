"""Wall time of the default test run (what CI runs: ``bin/run-tests -n 2``) from a cold
artifact cache, with the slowest tests.

    python -m benchmarks.bench_suite_time [--timeout 1800]
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Row, table

ROOT = Path(__file__).resolve().parent.parent


def run(timeout: float = 1800.0, workers: int = 2) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pytest", "tests", "-n", str(workers), "-q",
               "--durations=20", "--cache-dir", str(Path(tmp) / "cache"),
               "--results", str(Path(tmp) / "results.jsonl")]
        env = dict(os.environ, CI="true")  # as CI: no progress bars
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            raise SystemExit(f"{' '.join(cmd)} still running after {timeout:.0f} s; last output:\n"
                             + out[-3000:])
        seconds = time.perf_counter() - t0
    summary = next((l for l in reversed(out.splitlines()) if re.search(r"\d+ (passed|failed)", l)), "?")
    durations = out.split("slowest 20 durations", 1)[-1].split("\n=", 1)[0].strip().splitlines()[1:13]
    failed = [l for l in out.splitlines() if l.startswith(("FAILED", "ERROR"))]
    print("\n".join(["slowest tests:"] + durations + failed), file=sys.stderr)
    return [Row(f"default test run, -n {workers}, cold cache", "-", f"{seconds / 60:.1f} min",
                float("nan"), "<= 5 min", seconds <= 300.0,
                f"exit {proc.returncode}: {summary.strip('= ')}", extra={"seconds": seconds,
                                                                       "durations": durations})]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("-n", type=int, default=2, dest="workers")
    args = ap.parse_args(argv)
    print(table(run(args.timeout, args.workers)))


if __name__ == "__main__":
    main()
