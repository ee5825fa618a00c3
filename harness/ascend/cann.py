"""Finding CANN without a device: ``set_env.sh``, the environment it sets, the toolkit and
driver versions, and which inference tool (``ais_bench`` or the legacy ``benchmark``)
is usable. Facts: shared/reference/ascend_tools.md sections 1, 3.1 and 7.

Search order for ``set_env.sh`` under each install root (``$SUITE_ASCEND_ROOT`` if set,
else ``/usr/local/Ascend`` then ``~/Ascend``): ``ascend-toolkit/set_env.sh``, the CANN 8.5+
``cann/set_env.sh`` and versioned ``cann-<version>/set_env.sh`` (newest first), then the
runtime-only ``nnrt/set_env.sh``. ``$SUITE_ASCEND_SET_ENV`` names a file explicitly. When the
caller already sourced it (``ASCEND_TOOLKIT_HOME`` set and ``atc`` on PATH), the current
environment is used as is.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from harness.ascend import runners
from harness.ascend.errors import ToolError, ToolOutputError
from harness.ascend.proc import run_tool

SET_ENV_RELATIVE = ("ascend-toolkit/set_env.sh", "cann/set_env.sh")
RUNTIME_ONLY_RELATIVE = ("nnrt/set_env.sh",)
PYTHON_ENV = "SUITE_ASCEND_PYTHON"  # the interpreter that runs `-m ais_bench` (default python3)


def python_executable(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get(PYTHON_ENV) or "python3"


def install_roots(environ: Mapping[str, str] = os.environ) -> list[Path]:
    if environ.get("SUITE_ASCEND_ROOT"):
        return [Path(p).expanduser() for p in environ["SUITE_ASCEND_ROOT"].split(os.pathsep) if p]
    return [Path("/usr/local/Ascend"), Path.home() / "Ascend"]


def _version_key(path: Path):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.parent.name)]


def set_env_candidates(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Every place a ``set_env.sh`` may live, in the order they are tried."""
    out: list[Path] = []
    if environ.get("SUITE_ASCEND_SET_ENV"):
        out.append(Path(environ["SUITE_ASCEND_SET_ENV"]).expanduser())
    for root in install_roots(environ):
        out += [root / rel for rel in SET_ENV_RELATIVE]
        out += sorted(root.glob("cann-*/set_env.sh"), key=_version_key, reverse=True)
        out += [root / rel for rel in RUNTIME_ONLY_RELATIVE]
    return out


def find_set_env(environ: Mapping[str, str] = os.environ) -> Optional[Path]:
    return next((p for p in set_env_candidates(environ) if p.is_file()), None)


def source_set_env(set_env: Path, base_env: Mapping[str, str], timeout_s: float = 120.0) -> dict[str, str]:
    """The environment after ``source set_env.sh`` (its own prints discarded)."""
    result = run_tool(["bash", "-c", 'source "$1" >/dev/null 2>&1; env -0', "bash", str(set_env)],
                      timeout_s=timeout_s, env=base_env)
    env: dict[str, str] = {}
    for item in result.stdout.split("\0"):
        name, sep, value = item.partition("=")
        if sep and name and not name.startswith("BASH_FUNC_"):
            env[name] = value
    if "PATH" not in env:
        raise ToolOutputError(f"sourcing {set_env} gave no PATH: not a usable environment")
    return env


# -- version files (pure parsers) -------------------------------------------------------------
def parse_key_values(text: str) -> dict[str, str]:
    """``key=value`` lines (install.info, version.info); comments and blanks ignored."""
    if not isinstance(text, str):
        raise ToolOutputError(f"expected text, got {type(text).__name__}")
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


def parse_install_info(text: str) -> str:
    """The CANN release from ``ascend_toolkit_install.info`` (``version=8.0.RC3``)."""
    version = parse_key_values(text).get("version", "")
    if not re.fullmatch(r"\d+\.\d+(\.[A-Za-z0-9]+)*", version):
        raise ToolOutputError(f"install.info has no valid version= line (got {version!r})")
    return version


_CFG_LINE = re.compile(r"^(\w+?)_(running|upgrade|installed)_version=\[([^:\]]*):([^\]]*)\]\s*$")


