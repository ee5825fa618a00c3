"""The Ascend backend: ``atc`` compiles the guide's ONNX per batch size for the chip's
``--soc_version``; an inference runner runs it (accuracy over whole folders of ``.bin``
files, throughput by pure inference): ``ais_bench``, ``msit benchmark``, ``ais_infer.py``
or the legacy ``benchmark.{arch}``, the guide's own where the host has it
(``harness.ascend.runners``). Results go into the same records as every backend. The tool
layer is ``harness.ascend``; facts: shared/reference/ascend_tools.md. Streamed
preprocessing (``--prepared-data``) reaches a runner as files too, one shard at a time
(``harness.backends.ascend_shards``, ``--shard-size``).

Everything handed to a runner passes the ait/msit path checks (``harness.ascend.paths``):
folders 0750 and files 0640 whatever the umask, hard links or copies instead of symlinks,
safe-character paths, absolute output folders.

Compiled models are cached (``options.extra["cache"]``, an ``ArtifactCache``) by the
digest of the ONNX, the atc flags and files, the soc and the toolkit version, so xdist
workers compile each once under the cache's file lock.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from harness.ascend import cann, fusion_switch, npu_smi, paths
from harness.ascend.ais_runner import AisFamilyRunner
from harness.ascend.atc import AtcCompile, find_om, run_atc
from harness.ascend.devices import VISIBLE_ENV, runtime_device_id
from harness.ascend.errors import AisBenchError, ToolError
from harness.backends.ascend_shards import DEFAULT_SHARD_SIZE, ShardedFeed, rounded_shard_size, runner_file_names
from harness.backends.base import Availability, Backend, BackendError, CompiledModel, CompileOptions
from harness.hashing import file_digest
from harness.io import SampleIOError, check_outputs, list_bins
from harness.perf import PerfStats

log = logging.getLogger(__name__)

PERF_SOURCE = "ais_bench NPU_compute_time"
_DIGESTS: dict = {}


def _onnx_digest(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        _DIGESTS[key] = file_digest(path)
    return _DIGESTS[key]


class AscendModel(CompiledModel):
    backend = "ascend"
    in_process = False  # its runners read files: a stream reaches them in shards (run_stream)

    def __init__(self, guide, batch_size: int, path: Path, backend: "AscendBackend",
                 options: CompileOptions, work_dir: Path):
        super().__init__(guide, batch_size, path)
        self._backend = backend
        self.options = options
        self.work_dir = Path(work_dir)
        self.physical_device = options.device_id
        self.runner_name, self.runner_why = backend.install().runner_for(getattr(guide, "runner", None))
        if self.runner_name is None:
            raise BackendError(self.runner_why)
        self.last_feed: dict = {}  # how the last streamed run was fed (shards), for the log and tests

    # -- plumbing ----------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(self._backend.install().env)
        if VISIBLE_ENV in os.environ:  # set per xdist worker after discovery may have run
            env[VISIBLE_ENV] = os.environ[VISIBLE_ENV]
        return env

    def _device(self, env) -> int:
        try:
            return runtime_device_id(self.physical_device, env)
        except ValueError as exc:
            raise BackendError(str(exc)) from None

    def _runner(self):
        """The runner chosen for this guide, bound to the device and timeout."""
        env = self._env()
        fe = self._backend.install().frontends[self.runner_name]
        if self.runner_name == "benchmark":
            from harness.ascend.legacy_runner import LegacyRunner

            return LegacyRunner(fe, env, self.options.timeout_s, self._device(env), self.guide)
        return AisFamilyRunner(fe, env, self.options.timeout_s, self._device(env))

    def _scratch(self, tag: str) -> Path:
        """A fresh folder (0750) under a safe-character root, removed after a good run."""
        root = paths.safe_root(self.work_dir)
        folder = Path(tempfile.mkdtemp(prefix=f"{paths.safe_stem(self.path.stem, 0)}.{tag}.", dir=root))
        return paths.make_dir(folder)

    def _om(self, scratch: Path) -> Path:
        return paths.ready_file(self.path, scratch / "om")

    @property
    def provenance(self) -> dict:
        return {"runner": self.runner_name, "runner_choice": self.runner_why}

    # -- one batch -----------------------------------------------------------------------------
    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """One batch: each input written as one file holding the whole batch (the runner then
        takes one file per batch), outputs read back with their exact byte size checked."""
        scratch = self._scratch("run")
        files = []
        for k, spec in enumerate(self.guide.inputs):
            arr = np.ascontiguousarray(feeds[spec.name], dtype=spec.dtype)
            if tuple(arr.shape) != spec.concrete(self.batch_size):
                raise ValueError(f"input {spec.name!r} has shape {tuple(arr.shape)}, om compiled for "
                                 f"{spec.concrete(self.batch_size)}")
            folder = paths.make_dir(paths.make_dir(scratch / "in") / f"input{k}")
            files.append(paths.write_array(folder / "batch.bin", arr))
        command, written = self._runner().run_files(self._om(scratch), files, len(self.guide.outputs), scratch)
        outputs = []
        for path, out in zip(written, self.guide.outputs):
            shape = out.concrete(self.batch_size)
            expected = int(np.prod(shape)) * np.dtype(out.dtype).itemsize
            size = path.stat().st_size if path.is_file() else None
            if size != expected:
                raise AisBenchError(command, f"{path}: " + ("missing" if size is None else f"{size} bytes, "
                                                            f"expected {expected} ({out.dtype} {shape})"), 0)
            outputs.append(np.fromfile(path, dtype=out.dtype).reshape(shape))
        shutil.rmtree(scratch, ignore_errors=True)
        return outputs

    # -- a whole dataset -------------------------------------------------------------------------
    def run_samples(self, input_dirs: Mapping[str, Path], sample_ids: Sequence[str],
                    work_dir: Optional[Path] = None, progress=None):
        """ONE runner pass over the input folders (several inputs in model input order),
        then the output files mapped back to sample ids."""
        ids = list(sample_ids)
        if not ids:
            raise SampleIOError("zero samples to run")
        scratch = self._scratch("samples")
        names = runner_file_names(ids)
        dirs = [self._selection(Path(input_dirs[s.name]), ids, names, scratch / "selected" / f"input{k}")
                for k, s in enumerate(self.guide.inputs)]
        outputs = self._runner().run_folders(self._om(scratch), dirs, names, self.guide.outputs,
                                             self.batch_size, scratch)
        check_outputs(outputs, ids, what=f"ascend bs{self.batch_size}")
        if progress is not None:
            progress(len(ids))
        shutil.rmtree(scratch, ignore_errors=True)
        return outputs

    @property
    def shard_size(self) -> int:
        """Samples per runner pass of a streamed run (``--shard-size``, ``options.extra``),
        rounded up to whole batches so each shard's batches are those of one full run."""
        return rounded_shard_size(self.options.extra.get("shard_size", DEFAULT_SHARD_SIZE), self.batch_size)

    def run_stream(self, stream, progress=None):
        """Every sample of a ``SampleStream``, written and run in shards of ``shard_size``
        files (one runner pass each, ``harness.backends.ascend_shards``), each shard deleted
        once its outputs are read: the outputs ``run_samples`` gives over all the files,
        with about one shard per input set on disk at a time. Progress ticks per shard."""
        scratch = self._scratch("stream")
        runner = self._runner()
        om = self._om(scratch)

        def run_shard(dirs, names, work):
            return runner.run_folders(om, dirs, names, self.guide.outputs, self.batch_size, work)

        feed = ShardedFeed(self.guide.inputs, self.shard_size, scratch, runner.batch_order, run_shard,
                           progress, what=f"ascend bs{self.batch_size}")
        results = feed.run(stream)
        self.last_feed = {"prepared_data": "streamed in shards", "shard_size": feed.size,
                          "shards": feed.shards_run, "peak_input_files": feed.peak_input_files,
                          "runner": self.runner_name}
        log.info("%s ascend bs%d: %d samples streamed through %s in %d shard(s) of up to %d samples "
                 "(--shard-size), at most %d input files on disk at once", self.guide.name, self.batch_size,
                 stream.sample_count(), self.runner_name, feed.shards_run, feed.size, feed.peak_input_files)
        return results

    def _selection(self, folder: Path, ids: list[str], names: Mapping[str, str], alt: Path) -> Path:
        """The folder itself when it holds exactly these samples under their own names and
        passes the runner's path checks; else ``alt``, a 0750 folder of hard links (or 0640
        copies) of the selected files - never symlinks."""
        present = {p.stem for p in list_bins(folder)}
        missing = [s for s in ids if s not in present]
        if missing:
            raise SampleIOError(f"{folder}: no input file for samples {missing[:5]}")
        as_is = present == set(ids) and all(names[s] == f"{s}.bin" for s in ids)
        if as_is and paths.refusal(folder.absolute()) is None \
                and all(paths.refusal(folder.absolute() / names[s]) is None for s in ids):
            return folder.absolute()
        paths.make_dir(alt.parent)
        paths.make_dir(alt)
        for sid in ids:
            paths.place(folder / f"{sid}.bin", alt / names[sid])
        return alt

    # -- throughput ------------------------------------------------------------------------------
    def benchmark(self, warmup: int = 2, rounds: int = 10, seed: int = 0) -> PerfStats:
        """Pure inference after an idle check (``npu-smi info``); the runner's statistic of
        record plus per-round times (``harness.perf``)."""
        env = self._env()
        smi = self._backend.install().npu_smi or "npu-smi"
        device = npu_smi.require_idle(self.physical_device, env=env, program=smi,
                                      attempts=int(self.options.extra.get("idle_attempts", 3)))
        scratch = self._scratch("perf")
        stats = self._runner().benchmark(self._om(scratch), self.batch_size, rounds, warmup, scratch)
        stats.extra.update({"device": self.physical_device, "chip": device.soc_version, **self.provenance})
        shutil.rmtree(scratch, ignore_errors=True)
        return stats


