"""A fake CANN install tree for the test double, laid out as reference section 1:

    <root>/Ascend/ascend-toolkit/set_env.sh
    <root>/Ascend/ascend-toolkit/latest -> <version>
    <root>/Ascend/ascend-toolkit/<version>/{version.cfg, compiler/version.info,
        <arch>-linux/ascend_toolkit_install.info, bin/atc}
    <root>/Ascend/driver/version.info
    <root>/sbin/npu-smi
    <root>/msit/bin/msit                   (the msit front end, ``msit benchmark``)
    <root>/ais_infer/ais_infer.py          (where the TransPose guide copies ais_infer)
    <root>/benchmark/benchmark.<arch>      (the legacy tool, downloaded beside a guide)

Which runners a run sees is ``SUITE_DOUBLE_RUNNERS`` (comma-separated, default
``ais_bench,msit,ais_infer,benchmark``): the others are left off PATH / PYTHONPATH / the suite's
runner variables.

``bin/atc`` is a bash wrapper that ``exec``s the double (as the real ``atc`` wrapper execs
``atc.bin``), with the interpreter that runs the tests (the system python lacks onnx).
"""
from __future__ import annotations

import os
import platform
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SITE = Path(__file__).resolve().parent / "site"
DEFAULT_VERSION = "8.0.RC3"
DEFAULT_RUNNERS = "ais_bench,msit,ais_infer,benchmark"


@dataclass(frozen=True)
class FakeCann:
    root: Path  # the install root (SUITE_ASCEND_ROOT)
    set_env: Path
    home: Path  # ASCEND_TOOLKIT_HOME
    sbin: Path  # holds npu-smi
    version: str

    def environ(self, base: dict | None = None, **double_settings: str) -> dict[str, str]:
        """An environment in which the harness finds this install and the doubles."""
        env = dict(os.environ if base is None else base)
        for k in [k for k in env if k.startswith("SUITE_DOUBLE_") or k in ("ASCEND_TOOLKIT_HOME",
                                                                             "ASCEND_RT_VISIBLE_DEVICES")]:
            env.pop(k)
        env["SUITE_ASCEND_ROOT"] = str(self.root)
        for k in ("SUITE_ASCEND_SET_ENV", "SUITE_ASCEND_AIS_INFER", "SUITE_ASCEND_BENCHMARK"):
            env.pop(k, None)
        runners = set((double_settings.get("SUITE_DOUBLE_RUNNERS") or DEFAULT_RUNNERS).split(","))
        path = [str(self.sbin)] + ([str(self.sbin.parent / "msit" / "bin")] if "msit" in runners else [])
        env["PATH"] = os.pathsep.join(path + [env.get("PATH", "/usr/bin:/bin")])
        site = [str(SITE)] if "ais_bench" in runners else []
        env["PYTHONPATH"] = os.pathsep.join(site + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        if "ais_infer" in runners:
            env["SUITE_ASCEND_AIS_INFER"] = str(self.sbin.parent / "ais_infer" / "ais_infer.py")
        if "benchmark" in runners:
            env["SUITE_ASCEND_BENCHMARK"] = str(self.sbin.parent / "benchmark" / f"benchmark.{_arch()}")
        env["SUITE_ASCEND_PYTHON"] = sys.executable
        env["SUITE_DOUBLE_CANN_VERSION"] = self.version
        env.update(double_settings)
        return env


def _wrapper(path: Path, module: str) -> None:
    path.write_text("#!/usr/bin/env bash\n"
                    f"# test double: {module} (tests/doubles/ascend)\n"
                    f"export PYTHONPATH={shlex.quote(str(REPO))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
                    f"exec {shlex.quote(sys.executable)} -m {module} \"$@\"\n")
    path.chmod(0o755)


def _arch() -> str:
    return {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())


def install(base: Path, version: str = DEFAULT_VERSION, driver: str = "23.0.3") -> FakeCann:
    arch = _arch()
    root = Path(base) / "Ascend"
    toolkit = root / "ascend-toolkit"
    home = toolkit / version
    (home / "bin").mkdir(parents=True, exist_ok=True)
    (home / "compiler").mkdir(exist_ok=True)
    (home / f"{arch}-linux").mkdir(exist_ok=True)
    latest = toolkit / "latest"
    if not latest.exists():
        latest.symlink_to(version)
    (home / f"{arch}-linux" / "ascend_toolkit_install.info").write_text(
        f"package_name=Ascend-cann-toolkit\nversion={version}\ninnerversion=V100R001C19SPC001B155\n"
        f"compatible_version=[V100R001C13,V100R001C19],[V100R001C30]\narch={arch}\nos=linux\n"
        f"path={home}/{arch}-linux\n")
    (home / "version.cfg").write_text(
        "# version: 1.0\n" + "".join(f"{c}_running_version=[7.6.0.1.220:{version}]\n"
                                     for c in ("runtime", "compiler", "hccl", "opp", "toolkit")))
    (home / "compiler" / "version.info").write_text(f"Version={version}\n")
    _wrapper(home / "bin" / "atc", "tests.doubles.ascend.atc_double")
    set_env = toolkit / "set_env.sh"
    set_env.write_text(
        "# fake CANN set_env.sh (test double); the exports follow the real file\n"
        f"export ASCEND_TOOLKIT_HOME={shlex.quote(str(latest))}\n"
        "export LD_LIBRARY_PATH=${ASCEND_TOOLKIT_HOME}/lib64:${ASCEND_TOOLKIT_HOME}/lib64/plugin/opskernel:"
        "${ASCEND_TOOLKIT_HOME}/lib64/plugin/nnengine:$LD_LIBRARY_PATH\n"
        "export PYTHONPATH=${ASCEND_TOOLKIT_HOME}/python/site-packages:$PYTHONPATH\n"
        "export PATH=${ASCEND_TOOLKIT_HOME}/bin:${ASCEND_TOOLKIT_HOME}/compiler/ccec_compiler/bin:$PATH\n"
        "export ASCEND_AICPU_PATH=${ASCEND_TOOLKIT_HOME}\n"
        "export ASCEND_OPP_PATH=${ASCEND_TOOLKIT_HOME}/opp\n"
        "export TOOLCHAIN_HOME=${ASCEND_TOOLKIT_HOME}/toolkit\n"
        "export ASCEND_HOME_PATH=${ASCEND_TOOLKIT_HOME}\n"
        "echo 'set_env done'\n")
    (root / "driver").mkdir(exist_ok=True)
    (root / "driver" / "version.info").write_text(f"Version={driver}\n")
    sbin = Path(base) / "sbin"
    sbin.mkdir(exist_ok=True)
    _wrapper(sbin / "npu-smi", "tests.doubles.ascend.npu_smi_double")
    (Path(base) / "msit" / "bin").mkdir(parents=True, exist_ok=True)
    _wrapper(Path(base) / "msit" / "bin" / "msit", "tests.doubles.ascend.msit_double")
    ais_infer = Path(base) / "ais_infer"
    ais_infer.mkdir(exist_ok=True)
    (ais_infer / "ais_infer.py").write_text(
        "# test double: ais_infer.py of 2022 (tests/doubles/ascend/site/ais_bench)\n"
        f"import sys\nsys.path.insert(0, {str(SITE)!r})\n"
        "from ais_bench.__main__ import main\nsys.exit(main(flavour='ais_infer'))\n")
    (Path(base) / "benchmark").mkdir(exist_ok=True)
    _wrapper(Path(base) / "benchmark" / f"benchmark.{arch}", "tests.doubles.ascend.benchmark_double")
    return FakeCann(root, set_env, latest, sbin, version)