def parse_version_cfg(text: str) -> dict[str, tuple[str, str]]:
    """``version.cfg``: component -> (inner build, CANN release), running versions first."""
    if not isinstance(text, str):
        raise ToolOutputError(f"expected text, got {type(text).__name__}")
    out: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        m = _CFG_LINE.match(line.strip())
        if m and (m.group(2) == "running" or m.group(1) not in out):
            if not m.group(4).strip():
                raise ToolOutputError(f"version.cfg line without a release: {line.strip()!r}")
            out[m.group(1)] = (m.group(3).strip(), m.group(4).strip())
    if not out:
        raise ToolOutputError("version.cfg has no <component>_running_version=[inner:release] line")
    return out


def toolkit_release_from_cfg(text: str) -> str:
    comps = parse_version_cfg(text)
    for name in ("toolkit", "compiler", "runtime"):
        if name in comps:
            return comps[name][1]
    return next(iter(comps.values()))[1]


def parse_version_info(text: str) -> str:
    version = parse_key_values(text).get("Version", "") or parse_key_values(text).get("version", "")
    if not version:
        raise ToolOutputError("version.info has no Version= line")
    return version


def machine_arch() -> str:
    m = platform.machine().lower()
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(m, m)


def toolkit_version(home: Path) -> tuple[str, str]:
    """(release, file it came from), trying the files of reference 1.2 in order."""
    arch = machine_arch()
    attempts = [(home / f"{arch}-linux" / "ascend_toolkit_install.info", parse_install_info),
                (home / "version.cfg", toolkit_release_from_cfg),
                (home / "compiler" / "version.info", parse_version_info),
                (home / "runtime" / "version.info", parse_version_info)]
    problems = []
    for path, parse in attempts:
        try:
            return parse(path.read_text(errors="replace")), str(path)
        except FileNotFoundError:
            continue
        except ToolOutputError as exc:
            problems.append(f"{path}: {exc}")
    resolved = home.resolve()
    if re.fullmatch(r"\d+\.\d+.*", resolved.name):
        return resolved.name, f"readlink {home}"
    raise ToolOutputError(f"no CANN version found under {home} ("
                          + ("; ".join(problems) or "no install.info, version.cfg or version.info") + ")")


def driver_version(roots: list[Path]) -> Optional[str]:
    for root in roots:
        try:
            return parse_version_info((root / "driver" / "version.info").read_text(errors="replace"))
        except (OSError, ToolOutputError):
            continue
    return None


# -- the chips a toolkit compiles for -----------------------------------------------------------
PLATFORM_CONFIG_GLOBS = ("*-linux/data/platform_config", "compiler/data/platform_config")


def platform_socs(home: Optional[Path]) -> Optional[list[str]]:
    """The ``--soc_version`` values this toolkit has a platform config for: the names of
    ``<toolkit>/<arch>-linux/data/platform_config/<soc>.ini``; None when it has no such folder."""
    if home is None:
        return None
    names = {ini.stem for pattern in PLATFORM_CONFIG_GLOBS for folder in Path(home).glob(pattern)
             for ini in folder.glob("*.ini")}
    return sorted(names) or None


def soc_problem(soc: str, home: Optional[Path]) -> Optional[str]:
    """Why ``soc`` cannot be compiled for with the toolkit at ``home`` (None when it can,
    or when the toolkit lists no platform configs to check against)."""
    socs = platform_socs(home)
    if socs is None or soc in socs:
        return None
    family = [s for s in socs if s[:9] == soc[:9]] or socs
    return (f"the toolkit at {home} has no platform config for --soc_version {soc} (it has "
            f"{', '.join(family[:12])}{' ...' if len(family) > 12 else ''}); pass --soc-version with one of them")

