"""The inference runners a host may have, how each is invoked, and which one runs a guide.

The guides use three generations of one tool (reference 3.1, 4, 11) and newer toolkits a
fourth entry point:

* ``benchmark`` - the legacy ``benchmark.{arch}`` (PAMTRI, DPN131; their throughput is its
  ``Interface throughputRate``);
* ``ais_infer`` - ``python3 ais_infer.py`` from a copied ``ais_infer`` folder (TransPose);
* ``ais_bench`` - ``python3 -m ais_bench`` (Centroids-reid, DG-Net);
* ``msit`` - ``msit benchmark``, the same engine behind the msit front end (``-om/--om-model``,
  otherwise ais_bench's option names; it needs the ais_bench and aclruntime wheels).

Each is probed by running it the way the suite will run it (``--help``, with a timeout),
so a frontend that crashes on start (the ait frontend without ``pkg_resources`` raises
``UnboundLocalError``) is reported with its own error, not found usable by an import.
``--ascend-runner`` (``SUITE_ASCEND_RUNNER``) chooses: ``auto`` takes the guide's own runner
when the host has it, else the first usable of ais_bench, msit, ais_infer, benchmark.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from harness.ascend.errors import ToolError
from harness.ascend.proc import run_tool, tail

RUNNER_ENV = "SUITE_ASCEND_RUNNER"
AIS_INFER_ENV = "SUITE_ASCEND_AIS_INFER"  # path of ais_infer.py
BENCHMARK_ENV = "SUITE_ASCEND_BENCHMARK"  # path of benchmark.{arch}
CHOICES = ("auto", "ais_bench", "msit", "ais_infer", "benchmark")
FALLBACK_ORDER = ("ais_bench", "msit", "ais_infer", "benchmark")
PROBE_TIMEOUT_S = 120.0

# The throughput statistic each runner prints (what a guide using it publishes).
NPU_MEAN = "ais_bench throughput"  # 1000 * batch / mean(NPU_compute_time)
INTERFACE = "benchmark Interface throughputRate"  # dataset mode, one device
PURE_INFER = "benchmark ave_throughputRate"  # pure-inference mode (-round), one device
STATISTIC = {"ais_bench": NPU_MEAN, "msit": NPU_MEAN, "ais_infer": NPU_MEAN, "benchmark": INTERFACE}


@dataclass(frozen=True)
class Frontend:
    """One ais_bench-family entry point: the program words and what its options are called."""

    name: str
    prefix: tuple[str, ...]
    model_flag: str = "--model"
    warmup: bool = True  # takes --warmup_count (ais_infer of 2022 has no such option)
    output_dirname: bool = True  # the suite may pass --output_dirname

    @property
    def statistic(self) -> str:
        return STATISTIC[self.name]


@dataclass(frozen=True)
class Probe:
    name: str
    usable: bool
    detail: str  # version or what the tool said when it failed
    command: tuple[str, ...] = ()


def frontend(name: str, python: str, environ: Mapping[str, str], path: str) -> Optional[Frontend]:
    """The invocation of runner ``name`` on this host, or None when its program is absent."""
    if name == "ais_bench":
        return Frontend("ais_bench", (python, "-m", "ais_bench"))
    if name == "msit":
        msit = shutil.which("msit", path=path)
        return Frontend("msit", (msit, "benchmark"), model_flag="--om-model") if msit else None
    if name == "ais_infer":
        script = find_ais_infer(environ)
        # The 2022 ais_infer has neither --warmup_count nor (before Sep 2022) --output_dirname.
        return Frontend("ais_infer", (python, str(script)), warmup=False, output_dirname=False) if script else None
    if name == "benchmark":
        program = find_benchmark(environ, path)
        return Frontend("benchmark", (program,)) if program else None
    raise ValueError(f"unknown runner {name!r}; choose one of {CHOICES}")


def find_ais_infer(environ: Mapping[str, str]) -> Optional[Path]:
    """``$SUITE_ASCEND_AIS_INFER``, else ``./ais_infer/ais_infer.py`` (where the TransPose
    guide copies the folder)."""
    given = environ.get(AIS_INFER_ENV)
    candidates = [Path(given).expanduser()] if given else [Path.cwd() / "ais_infer" / "ais_infer.py"]
    return next((p.absolute() for p in candidates if p.is_file()), None)


def find_benchmark(environ: Mapping[str, str], path: str) -> Optional[str]:
    from harness.ascend.cann import machine_arch

    given = environ.get(BENCHMARK_ENV)
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which(f"benchmark.{machine_arch()}", path=path + os.pathsep + os.getcwd())


_HELP_MARK = {"--model": re.compile(r"(?<![\w-])--model\b(?!s)"), "--om-model": re.compile(r"--om-model\b")}


def probe(fe: Frontend, env: Mapping[str, str], timeout_s: float = PROBE_TIMEOUT_S) -> Probe:
    """Run the frontend as the suite will (``--help``; the legacy benchmark: ``-version``):
    usable when it exits 0 and names the options the suite passes. The reason otherwise is
    the tool's own last error line."""
    cmd = list(fe.prefix) + (["-version"] if fe.name == "benchmark" else ["--help"])
    try:
        res = run_tool(cmd, timeout_s=timeout_s, env=env, check=False)
    except ToolError as exc:
        return Probe(fe.name, False, exc.cause, tuple(cmd))
    said = tail(res.output, 3)
    if fe.name == "benchmark":
        ok = res.returncode == 0 or "benchmark_version" in res.output
        return Probe(fe.name, ok, " / ".join(said) or f"exit {res.returncode}", tuple(cmd))
    if res.returncode != 0:
        return Probe(fe.name, False, f"`{' '.join(cmd)}` exited {res.returncode}: " + " / ".join(said), tuple(cmd))
    if not _HELP_MARK[fe.model_flag].search(res.output):
        return Probe(fe.name, False, f"`{' '.join(cmd)}` does not offer {fe.model_flag} (another tool of "
                                     f"that name?): " + " / ".join(said), tuple(cmd))
    return Probe(fe.name, True, "runs", tuple(cmd))


def requested(environ: Mapping[str, str]) -> str:
    choice = (environ.get(RUNNER_ENV) or "auto").strip()
    if choice not in CHOICES:
        raise ValueError(f"{RUNNER_ENV}={choice!r}: choose one of {', '.join(CHOICES)}")
    return choice


def choose(choice: str, guide_runner: Optional[str], probes: Mapping[str, Probe]) -> tuple[Optional[str], str]:
    """(runner name, why) for a guide; name None with the reason when nothing usable fits."""
    usable = [n for n in FALLBACK_ORDER if n in probes and probes[n].usable]
    if choice != "auto":
        p = probes.get(choice)
        if p is not None and p.usable:
            return choice, f"{choice} (requested)"
        why = p.detail if p is not None else "its program was not found"
        return None, f"runner {choice} was requested ({RUNNER_ENV}/--ascend-runner) but is not usable: {why}"
    if guide_runner in usable:
        return guide_runner, f"{guide_runner} (the guide's own runner)"
    if usable:
        own = f"; the guide's own runner {guide_runner} is not on this host" if guide_runner else ""
        return usable[0], f"{usable[0]} (auto{own})"
    reasons = "; ".join(f"{n}: {p.detail}" for n, p in probes.items()) or "none found"
    return None, f"no usable inference runner ({reasons})"