class AscendBackend(Backend):
    name = "ascend"
    marker = "npu"
    description = "CANN atc + ais_bench on an Ascend NPU"

    def __init__(self, environ: Optional[Mapping[str, str]] = None):
        self._environ = environ
        self._install: Optional[cann.CannInstall] = None
        self._smi = None
        self._smi_error = ""

    def install(self) -> cann.CannInstall:
        if self._install is None:
            self._install = cann.discover(self._environ)
        return self._install

    def devices(self) -> Optional[npu_smi.NpuSmiInfo]:
        """``npu-smi info`` (read once); None with ``_smi_error`` saying why."""
        if self._smi is None and not self._smi_error:
            inst = self.install()
            if inst.npu_smi is None:
                self._smi_error = "no `npu-smi` on PATH or in /usr/local/sbin (install the Ascend driver)"
            else:
                try:
                    self._smi = npu_smi.query(inst.env, program=inst.npu_smi)
                except ToolError as exc:
                    self._smi_error = f"`npu-smi info` lists no usable device: {exc.cause}"
        return self._smi

    def availability(self) -> Availability:
        missing = self.install().missing()
        if self.devices() is None:
            missing.append(self._smi_error)
        return Availability(not missing, "; ".join(missing))

    def versions(self) -> dict[str, str]:
        inst = self.install()
        smi = self.devices()
        return {"cann": inst.version or "unknown", "cann_version_file": inst.version_source,
                "driver": inst.driver or (smi.driver_version if smi else None) or "unknown",
                "ais_bench": inst.ais_bench_detail,
                # Which runner runs a guide: its own when usable under "auto" (harness.ascend.runners);
                # throughput records name the one that ran.
                "runner_choice": inst.runner_choice,
                "runners": ",".join(n for n, p in inst.probes.items() if p.usable) or "none"}

    def chip(self, options: CompileOptions) -> str:
        if options.soc_version:
            return options.soc_version
        smi = self.devices()
        if smi is None:
            raise BackendError(f"cannot tell the soc version: {self._smi_error}; pass --soc-version")
        try:
            return smi.device(options.device_id).soc_version
        except KeyError as exc:
            raise BackendError(str(exc.args[0])) from None

    def cache_identity(self, options: CompileOptions) -> dict:
        return {"backend": self.name, "cann": self.install().version, "soc": self.chip(options)}

    def atc_compile(self, guide, onnx_path: Path, batch_size: int, folder: Path, soc: str) -> AtcCompile:
        """The guide's atc command for one batch size; its config files written into ``folder``
        (the fusion switches in the form this toolkit takes, ``harness.ascend.fusion_switch``)."""
        s = guide.atc
        fusion = keep = None
        if s.fusion_switch is not None:
            fusion = folder / "fusion_switch.cfg"
            fusion.write_text(fusion_switch.for_toolkit(s.fusion_switch, self.install().version)[0])
        if s.keep_dtype is not None:
            keep = folder / "keep_dtype.cfg"
            keep.write_text(s.keep_dtype)
        return AtcCompile(model=Path(onnx_path), output=folder / f"{guide.name}_bs{batch_size}",
                          soc_version=soc,
                          input_shapes=tuple((t.name, t.concrete(batch_size)) for t in guide.inputs),
                          input_format=s.input_format, log=s.log, fusion_switch_file=fusion,
                          keep_dtype=keep, precision_mode=s.precision_mode, extra=tuple(s.extra))

    def compile(self, guide, onnx_path: Path, batch_size: int, work_dir: Path,
                options: CompileOptions, model=None) -> AscendModel:
        inst = self.install()
        runner, why = inst.runner_for(getattr(guide, "runner", None))
        if runner is None:  # say so before spending a compile on it
            raise BackendError(why)
        soc = self.chip(options)
        onnx_path = Path(onnx_path).resolve()
        atc_prog = inst.atc or "atc"

        def build(folder: Path) -> dict:
            spec = self.atc_compile(guide, onnx_path, batch_size, folder, soc)
            result = run_atc(spec, env=inst.env, timeout_s=options.timeout_s, cwd=folder, atc=atc_prog)
            paths.seal(result.om)  # atc writes it under the umask; runners refuse group-writable files
            (folder / "atc.log").write_text(result.run.output)
            return {"om": result.om.name, "atc_args": spec.args(atc_prog)[1:],
                    "warnings": [d.code for d in result.outcome.warnings]}

        cache = options.extra.get("cache")
        if cache is None:
            folder = Path(work_dir) / f"{guide.name}_bs{batch_size}"
            folder.mkdir(parents=True, exist_ok=True)
            om = folder / build(folder)["om"]
        else:
            probe = self.atc_compile(guide, onnx_path, batch_size, Path(tempfile.mkdtemp()), soc)
            description = {"onnx": _onnx_digest(onnx_path), "atc": probe.identity(), "soc": soc,
                           "cann": inst.version, "batch_size": batch_size, "guide": guide.name}
            shutil.rmtree(probe.output.parent, ignore_errors=True)
            art = cache.get_or_build("om", description, build)
            om = art.path / art.meta.get("om", "")
            if not om.is_file():
                om = find_om(art.path / f"{guide.name}_bs{batch_size}")
            if om is None or not om.is_file():
                raise BackendError(f"cached compile {art.path} holds no .om; delete the folder to rebuild")
        return AscendModel(guide, batch_size, om, self, options, Path(work_dir) / "ais_bench")