# -- the install ------------------------------------------------------------------------------
@dataclass
class CannInstall:
    set_env: Optional[Path]
    env: dict[str, str]
    home: Optional[Path] = None
    version: Optional[str] = None
    version_source: str = ""
    driver: Optional[str] = None
    atc: Optional[str] = None
    npu_smi: Optional[str] = None
    python: str = "python3"
    ais_bench: bool = False
    ais_bench_detail: str = ""
    legacy_benchmark: Optional[str] = None
    problems: list[str] = field(default_factory=list)
    frontends: dict = field(default_factory=dict)  # runner name -> runners.Frontend (program found)
    probes: dict = field(default_factory=dict)  # runner name -> runners.Probe
    runner_choice: str = "auto"

    def runner_for(self, guide_runner: Optional[str]) -> tuple[Optional[str], str]:
        """(runner, why) for a guide whose own runner is ``guide_runner``."""
        return runners.choose(self.runner_choice, guide_runner, self.probes)

    def missing(self) -> list[str]:
        """What is missing for the ais_bench path, each phrased as what to provide."""
        out = []
        if self.set_env is None and not self.env.get("ASCEND_TOOLKIT_HOME"):
            tried = ", ".join(str(p) for p in set_env_candidates(self.env)[:6])
            out.append(f"no CANN set_env.sh found (tried {tried}; set SUITE_ASCEND_ROOT or "
                       "SUITE_ASCEND_SET_ENV)")
        if self.atc is None:
            out.append("no `atc` on PATH after sourcing set_env.sh (install the CANN toolkit)")
        runner, why = self.runner_for(None)
        if runner is None:
            out.append(why)
            if not self.ais_bench:
                out.append(f"ais_bench is not usable with `{self.python} -m ais_bench` "
                           f"({self.ais_bench_detail}); install the ais_bench and aclruntime wheels, "
                           f"or point {PYTHON_ENV} at the interpreter that has them")
        return out + self.problems


def aclruntime_version(python: str, env: Mapping[str, str], timeout_s: float = 60.0) -> str:
    """The aclruntime wheel's version, for the records (best effort: the probe that decides
    usability is running the tool, ``harness.ascend.runners.probe``)."""
    code = "import aclruntime; print(getattr(aclruntime, '__version__', 'unknown'))"
    try:
        res = run_tool([python, "-c", code], timeout_s=timeout_s, env=env, check=False)
    except ToolError:
        return "unknown"
    return res.stdout.strip() if res.returncode == 0 and res.stdout.strip() else "unknown"


def probe_runners(info: "CannInstall", environ: Mapping[str, str]) -> None:
    """Find each runner's program and run it once (``runners.probe``)."""
    path = info.env.get("PATH", "")
    for name in runners.FALLBACK_ORDER:
        fe = runners.frontend(name, info.python, environ, path)
        if fe is not None:
            info.frontends[name] = fe
            info.probes[name] = runners.probe(fe, info.env)
    ais = info.probes.get("ais_bench")
    info.ais_bench = bool(ais and ais.usable)
    info.ais_bench_detail = (f"aclruntime {aclruntime_version(info.python, info.env)}" if info.ais_bench
                             else ais.detail if ais else "not probed")
    info.legacy_benchmark = info.frontends["benchmark"].prefix[0] if "benchmark" in info.frontends else None


def discover(environ: Optional[Mapping[str, str]] = None) -> CannInstall:
    """Everything about the local CANN install that needs no device."""
    base = dict(os.environ if environ is None else environ)
    python = python_executable(base)
    set_env = find_set_env(base)
    problems: list[str] = []
    env = base
    if set_env is not None:
        try:
            env = source_set_env(set_env, base)
        except (ToolError, ToolOutputError) as exc:
            problems.append(f"sourcing {set_env} failed: {exc}")
    info = CannInstall(set_env=set_env, env=env, python=python, problems=problems)
    home = env.get("ASCEND_TOOLKIT_HOME") or env.get("ASCEND_HOME_PATH")
    if home:
        info.home = Path(home)
        try:
            info.version, info.version_source = toolkit_version(info.home)
        except ToolOutputError as exc:
            problems.append(str(exc))
    info.driver = driver_version(install_roots(base))
    path = env.get("PATH", "")
    info.atc = shutil.which("atc", path=path)
    info.npu_smi = shutil.which("npu-smi", path=path) or shutil.which("npu-smi", path="/usr/local/sbin")
    try:
        info.runner_choice = runners.requested(base)
    except ValueError as exc:
        problems.append(str(exc))
    probe_runners(info, {**base, **env})
    return info
